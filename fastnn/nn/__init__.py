"""Modules, layers and losses with PyTorch's names, parameters and defaults."""
from . import functional, init
from .layers import (GELU, Dropout, Flatten, Identity, Linear, ReLU, Sigmoid, Softmax, Tanh)
from .loss import CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, ModuleList, Parameter, Sequential
