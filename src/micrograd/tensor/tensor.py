"""micrograd.tensor.tensor — `Tensor`, an n-dimensional array that remembers how it was made.

    from micrograd.tensor import Tensor
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (x * x + x.tanh()).sum()
    y.backward()
    x.grad                     # ndarray, same shape as x

The tensor twin of `micrograd.engine.Value`: same op names, same semantics (values,
gradients, edge rules and errors), but every node holds a float64 NumPy array, so one
node does the work of thousands of scalar nodes.

How it fits together:
  - This module is the node: `Tensor` (data, grad, backward), grad mode (`no_grad`) and
    `unbroadcast`. The ops live in `micrograd.tensor.ops`, each one `Function` with its
    `forward` and `backward` side by side; `@tensor_op` there attaches the Tensor methods
    (`+`, `tanh`, `sum`, `reshape`, ...) when `micrograd.tensor` is imported. This module
    does not import the ops: they import it. Fused network ops (linear, cross_entropy)
    live in functional.py; the thread and allocator plumbing in _kernels.py.
  - A node keeps its children (`_prev`, a tuple, in order) and its Function instance
    (`_ctx`), which keeps only the arrays backward needs: no closures, no reference to
    the node itself, so graphs have no cycles and are freed by reference counting.
  - `backward()` walks `micrograd.graph.topo_order` (iterative, no recursion limit).
  - Broadcasting works as in NumPy/PyTorch; every broadcast gradient goes back through
    ONE helper, `unbroadcast`.
  - As in PyTorch, `Tensor(...)` does not require grad unless asked
    (`requires_grad=True`); ops on tensors that need no gradient, or inside
    `with no_grad():`, build no graph.

Gradient semantics are the scalar engine's (and PyTorch's): leaves accumulate across
backward() calls until zeroed; interior nodes hold the gradient of the latest call.
`.grad` is always an ndarray of the tensor's shape (zeros until a gradient arrives).
"""

import numbers
import threading

import numpy as np

from ..graph import topo_order

_f64 = np.float64
_new = object.__new__

# ---------------------------------------------------------------------- grad mode

# Per thread, as in PyTorch: one thread's `no_grad()` (e.g. a trainer's evaluation) must not
# stop another thread's forward pass from building its graph (two trainers in two threads).


class _GradMode(threading.local):
    enabled = True  # each thread starts with grad mode on


_grad_mode = _GradMode()


class no_grad:
    """`with no_grad():` (or `@no_grad()`) — ops inside build no graph (PyTorch's name).

    The flag is per thread, as PyTorch's: other threads keep building their graphs.
    """

    __slots__ = ("prev",)

    def __enter__(self):
        self.prev = _grad_mode.enabled
        _grad_mode.enabled = False
        return self

    def __exit__(self, *exc):
        _grad_mode.enabled = self.prev
        return False

    def __call__(self, fn):  # as a decorator
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)

        return wrapper


def is_grad_enabled():
    """False inside `no_grad()` in this thread (PyTorch's `torch.is_grad_enabled`)."""
    return _grad_mode.enabled


# ---------------------------------------------------------------------- input checks


def _as_array(data, what="Tensor(data)"):
    """A fresh float64 ndarray from a number, nested list or ndarray; clear TypeError otherwise."""
    if isinstance(data, Tensor):
        return data._data.copy()
    if isinstance(data, (str, bytes)) or data is None:
        raise TypeError(f"{what} expects a number, a (nested) list of numbers or an ndarray, got {type(data).__name__} {data!r}")
    try:
        arr = np.array(data)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"{what} expects a rectangular (nested) list of numbers: {e}") from None
    if arr.dtype.kind not in "iuf" or arr.dtype == np.bool_:
        kind = "booleans" if arr.dtype == np.bool_ else f"{arr.dtype} values"
        raise TypeError(f"{what} expects real numbers (int or float), got {kind}: {data!r}")
    return arr.astype(_f64)  # always a copy: the tensor owns its data


def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`: the gradient of NumPy broadcasting (the one place it is undone).

    A broadcast input was used once per copy, so its gradient is the sum over the copies:
    over the leading dimensions it lacked, and over the dimensions where it had size 1.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    return grad.sum(axis=axes).reshape(shape) if axes else grad.reshape(shape)


# ---------------------------------------------------------------------- Tensor


class Tensor:
    """A float64 array with a gradient: `Tensor([1.0, 2.0], requires_grad=True)`.

    `data` is the ndarray (assignable, as optimizers do: `p.data = new_array`); `grad` is
    d(root)/d(self) after `root.backward()`, an ndarray of the same shape. The op methods
    (`+`, `@`, `tanh`, `sum`, `reshape`, `t[i]`, ...) are attached by `micrograd.tensor.ops`.
    """

    __slots__ = ("_data", "_grad", "_prev", "_ctx", "_op", "requires_grad")
    __array_ufunc__ = None  # so `ndarray + Tensor` calls Tensor.__radd__ instead of looping
    __array_priority__ = 1000

    def __init__(self, data, requires_grad=False):
        self._data = _as_array(data)
        self._grad = None  # zeros, allocated when first read
        self._prev = ()
        self._ctx = None
        self._op = ""
        if not isinstance(requires_grad, bool):
            raise TypeError(f"Tensor(requires_grad) expects a bool, got {type(requires_grad).__name__} {requires_grad!r}")
        self.requires_grad = requires_grad

    # ------------------------------------------------------------------ data and grad
    @property
    def data(self):
        return self._data

    @data.setter
    def data(self, value):
        if type(value) is not np.ndarray or value.dtype != _f64:
            value = _as_array(value, "Tensor.data")
        self._data = value

    @property
    def grad(self):
        g = self._grad
        if g is None:
            g = self._grad = np.zeros(self._data.shape)
        return g

    @grad.setter
    def grad(self, value):
        if value is None:
            self._grad = None
            return
        if type(value) is not np.ndarray or value.dtype != _f64:
            value = _as_array(value, "Tensor.grad")
        if value.shape != self._data.shape:
            raise ValueError(f"Tensor.grad must have the tensor's shape {self._data.shape}, got {value.shape}")
        self._grad = value

    shape = property(lambda self: self._data.shape, doc="The shape, a tuple (as ndarray.shape).")
    ndim = property(lambda self: self._data.ndim)

    def size(self, dim=None):
        """The shape, or its length along `dim`: PyTorch's `size()` (NumPy's `.size` is `numel()` here)."""
        if dim is None:
            return self._data.shape
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise TypeError(f"size(dim) expects an int, got {type(dim).__name__} {dim!r}")
        if not -self._data.ndim <= dim < self._data.ndim:
            raise IndexError(f"size(dim={dim}): dimension out of range for a tensor with {self._data.ndim} dimensions")
        return self._data.shape[dim]

    def numel(self):
        """The number of elements (PyTorch's name)."""
        return self._data.size

    dtype = property(lambda self: self._data.dtype)
    is_leaf = property(lambda self: self._ctx is None, doc="Made by the user, not by an op.")

    def __len__(self):
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __bool__(self):  # PyTorch's rule: a one-element tensor's truth is its value's; any other is ambiguous
        if self._data.size != 1:
            what = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")
        return bool(self._data.item() != 0.0)

    def item(self):
        """The value of a one-element tensor, as a Python float."""
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self._data.shape}")
        return self._data.item()

    def __float__(self):
        return self.item()

    def numpy(self):
        """The data array itself (no copy, as torch's `.numpy()`)."""
        return self._data

    def tolist(self):
        return self._data.tolist()

    def detach(self):
        """A new leaf sharing the data, cut from the graph (PyTorch's name)."""
        return _leaf(self._data)

    def zero_grad(self):
        self._grad = None

    def __repr__(self):
        body = np.array2string(self._data, separator=", ", prefix="Tensor(")
        return f"Tensor({body}{', requires_grad=True' if self.requires_grad else ''})"

    # ------------------------------------------------------------------ backprop
    def backward(self, gradient=None):
        """Fill `.grad` of every node below self with d(self)/d(node), times `gradient`.

        `gradient` defaults to 1 for a one-element tensor (as PyTorch, required otherwise).
        Leaves accumulate across calls until zeroed; interior nodes hold this call's gradient.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad (no input had requires_grad=True, or it was made under no_grad())"
            )
        shape = self._data.shape
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward(): gradient can be implied only for a one-element tensor, "
                    f"got shape {shape}; pass gradient= an array of that shape"
                )
            seed = np.ones(shape)
        else:
            seed = _as_array(gradient.data if isinstance(gradient, Tensor) else gradient, "backward(gradient)")
            if seed.shape != shape:
                raise ValueError(f"backward(gradient) must have the tensor's shape {shape}, got {seed.shape}")
        acc = {self: seed}  # node -> this call's gradient so far
        pop, get = acc.pop, acc.get
        for v in reversed(topo_order(self)):  # parents before children
            g = pop(v, None)
            ctx = v._ctx
            if ctx is None:  # a leaf: accumulate (own the array: g may be shared with other nodes)
                if g is not None and v.requires_grad:
                    v._grad = g.copy() if v._grad is None else v._grad + g
                continue
            v._grad = g  # an interior node: this call's gradient
            if g is None:
                continue
            for child, cg in zip(v._prev, ctx.backward(g)):
                if cg is not None and child.requires_grad:
                    old = get(child)
                    acc[child] = cg if old is None else old + cg  # never in place: arrays may be shared

    # Tensors are hashed by identity (graph walks keep them in sets); `==` stays identity too.
    __hash__ = object.__hash__


# ---------------------------------------------------------------------- making tensors (no checks)


def _leaf(data, requires_grad=False):
    """A Tensor around an existing float64 array (no checks, no copy)."""
    t = _new(Tensor)
    t._data, t._grad, t._prev, t._ctx, t._op, t.requires_grad = data, None, (), None, "", requires_grad
    return t


def _lift(other, scalars=True):
    """A Tensor from a Tensor, a real number or an ndarray (a constant); NotImplemented otherwise."""
    if isinstance(other, Tensor):
        return other
    if isinstance(other, np.ndarray):
        if other.dtype.kind not in "iuf":
            return NotImplemented
        return _leaf(other.astype(_f64))
    if scalars and isinstance(other, numbers.Real) and not isinstance(other, bool):
        return _leaf(np.array(float(other)))
    return NotImplemented


def _node(out, inputs, ctx):
    """An op's result around the array `out`: a graph node over `inputs` with `ctx` (the op's
    Function) if grad mode is on and some input requires grad, else a constant."""
    t = _new(Tensor)
    t._data, t._grad = out, None
    if _grad_mode.enabled:
        needs = tuple([x.requires_grad for x in inputs])
        if True in needs:
            ctx.needs = needs
            t._prev, t._ctx, t._op, t.requires_grad = inputs, ctx, ctx.name, True
            return t
    t._prev, t._ctx, t._op, t.requires_grad = (), None, "", False
    return t
