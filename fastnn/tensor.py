"""Tensor: a C-contiguous NumPy array with autograd, and the creation functions."""
import numbers

import numpy as np

from . import random as _random
from .autograd import run_backward

_new_object = object.__new__
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _default_dtype_for(array, source):
    """PyTorch's inference: Python floats become float32; NumPy arrays keep theirs."""
    if isinstance(source, np.ndarray) or array.dtype != np.float64:
        return array.dtype
    return np.dtype(np.float32)


class Tensor:
    """An n-dimensional array that can record the ops applied to it.

    `.data` is a C-contiguous NumPy array; `.grad` a Tensor of the same shape,
    filled by `backward()` when `requires_grad` is True.
    """

    __array_priority__ = 1000  # NumPy defers `ndarray <op> Tensor` to Tensor
    __slots__ = ("data", "_requires_grad", "grad", "grad_fn", "_retains_grad", "_output_index", "__weakref__")

    def __init__(self, data, dtype=None, requires_grad=False):
        if isinstance(data, Tensor):
            data = data.data
        array = np.asarray(data, dtype=dtype)
        if dtype is None:
            array = array.astype(_default_dtype_for(array, data), copy=False)
        self._init(np.asarray(array, order="C"))
        self.requires_grad = requires_grad

    def _init(self, array):
        self.data = array
        self._requires_grad = False
        self.grad = None
        self.grad_fn = None
        self._retains_grad = False
        self._output_index = 0

    @staticmethod
    def _wrap(array, fresh=False):
        """Wraps an op's output without copying: made C-contiguous if it is not,
        unchecked when `fresh` (a new array from a kernel, which always is)."""
        tensor = _new_object(Tensor)
        if not fresh and (type(array) is not np.ndarray or not array.flags.c_contiguous):
            array = np.asarray(array, order="C")
        tensor.data = array
        tensor._requires_grad = False
        tensor.grad = None
        tensor.grad_fn = None
        tensor._retains_grad = False
        tensor._output_index = 0
        return tensor

    # -- autograd -----------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value and self.data.dtype not in _FLOAT_DTYPES:
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got {self.data.dtype}")
        if not value and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    def retain_grad(self):
        self._retains_grad = True

    def backward(self, gradient=None, retain_graph=False):
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs, got shape {self.shape}")
            gradient = np.ones_like(self.data)
        else:
            gradient = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient,
                                  dtype=self.dtype)
            if gradient.shape != self.shape:
                raise RuntimeError(
                    f"gradient has shape {gradient.shape} but the tensor has shape {self.shape}")
        run_backward(self, gradient, retain_graph=retain_graph)

    def detach(self):
        return Tensor._wrap(self.data)

    # -- plain properties -----------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    def dim(self):
        return self.data.ndim

    def numel(self):
        return self.data.size

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self):
        return self.data.tolist()

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return Tensor._wrap(self.data.astype(np.int64))

    def to(self, dtype):
        dtype = np.dtype(dtype)
        return self if dtype == self.dtype else _F.cast(self, dtype)

    def clone(self):
        return _F.cast(self, self.dtype)

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = "" if self.dtype == np.float32 or self.dtype == np.int64 else f", dtype={self.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn={self.grad_fn}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.data.reshape(()))

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        """The data itself (no copy) unless a copy or another dtype is asked for."""
        converts = dtype is not None and np.dtype(dtype) != self.dtype
        if copy is False and converts:
            raise ValueError(f"cannot convert a {self.dtype} tensor to {np.dtype(dtype)} without a copy")
        if converts:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __dlpack__(self, **kwargs):
        """DLPack export of the data, zero-copy (the autograd graph does not travel)."""
        return self.data.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self.data.__dlpack_device__()

    __hash__ = object.__hash__

    # -- arithmetic (broadcasting; gradients summed back to each input's shape)
    def __add__(self, other):
        return _F.add(self, other)

    def __radd__(self, other):
        return _F.add(other, self)

    def __sub__(self, other):
        return _F.sub(self, other)

    def __rsub__(self, other):
        return _F.sub(other, self)

    def __mul__(self, other):
        return _F.mul(self, other)

    def __rmul__(self, other):
        return _F.mul(other, self)

    def __truediv__(self, other):
        return _F.div(self, other)

    def __rtruediv__(self, other):
        return _F.div(other, self)

    def __pow__(self, exponent):
        return _F.pow(self, exponent)

    def __rpow__(self, base):
        return _F.pow(base, self)

    def __neg__(self):
        return _F.neg(self)

    def __rmatmul__(self, other):
        return _F.matmul(other, self)

    def __getitem__(self, index):
        return _F.index(self, index)

    def __setitem__(self, index, value):
        if self.requires_grad or self.grad_fn is not None:
            raise RuntimeError("in-place assignment to a tensor that is part of a graph is not supported")
        self.data[_F.as_index(index)] = value.data if isinstance(value, Tensor) else value

    # comparisons: non-differentiable bool tensors
    def _compare(self, other, op):
        return Tensor._wrap(op(self.data, other.data if isinstance(other, Tensor) else other))

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    # -- methods that forward to the functional ops -------------------------
    def sum(self, dim=None, keepdim=False):
        return _F.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        return _F.mean(self, dim, keepdim)

    def max(self, dim=None, keepdim=False):
        return _F.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return _F.min(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _F.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _F.argmin(self, dim, keepdim)

    def reshape(self, *shape):
        return _F.reshape(self, _shape_arg(shape))

    def view(self, *shape):
        return _F.reshape(self, _shape_arg(shape))

    def flatten(self, start_dim=0, end_dim=-1):
        return _F.flatten(self, start_dim, end_dim)

    def unsqueeze(self, dim):
        return _F.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return _F.squeeze(self, dim)

    def transpose(self, dim0, dim1):
        return _F.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return _F.permute(self, _shape_arg(dims))

    @property
    def T(self):
        return _F.permute(self, tuple(reversed(range(self.ndim))))

    def t(self):
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with <= 2 dimensions, got shape {self.shape}")
        return self.T

    def expand(self, *shape):
        return _F.expand(self, _shape_arg(shape))

    def exp(self):
        return _F.exp(self)

    def log(self):
        return _F.log(self)

    def sqrt(self):
        return _F.sqrt(self)

    def abs(self):
        return _F.abs(self)

    def clamp(self, min=None, max=None):
        return _F.clamp(self, min, max)

    clip = clamp

    def pow(self, exponent):
        return _F.pow(self, exponent)

    def relu(self):
        return _F.relu(self)

    def sigmoid(self):
        return _F.sigmoid(self)

    def tanh(self):
        return _F.tanh(self)

    def softmax(self, dim):
        return _F.softmax(self, dim)

    def log_softmax(self, dim):
        return _F.log_softmax(self, dim)

    def matmul(self, other):
        return _F.matmul(self, other)


def _shape_arg(shape):
    """Accepts both f(2, 3) and f((2, 3))."""
    if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
        return tuple(shape[0])
    return tuple(shape)


# -- creation -------------------------------------------------------------------
def _float_dtype(dtype):
    return np.dtype(np.float32 if dtype is None else dtype)


def tensor(data, dtype=None, requires_grad=False):
    """A Tensor holding a copy of data (nested lists, NumPy arrays, numbers).

    Python floats become float32 and NumPy arrays keep their dtype, as PyTorch infers.
    Example:
        >>> fastnn.tensor([[1.0, 2.0]], requires_grad=True).shape
        (1, 2)
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def from_numpy(array):
    """Shares memory with `array` when it is C-contiguous."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects an np.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


def from_dlpack(source):
    """A Tensor on the memory of any DLPack exporter (a PyTorch CPU tensor, a NumPy
    array, ...), shared when the source is C-contiguous, else copied."""
    return Tensor._wrap(np.from_dlpack(source))


def zeros(*shape, dtype=None, requires_grad=False):
    """A tensor of zeros; shape as ints or one tuple, float32 unless dtype says otherwise."""
    return Tensor(np.zeros(_shape_arg(shape), _float_dtype(dtype)), requires_grad=requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    """A tensor of ones; shape as ints or one tuple, float32 unless dtype says otherwise."""
    return Tensor(np.ones(_shape_arg(shape), _float_dtype(dtype)), requires_grad=requires_grad)


def empty(*shape, dtype=None, requires_grad=False):
    """An uninitialised tensor; shape as ints or one tuple, float32 unless dtype says otherwise."""
    return Tensor(np.empty(_shape_arg(shape), _float_dtype(dtype)), requires_grad=requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False):
    """A tensor of `shape` filled with fill_value (float32 unless dtype says otherwise)."""
    return Tensor(np.full(tuple(shape), fill_value, _float_dtype(dtype)), requires_grad=requires_grad)


def zeros_like(t, dtype=None):
    """Zeros of t's shape and (unless given) dtype."""
    return zeros(t.shape, dtype=dtype or t.dtype)


def ones_like(t, dtype=None):
    """Ones of t's shape and (unless given) dtype."""
    return ones(t.shape, dtype=dtype or t.dtype)


def randn(*shape, dtype=None, requires_grad=False):
    """Standard normal samples from fastnn's seeded stream (fastnn.manual_seed)."""
    data = _random.generator().standard_normal(_shape_arg(shape), dtype=_float_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape, dtype=None, requires_grad=False):
    """Uniform [0, 1) samples from fastnn's seeded stream (fastnn.manual_seed)."""
    data = _random.generator().random(_shape_arg(shape), dtype=_float_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)


def randint(low, high, size, dtype=np.int64):
    """Integers uniform in [low, high) of shape `size`, from fastnn's seeded stream."""
    return Tensor(_random.generator().integers(low, high, size=tuple(size), dtype=dtype))


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Values from start (or 0) up to end in steps of step, as numpy.arange; float32 for float inputs."""
    if end is None:
        start, end = 0, start
    values = np.arange(start, end, step)
    if dtype is None and values.dtype.kind == "f":
        dtype = np.float32
    return Tensor(values if dtype is None else values.astype(dtype), requires_grad=requires_grad)


from . import functional as _F  # noqa: E402  (circular: the ops wrap Tensors)

Tensor.__matmul__ = _F.matmul  # no frame in between: a small product's overhead is mostly frames
