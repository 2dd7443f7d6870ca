#!/usr/bin/env bash
# Builds fastnn._C with AddressSanitizer + UndefinedBehaviorSanitizer into its own
# build directory (build/sanitize), installs it into the current Python environment
# and runs pytest under the sanitizer runtimes: `tools/sanitize.sh [pytest args]`
# (default: the kernel tests and the fuzz tests). Any ASan or UBSan report fails the
# run. Leak detection is off: CPython keeps many allocations alive until exit on
# purpose, which LeakSanitizer would report; leaks are checked by tests/test_leaks.py.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet scikit-build-core pybind11 cmake ninja  # the build runs without isolation
python -m pip install --quiet --no-build-isolation \
  --config-settings=build-dir=build/sanitize \
  --config-settings=cmake.define.FASTNN_SANITIZE=ON \
  --config-settings=install.strip=false .

asan=$(g++ -print-file-name=libasan.so)
ubsan=$(g++ -print-file-name=libubsan.so)
export LD_PRELOAD="$asan:$ubsan"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:detect_odr_violation=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export FASTNN_SANITIZED=1  # tests/test_leaks.py skips: ASan's quarantine keeps freed memory resident
if [ "$#" -eq 0 ]; then
  set -- -m "kernel or fuzz" -q -p no:cacheprovider
fi
(cd / && python -c "import fastnn, sys; print('sanitized build:', fastnn.__file__)")
pytest "$@"  # not python -m pytest: the source tree must not shadow the installed package
