"""micrograd.train — Trainer and fit(): the seed's training loop, generalized, over any engine.

    from micrograd.train import TrainConfig, fit
    history = fit(TrainConfig.preset("seed"))                    # the seed program's run, 110 lines
    history = fit(TrainConfig.preset("seed", engine="tensor"))   # the same run on the tensor engine

The loop is the seed's: full batch (or a minibatch drawn each step with `batch_size`; see
`Trainer.draw_batch`); every `eval_every` steps the val loss (and, from the
same small split, the val accuracy) is evaluated *before* the step; the train loss printed
is the one the step backpropagated. Random
draws happen in the seed's order: data first, then the model's weights, from one
`RNG(seed)`. The run's definition is a `TrainConfig` (micrograd.config, re-exported here);
what differs between engines (model, loss, evaluate, accuracy) is the engine back-end
`ENGINES[config.engine]` (micrograd.engines): one loop serves both.

Step convention (records, history, log and plots): a number is filed under x = the
optimizer updates the model had when it was measured. The val loss/accuracy evaluated
"before step i" and the train loss of step i (its forward pass, before its update) are at
x = i; the summary after the last step is at x = steps.
"""

import dataclasses
import math
import os
import signal
import threading
import time

from . import data as datasets
from .config import OPTIMIZERS, TrainConfig, make_optimizer  # noqa: F401  (re-exported: micrograd.train.TrainConfig)
from .engines import ENGINES, accuracy, gc_paused, split_loss  # noqa: F401  (re-exported: the scalar engine's loss)
from .limits import check_run
from .losses import add_penalty_grad
from .rng import RNG

# ---------------------------------------------------------------------- Trainer

LIVE_SETTINGS = ("regularization", "reg_rate", "batch_size")  # besides the optimizer's: changeable between steps


class Trainer:
    """One run: data, model and optimizer built from a config (in the seed's draw order),
    stepped one training step at a time, on the engine the config names. `fit()` drives
    it; the demo and resume do too."""

    def __init__(self, config=None):
        cfg = _config(config)
        self.config = cfg
        self.engine = ENGINES[cfg.engine]()  # the back-end: model, loss, evaluate, accuracy
        self.rng = RNG(cfg.seed)
        if cfg.data is not None:
            _size_csv(cfg, self.engine.name)  # within a second, before the file is parsed
            points = datasets.load_csv(cfg.data)
        else:
            points = datasets.make(cfg.dataset, self.rng, cfg.n, cfg.noise)  # data is drawn first
        source = cfg.data or f"dataset {cfg.dataset!r}"
        if cfg.split != list(datasets.DEFAULT_SPLIT):
            points = datasets.resplit(points, cfg.split, source)
            if cfg.data is not None:
                datasets._check_not_degenerate(cfg.data, points)  # the training split still sees two classes
        self.points = points  # (train, val, test) in the plane: what plots show
        self.splits = datasets.featurize(points, cfg.features, source)  # what the model sees (the points at x,y)
        self.train_split, self.val_split, self.test_split = self.splits
        nin = len(self.train_split[0][0])
        # the task follows the dataset: a regression dataset's float target gets one output and the MSE
        self.regression = cfg.data is None and datasets.is_regression(cfg.dataset)
        self.engine.regression = self.regression
        nclasses = 1 if self.regression else max(2, datasets.num_classes(*self.splits))
        npoints = sum(map(len, self.splits))  # the run is sized before its model is built
        self.model = self.engine.build_model(cfg, nin, nclasses, self.rng, npoints)  # then the weights
        self.optimizer = make_optimizer(cfg, self.model.parameters())
        # the regularization's parameters: the weights, not the biases ("...b" scalar, "...bias" tensor)
        self.weights = [p for name, p in self.model.named_parameters() if name.rsplit(".", 1)[-1] not in ("b", "bias")]
        self.step = 0  # training steps done
        self.first_loss = None  # the run's first train loss: the divergence check's yardstick (see below)
        self.abandonable = False  # True while the current step may be abandoned (see StopOnSignal)

    def loss(self, split):
        """Mean loss of a split, a graph node (a Value or a one-element Tensor)."""
        return self.engine.loss(self.model, split)

    def evaluate(self, split):
        """Mean loss of a split (a float)."""
        return self.engine.evaluate(self.model, split)

    def accuracy(self, split):
        """(correct, total): argmax of the logits against the labels."""
        return self.engine.accuracy(self.model, split)

    def train_step(self, diverge_check=False):
        """One step: (val loss and accuracy if due), forward, backward, update. Returns a record:
        {"step": i, "val_loss", "val_accuracy" (evaluation steps only), "train_loss", "seconds"}.
        With `diverge_check`, a diverged train loss (see `check_divergence`) raises TrainingDiverged
        before the backward pass: the model, the optimizer and `step` stay as they were."""
        cfg, i = self.config, self.step
        record = {"step": i}
        t0 = time.perf_counter()
        try:
            with gc_paused():
                # until optimizer.step() nothing of the run's state changes (only gradients): a signal may
                # abandon the step here (StopOnSignal raises at once) and the state is the last whole step's
                self.abandonable = True
                try:
                    if cfg.eval_every and i % cfg.eval_every == 0:
                        record["val_loss"] = self.evaluate(self.val_split)
                        if not self.regression:  # the val split is small (10 of the seed's 100 points): ~0.5% of the run's time
                            correct, total = self.accuracy(self.val_split)
                            record["val_accuracy"] = correct / total
                    batch = self.draw_batch()
                    if batch is None:
                        loss = self.loss(self.train_split)
                    else:
                        loss = self.engine.batch_loss(self.model, self.train_split, batch)
                    if diverge_check:
                        check_divergence(self, i, float(loss.data))
                    loss.backward()
                    add_penalty_grad(self.weights, cfg.regularization, cfg.reg_rate)
                except BaseException:
                    self.abandonable = False
                    self.optimizer.zero_grad()  # the abandoned step's partial gradients
                    raise
                self.abandonable = False
                self.optimizer.step()
                self.optimizer.zero_grad()
                record["train_loss"] = float(loss.data)  # a float from either engine's loss node
                del loss  # free the graph while the collector is still paused (else it scans it)
        except (ValueError, OverflowError):  # e.g. "needs finite logits": the last update made a weight inf/nan
            if diverge_check and not _params_finite(self.model):
                raise TrainingDiverged(i, math.nan, math.nan, getattr(cfg, "lr", None)) from None
            raise
        record["seconds"] = time.perf_counter() - t0
        self.step += 1
        return record

    def draw_batch(self):
        """This step's minibatch: `batch_size` distinct indices of the training split, drawn from the
        run's RNG (a partial Fisher-Yates: for k = 0..B-1, j = randint(k, N-1) is swapped into place k),
        or None (no draws) for the full batch (batch_size 0 or >= the N training points)."""
        b, n = self.config.batch_size, len(self.train_split)
        if not b or b >= n:
            return None
        idx = list(range(n))
        for k in range(b):
            j = self.rng.randint(k, n - 1)
            idx[k], idx[j] = idx[j], idx[k]
        return idx[:b]

    def set_hyperparameters(self, **values):
        """Change training settings between steps, e.g. `trainer.set_hyperparameters(lr=0.01)`: the
        optimizer's hyperparameters it takes (lr, beta1, beta2, weight_decay, momentum) and
        regularization, reg_rate, batch_size. Checked as the config checks them (ValueError/TypeError
        naming the field; nothing changes unless all are valid); the config changes too, so a checkpoint
        saved after it stores the new values and resumes with them."""
        allowed = (*OPTIMIZERS[self.config.optimizer].takes, *LIVE_SETTINGS)
        unknown = [k for k in values if k not in allowed]
        if unknown:
            raise ValueError(
                f"set_hyperparameters() cannot change {', '.join(unknown)} during a run; it takes {', '.join(allowed)}"
            )
        cfg = dataclasses.replace(self.config, **values)
        cfg.validate()
        hyper = {k: v for k, v in values.items() if k in self.optimizer.hyper}
        self.optimizer.set_hyperparameters(**hyper)
        self.config = cfg

    def format_lines(self, record):
        """The step's printed lines, in the preset's style."""
        i, cfg, lines = record["step"], self.config, []
        if cfg.style == "llm101n":
            tag = f"step {i + 1}/{cfg.steps}"
            if "val_loss" in record:
                lines.append(f"{tag}, val loss {record['val_loss']:.6f}")
        else:
            tag = f"step {i}"
            if "val_loss" in record:
                lines.append(f"{tag}, val loss {record['val_loss']}")
        lines.append(f"{tag}, train loss {record['train_loss']}")
        return lines

    def summary(self):
        """Loss and accuracy of the current model on every split: {split: {"loss", "correct", "total"}}
        (after the last step: at x = steps in the step convention); a regression run's has no "correct"."""
        out = {}
        for name, split in zip(("train", "val", "test"), self.splits):
            if self.regression:
                out[name] = {"loss": self.evaluate(split), "total": len(split)}
                continue
            correct, total = self.accuracy(split)
            out[name] = {"loss": self.evaluate(split), "correct": correct, "total": total}
        return out


def _size_csv(cfg, engine):
    """ValueError if a CSV run is over the memory limit by the file's line and column counts alone
    (a lower bound on its classes: 2). Parsing a 100 MB file takes ~10 s; counting its lines ~0.1 s."""
    if os.path.isfile(cfg.data):  # anything else: load_csv says what is wrong
        lines, ncols = datasets.csv_shape(cfg.data)
        if lines > 1 and ncols > 1:
            try:
                check_run(engine, ncols - 1, cfg.hidden, 2, lines - 1, cfg.max_memory, cfg.data)
            except ValueError as e:  # say why the model has 2 outputs: its classes are not counted yet
                raise ValueError(f"{e} (sized before the file is read: its {lines - 1:,} lines as points, 2 classes)") from None


def _config(config):
    """A validated TrainConfig (the default one for None); anything else is a TypeError naming it."""
    if config is None:
        config = TrainConfig()
    elif not isinstance(config, TrainConfig):
        raise TypeError(
            f"config must be a TrainConfig (e.g. TrainConfig.preset('seed')), got {type(config).__name__} {config!r:.60}"
        )
    config.validate()
    return config


def make_trainer(config=None):
    """The Trainer for a config (either engine: `Trainer` runs the one the config names)."""
    return Trainer(config)


def format_summary(summary):
    """The summary's lines: 'final loss: ...', then 'accuracy: ...'; a regression run (no "correct")
    prints one line, 'final loss (mse): train 0.012345, val ..., test ...'."""
    losses = ", ".join(f"{k} {v['loss']:.6f}" for k, v in summary.items())
    if any("correct" not in v for v in summary.values()):
        return [f"final loss (mse): {losses}"]
    accs = ", ".join(f"{k} {100.0 * v['correct'] / v['total']:.1f}% ({v['correct']}/{v['total']})" for k, v in summary.items())
    return [f"final loss: {losses}", f"accuracy: {accs}"]


def fit(config=None, callbacks=(), out=print, trainer=None, history=None, diverge_check=None):
    """Train to `config.steps` and return the history.

    `out(line)` receives the step lines (pass `out=None` for silence); each callback is
    called as `cb(trainer, record)` after every step, and a callback with an
    `on_fit_end(trainer, history)` method has it called once the summary is in the
    history (the JSONL log writes its summary record then). History:

        {"train_loss": [loss of step 0, 1, ...],      # index = step
         "val_loss": {step: loss}, "val_accuracy": {step: fraction},   # the evaluation steps
         "summary": {split: {"loss", "correct", "total"}}}             # after the last step

    Pass `history` (e.g. a checkpoint's, when resuming) to extend it in place; its old
    summary is dropped (a new one is made at the end).

    A run whose train loss becomes non-finite or explodes (see `check_divergence`) raises
    `TrainingDiverged` before that step's update and before the callbacks see it (so a checkpoint
    callback keeps the last finite state); `diverge_check=False` (or the config's `diverge_check`, which
    is the default when None) trains on regardless.
    """
    if out is not None and not callable(out):
        raise TypeError(f"out must be a function taking a line (e.g. print) or None, got {type(out).__name__} {out!r:.60}")
    tr = trainer or make_trainer(config)
    if diverge_check is None:
        diverge_check = tr.config.diverge_check
    if history is None:
        history = {}
    history.setdefault("train_loss", [])  # index = step
    history.setdefault("val_loss", {})  # step -> value
    history.setdefault("val_accuracy", {})  # an older checkpoint's history has none: it starts where it resumes
    history.pop("summary", None)  # a saved run's summary is stale once it trains on (and a cut run has none)
    if tr.first_loss is None and history["train_loss"]:  # a resumed run keeps its first loss as the yardstick
        tr.first_loss = history["train_loss"][0]
    while tr.step < tr.config.steps:
        rec = tr.train_step(diverge_check=diverge_check)
        _record_step(history, rec)
        if out is not None:
            for line in tr.format_lines(rec):
                out(line)
        for cb in callbacks:
            cb(tr, rec)
    history["summary"] = tr.summary()
    for cb in callbacks:
        end = getattr(cb, "on_fit_end", None)
        if end is not None:
            end(tr, history)
    return history


def _record_step(history, record):
    """File one step's record into a history (fit's, or a checkpoint's being extended)."""
    history["train_loss"].append(record["train_loss"])
    for key in ("val_loss", "val_accuracy"):
        if key in record:
            history[key][record["step"]] = record[key]


# ---------------------------------------------------------------------- stopping a diverged run
# A learning rate far too high makes the loss explode (SGD at lr 1e6 printed 200-digit "losses") or
# turn inf/nan; training on only wastes the run. The check runs after the forward pass and before the
# update, so the model a caller (or a checkpoint) keeps is the last one with a finite loss.

DIVERGE_FACTOR = 1e6  # a loss above DIVERGE_FACTOR x max(first loss, 1) has diverged


class TrainingDiverged(ArithmeticError):
    """Raised by `fit()` (and `Trainer.train_step(diverge_check=True)`) when step `step`'s train
    loss `loss` is non-finite or above DIVERGE_FACTOR x max(the run's first loss, 1)."""

    def __init__(self, step, loss, limit, lr=None):
        self.step, self.loss, self.limit, self.lr = step, loss, limit, lr
        limit_text = "not finite" if not math.isfinite(loss) else f"above {limit:.6g}, 1e6 x max(first loss, 1)"
        self.why = f"{loss:.6g} ({limit_text})"
        cause = f"the learning rate (lr={lr!r})" if lr is not None else "the learning rate"
        super().__init__(
            f"training diverged at step {step}: the train loss is {self.why}; {cause} is likely too high "
            "(fit(..., diverge_check=False) trains on regardless)"
        )


def check_divergence(trainer, step, loss):
    """Raise TrainingDiverged if `loss` (step `step`'s train loss, a float) has diverged; the
    first loss checked becomes the trainer's yardstick (`trainer.first_loss`)."""
    if trainer.first_loss is None and math.isfinite(loss):
        trainer.first_loss = loss
    limit = DIVERGE_FACTOR * max(trainer.first_loss or 0.0, 1.0)
    if not loss <= limit:  # also true for nan
        raise TrainingDiverged(step, loss, limit, getattr(trainer.config, "lr", None))


def _params_finite(model):
    import numpy as np  # (a Value's data is a float, a Tensor's an array: np.isfinite takes both)

    return all(np.isfinite(p.data).all() for p in model.parameters())


# ---------------------------------------------------------------------- stopping on a signal
# SIGINT/SIGTERM/SIGHUP end a run with whole state (micrograd.cli saves a checkpoint and exits 130).
# A long step does not make the user wait: a signal during its forward/backward pass (or its
# evaluation) abandons it at once — nothing but gradients has changed before optimizer.step() —
# and a signal during the update waits for the update to finish. Kept here, by the loop it stops.

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class TrainingInterrupted(Exception):
    """Raised when SIGINT/SIGTERM/SIGHUP stops a run: `step` is the last whole step (-1: none), and
    the trainer's state is as of the end of that step (`trainer.step == step + 1`)."""

    def __init__(self, signum, step):
        self.signum, self.step = signum, step
        super().__init__(f"interrupted by {signal.Signals(signum).name} after step {step}")


class StopOnSignal:
    """Turn SIGINT/SIGTERM/SIGHUP into a clean stop: at once during a step's forward/backward pass
    (the step is abandoned), else at the next step boundary.

        with StopOnSignal(trainer=tr) as stop:
            fit(trainer=tr, callbacks=[stop.callback])     # raises TrainingInterrupted

    The first signal sets a flag; with `trainer`, it also raises TrainingInterrupted at once if
    the trainer is inside the abandonable part of a step (`trainer.abandonable`): that step's
    partial gradients are cleared and `trainer.step` is unchanged. Without `trainer` (or during
    the update) the current step finishes. A second SIGINT raises KeyboardInterrupt at once.
    Handlers are restored on exit. Outside the main thread (where Python cannot install handlers)
    this does nothing.
    """

    def __init__(self, signals=STOP_SIGNALS, on_signal=None, trainer=None):
        self.signals = tuple(signals)
        self.on_signal = on_signal  # called as on_signal(signum) when the first signal arrives
        self.trainer = trainer
        self.signum = None
        self._previous = {}

    @property
    def requested(self):
        return self.signum is not None

    def _handle(self, signum, frame):
        if self.signum is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # second Ctrl-C: the user really wants out
        if self.signum is None:
            self.signum = signum
            if self.on_signal is not None:
                self.on_signal(signum)
            tr = self.trainer
            if tr is not None and getattr(tr, "abandonable", False):
                raise TrainingInterrupted(signum, tr.step - 1)  # abandon the step: the model is untouched

    def callback(self, trainer, record):
        if self.signum is not None:
            raise TrainingInterrupted(self.signum, record["step"])

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for s in self.signals:
                self._previous[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, *exc):
        for s, h in self._previous.items():
            signal.signal(s, h)
        self._previous.clear()
        return False
