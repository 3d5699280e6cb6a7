"""micrograd.tensor.functional — fused ops for networks: `linear`, `log_softmax`, `cross_entropy`.

    from micrograd.tensor import Tensor, functional as F
    logits = F.linear(x, W, b)                 # x @ W.T + b, one node
    loss = F.cross_entropy(logits, targets)    # (B, C) logits, (B,) int targets -> mean loss

PyTorch's `torch.nn.functional` names and semantics. Each op here is ONE graph node
(forward and backward side by side), because per-node Python overhead is what a small
network's step time is made of:
  - `linear(x, W, b, activation=None)`: `x @ W.T + b`, optionally followed by tanh, relu or
    sigmoid inside the same node (op 'linear', 'tanh(linear)', 'relu(linear)', 'sigmoid(linear)').
  - `cross_entropy(logits, targets)`: log-softmax + negative log likelihood + mean, one
    node, computed with the scalar engine's float sequence per sample (max shifted out,
    sequential sums, loss = -log(exp(z_t - max) * denom**-1), the batch summed left to
    right and multiplied by 1/B), so both engines print the same losses.
"""

import numbers

import numpy as np

from ._kernels import dtanh, fast_tanh_
from ._kernels import sigmoid as sigmoid_array
from .ops import Function
from .tensor import Tensor, _leaf

__all__ = ["linear", "log_softmax", "cross_entropy", "relu", "tanh", "sigmoid"]

ACTIVATIONS = (None, "tanh", "relu", "sigmoid", "linear")  # "linear" is the identity, as None
_TINY = np.finfo(np.float64).tiny  # the smallest normal float


# ---------------------------------------------------------------------- linear


class Linear(Function):
    """f(x, W, b) = act(x @ W.T + b);  with g' = g * act'(pre):
    df/dx = g' @ W,  df/dW = g'.T @ x,  df/db = sum of g' over the batch."""

    __slots__ = ("x", "w", "out", "act")

    @property
    def name(self):
        return "linear" if self.act in (None, "linear") else f"{self.act}(linear)"

    def forward(self, x, w, b, act):
        self.act = act
        out = x @ w.T  # (B, nout)
        if b is not None:
            out += b
        if act == "tanh":
            fast_tanh_(out)
        elif act == "relu":
            np.maximum(out, 0.0, out=out)
        elif act == "sigmoid":  # the sigmoid op's float sequence (ops.elementwise.Sigmoid, engine.Value.sigmoid)
            out = sigmoid_array(out)
        self.x, self.w, self.out = x, w, out
        return out

    def backward(self, g):
        act, x, w = self.act, self.x, self.w
        # in place on one fresh array: big temporaries cost more in page faults than in flops
        if act == "tanh":  # g * (1 - tanh**2), in threads when big
            t2 = self.out.reshape(-1, self.out.shape[-1])
            g = dtanh(t2, np.ascontiguousarray(g).reshape(t2.shape)).reshape(g.shape)
        elif act == "relu":
            g = np.where(self.out > 0, g, 0.0)  # relu'(0) = 0
        elif act == "sigmoid":
            s = self.out
            g = g * ((1.0 - s) * s)
        nout = w.shape[0]
        g2 = g.reshape(-1, nout)
        gx = g @ w if self.needs[0] else None
        gw = g2.T @ x.reshape(-1, w.shape[1]) if self.needs[1] else None
        gb = g2.sum(axis=0) if len(self.needs) > 2 and self.needs[2] else None
        return gx, gw, gb


def linear(x, weight, bias=None, activation=None):
    """`x @ weight.T + bias` (PyTorch's `F.linear`), then `activation` (None, "tanh", "relu", "sigmoid";
    "linear" = None), one node.

    x: (..., nin), weight: (nout, nin) (torch's layout), bias: (nout,) or None.
    """
    for name, t in (("x", x), ("weight", weight)) + ((("bias", bias),) if bias is not None else ()):
        if not isinstance(t, Tensor):
            raise TypeError(f"linear({name}) expects a Tensor, got {type(t).__name__}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"linear(activation) must be None, 'tanh', 'relu', 'sigmoid' or 'linear', got {activation!r}")
    ws = weight._data.shape
    if len(ws) != 2:
        raise ValueError(f"linear(weight) must be 2-D (nout, nin), got shape {ws}")
    if x._data.ndim == 0 or x._data.shape[-1] != ws[1]:
        raise ValueError(
            f"linear: x of shape {x.shape} does not fit weight of shape {ws} (x's last dimension must be nin={ws[1]})"
        )
    if bias is None:
        return Linear.apply(x, weight, b=None, act=activation)
    if bias._data.shape != (ws[0],):
        raise ValueError(f"linear(bias) must have shape ({ws[0]},), got {bias.shape}")
    return Linear.apply(x, weight, bias, act=activation)


# ---------------------------------------------------------------------- cross entropy


class CrossEntropy(Function):
    """f(z, t) = mean over the batch of -log(softmax(z)[t]);
    df/dz = (softmax(z) - onehot(t)) / B."""

    __slots__ = ("probs", "targets", "scale")
    name = "cross_entropy"

    def forward(self, z, targets):
        B = z.shape[0]
        rows = np.arange(B)
        shifted = z - z.max(axis=1, keepdims=True)  # (B, C); the scalar's d + (-max) is the same float
        ex = np.exp(shifted)
        denom = _row_sums(ex)
        inv = denom**-1
        p = ex[rows, targets] * inv
        ok = p >= _TINY
        if ok.all():
            losses = -np.log(p)
        else:  # p underflowed: log p = shifted[t] - log(denom) (log-sum-exp), as the scalar engine
            losses = np.where(ok, -np.log(np.where(ok, p, 1.0)), np.log(denom) - shifted[rows, targets])
        self.probs = ex * inv[:, None]  # softmax, for backward
        self.targets = targets
        self.scale = 1.0 / B
        return np.cumsum(losses)[-1] * self.scale  # summed left to right, then * (1/B), as the scalar

    def backward(self, g):
        d = self.probs.copy()
        d[np.arange(d.shape[0]), self.targets] -= 1.0
        d *= g * self.scale
        return (d,)


def _row_sums(a):
    """Sum of each row, left to right (the scalar's `0 + a[0] + a[1] + ...`; np.sum is pairwise)."""
    C = a.shape[1]
    if C > 32:
        return np.cumsum(a, axis=1)[:, -1]
    s = a[:, 0].copy()  # column by column: faster than a strided cumsum for few classes
    for k in range(1, C):
        s += a[:, k]
    return s


def _targets(targets, B, C):
    """Class indices as an int array of shape (B,), checked the way PyTorch checks them."""
    if isinstance(targets, Tensor):
        raise TypeError(
            "cross_entropy(targets) must be integer class indices (a list or an int ndarray); a micrograd Tensor holds floats"
        )
    if isinstance(targets, np.ndarray):
        t = targets
    elif isinstance(targets, numbers.Integral) and not isinstance(targets, bool):
        t = np.array([targets])
    else:
        try:
            t = np.asarray(targets)
        except ValueError as e:
            raise TypeError(f"cross_entropy(targets) must be integer class indices, got {targets!r}: {e}") from None
    if t.dtype.kind not in "iu" or t.dtype == np.bool_:
        raise TypeError(
            f"cross_entropy(targets) must be integer class indices, got dtype {t.dtype} (e.g. {t.ravel()[:3].tolist()!r})"
        )
    if t.shape != (B,):
        raise ValueError(f"cross_entropy(targets) must have shape ({B},) to match logits, got {t.shape}")
    if B:
        lo, hi = t.min(), t.max()
        if lo < 0 or hi >= C:
            bad = lo if lo < 0 else hi
            raise IndexError(f"cross_entropy: target {int(bad)} is out of bounds for {C} classes (expected 0 <= target < {C})")
    return t


def cross_entropy(logits, targets):
    """Mean cross-entropy of `logits` (B, C) against int class `targets` (B,) (PyTorch's
    `F.cross_entropy`, reduction='mean'). A single sample may be given as logits (C,) and
    an int target. Numerically stable (max subtracted; log-sum-exp where softmax underflows).
    """
    if not isinstance(logits, Tensor):
        raise TypeError(f"cross_entropy(logits) expects a Tensor, got {type(logits).__name__}")
    z = logits._data
    if z.ndim == 1:
        logits = logits.reshape(1, -1)
        z = logits._data
    if z.ndim != 2:
        raise ValueError(f"cross_entropy(logits) must be (B, C) or (C,), got shape {z.shape}")
    B, C = z.shape
    if B == 0 or C == 0:
        raise ValueError(f"cross_entropy(logits) must be non-empty, got shape {z.shape}")
    if not np.isfinite(z).all():
        raise ValueError(f"cross_entropy() needs finite logits, got {z[~np.isfinite(z)][0]!r} in logits")
    return CrossEntropy.apply(logits, targets=_targets(targets, B, C))


# ---------------------------------------------------------------------- the rest, as functions


def log_softmax(x, axis=-1, *, dim=None):
    """`x.log_softmax(axis)` as a function (PyTorch's `F.log_softmax`)."""
    return _tensor(x, "log_softmax").log_softmax(axis, dim=dim)


def relu(x):
    return _tensor(x, "relu").relu()


def tanh(x):
    return _tensor(x, "tanh").tanh()


def sigmoid(x):
    return _tensor(x, "sigmoid").sigmoid()


def _tensor(x, op):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return _leaf(x.astype(np.float64))
    raise TypeError(f"{op}() expects a Tensor, got {type(x).__name__}")
