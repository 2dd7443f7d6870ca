"""Fuzzing every fastnn._C entry with hypothesis: valid calls on random shapes
(0- and 1-sized dimensions included) match the NumPy reference, and calls with
one argument spoiled — another dtype (float16, int, bool, object), a non-contiguous,
read-only, misaligned or zero-stride array, a wrong shape or rank, NaN/inf values,
negative or huge sizes — either give a correct result or raise a Python exception:
never a crash, never a hang. tools/sanitize.sh reruns these under ASan and UBSan."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastnn
from fastnn import _C, reference

pytestmark = pytest.mark.fuzz
FUZZ = settings(max_examples=int(__import__("os").environ.get("FASTNN_FUZZ_EXAMPLES", 60)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
PYTHON_ERRORS = (TypeError, ValueError, IndexError, OverflowError, RuntimeError)


def arrays(g, dtype, *shapes):
    return [g.standard_normal(s).astype(dtype) for s in shapes]


# -- one valid call per entry: (function, positional args, keyword args) ---------------
def gemm_call(g, d, dtype):
    m, k, n = d[0], d[1], d[2]
    a, b = arrays(g, dtype, (k, m), (n, k))
    return _C.gemm, (a, b), {"trans_a": True, "trans_b": True}


def relu_call(g, d, dtype):
    (x,) = arrays(g, dtype, (d[0], d[1]))
    return _C.relu_forward, (x,), {}


def relu_backward_call(g, d, dtype):
    y, dy = arrays(g, dtype, (d[0], d[1]), (d[0], d[1]))
    return _C.relu_backward, (y, dy), {}


def gelu_call(g, d, dtype):
    x, dy = arrays(g, dtype, (d[0], d[1]), (d[0], d[1]))
    return _C.gelu_backward, (x, dy), {"approximate": "tanh"}


def softmax_call(g, d, dtype):
    (x,) = arrays(g, dtype, (d[0], d[1] + 1, d[2]))
    return _C.softmax_forward, (x, 1), {"log": bool(d[3] % 2)}


def softmax_backward_call(g, d, dtype):
    y, dy = arrays(g, dtype, (d[0], d[1] + 1), (d[0], d[1] + 1))
    return _C.softmax_backward, (y, dy, -1), {}


def _conv_dims(d):
    n, c, h, w = d[0], d[1] + 1, d[2] + 2, d[3] + 2
    return n, c, h, w, (1 + d[4] % 2, 1), (d[4] % 2, 1), (1, 1 + d[4] % 2), 1 + (d[4] % 2) * (c % 2 == 0)


def conv_call(g, d, dtype):
    n, c, h, w, stride, pad, dil, groups = _conv_dims(d)
    x, wt, b = arrays(g, dtype, (n, c, h, w), (4, c // groups, 2, 2), (4,))
    return _C.conv2d_forward, (x, wt, b, stride, pad, dil, groups), {}


def conv_backward_input_call(g, d, dtype):
    n, c, h, w, stride, pad, dil, groups = _conv_dims(d)
    x, wt = arrays(g, dtype, (n, c, h, w), (4, c // groups, 2, 2))
    out = _C.conv2d_forward(x, wt, None, stride, pad, dil, groups)
    return _C.conv2d_backward_input, (np.ones_like(out), wt, x.shape, stride, pad, dil, groups), {}


def conv_backward_weight_call(g, d, dtype):
    n, c, h, w, stride, pad, dil, groups = _conv_dims(d)
    x, wt = arrays(g, dtype, (n, c, h, w), (4, c // groups, 2, 2))
    out = _C.conv2d_forward(x, wt, None, stride, pad, dil, groups)
    return _C.conv2d_backward_weight, (x, np.ones_like(out), wt.shape, stride, pad, dil, groups, True), {}


def max_pool_call(g, d, dtype):
    (x,) = arrays(g, dtype, (d[0], d[1], d[2] + 2, d[3] + 2))
    return _C.max_pool2d_forward, (x, (2, 2), (1 + d[4] % 2, 2), (1, 0), (1, 1), bool(d[4] % 2)), {}


def max_pool_backward_call(g, d, dtype):
    fn, args, _ = max_pool_call(g, d, dtype)
    out, idx = fn(*args)
    return _C.max_pool2d_backward, (np.ones_like(out), idx, args[0].shape, *args[1:]), {}


def avg_pool_call(g, d, dtype):
    (x,) = arrays(g, dtype, (d[0], d[1], d[2] + 2, d[3] + 2))
    return _C.avg_pool2d_forward, (x, (2, 2), (2, 1), (1, 1), bool(d[4] % 2), bool(d[3] % 2), 0), {}


def avg_pool_backward_call(g, d, dtype):
    fn, args, _ = avg_pool_call(g, d, dtype)
    out = fn(*args)
    return _C.avg_pool2d_backward, (np.ones_like(out), args[0].shape, *args[1:]), {}


def adaptive_call(g, d, dtype):
    (x,) = arrays(g, dtype, (d[0], d[1], d[2] + 1, d[3] + 1))
    return _C.adaptive_avg_pool2d_forward, (x, (1 + d[4] % 3, 2)), {}


def adaptive_backward_call(g, d, dtype):
    (dy,) = arrays(g, dtype, (d[0], d[1], 2, 3))
    return _C.adaptive_avg_pool2d_backward, (dy, (d[0], d[1], d[2] + 2, d[3] + 3)), {}


def _rnn_args(g, d, dtype):
    mode = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"][d[4] % 4]
    gates = {"LSTM": 4, "GRU": 3}.get(mode, 1)
    t, b, i, h = d[0], d[1] + 1, d[2] + 1, d[3] + 1
    x, h0, c0, wih, whh, bih, bhh = arrays(g, dtype, (t, b, i), (b, h), (b, h), (gates * h, i), (gates * h, h),
                                           (gates * h,), (gates * h,))
    return mode, x, h0, c0 if mode == "LSTM" else None, wih, whh, bih, bhh


def rnn_call(g, d, dtype):
    return _C.rnn_forward, _rnn_args(g, d, dtype), {"reverse": bool(d[1] % 2)}


def rnn_backward_call(g, d, dtype):
    mode, x, h0, c0, wih, whh, bih, bhh = _rnn_args(g, d, dtype)
    y, h_n, c_n, gates, saved = _C.rnn_forward(mode, x, h0, c0, wih, whh, bih, bhh)
    return _C.rnn_backward, (mode, x, h0, c0, wih, whh, y, gates, saved, np.ones_like(y), None, None, False,
                             True), {}


def _attention_args(g, d, dtype):
    heads, lq, lk, e = d[0] + 1, d[1], d[2] + 1, d[3] + 1
    return arrays(g, dtype, (heads, lq, e), (heads, lk, e), (heads, lk, e + d[4] % 2))


def attention_call(g, d, dtype):
    q, k, v = _attention_args(g, d, dtype)
    mask = np.where(g.random((q.shape[1], k.shape[1])) > 0.3, 0.0, -np.inf).astype(dtype)
    return _C.attention_forward, (q, k, v), {"mask": mask, "mask_offsets": np.zeros(q.shape[0], np.int64),
                                             "mask_row_stride": k.shape[1], "scale": 0.5}


def attention_backward_call(g, d, dtype):
    q, k, v = _attention_args(g, d, dtype)
    out, lse = _C.attention_forward(q, k, v, is_causal=True, scale=0.5)
    return _C.attention_backward, (q, k, v, out, lse, np.ones_like(out)), {"is_causal": True, "scale": 0.5}


def layer_norm_call(g, d, dtype):
    x, w, b = arrays(g, dtype, (d[0], d[1] + 1), (d[1] + 1,), (d[1] + 1,))
    return _C.layer_norm_forward, (x, w, b), {"eps": 1e-5}


def layer_norm_backward_call(g, d, dtype):
    x, w = arrays(g, dtype, (d[0], d[1] + 1), (d[1] + 1,))
    out, mean, rstd = _C.layer_norm_forward(x, w, None)
    return _C.layer_norm_backward, (x, w, mean, rstd, np.ones_like(out)), {}


def sgd_step_call(g, d, dtype):
    param, grad, buf = arrays(g, dtype, (d[0], d[1]), (d[0], d[1]), (d[0], d[1]))
    return _C.sgd_step, (param, grad, buf, 0.1, 0.9, 0.1, 0.01, True, False, False), {}


def adam_step_call(g, d, dtype):
    param, grad, m, v, v_max = arrays(g, dtype, *[(d[0], d[1])] * 5)
    return _C.adam_step, (param, grad, m, np.abs(v), np.abs(v_max), 1e-3, 0.9, 0.999, 1e-8, 0.01, True, True, False,
                          d[2] + 1), {}


CALLS = [gemm_call, relu_call, relu_backward_call, gelu_call, softmax_call, softmax_backward_call, conv_call,
         conv_backward_input_call, conv_backward_weight_call, max_pool_call, max_pool_backward_call, avg_pool_call,
         avg_pool_backward_call, adaptive_call, adaptive_backward_call, rnn_call, rnn_backward_call, attention_call,
         attention_backward_call, layer_norm_call, layer_norm_backward_call, sgd_step_call, adam_step_call]
DIMS = st.lists(st.integers(0, 5), min_size=5, max_size=5)


# -- spoiling one argument ------------------------------------------------------------
def _misaligned(a):
    raw = np.zeros(a.nbytes + 1, np.uint8)
    view = raw[1:].view(a.dtype).reshape(a.shape)
    view[...] = a
    return view


def _read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


SPOILERS = {
    "float16": lambda a: a.astype(np.float16), "int32": lambda a: a.astype(np.int32),
    "bool": lambda a: a.astype(bool), "object": lambda a: a.astype(object),
    "non_contiguous": lambda a: np.repeat(a, 2, axis=-1)[..., ::2] if a.ndim else a,
    "transposed": lambda a: a.T, "read_only": _read_only, "misaligned": _misaligned,
    "zero_stride": lambda a: np.broadcast_to(a.reshape(-1)[:1].reshape((1,) * a.ndim), a.shape) if a.size else a,
    "one_more_dim": lambda a: a[None], "one_less_dim": lambda a: a[0] if a.ndim > 1 and a.shape[0] else a.reshape(-1)[:0],
    "grown": lambda a: np.concatenate([a, a], axis=-1) if a.ndim else a,
    "nan_inf": lambda a: np.where(np.arange(a.size).reshape(a.shape) % 3 == 0, np.nan, np.inf).astype(a.dtype)
    if a.dtype.kind == "f" else a,
}
NUMBER_SPOILERS = [-1, 0, -(2 ** 40), 2 ** 40, 2 ** 62]


def _spoil(args, kwargs, position, how, number):
    args, kwargs = list(args), dict(kwargs)
    slots = [(args, i) for i in range(len(args))] + [(kwargs, k) for k in kwargs]
    container, key = slots[position % len(slots)]
    value = container[key]
    if isinstance(value, np.ndarray):
        with np.errstate(all="ignore"):  # NaN, inf and overflowing casts are part of the point
            container[key] = SPOILERS[how](value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        container[key] = number
    elif isinstance(value, tuple):
        container[key] = tuple(number for _ in value)
    return args, kwargs


@pytest.mark.parametrize("make_call", CALLS, ids=lambda f: f.__name__)
@FUZZ
@given(dims=DIMS, seed=st.integers(0, 2 ** 16), position=st.integers(0, 20), how=st.sampled_from(sorted(SPOILERS)),
       number=st.sampled_from(NUMBER_SPOILERS))
def test_spoiled_arguments_raise_python_errors_or_work(make_call, dims, seed, position, how, number):
    g = np.random.default_rng(seed)
    try:
        fn, args, kwargs = make_call(g, dims, np.float32)
    except PYTHON_ERRORS:
        return  # the valid call's own set-up rejected this size: nothing to spoil
    args, kwargs = _spoil(args, kwargs, position, how, number)
    try:
        fn(*args, **kwargs)
    except PYTHON_ERRORS:
        pass


@pytest.mark.parametrize("make_call", CALLS, ids=lambda f: f.__name__)
@FUZZ
@given(dims=DIMS, seed=st.integers(0, 2 ** 16), dtype=st.sampled_from([np.float32, np.float64]))
def test_valid_calls_on_random_shapes_succeed(make_call, dims, seed, dtype):
    fn, args, kwargs = make_call(np.random.default_rng(seed), dims, dtype)
    result = fn(*args, **kwargs)
    for out in result if isinstance(result, tuple) else (result,):
        assert out is None or out.dtype in (np.dtype(dtype), np.dtype(np.int64))


# -- valid calls against the reference -------------------------------------------------
@FUZZ
@given(m=st.integers(0, 40), k=st.integers(0, 40), n=st.integers(0, 40), trans=st.tuples(st.booleans(), st.booleans()),
       seed=st.integers(0, 2 ** 16))
def test_gemm_matches_reference_on_random_shapes(m, k, n, trans, seed):
    g = np.random.default_rng(seed)
    a = g.standard_normal((k, m) if trans[0] else (m, k))
    b = g.standard_normal((n, k) if trans[1] else (k, n))
    np.testing.assert_allclose(_C.gemm(a, b, trans_a=trans[0], trans_b=trans[1]),
                               reference.matmul(a, b, trans[0], trans[1]), atol=1e-12)


@FUZZ
@given(dims=DIMS, seed=st.integers(0, 2 ** 16))
def test_conv_and_pools_match_reference_on_random_shapes(dims, seed):
    g = np.random.default_rng(seed)
    n, c, h, w, stride, pad, dil, groups = _conv_dims(dims)
    x, wt, b = arrays(g, np.float64, (n, c, h, w), (4, c // groups, 2, 2), (4,))
    np.testing.assert_allclose(_C.conv2d_forward(x, wt, b, stride, pad, dil, groups),
                               reference.conv2d(x, wt, b, stride, pad, dil, groups), atol=1e-12)
    ceil = bool(dims[4] % 2)
    for stride, pad in (((2, 1), (1, 0)), ((2, 2), (0, 0))):  # the second: the 2x2 fast path
        out, _ = _C.max_pool2d_forward(x, (2, 2), stride, pad, (1, 1), ceil)
        np.testing.assert_array_equal(out, reference.max_pool2d(x, (2, 2), stride, pad, (1, 1), ceil)[0])
        np.testing.assert_allclose(_C.avg_pool2d_forward(x, (2, 2), stride, pad, ceil, True, 0),
                                   reference.avg_pool2d(x, (2, 2), stride, pad, ceil, True), atol=1e-12)
    np.testing.assert_allclose(_C.avg_pool2d_forward(x, (2, 2), (1, 2), (1, 1), True, False, 0),
                               reference.avg_pool2d(x, (2, 2), (1, 2), (1, 1), True, False), atol=1e-12)


@FUZZ
@given(n=st.integers(0, 3), c=st.integers(16, 40), o=st.integers(32, 50), h=st.integers(2, 21), w=st.integers(2, 21),
       pad=st.integers(0, 2), seed=st.integers(0, 2 ** 16))
def test_winograd_convolution_matches_reference_on_random_shapes(n, c, o, h, w, pad, seed):
    # float32 3x3 stride-1 convolutions of these channel counts take the Winograd path
    # when they have 16 output tiles (forward, weight gradient), else the direct one.
    g = np.random.default_rng(seed)
    if h + 2 * pad < 3 or w + 2 * pad < 3:
        return
    x = g.standard_normal((n, c, h, w)).astype(np.float32)
    wt = (g.standard_normal((o, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32)
    b = g.standard_normal(o).astype(np.float32)
    y = _C.conv2d_forward(x, wt, b, (1, 1), (pad, pad), (1, 1), 1)
    dy = g.standard_normal(y.shape).astype(np.float32)
    dx = _C.conv2d_backward_input(dy, wt, x.shape, (1, 1), (pad, pad), (1, 1), 1)
    dw, db = _C.conv2d_backward_weight(x, dy, wt.shape, (1, 1), (pad, pad), (1, 1), 1, True)
    x64, w64, dy64 = x.astype(np.float64), wt.astype(np.float64), dy.astype(np.float64)
    want = [reference.conv2d(x64, w64, b.astype(np.float64), (1, 1), (pad, pad), (1, 1), 1),
            *reference.conv2d_backward(x64, w64, dy64, (1, 1), (pad, pad), (1, 1), 1)]
    for got, ref in zip((y, dx, dw, db), want):
        np.testing.assert_allclose(got, ref, atol=2e-5 * max(1.0, np.abs(ref).max(initial=0)), rtol=0)


@FUZZ
@given(dims=DIMS, seed=st.integers(0, 2 ** 16), causal=st.booleans())
def test_attention_matches_reference_on_random_shapes(dims, seed, causal):
    q, k, v = _attention_args(np.random.default_rng(seed), dims, np.float64)
    out, _ = _C.attention_forward(q, k, v, is_causal=causal, scale=0.5)
    np.testing.assert_allclose(out, reference.attention(q, k, v, is_causal=causal, scale=0.5), atol=1e-12)


def test_huge_sizes_are_refused_before_any_allocation():
    big = np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), shape=(2 ** 16, 2 ** 16), strides=(0, 0))
    with pytest.raises(PYTHON_ERRORS):
        _C.gemm(big, big)
    with pytest.raises(PYTHON_ERRORS):
        _C.adaptive_avg_pool2d_backward(np.zeros((1, 1, 1, 1), np.float32), (2 ** 40, 2 ** 40, 1, 1))
    with pytest.raises(PYTHON_ERRORS):
        _C.set_num_threads(-1)


def test_row_offsets_past_2_to_the_31_elements(tmp_path):
    """A row slice whose leading dimension is 2^31 + 16 elements (8 GiB apart, in a
    sparse file that costs no memory): element offsets need 64-bit arithmetic."""
    ld = 2 ** 31 + 16
    path = tmp_path / "sparse"
    with open(path, "wb") as f:
        f.truncate((2 * ld) * 4)
    backing = np.memmap(path, dtype=np.float32, mode="r+", shape=(2 * ld,))
    rows = np.lib.stride_tricks.as_strided(backing, shape=(2, 16), strides=(ld * 4, 4))
    rows[0] = np.arange(16)
    rows[1] = -np.arange(16) * 0.5
    b = np.random.default_rng(0).standard_normal((16, 5)).astype(np.float32)
    np.testing.assert_allclose(_C.gemm(rows, b), np.array(rows) @ b, rtol=1e-5, atol=1e-5)
    del rows, backing


# -- the public ops, on Tensors ---------------------------------------------------------
def _public_ops():
    import fastnn.nn.functional as F
    return {
        "linear": lambda x: F.linear(x, x),
        "conv2d": lambda x: F.conv2d(x, x, padding=1),
        "max_pool2d": lambda x: F.max_pool2d(x, 2, ceil_mode=True),
        "avg_pool2d": lambda x: F.avg_pool2d(x, 2, padding=1),
        "adaptive_avg_pool2d": lambda x: F.adaptive_avg_pool2d(x, 2),
        "softmax": lambda x: F.softmax(x, dim=-1),
        "cross_entropy": lambda x: F.cross_entropy(x, fastnn.tensor(np.zeros(x.shape[0], np.int64))),
        "layer_norm": lambda x: F.layer_norm(x, x.shape[-1:]),
        "attention": lambda x: F.scaled_dot_product_attention(x, x, x, is_causal=True),
        "gelu": F.gelu, "relu": F.relu,
        "matmul": lambda x: x @ x,
    }


@pytest.mark.parametrize("op", sorted(_public_ops()))
@FUZZ
@given(shape=st.lists(st.integers(0, 4), min_size=1, max_size=4), seed=st.integers(0, 2 ** 16),
       dtype=st.sampled_from(["float32", "float64", "float16", "int64", "bool", "nan"]))
def test_public_ops_on_random_tensors_work_or_raise_python_errors(op, shape, seed, dtype):
    a = np.random.default_rng(seed).standard_normal(shape)
    a = np.full(shape, np.nan) if dtype == "nan" else a.astype(dtype)
    try:
        _public_ops()[op](fastnn.tensor(a))
    except PYTHON_ERRORS:
        pass
