"""Optimizers and schedulers against their update formulas (torch in test_torch.py)."""
import math

import numpy as np
import pytest

import fastnn
from fastnn import _C, nn, optim, reference


def _param(values):
    return nn.Parameter(fastnn.tensor(np.array(values, np.float64)))


def _step_with_grad(opt, p, grad):
    p.grad = fastnn.tensor(np.array(grad, np.float64))
    opt.step()


def test_sgd_plain_and_weight_decay():
    p = _param([1.0, -2.0])
    opt = optim.SGD([p], lr=0.1, weight_decay=0.5)
    _step_with_grad(opt, p, [1.0, 1.0])
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 0.1 * (1 + 0.5), -2.0 - 0.1 * (1 - 1.0)])


def test_sgd_momentum_dampening_nesterov():
    p = _param([0.0])
    opt = optim.SGD([p], lr=1.0, momentum=0.9, nesterov=True)
    _step_with_grad(opt, p, [1.0])  # buf = 1; step = 1 + 0.9
    _step_with_grad(opt, p, [1.0])  # buf = 1.9; step = 1 + 0.9 * 1.9
    np.testing.assert_allclose(p.detach().numpy(), [-(1.9 + 1 + 0.9 * 1.9)])
    q = _param([0.0])
    opt = optim.SGD([q], lr=1.0, momentum=0.5, dampening=0.5)
    _step_with_grad(opt, q, [2.0])  # buf = 2
    _step_with_grad(opt, q, [2.0])  # buf = 1 + 1 = 2
    np.testing.assert_allclose(q.detach().numpy(), [-4.0])


def _adam_reference(grads, lr, betas, eps, wd, decoupled, amsgrad, p0):
    p, m, v, vmax = p0, 0.0, 0.0, 0.0
    for t, g in enumerate(grads, 1):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        vmax = max(vmax, v)
        vhat = vmax if amsgrad else v
        p = p - lr / (1 - betas[0] ** t) * m / (math.sqrt(vhat) / math.sqrt(1 - betas[1] ** t) + eps)
    return p


@pytest.mark.parametrize("cls,decoupled", [(optim.Adam, False), (optim.AdamW, True)])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_family_matches_formula(cls, decoupled, amsgrad):
    grads = [0.5, -1.0, 2.0, 0.1]
    p = _param([1.5])
    opt = cls([p], lr=0.1, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1, amsgrad=amsgrad)
    for g in grads:
        _step_with_grad(opt, p, [g])
    want = _adam_reference(grads, 0.1, (0.8, 0.9), 1e-6, 0.1, decoupled, amsgrad, 1.5)
    np.testing.assert_allclose(p.detach().numpy(), [want], rtol=1e-12)


def test_argument_checks():
    p = [_param([1.0])]
    with pytest.raises(ValueError, match="learning rate"):
        optim.SGD(p, lr=-1)
    with pytest.raises(ValueError, match="momentum"):
        optim.SGD(p, lr=0.1, momentum=-0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="beta"):
        optim.Adam(p, betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="epsilon"):
        optim.Adam(p, eps=-1)
    with pytest.raises(ValueError, match="weight_decay"):
        optim.AdamW(p, weight_decay=-1)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)


def test_failed_step_changes_nothing():
    a, b = _param([1.0]), _param([2.0, 3.0])
    opt = optim.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad = fastnn.tensor(np.array([1.0]))
    b.grad = fastnn.tensor(np.array([1.0, 2.0, 3.0]))  # wrong shape
    with pytest.raises(RuntimeError, match="does not match"):
        opt.step()
    assert a.tolist() == [1.0] and b.tolist() == [2.0, 3.0] and not opt.state


def test_zero_grad_and_skipping_params_without_grad():
    a, b = _param([1.0]), _param([1.0])
    opt = optim.Adam([a, b], lr=0.1)
    _step_with_grad(opt, a, [1.0])
    assert b.tolist() == [1.0]
    opt.zero_grad()
    assert a.grad is None
    a.grad = fastnn.tensor(np.array([3.0]))
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0]


def test_optimizer_state_dict_round_trip():
    p = _param([1.0, 2.0])
    opt = optim.Adam([p], lr=0.01)
    _step_with_grad(opt, p, [0.5, -0.5])
    state = opt.state_dict()
    q = _param(p.detach().numpy().copy())
    other = optim.Adam([q], lr=0.5)
    other.load_state_dict(state)
    assert other.param_groups[0]["lr"] == 0.01
    _step_with_grad(opt, p, [0.1, 0.2])
    _step_with_grad(other, q, [0.1, 0.2])
    np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_param_groups_have_their_own_lr():
    a, b = _param([1.0]), _param([1.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    a.grad, b.grad = fastnn.tensor(np.array([1.0])), fastnn.tensor(np.array([1.0]))
    opt.step()
    np.testing.assert_allclose([a.item(), b.item()], [0.9, 0.0])


def test_schedulers():
    p = [_param([1.0])]
    opt = optim.SGD(p, lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(5):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25]
    opt = optim.SGD(p, lr=1.0)
    cos = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.0)
    got = []
    for _ in range(5):
        got.append(cos.get_last_lr()[0])
        cos.step()
    np.testing.assert_allclose(got, [(1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)], atol=1e-12)
    assert opt.param_groups[0]["lr"] == cos.get_last_lr()[0]


@pytest.mark.parametrize("make", [
    lambda o: optim.lr_scheduler.LambdaLR(o, lambda e: 0.9 ** e),
    lambda o: optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=20),
    lambda o: optim.lr_scheduler.ReduceLROnPlateau(o, patience=1),
    lambda o: optim.lr_scheduler.MultiStepLR(o, [2, 4]),
])
def test_scheduler_state_survives_save_and_load(tmp_path, make):
    """A resumed schedule continues where the saved one was."""
    def stepped(scheduler, n):
        for i in range(n):
            scheduler.optimizer.step()
            scheduler.step(*([10.0 - (i % 3)] if isinstance(scheduler, optim.lr_scheduler.ReduceLROnPlateau) else []))
        return scheduler

    first = stepped(make(optim.SGD([_param([1.0])], lr=0.5, momentum=0.9)), 5)
    fastnn.save({"scheduler": first.state_dict(), "optimizer": first.optimizer.state_dict()}, tmp_path / "s")
    saved = fastnn.load(tmp_path / "s")
    resumed = make(optim.SGD([_param([1.0])], lr=0.5, momentum=0.9))
    resumed.optimizer.load_state_dict(saved["optimizer"])
    resumed.load_state_dict(saved["scheduler"])
    assert stepped(resumed, 3).get_last_lr() == stepped(first, 3).get_last_lr()


def test_training_reduces_loss():
    fastnn.manual_seed(0)
    x = fastnn.randn(64, 3)
    y = x @ fastnn.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(100):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    assert loss.item() < 1e-4


SGD_SETTINGS = [dict(lr=0.1), dict(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01),
                dict(lr=0.02, momentum=0.8, nesterov=True, maximize=True)]
ADAM_SETTINGS = [dict(lr=1e-3), dict(lr=1e-2, betas=(0.8, 0.99), weight_decay=0.1),
                 dict(lr=1e-2, weight_decay=0.1, decoupled=True, amsgrad=True), dict(lr=3e-3, maximize=True, eps=1e-6)]


def _arrays(dtype, count, n=1000, seed=0):
    g = np.random.default_rng(seed)
    return [g.standard_normal(n).astype(dtype) for _ in range(count)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("settings", SGD_SETTINGS)
def test_sgd_step_kernel_matches_reference_bitwise(dtype, settings):
    # The same operations in the same order as the NumPy reference: equal bits,
    # over three steps (the first sets the momentum buffer).
    param, *grads = _arrays(dtype, 4)
    want_param, want_buf = param, None
    buf = np.empty_like(param) if settings.get("momentum") else None
    for step, grad in enumerate(grads):
        want_param, want_buf = reference.sgd_step(want_param, grad, want_buf, **settings)
        full = dict(momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False) | settings
        _C.sgd_step(param, grad, buf, full["lr"], full["momentum"], full["dampening"], full["weight_decay"],
                    full["nesterov"], full["maximize"], step == 0)
        np.testing.assert_array_equal(param, want_param)
        if buf is not None:
            np.testing.assert_array_equal(buf, want_buf)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("settings", ADAM_SETTINGS)
def test_adam_step_kernel_matches_reference_bitwise(dtype, settings):
    param, *grads = _arrays(dtype, 4, seed=1)
    zeros = [np.zeros_like(param) for _ in range(3)]
    m, v, v_max = zeros
    want = (param, *[z.copy() for z in zeros])
    full = dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False, amsgrad=False,
                maximize=False) | settings
    for step, grad in enumerate(grads, 1):
        want = reference.adam_step(want[0], grad, *want[1:], step, **settings)
        _C.adam_step(param, grad, m, v, v_max if full["amsgrad"] else None, full["lr"], *full["betas"], full["eps"],
                     full["weight_decay"], full["decoupled"], full["amsgrad"], full["maximize"], step)
        for got, expected in zip((param, m, v), want):
            np.testing.assert_array_equal(got, expected)


def test_optimizer_steps_keep_nan_and_inf_where_numpy_would():
    # 0 * inf would turn a parameter without weight decay to NaN.
    p = nn.Parameter(fastnn.tensor(np.array([np.inf, 1.0, np.nan], np.float32)))
    for opt in (optim.SGD([p], lr=0.1, momentum=0.9), optim.Adam([p], lr=0.1)):
        p.grad = fastnn.tensor(np.array([1.0, np.nan, 1.0], np.float32))
        opt.step()
    values = p.detach().numpy()
    assert np.isnan(values[1]) and np.isnan(values[2]) and values[0] == np.inf


@pytest.mark.parametrize("call,match", [
    (lambda p, g: _C.sgd_step(p, g[:3], None, 0.1, 0.0, 0.0, 0.0, False, False, True), "grad"),
    (lambda p, g: _C.sgd_step(p, g.astype(np.float64), None, 0.1, 0.0, 0.0, 0.0, False, False, True), "dtype"),
    (lambda p, g: _C.sgd_step(p, g, None, 0.1, 0.9, 0.0, 0.0, False, False, True), "momentum_buffer"),
    (lambda p, g: _C.sgd_step(p, g, np.zeros(2, np.float32), 0.1, 0.9, 0.0, 0.0, False, False, True), "momentum_buffer"),
    (lambda p, g: _C.sgd_step(p, g, [0.0] * 4, 0.1, 0.9, 0.0, 0.0, False, False, True), "momentum_buffer"),
    (lambda p, g: _C.adam_step(p, g, None, None, None, 0.1, 0.9, 0.99, 1e-8, 0.0, False, False, False, 1), "exp_avg"),
    (lambda p, g: _C.adam_step(p, g, g.copy(), g.copy(), None, 0.1, 0.9, 0.99, 1e-8, 0.0, False, True, False, 1),
     "max_exp_avg_sq"),
    (lambda p, g: _C.adam_step(p, g, g.copy(), g.copy(), None, 0.1, 0.9, 0.99, 1e-8, 0.0, False, False, False, 0),
     "step"),
])
def test_optimizer_step_kernels_reject_bad_input_before_any_work(call, match):
    p, g = np.ones(4, np.float32), np.ones(4, np.float32)
    with pytest.raises((ValueError, TypeError), match=match):
        call(p, g)
    assert (p == 1).all()
    p.flags.writeable = False
    with pytest.raises(ValueError, match="param"):
        _C.sgd_step(p, g, None, 0.1, 0.0, 0.0, 0.0, False, False, True)
