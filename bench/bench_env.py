"""Sets the bench process's environment before NumPy, torch or fastnn load.

Every system gets the same thread count (--threads N, default: all cores) through
the variables each BLAS/OpenMP runtime reads at start-up. OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE, which may be set on this machine to work around old OpenBLAS
bugs and slow a current NumPy, are unset for this process only, so NumPy gets a
fair baseline; the bench prints that it did so. Import this module first.
"""
import os
import sys

_SLOWING = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _threads_from_argv(argv):
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return str(os.cpu_count() or 1)


def ensure():
    threads = _threads_from_argv(sys.argv)
    wanted = {var: threads for var in _THREAD_VARS}
    if all(os.environ.get(k) == v for k, v in wanted.items()) and not any(v in os.environ for v in _SLOWING):
        return
    env = dict(os.environ, **wanted, FASTNN_BENCH_UNSET=",".join(v for v in _SLOWING if v in os.environ))
    for var in _SLOWING:
        env.pop(var, None)
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


ensure()
