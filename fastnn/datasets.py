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


SHAPE_CLASSES = ("circle", "square", "triangle", "plus", "horizontal bars", "vertical bars", "ring", "diamond",
                 "x", "ellipse")


def _shape_masks(label, dx, dy, r):
    """Boolean masks (n, size, size) of each class's shape; dx, dy are offsets from
    the centre, r the size (n, 1, 1)."""
    d2 = dx * dx + dy * dy
    inside = (np.abs(dx) <= r) & (np.abs(dy) <= r)
    stripe = np.maximum(r // 3, 1)
    masks = {
        0: d2 <= r * r,
        1: (np.abs(dx) <= 0.8 * r) & (np.abs(dy) <= 0.8 * r),
        2: (dy <= 0.8 * r) & (np.abs(dx) <= (dy + 0.8 * r) * 0.6),
        3: ((np.abs(dx) <= r / 4) | (np.abs(dy) <= r / 4)) & inside,
        4: inside & ((np.floor((dy + r) / stripe) % 2) == 0),
        5: inside & ((np.floor((dx + r) / stripe) % 2) == 0),
        6: (d2 <= r * r) & (d2 >= (0.55 * r) ** 2),
        7: np.abs(dx) + np.abs(dy) <= r,
        8: ((np.abs(dx - dy) <= r / 4) | (np.abs(dx + dy) <= r / 4)) & inside,
        9: (dx / r) ** 2 + (dy / (0.45 * r)) ** 2 <= 1,
    }
    return np.select([label[:, None, None] == c for c in masks], [masks[c] for c in masks], False)


def make_shapes(n_train=10000, n_test=2000, seed=0, size=32, noise=0.1):
    """Colour images of 10 classes of shapes (SHAPE_CLASSES) at random position,
    size and colour on a random background, with Gaussian noise; no download.

    Returns (train, test) TensorDatasets of (images float32 (N, 3, size, size)
    roughly in [-1, 1], labels int64 (N,)). Deterministic by seed.
    """
    if n_train < 0 or n_test < 0 or size < 16:
        raise ValueError(f"make_shapes: need n_train, n_test >= 0 and size >= 16, got {n_train}, {n_test}, {size}")
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    labels = rng.integers(0, len(SHAPE_CLASSES), n)
    images = np.empty((n, 3, size, size), np.float32)
    grid = np.arange(size, dtype=np.float64)
    for start in range(0, n, 1024):  # in chunks, to bound the temporaries
        stop = min(n, start + 1024)
        m = stop - start
        r = rng.uniform(size * 0.16, size * 0.34, (m, 1, 1))
        cx = rng.uniform(r[:, 0, 0], size - 1 - r[:, 0, 0])[:, None, None]
        cy = rng.uniform(r[:, 0, 0], size - 1 - r[:, 0, 0])[:, None, None]
        mask = _shape_masks(labels[start:stop], grid[None, None, :] - cx, grid[None, :, None] - cy, r)
        background = rng.uniform(0.0, 0.45, (m, 3, 1, 1))
        foreground = rng.uniform(0.55, 1.0, (m, 3, 1, 1))
        picture = np.where(mask[:, None], foreground, background) + rng.normal(0, noise, (m, 3, size, size))
        images[start:stop] = (picture * 2 - 1).astype(np.float32)
    return (TensorDataset(images[:n_train], labels[:n_train]),
            TensorDataset(images[n_train:], labels[n_train:]))
