"""save / load in the safetensors format: models and optimizer state round-trip,
weights move to PyTorch and back, bad files and bad entries change nothing."""
import numpy as np
import pytest

import fastnn
from fastnn import nn, optim
from helpers import rng


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 4 * 4, 5)

    def forward(self, x):
        return self.fc(fastnn.nn.functional.max_pool2d(self.conv(x).relu(), 2).flatten(1))


class SmallTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(7, 8)
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.norm = nn.LayerNorm(8)
        self.head = nn.Linear(8, 7)

    def forward(self, tokens):
        x = self.embed(tokens)
        return self.head(self.norm(x + self.attn(x, x, x, need_weights=False)[0]))


class SmallLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 6, num_layers=2, batch_first=True)
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        return self.head(self.lstm(x)[0])


MODELS = {
    "cnn": (SmallCNN, lambda: fastnn.tensor(rng(1).standard_normal((2, 3, 8, 8)).astype(np.float32))),
    "lstm": (SmallLSTM, lambda: fastnn.tensor(rng(1).standard_normal((2, 5, 4)).astype(np.float32))),
    "transformer": (SmallTransformer, lambda: fastnn.tensor(rng(1).integers(0, 7, (2, 6)))),
}


@pytest.mark.parametrize("name", MODELS)
def test_models_round_trip(tmp_path, name):
    make, example = MODELS[name]
    fastnn.manual_seed(0)
    model = make()
    fastnn.manual_seed(1)
    other = make()
    fastnn.save(model.state_dict(), tmp_path / "m.safetensors")
    other.load_state_dict(fastnn.load(tmp_path / "m.safetensors"))
    x = example()
    with fastnn.no_grad():
        np.testing.assert_array_equal(other(x).data, model(x).data)


def test_optimizer_state_round_trips_and_steps_identically(tmp_path):
    fastnn.manual_seed(0)
    model = nn.Linear(4, 3)
    opt = optim.Adam(model.parameters(), lr=0.1, betas=(0.8, 0.9))
    x = fastnn.tensor(rng(2).standard_normal((5, 4)).astype(np.float32))
    for _ in range(3):
        opt.zero_grad()
        model(x).pow(2).sum().backward()
        opt.step()
    fastnn.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, tmp_path / "ckpt")
    ckpt = fastnn.load(tmp_path / "ckpt")
    assert ckpt["epoch"] == 3 and ckpt["optimizer"]["param_groups"][0]["betas"] == (0.8, 0.9)
    twin = nn.Linear(4, 3)
    twin.load_state_dict(ckpt["model"])
    twin_opt = optim.Adam(twin.parameters(), lr=0.1)
    twin_opt.load_state_dict(ckpt["optimizer"])
    for m, o in ((model, opt), (twin, twin_opt)):
        o.zero_grad()
        m(x).pow(2).sum().backward()
        o.step()
    np.testing.assert_array_equal(twin.weight.data, model.weight.data)


def test_load_state_dict_with_missing_extra_or_misshaped_entries_changes_nothing(tmp_path):
    model = SmallCNN()
    before = {k: v.data.copy() for k, v in model.state_dict().items()}
    good = {k: v.data * 0 for k, v in model.state_dict().items()}
    bad_cases = [{k: v for k, v in good.items() if k != "fc.bias"}, dict(good, extra=np.zeros(3)),
                 dict(good, **{"fc.weight": np.zeros((5, 3))})]
    for i, bad in enumerate(bad_cases):
        fastnn.save(bad, tmp_path / f"bad{i}")
        with pytest.raises(RuntimeError):
            model.load_state_dict(fastnn.load(tmp_path / f"bad{i}"))
        for k, v in model.state_dict().items():
            np.testing.assert_array_equal(v.data, before[k])


def test_save_rejects_what_it_cannot_store(tmp_path):
    with pytest.raises(TypeError):
        fastnn.save([1, 2], tmp_path / "x")
    with pytest.raises(TypeError):
        fastnn.save({"w": np.array([object()])}, tmp_path / "x")
    with pytest.raises(TypeError):
        fastnn.save({"f": lambda: 0, "w": np.zeros(2)}, tmp_path / "x")


@pytest.mark.parametrize("name", MODELS)
def test_weights_move_to_pytorch_and_back(tmp_path, name):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file, save_file
    make, example = MODELS[name]
    fastnn.manual_seed(0)
    ours = make()
    fastnn.save(ours.state_dict(), tmp_path / "fastnn.safetensors")
    theirs = _torch_twin(torch, name)
    theirs.load_state_dict(load_file(tmp_path / "fastnn.safetensors"))
    x = example()
    with torch.no_grad():
        out = theirs(torch.from_numpy(x.data))
    np.testing.assert_allclose(out.numpy(), ours(x).data, atol=1e-5)
    with torch.no_grad():
        for p in theirs.parameters():
            p.mul_(0.5)
    save_file(theirs.state_dict(), tmp_path / "torch.safetensors")
    ours.load_state_dict(fastnn.load(tmp_path / "torch.safetensors"))
    with torch.no_grad():
        np.testing.assert_allclose(theirs(torch.from_numpy(x.data)).numpy(), ours(x).data, atol=1e-5)


def _torch_twin(torch, name):
    tnn = torch.nn
    if name == "cnn":
        class TorchCNN(tnn.Module):
            def __init__(self):
                super().__init__()
                self.conv, self.fc = tnn.Conv2d(3, 4, 3, padding=1), tnn.Linear(64, 5)

            def forward(self, x):
                return self.fc(torch.nn.functional.max_pool2d(self.conv(x).relu(), 2).flatten(1))
        return TorchCNN()
    if name == "transformer":
        class TorchTransformer(tnn.Module):
            def __init__(self):
                super().__init__()
                self.embed, self.attn = tnn.Embedding(7, 8), tnn.MultiheadAttention(8, 2, batch_first=True)
                self.norm, self.head = tnn.LayerNorm(8), tnn.Linear(8, 7)

            def forward(self, tokens):
                x = self.embed(tokens)
                return self.head(self.norm(x + self.attn(x, x, x, need_weights=False)[0]))
        return TorchTransformer()

    class TorchLSTM(tnn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.head = tnn.LSTM(4, 6, num_layers=2, batch_first=True), tnn.Linear(6, 3)

        def forward(self, x):
            return self.head(self.lstm(x)[0])
    return TorchLSTM()
