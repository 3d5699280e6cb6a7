"""micrograd.tensor.ops.elementwise — the elementwise ops: + - * / ** neg relu tanh exp log sigmoid.

The tensor twins of `micrograd.engine.Value`'s ops, each checked against the same row of
tests/catalogue.py. Binary ops broadcast as NumPy does; each broadcast gradient goes back
through `unbroadcast`. Errors are the scalar engine's (same types, same words).
"""

import numbers

import numpy as np

from .._kernels import sigmoid, tanh_
from ..tensor import Tensor, unbroadcast
from . import Function, tensor_op


def _first_bad(mask, x):
    """The first element of x where mask is True (for error messages)."""
    return x[np.nonzero(mask)][0].item() if x.ndim else x.item()


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
        return (unbroadcast(g * b, a.shape) if self.needs[0] else None, unbroadcast(g * a, b.shape) if self.needs[1] else None)


def _check_pow(base, p, op):
    """The scalar engine's errors for base ** p (elementwise, p broadcast against base)."""
    neg_frac = (base < 0) & (p != np.floor(p))
    if neg_frac.any():
        b, e = np.broadcast_arrays(base, p)
        i = np.argmax(neg_frac)
        raise ValueError(
            f"{op}: a fractional power of a negative number is not real, got {float(b.flat[i])!r} ** {float(e.flat[i])!r}"
        )
    zero_neg = (base == 0) & (p < 0)
    if zero_neg.any():
        b, e = np.broadcast_arrays(base, p)
        i = np.argmax(zero_neg)
        raise ZeroDivisionError(
            f"{op}: 0.0 cannot be raised to a negative power, got {float(b.flat[i])!r} ** {float(e.flat[i])!r}"
        )


def _pow_local(x, p):
    """d/dx x**p = p * x**(p-1); 0 where p == 0 and +-inf at a pole (0 ** negative), as PyTorch."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        d = p * x ** (p - 1)
    return np.where(p == 0, 0.0, d) if np.any(p == 0) else d


@tensor_op("__pow__")
class Pow(Function):
    """f(x) = x ** p for a number p;  f'(x) = p * x**(p-1)  (f' = 0 when p == 0)."""

    __slots__ = ("x", "p")
    name = "**"

    def __pow__(self, other):  # Tensor ** other: a number exponent, or a tensor one (PowTensor)
        if isinstance(other, Tensor):
            return PowTensor.apply(self, other)
        if isinstance(other, bool) or not isinstance(other, numbers.Real):
            return NotImplemented
        return Pow.apply(self, exponent=float(other))

    def forward(self, x, exponent):
        _check_pow(x, exponent, "pow")
        self.x, self.p = x, exponent
        with np.errstate(over="ignore"):  # overflow is inf, as PyTorch
            return x**exponent

    def backward(self, g):
        return (g * _pow_local(self.x, self.p),)


@tensor_op(reflected="__rpow__")  # other ** Tensor; Tensor ** Tensor comes through Pow's __pow__
class PowTensor(Function):
    """f(a, b) = a ** b;  df/da = b * a**(b-1), df/db = a**b * ln(a) (0 where a == 0 and b >= 0)."""

    __slots__ = ("a", "b", "out")
    name, binary = "**", True

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
        return (
            unbroadcast(g / b, a.shape) if self.needs[0] else None,
            unbroadcast(-g * a / (b * b), b.shape) if self.needs[1] else None,
        )


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
        self.s = sigmoid(x)  # e**-|x|: never overflows
        return self.s

    def backward(self, g):
        s = self.s
        return (g * ((1.0 - s) * s),)
