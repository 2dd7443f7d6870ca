"""Convolution and pooling on the C++ kernels."""
import numbers

import numpy as np

from .. import _C
from ..autograd import Function
from ..tensor import Tensor
from .shape import squeeze, unsqueeze

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
    """2-D convolution over NCHW input, on the packed GEMM (C++ kernel).

    float32 3x3 stride-1 convolutions with at least 16 input and 32 output
    channels run by Winograd's F(4x4, 3x3), about 2x faster; their error is
    about 10-20x the direct sum's (a few 1e-6 relative). float64 is always
    summed directly.

    Args:
        input: (N, C_in, H, W) or unbatched (C_in, H, W).
        weight: (C_out, C_in / groups, kH, kW).
        bias: (C_out,) or None.
        stride, dilation: ints or pairs.
        padding: int, pair, 'same' or 'valid' (zeros).
        groups: input and output channels split into this many independent groups.
    Shape: output (N, C_out, H_out, W_out), H_out = floor((H + 2 padding - dilation (kH - 1) - 1) / stride) + 1.
    Example:
        >>> F.conv2d(fastnn.zeros(1, 3, 8, 8), fastnn.zeros(4, 3, 3, 3), padding=1).shape
        (1, 4, 8, 8)
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
        ctx.args = (kernel, stride, padding, dilation, ceil_mode)
        # Without return_indices, 2x2 windows keep a byte per window (their offset in it), not an int64.
        out, indices = _C.max_pool2d_forward(x, *ctx.args, window_offsets=indices_out is None)
        ctx.indices, ctx.shape = indices, list(x.shape)
        if indices_out is not None:
            indices_out.append(indices)  # for return_indices, with or without a graph
        return out

    @staticmethod
    def backward(ctx, grad):
        return _C.max_pool2d_backward(np.asarray(grad, order="C"), ctx.indices, ctx.shape, *ctx.args)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Maximum over windows of each NCHW plane (C++ kernel); see nn.MaxPool2d.

    Args:
        kernel_size, stride (default kernel_size), padding, dilation: ints or pairs.
        ceil_mode: round the output size up.
        return_indices: also return the argmax positions (flat in each input plane).
    Shape: input (N, C, H, W) or (C, H, W) -> output (N, C, H_out, W_out).
    Example:
        >>> F.max_pool2d(fastnn.zeros(1, 1, 4, 4), 2).shape
        (1, 1, 2, 2)
    """
    x, unbatched = _as_batched(input, "max_pool2d")
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or stride == [] else _pair(stride, "stride")
    indices = [] if return_indices else None
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
    """Mean over windows of each NCHW plane (C++ kernel); see nn.AvgPool2d.

    Args:
        kernel_size, stride (default kernel_size), padding: ints or pairs.
        ceil_mode, count_include_pad (default True), divisor_override: as PyTorch.
    Shape: input (N, C, H, W) or (C, H, W) -> output (N, C, H_out, W_out).
    Example:
        >>> F.avg_pool2d(fastnn.ones(1, 1, 4, 4), 2).tolist()
        [[[[1.0, 1.0], [1.0, 1.0]]]]
    """
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
    """Mean over PyTorch's adaptive cells, giving output_size (int or pair).

    Shape: input (N, C, H, W) or (C, H, W) -> output (N, C, *output_size).
    Example:
        >>> F.adaptive_avg_pool2d(fastnn.ones(2, 3, 7, 7), (2, 3)).shape
        (2, 3, 2, 3)
    """
    x, unbatched = _as_batched(input, "adaptive_avg_pool2d")
    size = (output_size, output_size) if isinstance(output_size, numbers.Integral) else tuple(output_size)
    if len(size) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got {output_size}")
    size = tuple(x.shape[2 + i] if s is None else int(s) for i, s in enumerate(size))
    out = AdaptiveAvgPool2d.apply(x, size)
    return squeeze(out, 0) if unbatched else out
