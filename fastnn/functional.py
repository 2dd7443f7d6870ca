"""Differentiable ops: each is one Function with forward and backward side by side.

The ops live in fastnn/ops/, one module per family; this module gathers their
public names (fastnn.nn.functional re-exports the neural-network ones).
Elementwise and shape ops use NumPy; the hot kernels (GEMM, convolution,
pooling, softmax, ReLU, GELU, recurrent layers, attention) go through fastnn._C.
"""
from .ops.activation import (abs, clamp, dropout, exp, gelu, log, log_softmax, relu, sigmoid, softmax, sqrt,
                             tanh)
from .ops.arithmetic import add, cast, div, mul, neg, pow, sub
from .ops.attention import scaled_dot_product_attention
from .ops.conv import adaptive_avg_pool2d, avg_pool2d, conv2d, max_pool2d
from .ops.linalg import linear, matmul
from .ops.loss import cross_entropy, mse_loss, nll_loss
from .ops.normalization import embedding, layer_norm
from .ops.reduce import ReductionResult, argmax, argmin, gather, max, mean, min, sum
from .ops.shape import (as_index, cat, expand, flatten, index, permute, reshape, squeeze, stack, transpose,
                        unsqueeze)

__all__ = ["abs", "adaptive_avg_pool2d", "add", "argmax", "argmin", "as_index", "avg_pool2d", "cast", "cat",
           "clamp", "conv2d", "cross_entropy", "div", "dropout", "embedding", "exp", "expand", "flatten", "gather", "gelu",
           "index", "layer_norm", "linear", "log", "log_softmax", "matmul", "max", "max_pool2d", "mean", "min", "mse_loss",
           "mul", "neg", "nll_loss", "permute", "pow", "ReductionResult", "relu", "reshape", "scaled_dot_product_attention", "sigmoid", "softmax",
           "sqrt", "squeeze", "stack", "sub", "sum", "tanh", "transpose", "unsqueeze"]
