"""Data loading, datasets and save/load."""
import io

import numpy as np
import pytest

import fastnn
from fastnn import nn
from fastnn.data import DataLoader, Dataset, TensorDataset


def test_tensor_dataset_and_loader_batches():
    x = fastnn.arange(10).reshape(10, 1)
    y = fastnn.arange(10)
    ds = TensorDataset(x, y)
    assert len(ds) == 10 and ds[3][1].item() == 3
    batches = list(DataLoader(ds, batch_size=4))
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    assert len(DataLoader(ds, batch_size=4, drop_last=True)) == 2
    assert [b[1].shape[0] for b in DataLoader(ds, batch_size=4, drop_last=True)] == [4, 4]


def test_shuffle_is_seeded_and_covers_everything():
    ds = TensorDataset(fastnn.arange(20))
    first = np.concatenate([b[0].numpy() for b in DataLoader(ds, batch_size=6, shuffle=True, generator=1)])
    again = np.concatenate([b[0].numpy() for b in DataLoader(ds, batch_size=6, shuffle=True, generator=1)])
    np.testing.assert_array_equal(first, again)
    assert sorted(first.tolist()) == list(range(20)) and first.tolist() != list(range(20))
    fastnn.manual_seed(5)
    a = [b[0].tolist() for b in DataLoader(ds, batch_size=20, shuffle=True)]
    fastnn.manual_seed(5)
    b = [b[0].tolist() for b in DataLoader(ds, batch_size=20, shuffle=True)]
    assert a == b


def test_custom_dataset_is_collated():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return fastnn.tensor([float(i)]), i * i

    x, y = next(iter(DataLoader(Squares(), batch_size=3)))
    assert x.shape == (3, 1) and y.tolist() == [0, 1, 4]


def test_bad_loader_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(fastnn.ones(3)), batch_size=0)
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(fastnn.ones(3), fastnn.ones(4))


def test_load_digits():
    pytest.importorskip("sklearn")
    train, test = fastnn.datasets.load_digits()
    assert len(train) + len(test) == 1797
    x, y = train[:5]
    assert x.shape == (5, 64) and x.dtype == np.float32 and y.dtype == np.int64
    assert 0.0 <= x.numpy().min() and x.numpy().max() <= 1.0


def test_save_load_round_trip(tmp_path):
    model = nn.Linear(3, 2)
    path = tmp_path / "model.safetensors"
    fastnn.save(model.state_dict(), path)
    loaded = fastnn.load(path)
    other = nn.Linear(3, 2)
    other.load_state_dict(loaded)
    np.testing.assert_array_equal(other.weight.detach().numpy(), model.weight.detach().numpy())


def test_load_corrupt_or_truncated_file_raises(tmp_path):
    good = io.BytesIO()
    fastnn.save({"w": fastnn.ones(100)}, good)
    truncated = tmp_path / "t.safetensors"
    truncated.write_bytes(good.getvalue()[:50])
    with pytest.raises((ValueError, OSError)):
        fastnn.load(truncated)
    garbage = tmp_path / "g.safetensors"
    garbage.write_bytes(b"not a file at all" * 10)
    with pytest.raises((ValueError, OSError)):
        fastnn.load(garbage)
    with pytest.raises(OSError):
        fastnn.load(tmp_path / "missing.safetensors")


def test_make_shapes_is_deterministic_and_balanced():
    train, test = fastnn.datasets.make_shapes(n_train=600, n_test=100, seed=3)
    again, _ = fastnn.datasets.make_shapes(n_train=600, n_test=100, seed=3)
    x, y = train.tensors
    assert x.shape == (600, 3, 32, 32) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(x.numpy(), again.tensors[0].numpy())
    counts = np.bincount(y.numpy(), minlength=10)
    assert len(counts) == 10 and counts.min() > 30
    assert len(test) == 100
    other, _ = fastnn.datasets.make_shapes(n_train=600, n_test=100, seed=4)
    assert not np.array_equal(x.numpy(), other.tensors[0].numpy())
