"""The NumPy reference itself: its backward against float64 central differences."""
import numpy as np
import pytest

from fastnn import reference
from helpers import numeric_grad, rng


def test_matmul_backward_matches_finite_differences():
    a, b = rng(0).standard_normal((3, 4)), rng(1).standard_normal((4, 5))
    upstream = rng(2).standard_normal((3, 5))
    grad_a, grad_b = reference.matmul_backward(a, b, upstream)
    np.testing.assert_allclose(grad_a, numeric_grad(lambda x: (reference.matmul(x, b) * upstream).sum(), a),
                               atol=1e-8)
    np.testing.assert_allclose(grad_b, numeric_grad(lambda x: (reference.matmul(a, x) * upstream).sum(), b),
                               atol=1e-8)


@pytest.mark.parametrize("trans_a,trans_b", [(True, False), (False, True)])
def test_gemm_reference_transposes(trans_a, trans_b):
    a, b = rng(3).standard_normal((4, 3)), rng(4).standard_normal((4, 3))
    want = (a.T if trans_a else a) @ (b.T if trans_b else b)
    np.testing.assert_allclose(reference.gemm(a, b, trans_a=trans_a, trans_b=trans_b), want)


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_backward_matches_finite_differences(affine):
    x, upstream = rng(7).standard_normal((3, 5)) * 2 + 1, rng(8).standard_normal((3, 5))
    weight, bias = (rng(9).standard_normal(5), rng(10).standard_normal(5)) if affine else (None, None)
    dx, dweight, dbias = reference.layer_norm_backward(x, weight, upstream)
    np.testing.assert_allclose(dx, numeric_grad(lambda v: (reference.layer_norm(v, weight, bias) * upstream).sum(), x),
                               atol=1e-8)
    if affine:
        for got, index in ((dweight, 0), (dbias, 1)):
            params = [weight, bias]

            def objective(p, index=index):
                params[index] = p
                return (reference.layer_norm(x, *params) * upstream).sum()
            np.testing.assert_allclose(got, numeric_grad(objective, params[index].copy()), atol=1e-8)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_backward_matches_finite_differences(approximate):
    x, upstream = rng(5).standard_normal((3, 4)) * 2, rng(6).standard_normal((3, 4))
    numeric = numeric_grad(lambda v: (reference.gelu(v, approximate) * upstream).sum(), x)
    np.testing.assert_allclose(reference.gelu_backward(x, upstream, approximate), numeric, atol=1e-8)
