"""micrograd.viz.curves — a run's history as a picture: the loss curves and the accuracy panel.

    from micrograd.train import fit
    from micrograd.viz.curves import plot_losses        # also micrograd.viz.plots.plot_losses
    history = fit(out=None)
    plot_losses(history, "loss.png")    # train loss per step, val loss and accuracy where evaluated,
                                        # the summary after the last step as stars

The history is fit()'s (or a checkpoint's: `micrograd plot CKPT`); `micrograd train --plot
DIR` draws it through micrograd.viz.plots.TrainingPlots. One step convention, micrograd.train's,
holds for every series: a number is drawn at x = the optimizer updates the model had when it
was measured. The val loss/accuracy evaluated "before step i" and the train loss of step i
(its forward pass, before its update) are at x = i; the summary, made after the last step,
is at x = steps (one past the last train loss) and ends each curve.
"""

import math

from ._figure import figure, save

# the step convention, said on every step axis (the module docstring has it in full)
STEP_AXIS_LABEL = "step (x = updates done when measured)"
FINAL_MARKER = {"marker": "*", "ms": 13, "mec": "black", "mew": 0.7, "ls": "", "zorder": 4, "clip_on": False}
# the accuracy panel's stars share x = steps and often y too (100%): train's is drawn a few points left
# of it and test's right (val's ends its curve), so equal values stand side by side, not on top of each other
FINAL_DODGE = {"train": -7, "val": 0, "test": 7}  # points
SERIES_COLORS = {"train": "#1f77b4", "val": "#d62728", "test": "#2ca02c"}

# ---------------------------------------------------------------------- reading a history


def _steps_values(series, what):
    """(steps, values) from a list (index = step) or a mapping step -> value (JSON keys may be strings)."""
    if series is None:
        return [], []
    if hasattr(series, "items"):
        try:
            pairs = sorted((int(k), float(v)) for k, v in series.items())
        except (TypeError, ValueError):
            raise ValueError(f"history[{what!r}] must map step numbers to numbers, got {series!r:.80}") from None
        return [s for s, _ in pairs], [v for _, v in pairs]
    try:
        values = [float(v) for v in series]
    except (TypeError, ValueError):
        raise ValueError(f"history[{what!r}] must be a list of numbers, got {series!r:.80}") from None
    return list(range(len(values))), values


def _summary(history):
    """{split: (loss, accuracy)} from history["summary"] (fit's {split: {"loss", "correct", "total"}}), or {}."""
    summary = history.get("summary") or {}
    if not isinstance(summary, dict):
        raise ValueError(f"history['summary'] must map split names to {{'loss', 'correct', 'total'}}, got {summary!r:.80}")
    out = {}
    for name, s in summary.items():
        try:  # a regression run's summary has a loss and no accuracy
            out[name] = (float(s["loss"]), s["correct"] / s["total"] if isinstance(s, dict) and "correct" in s else None)
        except (KeyError, TypeError, ZeroDivisionError):
            raise ValueError(f"history['summary'][{name!r}] must be {{'loss', 'correct', 'total'}}, got {s!r:.80}") from None
    return out


def _with_final(steps, values, end, final):
    """A series extended by its summary value at x = end (the model after the last step)."""
    if final is None or (steps and steps[-1] >= end):
        return steps, values
    return steps + [end], values + [final]


# ---------------------------------------------------------------------- drawing


def _star(ax, name, end, y, dodge=False):
    """The summary's star for split `name` at (end, y), with `dodge` moved sideways by FINAL_DODGE points."""
    from matplotlib.transforms import offset_copy

    shift = offset_copy(ax.transData, fig=ax.figure, x=FINAL_DODGE[name] if dodge else 0, y=0, units="points")
    (star,) = ax.plot([end], [y], color=SERIES_COLORS[name], transform=shift, **FINAL_MARKER)
    ax.update_datalim([(end, y)])  # a line in a shifted transform does not widen the axes' limits by itself
    ax.autoscale_view()
    return star


def plot_losses(history, path, title=None):
    """Write a figure of the losses (and, when the history has them, the accuracies) per step.

    history: what `train.fit` returns: {"train_loss": [...], "val_loss": {step: loss},
    "val_accuracy": {step: fraction}, "summary": {split: {"loss", "correct", "total"}}}
    (a checkpoint's history is the same; "train_accuracy" {step: fraction} is drawn too if
    given). Every series follows one step convention: x = the optimizer updates the model
    had when the number was measured, so the val loss "before step i" and step i's train
    loss are at x = i, and the summary (after the last step) ends each curve at x = steps
    with a star. Accuracy is drawn in a second panel; a history with no accuracy at all
    (a checkpoint saved by an older micrograd) gets the loss panel and a note saying so.
    Returns the path.
    """
    if not isinstance(history, dict):
        raise TypeError(f"history must be a dict like fit() returns, got {type(history).__name__}")
    steps, train = _steps_values(history.get("train_loss"), "train_loss")
    if not train:
        raise ValueError("history['train_loss'] is empty: nothing to plot (train for at least one step)")
    vsteps, val = _steps_values(history.get("val_loss"), "val_loss")
    acc = {name: _steps_values(history.get(f"{name}_accuracy"), f"{name}_accuracy") for name in ("train", "val")}
    final = _summary(history)
    final_acc = {k: v for k, v in final.items() if v[1] is not None}  # a regression run's summary has none
    regression = bool(final) and not final_acc
    end = steps[-1] + 1  # the summary's x: the steps done after the last step
    has_acc = bool(final_acc) or any(v for _, v in acc.values())

    fig = figure(11 if has_acc else 7, 4.4)
    axes = fig.subplots(1, 2, sharex=True) if has_acc else [fig.subplots()]  # one x axis: the same steps
    ax = axes[0]
    for name, (s, v), style in (
        ("train", (steps, train), {"lw": 1.6}),
        ("val", (vsteps, val), {"lw": 1.2, "ls": "--", "marker": "o", "ms": 4}),
    ):
        s, v = _with_final(s, v, end, final[name][0] if name in final else None)
        if len(v) > 1 or (v and name not in final):
            ax.plot(s, v, color=SERIES_COLORS[name], label=f"{name} loss", **style)
        if name in final:  # a split never evaluated during the run (eval_every 0) has its star only
            _star(ax, name, end, final[name][0]).set_label(f"{name} loss" if len(v) == 1 else None)
    if final:
        ax.plot([], [], color="#999", label=f"summary (after all {end} steps)", **FINAL_MARKER)
    finite = [v for v in train + val + [final[k][0] for k in ("train", "val") if k in final] if math.isfinite(v)]
    if finite and min(finite) > 0 and max(finite) / min(finite) > 30:
        ax.set_yscale("log")  # losses that fall by orders of magnitude read better on a log axis
    ax.set_xlabel(STEP_AXIS_LABEL)
    ax.set_ylabel(
        ("mean squared error" if regression else "cross-entropy loss") + (" (log scale)" if ax.get_yscale() == "log" else "")
    )
    if "train" in final and "val" in final:  # the numbers in the title: a corner note would cover curves
        ax.set_title(f"Loss (final: train {final['train'][0]:.3g}, val {final['val'][0]:.3g})")
    else:
        ax.set_title(f"Loss (last train loss {train[-1]:.3g})")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    if has_acc:
        _accuracy_panel(axes[1], acc, final_acc, end)
    elif regression:
        fig.supxlabel("a regression run: its loss is the mean squared error, there is no accuracy", fontsize=9, color="#555")
    elif "val_accuracy" not in history:
        fig.supxlabel(
            "no accuracy in this history (a checkpoint from an older micrograd?): loss panel only", fontsize=9, color="#555"
        )
    else:
        fig.supxlabel("no accuracy recorded (no evaluation steps): loss panel only", fontsize=9, color="#555")
    fig.suptitle(title or f"Training: {end} steps")
    return save(fig, path)


def _accuracy_panel(ax, acc, final, end):
    """Accuracy (%) per step: the recorded series, each ended by its summary value, and the summary's stars."""
    legend = {}  # split -> its line (or its star, for a split with the summary's value only)
    for name in ("train", "val", "test"):
        s, v = acc.get(name, ([], []))
        s, v = _with_final(s, v, end, final[name][1] if name in final else None)
        color = SERIES_COLORS[name]
        if len(v) > 1:
            (legend[name],) = ax.plot(
                s, [100 * a for a in v], color=color, lw=1.2, ls="--", marker="o", ms=4, label=f"{name} accuracy"
            )
        if name in final:
            legend.setdefault(name, _star(ax, name, end, 100 * final[name][1], dodge=True))
    ax.set_ylim(-3, 103)
    ax.set_xlabel(STEP_AXIS_LABEL)
    ax.set_ylabel("accuracy (%)")
    finals = ", ".join(f"{name} {100 * a:.0f}%" for name, (_, a) in final.items())
    ax.set_title(f"Accuracy (final: {finals})" if final else "Accuracy")
    ax.grid(True, alpha=0.3)
    names = [n for n in ("train", "val", "test") if n in legend]
    ax.legend([legend[n] for n in names], [f"{n} accuracy" for n in names], loc="best")
