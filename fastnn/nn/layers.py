"""Layers: Linear and the parameter-free activation, shape and dropout modules."""
import numpy as np

from .. import functional as F
from . import init
from .module import Module, Parameter


class Linear(Module):
    """y = x @ weight.T + bias.

    Args:
        in_features, out_features: sizes of each input and output sample.
        bias: learn an additive bias (default True).
    Shape: input (*, in_features) -> output (*, out_features).
    Example:
        >>> layer = nn.Linear(20, 30); layer(fastnn.randn(128, 20)).shape
        (128, 30)
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        if in_features < 0 or out_features < 0:
            raise ValueError(f"Linear: sizes must be non-negative, got {in_features}, {out_features}")
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter._empty((out_features, in_features), dtype)
        if bias:
            self.bias = Parameter._empty(out_features, dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.default_weight_and_bias_(self.weight, self.bias)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged (a placeholder layer).

    Shape: input (*) -> output (*), the same tensor.
    Example:
        >>> nn.Identity()(fastnn.ones(2, 3)).shape
        (2, 3)
    """
    def forward(self, input):
        return input


class ReLU(Module):
    """max(x, 0) elementwise; F.relu as a module.

    Shape: input (*) -> output (*), same shape.
    Example:
        >>> nn.ReLU()(fastnn.zeros(2, 3)).shape
        (2, 3)
    """
    def forward(self, input):
        return F.relu(input)


class GELU(Module):
    """x * Phi(x), Phi the standard normal CDF (C++ kernel).

    Args:
        approximate: 'none' (erf, default) or 'tanh' (PyTorch's tanh approximation).
    Shape: input (*) -> output (*), same shape.
    Example:
        >>> nn.GELU()(fastnn.zeros(4)).tolist()
        [0.0, 0.0, 0.0, 0.0]
    """
    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise; F.sigmoid as a module.

    Shape: input (*) -> output (*), same shape.
    Example:
        >>> nn.Sigmoid()(fastnn.zeros(2, 3)).shape
        (2, 3)
    """
    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """tanh(x) elementwise; F.tanh as a module.

    Shape: input (*) -> output (*), same shape.
    Example:
        >>> nn.Tanh()(fastnn.zeros(2, 3)).shape
        (2, 3)
    """
    def forward(self, input):
        return F.tanh(input)


class Softmax(Module):
    """Softmax along one dimension (C++ kernel, the maximum subtracted first).

    Args:
        dim: the dimension whose entries sum to 1.
    Shape: input (*) -> output (*), same shape.
    Example:
        >>> nn.Softmax(dim=1)(fastnn.zeros(2, 4)).sum(1).tolist()
        [1.0, 1.0]
    """
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Flatten(Module):
    """Flattens dimensions start_dim..end_dim into one.

    Args:
        start_dim: first dimension flattened (default 1, keeping the batch).
        end_dim: last dimension flattened (default -1).
    Shape: input (N, *dims) -> output (N, prod(dims)) with the defaults.
    Example:
        >>> nn.Flatten()(fastnn.zeros(2, 3, 4, 5)).shape
        (2, 60)
    """
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return F.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Zeroes each element with probability p in training and scales the rest by
    1 / (1 - p); the identity in eval mode.

    Args:
        p: probability of zeroing an element (default 0.5).
    Shape: input (*) -> output (*), same shape.
    Example:
        >>> layer = nn.Dropout(0.5).eval()
        >>> layer(fastnn.ones(3)).tolist()
        [1.0, 1.0, 1.0]
    """

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
