"""Elementwise math, activations (ReLU and GELU in C++), the softmax family (C++) and dropout."""
import numpy as np

from .. import _C
from .. import random as _random
from ..autograd import Function
from .arithmetic import Mul
from .common import _normalize_dims

# -- elementwise ----------------------------------------------------------------------
class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_tensors[0]


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        return grad / ctx.saved_tensors[0]


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad / (2 * ctx.saved_tensors[0])


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * np.sign(ctx.saved_tensors[0])


class Clamp(Function):
    @staticmethod
    def forward(ctx, x, low, high):
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        ctx.save_for_backward(inside)
        return np.clip(x, low, high).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_tensors[0]


class ReLU(Function):
    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            out = np.maximum(x, 0)
        else:
            out = _C.relu_forward(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return _C.relu_backward(ctx.saved_tensors[0], np.asarray(grad, order="C"))


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        # exp of a non-positive number only: no overflow for large |x|
        e = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return grad * out * (1 - out)


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return grad * (1 - out * out)


class GELU(Function):
    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        return _C.gelu_forward(x, approximate)

    @staticmethod
    def backward(ctx, grad):
        return _C.gelu_backward(ctx.saved_tensors[0], np.asarray(grad, order="C"), ctx.approximate)


def exp(x):
    return Exp.apply(x)


def log(x):
    return Log.apply(x)


def sqrt(x):
    return Sqrt.apply(x)


def abs(x):
    return Abs.apply(x)


def clamp(x, min=None, max=None):
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return Clamp.apply(x, min, max)


def relu(input):
    """max(x, 0) elementwise (C++ kernel; NaN stays NaN).

    Shape: input (*) -> output (*), same shape.
    Example:
        >>> F.relu(fastnn.zeros(2)).shape
        (2,)
    """
    return ReLU.apply(input)


def sigmoid(input):
    """1 / (1 + exp(-x)) elementwise.

    Shape: input (*) -> output (*), same shape.
    Example:
        >>> F.sigmoid(fastnn.zeros(2)).shape
        (2,)
    """
    return Sigmoid.apply(input)


def tanh(input):
    """tanh(x) elementwise.

    Shape: input (*) -> output (*), same shape.
    Example:
        >>> F.tanh(fastnn.zeros(2)).shape
        (2,)
    """
    return Tanh.apply(input)


def gelu(input, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF (C++ kernel).

    Args:
        approximate: 'none' (erf, default) or 'tanh' (PyTorch's tanh approximation).
    Shape: input (*) -> output (*), same shape.
    Example:
        >>> F.gelu(fastnn.zeros(2)).tolist()
        [0.0, 0.0]
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(input, approximate)


# -- softmax family (C++ kernels) ---------------------------------------------------
class Softmax(Function):
    @staticmethod
    def forward(ctx, x, dim, log):
        out = _C.softmax_forward(x, dim, log)
        ctx.save_for_backward(out)
        ctx.dim, ctx.log = dim, log
        return out

    @staticmethod
    def backward(ctx, grad):
        return _C.softmax_backward(ctx.saved_tensors[0], np.asarray(grad, order="C"), ctx.dim, ctx.log)


def _softmax_dim(x, dim):
    if dim is None:
        raise TypeError("softmax: `dim` must be given (PyTorch's implicit dim choice is deprecated)")
    if x.dtype.kind != "f":
        raise TypeError(f"softmax: expected a floating point tensor, got {x.dtype}")
    return _normalize_dims(dim, x.ndim)[0]


def softmax(input, dim=None):
    """exp(x) / sum(exp(x)) along dim (C++ kernel, the maximum subtracted first).

    Args:
        dim: the dimension whose entries sum to 1 (required).
    Shape: input (*) -> output (*), same shape.
    Example:
        >>> F.softmax(fastnn.zeros(2, 4), dim=1).tolist()[0]
        [0.25, 0.25, 0.25, 0.25]
    """
    return Softmax.apply(input, _softmax_dim(input, dim), False)


def log_softmax(input, dim=None):
    """log(softmax(x)) along dim, computed as x - max - log(sum(exp(x - max))).

    Args:
        dim: the dimension normalised.
    Shape: input (*) -> output (*), same shape.
    Example:
        >>> round(F.log_softmax(fastnn.zeros(1, 2), dim=1).tolist()[0][0], 4)
        -0.6931
    """
    return Softmax.apply(input, _softmax_dim(input, dim), True)


# -- regularisation -----------------------------------------------------------------
def dropout(input, p=0.5, training=True):
    """Zeroes each element with probability p (from fastnn's seeded stream) and scales
    the rest by 1 / (1 - p) when training; returns the input itself otherwise.

    Args:
        p: probability of zeroing (default 0.5).
        training: apply dropout (default True).
    Shape: input (*) -> output (*), same shape.
    Example:
        >>> F.dropout(fastnn.ones(3), 0.5, training=False).tolist()
        [1.0, 1.0, 1.0]
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    keep = _random.generator().random(input.shape) >= p
    scale = input.dtype.type(0.0 if p == 1.0 else 1.0 / (1.0 - p))
    return Mul.apply(input, keep.astype(input.dtype) * scale)
