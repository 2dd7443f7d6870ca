"""Convolution and pooling layers with PyTorch's parameters and defaults."""
import numpy as np

from .. import functional as F
from ..ops.conv import _pair
from . import init
from .module import Module, Parameter


class Conv2d(Module):
    """2-D convolution over NCHW input.

    Args:
        in_channels, out_channels: channels of input and output.
        kernel_size, stride, padding, dilation: ints or pairs; padding may be 'valid' or 'same'.
        groups: input and output channels are split into this many groups (depthwise: groups = in_channels).
        bias: learn an additive bias (default True).
    Shape: (N, C_in, H, W) -> (N, C_out, H_out, W_out).
    Example:
        >>> conv = nn.Conv2d(3, 32, 3, padding=1); conv(fastnn.randn(8, 3, 32, 32)).shape
        (8, 32, 32, 32)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", dtype=None):
        super().__init__()
        if groups <= 0 or in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: groups={groups} must be positive and divide in_channels={in_channels} "
                             f"and out_channels={out_channels}")
        if padding_mode != "zeros":
            raise ValueError(f"Conv2d: only padding_mode='zeros' is supported, got {padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride, self.dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
        self.padding = padding if isinstance(padding, str) else _pair(padding, "padding")
        self.groups = groups
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        self.weight = Parameter._empty((out_channels, in_channels // groups) + self.kernel_size, dtype)
        if bias:
            self.bias = Parameter._empty(out_channels, dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.default_weight_and_bias_(self.weight, self.bias)

    def forward(self, input):
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class MaxPool2d(Module):
    """Maximum over kernel_size windows of each NCHW plane (C++ kernel).

    Args:
        kernel_size, stride (default kernel_size), padding (implicit -inf), dilation: ints or pairs.
        return_indices: also return the argmax positions (flat in each input plane, as PyTorch).
        ceil_mode: round the output size up, so a last partial window counts.
    Shape: input (N, C, H, W) or (C, H, W) -> output (N, C, H_out, W_out), with
        H_out = floor((H + 2 padding - dilation (kernel - 1) - 1) / stride) + 1 (ceil with ceil_mode).
    Example:
        >>> nn.MaxPool2d(2)(fastnn.zeros(1, 3, 8, 8)).shape
        (1, 3, 4, 4)
    """
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride if stride is not None else kernel_size, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Mean over kernel_size windows of each NCHW plane (C++ kernel).

    Args:
        kernel_size, stride (default kernel_size), padding (zeros): ints or pairs.
        ceil_mode: round the output size up.
        count_include_pad: count padded zeros in the divisor (default True).
        divisor_override: divide by this instead of the window size.
    Shape: input (N, C, H, W) or (C, H, W) -> output (N, C, H_out, W_out), as MaxPool2d.
    Example:
        >>> nn.AvgPool2d(2)(fastnn.ones(1, 1, 4, 4)).tolist()
        [[[[1.0, 1.0], [1.0, 1.0]]]]
    """
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride if stride is not None else kernel_size, padding
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Mean over PyTorch's adaptive cells, giving a fixed output size.

    Args:
        output_size: int or (H_out, W_out).
    Shape: input (N, C, H, W) or (C, H, W) -> output (N, C, H_out, W_out).
    Example:
        >>> nn.AdaptiveAvgPool2d(1)(fastnn.ones(2, 3, 7, 5)).shape
        (2, 3, 1, 1)
    """
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
