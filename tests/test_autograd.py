"""Autograd semantics: graph shapes, accumulation, modes, and the engine's rules."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from helpers import rng


def test_diamond_graph_sums_both_paths():
    x = fastnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    z = y * y + y.exp()  # y used twice
    z.sum().backward()
    xv = np.array([1.0, 2.0, 3.0], np.float32)
    np.testing.assert_allclose(x.grad.numpy(), 2 * (2 * (2 * xv)) + 2 * np.exp(2 * xv), rtol=1e-6)


def test_tensor_used_twice_in_one_op():
    x = fastnn.tensor([3.0], requires_grad=True)
    (x * x).backward(fastnn.tensor([1.0]))
    assert x.grad.tolist() == [6.0]


def test_grads_accumulate_across_backward_calls():
    x = fastnn.tensor([1.0, -2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [3.0 + 2.0, 3.0 - 4.0]


def test_broadcast_grads_reduce_to_input_shape():
    a = fastnn.randn(4, 1, 3, requires_grad=True)
    b = fastnn.randn(5, 1, requires_grad=True)
    c = fastnn.randn(3, requires_grad=True)
    (a * b + c).sum().backward()
    assert a.grad.shape == (4, 1, 3) and b.grad.shape == (5, 1) and c.grad.shape == (3,)
    np.testing.assert_allclose(c.grad.numpy(), np.full(3, 20.0))
    np.testing.assert_allclose(b.grad.numpy(), np.broadcast_to(a.detach().numpy().sum(), (5, 1)), rtol=1e-5)


def test_no_grad_context_and_decorator():
    x = fastnn.randn(3, requires_grad=True)
    with fastnn.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert fastnn.is_grad_enabled()

    @fastnn.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    assert (x * 2).requires_grad


def test_nested_no_grad_restores_state():
    guard = fastnn.no_grad()
    with guard:
        with guard:
            assert not fastnn.is_grad_enabled()
        assert not fastnn.is_grad_enabled()
        with fastnn.enable_grad():
            assert fastnn.is_grad_enabled()
    assert fastnn.is_grad_enabled()


def test_backward_twice_needs_retain_graph():
    x = fastnn.randn(3, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * x.detach().numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_non_scalar_backward_needs_gradient():
    x = fastnn.randn(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="scalar outputs"):
        y.backward()
    with pytest.raises(RuntimeError, match="shape"):
        y.backward(fastnn.ones(4))
    y.backward(fastnn.tensor([1.0, 0.0, 2.0]))
    assert x.grad.tolist() == [2.0, 0.0, 4.0]


def test_backward_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        fastnn.ones(2).sum().backward()


def test_long_chain_has_no_recursion_limit():
    x = fastnn.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 10_000], rtol=1e-3)


def test_only_float_tensors_can_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        fastnn.tensor([1, 2, 3], requires_grad=True)


def test_intermediate_grads_only_when_retained():
    x = fastnn.randn(3, requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = (y * 3).sum()
    z.backward()
    assert y.grad.tolist() == [3.0, 3.0, 3.0]
    assert not y.is_leaf and x.is_leaf


def test_detach_cuts_the_graph():
    x = fastnn.randn(3, requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad
    (x * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.numpy())


def test_graph_only_built_when_needed():
    a = fastnn.randn(2)
    b = fastnn.randn(2, requires_grad=True)
    assert (a * 2).grad_fn is None
    out = a * b
    assert out.grad_fn is not None and out.grad_fn.inputs[0] is None


def test_nan_propagates_through_forward_and_backward():
    x = fastnn.tensor([1.0, float("nan"), 2.0], requires_grad=True)
    w = fastnn.randn(3, 2, requires_grad=True)
    y = (x @ w).relu().sum()
    assert np.isnan(y.item())
    y.backward()
    assert np.isnan(w.grad.numpy()[1]).all()


def test_creation_functions_and_dtypes():
    fastnn.manual_seed(0)
    a = fastnn.randn(2, 3)
    fastnn.manual_seed(0)
    b = fastnn.randn((2, 3))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.dtype == np.float32
    assert fastnn.tensor([1.5, 2.0]).dtype == np.float32
    assert fastnn.tensor([1, 2]).dtype == np.int64
    assert fastnn.tensor(np.ones(2)).dtype == np.float64
    assert fastnn.zeros(2, 2, dtype=np.float64).dtype == np.float64
    assert fastnn.ones(3).tolist() == [1.0, 1.0, 1.0]
    assert fastnn.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert fastnn.arange(0, 1, 0.5).dtype == np.float32
    r = fastnn.rand(1000)
    assert 0 <= r.numpy().min() and r.numpy().max() < 1
    shared = np.zeros(3, np.float32)
    t = fastnn.from_numpy(shared)
    shared[0] = 5
    assert t[0].item() == 5
    assert fastnn.empty(2, 3).shape == (2, 3)


def test_tensor_protocols():
    t = fastnn.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert len(t) == 2 and t.shape == (2, 2) and t.ndim == 2 and t.numel() == 4
    assert float(t[1, 1]) == 4.0 and t.sum().item() == 10.0
    assert "tensor(" in repr(t)
    assert np.asarray(t).shape == (2, 2)
    assert (np.ones((2, 2)) + t).tolist() == [[2.0, 3.0], [4.0, 5.0]]
    with pytest.raises(ValueError, match="one element"):
        t.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(t)


def test_setitem_on_plain_tensor_and_refused_in_graph():
    t = fastnn.zeros(3)
    t[1] = 2.0
    assert t.tolist() == [0.0, 2.0, 0.0]
    with pytest.raises(RuntimeError):
        fastnn.zeros(3, requires_grad=True)[0] = 1.0


def test_matmul_float32_large_matches_numpy():
    a = rng(0).standard_normal((70, 300)).astype(np.float32)
    b = rng(1).standard_normal((300, 50)).astype(np.float32)
    out = fastnn.tensor(a) @ fastnn.tensor(b)
    np.testing.assert_allclose(out.numpy(), a.astype(np.float64) @ b, atol=1e-4)


class _SplitScale(fastnn.autograd.Function):
    """Two outputs: (2 * x, x ** 2); used to test multi-output backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 2 * x, x * x

    @staticmethod
    def backward(ctx, grad_double, grad_square):
        (x,) = ctx.saved_tensors
        return 2 * grad_double + 2 * x * grad_square


def test_multi_output_function_gets_every_gradient_once():
    x = fastnn.tensor([1.0, -2.0, 3.0], requires_grad=True)
    double, square = _SplitScale.apply(x)
    (double.sum() * 3 + square.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 + 2 * np.array([1.0, -2.0, 3.0]))


def test_multi_output_function_unused_output_counts_as_zero():
    x = fastnn.tensor([1.0, 2.0], requires_grad=True)
    _, square = _SplitScale.apply(x)
    square.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_leaf_grads_never_alias_arrays_held_elsewhere():
    """A fresh gradient array is handed to .grad as is, but one that the caller,
    another leaf or the graph still holds is copied: in-place updates of one
    .grad (optimizers, clipping, zero_grad) must not reach anything else."""
    a = fastnn.tensor(np.ones((2, 3)), requires_grad=True)
    b = fastnn.tensor(np.ones((2, 3)), requires_grad=True)
    upstream = np.full((2, 3), 2.0)
    (a + b).backward(fastnn.tensor(upstream))  # Add passes the same array to both leaves
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    assert not np.shares_memory(a.grad.numpy(), upstream)
    a.grad.numpy()[...] = 0
    assert (b.grad.numpy() == 2.0).all() and (upstream == 2.0).all()

    x = fastnn.tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    dy = np.ones((1, 1, 2, 2))
    F.avg_pool2d(x, 2).backward(fastnn.tensor(dy))  # the kernel's fresh output: kept, not copied
    np.testing.assert_array_equal(x.grad.numpy(), np.full((1, 1, 4, 4), 0.25))
    assert (dy == 1.0).all()
