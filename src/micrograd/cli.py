"""micrograd.cli — the `micrograd` command.

    micrograd train                      # the seed program's run, same 110 lines, then a summary
    micrograd train --preset llm101n     # the course's final version
    micrograd train --dataset spiral --hidden 16 16 --optimizer adamw --lr 0.05 --steps 300
    micrograd train --plot out/ --plot-every 5 --log run.jsonl   # pictures and a JSONL log
    micrograd graph --x 0.5 -1 --label 1 --out graph.svg    # one datapoint's forward+backward graph
    micrograd train --save run.ckpt.json --save-every 10    # checkpoints; Ctrl-C saves one and exits 130
    micrograd train --resume run.ckpt.json [--steps 200]    # continue, bit for bit
    micrograd export run.ckpt.json --to model.pt            # the model as a torch state_dict
    micrograd demo [--port 8000] [--preset llm101n] [--no-browser]  # the live browser demo

Bad flags or values exit with status 2 and a one-line message (no traceback).
"""

import argparse
import dataclasses
import math
import os
import sys

from .config import TrainConfig, describe_range, field_default, run_keys, training_only_keys

# ---------------------------------------------------------------------- argument types
# Flags that define a run only convert text to numbers here; their ranges are TrainConfig's
# (one check, one message). The range checks below are for the flags the CLI owns.


def _int(lo=None):
    def parse(s):
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {s!r}") from None
        if lo is not None and v < lo:
            raise argparse.ArgumentTypeError(f"must be >= {lo}, got {v}")
        return v

    return parse


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


# how a TrainConfig field's text becomes its value (a list field's items are ints)
_TEXT_TO = {int: _int(), float: _float, str: str, list: _int()}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


# ---------------------------------------------------------------------- commands


def add_train_flags(p, config_class=TrainConfig):
    """Flags that define a run (shared by train and the commands that rebuild a run): one per
    field of `config_class`, built from the field's metadata (see micrograd.config.setting)."""
    # default None (= seed) so that --resume can tell a given --preset from the default
    p.add_argument("--preset", choices=list(config_class.PRESETS), default=None, help="starting point (default: seed)")
    groups = {}
    for f in dataclasses.fields(config_class):
        meta = f.metadata
        if not meta.get("flag", True):
            continue
        kw = {"dest": f.name, "default": None, "help": _help(config_class, f)}
        if meta.get("choices") is not None:
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
    shown = " ".join(map(str, default)) if isinstance(default, list) else default
    extras = [] if default is None else [f"default: {shown}"]
    if describe_range(f.metadata):
        extras.append(("each " if f.type is list else "") + describe_range(f.metadata))
    return f.metadata.get("help", "") + (f" ({'; '.join(extras)})" if extras else "")


# derived from TrainConfig's fields, never listed by hand
RUN_KEYS = run_keys()  # the fields with a flag
TRAINING_ONLY_KEYS = training_only_keys()  # the flags that shape training only (not the data or the initial model)


def _config_class(args):
    return getattr(args, "config_class", TrainConfig)


def config_from_args(args):
    """The run's config: the preset, then every flag given (a flag the optimizer would ignore is refused)."""
    cls = _config_class(args)
    given = {k: getattr(args, k) for k in run_keys(cls) if getattr(args, k, None) is not None}
    cfg = cls.preset(args.preset or "seed", **given)
    cfg.check_taken(given)  # a flag that would change nothing is an error, not a silent no-op
    return cfg


def _flag(key):
    return "--" + key.replace("_", "-")


def _resume_config(args, ckpt):
    """The checkpoint's config; flags given with --resume must agree with it (--steps may extend it)."""
    cls = _config_class(args)
    saved = ckpt.config
    given = {k: getattr(args, k) for k in run_keys(cls) if getattr(args, k, None) is not None}
    # with --preset, every field the preset implies counts as given
    wanted = cls.preset(args.preset, **given).to_dict() if args.preset else given
    # a CSV run may point --data at the file's new place: the points' fingerprint (checked on restore) keeps it honest
    moved = "data" in given and saved.get("data") is not None and ckpt.data_sha256 is not None
    for k, v in wanted.items():
        if k != "steps" and v != saved.get(k) and not (k == "data" and moved):
            what = f"--preset {args.preset}" if k not in given else f"{_flag(k)} {v}"
            raise ValueError(
                f"--resume: {what} conflicts with the checkpoint's {k}={saved.get(k)!r} "
                "(a resumed run keeps its definition; only --steps may change)"
            )
    steps = given.get("steps", saved["steps"])
    if steps < ckpt.step:
        raise ValueError(f"--steps {steps} is before the checkpoint's step {ckpt.step}")
    return ckpt.train_config(steps=steps, **({"data": given["data"]} if moved else {}))


def _start_run(args):
    """(trainer, history): a fresh run, or the one --resume names, restored bit for bit."""
    from . import checkpoint
    from .train import make_trainer

    if args.save_every and not args.save:
        raise ValueError(f"--save-every {args.save_every} needs --save CKPT (where to save)")
    if args.save:
        checkpoint.check_target(args.save, "--save")  # fail before training, not after
    if not args.resume:
        return make_trainer(config_from_args(args)), None
    ckpt = checkpoint.load(args.resume, config_class=_config_class(args))
    trainer = make_trainer(_resume_config(args, ckpt))
    checkpoint.restore(trainer, ckpt)
    return trainer, ckpt.history


class _Checkpointing:
    """--save/--save-every, and SIGINT/SIGTERM: finish the step, save, exit 130.

    with _Checkpointing(args, trainer, history) as ck:
        fit(..., callbacks=[..., *ck.callbacks], history=ck.history)
    return ck.status
    """

    def __init__(self, args, trainer, history):
        from .train import StopOnSignal

        self.args, self.trainer, self.status = args, trainer, 0
        self.history = history if history is not None else {"train_loss": [], "val_loss": {}}
        self.stop = StopOnSignal()
        self.callbacks = [self._every, self.stop.callback]  # the stop check last: the step is whole

    def _save(self, path):
        from . import checkpoint

        checkpoint.save_trainer(path, self.trainer, self.history)

    def _every(self, trainer, record):
        if self.args.save_every and trainer.step % self.args.save_every == 0:
            self._save(self.args.save)

    def __enter__(self):
        self.stop.__enter__()
        return self

    def __exit__(self, etype, exc, tb):
        from . import checkpoint
        from .train import TrainingInterrupted

        try:  # the handlers stay on while saving: a first Ctrl-C now must not cut the final save
            if etype is not None and not issubclass(etype, TrainingInterrupted):
                return False
            if etype is None and self.args.save:
                self._save(self.args.save)
            # a signal after the last step (etype None) still gets its checkpoint
            path = self.args.save or checkpoint.DEFAULT_INTERRUPT_PATH
            if self.stop.requested and (etype is not None or not self.args.save):
                self._save(path)
        finally:
            self.stop.__exit__(etype, exc, tb)
        if self.stop.requested:
            name = signal_name(self.stop.signum)
            print(
                f"micrograd train: interrupted by {name} after step {self.trainer.step - 1}; checkpoint saved "
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
            from .viz.plots import TrainingPlots

            self.plots = TrainingPlots(trainer, args.plot, every=args.plot_every)
            self.callbacks.append(self.plots)
        if args.log:
            from .progress import JsonlLogger

            self.log = JsonlLogger(args.log, mode="a" if getattr(args, "resume", None) else "w")
            self.callbacks.append(self.log)
        if args.progress if args.progress is not None else sys.stderr.isatty():
            from .progress import ProgressBar

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
    from .train import fit, format_summary

    trainer, history = _start_run(args)
    out = None if args.quiet else print
    with _Checkpointing(args, trainer, history) as ck, _Watching(args, trainer) as watch:
        history = fit(trainer=trainer, out=watch.out(out), callbacks=[*watch.callbacks, *ck.callbacks], history=ck.history)
        for line in format_summary(history["summary"]):
            print(line)
        watch.finish(history)
    return ck.status


def cmd_graph(args):
    """Draw one datapoint's forward+backward graph through a run's model (initial, or a checkpoint's)."""
    from .viz.graph import datapoint_graph, draw_dot

    ext = args.out.lower().rsplit(".", 1)[-1] if "." in args.out else ""
    if ext not in ("svg", "png", "dot", "gv"):
        raise ValueError(f"--out must end in .svg, .png or .dot, got {args.out!r}")
    trainer = _graph_trainer(args)
    nin, nclasses = trainer.model.nin, trainer.model.nouts[-1]
    if len(args.x) != nin:
        raise ValueError(f"--x needs {nin} numbers (the model's input size), got {len(args.x)}: {args.x}")
    if args.label >= nclasses:
        raise ValueError(f"--label must be a class index in [0, {nclasses}), got {args.label}")
    loss, names = datapoint_graph(trainer.model, args.x, args.label)
    try:
        draw_dot(loss, args.out, rankdir=args.rankdir, expand=args.expand, max_nodes=args.max_nodes, **names)
    except ValueError as e:  # name the flag, not the function's argument
        raise ValueError(str(e).replace("max_nodes=", "--max-nodes ").replace("raise max_nodes", "raise --max-nodes")) from None
    print(f"wrote {args.out}: the graph of loss {loss.data:.6f} for x={args.x}, label {args.label}")
    return 0


def _graph_trainer(args):
    """The trainer whose model `graph` draws: a checkpoint's, or the run's initial one."""
    from .train import make_trainer

    if not args.checkpoint:
        # training flags cannot change the initial model: `--steps 50` must not silently draw an untrained one
        keys = training_only_keys(_config_class(args))
        inert = [f"{_flag(k)} {getattr(args, k)}" for k in keys if getattr(args, k, None) is not None]
        if inert:
            raise ValueError(
                f"{', '.join(inert)}: micrograd graph draws the run's initial model, which training flags "
                "do not change; to draw a trained model, train with --save CKPT and pass --checkpoint CKPT"
            )
        cfg = config_from_args(args)
        if cfg.engine != "scalar":
            raise ValueError("micrograd graph draws the scalar engine's graph; drop --engine tensor")
        return make_trainer(cfg)
    given = [_flag(k) for k in run_keys(_config_class(args)) if getattr(args, k, None) is not None]
    given += ["--preset"] if args.preset else []
    if given:
        raise ValueError(f"--checkpoint defines the model; drop {', '.join(given)}")
    from . import checkpoint

    ckpt = checkpoint.load(args.checkpoint, config_class=_config_class(args))
    cfg = ckpt.train_config()
    if cfg.engine != "scalar":
        raise ValueError(f"micrograd graph draws the scalar engine's graph; {args.checkpoint} is a {cfg.engine}-engine run")
    trainer = make_trainer(cfg)
    checkpoint.restore(trainer, ckpt)
    return trainer


def cmd_plot(args):
    """A saved run's pictures: DIR/loss.png (its history) and DIR/boundary.png (its model)."""
    from . import checkpoint
    from .train import make_trainer
    from .viz.plots import plot_boundary, plot_losses

    ckpt = checkpoint.load(args.checkpoint)
    trainer = make_trainer(ckpt.train_config())
    checkpoint.restore(trainer, ckpt)
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise ValueError(f"--out must name a directory, got the file {args.out!r}")
    os.makedirs(args.out, exist_ok=True)
    paths = []
    if ckpt.history and ckpt.history.get("train_loss"):
        paths.append(plot_losses(ckpt.history, os.path.join(args.out, "loss.png")))
    if len(trainer.train_split[0][0]) == 2:
        paths.append(
            plot_boundary(
                trainer.model, trainer.splits, os.path.join(args.out, "boundary.png"), hidden_lines=not args.no_hidden_lines
            )
        )
    if not paths:
        raise ValueError(f"{args.checkpoint} has no loss history and its data is not 2-D: nothing to plot")
    for p in paths:
        print(f"wrote {p}")
    return 0


def cmd_export(args):
    from . import interop

    interop.export_checkpoint(args.checkpoint, args.to)
    print(f"wrote {args.to} (torch state_dict; load with torch.load(path, weights_only=True))")
    return 0


def _port(s):
    v = _int(0)(s)
    if v > 65535:
        raise argparse.ArgumentTypeError(f"must be a TCP port in [0, 65535], got {v}")
    return v


def cmd_demo(args):
    from .web import serve
    from .web.server import _is_loopback

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


def build_parser():
    parser = _Parser(prog="micrograd", description="A small, exact autograd engine and trainer.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"micrograd {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("train", help="train an MLP (no flags: the seed program's run)")
    add_train_flags(p)
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    p.add_argument("--save", metavar="CKPT", help="save a checkpoint (JSON) at the end, and on Ctrl-C/SIGTERM")
    p.add_argument("--save-every", type=_int(1), metavar="K", help="also save every K steps (needs --save)")
    p.add_argument("--resume", metavar="CKPT", help="continue the run saved in CKPT (--steps may extend it)")
    p.add_argument("--plot", metavar="DIR", help="write DIR/loss.png and DIR/boundary.png (creates DIR)")
    p.add_argument("--plot-every", type=_int(1), metavar="K", help="also an animated DIR/boundary.gif, a frame every K steps")
    p.add_argument("--log", metavar="FILE.jsonl", help="write one JSON object per step (step, train_loss, val_loss, seconds)")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("graph", help="draw one datapoint's forward+backward compute graph (SVG, PNG or DOT)")
    p.add_argument("--x", type=_finite, nargs="+", required=True, metavar="X", help="the datapoint's inputs, e.g. --x 0.5 -1")
    p.add_argument("--label", type=_int(0), required=True, help="its class")
    p.add_argument("--out", required=True, metavar="FILE", help="graph.svg, graph.png (need Graphviz) or graph.dot (text)")
    p.add_argument("--checkpoint", metavar="CKPT", help="the model in this checkpoint (default: the run's initial model)")
    p.add_argument("--expand", action="store_true", help="draw fused nodes (neurons, the loss) as their primitive ops")
    p.add_argument("--rankdir", choices=["LR", "TB", "RL", "BT"], default="LR", help="layout direction (default LR)")
    p.add_argument("--max-nodes", type=_int(1), default=2000, help="refuse bigger graphs (default 2000)")
    add_train_flags(p)
    p.set_defaults(func=cmd_graph)

    p = sub.add_parser("plot", help="a saved run's loss curves and decision boundary (PNG)")
    p.add_argument("checkpoint", metavar="CKPT", help="a checkpoint written by train --save")
    p.add_argument("--out", required=True, metavar="DIR", help="writes DIR/loss.png and DIR/boundary.png")
    p.add_argument("--no-hidden-lines", action="store_true", help="do not draw the hidden neurons' w.x+b=0 lines")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("export", help="export a checkpoint's model to PyTorch (torch.save of its state_dict)")
    p.add_argument("checkpoint", metavar="CKPT", help="a checkpoint written by train --save")
    p.add_argument("--to", required=True, metavar="MODEL.pt", help="where to write the torch state_dict")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("demo", help="the live browser demo: train in Python, watch it in a web page")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=_port, default=8000, help="TCP port (default 8000; 0 = any free port)")
    p.add_argument("--preset", choices=list(TrainConfig.PRESETS), default="seed", help="the page's starting hyperparameters")
    p.add_argument("--no-browser", action="store_true", help="only print the URL; do not open a browser")
    p.set_defaults(func=cmd_demo)

    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `micrograd train | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    # bad input found after parsing (a CSV file, a checkpoint, an unwritable --save path, torch missing)
    except (ValueError, TypeError, OSError, ImportError) as e:
        print(f"micrograd {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
