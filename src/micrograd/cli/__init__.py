"""micrograd.cli — the `micrograd` command (also `python -m micrograd`, `python -m micrograd.cli`).

    micrograd                      # the commands and what each does
    micrograd COMMAND --help       # a command's flags (each with its default and range) and examples

The commands: train, graph, plot, export, demo, check (micrograd.cli.commands); their examples are EXAMPLES
below (shown by --help); the flags' types and the parser are micrograd.cli.args. `main(argv)` returns the
exit status. Bad flags or values exit with status 2 and a one-line message (no traceback, no "[Errno N]"):
a misspelled flag, command or choice names the nearest right one. A run whose loss diverges exits with
status 3 (DIVERGED) and one line naming the step; an interrupted one, 130. `micrograd check FILE.py` exits 0
when every check passes and 1 when one fails (its report says which). Every "wrote FILE" line goes to stderr:
train's stdout is the seed's lines, byte for byte.
"""

import argparse
import os
import sys

from ..config import TrainConfig, training_only_keys
from ..train import TrainingDiverged
from .args import RUN_KEYS, TRAINING_ONLY_KEYS, _add, _finite, _flag, _int, _Parser, add_train_flags
from .commands import _seconds, cmd_check, cmd_demo, cmd_export, cmd_graph, cmd_plot, cmd_train, config_from_args

__all__ = ["main", "build_parser", "config_from_args", "add_train_flags", "RUN_KEYS", "TRAINING_ONLY_KEYS", "EXAMPLES"]

# ---------------------------------------------------------------------- the parser: help that teaches

EXAMPLES = {  # each command's --help ends with these (kept as written: RawDescriptionHelpFormatter)
    None: """\
  micrograd train                                   # the seed program's run: its 110 lines, then a summary
  micrograd train --preset llm101n --plot out/      # the course's final version, with pictures in out/
  micrograd demo                                    # train in Python, watch it in the browser
  micrograd check my_micrograd.py                   # grade your own micrograd: every op, the classic bugs""",
    "train": """\
  micrograd train --steps 300 --plot out/ --log run.jsonl        # pictures and a JSONL log
  micrograd train --dataset spiral --hidden 16,16 --optimizer adamw --lr 0.05 --steps 300 --quiet
  micrograd train --save run.json --save-every 10                # then: micrograd train --resume run.json --steps 200""",
    "graph": """\
  micrograd graph --x 0.5 -1 --label 1 --out graph.svg           # the initial seed model's graph
  micrograd graph --x 0.5 -1 --label 1 --expand --out graph.dot  # fused nodes as primitive ops, as text
  micrograd graph --checkpoint run.json --x 0.5 -1 --label 1 --out trained.svg""",
    "plot": """\
  micrograd train --steps 300 --save run.json --quiet && micrograd plot run.json --out pics/
  micrograd plot run.json --out pics/ --no-hidden-lines""",
    "export": """\
  micrograd train --save run.json --quiet && micrograd export run.json --to model.pt
  python -c "import torch; print(torch.load('model.pt', weights_only=True).keys())\"""",
    "demo": """\
  micrograd demo                                    # opens http://127.0.0.1:8000 in your browser
  micrograd demo --preset llm101n --port 0 --no-browser   # any free port; prints the URL""",
    "check": """\
  micrograd check my_micrograd.py                   # a table: check, verdict, expected, got, hint
  micrograd check my_micrograd.py --json            # one JSON document: the checks and a summary
  micrograd check article.py --timeout 300 --class Value   # a file that trains at import needs time""",
}

# graph draws a scalar run's *initial* model: it does not offer the flags that cannot change that
# model (the training-only ones, --engine); each of them, given anyway, gets its reason
GRAPH_HINTS = {
    **dict.fromkeys(
        map(_flag, training_only_keys()),
        "micrograd graph draws the run's initial model, which training flags do not change; "
        "to draw a trained model, train with --save CKPT and pass --checkpoint CKPT",
    ),
    "--engine": "micrograd graph draws the scalar engine's graph (a tensor run cannot be drawn)",
}


def _command(sub, name, help, hints=None):
    epilog = "examples:\n" + EXAMPLES[name]
    return sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".", epilog=epilog, hints=hints)


def build_parser():
    from .. import __version__

    epilog = f"examples:\n{EXAMPLES[None]}\n\nRun `micrograd COMMAND --help` for a command's flags and examples."
    parser = _Parser(prog="micrograd", description="A small, exact autograd engine and trainer.", epilog=epilog)
    parser.add_argument("--version", action="version", version=f"micrograd {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, title="commands")
    sub.required = True
    parser.commands = sub.choices

    p = _command(sub, "train", "train an MLP (no flags: the seed program's run)")
    add_train_flags(p)
    _add(p, "--quiet", action="store_true", help="print only the summary")
    _add(p, "--save", metavar="CKPT", help="save a checkpoint (JSON) at the end, and on Ctrl-C/SIGTERM")
    _add(p, "--save-every", type=_int(1), metavar="K", unset="only at the end", help="also save every K steps, to --save")
    _add(p, "--overwrite", action="store_true", help="let --save replace an existing file that is not a checkpoint")
    _add(p, "--resume", metavar="CKPT", help="continue the run saved in CKPT; --steps may extend it")
    _add(p, "--plot", metavar="DIR", help="write DIR/loss.png and DIR/boundary.png, creating DIR")
    _add(
        p,
        "--plot-every",
        type=_int(1),
        metavar="K",
        unset="no GIF",
        help="also an animated DIR/boundary.gif, a frame every K steps",
    )
    _add(
        p,
        "--log",
        metavar="FILE.jsonl",
        help="write one JSON object per step (step, train_loss, val_loss and val_accuracy when evaluated, seconds), "
        "then a summary record",
    )
    _add(p, "--progress", action=argparse.BooleanOptionalAction, unset="when stderr is a terminal", help="progress bar on stderr")
    p.set_defaults(func=cmd_train)

    graph = "draw one datapoint's forward+backward compute graph (SVG, PNG or DOT)"
    p = _command(sub, "graph", graph, hints=GRAPH_HINTS)
    _add(p, "--x", type=_finite, nargs="+", required=True, metavar="X", help="the datapoint's inputs, e.g. --x 0.5 -1")
    _add(p, "--label", type=_finite, required=True, metavar="CLASS", help="its class (a regression run: its target)")
    _add(p, "--out", required=True, metavar="FILE", help="FILE.svg or FILE.png, drawn by Graphviz's dot; FILE.dot, its text")
    _add(p, "--checkpoint", metavar="CKPT", unset="the run's initial model", help="draw the model in this checkpoint")
    _add(p, "--expand", action="store_true", help="draw fused nodes, neurons and the loss, as their primitive ops")
    _add(p, "--rankdir", choices=["LR", "TB", "RL", "BT"], default="LR", help="layout direction")
    _add(p, "--max-nodes", type=_int(1), default=2000, metavar="N", help="refuse bigger graphs")
    add_train_flags(p, skip=(*training_only_keys(), "engine"))
    p.set_defaults(func=cmd_graph)

    p = _command(sub, "plot", "a saved run's loss curves and decision boundary (PNG)")
    p.add_argument("checkpoint", metavar="CKPT", help="a checkpoint written by train --save")
    _add(p, "--out", required=True, metavar="DIR", help="writes DIR/loss.png and DIR/boundary.png")
    _add(p, "--no-hidden-lines", action="store_true", help="do not draw the hidden neurons' w.x+b=0 lines")
    p.set_defaults(func=cmd_plot)

    p = _command(sub, "export", "export a checkpoint's model to PyTorch (torch.save of its state_dict)")
    p.add_argument("checkpoint", metavar="CKPT", help="a checkpoint written by train --save")
    _add(p, "--to", required=True, metavar="MODEL.pt", help="where to write the torch state_dict")
    p.set_defaults(func=cmd_export)

    p = _command(sub, "demo", "the live browser demo: train in Python, watch it in a web page")
    _add(p, "--host", default="127.0.0.1", help="address to listen on; 127.0.0.1 is this machine only")
    _add(p, "--port", type=_int(0, 65535), default=8000, help="TCP port; 0 = any free port")
    _add(p, "--preset", choices=list(TrainConfig.PRESETS), default="seed", help="the page's starting hyperparameters")
    _add(p, "--no-browser", action="store_true", help="only print the URL; do not open a browser")
    p.set_defaults(func=cmd_demo)

    p = _command(sub, "check", "grade your own micrograd: every op, the classic bugs, the model and the training run")
    p.add_argument("file", metavar="FILE.py", help="your micrograd: a file defining a Value class (and maybe MLP, nll_loss...)")
    _add(p, "--json", action="store_true", help="print one JSON document (the checks and a summary) instead of the table")
    _add(
        p,
        "--timeout",
        type=_seconds,
        default=120.0,
        metavar="SECONDS",
        help="wall-clock limit for running your file and the checks",
    )
    _add(p, "--max-memory", type=_int(64), default=1024, metavar="MB", help="memory limit (address space) for your file")
    _add(p, "--class", dest="class_name", default="Value", metavar="NAME", help="the name of your Value class")
    p.set_defaults(func=cmd_check)

    return parser


# ---------------------------------------------------------------------- main

_READS, _WRITES = ("data", "resume", "checkpoint"), ("save", "plot", "log", "out", "to")


def _message(e, args):
    """The error's one line. An OSError names the user's path and drops the errno: "[Errno 2] No such
    file or directory: 'x'" becomes "cannot read 'x': No such file or directory" (for --data x), and a
    parent directory of a flag's path is shown with the flag: "cannot write 'o' (--plot o/p): ..."."""
    if not isinstance(e, OSError) or not e.strerror:
        return str(e)
    given = [(k, v) for k in _READS + _WRITES for v in [getattr(args, k, None)] if isinstance(v, str)]
    if e.filename is None:  # the message names the path already, else name the paths given
        named = any(v in e.strerror for _, v in given) or "'" in e.strerror
        return e.strerror if named or not given else f"{e.strerror} (with {', '.join(f'{_flag(k)} {v}' for k, v in given)})"
    path = os.fspath(e.filename)
    near = [(k, v) for k, v in given if _related(v, path)]
    verb = "read" if near and near[0][0] in _READS else "write" if near else "use"
    flag = f" ({_flag(near[0][0])} {near[0][1]})" if near and near[0][1] != path else ""
    return f"cannot {verb} {path!r}{flag}: {e.strerror}"


def _related(given, path):
    """Is `path` the given path, one of its parent directories, or inside it?"""
    a, b = os.path.abspath(given), os.path.abspath(path)
    return a == b or a.startswith(b.rstrip(os.sep) + os.sep) or b.startswith(a.rstrip(os.sep) + os.sep)


DIVERGED = 3  # the exit status of a run whose loss became non-finite or exploded (2: bad input, 130: interrupted)


def main(argv=None):
    """Run `micrograd ARGV` (default: sys.argv[1:]) and return the exit status (never SystemExit)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    if not argv:  # a bare `micrograd` asks what it can do: the commands, and how to learn more
        parser.print_help()
        return 0
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, a usage error (already printed)
        return e.code if isinstance(e.code, int) else 0 if e.code is None else 2
    try:
        return args.func(args)
    except TrainingDiverged as e:  # its own status: the input was fine, the run was not (see DIVERGED)
        print(f"micrograd {args.command}: error: {e}", file=sys.stderr)
        return DIVERGED
    except BrokenPipeError:  # `micrograd train | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    # bad input found after parsing (a CSV file, a checkpoint, an unwritable --save path, torch missing)
    except (ValueError, TypeError, OSError, ImportError) as e:
        print(f"micrograd {args.command}: error: {_message(e, args)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
