"""micrograd.engine (Value) against PyTorch float64: every op of the catalogue, random
composed expressions, and PyTorch's rules at edge points. Skipped without torch."""

import math

import pytest
from catalogue import OPS, args_for, close, units
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd import Value

torch = pytest.importorskip("torch")
torch.set_default_dtype(torch.float64)


# ---------------------------------------------------------------------- the catalogue


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

UNARY = [
    lambda a: a.tanh(),
    lambda a: a.sigmoid(),
    lambda a: (a * a + 1.0).log(),
    lambda a: (a * 0.5).exp(),
    lambda a: a.relu(),
    lambda a: -a,
]
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
