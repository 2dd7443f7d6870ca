"""Broadcasting arithmetic: +, -, *, /, ** and casts (NumPy)."""
import numpy as np

from ..autograd import Function
from ..tensor import Tensor

def _binary_operands(a, b):
    """A Python float meeting an integer tensor gives float32, as in PyTorch."""
    if isinstance(b, float) and isinstance(a, Tensor) and a.data.dtype.kind in "biu":
        return cast(a, np.float32), b
    if isinstance(a, float) and isinstance(b, Tensor) and b.data.dtype.kind in "biu":
        return a, cast(b, np.float32)
    return a, b


# -- arithmetic --------------------------------------------------------------------
class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return np.add(a, b)

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        return np.subtract(a, b)

    @staticmethod
    def backward(ctx, grad):
        return grad, -grad if ctx.needs_input_grad[1] else None


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.multiply(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad * b if ctx.needs_input_grad[0] else None,
                grad * a if ctx.needs_input_grad[1] else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.divide(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad / b if ctx.needs_input_grad[0] else None,
                -grad * a / (b * b) if ctx.needs_input_grad[1] else None)


class Pow(Function):
    @staticmethod
    def forward(ctx, base, exponent):
        out = np.power(base, exponent)
        ctx.save_for_backward(base, exponent, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        base, exponent, out = ctx.saved_tensors
        grad_base = grad_exp = None
        if ctx.needs_input_grad[0]:
            grad_base = grad * exponent * np.power(base, np.subtract(exponent, 1))
        if ctx.needs_input_grad[1]:
            grad_exp = grad * out * np.log(base)
        return grad_base, grad_exp


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return np.negative(x)

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Cast(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.astype(ctx.dtype)


def add(a, b):
    return Add.apply(*_binary_operands(a, b))


def sub(a, b):
    return Sub.apply(*_binary_operands(a, b))


def mul(a, b):
    return Mul.apply(*_binary_operands(a, b))


def div(a, b):
    a, b = _binary_operands(a, b)
    if isinstance(a, Tensor) and a.dtype.kind in "biu" and (not isinstance(b, Tensor) or b.dtype.kind in "biu"):
        a = cast(a, np.float32)  # true division of integers gives floats, as in PyTorch
    return Div.apply(a, b)


def pow(base, exponent):
    return Pow.apply(*_binary_operands(base, exponent))


def neg(x):
    return Neg.apply(x)


def cast(x, dtype):
    return Cast.apply(x, np.dtype(dtype))
