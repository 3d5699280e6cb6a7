"""micrograd.tensor.ops — every op of the tensor engine, and the one way an op is wired.

    from micrograd.tensor.ops import Function, tensor_op

    @tensor_op("sin")
    class Sin(Function):  # f(x) = sin(x);  f'(x) = cos(x)
        __slots__ = ("x",)
        name = "sin"
        def forward(self, x):
            self.x = x
            return np.sin(x)
        def backward(self, g):
            return (g * np.cos(self.x),)

An op is one `Function` subclass: `forward` (arrays in, array out) and `backward` (the
output's gradient in, one gradient per input out) side by side, with `@tensor_op` right
above it naming the `Tensor` methods that run it. That is the only place an op is wired:
adding one touches its class (plus a row in tests/catalogue.py). An op with options (an
axis, a shape, a number exponent) writes its Tensor methods in its class body; they check
the options, then call `apply`.

Files: this one (Function, tensor_op), `elementwise.py` (+ - * / ** neg relu tanh exp log
sigmoid), `arrays.py` (matmul, sum/mean, max, reshape, permute, indexing, log_softmax).
The fused network ops (linear, cross_entropy) are Functions too, in ../functional.py.
`micrograd.tensor` imports the op modules, so the methods exist whenever it is imported.
"""

import numpy as np

from ..tensor import Tensor, _lift, _node

_f64 = np.float64

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
        return _node(out, inputs, ctx)

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, g):
        raise NotImplementedError


# ---------------------------------------------------------------------- tensor_op: the wiring


def tensor_op(*names, reflected=None):
    """Make a Function the Tensor method(s) `names` (and, for a binary op, the reflected dunder).

    A name is bound to the function of that name in the op's class body, if there is one: a
    short method (`self` is the Tensor there) that checks the op's options and calls `apply`;
    it is moved from the op class to Tensor. Otherwise the name gets the default method:
    `cls.apply(self)` for a unary op; for a binary op, numbers and ndarrays are lifted to
    constant tensors and anything else gives NotImplemented, so Python raises its usual
    TypeError. `reflected` (e.g. "__radd__") gets `cls.apply(other, self)`, lifted the same way.
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
            own = cls.__dict__.get(n)  # written in the class body: a method that checks options
            if own is not None:
                delattr(cls, n)  # a Tensor method, not the op context's
            setattr(Tensor, n, method if own is None else own)
        return cls

    return register
