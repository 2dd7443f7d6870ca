"""Gradient clipping, as torch.nn.utils."""
import math

import numpy as np

from ..tensor import Tensor


def _with_grads(parameters):
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scales all gradients together so that their joint norm is at most max_norm;
    returns the norm before clipping (a 0-d Tensor)."""
    params = _with_grads(parameters)
    norm_type = float(norm_type)
    if not params:
        return Tensor(np.array(0.0, np.float32))
    grads = [p.grad.data for p in params]
    if norm_type == math.inf:
        total = max(float(np.abs(g).max(initial=0.0)) for g in grads)
    else:
        total = sum(float((np.abs(g, dtype=np.float64) ** norm_type).sum()) for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    for p in params:
        p.grad.data[...] = p.grad.data * p.grad.dtype.type(coefficient)
    return Tensor(np.array(total, grads[0].dtype))


def clip_grad_value_(parameters, clip_value):
    """Clamps every gradient element into [-clip_value, clip_value] in place."""
    for p in _with_grads(parameters):
        np.clip(p.grad.data, -clip_value, clip_value, out=p.grad.data)
