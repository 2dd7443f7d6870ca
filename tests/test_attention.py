"""Attention: the NumPy reference against finite differences, the fused kernel
(forward and backward) against the reference on every ISA, masks, causal, thread
invariance, gradcheck through F.scaled_dot_product_attention, MultiheadAttention,
LayerNorm and Embedding, and bad input."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import _C, nn, reference
from helpers import float32_tolerance, gradcheck, numeric_grad, rng

# (lead, Lq, Lk, E, Ev): tiles and their edges (96-query and 128/256-key tiles).
SHAPES = [((2, 3), 5, 7, 4, 6), ((2,), 130, 300, 16, 8), ((1,), 97, 97, 8, 8), ((), 200, 257, 3, 5),
          ((3,), 1, 1, 2, 2)]


def _qkv(lead, lq, lk, e, ev, dtype=np.float64, seed=0):
    g = rng(seed)
    return [g.standard_normal(lead + shape).astype(dtype) for shape in ((lq, e), (lk, e), (lk, ev))]


def _masks(lead, lq, lk, seed=0):
    """Each kind of mask: none, causal, bool (with a fully masked row), float broadcast
    over heads and rows (a key padding mask)."""
    g = rng(seed)
    allowed = g.random(lead + (lq, lk)) > 0.3
    allowed[..., 0, :] = False
    padding = np.where(g.random(lead[:1] + (1,) * max(len(lead) - 1, 0) + (1, lk)) > 0.4, 0.0,
                       -np.inf) + g.standard_normal(lk) * 0.5
    return {"none": {}, "causal": {"is_causal": True}, "bool": {"attn_mask": allowed},
            "float": {"attn_mask": padding}}


def test_reference_backward_matches_finite_differences():
    q, k, v = _qkv((2,), 4, 6, 3, 5)
    mask = _masks((2,), 4, 6)["float"]["attn_mask"]
    grad = rng(3).standard_normal((2, 4, 5))
    grads = reference.attention_backward(q, k, v, grad, attn_mask=mask)
    for i, analytic in enumerate(grads):
        def objective(x, i=i):
            args = [q, k, v]
            args[i] = x
            return float((reference.attention(*args, attn_mask=mask) * grad).sum())
        np.testing.assert_allclose(analytic, numeric_grad(objective, [q, k, v][i]), atol=1e-7)


@pytest.mark.kernel
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("kind", ["none", "causal", "bool", "float"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_attention_matches_reference(each_isa, shape, kind, dtype):
    lead, lq, lk, e, ev = shape
    q, k, v = _qkv(*shape, dtype=dtype)
    kw = _masks(lead, lq, lk)[kind]
    grad = rng(4).standard_normal(lead + (lq, ev)).astype(dtype)
    tq, tk, tv = [fastnn.tensor(x, requires_grad=True) for x in (q, k, v)]
    out = F.scaled_dot_product_attention(tq, tk, tv, **kw)
    out.backward(fastnn.tensor(grad))
    wide = [x.astype(np.float64) for x in (q, k, v)]
    expected = reference.attention(*wide, **kw)
    expected_grads = reference.attention_backward(*wide, grad.astype(np.float64), **kw)
    tol = 1e-12 if dtype == np.float64 else float32_tolerance(lk)
    np.testing.assert_allclose(out.data, expected, atol=tol, rtol=tol)
    for name, t, g in zip("qkv", (tq, tk, tv), expected_grads):
        np.testing.assert_allclose(t.grad.data, g, atol=tol * 4, rtol=tol * 4, err_msg=f"d{name}")


@pytest.mark.kernel
def test_fully_masked_rows_give_zero_output_and_gradient():
    q, k, v = _qkv((2,), 6, 5, 4, 4)
    allowed = np.ones((6, 5), bool)
    allowed[2] = False
    tq = fastnn.tensor(q, requires_grad=True)
    out = F.scaled_dot_product_attention(tq, fastnn.tensor(k), fastnn.tensor(v), attn_mask=allowed)
    out.sum().backward()
    assert np.all(out.data[:, 2] == 0) and np.all(tq.grad.data[:, 2] == 0)
    assert np.isfinite(out.data).all() and np.isfinite(tq.grad.data).all()


@pytest.mark.kernel
@pytest.mark.parametrize("is_causal", [False, True])
def test_one_and_two_threads_give_bitwise_equal_results(threads, is_causal):
    q, k, v = _qkv((4, 2), 150, 300, 16, 16, dtype=np.float32)
    grad = rng(2).standard_normal((4, 2, 150, 16)).astype(np.float32)
    results = []
    for n in (1, 2):
        threads(n)
        tensors = [fastnn.tensor(x, requires_grad=True) for x in (q, k, v)]
        out = F.scaled_dot_product_attention(*tensors, is_causal=is_causal)
        out.backward(fastnn.tensor(grad))
        results.append([out.data] + [t.grad.data for t in tensors])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", ["none", "causal", "bool", "float"])
def test_sdpa_gradcheck_float64(kind):
    lead, lq, lk = (2,), 3, 4
    kw = _masks(lead, lq, lk, seed=1)[kind]
    q, k, v = _qkv(lead, lq, lk, 3, 2, seed=2)
    gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, scale=0.7, **kw), [q, k, v])


def test_dropout_path_matches_reference_without_dropout_and_drops_with_it():
    q, k, v = [fastnn.tensor(x) for x in _qkv((2,), 5, 6, 4, 3)]
    fastnn.manual_seed(0)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=1e-12)  # the unfused path, nothing dropped
    np.testing.assert_allclose(out.data, reference.attention(q.data, k.data, v.data), atol=1e-12)
    dropped = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert not np.allclose(dropped.data, out.data)


def test_mask_planes_never_copy_a_shared_mask_per_head():
    # a (Lq, Lk) mask shared by 64 heads is passed as one plane, not 64
    q, k, v = [fastnn.tensor(x) for x in _qkv((8, 8), 16, 16, 4, 4)]
    mask = rng(1).random((16, 16)) > 0.2
    mask[:, 0] = True
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    np.testing.assert_allclose(out.data, reference.attention(q.data, k.data, v.data, attn_mask=mask), atol=1e-12)


def test_layer_norm_and_embedding_gradcheck():
    g = rng(0)
    x, w, b = g.standard_normal((3, 2, 5)), g.standard_normal(5), g.standard_normal(5)
    gradcheck(lambda x, w, b: F.layer_norm(x, 5, w, b), [x, w, b])
    gradcheck(lambda x, w: F.layer_norm(x, (2, 5), w), [x, g.standard_normal((2, 5))])
    np.testing.assert_allclose(F.layer_norm(fastnn.tensor(x), 5, fastnn.tensor(w), fastnn.tensor(b)).data,
                               reference.layer_norm(x, w, b), atol=1e-12)
    indices = np.array([[0, 3, 3], [1, 0, 4]])
    gradcheck(lambda w: F.embedding(indices, w), [g.standard_normal((5, 3))])
    table = fastnn.tensor(g.standard_normal((5, 3)), requires_grad=True)
    F.embedding(indices, table, padding_idx=1).sum().backward()  # as PyTorch: the padding row learns nothing
    np.testing.assert_array_equal(table.grad.data[:, 0], [2, 0, 0, 2, 1])
    np.testing.assert_array_equal(F.embedding(indices, fastnn.tensor(w.reshape(5, 1))).data,
                                  reference.embedding(indices, w.reshape(5, 1)))


def test_multihead_attention_gradcheck_and_weights():
    fastnn.manual_seed(0)
    mha = nn.MultiheadAttention(6, 2, batch_first=True, dtype=np.float64)
    x = rng(1).standard_normal((2, 3, 6))
    gradcheck(lambda t: mha(t, t, t, need_weights=False)[0], [x])
    _, weights = mha(fastnn.tensor(x), fastnn.tensor(x), fastnn.tensor(x))
    assert weights.shape == (2, 3, 3)
    np.testing.assert_allclose(weights.data.sum(-1), 1.0, atol=1e-12)
    assert [name for name, _ in mha.named_parameters()] == ["in_proj_weight", "in_proj_bias", "out_proj.weight",
                                                            "out_proj.bias"]


def test_split_and_merge_heads_match_reshapes_and_gradcheck():
    from fastnn.ops.attention import merge_heads, split_heads
    x = rng(2).standard_normal((2, 3, 3 * 2 * 4))  # (N, L, parts * heads * d)
    parts = split_heads(fastnn.tensor(x), 3, 2)
    want = x.reshape(2, 3, 3, 2, 4).transpose(2, 0, 3, 1, 4)
    for part, expected in zip(parts, want):
        np.testing.assert_array_equal(part.data, expected)
        np.testing.assert_array_equal(merge_heads(part).data, expected.transpose(0, 2, 1, 3).reshape(2, 3, 8))
    # every part's gradient lands in its own columns; a part left unused gives zeros there
    gradcheck(lambda t: split_heads(t, 3, 2)[0] * 2 + split_heads(t, 3, 2)[2], [x])
    gradcheck(lambda t: merge_heads(split_heads(t, 3, 2)[1]), [x])


@pytest.mark.parametrize("call, message", [
    (lambda q, k, v: F.scaled_dot_product_attention(q, k[:1], v[:1]), "batch and head"),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k[..., :3], v), "embedding sizes"),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k, v[:, :5]), "lengths differ"),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 4, 7), bool)), "broadcast"),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((4, 6), bool), is_causal=True),
     "not both"),
    (lambda q, k, v: nn.MultiheadAttention(10, 3), "divisible"),
    (lambda q, k, v: nn.MultiheadAttention(4, 2, batch_first=True)(q, k, v, attn_mask=np.ones((3, 3), bool)), "attn_mask"),
    (lambda q, k, v: nn.MultiheadAttention(4, 2, batch_first=True)(q, k, v, key_padding_mask=np.ones((2, 2), bool)),
     "key_padding_mask"),
    (lambda q, k, v: F.layer_norm(q, 5), "normalized_shape"),
    (lambda q, k, v: F.embedding(np.array([0, 7]), fastnn.zeros(5, 2)), "indices"),
])
def test_bad_input_names_the_argument_and_shapes(call, message):
    q, k, v = [fastnn.tensor(x) for x in _qkv((2,), 4, 6, 4, 4, dtype=np.float32)]
    with pytest.raises((ValueError, IndexError), match=message):
        call(q, k, v)


@pytest.mark.kernel
def test_kernel_rejects_mask_planes_outside_the_mask():
    q, k, v = _qkv((2,), 4, 6, 4, 4)
    with pytest.raises(ValueError, match="does not fit"):
        _C.attention_forward(q, k, v, mask=np.zeros(24), mask_offsets=np.array([0, 12]), mask_row_stride=6,
                             scale=1.0)
    with pytest.raises(TypeError, match="int64"):
        _C.attention_forward(q, k, v, mask=np.zeros(24), mask_offsets=np.array([0.0, 0.0]), scale=1.0)


@pytest.mark.parametrize("n", [70, 300])  # 300: two column blocks of the parameter gradients
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_rows_match_reference_on_every_isa(each_isa, n, affine, dtype):
    g = rng(6)
    x = g.standard_normal((37, n)) * 3 + 5
    grad = g.standard_normal((37, n))
    weight = g.standard_normal(n) if affine != "none" else None
    bias = g.standard_normal(n) if affine == "both" else None
    cast = (lambda a: None if a is None else a.astype(dtype))
    y, mean, rstd = _C.layer_norm_forward(cast(x), cast(weight), cast(bias), 1e-5)
    dx, dweight, dbias = _C.layer_norm_backward(cast(x), cast(weight), mean, rstd, cast(grad))
    want_dx, want_dweight, want_dbias = reference.layer_norm_backward(x, weight, grad)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(y, reference.layer_norm(x, weight, bias), rtol=tol, atol=tol)
    np.testing.assert_allclose(dx, want_dx, rtol=tol, atol=tol * 10)
    if weight is not None:
        np.testing.assert_allclose(dweight, want_dweight, rtol=tol, atol=tol * 100)
        np.testing.assert_allclose(dbias, grad.sum(0), rtol=tol, atol=tol * 100)


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_layer_norm_kernel_matches_reference_and_is_thread_invariant(threads, dtype):
    g = rng(5)
    x = (g.standard_normal((300, 70)) * 3 + 5).astype(dtype)
    w, b, grad = g.standard_normal(70).astype(dtype), g.standard_normal(70).astype(dtype), g.standard_normal(
        (300, 70)).astype(dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    results = []
    for n in (1, 2):
        threads(n)
        tx, tw, tb = [fastnn.tensor(a, requires_grad=True) for a in (x, w, b)]
        out = F.layer_norm(tx, 70, tw, tb)
        out.backward(fastnn.tensor(grad))
        results.append([out.data, tx.grad.data, tw.grad.data, tb.grad.data])
    np.testing.assert_allclose(results[0][0], reference.layer_norm(x.astype(np.float64), w, b), atol=tol * 10)
    np.testing.assert_allclose(results[0][3], grad.astype(np.float64).sum(0), rtol=tol * 10, atol=tol * 100)
    for a, b_ in zip(*results):
        np.testing.assert_array_equal(a, b_)
