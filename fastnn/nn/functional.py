"""fastnn.nn.functional: the differentiable ops, in PyTorch's argument order."""
from ..functional import (cross_entropy, dropout, gelu, linear, log_softmax, mse_loss, nll_loss, relu,
                          sigmoid, softmax, tanh)

__all__ = ["cross_entropy", "dropout", "gelu", "linear", "log_softmax", "mse_loss", "nll_loss", "relu",
           "sigmoid", "softmax", "tanh"]
