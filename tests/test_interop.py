"""Zero-copy interop: NumPy's __array__ and DLPack, both ways, with NumPy and PyTorch."""
import numpy as np
import pytest

import fastnn


def test_array_protocol_shares_memory_unless_asked_to_copy():
    t = fastnn.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert np.shares_memory(np.asarray(t), t.data)
    assert not np.shares_memory(np.array(t, copy=True), t.data)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError):
        np.array(t, dtype=np.float64, copy=False)


def test_dlpack_with_numpy_is_zero_copy_both_ways():
    t = fastnn.tensor(np.arange(4, dtype=np.float32))
    a = np.from_dlpack(t)
    assert np.shares_memory(a, t.data)
    back = fastnn.from_dlpack(a)
    back.data[0] = 7
    assert t.data[0] == 7
    assert t.__dlpack_device__() == a.__dlpack_device__()


def test_dlpack_with_pytorch_is_zero_copy_both_ways():
    torch = pytest.importorskip("torch")
    t = fastnn.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    theirs = torch.from_dlpack(t)
    theirs[0, 0] = 42
    assert t.data[0, 0] == 42
    ours = fastnn.from_dlpack(torch.ones(3, 2, dtype=torch.float64))
    assert ours.dtype == np.float64 and ours.shape == (3, 2)
    source = torch.zeros(5)
    shared = fastnn.from_dlpack(source)
    source[1] = 3
    assert shared.data[1] == 3
    strided = fastnn.from_dlpack(torch.arange(6.0).reshape(2, 3).t())  # not C-contiguous: copied
    np.testing.assert_array_equal(strided.data, np.arange(6.0).reshape(2, 3).T)
