"""The global random stream behind randn, rand, default init, dropout and shuffling."""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Seeds fastnn's random stream (initialisation, rand/randn/randint, dropout, DataLoader shuffling)."""
    global _generator
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator():
    return _generator
