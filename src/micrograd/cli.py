"""micrograd.cli — the `micrograd` command.

    micrograd train                      # the seed program's run, same 110 lines, then a summary
    micrograd train --preset llm101n     # the course's final version
    micrograd train --dataset spiral --hidden 16 16 --optimizer adamw --lr 0.05 --steps 300
    micrograd train --save run.ckpt.json --save-every 10    # checkpoints; Ctrl-C saves one and exits 130
    micrograd train --resume run.ckpt.json [--steps 200]    # continue, bit for bit
    micrograd export run.ckpt.json --to model.pt            # the model as a torch state_dict

Bad flags or values exit with status 2 and a one-line message (no traceback).
"""

import argparse
import math
import sys

# ---------------------------------------------------------------------- argument types


def _int(lo):
    def parse(s):
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {s!r}") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"must be >= {lo}, got {v}")
        return v

    return parse


def _float(lo=None, hi=None):
    def parse(s):
        try:
            v = float(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {s!r}") from None
        if not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"must be finite, got {s!r}")
        if lo is not None and v < lo:
            raise argparse.ArgumentTypeError(f"must be >= {lo}, got {v}")
        if hi is not None and v >= hi:
            raise argparse.ArgumentTypeError(f"must be < {hi}, got {v}")
        return v

    return parse


def _seed(s):
    try:
        return int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {s!r}") from None


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


# ---------------------------------------------------------------------- commands


def add_train_flags(p):
    """Flags that define a run (shared by train and the commands that rebuild a run)."""
    from .data import DATASETS

    # default None (= seed) so that --resume can tell a given --preset from the default
    p.add_argument("--preset", choices=["seed", "llm101n"], default=None, help="starting point (default: seed)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--dataset", choices=list(DATASETS), help="generated dataset")
    src.add_argument("--data", metavar="FILE.csv", help="your own points: header, then x1,...,xk,label rows")
    p.add_argument("--n", type=_int(10), help="number of generated points (split 80/10/10)")
    p.add_argument("--hidden", type=_int(1), nargs="+", metavar="SIZE", help="hidden layer sizes, e.g. --hidden 8 8")
    p.add_argument("--activation", choices=["tanh", "relu"])
    p.add_argument("--init", choices=["per-neuron", "per-weight"])
    p.add_argument("--optimizer", choices=["seed-adam", "adam", "adamw", "sgd"])
    p.add_argument("--lr", type=_float(0.0))
    p.add_argument("--beta1", type=_float(0.0, 1.0))
    p.add_argument("--beta2", type=_float(0.0, 1.0))
    p.add_argument("--weight-decay", type=_float(0.0))
    p.add_argument("--momentum", type=_float(0.0), help="for --optimizer sgd")
    p.add_argument("--steps", type=_int(0))
    p.add_argument("--eval-every", type=_int(0), help="evaluate val loss every K steps (0 = never)")
    p.add_argument("--seed", type=_seed)
    p.add_argument("--engine", choices=["scalar", "tensor"], help="scalar Values (default) or the NumPy tensor engine")


RUN_KEYS = ("dataset", "data", "n", "hidden", "activation", "init", "optimizer", "lr", "beta1", "beta2",
            "weight_decay", "momentum", "steps", "eval_every", "seed", "engine")


def config_from_args(args):
    from .train import TrainConfig

    return TrainConfig.preset(args.preset or "seed", **{k: getattr(args, k, None) for k in RUN_KEYS})


def _flag(key):
    return "--" + key.replace("_", "-")


def _resume_config(args, ckpt):
    """The checkpoint's config; flags given with --resume must agree with it (--steps may extend it)."""
    from .train import TrainConfig

    saved = ckpt.config
    given = {k: getattr(args, k) for k in RUN_KEYS if getattr(args, k, None) is not None}
    # with --preset, every field the preset implies counts as given
    wanted = TrainConfig.preset(args.preset, **given).to_dict() if args.preset else given
    for k, v in wanted.items():
        if k != "steps" and v != saved.get(k):
            what = f"--preset {args.preset}" if k not in given else f"{_flag(k)} {v}"
            raise ValueError(f"--resume: {what} conflicts with the checkpoint's {k}={saved.get(k)!r} "
                             "(a resumed run keeps its definition; only --steps may change)")
    steps = given.get("steps", saved["steps"])
    if steps < ckpt.step:
        raise ValueError(f"--steps {steps} is before the checkpoint's step {ckpt.step}")
    return ckpt.train_config(steps=steps)


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
    ckpt = checkpoint.load(args.resume)
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
        from . import checkpoint

        self.args, self.trainer, self.status = args, trainer, 0
        self.history = history if history is not None else {"train_loss": [], "val_loss": {}}
        self.stop = checkpoint.StopOnSignal()
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

        try:  # the handlers stay on while saving: a first Ctrl-C now must not cut the final save
            if etype is not None and not issubclass(etype, checkpoint.TrainingInterrupted):
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
            print(f"micrograd train: interrupted by {name} after step {self.trainer.step - 1}; checkpoint saved "
                  f"to {path} (continue with: micrograd train --resume {path})", file=sys.stderr)
            self.status = 130
        return True


def signal_name(signum):
    import signal

    return signal.Signals(signum).name


def cmd_train(args):
    from .train import fit, format_summary

    trainer, history = _start_run(args)
    out = None if args.quiet else print
    with _Checkpointing(args, trainer, history) as ck:
        history = fit(trainer=trainer, out=out, callbacks=ck.callbacks, history=ck.history)
        for line in format_summary(history["summary"]):
            print(line)
    return ck.status


def cmd_export(args):
    from . import interop

    interop.export_checkpoint(args.checkpoint, args.to)
    print(f"wrote {args.to} (torch state_dict; load with torch.load(path, weights_only=True))")
    return 0


def cmd_bench(args):
    from .bench import main as bench_main

    return bench_main(args.bench_args)


def build_parser():
    parser = _Parser(prog="micrograd", description="A small, exact autograd engine and trainer.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("train", help="train an MLP (no flags: the seed program's run)")
    add_train_flags(p)
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    p.add_argument("--save", metavar="CKPT", help="save a checkpoint (JSON) at the end, and on Ctrl-C/SIGTERM")
    p.add_argument("--save-every", type=_int(1), metavar="K", help="also save every K steps (needs --save)")
    p.add_argument("--resume", metavar="CKPT", help="continue the run saved in CKPT (--steps may extend it)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("export", help="export a checkpoint's model to PyTorch (torch.save of its state_dict)")
    p.add_argument("checkpoint", metavar="CKPT", help="a checkpoint written by train --save")
    p.add_argument("--to", required=True, metavar="MODEL.pt", help="where to write the torch state_dict")
    p.set_defaults(func=cmd_export)

    # everything after `bench` goes to micrograd.bench's own parser (imported only when run)
    p = sub.add_parser("bench", help="speed benchmarks: `bench seed` (vs the seed program), `bench engines` (vs PyTorch)",
                       add_help=False, prefix_chars="+")
    p.add_argument("bench_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    # bad input found after parsing (a CSV file, a checkpoint, an unwritable --save path, torch missing)
    except (ValueError, TypeError, OSError, ImportError) as e:
        print(f"micrograd {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
