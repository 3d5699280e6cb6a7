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
  - An op is one `Function` subclass with its `forward` (arrays in, array out) and
    `backward` (the output's gradient in, one gradient per input out) side by side,
    registered as a `Tensor` method by the `@tensor_op` decorator right above it. Adding
    an elementwise op touches that one place (plus a row in tests/catalogue.py); an op
    with options (an axis, a shape, a number exponent) also gets a short Tensor method
    that checks them. Fused network ops (linear, cross_entropy) live in functional.py.
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
import os

import numpy as np

from ..graph import topo_order

_f64 = np.float64
_new = object.__new__
_TINY = np.finfo(np.float64).tiny  # the smallest normal float

# ---------------------------------------------------------------------- threaded elementwise kernels
# NumPy runs a ufunc on one core; PyTorch splits big elementwise ops across its threads.
# np.tanh is the most expensive op of an MLP step and releases the GIL, so on big arrays
# we run it on contiguous chunks in a small thread pool: the same function on every
# element, so the bits are the same as one np.tanh call.
_PARALLEL_MIN = 1 << 16  # elements; below this a thread hand-off costs more than it saves
_pool = None


def _threads():
    env = os.environ.get("MICROGRAD_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_allocator_tuned = False


def tune_allocator():
    """Keep freed big arrays in the heap instead of handing them back to the OS (glibc only).

    A training step allocates and frees the same few multi-megabyte arrays every step.
    glibc's defaults return them to the OS each time (mmap/trim), so every step pays page
    faults on fresh memory: on a VM that is over half of an 8,000-point step. Raising the
    mmap and trim thresholds (what MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ do) keeps
    them reusable. Called by the tensor engine's trainer; skipped if the user set those
    variables or MICROGRAD_TUNE_MALLOC=0. Returns True if the settings were applied.
    """
    global _allocator_tuned
    if _allocator_tuned:
        return True
    if os.environ.get("MICROGRAD_TUNE_MALLOC") == "0" or any(k.startswith("MALLOC_") for k in os.environ):
        return False
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        ok = libc.mallopt(M_MMAP_THRESHOLD, 32 << 20) and libc.mallopt(M_TRIM_THRESHOLD, 128 << 20)
    except (OSError, AttributeError):
        return False
    _allocator_tuned = bool(ok)
    return _allocator_tuned


def fast_tanh_(a):
    """tanh in place as 1 - 2/(exp(2a) + 1): about twice as fast as np.tanh on float64 (NumPy's
    exp is vectorized, its tanh is not), within 4e-16 of it in absolute terms (relative error
    grows only where tanh itself is tiny). Used inside the fused linear layer; the `tanh` op
    keeps np.tanh, and so do arrays too small for the difference to matter. Split across
    threads when big."""
    def work_on(blk):
        with np.errstate(over="ignore"):  # exp(2a) = inf for a > 354 gives exactly 1.0: no warning
            np.multiply(blk, 2.0, out=blk)
            np.exp(blk, out=blk)
        blk += 1.0
        np.divide(2.0, blk, out=blk)
        np.subtract(1.0, blk, out=blk)

    if a.size < _PARALLEL_MIN:  # small: one np.tanh call is cheaper than five ufunc calls
        return np.tanh(a, out=a)
    if not a.flags.c_contiguous:
        work_on(a)
        return a
    flat = a.reshape(-1, a.shape[-1]) if a.ndim > 1 else a.reshape(-1, 1)
    _parallel_rows(lambda lo, hi: work_on(flat[lo:hi]), flat)
    return a


def _parallel_rows(work, a):
    """work(lo, hi) over two halves of a 2-D array's rows, in threads when the array is big."""
    rows = a.shape[0]
    n = _threads()
    if a.size < _PARALLEL_MIN or n < 2:
        return work(0, rows)
    step = -(-rows // n)
    global _pool
    if _pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="micrograd")
    for _ in _pool.map(lambda lo: work(lo, min(lo + step, rows)), range(0, rows, step)):
        pass


def tanh_(a):
    """np.tanh(a, out=a) for a float64 array, split across threads when big (same bits)."""
    if a.size < _PARALLEL_MIN or not a.flags.c_contiguous:
        return np.tanh(a, out=a)
    flat = a.reshape(-1, a.shape[-1]) if a.ndim > 1 else a.reshape(-1, 1)
    _parallel_rows(lambda lo, hi: np.tanh(flat[lo:hi], out=flat[lo:hi]), flat)
    return a

# ---------------------------------------------------------------------- grad mode

_grad_enabled = True


class no_grad:
    """`with no_grad():` (or `@no_grad()`) — ops inside build no graph (PyTorch's name).

    The flag is process-wide (not per thread): micrograd is single-threaded.
    """

    __slots__ = ("prev",)

    def __enter__(self):
        global _grad_enabled
        self.prev = _grad_enabled
        _grad_enabled = False
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.prev
        return False

    def __call__(self, fn):  # as a decorator
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)

        return wrapper


def is_grad_enabled():
    """False inside `no_grad()` (PyTorch's `torch.is_grad_enabled`)."""
    return _grad_enabled


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


def _first_bad(mask, x):
    """The first element of x where mask is True (for error messages)."""
    return x[np.nonzero(mask)][0].item() if x.ndim else x.item()


def _axes(axis, ndim, op):
    """Normalize an int / tuple / None axis argument to a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in items:
        if isinstance(a, bool) or not isinstance(a, numbers.Integral):
            raise TypeError(f"{op}(axis) expects an int or a tuple of ints, got {axis!r}")
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise IndexError(f"{op}(axis={axis!r}): axis out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}(axis={axis!r}): an axis is repeated")
    return tuple(sorted(out)) if ndim else ()


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
    d(root)/d(self) after `root.backward()`, an ndarray of the same shape.
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
            raise RuntimeError("backward(): this tensor does not require grad "
                               "(no input had requires_grad=True, or it was made under no_grad())")
        shape = self._data.shape
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(f"backward(): gradient can be implied only for a one-element tensor, "
                                   f"got shape {shape}; pass gradient= an array of that shape")
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

    # ------------------------------------------------------------------ ops with options
    # (elementwise ops are attached to Tensor by @tensor_op below, each beside its backward;
    # these methods check their options, then call their Function)
    def __pow__(self, other):  # self ** other
        if isinstance(other, Tensor):
            return PowTensor.apply(self, other)
        if isinstance(other, bool) or not isinstance(other, numbers.Real):
            return NotImplemented
        return Pow.apply(self, exponent=float(other))

    def __rpow__(self, other):  # other ** self
        other = _lift(other)
        return NotImplemented if other is NotImplemented else PowTensor.apply(other, self)

    def __matmul__(self, other):  # self @ other
        other = _lift(other, scalars=False)
        return NotImplemented if other is NotImplemented else MatMul.apply(self, other)

    def __rmatmul__(self, other):  # other @ self
        other = _lift(other, scalars=False)
        return NotImplemented if other is NotImplemented else MatMul.apply(other, self)

    def matmul(self, other):
        out = self @ other
        if out is NotImplemented:
            raise TypeError(f"matmul() expects a Tensor or an ndarray, got {type(other).__name__}")
        return out

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Mean over `axis` (all by default): sum / count."""
        axis, keepdims = _dim_alias(axis, keepdims, dim, keepdim)
        axes = _axes(axis, self._data.ndim, "mean")
        count = 1
        for a in axes:
            count *= self._data.shape[a]
        if count == 0:
            raise ValueError(f"mean() over an empty selection of a tensor of shape {self.shape}")
        return self.sum(axes, keepdims) * (1.0 / count)

    @property
    def T(self):
        """All dimensions reversed (the transpose of a matrix)."""
        return Permute.apply(self, dims=tuple(reversed(range(self._data.ndim))))

    def transpose(self, dim0, dim1):
        """Swap two dimensions (PyTorch's `transpose(dim0, dim1)`)."""
        n = self._data.ndim
        d0, d1 = _axes(dim0, n, "transpose")[0], _axes(dim1, n, "transpose")[0]
        dims = list(range(n))
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return Permute.apply(self, dims=tuple(dims))

    def permute(self, *dims):
        """Reorder all dimensions (PyTorch's `permute`; NumPy's `transpose(axes)`)."""
        dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        n = self._data.ndim
        if len(dims) != n or sorted(_axes(d, n, "permute")[0] for d in dims) != list(range(n)):
            raise ValueError(f"permute{dims}: expected a permutation of the {n} dimensions of shape {self.shape}")
        return Permute.apply(self, dims=tuple(_axes(d, n, "permute")[0] for d in dims))

    def reshape(self, *shape):
        """Same data, new shape; one dimension may be -1 (inferred)."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        for s in shape:
            if isinstance(s, bool) or not isinstance(s, numbers.Integral):
                raise TypeError(f"reshape() expects ints, got {shape!r}")
        try:
            new = np.reshape(self._data, shape).shape
        except ValueError:
            raise ValueError(f"reshape(): cannot reshape a tensor of shape {self.shape} "
                             f"({self._data.size} elements) into {shape}") from None
        return Reshape.apply(self, shape=new)

    view = reshape

    def flatten(self):
        return self.reshape(-1)

    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Sum over `axis` (an int, a tuple, or None = all)."""
        axis, keepdims = _dim_alias(axis, keepdims, dim, keepdim)
        return Sum.apply(self, axes=_axes(axis, self._data.ndim, "sum"), keepdims=bool(keepdims))

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Max over `axis`; the gradient is shared evenly between tied maxima (PyTorch's `amax`)."""
        axis, keepdims = _dim_alias(axis, keepdims, dim, keepdim)
        if self._data.size == 0:
            raise ValueError("max() of an empty tensor")
        return Max.apply(self, axes=_axes(axis, self._data.ndim, "max"), keepdims=bool(keepdims))

    amax = max

    def log_softmax(self, axis=-1, *, dim=None):
        """log(softmax(x)) along `axis`, computed stably (x - max - log(sum(exp(x - max))))."""
        if dim is not None:
            axis = dim
        if self._data.ndim == 0:
            raise ValueError("log_softmax() needs at least one dimension, got a 0-d tensor")
        return LogSoftmax.apply(self, axis=_axes(axis, self._data.ndim, "log_softmax")[0])

    def softmax(self, axis=-1, *, dim=None):
        return self.log_softmax(axis, dim=dim).exp()

    def __getitem__(self, index):
        """Ints, slices, `...`, None, int arrays/lists (a Tensor of whole numbers too), bool ndarrays."""
        if isinstance(index, Tensor):
            index = _int_index(index)
        elif isinstance(index, tuple):
            index = tuple(_int_index(i) if isinstance(i, Tensor) else i for i in index)
        try:
            out = self._data[index]
        except IndexError as e:
            raise IndexError(f"index {index!r} is invalid for a tensor of shape {self.shape}: {e}") from None
        return GetItem.apply(self, index=index, _out=out)

    # Tensors are hashed by identity (graph walks keep them in sets); `==` stays identity too.
    __hash__ = object.__hash__


def _int_index(t):
    """A Tensor used as an index: its (float) values must be whole numbers."""
    d = t._data
    if not np.array_equal(d, np.floor(d)):
        raise IndexError(f"a Tensor used as an index must hold whole numbers, got {d.tolist()!r}")
    return d.astype(np.intp)


def _dim_alias(axis, keepdims, dim, keepdim):
    """Accept PyTorch's `dim=`/`keepdim=` as aliases of NumPy's `axis=`/`keepdims=`."""
    return (axis if dim is None else dim), (keepdims if keepdim is None else keepdim)


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


# ---------------------------------------------------------------------- Function: an op


class Function:
    """One op: `forward(*arrays, **options) -> array` and `backward(g) -> grads`, side by side.

    An instance is the node's context: it keeps what backward needs (arrays, shapes) and
    `needs`, which inputs want a gradient (backward may return None for the others).
    """

    __slots__ = ("needs",)
    name = "?"  # the node's label in the graph view
    binary = False  # for @tensor_op: a binary op lifts numbers and gets a reflected dunder

    @classmethod
    def apply(cls, *inputs, **options):
        ctx = cls()
        out = ctx.forward(*[t._data for t in inputs], **options)
        if type(out) is not np.ndarray:  # NumPy reductions give scalars; keep 0-d arrays
            out = np.asarray(out, dtype=_f64)
        t = _new(Tensor)
        t._data, t._grad = out, None
        if _grad_enabled:
            needs = tuple([x.requires_grad for x in inputs])
            if True in needs:
                ctx.needs = needs
                t._prev, t._ctx, t._op, t.requires_grad = inputs, ctx, ctx.name, True
                return t
        t._prev, t._ctx, t._op, t.requires_grad = (), None, "", False
        return t

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, g):
        raise NotImplementedError


def tensor_op(*names, reflected=None):
    """Register a Function as Tensor method(s) `names` (and a reflected dunder, e.g. `__radd__`).

    Binary ops lift numbers/ndarrays to constant tensors; anything else gives NotImplemented,
    so Python raises its usual TypeError.
    """

    def register(cls):
        if cls.binary:
            def method(self, other):
                other = _lift(other)
                return NotImplemented if other is NotImplemented else cls.apply(self, other)

            def rmethod(self, other):
                other = _lift(other)
                return NotImplemented if other is NotImplemented else cls.apply(other, self)

            if reflected:
                rmethod.__name__ = reflected
                setattr(Tensor, reflected, rmethod)
        else:
            def method(self):
                return cls.apply(self)

        method.__doc__ = cls.__doc__
        for n in names:
            setattr(Tensor, n, method)
        return cls

    return register


# ---------------------------------------------------------------------- elementwise ops


@tensor_op("__add__", reflected="__radd__")
class Add(Function):
    """f(a, b) = a + b;  df/da = 1, df/db = 1."""

    __slots__ = ("sa", "sb")
    name, binary = "+", True

    def forward(self, a, b):
        self.sa, self.sb = a.shape, b.shape
        return a + b

    def backward(self, g):
        return unbroadcast(g, self.sa), unbroadcast(g, self.sb)


@tensor_op("__sub__", reflected="__rsub__")
class Sub(Function):
    """f(a, b) = a - b;  df/da = 1, df/db = -1."""

    __slots__ = ("sa", "sb")
    name, binary = "-", True

    def forward(self, a, b):
        self.sa, self.sb = a.shape, b.shape
        return a - b

    def backward(self, g):
        return unbroadcast(g, self.sa), (unbroadcast(-g, self.sb) if self.needs[1] else None)


@tensor_op("__mul__", reflected="__rmul__")
class Mul(Function):
    """f(a, b) = a * b;  df/da = b, df/db = a."""

    __slots__ = ("a", "b")
    name, binary = "*", True

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        a, b = self.a, self.b
        return (unbroadcast(g * b, a.shape) if self.needs[0] else None,
                unbroadcast(g * a, b.shape) if self.needs[1] else None)


def _check_pow(base, p, op):
    """The scalar engine's errors for base ** p (elementwise, p broadcast against base)."""
    neg_frac = (base < 0) & (p != np.floor(p))
    if neg_frac.any():
        b, e = np.broadcast_arrays(base, p)
        i = np.argmax(neg_frac)
        raise ValueError(f"{op}: a fractional power of a negative number is not real, got "
                         f"{float(b.flat[i])!r} ** {float(e.flat[i])!r}")
    zero_neg = (base == 0) & (p < 0)
    if zero_neg.any():
        b, e = np.broadcast_arrays(base, p)
        i = np.argmax(zero_neg)
        raise ZeroDivisionError(f"{op}: 0.0 cannot be raised to a negative power, got {float(b.flat[i])!r} ** {float(e.flat[i])!r}")


def _pow_local(x, p):
    """d/dx x**p = p * x**(p-1); 0 where p == 0 and +-inf at a pole (0 ** negative), as PyTorch."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        d = p * x ** (p - 1)
    return np.where(p == 0, 0.0, d) if np.any(p == 0) else d


class Pow(Function):
    """f(x) = x ** p for a number p;  f'(x) = p * x**(p-1)  (f' = 0 when p == 0)."""

    __slots__ = ("x", "p")
    name = "**"

    def forward(self, x, exponent):
        _check_pow(x, exponent, "pow")
        self.x, self.p = x, exponent
        with np.errstate(over="ignore"):  # overflow is inf, as PyTorch
            return x**exponent

    def backward(self, g):
        return (g * _pow_local(self.x, self.p),)


class PowTensor(Function):
    """f(a, b) = a ** b;  df/da = b * a**(b-1), df/db = a**b * ln(a) (0 where a == 0 and b >= 0)."""

    __slots__ = ("a", "b", "out")
    name = "**"

    def forward(self, a, b):
        _check_pow(a, b, "pow")
        self.a, self.b = a, b
        with np.errstate(over="ignore"):
            self.out = a**b
        return self.out

    def backward(self, g):
        a, b = self.a, self.b
        ga = unbroadcast(g * _pow_local(a, b), a.shape) if self.needs[0] else None
        gb = None
        if self.needs[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                ln = np.log(np.where(a > 0, a, 1.0))
            d = np.where(a > 0, self.out * ln, np.where((a == 0) & (b >= 0), 0.0, np.nan))
            gb = unbroadcast(g * d, b.shape)
        return ga, gb


@tensor_op("__truediv__", reflected="__rtruediv__")
class Div(Function):
    """f(a, b) = a / b;  df/da = 1/b, df/db = -a/b**2.  Division by zero raises, as the scalar engine."""

    __slots__ = ("a", "b")
    name, binary = "/", True

    def forward(self, a, b):
        zero = b == 0
        if zero.any():
            raise ZeroDivisionError(f"division by zero: the divisor has an element {_first_bad(zero, b)!r}")
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        a, b = self.a, self.b
        return (unbroadcast(g / b, a.shape) if self.needs[0] else None,
                unbroadcast(-g * a / (b * b), b.shape) if self.needs[1] else None)


@tensor_op("__neg__")
class Neg(Function):
    """f(x) = -x;  f'(x) = -1."""

    __slots__ = ()
    name = "neg"

    def forward(self, x):
        return -x

    def backward(self, g):
        return (-g,)


@tensor_op("relu")
class ReLU(Function):
    """f(x) = max(0, x);  f'(x) = 1 if x > 0 else 0 (f'(0) = 0, as PyTorch)."""

    __slots__ = ("x",)
    name = "ReLU"

    def forward(self, x):
        self.x = x
        return np.maximum(x, 0.0)

    def backward(self, g):
        return (g * (self.x > 0),)


@tensor_op("tanh")
class Tanh(Function):
    """f(x) = tanh(x);  f'(x) = 1 - tanh(x)**2."""

    __slots__ = ("t",)
    name = "tanh"

    def forward(self, x):
        self.t = tanh_(np.array(x, dtype=np.float64, order="C"))
        return self.t

    def backward(self, g):
        t = self.t
        return (g * (1.0 - t * t),)


@tensor_op("exp")
class Exp(Function):
    """f(x) = e**x;  f'(x) = e**x.  Overflow gives inf, as PyTorch."""

    __slots__ = ("e",)
    name = "exp"

    def forward(self, x):
        with np.errstate(over="ignore"):
            self.e = np.exp(x)
        return self.e

    def backward(self, g):
        return (g * self.e,)


@tensor_op("log")
class Log(Function):
    """f(x) = ln(x) for x > 0;  f'(x) = 1/x."""

    __slots__ = ("x",)
    name = "log"

    def forward(self, x):
        bad = ~(x > 0)  # catches NaN too
        if bad.any():
            raise ValueError(f"log() is defined for x > 0, got x={_first_bad(bad, x)!r}")
        self.x = x
        return np.log(x)

    def backward(self, g):
        return (g / self.x,)


@tensor_op("sigmoid")
class Sigmoid(Function):
    """f(x) = 1 / (1 + e**-x), without overflow;  f'(x) = f(x) * (1 - f(x))."""

    __slots__ = ("s",)
    name = "sigmoid"

    def forward(self, x):
        e = np.exp(-np.abs(x))  # e**-x for x >= 0, e**x for x < 0: never overflows
        self.s = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return self.s

    def backward(self, g):
        s = self.s
        return (g * ((1.0 - s) * s),)


# ---------------------------------------------------------------------- matmul


class MatMul(Function):
    """f(a, b) = a @ b (NumPy's matmul: 1-D, 2-D and batched);  df/da = g @ b.T, df/db = a.T @ g."""

    __slots__ = ("a", "b")
    name = "@"

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {a.shape} and {b.shape}")
        ka = a.shape[-1]
        kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if ka != kb:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit "
                             f"(the last dimension of the first, {ka}, must equal the "
                             f"{'first' if b.ndim == 1 else 'second-to-last'} of the second, {kb})")
        self.a, self.b = a, b
        try:
            return a @ b
        except ValueError as e:  # batch dimensions that do not broadcast
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not broadcast: {e}") from None

    def backward(self, g):
        a, b = self.a, self.b
        # promote 1-D operands to matrices, as matmul itself does, then undo it
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = g2[..., None, :] if b.ndim > 1 else g2[..., None]
        if b.ndim == 1:
            g2 = g2[..., None]
        ga = gb = None
        if self.needs[0]:
            ga = g2 @ np.swapaxes(b2, -1, -2)
            ga = unbroadcast(ga, a2.shape if a.ndim > 1 else ga.shape[:-2] + a2.shape)
            if a.ndim == 1:
                ga = ga.reshape(-1, a.shape[0]).sum(0)
        if self.needs[1]:
            gb = np.swapaxes(a2, -1, -2) @ g2
            gb = unbroadcast(gb, b2.shape if b.ndim > 1 else gb.shape[:-2] + b2.shape)
            if b.ndim == 1:
                gb = gb.reshape(-1, b.shape[0]).sum(0)
        return ga, gb


# ---------------------------------------------------------------------- reductions


class Sum(Function):
    """f(x) = sum of x over `axes`;  df/dx = 1 (the gradient is copied back over the summed axes)."""

    __slots__ = ("shape", "kshape")
    name = "sum"

    def forward(self, x, axes, keepdims):
        self.shape = x.shape
        self.kshape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
        return x.sum(axis=axes, keepdims=keepdims)

    def backward(self, g):
        return (np.broadcast_to(g.reshape(self.kshape), self.shape),)


class Max(Function):
    """f(x) = max of x over `axes`;  df/dx = 1/k at each of the k maxima, 0 elsewhere."""

    __slots__ = ("mask", "kshape")
    name = "max"

    def forward(self, x, axes, keepdims):
        m = x.max(axis=axes, keepdims=True)
        mask = x == m
        self.mask = mask / mask.sum(axis=axes, keepdims=True)
        self.kshape = m.shape
        return m if keepdims else m.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))

    def backward(self, g):
        return (g.reshape(self.kshape) * self.mask,)


# ---------------------------------------------------------------------- shape ops


class Reshape(Function):
    """Same elements, new shape;  the gradient is reshaped back."""

    __slots__ = ("shape",)
    name = "reshape"

    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, g):
        return (g.reshape(self.shape),)


class Permute(Function):
    """Dimensions reordered by `dims`;  the gradient is permuted back by the inverse order."""

    __slots__ = ("inverse",)
    name = "permute"

    def forward(self, x, dims):
        self.inverse = tuple(np.argsort(dims))
        return x.transpose(dims)

    def backward(self, g):
        return (g.transpose(self.inverse),)


class GetItem(Function):
    """x[index] (ints, slices, integer or boolean arrays);  the gradient is scattered back with
    np.add.at, so an element picked twice gets both contributions."""

    __slots__ = ("shape", "index")
    name = "getitem"

    def forward(self, x, index, _out):
        self.shape, self.index = x.shape, index
        return np.array(_out, dtype=_f64)  # a copy: never a view the user could write through

    def backward(self, g):
        out = np.zeros(self.shape)
        np.add.at(out, self.index, g)
        return (out,)


# ---------------------------------------------------------------------- softmax


class LogSoftmax(Function):
    """f(x) = x - max(x) - log(sum(exp(x - max(x)))) along `axis`;
    df/dx applied to g is g - softmax(x) * sum(g) (along the same axis)."""

    __slots__ = ("out", "axis")
    name = "log_softmax"

    def forward(self, x, axis):
        shifted = x - x.max(axis=axis, keepdims=True)
        self.out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        self.axis = axis
        return self.out

    def backward(self, g):
        return (g - np.exp(self.out) * g.sum(axis=self.axis, keepdims=True),)
