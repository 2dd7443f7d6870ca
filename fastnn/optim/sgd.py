import numpy as np

from .. import _C
from .optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, weight decay and Nesterov
    momentum, with torch.optim.SGD's update rule.

    Args:
        params: parameters, or a list of dicts (parameter groups with their own settings).
        lr: learning rate (default 1e-3).
        momentum, dampening: momentum factor and its dampening (default 0).
        weight_decay: L2 penalty added to the gradient (default 0).
        nesterov: Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: ascend instead of descend.
    Example:
        >>> p = nn.Parameter(fastnn.ones(2))
        >>> opt = fastnn.optim.SGD([p], lr=0.5)
        >>> p.grad = fastnn.ones(2); opt.step(); p.tolist()
        [0.5, 0.5]
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                 maximize=False):
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _update(self, param, grad, group, state):
        momentum = group["momentum"]
        first = momentum != 0 and "momentum_buffer" not in state
        if first:
            state["momentum_buffer"] = np.empty_like(param.data)
        _C.sgd_step(param.data, grad, state["momentum_buffer"] if momentum else None, group["lr"], momentum,
                    group["dampening"], group["weight_decay"], group["nesterov"], group["maximize"], first)
