"""micrograd.cli — the `micrograd` command.

    micrograd train                      # the seed program's run, same 110 lines, then a summary
    micrograd train --preset llm101n     # the course's final version
    micrograd train --dataset spiral --hidden 16 16 --optimizer adamw --lr 0.05 --steps 300

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

    p.add_argument("--preset", choices=["seed", "llm101n"], default="seed", help="starting point (default: seed)")
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


def config_from_args(args):
    from .train import TrainConfig

    keys = ("dataset", "data", "n", "hidden", "activation", "init", "optimizer", "lr", "beta1", "beta2",
            "weight_decay", "momentum", "steps", "eval_every", "seed", "engine")
    return TrainConfig.preset(args.preset, **{k: getattr(args, k, None) for k in keys})


def cmd_train(args):
    from .train import fit, format_summary, make_trainer

    trainer = make_trainer(config_from_args(args))
    out = None if args.quiet else print
    history = fit(trainer=trainer, out=out)
    for line in format_summary(history["summary"]):
        print(line)
    return 0


def build_parser():
    parser = _Parser(prog="micrograd", description="A small, exact autograd engine and trainer.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("train", help="train an MLP (no flags: the seed program's run)")
    add_train_flags(p)
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    p.set_defaults(func=cmd_train)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, FileNotFoundError) as e:  # bad input found after parsing (e.g. a CSV file)
        print(f"micrograd {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
