"""micrograd.web.forms — the demo's input: what the page's form offers, and the checks of every request body.

    cfg = parse_config({"dataset": "moons", "hidden": [8]})     # a validated TrainConfig
    x, y, label = parse_point({"x": 0.5, "y": -1, "label": 2}, nclasses=3)
    form_fields()                                              # the form's entries, for /api/options

The form is derived from `TrainConfig`: its entries are the fields marked as demo settings
(`setting(..., demo="label")` in micrograd.config), their choices come from the registries
those fields name. A value's validity is the config's to check (one check, one message); this
module adds only what a web request needs on top: JSON types, unknown fields, and the demo's
`LIMITS` (bounds that keep a projected demo responsive, tighter than what is valid).

A bad input raises `BadRequest` (a ValueError, status 400) whose message names the field and
the value; `Conflict` (409) is a valid request that cannot be done now. The server turns both
into a 4xx with {"error": message}.
"""

import math

from .. import data as datasets
from .._floats import is_finite_number
from ..config import TrainConfig
from ..config import demo_fields as config_demo_fields

# ---------------------------------------------------------------------- limits

# What one session may ask for: the scalar engine takes ~13 ms per step at the seed's
# size and ~0.3 s at the largest allowed (n=1000 would be slower still with [32, 32]);
# these bounds keep a projected demo responsive and the server's memory bounded.
LIMITS = {
    "n": (10, 1000),
    "hidden_length": (1, 3),  # hidden layers
    "hidden": (1, 32),  # each hidden layer's size
    "lr": (0.0, 10.0),
    "seed": (1, 2**64 - 1),  # 0 is xorshift's fixed point: every draw 0 (yinyang would never end)
    "steps": (1, 100),  # per /step request
    "coord": 100.0,  # |x|, |y| of a picked or added point
    "points": 2000,  # total points after additions
    "noise": (0.0, 10.0),  # a generated dataset's noise (null: the dataset's own)
    "split": (1, 98),  # each of the train/val/test percentages
    "split_length": (3, 3),
    # issue 12 part B (web/share.py, web/compare.py): shared links, checkpoints, CSV uploads, side by side
    "share_chars": 8000,  # a shared run's token in the URL (config diff + edits + step, base64url JSON)
    "edits": 200,  # recorded point edits and hyperparameter changes per shared run
    "replay_steps": 2000,  # the step a shared link may ask to replay to (~30 s at the seed's size)
    "replay_seconds": 30.0,  # a replay that takes longer is stopped and refused (a big model's steps are slow)
    "checkpoint_bytes": 1024 * 1024,  # an uploaded checkpoint (the largest demo model's is ~0.3 MB)
    "csv_bytes": 256 * 1024,  # a dropped CSV file (the points limit binds first)
    "compare_runs": (2, 4),  # runs in one side-by-side comparison
    "comparisons": 4,  # side-by-side comparisons alive at once (their runs count as sessions too)
}


# TrainConfig fields the demo offers beside those marked `demo=` in micrograd.config (the data controls
# h19 added to the trainer, issue 12): field name -> the form's label
def demo_fields(config_class=TrainConfig):
    """The config fields the demo's form offers, in field order: TrainConfig's demo settings."""
    return tuple(config_demo_fields(config_class))


def _label(f):
    return f.metadata["demo"]


# the config fields a request may set: the preset, then the demo's settings
CONFIG_FIELDS = ("preset",) + tuple(f.name for f in demo_fields())
# the datasets the demo offers: points in the plane (digits' 64 pixels cannot be drawn or clicked)
PLANE_DATASETS = tuple(name for name in datasets.DATASETS if datasets.DATASET_INPUTS.get(name, 2) == 2)


class BadRequest(ValueError):
    """A request the page should not have sent: the message names the field and value."""

    status = 400


class Conflict(BadRequest):
    """A valid request that cannot be done now (e.g. removing the last point of a split)."""

    status = 409


# ---------------------------------------------------------------------- JSON values


def _int(body, name, lo, hi):
    v = body[name]
    if isinstance(v, bool) or not isinstance(v, int):
        raise BadRequest(f"{name} must be an integer, got {v!r}")
    if not lo <= v <= hi:
        raise BadRequest(f"{name} must be in [{lo}, {hi}], got {v}")
    return v


def _number(body, name, lo=None, hi=None):
    v = body[name]
    if not is_finite_number(v):
        raise BadRequest(f"{name} must be a finite number, got {v!r:.40}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise BadRequest(f"{name} must be in [{lo}, {hi}], got {v}")
    return float(v)


def _choice(body, name, choices):
    v = body[name]
    if not isinstance(v, str) or v not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}, got {v!r}")
    return v


def _only(body, allowed, what):
    if not isinstance(body, dict):
        raise BadRequest(f"{what} must be a JSON object, got {type(body).__name__}")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise BadRequest(f"unknown field(s) in {what}: {', '.join(map(repr, unknown))}; allowed: {', '.join(allowed)}")


def _field_value(body, f):
    """One demo field's JSON value, of the field's type and within the demo's LIMITS; its
    choices and its validity are left to TrainConfig (whose message the caller passes on)."""
    name, lim = f.name, LIMITS.get(f.name, (-math.inf, math.inf))
    if f.metadata.get("choices") is not None or f.type is str:
        return body[name]
    if body[name] is None and f.default is None:  # noise: null is the dataset's own
        return None
    if f.type is bool:
        if not isinstance(body[name], bool):
            raise BadRequest(f"{name} must be true or false, got {body[name]!r}")
        return body[name]
    if f.type is int:
        return _int(body, name, *lim)
    if f.type is float:
        return _number(body, name, *lim)
    # a list of ints (the hidden layer sizes)
    v = body[name]
    lo, hi = LIMITS.get(f"{name}_length", (0, math.inf))
    if not isinstance(v, list) or not lo <= len(v) <= hi:
        raise BadRequest(f"{name} must be a list of {lo} to {hi} {f.metadata.get('items') or 'items'}, got {v!r}")
    for i in range(len(v)):
        _int({f"{name}[{i}]": v[i]}, f"{name}[{i}]", *lim)
    return list(v)


# ---------------------------------------------------------------------- request bodies


def parse_config(body, default_preset="seed", config_class=TrainConfig):
    """A validated `TrainConfig` (or `config_class`) from a JSON object of demo fields (all optional)."""
    fields = demo_fields(config_class)
    _only(body, ("preset",) + tuple(f.name for f in fields), "config")
    preset = _choice(body, "preset", tuple(config_class.PRESETS)) if "preset" in body else default_preset
    kw = {f.name: _field_value(body, f) for f in fields if f.name in body}
    dataset = kw.get("dataset")
    if dataset is not None and dataset in datasets.DATASETS and dataset not in PLANE_DATASETS:
        raise BadRequest(
            f"dataset {dataset!r} is not offered by the demo: its points have {datasets.DATASET_INPUTS[dataset]} inputs, "
            f"not a point in the plane the page can draw; choose one of {', '.join(PLANE_DATASETS)} "
            f"(train it with `micrograd train --dataset {dataset}`)"
        )
    try:
        cfg = config_class.preset(preset, **kw)
    except (TypeError, ValueError) as e:  # anything the config itself refuses, in its words
        raise BadRequest(str(e)) from None
    cfg.eval_every = 1  # a val-loss point every step: a smooth live curve (no effect on training)
    return cfg


def parse_point(body, nclasses, need_label=True, extra=(), target=False):
    """(x, y, label) from {"x", "y", "label"}; label is None when not needed and absent.
    `extra` names more fields the caller reads itself; `target`: the label is a regression run's
    float target (within the coordinates' bound), not a class index."""
    fields = ("x", "y", "label")
    _only(body, fields + tuple(extra), "point")
    for f in fields[: 3 if need_label else 2]:
        if f not in body:
            raise BadRequest(f"point needs field {f!r}")
    c = LIMITS["coord"]
    x, y = _number(body, "x", -c, c), _number(body, "y", -c, c)
    if "label" not in body:
        label = None
    elif target:
        label = _number(body, "label", -c, c)
    else:
        label = _int(body, "label", 0, nclasses - 1)
    return x, y, label


def check_steps(body):
    _only(body, ("steps",), "step request")
    return _int(body, "steps", *LIMITS["steps"]) if "steps" in body else 1


# ---------------------------------------------------------------------- what the form offers


def form_fields(config_class=TrainConfig):
    """The form's entries, in TrainConfig's field order: {name, label, kind, choices?, min?, max?}.

    kind is "choice", "multi" (a set of choices: checkboxes), "int", "float" ("optional": empty is null),
    "bool", "text" or "list" (space-separated ints)."""
    out = []
    for f in demo_fields(config_class):
        meta = f.metadata
        entry = {"name": f.name, "label": _label(f)}
        if meta.get("choices") is not None and f.type is list:  # a set of choices (features): checkboxes
            entry.update(kind="multi", choices=list(meta["choices"]))
        elif f.name == "dataset":
            entry.update(kind="choice", choices=list(PLANE_DATASETS))
        elif meta.get("choices") is not None:
            entry.update(kind="choice", choices=list(meta["choices"]))
        else:
            entry["kind"] = {int: "int", float: "float", bool: "bool", list: "list"}.get(f.type, "text")
            if f.default is None and f.type is float:
                entry["optional"] = True  # empty: null (noise: the dataset's own)
            lo, hi = LIMITS.get(f.name, (meta.get("low"), meta.get("high")))
            entry.update({k: v for k, v in (("min", lo), ("max", hi)) if v is not None and math.isfinite(v)})
        out.append(entry)
    return out


def options(default_preset="seed"):
    """What the page's form offers (derived from TrainConfig's demo fields), and each preset's values.

    "fields" lists the form's entries (name, label, kind, choices, min, max); each choice field's
    choices are also under its plural ("datasets", "optimizers", ...). Only datasets in the plane."""
    fields = form_fields()

    def defaults(preset):
        cfg = TrainConfig.preset(preset)
        return {f["name"]: getattr(cfg, f["name"]) for f in fields}

    return {
        "presets": list(TrainConfig.PRESETS),
        "preset": default_preset,
        "fields": fields,
        **{f["name"].rstrip("s") + "s": f["choices"] for f in fields if f["kind"] in ("choice", "multi")},
        "preset_defaults": {name: defaults(name) for name in TrainConfig.PRESETS},
        "regression": sorted(datasets.REGRESSION),
        "limits": LIMITS,
    }
