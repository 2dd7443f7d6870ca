"""Function (an op's forward and backward side by side) and the backward engine."""
import contextvars
import functools

import numpy as np

_grad_enabled = contextvars.ContextVar("fastnn_grad_enabled", default=True)


def is_grad_enabled():
    return _grad_enabled.get()


class _GradMode:
    """Context manager and decorator setting whether ops record a graph."""

    enabled = True

    def __init__(self):
        self._tokens = []

    def __enter__(self):
        self._tokens.append(_grad_enabled.set(self.enabled))
        return self

    def __exit__(self, *exc):
        _grad_enabled.reset(self._tokens.pop())
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Ops inside record no graph: outputs have requires_grad=False."""

    enabled = False


class enable_grad(_GradMode):
    enabled = True


class Context:
    """What forward leaves for backward."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays


class Node:
    """The graph edge from an output back to the inputs of the op that made it."""

    __slots__ = ("function", "ctx", "inputs")

    def __init__(self, function, ctx, inputs):
        self.function = function
        self.ctx = ctx
        self.inputs = inputs

    def name(self):
        return self.function.__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name()}>"


class Function:
    """One differentiable op. Subclasses define

        forward(ctx, *args, **kwargs) -> ndarray      (args: arrays for Tensor inputs)
        backward(ctx, grad_output) -> grad per positional arg (ndarray or None)

    and are called through `apply`, which unwraps Tensors, runs forward, and
    attaches the graph only when some input needs a gradient.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad_output):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = _tensor.Tensor
        needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
        ctx = Context(needs)
        out = Tensor._wrap(cls.forward(ctx, *[a.data if isinstance(a, Tensor) else a for a in args], **kwargs))
        if True in needs and _grad_enabled.get():
            out._requires_grad = True
            out.grad_fn = Node(cls, ctx, tuple(a if n else None for a, n in zip(args, needs)))
        return out


def sum_to_shape(grad, shape):
    """Sums a broadcast gradient back to the shape of the input it came from."""
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


def _topological_order(root):
    """Tensors reachable from root through grad_fn, each after every tensor that
    uses it (iterative DFS, so a 10,000-op chain does not hit the recursion limit)."""
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        tensor, done = stack.pop()
        if done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor.grad_fn is not None:
            stack.extend((t, False) for t in tensor.grad_fn.inputs if t is not None and id(t) not in visited)
    order.reverse()
    return order


def _accumulate(tensor, grad):
    grad = np.asarray(grad, dtype=tensor.dtype)
    if tensor.grad is None:
        tensor.grad = _tensor.Tensor._wrap(np.array(grad, copy=True, order="C"))
    else:
        tensor.grad = _tensor.Tensor._wrap(tensor.grad.data + grad)


def run_backward(root, grad, retain_graph=False):
    """Propagates grad from root to every leaf that requires a gradient."""
    pending = {id(root): grad}
    for tensor in _topological_order(root):
        grad = pending.pop(id(tensor), None)
        if grad is None:
            continue
        node = tensor.grad_fn
        if node is None or tensor._retains_grad:
            _accumulate(tensor, grad)
        if node is None:
            continue
        if node.ctx is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Specify retain_graph=True if you "
                "need to backward through the graph a second time.")
        grads = node.function.backward(node.ctx, grad)
        if not isinstance(grads, tuple):
            grads = (grads,)
        for inp, g in zip(node.inputs, grads):
            if inp is None or g is None:
                continue
            g = sum_to_shape(np.asarray(g), inp.shape)
            if g.dtype != inp.dtype:
                g = g.astype(inp.dtype)
            key = id(inp)
            pending[key] = g if key not in pending else pending[key] + g
        if not retain_graph:
            node.ctx = None


from . import tensor as _tensor  # noqa: E402  (circular: Tensor is looked up at call time)
