#!/usr/bin/env bash
# Runs a few training steps of a CNN, an LSTM and a transformer under valgrind's
# memcheck (PYTHONMALLOC=malloc so every allocation is seen) and prints the leak
# summary plus any "definitely lost" block allocated from fastnn's extension.
# Slow (valgrind is ~30x); not part of CI — the result is quoted in the README.
set -euo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
python=$(python -c "import sys; print(sys.executable)")  # the interpreter itself, not a wrapper script
OMP_NUM_THREADS=1 PYTHONMALLOC=malloc valgrind --tool=memcheck --leak-check=full \
  --show-leak-kinds=definite --num-callers=30 --log-file="$log" \
  "$python" - <<'PY'
import sys
sys.path.insert(0, "tests")
import fastnn
from fastnn import optim
from fastnn.nn import functional as F
from test_serialization import MODELS

for name, (make, example) in MODELS.items():
    model, x = make(), example()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(3):
        out = model(x)
        loss = F.mse_loss(out, fastnn.zeros(*out.shape))
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(name, "trained", loss.item())
PY
sed -n '/LEAK SUMMARY/,/suppressed/p' "$log"
echo "definitely lost blocks allocated from fastnn._C: $(grep -c '_C\.cpython.*\.so\|fastnn::' <(awk '/definitely lost in loss record/,/^==[0-9]+== $/' "$log") || true)"
echo "(full log: $log)"
