"""micrograd.engine — `Value`, a scalar that remembers how it was made.

An op on a `Value` returns a new `Value` holding its children (`_prev`, a tuple: order is
kept, runs are deterministic) and, beside its forward value, how the gradient goes back
(`_backward`): a one-child op stores its local derivative, a float (`child.grad += d * g`);
any other op stores its backward rule, a function `rule(out, g)` written right below it.
`backward()` applies them in reverse topological order: that is all of backpropagation.
No closures (a node holds a float or a module-level function): graphs have no reference
cycles, and reference counting frees them as soon as the root goes away.

The floats and their order are the seed program's (a / b is a * b**-1, -a is a * -1, ...),
so micrograd prints the seed's numbers.

A fused node (one node for a small graph, with its exact floats, for speed) is a Value whose
`_op` is an object made next to what it computes (`nn.NeuronOp`, `losses.CrossEntropyOp`,
`losses.SumOp`): `str(op)` names it, its rule reads the op's floats, and `op.expand(node, part)`
gives the primitive graph it stands for. A node's `label` (`Value(2.0, label="a")`, "" when
unset) names it in graphs; it rides on `_op` (micrograd._labels): unlabelled nodes pay nothing.
"""

import math
import numbers

from ._floats import as_float, pow_slope, real_pow
from ._labels import label_of, with_label
from .graph import topo_order

__all__ = ["Value", "as_float", "as_values"]


def _pow_local(base, exponent):
    """d/dx x**p = p * x**(p-1), in the seed's order; 0 for p == 0 and inf at a pole, as PyTorch."""
    if exponent == 0:
        return 0.0
    try:
        return exponent * base ** (exponent - 1)
    except ZeroDivisionError:  # 0 ** negative: the slope is infinite (sqrt at 0)
        return exponent * math.inf
    except OverflowError:
        return pow_slope(base, exponent)


def _sigmoid(x):
    """1 / (1 + e**-x) without overflow, in the tensor engine's float sequence (e = e**-|x|)."""
    e = math.exp(-abs(x))
    return 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)


class Value:
    """A scalar with a gradient: `Value(2.0) * Value(3.0)`, then `.backward()`. `data` is
    always a Python float; `grad` is d(root)/d(self) after `root.backward()`."""

    __slots__ = ("data", "grad", "_prev", "_backward", "_op")

    def __init__(self, data, _prev=(), _op="", _backward=None, label=""):
        self.data = data if type(data) is float else as_float(data)
        self.grad = 0.0
        self._prev = _prev  # children, in order
        self._backward = _backward  # a float (one child's local derivative) or a rule(out, g); see above
        self._op = _op  # the op that made this node, for the graph view: a str, or a fused node's op object
        if label:
            self.label = label

    @property
    def label(self):
        """The node's name in graphs, "" unless set (`Value(2.0, label="a")`, `v.label = "a"`)."""
        return label_of(self._op)

    @label.setter
    def label(self, label):
        self._op = with_label(self._op, label)

    # ------------------------------------------------------------------ binary ops
    def __add__(self, other):  # self + other
        other = other if type(other) is Value else _lift(other)
        if other is NotImplemented:
            return NotImplemented
        return Value(self.data + other.data, (self, other), "+", _add_backward)

    @staticmethod
    def _add_backward(out, g):  # d(a + b)/da = d(a + b)/db = 1
        a, b = out._prev
        a.grad += g
        b.grad += g

    def __mul__(self, other):  # self * other
        other = other if type(other) is Value else _lift(other)
        if other is NotImplemented:
            return NotImplemented
        return Value(self.data * other.data, (self, other), "*", _mul_backward)

    @staticmethod
    def _mul_backward(out, g):  # d(a * b)/da = b, d(a * b)/db = a: read now, as the seed does (no tuple per node)
        a, b = out._prev
        a.grad += b.data * g
        b.grad += a.data * g

    def __pow__(self, other):  # self ** other
        if isinstance(other, Value):
            return Value(real_pow(self.data, other.data, "pow"), (self, other), "**", _pow_backward)
        if isinstance(other, bool) or not isinstance(other, (int, float)):
            return NotImplemented
        return Value(real_pow(self.data, other, "pow"), (self,), f"**{other}", _pow_local(self.data, other))

    @staticmethod
    def _pow_backward(out, g):  # d(b**p)/db = p * b**(p-1); d(b**p)/dp = b**p * ln(b), 0 where b == 0
        base, exponent = out._prev
        b, p = base.data, exponent.data
        # ln(b) where b > 0; PyTorch masks b == 0 (p >= 0) to 0; a negative b has no real ln: nan, as PyTorch
        dp = out.data * math.log(b) if b > 0 else 0.0 if b == 0 and p >= 0 else math.nan
        base.grad += _pow_local(b, p) * g
        exponent.grad += dp * g

    def __rpow__(self, other):  # other ** self
        other = _lift(other)
        return other if other is NotImplemented else other**self

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
            e = math.inf
        return Value(e, (self,), "exp", e)

    def log(self):
        """f(x) = ln(x) for x > 0 (nan for nan, as PyTorch); f'(x) = 1/x."""
        x = self.data
        if x <= 0:
            raise ValueError(f"log() is defined for x > 0, got x={x!r}")
        return Value(math.log(x), (self,), "log", 1 / x)

    def sigmoid(self):
        """f(x) = 1 / (1 + e**-x), computed without overflow; f'(x) = f(x) * (1 - f(x))."""
        s = _sigmoid(self.data)  # shared with the fused neuron (nn.dot)
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
            return self * real_pow(float(other), -1, "division")
        return self * other**-1

    def __rtruediv__(self, other):  # other / self
        return other * self**-1

    # ------------------------------------------------------------------ backprop
    def backward(self, gradient=1.0):
        """Fill `.grad` of every node below self with d(self)/d(node). As in PyTorch, leaves
        (made by `Value(...)`: parameters, inputs) *accumulate* across calls until zeroed while
        interior nodes hold this call's gradient, so a second `backward()` adds the same again."""
        gradient = as_float(gradient, "backward(gradient)")
        order = topo_order(self)
        for v in order:  # interior grads are per call; leaves keep accumulating
            if v._prev:
                v.grad = 0.0
        self.grad = gradient if self._prev else self.grad + gradient
        for v in reversed(order):
            prev = v._prev
            if not prev:  # a leaf: nothing below it
                continue
            rule = v._backward
            if type(rule) is float:  # one child: the chain rule with the local derivative
                prev[0].grad += rule * v.grad
            else:  # the op's backward rule shares v.grad out among the children
                rule(v, v.grad)

    # ------------------------------------------------------------------ conveniences
    def item(self):
        """The float value (PyTorch's name)."""
        return self.data

    __float__ = item

    def __bool__(self):  # as a one-element torch tensor: the value's truth (0.0 is False; nan, like any float, True)
        return self.data != 0.0

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    def _repr_svg_(self):
        """Jupyter shows a Value as its graph (needs Graphviz's `dot`; None falls back to repr)."""
        from .viz.graph import repr_svg  # lazy: the viz layer sits above the engine

        return repr_svg(self)


# the ops read their rules (defined beside them) as globals: a lookup on the class costs every op ~40 ns
_add_backward, _mul_backward, _pow_backward = Value._add_backward, Value._mul_backward, Value._pow_backward


# ---------------------------------------------------------------------- numbers into Values


def _lift(other):
    """Wrap a plain number as a leaf Value; NotImplemented for anything else."""
    if type(other) is float:
        return Value(other)
    if isinstance(other, Value):
        return other
    if isinstance(other, bool) or not isinstance(other, numbers.Real):
        return NotImplemented
    return Value(float(other))


def as_values(xs, name):
    """A list of Values from Values or numbers, with a TypeError naming the bad element `name[i]`."""
    out = []
    for i, x in enumerate(xs):
        v = x if isinstance(x, Value) else _lift(x)
        if v is NotImplemented:
            raise TypeError(f"{name}[{i}] must be a Value or a real number, got {type(x).__name__} {x!r}")
        out.append(v)
    return out


def fused_like(out, child):
    """A fused node (micrograd.nn's neuron, micrograd.losses' sums and cross-entropy) built from a Value
    subclass that asks for it with `_fused_propagate = True` (micrograd.compile's tracer) is of that
    subclass, as a plain op's result on it is: traced code cannot read a neuron's number unseen."""
    if getattr(type(child), "_fused_propagate", False):
        out.__class__ = type(child)
    return out
