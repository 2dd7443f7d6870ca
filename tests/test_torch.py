"""Cross-checks against PyTorch: forward and gradients of the same expression,
optimizers step for step, and PyTorch state_dicts loading. Skipped without torch."""
import numpy as np
import pytest

import fastnn
from fastnn import nn, optim
from fastnn.nn import functional as F
from helpers import away_from_zero, rng

torch = pytest.importorskip("torch")


def helper_test_op(shapes, fastnn_fn, torch_fn=None, positive=False, kink_free=False, dtype=np.float64,
                   atol=1e-10, rtol=1e-7, seed=0):
    """Runs one expression in fastnn and torch on the same seeded inputs and
    compares outputs and input gradients under a non-trivial upstream gradient."""
    torch_fn = torch_fn or fastnn_fn
    g = rng(seed)
    arrays = [g.standard_normal(s).astype(dtype) for s in shapes]
    if positive:
        arrays = [np.abs(a) + 0.5 for a in arrays]
    if kink_free:
        arrays = [away_from_zero(a).astype(dtype) for a in arrays]
    ours = [fastnn.tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    out, ref = fastnn_fn(*ours), torch_fn(*theirs)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=atol, rtol=rtol)
    ((out + 1) ** 2).mean().backward()
    ((ref + 1) ** 2).mean().backward()
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), atol=atol, rtol=rtol)


CASES = {
    "broadcast_arith": ([(3, 4), (4,), (3, 1)], lambda a, b, c: (a + b) * c - a / (b * b + 1), {}),
    "pow": ([(3, 4)], lambda a: a ** 3 + 2.0 ** a, {}),
    "matmul_batched_broadcast": ([(2, 1, 3, 4), (5, 4, 6)], lambda a, b: a @ b, {}),
    "matmul_vectors": ([(4,), (4, 3)], lambda a, b: a @ b, {}),
    "reductions": ([(3, 4, 5)], lambda a: a.sum(1).mean() + a.mean((0, 2), keepdim=True).sum(), {}),
    "max_dim": ([(3, 4, 5)], lambda a: a.max(1)[0].sum(0) * a.min(2, keepdim=True)[0], {}),
    "shapes": ([(2, 3, 4)], lambda a: a.permute(2, 0, 1).reshape(4, 6).T.flatten(), {}),
    "transpose_unsqueeze": ([(2, 3)], lambda a: a.transpose(0, 1).unsqueeze(0).squeeze(0), {}),
    "indexing": ([(5, 4)], lambda a: a[1:4, ::2] * a[[0, 0, 3]][:, :2], {}),
    "unary": ([(3, 4)], lambda a: a.exp() + a.abs().sqrt() + (a.abs() + 1).log() + a.clamp(-0.5, 0.7),
              {"kink_free": True}),
    "activations": ([(3, 4)], lambda a: a.relu() + a.sigmoid() + a.tanh(), {"kink_free": True}),
    "softmaxes": ([(3, 5)], lambda a: a.softmax(1) * a.log_softmax(0), {}),
    "cat_stack": ([(2, 3), (2, 2)], None, {}),
}


@pytest.mark.parametrize("name", CASES)
def test_ops_match_torch(name):
    shapes, fn, kwargs = CASES[name]
    if name == "cat_stack":
        helper_test_op(shapes, lambda a, b: fastnn.stack([fastnn.cat([a, b], 1)] * 2, 0),
                       lambda a, b: torch.stack([torch.cat([a, b], 1)] * 2, 0))
        return
    helper_test_op(shapes, fn, **kwargs)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_matches_torch(approximate, dtype):
    tol = 1e-6 if dtype == np.float32 else 1e-12
    helper_test_op([(4, 7)], lambda a: F.gelu(a, approximate=approximate),
                   lambda a: torch.nn.functional.gelu(a, approximate=approximate), dtype=dtype, atol=tol, rtol=tol)


def test_linear_float32_matches_torch():
    helper_test_op([(5, 3, 64), (32, 64), (32,)], F.linear, torch.nn.functional.linear,
                   dtype=np.float32, atol=2e-5, rtol=1e-5)


@pytest.mark.parametrize("kwargs", [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"ignore_index": 1}, {"label_smoothing": 0.15},
    {"weight": True, "ignore_index": 2, "label_smoothing": 0.1},
    {"weight": True, "reduction": "none", "label_smoothing": 0.3},
])
def test_cross_entropy_matches_torch(kwargs):
    target = np.array([1, 0, 2, 1, 3, 2])
    weight = np.array([0.3, 1.0, 2.0, 0.7])
    ours_kw = dict(kwargs, weight=weight if kwargs.get("weight") else None)
    theirs_kw = dict(kwargs, weight=torch.tensor(weight) if kwargs.get("weight") else None)
    helper_test_op([(6, 4)], lambda x: F.cross_entropy(x, fastnn.tensor(target), **ours_kw),
                   lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(target), **theirs_kw))


def test_nll_and_mse_match_torch():
    target = np.array([2, 0, 1])
    helper_test_op([(3, 3)], lambda x: F.nll_loss(F.log_softmax(x, 1), fastnn.tensor(target)),
                   lambda x: torch.nn.functional.nll_loss(torch.log_softmax(x, 1), torch.tensor(target)))
    helper_test_op([(3, 4), (3, 4)], F.mse_loss, torch.nn.functional.mse_loss)


def test_torch_state_dict_loads_and_gives_equal_outputs():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.GELU(), torch.nn.Linear(16, 3))
    ours = nn.Sequential(nn.Linear(6, 16), nn.GELU(), nn.Linear(16, 3))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = rng(1).standard_normal((5, 6)).astype(np.float32)
    np.testing.assert_allclose(ours(fastnn.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda o, p: o.SGD(p, lr=0.1),
    lambda o, p: o.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    lambda o, p: o.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    lambda o, p: o.Adam(p, lr=0.01, betas=(0.8, 0.95), weight_decay=0.1),
    lambda o, p: o.Adam(p, lr=0.01, amsgrad=True),
    lambda o, p: o.AdamW(p, lr=0.01, weight_decay=0.1),
])
def test_optimizers_match_torch(make):
    init = rng(2).standard_normal((4, 3))
    ours, theirs = nn.Parameter(fastnn.tensor(init.copy())), torch.nn.Parameter(torch.tensor(init.copy()))
    opt_ours, opt_theirs = make(optim, [ours]), make(torch.optim, [theirs])
    for step in range(5):
        grad = rng(10 + step).standard_normal((4, 3))
        ours.grad, theirs.grad = fastnn.tensor(grad), torch.tensor(grad)
        opt_ours.step()
        opt_theirs.step()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-12, rtol=1e-10)


SCHEDULERS = {
    "step": (lambda s, o: s.StepLR(o, 3, 0.5), "sgd"),
    "multistep": (lambda s, o: s.MultiStepLR(o, [2, 5, 6], 0.3), "sgd"),
    "exponential": (lambda s, o: s.ExponentialLR(o, 0.9), "sgd"),
    "cosine": (lambda s, o: s.CosineAnnealingLR(o, 7, 0.01), "sgd"),
    "lambda": (lambda s, o: s.LambdaLR(o, lambda e: 1 / (1 + e)), "sgd"),
    "onecycle": (lambda s, o: s.OneCycleLR(o, max_lr=0.9, total_steps=11), "sgd"),
    "onecycle_adam_linear_3phase": (lambda s, o: s.OneCycleLR(o, max_lr=0.9, epochs=2, steps_per_epoch=6,
                                                               anneal_strategy="linear", three_phase=True), "adam"),
}


@pytest.mark.parametrize("name", SCHEDULERS)
def test_schedulers_match_torch(name):
    make, kind = SCHEDULERS[name]
    p_ours, p_theirs = [nn.Parameter(fastnn.ones(1))], [torch.nn.Parameter(torch.ones(1))]
    if kind == "sgd":
        o1, o2 = optim.SGD(p_ours, lr=0.5, momentum=0.9), torch.optim.SGD(p_theirs, lr=0.5, momentum=0.9)
    else:
        o1, o2 = optim.Adam(p_ours, lr=0.5), torch.optim.Adam(p_theirs, lr=0.5)
    s1, s2 = make(optim.lr_scheduler, o1), make(torch.optim.lr_scheduler, o2)
    for _ in range(10):
        np.testing.assert_allclose(s1.get_last_lr(), s2.get_last_lr(), rtol=1e-12)
        key = "betas" if kind == "adam" else "momentum"
        np.testing.assert_allclose(np.ravel(o1.param_groups[0][key]), np.ravel(o2.param_groups[0][key]), rtol=1e-12)
        o1.step()
        o2.step()
        s1.step()
        s2.step()


def test_reduce_lr_on_plateau_matches_torch():
    for kwargs in (dict(patience=2, factor=0.5), dict(mode="max", patience=1, cooldown=2, threshold_mode="abs",
                                                      threshold=0.1, min_lr=0.05)):
        o1 = optim.SGD([nn.Parameter(fastnn.ones(1))], lr=1.0)
        o2 = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1.0)
        s1 = optim.lr_scheduler.ReduceLROnPlateau(o1, **kwargs)
        s2 = torch.optim.lr_scheduler.ReduceLROnPlateau(o2, **kwargs)
        for metric in [5, 4, 4, 4, 4, 4.5, 3, 3, 3, 3, 3, 2.95, 2.9, 6, 6, 6, 6]:
            s1.step(metric)
            s2.step(metric)
            assert o1.param_groups[0]["lr"] == pytest.approx(o2.param_groups[0]["lr"], rel=1e-12)


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1), dict(padding=(2, 1), dilation=(2, 1)),
                                    dict(groups=2, padding="same"), dict(groups=4, stride=(1, 2))])
def test_conv2d_matches_torch(kwargs):
    helper_test_op([(3, 4, 9, 8), (8, 4 // kwargs.get("groups", 1), 3, 3), (8,)],
                   lambda x, w, b: F.conv2d(x, w, b, **kwargs),
                   lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **kwargs))


def test_conv2d_float32_matches_torch():
    helper_test_op([(8, 3, 16, 16), (16, 3, 3, 3), (16,)], lambda x, w, b: F.conv2d(x, w, b, padding=1),
                   lambda x, w, b: torch.nn.functional.conv2d(x, w, b, padding=1), dtype=np.float32,
                   atol=2e-4, rtol=1e-4)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                    dict(kernel_size=(2, 3), stride=1, dilation=(2, 1))])
def test_max_pool2d_matches_torch(kwargs):
    helper_test_op([(2, 3, 9, 10)], lambda x: F.max_pool2d(x, **kwargs),
                   lambda x: torch.nn.functional.max_pool2d(x, **kwargs))
    x = rng(3).standard_normal((2, 3, 9, 10))
    _, ours = F.max_pool2d(fastnn.tensor(x), return_indices=True, **kwargs)
    _, theirs = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
                                    dict(kernel_size=(3, 2), divisor_override=4)])
def test_avg_pool2d_matches_torch(kwargs):
    helper_test_op([(2, 3, 9, 10)], lambda x: F.avg_pool2d(x, **kwargs),
                   lambda x: torch.nn.functional.avg_pool2d(x, **kwargs))


@pytest.mark.parametrize("size", [1, (3, 4), (4, 7)])
def test_adaptive_avg_pool2d_matches_torch(size):
    helper_test_op([(2, 3, 9, 10)], lambda x: F.adaptive_avg_pool2d(x, size),
                   lambda x: torch.nn.functional.adaptive_avg_pool2d(x, size))


def test_cnn_state_dict_from_torch_gives_equal_outputs():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                 torch.nn.Conv2d(8, 4, 3, groups=4), torch.nn.AdaptiveAvgPool2d(1),
                                 torch.nn.Flatten(), torch.nn.Linear(4, 5))
    ours = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 4, 3, groups=4),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 5))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = rng(4).standard_normal((2, 3, 12, 12)).astype(np.float32)
    np.testing.assert_allclose(ours(fastnn.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               atol=1e-5)


@pytest.mark.parametrize("name,kwargs", [
    ("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("GRU", dict(num_layers=2, bidirectional=True)),
    ("RNN", dict(num_layers=2, nonlinearity="relu", batch_first=True)),
    ("LSTM", dict(bias=False)),
])
def test_recurrent_layers_match_torch(name, kwargs):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(5, 7, **kwargs).double()
    ours = getattr(nn, name)(5, 7, dtype=np.float64, **kwargs)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = rng(3).standard_normal((4, 6, 5))
    xo, xt = fastnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_o, state_o = ours(xo)
    out_t, state_t = theirs(xt)
    h_o = state_o[0] if name == "LSTM" else state_o
    h_t = state_t[0] if name == "LSTM" else state_t
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(h_o.detach().numpy(), h_t.detach().numpy(), atol=1e-12)
    ((out_o + 1) ** 2).mean().backward()
    ((out_t + 1) ** 2).mean().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-12, err_msg=n)


@pytest.mark.parametrize("name", ["LSTMCell", "GRUCell", "RNNCell"])
def test_cells_match_torch(name):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(5, 7).double()
    ours = getattr(nn, name)(5, 7, dtype=np.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = rng(4).standard_normal((3, 5))
    out_o, out_t = ours(fastnn.tensor(x)), theirs(torch.tensor(x))
    h_o = out_o[0] if name == "LSTMCell" else out_o
    h_t = out_t[0] if name == "LSTMCell" else out_t
    np.testing.assert_allclose(h_o.detach().numpy(), h_t.detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("kind", ["plain", "causal", "causal_lq_lt_lk", "causal_lq_gt_lk", "bool", "float",
                                  "scale"])
def test_scaled_dot_product_attention_matches_torch(kind):
    lq, lk = {"causal_lq_lt_lk": (5, 9), "causal_lq_gt_lk": (9, 5)}.get(kind, (7, 7))
    mask = rng(9).random((2, 1, lq, lk)) > 0.3
    kwargs = {"plain": {}, "causal": {"is_causal": True}, "causal_lq_lt_lk": {"is_causal": True},
              "causal_lq_gt_lk": {"is_causal": True}, "bool": {"attn_mask": mask},
              "float": {"attn_mask": np.where(mask, rng(3).standard_normal(mask.shape), -np.inf)},
              "scale": {"scale": 0.3}}[kind]
    theirs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    helper_test_op([(2, 3, lq, 4), (2, 3, lk, 4), (2, 3, lk, 5)],
                   lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kwargs),
                   lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(q, k, v, **theirs))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("kwargs", [{}, {"need_weights": False}, {"key_padding_mask": True},
                                    {"attn_mask": True, "need_weights": False},
                                    {"attn_mask": True, "key_padding_mask": True, "average_attn_weights": False}],
                         ids=str)
def test_multihead_attention_from_torch_gives_equal_outputs_and_gradients(batch_first, kwargs):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first).double()
    ours = nn.MultiheadAttention(8, 2, batch_first=batch_first, dtype=np.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    g = rng(0)
    layout = (lambda n, length: (n, length, 8)) if batch_first else (lambda n, length: (length, n, 8))
    x, memory = g.standard_normal(layout(2, 5)), g.standard_normal(layout(2, 6))
    padding = np.zeros((2, 6), bool)
    padding[1, 4:] = True
    masks = {"key_padding_mask": padding, "attn_mask": g.random((5, 6)) < 0.2}
    call = {k: masks[k] if k in masks else v for k, v in kwargs.items()}
    tx, tm = torch.tensor(x, requires_grad=True), torch.tensor(memory)
    fx, fm = fastnn.tensor(x, requires_grad=True), fastnn.tensor(memory)
    t_out, t_weights = theirs(tx, tm, tm, **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                                            for k, v in call.items()})
    f_out, f_weights = ours(fx, fm, fm, **call)
    np.testing.assert_allclose(f_out.data, t_out.detach().numpy(), atol=1e-12)
    if t_weights is not None:
        np.testing.assert_allclose(f_weights.data, t_weights.detach().numpy(), atol=1e-12)
    t_out.sum().backward()
    f_out.sum().backward()
    np.testing.assert_allclose(fx.grad.data, tx.grad.numpy(), atol=1e-12)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), atol=1e-12, err_msg=name)


def test_layer_norm_and_embedding_match_torch():
    helper_test_op([(3, 4, 6), (6,), (6,)], lambda x, w, b: F.layer_norm(x, (6,), w, b, 1e-5),
                   lambda x, w, b: torch.nn.functional.layer_norm(x, (6,), w, b, 1e-5))
    indices = np.array([[1, 2, 2], [0, 4, 1]])
    helper_test_op([(5, 3)], lambda w: F.embedding(indices, w, padding_idx=2),
                   lambda w: torch.nn.functional.embedding(torch.tensor(indices), w, padding_idx=2))
    torch.manual_seed(0)
    layer = torch.nn.LayerNorm(6)
    ours = nn.LayerNorm(6)
    assert set(ours.state_dict()) == set(layer.state_dict())
    assert set(nn.Embedding(5, 3).state_dict()) == set(torch.nn.Embedding(5, 3).state_dict())


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_clip_grad_norm_and_value_match_torch(norm_type):
    g = rng(0)
    weights, grads = [g.standard_normal((3, 4)), g.standard_normal(5)], [g.standard_normal((3, 4)) * 3,
                                                                          g.standard_normal(5) * 3]
    ours = [nn.Parameter(fastnn.tensor(w)) for w in weights]
    theirs = [torch.nn.Parameter(torch.tensor(w)) for w in weights]
    for o, t, grad in zip(ours, theirs, grads):
        o.grad, t.grad = fastnn.tensor(grad.copy()), torch.tensor(grad)
    total = nn.utils.clip_grad_norm_(ours, 1.5, norm_type)
    assert total.item() == pytest.approx(float(torch.nn.utils.clip_grad_norm_(theirs, 1.5, norm_type)), rel=1e-12)
    nn.utils.clip_grad_value_(ours, 0.1)
    torch.nn.utils.clip_grad_value_(theirs, 0.1)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.data, t.grad.numpy(), rtol=1e-12)
