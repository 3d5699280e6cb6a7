"""Make the tutorial's pictures in docs/img/ (docs/en and docs/zh show the same files), each drawn by the package.

    python docs/tutorial_pictures.py              # writes docs/img/*
    python docs/tutorial_pictures.py --out /tmp/p

  value-graph.svg      section 1: c = a*b + 10 after backward (draw_dot)
  backward-graph.svg   section 3: the lecture's L = (a*b + c) * f after backward
  neuron-expanded.svg  section 4: one tanh neuron, its fused node expanded into * + tanh
  my-graph.svg         section 8: y = tanh(x*w + 1), the "your own expression" snippet
  datasets.png         section 6: the five datasets (micrograd.data), 200 points each
  loss.png, boundary.png  section 7: `micrograd train --steps 40 --plot DIR`

SVG needs Graphviz's `dot` program. The pictures depend only on fixed seeds: rerunning changes nothing
but Graphviz's version comment.
"""

import argparse
import contextlib
import io
import os
import shutil
import tempfile

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

from micrograd import RNG, Neuron, Value  # noqa: E402
from micrograd.cli import main as micrograd  # noqa: E402
from micrograd.data import DATASETS  # noqa: E402
from micrograd.viz import draw_dot  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------------- graphs (draw_dot)


def value_graph():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b + 10.0
    c.label = "c"
    c.backward()
    return c, {}


def backward_graph():
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    L.backward()
    return L, {}


def neuron_expanded():
    n = Neuron(2, rng=RNG(42))
    out = n([Value(1.0, label="x1"), Value(-2.0, label="x2")])
    out.backward()
    return out, {"expand": True}


def my_graph():
    x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    y = (x * w + 1.0).tanh()
    y.label = "y"
    y.backward()
    return y, {}


GRAPHS = {
    "value-graph.svg": value_graph,
    "backward-graph.svg": backward_graph,
    "neuron-expanded.svg": neuron_expanded,
    "my-graph.svg": my_graph,
}


# ---------------------------------------------------------------------- plots


def datasets(path):
    """The five datasets side by side, coloured by class (the colours of the package's boundary plots)."""
    fig, axes = plt.subplots(1, len(DATASETS), figsize=(3 * len(DATASETS), 3.2))
    for ax, (name, make) in zip(axes, DATASETS.items()):
        train, val, test = make(RNG(42), 200)
        points = train + val + test
        for k in sorted({label for _, label in points}):
            xs = [x for x, label in points if label == k]
            ax.scatter([p[0] for p in xs], [p[1] for p in xs], s=10, label=f"class {k}")
        ax.set_title(name)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].legend(loc="lower left", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def training_plots(out):
    """`micrograd train --steps 40 --plot DIR`: the loss curve and the decision boundary."""
    with tempfile.TemporaryDirectory() as tmp:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            status = micrograd(["train", "--steps", "40", "--quiet", "--no-progress", "--plot", tmp])
        if status != 0:
            raise SystemExit(f"micrograd train --plot failed ({status})")
        for name in ("loss.png", "boundary.png"):
            shutil.copyfile(os.path.join(tmp, name), os.path.join(out, name))
            yield os.path.join(out, name)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "img"), metavar="DIR", help="where to write (default: docs/img/)")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for name, build in GRAPHS.items():
        root, kwargs = build()
        print("wrote", draw_dot(root, os.path.join(args.out, name), **kwargs))
    datasets(os.path.join(args.out, "datasets.png"))
    print("wrote", os.path.join(args.out, "datasets.png"))
    for path in training_plots(args.out):
        print("wrote", path)


if __name__ == "__main__":
    main()
