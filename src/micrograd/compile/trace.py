"""micrograd.compile.trace — running a function of one example on tracer values.

A `Tracer` is a `Value` whose `.data` only micrograd itself may read while a function is
traced: the ops (here and in micrograd.nn / micrograd.losses) compute with it, so the trace
records the real graph with the traced example's numbers, but user code that reads it
(`if v.data > 0`, `float(v)`, `bool(v)`) gets a `TracingError` naming its file and line. The
compiled program runs the graph for every example of a batch at once: a branch taken on one
example's number would be wrong for the others.

`trace(fn, x, y)` calls `fn` once and returns the outputs it built and the tracer inputs.
"""

import os
import sys

from ..engine import Value

__all__ = ["TracingError", "CompileFallbackWarning", "Tracer", "trace"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # .../micrograd/


class TracingError(RuntimeError):
    """A traced function read a traced number in Python (control flow that cannot be compiled)."""


class CompileFallbackWarning(UserWarning):
    """micrograd.compile met something it does not compile: that function runs on the scalar engine."""


def _user_frame():
    """The innermost frame outside the micrograd package: the user's line."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return frame


def _refuse(what):
    frame = _user_frame()
    where = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "<unknown>"
    raise TracingError(
        f"{where}: {what} of a traced value: micrograd.compile runs the function once for the whole batch, "
        "so Python code cannot branch on one example's numbers; use Value ops instead "
        "(v.relu() for max(v, 0), v.tanh(), v.sigmoid(), v.exp(), v.log(), +, *, **), "
        "or call the function on the scalar engine"
    )


# ---------------------------------------------------------------------- the tracer value

_DATA_SLOT = Value.__dict__["data"]  # Value's slot descriptor: the tracer's property stores through it


def _get_data(self):
    frame = sys._getframe(1)
    if not frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        _refuse("reading .data")
    return _DATA_SLOT.__get__(self, Value)


def _set_data(self, value):
    _DATA_SLOT.__set__(self, value)


class Tracer(Value):
    """A Value recorded while a function is traced: ops on it give Tracers; reading its number
    from user code raises TracingError (micrograd's own ops may read it)."""

    __slots__ = ()  # Value's layout: an op's result is made a Tracer by setting its class
    _fused_propagate = True  # micrograd.nn's and micrograd.losses' fused nodes built from tracers are tracers too

    data = property(_get_data, _set_data)

    def __bool__(self):
        _refuse("bool()")

    def __float__(self):
        _refuse("float()")

    def item(self):
        _refuse(".item()")

    def __index__(self):
        _refuse("using as an index")

    def __int__(self):
        _refuse("int()")

    def __round__(self, ndigits=None):
        _refuse("round()")

    def __lt__(self, other):
        _refuse("comparing (<)")

    def __le__(self, other):
        _refuse("comparing (<=)")

    def __gt__(self, other):
        _refuse("comparing (>)")

    def __ge__(self, other):
        _refuse("comparing (>=)")

    def __hash__(self):  # identity, as Value's (defining __eq__ below would otherwise drop it)
        return id(self)

    def __eq__(self, other):
        if isinstance(other, Value):
            return self is other
        _refuse("comparing (==)")

    def __ne__(self, other):
        if isinstance(other, Value):
            return self is not other
        _refuse("comparing (!=)")


def _traced(name):
    """Value's op `name`, its result made a Tracer (so the user's code keeps seeing tracers)."""
    op = getattr(Value, name)

    def method(self, *args):
        out = op(self, *args)
        if type(out) is Value:
            out.__class__ = Tracer
        return out

    method.__name__ = name
    method.__doc__ = op.__doc__
    return method


for _name in (
    "__add__", "__radd__", "__mul__", "__rmul__", "__pow__", "__rpow__", "__neg__", "__sub__", "__rsub__",
    "__truediv__", "__rtruediv__", "relu", "tanh", "exp", "log", "sigmoid",
):  # fmt: skip
    setattr(Tracer, _name, _traced(_name))


def _rpow(self, other):  # other ** self: Value's __rpow__ would ask the Tracer again (a subclass's reflected op goes first)
    base = other if isinstance(other, Value) else Value(other) if isinstance(other, (int, float)) else None
    if base is None or isinstance(other, bool):
        return NotImplemented
    out = Value.__pow__(base, self)
    if type(out) is Value:
        out.__class__ = Tracer
    return out


Tracer.__rpow__ = _rpow


# ---------------------------------------------------------------------- tracing


def trace(fn, x, y=None, with_label=False):
    """Call `fn(inputs, y)` (or `fn(inputs)` without a label) on tracer inputs holding `x`'s numbers.

    Returns (outputs, inputs): outputs a list of Values (the function's result, one Value or a
    list of them), inputs the tracer leaves, in `x`'s order.
    """
    inputs = [Tracer(float(v)) for v in x]
    result = fn(inputs, y) if with_label else fn(inputs)
    many = isinstance(result, (list, tuple))
    outputs = list(result) if many else [result]
    if not outputs or not all(isinstance(v, Value) for v in outputs):
        got = type(result).__name__ if not many else f"a list holding {sorted({type(v).__name__ for v in outputs})}"
        raise TypeError(f"micrograd.compile: the function must return a Value or a list of Values, got {got}")
    return outputs, inputs
