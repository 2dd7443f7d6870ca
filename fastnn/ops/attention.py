"""scaled_dot_product_attention on the fused C++ kernel (fastnn._C.attention_*)."""
import math

import numpy as np

from .. import _C
from ..autograd import Function
from .activation import dropout, softmax
from .common import _as_tensor, _data
from .linalg import matmul
from .shape import transpose


class ScaledDotProductAttention(Function):
    """(query (H, Lq, E), key (H, Lk, E), value (H, Lk, Ev)) -> output (H, Lq, Ev); the
    mask arguments are the kernel's (an additive plane per head), never differentiated."""

    @staticmethod
    def forward(ctx, query, key, value, mask, is_causal, scale):
        masks = mask or {}
        out, lse = _C.attention_forward(query, key, value, is_causal=is_causal, scale=scale, **masks)
        ctx.save_for_backward(query, key, value, out, lse)
        ctx.masks, ctx.is_causal, ctx.scale = masks, is_causal, scale
        return out

    @staticmethod
    def backward(ctx, grad):
        query, key, value, out, lse = ctx.saved_tensors
        dq, dk, dv = _C.attention_backward(query, key, value, out, lse, np.asarray(grad, order="C"),
                                           is_causal=ctx.is_causal, scale=ctx.scale, **ctx.masks)
        return dq, dk, dv, None, None, None


def _check_shapes(query, key, value):
    shapes = f"query {query.shape}, key {key.shape}, value {value.shape}"
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise ValueError(f"scaled_dot_product_attention: query, key and value need at least 2 dimensions, got {shapes}")
    if not query.shape[:-2] == key.shape[:-2] == value.shape[:-2]:
        raise ValueError(f"scaled_dot_product_attention: batch and head dimensions differ: {shapes}")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"scaled_dot_product_attention: query and key embedding sizes differ: {shapes}")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: key and value lengths differ: {shapes}")
    if not query.dtype == key.dtype == value.dtype or query.dtype not in (np.float32, np.float64):
        raise TypeError(f"scaled_dot_product_attention: query, key and value must share a float dtype, got "
                        f"{query.dtype}, {key.dtype}, {value.dtype}")


def additive_mask(attn_mask, dtype):
    """A boolean mask (True = allowed) as 0 / -inf; a float mask as given, in dtype."""
    mask = np.asarray(_data(attn_mask))
    if mask.dtype == np.bool_:
        return np.where(mask, dtype.type(0), dtype.type(-np.inf))
    if mask.dtype.kind != "f":
        raise TypeError(f"scaled_dot_product_attention: attn_mask must be bool or float, got {mask.dtype}")
    return mask.astype(dtype, copy=False)


def _mask_planes(mask, lead, lq, lk):
    """The kernel's view of an additive mask broadcast to lead + (lq, lk): the
    distinct (rows, lk) planes, each head's plane offset, and the row stride."""
    target = lead + (lq, lk)
    try:
        full = np.broadcast_shapes(mask.shape, target)
    except ValueError:
        full = None
    if full != target:
        raise ValueError(f"scaled_dot_product_attention: attn_mask of shape {mask.shape} does not broadcast "
                         f"to {target}")
    mask = mask.reshape((1,) * (2 - mask.ndim) + mask.shape) if mask.ndim < 2 else mask
    rows = mask.shape[-2]
    mask = np.ascontiguousarray(np.broadcast_to(mask, mask.shape[:-1] + (lk,)))
    planes = np.arange(math.prod(mask.shape[:-2]), dtype=np.int64).reshape(mask.shape[:-2])
    offsets = np.ascontiguousarray(np.broadcast_to(planes, lead).reshape(-1)) * (rows * lk)
    return {"mask": mask, "mask_offsets": offsets, "mask_row_stride": 0 if rows == 1 else lk}


def _causal_mask(lq, lk, dtype):
    return np.where(np.tri(lq, lk, dtype=bool), dtype.type(0), dtype.type(-np.inf))


def _unfused(query, key, value, mask, dropout_p, is_causal, scale):
    """softmax(q k^T * scale + mask) with dropout, then @ v, from differentiable ops."""
    scores = matmul(query, transpose(key, -2, -1)) * scale
    lq, lk = scores.shape[-2:]
    if is_causal:
        mask = _causal_mask(lq, lk, scores.dtype)
    if mask is not None:
        scores = scores + mask
    return matmul(dropout(softmax(scores, dim=-1), dropout_p), value)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """softmax(query @ key^T * scale + mask) @ value, as PyTorch's.

    Shape: query (*, L, E), key (*, S, E), value (*, S, Ev) -> (*, L, Ev), the
    leading dimensions equal. attn_mask broadcasts to (*, L, S): bool (True
    where attention is allowed) or float (added to the scores; not
    differentiated). is_causal lets query i see keys j <= i (top-left aligned).
    scale defaults to 1 / sqrt(E). Without dropout this is one fused kernel that
    never holds the L x S scores; a row with no allowed key gives zeros.

    Example:
        >>> q = fastnn.zeros(2, 4, 10, 16)  # (batch, heads, L, E)
        >>> F.scaled_dot_product_attention(q, q, fastnn.ones(2, 4, 10, 8), is_causal=True).shape
        (2, 4, 10, 8)
    """
    query, key, value = _as_tensor(query), _as_tensor(key), _as_tensor(value)
    _check_shapes(query, key, value)
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: pass either attn_mask or is_causal, not both")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    lead, (lq, e), lk = query.shape[:-2], query.shape[-2:], key.shape[-2]
    scale = (1.0 / math.sqrt(e) if e else 1.0) if scale is None else float(scale)  # E = 0: the scores are 0
    mask = None if attn_mask is None else additive_mask(attn_mask, query.dtype)
    mask_args = None if mask is None else _mask_planes(mask, lead, lq, lk)
    if dropout_p > 0.0:
        return _unfused(query, key, value, mask, dropout_p, is_causal, scale)

    def heads(x):
        return x.reshape((-1,) + x.shape[-2:])

    out = ScaledDotProductAttention.apply(heads(query), heads(key), heads(value), mask_args, is_causal, scale)
    return out.reshape(lead + out.shape[-2:])


class SplitHeads(Function):
    """(N, L, parts * heads * d) -> `parts` tensors (N, heads, L, d): packed
    projections (MultiheadAttention's q, k and v side by side) cut into heads with
    one copy. Backward writes every part's gradient into one array, where slicing
    each part out would give each a zero-filled gradient of the whole."""

    @staticmethod
    def forward(ctx, x, parts, heads):
        n, length, width = x.shape
        ctx.shape = x.shape
        split = x.reshape(n, length, parts, heads, width // (parts * heads)).transpose(2, 0, 3, 1, 4)
        return tuple(np.ascontiguousarray(split))

    @staticmethod
    def backward(ctx, *grads):
        n, length, width = ctx.shape
        heads, d = grads[0].shape[1], grads[0].shape[3]
        joined = np.empty((n, length, len(grads), heads, d), grads[0].dtype)
        for part, grad in enumerate(grads):
            joined[:, :, part] = grad.transpose(0, 2, 1, 3)
        return joined.reshape(ctx.shape), None, None


class MergeHeads(Function):
    """(N, heads, L, d) -> (N, L, heads * d): SplitHeads' inverse for one part."""

    @staticmethod
    def forward(ctx, x):
        n, heads, length, d = x.shape
        ctx.heads = heads
        return np.ascontiguousarray(x.transpose(0, 2, 1, 3)).reshape(n, length, heads * d)

    @staticmethod
    def backward(ctx, grad):
        n, length, width = grad.shape
        return np.ascontiguousarray(grad.reshape(n, length, ctx.heads, width // ctx.heads).transpose(0, 2, 1, 3))


def split_heads(x, parts, heads):
    """(N, L, parts * heads * d) -> a tuple of `parts` (N, heads, L, d) tensors."""
    return SplitHeads.apply(x, parts, heads)


def merge_heads(x):
    """(N, heads, L, d) -> (N, L, heads * d)."""
    return MergeHeads.apply(x)
