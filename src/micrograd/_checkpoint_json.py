"""micrograd._checkpoint_json — a checkpoint's JSON: the canonical and readable encodings, and the
validation of a loaded payload (`micrograd.checkpoint` owns the format and save/load/restore).

Everything here works on plain JSON data (dicts, lists, floats): turning the package's state
into it (`to_plain`), hashing it (`canonical`, `data_fingerprint`), writing it for humans
(`dumps_readable`), and checking a payload read back (`validate_payload`), each problem a
`CheckpointError` naming the field and the value.
"""

import dataclasses
import hashlib
import json
import math

from .config import TrainConfig, field_default


class CheckpointError(ValueError):
    """A checkpoint file or state that cannot be used; the message says what is wrong."""


# ---------------------------------------------------------------------- JSON encoding


def canonical(payload):
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=True)


def to_plain(x):
    """Floats stay floats, ndarrays become nested lists (JSON has no arrays of doubles)."""
    if isinstance(x, (bool, int, float, str)) or x is None:
        return x
    if hasattr(x, "tolist"):  # ndarray / numpy scalar
        return x.tolist()
    if isinstance(x, (list, tuple)):
        return [to_plain(v) for v in x]
    if isinstance(x, dict):
        return {k: to_plain(v) for k, v in x.items()}
    raise TypeError(f"cannot store {type(x).__name__} {x!r} in a checkpoint")


def first_huge_int(x, where):
    """(path, value) of the first int inside x that no float can hold (e.g. 10**400), or None:
    such a number would raise OverflowError wherever it is used as a float."""
    stack = [(x, where)]
    while stack:
        v, at = stack.pop()
        if isinstance(v, int) and not isinstance(v, bool):
            try:
                float(v)
            except OverflowError:
                return at, v
            continue
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
        stack.extend(reversed([(item, f"{at}.{k}" if isinstance(v, dict) else f"{at}[{k}]") for k, item in items]))
    return None


def first_nonfinite(x, where):
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


def dumps_readable(doc, indent=" "):
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


def shape_of(x, where):
    """() for a number, (n, ...) for a rectangular nested list of numbers; else CheckpointError."""
    if isinstance(x, bool) or not isinstance(x, (int, float, list)):
        raise CheckpointError(f"{where} must be a number or a list of numbers, got {type(x).__name__} {x!r}")
    if not isinstance(x, list):
        return ()
    if all(type(v) is float or type(v) is int for v in x):  # the common case, fast: a row of numbers
        return (len(x),)
    shapes = {shape_of(v, f"{where}[{i}]") for i, v in enumerate(x)}
    if len(shapes) > 1:
        raise CheckpointError(f"{where} is a ragged nested list")
    return (len(x),) + (shapes.pop() if shapes else ())


def param_shape(data):
    return tuple(data.shape) if hasattr(data, "shape") else ()


def history_payload(history):
    """What a checkpoint keeps of fit()'s history, as JSON data (step keys become strings):
    train_loss, val_loss, and val_accuracy and summary when the history has them."""
    out = {
        "train_loss": [float(v) for v in history.get("train_loss", [])],
        "val_loss": {str(k): float(v) for k, v in history.get("val_loss", {}).items()},
    }
    if "val_accuracy" in history:
        out["val_accuracy"] = {str(k): float(v) for k, v in history["val_accuracy"].items()}
    if history.get("summary"):
        out["summary"] = {name: _summary_entry(s) for name, s in history["summary"].items()}
    return out


def _summary_entry(s):
    """One split's summary as JSON data: loss, correct (a classification run's only), total."""
    entry = {"loss": float(s["loss"])}
    if "correct" in s:
        entry["correct"] = int(s["correct"])
    entry["total"] = int(s["total"])
    return entry


def data_fingerprint(splits):
    """sha256 of the (train, val, test) points: resuming must see the same data."""
    return hashlib.sha256(canonical(to_plain(splits)).encode("ascii")).hexdigest()


# ---------------------------------------------------------------------- validation


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _step_key(k):
    """A step number as a JSON key: ASCII digits only ("²".isdigit() is true, int("²") fails)."""
    return k.isascii() and k.isdigit() and len(k) < 20


# an optimizer's second moments (running averages of squared gradients): a square root is
# taken of them, so a negative one cannot be resumed
SECOND_MOMENTS = ("exp_avg_sq", "v")


def _first_negative(x):
    stack = [x]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(v)
        elif v < 0:
            return v
    return None


def validate_history(history, bad):
    """A loaded payload.history as fit() keeps it (int step keys, floats). val_accuracy and
    summary are optional (files saved before they existed lack them) and stay absent then."""
    ok = (
        isinstance(history, dict)
        and isinstance(history.get("train_loss"), list)
        and isinstance(history.get("val_loss"), dict)
        and all(_number(v) for v in history["train_loss"])
        and all(_step_key(k) and _number(v) for k, v in history["val_loss"].items())
    )
    if not ok:
        raise bad("payload.history must be {'train_loss': [numbers], 'val_loss': {step: number}} or null")
    out = {
        "train_loss": [float(v) for v in history["train_loss"]],
        "val_loss": {int(k): float(v) for k, v in history["val_loss"].items()},
    }
    if "val_accuracy" in history:
        acc = history["val_accuracy"]
        if not isinstance(acc, dict) or not all(_step_key(k) and _number(v) and 0 <= v <= 1 for k, v in acc.items()):
            raise bad(f"payload.history.val_accuracy must be {{step: fraction in [0, 1]}}, got {acc!r:.80}")
        out["val_accuracy"] = {int(k): float(v) for k, v in acc.items()}
    if "summary" in history:
        summary = history["summary"]
        ok = isinstance(summary, dict) and all(
            isinstance(s, dict)
            and set(s) in ({"loss", "correct", "total"}, {"loss", "total"})  # a regression run's: no "correct"
            and _number(s["loss"])
            and _int(s.get("correct", 0))
            and _int(s["total"])
            and 0 <= s.get("correct", 0) <= s["total"]
            and s["total"] > 0
            for s in summary.values()
        )
        if not ok:
            raise bad(
                "payload.history.summary must be {split: {'loss': number, 'correct': int (classification), 'total': int}} "
                f"with 0 <= correct <= total, got {summary!r:.80}"
            )
        out["summary"] = {name: _summary_entry(s) for name, s in summary.items()}
    return out


def validate_payload(path, payload, bad, maybe_nonfinite=True, config_class=None, maybe_huge=True, max_memory=None):
    """The fields of a `Checkpoint`, from a payload whose checksum matched; `bad(msg)` makes the
    error to raise. Everything is checked here, before anything uses it: types (a boolean is
    not a number), numbers a float can hold (`maybe_huge`: the text may spell a 309-digit int),
    NaN/inf (`maybe_nonfinite`), the config, shapes, and an optimizer state that can be resumed
    (numbers, second moments >= 0). Messages quote values cut short, never a file's content.

    The config may lack fields added after it was saved (they take their defaults); a field
    this version does not know is refused (the checkpoint is from a newer micrograd).
    """
    config_class = config_class or TrainConfig
    for key in ("config", "step", "model", "optimizer", "rng"):
        if key not in payload:
            raise bad(f"missing field 'payload.{key}'")
    found = first_nonfinite(payload, "payload") if maybe_nonfinite else None
    if found:
        raise bad(f"non-finite number {found[1]!r} at {found[0]}")
    found = first_huge_int(payload, "payload") if maybe_huge else None
    if found:
        raise bad(f"number too large for a float at {found[0]} ({len(str(abs(found[1])))} digits)")

    # config: no field this version does not know; a field added since it was saved takes its default
    cfg = payload["config"]
    if not isinstance(cfg, dict):
        raise bad(f"payload.config must be an object, got {type(cfg).__name__}")
    names = [f.name for f in dataclasses.fields(config_class)]
    unknown = sorted(set(cfg) - set(names))
    if unknown:
        raise bad(f"payload.config does not match {config_class.__name__}: unknown {unknown} (saved by a newer micrograd?)")
    cfg = {k: cfg[k] if k in cfg else field_default(config_class, k) for k in names}
    for f in dataclasses.fields(config_class):  # a path (`data`) must be text: an int would be read as a file descriptor
        v = cfg[f.name]
        if f.type is str and v is not None and (not isinstance(v, str) or not v or "\0" in v):
            raise bad(f"payload.config.{f.name} must be a non-empty string or null, got {v!r:.60}")
    try:
        config_class(**(cfg if max_memory is None else {**cfg, "max_memory": max_memory})).validate()
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
            shape_of(v, f"payload.model.{name}")
        except CheckpointError as e:
            raise bad(str(e)[:200]) from None

    opt = payload["optimizer"]
    if not isinstance(opt, dict) or not {"type", "t", "hyper", "state"} <= set(opt):
        raise bad("payload.optimizer must be an object with 'type', 't', 'hyper' and 'state'")
    if isinstance(opt["t"], bool) or not isinstance(opt["t"], int) or opt["t"] < 0:
        raise bad(f"payload.optimizer.t must be an int >= 0, got {opt['t']!r}")
    if not isinstance(opt["hyper"], dict):
        raise bad("payload.optimizer.hyper must be an object")
    if not isinstance(opt["type"], str):
        raise bad(f"payload.optimizer.type must be the optimizer's class name, got {opt['type']!r:.60}")
    if not all(v is None or isinstance(v, (bool, str)) or _number(v) or isinstance(v, list) for v in opt["hyper"].values()):
        raise bad("payload.optimizer.hyper must map names to numbers, lists of numbers, booleans or strings")
    if not isinstance(opt["state"], list) or not all(isinstance(st, dict) for st in opt["state"]):
        raise bad("payload.optimizer.state must be a list of objects (one per parameter)")
    for i, st in enumerate(opt["state"]):
        for k, v in st.items():
            try:
                shape_of(v, f"payload.optimizer.state[{i}].{k}")
            except CheckpointError as e:
                raise bad(str(e)[:200]) from None
            if k in SECOND_MOMENTS:
                neg = _first_negative(v)
                if neg is not None:
                    raise bad(f"payload.optimizer.state[{i}].{k} holds {neg!r}: a second moment (an average of squares) is >= 0")

    rng = payload["rng"]
    if not isinstance(rng, str) or not rng.isdigit():
        raise bad(f"payload.rng must be the RNG state as a decimal string, got {rng!r}")
    try:
        rng = int(rng)
    except ValueError:  # Python's limit on digits in int(str), or a non-ASCII digit
        raise bad(
            f"payload.rng is not a usable RNG state: {rng[:40]!r}{'...' if len(rng) > 40 else ''} ({len(rng)} characters)"
        ) from None

    data_sha = payload.get("data_sha256")
    if data_sha is not None and not isinstance(data_sha, str):
        raise bad(f"payload.data_sha256 must be a string or null, got {data_sha!r}")

    history = payload.get("history")
    if history is not None:
        history = validate_history(history, bad)

    return dict(
        path=path,
        config=cfg,
        step=step,
        model=model,
        optimizer=opt,
        rng=rng,
        data_sha256=data_sha,
        history=history,
        config_class=config_class,
    )
