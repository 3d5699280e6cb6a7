"""micrograd.losses — loss functions on lists of `Value`s.

- `cross_entropy(logits, target)`: the seed's `nll_loss` (softmax + negative log
  likelihood, PyTorch's `F.cross_entropy` for one sample), as one fused node.
- `mse(pred, target)`: mean squared error.
- `hinge(scores, target)`: the multi-class hinge (SVM) loss, PyTorch's `multi_margin_loss`.
"""

import math
import numbers

from .engine import Value, _lift_all

# ---------------------------------------------------------------------- helpers


def _values(xs, name):
    """A non-empty list of Values from Values or numbers."""
    if isinstance(xs, Value) or not hasattr(xs, "__len__"):
        raise TypeError(f"{name} must be a list of Values or numbers, got {type(xs).__name__}")
    if len(xs) == 0:
        raise ValueError(f"{name} must not be empty")
    return _lift_all(xs, name)


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


class _CrossEntropyBackward:
    """The backward of the fused cross-entropy node (holds floats only: no cycles).

    Normal case: replays the backward of the seed's graph
        shifted = z - max;  ex = exp(shifted);  denom = 0 + ex[0] + ex[1] + ...
        inv = denom**-1;  p = ex[t] * inv;  logp = log(p);  loss = logp * -1
    in the order the seed's backward runs it, so every gradient has the seed's bits.
    When p underflows (a huge logit gap), the forward used log-sum-exp instead and
    the gradient is the closed form (softmax - onehot) * g.
    """

    __slots__ = ("ex", "denom", "inv", "p", "target")

    def __init__(self, ex, denom, inv, p, target):
        self.ex, self.denom, self.inv, self.p, self.target = ex, denom, inv, p, target

    def backward(self, logits, g):
        ex, t = self.ex, self.target
        if self.p > 0.0:
            logp_grad = -1 * g  # loss = logp * -1
            p_grad = (1 / self.p) * logp_grad  # logp = log(p)
            inv_grad = ex[t] * p_grad  # p = ex[t] * inv
            denom_grad = (-1 * self.denom**-2) * inv_grad  # inv = denom**-1
            for k, z in enumerate(logits):
                ex_grad = denom_grad if k != t else (0.0 + self.inv * p_grad) + denom_grad
                z.grad += ex[k] * ex_grad  # ex = exp(shifted); shifted = z - max
        else:
            for k, z in enumerate(logits):
                z.grad += (ex[k] / self.denom - (1.0 if k == t else 0.0)) * g


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
    return Value(loss, tuple(zs), "cross_entropy", _CrossEntropyBackward(ex, denom, inv, p, t))


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
