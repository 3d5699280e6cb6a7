"""micrograd.viz — seeing what the engine does: compute graphs and training plots.

    from micrograd.viz import to_dot, draw_dot          # compute graphs (viz/graph.py, laid out by viz/_dot.py)
    dot = draw_dot(loss)                                # a graphviz.Digraph; draw_dot(loss, "g.svg") writes a file
    from micrograd.viz.plots import plot_losses, plot_boundary   # matplotlib (viz/plots.py)

`to_dot` needs nothing but Python; `draw_dot` needs Graphviz's `dot` program and the
`graphviz` package; the plots need matplotlib (both packages come with the default install). Heavy
imports happen inside the functions that need them, so importing this is cheap.
"""

from .graph import GraphvizNotFoundError, draw_dot, to_dot

__all__ = ["to_dot", "draw_dot", "GraphvizNotFoundError"]
