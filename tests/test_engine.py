"""Tests for micrograd.engine (Value) and micrograd.graph, without PyTorch.

Every op of the catalogue is checked against math (forward) and central differences
(gradient). Then the PyTorch gradient semantics (accumulation, a second backward),
PyTorch's rules at edge points (as numbers), the error contract, deep graphs, memory and
reference cycles. The comparisons with PyTorch itself are in test_engine_torch.py; the
fused nodes against the graphs they replace in test_nn.py (neuron) and test_losses.py.
"""

import gc
import math
import sys
import tracemalloc

import pytest
from catalogue import OPS, args_for, central_difference, close, units
from hypothesis import given, settings

from micrograd import Value
from micrograd.graph import topo_order, trace

# ---------------------------------------------------------------------- the catalogue


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@settings(max_examples=25, deadline=None)
@given(u=units)
def test_forward_matches_math(op, u):
    xs = args_for(op, u)
    out = op.fn(*[Value(x) for x in xs])
    expected = op.ref(*xs)
    assert type(out.data) is float
    assert close(out.data, expected, 1e-12, 1e-12), f"{op.name}{tuple(xs)}: expected {expected}, got {out.data}"


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@settings(max_examples=25, deadline=None)
@given(u=units)
def test_gradient_matches_central_differences(op, u):
    xs = args_for(op, u)
    vs = [Value(x) for x in xs]
    op.fn(*vs).backward()
    for i, v in enumerate(vs):
        expected = central_difference(op.ref, xs, i)
        assert close(v.grad, expected, 1e-5, 1e-6), f"d{op.name}/dx{i} at {xs}: expected {expected}, got {v.grad}"


# ---------------------------------------------------------------------- PyTorch gradient semantics


def test_leaves_accumulate_and_second_backward_adds_the_same_again():
    a, b = Value(1.5), Value(-0.7)
    out = (a * b + a.tanh()) * (b.exp() + a)
    out.backward()
    ga, gb = a.grad, b.grad
    inner = out._prev[0]
    inner_grad = inner.grad
    out.backward()  # the seed would give 4x here (its interior grads accumulate too)
    assert a.grad == 2 * ga and b.grad == 2 * gb
    assert inner.grad == inner_grad  # interior: this call's gradient only
    a.grad = b.grad = 0.0
    out.backward()
    assert a.grad == ga and b.grad == gb


def test_backward_of_a_leaf_accumulates_one():
    x = Value(3.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_backward_with_explicit_gradient_scales():
    x = Value(2.0)
    y = x * x
    y.backward(0.5)
    assert x.grad == 2.0


def test_shared_subexpression_gradients_add_up():
    x = Value(3.0)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward()
    assert x.grad == 7.0


# ---------------------------------------------------------------------- edge points (PyTorch's rules)


# PyTorch's values at 0 (checked against torch itself in test_engine_torch.py)
@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda x: x.relu(), 0.0),
        (lambda x: x**0, 0.0),
        (lambda x: x**0.5, math.inf),
        (lambda x: x**2, 0.0),
        (lambda x: x**1.5, 0.0),
        (lambda x: x.tanh(), 1.0),
        (lambda x: x.sigmoid(), 0.25),
        (lambda x: x ** Value(2.0), 0.0),
    ],
    ids=["relu", "pow0", "sqrt", "square", "pow1.5", "tanh", "sigmoid", "pow_value"],
)
def test_derivatives_at_zero_follow_pytorchs_rules(make, expected):
    x = Value(0.0)
    make(x).backward()  # must never raise after a successful forward
    assert x.grad == expected


def test_exponent_gradient_at_zero_base_is_zero():
    b, p = Value(0.0), Value(2.0)
    (b**p).backward()
    assert p.grad == 0.0


def test_exp_overflow_gives_inf():
    assert Value(1000.0).exp().data == math.inf


def test_relu_of_negative_is_exactly_zero():
    y = Value(-2.0).relu()
    assert y.data == 0.0 and type(y.data) is float


# ---------------------------------------------------------------------- the error contract


@pytest.mark.parametrize("bad", ["3", None, 1j, True, False, [1.0], object()])
def test_value_refuses_non_reals(bad):
    with pytest.raises(TypeError, match="Value"):
        Value(bad)


def test_value_of_a_huge_int_names_the_argument():
    with pytest.raises(OverflowError, match=r"Value\(data\).*too large"):
        Value(10**400)


def test_value_data_is_always_a_float():
    from fractions import Fraction

    import numpy as np

    for x in (3, 2.5, np.float32(1.5), np.int64(4), Fraction(1, 4)):
        assert type(Value(x).data) is float
    assert Value(3).data == 3.0


@pytest.mark.parametrize("x", [0.0, -1.0, -1e-300])
def test_log_of_non_positive_raises_value_error_naming_op_and_value(x):
    with pytest.raises(ValueError, match=r"log\(\).*x > 0.*" + repr(x).replace("-", r"\-").replace(".", r"\.")):
        Value(x).log()


def test_fractional_power_of_negative_raises_value_error():
    with pytest.raises(ValueError, match="fractional power of a negative number.*-8.0"):
        Value(-8.0) ** (1 / 3)
    with pytest.raises(ValueError, match="fractional power"):
        Value(-2.0) ** Value(0.5)


def test_zero_to_negative_power_raises_zero_division():
    with pytest.raises(ZeroDivisionError):
        Value(0) ** -1
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / Value(0.0)


@pytest.mark.parametrize("bad", ["2", None, [1], 1j])
def test_operators_with_non_numbers_raise_type_error(bad):
    x = Value(1.0)
    for f in (lambda: x + bad, lambda: bad + x, lambda: x * bad, lambda: x - bad, lambda: x / bad, lambda: x**bad):
        with pytest.raises(TypeError):
            f()


def test_backward_gradient_must_be_a_number():
    with pytest.raises(TypeError, match="backward"):
        Value(1.0).backward("1")


# ---------------------------------------------------------------------- graphs: order, determinism, depth, memory


def test_topo_order_puts_children_first_and_is_deterministic():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d.tanh() * c
    order = topo_order(e)
    pos = {id(v): i for i, v in enumerate(order)}
    for v in order:
        for child in v._prev:
            assert pos[id(child)] < pos[id(v)]
    assert order[-1] is e and len(order) == len({id(v) for v in order})
    assert [id(v) for v in topo_order(e)] == [id(v) for v in order]
    nodes, edges = trace(e)
    assert len(nodes) == 6 and len(edges) == sum(len(v._prev) for v in nodes)


def test_two_runs_give_identical_bits():
    def run():
        xs = [Value(0.1 * i) for i in range(10)]
        out = sum(((x * x).tanh() for x in xs), Value(0.0)) * xs[3].exp()
        out.backward()
        return [out.data] + [x.grad for x in xs]

    assert run() == run()


@pytest.mark.slow
def test_a_million_deep_chain_backpropagates_and_is_freed():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0 + 0.0  # two nodes per step, plus the constants
    y.backward()
    assert x.grad == 1.0
    del y  # freeing must not recurse in C either (a crash here would kill the test run)
    assert gc.collect() >= 0


def test_deep_chain_well_past_the_recursion_limit():
    x = Value(0.5)
    y = x
    for _ in range(5 * sys.getrecursionlimit()):
        y = y.tanh()
    y.backward()
    assert 0 < x.grad < 1


def test_graphs_have_no_reference_cycles():
    def live_values():
        return sum(type(o) is Value for o in gc.get_objects())

    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        before = live_values()
        x = Value(0.3)
        out = ((x * 2.0).tanh() + x.exp()).log() * x
        out.backward()
        assert live_values() > before + 5
        del out
        # freed by reference counting alone, with the cyclic collector off
        assert live_values() == before + 1  # only x is left
    finally:
        if was:
            gc.enable()


@pytest.mark.parametrize("step", [lambda x: x + x, lambda x: x.tanh(), lambda x: x * x], ids=["add", "tanh", "mul"])
def test_memory_per_node_is_under_a_third_of_the_seeds(step):
    n = 20000
    gc.collect()
    tracemalloc.start()
    try:
        x = Value(1.0)
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(n):
            x = step(x)
        x.backward()
        per_node = (tracemalloc.get_traced_memory()[0] - before) / n
    finally:
        tracemalloc.stop()
    assert per_node < 688 / 3, f"{per_node:.0f} B per node"


def test_value_has_slots_and_no_dict():
    assert not hasattr(Value(1.0), "__dict__")


def test_repr_and_item():
    v = Value(2.5)
    assert repr(v) == "Value(data=2.5, grad=0.0)"
    assert v.item() == 2.5 and float(v) == 2.5


# ---------------------------------------------------------------------- labels (as in the lecture)


def test_label_by_keyword_or_assignment_and_empty_by_default():
    a = Value(2.0, label="a")
    b = Value(-3.0)
    assert a.label == "a" and b.label == ""
    b.label = "b"
    e = a * b
    assert e.label == ""
    e.label = "e"
    assert (a.label, b.label, e.label) == ("a", "b", "e")
    e.label = ""  # unset again
    assert e.label == "" and type(e._op) is str


def test_a_label_costs_an_unlabelled_node_nothing():
    class FiveFields:  # the least a node holds: data, grad, children, backward, op
        __slots__ = ("data", "grad", "_prev", "_backward", "_op")

    assert sys.getsizeof(Value(1.0)) == sys.getsizeof(FiveFields())
    assert sys.getsizeof(Value(1.0, label="a")) == sys.getsizeof(Value(1.0))


def test_labels_change_no_number():
    def run(labelled):
        x, w = Value(0.7), Value(-1.3)
        h = (x * w + 0.5).tanh()
        y = (h.exp() + h**2).log() / x
        if labelled:
            for v, name in ((x, "x"), (w, "w"), (h, "h"), (y, "y")):
                v.label = name
        y.backward()
        return y.data, x.grad, w.grad, h.grad

    assert run(True) == run(False)


def test_a_labelled_op_is_still_its_op_string():
    a, b = Value(2.0, label="a"), Value(3.0)
    c = a + b
    c.label = "c"
    # what the lecture's own draw_dot does with a node's op: a string test and concatenation
    assert c._op == "+" and str(c._op) == "+" and "id" + c._op == "id+"
    assert not a._op  # a leaf still has no op


def test_labels_are_strings():
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=3)
    v = Value(1.0)
    with pytest.raises(TypeError, match="label must be a str"):
        v.label = None
    assert v.label == ""
