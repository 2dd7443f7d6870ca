"""The recurrent-layer kernels: the NumPy cell reference against finite differences,
the C++ sequence forward against the reference loop, and the C++ backward
through time against finite differences in float64, on every ISA."""
import numpy as np
import pytest

from fastnn import _C, reference
from helpers import numeric_grad, rng

pytestmark = pytest.mark.kernel

MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _layer(mode, T=5, B=3, I=4, H=6, seed=0, dtype=np.float64):
    g = rng(seed)
    G = GATES[mode] * H
    arrays = dict(x=g.standard_normal((T, B, I)), h0=g.standard_normal((B, H)) * 0.5,
                  c0=g.standard_normal((B, H)) * 0.5 if mode == "LSTM" else None,
                  w_ih=g.standard_normal((G, I)) * 0.4, w_hh=g.standard_normal((G, H)) * 0.4,
                  b_ih=g.standard_normal(G) * 0.1, b_hh=g.standard_normal(G) * 0.1)
    return {k: None if v is None else v.astype(dtype) for k, v in arrays.items()}


@pytest.mark.parametrize("mode", MODES)
def test_reference_cell_backward_matches_finite_differences(mode):
    p = _layer(mode, T=1)
    x, h, c = p["x"][0], p["h0"], p["c0"]
    g = rng(5)
    grad_h = g.standard_normal(h.shape)
    grad_c = g.standard_normal(h.shape) if mode == "LSTM" else None
    args = [x, h, c, p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"]]

    def objective(i):
        def f(value):
            call = list(args)
            call[i] = value
            h_new, c_new = reference.rnn_cell(mode, *call)
            return float((h_new * grad_h).sum() + (0 if c_new is None else (c_new * grad_c).sum()))
        return f

    grads = reference.rnn_cell_backward(mode, *args, grad_h, grad_c)
    for i, analytic in enumerate(grads):
        if args[i] is None:
            continue
        np.testing.assert_allclose(analytic, numeric_grad(objective(i), args[i]), atol=1e-7, rtol=1e-6,
                                   err_msg=f"argument {i}")


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_forward_matches_reference(each_isa, mode, reverse):
    p = _layer(mode)
    y, h_n, c_n, _, _ = _C.rnn_forward(mode, p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"],
                                        reverse)
    ry, rh, rc = reference.rnn_layer(mode, p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"],
                                     reverse)
    np.testing.assert_allclose(y, ry, atol=1e-12)
    np.testing.assert_allclose(h_n, rh, atol=1e-12)
    if mode == "LSTM":
        np.testing.assert_allclose(c_n, rc, atol=1e-12)
    p32 = {k: None if v is None else v.astype(np.float32) for k, v in p.items()}
    y32 = _C.rnn_forward(mode, p32["x"], p32["h0"], p32["c0"], p32["w_ih"], p32["w_hh"], p32["b_ih"], p32["b_hh"],
                         reverse)[0]
    np.testing.assert_allclose(y32, ry, atol=2e-5)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_forward_projects_the_input_in_chunks(each_isa, mode, reverse):
    # 7 steps of 160 x 4H pre-activations pass the kernel's 512 KiB chunk of
    # input projections: the steps are projected a few at a time.
    p = _layer(mode, T=7, B=160, I=5, H=64, seed=4)
    y, h_n, *_ = _C.rnn_forward(mode, p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"], reverse)
    ry, rh, _ = reference.rnn_layer(mode, p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"],
                                    reverse)
    np.testing.assert_allclose(y, ry, atol=1e-12)
    np.testing.assert_allclose(h_n, rh, atol=1e-12)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_backward_through_time_matches_finite_differences(each_isa, mode, reverse):
    p = _layer(mode, T=4, B=2, I=3, H=4, seed=1)
    g = rng(7)
    dy = g.standard_normal((4, 2, 4))
    dh_n = g.standard_normal((2, 4))
    dc_n = g.standard_normal((2, 4)) if mode == "LSTM" else None
    names = ["x", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh"]

    def run(values):
        return _C.rnn_forward(mode, *[values[n] for n in names], reverse)

    def objective(name):
        def f(value):
            values = dict(p, **{name: value})
            y, h_n, c_n, _, _ = run(values)
            return float((y * dy).sum() + (h_n * dh_n).sum() + (0 if c_n is None else (c_n * dc_n).sum()))
        return f

    y, _, _, gates, saved = run(p)
    dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh = _C.rnn_backward(
        mode, p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"], y, gates, saved, dy, dh_n, dc_n, reverse, True)
    analytic = dict(x=dx, h0=dh0, c0=dc0, w_ih=dw_ih, w_hh=dw_hh, b_ih=db_ih, b_hh=db_hh)
    for name in names:
        if p[name] is None:
            continue
        np.testing.assert_allclose(analytic[name], numeric_grad(objective(name), p[name]), atol=1e-7, rtol=1e-6,
                                   err_msg=name)


@pytest.mark.parametrize("H", [64, 50])  # whole 16-unit blocks per thread or not
@pytest.mark.parametrize("mode", MODES)
def test_bitwise_equal_for_any_thread_count(each_isa, threads, mode, H):
    p = _layer(mode, T=12, B=40, I=70, H=H, seed=2, dtype=np.float32)
    dy = np.cos(np.arange(12 * 40 * H, dtype=np.float32)).reshape(12, 40, H)
    results = []
    for n in (1, 2, 3):
        threads(n)
        y, h_n, c_n, gates, saved = _C.rnn_forward(mode, p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"], p["b_ih"],
                                                    p["b_hh"], False)
        grads = _C.rnn_backward(mode, p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"], y, gates, saved, dy, None,
                                None, False, True)
        results.append([y, h_n] + [g for g in grads if g is not None])
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert np.array_equal(a, b)


@pytest.mark.parametrize("T", [1, 5])
@pytest.mark.parametrize("mode", MODES)
def test_forward_without_gates_for_backward(threads, mode, T):
    p = _layer(mode, T=T, B=9, I=30, H=40, seed=4, dtype=np.float32)
    args = (mode, p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"], True)
    for n in (1, 2):
        threads(n)
        kept = _C.rnn_forward(*args)
        y, h_n, c_n, gates, saved = _C.rnn_forward(*args, keep_gates=False)
        assert gates is None
        for a, b in zip((y, h_n, c_n), kept[:3]):
            np.testing.assert_array_equal(a, b)
        if mode in ("LSTM", "GRU"):  # the states a backward would need (an RNN keeps none)
            np.testing.assert_array_equal(saved, kept[4])


def test_empty_sequence_and_no_bias():
    p = _layer("LSTM", T=0)
    y, h_n, c_n, _, _ = _C.rnn_forward("LSTM", p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"], None, None)
    assert y.shape == (0, 3, 6)
    np.testing.assert_array_equal(h_n, p["h0"])
    np.testing.assert_array_equal(c_n, p["c0"])
    q = _layer("GRU")
    y, *_ = _C.rnn_forward("GRU", q["x"], q["h0"], None, q["w_ih"], q["w_hh"], None, None)
    ry, _, _ = reference.rnn_layer("GRU", q["x"], q["h0"], None, q["w_ih"], q["w_hh"], 0.0, 0.0)
    np.testing.assert_allclose(y, ry, atol=1e-12)


class TestBadInput:
    def test_shapes_are_checked(self):
        p = _layer("LSTM")
        with pytest.raises(ValueError, match=r"weight_ih must have shape \(24, 4\)"):
            _C.rnn_forward("LSTM", p["x"], p["h0"], p["c0"], p["w_ih"][:, :3].copy(), p["w_hh"], None, None)
        with pytest.raises(ValueError, match=r"hx must have 2 dimensions"):
            _C.rnn_forward("LSTM", p["x"], p["h0"][0], p["c0"], p["w_ih"], p["w_hh"], None, None)
        with pytest.raises(ValueError, match="cx"):
            _C.rnn_forward("LSTM", p["x"], p["h0"], None, p["w_ih"], p["w_hh"], None, None)
        with pytest.raises(ValueError, match="input must have 3 dimensions"):
            _C.rnn_forward("LSTM", p["x"][0], p["h0"], p["c0"], p["w_ih"], p["w_hh"], None, None)
        with pytest.raises(ValueError, match="mode"):
            _C.rnn_forward("LSTMX", p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"], None, None)
        with pytest.raises(TypeError, match="same dtype"):
            _C.rnn_forward("LSTM", p["x"], p["h0"].astype(np.float32), p["c0"], p["w_ih"], p["w_hh"], None, None)


def test_float32_gates_are_accurate_and_propagate_nan():
    """float32 uses fastnn's own vectorisable exp: close to libm, exact at the
    saturated ends, NaN in -> NaN out."""
    x = np.concatenate([np.linspace(-100, 100, 20001), [np.nan, np.inf, -np.inf]]).astype(np.float32)
    one, zero = np.ones((1, 1), np.float32), np.zeros((1, 1), np.float32)
    h = _C.rnn_forward("RNN_TANH", x.reshape(1, -1, 1), np.zeros((x.size, 1), np.float32), None, one, zero, None,
                       None)[0].ravel()
    np.testing.assert_allclose(h[:-3], np.tanh(x[:-3].astype(np.float64)), atol=3e-7)
    assert np.isnan(h[-3]) and h[-2] == 1.0 and h[-1] == -1.0


@pytest.mark.parametrize("mode", MODES)
def test_reference_layer_backward_matches_the_kernel(mode):
    p = _layer(mode, T=4, B=2, I=3, H=4, seed=3)
    dy = rng(8).standard_normal((4, 2, 4))
    y, _, _, gates, saved = _C.rnn_forward(mode, p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"], p["b_ih"],
                                            p["b_hh"], True)
    ours = _C.rnn_backward(mode, p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"], y, gates, saved, dy, None, None,
                           True, True)
    ref = reference.rnn_layer_backward(mode, p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"],
                                       dy, reverse=True)
    for a, b in zip(ours, ref):
        if a is not None:
            np.testing.assert_allclose(a, b, atol=1e-12)
