"""micrograd.cli.args — the command line's parsing: argument types, the parser that suggests the
right flag, help lines that end in the default and the range, and the run flags built from TrainConfig.

    p = _Parser(prog="micrograd train")
    add_train_flags(p)                       # one flag per TrainConfig field: --lr, --hidden 16,16 ...
    _add(p, "--max-nodes", type=_int(1), default=2000, help="refuse bigger graphs")
    # help: "refuse bigger graphs (default: 2000; >= 1)"
"""

import argparse
import dataclasses
import difflib
import math
import re

from ..config import TrainConfig, describe_range, field_default, run_keys, training_only_keys

# ---------------------------------------------------------------------- argument types
# Flags that define a run only convert text to numbers here; their ranges are TrainConfig's
# (one check, one message). The range checks below are for the flags the CLI owns; a type's
# `range` is shown in the flag's help.


def _int(lo=None, hi=None):
    def parse(s):
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {s!r}{_as_int_hint(s)}") from None
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise argparse.ArgumentTypeError(f"must be {parse.range}, got {v}")
        return v

    parse.range = f"in [{lo}, {hi}]" if hi is not None else f">= {lo}" if lo is not None else ""
    return parse


def _as_int_hint(s):
    """' (write 1000)' for '1e3' or '1000.0': a whole number written as a float."""
    try:
        v = float(s)
    except ValueError:
        return ""
    return f" (write {int(v)})" if v.is_integer() else ""


def _float(s):
    try:
        return float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {s!r}") from None


def _finite(s):
    v = _float(s)
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"must be finite, got {s!r}")
    return v


_finite.range = "finite"

# how a TrainConfig field's text becomes its value (a list field's items are ints)
_TEXT_TO = {int: _int(), float: _float, str: str, list: _int()}


class _Items(argparse.Action):
    """A list flag that takes `--hidden 16 16`, `--hidden 16,16` and `--hidden "16, 16"` alike."""

    def __init__(self, option_strings, dest, item=str, **kw):
        super().__init__(option_strings, dest, **kw)
        self.item = item

    def __call__(self, parser, namespace, values, option_string=None):
        text = " ".join(values).strip()
        items = re.split(r"\s*,\s*|\s+", text) if text else []  # '16, 16' unquoted is two values: '16,' '16'
        if "" in items and any(items):  # "8,,8" or "16,": a missing number, not [8, 8] or [16]
            raise argparse.ArgumentError(self, f"an empty item in {text!r} (separate items with one comma or with spaces)")
        try:  # a bad item is named on its own: "expected an integer, got 'x'"
            setattr(namespace, self.dest, [self.item(s) for s in items if s] or None)
        except argparse.ArgumentTypeError as e:
            raise argparse.ArgumentError(self, str(e)) from None
        if getattr(namespace, self.dest) is None:
            raise argparse.ArgumentError(self, f"expected at least one {self.metavar or 'value'}")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit status 2) that points at the fix:
    a misspelled flag, command or choice names the nearest right one (Python 3.11's argparse has no
    suggest_on_error), and a flag this command does not offer says why (`hints`)."""

    def __init__(self, *a, hints=None, **kw):
        super().__init__(*a, formatter_class=argparse.RawDescriptionHelpFormatter, **kw)
        self.hints = hints or {}  # flag -> why this command does not take it
        # a negative number is a value, not a flag, in every spelling float() takes (argparse's own
        # pattern misses -1e308, -1e-3 and -inf: `--x 1e308 -1e308` was "unrecognized arguments")
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^-(inf|infinity|nan)$", re.I)
        self.commands = {}  # command -> its parser (the top-level parser's)

    def error(self, message):
        if message.endswith("required: COMMAND"):
            message += f" (run {self.prog} --help for the list)"
        self.exit(2, f"{self.prog}: error: {message}\n")

    def _check_value(self, action, value):
        if action.choices is not None and value not in action.choices:
            choices = [str(c) for c in action.choices]
            near = [c for c in choices if c.lower() == str(value).lower()] or difflib.get_close_matches(str(value), choices, n=1)
            hint = f"; did you mean {near[0]}?" if near else ""
            raise argparse.ArgumentError(action, f"invalid choice: {value!r} (choose from {', '.join(choices)}{hint})")

    def parse_args(self, args=None, namespace=None):
        ns, extras = self.parse_known_args(args, namespace)
        if extras:  # reported by the command's parser, which knows its flags
            parser = self.commands.get(getattr(ns, "command", None), self)
            parser.error(f"unrecognized arguments: {' '.join(extras)}{parser._unrecognized_hint(extras)}")
        return ns

    def _unrecognized_hint(self, extras):
        flags = [e.split("=", 1)[0] for e in extras if e.startswith("--")]
        why = {self.hints[f] for f in flags if f in self.hints}
        if why:
            return ": " + "; ".join(sorted(why))
        # a flag this command does not offer is a candidate too: `--stpes` gets --steps, then its reason
        options = [o for o in [*self._option_string_actions, *self.hints] if o.startswith("--")]
        near = [(f, m[0]) for f in flags for m in [difflib.get_close_matches(f, options, n=1)] if m]
        if not near:
            return ""
        if len(near) == 1:
            return f" (did you mean {near[0][1]}?)"
        return " (did you mean " + ", ".join(f"{right} for {wrong}" for wrong, right in near) + "?)"


def _add(p, *names, help, unset="none", **kw):
    """p.add_argument, with the help ending in the flag's default and range: '(default: 8000; in [0, 65535])'."""
    if kw.get("required"):
        facts = ["required"]
    elif kw.get("action") == "store_true":
        facts = ["default: off"]
    else:
        facts = [f"default: {unset if kw.get('default') is None else kw['default']}"]
    if getattr(kw.get("type"), "range", ""):
        facts.append(("each " if kw.get("nargs") else "") + kw["type"].range)
    return p.add_argument(*names, help=f"{help} ({'; '.join(facts)})", **kw)


# ---------------------------------------------------------------------- the run flags (from TrainConfig)


def add_train_flags(p, config_class=TrainConfig, skip=()):
    """Flags that define a run (shared by train and the commands that rebuild a run): one per
    field of `config_class` (but the fields in `skip`), built from the field's metadata (see
    micrograd.config.setting)."""
    # default None (= seed) so that --resume can tell a given --preset from the default
    presets = list(config_class.PRESETS)
    p.add_argument(
        "--preset", choices=presets, default=None, help="starting point; the defaults below are the seed's (default: seed)"
    )
    groups = {}
    for f in dataclasses.fields(config_class):
        meta = f.metadata
        if not meta.get("flag", True) or f.name in skip:
            continue
        kw = {"dest": f.name, "default": None, "help": _help(config_class, f)}
        if f.type is list:  # items are ints, or names checked by TrainConfig against the field's choices
            kw.update(action=_Items, item=str if meta.get("choices") is not None else _TEXT_TO[list])
        elif meta.get("choices") is not None:
            kw["choices"] = list(meta["choices"])
        elif f.type is bool:
            kw["action"] = argparse.BooleanOptionalAction
        else:
            kw["type"] = _TEXT_TO.get(f.type, str)
        for key in ("nargs", "metavar"):
            if meta.get(key):
                kw[key] = meta[key]
        group = meta.get("group")
        if group and group not in groups:
            groups[group] = p.add_mutually_exclusive_group()
        target = groups[group] if group else p
        target.add_argument(_flag(f.name), **kw)
    p.set_defaults(config_class=config_class)


def _help(config_class, f):
    """The field's help, with its default and its range: 'learning rate (default: 0.1; >= 0)'."""
    default = field_default(config_class, f.name)
    shown = "none" if default is None else " ".join(map(str, default)) if isinstance(default, list) else default
    extras = [f"default: {shown}"]
    if describe_range(f.metadata):
        extras.append(("each " if f.type is list else "") + describe_range(f.metadata))
    elif f.type is int and not f.metadata.get("choices"):
        extras.append("any integer")
    return f.metadata.get("help", "") + f" ({'; '.join(extras)})"


# derived from TrainConfig's fields, never listed by hand
RUN_KEYS = run_keys()  # the fields with a flag
TRAINING_ONLY_KEYS = training_only_keys()  # the flags that shape training only (not the data or the initial model)


def _flag(key):
    return "--" + key.replace("_", "-")
