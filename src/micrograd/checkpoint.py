"""micrograd.checkpoint — save and resume a training run (JSON, atomic, validated; never pickle).

    from micrograd import checkpoint
    checkpoint.save_trainer("run.ckpt.json", trainer, history)   # or save(path, model, optimizer, rng, step, config)
    ckpt = checkpoint.load("run.ckpt.json")                       # validated; ValueError naming what is wrong
    trainer = make_trainer(ckpt.train_config())
    checkpoint.restore(trainer, ckpt)                             # all-or-nothing
    fit(trainer=trainer, history=ckpt.history)                    # continues bit for bit

A resumed run prints exactly what the uninterrupted run prints from the saved step on:
the data are regenerated from the config (and checked against a fingerprint), and the
model, optimizer and RNG states are stored with exact floats.

## The format (version 1)
One UTF-8 JSON object, indented so a human can read and diff it:

    {
     "format": "micrograd-checkpoint",
     "version": 1,
     "sha256": "<hex sha256 of the canonical JSON of payload>",
     "payload": {
      "config":    {TrainConfig fields: dataset, n, hidden, optimizer, lr, steps, seed, ...},
      "step":      37,                          # training steps done; resuming runs step 37 next
      "model":     {"layers.0.neurons.0.w.0": 0.123, ...},   # Module.state_dict(): name -> float
                                                             # (tensor engine: name -> nested lists)
      "optimizer": {"type": "SeedAdam", "t": 37, "hyper": {"lr": 0.1, ...},
                    "state": [{"m": ..., "v": ...}, ...]},   # one dict per parameter, in order
      "rng":       "1234567890123456789",       # RNG.getstate(), a 64-bit int kept as a decimal
                                                # string (JSON readers other than Python's lose bits)
      "data_sha256": "<hex>",                   # fingerprint of the (train, val, test) points, or null
      "history":   {"train_loss": [...], "val_loss": {"0": 1.09, "10": ...}} or null
     }
    }

- Floats are written with Python's `repr` (what `json` does), which reads back to the
  same bits; NaN and infinities are refused both ways (JSON has no such numbers).
- The canonical JSON hashed is `json.dumps(payload, sort_keys=True, separators=(",", ":"))`.
  The checksum detects corruption and casual edits; it is not a signature.
- Written atomically: a temporary file in the same directory, flushed and fsync'd, then
  `os.replace`d over the target (and the directory fsync'd). A crash mid-save leaves the
  previous file intact.
"""

import dataclasses
import hashlib
import json
import math
import os
import secrets
import signal
import threading
from contextlib import contextmanager

FORMAT = "micrograd-checkpoint"
VERSION = 1
DEFAULT_INTERRUPT_PATH = "micrograd-interrupted.ckpt.json"

# the keys a parameter's state holds, per optimizer (empty before its first step)
_STATE_KEYS = {
    "SeedAdam": {"m", "v"},
    "Adam": {"exp_avg", "exp_avg_sq"},
    "AdamW": {"exp_avg", "exp_avg_sq"},
    "SGD": {"momentum_buffer"},
}


class CheckpointError(ValueError):
    """A checkpoint file or state that cannot be used; the message says what is wrong."""


# ---------------------------------------------------------------------- atomic files


def _check_path(path, name="path"):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike, got {type(path).__name__} {path!r}")
    path = os.fspath(path)
    if path == "":
        raise ValueError(f"{name} must not be empty")
    return path


def check_target(path, name="path", probe=True):
    """Raise now (before a long run) if `path` cannot be saved to; returns its directory.

    With `probe`, a file is created and removed in the directory: a read-only directory
    or file system is found now, not when the run's checkpoint is due.
    """
    path = _check_path(path, name)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot save to {path!r}: directory {directory!r} does not exist")
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot save to {path!r}: it is a directory")
    if probe:
        tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.probe")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except OSError as e:  # OSError(errno, ...) is PermissionError for EACCES, and so on
            raise OSError(e.errno, f"cannot save to {path!r}: cannot create a file in {directory!r} ({e.strerror})") from None
        os.unlink(tmp)
    return directory


@contextmanager
def atomic_write(path, mode="w"):
    """Open a temporary file next to `path`; on a clean exit it replaces `path` atomically.

    On any exception the temporary file is removed and `path` is left as it was.
    """
    directory = check_target(path, probe=False)  # the temporary file below is the probe
    path = os.fspath(path)
    # a fresh name in the same directory (os.replace is atomic only within one filesystem);
    # mode 0o666 lets the umask decide the permissions, as for any file the user writes
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)  # make the rename itself durable


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------- JSON helpers


def _canonical(payload):
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=True)


def _checksum(payload):
    return hashlib.sha256(_canonical(payload).encode("ascii")).hexdigest()


def _to_plain(x):
    """Floats stay floats, ndarrays become nested lists (JSON has no arrays of doubles)."""
    if isinstance(x, (bool, int, float, str)) or x is None:
        return x
    if hasattr(x, "tolist"):  # ndarray / numpy scalar
        return x.tolist()
    if isinstance(x, (list, tuple)):
        return [_to_plain(v) for v in x]
    if isinstance(x, dict):
        return {k: _to_plain(v) for k, v in x.items()}
    raise TypeError(f"cannot store {type(x).__name__} {x!r} in a checkpoint")


def _first_nonfinite(x, where):
    """(path, value) of the first NaN/inf number inside x, or None."""
    stack = [(x, where)]
    while stack:  # iterative: nested lists of any depth
        v, at = stack.pop()
        if isinstance(v, float):
            if not math.isfinite(v):
                return at, v
            continue
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
        children = []
        for k, item in items:  # numbers checked here: no path string built per element
            if isinstance(item, float):
                if not math.isfinite(item):
                    return (f"{at}.{k}" if isinstance(v, dict) else f"{at}[{k}]"), item
            elif isinstance(item, (dict, list)):
                children.append((item, f"{at}.{k}" if isinstance(v, dict) else f"{at}[{k}]"))
        stack.extend(reversed(children))
    return None


def _dumps_readable(doc, indent=" "):
    """Indented JSON, one object key per line and each list of numbers on one line (a weight
    row per line, not a float per line). Leaves go through json's fast C encoder."""
    out, stack = [], [(doc, 0, "")]
    while stack:  # iterative: (value, depth, text before it); closers are pushed as plain str
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        v, depth, head = item
        pad, inner = indent * depth, indent * (depth + 1)
        nested = isinstance(v, dict) and v or isinstance(v, list) and any(isinstance(e, (list, dict)) for e in v)
        if not nested:
            out.append(head + json.dumps(v, allow_nan=False))
            continue
        entries = list(v.items()) if isinstance(v, dict) else [(None, e) for e in v]
        out.append(head + ("{" if isinstance(v, dict) else "["))
        stack.append("\n" + pad + ("}" if isinstance(v, dict) else "]"))
        for i in range(len(entries) - 1, -1, -1):
            k, e = entries[i]
            sep = "," if i < len(entries) - 1 else ""
            if sep:
                stack.append(sep)
            stack.append((e, depth + 1, "\n" + inner + ("" if k is None else json.dumps(k) + ": ")))
    return "".join(out)


def _shape(x, where):
    """() for a number, (n, ...) for a rectangular nested list of numbers; else CheckpointError."""
    if isinstance(x, bool) or not isinstance(x, (int, float, list)):
        raise CheckpointError(f"{where} must be a number or a list of numbers, got {type(x).__name__} {x!r}")
    if not isinstance(x, list):
        return ()
    if all(type(v) is float or type(v) is int for v in x):  # the common case, fast: a row of numbers
        return (len(x),)
    shapes = {_shape(v, f"{where}[{i}]") for i, v in enumerate(x)}
    if len(shapes) > 1:
        raise CheckpointError(f"{where} is a ragged nested list")
    return (len(x),) + (shapes.pop() if shapes else ())


def _shape_of_param(data):
    return tuple(data.shape) if hasattr(data, "shape") else ()


def data_fingerprint(splits):
    """sha256 of the (train, val, test) points: resuming must see the same data."""
    return hashlib.sha256(_canonical(_to_plain(splits)).encode("ascii")).hexdigest()


# ---------------------------------------------------------------------- save


def save(path, model, optimizer, rng, step, config, history=None, data=None):
    """Write a checkpoint of a run at `step` (training steps done) to `path`, atomically.

    `config` is a TrainConfig (or its dict), `rng` a micrograd.RNG, `history` fit()'s
    history (its train_loss and val_loss are kept), `data` the run's (train, val, test)
    splits to fingerprint. Refuses NaN/inf anywhere with a ValueError naming the value.
    """
    from .rng import RNG

    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"step must be an int >= 0, got {step!r}")
    if not isinstance(rng, RNG):
        raise TypeError(f"rng must be a micrograd.RNG, got {type(rng).__name__}")
    if dataclasses.is_dataclass(config):
        config = config.to_dict()
    if not isinstance(config, dict):
        raise TypeError(f"config must be a TrainConfig or a dict, got {type(config).__name__}")
    if not hasattr(model, "state_dict") or not hasattr(optimizer, "state_dict"):
        raise TypeError("model and optimizer must have state_dict() (a micrograd Module and Optimizer)")
    opt = optimizer.state_dict()
    payload = {
        "config": _to_plain(config),
        "step": step,
        "model": _to_plain(model.state_dict()),
        "optimizer": {"type": type(optimizer).__name__, "t": opt["t"], "hyper": _to_plain(opt["hyper"]),
                      "state": _to_plain(opt["state"])},
        "rng": str(rng.getstate()),
        "data_sha256": None if data is None else data_fingerprint(data),
        "history": None if history is None else {
            "train_loss": [float(v) for v in history.get("train_loss", [])],
            "val_loss": {str(k): float(v) for k, v in history.get("val_loss", {}).items()},
        },
    }
    try:  # json's C encoder refuses NaN/inf quickly; only then walk the payload to name the value
        canon = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    except ValueError:
        at, v = _first_nonfinite(payload, "payload")
        raise ValueError(f"refusing to save a checkpoint with a non-finite number: {at} = {v!r} "
                         "(the run diverged; lower the learning rate)") from None
    sha = hashlib.sha256(canon.encode("ascii")).hexdigest()
    doc = {"format": FORMAT, "version": VERSION, "sha256": sha, "payload": payload}
    text = _dumps_readable(doc) + "\n"
    with atomic_write(path, "w") as f:
        f.write(text)
    return path


def save_trainer(path, trainer, history=None):
    """`save()` for a Trainer (either engine) at its current step."""
    return save(path, trainer.model, trainer.optimizer, trainer.rng, trainer.step, trainer.config,
                history=history, data=trainer.splits)


# ---------------------------------------------------------------------- load


@dataclasses.dataclass
class Checkpoint:
    """A loaded, validated checkpoint. `model`/`optimizer` are plain JSON data (floats, lists)."""

    path: str
    config: dict
    step: int
    model: dict
    optimizer: dict
    rng: int
    data_sha256: str = None
    history: dict = None

    def train_config(self, **overrides):
        """The run's TrainConfig (with `overrides`, e.g. steps=200 to extend it)."""
        from .config import TrainConfig

        return TrainConfig(**{**self.config, **overrides})


def load(path):
    """Read and validate a checkpoint file; returns a `Checkpoint`.

    Raises FileNotFoundError if there is no such file and CheckpointError (a ValueError)
    naming the problem for a truncated, non-JSON, foreign, wrong-version, tampered,
    incomplete or non-finite file.
    """
    path = _check_path(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint file {path!r}")
    if os.path.isdir(path):
        raise CheckpointError(f"checkpoint {path!r} is a directory, not a file")
    with open(path, "rb") as f:
        raw = f.read()

    def bad(msg):
        return CheckpointError(f"checkpoint {path!r}: {msg}")

    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=lambda c: float(c))
    except UnicodeDecodeError:
        raise bad("not a text file (not UTF-8)") from None
    except RecursionError:  # e.g. '[[[[...' thousands deep: json recurses per level
        raise bad("not a checkpoint: JSON nested too deeply") from None
    except json.JSONDecodeError as e:
        ends_early = e.pos >= len(raw.rstrip()) or not raw.rstrip().endswith(b"}")
        hint = " (the file ends early: truncated?)" if ends_early else ""
        raise bad(f"not valid JSON{hint}: {e.msg} at line {e.lineno} column {e.colno}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        got = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise bad(f"not a micrograd checkpoint (format is {got!r}, expected {FORMAT!r})")
    if doc.get("version") != VERSION:
        raise bad(f"unsupported version {doc.get('version')!r} (this micrograd reads version {VERSION})")
    for key in ("sha256", "payload"):
        if key not in doc:
            raise bad(f"missing field {key!r}")
    payload = doc["payload"]
    if not isinstance(payload, dict):
        raise bad(f"payload must be an object, got {type(payload).__name__}")
    canon = _canonical(payload)
    if not isinstance(doc["sha256"], str) or hashlib.sha256(canon.encode("ascii")).hexdigest() != doc["sha256"]:
        raise bad("checksum mismatch: the payload was modified or corrupted after saving")
    # NaN/inf can only be there if the canonical text spells them (walking is slower)
    return _validate_payload(path, payload, bad, maybe_nonfinite="NaN" in canon or "Infinity" in canon)


def _validate_payload(path, payload, bad, maybe_nonfinite=True):
    for key in ("config", "step", "model", "optimizer", "rng"):
        if key not in payload:
            raise bad(f"missing field 'payload.{key}'")
    found = _first_nonfinite(payload, "payload") if maybe_nonfinite else None
    if found:
        raise bad(f"non-finite number {found[1]!r} at {found[0]}")

    # config: exactly TrainConfig's fields, and valid
    from .config import TrainConfig

    cfg = payload["config"]
    if not isinstance(cfg, dict):
        raise bad(f"payload.config must be an object, got {type(cfg).__name__}")
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    missing, unknown = sorted(fields - set(cfg)), sorted(set(cfg) - fields)
    if missing or unknown:
        raise bad(f"payload.config does not match TrainConfig: missing {missing}, unknown {unknown}")
    try:
        TrainConfig(**cfg).validate()
    except (TypeError, ValueError) as e:
        raise bad(f"payload.config is invalid: {e}") from None

    step = payload["step"]
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise bad(f"payload.step must be an int >= 0, got {step!r}")

    model = payload["model"]
    if not isinstance(model, dict) or not model:
        raise bad("payload.model must be a non-empty object of parameter name -> value")
    for name, v in model.items():
        try:
            _shape(v, f"payload.model.{name}")
        except CheckpointError as e:
            raise bad(str(e)) from None

    opt = payload["optimizer"]
    if not isinstance(opt, dict) or not {"type", "t", "hyper", "state"} <= set(opt):
        raise bad("payload.optimizer must be an object with 'type', 't', 'hyper' and 'state'")
    if isinstance(opt["t"], bool) or not isinstance(opt["t"], int) or opt["t"] < 0:
        raise bad(f"payload.optimizer.t must be an int >= 0, got {opt['t']!r}")
    if not isinstance(opt["hyper"], dict):
        raise bad("payload.optimizer.hyper must be an object")
    if not isinstance(opt["state"], list) or not all(isinstance(st, dict) for st in opt["state"]):
        raise bad("payload.optimizer.state must be a list of objects (one per parameter)")

    rng = payload["rng"]
    if not isinstance(rng, str) or not rng.isdigit():
        raise bad(f"payload.rng must be the RNG state as a decimal string, got {rng!r}")
    try:
        rng = int(rng)
    except ValueError:  # Python's limit on digits in int(str), or a non-ASCII digit
        raise bad(f"payload.rng is not a usable RNG state: {rng[:40]!r}{'...' if len(rng) > 40 else ''} ({len(rng)} characters)") from None

    data_sha = payload.get("data_sha256")
    if data_sha is not None and not isinstance(data_sha, str):
        raise bad(f"payload.data_sha256 must be a string or null, got {data_sha!r}")

    history = payload.get("history")
    if history is not None:
        ok = (isinstance(history, dict) and isinstance(history.get("train_loss"), list)
              and isinstance(history.get("val_loss"), dict)
              and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in history["train_loss"])
              and all(k.isdigit() and isinstance(v, (int, float)) for k, v in history["val_loss"].items()))
        if not ok:
            raise bad("payload.history must be {'train_loss': [numbers], 'val_loss': {step: number}} or null")
        history = {"train_loss": [float(v) for v in history["train_loss"]],
                   "val_loss": {int(k): float(v) for k, v in history["val_loss"].items()}}

    return Checkpoint(path=path, config=cfg, step=step, model=model, optimizer=opt, rng=rng,
                      data_sha256=data_sha, history=history)


# ---------------------------------------------------------------------- restore


def restore(trainer, ckpt):
    """Put a checkpoint's state into `trainer` (built from `ckpt.train_config()`).

    Everything is checked first — same run definition (all config fields but `steps`),
    same architecture (parameter names and shapes), an optimizer state that fits, the same
    data — and only then assigned: on any ValueError the trainer is untouched.
    """
    if not isinstance(ckpt, Checkpoint):
        raise TypeError(f"ckpt must be a Checkpoint from checkpoint.load(), got {type(ckpt).__name__}")
    where = f"checkpoint {ckpt.path!r}"

    # 1) the same run definition (steps may differ: a resumed run may be extended)
    mine = trainer.config.to_dict()
    # a CSV file may have moved (or the path was relative to another directory): step 4 compares the points
    moved = ckpt.data_sha256 is not None and mine["data"] is not None and ckpt.config.get("data") is not None
    differ = [k for k in mine if k != "steps" and not (k == "data" and moved) and mine[k] != ckpt.config.get(k)]
    if differ:
        diffs = ", ".join(f"{k}: checkpoint {ckpt.config.get(k)!r}, trainer {mine[k]!r}" for k in differ)
        raise CheckpointError(f"{where} is from a different run ({diffs})")
    if ckpt.step > trainer.config.steps:
        raise CheckpointError(f"{where} is at step {ckpt.step}, beyond the run's steps={trainer.config.steps}")

    # 2) the architecture: the model this config builds must have exactly these parameters
    current = trainer.model.state_dict()
    missing = [n for n in current if n not in ckpt.model]
    unexpected = [n for n in ckpt.model if n not in current]
    if missing or unexpected:
        raise CheckpointError(
            f"{where} does not fit the model (wrong architecture): {len(ckpt.model)} parameters saved, "
            f"the model has {len(current)}; missing {missing[:4]}{'...' if len(missing) > 4 else ''}, "
            f"unexpected {unexpected[:4]}{'...' if len(unexpected) > 4 else ''}")
    for name, value in current.items():
        want, got = _shape(_to_plain(value), name), _shape(ckpt.model[name], name)
        if want != got:
            raise CheckpointError(f"{where}: parameter {name!r} has shape {got}, the model's is {want}")

    # 3) the optimizer: same kind and hyperparameters, one fitting state per parameter
    opt, saved = trainer.optimizer, ckpt.optimizer
    if saved["type"] != type(opt).__name__:
        raise CheckpointError(f"{where}: optimizer is {saved['type']}, the run's is {type(opt).__name__}")
    if _to_plain(saved["hyper"]) != _to_plain(opt.hyper):
        raise CheckpointError(f"{where}: optimizer hyperparameters {saved['hyper']} differ from the run's {opt.hyper}")
    if len(saved["state"]) != len(opt.params):
        raise CheckpointError(f"{where}: optimizer state has {len(saved['state'])} parameters, the model has {len(opt.params)}")
    keys = _STATE_KEYS.get(type(opt).__name__)
    new_state = []
    for i, (p, st) in enumerate(zip(opt.params, saved["state"])):
        if keys is not None and st and set(st) != keys:
            raise CheckpointError(f"{where}: optimizer state[{i}] has keys {sorted(st)}, expected {sorted(keys)}")
        want = _shape_of_param(p.data)
        entry = {}
        for k, v in st.items():
            got = _shape(v, f"optimizer.state[{i}].{k}")
            if got != want:
                raise CheckpointError(f"{where}: optimizer.state[{i}].{k} has shape {got}, its parameter's is {want}")
            entry[k] = float(v) if want == () and not hasattr(p.data, "shape") else _array_like(v, p.data)
        new_state.append(entry)

    # 4) the same data (regenerated from the seed, or the same CSV file)
    if ckpt.data_sha256 is not None and data_fingerprint(trainer.splits) != ckpt.data_sha256:
        raise CheckpointError(f"{where}: the run's data differ from the data it was saved with "
                              "(was the CSV file changed?)")

    # 5) all checked: assign
    trainer.model.load_state_dict(ckpt.model)
    opt.load_state_dict({"t": saved["t"], "hyper": dict(opt.hyper), "state": new_state})
    trainer.rng.setstate(ckpt.rng)
    trainer.step = ckpt.step
    return trainer


def _array_like(v, like):
    import numpy as np

    return np.array(v, dtype=like.dtype)


# ---------------------------------------------------------------------- interruption


class TrainingInterrupted(Exception):
    """Raised by `StopOnSignal.callback` after the step during which SIGINT/SIGTERM arrived."""

    def __init__(self, signum, step):
        self.signum, self.step = signum, step
        super().__init__(f"interrupted by {signal.Signals(signum).name} after step {step}")


class StopOnSignal:
    """Turn SIGINT/SIGTERM into a clean stop at the next step boundary.

        with StopOnSignal() as stop:
            fit(trainer=tr, callbacks=[stop.callback])     # raises TrainingInterrupted

    The first signal only sets a flag (the current step finishes, so the state is whole);
    a second SIGINT raises KeyboardInterrupt at once. Handlers are restored on exit. Outside
    the main thread (where Python cannot install handlers) this does nothing.
    """

    def __init__(self, signals=(signal.SIGINT, signal.SIGTERM), on_signal=None):
        self.signals = tuple(signals)
        self.on_signal = on_signal  # called as on_signal(signum) when the first signal arrives
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
