"""micrograd.web.share — a demo run shared exactly: links, checkpoints in and out, CSV drops, live hyperparameters.

    token = share_token(session)            # base64url JSON: {"v", "p": preset, "c": config diff, "e": edits, "s": step}
    s = replay(store, token)                # a new session at the same step, the same numbers bit for bit
    doc = checkpoint_doc(session)           # a micrograd checkpoint (the CLI's format): `micrograd train --resume`
    load_checkpoint(session, raw_bytes)     # validated exactly as `--resume` validates (micrograd.checkpoint.load)
    load_csv_text(session, {"name", "csv"}) # validated exactly as `--data` (micrograd.data.load_csv)
    set_hyperparameters(session, {"lr": 0.01})   # the live optimizer's, without a reset

A run is replayable from its first config and its edits: the session records every point added
or removed, every hyperparameter change and every weight set on the network view with the step
it happened at (session.py's hooks), and a replay applies each at the same step boundary, so
every float comes out the same. A run
whose data came from an uploaded file (a CSV drop, an uploaded checkpoint) has no such recipe:
its link is refused with a message (download a checkpoint instead).

Checkpoints: a download is what `micrograd.checkpoint.save` writes, so `micrograd train --resume
FILE` continues it on the CLI with identical lines. The data are regenerated from the config on
resume (and checked against the saved fingerprint), so a run whose points were edited cannot be
a checkpoint (refused, 409, saying so; share its link instead); a CSV run's checkpoint names the
dropped file: resume it with `--data FILE` (the fingerprint checks it is the same file). An
uploaded checkpoint naming a data file is refused: the server reads no file a request names.

Every refusal is a `forms.BadRequest` (or subclass) with a message naming the field and value;
the limits are `forms.LIMITS` (share_chars, edits, replay_steps, checkpoint_bytes, csv_bytes).
"""

import base64
import dataclasses
import json
import os
import re
import tempfile
import time

from .. import checkpoint
from .. import data as datasets
from ..config import OPTIMIZERS, TrainConfig, hyperparameters
from ..train import LIVE_SETTINGS, make_trainer
from . import compare, forms, network
from .compare import MethodNotAllowed, NotFound
from .forms import LIMITS, BadRequest, Conflict
from .network import RecordingOptimizer
from .session import Session

SHARE_VERSION = 1
_SESSION_PATH = re.compile(r"^/api/sessions/([0-9a-f]{32})/(share|checkpoint|hyper|data)$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]*$")


# ---------------------------------------------------------------------- live hyperparameters


def set_hyperparameters(s, body, record=True):
    """Change the live training settings without a reset (`Trainer.set_hyperparameters`): lr, and
    beta1/beta2/weight_decay/momentum where the optimizer takes them, and regularization, reg_rate,
    batch_size; its moments and step count stay. Validated as TrainConfig validates them (and the demo's
    LIMITS); recorded as an edit so a shared link replays it."""
    names = (*hyperparameters(), *LIVE_SETTINGS)
    forms._only(body, names, "hyperparameter change")
    if not body:
        raise BadRequest(f"a hyperparameter change needs at least one of {', '.join(names)}")
    takes = (*OPTIMIZERS[s.config.optimizer].takes, *LIVE_SETTINGS)
    for k in body:
        if k not in takes:
            raise BadRequest(f"{k} is not a hyperparameter of optimizer {s.config.optimizer!r} (it takes {', '.join(takes)})")
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    values = {k: _live_value(body, fields[k]) for k in sorted(body)}
    try:
        s.trainer.set_hyperparameters(**values)  # all checked first: nothing changes unless all are valid
    except (TypeError, ValueError) as e:
        raise BadRequest(str(e)) from None
    s.config = dataclasses.replace(s.config, **values)  # the form's config (the trainer's runs the tensor engine)
    if record:
        s.edits.append([s.trainer.step, "hyper", values])


def _live_value(body, f):
    """One live setting's JSON value: a number within the demo's LIMITS, or a choice (regularization)."""
    if f.metadata.get("choices") is not None:
        return forms._choice(body, f.name, tuple(f.metadata["choices"]))
    if f.type is int:
        return forms._int(body, f.name, *LIMITS.get(f.name, (0, LIMITS["points"])))
    return forms._number(body, f.name, *LIMITS.get(f.name, (None, None)))


# ---------------------------------------------------------------------- share links


def _preset_of(cfg):
    """(preset name, the demo fields that differ from it) for a session's config."""
    fields = [f.name for f in forms.demo_fields()]
    mine = {**cfg.to_dict(), "eval_every": None}
    for name in TrainConfig.PRESETS:
        base = TrainConfig.preset(name)
        if {**base.to_dict(), **{k: getattr(cfg, k) for k in fields}, "eval_every": None} == mine:
            return name, {k: getattr(cfg, k) for k in fields if getattr(cfg, k) != getattr(base, k)}
    raise Conflict("this run's config is not a preset with demo settings; it cannot be shared as a link")


def share_token(s):
    """The run as a compact URL-safe token (base64url JSON, no padding), at most LIMITS['share_chars']."""
    if s.origin != "config":
        what = {"csv": "an uploaded CSV file", "checkpoint": "an uploaded checkpoint"}[s.origin]
        raise Conflict(f"this run's data come from {what}: a link cannot carry them; download a checkpoint instead")
    preset, diff = _preset_of(s.base_config)
    doc = {"v": SHARE_VERSION, "p": preset, "c": diff, "e": s.edits, "s": s.trainer.step}
    raw = json.dumps(doc, separators=(",", ":"), allow_nan=False).encode()
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    if len(token) > LIMITS["share_chars"]:
        raise Conflict(
            f"this run's link would be {len(token)} characters, over the limit of {LIMITS['share_chars']} "
            f"({len(s.edits)} edits); download a checkpoint instead"
        )
    if len(s.edits) > LIMITS["edits"]:
        raise Conflict(f"this run has {len(s.edits)} edits, over the limit of {LIMITS['edits']} for a link")
    return token


def decode_token(token):
    """The shared run's dict from a token, its shape checked (the values are checked on replay)."""
    if not isinstance(token, str) or not token:
        raise BadRequest(f"token must be a non-empty string, got {token!r}")
    if len(token) > LIMITS["share_chars"]:
        raise BadRequest(f"token is {len(token)} characters, over the limit of {LIMITS['share_chars']}")
    if not _TOKEN.match(token):
        raise BadRequest("token must be base64url (A-Z a-z 0-9 - _): the link was cut or changed")
    try:
        doc = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)), parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("token does not decode to a shared run: the link was cut or changed") from None
    forms._only(doc, ("v", "p", "c", "e", "s"), "shared run")
    for key in ("v", "p", "c", "e", "s"):
        if key not in doc:
            raise BadRequest(f"shared run is missing field {key!r}: the link was cut or changed")
    if doc["v"] != SHARE_VERSION or isinstance(doc["v"], bool):
        raise BadRequest(f"shared run has version {doc['v']!r}; this server reads version {SHARE_VERSION}")
    if not isinstance(doc["c"], dict) or "preset" in doc["c"]:
        raise BadRequest(f"shared run's config must be an object of demo settings, got {doc['c']!r}")
    forms._int(doc, "s", 0, LIMITS["replay_steps"])
    edits = doc["e"]
    if not isinstance(edits, list) or len(edits) > LIMITS["edits"]:
        raise BadRequest(f"shared run's edits must be a list of at most {LIMITS['edits']}, got {type(edits).__name__}")
    last = 0
    for i, e in enumerate(edits):
        if not isinstance(e, list) or len(e) < 2 or not isinstance(e[1], str):
            raise BadRequest(f"edit {i} must be [step, op, ...], got {e!r}")
        forms._int({f"edit {i} step": e[0]}, f"edit {i} step", last, doc["s"])
        last = e[0]
        shapes = {"add": 5, "remove": 4, "hyper": 3, "weight": 3}
        if e[1] not in shapes or len(e) != shapes[e[1]]:
            raise BadRequest(
                f"edit {i} must be [step, 'add', x, y, label], [step, 'remove', x, y], [step, 'hyper', {{...}}] "
                "or [step, 'weight', {...}]"
            )
    return doc


def _no_constant(name):
    raise ValueError(name)


def advance(s, step, deadline=None):
    """Train session `s` until it has done `step` steps (several requests' worth if need be); Conflict
    if `deadline` (a time.monotonic() value) passes first."""
    while s.trainer.step < step:
        if deadline is not None and time.monotonic() > deadline:
            raise Conflict(
                f"replaying this run took over {LIMITS['replay_seconds']:g} s (step {s.trainer.step} of {step}); "
                "ask its author for a checkpoint instead"
            )
        s.step(min(step - s.trainer.step, LIMITS["steps"][1]))


def replay(store, token):
    """A new session in `store` replaying the shared run: its config, each edit at its step, up to its step."""
    doc = decode_token(token)
    s = store.create({"preset": doc["p"], **doc["c"]})  # the config validated as any new session's
    deadline = time.monotonic() + LIMITS["replay_seconds"]
    try:
        for i, e in enumerate(doc["e"]):
            advance(s, e[0], deadline)
            body = dict(zip(("x", "y", "label"), e[2:])) if e[1] in ("add", "remove") else e[2]
            try:
                if e[1] == "add":
                    s.add_point(*s.parse_point(body))
                elif e[1] == "remove":
                    s.remove_nearest(*s.parse_point(body, need_label=False)[:2])
                elif e[1] == "weight":  # a weight or bias set on the network view
                    s.set_weight(*network.parse_weight(body, network.layer_arrays(s.model)))
                else:
                    set_hyperparameters(s, body)
            except BadRequest as err:
                raise type(err)(f"shared run, edit {i}: {err}") from None
        advance(s, doc["s"], deadline)
    except BaseException:
        store.delete(s.id)
        raise
    return s


# ---------------------------------------------------------------------- checkpoints


def checkpoint_doc(s):
    """The session's run as a micrograd checkpoint document (a dict; `json.dumps` it to a file).

    It is the run the page trained: on the tensor engine (its config says engine "tensor", its model
    holds the tensor MLP's arrays), so `micrograd train --resume FILE` continues it on the CLI with the
    lines the page's next steps print, bit for bit."""
    if any(e[1] in ("add", "remove") for e in s.edits):
        n = sum(e[1] in ("add", "remove") for e in s.edits)
        raise Conflict(
            f"this run's points were edited ({n} edit{'s' if n > 1 else ''}): a checkpoint regenerates its data from the "
            "config, so it cannot hold them; share the run's link instead (it replays the edits)"
        )
    t = s.trainer
    cfg = dataclasses.replace(t.config, steps=max(t.config.steps, t.step))  # the trainer's: engine "tensor"
    if s.origin == "csv":
        cfg.data = s.csv_name  # resume with --data FILE: the saved fingerprint checks it is the same file
    with tempfile.TemporaryDirectory(prefix="micrograd-demo-") as d:
        path = os.path.join(d, "run.ckpt.json")
        try:
            checkpoint.save(path, t.model, t.optimizer._opt, t.rng, t.step, cfg, data=t.splits)
        except ValueError as e:  # a diverged run holds non-finite numbers
            raise Conflict(str(e)) from None
        with open(path, encoding="utf-8") as f:
            return json.load(f)


def adopt(trainer, twin):
    """Put the state of `twin`, a restored run on the scalar (or compiled) engine, into `trainer`, the same
    run on the tensor engine: the weights, the optimizer's moments and step count, the RNG and the step.

    The scalar engine keeps one state dict per number (neuron by neuron: its weights, then its bias);
    the tensor engine one per layer's W (nout, nin) and b (nout,). The numbers are copied exactly."""
    import numpy as np

    from ..tensor import MLP as TensorMLP

    trainer.model.load_state_dict(TensorMLP.from_scalar(twin.model).state_dict())
    scalar_opt, opt = twin.optimizer, trainer.optimizer
    opt = getattr(opt, "_opt", opt)  # the session's RecordingOptimizer wraps the real one
    state, k = [], 0
    for W, _b in zip(opt.params[::2], opt.params[1::2]):
        nout, nin = W.data.shape
        seg = scalar_opt.state[k : k + nout * (nin + 1)]
        k += nout * (nin + 1)
        keys = sorted(seg[0]) if seg[0] else []
        if not keys:  # before the first step: no state yet
            state += [{}, {}]
            continue
        cols = {key: np.array([st[key] for st in seg], dtype=np.float64).reshape(nout, nin + 1) for key in keys}
        state.append({key: a[:, :nin].copy() for key, a in cols.items()})
        state.append({key: a[:, nin].copy() for key, a in cols.items()})
    opt.load_state_dict({"t": scalar_opt.t, "state": state})
    trainer.rng.setstate(twin.rng.getstate())
    trainer.step = twin.step


def _transplant(s, built, origin):
    """Make session `s` the run `built` holds (its id, lock and clock stay): all-or-nothing."""
    keep = {k: getattr(s, k) for k in ("id", "lock", "touched", "pick", "expand")}
    s.__dict__.update({k: v for k, v in built.__dict__.items()})
    s.__dict__.update(keep)
    if s.pick and not s._label_fits(s.pick[2]):
        s.pick = None
    s.origin = origin


def _in_limits(config):
    """The demo's LIMITS (and its datasets) on a config that did not come through the form (an uploaded checkpoint)."""
    forms.parse_config({f.name: config[f.name] for f in forms.demo_fields() if f.name in config})


def load_checkpoint(s, raw):
    """Replace session `s`'s run with an uploaded checkpoint (bytes), validated as `--resume` validates it.

    A checkpoint of any engine is accepted: the session trains on the tensor engine, so a scalar or compiled
    engine's run (the CLI's default) is restored on its own engine first (every check `--resume` makes),
    then its state is copied into the tensor run (`adopt`): it continues from the same weights, moments,
    RNG and step (its numbers equal the scalar engine's to ~1e-12)."""
    if len(raw) > LIMITS["checkpoint_bytes"]:
        raise BadRequest(f"checkpoint is {len(raw)} bytes, over the limit of {LIMITS['checkpoint_bytes']}")
    with tempfile.TemporaryDirectory(prefix="micrograd-demo-") as d:
        path = os.path.join(d, "uploaded.ckpt.json")
        with open(path, "wb") as f:
            f.write(raw)
        try:
            ckpt = checkpoint.load(path)
        except ValueError as e:
            raise BadRequest(str(e).replace(repr(path), "'uploaded checkpoint'")) from None
    if ckpt.config.get("data") is not None:
        raise BadRequest(
            f"checkpoint's run reads the data file {ckpt.config['data']!r}: the demo server reads no file a request "
            "names; resume it with `micrograd train --resume FILE --data CSV` instead"
        )
    _in_limits(ckpt.config)
    try:
        built = Session(ckpt.train_config())
        inner = built.trainer.optimizer._opt
        if ckpt.config.get("engine") == "tensor":
            built.trainer.optimizer = inner  # restore checks the optimizer's own type
            try:
                checkpoint.restore(built.trainer, ckpt)
            finally:
                built.trainer.optimizer = RecordingOptimizer(inner)
        else:  # the scalar (or compiled) engine's run: restored as `--resume` restores it, then moved over
            twin = make_trainer(ckpt.train_config())
            checkpoint.restore(twin, ckpt)
            adopt(built.trainer, twin)
            built.trainer.optimizer = RecordingOptimizer(inner)  # fresh last_grad/last_update of the right shapes
    except ValueError as e:
        raise BadRequest(str(e).replace(repr(ckpt.path), "'uploaded checkpoint'")) from None
    h = ckpt.history or {}
    val = h.get("val_loss", {})
    built.history = [
        {"step": i, "train_loss": v, **({"val_loss": val[str(i)]} if str(i) in val else {})}
        for i, v in enumerate(h.get("train_loss", []))
    ]
    built.acc_history = [[built.trainer.step, *built._accuracies()]]
    _transplant(s, built, "checkpoint")


def load_csv_text(s, body, default_preset="seed"):
    """Replace session `s`'s run with one on a dropped CSV file {"name", "csv", "config"?}, validated as `--data`."""
    forms._only(body, ("name", "csv", "config"), "CSV upload")
    name, text = body.get("name"), body.get("csv")
    if not isinstance(name, str) or not re.fullmatch(r"[^/\\\0]{1,100}", name):
        raise BadRequest(f"name must be a file name of 1 to 100 characters, got {name!r}")
    if not isinstance(text, str):
        raise BadRequest(f"csv must be the file's text, got {type(text).__name__}")
    if len(text.encode()) > LIMITS["csv_bytes"]:
        raise BadRequest(f"csv file {name!r} is {len(text.encode())} bytes, over the demo's limit of {LIMITS['csv_bytes']}")
    cfg = forms.parse_config(body.get("config", {}), default_preset)
    with tempfile.TemporaryDirectory(prefix="micrograd-demo-") as d:
        path = os.path.join(d, "upload.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        try:
            splits = datasets.load_csv(path)
            npoints, nin = sum(map(len, splits)), len(splits[0][0][0])
            if nin != 2:
                raise BadRequest(f"csv file {name!r} has {nin} coordinate columns; the demo draws points in 2-D: give 2")
            if npoints > LIMITS["points"]:
                raise BadRequest(f"csv file {name!r} has {npoints} points, over the demo's limit of {LIMITS['points']}")
            built = Session(dataclasses.replace(cfg, data=path))
        except BadRequest:
            raise
        except (ValueError, OSError) as e:  # load_csv's message names the file and the line
            raise BadRequest(str(e).replace(path, name)) from None
    built.csv_name = os.path.basename(name)
    _transplant(s, built, "csv")


# ---------------------------------------------------------------------- the API


def api(handler, method, path):
    """The routes this module (and web.compare) answers: (status, JSON) or None if the path is not theirs.

    POST   /api/share                 {"token"}             -> 201 snapshot (a new session replaying the run)
    GET    /api/sessions/ID/share                           -> {"token", "chars"}
    GET    /api/sessions/ID/checkpoint                      -> the run as a micrograd checkpoint document
    POST   /api/sessions/ID/checkpoint  <checkpoint file>   -> snapshot (the run replaced by the checkpoint's)
    POST   /api/sessions/ID/data      {"name", "csv", "config"?} -> snapshot (a run on the dropped CSV file)
    POST   /api/sessions/ID/hyper     {"lr": 0.01, ...}     -> snapshot (the live optimizer changed)
    /api/compare...                                        see web.compare
    """
    store = handler.server.store
    if path.startswith("/api/compare"):
        return compare.api(handler, method, path)
    if path == "/api/share":
        _allow(method, path, "POST")
        body = handler._body()
        forms._only(body, ("token",), "share request")
        return 201, compare.compute(handler, lambda: replay(store, body.get("token")).snapshot())
    m = _SESSION_PATH.match(path)
    if not m:
        return None
    sid, action = m.groups()
    _allow(method, path, "GET" if action == "share" else "POST" if action in ("hyper", "data") else ("GET", "POST"))
    if action == "checkpoint" and method == "POST":
        body = handler._body(limit=LIMITS["checkpoint_bytes"], as_bytes=True)
    elif method == "POST":  # a dropped CSV file comes as JSON text: its limit, plus room for the config
        body = handler._body(limit=LIMITS["csv_bytes"] + 4096) if action == "data" else handler._body()
    s = store.get(sid)
    if s is None:
        raise NotFound(f"unknown session {sid!r} (it may have expired)")

    def work():
        if action == "share":
            token = share_token(s)
            return {"token": token, "chars": len(token), "step": s.trainer.step}
        if action == "checkpoint" and method == "GET":
            return checkpoint_doc(s)
        if action == "checkpoint":
            load_checkpoint(s, body)
        elif action == "data":
            load_csv_text(s, body, store.default_preset)
        else:
            set_hyperparameters(s, body)
        return s.snapshot()

    with compare.locked([s]):
        return 200, compare.compute(handler, work)


def _allow(method, path, allowed):
    allowed = (allowed,) if isinstance(allowed, str) else allowed
    if method not in allowed and not ("GET" in allowed and method == "HEAD"):
        raise MethodNotAllowed(f"{method} is not allowed on {path}; use {' or '.join(allowed)}")
