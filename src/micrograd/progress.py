"""micrograd.progress — watching a run: a progress bar and a JSONL log, as `fit` callbacks.

    from micrograd.train import fit, make_trainer
    from micrograd.progress import ProgressBar, JsonlLogger
    tr = make_trainer()
    with ProgressBar(tr) as bar, JsonlLogger("run.jsonl") as log:
        fit(trainer=tr, callbacks=[bar, log], out=bar.write)

A callback is called as `cb(trainer, record)` after every step; `record` holds "step",
"train_loss", "seconds" and, on evaluation steps, "val_loss" and "val_accuracy".

- `ProgressBar`: a tqdm bar on stderr with the step, the loss, the last val loss and
  val accuracy, and steps/s. Lines for stdout go through `bar.write(line)`, which lifts
  the bar off the terminal, prints the line to stdout (exactly the bytes `print` would),
  and redraws the bar: stdout stays the seed's lines, whatever the terminal shows. tqdm
  is imported when a bar is made.
- `JsonlLogger`: one JSON object per step, `{"step", "train_loss", "val_loss" and
  "val_accuracy" (when evaluated), "seconds"}`, and when the run ends one summary record
  `{"type": "summary", "step": steps, "train_loss", "train_accuracy", "val_loss",
  "val_accuracy", "test_loss", "test_accuracy"}` (the final model on each split; step
  records have no "type"). Accuracy is a fraction in [0, 1]. Lines are flushed one at a
  time so other tools can follow the file while it grows. JSON has no NaN or infinity:
  such a loss is written as null.

Every number is filed under the step convention of micrograd.train: x = the updates the
model had when it was measured. The summary, after the last step, is at "step" = steps,
so it continues the step records' curves (its train_loss is the train loss of the model
the last step left, evaluated like a step's).
"""

import json
import math
import os
import sys

from ._io import check_target, read_head

# ---------------------------------------------------------------------- progress bar


class ProgressBar:
    """A tqdm progress bar for a run, as a `fit` callback (stderr by default)."""

    def __init__(self, trainer=None, file=None, mininterval=0.1):
        self.file = file if file is not None else sys.stderr
        self.mininterval = mininterval
        self.bar = None
        self.val = None  # the last (val loss, val accuracy or None), shown until the next evaluation
        if trainer is not None:
            self.start(trainer)

    def start(self, trainer):
        """Show the bar at the trainer's current step (a resumed run starts part way)."""
        from tqdm import tqdm

        total = trainer.config.steps
        try:  # a terminal that reports no size (some pseudo-terminals) would get no bar at all
            size = os.get_terminal_size(self.file.fileno())
            sized = size.columns > 0 and size.lines > 0
        except (AttributeError, OSError, ValueError):
            sized = False
        shape = {"dynamic_ncols": True} if sized else {"ncols": 100, "nrows": 24}
        self.bar = tqdm(
            total=total,
            initial=min(trainer.step, total),
            desc="train",
            unit="step",
            file=self.file,
            mininterval=self.mininterval,
            leave=True,
            **shape,
        )
        return self

    def __call__(self, trainer, record):
        if self.bar is None:
            self.start(trainer)
            self.bar.n = min(trainer.step - 1, self.bar.total)
        loss = record.get("train_loss")
        text = f"loss {loss:.4f}" if isinstance(loss, float) else ""
        if "val_loss" in record:
            self.val = (record["val_loss"], record.get("val_accuracy"))
        if self.val is not None:
            val, acc = self.val
            text += f", val {val:.4f}" + ("" if acc is None else f", val acc {100 * acc:.0f}%")
        self.bar.set_postfix_str(text, refresh=False)
        self.bar.update(1)
        if trainer.step >= trainer.config.steps:
            self.close()

    def write(self, line):
        """Print a line to stdout without tearing the bar (the same bytes as `print(line)`)."""
        if self.bar is None or self.bar.disable:
            print(line)
            return
        from tqdm import tqdm

        tqdm.write(line, file=sys.stdout)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------------- JSONL log


def _json_number(x):
    return x if not isinstance(x, float) or math.isfinite(x) else None


def is_jsonl_log(path):
    """True if the file's first line is a JSON object, as every line of a micrograd log is."""
    first = read_head(path).split(b"\n", 1)[0]
    try:
        return isinstance(json.loads(first), dict)
    except ValueError:
        return False


is_jsonl_log.kind = "a JSON Lines log (its first line is not a JSON object)"


class JsonlLogger:
    """Write each step's record, then the run's summary, to a JSON Lines file, as a `fit` callback.

    mode "w" starts a new file; "a" appends (a resumed run continues its log, so a run
    extended with --steps logs the summary of each part it finished).
    """

    KEYS = ("step", "train_loss", "val_loss", "val_accuracy", "seconds")

    def __init__(self, path, mode="w"):
        if mode not in ("w", "a"):
            raise ValueError(f"mode must be 'w' or 'a', got {mode!r}")
        self.path = os.fspath(path)
        # the log grows line by line (readers follow it), so it is not written atomically; only checked,
        # and an existing file is written (or appended to) only if it is a log: `--log points.csv` must
        # not truncate the user's data
        check_target(
            self.path,
            "path",
            probe=False,
            verb="write the log",
            may_replace=is_jsonl_log,
            hint="; refusing to replace it: choose another file name",
        )
        self.file = open(self.path, mode, encoding="utf-8")

    def __call__(self, trainer, record):
        obj = {k: _json_number(record[k]) for k in self.KEYS if k in record}
        for k, v in record.items():  # anything else a trainer adds, if JSON can hold it
            if k not in obj and (v is None or isinstance(v, (bool, int, float, str))):
                obj[k] = _json_number(v)
        self._write(obj)

    def on_fit_end(self, trainer, history):
        """The summary record, after the last step (fit calls this once the summary is made)."""
        obj = {"type": "summary", "step": trainer.step}
        for name, s in history["summary"].items():
            obj[f"{name}_loss"] = _json_number(s["loss"])
            if "correct" in s:  # a regression run's summary has no accuracy
                obj[f"{name}_accuracy"] = s["correct"] / s["total"]
        self._write(obj)

    def _write(self, obj):
        self.file.write(json.dumps(obj, allow_nan=False) + "\n")
        self.file.flush()  # a whole line at a time: readers never see half a record

    def close(self):
        if not self.file.closed:
            self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_jsonl(path):
    """The records of a JSONL log, as a list of dicts (step records, then a summary record with
    "type": "summary"; keep `[r for r in records if "type" not in r]` for the steps only)."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
