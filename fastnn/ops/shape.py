"""Shape ops and indexing: reshape, permute, expand, index, cat, stack (views or copies in NumPy)."""
import builtins
import numbers

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from .common import _as_tensor, _normalize_dims

# -- shape ops -----------------------------------------------------------------------
class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"shape {tuple(shape)} is invalid for input of shape {x.shape} "
                             f"({x.size} elements)") from None

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Permute(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.inverse = tuple(np.argsort(dims))
        return x.transpose(dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(ctx.inverse)


class Expand(Function):
    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape).copy()

    @staticmethod
    def backward(ctx, grad):
        return grad  # the engine sums it back to the input's shape


def reshape(x, shape):
    return Reshape.apply(x, tuple(shape))


def flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return reshape(x, (1,))
    start, end = _normalize_dims((start_dim, end_dim), x.ndim)
    shape = x.shape[:start] + (-1,) + x.shape[end + 1:]
    return reshape(x, shape)


def unsqueeze(x, dim):
    dim = _normalize_dims(dim, x.ndim + 1)[0]
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def squeeze(x, dim=None):
    dims = _normalize_dims(dim, x.ndim) if x.ndim else ()
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1)))


def permute(x, dims):
    dims = _normalize_dims(dims, x.ndim)
    if sorted(dims) != list(range(x.ndim)):
        raise ValueError(f"permute: dims {dims} are not a permutation of the {x.ndim} dims of shape {x.shape}")
    return Permute.apply(x, dims)


def transpose(x, dim0, dim1):
    dims = list(range(x.ndim))
    a, b = _normalize_dims((dim0, dim1), x.ndim)
    dims[a], dims[b] = dims[b], dims[a]
    return Permute.apply(x, tuple(dims))


def expand(x, shape):
    shape = tuple(old if new == -1 else new for old, new in
                  zip((1,) * (len(shape) - x.ndim) + x.shape, shape))
    return Expand.apply(x, shape)


def as_index(index):
    """Turns Tensors (and lists) inside an index into NumPy arrays."""
    if isinstance(index, tuple):
        return tuple(as_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


class Index(Function):
    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        full = np.zeros(ctx.shape, dtype=grad.dtype)
        if _is_basic(ctx.index):  # a view: each element picked once, a plain assignment
            full[ctx.index] = grad
        else:
            np.add.at(full, ctx.index, grad)  # repeated indices accumulate
        return full


def _is_basic(index):
    """True for NumPy basic indexing (ints, slices, None, Ellipsis): no element twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (slice, numbers.Integral)) for p in parts)


def index(x, idx):
    return Index.apply(x, as_index(idx))


class Cat(Function):
    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim, ctx.splits = dim, np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.split(grad, ctx.splits, axis=ctx.dim))


class Stack(Function):
    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        return np.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.moveaxis(grad, ctx.dim, 0))


def _check_sequence(tensors, name):
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError(f"{name}() expects a non-empty list of tensors")
    return tensors


def cat(tensors, dim=0):
    """Concatenates tensors of equal shape but along dim; gradients split back."""
    tensors = _check_sequence(tensors, "cat")
    dim = _normalize_dims(dim, tensors[0].ndim)[0]
    shapes = [t.shape for t in tensors]
    if builtins.any(len(s) != len(shapes[0]) or s[:dim] + s[dim + 1:] != shapes[0][:dim] + shapes[0][dim + 1:]
                    for s in shapes):
        raise ValueError(f"cat: tensors must match in every dim except {dim}, got shapes {shapes}")
    return Cat.apply(*tensors, dim=dim)


def stack(tensors, dim=0):
    """Stacks tensors of equal shape along a new dimension dim."""
    tensors = _check_sequence(tensors, "stack")
    shapes = [t.shape for t in tensors]
    if builtins.any(s != shapes[0] for s in shapes):
        raise ValueError(f"stack expects each tensor to be equal size, got shapes {shapes}")
    dim = _normalize_dims(dim, tensors[0].ndim + 1)[0]
    return Stack.apply(*tensors, dim=dim)
