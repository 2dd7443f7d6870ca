"""Differentiable ops: each is one Function with forward and backward side by side.

Elementwise and shape ops use NumPy; the hot kernels (GEMM, GELU) go through
fastnn._C. Every forward returns a new C-contiguous array.
"""
import builtins
import collections
import numbers

import numpy as np

from . import _C
from . import random as _random
from .autograd import Function, sum_to_shape
from .tensor import Tensor

ReductionResult = collections.namedtuple("ReductionResult", ["values", "indices"])


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _normalize_dims(dim, ndim):
    """None -> all dims; int or sequence -> a tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    out = []
    for d in dims:
        if not -builtins.max(ndim, 1) <= d < builtins.max(ndim, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-builtins.max(ndim, 1)}, {builtins.max(ndim, 1) - 1}], but got {d})")
        out.append(d % builtins.max(ndim, 1))
    return tuple(out)


def _binary_operands(a, b):
    """A Python float meeting an integer tensor gives float32, as in PyTorch."""
    def floated(x, other):
        if isinstance(x, Tensor) and x.dtype.kind in "biu" and isinstance(other, float):
            return cast(x, np.float32)
        return x
    return floated(a, b), floated(b, a)


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
            return _C.gemm(a, b)
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
    """y = input @ weight.T + bias.

    Shape: input (*, in_features), weight (out_features, in_features),
    bias (out_features,), output (*, out_features).
    """
    return Linear.apply(input, weight, bias)


# -- reductions ------------------------------------------------------------------
class Sum(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim, mean):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        out = np.sum(x, axis=dims, keepdims=keepdim)
        ctx.scale = 1.0
        if mean:
            count = int(np.prod([x.shape[d] for d in dims]))
            ctx.scale = 1.0 / count if count else float("nan")
            out = np.divide(out, count) if count else np.full_like(out, np.nan, dtype=out.dtype)
        return out

    @staticmethod
    def backward(ctx, grad):
        if not ctx.keepdim:
            grad = np.expand_dims(grad, ctx.dims)
        return np.broadcast_to(grad * grad.dtype.type(ctx.scale), ctx.shape).copy()


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
        np.add.at(full, ctx.index, grad)  # repeated indices accumulate
        return full


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
    tensors = _check_sequence(tensors, "cat")
    dim = _normalize_dims(dim, tensors[0].ndim)[0]
    shapes = [t.shape for t in tensors]
    if builtins.any(len(s) != len(shapes[0]) or s[:dim] + s[dim + 1:] != shapes[0][:dim] + shapes[0][dim + 1:]
                    for s in shapes):
        raise ValueError(f"cat: tensors must match in every dim except {dim}, got shapes {shapes}")
    return Cat.apply(*tensors, dim=dim)


def stack(tensors, dim=0):
    tensors = _check_sequence(tensors, "stack")
    shapes = [t.shape for t in tensors]
    if builtins.any(s != shapes[0] for s in shapes):
        raise ValueError(f"stack expects each tensor to be equal size, got shapes {shapes}")
    dim = _normalize_dims(dim, tensors[0].ndim + 1)[0]
    return Stack.apply(*tensors, dim=dim)


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
    return ReLU.apply(input)


def sigmoid(input):
    return Sigmoid.apply(input)


def tanh(input):
    return Tanh.apply(input)


def gelu(input, approximate="none"):
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
    return Softmax.apply(input, _softmax_dim(input, dim), False)


def log_softmax(input, dim=None):
    return Softmax.apply(input, _softmax_dim(input, dim), True)


# -- convolution and pooling (C++ kernels) -------------------------------------------
def _pair(value, name):
    if isinstance(value, numbers.Integral):
        return (int(value), int(value))
    value = tuple(value)
    if len(value) != 2 or not all(isinstance(v, numbers.Integral) for v in value):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value}")
    return (int(value[0]), int(value[1]))


def _conv_padding(padding, kernel, stride, dilation):
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        if any(t % 2 for t in totals):
            raise ValueError(f"padding='same' with kernel {kernel} and dilation {dilation} needs uneven padding, "
                             "which fastnn does not support; pad the input explicitly")
        return (totals[0] // 2, totals[1] // 2)
    if isinstance(padding, str):
        raise ValueError(f"padding must be 'valid', 'same', an int or a pair, got {padding!r}")
    return _pair(padding, "padding")


class Conv2d(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        ctx.save_for_backward(x, weight)
        ctx.params = (stride, padding, dilation, groups)
        ctx.has_bias = bias is not None
        return _C.conv2d_forward(x, weight, bias, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        grad = np.asarray(grad, order="C")
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = _C.conv2d_backward_input(grad, weight, list(x.shape), *ctx.params)
        if ctx.needs_input_grad[1] or (ctx.has_bias and ctx.needs_input_grad[2]):
            grad_w, grad_b = _C.conv2d_backward_weight(x, grad, list(weight.shape), *ctx.params, ctx.has_bias)
        return grad_x, grad_w, grad_b


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over NCHW input.

    Shape: input (N, C, H, W), weight (O, C / groups, KH, KW), bias (O,),
    output (N, O, OH, OW). padding: int, pair, 'valid' or 'same' (stride 1).
    """
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    if input.ndim != 4:
        raise ValueError(f"conv2d: input must be 4-D (N, C, H, W), got shape {input.shape}")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be 4-D (O, C/groups, KH, KW), got shape {weight.shape}")
    padding = _conv_padding(padding, weight.shape[2:], stride, dilation)
    return Conv2d.apply(input, weight, bias, stride, padding, dilation, int(groups))


def _as_batched(input, fn):
    """Pooling takes (N, C, H, W) or unbatched (C, H, W) input, as in PyTorch."""
    if input.ndim == 3:
        return unsqueeze(input, 0), True
    if input.ndim != 4:
        raise ValueError(f"{fn}: input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape {input.shape}")
    return input, False


class MaxPool2d(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, ceil_mode, indices_out):
        out, indices = _C.max_pool2d_forward(x, kernel, stride, padding, dilation, ceil_mode)
        ctx.indices, ctx.shape = indices, list(x.shape)
        indices_out.append(indices)  # for return_indices, with or without a graph
        return out

    @staticmethod
    def backward(ctx, grad):
        return _C.max_pool2d_backward(np.asarray(grad, order="C"), ctx.indices, ctx.shape)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    x, unbatched = _as_batched(input, "max_pool2d")
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or stride == [] else _pair(stride, "stride")
    indices = []
    out = MaxPool2d.apply(x, kernel, stride, _pair(padding, "padding"), _pair(dilation, "dilation"), bool(ceil_mode),
                          indices)
    if not return_indices:
        return squeeze(out, 0) if unbatched else out
    indices = Tensor._wrap(indices[0][0] if unbatched else indices[0])
    return (squeeze(out, 0) if unbatched else out), indices


class AvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor):
        ctx.args = (kernel, stride, padding, ceil_mode, count_include_pad, divisor)
        ctx.shape = list(x.shape)
        return _C.avg_pool2d_forward(x, *ctx.args)

    @staticmethod
    def backward(ctx, grad):
        return _C.avg_pool2d_backward(np.asarray(grad, order="C"), ctx.shape, *ctx.args)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    x, unbatched = _as_batched(input, "avg_pool2d")
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or stride == [] else _pair(stride, "stride")
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"avg_pool2d: divisor_override must be positive, got {divisor_override}")
    out = AvgPool2d.apply(x, kernel, stride, _pair(padding, "padding"), bool(ceil_mode), bool(count_include_pad),
                          int(divisor_override or 0))
    return squeeze(out, 0) if unbatched else out


class AdaptiveAvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, output_size):
        ctx.shape = list(x.shape)
        return _C.adaptive_avg_pool2d_forward(x, output_size)

    @staticmethod
    def backward(ctx, grad):
        return _C.adaptive_avg_pool2d_backward(np.asarray(grad, order="C"), ctx.shape)


def adaptive_avg_pool2d(input, output_size):
    x, unbatched = _as_batched(input, "adaptive_avg_pool2d")
    size = (output_size, output_size) if isinstance(output_size, numbers.Integral) else tuple(output_size)
    if len(size) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got {output_size}")
    size = tuple(x.shape[2 + i] if s is None else int(s) for i, s in enumerate(size))
    out = AdaptiveAvgPool2d.apply(x, size)
    return squeeze(out, 0) if unbatched else out


# -- regularisation -----------------------------------------------------------------
def dropout(input, p=0.5, training=True):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    keep = _random.generator().random(input.shape) >= p
    scale = input.dtype.type(0.0 if p == 1.0 else 1.0 / (1.0 - p))
    return Mul.apply(input, keep.astype(input.dtype) * scale)


# -- losses ---------------------------------------------------------------------------
_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def mse_loss(input, target, reduction="mean"):
    _check_reduction(reduction)
    if input.shape != _as_tensor(target).shape:
        raise ValueError(f"mse_loss: input {input.shape} and target {_as_tensor(target).shape} must have the same shape")
    squared = (input - target) ** 2
    if reduction == "none":
        return squared
    return squared.sum() if reduction == "sum" else squared.mean()


def _class_targets(input, target, fn):
    """Validates class-index targets; returns (log-probs as (M, C) rows, targets as (M,)).

    input: (C,), (N, C) or (N, C, d1, ...); target: (), (N,) or (N, d1, ...).
    """
    target = np.asarray(_data(target))
    if target.dtype.kind not in "iu":
        raise TypeError(f"{fn}: target must hold integer class indices, got dtype {target.dtype} "
                        f"(class-probability targets are not supported)")
    if input.ndim == 0:
        raise ValueError(f"{fn}: input must have a class dimension, got shape {input.shape}")
    expected = input.shape[:1] + input.shape[2:] if input.ndim >= 2 else ()
    if target.shape != expected:
        raise ValueError(f"{fn}: input {input.shape} needs target of shape {expected}, got {target.shape}")
    rows = input if input.ndim <= 2 else flatten(transpose(flatten(input, 2), 1, 2), 0, 1)
    return reshape(rows, (-1, input.shape[0 if input.ndim == 1 else 1])), target.reshape(-1)


class NLLLoss(Function):
    @staticmethod
    def forward(ctx, log_probs, target, weight, ignore_index, reduction):
        n, classes = log_probs.shape
        valid = target != ignore_index
        safe = np.where(valid, target, 0)
        if np.any(valid & ((target < 0) | (target >= classes))):
            bad = target[valid & ((target < 0) | (target >= classes))][0]
            raise IndexError(f"Target {bad} is out of bounds for {classes} classes")
        w = (weight[safe] if weight is not None else np.ones(n, log_probs.dtype)) * valid
        w = w.astype(log_probs.dtype, copy=False)
        losses = -log_probs[np.arange(n), safe] * w
        ctx.rows, ctx.safe, ctx.shape, ctx.reduction = np.arange(n), safe, log_probs.shape, reduction
        if reduction == "none":
            ctx.w = w
            return losses
        if reduction == "sum":
            ctx.w = w
            return np.asarray(losses.sum())
        total = w.sum()
        ctx.w = w / total
        return np.asarray(losses.sum() / total)

    @staticmethod
    def backward(ctx, grad):
        full = np.zeros(ctx.shape, dtype=grad.dtype)
        full[ctx.rows, ctx.safe] = -ctx.w * grad
        return full


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    _check_reduction(reduction)
    rows, flat_target = _class_targets(input, target, "nll_loss")
    weight = _checked_weight(weight, rows.shape[1], "nll_loss")
    loss = NLLLoss.apply(rows, flat_target, weight, ignore_index, reduction)
    return reshape(loss, np.asarray(_data(target)).shape) if reduction == "none" else loss


def _checked_weight(weight, classes, fn):
    if weight is None:
        return None
    weight = np.asarray(_data(weight))
    if weight.shape != (classes,):
        raise ValueError(f"{fn}: weight must have shape ({classes},), got {weight.shape}")
    return weight


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Log-softmax over the class dim (dim 1, or 0 for 1-D input) then NLL,
    with PyTorch's weighting, ignore_index and label smoothing."""
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    rows, flat_target = _class_targets(input, target, "cross_entropy")
    classes = rows.shape[1]
    weight = _checked_weight(weight, classes, "cross_entropy")
    log_probs = log_softmax(rows, dim=1)
    loss = NLLLoss.apply(log_probs, flat_target, weight, ignore_index, reduction)
    if label_smoothing > 0.0:
        valid = flat_target != ignore_index
        per_class = log_probs if weight is None else log_probs * weight.astype(rows.dtype)
        smooth = -sum(per_class, dim=1) * valid.astype(rows.dtype)
        if reduction == "sum":
            smooth = sum(smooth)
        elif reduction == "mean":
            norm = weight[flat_target[valid]].sum() if weight is not None else valid.sum()
            smooth = sum(smooth) / rows.dtype.type(norm)
        loss = loss * (1.0 - label_smoothing) + smooth * (label_smoothing / classes)
    return reshape(loss, np.asarray(_data(target)).shape) if reduction == "none" else loss
