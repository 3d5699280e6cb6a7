"""micrograd.cli.commands — what each `micrograd` command does, once its flags are parsed
(micrograd.cli.args parses them; micrograd.cli builds the parser and runs main)."""

import argparse
import math
import os
import sys

from ..config import TrainConfig, run_keys
from .args import _flag

# ---------------------------------------------------------------------- the run a command starts from


def _config_class(args):
    return getattr(args, "config_class", TrainConfig)


def config_from_args(args):
    """The run's config: the preset, then every flag given (a flag the optimizer would ignore is refused)."""
    cls = _config_class(args)
    given = {k: getattr(args, k) for k in run_keys(cls) if getattr(args, k, None) is not None}
    cfg = cls.preset(args.preset or "seed", **given)
    cfg.check_taken(given)  # a flag that would change nothing is an error, not a silent no-op
    return cfg


def _resume_config(args, ckpt):
    """The checkpoint's config; flags given with --resume must agree with it (--steps may extend it)."""
    cls = _config_class(args)
    saved = ckpt.config
    given = {k: getattr(args, k) for k in run_keys(cls) if getattr(args, k, None) is not None}
    # with --preset, every field the preset implies counts as given
    wanted = cls.preset(args.preset, **given).to_dict() if args.preset else given
    # a CSV run may point --data at the file's new place: the points' fingerprint (checked on restore) keeps it honest
    moved = "data" in given and saved.get("data") is not None and ckpt.data_sha256 is not None
    for k, v in wanted.items():  # --steps may extend the run; --max-memory is a limit, not part of the run
        if k not in ("steps", "max_memory") and v != saved.get(k) and not (k == "data" and moved):
            what = f"--preset {args.preset}" if k not in given else f"{_flag(k)} {v}"
            raise ValueError(
                f"--resume: {what} conflicts with the checkpoint's {k}={saved.get(k)!r} "
                "(a resumed run keeps its definition; only --steps may change)"
            )
    steps = given.get("steps", saved["steps"])
    if steps < ckpt.step:
        raise ValueError(f"--steps {steps} is before the checkpoint's step {ckpt.step}")
    overrides = {"data": given["data"]} if moved else {}
    if "max_memory" in given:
        overrides["max_memory"] = given["max_memory"]
    return ckpt.train_config(steps=steps, **overrides)


def _start_run(args):
    """(trainer, history): a fresh run, or the one --resume names, restored bit for bit."""
    from .. import checkpoint
    from ..train import make_trainer

    for key in ("save", "resume", "log", "plot"):  # an empty path is a mistake, not "no file"
        if getattr(args, key, None) == "":
            raise ValueError(f"{_flag(key)} needs a path, got ''")
    if args.save_every and not args.save:
        raise ValueError(f"--save-every {args.save_every} needs --save CKPT (where to save)")
    if args.save:  # fail before training, not after: a directory, a FIFO, a device, someone else's file
        checkpoint.check_save_target(args.save, "--save", overwrite=args.overwrite, hint=" (pass --overwrite to replace it)")
    if not args.resume:
        return make_trainer(config_from_args(args)), None
    ckpt = checkpoint.load(args.resume, config_class=_config_class(args), max_memory=getattr(args, "max_memory", None))
    trainer = checkpoint.build_trainer(ckpt, make_trainer, _resume_config(args, ckpt))  # a crafted data path: no echo
    checkpoint.restore(trainer, ckpt)
    return trainer, ckpt.history


class _Checkpointing:
    """--save/--save-every, and SIGINT/SIGTERM/SIGHUP: stop (abandoning a step in its forward/backward
    pass), save the last whole step, exit 130.

    with _Checkpointing(args, trainer, history) as ck:
        fit(..., callbacks=[..., *ck.callbacks], history=ck.history)
    return ck.status
    """

    def __init__(self, args, trainer, history):
        from ..train import StopOnSignal

        self.args, self.trainer, self.status = args, trainer, 0
        self.history = history if history is not None else {"train_loss": [], "val_loss": {}}
        self.stop = StopOnSignal(trainer=trainer)  # a long step is abandoned at once, not waited for
        self.callbacks = [self._every, self.stop.callback]  # the stop check last: the step is whole

    def _save(self, path):
        from .. import checkpoint

        checkpoint.save_trainer(path, self.trainer, self.history, overwrite=bool(getattr(self.args, "overwrite", False)))

    def _every(self, trainer, record):
        if self.args.save_every and trainer.step % self.args.save_every == 0:
            self._save(self.args.save)

    def __enter__(self):
        self.stop.__enter__()
        return self

    def __exit__(self, etype, exc, tb):
        from .. import checkpoint
        from ..train import TrainingInterrupted

        try:  # the handlers stay on while saving: a first Ctrl-C now must not cut the final save
            if etype is not None and not issubclass(etype, TrainingInterrupted):
                return False
            if etype is None and self.args.save:
                self._save(self.args.save)
            # a signal after the last step (etype None) still gets its checkpoint
            path = self.args.save
            if self.stop.requested and (etype is not None or not self.args.save):
                path = path or checkpoint.interrupt_path()  # a free name: never replaces a file
                self._save(path)
        finally:
            self.stop.__exit__(etype, exc, tb)
        if self.stop.requested:
            name = signal_name(self.stop.signum)
            print(
                f"micrograd train: interrupted by {name} "
                f"{f'after step {self.trainer.step - 1}' if self.trainer.step else 'before the first step'}; checkpoint saved "
                f"to {path} (continue with: micrograd train --resume {path})",
                file=sys.stderr,
            )
            self.status = 130
        return True


def signal_name(signum):
    import signal

    return signal.Signals(signum).name


class _Watching:
    """--progress (a tqdm bar on stderr), --log FILE.jsonl, --plot DIR [--plot-every K]."""

    def __init__(self, args, trainer):
        self.callbacks, self.bar, self.log, self.plots = [], None, None, None
        if args.plot_every and not args.plot:
            raise ValueError(f"--plot-every {args.plot_every} needs --plot DIR (where to write the GIF)")
        if args.plot:  # fail before training: a bad directory, matplotlib missing
            from ..viz.plots import TrainingPlots

            self.plots = TrainingPlots(trainer, args.plot, every=args.plot_every)
            self.callbacks.append(self.plots)
        if args.log:
            from ..progress import JsonlLogger

            self.log = JsonlLogger(args.log, mode="a" if getattr(args, "resume", None) else "w")
            self.callbacks.append(self.log)
        if args.progress if args.progress is not None else sys.stderr.isatty():
            from ..progress import ProgressBar

            try:
                self.bar = ProgressBar(trainer)
                self.callbacks.append(self.bar)
            except ImportError:  # tqdm is an extra: without it, only an explicit --progress is an error
                if args.progress:
                    raise ImportError("--progress needs tqdm: pip install tqdm (a dependency of micrograd-llm101n)") from None

    def out(self, out):
        """Step lines go through the bar (so it is not torn), as the same stdout bytes."""
        return self.bar.write if out is not None and self.bar is not None else out

    def finish(self, history):
        if self.plots is not None:
            for path in self.plots.finish(history):
                print(f"wrote {path}", file=sys.stderr)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for part in (self.bar, self.log):
            if part is not None:
                part.close()


def cmd_train(args):
    from ..train import TrainingDiverged, fit, format_summary

    trainer, history = _start_run(args)
    out = None if args.quiet else print
    with _Checkpointing(args, trainer, history) as ck, _Watching(args, trainer) as watch:
        try:
            history = fit(trainer=trainer, out=watch.out(out), callbacks=[*watch.callbacks, *ck.callbacks], history=ck.history)
        except TrainingDiverged as e:  # main() exits 3; fit raised before the callbacks: the diverged state is not saved
            lr = f" (--lr {e.lr!r})" if e.lr is not None else ""
            kept = f"; {args.save} keeps the last checkpoint saved before it" if args.save and os.path.exists(args.save) else ""
            e.args = (
                f"training diverged at step {e.step}: the train loss is {e.why}; the learning rate{lr} is likely too high{kept}",
            )
            raise
        for line in format_summary(history["summary"]):
            print(line)
        watch.finish(history)
    return ck.status


def cmd_graph(args):
    """Draw one datapoint's forward+backward graph through a run's model (initial, or a checkpoint's)."""
    from ..viz.graph import datapoint_graph, draw_dot

    ext = args.out.lower().rsplit(".", 1)[-1] if "." in args.out else ""
    if ext not in ("svg", "png", "dot", "gv"):
        raise ValueError(f"--out must end in .svg, .png or .dot, got {args.out!r}")
    trainer = _graph_trainer(args)
    nin, nclasses = trainer.model.nin, trainer.model.nouts[-1]
    features = trainer.config.features
    featured = list(features) != ["x", "y"]  # --x is then the point in the plane, the model sees its features
    want = 2 if featured else nin
    if len(args.x) != want:
        what = f"a point (x, y): the model reads its features {','.join(features)}" if featured else "the model's input size"
        raise ValueError(f"--x needs {want} numbers ({what}), got {len(args.x)}: {args.x}")
    label = args.label
    if not trainer.regression:  # a class index; a regression run's label is its float target
        if label != int(label) or not 0 <= label < nclasses:
            raise ValueError(f"--label must be a class index in [0, {nclasses}), got {label:g}")
        label = int(label)
    loss, names = datapoint_graph(trainer.model, args.x, label, features=features, regression=trainer.regression)
    try:
        draw_dot(loss, args.out, rankdir=args.rankdir, expand=args.expand, max_nodes=args.max_nodes, **names)
    except ValueError as e:  # name the flag, not the function's argument
        raise ValueError(str(e).replace("max_nodes=", "--max-nodes ").replace("raise max_nodes", "raise --max-nodes")) from None
    print(f"wrote {args.out}: the graph of loss {loss.data:.6f} for x={args.x}, label {label:g}", file=sys.stderr)
    return 0


def _graph_trainer(args):
    """The trainer whose model `graph` draws: a checkpoint's, or the run's initial one."""
    from ..train import make_trainer

    if not args.checkpoint:  # (graph does not offer the training flags: see GRAPH_HINTS)
        cfg = config_from_args(args)
        if cfg.engine != "scalar":
            raise ValueError(f"micrograd graph draws the scalar engine's graph; drop --engine {cfg.engine}")
        return make_trainer(cfg)
    given = [_flag(k) for k in run_keys(_config_class(args)) if getattr(args, k, None) is not None]
    given += ["--preset"] if args.preset else []
    if given:
        raise ValueError(f"--checkpoint defines the model; drop {', '.join(given)}")
    from .. import checkpoint

    ckpt = checkpoint.load(args.checkpoint, config_class=_config_class(args))
    cfg = ckpt.train_config()
    if cfg.engine != "scalar":
        raise ValueError(f"micrograd graph draws the scalar engine's graph; {args.checkpoint} is a {cfg.engine}-engine run")
    trainer = checkpoint.build_trainer(ckpt, make_trainer, cfg)
    checkpoint.restore(trainer, ckpt)
    return trainer


IMAGE_SUFFIXES = (".png", ".svg", ".pdf", ".jpg", ".jpeg", ".gif", ".webp")


def cmd_plot(args):
    """A saved run's pictures: DIR/loss.png (its history) and DIR/boundary.png (its model)."""
    from .. import checkpoint
    from ..train import make_trainer
    from ..viz.plots import plot_boundary, plot_losses

    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise ValueError(f"--out must name a directory, got the file {args.out!r}")
    if not os.path.isdir(args.out) and os.path.splitext(args.out)[1].lower() in IMAGE_SUFFIXES:
        raise ValueError(  # `--out p.png` meant a file: a directory named p.png would surprise
            f"--out names a directory to hold loss.png and boundary.png, got {args.out!r} (a file name?); "
            f"e.g. --out {os.path.splitext(args.out)[0] or 'pics'}/"
        )
    ckpt = checkpoint.load(args.checkpoint)
    trainer = checkpoint.build_trainer(ckpt, make_trainer)
    checkpoint.restore(trainer, ckpt)
    os.makedirs(args.out, exist_ok=True)
    paths = []
    if ckpt.history and ckpt.history.get("train_loss"):
        paths.append(plot_losses(ckpt.history, os.path.join(args.out, "loss.png")))
    if len(trainer.points[0][0][0]) == 2:  # points in the plane (the model may see features of them)
        paths.append(
            plot_boundary(
                trainer.model,
                trainer.points,
                os.path.join(args.out, "boundary.png"),
                hidden_lines=not args.no_hidden_lines,
                features=trainer.config.features,
            )
        )
    if not paths:
        raise ValueError(f"{args.checkpoint} has no loss history and its data is not 2-D: nothing to plot")
    for p in paths:
        print(f"wrote {p}", file=sys.stderr)
    return 0


def cmd_export(args):
    from .. import interop

    interop.export_checkpoint(args.checkpoint, args.to)
    print(f"wrote {args.to} (torch state_dict; load with torch.load(path, weights_only=True))", file=sys.stderr)
    return 0


def cmd_demo(args):
    from ..web import serve
    from ..web.server import _is_loopback

    if not _is_loopback(args.host):
        import socket

        try:  # a host that does not resolve is an error (one line), not a warning followed by one
            socket.getaddrinfo(args.host, args.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as e:
            raise ValueError(
                f"--host {args.host!r} does not resolve to an address: {getattr(e, 'strerror', None) or e}"
            ) from None
        print(f"micrograd demo: warning: serving on {args.host}: other machines on your network can reach it", file=sys.stderr)
    try:
        serve(args.host, args.port, preset=args.preset, open_browser=not args.no_browser)
    except OSError as e:
        raise OSError(f"cannot serve on {args.host}:{args.port}: {e.strerror or e}") from None
    return 0


# ---------------------------------------------------------------------- check: grade a learner's micrograd


def _seconds(s):
    """--timeout: a positive, finite number of seconds."""
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {s!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {s!r}")
    return v


_seconds.range = "> 0"


def cmd_check(args):
    """Run the grader on FILE.py; print its table (or --json); exit 0 when every check passed, else 1."""
    from ..check import run_check

    if not args.class_name.isidentifier():
        raise ValueError(f"--class must be a Python identifier (your Value class's name), got {args.class_name!r}")
    report = run_check(args.file, timeout=args.timeout, max_memory=args.max_memory, class_name=args.class_name)
    print(report.to_json() if args.json else report.format_table())
    return report.exit_status
