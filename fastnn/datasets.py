"""Small datasets that need no download."""
import numpy as np

from .data import TensorDataset


def load_digits(test_fraction=0.2, seed=0):
    """scikit-learn's bundled 8x8 handwritten digits (1797 images, 10 classes).

    Returns (train, test) TensorDatasets of (images float32 (N, 64) in [0, 1],
    labels int64 (N,)), split by a seeded permutation.
    """
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError as exc:
        raise ImportError("fastnn.datasets.load_digits needs scikit-learn: pip install scikit-learn "
                          "(or pip install 'fastnn[digits]')") from exc
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    digits = sklearn_digits()
    images = (digits.data / 16.0).astype(np.float32)
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(labels))
    n_test = int(round(len(labels) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return TensorDataset(images[train], labels[train]), TensorDataset(images[test], labels[test])
