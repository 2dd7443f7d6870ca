"""No leaks: 200 training steps each of a CNN, an LSTM and a transformer, after
which the resident set has stopped growing and Python-side allocations are flat."""
import gc
import os
import tracemalloc

import numpy as np
import pytest

import fastnn
from fastnn import nn, optim
from fastnn.nn import functional as F
from test_serialization import MODELS


def _rss_kib():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


@pytest.mark.skipif(bool(os.environ.get("FASTNN_SANITIZED")), reason="ASan holds freed memory in quarantine")
@pytest.mark.parametrize("name", ["cnn", "lstm", "transformer"])
def test_training_steps_do_not_grow_memory(name):
    make, example = MODELS[name]
    fastnn.manual_seed(0)
    model = make()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x = example()

    def step():
        out = model(x)
        loss = F.mse_loss(out, fastnn.zeros(*out.shape))
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(50):  # warm-up: caches, the allocator's free lists, optimizer state
        step()
    gc.collect()
    tracemalloc.start()
    rss_before, traced_before = _rss_kib(), tracemalloc.get_traced_memory()[0]
    for _ in range(150):
        step()
    gc.collect()
    rss_growth, traced_growth = _rss_kib() - rss_before, tracemalloc.get_traced_memory()[0] - traced_before
    tracemalloc.stop()
    assert rss_growth < 2048, f"resident set grew by {rss_growth} KiB over 150 steps"
    assert traced_growth < 256 * 1024, f"Python allocations grew by {traced_growth} bytes over 150 steps"
