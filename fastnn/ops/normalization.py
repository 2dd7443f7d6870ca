"""layer_norm and embedding."""
import numbers

import numpy as np

from .. import _C
from ..autograd import Function
from .common import _as_tensor, _data


class LayerNorm(Function):
    """Normalises each row of x (rows, D) to zero mean and unit variance, then * weight + bias."""

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        out, mean, rstd = _C.layer_norm_forward(x, weight, bias, eps)
        ctx.save_for_backward(x, weight, mean, rstd)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight, mean, rstd = ctx.saved_tensors
        need = ctx.needs_input_grad
        grad_x, grad_w, grad_b = _C.layer_norm_backward(x, weight, mean, rstd, np.asarray(grad, order="C"),
                                                        need[0], need[1], need[2])
        return grad_x, grad_w, grad_b, None


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(x - mean) / sqrt(var + eps) * weight + bias over the last len(normalized_shape)
    dimensions (biased variance, as PyTorch; C++ kernel).

    Args:
        normalized_shape: int or shape of the trailing dimensions normalised.
        weight, bias: of normalized_shape, or None.
        eps: added to the variance (default 1e-5).
    Shape: input (*, *normalized_shape) -> output, same shape.
    Example:
        >>> F.layer_norm(fastnn.tensor([[1.0, 3.0]]), 2).tolist()
        [[-0.99999..., 0.99999...]]
    """
    x = _as_tensor(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
    if len(shape) > x.ndim or tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise ValueError(f"layer_norm: normalized_shape {shape} does not match the end of input shape {x.shape}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise ValueError(f"layer_norm: {name} must have shape {shape}, got {tuple(p.shape)}")
    size = int(np.prod(shape))

    def shaped(t, to):  # a reshape only where needed: each one is an autograd node
        return t if t is None or tuple(t.shape) == to else t.reshape(to)
    rows = x.shape if x.ndim == 2 and x.shape[1] == size else (-1, size)
    out = LayerNorm.apply(shaped(x, rows), shaped(weight, (size,)), shaped(bias, (size,)), float(eps))
    return shaped(out, x.shape)


class Embedding(Function):
    """Rows of weight picked by integer indices; backward adds each gradient row to its
    weight row (padding_idx's row gets none)."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx):
        ctx.indices, ctx.padding_idx, ctx.weight_shape = indices, padding_idx, weight.shape
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        # Rows sorted by index (stably), then each index's run summed in order:
        # np.add.at's scatter is several times slower.
        flat = ctx.indices.reshape(-1)
        order = np.argsort(flat, kind="stable")
        picked = flat[order]
        starts = np.flatnonzero(np.r_[True, picked[1:] != picked[:-1]]) if flat.size else flat
        grad_w = np.zeros(ctx.weight_shape, dtype=grad.dtype)
        grad_w[picked[starts]] = np.add.reduceat(grad.reshape(-1, ctx.weight_shape[1])[order], starts, axis=0)
        if ctx.padding_idx is not None:
            grad_w[ctx.padding_idx] = 0
        return grad_w, None, None


def embedding(input, weight, padding_idx=None):
    """weight[input]: rows of the table picked by integer indices.

    Args:
        input: integer indices of any shape, each in [0, num_embeddings).
        weight: (num_embeddings, embedding_dim).
        padding_idx: a row that gets no gradient.
    Shape: output input.shape + (embedding_dim,).
    Example:
        >>> F.embedding(fastnn.tensor([2, 0]), fastnn.tensor([[0.0], [1.0], [2.0]])).tolist()
        [[2.0], [0.0]]
    """
    indices = np.asarray(_data(input))
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: input must hold integer indices, got {indices.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got {tuple(weight.shape)}")
    num = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= num):
        raise IndexError(f"embedding: indices must be in [0, {num}), got values in "
                         f"[{indices.min()}, {indices.max()}] for input of shape {indices.shape}")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding: padding_idx must be within [{-num}, {num}), got {padding_idx}")
        padding_idx %= num
    return Embedding.apply(weight, indices, padding_idx)
