"""An exception in the middle of a forward, a backward or an optimizer step leaves
the parameters and the optimizer state as they were."""
import numpy as np
import pytest

import fastnn
from fastnn import nn, optim
from fastnn.autograd import Function
from fastnn.nn import functional as F


class FailsInBackward(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        raise FloatingPointError("backward failed")


def _snapshot(model, opt):
    params = [p.data.copy() for p in model.parameters()]
    state = {k: {n: np.array(v, copy=True) for n, v in s.items()} for k, s in opt.state.items()}
    return params, state


def _assert_same(model, opt, snapshot):
    params, state = snapshot
    for p, before in zip(model.parameters(), params):
        np.testing.assert_array_equal(p.data, before)
    assert set(opt.state) == set(state)
    for k, s in state.items():
        for n, v in s.items():
            np.testing.assert_array_equal(opt.state[k][n], v)


def _trained():
    fastnn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
    opt = optim.Adam(model.parameters(), lr=0.1)
    x = fastnn.randn(2, 2, 4, 4)
    for _ in range(2):
        opt.zero_grad()
        F.cross_entropy(model(x), fastnn.tensor([0, 1])).backward()
        opt.step()
    return model, opt, x


def test_failing_forward_changes_nothing():
    model, opt, _ = _trained()
    snapshot = _snapshot(model, opt)
    with pytest.raises(ValueError):
        model(fastnn.randn(2, 5, 4, 4))  # wrong channel count, found in the first layer
    with pytest.raises(ValueError):
        model(fastnn.randn(2, 2, 5, 5))  # wrong size, found only in the last layer
    _assert_same(model, opt, snapshot)


def test_failing_backward_and_the_step_after_it_change_nothing():
    model, opt, x = _trained()
    snapshot = _snapshot(model, opt)
    opt.zero_grad()
    loss = FailsInBackward.apply(model(x)).sum()
    with pytest.raises(FloatingPointError):
        loss.backward()
    _assert_same(model, opt, snapshot)


def test_failing_step_changes_nothing():
    model, opt, x = _trained()
    F.cross_entropy(model(x), fastnn.tensor([0, 1])).backward()
    snapshot = _snapshot(model, opt)
    last = list(model.parameters())[-1]
    last.grad = fastnn.zeros(last.shape[0] + 1)  # mis-shaped: found before any update
    with pytest.raises(RuntimeError):
        opt.step()
    _assert_same(model, opt, snapshot)
