"""micrograd.viz._figure — matplotlib, lazily: the Agg figure and the atomic save every picture
module of micrograd.viz uses (curves.py, plots.py).

matplotlib is imported inside the functions, through its object API and the Agg canvas
(never pyplot), so importing the picture modules is cheap and a user's own pyplot state
and backend (e.g. Jupyter's) are left alone. Every file is written atomically.
"""

import os

from .._io import atomic_path

# ---------------------------------------------------------------------- matplotlib, lazily


def need_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError("plots need matplotlib: pip install matplotlib (a dependency of micrograd-llm101n)") from None


def figure(width, height, layout="constrained"):
    """A matplotlib Figure on the Agg canvas (no pyplot: no global state, no GUI)."""
    need_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def save(fig, path):
    """Save a figure to `path` (format from its extension) atomically; returns the path."""
    path = os.fspath(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=os.path.splitext(path)[1].lstrip(".").lower() or "png")
    return path
