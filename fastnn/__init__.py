"""fastnn: a fast, readable CPU deep-learning package with PyTorch's names."""
from importlib.metadata import version as _version

from . import _C
from .autograd import enable_grad, is_grad_enabled, no_grad
from .functional import cat, matmul, stack
from .random import manual_seed
from .serialization import load, save
from .tensor import (Tensor, arange, empty, from_dlpack, from_numpy, full, ones, ones_like, rand, randint,
                     randn, tensor, zeros, zeros_like)
from . import data, datasets, nn, optim  # noqa: E402

float32 = "float32"
float64 = "float64"
__version__ = _version("fastnn")  # the one place it is set: pyproject.toml


def get_num_threads():
    """Threads the kernels use (OMP_NUM_THREADS, or every core by default)."""
    return _C.get_num_threads()


def set_num_threads(n):
    _C.set_num_threads(int(n))


def backend_info():
    """ISA in use, thread count, OpenMP runtime, compiler and flags of the kernels."""
    return _C.backend_info()
