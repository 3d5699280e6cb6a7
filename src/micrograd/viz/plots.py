"""micrograd.viz.plots — training pictures with matplotlib: decision boundary, its GIF, `--plot`.

    from micrograd.train import fit, make_trainer
    from micrograd.viz.plots import plot_losses, plot_boundary
    tr = make_trainer(); history = fit(trainer=tr, out=None)
    plot_losses(history, "loss.png")          # losses and accuracies per step (micrograd.viz.curves)
    plot_boundary(tr.model, tr.splits, "boundary.png", hidden_lines=True)

`micrograd train --plot DIR [--plot-every K]` does the same through `TrainingPlots`, a
callback for `train.fit(callbacks=...)`, and with K also an animated `DIR/boundary.gif`.

matplotlib is imported inside the functions, through its object API and the Agg canvas
(never pyplot; micrograd.viz._figure), so importing this module is cheap and a user's own
pyplot state and backend (e.g. Jupyter's) are left alone. Every file is written atomically.

The decision boundary needs the model's class at every point of a grid over the data.
A scalar `MLP` is slow per point, so `forward_grid` reads its weights (or a tensor-engine
MLP's) with `MLP.weights()` into NumPy arrays and sends the whole grid through one
vectorized forward pass (the same float64 arithmetic); any other model is called point by
point on a coarser grid. The web page's boundary uses `forward_grid` too.
"""

import os

from .._io import atomic_path, check_writable_dir
from ..data import DEFAULT_FEATURES, feature_columns
from ._figure import figure, need_matplotlib, save
from .curves import plot_losses  # TrainingPlots draws it; also the public micrograd.viz.plots.plot_losses

# class colours (points) and their light versions (regions): ColorBrewer-like, colour-blind friendly
CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
SPLIT_MARKERS = (("train", "o", 36), ("val", "s", 44), ("test", "^", 52))


def _class_color(k):
    return CLASS_COLORS[k % len(CLASS_COLORS)]


# ---------------------------------------------------------------------- evaluating a model on a grid


def _mlp_arrays(model):
    """[(W (nout, nin), b (nout,), act)] per layer of a micrograd MLP of either engine, read
    with its `weights()` (its activation for hidden layers, None for the linear last one), or
    None for any other model."""
    import numpy as np

    weights = getattr(model, "weights", None)
    if weights is None or not hasattr(model, "activation"):
        return None
    layers = weights()
    return [
        (np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64), model.activation if i < len(layers) - 1 else None)
        for i, (W, b) in enumerate(layers)
    ]


def forward_grid(model, X):
    """The model at many points: (logits (N, C), hidden pre-activations [(N, H) per hidden
    layer] or None) for the points X, a float64 array (N, D). NumPy only (no matplotlib).

    A micrograd MLP (either engine) goes through one vectorized float64 forward pass of
    its `weights()`, no graph built; any other model is called point by point (no
    pre-activations then). The plots and the web page's boundary both use this.
    """
    import numpy as np

    from ..tensor._kernels import ACTIVATIONS  # each activation on an array (imports NumPy: here, not at import)

    arrays = _mlp_arrays(model)
    if arrays is not None:
        h, pre = X, []
        for W, b, act in arrays:
            z = h @ W.T + b  # (N, nout)
            if act is None:
                h = z
            else:
                pre.append(z)
                h = ACTIVATIONS[act](z)
        return h, pre
    rows = []  # any other model: one call per point
    for p in X:
        outs = model([float(c) for c in p])
        outs = outs if isinstance(outs, (list, tuple)) else [outs]  # a one-output model gives a lone Value
        rows.append([float(getattr(o, "data", o)) for o in outs])
    return np.array(rows, dtype=np.float64), None


def _points(splits):
    """[(name, [(x, y, label), ...])] from (train, val, test) splits of ([x, y], label) points."""
    if not isinstance(splits, (list, tuple)) or not splits:
        raise TypeError(f"splits must be (train, val, test) lists of ([x, y], label) points, got {type(splits).__name__}")
    if len(splits) > 3 or (
        splits and isinstance(splits[0], tuple) and len(splits[0]) == 2 and not isinstance(splits[0][1], list)
    ):
        splits = (splits,)  # one list of points
    out = []
    for (name, _, _), split in zip(SPLIT_MARKERS, splits):
        pts = []
        for i, pt in enumerate(split):
            try:
                x, label = pt
                if len(x) != 2:
                    raise ValueError
                label = float(label)  # a class index, or a regression run's target
                pts.append((float(x[0]), float(x[1]), int(label) if label.is_integer() else label))
            except (TypeError, ValueError, OverflowError):
                raise ValueError(f"plot_boundary needs 2-D points ([x, y], label); {name} point {i} is {pt!r:.60}") from None
        out.append((name, pts))
    if not any(pts for _, pts in out):
        raise ValueError("splits hold no points: nothing to plot")
    return out


def _domain(named_points, pad=0.1):
    xs = [p[0] for _, pts in named_points for p in pts]
    ys = [p[1] for _, pts in named_points for p in pts]
    dx, dy = max(xs) - min(xs) or 1.0, max(ys) - min(ys) or 1.0
    return min(xs) - pad * dx, max(xs) + pad * dx, min(ys) - pad * dy, max(ys) + pad * dy


class _BoundaryGrid:
    """A grid over the data's domain and the model's classes on it."""

    def __init__(self, named_points, resolution, features=DEFAULT_FEATURES):
        import numpy as np

        self.extent = _domain(named_points)
        x0, x1, y0, y1 = self.extent
        self.xs = np.linspace(x0, x1, resolution)
        self.ys = np.linspace(y0, y1, resolution)
        gx, gy = np.meshgrid(self.xs, self.ys)  # (R, R): row = y, column = x
        self.X = feature_columns(gx.ravel(), gy.ravel(), features)  # (R*R, features): the model's inputs
        self.shape = gx.shape
        labels = [p[2] for _, pts in named_points for p in pts]
        self.regression = any(isinstance(v, float) for v in labels)  # set again by evaluate() from the model
        self.nclasses = 1 if self.regression else 1 + max(labels)
        self.vrange = (min(labels), max(labels))  # a regression run's colour scale: the targets' range

    def evaluate(self, model):
        """(classes (R, R) int, or a regression model's output (R, R) float; [hidden
        pre-activation (R, R) per neuron] or None)."""
        logits, pre = forward_grid(model, self.X)
        if logits.ndim != 2 or logits.shape[1] < 1:
            raise ValueError(f"the model must output one logit per class, got outputs of shape {logits.shape[1:]}")
        hidden = None if pre is None else [z[:, j].reshape(self.shape) for z in pre for j in range(z.shape[1])]
        if logits.shape[1] == 1:  # one output: a regression model's prediction, drawn as a heatmap
            self.regression, self.nclasses = True, 1
            return logits[:, 0].reshape(self.shape), hidden
        self.nclasses = max(self.nclasses, logits.shape[1])
        classes = logits.argmax(axis=1).reshape(self.shape)
        return classes, hidden


def _draw_boundary(ax, grid, classes, named_points, hidden=None):
    """Class regions as an image, hidden zero-level lines, then the points; returns the image."""
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D

    if grid.regression:  # the prediction as a heatmap, the points coloured by their targets on the same scale
        lo, hi = grid.vrange
        cmap, vmin, vmax, alpha, color_of = "coolwarm", lo, hi if hi > lo else lo + 1, 0.55, None
    else:
        cmap = ListedColormap([_class_color(k) for k in range(grid.nclasses)])
        vmin, vmax, alpha, color_of = -0.5, grid.nclasses - 0.5, 0.28, _class_color
    img = ax.imshow(
        classes,
        origin="lower",
        extent=grid.extent,
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        alpha=alpha,
        interpolation="nearest" if color_of else "bilinear",
        aspect="auto",
    )
    if hidden:
        for z in hidden:  # w.x + b = 0 of each first-layer neuron is a line; deeper layers give curves
            if z.min() < 0 < z.max():
                ax.contour(grid.xs, grid.ys, z, levels=[0.0], colors="#444", linewidths=0.8, linestyles="--", alpha=0.7)
    for name, marker, size in SPLIT_MARKERS:
        pts = dict(named_points).get(name) or []
        if pts:
            colors = {"c": [color_of(p[2]) for p in pts]} if color_of else {"c": [p[2] for p in pts], "cmap": cmap}
            ax.scatter(
                [p[0] for p in pts],
                [p[1] for p in pts],
                **colors,
                **({} if color_of else {"vmin": vmin, "vmax": vmax}),
                marker=marker,
                s=size,
                edgecolors="black" if name == "train" else "white",
                linewidths=0.8,
                zorder=3,
            )
    x0, x1, y0, y1 = grid.extent
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("x[0]")
    ax.set_ylabel("x[1]")
    handles = [
        Line2D(
            [],
            [],
            ls="",
            marker=m,
            color="#777",
            markeredgecolor="black" if n == "train" else "white",
            label=f"{n} ({len(dict(named_points).get(n) or [])})",
        )
        for n, m, _ in SPLIT_MARKERS
        if dict(named_points).get(n)
    ]
    if color_of:
        handles += [
            Line2D([], [], ls="", marker="s", ms=10, color=_class_color(k), alpha=0.6, label=f"class {k}")
            for k in range(grid.nclasses)
        ]
    else:
        ax.figure.colorbar(img, ax=ax, location="bottom", shrink=0.7, aspect=40, pad=0.02, label="target / prediction")
    if hidden:
        handles.append(Line2D([], [], color="#444", ls="--", lw=0.8, label="hidden neuron w·x+b=0"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return img


def _accuracy_text(classes_at, named_points):
    parts = []
    for name, pts in named_points:
        if pts:
            correct = sum(classes_at(x, y) == label for x, y, label in pts)
            parts.append(f"{name} {100.0 * correct / len(pts):.0f}%")
    return ", ".join(parts)


def plot_boundary(model, splits, path, hidden_lines=False, title=None, resolution=None, features=DEFAULT_FEATURES):
    """Write a figure of the model's class regions over the data, with the points.

    model: a 2-input classifier (a scalar `MLP`, or anything called as `model([x, y])`
    returning one logit per class). splits: (train, val, test) lists of ([x, y], label)
    (train points edged black, val squares, test triangles). hidden_lines: also draw each
    hidden neuron's zero level w·x+b = 0. resolution: grid points per axis (default 200
    for an MLP, 60 for other models, which are evaluated point by point). features: the
    model's inputs at a point (x, y) (micrograd.data.FEATURES; a run's `--features`): the
    splits hold the points in the plane. A one-output model (a regression run: float
    targets) is drawn as a heatmap of its prediction. Returns the path.
    """
    import numpy as np

    named = _points(splits)
    arrays = _mlp_arrays(model)
    features = tuple(features)
    if arrays is not None and arrays[0][0].shape[1] != len(features):  # else numpy's matmul message, naming nothing of ours
        raise ValueError(
            f"plot_boundary needs a model with {len(features)} inputs (features {','.join(features)} of the plane it "
            f"draws), got one with {arrays[0][0].shape[1]}"
        )
    if resolution is None:
        resolution = 200 if arrays is not None else 60
    if isinstance(resolution, bool) or not isinstance(resolution, int) or not 2 <= resolution <= 2000:
        raise ValueError(f"resolution must be an int in [2, 2000], got {resolution!r}")
    grid = _BoundaryGrid(named, resolution, features)
    classes, hidden = grid.evaluate(model)

    def outputs_at(x, y):  # the model's own outputs at a data point (not the grid's nearest cell)
        logits, _ = forward_grid(model, feature_columns(np.array([x]), np.array([y]), features))
        return logits[0]

    fig = figure(7.2, 5.6)
    ax = fig.subplots()
    _draw_boundary(ax, grid, classes, named, hidden if hidden_lines else None)
    if grid.regression:
        mse = {name: sum((outputs_at(x, y)[0] - t) ** 2 for x, y, t in pts) / len(pts) for name, pts in named if pts}
        default = "Prediction (MSE: " + ", ".join(f"{k} {v:.3g}" for k, v in mse.items()) + ")"
    else:
        default = f"Decision boundary (accuracy: {_accuracy_text(lambda x, y: int(outputs_at(x, y).argmax()), named)})"
    ax.set_title(title or default, fontsize=11)
    return save(fig, path)


# ---------------------------------------------------------------------- during training: a callback


class BoundaryAnimation:
    """Frames of the decision boundary during training, saved as an animated GIF.

        anim = BoundaryAnimation(trainer, every=10)   # frame 0: the initial model
        fit(trainer=trainer, callbacks=[anim]); anim.save("boundary.gif")

    At most `max_frames` are kept: when full, every other frame is dropped and the
    interval doubles, so a long run still gives a GIF of bounded size and time.
    """

    def __init__(self, trainer, every, resolution=None, max_frames=120):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive int (steps between frames), got {every!r}")
        self.trainer, self.every, self.max_frames = trainer, every, max(2, max_frames)
        self.named = _points(trainer.points)
        if resolution is None:
            resolution = 120 if _mlp_arrays(trainer.model) is not None else 40
        self.grid = _BoundaryGrid(self.named, resolution, trainer.config.features)
        self.frames = []  # (steps done, classes grid (uint8), last train loss or None)
        self._capture(None)

    def _capture(self, loss):
        if len(self.frames) >= self.max_frames:  # thin out: keep frames 0, 2, 4, ... and slow down
            self.frames = self.frames[::2]
            self.every *= 2
        classes, _ = self.grid.evaluate(self.trainer.model)
        self.frames.append((self.trainer.step, classes.astype("uint8"), loss))

    def __call__(self, trainer, record):
        steps_done = trainer.step
        if steps_done % self.every == 0 or steps_done == trainer.config.steps:
            self._capture(record.get("train_loss"))

    def save(self, path, fps=10, hold=2.0):
        """Write the frames as an animated GIF (Pillow), atomically: `fps` frames a second (10: a
        100 ms frame, exact in GIF's 10 ms units), the last frame held `hold` seconds before it loops."""
        from PIL import Image

        if not (isinstance(fps, (int, float)) and 1 <= fps <= 50) or isinstance(fps, bool):
            raise ValueError(f"fps must be a number in [1, 50], got {fps!r}")
        if not (isinstance(hold, (int, float)) and 0 <= hold <= 60) or isinstance(hold, bool):
            raise ValueError(f"hold must be a number of seconds in [0, 60], got {hold!r}")
        fig = figure(7.2, 5.6, layout=None)  # a fixed layout: constrained layout per frame is slow
        fig.set_dpi(80)
        ax = fig.subplots()
        fig.subplots_adjust(left=0.09, right=0.78, bottom=0.09, top=0.93)
        img = _draw_boundary(ax, self.grid, self.frames[0][1], self.named)
        images = []
        for steps_done, classes, loss in self.frames:
            img.set_data(classes)
            loss_text = "" if loss is None else f" (last train loss {loss:.4f})"
            ax.set_title(f"Decision boundary after {steps_done} steps{loss_text}", fontsize=11)
            fig.canvas.draw()
            images.append(Image.frombuffer("RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba()).convert("RGB"))
        frame_ms = round(1000 / fps)
        durations = [frame_ms] * (len(images) - 1) + [max(frame_ms, round(1000 * hold))]
        path = os.fspath(path)
        with atomic_path(path) as tmp:
            images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0)
        return path


class TrainingPlots:
    """A `fit` callback for `micrograd train --plot DIR [--plot-every K]`.

    During training it keeps boundary frames every K steps; `finish(history)` writes
    DIR/loss.png (losses and accuracies from fit's history: the same picture
    `micrograd plot CKPT` draws from a checkpoint), DIR/boundary.png (and DIR/boundary.gif).
    The boundary needs 2-D points: with other data only loss.png is written (and
    --plot-every is refused before training).
    """

    def __init__(self, trainer, folder, every=None):
        folder = os.fspath(folder)
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise ValueError(f"--plot must name a directory, got the file {folder!r}")
        ncoords = len(trainer.points[0][0][0]) if trainer.points[0] else 2
        self.planar = ncoords == 2  # the points are in the plane (the model may see features of them)
        if every and not self.planar:
            raise ValueError(f"--plot-every draws the decision boundary over 2-D points; the data has {ncoords} coordinates")
        need_matplotlib()  # before training, not after it
        os.makedirs(folder, exist_ok=True)
        check_writable_dir(folder, "--plot")  # a read-only directory fails now, not after the run
        self.trainer, self.folder = trainer, folder
        self.animation = BoundaryAnimation(trainer, every) if every else None

    def __call__(self, trainer, record):
        if self.animation is not None:
            self.animation(trainer, record)

    def finish(self, history):
        """Write the files; returns their paths."""
        paths = []
        if history.get("train_loss"):
            paths.append(plot_losses(history, os.path.join(self.folder, "loss.png")))
        if self.planar:
            paths.append(
                plot_boundary(
                    self.trainer.model,
                    self.trainer.points,
                    os.path.join(self.folder, "boundary.png"),
                    hidden_lines=True,
                    features=self.trainer.config.features,
                )
            )
        if self.animation is not None:
            paths.append(self.animation.save(os.path.join(self.folder, "boundary.gif")))
        return paths
