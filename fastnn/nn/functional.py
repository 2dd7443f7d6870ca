"""fastnn.nn.functional: the differentiable ops, in PyTorch's argument order."""
from ..functional import (adaptive_avg_pool2d, avg_pool2d, conv2d, cross_entropy, dropout, embedding, gelu,
                          layer_norm, linear, log_softmax, max_pool2d, mse_loss, nll_loss, relu,
                          scaled_dot_product_attention, sigmoid, softmax, tanh)

__all__ = ["adaptive_avg_pool2d", "avg_pool2d", "conv2d", "cross_entropy", "dropout", "embedding", "gelu",
           "layer_norm", "linear", "log_softmax", "max_pool2d", "mse_loss", "nll_loss", "relu",
           "scaled_dot_product_attention", "sigmoid", "softmax", "tanh"]
