"""micrograd.compile.program — `compile(fn, params)`: the traced, batched, cached program.

    loss_fn = compile(lambda x, y: cross_entropy(model(x), y), model)   # fn of ONE example
    loss = loss_fn(xs, ys)          # the mean over the batch (reduction="sum": the sum)
    loss.backward()                 # each parameter's .grad += d(loss)/d(parameter)
    print(loss_fn.source)           # the NumPy program it runs

A call traces `fn` on one example of the batch (micrograd.compile.trace), lowers the graph
(.lower), writes a batched NumPy function (.codegen) and `exec`s that text (ours, nothing
else), then runs it on the whole batch. The program is cached per structure: the number of
inputs and the parameter list (a Module's parameters are read again at every call, so a
model that grows or is rebuilt is traced again).

Checks, so a compiled call never returns a wrong number:
  - a second example is traced too and must give the same graph; when the two differ only
    because their labels do (e.g. a hinge loss indexes the scores by the label), there is one
    program per label, each run on its examples; otherwise (Python control flow on numbers
    the tracer could not catch, such as a fused node's .data) it is a TracingError;
  - a label not seen while tracing is traced once before it is trusted;
  - anything the compiler does not batch (lower.Unsupported) runs on the scalar engine, with
    a CompileFallbackWarning saying why.

Exactness: each example's floats are those of the scalar graph, except where NumPy adds in
another order: the matmul of a layer's neurons (BLAS orders each dot product's sum), the
softmax's denominator beyond 16 logits (up to 16 it is summed left to right, as the scalar
engine does), the batch reductions (the loss pairwise, the parameters' gradients `ones @ M`
in BLAS's order, not left to right), and the gradient contributions a node receives (summed
per group). Each costs ~1e-16 relative; the losses agree with the scalar engine's to ~1e-14.
"""

import builtins
import inspect
import operator
import warnings

from ..engine import Value
from ..losses import sum_values
from .codegen import generate
from .lower import Unsupported, lower
from .trace import CompileFallbackWarning, TracingError, trace

__all__ = ["compile", "Compiled", "BatchLoss", "REDUCTIONS"]

REDUCTIONS = ("mean", "sum")
_DATA = operator.attrgetter("data")  # a parameter's number: map() over it is the fastest gather from Python


def _namespace():
    """What the generated source may use: NumPy, math and four helpers, nothing else (tanh_ is the
    tensor engine's np.tanh in place, split across threads on big arrays: the same bits; dtanh its
    backward, likewise)."""
    import math

    import numpy as np

    from ..tensor._kernels import dtanh, sigmoid, tanh_

    def grid(start, rows, row_step, cols, col_step):
        return start + np.arange(rows)[:, None] * row_step + np.arange(cols)[None, :] * col_step

    return {"np": np, "math": math, "grid": grid, "_sigmoid": sigmoid, "tanh_": tanh_, "dtanh": dtanh}


class Program:
    """One compiled structure: its source and the function exec'd from it."""

    __slots__ = ("source", "run", "signature")

    def __init__(self, nodes, outs, nin, nparams):
        self.signature = (tuple(n.key() for n in nodes), tuple(outs))
        self.source, _ = generate(nodes, outs, nin, nparams)
        namespace = _namespace()
        exec(compile_source(self.source), namespace)  # our own generated text, nothing from the user
        self.run = namespace["program"]


def compile_source(source):
    """The code object of generated source (Python's builtin compile: this module's `compile` is ours)."""
    return builtins.compile(source, "<micrograd.compile>", "exec")


class BatchLoss:
    """The reduced loss of a batch: `.data` (a float), `.item()`, `.backward()` (adds into the
    parameters' .grad, as Value.backward does for leaves) and `.outputs` (each example's loss)."""

    __slots__ = ("data", "outputs", "_grads", "_params", "_scalar")

    def __init__(self, data, outputs, grads=None, params=None, scalar=None):
        self.data, self.outputs, self._grads, self._params, self._scalar = data, outputs, grads, params, scalar

    def item(self):
        return self.data

    def __float__(self):
        return self.data

    def backward(self):
        if self._scalar is not None:  # the scalar-engine fallback: its graph
            self._scalar.backward()
            return
        for p, g in zip(self._params, self._grads):
            p.grad += g

    def __repr__(self):
        return f"BatchLoss(data={self.data})"


def _params_of(params):
    if hasattr(params, "parameters"):
        params = params.parameters()
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"params[{i}] must be a Value (a model's parameter), got {type(p).__name__} {p!r}")
    return params


def _takes_label(fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    positional = [p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in sig.parameters.values())


class Compiled:
    """`fn` (a function of one example built from Value ops) run for whole batches (see the module)."""

    def __init__(self, fn, params, reduction="mean"):
        if not callable(fn):
            raise TypeError(f"compile() needs a function of one example, got {type(fn).__name__} {fn!r}")
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {', '.join(map(repr, REDUCTIONS))}, got {reduction!r}")
        self.fn, self.reduction, self._params_source = fn, reduction, params
        self._fixed = None  # the checked parameter list when `params` is a list (a Module's is read at each call)
        self._params()  # checked now
        self.labelled = _takes_label(fn)
        self._cache = {}  # (nin, parameter ids) -> _Entry
        self._last = None

    # ------------------------------------------------------------------ building
    def _params(self):
        """The parameter list: a Module's read again (it may have changed), a list checked once."""
        source = self._params_source
        if hasattr(source, "parameters"):
            return _params_of(source)
        if self._fixed is None:
            self._fixed = _params_of(source)
        return self._fixed

    def _entry(self, xs, ys, params):
        nin = len(xs[0])
        last = self._last
        if last is not None and last.params is params and last.nin == nin:  # the same list as last call: its entry
            last._check(xs, ys)
            return last
        key = (nin, tuple(map(id, params)))
        entry = self._cache.get(key)
        if entry is None:
            entry = self._cache[key] = _Entry(self, params, nin)
        entry._check(xs, ys)
        self._last = entry
        return entry

    @property
    def source(self):
        """The generated NumPy source of the last compiled structure (one program per label when the
        graph depends on the label)."""
        entry = self._last
        if entry is None:
            raise RuntimeError("nothing compiled yet: call the compiled function on a batch first")
        if entry.fallback is not None:
            return f"# not compiled ({entry.fallback}): runs on the scalar engine\n"
        if entry.shared is not None:
            return entry.shared.source
        return "\n".join(f"# ---- label {label}\n{prog.source}" for label, prog in sorted(entry.per_label.items()))

    # ------------------------------------------------------------------ running
    def _batch(self, xs, ys):
        import numpy as np

        if len(xs) == 0:
            raise ValueError("a compiled function needs a non-empty batch, got 0 examples")
        X = np.asarray([list(x) for x in xs] if not isinstance(xs, np.ndarray) else xs, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"xs must be a batch of equal-length examples, got an array of shape {X.shape}")
        y = None
        if self.labelled:
            if ys is None:
                raise TypeError("this compiled function takes (x, y): pass the batch's labels, ys")
            y = np.asarray(ys)
            if y.shape != (len(X),) or (y.size and y.dtype.kind not in "iu"):
                raise ValueError(f"ys must be {len(X)} integer labels, got an array of shape {y.shape} ({y.dtype})")
            y = y.astype(np.intp, copy=False)
        return X, y

    def forward(self, xs, ys=None):
        """Each example's output(s): an array (B,) for a one-output function, else (B, outputs)."""
        X, y = self._batch(xs, ys)
        params = self._params()
        out, _ = self._entry(X, y, params).run(X, y, params, None)
        return out[:, 0] if out.shape[1] == 1 else out

    def __call__(self, xs, ys=None):
        """The batch's loss, reduced ("mean" or "sum"), a BatchLoss: `.data`, `.backward()`.
        `xs` a (B, inputs) array or a list of B examples (an array is used as it is: no conversion),
        `ys` B integer labels when the function takes (x, y)."""
        X, y = self._batch(xs, ys)
        params = self._params()
        scale = 1.0 / len(X) if self.reduction == "mean" else 1.0
        entry = self._entry(X, y, params)
        if entry.fallback is not None:
            return entry.scalar_loss(X, y, scale)
        out, grads = entry.run(X, y, params, scale)
        if out.shape[1] != 1:
            raise ValueError(f"a compiled loss must return one Value per example, got {out.shape[1]}")
        total = float(out[:, 0].sum())
        return BatchLoss(total * scale if self.reduction == "mean" else total, out[:, 0], grads.tolist(), params)


class _Entry:
    """The program(s) for one structure: shared by every label, or one per label, or the fallback."""

    def __init__(self, compiled, params, nin):
        self.compiled, self.params, self.nin = compiled, params, nin
        self.shared, self.per_label, self.seen, self.fallback = None, None, set(), None
        self._last_y = None

    def _trace(self, X, y, i):
        """The IR of example i's graph: (nodes, outputs)."""
        c = self.compiled
        label = int(y[i]) if y is not None else None
        outputs, inputs = trace(c.fn, X[i].tolist(), label, with_label=c.labelled)
        return lower(outputs, inputs, self.params, label)

    def _fall_back(self, reason):
        self.shared, self.per_label, self.fallback = None, None, reason
        fname = getattr(self.compiled.fn, "__qualname__", repr(self.compiled.fn))
        warnings.warn(
            f"micrograd.compile: {reason} is not compiled; {fname} runs on the scalar engine",
            CompileFallbackWarning,
            stacklevel=6,
        )

    def _program(self, X, y, i):
        """The program of example i's graph, checked against a second example with the same label."""
        nodes, outs = self._trace(X, y, i)
        program = Program(nodes, outs, X.shape[1], len(self.params))
        same = [j for j in range(len(X)) if j != i and (y is None or y[j] == y[i])][:1]
        for j in same:
            if self._signature(X, y, j) != program.signature:
                raise TracingError(
                    f"the traced graph of example {j} differs from example {i}'s: Python code in the function "
                    "branches on numbers (a value's .data, a parameter's, or a fused node's); use Value ops "
                    "instead (v.relu() for max(v, 0), ...), or run the function on the scalar engine"
                )
        return program

    def _signature(self, X, y, i):
        nodes, outs = self._trace(X, y, i)
        return (tuple(n.key() for n in nodes), tuple(outs))

    def _check(self, X, y):
        """Build or extend the programs so every label of this batch is covered by one checked program."""
        import numpy as np

        labels_key = None if y is None else y.tobytes()
        if labels_key is not None and labels_key == self._last_y:  # the same labels as last time (a trainer's split)
            return
        try:
            if self.shared is None and self.per_label is None and self.fallback is None:
                self.shared = self._program(X, y, 0)
                self.seen.add(None if y is None else int(y[0]))
            if self.fallback is not None or y is None:
                return
            labels = [label for label in np.unique(y).tolist() if label not in self.seen]
            if self.shared is not None:
                for label in labels:  # a label not traced yet: its graph must be the shared one
                    if self._signature(X, y, int(np.flatnonzero(y == label)[0])) != self.shared.signature:
                        self.shared, self.per_label = None, {}  # the graph depends on the label: one program per label
                        break
                    self.seen.add(label)
            if self.per_label is not None:
                for label in np.unique(y).tolist():
                    if label not in self.per_label:
                        self.per_label[label] = self._program(X, y, int(np.flatnonzero(y == label)[0]))
        except Unsupported as e:
            self._fall_back(str(e))
        self._last_y = labels_key

    def run(self, X, y, params, g_out):
        import numpy as np

        if self.fallback is not None:
            outs = [[v.data for v in self._scalar_outputs(X, y, i)] for i in range(len(X))]
            if g_out is not None:
                raise AssertionError("unreachable: a fallback loss runs through scalar_loss")
            return np.asarray(outs), None
        P = np.fromiter(map(_DATA, params), dtype=np.float64, count=len(params))
        with np.errstate(all="ignore"):
            if self.shared is not None:
                return self.shared.run(X, y, P, g_out)
            return self._run_per_label(X, y, P, g_out)

    def _run_per_label(self, X, y, P, g_out):
        import numpy as np

        out, grads = None, np.zeros(len(P)) if g_out is not None else None
        for label, prog in sorted(self.per_label.items()):
            rows = np.flatnonzero(y == label)
            if rows.size == 0:
                continue
            o, gp = prog.run(X[rows], y[rows], P, g_out)
            if out is None:
                out = np.empty((len(X), o.shape[1]))
            out[rows] = o
            if gp is not None:
                grads += gp
        return out, grads

    def _scalar_outputs(self, X, y, i):
        c = self.compiled
        x = X[i].tolist()
        result = c.fn(x, int(y[i])) if c.labelled else c.fn(x)
        return list(result) if isinstance(result, (list, tuple)) else [result]

    def scalar_loss(self, X, y, scale):
        losses = []
        for i in range(len(X)):
            (v,) = self._scalar_outputs(X, y, i)
            losses.append(v)
        total = sum_values(losses)
        node = total * scale if self.compiled.reduction == "mean" else total
        return BatchLoss(node.data, [v.data for v in losses], scalar=node)


def compile(fn, params, reduction="mean"):  # noqa: A001 (micrograd.compile, as torch.compile)
    """`fn`, a function of ONE example written with Value ops (`fn(x, y)` with a label, or `fn(x)`),
    compiled to run a whole batch at once with NumPy; `params` the model (or its parameter list)
    whose `.grad` the backward fills. See micrograd.compile.program for the rules."""
    return Compiled(fn, params, reduction)
