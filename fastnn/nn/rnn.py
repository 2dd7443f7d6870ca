"""Recurrent layers and cells with PyTorch's parameters, names, gate order and init."""
import math

import numpy as np

from .. import functional as F
from ..ops.rnn import cell_step, recurrent_layer
from ..tensor import Tensor, zeros
from . import init
from .module import Module, Parameter

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _rnn_mode(name, nonlinearity):
    if name != "RNN":
        return name
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    return "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"


class RNNBase(Module):
    """Multi-layer, optionally bidirectional recurrent network over a sequence.

    Shape: input (T, B, input_size) ((B, T, input_size) with batch_first, or
    unbatched (T, input_size)); hidden (num_layers * directions, B, hidden_size).
    Returns output (T, B, directions * hidden_size) and h_n (LSTM: (h_n, c_n)).
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, nonlinearity="tanh", dtype=None):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        if input_size < 1 or hidden_size < 1:
            raise ValueError(f"input_size and hidden_size must be positive, got {input_size}, {hidden_size}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout should be a number in range [0, 1], got {dropout}")
        self.mode = _rnn_mode(mode, nonlinearity)
        self.nonlinearity = nonlinearity
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, dropout, bidirectional
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        gates = _GATES[self.mode] * hidden_size
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.directions
            for suffix in self._suffixes():
                name = f"_l{layer}{suffix}"
                setattr(self, "weight_ih" + name, Parameter._empty((gates, layer_input), dtype))
                setattr(self, "weight_hh" + name, Parameter._empty((gates, hidden_size), dtype))
                if bias:
                    setattr(self, "bias_ih" + name, Parameter._empty(gates, dtype))
                    setattr(self, "bias_hh" + name, Parameter._empty(gates, dtype))
        self.reset_parameters()

    @property
    def directions(self):
        return 2 if self.bidirectional else 1

    def _suffixes(self):
        return ["", "_reverse"] if self.bidirectional else [""]

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _layer_params(self, layer, suffix):
        name = f"_l{layer}{suffix}"
        bias = [getattr(self, "bias_ih" + name), getattr(self, "bias_hh" + name)] if self.bias else [None, None]
        return [getattr(self, "weight_ih" + name), getattr(self, "weight_hh" + name)] + bias

    def _check_input(self, input, hx):
        if input.ndim not in (2, 3):
            raise ValueError(f"{type(self).__name__}: input must be 2-D (unbatched) or 3-D, got shape {input.shape}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: input.size(-1) must be equal to input_size. "
                             f"Expected {self.input_size}, got {input.shape[-1]} (input shape {input.shape})")

    def forward(self, input, hx=None):
        self._check_input(input, hx)
        unbatched = input.ndim == 2
        x = F.unsqueeze(input, 1) if unbatched else (F.transpose(input, 0, 1) if self.batch_first else input)
        batch, states = x.shape[1], self.num_layers * self.directions
        lstm = self.mode == "LSTM"
        h0, c0 = (hx if lstm else (hx, None)) if hx is not None else (None, None)
        expected = (states, batch, self.hidden_size)
        h0, c0 = (self._initial_state(s, expected, unbatched, name)
                  for s, name in ((h0, "hx"), (c0 if lstm else None, "cx")))
        if not lstm:
            c0 = None
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(self._suffixes()):
                k = layer * self.directions + direction
                result = recurrent_layer(x, h0[k], c0[k] if lstm else None, *self._layer_params(layer, suffix),
                                         self.mode, reverse=direction == 1)
                outputs.append(result[0])
                h_n.append(result[1])
                if lstm:
                    c_n.append(result[2])
            x = outputs[0] if len(outputs) == 1 else F.cat(outputs, dim=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        output = F.squeeze(x, 1) if unbatched else (F.transpose(x, 0, 1) if self.batch_first else x)
        h_n = F.stack(h_n)
        if unbatched:
            h_n = F.squeeze(h_n, 1)
        if not lstm:
            return output, h_n
        c_n = F.stack(c_n)
        return output, (h_n, F.squeeze(c_n, 1) if unbatched else c_n)

    def _initial_state(self, state, expected, unbatched, name):
        if state is None:
            return zeros(*expected, dtype=self.weight_hh_l0.dtype)
        state = state if isinstance(state, Tensor) else Tensor(state)
        if unbatched:
            state = F.unsqueeze(state, 1)
        if tuple(state.shape) != expected:
            raise ValueError(f"{type(self).__name__}: expected {name} of shape {expected}, got {state.shape}")
        return state

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.batch_first:
            text += ", batch_first=True"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text



def _layer_doc(name, step, state, extra_args=""):
    """The docstring shared by RNN, LSTM and GRU."""
    out_state = "(h_n, c_n)" if state == "(h_0, c_0)" else "h_n"
    return f"""Multi-layer {name} over a whole sequence, each layer one C++ kernel call: {step}.

    Args:
        input_size, hidden_size: features of each step's input and of the hidden state.
        num_layers: stacked layers (default 1).{extra_args}
        bias: learn b_ih and b_hh (default True).
        batch_first: input and output are (N, L, *) instead of (L, N, *).
        dropout: dropout on each layer's output but the last, in training.
        bidirectional: also run each layer backwards and concatenate (D = 2).
    Shape: input (L, N, input_size) (or unbatched (L, input_size)), optional {state}
        of (D * num_layers, N, hidden_size) -> (output (L, N, D * hidden_size), {out_state}).
        Parameters weight_ih_l{{k}}, weight_hh_l{{k}}, bias_ih_l{{k}}, bias_hh_l{{k}} (+ _reverse), as PyTorch.
    Example:
        >>> output, _ = nn.{name}(8, 16, batch_first=True)(fastnn.zeros(4, 5, 8))
        >>> output.shape
        (4, 5, 16)
    """


def _cell_doc(name, extra_args=""):
    """The docstring shared by RNNCell, LSTMCell and GRUCell."""
    lstm = name == "LSTMCell"
    return f"""One step of the {name[:-4]} (the same C++ kernel as the layers, with one step).

    Args:
        input_size, hidden_size: features of the input and of the hidden state.
        bias: learn b_ih and b_hh (default True).{extra_args}
    Shape: input (N, input_size) or (input_size,), optional state {"(h, c)" if lstm else "h"} each
        (N, hidden_size), or (hidden_size,) for a 1-D input (zeros when omitted) ->
        {"(h', c')" if lstm else "h'"}, shaped like the state.
    Example:
        >>> nn.{name}(8, 16)(fastnn.zeros(4, 8)){"[0]" if lstm else ""}.shape
        (4, 16)
    """


class RNN(RNNBase):
    __doc__ = _layer_doc("RNN", "h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu)", "h_0",
                         "\n        nonlinearity: 'tanh' (default) or 'relu'.")

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=None):
        super().__init__("RNN", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         nonlinearity, dtype)


class LSTM(RNNBase):
    __doc__ = _layer_doc("LSTM", "gates i, f, g, o; c' = f c + i g, h' = o tanh(c')", "(h_0, c_0)")

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype=dtype)


class GRU(RNNBase):
    __doc__ = _layer_doc("GRU", "gates r, z, n (PyTorch's form); h' = (1 - z) n + z h", "h_0")

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype=dtype)


class RNNCellBase(Module):
    """One step: input (B, input_size) or (input_size,), state (B, hidden_size)."""

    def __init__(self, mode, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=None):
        super().__init__()
        self.mode = _rnn_mode(mode, nonlinearity)
        self.nonlinearity = nonlinearity
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        gates = _GATES[self.mode] * hidden_size
        self.weight_ih = Parameter._empty((gates, input_size), dtype)
        self.weight_hh = Parameter._empty((gates, hidden_size), dtype)
        if bias:
            self.bias_ih = Parameter._empty(gates, dtype)
            self.bias_hh = Parameter._empty(gates, dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        bound = 1.0 / math.sqrt(hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def forward(self, input, hx=None):
        shape = input.shape
        if len(shape) not in (1, 2) or shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: input must be (batch, {self.input_size}) or "
                             f"({self.input_size},), got shape {shape}")
        lstm = self.mode == "LSTM"
        state_shape = shape[:-1] + (self.hidden_size,)
        params = self._parameters  # one dict lookup each: this runs once per step of a Python loop
        if hx is None:
            states = [zeros(*state_shape, dtype=params["weight_hh"].dtype)] * (2 if lstm else 1)
        else:
            states = list(hx) if lstm else [hx]
            if len(states) != (2 if lstm else 1):
                raise ValueError(f"{type(self).__name__}: hx must be a pair (h_0, c_0), got {len(states)} items")
        for state, name in zip(states, ("hx", "cx")):
            if state.shape != state_shape:
                raise ValueError(f"{type(self).__name__}: expected {name} of shape {state_shape}, got {state.shape}")
        return cell_step(input, states[0], states[1] if lstm else None, params["weight_ih"], params["weight_hh"],
                         params["bias_ih"], params["bias_hh"], self.mode)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}"


class RNNCell(RNNCellBase):
    __doc__ = _cell_doc("RNNCell", "\n        nonlinearity: 'tanh' (default) or 'relu'.")

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=None):
        super().__init__("RNN", input_size, hidden_size, bias, nonlinearity, dtype)


class LSTMCell(RNNCellBase):
    __doc__ = _cell_doc("LSTMCell")

    def __init__(self, input_size, hidden_size, bias=True, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, dtype=dtype)


class GRUCell(RNNCellBase):
    __doc__ = _cell_doc("GRUCell")

    def __init__(self, input_size, hidden_size, bias=True, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, dtype=dtype)
