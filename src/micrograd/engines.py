"""micrograd.engines — the engine back-ends a training run can use, chosen by name.

    from micrograd.engines import ENGINES
    engine = ENGINES["tensor"]()                   # one back-end object per run
    model = engine.build_model(cfg, nin, nclasses, rng, npoints)
    loss = engine.loss(model, split)               # mean loss, a graph node: loss.backward()
    loss = engine.batch_loss(model, split, [3, 0, 7])   # the same over those points, in that order

`micrograd.train.Trainer` runs ONE step loop (the seed's) over `ENGINES[cfg.engine]`; a
back-end knows only what differs between engines: how to build the model from the
config's draws, the mean loss of a split as a graph node, the same number without a
graph (`evaluate`), and the accuracy. `ENGINES` is the one list of engine names: the
config checks against it, the CLI and the demo offer it.

A back-end's `regression` flag (set by the trainer for a regression dataset) makes its loss the
mean squared error of the one output against the float target, instead of the cross-entropy.

  - "scalar": the seed's engine, one `Value` per number (micrograd.nn, micrograd.losses).
  - "tensor": the NumPy engine (micrograd.tensor), a split as one (N, nin) array. Its
    model is the scalar model's draws copied into a tensor MLP, so the RNG ends where
    the scalar run's does and both engines print the same numbers (to ~1e-12).

Both back-ends size the run against `cfg.max_memory` (micrograd.limits) before building: the
model and the run's points (their number, from the trainer) when the model is built, and each split again
the first time it is used (a library user's splits); a generated dataset's run was sized by the
config already.

  - "compiled": the scalar model and loss, traced once by `micrograd.compile` and run for a
    whole split at once with NumPy (same numbers as the scalar engine, to ~1e-14).

The tensor and compiled engines import NumPy, so `micrograd.tensor` and `micrograd.compile` are
imported only inside their back-ends' methods: importing this module (or the config) stays NumPy-free.
"""

import gc
import threading

from .limits import MAX_MEMORY_MB, check_run
from .losses import cross_entropy, sum_values
from .nn import MLP


class gc_paused:
    """`with gc_paused():` pauses the cyclic garbage collector while any thread is inside one,
    restoring the setting the first one found when the last one leaves.

    Our graphs have no reference cycles (reference counting frees them), so the cyclic
    collector only costs time scanning them while they are built. The collector is
    process-wide: a count (under a lock) keeps two trainers in two threads from re-enabling it
    under each other or leaving it off. (A class, not a @contextmanager generator: it is
    entered every training step of either engine.)
    """

    __slots__ = ()
    _lock = threading.Lock()
    _inside = 0  # threads inside a `with gc_paused()` now
    _was_enabled = False  # the setting the first of them found

    def __enter__(self):
        cls = gc_paused
        with cls._lock:
            if cls._inside == 0:
                cls._was_enabled = gc.isenabled()
                gc.disable()
            cls._inside += 1
        return self

    def __exit__(self, *exc):
        cls = gc_paused
        with cls._lock:
            cls._inside -= 1
            if cls._inside == 0 and cls._was_enabled:
                gc.enable()
        return False


# ---------------------------------------------------------------------- sizing a run (micrograd.limits)


class _Sized:
    """What both back-ends share: the run's size checked against the memory limit before building."""

    name = None
    regression = False  # True: one output, a float target, the mean squared error (set by the trainer)
    _shape = None  # (nin, hidden, nclasses, max_memory, source), set by build_model
    _checked = 0  # the largest split checked so far

    def _size_model(self, cfg, nin, nclasses, npoints):
        source = getattr(cfg, "data", None)
        self._shape = (nin, list(cfg.hidden), nclasses, getattr(cfg, "max_memory", MAX_MEMORY_MB), source)
        check_run(self.name, nin, cfg.hidden, nclasses, npoints, self._shape[3], source)

    def batch_loss(self, model, split, indices):
        """Mean loss of the points `split[i]` for i in `indices` (a minibatch, in that order), a graph node.
        (A back-end that caches a split's arrays overrides it: the subset is new every step.)"""
        return self.loss(model, [split[i] for i in indices])

    def _size_split(self, split):
        """Before a split's first graph: the run, with this split as its training points, within the limit."""
        if self._shape is None or len(split) <= self._checked:
            return
        nin, hidden, nclasses, max_memory, source = self._shape
        check_run(self.name, nin, hidden, nclasses, -(-len(split) * 5 // 4), max_memory, source)  # 80% is training
        self._checked = len(split)


# ---------------------------------------------------------------------- scalar: the seed's engine


def split_loss(model, split):
    """Mean cross-entropy over a split, as a Value (the seed's `eval_split` graph)."""
    losses = [cross_entropy(model(x), y) for x, y in split]
    return sum_values(losses) * (1.0 / len(split))


def _squared_error(prediction, target):
    """(prediction - target)², one example's loss in a regression run (the same ops on every engine)."""
    d = prediction - target
    return d * d


def split_mse(model, split):
    """Mean squared error over a split of (x, float target) points, as a Value (a regression run)."""
    return sum_values([_squared_error(model(x), y) for x, y in split]) * (1.0 / len(split))


def accuracy(model, split):
    """(correct, total): argmax of the logits against the labels."""
    correct = 0
    for x, y in split:
        logits = [v.data for v in model(x)]
        correct += logits.index(max(logits)) == y
    return correct, len(split)


def _mlp(cfg, nin, nclasses, rng):
    """The config's scalar MLP, its weights drawn from `rng` (the tensor engine copies its draws)."""
    return MLP(nin, cfg.hidden + [nclasses], activation=cfg.activation, init=cfg.init, rng=rng)


class ScalarEngine(_Sized):
    """The scalar engine: a `micrograd.nn.MLP` of `Value`s, one graph per sample."""

    name = "scalar"

    def build_model(self, cfg, nin, nclasses, rng, npoints=0):
        """The config's MLP, its weights drawn from `rng` (after the data, as the seed does)."""
        self._size_model(cfg, nin, nclasses, npoints)
        return _mlp(cfg, nin, nclasses, rng)

    def loss(self, model, split):
        """Mean loss of a split, a Value (a graph node: `.backward()` fills the gradients)."""
        self._size_split(split)
        return (split_mse if self.regression else split_loss)(model, split)

    def evaluate(self, model, split):
        """Mean loss of a split (a float)."""
        self._size_split(split)
        with gc_paused():
            return (split_mse if self.regression else split_loss)(model, split).data

    def accuracy(self, model, split):
        """(correct, total): argmax of the logits (the first maximum on ties)."""
        return accuracy(model, split)


# ---------------------------------------------------------------------- tensor: whole splits as arrays


class TensorEngine(_Sized):
    """The tensor engine: a `micrograd.tensor.MLP`, a split as one (N, nin) array and one graph."""

    name = "tensor"

    def __init__(self):
        self._batches = {}  # id(split) -> (split, X, y): each split is turned into arrays once

    def build_model(self, cfg, nin, nclasses, rng, npoints=0):
        """The scalar model's draws copied into a tensor MLP (same weights, same RNG state after)."""
        from .tensor import MLP as TensorMLP
        from .tensor import tune_allocator

        self._size_model(cfg, nin, nclasses, npoints)

        tune_allocator()  # big per-step arrays stay in the heap: no page faults every step
        return TensorMLP.from_scalar(_mlp(cfg, nin, nclasses, rng))

    def forget_splits(self):
        """Drop the cached arrays of every split: call it after changing a split in place (the demo adds and
        removes points), so the next step reads the points again (the cache is keyed by the list)."""
        self._batches.clear()

    def _batch(self, split):
        """(X (N, nin) constant Tensor, y (N,) int array) of a split, built once per split."""
        hit = self._batches.get(id(split))
        if hit is None or hit[0] is not split:
            self._size_split(split)
            import numpy as np

            from .tensor import Tensor

            X = Tensor(np.array([x for x, _ in split], dtype=np.float64).reshape(len(split), -1))
            y = np.array([label for _, label in split], dtype=np.float64 if self.regression else np.intp)
            hit = self._batches[id(split)] = (split, X, y)
        return hit[1], hit[2]

    def loss(self, model, split):
        """Mean loss over a split (cross-entropy, or MSE in a regression run), a one-element Tensor (a graph
        node unless under no_grad)."""
        X, y = self._batch(split)
        return self._loss(model(X), y)

    def _loss(self, out, y):
        """The mean loss of a batch's outputs against its labels (cross-entropy, or MSE in a regression run)."""
        from .tensor import Tensor
        from .tensor import cross_entropy as tensor_cross_entropy

        if not self.regression:
            return tensor_cross_entropy(out, y)
        d = out - Tensor(y.reshape(-1, 1))
        return (d * d).sum() * (1.0 / len(y))

    def batch_loss(self, model, split, indices):
        """Mean cross-entropy over the rows `indices` of a split (in that order), from its cached arrays."""
        import numpy as np

        from .tensor import Tensor

        X, y = self._batch(split)
        idx = np.asarray(indices, dtype=np.intp)
        return self._loss(model(Tensor(X.data[idx])), y[idx])

    def evaluate(self, model, split):
        """Mean loss of a split (a float), without building a graph."""
        from .tensor import no_grad

        with no_grad():
            return self.loss(model, split).item()

    def accuracy(self, model, split):
        """(correct, total): argmax of the logits (first maximum on ties, as the scalar engine)."""
        from .tensor import no_grad

        X, y = self._batch(split)
        with no_grad():
            logits = model(X).data
        return int((logits.argmax(axis=1) == y).sum()), len(split)


# ---------------------------------------------------------------------- compiled: the scalar model, traced and batched


class CompiledEngine(_Sized):
    """The compiled engine: the scalar engine's model and loss (`micrograd.nn.MLP`, `cross_entropy`),
    traced once by `micrograd.compile` and run for a whole split at a time with NumPy. Same model,
    same draws and the same losses as the scalar engine (to ~1e-14; see micrograd.compile.program
    for where NumPy adds in another order). Gradients land in the Values' `.grad`: the optimizers
    are the scalar engine's."""

    name = "compiled"

    def __init__(self):
        self._batches = {}  # id(split) -> (split, X, y): each split is turned into arrays once
        self._fns = None  # (model, loss function, logits function), compiled for the run's model

    def build_model(self, cfg, nin, nclasses, rng, npoints=0):
        """The scalar engine's MLP (same draws, same RNG state after)."""
        from .tensor import tune_allocator

        self._size_model(cfg, nin, nclasses, npoints)
        tune_allocator()  # as the tensor engine: a step's big arrays stay in the heap (no page faults every step)
        return _mlp(cfg, nin, nclasses, rng)

    def _compiled(self, model):
        if self._fns is None or self._fns[0] is not model:
            from .compile import compile as compile_fn

            params = model.parameters()  # a run's model keeps its parameters: read once, not every step
            if self.regression:  # the target rides as the last input column: a float, not a label to branch on
                loss_fn = compile_fn(lambda xt: _squared_error(model(xt[:-1]), xt[-1]), params, reduction="mean")
            else:
                loss_fn = compile_fn(lambda x, y: cross_entropy(model(x), y), params, reduction="mean")
            logits_fn = compile_fn(lambda x: model(x), params)
            self._fns = (model, loss_fn, logits_fn)
        return self._fns[1], self._fns[2]

    def _batch(self, split):
        """(X (N, nin) float array, y (N,) int array, or float targets) of a split, built once per split."""
        hit = self._batches.get(id(split))
        if hit is None or hit[0] is not split:
            self._size_split(split)
            import numpy as np

            X = np.array([x for x, _ in split], dtype=np.float64).reshape(len(split), -1)
            y = np.array([label for _, label in split], dtype=np.float64 if self.regression else np.intp)
            hit = self._batches[id(split)] = (split, X, y)
        return hit[1], hit[2]

    def _loss(self, model, X, y, forward=False):
        fn = self._compiled(model)[0]
        if self.regression:
            import numpy as np

            X, y = np.column_stack([X, y]), None
        return fn.forward(X, y) if forward else fn(X, y)

    def loss(self, model, split):
        """Mean loss over a split, a `micrograd.compile.BatchLoss` (`.data`, `.backward()`)."""
        X, y = self._batch(split)
        return self._loss(model, X, y)

    def batch_loss(self, model, split, indices):
        """Mean loss over the rows `indices` of a split (a minibatch, in that order), from its cached arrays
        (not a new list per step: the array cache is keyed by split)."""
        import numpy as np

        X, y = self._batch(split)
        idx = np.asarray(indices, dtype=np.intp)
        return self._loss(model, X[idx], y[idx])

    def evaluate(self, model, split):
        """Mean loss of a split (a float), forward only (the sum times 1/N, as `loss`)."""
        X, y = self._batch(split)
        return float(self._loss(model, X, y, forward=True).sum()) * (1.0 / len(split))

    def accuracy(self, model, split):
        """(correct, total): argmax of the logits (the first maximum on ties, as the scalar engine)."""
        X, y = self._batch(split)
        logits = self._compiled(model)[1].forward(X)
        if logits.ndim == 1:
            logits = logits[:, None]
        return int((logits.argmax(axis=1) == y).sum()), len(split)


# ---------------------------------------------------------------------- the registry

ENGINES = {engine.name: engine for engine in (ScalarEngine, TensorEngine, CompiledEngine)}
