"""Losses: mse_loss, nll_loss, cross_entropy (log-softmax in C++)."""
import numpy as np

from ..autograd import Function
from .activation import log_softmax
from .common import _as_tensor, _data
from .reduce import sum
from .shape import flatten, reshape, transpose

# -- losses ---------------------------------------------------------------------------
_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def mse_loss(input, target, reduction="mean"):
    """Mean (or sum, or none) of (input - target)^2.

    Args:
        reduction: 'mean' (default), 'sum' or 'none'.
    Shape: input (*), target (*) of the same shape -> a scalar ('none': (*)).
    Example:
        >>> F.mse_loss(fastnn.ones(2), fastnn.zeros(2)).item()
        1.0
    """
    _check_reduction(reduction)
    if input.shape != _as_tensor(target).shape:
        raise ValueError(f"mse_loss: input {input.shape} and target {_as_tensor(target).shape} must have the same shape")
    squared = (input - target) ** 2
    if reduction == "none":
        return squared
    return squared.sum() if reduction == "sum" else squared.mean()


def _class_targets(input, target, fn):
    """Validates class-index targets; returns (log-probs as (M, C) rows, targets as (M,)).

    input: (C,), (N, C) or (N, C, d1, ...); target: (), (N,) or (N, d1, ...).
    """
    target = np.asarray(_data(target))
    if target.dtype.kind not in "iu":
        raise TypeError(f"{fn}: target must hold integer class indices, got dtype {target.dtype} "
                        f"(class-probability targets are not supported)")
    if input.ndim == 0:
        raise ValueError(f"{fn}: input must have a class dimension, got shape {input.shape}")
    expected = input.shape[:1] + input.shape[2:] if input.ndim >= 2 else ()
    if target.shape != expected:
        raise ValueError(f"{fn}: input {input.shape} needs target of shape {expected}, got {target.shape}")
    rows = input if input.ndim <= 2 else flatten(transpose(flatten(input, 2), 1, 2), 0, 1)
    return reshape(rows, (-1, input.shape[0 if input.ndim == 1 else 1])), target.reshape(-1)


class NLLLoss(Function):
    @staticmethod
    def forward(ctx, log_probs, target, weight, ignore_index, reduction):
        n, classes = log_probs.shape
        valid = target != ignore_index
        safe = np.where(valid, target, 0)
        if np.any(valid & ((target < 0) | (target >= classes))):
            bad = target[valid & ((target < 0) | (target >= classes))][0]
            raise IndexError(f"Target {bad} is out of bounds for {classes} classes")
        w = (weight[safe] if weight is not None else np.ones(n, log_probs.dtype)) * valid
        w = w.astype(log_probs.dtype, copy=False)
        losses = -log_probs[np.arange(n), safe] * w
        ctx.rows, ctx.safe, ctx.shape, ctx.reduction = np.arange(n), safe, log_probs.shape, reduction
        if reduction == "none":
            ctx.w = w
            return losses
        if reduction == "sum":
            ctx.w = w
            return np.asarray(losses.sum())
        total = w.sum()
        with np.errstate(invalid="ignore", divide="ignore"):  # no target counts: NaN, as PyTorch, silently
            ctx.w = w / total
            return np.asarray(losses.sum() / total)

    @staticmethod
    def backward(ctx, grad):
        full = np.zeros(ctx.shape, dtype=grad.dtype)
        full[ctx.rows, ctx.safe] = -ctx.w * grad
        return full


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of class indices, given log-probabilities.

    Args:
        weight: per-class weights (C,), or None.
        ignore_index: targets equal to it add nothing (default -100).
        reduction: 'mean' (weighted mean, default), 'sum' or 'none'.
    Shape: input (N, C) or (N, C, d1, ...), target (N) or (N, d1, ...) -> a scalar ('none': target's shape).
    Example:
        >>> F.nll_loss(fastnn.tensor([[-1.0, -2.0]]), fastnn.tensor([1])).item()
        2.0
    """
    _check_reduction(reduction)
    rows, flat_target = _class_targets(input, target, "nll_loss")
    weight = _checked_weight(weight, rows.shape[1], "nll_loss")
    loss = NLLLoss.apply(rows, flat_target, weight, ignore_index, reduction)
    return reshape(loss, np.asarray(_data(target)).shape) if reduction == "none" else loss


def _checked_weight(weight, classes, fn):
    if weight is None:
        return None
    weight = np.asarray(_data(weight))
    if weight.shape != (classes,):
        raise ValueError(f"{fn}: weight must have shape ({classes},), got {weight.shape}")
    return weight


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """log_softmax of the logits (fused C++ kernel) followed by nll_loss.

    Args:
        weight: per-class weights (C,), or None.
        ignore_index: targets equal to it add nothing (default -100).
        reduction: 'mean' (default), 'sum' or 'none'.
        label_smoothing: mass in [0, 1] spread evenly over the classes.
    Shape: input (N, C) or (N, C, d1, ...), target (N) or (N, d1, ...) int -> a scalar ('none': target's shape).
    Example:
        >>> round(F.cross_entropy(fastnn.zeros(2, 4), fastnn.tensor([0, 3])).item(), 4)
        1.3863
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    rows, flat_target = _class_targets(input, target, "cross_entropy")
    classes = rows.shape[1]
    weight = _checked_weight(weight, classes, "cross_entropy")
    log_probs = log_softmax(rows, dim=1)
    loss = NLLLoss.apply(log_probs, flat_target, weight, ignore_index, reduction)
    if label_smoothing > 0.0:
        valid = flat_target != ignore_index
        per_class = log_probs if weight is None else log_probs * weight.astype(rows.dtype)
        smooth = -sum(per_class, dim=1) * valid.astype(rows.dtype)
        if reduction == "sum":
            smooth = sum(smooth)
        elif reduction == "mean":
            norm = weight[flat_target[valid]].sum() if weight is not None else valid.sum()
            with np.errstate(invalid="ignore", divide="ignore"):
                smooth = sum(smooth) / rows.dtype.type(norm)
        loss = loss * (1.0 - label_smoothing) + smooth * (label_smoothing / classes)
    return reshape(loss, np.asarray(_data(target)).shape) if reduction == "none" else loss
