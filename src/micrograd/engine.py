"""micrograd.engine — `Value`, a scalar that remembers how it was made.

Every arithmetic op on a `Value` returns a new `Value` that keeps its children
(`_prev`, a tuple: order is kept, runs are deterministic) and the *local derivative*
of the op with respect to each child (`_local`: a float for a one-child op, a tuple
for more; a product reads its children's data instead). `backward()` walks the graph in
reverse topological order and applies the chain rule:

    child.grad += local * out.grad

That one line is all of backpropagation for the ordinary ops, so an op here is its
forward value plus its local derivatives, side by side. There are no closures: a node
holds plain numbers, so graphs have no reference cycles and are freed by reference
counting the moment the last reference to the root goes away.

The floating-point operations and their order are the seed program's (a / b is
a * b**-1, -a is a * -1, ...), so micrograd prints the seed's numbers.

Fused nodes exist for speed, each computing exactly the float sequence of the small
graph it replaces (so the numbers do not move):
  - `dot(w, x, b)`: the neuron's `b + w[0]*x[0] + w[1]*x[1] + ...` as one node
    (op 'dot'); its children are b, w..., x... . `dot(w, x, b, act="tanh")` fuses the
    neuron's activation too (op 'tanh(dot)', or 'relu(dot)'): one node per neuron.
  - `micrograd.losses.cross_entropy`: the seed's max-shift / exp / sum / divide /
    log / negate chain as one node (op 'cross_entropy').
Everything else is one node per op, as in the course.
"""

import math
import numbers

from .graph import topo_order

_ONE_ONE = (1.0, 1.0)
_INF = math.inf


def _as_float(data, what="Value(data)"):
    """A Python float from a real number; bools, strings, complex, None are refused."""
    if type(data) is float:
        return data
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        raise TypeError(f"{what} expects a real number (int or float), got {type(data).__name__} {data!r}")
    try:
        return float(data)
    except OverflowError:
        raise OverflowError(f"{what}: {type(data).__name__} too large for a float (about {len(str(abs(data)))} digits)") from None


def _pow(base, exponent, op):
    """base ** exponent on floats with PyTorch's edge rules and clear errors."""
    try:
        out = base ** exponent
    except OverflowError:  # IEEE says inf, as PyTorch does; Python raises instead
        odd = exponent == int(exponent) and int(exponent) % 2 == 1
        return -_INF if base < 0 and odd else _INF
    except ZeroDivisionError:
        raise ZeroDivisionError(f"{op}: 0.0 cannot be raised to a negative power, got {base!r} ** {exponent!r}") from None
    if type(out) is complex:
        raise ValueError(f"{op}: a fractional power of a negative number is not real, got {base!r} ** {exponent!r}")
    return out


def _pow_local(base, exponent):
    """d/dx x**p = p * x**(p-1), in the seed's order; 0 for p == 0 and inf at a pole, as PyTorch."""
    if exponent == 0:
        return 0.0
    try:
        return exponent * base ** (exponent - 1)
    except ZeroDivisionError:  # 0 ** negative: the slope is infinite (sqrt at 0)
        return exponent * _INF
    except OverflowError:
        return exponent * _pow(base, exponent - 1, "pow")


class _MulBackward:
    """d(a*b)/da = b, d(a*b)/db = a: read from the children at backward time, as the
    seed does, instead of storing a tuple per node (one shared instance)."""

    __slots__ = ()

    def backward(self, children, g):
        a, b = children
        a.grad += b.data * g
        b.grad += a.data * g


_MUL = _MulBackward()


class Value:
    """A scalar with a gradient: `Value(2.0) * Value(3.0)`, then `.backward()`.

    `data` is always a Python float; `grad` is d(root)/d(self) after `root.backward()`.
    """

    __slots__ = ("data", "grad", "_prev", "_local", "_op")

    def __init__(self, data, _prev=(), _op="", _local=()):
        self.data = data if type(data) is float else _as_float(data)
        self.grad = 0.0
        self._prev = _prev  # children, in order
        self._local = _local  # d(self)/d(child): a float (one child), a tuple (one per child), or a fused node's backward object
        self._op = _op  # the op that made this node, for the graph view

    # ------------------------------------------------------------------ binary ops
    def __add__(self, other):  # self + other
        if type(other) is not Value:
            other = _lift(other)
            if other is NotImplemented:
                return NotImplemented
        return Value(self.data + other.data, (self, other), "+", _ONE_ONE)

    def __mul__(self, other):  # self * other
        if type(other) is not Value:
            other = _lift(other)
            if other is NotImplemented:
                return NotImplemented
        return Value(self.data * other.data, (self, other), "*", _MUL)

    def __pow__(self, other):  # self ** other
        if isinstance(other, Value):
            return _pow_values(self, other)
        if isinstance(other, bool) or not isinstance(other, (int, float)):
            return NotImplemented
        out = _pow(self.data, other, "pow")
        return Value(out, (self,), f"**{other}", _pow_local(self.data, other))

    def __rpow__(self, other):  # other ** self
        other = _lift(other)
        if other is NotImplemented:
            return NotImplemented
        return _pow_values(other, self)

    # ------------------------------------------------------------------ unary ops
    def relu(self):
        """f(x) = max(0, x); f'(0) = 0, as PyTorch."""
        x = self.data
        return Value(0.0 if x < 0 else x, (self,), "ReLU", 1.0 if x > 0 else 0.0)

    def tanh(self):
        """f(x) = tanh(x); f'(x) = 1 - tanh(x)**2."""
        t = math.tanh(self.data)
        return Value(t, (self,), "tanh", 1 - t**2)

    def exp(self):
        """f(x) = e**x; f'(x) = e**x. Overflow gives inf, as PyTorch."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            e = _INF
        return Value(e, (self,), "exp", e)

    def log(self):
        """f(x) = ln(x) for x > 0; f'(x) = 1/x."""
        x = self.data
        if not x > 0:
            raise ValueError(f"log() is defined for x > 0, got x={x!r}")
        return Value(math.log(x), (self,), "log", 1 / x)

    def sigmoid(self):
        """f(x) = 1 / (1 + e**-x), computed without overflow; f'(x) = f(x) * (1 - f(x))."""
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return Value(s, (self,), "sigmoid", (1.0 - s) * s)

    # ------------------------------------------------------------------ derived ops
    def __neg__(self):  # -self
        return self * -1

    def __radd__(self, other):  # other + self
        return self + other

    def __sub__(self, other):  # self - other
        if not isinstance(other, (Value, int, float)) or isinstance(other, bool):
            return NotImplemented
        return self + (-other)

    def __rsub__(self, other):  # other - self
        return other + (-self)

    def __rmul__(self, other):  # other * self
        return self * other

    def __truediv__(self, other):  # self / other
        if not isinstance(other, (Value, int, float)) or isinstance(other, bool):
            return NotImplemented
        if not isinstance(other, Value):
            return self * _pow(float(other), -1, "division")
        return self * other**-1

    def __rtruediv__(self, other):  # other / self
        return other * self**-1

    # ------------------------------------------------------------------ backprop
    def backward(self, gradient=1.0):
        """Fill `.grad` of every node below self with d(self)/d(node).

        As in PyTorch: leaves (nodes made by `Value(...)`, e.g. parameters and inputs)
        *accumulate* across calls until zeroed; interior nodes hold this call's
        gradient. So a second `backward()` adds exactly the same amount again.
        """
        gradient = _as_float(gradient, "backward(gradient)")
        order = topo_order(self)
        for v in order:  # interior grads are per call; leaves keep accumulating
            if v._prev:
                v.grad = 0.0
        self.grad = gradient if self._prev else self.grad + gradient
        for v in reversed(order):
            prev = v._prev
            if not prev:  # a leaf: nothing below it
                continue
            local, g = v._local, v.grad
            kind = type(local)
            if kind is float:  # one child
                prev[0].grad += local * g
            elif kind is tuple:  # one local derivative per child
                for child, d in zip(prev, local):
                    child.grad += d * g
            else:  # a fused node computes its children's gradients itself
                local.backward(prev, g)

    # ------------------------------------------------------------------ conveniences
    def item(self):
        """The float value (PyTorch's name)."""
        return self.data

    def __float__(self):
        return self.data

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    def _repr_svg_(self):
        """Jupyter shows a Value as its graph (needs Graphviz's `dot`; None falls back to repr)."""
        from .viz.graph import repr_svg  # lazy: the viz layer sits above the engine

        return repr_svg(self)


# ---------------------------------------------------------------------- helpers


def _lift(other):
    """Wrap a plain number as a leaf Value; NotImplemented for anything else."""
    if type(other) is float:
        return Value(other)
    if isinstance(other, Value):
        return other
    if isinstance(other, bool) or not isinstance(other, numbers.Real):
        return NotImplemented
    return Value(float(other))


def _pow_values(base, exponent):
    """base ** exponent with both Values; d/d(exponent) = out * ln(base) (0 where base == 0)."""
    b, p = base.data, exponent.data
    out = _pow(b, p, "pow")
    if b > 0:
        dp = out * math.log(b)
    elif b == 0 and p >= 0:
        dp = 0.0  # PyTorch masks this case to 0
    else:
        dp = math.nan  # ln of a negative base: not real, as PyTorch
    return Value(out, (base, exponent), "**", (_pow_local(b, p), dp))


def _lift_all(xs, name):
    """Values from Values or numbers, with a TypeError naming the bad element."""
    out = []
    for i, x in enumerate(xs):
        v = x if type(x) is Value else _lift(x)
        if v is NotImplemented:
            raise TypeError(f"{name}[{i}] must be a Value or a real number, got {type(x).__name__} {x!r}")
        out.append(v)
    return out


class _ActivatedDotBackward:
    """Backward of a fused neuron node `act(b + w.x)`: first the activation's local
    derivative, exactly as the seed's separate tanh/ReLU node applies it, then the dot's
    local derivatives. Holds floats only (no node references: no cycles)."""

    __slots__ = ("pre", "dact", "local")

    def __init__(self, pre, dact, local):
        self.pre = pre  # b + w.x, before the activation (shown when the graph view expands the node)
        self.dact = dact  # act'(pre)
        self.local = local  # (1.0, *x.data, *w.data), as a plain 'dot' node's

    def backward(self, children, g):
        g = self.dact * g  # the activation node's backward: dot.grad = act'(pre) * g
        for child, d in zip(children, self.local):
            child.grad += d * g


def dot(w, x, b, act=None, xd=None):
    """One node for `b + w[0]*x[0] + w[1]*x[1] + ...` (a neuron), optionally activated.

    Computes exactly the seed's `sum((wi*xi for ...), b)` float sequence, and gives each
    child the gradient that graph would: b gets g, w[i] gets x[i]*g, x[i] gets w[i]*g.
    With act="tanh" or "relu" the activation is fused in too (op "tanh(dot)" / "relu(dot)"),
    again with the seed's float sequence. `w` are Values, `x` Values or numbers, `b` a
    Value. (`xd`, the list of x's data, lets a layer extract it once for all its neurons.)
    """
    if xd is None:
        try:
            xd = [xi.data for xi in x]  # x are Values already (MLP lifts its inputs once)
        except AttributeError:
            x = _lift_all(x, "x")
            xd = [xi.data for xi in x]
    wd = [wi.data for wi in w]
    if len(wd) != len(xd):
        raise ValueError(f"dot() needs as many inputs as weights, got {len(xd)} inputs for {len(wd)} weights")
    s = b.data
    for wi, xi in zip(wd, xd):
        s = s + wi * xi
    local = (1.0, *xd, *wd)
    if act is None:
        return Value(s, (b, *w, *x), "dot", local)
    if act == "tanh":
        t = math.tanh(s)
        return Value(t, (b, *w, *x), "tanh(dot)", _ActivatedDotBackward(s, 1 - t**2, local))
    if act == "relu":
        return Value(0.0 if s < 0 else s, (b, *w, *x), "relu(dot)", _ActivatedDotBackward(s, 1.0 if s > 0 else 0.0, local))
    raise ValueError(f"dot(act=...) must be None, 'tanh' or 'relu', got {act!r}")


def sum_values(values, start=0.0):
    """One node for `start + v[0] + v[1] + ...` (Python's `sum(values, start)`)."""
    vs = _lift_all(values, "values")
    s = _as_float(start, "sum_values(start)")
    for v in vs:
        s = s + v.data
    return Value(s, tuple(vs), "sum", (1.0,) * len(vs))
