"""micrograd.losses — loss functions on lists of `Value`s.

- `cross_entropy(logits, target)`: the seed's `nll_loss` (softmax + negative log
  likelihood, PyTorch's `F.cross_entropy` for one sample), as one fused node.
- `mse(pred, target)`: mean squared error.
- `hinge(scores, target)`: the multi-class hinge (SVM) loss, PyTorch's `multi_margin_loss`.
- `sum_values(values, start)`: Python's `sum` as one node, how a split's losses are added up.

The ops of the two fused nodes (`CrossEntropyOp`, `SumOp`) each keep the node's backward rule
and its expansion (the seed's small graph it stands for, asked for by the graph view) side by side.
"""

import math
import numbers

from .engine import Value, as_float, as_values, fused_like

# ---------------------------------------------------------------------- helpers


def _values(xs, name):
    """A non-empty list of Values from Values or numbers."""
    if isinstance(xs, Value) or not hasattr(xs, "__len__"):
        raise TypeError(f"{name} must be a list of Values or numbers, got {type(xs).__name__}")
    if len(xs) == 0:
        raise ValueError(f"{name} must not be empty")
    return as_values(xs, name)


def _class_index(target, n):
    """Check a class index the way PyTorch does: an int in [0, n) (numpy ints too, e.g. labels from an array)."""
    if type(target) is not int:  # the common case costs one check (this runs once per sample)
        if isinstance(target, bool) or not isinstance(target, numbers.Integral):
            raise TypeError(f"target must be an int class index, got {type(target).__name__} {target!r}")
        target = int(target)
    if not 0 <= target < n:
        raise IndexError(f"target {target} is out of bounds for {n} classes (expected 0 <= target < {n})")
    return target


# ---------------------------------------------------------------------- cross entropy


class CrossEntropyOp:
    """The op of a cross-entropy node, `-log(softmax(logits)[target])` made by `cross_entropy`:
    what its backward rule reads and the graph view draws (op 'cross_entropy'). The node's
    children are the logits. Floats only (no cycles).

    Normal case: the seed's graph, computed as one node,
        shifted = z - max;  ex = exp(shifted);  denom = 0 + ex[0] + ex[1] + ...
        inv = denom**-1;  p = ex[t] * inv;  logp = log(p);  loss = logp * -1
    whose backward (`_chain_grads`) both `backward` and `expand` replay, in the order the
    seed's backward runs, so every gradient has the seed's bits. When p underflows (a huge
    logit gap) the forward used log-sum-exp instead: the gradient is the closed form
    (softmax - onehot) * g, and there is no seed graph to expand into.
    """

    __slots__ = ("shift", "ex", "denom", "inv", "p", "target")

    def __init__(self, shift, ex, denom, inv, p, target):
        self.shift, self.ex, self.denom, self.inv, self.p, self.target = shift, ex, denom, inv, p, target

    def __str__(self):
        return "cross_entropy"

    def _chain_grads(self, g):
        """The gradients the seed's backward gives the chain's nodes, in its order: those of
        logp, p, inv, denom, and of ex[t] (every other ex[k] gets denom's gradient)."""
        logp_grad = -1 * g  # loss = logp * -1
        p_grad = (1 / self.p) * logp_grad  # logp = log(p)
        inv_grad = self.ex[self.target] * p_grad  # p = ex[t] * inv
        denom_grad = (-1 * self.denom**-2) * inv_grad  # inv = denom**-1
        ext_grad = (0.0 + self.inv * p_grad) + denom_grad  # ex[t] feeds both p and denom
        return logp_grad, p_grad, inv_grad, denom_grad, ext_grad

    @staticmethod
    def backward(out, g):
        """The node's backward rule."""
        op = out._op
        ex, t = op.ex, op.target
        if op.p > 0.0:
            _, _, _, denom_grad, ext_grad = op._chain_grads(g)
            for k, z in enumerate(out._prev):
                z.grad += ex[k] * (ext_grad if k == t else denom_grad)  # ex = exp(shifted); shifted = z - max
        else:
            for k, z in enumerate(out._prev):
                z.grad += (ex[k] / op.denom - (1.0 if k == t else 0.0)) * g

    def expand(self, out, part):
        """The seed's nll_loss graph, with the data and gradients its nodes would hold; returns
        the op and children of `out` itself (the final '* -1'). None when p underflowed (see
        above): the node is then drawn as itself."""
        if not self.p > 0.0:
            return None
        ex, t, shift, g = self.ex, self.target, self.shift, out.grad
        logp_grad, p_grad, inv_grad, denom_grad, ext_grad = self._chain_grads(g)
        # 1) shifted = z - max;  ex = exp(shifted)
        ex_keys = []
        for k, z in enumerate(out._prev):
            ex_grad = ext_grad if k == t else denom_grad
            shifted_grad = ex[k] * ex_grad
            c = part("", shift, shifted_grad)  # the constant -max, a leaf
            shifted = part("+", z.data + shift, shifted_grad, (z, c))
            ex_keys.append(part("exp", ex[k], ex_grad, (shifted,)))
        # 2) denom = sum(ex) (Python's sum starts at 0: 0 + ex0 is ex0.__radd__(0))
        acc, s = None, 0
        for k, e in enumerate(ex_keys):
            s = s + ex[k]
            acc = part("+", s, denom_grad, (e, part("", 0.0, denom_grad)) if acc is None else (acc, e))
        # 3) p = ex[t] * denom**-1;  4) logp = log(p);  5) loss = logp * -1
        inv_key = part("**-1", self.inv, inv_grad, (acc,))
        p_key = part("*", self.p, p_grad, (ex_keys[t], inv_key))
        logp = math.log(self.p)
        logp_key = part("log", logp, logp_grad, (p_key,))
        return "*", (logp_key, part("", -1.0, logp * g))


_cross_entropy_backward = CrossEntropyOp.backward


def cross_entropy(logits, target):
    """-log(softmax(logits)[target]) as one node; PyTorch's `F.cross_entropy`.

    Numerically stable: the max is subtracted first (as the seed does) and, where the
    target's probability underflows, the loss is computed as log-sum-exp, so logits
    [1e4, 0, 0] with target 1 give 1e4, not a math domain error.
    """
    zs = _values(logits, "logits")
    t = _class_index(target, len(zs))
    data = [z.data for z in zs]
    m = max(data)
    if not all(map(math.isfinite, data)):
        raise ValueError(f"cross_entropy() needs finite logits, got {data}")
    neg_m = -m
    ex = [math.exp(d + neg_m) for d in data]
    denom = 0
    for e in ex:
        denom = denom + e
    inv = denom**-1
    p = ex[t] * inv
    if p >= 2.2250738585072014e-308:  # p is a normal float: the seed's formula is exact
        loss = math.log(p) * -1
    else:  # p underflowed: log p = shifted[t] - log(denom)
        loss = -((data[t] + neg_m) - math.log(denom))
        p = 0.0
    return fused_like(Value(loss, tuple(zs), CrossEntropyOp(neg_m, ex, denom, inv, p, t), _cross_entropy_backward), zs[0])


def nll_loss(logits, target):
    """The seed's name for `cross_entropy` (softmax + negative log likelihood)."""
    return cross_entropy(logits, target)


# ---------------------------------------------------------------------- mse, hinge


def mse(pred, target):
    """Mean squared error: mean((pred[i] - target[i])**2), PyTorch's `F.mse_loss`.

    `pred` and `target` are equal-length lists (or single Values/numbers).
    """
    if not hasattr(pred, "__len__"):
        pred = [pred]
    if not hasattr(target, "__len__"):
        target = [target]
    ps, ts = _values(pred, "pred"), _values(target, "target")
    if len(ps) != len(ts):
        raise ValueError(f"mse() needs pred and target of the same length, got {len(ps)} and {len(ts)}")
    total = sum(((p - t) ** 2 for p, t in zip(ps, ts)), Value(0.0))
    return total * (1.0 / len(ps))


def hinge(scores, target, margin=1.0):
    """Multi-class hinge loss: sum_{k != t} max(0, margin - s[t] + s[k]) / n_classes.

    PyTorch's `F.multi_margin_loss` (p=1) for one sample.
    """
    ss = _values(scores, "scores")
    t = _class_index(target, len(ss))
    terms = [(margin - ss[t] + s).relu() for k, s in enumerate(ss) if k != t]
    return sum(terms, Value(0.0)) * (1.0 / len(ss))


# ---------------------------------------------------------------------- summing losses


class SumOp:
    """The op of a sum node, `start + v[0] + v[1] + ...` made by `sum_values` (op 'sum');
    the node's children are the values."""

    __slots__ = ("start",)

    def __init__(self, start):
        self.start = start

    def __str__(self):
        return "sum"

    @staticmethod
    def backward(out, g):  # the node's backward rule: d(sum)/dv[i] = 1
        for v in out._prev:
            v.grad += g

    def expand(self, out, part):
        """The seed's `loss = Value(start); loss += v0; loss += v1 ...`: a constant, then one '+'
        per value (the last is `out` itself), each with out's gradient. None without values."""
        prev, g = out._prev, out.grad
        if not prev:
            return None
        acc, s = part("", self.start, g), self.start
        for v in prev[:-1]:
            s = s + v.data
            acc = part("+", s, g, (acc, v))
        return "+", (acc, prev[-1])


def sum_values(values, start=0.0):
    """One node for `start + v[0] + v[1] + ...` (Python's `sum(values, start)`, same floats)."""
    vs = as_values(values, "values")
    s = as_float(start, "sum_values(start)")
    total = s
    for v in vs:
        total = total + v.data
    out = Value(total, tuple(vs), SumOp(s), SumOp.backward)
    return fused_like(out, vs[0]) if vs else out


# ---------------------------------------------------------------------- weight penalties (regularization)
# As Playground: the penalty's gradient is added to each weight's gradient after the backward pass
# (no graph nodes, so either engine's parameters, floats or arrays, take the same arithmetic); the
# loss the trainer prints stays the data loss. l1: rate * sum |w| (d/dw = rate * sign(w), 0 at 0);
# l2: rate * sum w**2 / 2 (d/dw = rate * w).

PENALTIES = ("none", "l1", "l2")


def _sign(d):
    if isinstance(d, float):
        return float((d > 0) - (d < 0))
    import numpy as np  # a tensor parameter's data (an array)

    return np.sign(d)


def penalty(weights, kind, rate):
    """The penalty's value (a float) for parameters with `.data` (floats or arrays)."""
    if kind == "none" or rate == 0:
        return 0.0
    total = 0.0
    for p in weights:
        d = p.data
        part = abs(d) if kind == "l1" else d * d * 0.5
        total += float(part if isinstance(part, float) else part.sum())
    return rate * total


def add_penalty_grad(weights, kind, rate):
    """Add the penalty's gradient to each weight's `.grad` (after backward, before the update)."""
    if kind not in PENALTIES:
        raise ValueError(f"regularization must be one of {', '.join(PENALTIES)}, got {kind!r}")
    if kind == "none" or rate == 0:
        return
    for p in weights:
        p.grad = p.grad + rate * (_sign(p.data) if kind == "l1" else p.data)
