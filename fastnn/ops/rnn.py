"""One recurrent layer in one direction over a whole sequence, on the C++ kernel."""
import numpy as np

from .. import _C
from ..autograd import Function


class RecurrentLayer(Function):
    """(x (T, B, I), h0, c0 or None, w_ih, w_hh, b_ih, b_hh) -> (output (T, B, H), h_n[, c_n])."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, mode, reverse):
        y, h_n, c_n, gates, saved = _C.rnn_forward(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse,
                                                   keep_gates=ctx.recorded)
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, y, gates, saved)
        ctx.mode, ctx.reverse, ctx.bias = mode, reverse, b_ih is not None
        return (y, h_n, c_n) if mode == "LSTM" else (y, h_n)

    @staticmethod
    def backward(ctx, grad_y, grad_h, grad_c=None):
        return _backward(ctx, grad_y, grad_h, grad_c)


def _backward(ctx, grad_y, grad_h, grad_c):
    x, h0, c0, w_ih, w_hh, y, gates, saved = ctx.saved_tensors
    contiguous = [None if g is None else np.asarray(g, order="C") for g in (grad_y, grad_h, grad_c)]
    return _C.rnn_backward(ctx.mode, x, h0, c0, w_ih, w_hh, y, gates, saved, *contiguous, ctx.reverse, ctx.bias)


def recurrent_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mode, reverse=False):
    return RecurrentLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mode, reverse)


class CellStep(Function):
    """One step of a cell, the layer's kernel at T = 1: (x (B, I) or (I,), h (B, H)
    or (H,), c or None, w_ih, w_hh, b_ih, b_hh) -> h'[, c'], shaped like h. One
    Function for the whole step, as a cell is called once per step in a Python loop."""

    @staticmethod
    def forward(ctx, x, h, c, w_ih, w_hh, b_ih, b_hh, mode):
        ctx.x_shape, ctx.h_shape = x.shape, h.shape
        x = x.reshape(1, -1, x.shape[-1])
        states = (h, c) if h.ndim == 2 else (h.reshape(1, -1), None if c is None else c.reshape(1, -1))
        y, h_n, c_n, gates, saved = _C.rnn_forward(mode, x, *states, w_ih, w_hh, b_ih, b_hh, False,
                                                   keep_gates=ctx.recorded)
        ctx.save_for_backward(x, *states, w_ih, w_hh, y, gates, saved)
        ctx.mode, ctx.reverse, ctx.bias = mode, False, b_ih is not None
        if h.ndim == 1:
            h_n, c_n = h_n.reshape(-1), None if c_n is None else c_n.reshape(-1)
        return (h_n, c_n) if mode == "LSTM" else h_n

    @staticmethod
    def backward(ctx, grad_h, grad_c=None):
        # h' is the step's output as well as its final state: its gradient goes in as the output's
        output = ctx.saved_tensors[5]
        grad_y = np.zeros_like(output) if grad_h is None else grad_h.reshape(output.shape)
        grad_c = None if grad_c is None else grad_c.reshape(output.shape[1:])
        dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh = _backward(ctx, grad_y, None, grad_c)
        return (dx.reshape(ctx.x_shape), dh.reshape(ctx.h_shape), None if dc is None else dc.reshape(ctx.h_shape),
                dw_ih, dw_hh, db_ih, db_hh)


def cell_step(x, h, c, w_ih, w_hh, b_ih, b_hh, mode):
    return CellStep.apply(x, h, c, w_ih, w_hh, b_ih, b_hh, mode)
