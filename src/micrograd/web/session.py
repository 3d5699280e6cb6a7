"""micrograd.web.session — one live training run per browser tab, and the store that keeps them.

    store = SessionStore(default_preset="seed")
    s = store.create({"dataset": "moons", "hidden": [8]})   # a validated config dict
    s.step(5); s.snapshot()                                 # JSON-ready dicts for the page

A `Session` wraps a `micrograd.train.Trainer` (the page only draws). It adds what the page
shows beside the loop: the loss and accuracy history, the decision-boundary grid, the hidden
neurons' zero-level lines, the network view (every neuron's map, every edge's weight and last
gradient: web.network), the optimizer state of every parameter with the last step's gradient
and update, and the compute graph of one chosen datapoint, traced with every gradient zeroed first.

Two engines, one run: the trainer runs on the tensor engine (a whole split per op: the page
gets 50+ steps per second; its numbers equal the scalar engine's to ~1e-12), and a scalar
copy of the model (`scalar_model`), given the tensor model's weights before every trace, draws
the compute graph of one datapoint, node by node. A playing page asks for "light" steps
(`snapshot(light=True)`: only what changes every step) and for a full snapshot now and then.

Every user input is checked before it reaches a session, by `micrograd.web.forms`
(`parse_config`, `parse_point`, `check_steps`): a bad one raises `BadRequest` (a ValueError)
whose message names the field and the value; the server turns it into a 4xx. Sessions expire
when idle and their number is bounded: a new session may evict only one that has been idle
for ACTIVE_SECONDS; when every session is in use the new one is refused (`StoreFull`, a 503).
"""

import dataclasses
import math
import threading
import time
import uuid

from .. import data as datasets
from ..config import TrainConfig
from ..engine import Value
from ..engines import _squared_error
from ..losses import cross_entropy
from ..nn import MLP as ScalarMLP
from ..rng import RNG
from ..train import make_trainer

# the request checks live in web.forms; imported here for the Session below and for callers
from .forms import CONFIG_FIELDS, LIMITS, BadRequest, Conflict, check_steps, parse_config, parse_point  # noqa: F401
from .network import (
    RecordingOptimizer,
    cell_centres,
    edge_json,
    flat,
    input_names,
    layer_arrays,
    layer_values,
    neuron_maps,
    plane_inputs,
)
from .trace import expanded_json, graph_json

# ---------------------------------------------------------------------- limits

STEP_BUDGET_SECONDS = 1.0  # a /step request stops early rather than hold the session longer
GRID = 48  # decision-boundary grid is GRID x GRID cells
MAX_GRAPH_NODES = 5000  # a traced graph bigger than this is refused (the page could not draw it)
MAX_HISTORY = 10000  # records kept per session; past it the older half is thinned (a tab may play for hours)
SPLITS = ("train", "val", "test")
# A session with a request in the last ACTIVE_SECONDS is in use and is never evicted to make room
# for a new one (evicting active tabs made them evict each other in a loop). A playing tab sends a
# request every few hundred ms; a paused one that stays quiet this long may lose its place.
ACTIVE_SECONDS = 60.0


def thin(records, limit=MAX_HISTORY):
    """`records` if at most `limit` long, else every other one of the older half, then the
    newer half: memory stays bounded, the curve keeps its shape and its recent detail."""
    if len(records) <= limit:
        return records
    half = len(records) // 2
    return records[:half:2] + records[half:]


# ---------------------------------------------------------------------- Session


def _f(x, digits=6):
    """A float for JSON: finite, rounded (NaN/inf become None: JSON has no such numbers)."""
    return round(x, digits) if math.isfinite(x) else None


class Session:
    """One training run and what the page shows of it. Callers hold `lock` around use."""

    INPUT_NAMES = ("x[0]", "x[1]")  # the traced datapoint's coordinates, as the graph names them

    def __init__(self, config):
        self.id = uuid.uuid4().hex
        self.lock = threading.Lock()
        self.touched = time.monotonic()
        self.reset(config)

    def reset(self, config):
        """A fresh run of `config`; the picked datapoint stays if its class still exists."""
        old_pick = getattr(self, "pick", None)
        self.config = config
        self.trainer = make_trainer(dataclasses.replace(config, engine="tensor"))  # the same numbers, 10x+ faster
        self.trainer.optimizer = RecordingOptimizer(self.trainer.optimizer)
        self.model = self.trainer.model  # the tensor MLP that trains
        m = self.model  # its scalar twin for the traced graph (weights copied in before each trace)
        self.scalar_model = ScalarMLP(m.nin, m.nouts, activation=m.activation, init=m.init, rng=RNG(1))
        self.inputs = input_names(config, m.nin)  # what the first layer reads: x, y or feature names
        self.nclasses = self.model.nouts[-1]
        self.regression = self.trainer.regression  # one output, a float target, the MSE: a heatmap of the prediction
        self.names = [name for name, _ in self.scalar_model.named_parameters()]
        self.history = []  # per step: {"step", "train_loss", "val_loss"}
        self.acc_history = []  # [step, val accuracy %, test accuracy %] after each step request
        self.pick = old_pick if old_pick and self._label_fits(old_pick[2]) else None  # (x, y, label) traced
        self.expand = getattr(self, "expand", False)  # show fused nodes as primitive ops
        self.domain = self._domain()
        self.target_scale = self._target_scale() if self.regression else None
        self.acc_history.append([0, *self._accuracies()])
        # ---- hook (web/share.py): what a shared link replays: the run's first config and every edit, by step
        self.base_config, self.edits, self.origin = config, [], "config"

    # ------------------------------------------------------------------ training
    def step(self, steps=1):
        """Up to `steps` training steps (fewer if the time budget runs out); returns their records."""
        records, t0 = [], time.perf_counter()
        for _ in range(steps):
            try:
                rec = self.trainer.train_step()
            except (ValueError, OverflowError, ZeroDivisionError) as e:  # e.g. logits overflowed to inf
                self.history.extend(records)
                raise Conflict(
                    f"training diverged at step {self.trainer.step} ({e}); lower the learning rate and reset"
                ) from None
            # losses keep every bit (JSON floats round-trip); a non-finite one becomes null
            rec = {k: (v if math.isfinite(v) else None) if isinstance(v, float) else v for k, v in rec.items()}
            records.append(rec)
            if time.perf_counter() - t0 > STEP_BUDGET_SECONDS:
                break
        self.history.extend(records)
        self.acc_history.append([self.trainer.step, *self._accuracies()])
        self.history, self.acc_history = thin(self.history), thin(self.acc_history)
        return records

    def _label_fits(self, label):
        """Whether a kept point's label is one this run has (a class index, or any target in a regression run)."""
        return isinstance(label, float) if self.regression else isinstance(label, int) and label < self.nclasses

    def _accuracies(self):
        """[val %, test %]; a regression run has no accuracy ([None, None]: the page shows none)."""
        if self.regression:
            return [None, None]
        out = []
        for split in (self.trainer.val_split, self.trainer.test_split):
            correct, total = self.trainer.accuracy(split)
            out.append(round(100.0 * correct / total, 2))
        return out

    # ------------------------------------------------------------------ points
    def points(self):
        """The points in the plane (Trainer.points, not the features the model reads): [x, y, label] per split."""
        t = self.trainer
        return {
            name: [[_f(p[0][0]), _f(p[0][1]), _f(p[1]) if self.regression else p[1]] for p in s]
            for name, s in zip(SPLITS, t.points)
        }

    def parse_point(self, body, need_label=True, extra=()):
        """(x, y, label) of a request's point: a class of this run, or a regression run's float target."""
        return parse_point(body, self.nclasses, need_label, extra, target=self.regression)

    def add_point(self, x, y, label):
        """A new training point of class `label` (a target in a regression run): the page's click."""
        if sum(len(s) for s in self.trainer.splits) >= LIMITS["points"]:
            raise Conflict(f"at most {LIMITS['points']} points per session; remove some first")
        t = self.trainer
        t.points[0].append(([x, y], label))
        if t.splits[0] is not t.points[0]:  # feature inputs: the model's split holds the point's features
            t.splits[0].append((datasets.feature_row(x, y, t.config.features), label))
        self._points_changed()
        self.edits.append([self.trainer.step, "add", x, y, label])  # hook (web/share.py): replayed by a link
        self.acc_history.append([self.trainer.step, *self._accuracies()])

    def remove_nearest(self, x, y):
        """Remove the point nearest to (x, y) from whichever split holds it; returns it."""
        best, t = None, self.trainer
        for si, split in enumerate(t.points):
            for pi, (xy, _label) in enumerate(split):
                d = (xy[0] - x) ** 2 + (xy[1] - y) ** 2
                if best is None or d < best[0]:
                    best = (d, si, pi)
        _, si, pi = best
        split = t.points[si]
        if len(split) == 1:
            raise Conflict(f"the nearest point is the last one of the {SPLITS[si]} split; it cannot be removed")
        xy, label = split.pop(pi)
        if t.splits[si] is not split:  # the model's split (features) in step with the plane's
            t.splits[si].pop(pi)
        self._points_changed()
        self.edits.append([self.trainer.step, "remove", x, y])  # hook (web/share.py): replayed by a link
        self.acc_history.append([self.trainer.step, *self._accuracies()])
        return {"split": SPLITS[si], "x": xy[0], "y": xy[1], "label": label}

    def _points_changed(self):
        """After a split changed in place: the tensor engine turns each split into arrays once (keyed by
        the list), so it must read them again."""
        self.trainer.engine.forget_splits()

    # ------------------------------------------------------------------ the boundary
    def _domain(self):
        """A square around all points, padded: the heatmap's extent (fixed until reset)."""
        m = max(max(abs(xy[0]), abs(xy[1])) for s in self.trainer.points for xy, _ in s)
        r = max(2.0, 1.15 * m)
        return [-r, r, -r, r]

    def _target_scale(self):
        """A regression run's colour scale: the largest |target| of its points (at least 1), fixed until reset."""
        return max([1.0] + [abs(y) for s in self.trainer.points for _, y in s if math.isfinite(y)])

    def grid(self):
        """Class probabilities on a GRID x GRID grid over the domain, as ints 0..100, row-major from the
        top-left (y max) corner; computed with NumPy, no graphs built. The model reads each cell's
        features (data.feature_columns). A regression run's grid is its prediction instead, as ints
        -100..100 of "scale" (the largest |target|, so the points and the map share one colour scale)."""
        import numpy as np

        with np.errstate(all="ignore"):  # a diverged model may hold inf: show it as a flat grid
            cells = plane_inputs(self.inputs, *cell_centres(self.domain, GRID))  # the model's inputs (features)
            h = layer_values(layer_arrays(self.model), cells)[-1]  # (G*G, nout)
            if self.regression:
                scale = self.target_scale
                v = np.nan_to_num(np.clip(h[:, 0] / scale, -1.0, 1.0), nan=0.0)
                return {
                    "size": GRID,
                    "classes": 1,
                    "regression": True,
                    "scale": scale,
                    "values": np.rint(v * 100).astype(int).tolist(),
                }
            p = np.exp(h - h.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
        p = np.nan_to_num(p, nan=1.0 / self.nclasses)
        return {"size": GRID, "classes": self.nclasses, "probs": np.rint(p * 100).astype(int).ravel().tolist()}

    def lines(self):
        """The first hidden layer's zero-level lines w0*x + w1*y + b = 0, as [w0, w1, b]
        (straight lines in the input plane; deeper neurons' zero sets are curves)."""
        if len(self.model.layers) < 2 or self.inputs != ["x", "y"]:
            return []
        W, b = self.model.weights()[0]
        return [[_f(w[0], 9), _f(w[1], 9), _f(bi, 9)] for w, bi in zip(W, b)]

    # ------------------------------------------------------------------ optimizer state
    def optimizer_state(self):
        """Per parameter: name, value, the last step's grad and update, and the optimizer's
        state (moments) under the optimizer's own names (m/v, exp_avg/exp_avg_sq, ...)."""
        opt = self.trainer.optimizer
        keys = []
        for st in opt.state:
            for k in st:
                if k not in keys:
                    keys.append(k)
        # one column per quantity, flattened from the tensor model's arrays into the scalar parameter order
        cols = [flat([p.data for p in opt.params]), flat(opt.last_grad)]
        cols += [flat([st[k] for st in opt.state]) if all(k in st for st in opt.state) else None for k in keys]
        cols.append(flat(opt.last_update))
        rows = [[name] + [_f(col[i], 9) if col is not None else None for col in cols] for i, name in enumerate(self.names)]
        return {
            "optimizer": type(opt._opt).__name__,
            "t": opt.t,
            "columns": ["parameter", "value", "grad", *keys, "update"],
            "rows": rows,
        }

    # ------------------------------------------------------------------ compute graph
    def trace(self, x, y, label, expand=False):
        """The compute graph of one datapoint's loss, with data and grad on every node.

        Gradients are zeroed before the backward pass (the course's page forgot, so its
        graph showed this point's gradient plus the last training step's), and again after
        it, so tracing never leaks into training. `expand=True` shows the fused nodes as
        the primitive ops they stand for (`micrograd.viz.graph.describe` asks each node).
        """
        from ..viz.graph import describe

        model = self.sync_scalar()  # the scalar twin, with the tensor model's current weights
        model.zero_grad()
        try:
            # the inputs as training computes them (math.sin), as leaves we can name
            xs = [Value(float(v)) for v in (datasets.feature_row(x, y, self.inputs) if self._featured() else [x, y])]
            names = {"params": dict(model.named_parameters()), "inputs": dict(zip(self.input_labels(), xs))}
            labels, neurons = {}, {}  # neurons: name -> (layer, index in the layer)
            try:
                h = xs
                for n, layer in enumerate(model.layers):  # the model's forward, naming each neuron's node
                    h = layer.outputs(h)
                    for j, node in enumerate(h):
                        labels[f"layers.{n}.neurons.{j}"], neurons[f"layers.{n}.neurons.{j}"] = node, (n, j)
                loss = _squared_error(h[0], label) if self.regression else cross_entropy(h, label)  # the run's loss
            except (ValueError, OverflowError) as e:  # a diverged model: non-finite logits
                raise Conflict(f"cannot trace this point: {e}") from None
            loss.backward()
            fused = describe(loss, labels={**labels, "loss": loss}, **names)
            if len(fused.nodes) > MAX_GRAPH_NODES:
                raise Conflict(
                    f"the graph has {len(fused.nodes)} nodes, more than the {MAX_GRAPH_NODES} the page can draw; "
                    "use smaller hidden layers"
                )
            last = len(self.model.layers) - 1
            graph = graph_json(fused, neurons, (x, y, label), self.inputs, self.input_labels(), last, self.regression)
            if expand:
                try:
                    expanded = describe(loss, expand=True, max_nodes=MAX_GRAPH_NODES, labels={"loss": loss}, **names)
                    graph = {**expanded_json(expanded.leaves_first()), "point": graph["point"]}
                except Exception as e:  # an optional view: never let it break the page
                    graph["note"] = f"fused nodes could not be expanded ({type(e).__name__}: {e})"
            return graph
        finally:
            model.zero_grad()

    def input_labels(self):
        """The traced graph's names of the inputs: x[0], x[1] for a plain 2-D run, else the feature names."""
        return list(self.INPUT_NAMES) if self.inputs == ["x", "y"] else list(self.inputs)

    def _featured(self):
        return all(name in datasets.FEATURES for name in self.inputs)

    def sync_scalar(self):
        """The scalar twin with the tensor model's weights copied in (the graph shows the trained weights)."""
        for layer, (W, b) in zip(self.scalar_model.layers, self.model.weights()):
            for neuron, row, bias in zip(layer.neurons, W, b):
                for w, v in zip(neuron.w, row):
                    w.data = v
                neuron.b.data = bias
        return self.scalar_model

    # ------------------------------------------------------------------ the network view (web.network)
    def network(self, maps=True):
        """The diagram's data: input names, layer sizes, every edge's weight and last gradient (None
        before the first step), and with `maps` every node's map over the plane (the heavy part)."""
        arrays = layer_arrays(self.model)
        opt = self.trainer.optimizer
        g = opt.last_grad  # per tensor parameter: [W0, b0, W1, b1, ...]
        grads = list(zip(g[::2], g[1::2])) if opt.t else None
        out = {"inputs": self.inputs, "sizes": [self.model.nin, *self.model.nouts], "layers": edge_json(arrays, grads)}
        if maps:
            out["maps"] = neuron_maps(arrays, self.inputs, self.domain)
        return out

    def set_weight(self, layer, to, frm, value):
        """Set one weight (frm an input index) or bias (frm None) of the training model, and its scalar twin."""
        lin = self.model.layers[layer]
        p = lin.bias if frm is None else lin.weight
        data = p.data.copy()  # a new array: nothing else holding the old one sees it change
        data[(to,) if frm is None else (to, frm)] = value
        p.data = data
        self.sync_scalar()
        edit = {"layer": layer, "to": to, "from": "bias" if frm is None else frm, "value": value}
        self.edits.append([self.trainer.step, "weight", edit])  # hook (web/share.py): replayed by a link
        self.acc_history.append([self.trainer.step, *self._accuracies()])

    # ------------------------------------------------------------------ what the page gets
    def snapshot(self, history=True, light=False):
        """Everything the page draws, JSON-ready; `history=False` leaves out the step history.
        `light=True`: only what changes every training step (a playing page's frames between full ones)."""
        if light:
            return {
                "session": self.id,
                "light": True,
                "step": self.trainer.step,
                "accuracy": self.acc_history[-1],
                "lines": self.lines(),
                "network": self.network(maps=False),
            }
        snap = {
            "session": self.id,
            "config": {k: getattr(self.config, k) for k in CONFIG_FIELDS if k != "preset"},
            "step": self.trainer.step,
            "classes": self.nclasses,
            "regression": self.regression,
            "domain": self.domain,
            "points": self.points(),
            "grid": self.grid(),
            "lines": self.lines(),
            "accuracy": self.acc_history[-1],
            "optimizer": self.optimizer_state(),
            "network": self.network(),
            "graph": None,
        }
        if self.pick:
            try:
                snap["graph"] = self.trace(*self.pick, expand=self.expand)
            except Conflict as e:  # the page shows the message instead of the graph
                snap["graph_error"] = str(e)
        if history:
            snap["history"] = self.history
            snap["accuracy_history"] = self.acc_history
        return snap


# ---------------------------------------------------------------------- the store


class StoreFull(RuntimeError):
    """Every session slot is held by a session in use: the server answers 503 with this message."""


class SessionStore:
    """Sessions by id: created on demand, expired after `idle_seconds` without a request, at most
    `max_sessions`. A new session may evict the least recently used one only if it has been idle
    for `active_seconds`; if every session is in use, `create` raises `StoreFull` (never evicts an
    active one: two tabs must not take turns resetting each other)."""

    def __init__(self, default_preset="seed", max_sessions=16, idle_seconds=1800.0, active_seconds=ACTIVE_SECONDS):
        TrainConfig.preset(default_preset)  # refuse an unknown preset now, not on first use
        self.default_preset = default_preset
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.active_seconds = active_seconds
        self._sessions = {}
        self._reserved = 0  # slots taken by sessions being built (outside the lock)
        self._lock = threading.Lock()

    def _expire(self, now):
        for sid in [sid for sid, s in self._sessions.items() if now - s.touched > self.idle_seconds]:
            del self._sessions[sid]

    def check_room(self):
        """Raise StoreFull now if a new session could not get a slot (the server asks before it
        waits for a worker); `create` checks again."""
        self._reserve(take=False)

    def _reserve(self, take=True):
        """Take a slot for a new session, evicting an idle one if needed; StoreFull if none is free."""
        with self._lock:
            now = time.monotonic()
            self._expire(now)
            if len(self._sessions) + self._reserved >= self.max_sessions:
                idle = [s for s in self._sessions.values() if now - s.touched > self.active_seconds]
                if not idle:
                    raise StoreFull(
                        f"the demo server is full: all {self.max_sessions} sessions are in use (each had a request in "
                        f"the last {self.active_seconds:g} s); close another tab of this demo or try again in a minute"
                    )
                del self._sessions[min(idle, key=lambda s: s.touched).id]
            self._reserved += take

    def create(self, body):
        cfg = parse_config(body, self.default_preset)  # validate before building anything
        self._reserve()  # before building: a full server refuses at once, without the work
        session = None
        try:
            session = Session(cfg)
        finally:
            with self._lock:  # the reserved slot becomes the session's in one step: never over the bound
                self._reserved -= 1
                if session is not None:
                    self._sessions[session.id] = session
        return session

    def get(self, sid):
        """The live session `sid`, touched; None if unknown or expired."""
        with self._lock:
            now = time.monotonic()
            self._expire(now)
            s = self._sessions.get(sid)
            if s is not None:
                s.touched = now
            return s

    def delete(self, sid):
        with self._lock:
            return self._sessions.pop(sid, None) is not None

    def __len__(self):
        with self._lock:
            return len(self._sessions)

    def __contains__(self, sid):  # hook (web/compare.py): is `sid` alive? Unlike get(), this does not touch it
        with self._lock:
            self._expire(time.monotonic())
            return sid in self._sessions
