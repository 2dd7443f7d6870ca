"""Loss modules over fastnn.functional's losses."""
from .. import functional as F
from .module import Module


class MSELoss(Module):
    """Mean (or sum, or none) of squared differences.

    Args:
        reduction: 'mean' (default), 'sum' or 'none'.
    Shape: input (*), target (*) of the same shape -> a scalar ('none': (*)).
    Example:
        >>> nn.MSELoss()(fastnn.ones(3), fastnn.zeros(3)).item()
        1.0
    """
    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class NLLLoss(Module):
    """Negative log-likelihood of class indices, given log-probabilities.

    Args:
        weight: per-class weights (C,), or None.
        ignore_index: targets equal to it add nothing (default -100).
        reduction: 'mean' (weighted mean, default), 'sum' or 'none'.
    Shape: input (N, C) or (N, C, d1, ...), target (N) or (N, d1, ...) int -> a scalar ('none': target's shape).
    Example:
        >>> nn.NLLLoss()(fastnn.tensor([[-1.0, -2.0, -3.0]]), fastnn.tensor([2])).item()
        3.0
    """
    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__()
        self.weight, self.ignore_index, self.reduction = weight, ignore_index, reduction

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(Module):
    """Log-softmax of logits followed by the NLL of class indices (fused C++ softmax).

    Args:
        weight: per-class weights (C,), or None.
        ignore_index: targets equal to it add nothing (default -100).
        reduction: 'mean' (default), 'sum' or 'none'.
        label_smoothing: mass in [0, 1] spread evenly over the classes.
    Shape: input (N, C) or (N, C, d1, ...), target (N) or (N, d1, ...) int -> a scalar ('none': target's shape).
    Example:
        >>> round(nn.CrossEntropyLoss()(fastnn.zeros(2, 4), fastnn.tensor([1, 3])).item(), 4)
        1.3863
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__()
        self.weight, self.ignore_index = weight, ignore_index
        self.reduction, self.label_smoothing = reduction, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                               self.label_smoothing)
