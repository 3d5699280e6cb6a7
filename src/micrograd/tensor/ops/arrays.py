"""micrograd.tensor.ops.arrays — the ops that see a tensor as an array: matmul, reductions, shapes.

`@` / `matmul`, `sum` / `mean`, `max` / `amax`, `reshape` / `view` / `flatten`,
`permute` / `transpose` / `T`, indexing (`t[...]`), `log_softmax` / `softmax`. Each op
takes options (an axis, a shape, an index): its Tensor methods, written in its class body,
check them with PyTorch's names accepted beside NumPy's (`dim=`/`keepdim=` for
`axis=`/`keepdims=`), then call `apply`.
"""

import numbers

import numpy as np

from ..tensor import Tensor, _lift, unbroadcast
from . import Function, tensor_op

_f64 = np.float64

# ---------------------------------------------------------------------- option checks


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


def _dim_alias(axis, keepdims, dim, keepdim):
    """Accept PyTorch's `dim=`/`keepdim=` as aliases of NumPy's `axis=`/`keepdims=`."""
    return (axis if dim is None else dim), (keepdims if keepdim is None else keepdim)


# ---------------------------------------------------------------------- matmul


@tensor_op("__matmul__", "__rmatmul__", "matmul")
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
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} do not fit "
                f"(the last dimension of the first, {ka}, must equal the "
                f"{'first' if b.ndim == 1 else 'second-to-last'} of the second, {kb})"
            )
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

    # the Tensor methods (self is the Tensor; @tensor_op moves them there): numbers are not operands
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


# ---------------------------------------------------------------------- reductions


@tensor_op("sum", "mean")
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

    # the Tensor methods (self is the Tensor; @tensor_op moves them there): check the options, apply
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Sum over `axis` (an int, a tuple, or None = all)."""
        axis, keepdims = _dim_alias(axis, keepdims, dim, keepdim)
        return Sum.apply(self, axes=_axes(axis, self._data.ndim, "sum"), keepdims=bool(keepdims))

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


@tensor_op("max", "amax")
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

    # the Tensor methods (self is the Tensor; @tensor_op moves them there): check the options, apply
    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Max over `axis`; the gradient is shared evenly between tied maxima (PyTorch's `amax`)."""
        axis, keepdims = _dim_alias(axis, keepdims, dim, keepdim)
        if self._data.size == 0:
            raise ValueError("max() of an empty tensor")
        return Max.apply(self, axes=_axes(axis, self._data.ndim, "max"), keepdims=bool(keepdims))

    amax = max


# ---------------------------------------------------------------------- shape ops


@tensor_op("reshape", "view", "flatten")
class Reshape(Function):
    """Same elements, new shape;  the gradient is reshaped back."""

    __slots__ = ("shape",)
    name = "reshape"

    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, g):
        return (g.reshape(self.shape),)

    # the Tensor methods (self is the Tensor; @tensor_op moves them there): check the options, apply
    def reshape(self, *shape):
        """Same data, new shape; one dimension may be -1 (inferred)."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        for s in shape:
            if isinstance(s, bool) or not isinstance(s, numbers.Integral):
                raise TypeError(f"reshape() expects ints, got {shape!r}")
        try:
            new = np.reshape(self._data, shape).shape
        except ValueError:
            raise ValueError(
                f"reshape(): cannot reshape a tensor of shape {self.shape} ({self._data.size} elements) into {shape}"
            ) from None
        return Reshape.apply(self, shape=new)

    view = reshape

    def flatten(self):
        return self.reshape(-1)


@tensor_op("permute", "transpose", "T")
class Permute(Function):
    """Dimensions reordered by `dims`;  the gradient is permuted back by the inverse order."""

    __slots__ = ("inverse",)
    name = "permute"

    def forward(self, x, dims):
        self.inverse = tuple(np.argsort(dims))
        return x.transpose(dims)

    def backward(self, g):
        return (g.transpose(self.inverse),)

    # the Tensor methods (self is the Tensor; @tensor_op moves them there): check the options, apply
    def permute(self, *dims):
        """Reorder all dimensions (PyTorch's `permute`; NumPy's `transpose(axes)`)."""
        dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        n = self._data.ndim
        if len(dims) != n or sorted(_axes(d, n, "permute")[0] for d in dims) != list(range(n)):
            raise ValueError(f"permute{dims}: expected a permutation of the {n} dimensions of shape {self.shape}")
        return Permute.apply(self, dims=tuple(_axes(d, n, "permute")[0] for d in dims))

    def transpose(self, dim0, dim1):
        """Swap two dimensions (PyTorch's `transpose(dim0, dim1)`)."""
        n = self._data.ndim
        d0, d1 = _axes(dim0, n, "transpose")[0], _axes(dim1, n, "transpose")[0]
        dims = list(range(n))
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return Permute.apply(self, dims=tuple(dims))

    @property
    def T(self):
        """All dimensions reversed (the transpose of a matrix)."""
        return Permute.apply(self, dims=tuple(reversed(range(self._data.ndim))))


# ---------------------------------------------------------------------- indexing


@tensor_op("__getitem__")
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

    # the Tensor methods (self is the Tensor; @tensor_op moves them there): check the options, apply
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


def _int_index(t):
    """A Tensor used as an index: its (float) values must be whole numbers."""
    d = t._data
    if not np.array_equal(d, np.floor(d)):
        raise IndexError(f"a Tensor used as an index must hold whole numbers, got {d.tolist()!r}")
    return d.astype(np.intp)


# ---------------------------------------------------------------------- softmax


@tensor_op("log_softmax", "softmax")
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

    # the Tensor methods (self is the Tensor; @tensor_op moves them there): check the options, apply
    def log_softmax(self, axis=-1, *, dim=None):
        """log(softmax(x)) along `axis`, computed stably (x - max - log(sum(exp(x - max))))."""
        if dim is not None:
            axis = dim
        if self._data.ndim == 0:
            raise ValueError("log_softmax() needs at least one dimension, got a 0-d tensor")
        return LogSoftmax.apply(self, axis=_axes(axis, self._data.ndim, "log_softmax")[0])

    def softmax(self, axis=-1, *, dim=None):
        return self.log_softmax(axis, dim=dim).exp()
