"""Modules, layers and losses with PyTorch's names, parameters and defaults."""
from . import functional, init, utils
from .attention import MultiheadAttention
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d
from .layers import (GELU, Dropout, Flatten, Identity, Linear, ReLU, Sigmoid, Softmax, Tanh)
from .loss import CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, ModuleList, Parameter, Sequential
from .normalization import Embedding, LayerNorm
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
