"""Bad input raises a clear Python exception, before any work; nothing crashes."""
import numpy as np
import pytest

import fastnn
from fastnn import nn
from fastnn.nn import functional as F


def test_matmul_mismatched_shapes_name_them():
    with pytest.raises(ValueError, match=r"a \(3, 4\), b \(5, 2\)"):
        fastnn.randn(3, 4) @ fastnn.randn(5, 2)
    with pytest.raises(ValueError, match=r"\(2, 3, 4\) and \(5, 2\)"):
        fastnn.randn(2, 3, 4) @ fastnn.randn(5, 2)
    with pytest.raises(ValueError, match="batch"):
        fastnn.randn(2, 3, 4) @ fastnn.randn(3, 4, 2)
    with pytest.raises(ValueError, match="at least 1 dimension"):
        fastnn.matmul(fastnn.tensor(2.0), fastnn.randn(2))


def test_matmul_integer_and_mixed_dtypes():
    with pytest.raises(TypeError, match="float32 or float64"):
        fastnn.tensor([[1, 2]]) @ fastnn.tensor([[1], [2]])
    with pytest.raises(TypeError, match="same dtype"):
        fastnn.randn(2, 2) @ fastnn.randn(2, 2, dtype=np.float64)
    with pytest.raises(TypeError, match="same dtype"):
        fastnn.randn(2, 2, 2) @ fastnn.randn(2, 2, dtype=np.float64)


def test_linear_shapes():
    layer = nn.Linear(4, 3)
    with pytest.raises(ValueError, match=r"input \(2, 5\) and weight \(3, 4\)"):
        layer(fastnn.randn(2, 5))
    with pytest.raises(ValueError, match="bias"):
        F.linear(fastnn.randn(2, 4), fastnn.randn(3, 4), fastnn.randn(4))
    with pytest.raises(TypeError, match="float32 or float64"):
        layer(fastnn.tensor([[1, 2, 3, 4]]))


def test_cross_entropy_bad_targets():
    logits = fastnn.randn(3, 4)
    with pytest.raises(ValueError, match=r"target of shape \(3,\), got \(2,\)"):
        F.cross_entropy(logits, fastnn.tensor([0, 1]))
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(logits, fastnn.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(IndexError, match="Target 7"):
        F.cross_entropy(logits, fastnn.tensor([0, 7, 1]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(logits, fastnn.tensor([0, 1, 1]), reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(logits, fastnn.tensor([0, 1, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="weight"):
        F.cross_entropy(logits, fastnn.tensor([0, 1, 1]), weight=np.ones(3))


def test_shape_op_errors():
    x = fastnn.randn(2, 3)
    with pytest.raises(ValueError, match=r"\(4, 2\).*\(2, 3\)"):
        x.reshape(4, 2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.sum(2)
    with pytest.raises(IndexError):
        x[5]
    with pytest.raises(ValueError, match="permutation"):
        x.permute(0, 0)
    with pytest.raises(ValueError, match="shapes"):
        fastnn.cat([x, fastnn.randn(3, 3)], dim=1)
    with pytest.raises(ValueError, match="equal size"):
        fastnn.stack([x, fastnn.randn(3, 2)])
    with pytest.raises(ValueError, match="same shape"):
        F.mse_loss(fastnn.randn(3), fastnn.randn(3, 1))


def test_zero_sized_batch_is_not_an_error():
    layer = nn.Linear(4, 3)
    out = layer(fastnn.randn(0, 4))
    assert out.shape == (0, 3)
    assert (fastnn.randn(0, 5) @ fastnn.randn(5, 2)).shape == (0, 2)


def test_threads_and_dropout_arguments():
    with pytest.raises(ValueError, match="n must be >= 1"):
        fastnn.set_num_threads(0)
    with pytest.raises(ValueError, match="dropout probability"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(fastnn.randn(2), approximate="fast")


def test_gelu_kernel_rejects_integers():
    with pytest.raises(TypeError, match="input must be float32 or float64"):
        F.gelu(fastnn.tensor([1, 2]))
