"""Shared test helpers: seeded inputs, float64 gradcheck, ISA sweep, optional torch."""
import os

import numpy as np
import pytest

import fastnn
from fastnn import _C

# With FASTNN_ISA set (as CI does per ISA), kernel tests run on that ISA alone.
KERNEL_ISAS = [os.environ["FASTNN_ISA"]] if os.environ.get("FASTNN_ISA") else fastnn.backend_info()["supported_isas"]


def rng(seed=0):
    return np.random.default_rng(seed)


def away_from_zero(x, margin=0.1):
    """Moves values out of [-margin, margin], away from kinks (relu, abs) and ties."""
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * (margin + np.abs(x)), x)


def numeric_grad(f, x, eps=1e-6):
    """Central differences of the scalar function f at the float64 array x."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += eps
        minus[idx] -= eps
        grad[idx] = (f(plus) - f(minus)) / (2 * eps)
    return grad


def gradcheck(fn, inputs, eps=1e-6, atol=1e-7, rtol=1e-5, seed=1):
    """Checks fastnn's backward of fn against central differences in float64.

    fn takes Tensors and returns a Tensor; inputs are float64 arrays. A random
    upstream gradient is used so that every output element matters.
    """
    inputs = [np.asarray(x, dtype=np.float64) for x in inputs]
    tensors = [fastnn.tensor(x.copy(), requires_grad=True) for x in inputs]
    out = fn(*tensors)
    upstream = rng(seed).standard_normal(out.shape)
    (out * fastnn.tensor(upstream)).sum().backward()

    def objective(arrays):
        with fastnn.no_grad():
            return float((fn(*[fastnn.tensor(a) for a in arrays]).data * upstream).sum())

    for i, x in enumerate(inputs):
        numeric = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            plus = [a.copy() for a in inputs]
            minus = [a.copy() for a in inputs]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            numeric[idx] = (objective(plus) - objective(minus)) / (2 * eps)
        analytic = tensors[i].grad.data if tensors[i].grad is not None else np.zeros_like(x)
        np.testing.assert_allclose(analytic, numeric, atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {i} (shape {x.shape})")


@pytest.fixture(params=KERNEL_ISAS)
def each_isa(request):
    """Runs the test once per ISA this machine supports, restoring the default after."""
    previous = _C.get_isa()
    _C.set_isa(request.param)
    yield request.param
    _C.set_isa(previous)


@pytest.fixture
def threads():
    """Lets a test change the thread count; restores it after."""
    previous = fastnn.get_num_threads()
    yield fastnn.set_num_threads
    fastnn.set_num_threads(previous)


def float32_tolerance(reduction_length):
    """float32 error grows with the number of terms summed."""
    return 2e-6 * np.sqrt(max(reduction_length, 1)) * 4
