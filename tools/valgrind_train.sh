#!/usr/bin/env bash
# Runs a few training steps of a CNN, an LSTM and a transformer under valgrind's
# memcheck (PYTHONMALLOC=malloc so every allocation is seen) against the installed
# fastnn. Valgrind's virtual CPU has no AVX-512, so this also proves that no
# AVX-512 instruction runs when the CPU lacks it. Fails on a memcheck error or a
# definitely lost block with a fastnn frame (CPython's own reports are expected).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
log="$(mktemp)"
outside="$(mktemp -d)"  # outside the source tree: the installed package is the one tested
trap 'rm -rf "$outside"' EXIT  # the log stays, for a failing run
python=$(python -c "import sys; print(sys.executable)")  # the interpreter itself, not a wrapper script
cd "$outside"
OMP_NUM_THREADS=1 PYTHONMALLOC=malloc FASTNN_TESTS="$root/tests" valgrind --tool=memcheck --leak-check=full \
  --show-leak-kinds=definite --num-callers=40 --log-file="$log" \
  "$python" - <<'PY'
import os
import sys
sys.path.insert(0, os.environ["FASTNN_TESTS"])
import fastnn
from fastnn import optim
from fastnn.nn import functional as F
from test_serialization import MODELS

print("isa under valgrind:", fastnn.backend_info()["isa"])
for name, (make, example) in MODELS.items():
    model, x = make(), example()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(3):
        out = model(x)
        loss = F.mse_loss(out, fastnn.zeros(*out.shape))
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(name, "trained, loss", loss.item())
PY
sed -n '/LEAK SUMMARY/,/suppressed/p' "$log"
# Each valgrind record is a block of lines ending in an empty "==pid== " line.
ours=$(awk '/^==[0-9]+== $/ { if (block ~ /fastnn::|_C\.cpython/ && block ~ /Invalid|uninitialised|definitely lost/) n++; block = ""; next }
            { block = block "\n" $0 } END { print n + 0 }' "$log")
echo "memcheck errors or definitely lost blocks with a fastnn frame: $ours (log: $log)"
[ "$ours" -eq 0 ]
