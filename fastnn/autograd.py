"""Function (an op's forward and backward side by side) and the backward engine."""
import contextvars
import functools
import sys
import weakref

import numpy as np

_grad_enabled = contextvars.ContextVar("fastnn_grad_enabled", default=True)
_new_object = object.__new__


def is_grad_enabled():
    """Whether ops record a graph here (False inside no_grad)."""
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
    """Context manager and decorator: ops inside record a graph, even within no_grad."""
    enabled = True


class Context:
    """What forward leaves for backward: needs_input_grad (a bool per argument)
    and recorded (whether this call goes into a graph, so that a backward may
    follow), both set by Function.apply; saved_tensors and whatever forward adds."""

    saved_tensors = ()

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays


class Node:
    """The graph edge from an op's outputs back to the inputs it was given."""

    __slots__ = ("function", "ctx", "inputs", "outputs")

    def __init__(self, function, ctx, inputs, outputs):
        self.function = function
        self.ctx = ctx
        self.inputs = inputs    # the Tensor for each positional arg needing a gradient, else None
        self.outputs = outputs  # weak references to the output Tensors, in order

    def name(self):
        return self.function.__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name()}>"


class Function:
    """One differentiable op. Subclasses define

        forward(ctx, *args, **kwargs) -> ndarray, or a tuple of ndarrays
        backward(ctx, *grad_outputs) -> grad per positional arg (ndarray or None)

    (args are arrays where Tensors were passed; backward gets one gradient per
    output, zeros for outputs that did not contribute) and are called through
    `apply`, which unwraps Tensors, runs forward, and attaches the graph only
    when some input needs a gradient.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        # The per-call path of every op: kept to one pass over the arguments.
        Tensor = _tensor.Tensor
        arrays, needs, any_needs = [], [], False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a.data)
                need = a._requires_grad
                needs.append(need)
                any_needs = any_needs or need
            else:
                arrays.append(a)
                needs.append(False)
        ctx = _new_object(Context)
        ctx.needs_input_grad = needs = tuple(needs)
        ctx.recorded = record = any_needs and _grad_enabled.get()
        result = cls.forward(ctx, *arrays, **kwargs)
        wrap = Tensor._wrap
        if not isinstance(result, tuple):
            out = wrap(result)
            if record:
                out._requires_grad = True
                out.grad_fn = Node(cls, ctx, tuple([a if n else None for a, n in zip(args, needs)]),
                                   (weakref.ref(out),))
            return out
        outs = tuple([wrap(r) for r in result])
        ctx.output_shapes = [o.data.shape for o in outs]  # for the zeros of outputs that get no gradient
        ctx.output_dtypes = [o.data.dtype for o in outs]
        if record:
            node = Node(cls, ctx, tuple([a if n else None for a, n in zip(args, needs)]),
                        tuple([weakref.ref(o) for o in outs]))
            for index, out in enumerate(outs):
                out._requires_grad = True
                out.grad_fn = node
                out._output_index = index
        return outs


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


def _topological_order(root_node):
    """Nodes reachable from root_node, each after every node that uses its
    outputs (iterative DFS, so a 10,000-op chain does not hit the recursion limit)."""
    order, visited, stack = [], set(), [(root_node, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        stack.extend((t.grad_fn, False) for t in node.inputs
                     if t is not None and t.grad_fn is not None and id(t.grad_fn) not in visited)
    order.reverse()
    return order


def _owns_memory(array):
    """True unless the array views memory of another object: NumPy's own arrays
    have no base, the kernels' outputs a capsule owning their buffer."""
    return array.base is None or type(array.base).__name__ == "PyCapsule"


def _accumulate(tensor, grad, sole=False):
    """Adds grad into tensor.grad. A first gradient is copied, so that .grad never
    aliases an array someone else holds (optimizers and clipping write .grad in
    place), unless `sole`: the caller's is the only reference to it, as for a
    fresh array a backward returned (PyTorch steals those too)."""
    grad = np.asarray(grad, dtype=tensor.dtype)
    if tensor.grad is None:
        if not (sole and _owns_memory(grad) and grad.flags.c_contiguous and grad.flags.writeable):
            grad = np.array(grad, copy=True, order="C")
        tensor.grad = _tensor.Tensor._wrap(grad)
    else:
        tensor.grad = _tensor.Tensor._wrap(tensor.grad.data + grad)


def run_backward(root, grad, retain_graph=False):
    """Propagates grad from root to every leaf that requires a gradient."""
    if root.grad_fn is None:
        _accumulate(root, grad)
        return
    pending = {id(root.grad_fn): {root._output_index: grad}}
    for node in _topological_order(root.grad_fn):
        grads = pending.pop(id(node), None)
        if grads is None:
            continue
        outputs = [ref() for ref in node.outputs]
        for index, out in enumerate(outputs):
            if out is not None and out._retains_grad and index in grads:
                _accumulate(out, grads[index])
        if node.ctx is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Specify retain_graph=True if you "
                "need to backward through the graph a second time.")
        if len(outputs) == 1:
            in_grads = node.function.backward(node.ctx, grads[0])
        else:  # outputs that got no gradient (or were dropped) count as zeros
            in_grads = node.function.backward(node.ctx, *[
                grads[i] if i in grads else np.zeros(node.ctx.output_shapes[i], node.ctx.output_dtypes[i])
                for i in range(len(outputs))])
        in_grads = list(in_grads) if isinstance(in_grads, tuple) else [in_grads]
        for i, inp in enumerate(node.inputs[:len(in_grads)]):
            g, in_grads[i] = in_grads[i], None  # from here on `g` holds the only reference we made
            if inp is None or g is None:
                continue
            g = sum_to_shape(np.asarray(g), inp.shape)
            if g.dtype != inp.dtype:
                g = g.astype(inp.dtype)
            if inp.grad_fn is None:
                sole = sys.getrefcount(g) == 2  # `g` and getrefcount's argument: nobody else holds it
                _accumulate(inp, g, sole)
                continue
            slot = pending.setdefault(id(inp.grad_fn), {})
            index = inp._output_index
            slot[index] = g if index not in slot else slot[index] + g
        if not retain_graph:
            node.ctx = None


from . import tensor as _tensor  # noqa: E402  (circular: Tensor is looked up at call time)
