"""LayerNorm and Embedding."""
import numbers

import numpy as np

from .. import functional as F
from . import init
from .module import Module, Parameter


class LayerNorm(Module):
    """Normalises over the last len(normalized_shape) dimensions (C++ kernel), then applies
    a learned per-element weight (ones) and bias (zeros), as PyTorch's LayerNorm.

    Args:
        normalized_shape: int or shape of the trailing dimensions normalised.
        eps: added to the variance (default 1e-5).
        elementwise_affine: learn weight (and bias) (default True).
        bias: learn the bias too (default True).
    Shape: input (*, *normalized_shape) -> output, same shape.
    Example:
        >>> nn.LayerNorm(4)(fastnn.tensor([[1.0, 2.0, 3.0, 4.0]])).sum().item() == 0.0
        True
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        if elementwise_affine:
            self.weight = Parameter._empty(shape, dtype, fill=1)
            self.bias = Parameter._empty(shape, dtype, fill=0) if bias else None
            if not bias:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class Embedding(Module):
    """A lookup table: integer indices of any shape -> rows of weight, initialised N(0, 1),
    padding_idx's row zero and never updated.

    Args:
        num_embeddings, embedding_dim: rows and columns of the table.
        padding_idx: a row that stays zero and gets no gradient.
    Shape: input (*) integer -> output (*, embedding_dim).
    Example:
        >>> nn.Embedding(10, 3)(fastnn.tensor([[1, 2], [3, 4]])).shape
        (2, 2, 3)
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, dtype=None):
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be within num_embeddings ({num_embeddings}), "
                                 f"got {padding_idx}")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.weight = Parameter._empty((num_embeddings, embedding_dim), np.dtype(np.float32 if dtype is None
                                                                                   else dtype))
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
