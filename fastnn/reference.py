"""Plain-NumPy forward and backward of every kernel: the oracle for the tests and
the baseline for the benches. Written for clarity, not speed; works in float64."""
import math

import numpy as np


def _op(x, trans):
    return x.T if trans else x


def matmul(a, b, trans_a=False, trans_b=False):
    """op(a) @ op(b) for 2-D arrays, by explicit sum over k."""
    a, b = _op(a, trans_a), _op(b, trans_b)
    return np.einsum("ik,kj->ij", a, b)


def matmul_backward(a, b, grad_out):
    """Gradients of sum(grad_out * (a @ b)) with respect to a and b."""
    return np.einsum("ij,kj->ik", grad_out, b), np.einsum("ik,ij->kj", a, grad_out)


def gemm(a, b, c=None, trans_a=False, trans_b=False, alpha=1.0, beta=0.0):
    """alpha * op(a) @ op(b) + beta * c (c not read when beta == 0)."""
    out = alpha * matmul(a, b, trans_a, trans_b)
    return out if beta == 0.0 else out + beta * c


def gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return (0.5 * x * (1 + erf(x / math.sqrt(2)))).astype(x.dtype)


def gelu_backward(x, grad_out, approximate="none"):
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
        t = np.tanh(inner)
        dinner = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x ** 2)
        return grad_out * (0.5 * (1 + t) + 0.5 * x * (1 - t ** 2) * dinner)
    erf = np.vectorize(math.erf, otypes=[np.float64])
    cdf = 0.5 * (1 + erf(x / math.sqrt(2)))
    pdf = np.exp(-0.5 * x ** 2) / math.sqrt(2 * math.pi)
    return (grad_out * (cdf + x * pdf)).astype(x.dtype)


# -- conv2d (NCHW, groups) --------------------------------------------------------
def _conv_output_size(size, k, stride, pad, dil):
    return (size + 2 * pad - dil * (k - 1) - 1) // stride + 1


def _windows(xp, kh, kw, out_h, out_w, stride, dil):
    """The (N, C, OH, OW) slice of padded input seen by kernel tap (kh, kw)."""
    h0, w0 = kh * dil[0], kw * dil[1]
    return xp[:, :, h0:h0 + stride[0] * (out_h - 1) + 1:stride[0], w0:w0 + stride[1] * (out_w - 1) + 1:stride[1]]


def conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    n, c, h, wd = x.shape
    o, cg, k_h, k_w = w.shape
    oh = _conv_output_size(h, k_h, stride[0], padding[0], dilation[0])
    ow = _conv_output_size(wd, k_w, stride[1], padding[1], dilation[1])
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    wg = w.reshape(groups, o // groups, cg, k_h, k_w)
    out = np.zeros((n, groups, o // groups, oh, ow), dtype=np.result_type(x, w))
    for kh in range(k_h):
        for kw in range(k_w):
            patch = _windows(xp, kh, kw, oh, ow, stride, dilation).reshape(n, groups, cg, oh, ow)
            out += np.einsum("ngchw,goc->ngohw", patch, wg[..., kh, kw])
    out = out.reshape(n, o, oh, ow)
    return out if b is None else out + b.reshape(1, o, 1, 1)


def conv2d_backward(x, w, grad_out, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """Gradients (input, weight, bias) of sum(grad_out * conv2d(x, w, b))."""
    n, c, h, wd = x.shape
    o, cg, k_h, k_w = w.shape
    oh, ow = grad_out.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    dxp = np.zeros_like(xp)
    wg = w.reshape(groups, o // groups, cg, k_h, k_w)
    dyg = grad_out.reshape(n, groups, o // groups, oh, ow)
    dw = np.zeros_like(wg)
    for kh in range(k_h):
        for kw in range(k_w):
            patch = _windows(xp, kh, kw, oh, ow, stride, dilation).reshape(n, groups, cg, oh, ow)
            dw[..., kh, kw] = np.einsum("ngohw,ngchw->goc", dyg, patch)
            dpatch = np.einsum("ngohw,goc->ngchw", dyg, wg[..., kh, kw]).reshape(n, c, oh, ow)
            _windows(dxp, kh, kw, oh, ow, stride, dilation)[...] += dpatch
    dx = dxp[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + wd]
    return dx, dw.reshape(w.shape), grad_out.sum(axis=(0, 2, 3))


# -- pooling ------------------------------------------------------------------------
def pool_output_size(size, k, stride, pad, dil, ceil_mode):
    span = size + 2 * pad - dil * (k - 1) - 1 + (stride - 1 if ceil_mode else 0)
    out = span // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def max_pool2d(x, kernel, stride, padding=(0, 0), dilation=(1, 1), ceil_mode=False):
    """Returns (values, indices): indices are flat h * W + w in each input plane."""
    n, c, h, w = x.shape
    oh = pool_output_size(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    ow = pool_output_size(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    values = np.full((n, c, oh, ow), -np.inf, dtype=x.dtype)
    indices = np.zeros((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            best = np.full((n, c), -np.inf, dtype=x.dtype)
            where = np.full((n, c), -1, dtype=np.int64)
            for kh in range(kernel[0]):
                ih = i * stride[0] - padding[0] + kh * dilation[0]
                for kw in range(kernel[1]):
                    iw = j * stride[1] - padding[1] + kw * dilation[1]
                    if not (0 <= ih < h and 0 <= iw < w):
                        continue
                    v = x[:, :, ih, iw]
                    take = (where < 0) | (v > best) | np.isnan(v)
                    best = np.where(take, v, best)
                    where = np.where(take, ih * w + iw, where)
            values[:, :, i, j], indices[:, :, i, j] = best, where
    return values, indices


def max_pool2d_backward(grad_out, indices, input_shape):
    n, c, h, w = input_shape
    dx = np.zeros((n * c, h * w), dtype=grad_out.dtype)
    rows = np.repeat(np.arange(n * c), indices[0, 0].size)
    np.add.at(dx, (rows, indices.reshape(-1)), grad_out.reshape(-1))
    return dx.reshape(input_shape)


def _avg_windows(h, w, kernel, stride, padding, ceil_mode):
    oh = pool_output_size(h, kernel[0], stride[0], padding[0], 1, ceil_mode)
    ow = pool_output_size(w, kernel[1], stride[1], padding[1], 1, ceil_mode)
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * stride[0] - padding[0], j * stride[1] - padding[1]
            h1, w1 = min(h0 + kernel[0], h + padding[0]), min(w0 + kernel[1], w + padding[1])
            padded = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            yield i, j, slice(h0, h1), slice(w0, w1), padded, (h1 - h0) * (w1 - w0), (oh, ow)


def avg_pool2d(x, kernel, stride, padding=(0, 0), ceil_mode=False, count_include_pad=True, divisor_override=None):
    n, c, h, w = x.shape
    out = None
    for i, j, hs, ws, padded, valid, shape in _avg_windows(h, w, kernel, stride, padding, ceil_mode):
        if out is None:
            out = np.zeros((n, c) + shape, dtype=x.dtype)
        divisor = divisor_override or (padded if count_include_pad else valid)
        out[:, :, i, j] = x[:, :, hs, ws].sum(axis=(2, 3)) / divisor
    return out


def avg_pool2d_backward(grad_out, input_shape, kernel, stride, padding=(0, 0), ceil_mode=False,
                        count_include_pad=True, divisor_override=None):
    dx = np.zeros(input_shape, dtype=grad_out.dtype)
    for i, j, hs, ws, padded, valid, _ in _avg_windows(input_shape[2], input_shape[3], kernel, stride, padding,
                                                       ceil_mode):
        divisor = divisor_override or (padded if count_include_pad else valid)
        dx[:, :, hs, ws] += (grad_out[:, :, i, j] / divisor)[:, :, None, None]
    return dx


def _adaptive_cells(h, w, oh, ow):
    for i in range(oh):
        for j in range(ow):
            hs = slice(i * h // oh, -(-(i + 1) * h // oh))
            ws = slice(j * w // ow, -(-(j + 1) * w // ow))
            yield i, j, hs, ws


def adaptive_avg_pool2d(x, output_size):
    out = np.zeros(x.shape[:2] + tuple(output_size), dtype=x.dtype)
    for i, j, hs, ws in _adaptive_cells(*x.shape[2:], *output_size):
        out[:, :, i, j] = x[:, :, hs, ws].mean(axis=(2, 3))
    return out


def adaptive_avg_pool2d_backward(grad_out, input_shape):
    dx = np.zeros(input_shape, dtype=grad_out.dtype)
    for i, j, hs, ws in _adaptive_cells(*input_shape[2:], *grad_out.shape[2:]):
        count = (hs.stop - hs.start) * (ws.stop - ws.start)
        dx[:, :, hs, ws] += (grad_out[:, :, i, j] / count)[:, :, None, None]
    return dx


# -- softmax family ---------------------------------------------------------------
def softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def log_softmax(x, dim):
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def softmax_backward(y, grad_out, dim):
    return y * (grad_out - (grad_out * y).sum(axis=dim, keepdims=True))


def log_softmax_backward(y, grad_out, dim):
    return grad_out - np.exp(y) * grad_out.sum(axis=dim, keepdims=True)


# -- recurrent cells (PyTorch's gate order and GRU form) -------------------------------
def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def rnn_cell(mode, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step: returns (h', c') (c' is None but for LSTM). mode: RNN_TANH,
    RNN_RELU, LSTM (gates i, f, g, o) or GRU (r, z, n with n = tanh(W_in x + b_in
    + r * (W_hn h + b_hn)))."""
    gx, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    if mode == "RNN_TANH":
        return np.tanh(gx + gh), None
    if mode == "RNN_RELU":
        return np.maximum(gx + gh, 0), None
    hidden = h.shape[1]
    if mode == "LSTM":
        a = gx + gh
        i, f = _sigmoid(a[:, :hidden]), _sigmoid(a[:, hidden:2 * hidden])
        g, o = np.tanh(a[:, 2 * hidden:3 * hidden]), _sigmoid(a[:, 3 * hidden:])
        c_new = f * c + i * g
        return o * np.tanh(c_new), c_new
    r = _sigmoid(gx[:, :hidden] + gh[:, :hidden])
    z = _sigmoid(gx[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden])
    n = np.tanh(gx[:, 2 * hidden:] + r * gh[:, 2 * hidden:])
    return (1 - z) * n + z * h, None


def rnn_cell_backward(mode, x, h, c, w_ih, w_hh, b_ih, b_hh, grad_h, grad_c=None):
    """Gradients of sum(grad_h * h' + grad_c * c') with respect to
    (x, h, c, w_ih, w_hh, b_ih, b_hh); the c entry is None but for LSTM."""
    gx, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    hidden = h.shape[1]
    grad_c_prev = None
    if mode in ("RNN_TANH", "RNN_RELU"):
        a = gx + gh
        da = grad_h * (1 - np.tanh(a) ** 2) if mode == "RNN_TANH" else grad_h * (a > 0)
        dgx = dgh = da
    elif mode == "LSTM":
        a = gx + gh
        i, f = _sigmoid(a[:, :hidden]), _sigmoid(a[:, hidden:2 * hidden])
        g, o = np.tanh(a[:, 2 * hidden:3 * hidden]), _sigmoid(a[:, 3 * hidden:])
        tc = np.tanh(f * c + i * g)
        dc = (0 if grad_c is None else grad_c) + grad_h * o * (1 - tc ** 2)
        dgx = dgh = np.concatenate([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g ** 2),
                                    grad_h * tc * o * (1 - o)], axis=1)
        grad_c_prev = dc * f
    else:
        r = _sigmoid(gx[:, :hidden] + gh[:, :hidden])
        z = _sigmoid(gx[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden])
        hn = gh[:, 2 * hidden:]
        n = np.tanh(gx[:, 2 * hidden:] + r * hn)
        dan = grad_h * (1 - z) * (1 - n ** 2)
        dar = dan * hn * r * (1 - r)
        daz = grad_h * (h - n) * z * (1 - z)
        dgx = np.concatenate([dar, daz, dan], axis=1)
        dgh = np.concatenate([dar, daz, dan * r], axis=1)
    grad_prev = dgh @ w_hh + (grad_h * z if mode == "GRU" else 0)
    return (dgx @ w_ih, grad_prev, grad_c_prev, dgx.T @ x, dgh.T @ h, dgx.sum(0), dgh.sum(0))


def rnn_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False):
    """A time-major sequence (T, B, I) through one layer: (output, h_n, c_n)."""
    steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    h, c, out = h0, c0, np.zeros(x.shape[:2] + (h0.shape[1],), dtype=h0.dtype)
    for t in steps:
        h, c = rnn_cell(mode, x[t], h, c, w_ih, w_hh, b_ih, b_hh)
        out[t] = h
    return out, h, c


def rnn_layer_backward(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, grad_out, reverse=False):
    """Backward through time of rnn_layer for sum(grad_out * output):
    returns (dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh), one cell step at a time."""
    steps = list(range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0]))
    states, h, c = [], h0, c0
    for t in steps:  # the state entering each step
        states.append((h, c))
        h, c = rnn_cell(mode, x[t], h, c, w_ih, w_hh, b_ih, b_hh)
    dx = np.zeros_like(x)
    dw_ih, dw_hh = np.zeros_like(w_ih), np.zeros_like(w_hh)
    db_ih, db_hh = np.zeros_like(w_ih[:, 0]), np.zeros_like(w_hh[:, 0])
    dh, dc = np.zeros_like(h0), None if c0 is None else np.zeros_like(c0)
    for t, (h, c) in zip(reversed(steps), reversed(states)):
        grads = rnn_cell_backward(mode, x[t], h, c, w_ih, w_hh, b_ih, b_hh, grad_out[t] + dh, dc)
        dx[t], dh, dc = grads[0], grads[1], grads[2]
        dw_ih, dw_hh, db_ih, db_hh = dw_ih + grads[3], dw_hh + grads[4], db_ih + grads[5], db_hh + grads[6]
    return dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh


# -- attention, layer norm, embedding ----------------------------------------------------
def attention_mask(lq, lk, attn_mask=None, is_causal=False):
    """The additive (lq, lk)-broadcastable mask: a bool mask (True = allowed) as 0 / -inf,
    a float one as given, is_causal as -inf above the diagonal (top-left aligned)."""
    if is_causal:
        return np.where(np.tri(lq, lk, dtype=bool), 0.0, -np.inf)
    if attn_mask is not None and attn_mask.dtype == np.bool_:
        return np.where(attn_mask, 0.0, -np.inf)
    return 0.0 if attn_mask is None else attn_mask


def attention_weights(q, k, scale, mask):
    """softmax(q k^T * scale + mask) over keys; a row with every key masked is all zeros."""
    scores = q @ np.swapaxes(k, -1, -2) * scale + mask
    top = scores.max(axis=-1, keepdims=True)
    e = np.exp(scores - np.where(np.isfinite(top), top, 0.0))
    total = e.sum(axis=-1, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


def attention(q, k, v, attn_mask=None, is_causal=False, scale=None):
    """softmax(q k^T * scale + mask) v with the explicit L x S weights; q (*, L, E),
    k (*, S, E), v (*, S, Ev). scale defaults to 1 / sqrt(E)."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    mask = attention_mask(q.shape[-2], k.shape[-2], attn_mask, is_causal)
    return attention_weights(q, k, scale, mask) @ v


def attention_backward(q, k, v, grad_out, attn_mask=None, is_causal=False, scale=None):
    """(dq, dk, dv) of attention(); the softmax's gradient is p * (dp - sum(dp * p))."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    p = attention_weights(q, k, scale, attention_mask(q.shape[-2], k.shape[-2], attn_mask, is_causal))
    dv = np.swapaxes(p, -1, -2) @ grad_out
    dp = grad_out @ np.swapaxes(v, -1, -2)
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
    return scale * ds @ k, scale * np.swapaxes(ds, -1, -2) @ q, dv


def _layer_normed(x, eps):
    """(x - mean) / sqrt(biased var + eps) over the last dimension, and 1 / sqrt(var + eps)."""
    rstd = 1.0 / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
    return (x - x.mean(axis=-1, keepdims=True)) * rstd, rstd


def layer_norm(x, weight=None, bias=None, eps=1e-5):
    """Over the last dimension: (x - mean) / sqrt(biased var + eps) * weight + bias."""
    normed, _ = _layer_normed(x, eps)
    return normed * (1.0 if weight is None else weight) + (0.0 if bias is None else bias)


def layer_norm_backward(x, weight, grad, eps=1e-5):
    """(dx, dweight, dbias) of layer_norm given the output's gradient; the
    parameter gradients are None without a weight."""
    normed, rstd = _layer_normed(x, eps)
    g = grad * (1.0 if weight is None else weight)
    dx = rstd * (g - g.mean(axis=-1, keepdims=True) - normed * (g * normed).mean(axis=-1, keepdims=True))
    if weight is None:
        return dx, None, None
    rows = grad.reshape(-1, grad.shape[-1])
    return dx, (rows * normed.reshape(rows.shape)).sum(0), rows.sum(0)


def embedding(indices, weight):
    return weight[indices]


def sgd_step(param, grad, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    """torch.optim.SGD's update of (param, momentum buffer or None), as new arrays."""
    param = param.copy()
    grad = -grad if maximize else grad
    if weight_decay:
        grad = grad + weight_decay * param
    if momentum:
        buf = grad.copy() if buf is None else buf * momentum + (1 - dampening) * grad
        grad = grad + momentum * buf if nesterov else buf
    param -= param.dtype.type(lr) * grad
    return param, buf


def adam_step(param, grad, m, v, v_max, step, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              decoupled=False, amsgrad=False, maximize=False):
    """torch.optim.Adam's (decoupled: AdamW's) update of (param, m, v, v_max), as new arrays."""
    beta1, beta2 = betas
    param = param.copy()
    grad = -grad if maximize else grad
    if weight_decay and decoupled:
        param *= param.dtype.type(1 - lr * weight_decay)
    elif weight_decay:
        grad = grad + weight_decay * param
    m = m * beta1 + (1 - beta1) * grad
    v = v * beta2 + (1 - beta2) * grad * grad
    if amsgrad:
        v_max = np.maximum(v_max, v)
    denom = np.sqrt(v_max if amsgrad else v) / math.sqrt(1 - beta2 ** step) + eps
    param -= param.dtype.type(lr / (1 - beta1 ** step)) * (m / denom)
    return param, m, v, v_max
