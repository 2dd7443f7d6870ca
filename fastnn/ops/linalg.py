"""matmul and linear on the packed GEMM (fastnn._C.gemm)."""
import numpy as np

from .. import _C
from ..autograd import Function, _grad_enabled, sum_to_shape
from ..tensor import Tensor
from .common import _as_tensor

_matmul_2d, _wrap = _C.mm, Tensor._wrap

# -- matmul and linear on the packed GEMM -----------------------------------------
def _batched_operand(x, batch):
    if x.ndim == 2:
        return x  # the kernel broadcasts a 2-D operand over the batch
    x = np.broadcast_to(x, batch + x.shape[-2:])
    return np.ascontiguousarray(x.reshape((-1,) + x.shape[-2:]))


def _mm(a, b, trans_a=False, trans_b=False):
    """op(a) @ op(b) over the last two dims, batch dims broadcast (a, b: ndim >= 2)."""
    if a.ndim == 2 and b.ndim == 2:
        return _C.gemm(a, b, trans_a=trans_a, trans_b=trans_b)
    if b.ndim == 2 and not trans_a:  # fold a's batch into its rows: one large GEMM
        out = _C.gemm(a.reshape(-1, a.shape[-1]), b, trans_b=trans_b)
        return out.reshape(a.shape[:-1] + out.shape[-1:])
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    out = _C.gemm(_batched_operand(a, batch), _batched_operand(b, batch), trans_a=trans_a, trans_b=trans_b)
    return out.reshape(batch + out.shape[-2:])


def _check_matmul_shapes(a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both arguments need at least 1 dimension, got shapes {a.shape} and {b.shape}")
    k_a, k_b = a.shape[-1], b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied ({k_a} != {k_b})")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch dimensions of {a.shape} and {b.shape} do not broadcast") from None


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        if a.ndim == 2 and b.ndim == 2:  # the common case: the kernel checks shapes and dtypes
            return _matmul_2d(a, b)
        _check_matmul_shapes(a, b)
        out = _mm(a[None, :] if a.ndim == 1 else a, b[:, None] if b.ndim == 1 else b)
        ctx.out_shape2 = out.shape
        if a.ndim == 1:
            out = out.reshape(out.shape[:-2] + out.shape[-1:])
        if b.ndim == 1:
            out = out.reshape(out.shape[:-1])
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim != 2 or b.ndim != 2:
            grad = grad.reshape(ctx.out_shape2)
        grad = np.asarray(grad, order="C")
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = sum_to_shape(_mm(grad, b2, trans_b=True), a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            if b2.ndim == 2 and a2.ndim > 2:  # sum over the batch inside one GEMM
                grad_b = _C.gemm(a2.reshape(-1, a2.shape[-1]), grad.reshape(-1, grad.shape[-1]), trans_a=True)
            else:
                grad_b = sum_to_shape(_mm(a2, grad, trans_a=True), b2.shape)
            grad_b = grad_b.reshape(b.shape)
        return grad_a, grad_b


def matmul(a, b):
    """a @ b with NumPy's matmul rules (1-D operands, broadcast batch dimensions), on the GEMM.

    Shape: (*, n, k) @ (*, k, m) -> (*, n, m).
    Example:
        >>> fastnn.matmul(fastnn.ones(2, 3), fastnn.ones(3, 4)).shape
        (2, 4)
    """
    # Two 2-D tensors and no graph to record: straight to the kernel. This is
    # every small product's whole overhead (and Tensor.__matmul__ itself).
    if type(a) is Tensor and type(b) is Tensor and not ((a._requires_grad or b._requires_grad) and _grad_enabled.get()):
        x, y = a.data, b.data
        if x.ndim == 2 and y.ndim == 2:
            return _wrap(_matmul_2d(x, y), True)
    return MatMul.apply(_as_tensor(a), _as_tensor(b))


class Linear(Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        if weight.ndim != 2 or x.ndim < 1 or x.shape[-1] != weight.shape[1]:
            raise ValueError(f"linear: input {x.shape} and weight {weight.shape} do not match "
                             f"(need input[..., in_features] and weight[out_features, in_features])")
        if bias is not None and bias.shape != (weight.shape[0],):
            raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got {bias.shape}")
        x2 = x.reshape(-1, x.shape[-1])
        if bias is None:
            out = _C.gemm(x2, weight, trans_b=True)
        else:  # start from the bias and let the GEMM accumulate onto it
            out = np.empty((x2.shape[0], weight.shape[0]), dtype=np.result_type(x, weight))
            out[...] = bias
            _C.gemm(x2, weight, out, trans_b=True, beta=1.0)
        ctx.save_for_backward(x2, weight)
        ctx.x_shape = x.shape
        return out.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx, grad):
        x2, weight = ctx.saved_tensors
        grad2 = grad.reshape(-1, weight.shape[0])
        grad_x = _C.gemm(grad2, weight).reshape(ctx.x_shape) if ctx.needs_input_grad[0] else None
        grad_w = _C.gemm(grad2, x2, trans_a=True) if ctx.needs_input_grad[1] else None
        grad_b = grad2.sum(axis=0) if ctx.needs_input_grad[2] else None
        return grad_x, grad_w, grad_b


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias, on the GEMM (the bias is the GEMM's starting value).

    Args:
        input: (*, in_features).
        weight: (out_features, in_features).
        bias: (out_features,) or None.
    Shape: output (*, out_features).
    Example:
        >>> F.linear(fastnn.ones(2, 3), fastnn.ones(4, 3)).tolist()[0]
        [3.0, 3.0, 3.0, 3.0]
    """
    return Linear.apply(input, weight, bias)
