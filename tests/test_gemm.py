"""The packed GEMM against the NumPy reference, on every ISA the machine supports."""
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastnn
from fastnn import _C, reference
from helpers import float32_tolerance, rng

pytestmark = pytest.mark.kernel

# Sizes 1, odd, primes, and past every micro-tile (MR, NR) and block (MC, KC, NC).
SHAPES = [(1, 1, 1), (1, 7, 1), (2, 3, 5), (13, 17, 19), (12, 32, 33), (31, 257, 65), (97, 1, 130),
          (64, 784, 128), (1, 512, 512), (300, 300, 7), (481, 523, 97), (37, 11, 4099), (3, 19, 1100),
          (520, 600, 74), (520, 600, 72)]  # packed, last panels at most a vector wide on every ISA


def _operands(M, K, N, trans_a, trans_b, dtype, seed=0):
    g = rng(seed)
    a = g.standard_normal((K, M) if trans_a else (M, K)).astype(dtype)
    b = g.standard_normal((N, K) if trans_b else (K, N)).astype(dtype)
    return a, b


def _tolerance(dtype, K):
    return float32_tolerance(K) if dtype == np.float32 else 1e-12 * np.sqrt(K) * 10


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("M,K,N", SHAPES)
def test_gemm_matches_reference(each_isa, M, K, N, trans_a, trans_b, dtype):
    a, b = _operands(M, K, N, trans_a, trans_b, dtype)
    got = _C.gemm(a, b, trans_a=trans_a, trans_b=trans_b)
    want = reference.matmul(a.astype(np.float64), b.astype(np.float64), trans_a, trans_b)
    assert got.dtype == dtype and got.shape == (M, N)
    np.testing.assert_allclose(got, want, atol=_tolerance(dtype, K), rtol=_tolerance(dtype, K))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("beta", [0.0, 1.0])
@pytest.mark.parametrize("M,K,lda", [(4, 64, 64), (29, 1024, 1024), (13, 100, 1024), (40, 256, 2048)])
def test_rows_a_power_of_two_apart(each_isa, threads, M, K, lda, beta, dtype):
    """A whose rows are a multiple of 4 KiB apart is read from a padded copy (also a
    row slice of a wider matrix), on one thread and split over two."""
    g = rng(6)
    a = g.standard_normal((M, lda)).astype(dtype)[:, :K]
    b = g.standard_normal((K, 70)).astype(dtype)
    c = g.standard_normal((M, 70)).astype(dtype)
    want = reference.gemm(a.astype(np.float64), b.astype(np.float64), c.astype(np.float64), False, False, 1.0, beta)
    results = []
    for n in (1, 2):
        threads(n)
        out = c.copy()
        _C.gemm(a, b, out, beta=beta)
        np.testing.assert_allclose(out, want, atol=_tolerance(dtype, K) * 4, rtol=_tolerance(dtype, K))
        results.append(out)
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("alpha,beta", [(1.0, 1.0), (0.5, -2.0), (2.0, 0.0), (0.0, 0.5)])
@pytest.mark.parametrize("M,K,N", [(5, 300, 7), (130, 70, 260)])
def test_gemm_alpha_beta(each_isa, M, K, N, alpha, beta, dtype):
    a, b = _operands(M, K, N, False, True, dtype, seed=3)
    c = rng(4).standard_normal((M, N)).astype(dtype)
    want = reference.gemm(a.astype(np.float64), b.astype(np.float64), c.astype(np.float64), False, True,
                          alpha, beta)
    out = c.copy()
    returned = _C.gemm(a, b, out, trans_b=True, alpha=alpha, beta=beta)
    assert returned is out or np.shares_memory(returned, out)
    np.testing.assert_allclose(out, want, atol=_tolerance(dtype, K) * 4, rtol=_tolerance(dtype, K))


@settings(max_examples=60, deadline=None)
@given(M=st.integers(1, 90), K=st.integers(1, 90), N=st.integers(1, 90), trans_a=st.booleans(),
       trans_b=st.booleans(), seed=st.integers(0, 2**16))
def test_gemm_random_shapes(M, K, N, trans_a, trans_b, seed):
    a, b = _operands(M, K, N, trans_a, trans_b, np.float64, seed)
    got = _C.gemm(a, b, trans_a=trans_a, trans_b=trans_b)
    np.testing.assert_allclose(got, reference.matmul(a, b, trans_a, trans_b), atol=1e-12 * np.sqrt(K) * 10)


@pytest.fixture(params=["packed", "direct"])
def small_blocks(request):
    """Shrinks the active ISA's cache blocks so small sizes cross every block
    boundary, and forces the packed path or the in-place (direct) one."""
    for dtype in (np.float32, np.float64):
        _C.set_gemm_blocks(dtype, mc=24, kc=16, nc=64, direct_a_bytes=0 if request.param == "packed" else 1 << 40)
    yield request.param
    for dtype in (np.float32, np.float64):
        _C.set_gemm_blocks(dtype)


EDGE_M, EDGE_K, EDGE_N = (1, 2, 3, 5, 13, 25, 50), (1, 7, 17, 33), (1, 31, 33, 65, 130)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_edge_size_and_path(each_isa, small_blocks, dtype):
    """m, n, k from 1 to past MR/NR, MC/KC/NC (shrunk), not multiples of them, all
    transposes, beta 0 and 1; covers the streaming, dot, direct and packed kernels."""
    g = rng(11)
    for M in EDGE_M:
        for K in EDGE_K:
            for N in EDGE_N:
                for trans_a in (False, True):
                    for trans_b in (False, True):
                        a, b = _operands(M, K, N, trans_a, trans_b, dtype, seed=M * 1000 + K * 10 + N)
                        c = g.standard_normal((M, N)).astype(dtype)
                        want = reference.gemm(a.astype(np.float64), b.astype(np.float64), c.astype(np.float64),
                                              trans_a, trans_b, alpha=1.0, beta=1.0)
                        out = c.copy()
                        _C.gemm(a, b, out, trans_a=trans_a, trans_b=trans_b, beta=1.0)
                        tol = _tolerance(dtype, K) * 4
                        np.testing.assert_allclose(out, want, atol=tol, rtol=tol,
                                                   err_msg=f"M={M} K={K} N={N} ta={trans_a} tb={trans_b}")


@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True), (True, True)])
def test_leading_dimensions_wider_than_rows(each_isa, small_blocks, trans_a, trans_b):
    """Operands and output that are column slices of wider matrices."""
    g = rng(12)
    M, K, N = 37, 29, 70
    a_full = g.standard_normal((K if trans_a else M, 50))
    b_full = g.standard_normal((N if trans_b else K, 90))
    a = a_full[:, 3:3 + (M if trans_a else K)]
    b = b_full[:, 5:5 + (K if trans_b else N)]
    out_full = np.full((M, N + 11), 7.0)
    out = out_full[:, 4:4 + N]
    _C.gemm(a, b, out, trans_a=trans_a, trans_b=trans_b)
    np.testing.assert_allclose(out, reference.matmul(a, b, trans_a, trans_b), atol=1e-12)
    assert (out_full[:, :4] == 7.0).all() and (out_full[:, 4 + N:] == 7.0).all()


@pytest.mark.parametrize("M,K,N,trans_b", [(3, 300, 700, True), (2, 500, 300, False), (1, 70, 1100, False),
                                             (40, 300, 900, False)])
def test_bitwise_equal_threads_on_every_path(each_isa, small_blocks, threads, M, K, N, trans_b):
    a, b = _operands(M, K, N, False, trans_b, np.float32, seed=13)
    results = []
    for n in (1, 2):
        threads(n)
        results.append(_C.gemm(a, b, trans_b=trans_b))
    assert np.array_equal(results[0], results[1])


def test_block_sizes_are_reported_and_restored():
    blocks = _C.gemm_blocks(np.float32)
    assert {"mr", "nr", "mc", "kc", "nc", "direct_a_bytes"} <= set(blocks)
    _C.set_gemm_blocks(np.float32, mc=25, kc=10, nc=33)
    changed = _C.gemm_blocks(np.float32)
    assert changed["mc"] % changed["mr"] == 0 and changed["nc"] % changed["nr"] == 0 and changed["kc"] == 10
    _C.set_gemm_blocks(np.float32)
    assert _C.gemm_blocks(np.float32) == blocks


def test_beta_zero_does_not_read_c(each_isa):
    a, b = _operands(20, 30, 40, False, False, np.float32)
    out = np.full((20, 40), np.nan, np.float32)
    _C.gemm(a, b, out, beta=0.0)
    assert np.isfinite(out).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_and_inf_propagate(each_isa, dtype):
    a, b = _operands(30, 40, 50, False, False, dtype)
    a[3, 5] = np.nan
    b[7, 9] = np.inf
    got = _C.gemm(a, b)
    assert np.isnan(got[3]).all()
    assert not np.isfinite(got[:, 9]).any()
    assert np.isfinite(np.delete(np.delete(got, 3, 0), 9, 1)).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M", [4, 5, 13])
def test_column_splits_keep_the_bits(each_isa, M, dtype):
    # A panel at most a vector wide runs a one-vector tile; each column must
    # still be summed as the full-width tile sums it (threads split columns so).
    a, b = _operands(M, 300, 96, False, False, dtype)
    full = _C.gemm(a, b)
    for first, last in [(0, 2), (0, 4), (0, 8), (0, 16), (16, 24), (32, 40)]:
        assert np.array_equal(_C.gemm(a, np.ascontiguousarray(b[:, first:last])), full[:, first:last])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M,K,N", [(2048, 64, 33), (4096, 27, 32), (1, 700, 2000), (600, 600, 600), (64, 784, 128)])
def test_bitwise_equal_for_any_thread_count(each_isa, threads, M, K, N, dtype):
    a, b = _operands(M, K, N, False, False, dtype)
    results = []
    for n in (1, 2, 3):
        threads(n)
        results.append(_C.gemm(a, b))
    assert all(np.array_equal(results[0], r) for r in results[1:])


@pytest.mark.parametrize("batch_a,batch_b", [(5, 5), (0, 4), (3, 0)])
@pytest.mark.parametrize("M,K,N", [(7, 9, 11), (100, 64, 80)])
def test_batched_gemm(each_isa, batch_a, batch_b, M, K, N):
    g = rng(5)
    a = g.standard_normal((batch_a, M, K) if batch_a else (M, K))
    b = g.standard_normal((batch_b, N, K) if batch_b else (N, K))
    got = _C.gemm(a, b, trans_b=True)
    want = np.einsum("...ik,...jk->...ij", a, b)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-11)


def test_empty_shapes(each_isa):
    assert _C.gemm(np.zeros((0, 3)), np.zeros((3, 4))).shape == (0, 4)
    np.testing.assert_array_equal(_C.gemm(np.ones((2, 0)), np.ones((0, 4))), np.zeros((2, 4)))
    out = np.ones((2, 4))
    _C.gemm(np.ones((2, 0)), np.ones((0, 4)), out, beta=3.0)
    np.testing.assert_array_equal(out, np.full((2, 4), 3.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mm_is_gemm_without_keywords(each_isa, dtype):
    a, b = _operands(37, 19, 45, False, False, dtype)
    np.testing.assert_array_equal(_C.mm(a, b), _C.gemm(a, b))
    np.testing.assert_array_equal(_C.mm(a[None], b), _C.gemm(a[None], b))
    with pytest.raises(ValueError, match=r"\(37, 19\).*\(45, 19\)"):
        _C.mm(a, b.T.copy())
    with pytest.raises(TypeError, match="same dtype"):
        _C.mm(a, b.astype(np.float32 if dtype == np.float64 else np.float64))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mm_takes_what_it_cannot_check_quickly_to_gemm(dtype):
    """mm recognises two plain matrices itself; everything else (row slices,
    batches, other byte orders, empty sizes, bad input) must come out as gemm's."""
    a, b = _operands(29, 33, 41, False, False, dtype)
    wide = np.zeros((29, 40), dtype)
    wide[:, :33] = a
    for x, y in [(a, b), (wide[:, :33], b), (a, b[:, :40]), (a[None], b), (a.astype(a.dtype.newbyteorder()), b),
                 (np.zeros((0, 33), dtype), b), (a[:, :0], b[:0]), (a, b[:, :0])]:
        try:
            expected = _C.gemm(x, y)
        except (TypeError, ValueError) as error:
            with pytest.raises(type(error), match=re.escape(str(error))):
                _C.mm(x, y)
        else:
            np.testing.assert_array_equal(_C.mm(x, y), expected)


class TestBadInput:
    def test_mismatched_inner_dims(self):
        with pytest.raises(ValueError, match=r"\(3, 4\).*\(5, 6\)"):
            _C.gemm(np.ones((3, 4)), np.ones((5, 6)))

    def test_integer_arrays(self):
        with pytest.raises(TypeError, match="a must be float32 or float64"):
            _C.gemm(np.ones((3, 4), dtype=np.int64), np.ones((4, 2)))

    def test_mixed_dtypes(self):
        with pytest.raises(TypeError, match="same dtype"):
            _C.gemm(np.ones((3, 4), np.float32), np.ones((4, 2)))

    def test_wrong_ndim(self):
        with pytest.raises(ValueError, match="b must have 2 or 3 dimensions"):
            _C.gemm(np.ones((3, 4)), np.ones(4))

    def test_non_contiguous_rejected(self):
        with pytest.raises(ValueError, match="contiguous rows"):
            _C.gemm(np.ones((4, 3)).T, np.ones((4, 2)))
        with pytest.raises(ValueError, match="contiguous rows"):
            _C.gemm(np.ones((3, 8))[:, ::2], np.ones((4, 2)))
        with pytest.raises(ValueError, match="C-contiguous"):
            _C.gemm(np.ones((2, 4, 3))[:, :, :2], np.ones((2, 2)))

    def test_read_only_out_rejected(self):
        out = np.zeros((3, 2))
        out.setflags(write=False)
        with pytest.raises(ValueError, match="writable"):
            _C.gemm(np.ones((3, 4)), np.ones((4, 2)), out)

    def test_out_of_wrong_shape(self):
        with pytest.raises(ValueError, match=r"out must have shape \(3, 2\), got \(2, 3\)"):
            _C.gemm(np.ones((3, 4)), np.ones((4, 2)), np.zeros((2, 3)))

    def test_beta_without_out(self):
        with pytest.raises(ValueError, match="beta"):
            _C.gemm(np.ones((3, 4)), np.ones((4, 2)), beta=1.0)

    def test_batch_mismatch(self):
        with pytest.raises(ValueError, match="batch"):
            _C.gemm(np.ones((2, 3, 4)), np.ones((3, 4, 2)))

    def test_not_an_array(self):
        with pytest.raises(TypeError):
            _C.gemm([[1.0]], np.ones((1, 1)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 15, 17, 231, 4099])
def test_relu_kernel_keeps_nan_and_tails(each_isa, dtype, size):
    # Runs in the ISA's vectors, then a scalar tail: every length past a vector.
    x = rng(4).standard_normal(size).astype(dtype)
    x[::7] = np.resize(np.array([np.nan, np.inf, -np.inf, -0.0, 0.0], dtype), x[::7].size)
    want = np.where((x > 0) | np.isnan(x), x, 0).astype(dtype)
    np.testing.assert_array_equal(_C.relu_forward(x), want)
    g = rng(5).standard_normal(size).astype(dtype)
    np.testing.assert_array_equal(_C.relu_backward(_C.relu_forward(x), g), np.where(want > 0, g, 0))


def test_gelu_kernel_matches_reference(each_isa):
    x = rng(2).standard_normal((7, 33)) * 3
    g = rng(3).standard_normal((7, 33))
    for approximate in ("none", "tanh"):
        np.testing.assert_allclose(_C.gelu_forward(x, approximate), reference.gelu(x, approximate), atol=1e-14)
        np.testing.assert_allclose(_C.gelu_backward(x, g, approximate),
                                   reference.gelu_backward(x, g, approximate), atol=1e-13)
        x32 = x.astype(np.float32)
        np.testing.assert_allclose(_C.gelu_forward(x32, approximate), reference.gelu(x, approximate), atol=1e-5)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_float32_kernel_within_a_few_ulp(each_isa, approximate):
    # float32 runs on a fitted normal CDF (and fast exp / tanh), not libm: over a
    # dense grid, far into both tails (where exp(-x^2 / 2) underflows) and at
    # special values, within a few float32 ulp of the float64 reference, NaN and
    # inf included (the tanh form's x^3 overflows float32 beyond 1e12: no huge tails there).
    tails = np.array([13.0, 13.2, 14.0, 20.0] + ([1e20, 3e38] if approximate == "none" else []))
    specials = [0.0, -0.0, 1e-30, -1e-30, 1e-3, np.inf, -np.inf, np.nan, 30.0, -30.0]
    x = np.concatenate([np.linspace(-12, 12, 240_001), tails, -tails, specials])
    x = x.astype(np.float32)
    wide = x.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        want = reference.gelu(wide, approximate)
        want_grad = reference.gelu_backward(wide, np.ones_like(wide), approximate)
    got = _C.gelu_forward(x, approximate).astype(np.float64)
    got_grad = _C.gelu_backward(x, np.ones_like(x), approximate).astype(np.float64)
    scale = np.maximum(np.abs(wide), 1.0)
    for value, expected in ((got, want), (got_grad, want_grad)):
        np.testing.assert_array_equal(np.isnan(value), np.isnan(expected))
        finite = np.isfinite(expected)
        np.testing.assert_array_equal(value[~finite & ~np.isnan(expected)], expected[~finite & ~np.isnan(expected)])
        assert np.max(np.abs(value[finite] - expected[finite]) / scale[finite]) < 5e-7


def test_matmul_uses_active_isa_through_tensor_api(each_isa):
    a = fastnn.randn(33, 65, dtype=np.float64)
    b = fastnn.randn(65, 17, dtype=np.float64)
    np.testing.assert_allclose((a @ b).numpy(), a.numpy() @ b.numpy(), atol=1e-12)
