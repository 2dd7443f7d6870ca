"""Module: parameters and children registered by assignment, state dicts, modes."""
import collections
import itertools

import numpy as np

from ..tensor import Tensor

IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


_ALIGNMENT = 64  # a cache line, an AVX-512 vector


def _aligned_empty(shape, dtype):
    """An uninitialised C-contiguous array starting on a 64-byte boundary (NumPy
    gives 16): the kernels read weights in whole vectors, and a weight matrix
    whose loads each straddle two cache lines makes a batch-1 matrix-vector
    product ~15% slower (measured)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + _ALIGNMENT, np.uint8)
    start = -raw.ctypes.data % _ALIGNMENT
    return raw[start:start + nbytes].view(dtype).reshape(shape)


class Parameter(Tensor):
    """A Tensor that a Module registers as learnable (requires_grad=True by default).

    Example:
        >>> p = nn.Parameter(fastnn.zeros(3))
        >>> p.requires_grad
        True
    """

    def __init__(self, data=None, requires_grad=True):
        data = np.empty(0, np.float32) if data is None else data
        super().__init__(data.data if isinstance(data, Tensor) else data)
        self.requires_grad = requires_grad

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    @classmethod
    def _empty(cls, shape, dtype=None, fill=None):
        """A Parameter of `shape` on 64-byte-aligned memory, uninitialised unless `fill` is given."""
        data = _aligned_empty(shape, dtype)
        if fill is not None:
            data[...] = fill
        return cls(data)


class Module:
    """Base class of every layer: assign Parameters and Modules as attributes and
    they are registered; define `forward`; call the module to run it."""

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- registration ----------------------------------------------------------
    def _registry(self):
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameters or modules before Module.__init__() call")
        return self._parameters, self._buffers, self._modules

    def __setattr__(self, name, value):
        if isinstance(value, (Parameter, Module)):
            params, buffers, modules = self._registry()
            for table in (params, buffers, modules):
                table.pop(name, None)
            self.__dict__.pop(name, None)
            (params if isinstance(value, Parameter) else modules)[name] = value
        elif "_parameters" in self.__dict__ and name in self._parameters:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(fastnn.nn.Parameter or None expected)")
            self._parameters[name] = None
        elif "_modules" in self.__dict__ and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(fastnn.nn.Module or None expected)")
            self._modules[name] = None
        elif "_buffers" in self.__dict__ and name in self._buffers:
            self._buffers[name] = value if value is None or isinstance(value, Tensor) else Tensor(value)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        for table in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' as parameter '{name}'")
        self._registry()[0][name] = param

    def register_buffer(self, name, tensor, persistent=True):
        self._registry()[1][name] = tensor
        if not persistent:
            self.__dict__.setdefault("_non_persistent", set()).add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._registry()[2][name] = module

    # -- traversal -----------------------------------------------------------------
    def named_modules(self, prefix="", memo=None):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def _named_members(self, table, recurse=True):
        seen = set()
        modules = self.named_modules() if recurse else [("", self)]
        for prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{prefix}.{name}" if prefix else name), value

    def named_parameters(self, prefix="", recurse=True):
        for name, p in self._named_members("_parameters", recurse):
            yield (f"{prefix}.{name}" if prefix else name), p

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True):
        for name, b in self._named_members("_buffers", recurse):
            yield (f"{prefix}.{name}" if prefix else name), b

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    def apply(self, fn):
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- state -----------------------------------------------------------------------
    def _state_items(self):
        """(key, owner module, attribute name, tensor) of every saved entry."""
        for prefix, module in self.named_modules():
            skip = module.__dict__.get("_non_persistent", ())
            entries = itertools.chain(module._parameters.items(),
                                      ((n, b) for n, b in module._buffers.items() if n not in skip))
            for name, value in entries:
                if value is not None:
                    yield (f"{prefix}.{name}" if prefix else name), value

    def state_dict(self):
        """Detached copies-free views of every parameter and persistent buffer, by PyTorch's key names."""
        return collections.OrderedDict((k, v.detach()) for k, v in self._state_items())

    def load_state_dict(self, state_dict, strict=True):
        """Copies values (Tensors or NumPy arrays) into the parameters and buffers.

        Every key and shape is checked first; on any error nothing is changed.
        """
        own = collections.OrderedDict(self._state_items())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict:
            errors += [f'Missing key(s) in state_dict: {", ".join(map(repr, missing))}.'] if missing else []
            errors += [f'Unexpected key(s) in state_dict: {", ".join(map(repr, unexpected))}.'] if unexpected else []
        staged = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            value = np.asarray(value.data if isinstance(value, Tensor) else value)
            if value.shape != target.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape {value.shape} from "
                              f"checkpoint, the shape in current model is {target.shape}.")
            elif value.dtype.kind not in "fiub":
                errors.append(f"dtype of {key} is {value.dtype}, not a number")
            else:
                staged.append((target, value))
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        for target, value in staged:
            target.data[...] = value
        return IncompatibleKeys(missing, unexpected)

    # -- modes and gradients --------------------------------------------------------
    def train(self, mode=True):
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.data[...] = 0

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def to(self, dtype):
        """Casts every floating point parameter and buffer to `dtype` in place."""
        dtype = np.dtype(dtype)
        for _, value in self._state_items():
            if value.dtype.kind == "f":
                data = _aligned_empty(value.shape, dtype)
                data[...] = value.data
                value.data = data
                value.grad = None
        return self

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    # -- repr -------------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Runs its modules in order, each on the previous one's output; indexable.

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> model(fastnn.zeros(3, 4)).shape
        (3, 2)
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], collections.OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, idx):
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(collections.OrderedDict(items[idx]))
        return items[idx][1]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules, each registered so that its parameters are found.

    Example:
        >>> layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        >>> len(list(layers.parameters()))
        6
    """

    def __init__(self, modules=None):
        super().__init__()
        for module in modules or ():
            self.append(module)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, idx):
        values = list(self._modules.values())
        return ModuleList(values[idx]) if isinstance(idx, slice) else values[idx]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())
