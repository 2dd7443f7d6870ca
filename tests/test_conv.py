"""conv2d, pooling and softmax kernels against the NumPy reference, gradcheck,
thread-count independence and bad input."""
import numpy as np
import pytest

import fastnn
from fastnn import _C, nn, reference
from fastnn.nn import functional as F
from helpers import float32_tolerance, gradcheck, rng

pytestmark = pytest.mark.kernel

# (N, C, H, W, O, kernel, stride, padding, dilation, groups)
CONV_CASES = [
    (2, 3, 8, 8, 4, (3, 3), (1, 1), (1, 1), (1, 1), 1),
    (1, 4, 7, 9, 6, (2, 3), (2, 1), (1, 0), (1, 2), 2),
    (3, 6, 5, 5, 6, (3, 3), (1, 1), (1, 1), (1, 1), 6),      # depthwise
    (2, 5, 6, 4, 7, (1, 1), (1, 1), (0, 0), (1, 1), 1),      # pointwise
    (5, 4, 9, 9, 8, (3, 3), (2, 2), (1, 1), (1, 1), 1),      # strided, batch past one chunk
    (1, 2, 3, 3, 3, (3, 3), (1, 1), (0, 0), (1, 1), 1),      # output 1x1
    (9, 3, 6, 7, 2, (5, 5), (3, 2), (2, 2), (1, 1), 1),      # big kernel, uneven batch chunks
    (0, 3, 5, 5, 4, (3, 3), (1, 1), (1, 1), (1, 1), 1),      # empty batch
    (2, 3, 7, 6, 6, (3, 2), (2, 1), (1, 1), (2, 1), 3),      # depthwise, multiplier 2, strided, dilated
    (2, 4, 9, 70, 4, (3, 5), (1, 1), (2, 3), (2, 1), 4),     # depthwise row kernels: rows past one block, dilated
    (2, 3, 6, 28, 3, (3, 3), (1, 1), (1, 1), (1, 1), 3),     # depthwise: one block per row, its last vector partial
    (2, 4, 9, 70, 4, (3, 3), (1, 1), (1, 1), (1, 1), 4),     # depthwise 3x3: row loads shared by output rows, wide rows
    (1, 3, 5, 6, 3, (1, 1), (1, 1), (1, 1), (1, 1), 3),      # depthwise, padding past the kernel's reach
    (1, 2, 4, 5, 2, (6, 5), (1, 1), (2, 2), (1, 1), 2),      # depthwise, more taps than the kernels' registers
    (2, 180, 15, 15, 8, (3, 3), (1, 1), (1, 1), (1, 1), 1),  # im2col in bands of 64 pixels, across rows
    (2, 32, 7, 7, 2, (3, 3), (1, 1), (1, 1), (1, 1), 2),     # one output per group: backward as a depthwise forward
    (1, 32, 9, 11, 6, (3, 2), (1, 1), (2, 1), (2, 1), 2),    # backward input as a forward: uneven pads, dilated
    (1, 16, 5, 5, 4, (3, 3), (1, 1), (3, 3), (1, 1), 1),     # padding past the kernel's reach: col2im backward
    (2, 16, 16, 16, 20, (3, 3), (1, 1), (1, 1), (1, 1), 1),  # implicit GEMM: whole pixel vectors, a partial row block
    (2, 16, 32, 31, 8, (3, 3), (2, 2), (1, 1), (1, 1), 1),   # implicit GEMM, strided, odd input width
    (1, 3, 6, 37, 4, (3, 3), (2, 2), (1, 1), (1, 1), 1),     # stride 2 across: rows split in vector pairs, a tail
    (1, 2, 5, 64, 3, (2, 2), (1, 2), (0, 0), (1, 1), 1),     # stride 2 across, no padding: whole vector pairs
    (2, 32, 16, 16, 8, (3, 3), (1, 1), (2, 2), (2, 2), 2),   # implicit GEMM, dilated, grouped
    (1, 16, 34, 34, 8, (3, 3), (1, 1), (1, 1), (1, 1), 1),   # implicit GEMM along the padded rows (vectors of 8, 16)
    (2, 3, 5, 32, 20, (3, 3), (1, 1), (1, 1), (1, 1), 1),    # 3 input channels: backward input as a few-row implicit forward
    (2, 16, 6, 33, 2, (3, 3), (1, 1), (1, 1), (1, 1), 1),    # implicit GEMM with few output channels, a partial tile
    (3, 17, 9, 11, 33, (3, 3), (1, 1), (1, 1), (1, 1), 1),   # Winograd: partial tiles, channels short of whole vectors
    (1, 16, 6, 7, 32, (3, 3), (1, 1), (0, 0), (1, 1), 1),    # Winograd without padding: one partial tile row
    (2, 16, 6, 6, 34, (3, 3), (1, 1), (2, 2), (1, 1), 1),    # Winograd, padding past the kernel's reach
    (2, 16, 36, 36, 32, (3, 3), (1, 1), (1, 1), (1, 1), 1),  # Winograd: tiles in four blocks, across samples
    (0, 16, 8, 8, 32, (3, 3), (1, 1), (1, 1), (1, 1), 1),    # Winograd, empty batch
    (3, 48, 18, 18, 64, (3, 3), (1, 1), (1, 1), (1, 1), 1),  # Winograd: blocks past L2 (48 tiles for the GEMMs), two
    (2, 3, 5, 20, 4, (3, 3), (1, 1), (1, 1), (1, 1), 1),     # 3x3 weight gradient by taps: column strips, a tail
    (2, 2, 1, 18, 3, (3, 3), (1, 1), (1, 1), (1, 1), 1),     # 3x3 weight gradient by taps: one output row
    (2, 4, 2, 17, 6, (3, 3), (1, 1), (1, 1), (1, 1), 2),     # ... two output rows, groups of two channels
    (1, 3, 6, 18, 2, (3, 3), (1, 1), (0, 0), (1, 1), 1),     # ... rows of whole vectors, no padding
]


def _conv_inputs(case, dtype, seed=0):
    n, c, h, w, o, k, _, _, _, g = case
    gen = rng(seed)
    return (gen.standard_normal((n, c, h, w)).astype(dtype), gen.standard_normal((o, c // g) + k).astype(dtype),
            gen.standard_normal(o).astype(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_reference(each_isa, case, dtype):
    x, w, b = _conv_inputs(case, dtype)
    stride, padding, dilation, groups = case[6:]
    y = _C.conv2d_forward(x, w, b, stride, padding, dilation, groups)
    want = reference.conv2d(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), stride, padding,
                            dilation, groups)
    k = w.shape[1] * w.shape[2] * w.shape[3]
    tol = float32_tolerance(k) * 4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y, want, atol=tol, rtol=tol)
    dy = rng(1).standard_normal(y.shape).astype(dtype)
    dx = _C.conv2d_backward_input(dy, w, list(x.shape), stride, padding, dilation, groups)
    dw, db = _C.conv2d_backward_weight(x, dy, list(w.shape), stride, padding, dilation, groups, True)
    rx, rw, rb = reference.conv2d_backward(x.astype(np.float64), w.astype(np.float64), dy.astype(np.float64),
                                           stride, padding, dilation, groups)
    big_tol = float32_tolerance(y.size) * 4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(dx, rx, atol=tol * 2, rtol=tol)
    np.testing.assert_allclose(dw, rw, atol=big_tol, rtol=big_tol)
    np.testing.assert_allclose(db, rb, atol=big_tol, rtol=big_tol)


@pytest.mark.parametrize("case", [CONV_CASES[1], CONV_CASES[2], CONV_CASES[3]])
def test_conv2d_gradcheck(case):
    x, w, b = _conv_inputs(case, np.float64, seed=3)
    stride, padding, dilation, groups = case[6:]
    gradcheck(lambda x_, w_, b_: F.conv2d(x_, w_, b_, stride, padding, dilation, groups), [x, w, b])


@pytest.mark.parametrize("case", [CONV_CASES[0], CONV_CASES[4],
                                  (64, 8, 12, 12, 16, (3, 3), (1, 1), (1, 1), (1, 1), 1),
                                  (1, 16, 20, 20, 16, (3, 3), (1, 1), (1, 1), (1, 1), 1),
                                  (8, 16, 12, 12, 32, (3, 3), (2, 1), (1, 1), (1, 2), 16),  # depthwise x2
                                  (1, 180, 16, 16, 8, (3, 3), (1, 1), (1, 1), (1, 1), 1),  # bands over threads
                                  (1, 16, 34, 34, 8, (3, 3), (1, 1), (1, 1), (1, 1), 1),  # implicit tiles over threads
                                  CONV_CASES[-3], CONV_CASES[-1]])  # Winograd blocks over threads
def test_conv2d_bitwise_equal_for_1_and_2_threads(each_isa, threads, case):
    x, w, b = _conv_inputs(case, np.float32)
    stride, padding, dilation, groups = case[6:]
    results = []
    for n in (1, 2):
        threads(n)
        y = _C.conv2d_forward(x, w, b, stride, padding, dilation, groups)
        dy = np.cos(y)
        dx = _C.conv2d_backward_input(dy, w, list(x.shape), stride, padding, dilation, groups)
        dw, db = _C.conv2d_backward_weight(x, dy, list(w.shape), stride, padding, dilation, groups, True)
        results.append((y, dx, dw, db))
    for first, second in zip(*results):
        assert np.array_equal(first, second)


def test_conv2d_padding_modes_and_layer():
    x = fastnn.randn(2, 3, 8, 8)
    conv = nn.Conv2d(3, 5, 3, padding="same")
    assert conv(x).shape == (2, 5, 8, 8)
    assert nn.Conv2d(3, 5, 3, padding="valid")(x).shape == (2, 5, 6, 6)
    assert nn.Conv2d(3, 6, 3, stride=2, padding=1, groups=3, bias=False)(x).shape == (2, 6, 4, 4)
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]
    bound = 1 / np.sqrt(3 * 9)
    assert np.abs(conv.weight.detach().numpy()).max() <= bound and np.abs(conv.bias.detach().numpy()).max() <= bound
    assert "Conv2d(3, 5, kernel_size=(3, 3)" in repr(conv)


POOL_X = rng(5).permutation(2 * 3 * 7 * 9).reshape(2, 3, 7, 9).astype(np.float64) / 10  # distinct: no ties


@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil_mode", [
    ((2, 2), (2, 2), (0, 0), (1, 1), False), ((3, 3), (2, 2), (1, 1), (1, 1), True),
    ((3, 2), (1, 2), (1, 1), (2, 1), True), ((2, 3), (3, 1), (1, 0), (1, 1), False),
    ((2, 2), (2, 2), (0, 0), (1, 1), True)])  # odd 7x9 input: clipped last windows (found by fuzzing)
def test_max_pool2d(each_isa, kernel, stride, padding, dilation, ceil_mode):
    out, indices = F.max_pool2d(fastnn.tensor(POOL_X), kernel, stride, padding, dilation, ceil_mode,
                                return_indices=True)
    want, want_idx = reference.max_pool2d(POOL_X, kernel, stride, padding, dilation, ceil_mode)
    np.testing.assert_array_equal(out.numpy(), want)
    np.testing.assert_array_equal(indices.numpy(), want_idx)
    gradcheck(lambda t: F.max_pool2d(t, kernel, stride, padding, dilation, ceil_mode), [POOL_X])
    dy = rng(6).standard_normal(want.shape)
    np.testing.assert_allclose(_C.max_pool2d_backward(dy, want_idx, list(POOL_X.shape), kernel, stride, padding,
                                                       dilation, ceil_mode),
                               reference.max_pool2d_backward(dy, want_idx, POOL_X.shape))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("groups", [2, 1])
@pytest.mark.parametrize("kernel,width", [((3, 3), 28), ((3, 3), 5), ((2, 5), 37)])
def test_weight_gradient_by_taps_keeps_inf_in_its_taps(each_isa, dtype, groups, kernel, width):
    # The tap kernels read a row's last columns as a whole vector overlapping the
    # one before: an inf there must reach only the taps that really read it
    # (depthwise, and 3x3 with two input channels per output channel).
    x, _, _ = _conv_inputs((1, 2, 5, width, 2, kernel, 0, 0, 0, 2), dtype)
    x[0, 0, 2, width - 1] = np.inf
    x[0, 1, 1, width - 2] = -np.inf
    padding = (kernel[0] // 2, kernel[1] // 2)
    shape = (2, 2 // groups) + kernel
    out_size = (5 + 2 * padding[0] - kernel[0] + 1, width + 2 * padding[1] - kernel[1] + 1)
    dy = rng(2).standard_normal((1, 2) + out_size).astype(dtype)
    dw, db = _C.conv2d_backward_weight(x, dy, list(shape), (1, 1), padding, (1, 1), groups, True)
    _, want, want_b = reference.conv2d_backward(x.astype(np.float64), np.ones(shape), dy.astype(np.float64),
                                                (1, 1), padding, (1, 1), groups)
    assert np.isinf(want).any() and np.isfinite(want).any()
    np.testing.assert_array_equal(np.isfinite(dw), np.isfinite(want))
    np.testing.assert_array_equal(np.isnan(dw), np.isnan(want))
    tol = float32_tolerance(dy.size) * 4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(dw, want, atol=tol, rtol=tol)
    np.testing.assert_allclose(db, want_b, atol=tol, rtol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kernel,stride,padding,dilation,width", [
    ((3, 3), (1, 1), (1, 1), (1, 1), 1030),  # more output columns than one block of the kernel
    ((3, 3), (2, 2), (1, 1), (1, 1), 75), ((2, 3), (1, 3), (1, 1), (1, 2), 70)])
def test_max_pool2d_ties_nan_and_long_rows(each_isa, dtype, kernel, stride, padding, dilation, width):
    x = rng(8).integers(-3, 3, (1, 2, 4, width)).astype(dtype)  # few levels: many ties
    x[rng(9).random(x.shape) < 0.05] = np.nan
    x[rng(10).random(x.shape) < 0.05] = -np.inf
    out, indices = _C.max_pool2d_forward(x, kernel, stride, padding, dilation, False)
    want, want_idx = reference.max_pool2d(x, kernel, stride, padding, dilation)
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(indices, want_idx)


def _window_offsets(flat, width):
    """The 2x2 window offset 2 * dh + dw of flat positions in a plane `width` wide."""
    oh, ow = np.indices(flat.shape[-2:])
    return (flat // width - 2 * oh) * 2 + (flat % width - 2 * ow)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("height,width,ceil_mode", [(4, 32, True), (6, 70, False), (7, 9, False), (3, 2, False),
                                                    (5, 37, False), (2, 66, False)])
def test_max_pool2d_2x2_window_offsets(each_isa, dtype, height, width, ceil_mode):
    # widths around every vector size (whole blocks, a padded last block, an odd last column)
    x = rng(11).integers(-3, 3, (2, 3, height, width)).astype(dtype)  # few levels: many ties
    x[rng(12).random(x.shape) < 0.05] = np.nan
    args = ((2, 2), (2, 2), (0, 0), (1, 1), ceil_mode)
    want, want_idx = reference.max_pool2d(x, *args)
    out, flat = _C.max_pool2d_forward(x, *args)
    out_offsets, offsets = _C.max_pool2d_forward(x, *args, window_offsets=True)
    assert flat.dtype == np.int64 and offsets.dtype == np.uint8
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(out_offsets, want)
    np.testing.assert_array_equal(flat, want_idx)
    np.testing.assert_array_equal(offsets, _window_offsets(want_idx, width))
    dy = rng(13).standard_normal(want.shape).astype(dtype)
    want_dx = reference.max_pool2d_backward(dy, want_idx, x.shape)
    for indices in (flat, offsets):
        np.testing.assert_array_equal(_C.max_pool2d_backward(dy, indices, list(x.shape), *args), want_dx)


def test_max_pool2d_window_offsets_only_for_2x2():
    x = rng(14).standard_normal((1, 2, 6, 6))
    _, indices = _C.max_pool2d_forward(x, (3, 3), (2, 2), (1, 1), (1, 1), False, window_offsets=True)
    assert indices.dtype == np.int64  # other windows keep flat positions
    with pytest.raises(TypeError, match="indices must be int64"):
        _C.max_pool2d_backward(np.ones((1, 2, 3, 3)), indices.astype(np.uint8), [1, 2, 6, 6], (3, 3), (2, 2),
                               (1, 1), (1, 1), False)
    with pytest.raises(TypeError, match="indices must be int64"):
        _C.max_pool2d_backward(np.ones((1, 2, 3, 3)), np.zeros((1, 2, 3, 3), np.int32), [1, 2, 6, 6], (2, 2),
                               (2, 2), (0, 0), (1, 1), False)


@pytest.mark.parametrize("dtype", [np.uint8, np.int64])
def test_max_pool2d_2x2_backward_ignores_indices_outside_the_window(each_isa, dtype):
    # an index naming no input of its window writes no gradient, even one 2^32 past it (no 32-bit wrap)
    if dtype == np.uint8:
        indices = np.resize(np.array([4, 255], dtype), (1, 2, 2, 20))
    else:
        oh, ow = np.indices((2, 20))
        corners = 2 * oh * 40 + 2 * ow
        indices = corners + np.resize(np.array([-1, 2, 2**32, 2**32 + 1, 2**32 + 40, 80, 42]), (1, 2, 2, 20))
    dx = _C.max_pool2d_backward(np.ones((1, 2, 2, 20)), indices, [1, 2, 4, 40], (2, 2), (2, 2), (0, 0), (1, 1), False)
    assert (dx == 0).all()


def test_max_pool2d_layer_keeps_window_offsets_for_backward():
    x = fastnn.tensor(rng(15).standard_normal((2, 3, 8, 8)), requires_grad=True)
    out = F.max_pool2d(x, 2)
    assert out.grad_fn.ctx.indices.dtype == np.uint8
    out.backward(fastnn.ones(*out.shape))
    _, flat = reference.max_pool2d(x.detach().numpy(), (2, 2), (2, 2))
    np.testing.assert_array_equal(x.grad.numpy(), reference.max_pool2d_backward(np.ones(out.shape), flat, x.shape))
    out, indices = F.max_pool2d(x, 2, return_indices=True)
    assert indices.dtype == np.int64


@pytest.mark.parametrize("kernel,stride,padding,ceil_mode,count_include_pad,divisor", [
    ((2, 2), (2, 2), (0, 0), False, True, None), ((3, 3), (2, 2), (1, 1), True, False, None),
    ((3, 3), (2, 2), (1, 1), True, True, None), ((2, 3), (1, 2), (1, 1), False, True, 5),
    ((2, 2), (2, 2), (0, 0), True, True, None)])  # odd 7x9 input: clipped last windows
def test_avg_pool2d(each_isa, kernel, stride, padding, ceil_mode, count_include_pad, divisor):
    args = (kernel, stride, padding, ceil_mode, count_include_pad, divisor)
    out = F.avg_pool2d(fastnn.tensor(POOL_X), *args)
    np.testing.assert_allclose(out.numpy(), reference.avg_pool2d(POOL_X, *args), atol=1e-14)
    gradcheck(lambda t: F.avg_pool2d(t, *args), [POOL_X])


@pytest.mark.parametrize("size", [(1, 1), (3, 4), (7, 9), (5, 2)])
def test_adaptive_avg_pool2d(each_isa, size):
    out = F.adaptive_avg_pool2d(fastnn.tensor(POOL_X), size)
    np.testing.assert_allclose(out.numpy(), reference.adaptive_avg_pool2d(POOL_X, size), atol=1e-14)
    gradcheck(lambda t: F.adaptive_avg_pool2d(t, size), [POOL_X])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (3, 13, 5, 5), (2, 35, 8, 8), (1, 17, 4, 9), (2, 301, 8, 8)])
def test_global_average_pool(each_isa, threads, dtype, shape):
    # planes in blocks of a vector's width and a ragged last block; planes with a scalar tail
    x = rng(16).standard_normal(shape).astype(dtype)
    out = _C.adaptive_avg_pool2d_forward(x, (1, 1))
    np.testing.assert_allclose(out, x.astype(np.float64).mean(axis=(2, 3), keepdims=True), rtol=0,
                               atol=1e-6 if dtype == np.float32 else 1e-15)
    threads(1)
    one = _C.adaptive_avg_pool2d_forward(x, (1, 1))
    threads(2)
    assert np.array_equal(one, _C.adaptive_avg_pool2d_forward(x, (1, 1)))  # blocks of planes, not threads, fix the sums


def test_pooling_layers_and_unbatched_input():
    x = fastnn.tensor(POOL_X[0])
    assert nn.MaxPool2d(2)(x).shape == (3, 3, 4)
    assert nn.AvgPool2d(3, stride=2, padding=1)(fastnn.tensor(POOL_X)).shape == (2, 3, 4, 5)
    assert nn.AdaptiveAvgPool2d((2, None))(fastnn.tensor(POOL_X)).shape == (2, 3, 2, 9)
    out, idx = nn.MaxPool2d(2, return_indices=True)(x)
    assert idx.shape == out.shape and idx.dtype == np.int64


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_kernel(each_isa, dim, log):
    x = rng(7).standard_normal((4, 5, 3)) * 5
    fn = F.log_softmax if log else F.softmax
    ref = reference.log_softmax if log else reference.softmax
    np.testing.assert_allclose(fn(fastnn.tensor(x), dim).numpy(), ref(x, dim), atol=1e-13)
    np.testing.assert_allclose(fn(fastnn.tensor(x.astype(np.float32)), dim).numpy(), ref(x, dim), atol=1e-5)
    gradcheck(lambda t: fn(t, dim), [x])


def test_softmax_is_stable_and_propagates_nan():
    big = fastnn.tensor([[1000.0, 0.0, -1000.0], [1.0, float("nan"), 2.0]])
    out = F.softmax(big, 1).numpy()
    np.testing.assert_allclose(out[0], [1.0, 0.0, 0.0])
    assert np.isnan(out[1]).all()
    assert np.isfinite(F.log_softmax(big, 1).numpy()[0, :2]).all()


class TestBadInput:
    def test_conv_channels_and_shapes(self):
        x, w = fastnn.randn(2, 3, 8, 8), fastnn.randn(4, 2, 3, 3)
        with pytest.raises(ValueError, match=r"expects 2 input channels.*\(2, 3, 8, 8\)"):
            F.conv2d(x, w)
        with pytest.raises(ValueError, match="larger than the padded input"):
            F.conv2d(fastnn.randn(1, 3, 2, 2), fastnn.randn(4, 3, 5, 5), padding=1)
        with pytest.raises(ValueError, match="stride must be positive"):
            F.conv2d(x, fastnn.randn(4, 3, 3, 3), stride=0)
        with pytest.raises(ValueError, match="dilation must be positive"):
            F.conv2d(x, fastnn.randn(4, 3, 3, 3), dilation=(1, -1))
        with pytest.raises(ValueError, match="padding must be >= 0"):
            F.conv2d(x, fastnn.randn(4, 3, 3, 3), padding=-1)
        with pytest.raises(ValueError, match="groups=2 must divide"):
            F.conv2d(x, fastnn.randn(4, 1, 3, 3), groups=2)
        with pytest.raises(ValueError, match="input must be 4-D"):
            F.conv2d(fastnn.randn(3, 8, 8), fastnn.randn(4, 3, 3, 3))
        with pytest.raises(ValueError, match=r"bias must have shape \(4,\)"):
            F.conv2d(x, fastnn.randn(4, 3, 3, 3), fastnn.randn(5))
        with pytest.raises(TypeError, match="same dtype"):
            F.conv2d(x, fastnn.randn(4, 3, 3, 3, dtype=np.float64))
        with pytest.raises(ValueError, match="strided"):
            F.conv2d(x, fastnn.randn(4, 3, 3, 3), stride=2, padding="same")
        with pytest.raises(ValueError, match="groups"):
            nn.Conv2d(3, 4, 3, groups=2)

    def test_pool_arguments(self):
        x = fastnn.randn(1, 2, 4, 4)
        with pytest.raises(ValueError, match="kernel_size must be positive"):
            F.max_pool2d(x, 0)
        with pytest.raises(ValueError, match="at most half"):
            F.max_pool2d(x, 2, padding=2)
        with pytest.raises(ValueError, match="larger than the padded input"):
            F.avg_pool2d(x, 5)
        with pytest.raises(ValueError, match="3-D .* or 4-D"):
            F.max_pool2d(fastnn.randn(4, 4), 2)
        with pytest.raises(ValueError, match="output_size must be positive"):
            F.adaptive_avg_pool2d(x, 0)

    def test_max_pool_backward_rejects_out_of_range_indices(self):
        with pytest.raises(IndexError, match="outside an input plane"):
            _C.max_pool2d_backward(np.ones((1, 1, 2, 2)), np.full((1, 1, 2, 2), 99, np.int64), [1, 1, 4, 4],
                                   (3, 3), (2, 2), (1, 1), (1, 1), False)
        # 2x2 windows write each input of a window once: an index outside it is ignored, never written through
        dx = _C.max_pool2d_backward(np.ones((1, 1, 2, 2)), np.full((1, 1, 2, 2), 99, np.int64), [1, 1, 4, 4],
                                    (2, 2), (2, 2), (0, 0), (1, 1), False)
        assert (dx == 0).all()
