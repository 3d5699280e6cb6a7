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
      "history":   {"train_loss": [...], "val_loss": {"0": 1.09, "10": ...},
                    "val_accuracy": {"0": 0.3, "10": ...},        # optional: older files lack it
                    "summary": {"train": {"loss": 0.41, "correct": 70, "total": 80}, ...}}
                   or null                      # summary: only in a run's final checkpoint
     }
    }

- Floats are written with Python's `repr` (what `json` does), which reads back to the
  same bits; NaN and infinities are refused both ways (JSON has no such numbers).
- The canonical JSON hashed is `json.dumps(payload, sort_keys=True, separators=(",", ":"))`.
  The checksum detects corruption and casual edits; it is not a signature.
- Written atomically (`micrograd._io.atomic_write`): a temporary file in the same directory,
  flushed and fsync'd, then `os.replace`d over the target (and the directory fsync'd). A
  crash mid-save leaves the previous file intact.

## Compatibility
The version changes only for an incompatible change of the format. A config saved before a
`TrainConfig` field was added loads with that field's default; a field this version does not
know is refused. The history's "val_accuracy" and "summary" were added to version 1 without
changing it: a file without them loads (its plots show the loss only), and an older micrograd
reading a newer file ignores them. The files in `tests/golden/ckpt_v1_*.json`, written by
version 0.1.0, must keep loading and resuming bit for bit.

## Limits and guarantees
- `save` replaces an existing file only if it is a micrograd checkpoint (or empty), unless
  `overwrite=True`; never a directory, FIFO, device or socket (`micrograd._io.check_target`).
- `load` refuses a FIFO, a device or a symlink to one at once, and a file over `MAX_BYTES`
  (256 MiB) before reading it whole (at most MAX_BYTES + 1 bytes are ever read).
- A loaded payload is validated completely (types, booleans are not numbers, numbers a
  float can hold, non-negative second moments, a resumable optimizer state) before it is used.

The JSON encoding and the validation of a loaded payload live in `micrograd._checkpoint_json`;
the signal handling that saves a checkpoint on Ctrl-C is `micrograd.train.StopOnSignal`.
"""

import dataclasses
import hashlib
import json
import os
import re

from ._checkpoint_json import (
    CheckpointError,
    canonical,
    data_fingerprint,
    dumps_readable,
    first_nonfinite,
    history_payload,
    param_shape,
    shape_of,
    to_plain,
    validate_payload,
)
from ._io import atomic_write, check_path, check_target, read_head, read_regular
from .config import TrainConfig
from .rng import RNG

__all__ = [
    "save",
    "save_trainer",
    "load",
    "restore",
    "build_trainer",
    "Checkpoint",
    "CheckpointError",
    "check_target",
    "check_save_target",
    "is_checkpoint_file",
    "atomic_write",
    "data_fingerprint",
    "FORMAT",
    "VERSION",
    "DEFAULT_INTERRUPT_PATH",
    "interrupt_path",
    "MAX_BYTES",
]

FORMAT = "micrograd-checkpoint"
VERSION = 1
DEFAULT_INTERRUPT_PATH = "micrograd-interrupted.ckpt.json"
MAX_BYTES = 256 * 2**20  # load() refuses bigger files before reading them (the seed's run: ~10 KB)

_LONG_DIGITS = re.compile(r"\d{300}")
_FORMAT_MARK = re.compile(rb'^\s*\{\s*"format"\s*:\s*"micrograd-checkpoint"')


def interrupt_path(directory=".", tries=1000):
    """Where an interrupted run without --save goes: DEFAULT_INTERRUPT_PATH, or if that name is
    taken (another run's interrupted checkpoint, or someone's file), the first free one of
    micrograd-interrupted-2.ckpt.json, -3, ...: an interrupt never replaces a file, so it never
    loses another run's progress or refuses to save this one's."""
    stem, ext = DEFAULT_INTERRUPT_PATH.split(".", 1)
    for k in range(1, tries + 1):
        name = DEFAULT_INTERRUPT_PATH if k == 1 else f"{stem}-{k}.{ext}"
        path = os.path.join(directory, name) if directory != "." else name
        if not os.path.lexists(path):
            return path
    raise ValueError(f"{tries} interrupted-run checkpoints in {os.path.abspath(directory)!r}: remove some, or pass --save")


def is_checkpoint_file(path):
    """True if `path` starts like a micrograd checkpoint (a cheap look at its first bytes):
    the files `save` may replace without `overwrite=True`."""
    return bool(_FORMAT_MARK.match(read_head(path, 256)))


is_checkpoint_file.kind = "a micrograd checkpoint"


def check_save_target(path, name="path", overwrite=False, hint=" (pass overwrite=True to replace it)"):
    """Raise now if `save(path, ..., overwrite=overwrite)` would be refused (before a long run)."""
    return check_target(path, name, may_replace=is_checkpoint_file, overwrite=overwrite, hint=hint)


# ---------------------------------------------------------------------- save


def save(path, model, optimizer, rng, step, config, history=None, data=None, overwrite=False):
    """Write a checkpoint of a run at `step` (training steps done) to `path`, atomically.

    An existing `path` is replaced only if it is a micrograd checkpoint or empty (else a
    FileExistsError), unless `overwrite=True`; a directory, FIFO or device never is.

    `config` is a TrainConfig (or its dict), `rng` a micrograd.RNG, `history` fit()'s
    history (its train_loss, val_loss, val_accuracy and summary are kept), `data` the run's (train, val, test)
    splits to fingerprint. Refuses NaN/inf anywhere with a ValueError naming the value.
    """
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
        "config": to_plain(config),
        "step": step,
        "model": to_plain(model.state_dict()),
        "optimizer": {
            "type": type(optimizer).__name__,
            "t": opt["t"],
            "hyper": to_plain(opt["hyper"]),
            "state": to_plain(opt["state"]),
        },
        "rng": str(rng.getstate()),
        "data_sha256": None if data is None else data_fingerprint(data),
        "history": None if history is None else history_payload(history),
    }
    try:  # json's C encoder refuses NaN/inf quickly; only then walk the payload to name the value
        canon = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    except ValueError:
        at, v = first_nonfinite(payload, "payload")
        raise ValueError(
            f"refusing to save a checkpoint with a non-finite number: {at} = {v!r} (the run diverged; lower the learning rate)"
        ) from None
    sha = hashlib.sha256(canon.encode("ascii")).hexdigest()
    doc = {"format": FORMAT, "version": VERSION, "sha256": sha, "payload": payload}
    text = dumps_readable(doc) + "\n"
    with atomic_write(
        path, "w", may_replace=is_checkpoint_file, overwrite=overwrite, hint=" (pass overwrite=True to replace it)"
    ) as f:
        f.write(text)
    return path


def save_trainer(path, trainer, history=None, overwrite=False):
    """`save()` for a Trainer (either engine) at its current step."""
    return save(
        path,
        trainer.model,
        trainer.optimizer,
        trainer.rng,
        trainer.step,
        trainer.config,
        history=history,
        data=trainer.splits,
        overwrite=overwrite,
    )


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
    config_class: type = dataclasses.field(default=None, repr=False, compare=False)  # None: TrainConfig

    def train_config(self, **overrides):
        """The run's TrainConfig (with `overrides`, e.g. steps=200 to extend it)."""
        return (self.config_class or TrainConfig)(**{**self.config, **overrides})


def load(path, config_class=None, max_bytes=MAX_BYTES, max_memory=None):
    """Read and validate a checkpoint file; returns a `Checkpoint`.

    `config_class` is the config dataclass its config must fit (default `TrainConfig`; a
    subclass with more fields loads older checkpoints, the new fields at their defaults).
    `max_memory` (MB) sizes the run against that limit instead of the one it was saved with (a
    resumed run may be allowed more memory: `--resume CKPT --max-memory MB`).

    Raises FileNotFoundError if there is no such file and CheckpointError (a ValueError)
    naming the problem for a truncated, non-JSON, foreign, wrong-version, tampered,
    incomplete or non-finite file, and for a directory, FIFO, device (or a symlink to one) or a
    file over `max_bytes`, refused before it is read.
    """
    path = check_path(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint file {path!r}")
    if os.path.isdir(path):
        raise CheckpointError(f"checkpoint {path!r} is a directory, not a file")
    try:
        raw = read_regular(path, limit=max_bytes, what="checkpoint")
    except ValueError as e:  # a FIFO, a device, too big: one message, as a CheckpointError
        raise CheckpointError(str(e)) from None

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
    if type(doc.get("version")) is not int or doc["version"] != VERSION:  # true == 1 in Python, not here
        raise bad(f"unsupported version {doc.get('version')!r} (this micrograd reads version {VERSION})")
    for key in ("sha256", "payload"):
        if key not in doc:
            raise bad(f"missing field {key!r}")
    payload = doc["payload"]
    if not isinstance(payload, dict):
        raise bad(f"payload must be an object, got {type(payload).__name__}")
    canon = canonical(payload)
    if not isinstance(doc["sha256"], str) or hashlib.sha256(canon.encode("ascii")).hexdigest() != doc["sha256"]:
        raise bad("checksum mismatch: the payload was modified or corrupted after saving")
    # NaN/inf can only be there if the canonical text spells them (walking is slower)
    fields = validate_payload(
        path,
        payload,
        bad,
        maybe_nonfinite="NaN" in canon or "Infinity" in canon,
        config_class=config_class,
        maybe_huge=_LONG_DIGITS.search(canon) is not None,  # only a long run of digits can be such an int
        max_memory=max_memory,
    )
    return Checkpoint(**fields)


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
    limits = ("steps", "max_memory")  # may differ: a resumed run may be extended, or allowed more memory
    differ = [k for k in mine if k not in limits and not (k == "data" and moved) and mine[k] != ckpt.config.get(k)]
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
            f"unexpected {unexpected[:4]}{'...' if len(unexpected) > 4 else ''}"
        )
    for name, value in current.items():
        want, got = shape_of(to_plain(value), name), shape_of(ckpt.model[name], name)
        if want != got:
            raise CheckpointError(f"{where}: parameter {name!r} has shape {got}, the model's is {want}")

    # 3) the optimizer: same kind and hyperparameters, one fitting state per parameter
    opt, saved = trainer.optimizer, ckpt.optimizer
    if saved["type"] != type(opt).__name__:
        raise CheckpointError(f"{where}: optimizer is {saved['type']}, the run's is {type(opt).__name__}")
    if to_plain(saved["hyper"]) != to_plain(opt.hyper):
        raise CheckpointError(f"{where}: optimizer hyperparameters {saved['hyper']} differ from the run's {opt.hyper}")
    if len(saved["state"]) != len(opt.params):
        raise CheckpointError(f"{where}: optimizer state has {len(saved['state'])} parameters, the model has {len(opt.params)}")
    keys = opt.state_keys  # each optimizer class declares its state's keys
    new_state = []
    for i, (p, st) in enumerate(zip(opt.params, saved["state"])):
        if st and set(st) != keys:
            raise CheckpointError(f"{where}: optimizer state[{i}] has keys {sorted(st)}, expected {sorted(keys)}")
        want = param_shape(p.data)
        entry = {}
        for k, v in st.items():
            got = shape_of(v, f"optimizer.state[{i}].{k}")
            if got != want:
                raise CheckpointError(f"{where}: optimizer.state[{i}].{k} has shape {got}, its parameter's is {want}")
            entry[k] = float(v) if want == () and not hasattr(p.data, "shape") else _array_like(v, p.data)
        new_state.append(entry)

    # 4) the same data (regenerated from the seed, or the same CSV file)
    if ckpt.data_sha256 is not None and data_fingerprint(trainer.splits) != ckpt.data_sha256:
        raise CheckpointError(f"{where}: the run's data differ from the data it was saved with (was the CSV file changed?)")

    # 5) all checked: assign
    trainer.model.load_state_dict(ckpt.model)
    opt.load_state_dict({"t": saved["t"], "hyper": dict(opt.hyper), "state": new_state})
    trainer.rng.setstate(ckpt.rng)
    trainer.step = ckpt.step
    return trainer


def build_trainer(ckpt, make_trainer, config=None):
    """`make_trainer(config)` (default: `ckpt.train_config()`) for a checkpoint that may be crafted.

    A config's `data` path that comes from the checkpoint (not from the user) could name any
    file: it must be a regular file (a FIFO or /dev/zero would hang the run), and an error
    reading it names the path but never quotes its content (a CSV error quotes the bad line).
    Its points are used only once `restore` has checked them against the saved fingerprint.
    """
    import stat

    config = ckpt.train_config() if config is None else config
    data = getattr(config, "data", None)
    if data is None or data != ckpt.config.get("data"):  # no file, or a file the user named (--data)
        return make_trainer(config)
    where = f"checkpoint {ckpt.path!r}: its data file {data!r}"
    hint = "pass --data FILE to name the run's CSV file"
    try:
        st = os.stat(data)
    except (OSError, ValueError, TypeError) as e:
        raise CheckpointError(f"{where} cannot be read ({getattr(e, 'strerror', None) or type(e).__name__}); {hint}") from None
    if not stat.S_ISREG(st.st_mode):
        raise CheckpointError(f"{where} is not a regular file; {hint}")
    try:
        return make_trainer(config)
    except (ValueError, OSError) as e:  # the reader's message may quote the file: keep only its kind
        raise CheckpointError(
            f"{where} is not the run's CSV data ({type(e).__name__}; its content is not shown, as the path comes "
            f"from the checkpoint); {hint}"
        ) from None


def _array_like(v, like):
    import numpy as np

    return np.array(v, dtype=like.dtype)
