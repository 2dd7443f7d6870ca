"""Every differentiable op: forward against NumPy, backward against float64 central
differences. One table (op, inputs) drives both, OpInfo style."""
import numpy as np
import pytest

import fastnn
from fastnn import reference
import fastnn.functional as F
import fastnn.nn.functional as NF
from helpers import away_from_zero, gradcheck, rng


def _inputs(*shapes, positive=False, seed=0, kink_free=False):
    g = rng(seed)
    arrays = [g.standard_normal(s) for s in shapes]
    if positive:
        arrays = [np.abs(a) + 0.5 for a in arrays]
    if kink_free:
        arrays = [away_from_zero(a) for a in arrays]
    return arrays


# name -> (fastnn fn on Tensors, NumPy fn on arrays or None, inputs)
OPS = {
    "add": (lambda a, b: a + b, np.add, _inputs((3, 4), (4,))),
    "add_scalar": (lambda a: 2.5 + a, lambda a: 2.5 + a, _inputs((3, 4))),
    "sub_broadcast": (lambda a, b: a - b, np.subtract, _inputs((2, 1, 4), (3, 1))),
    "rsub": (lambda a: 1.0 - a, lambda a: 1.0 - a, _inputs((5,))),
    "mul": (lambda a, b: a * b, np.multiply, _inputs((3, 4), (3, 1))),
    "div": (lambda a, b: a / b, np.divide, _inputs((3, 4), (4,), positive=True)),
    "rdiv": (lambda a: 2.0 / a, lambda a: 2.0 / a, _inputs((3,), positive=True)),
    "pow_scalar": (lambda a: a ** 3, lambda a: a ** 3, _inputs((3, 4))),
    "pow_tensor": (lambda a, b: a ** b, np.power, _inputs((3, 4), (3, 4), positive=True)),
    "rpow": (lambda a: 2.0 ** a, lambda a: 2.0 ** a, _inputs((4,))),
    "neg": (lambda a: -a, np.negative, _inputs((3, 2))),
    "matmul_2d": (lambda a, b: a @ b, np.matmul, _inputs((3, 4), (4, 5))),
    "matmul_vec_mat": (lambda a, b: a @ b, np.matmul, _inputs((4,), (4, 5))),
    "matmul_mat_vec": (lambda a, b: a @ b, np.matmul, _inputs((3, 4), (4,))),
    "matmul_dot": (lambda a, b: a @ b, np.matmul, _inputs((4,), (4,))),
    "matmul_batched": (lambda a, b: a @ b, np.matmul, _inputs((2, 3, 4), (2, 4, 5))),
    "matmul_batch_2d": (lambda a, b: a @ b, np.matmul, _inputs((2, 3, 4), (4, 5))),
    "matmul_2d_batch": (lambda a, b: a @ b, np.matmul, _inputs((3, 4), (2, 4, 5))),
    "matmul_broadcast": (lambda a, b: a @ b, np.matmul, _inputs((2, 1, 3, 4), (3, 4, 2))),
    "linear": (lambda x, w, b: NF.linear(x, w, b), lambda x, w, b: x @ w.T + b, _inputs((2, 3, 4), (5, 4), (5,))),
    "linear_nobias": (lambda x, w: NF.linear(x, w), lambda x, w: x @ w.T, _inputs((3, 4), (5, 4))),
    "sum_all": (lambda a: a.sum(), np.sum, _inputs((3, 4))),
    "sum_dim": (lambda a: a.sum(1), lambda a: a.sum(1), _inputs((3, 4, 2))),
    "sum_dims_keepdim": (lambda a: a.sum((0, 2), keepdim=True), lambda a: a.sum((0, 2), keepdims=True),
                         _inputs((3, 4, 2))),
    "mean_all": (lambda a: a.mean(), np.mean, _inputs((3, 4))),
    "mean_dim": (lambda a: a.mean(-1, keepdim=True), lambda a: a.mean(-1, keepdims=True), _inputs((3, 4))),
    "max_all": (lambda a: a.max(), np.max, _inputs((3, 4))),
    "max_dim": (lambda a: a.max(1).values, lambda a: a.max(1), _inputs((3, 4, 2))),
    "min_dim_keepdim": (lambda a: a.min(0, keepdim=True)[0], lambda a: a.min(0, keepdims=True), _inputs((3, 4))),
    "reshape": (lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1), _inputs((2, 3, 2))),
    "view": (lambda a: a.view(12), lambda a: a.reshape(12), _inputs((3, 4))),
    "transpose": (lambda a: a.transpose(0, 2), lambda a: a.transpose(2, 1, 0), _inputs((2, 3, 4))),
    "permute": (lambda a: a.permute(1, 2, 0), lambda a: a.transpose(1, 2, 0), _inputs((2, 3, 4))),
    "T": (lambda a: a.T, lambda a: a.T, _inputs((2, 3))),
    "flatten": (lambda a: a.flatten(1), lambda a: a.reshape(2, -1), _inputs((2, 3, 4))),
    "unsqueeze_squeeze": (lambda a: a.unsqueeze(1).squeeze(), lambda a: a, _inputs((2, 3))),
    "expand": (lambda a: a.expand(3, 2, 4), lambda a: np.broadcast_to(a, (3, 2, 4)), _inputs((2, 1))),
    "index_int": (lambda a: a[1], lambda a: a[1], _inputs((3, 4))),
    "index_slice": (lambda a: a[:, 1:3], lambda a: a[:, 1:3], _inputs((3, 4))),
    "index_step": (lambda a: a[::2, -1], lambda a: a[::2, -1], _inputs((5, 4))),
    "index_array_repeated": (lambda a: a[[0, 2, 0]], lambda a: a[[0, 2, 0]], _inputs((3, 4))),
    "index_tensor": (lambda a: a[fastnn.tensor([2, 1]), 1:], lambda a: a[[2, 1], 1:], _inputs((3, 4))),
    "cat": (lambda a, b: fastnn.cat([a, b], dim=1), lambda a, b: np.concatenate([a, b], 1),
            _inputs((2, 3), (2, 2))),
    "stack": (lambda a, b: fastnn.stack([a, b], dim=1), lambda a, b: np.stack([a, b], 1),
              _inputs((2, 3), (2, 3))),
    "exp": (lambda a: a.exp(), np.exp, _inputs((3, 4))),
    "log": (lambda a: a.log(), np.log, _inputs((3, 4), positive=True)),
    "sqrt": (lambda a: a.sqrt(), np.sqrt, _inputs((3, 4), positive=True)),
    "abs": (lambda a: a.abs(), np.abs, _inputs((3, 4), kink_free=True)),
    "clamp": (lambda a: a.clamp(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5),
              [away_from_zero(np.linspace(-2, 2, 12).reshape(3, 4) + 0.05, 0.0)]),
    "clamp_min": (lambda a: a.clamp(min=0.2), lambda a: np.maximum(a, 0.2), [np.linspace(-1, 1, 7) + 0.03]),
    "relu": (lambda a: a.relu(), lambda a: np.maximum(a, 0), _inputs((3, 4), kink_free=True)),
    "sigmoid": (lambda a: a.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), _inputs((3, 4))),
    "tanh": (lambda a: a.tanh(), np.tanh, _inputs((3, 4))),
    "gelu": (lambda a: NF.gelu(a), reference.gelu, _inputs((3, 4))),
    "gelu_tanh": (lambda a: NF.gelu(a, approximate="tanh"), lambda a: reference.gelu(a, "tanh"), _inputs((3, 4))),
    "softmax": (lambda a: a.softmax(-1), lambda a: np.exp(a) / np.exp(a).sum(-1, keepdims=True), _inputs((3, 5))),
    "softmax_dim0": (lambda a: NF.softmax(a, dim=0), lambda a: np.exp(a) / np.exp(a).sum(0, keepdims=True),
                     _inputs((3, 5))),
    "log_softmax": (lambda a: a.log_softmax(1), lambda a: a - np.log(np.exp(a).sum(1, keepdims=True)),
                    _inputs((3, 5))),
    "mse_loss": (lambda a, b: NF.mse_loss(a, b), lambda a, b: ((a - b) ** 2).mean(), _inputs((3, 4), (3, 4))),
    "mse_loss_sum": (lambda a, b: NF.mse_loss(a, b, reduction="sum"), lambda a, b: ((a - b) ** 2).sum(),
                     _inputs((3, 4), (3, 4))),
}

TARGETS = np.array([1, 0, 4, 2])


def _ce_reference(logits, target, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0):
    logp = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True)) \
        - logits.max(1, keepdims=True)
    classes = logits.shape[1]
    w = np.ones(classes) if weight is None else weight
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    per_sample_w = w[safe] * valid
    nll = -logp[np.arange(len(target)), safe] * per_sample_w
    smooth = -(logp * w).sum(1) * valid
    if reduction == "none":
        return (1 - smoothing) * nll + smoothing / classes * smooth
    if reduction == "sum":
        return (1 - smoothing) * nll.sum() + smoothing / classes * smooth.sum()
    return (1 - smoothing) * nll.sum() / per_sample_w.sum() + smoothing / classes * smooth.sum() / per_sample_w.sum()


WEIGHT = np.array([0.5, 1.0, 2.0, 1.5, 0.7])
LOSS_CASES = {
    "ce_mean": dict(),
    "ce_sum": dict(reduction="sum"),
    "ce_none": dict(reduction="none"),
    "ce_weight": dict(weight=WEIGHT),
    "ce_ignore": dict(ignore_index=2),
    "ce_smoothing": dict(label_smoothing=0.1),
    "ce_all": dict(weight=WEIGHT, ignore_index=0, label_smoothing=0.2),
    "ce_all_none": dict(weight=WEIGHT, ignore_index=0, label_smoothing=0.2, reduction="none"),
}


@pytest.mark.parametrize("name", OPS)
def test_forward_matches_numpy(name):
    fn, ref, inputs = OPS[name]
    got = fn(*[fastnn.tensor(x) for x in inputs])
    np.testing.assert_allclose(got.numpy(), ref(*inputs), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", OPS)
def test_gradcheck(name):
    fn, _, inputs = OPS[name]
    gradcheck(fn, inputs)


@pytest.mark.parametrize("case", LOSS_CASES)
def test_cross_entropy(case):
    kwargs = LOSS_CASES[case]
    logits = rng(7).standard_normal((4, 5))
    ref_kwargs = dict(kwargs)
    ref_kwargs["smoothing"] = ref_kwargs.pop("label_smoothing", 0.0)
    got = NF.cross_entropy(fastnn.tensor(logits), fastnn.tensor(TARGETS), **kwargs)
    np.testing.assert_allclose(got.numpy(), _ce_reference(logits, TARGETS, **ref_kwargs), rtol=1e-12)
    gradcheck(lambda x: NF.cross_entropy(x, fastnn.tensor(TARGETS), **kwargs), [logits])


def test_cross_entropy_spatial_and_1d():
    logits = rng(8).standard_normal((2, 3, 2, 2))
    target = rng(9).integers(0, 3, (2, 2, 2))
    flat_logits = logits.transpose(0, 2, 3, 1).reshape(-1, 3)
    got = NF.cross_entropy(fastnn.tensor(logits), fastnn.tensor(target), reduction="none")
    assert got.shape == (2, 2, 2)
    np.testing.assert_allclose(got.numpy().ravel(), _ce_reference(flat_logits, target.ravel(), reduction="none"))
    gradcheck(lambda x: NF.cross_entropy(x, target, label_smoothing=0.1), [logits])
    one = NF.cross_entropy(fastnn.tensor(logits[0, :, 0, 0]), fastnn.tensor(np.int64(1)))
    np.testing.assert_allclose(one.item(), _ce_reference(logits[:1, :, 0, 0], np.array([1])))


def test_nll_loss_with_weights_matches_formula():
    logp = np.log(rng(3).dirichlet(np.ones(5), size=4))
    got = NF.nll_loss(fastnn.tensor(logp), fastnn.tensor(TARGETS), weight=WEIGHT)
    w = WEIGHT[TARGETS]
    np.testing.assert_allclose(got.item(), -(logp[np.arange(4), TARGETS] * w).sum() / w.sum())
    gradcheck(lambda x: NF.nll_loss(x, TARGETS, weight=WEIGHT, ignore_index=4), [logp])


def test_dropout_scales_kept_and_is_reproducible():
    x = fastnn.ones(1000, 10, requires_grad=True)
    fastnn.manual_seed(3)
    y = NF.dropout(x, p=0.3)
    kept = y.detach().numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.7, rtol=1e-6)
    fastnn.manual_seed(3)
    np.testing.assert_array_equal(NF.dropout(x, p=0.3).detach().numpy(), y.detach().numpy())
    assert NF.dropout(x, p=0.3, training=False) is x
    assert (NF.dropout(x, p=1.0).detach().numpy() == 0).all()


def test_argmax_and_comparisons_are_not_differentiable():
    x = fastnn.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    assert x.argmax(1).tolist() == [1, 0]
    assert x.argmax().item() == 3
    assert x.argmin(dim=1, keepdim=True).shape == (2, 1)
    mask = x > 2.0
    assert mask.dtype == np.bool_ and not mask.requires_grad
    assert mask.tolist() == [[False, True, False], [True, False, True]]
    assert (x == 5.0).sum().item() == 1


def test_max_dim_returns_values_and_indices():
    x = fastnn.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert x.min(0).indices.tolist() == [0, 1, 0]


def test_max_all_splits_gradient_between_ties():
    x = fastnn.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]


def test_functional_namespace_is_reexported():
    assert NF.relu is F.relu and NF.cross_entropy is F.cross_entropy


def test_mixed_precision_promotes_and_grads_keep_their_dtype():
    a = fastnn.randn(3, 4, requires_grad=True)
    b = fastnn.randn(4, dtype=np.float64, requires_grad=True)
    out = a * b + 1.0
    assert a.dtype == np.float32 and out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad.numpy(), np.broadcast_to(b.detach().numpy(), (3, 4)), rtol=1e-6)
    c = a.double()
    c.sum().backward()
    assert a.grad.dtype == np.float32
