"""nn.RNN / LSTM / GRU and the cells: PyTorch's parameters and outputs, float64
gradcheck through the layers, bad input."""
import numpy as np
import pytest

import fastnn
from fastnn import nn
from helpers import gradcheck, rng

LAYERS = [(nn.LSTM, {}), (nn.GRU, {}), (nn.RNN, {}), (nn.RNN, {"nonlinearity": "relu"})]


@pytest.mark.parametrize("cls,extra", LAYERS)
def test_gradcheck_through_a_two_layer_bidirectional_layer(cls, extra):
    fastnn.manual_seed(0)
    layer = cls(3, 4, num_layers=2, bidirectional=True, dtype=np.float64, **extra)
    x = rng(1).standard_normal((5, 2, 3))
    gradcheck(lambda inp: layer(inp)[0], [x])
    for name in ("weight_ih_l0", "weight_hh_l1_reverse", "bias_hh_l1"):
        weight = getattr(layer, name).detach().numpy().copy()
        gradcheck(lambda w, name=name: _with_param(layer, name, w, x), [weight])


def _with_param(layer, name, weight, x):
    """The layer's output as a function of one parameter (a Tensor in the graph)."""
    original = getattr(layer, name)
    object.__getattribute__(layer, "_parameters")[name] = weight
    try:
        return layer(fastnn.tensor(x))[0]
    finally:
        object.__getattribute__(layer, "_parameters")[name] = original


def test_cells_match_one_step_of_the_layer():
    fastnn.manual_seed(0)
    cell = nn.LSTMCell(3, 5)
    layer = nn.LSTM(3, 5)
    layer.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    x = fastnn.randn(4, 3)
    h, c = cell(x)
    out, (h_n, c_n) = layer(x.unsqueeze(0))
    np.testing.assert_allclose(h.detach().numpy(), h_n.detach().numpy()[0], atol=1e-6)
    np.testing.assert_allclose(c.detach().numpy(), c_n.detach().numpy()[0], atol=1e-6)
    assert nn.GRUCell(3, 5)(fastnn.randn(3)).shape == (5,)
    assert nn.RNNCell(3, 5, nonlinearity="relu")(fastnn.randn(2, 3)).shape == (2, 5)


@pytest.mark.parametrize("name", ["LSTMCell", "GRUCell", "RNNCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_gradcheck_through_a_cell_step(name, batched):
    # input, states and weights, in the shapes the caller gave (unbatched: 1-D)
    fastnn.manual_seed(0)
    cell = getattr(nn, name)(3, 4, dtype=np.float64)
    lead = (2,) if batched else ()
    x, h, c = (rng(i).standard_normal(lead + (n,)) for i, n in ((1, 3), (2, 4), (3, 4)))
    lstm = name == "LSTMCell"

    def step(inp, h_t, c_t=None):
        out = cell(inp, (h_t, c_t)) if lstm else cell(inp, h_t)
        return out[0] * 2 + out[1] if lstm else out
    gradcheck(step, [x, h, c] if lstm else [x, h])
    if lstm:  # only c' used: no gradient reaches h'
        gradcheck(lambda inp: cell(inp)[1], [x])
    weight = cell.weight_hh.detach().numpy().copy()
    gradcheck(lambda w: _with_weight(cell, "weight_hh", w, x, h, c, lstm), [weight])


def _with_weight(cell, name, weight, x, h, c, lstm):
    original = getattr(cell, name)
    object.__getattribute__(cell, "_parameters")[name] = weight
    try:
        out = cell(fastnn.tensor(x), (fastnn.tensor(h), fastnn.tensor(c))) if lstm else cell(fastnn.tensor(x),
                                                                                               fastnn.tensor(h))
        return out[0] * 2 + out[1] if lstm else out
    finally:
        object.__getattribute__(cell, "_parameters")[name] = original


def test_parameter_names_shapes_and_init():
    lstm = nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    names = [n for n, _ in lstm.named_parameters()]
    assert names[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert "weight_hh_l1_reverse" in names and len(names) == 16
    assert lstm.weight_ih_l1.shape == (80, 40) and nn.GRU(10, 20).weight_hh_l0.shape == (60, 20)
    assert all(np.abs(p.detach().numpy()).max() <= 1 / np.sqrt(20) for p in lstm.parameters())
    assert len(list(nn.RNN(3, 4, bias=False).parameters())) == 2


def test_unbatched_input_and_given_state():
    gru = nn.GRU(3, 4, num_layers=2)
    out, h = gru(fastnn.randn(6, 3), fastnn.zeros(2, 4))
    assert out.shape == (6, 4) and h.shape == (2, 4)


class TestBadInput:
    def test_feature_size(self):
        with pytest.raises(ValueError, match=r"input_size.*Expected 3, got 5"):
            nn.LSTM(3, 4)(fastnn.randn(2, 1, 5))

    def test_hidden_shape(self):
        with pytest.raises(ValueError, match=r"hx of shape \(1, 2, 4\), got \(1, 3, 4\)"):
            nn.GRU(3, 4)(fastnn.randn(5, 2, 3), fastnn.zeros(1, 3, 4))

    def test_wrong_ndim_and_layers(self):
        with pytest.raises(ValueError, match="2-D .* or 3-D"):
            nn.RNN(3, 4)(fastnn.randn(2, 2, 2, 3))
        with pytest.raises(ValueError, match="num_layers"):
            nn.LSTM(3, 4, num_layers=0)
        with pytest.raises(ValueError, match="nonlinearity"):
            nn.RNN(3, 4, nonlinearity="sigmoid")
