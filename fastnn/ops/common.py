"""Helpers shared by the differentiable ops."""
import builtins
import numbers

from ..tensor import Tensor


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _normalize_dims(dim, ndim):
    """None -> all dims; int or sequence -> a tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    out = []
    for d in dims:
        if not -builtins.max(ndim, 1) <= d < builtins.max(ndim, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-builtins.max(ndim, 1)}, {builtins.max(ndim, 1) - 1}], but got {d})")
        out.append(d % builtins.max(ndim, 1))
    return tuple(out)
