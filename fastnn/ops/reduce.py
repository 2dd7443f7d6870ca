"""Reductions: sum, mean, max/min (values and indices), argmax/argmin, gather."""
import collections

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from .common import _as_tensor, _data, _normalize_dims
from .shape import squeeze

ReductionResult = collections.namedtuple("ReductionResult", ["values", "indices"])

# -- reductions ------------------------------------------------------------------
class Sum(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim, mean):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        out = np.add.reduce(x, axis=dims, keepdims=keepdim)  # np.sum without its Python wrapper (~1 us)
        ctx.scale = 1.0
        if mean:
            count = int(np.prod([x.shape[d] for d in dims]))
            ctx.scale = 1.0 / count if count else float("nan")
            out = np.divide(out, count) if count else np.full_like(out, np.nan, dtype=out.dtype)
        return out

    @staticmethod
    def backward(ctx, grad):
        grad = np.asarray(grad)
        if not ctx.keepdim:  # the reduced dims back, as size 1
            grad = grad.reshape([1 if d in ctx.dims else n for d, n in enumerate(ctx.shape)])
        out = np.empty(ctx.shape, grad.dtype)
        np.multiply(grad, grad.dtype.type(ctx.scale), out=out)  # broadcast straight into a new array
        return out


def sum(x, dim=None, keepdim=False):
    x = _as_tensor(x)
    return Sum.apply(x, _normalize_dims(dim, x.ndim), keepdim, False)


def mean(x, dim=None, keepdim=False):
    x = _as_tensor(x)
    if x.dtype.kind not in "f":
        raise TypeError(f"mean: expected a floating point tensor, got {x.dtype}")
    return Sum.apply(x, _normalize_dims(dim, x.ndim), keepdim, True)


class Gather(Function):
    """out = take_along_axis(x, index, dim); backward scatters with accumulation."""

    @staticmethod
    def forward(ctx, x, index, dim):
        ctx.shape, ctx.index, ctx.dim = x.shape, index, dim
        return np.take_along_axis(x, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        full = np.zeros(ctx.shape, dtype=grad.dtype)
        where = list(np.ix_(*[np.arange(n) for n in ctx.index.shape]))
        where[ctx.dim] = ctx.index
        np.add.at(full, tuple(where), grad)
        return full


def gather(x, dim, index):
    dim = _normalize_dims(dim, x.ndim)[0]
    return Gather.apply(x, np.asarray(_data(index)), dim)


class Extremum(Function):
    """Full reduction max/min; ties share the gradient equally, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, largest):
        if x.size == 0:
            raise RuntimeError("max(): expected a non-empty tensor for a reduction over all elements")
        out = np.max(x) if largest else np.min(x)
        ctx.save_for_backward(x, out)
        return np.asarray(out)

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        mask = (x == out).astype(grad.dtype)
        return mask * (grad / mask.sum())


def _extremum(x, dim, keepdim, largest):
    x = _as_tensor(x)
    if dim is None:
        return Extremum.apply(x, largest)
    dim = _normalize_dims(dim, x.ndim)[0]
    if x.shape and x.shape[dim] == 0:
        raise IndexError(f"max/min: cannot reduce over zero-size dimension {dim} of shape {x.shape}")
    index = (np.argmax if largest else np.argmin)(x.data, axis=dim, keepdims=True)
    values = Gather.apply(x, index, dim)
    if not keepdim:
        values = squeeze(values, dim)
        index = np.squeeze(index, axis=dim)
    return ReductionResult(values, Tensor._wrap(index))


def max(x, dim=None, keepdim=False):
    return _extremum(x, dim, keepdim, largest=True)


def min(x, dim=None, keepdim=False):
    return _extremum(x, dim, keepdim, largest=False)


def argmax(x, dim=None, keepdim=False):
    x = _as_tensor(x)
    if dim is None:
        return Tensor._wrap(np.asarray(np.argmax(x.data), dtype=np.int64))
    return Tensor._wrap(np.argmax(x.data, axis=_normalize_dims(dim, x.ndim)[0], keepdims=keepdim))


def argmin(x, dim=None, keepdim=False):
    x = _as_tensor(x)
    if dim is None:
        return Tensor._wrap(np.asarray(np.argmin(x.data), dtype=np.int64))
    return Tensor._wrap(np.argmin(x.data, axis=_normalize_dims(dim, x.ndim)[0], keepdims=keepdim))
