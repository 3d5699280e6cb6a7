"""micrograd.gradcheck — check a function's backward against central differences (as torch.autograd.gradcheck).

    from micrograd import Value, gradcheck
    gradcheck(lambda a, b: (a * b + a.tanh()).log(), [Value(1.5), Value(0.3)])   # True, or GradcheckError

`f(*inputs)` must return a scalar `Value` (or a one-element `micrograd.tensor.Tensor` when the inputs
are Tensors: every element of every input is then checked). The analytic gradient is what
`f(*inputs).backward()` leaves in each input's `.grad`; the numerical one is
(f(x + eps) - f(x - eps)) / (2 eps), one input element at a time. They agree when
|analytic - numerical| <= atol + rtol * |numerical|. The first input (and element) where they do not is
named in the GradcheckError, with both gradients. NumPy is imported only for Tensor inputs.

The comparison itself (`compare`) works on anything with `.data`, `.grad` and `.backward()`: the
grader (micrograd.check) runs it on a learner's own Value class.
"""

import math
import numbers

from .engine import Value

__all__ = ["gradcheck", "GradcheckError", "compare"]


class GradcheckError(RuntimeError):
    """The analytic and numerical gradients disagree: the message names the input, the element and both."""


# ---------------------------------------------------------------------- arguments


def _tolerance(name, x, positive):
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x) or (x <= 0 if positive else x < 0):
        what = "a positive" if positive else "a non-negative"
        raise (TypeError if not isinstance(x, numbers.Real) or isinstance(x, bool) else ValueError)(
            f"gradcheck: {name} must be {what} finite number, got {x!r}"
        )
    return float(x)


def _kind(inputs):
    """'value' or 'tensor' (every input the same kind), or a TypeError naming the first bad input."""
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__len__") or not hasattr(inputs, "__getitem__"):
        raise TypeError(f"gradcheck: inputs must be a list or tuple of Values (or of Tensors), got {type(inputs).__name__}")
    if len(inputs) == 0:
        raise ValueError("gradcheck: inputs is empty (nothing to check)")
    kinds = []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            kinds.append("value")
        elif type(x).__name__ == "Tensor" and type(x).__module__.startswith("micrograd.tensor"):
            kinds.append("tensor")
        else:
            raise TypeError(f"gradcheck: inputs[{i}] must be a micrograd Value or Tensor, got {type(x).__name__} {x!r:.60}")
    if len(set(kinds)) > 1:
        raise TypeError("gradcheck: inputs mixes Values and Tensors; pass one kind")
    return kinds[0]


# ---------------------------------------------------------------------- the comparison


def _scalar(out, where):
    """The float an output holds, or a TypeError (f must return one number)."""
    data = getattr(out, "data", None)
    size = getattr(data, "size", None)
    if size is not None:  # a Tensor's ndarray
        if size != 1:
            raise TypeError(f"gradcheck: f must return a one-element Tensor, got shape {data.shape} ({where})")
        return float(data.reshape(-1)[0])
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        raise TypeError(f"gradcheck: f must return a scalar Value, got {type(out).__name__} {out!r:.60} ({where})")
    return float(data)


def compare(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """None when f's backward agrees with central differences at `inputs`, else (index, analytic,
    numerical): the first scalar input that disagrees. The inputs are duck-typed scalars (`.data`,
    `.grad`, a float-like data); they are left as given (data restored, grads as backward left them)."""
    for x in inputs:
        x.grad = 0
    out = f(*inputs)
    _scalar(out, "at the inputs")
    out.backward()
    analytic = [float(x.grad) for x in inputs]
    for i, x in enumerate(inputs):
        d = x.data
        try:
            x.data = d + eps
            hi = _scalar(f(*inputs), f"at inputs[{i}] + eps")
            x.data = d - eps
            lo = _scalar(f(*inputs), f"at inputs[{i}] - eps")
        finally:
            x.data = d
        numerical = (hi - lo) / (2 * eps)
        if not _close(analytic[i], numerical, atol, rtol):
            return i, analytic[i], numerical
    return None


def _close(a, n, atol, rtol):
    if math.isnan(a) or math.isnan(n):
        return math.isnan(a) and math.isnan(n)
    return abs(a - n) <= atol + rtol * abs(n)


def _compare_tensors(f, inputs, eps, atol, rtol):
    """As `compare`, every element of every Tensor: None or (index, element, analytic, numerical)."""
    import numpy as np  # only Tensor inputs need NumPy

    for t in inputs:
        t.grad = None
    out = f(*inputs)
    _scalar(out, "at the inputs")
    out.backward()
    analytic = [np.array(t.grad, dtype=np.float64) for t in inputs]
    for i, t in enumerate(inputs):
        base = t.data.copy()
        for idx in np.ndindex(base.shape):
            try:
                moved = base.copy()
                moved[idx] += eps
                t.data = moved
                hi = _scalar(f(*inputs), f"at inputs[{i}]{list(idx)} + eps")
                moved[idx] = base[idx] - eps
                t.data = moved
                lo = _scalar(f(*inputs), f"at inputs[{i}]{list(idx)} - eps")
            finally:
                t.data = base
            numerical = (hi - lo) / (2 * eps)
            if not _close(float(analytic[i][idx]), numerical, atol, rtol):
                return i, idx, float(analytic[i][idx]), numerical
    return None


def gradcheck(f, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """True when `f(*inputs).backward()` gives each input the gradient central differences give;
    else raise GradcheckError naming the first input (and element) and both gradients, or return False
    with `raise_exception=False`. Inputs: a list of `Value`s, or of `micrograd.tensor.Tensor`s (float64)."""
    if not callable(f):
        raise TypeError(f"gradcheck: f must be a function of the inputs, got {type(f).__name__} {f!r:.60}")
    eps = _tolerance("eps", eps, positive=True)
    atol = _tolerance("atol", atol, positive=False)
    rtol = _tolerance("rtol", rtol, positive=False)
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else inputs
    if _kind(inputs) == "value":
        bad = compare(f, inputs, eps, atol, rtol)
        where = None if bad is None else f"input {bad[0]}"
        grads = bad and bad[1:]
    else:
        bad = _compare_tensors(f, inputs, eps, atol, rtol)
        where = None if bad is None else f"input {bad[0]}, element {list(bad[1])}"
        grads = bad and bad[2:]
    if bad is None:
        return True
    if not raise_exception:
        return False
    raise GradcheckError(
        f"gradcheck: the gradient of {where} is wrong: analytic (backward) {grads[0]!r}, numerical (central differences, "
        f"eps={eps}) {grads[1]!r}; they differ by {abs(grads[0] - grads[1]):.3g} > atol + rtol * |numerical| "
        f"(atol={atol}, rtol={rtol})"
    )
