"""Tests for micrograd.engine (Value) and micrograd.graph.

Every op of the catalogue is checked three ways: forward against math, gradient against
central differences, value and gradient against PyTorch float64. Then random composed
expressions against PyTorch, the PyTorch gradient semantics (accumulation, a second
backward), PyTorch's rules at edge points, the error contract, fused nodes against the
graphs they replace (bit for bit), deep graphs, memory and reference cycles.
"""

import gc
import math
import sys
import tracemalloc

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue import OPS, central_difference
from micrograd import Value
from micrograd.engine import dot, sum_values
from micrograd.graph import topo_order, trace

torch.set_default_dtype(torch.float64)


def args_for(op, draw_unit):
    """Inputs inside op.domain from numbers in [0, 1)."""
    return [lo + (hi - lo) * u for (lo, hi), u in zip(op.domain, draw_unit)]


units = st.lists(st.floats(0.0, 1.0, exclude_max=True), min_size=2, max_size=2)


def close(a, b, rel=1e-9, abs_=1e-9):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


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


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@settings(max_examples=25, deadline=None)
@given(u=units)
def test_value_and_gradient_match_pytorch(op, u):
    xs = args_for(op, u)
    vs = [Value(x) for x in xs]
    ts = [torch.tensor(x, requires_grad=True) for x in xs]
    out, tout = op.fn(*vs), op.fn(*ts)
    out.backward()
    tout.backward()
    assert close(out.data, tout.item(), 1e-13, 1e-14), f"{op.name}{tuple(xs)}: torch {tout.item()}, ours {out.data}"
    for i, (v, t) in enumerate(zip(vs, ts)):
        assert close(v.grad, t.grad.item(), 1e-12, 1e-13), f"d{op.name}/dx{i} at {xs}: torch {t.grad.item()}, ours {v.grad}"


# ---------------------------------------------------------------------- random expressions vs PyTorch

UNARY = [lambda a: a.tanh(), lambda a: a.sigmoid(), lambda a: (a * a + 1.0).log(), lambda a: (a * 0.5).exp(), lambda a: a.relu(), lambda a: -a]
BINARY = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b, lambda a, b: a / (b * b + 1.0)]


@st.composite
def programs(draw):
    """A random straight-line program over 3 inputs: each step applies an op to earlier results."""
    steps = []
    for k in range(draw(st.integers(1, 12))):
        if draw(st.booleans()):
            steps.append(("u", draw(st.integers(0, len(UNARY) - 1)), draw(st.integers(0, 2 + k))))
        else:
            steps.append(("b", draw(st.integers(0, len(BINARY) - 1)), draw(st.integers(0, 2 + k)), draw(st.integers(0, 2 + k))))
    xs = draw(st.lists(st.floats(-2.0, 2.0).filter(lambda x: abs(x) > 1e-3), min_size=3, max_size=3))
    return steps, xs


def run_program(steps, inputs):
    vals = list(inputs)
    for s in steps:
        if s[0] == "u":
            vals.append(UNARY[s[1]](vals[min(s[2], len(vals) - 1)]))
        else:
            vals.append(BINARY[s[1]](vals[min(s[2], len(vals) - 1)], vals[min(s[3], len(vals) - 1)]))
    # sum of everything, so that every input and intermediate is used
    total = vals[0]
    for v in vals[1:]:
        total = total + v
    return total


@settings(max_examples=200, deadline=None)
@given(prog=programs())
def test_random_expressions_match_pytorch(prog):
    steps, xs = prog
    vs = [Value(x) for x in xs]
    ts = [torch.tensor(x, requires_grad=True) for x in xs]
    out, tout = run_program(steps, vs), run_program(steps, ts)
    out.backward()
    tout.backward()
    assert close(out.data, tout.item(), 1e-12, 1e-12)
    for v, t in zip(vs, ts):
        assert close(v.grad, t.grad.item(), 1e-10, 1e-12), f"{steps} at {xs}: torch {t.grad.item()}, ours {v.grad}"


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


@pytest.mark.parametrize(
    "make, torch_make",
    [
        (lambda x: x.relu(), lambda t: t.relu()),
        (lambda x: x**0, lambda t: t**0),
        (lambda x: x**0.5, lambda t: t**0.5),
        (lambda x: x**2, lambda t: t**2),
        (lambda x: x**1.5, lambda t: t**1.5),
        (lambda x: x.tanh(), lambda t: t.tanh()),
        (lambda x: x.sigmoid(), lambda t: t.sigmoid()),
        (lambda x: x ** Value(2.0), lambda t: t ** torch.tensor(2.0)),
    ],
    ids=["relu", "pow0", "sqrt", "square", "pow1.5", "tanh", "sigmoid", "pow_value"],
)
def test_derivatives_at_zero_follow_pytorch(make, torch_make):
    x = Value(0.0)
    t = torch.tensor(0.0, requires_grad=True)
    out = make(x)
    out.backward()  # must never raise after a successful forward
    torch_make(t).backward()
    expected = t.grad.item()
    assert x.grad == expected or (math.isnan(x.grad) and math.isnan(expected)), f"torch {expected}, ours {x.grad}"


def test_exponent_gradient_at_zero_base_is_zero_as_pytorch():
    b, p = Value(0.0), Value(2.0)
    (b**p).backward()
    tb, tp = torch.tensor(0.0, requires_grad=True), torch.tensor(2.0, requires_grad=True)
    (tb**tp).backward()
    assert p.grad == tp.grad.item() == 0.0


def test_exp_overflow_gives_inf_like_pytorch():
    assert Value(1000.0).exp().data == math.inf == torch.tensor(1000.0).exp().item()


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


def test_dot_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="2 inputs for 3 weights"):
        dot([Value(1.0)] * 3, [1.0, 2.0], Value(0.0))


def test_value_data_is_always_a_float():
    import numpy as np
    from fractions import Fraction

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


# ---------------------------------------------------------------------- fused nodes = the graphs they replace


def seed_neuron(w, x, b, act):
    """The seed's neuron, one node per op: sum((wi*xi ...), b) then tanh/relu."""
    act_in = sum((wi * xi for wi, xi in zip(w, x)), b)
    return {"tanh": act_in.tanh, "relu": act_in.relu, None: lambda: act_in}[act]()


def seed_nll(logits, target):
    """The seed's nll_loss, one node per op."""
    max_val = max(val.data for val in logits)
    logits = [val - max_val for val in logits]
    ex = [x.exp() for x in logits]
    denom = sum(ex)
    probs = [x / denom for x in ex]
    return -(probs[target]).log()


@pytest.mark.parametrize("act", [None, "tanh", "relu"])
@settings(max_examples=30, deadline=None)
@given(data=st.lists(st.floats(-2, 2), min_size=9, max_size=9), g=st.floats(-3, 3))
def test_fused_neuron_is_bit_identical_to_the_seed_graph(act, data, g):
    def build(fused):
        w = [Value(d) for d in data[:4]]
        x = [Value(d) for d in data[4:8]]
        b = Value(data[8])
        out = dot(w, x, b, act) if fused else seed_neuron(w, x, b, act)
        out.backward(g)
        return [out.data] + [v.grad for v in w + x + [b]]

    assert build(True) == build(False)


@pytest.mark.parametrize("target", [0, 1, 2, 3])
@settings(max_examples=30, deadline=None)
@given(z=st.lists(st.floats(-5, 5), min_size=4, max_size=4), g=st.floats(0.01, 2))
def test_fused_cross_entropy_is_bit_identical_to_the_seed_graph(target, z, g):
    from micrograd.losses import cross_entropy

    def build(fused):
        logits = [Value(d) for d in z]
        out = cross_entropy(logits, target) if fused else seed_nll(logits, target)
        out.backward(g)
        return [out.data] + [v.grad for v in logits]

    assert build(True) == build(False)


def test_sum_values_is_pythons_sum():
    vs = [Value(x) for x in (0.1, 0.2, 0.3, 1e16, -1e16)]
    s = sum_values(vs)
    assert s.data == sum((v.data for v in vs), 0.0)
    s.backward()
    assert all(v.grad == 1.0 for v in vs)


def test_dot_lifts_numbers_and_refuses_junk():
    w = [Value(1.0), Value(2.0)]
    assert dot(w, [3, 4.0], Value(0.5)).data == 11.5
    with pytest.raises(TypeError, match=r"x\[1\]"):
        dot(w, [1.0, "a"], Value(0.0))


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
