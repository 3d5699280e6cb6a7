"""The op catalogue: one row per differentiable op, shared by every engine's tests.

Each row's `fn` is written with operators and methods that micrograd's `Value`,
micrograd's `Tensor` and `torch.Tensor` all have, so the same row drives:
  - forward vs `ref` (plain floats and `math`),
  - gradient vs central differences (gradcheck),
  - value and gradient vs PyTorch float64,
  - scalar-vs-tensor parity.
Adding an op = one method per engine + one row here.

`domain` gives, per argument, the interval inputs are drawn from (kept away from
kinks and poles so central differences are meaningful).
"""

import math
from dataclasses import dataclass

from hypothesis import strategies as st


@dataclass(frozen=True)
class Op:
    name: str
    fn: object  # engine-generic: fn(*args) -> same-kind result
    ref: object  # fn on Python floats, via math
    domain: tuple  # ((lo, hi), ...) one interval per argument

    @property
    def arity(self):
        return len(self.domain)


ANY = (-3.0, 3.0)
POS = (0.2, 3.0)

OPS = [
    Op("add", lambda a, b: a + b, lambda a, b: a + b, (ANY, ANY)),
    Op("sub", lambda a, b: a - b, lambda a, b: a - b, (ANY, ANY)),
    Op("mul", lambda a, b: a * b, lambda a, b: a * b, (ANY, ANY)),
    Op("div", lambda a, b: a / b, lambda a, b: a / b, (ANY, POS)),
    Op("neg", lambda a: -a, lambda a: -a, (ANY,)),
    Op("radd", lambda a: 1.5 + a, lambda a: 1.5 + a, (ANY,)),
    Op("rsub", lambda a: 1.5 - a, lambda a: 1.5 - a, (ANY,)),
    Op("rmul", lambda a: 1.5 * a, lambda a: 1.5 * a, (ANY,)),
    Op("rdiv", lambda a: 1.5 / a, lambda a: 1.5 / a, (POS,)),
    Op("square", lambda a: a**2, lambda a: a**2, (ANY,)),
    Op("cube", lambda a: a**3, lambda a: a**3, (ANY,)),
    Op("reciprocal", lambda a: a**-1, lambda a: a**-1, (POS,)),
    Op("sqrt", lambda a: a**0.5, lambda a: a**0.5, (POS,)),
    Op("pow_value", lambda a, b: a**b, lambda a, b: a**b, (POS, ANY)),
    Op("rpow", lambda a: 2.0**a, lambda a: 2.0**a, (ANY,)),
    Op("relu", lambda a: a.relu(), lambda a: max(0.0, a), ((0.1, 3.0),)),
    Op("relu_neg", lambda a: a.relu(), lambda a: max(0.0, a), ((-3.0, -0.1),)),
    Op("tanh", lambda a: a.tanh(), math.tanh, (ANY,)),
    Op("exp", lambda a: a.exp(), math.exp, (ANY,)),
    Op("log", lambda a: a.log(), math.log, (POS,)),
    Op("sigmoid", lambda a: a.sigmoid(), lambda a: 1.0 / (1.0 + math.exp(-a)), (ANY,)),
    # compositions: chain rule through shared subexpressions
    Op("poly", lambda a, b: a * a * b + b**2 - a / (b * b + 1.0), lambda a, b: a * a * b + b**2 - a / (b * b + 1.0), (ANY, ANY)),
    Op("softplus", lambda a: (a.exp() + 1.0).log(), lambda a: math.log(math.exp(a) + 1.0), (ANY,)),
    Op("reuse", lambda a: (a * a.tanh() + a).sigmoid(), lambda a: 1.0 / (1.0 + math.exp(-(a * math.tanh(a) + a))), (ANY,)),
]


def central_difference(ref, args, i, h=1e-6):
    """d ref / d args[i] by central differences."""
    up = list(args)
    down = list(args)
    up[i] += h
    down[i] -= h
    return (ref(*up) - ref(*down)) / (2 * h)


# hypothesis draws two numbers in [0, 1); args_for maps them into an op's domain
units = st.lists(st.floats(0.0, 1.0, exclude_max=True), min_size=2, max_size=2)


def args_for(op, draw_unit):
    """Inputs inside op.domain from numbers in [0, 1)."""
    return [lo + (hi - lo) * u for (lo, hi), u in zip(op.domain, draw_unit)]


def close(a, b, rel=1e-9, abs_=1e-9):
    """math.isclose with both tolerances (the engines' tests compare floats this way)."""
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def seed_nll(logits, target):
    """The seed program's nll_loss, op by op (max shift, exp, sum, divide, log, negate): the graph
    the fused cross-entropy node stands for."""
    max_val = max(v.data for v in logits)
    logits = [v - max_val for v in logits]
    ex = [x.exp() for x in logits]
    denom = sum(ex)
    probs = [x / denom for x in ex]
    return -(probs[target].log())
