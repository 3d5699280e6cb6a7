"""Tests for micrograd.viz.plots: loss curves, decision boundary, the boundary GIF, and
`micrograd train --plot DIR [--plot-every K]`. Images are opened with Pillow and checked
for size and content (not blank; the regions where the model says they are)."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageStat

from micrograd import MLP, RNG, Value
from micrograd.cli import main
from micrograd.train import TrainConfig, Trainer, fit
from micrograd.viz import curves
from micrograd.viz.curves import SERIES_COLORS, STEP_AXIS_LABEL
from micrograd.viz.plots import CLASS_COLORS, BoundaryAnimation, forward_grid, plot_boundary, plot_losses

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")


def assert_real_image(path, fmt="PNG", min_size=(400, 300)):
    with Image.open(path) as im:
        assert im.format == fmt
        assert im.width >= min_size[0] and im.height >= min_size[1], im.size
        rgb = im.convert("RGB")
        stat = ImageStat.Stat(rgb)
        assert max(stat.stddev) > 20, "the image is (nearly) blank"
        assert len(rgb.getcolors(maxcolors=1 << 20)) > 50, "too few colours for a plot"
        return im.size


def hand_model():
    """A linear 2-class model with logits (x, -x): class 0 right of x=0, class 1 left of it."""
    m = MLP(2, [2], rng=RNG(1))
    (n0, n1) = m.layers[0].neurons
    n0.w[0].data, n0.w[1].data, n0.b.data = 1.0, 0.0, 0.0
    n1.w[0].data, n1.w[1].data, n1.b.data = -1.0, 0.0, 0.0
    return m


def _hex(c):
    return tuple(int(c[i : i + 2], 16) for i in (1, 3, 5))


# ---------------------------------------------------------------------- loss curves


def test_plot_losses_png(tmp_path):
    history = {"train_loss": [1.1 * 0.95**i for i in range(50)], "val_loss": {0: 1.1, 10: 0.7, 20: 0.5, 30: 0.4}}
    path = plot_losses(history, tmp_path / "loss.png")
    w, h = assert_real_image(path)
    history["val_accuracy"] = {"1": 0.5, "11": 0.9}  # JSON-style string keys are fine
    history["train_accuracy"] = {1: 0.6, 11: 0.95}
    w2, _ = assert_real_image(plot_losses(history, tmp_path / "loss2.png"))
    assert w2 > w  # a second panel for accuracy
    assert sorted(os.listdir(tmp_path)) == ["loss.png", "loss2.png"]  # no temp files left


@pytest.fixture
def figures(monkeypatch):
    """The matplotlib figures plot_losses saves (the files are still written)."""
    seen, real = [], curves.save

    def keep(fig, path):
        seen.append(fig)
        return real(fig, path)

    monkeypatch.setattr(curves, "save", keep)
    return seen


def curve(ax, label):
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return list(line.get_xdata()), list(line.get_ydata())


def stars(ax):
    """{colour: (x, y)} of the summary's star markers in a panel."""
    return {
        ln.get_color(): (ln.get_xdata()[0], ln.get_ydata()[0])
        for ln in ax.get_lines()
        if ln.get_marker() == "*" and len(ln.get_xdata())
    }


def test_loss_plot_ends_every_curve_with_the_summary(tmp_path, figures):
    history = fit(TrainConfig.preset("seed", steps=12, eval_every=5), out=None)
    assert_real_image(plot_losses(history, tmp_path / "loss.png"))
    (fig,) = figures
    loss_ax, acc_ax = fig.axes
    s = history["summary"]
    # one step convention: val loss before step i at x=i, train loss of step i at x=i, the summary at x=steps
    assert curve(loss_ax, "val loss") == ([0, 5, 10, 12], [*history["val_loss"].values(), s["val"]["loss"]])
    assert curve(loss_ax, "train loss") == (list(range(13)), history["train_loss"] + [s["train"]["loss"]])
    assert stars(loss_ax) == {SERIES_COLORS["val"]: (12, s["val"]["loss"]), SERIES_COLORS["train"]: (12, s["train"]["loss"])}
    acc_x, acc_y = curve(acc_ax, "val accuracy")
    assert acc_x == [0, 5, 10, 12]
    assert acc_y == [100 * a for a in history["val_accuracy"].values()] + [100 * s["val"]["correct"] / s["val"]["total"]]
    assert stars(acc_ax) == {SERIES_COLORS[k]: (12, 100 * s[k]["correct"] / s[k]["total"]) for k in ("train", "val", "test")}
    assert loss_ax.get_xlabel() == acc_ax.get_xlabel() == STEP_AXIS_LABEL and "updates" in STEP_AXIS_LABEL
    assert f"val {s['val']['loss']:.3g}" in loss_ax.get_title() and acc_ax.get_title().startswith("Accuracy (final: train ")
    assert [t.get_text() for t in acc_ax.get_legend().get_texts()] == ["train accuracy", "val accuracy", "test accuracy"]


def test_a_run_never_evaluated_gets_its_summary_stars_inside_the_axes(tmp_path, figures):
    history = fit(TrainConfig.preset("seed", steps=6, eval_every=0), out=None)  # val measured only by the summary
    plot_losses(history, tmp_path / "loss.png")
    loss_ax, acc_ax = figures[0].axes
    val = history["summary"]["val"]["loss"]
    assert stars(loss_ax)[SERIES_COLORS["val"]] == (6, val)
    lo, hi = loss_ax.get_ylim()
    assert lo < val < hi and loss_ax.get_xlim()[1] > 6  # the star is inside the panel, not drawn off it
    assert [t.get_text() for t in loss_ax.get_legend().get_texts()] == ["train loss", "val loss", "summary (after all 6 steps)"]


def test_a_history_without_accuracy_draws_the_loss_panel_with_a_note(tmp_path, figures):
    old = {"train_loss": [1.0, 0.8, 0.5], "val_loss": {0: 1.1}}  # what micrograd 0.2's checkpoints hold
    w_old, _ = assert_real_image(plot_losses(old, tmp_path / "old.png"))
    never = {**old, "val_accuracy": {}}  # evaluated nowhere (eval_every 0), no summary
    plot_losses(never, tmp_path / "never.png")
    w_new, _ = assert_real_image(plot_losses({**old, "val_accuracy": {0: 0.4}}, tmp_path / "new.png"))
    assert [len(f.axes) for f in figures] == [1, 1, 2] and w_new > w_old
    assert "older micrograd" in figures[0].get_supxlabel() and "loss panel only" in figures[0].get_supxlabel()
    assert "no evaluation steps" in figures[1].get_supxlabel()
    assert figures[2].get_supxlabel() == ""


def test_plot_losses_bad_history(tmp_path):
    with pytest.raises(ValueError, match="train_loss.*empty"):
        plot_losses({"train_loss": []}, tmp_path / "x.png")
    with pytest.raises(TypeError, match="history must be a dict"):
        plot_losses([1.0, 2.0], tmp_path / "x.png")
    with pytest.raises(ValueError, match="val_loss"):
        plot_losses({"train_loss": [1.0], "val_loss": {"a": "b"}}, tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"history\['summary'\]\['val'\] must be"):
        plot_losses({"train_loss": [1.0], "summary": {"val": {"loss": 1.0, "correct": 1}}}, tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"history\['summary'\]\['val'\] must be"):
        plot_losses({"train_loss": [1.0], "summary": {"val": {"correct": 1, "total": 2}}}, tmp_path / "x.png")
    with pytest.raises(FileNotFoundError, match="output directory"):
        plot_losses({"train_loss": [1.0]}, tmp_path / "nope" / "x.png")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------- decision boundary


def test_grid_forward_matches_the_scalar_model():
    model = MLP(2, [5, 4, 3], rng=RNG(3), init="per-weight")
    pts = np.array([[0.3, -1.2], [1.7, 0.4], [-2.0, 2.0], [0.0, 0.0]])
    logits, pre = forward_grid(model, pts)
    for p, row in zip(pts, logits):
        want = [v.data for v in model([Value(float(p[0])), Value(float(p[1]))])]
        assert np.allclose(row, want, rtol=1e-12, atol=1e-15)
    assert [z.shape for z in pre] == [(4, 5), (4, 4)]


def test_boundary_regions_where_the_model_puts_them(tmp_path):
    model = hand_model()
    pts = [([x, y], 0 if x > 0 else 1) for x in (-1.5, -0.5, 0.5, 1.5) for y in (-1.0, 1.0)]
    path = plot_boundary(model, (pts[:6], pts[6:7], pts[7:]), tmp_path / "b.png")
    assert_real_image(path)
    with Image.open(path) as im:
        px = np.asarray(im.convert("RGB"), dtype=float)  # (H, W, 3)

    def columns_tinted(color):  # mean column of pixels close to the light (alpha 0.28 over white) class colour
        c = np.array(_hex(color))
        light = 0.28 * c + 0.72 * 255
        near = np.abs(px - light).sum(axis=2) < 12
        assert near.sum() > 2000, f"no region of colour {color}"
        return np.nonzero(near)[1].mean()

    assert columns_tinted(CLASS_COLORS[0]) > columns_tinted(CLASS_COLORS[1])  # class 0 on the right


def test_boundary_hidden_lines_and_errors(tmp_path):
    tr = Trainer(TrainConfig.preset("seed", steps=0))
    plain = plot_boundary(tr.model, tr.splits, tmp_path / "plain.png")
    lines = plot_boundary(tr.model, tr.splits, tmp_path / "lines.png", hidden_lines=True)
    with Image.open(plain) as a, Image.open(lines) as b:
        assert a.size == b.size
        diff = np.abs(np.asarray(a.convert("L"), float) - np.asarray(b.convert("L"), float))
        assert (diff > 30).sum() > 200  # the dashed lines are drawn
    with pytest.raises(ValueError, match="2-D points"):
        plot_boundary(tr.model, ([([1.0, 2.0, 3.0], 0)],), tmp_path / "x.png")
    with pytest.raises(ValueError, match="resolution"):
        plot_boundary(tr.model, tr.splits, tmp_path / "x.png", resolution=1)
    with pytest.raises(ValueError, match="2 inputs.*with 3"):  # a 3-input model cannot be drawn on the plane
        plot_boundary(MLP(3, [4, 3], rng=RNG(1)), tr.splits, tmp_path / "x.png")


def test_unwritable_plot_directory_is_refused_before_training():
    # /proc exists but takes no regular files (even as root): like a read-only mount
    from micrograd.viz.plots import TrainingPlots

    with pytest.raises(OSError, match=r"--plot '/proc': cannot create a file there"):
        TrainingPlots(Trainer(TrainConfig.preset("seed", steps=1)), "/proc")
    with pytest.raises(OSError, match=r"cannot write '/proc/loss.png': cannot create a file in '/proc'"):
        plot_losses({"train_loss": [1.0, 0.5], "val_loss": {}}, "/proc/loss.png")


def test_boundary_of_any_callable_model(tmp_path):
    class Sign:  # not an MLP: evaluated point by point
        def __call__(self, x):
            return [x[1], -x[1]]

    pts = [([0.1 * i - 1, (-1) ** i * 0.5], int(i % 2 == 1)) for i in range(20)]
    assert_real_image(plot_boundary(Sign(), pts, tmp_path / "b.png", resolution=30))


# ---------------------------------------------------------------------- animation


def test_boundary_gif_frames(tmp_path):
    tr = Trainer(TrainConfig.preset("seed", steps=6))
    anim = BoundaryAnimation(tr, every=2, resolution=40)
    fit(trainer=tr, out=None, callbacks=[anim])
    assert [f[0] for f in anim.frames] == [0, 2, 4, 6]
    path = anim.save(tmp_path / "b.gif")
    with Image.open(path) as im:
        assert im.format == "GIF" and im.is_animated and im.n_frames >= 3
        assert im.width >= 400
        first = np.asarray(im.convert("RGB"), float)
        im.seek(im.n_frames - 1)
        last = np.asarray(im.convert("RGB"), float)
    assert np.abs(first - last).sum() > 0  # the boundary moved


def gif_durations(path):
    with Image.open(path) as im:
        out = []
        for k in range(im.n_frames):
            im.seek(k)
            out.append(im.info["duration"])
        return out


def test_gif_plays_at_10_fps_and_holds_the_last_frame(tmp_path):
    tr = Trainer(TrainConfig.preset("seed", steps=8))
    anim = BoundaryAnimation(tr, every=2, resolution=30)
    fit(trainer=tr, out=None, callbacks=[anim])
    assert gif_durations(anim.save(tmp_path / "a.gif")) == [100, 100, 100, 100, 2000]  # ms: 10 fps, then 2 s
    assert gif_durations(anim.save(tmp_path / "b.gif", fps=4, hold=0)) == [250] * 5  # the hold is at least a frame
    for bad in ({"fps": 0}, {"fps": True}, {"hold": -1}, {"hold": "2"}):
        with pytest.raises(ValueError, match="fps|hold"):
            anim.save(tmp_path / "c.gif", **bad)
    assert not os.path.exists(tmp_path / "c.gif")


def test_animation_keeps_a_bounded_number_of_frames():
    tr = Trainer(TrainConfig.preset("seed", steps=40))
    anim = BoundaryAnimation(tr, every=1, resolution=10, max_frames=8)
    fit(trainer=tr, out=None, callbacks=[anim])
    steps = [f[0] for f in anim.frames]
    assert len(steps) <= 9 and steps[0] == 0 and steps[-1] == 40 and steps == sorted(steps)


# ---------------------------------------------------------------------- the CLI


@pytest.mark.slow
def test_cli_train_plot(tmp_path, capsys):
    out = tmp_path / "plots" / "run1"  # created, parents too
    assert main(["train", "--steps", "12", "--plot", str(out), "--plot-every", "4", "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert sorted(os.listdir(out)) == ["boundary.gif", "boundary.png", "loss.png"]
    assert_real_image(out / "loss.png")
    assert_real_image(out / "boundary.png")
    assert_real_image(out / "boundary.gif", fmt="GIF")
    assert "wrote" not in captured.out and "boundary.png" in captured.err  # stdout stays the run's lines
    assert main(["train", "--steps", "12", "--no-progress"]) == 0
    assert capsys.readouterr().out == captured.out


def test_cli_plot_errors(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["train", "--steps", "2", "--plot", str(f)]) == 2
    assert "--plot must name a directory" in capsys.readouterr().err
    assert main(["train", "--steps", "2", "--plot-every", "3"]) == 2
    err = capsys.readouterr().err
    assert "--plot-every 3 needs --plot DIR" in err and err.count("\n") == 1


def test_import_micrograd_does_not_import_matplotlib():
    code = (
        "import sys, micrograd, micrograd.viz, micrograd.viz.plots, micrograd.progress, micrograd.cli; "
        "print(sorted(m for m in ('matplotlib', 'graphviz', 'tqdm', 'PIL') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_cli_plot_with_3d_data_writes_only_the_loss(tmp_path, capsys):
    csv = tmp_path / "d3.csv"
    rows = ["a,b,c,label"] + [f"{i / 10},{(i * 7 % 11) / 10},{(i * 3 % 5) / 5},{i % 2}" for i in range(30)]
    csv.write_text("\n".join(rows) + "\n")
    out = tmp_path / "plots"
    assert main(["train", "--data", str(csv), "--steps", "3", "--plot", str(out), "--quiet"]) == 0
    assert os.listdir(out) == ["loss.png"]
    assert_real_image(out / "loss.png")
    capsys.readouterr()
    assert main(["train", "--data", str(csv), "--steps", "3", "--plot", str(out), "--plot-every", "1"]) == 2
    assert "the data has 3 coordinates" in capsys.readouterr().err


def test_missing_matplotlib_refused_before_training(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["train", "--steps", "2", "--plot", str(tmp_path / "p")]) == 2
    captured = capsys.readouterr()
    hint = "pip install matplotlib (a dependency of micrograd-llm101n)"
    assert captured.err == f"micrograd train: error: plots need matplotlib: {hint}\n"
    assert captured.out == ""  # refused before the first step


def test_cli_plot_a_saved_run(tmp_path, capsys):
    ckpt = tmp_path / "run.ckpt.json"
    assert main(["train", "--steps", "15", "--save", str(ckpt), "--quiet", "--no-progress"]) == 0
    out = tmp_path / "pics"
    assert main(["plot", str(ckpt), "--out", str(out)]) == 0
    assert sorted(os.listdir(out)) == ["boundary.png", "loss.png"]
    assert_real_image(out / "loss.png")
    assert_real_image(out / "boundary.png")
    with Image.open(out / "loss.png") as im:
        assert im.width > 1000  # the accuracy panel beside the loss
    capsys.readouterr()
    assert main(["plot", str(tmp_path / "missing.json"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("micrograd plot: error:") and err.count("\n") == 1
    # `--out p.png` reads as a file: refused before anything is made, not a directory named p.png
    assert main(["plot", str(ckpt), "--out", str(tmp_path / "p.png")]) == 2
    err = capsys.readouterr().err
    assert "--out names a directory" in err and "p.png" in err and err.count("\n") == 1
    assert not (tmp_path / "p.png").exists()


def test_cli_plot_an_old_checkpoint_draws_the_loss_only(tmp_path, capsys, figures):
    out = tmp_path / "old"
    assert main(["plot", os.path.join(GOLDEN, "ckpt_v1_seed.json"), "--out", str(out)]) == 0
    assert sorted(os.listdir(out)) == ["boundary.png", "loss.png"]
    (fig,) = figures
    assert len(fig.axes) == 1 and "no accuracy" in fig.get_supxlabel()
    assert curve(fig.axes[0], "val loss")[0] == [0, 10]  # 12 steps, no summary in a 0.1.0 file
    assert_real_image(out / "loss.png")


# ---------------------------------------------------------------------- features and regression runs


def test_a_features_run_is_drawn_over_its_points_in_the_plane(tmp_path, monkeypatch):
    """--features x2,y2: the model sees (x², y²), the picture is the plane; the grid's classes are
    the model's at each point's features (checked against the scalar model at a few cells)."""
    from micrograd.data import feature_row
    from micrograd.viz import plots

    trainer = Trainer(TrainConfig(dataset="circles", features=["x2", "y2", "xy"], hidden=[4], steps=20))
    fit(trainer=trainer, out=lambda line: None)
    seen = {}
    real = plots._BoundaryGrid.evaluate

    def spy(self, model):
        seen["grid"], seen["X"] = self, self.X
        return real(self, model)

    monkeypatch.setattr(plots._BoundaryGrid, "evaluate", spy)
    path = plot_boundary(trainer.model, trainer.points, tmp_path / "b.png", features=trainer.config.features, resolution=7)
    assert_real_image(path)
    grid, X = seen["grid"], seen["X"]
    classes, _ = real(grid, trainer.model)
    for i in (0, 10, 24, 48):
        x, y = grid.X[i][0] ** 0.5, None  # recover the cell's plane point from the meshgrid instead
        r, c = divmod(i, 7)
        x, y = grid.xs[c], grid.ys[r]
        assert list(X[i]) == pytest.approx(feature_row(x, y, ["x2", "y2", "xy"]), rel=1e-15)
        logits = [v.data for v in trainer.model(feature_row(x, y, ["x2", "y2", "xy"]))]
        assert classes[r, c] == max(range(3), key=logits.__getitem__)
    with pytest.raises(ValueError, match="needs a model with 2 inputs"):
        plot_boundary(trainer.model, trainer.points, tmp_path / "c.png")  # the features not given


def test_a_regression_run_plots_a_heatmap_logs_and_plots_from_its_checkpoint(tmp_path, capsys):
    ckpt, log, out = tmp_path / "r.json", tmp_path / "r.jsonl", tmp_path / "pics"
    argv = ["train", "--dataset", "plane", "--steps", "12", "--quiet", "--no-progress"]
    assert main([*argv, "--save", str(ckpt), "--log", str(log), "--plot", str(out), "--plot-every", "4"]) == 0
    assert sorted(os.listdir(out)) == ["boundary.gif", "boundary.png", "loss.png"]
    summary = [ln for ln in log.read_text().splitlines() if '"summary"' in ln][0]
    assert "train_loss" in summary and "accuracy" not in summary  # no accuracy for a regression run
    capsys.readouterr()
    assert main(["plot", str(ckpt), "--out", str(tmp_path / "again")]) == 0
    for name in ("loss.png", "boundary.png"):
        assert_real_image(tmp_path / "again" / name)
    with Image.open(tmp_path / "again" / "boundary.png") as im:  # a heatmap: many colours, not a few class regions
        assert len(im.convert("RGB").getcolors(maxcolors=1 << 20)) > 500
