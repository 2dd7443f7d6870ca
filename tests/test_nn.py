"""Module API, layers and their defaults."""
import math

import numpy as np
import pytest

import fastnn
from fastnn import nn
from fastnn.nn import functional as F


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(8, 3, bias=False)
        self.scale = nn.Parameter(fastnn.ones(1))

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def test_registration_and_traversal():
    model = TwoLayer()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert [n for n, _ in model.named_children()] == ["fc1", "act", "fc2"]
    assert len(list(model.modules())) == 4
    assert model.fc2.bias is None
    assert all(p.requires_grad for p in model.parameters())


def test_shared_parameter_listed_once():
    layer = nn.Linear(3, 3)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(model.parameters())) == 2


def test_state_dict_round_trip_and_keys():
    model = TwoLayer()
    state = model.state_dict()
    assert list(state) == ["scale", "fc1.weight", "fc1.bias", "fc2.weight"]
    other = TwoLayer()
    result = other.load_state_dict({k: v.numpy() for k, v in state.items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = fastnn.randn(5, 4)
    np.testing.assert_array_equal(model(x).detach().numpy(), other(x).detach().numpy())


def test_load_state_dict_errors_leave_module_untouched():
    model = TwoLayer()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    bad = {k: np.zeros_like(v) for k, v in before.items()}
    bad["fc1.weight"] = np.zeros((2, 2), np.float32)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight"):
        model.load_state_dict(bad)
    missing = {k: np.zeros_like(v) for k, v in before.items() if k != "scale"}
    with pytest.raises(RuntimeError, match="Missing key"):
        model.load_state_dict(missing)
    extra = dict({k: np.zeros_like(v) for k, v in before.items()}, junk=np.zeros(1))
    with pytest.raises(RuntimeError, match="Unexpected key"):
        model.load_state_dict(extra)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    result = model.load_state_dict(missing, strict=False)
    assert result.missing_keys == ["scale"]


def test_train_eval_and_dropout():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    assert model.training and model[1].training
    model.eval()
    assert not model.training and not model[1].training
    x = fastnn.randn(3, 4)
    np.testing.assert_array_equal(model(x).detach().numpy(), model[0](x).detach().numpy())
    model.train()
    assert model[1].training


def test_zero_grad_sets_none():
    model = TwoLayer()
    model(fastnn.randn(2, 4)).sum().backward()
    assert model.fc1.weight.grad is not None
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_linear_default_init_bounds():
    fastnn.manual_seed(0)
    layer = nn.Linear(100, 50)
    bound = 1 / math.sqrt(100)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert w.shape == (50, 100) and b.shape == (50,)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound * 10


def test_default_init_is_seeded():
    fastnn.manual_seed(42)
    a = nn.Linear(3, 3).weight.detach().numpy()
    fastnn.manual_seed(42)
    b = nn.Linear(3, 3).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_repr_is_readable():
    text = repr(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(0.1)))
    assert text == ("Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n"
                    "  (1): ReLU()\n  (2): Dropout(p=0.1)\n)")


def test_sequential_and_modulelist_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.Tanh) and len(seq[:2]) == 2
    assert seq(fastnn.randn(4, 2)).shape == (4, 1)
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    holder = nn.Module()
    holder.layers = layers
    assert len(list(holder.parameters())) == 6
    assert [n for n, _ in holder.named_parameters()][0] == "layers.0.weight"


def test_activation_modules_match_functional():
    x = fastnn.randn(3, 5)
    np.testing.assert_array_equal(nn.GELU()(x).numpy(), F.gelu(x).numpy())
    np.testing.assert_array_equal(nn.GELU("tanh")(x).numpy(), F.gelu(x, "tanh").numpy())
    np.testing.assert_array_equal(nn.Sigmoid()(x).numpy(), F.sigmoid(x).numpy())
    np.testing.assert_array_equal(nn.Softmax(dim=1)(x).numpy(), F.softmax(x, 1).numpy())
    assert nn.Flatten()(fastnn.randn(2, 3, 4)).shape == (2, 12)


def test_losses_modules():
    logits = fastnn.randn(4, 3, requires_grad=True)
    target = fastnn.tensor([0, 2, 1, 2])
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)(logits, target)
    np.testing.assert_allclose(loss.item(), F.cross_entropy(logits, target, label_smoothing=0.1).item())
    nll = nn.NLLLoss()(F.log_softmax(logits, 1), target)
    np.testing.assert_allclose(nll.item(), F.cross_entropy(logits, target).item(), rtol=1e-6)
    mse = nn.MSELoss(reduction="sum")(logits, fastnn.zeros(4, 3))
    np.testing.assert_allclose(mse.item(), (logits.detach().numpy() ** 2).sum(), rtol=1e-6)


def test_assigning_wrong_type_to_parameter_slot():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        layer.weight = fastnn.ones(2, 2)


def test_module_to_double_then_gradcheckable():
    layer = nn.Linear(3, 2).double()
    assert layer.weight.dtype == np.float64
    out = layer(fastnn.randn(4, 3, dtype=np.float64))
    assert out.dtype == np.float64


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (3, 2, 2)])
def test_orthogonal_init_gives_orthonormal_rows_or_columns(shape):
    w = nn.init.orthogonal_(nn.Parameter(fastnn.zeros(*shape)), gain=2.0).data.reshape(shape[0], -1) / 2.0
    small = min(w.shape)
    gram = w @ w.T if w.shape[0] == small else w.T @ w
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-6)


def test_clip_grad_norm_scales_only_when_needed_and_errors_on_nonfinite():
    p = nn.Parameter(fastnn.zeros(3))
    p.grad = fastnn.tensor(np.array([3.0, 4.0, 0.0], np.float32))
    assert nn.utils.clip_grad_norm_([p], 10.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.data, [3, 4, 0])
    nn.utils.clip_grad_norm_(p, 1.0)
    assert np.linalg.norm(p.grad.data) == pytest.approx(1.0, rel=1e-5)
    p.grad = fastnn.tensor(np.array([np.inf, 1.0, 0.0], np.float32))
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_layer_parameters_start_on_a_cache_line():
    # the kernels read weights in whole 64-byte vectors; NumPy alone aligns to 16
    layers = (nn.Linear(3, 5), nn.LSTMCell(7, 9), nn.GRU(4, 6, 2), nn.Conv2d(3, 4, 3), nn.LayerNorm(7),
              nn.Embedding(10, 4), nn.MultiheadAttention(8, 2))
    for layer in layers:
        for name, p in layer.named_parameters():
            assert p.data.ctypes.data % 64 == 0, (type(layer).__name__, name)
    linear = nn.Linear(3, 5).double()
    assert all(p.dtype == np.float64 and p.data.ctypes.data % 64 == 0 for p in linear.parameters())
    assert nn.LayerNorm(7).weight.detach().numpy().tolist() == [1.0] * 7
