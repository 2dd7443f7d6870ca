"""One recurrent layer in one direction over a whole sequence, on the C++ kernel."""
import numpy as np

from .. import _C
from ..autograd import Function


class RecurrentLayer(Function):
    """(x (T, B, I), h0, c0 or None, w_ih, w_hh, b_ih, b_hh) -> (output (T, B, H), h_n[, c_n])."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, mode, reverse):
        y, h_n, c_n, gates, saved = _C.rnn_forward(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, y, gates, saved)
        ctx.mode, ctx.reverse, ctx.bias = mode, reverse, b_ih is not None
        return (y, h_n, c_n) if mode == "LSTM" else (y, h_n)

    @staticmethod
    def backward(ctx, grad_y, grad_h, grad_c=None):
        x, h0, c0, w_ih, w_hh, y, gates, saved = ctx.saved_tensors
        contiguous = [None if g is None else np.asarray(g, order="C") for g in (grad_y, grad_h, grad_c)]
        dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh = _C.rnn_backward(
            ctx.mode, x, h0, c0, w_ih, w_hh, y, gates, saved, *contiguous, ctx.reverse, ctx.bias)
        return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh


def recurrent_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mode, reverse=False):
    return RecurrentLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mode, reverse)
