"""MultiheadAttention with PyTorch's parameters, masks and layouts."""
import math

import numpy as np

from .. import functional as F
from ..ops.attention import additive_mask, merge_heads, split_heads
from ..ops.common import _data
from . import init
from .layers import Linear
from .module import Module, Parameter


def _not_allowed_to_additive(mask, dtype):
    """PyTorch's MultiheadAttention masks (bool: True = NOT allowed) as 0 / -inf; float as given."""
    return additive_mask(~mask if mask.dtype == np.bool_ else mask, dtype)


class MultiheadAttention(Module):
    """Attention over num_heads heads of embed_dim // num_heads features each, as PyTorch's.

    Args:
        embed_dim: features of query, key and value (and of the output).
        num_heads: heads; must divide embed_dim.
        dropout: dropout on the attention weights, in training (the unfused path).
        bias: learn in_proj_bias and out_proj.bias (default True).
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).
    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) -> (output, weights or None):
        attn_mask (L, S) or (N * num_heads, L, S) and key_padding_mask (N, S): bool masks are
        True where attention is NOT allowed, float masks are added to the scores.
        need_weights=False runs the fused attention kernel; need_weights=True computes the
        weights explicitly to return them (averaged over heads unless average_attn_weights=False).
        is_causal without attn_mask lets query i see keys j <= i.
    Parameters: in_proj_weight (3E, E), in_proj_bias (3E,), out_proj (Linear E -> E).
    Shape: query (L, N, E), key and value (S, N, E) (batch_first: (N, L, E), (N, S, E); or
        unbatched (L, E), (S, E)) -> output like query, weights (N, L, S).
    Example:
        >>> mha = nn.MultiheadAttention(16, 4, batch_first=True)
        >>> x = fastnn.zeros(2, 5, 16)
        >>> out, weights = mha(x, x, x)
        >>> out.shape, weights.shape
        ((2, 5, 16), (2, 5, 5))
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False, dtype=None):
        super().__init__()
        if num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads "
                             f"({num_heads})")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout}")
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        self.in_proj_weight = Parameter._empty((3 * embed_dim, embed_dim), dtype)
        if bias:
            self.in_proj_bias = Parameter._empty(3 * embed_dim, dtype, fill=0)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        init.xavier_uniform_(self.in_proj_weight)
        if bias:
            init.zeros_(self.out_proj.bias)

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"

    def _project(self, x, part):
        e = self.embed_dim
        bias = None if self.in_proj_bias is None else self.in_proj_bias[part * e:(part + 1) * e]
        return F.linear(x, self.in_proj_weight[part * e:(part + 1) * e], bias)

    def _merged_mask(self, attn_mask, key_padding_mask, n, lq, lk, dtype):
        """Both masks as one additive float array broadcastable to (N, H, L, S), or None."""
        merged = None
        if attn_mask is not None:
            mask = np.asarray(_data(attn_mask))
            if mask.shape == (lq, lk):
                mask = mask[None, None]
            elif mask.shape == (n * self.num_heads, lq, lk):
                mask = mask.reshape(n, self.num_heads, lq, lk)
            else:
                raise ValueError(f"MultiheadAttention: attn_mask must have shape {(lq, lk)} or "
                                 f"{(n * self.num_heads, lq, lk)}, got {mask.shape}")
            merged = _not_allowed_to_additive(mask, dtype)
        if key_padding_mask is not None:
            mask = np.asarray(_data(key_padding_mask))
            if mask.shape != (n, lk):
                raise ValueError(f"MultiheadAttention: key_padding_mask must have shape {(n, lk)}, got {mask.shape}")
            mask = _not_allowed_to_additive(mask, dtype)[:, None, None, :]
            merged = mask if merged is None else merged + mask
        return merged

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        batched = query.ndim == 3
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"MultiheadAttention: query, key and value must all be 2-D (unbatched) or 3-D, got "
                             f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
        if key_padding_mask is not None and not batched:
            key_padding_mask = np.asarray(_data(key_padding_mask))[None]
        self_attention = query is key and key is value
        q, k, v = [x.unsqueeze(0) if not batched else x if self.batch_first else x.transpose(0, 1)
                   for x in (query, key, value)]
        if q.shape[-1] != self.embed_dim or k.shape[-1] != self.embed_dim or v.shape[-1] != self.embed_dim:
            raise ValueError(f"MultiheadAttention: inputs must end in embed_dim={self.embed_dim}, got query "
                             f"{tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}")
        if k.shape[:2] != v.shape[:2] or k.shape[0] != q.shape[0]:
            raise ValueError(f"MultiheadAttention: batch or key length of query {tuple(query.shape)}, key "
                             f"{tuple(key.shape)} and value {tuple(value.shape)} do not match")
        n, lq, lk = q.shape[0], q.shape[1], k.shape[1]
        if self_attention:  # one projection, cut into q, k and v heads (N, H, L, head_dim) by one op
            q, k, v = split_heads(F.linear(q, self.in_proj_weight, self.in_proj_bias), 3, self.num_heads)
        else:
            q, k, v = [split_heads(self._project(x, part), 1, self.num_heads)[0] for part, x in enumerate((q, k, v))]
        mask = self._merged_mask(attn_mask, key_padding_mask, n, lq, lk, q.dtype)
        causal = is_causal and attn_mask is None
        if causal and (mask is not None or need_weights):  # the kernel's causal skip needs no other mask
            mask = np.where(np.tri(lq, lk, dtype=bool), 0, -np.inf).astype(q.dtype) + (0 if mask is None else mask)
            causal = False
        p = self.dropout if self.training else 0.0
        weights = None
        if need_weights:
            scores = F.matmul(q, k.transpose(-2, -1)) * q.dtype.type(1.0 / math.sqrt(self.head_dim))
            weights = F.softmax(scores if mask is None else scores + mask, dim=-1)
            out = F.matmul(F.dropout(weights, p, True), v)
            if average_attn_weights:
                weights = weights.mean(dim=1)
            if not batched:
                weights = weights.squeeze(0)
        else:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p, is_causal=causal)
        out = self.out_proj(merge_heads(out))
        out = out.squeeze(0) if not batched else out if self.batch_first else out.transpose(0, 1)
        return out, weights
