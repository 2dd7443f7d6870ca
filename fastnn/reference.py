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
