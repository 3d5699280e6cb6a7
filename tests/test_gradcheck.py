"""micrograd.gradcheck: backward against central differences, for Values and for Tensors."""

import math
import re

import numpy as np
import pytest
from catalogue import OPS, args_for

import micrograd
from micrograd import GradcheckError, Value, gradcheck
from micrograd.tensor import Tensor

# ---------------------------------------------------------------------- it passes where backward is right


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_passes_on_every_op_of_the_catalogue(op):
    for u in ([0.21, 0.77], [0.63, 0.12], [0.95, 0.5]):
        xs = [Value(x) for x in args_for(op, u)]
        assert gradcheck(op.fn, xs) is True


def test_leaves_the_inputs_as_given():
    a, b = Value(1.5), Value(-0.4)
    gradcheck(lambda a, b: a * b + a.tanh(), [a, b])
    assert (a.data, b.data) == (1.5, -0.4)
    assert a.grad == pytest.approx(-0.4 + 1 - math.tanh(1.5) ** 2)  # the analytic gradient, from one backward


def test_is_exported_from_the_package():
    assert micrograd.gradcheck is gradcheck and "gradcheck" in micrograd.__all__ and "GradcheckError" in micrograd.__all__
    assert issubclass(GradcheckError, RuntimeError)


# ---------------------------------------------------------------------- it catches a wrong backward


class _WrongTanh:
    """A custom op on micrograd Values whose backward is deliberately wrong (1 - t instead of 1 - t**2)."""

    @staticmethod
    def apply(x):
        t = math.tanh(x.data)
        return Value(t, (x,), "bad_tanh", 1 - t)


def test_raises_naming_the_input_and_both_gradients():
    a, b = Value(0.7), Value(0.3)
    with pytest.raises(GradcheckError) as e:
        gradcheck(lambda a, b: a * 2.0 + _WrongTanh.apply(b), [a, b])
    msg = str(e.value)
    assert "input 1" in msg  # a's gradient is right: the first wrong one is b's
    analytic = float(re.search(r"analytic \(backward\) (\S+),", msg).group(1))
    numerical = float(re.search(r"numerical \(central differences, eps=1e-06\) (\S+);", msg).group(1))
    assert analytic == 1 - math.tanh(0.3)  # what the wrong backward gave
    assert numerical == pytest.approx(1 - math.tanh(0.3) ** 2, rel=1e-8)  # the true derivative


def test_returns_false_without_raise_exception():
    assert gradcheck(lambda b: _WrongTanh.apply(b), [Value(0.3)], raise_exception=False) is False


def test_tolerances_decide():
    # a wrong derivative by 1e-4 relative: caught at rtol 1e-6, accepted at rtol 1e-3
    f = lambda x: Value(x.data * 2.0, (x,), "slightly_off", 2.0 * (1 + 1e-4))  # noqa: E731
    assert gradcheck(f, [Value(1.0)], rtol=1e-3) is True
    assert gradcheck(f, [Value(1.0)], rtol=1e-6, atol=0.0, raise_exception=False) is False


# ---------------------------------------------------------------------- the Tensor twin


def test_tensor_twin_checks_every_element():
    a = Tensor(np.array([[0.3, -1.2, 0.5], [2.0, 0.1, -0.7]]), requires_grad=True)
    w = Tensor(np.array([[0.5], [-0.25], [1.5]]), requires_grad=True)
    assert gradcheck(lambda a, w: ((a @ w).tanh() * 3.0).sum(), [a, w]) is True
    assert a.data[0, 1] == -1.2  # restored after the perturbations


def test_tensor_twin_names_the_element():
    from micrograd.tensor.ops import Function

    class Twice(Function):  # backward deliberately wrong in one element
        def forward(self, x):
            return 2.0 * x

        def backward(self, g):
            out = 2.0 * g
            out.reshape(-1)[1] = 0.0
            return (out,)

    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 0, element \[1\]"):
        gradcheck(lambda x: Twice.apply(x).sum(), [x])


def test_tensor_output_must_have_one_element():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(TypeError, match="one-element"):
        gradcheck(lambda x: x * 2.0, [x])


# ---------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("eps", [0, -1e-6, math.inf, math.nan])
def test_eps_must_be_positive_and_finite(eps):
    with pytest.raises(ValueError, match="eps"):
        gradcheck(lambda a: a * a, [Value(1.0)], eps=eps)


@pytest.mark.parametrize("name", ["atol", "rtol"])
def test_tolerances_must_be_non_negative_numbers(name):
    with pytest.raises(ValueError, match=name):
        gradcheck(lambda a: a * a, [Value(1.0)], **{name: -1.0})
    with pytest.raises(TypeError, match=name):
        gradcheck(lambda a: a * a, [Value(1.0)], **{name: "0.1"})


@pytest.mark.parametrize("inputs", [[1.0], [Value(1.0), 2.0], "ab", [np.array([1.0])]])
def test_inputs_must_be_values_or_tensors(inputs):
    with pytest.raises(TypeError, match="inputs"):
        gradcheck(lambda *xs: xs[0], inputs)


def test_inputs_must_not_be_empty_nor_mixed():
    with pytest.raises(ValueError, match="empty"):
        gradcheck(lambda: Value(1.0), [])
    with pytest.raises(TypeError, match="mixes"):
        gradcheck(lambda a, b: a, [Value(1.0), Tensor(np.array([1.0]), requires_grad=True)])


def test_f_must_be_callable_and_return_a_scalar():
    with pytest.raises(TypeError, match="f must be a function"):
        gradcheck(3, [Value(1.0)])
    with pytest.raises(TypeError, match="scalar Value"):
        gradcheck(lambda a: [a, a], [Value(1.0)])
