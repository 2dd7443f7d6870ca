"""Optimizer: parameter groups, per-parameter state, zero_grad, state dicts."""
import copy

import numpy as np

from ..tensor import Tensor


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = {}
        self.param_groups = []
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group):
        if group["lr"] < 0.0:
            raise ValueError(f"Invalid learning rate: {group['lr']}")
        if group.get("weight_decay", 0.0) < 0.0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad.data[...] = 0

    def _params_with_grad(self, group):
        """Parameters of the group that have a gradient, each checked before any update."""
        out = []
        for p in group["params"]:
            if p.grad is None:
                continue
            if p.grad.shape != p.shape:
                raise RuntimeError(f"gradient of shape {p.grad.shape} does not match parameter of shape {p.shape}")
            out.append(p)
        return out

    def step(self):
        # Validate every group before touching any parameter, so a failure changes nothing.
        work = [(group, self._params_with_grad(group)) for group in self.param_groups]
        for group, params in work:
            for p in params:
                self._update(p, p.grad.data.astype(p.dtype, copy=False), group,
                             self.state.setdefault(id(p), {}))

    def _update(self, param, grad, group, state):
        raise NotImplementedError

    # -- state dicts: parameters are referred to by their index over all groups ----
    def state_dict(self):
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        params = [p for g in self.param_groups for p in g["params"]]
        state = {index[id(p)]: copy.deepcopy(self.state[id(p)]) for p in params if id(p) in self.state}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(g["params"]) != len(own["params"]) for g, own in zip(groups, self.param_groups)):
            raise ValueError("loaded state dict has a different number of parameter groups or parameters")
        params = [p for g in self.param_groups for p in g["params"]]
        state = {key: {name: np.array(item.data if isinstance(item, Tensor) else item)
                       if isinstance(item, (Tensor, np.ndarray)) else item for name, item in value.items()}
                 for key, value in state_dict["state"].items()}  # Tensors (as fastnn.load gives) or arrays
        for key, value in state.items():
            for name, item in value.items():
                if isinstance(item, np.ndarray) and item.shape != params[int(key)].shape:
                    raise ValueError(f"state '{name}' of parameter {key} has shape {item.shape}, "
                                     f"parameter has {params[int(key)].shape}")
            for name, item in value.items():  # the update kernels take moments in the parameter's dtype
                if isinstance(item, np.ndarray) and item.shape == params[int(key)].shape:
                    value[name] = item.astype(params[int(key)].dtype, copy=False)
        self.state = {id(params[int(k)]): v for k, v in state.items()}
        for own, loaded in zip(self.param_groups, groups):
            own.update({k: v for k, v in loaded.items() if k != "params"})
