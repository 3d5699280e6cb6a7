"""Make the graph pictures in docs/: what `micrograd graph` draws by default, and a lecture example.

    .venv/bin/python docs/graph_pictures.py              # writes docs/graph_*.png and docs/graph_expression.svg
    .venv/bin/python docs/graph_pictures.py --out /tmp/g

  graph_default.png     micrograd graph --x 0.5 -1 --label 1                (the seed model, one datapoint)
  graph_expand.png      ... --expand      (fused neurons and the loss as their primitive ops, collapsed)
  graph_tb.png          ... --rankdir TB  (top to bottom)
  graph_expression.png  the lecture's L = (a*b + c) * f, drawn with draw_dot (and .svg)

Needs Graphviz's `dot` program. Prints each picture's size in pixels (Graphviz's default 96 dpi).
"""

import argparse
import contextlib
import io
import os

from PIL import Image

from micrograd import Value
from micrograd.cli import main as micrograd
from micrograd.viz import draw_dot

HERE = os.path.dirname(os.path.abspath(__file__))
POINT = ["--x", "0.5", "-1", "--label", "1"]
CLI_PICTURES = {
    "graph_default.png": [],
    "graph_expand.png": ["--expand"],
    "graph_tb.png": ["--rankdir", "TB"],
}


def expression():
    """The lecture's first graph, L = (a*b + c) * f, after L.backward(), and its names."""
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    e = a * b
    d = e + c
    L = d * f
    L.backward()
    return L, {"a": a, "b": b, "c": c, "e": e, "d": d, "f": f, "L": L}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=HERE, metavar="DIR", help="where to write the pictures (default: docs/)")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    written = []
    for name, flags in CLI_PICTURES.items():
        path = os.path.join(args.out, name)
        with contextlib.redirect_stdout(io.StringIO()):  # the CLI's "wrote ..." line
            status = micrograd(["graph", *POINT, *flags, "--out", path])
        if status != 0:
            raise SystemExit(f"micrograd graph {' '.join(POINT + flags)} failed ({status})")
        written.append(path)
    L, names = expression()
    dot = draw_dot(L, labels=names)  # no path: a graphviz.Digraph, as in the lecture
    for fmt in ("png", "svg"):
        path = os.path.join(args.out, f"graph_expression.{fmt}")
        with open(path, "wb") as out:
            out.write(dot.pipe(format=fmt))
        written.append(path)
    for path in written:
        if path.endswith(".png"):
            with Image.open(path) as im:
                print(f"wrote {path}: {im.width}x{im.height} px")
        else:
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
