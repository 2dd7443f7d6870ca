import numpy as np

from .. import _C
from .optimizer import Optimizer


class Adam(Optimizer):
    """Adam (with optional AMSGrad), with torch.optim.Adam's update rule: weight decay
    is added to the gradient (L2); AdamW decouples it.

    Args:
        params: parameters, or a list of dicts (parameter groups).
        lr: learning rate (default 1e-3).
        betas: decay rates of the first and second moment estimates (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        amsgrad: keep the maximum of the second moments.
        maximize: ascend instead of descend.
    Example:
        >>> p = nn.Parameter(fastnn.zeros(1))
        >>> opt = fastnn.optim.Adam([p], lr=0.1)
        >>> p.grad = fastnn.ones(1); opt.step(); round(p.item(), 4)
        -0.1
    """

    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 maximize=False):
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def _update(self, param, grad, group, state):
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param.data)
            state["exp_avg_sq"] = np.zeros_like(param.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param.data)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        _C.adam_step(param.data, grad, state["exp_avg"], state["exp_avg_sq"], state.get("max_exp_avg_sq"),
                     group["lr"], beta1, beta2, group["eps"], group["weight_decay"], self.decoupled_weight_decay,
                     group["amsgrad"], group["maximize"], state["step"])


class AdamW(Adam):
    """Adam with decoupled weight decay (default 1e-2), as torch.optim.AdamW: the
    parameter is scaled by (1 - lr * weight_decay) before the Adam step.

    Args: as Adam (weight_decay default 1e-2).
    Example:
        >>> p = nn.Parameter(fastnn.ones(1))
        >>> opt = fastnn.optim.AdamW([p], lr=0.1, weight_decay=0.5)
        >>> p.grad = fastnn.zeros(1); opt.step(); round(p.item(), 4)
        0.95
    """

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
