"""micrograd.viz.graph — a compute graph as a picture: DOT text, SVG/PNG, Jupyter.

    from micrograd import Value
    from micrograd.viz import to_dot, draw_dot
    a, b = Value(2.0), Value(-3.0)
    c = (a * b).tanh(); c.backward()
    print(to_dot(c))                      # Graphviz DOT text; no Graphviz needed
    draw_dot(c, "c.svg")                  # rendered by Graphviz's `dot` program

    dot = draw_dot(c)                     # no path: a graphviz.Digraph (Jupyter shows it; dot.render())

Each value is a record box "label | data 0.1234 | grad 0.5678" fed by a small node
naming the op that made it, as in the course's `draw_dot`. Parameters are drawn light
green and inputs light blue (pass `params=` and `inputs=`: collections of Values, or
mappings name -> Value whose names become the box labels, or a model: its named
parameters); a Value's own `label` wins. A model's parameters are drawn as one table per
neuron, long lists collapsed, with a legend: `_dot.py` says how the picture is laid out.

Fused nodes. For speed the scalar engine computes a few small sub-graphs as ONE node,
whose `_op` is an object rather than a string: a neuron (`nn.NeuronOp`: 'dot',
'tanh(dot)', 'relu(dot)'), the cross-entropy (`losses.CrossEntropyOp`) and a sum of
losses (`losses.SumOp`, 'sum'). The compact view draws each as one node with a shaded op
label. `to_dot(root, expand=True)` draws each as the primitive graph it stands for, which
it asks the op for: `op.expand(node, part)` (next to the node's backward, in its own
module) calls `part(op, data, grad, children=())` once per inner node (children: the
node's own children or handles from earlier `part` calls), then returns the node's own
last op and children. Nothing is re-derived here. An op may decline with None where its
docstring says so (a cross-entropy whose probability underflowed has no seed graph): the
node is then drawn as itself. An error inside `expand` is raised, never hidden by drawing
the fused node instead.

`describe(root, ...)` is the drawing as data (nodes with op, data, grad, label, kind; edges):
`to_dot` writes it as DOT text and the web page's graph view is built from it.
"""

import math
import shutil
from typing import NamedTuple

from .._io import write_atomic
from ..graph import topo_order
from ._dot import dot_lines, format_number, fused_siblings, kept, short_name

RANKDIRS = ("LR", "TB", "RL", "BT")
FORMATS = ("svg", "png", "dot")
COLLAPSE = {False: 16, True: 4}  # collapse="auto": the longest list drawn in full, compact / expanded view
FIT_INCHES = 20.8  # Graphviz `size`: a bigger drawing is scaled down to 20.8 in (2000 px at 96 dpi)
__all__ = ["describe", "to_dot", "draw_dot", "datapoint_graph", "format_number", "short_name"]

INSTALL_HELP = (
    "Graphviz's `dot` program was not found on PATH; install Graphviz to render graphs: "
    "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz`, or see https://graphviz.org/download/ "
    "(to_dot() and `--out graph.dot` work without it)"
)


class GraphvizNotFoundError(RuntimeError, FileNotFoundError):
    """Graphviz's `dot` program is missing (a RuntimeError, and a FileNotFoundError)."""


# ---------------------------------------------------------------------- names


def _names(collection, what):
    """{id(Value): name or ""} from a collection of Values, a mapping name -> Value, or a model
    (anything with `named_parameters()`)."""
    if collection is None:
        return {}
    if hasattr(collection, "named_parameters"):
        collection = dict(collection.named_parameters())
    if hasattr(collection, "items"):
        pairs = list(collection.items())
    else:
        try:
            pairs = [("", v) for v in collection]
        except TypeError:
            raise TypeError(
                f"{what} must be a collection of Values or a mapping name -> Value, got {type(collection).__name__}"
            ) from None
    out = {}
    for name, v in pairs:
        if not hasattr(v, "_prev"):
            raise TypeError(f"{what} must hold Values, got {type(v).__name__} {v!r}")
        out[id(v)] = str(name)
    return out


# ---------------------------------------------------------------------- the drawing, as data


class GraphNode(NamedTuple):
    """One box of a drawn graph.

    key: a stable name ("n{i}" for the i-th node in topological order, "n{i}_{k}" for the k-th
    inner node of node i's expansion); op: the op that made it ("" for a leaf); label: its
    name from params/inputs/labels, or ""; kind: "param", "input", "const" (any other leaf)
    or "op"; fused: a fused node drawn as one box (it stands for several ops).
    """

    key: str
    op: str
    data: float
    grad: float
    label: str
    kind: str
    fused: bool


class GraphDescription(NamedTuple):
    """nodes: GraphNodes, children before parents; edges: (child index, parent index), one per use."""

    nodes: list
    edges: list

    def leaves_first(self):
        """The same graph with its nodes in another topological order: every leaf first, then
        each node as soon as its children are placed (Kahn's algorithm, first in first out).
        The web page lays its expanded view out from this order."""
        nkids, parents = [0] * len(self.nodes), [[] for _ in self.nodes]
        for c, p in self.edges:
            nkids[p] += 1
            parents[c].append(p)
        order = [i for i, n in enumerate(nkids) if n == 0]
        for i in order:  # grows while we walk it
            for p in parents[i]:
                nkids[p] -= 1
                if nkids[p] == 0:
                    order.append(p)
        pos = {old: new for new, old in enumerate(order)}
        return GraphDescription([self.nodes[i] for i in order], [(pos[c], pos[p]) for c, p in self.edges])


class _Expansion:
    """The `part` an op's `expand` calls for node `key`: it collects the inner nodes, which
    join the description only if the op expands (returns the node's own op and children)."""

    def __init__(self, key, first, op, children):
        self.key, self.first, self.op = key, first, op
        self.children = children  # id(child Value) -> its node index: all that an expansion may refer to
        self.nodes, self.edges = [], []

    def ref(self, child):
        """A node index from a handle (an int from `part`) or one of the node's own children."""
        if type(child) is int:
            return child
        try:
            return self.children[id(child)]
        except KeyError:
            raise ValueError(
                f"the expansion of {self.op!s} refers to {child!r}, which is not one of its node's children"
            ) from None

    def __call__(self, op, data, grad, children=()):
        handle = self.first + len(self.nodes)
        kids = [self.ref(c) for c in children]
        # 0.0 + grad: a real node's grad is accumulated from 0.0, which turns -0.0 into 0.0
        kind = "op" if kids else "const"
        self.nodes.append(GraphNode(f"{self.key}_{len(self.nodes)}", op, data, 0.0 + grad, "", kind, False))
        self.edges.extend((c, handle) for c in kids)
        return handle


def _check_max_nodes(count, max_nodes):
    if max_nodes is not None and count > max_nodes:
        raise ValueError(
            f"the graph has {count} nodes, more than max_nodes={max_nodes}; "
            f"draw a smaller graph (e.g. one datapoint) or raise max_nodes"
        )


def describe(root, expand=False, max_nodes=None, params=None, inputs=None, labels=None):
    """The graph below `root` as data: a GraphDescription (nodes in topological order, edges).

    expand: fused nodes as the primitive graphs they stand for (asked of each node: see above);
    True for every fused node, or a collection of keys ("n12") of the fused nodes to expand.
    max_nodes: refuse (ValueError, with the node count) a graph with more nodes than this.
    params / inputs: Values of kind "param" / "input" (or mappings name -> Value, whose names
    label them, or a model); labels: a mapping name -> Value naming other nodes (it wins over the
    others). A Value's own `label` attribute, when set, wins over all of them.
    """
    if not (hasattr(root, "_prev") and hasattr(root, "data") and hasattr(root, "grad")):
        raise TypeError(f"root must be a micrograd Value, got {type(root).__name__} {root!r}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"max_nodes must be a positive int or None, got {max_nodes!r}")
    pnames, inames = _names(params, "params"), _names(inputs, "inputs")
    extra = _names(labels, "labels") if labels is not None else {}
    only = None if isinstance(expand, bool) else set(expand)  # None: every fused node
    values = topo_order(root)
    _check_max_nodes(len(values), max_nodes)  # before any expansion work
    nodes, edges, index = [], [], {}
    for i, v in enumerate(values):  # keys by topological index: the same text every run
        key, vid = f"n{i}", id(v)
        op, kids = v._op, [index[id(c)] for c in v._prev]
        fused = hasattr(op, "expand")  # shaded, so a learner sees it stands for several ops
        if expand and fused and (only is None or key in only):
            part = _Expansion(key, len(nodes), op, {id(c): index[id(c)] for c in v._prev})
            got = op.expand(v, part)
            if got is not None:  # None: the node declines, as its docstring says; drawn as itself
                op, children = got
                kids = [part.ref(c) for c in children]
                nodes.extend(part.nodes)
                edges.extend(part.edges)
                fused = False
        kind = "param" if vid in pnames else "input" if vid in inames else "op" if kids else "const"
        own = getattr(v, "label", "")  # Value(x, label="a"), as in the lecture; "" when unset
        label = (own if isinstance(own, str) else "") or extra.get(vid) or pnames.get(vid) or inames.get(vid) or ""
        index[vid] = len(nodes)
        nodes.append(GraphNode(key, str(op), v.data, v.grad, label, kind, fused))
        edges.extend((c, index[vid]) for c in kids)
    _check_max_nodes(len(nodes), max_nodes)
    return GraphDescription(nodes, edges)


def _expand_few(root, limit, names, max_nodes=None):
    """Keys of the fused nodes an expanded, collapsed view expands: of fused siblings (same op,
    same inputs besides their own parameters: a layer's neurons) only the first limit-2 and the
    last, so a wide layer shows how its neurons work without drawing every one op by op (the
    others are drawn as one node)."""
    graph = describe(root, max_nodes=max_nodes, **names)
    keys = {n.key for n in graph.nodes if n.fused}
    for group in fused_siblings(graph.nodes, graph.edges):
        head, tail = kept(len(group), limit)
        keys -= {graph.nodes[i].key for i in group[head : len(group) - tail]}
    return keys


# ---------------------------------------------------------------------- to_dot


def to_dot(
    root,
    rankdir="LR",
    expand=False,
    max_nodes=None,
    params=None,
    inputs=None,
    labels=None,
    collapse="auto",
    legend=True,
    fit_inches=FIT_INCHES,
):
    """Graphviz DOT text of the graph below `root` (no Graphviz program needed).

    rankdir: "LR" (left to right, the course's) or "TB" (top to bottom), also "RL"/"BT".
    expand: draw fused nodes as the primitive graph they stand for.
    max_nodes: refuse (ValueError, with the node count) a graph with more boxes than this.
    params / inputs: Values to colour light green / light blue (or mappings name -> Value,
    whose names label the boxes, or a model); labels: a mapping name -> Value for other boxes.
    collapse: the longest list drawn in full (a neuron's weights, a sum chain, a layer's
    neurons when expanded); a longer one is drawn as its first collapse-2 items, one item for
    the rest and its last item. "auto": 16 (4 when expanded); None: draw everything.
    legend: a small table naming the colours. fit_inches: scale a bigger drawing down to this
    many inches square (Graphviz's `size`; 20.8 in is 2000 px at 96 dpi); None: natural size.
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if collapse == "auto":
        collapse = COLLAPSE[bool(expand)]
    if collapse is not None and (isinstance(collapse, bool) or not isinstance(collapse, int) or collapse < 3):
        raise ValueError(f"collapse must be an int >= 3, 'auto' or None, got {collapse!r}")
    if fit_inches is not None and (
        isinstance(fit_inches, bool) or not isinstance(fit_inches, (int, float)) or not fit_inches > 0
    ):
        raise ValueError(f"fit_inches must be a positive number or None, got {fit_inches!r}")
    names = {"params": params, "inputs": inputs, "labels": labels}
    merge_ops = bool(expand)  # the expanded view draws ops inside the boxes (see _dot.dot_lines)
    if expand is True and collapse is not None:
        expand = _expand_few(root, collapse, names, max_nodes)
    graph = describe(root, expand, max_nodes, **names)
    return "digraph micrograd {\n" + "\n".join(dot_lines(graph, rankdir, collapse, legend, fit_inches, merge_ops)) + "\n}\n"


# ---------------------------------------------------------------------- one datapoint through a model


def datapoint_graph(model, x, label, features=None, regression=False):
    """(loss, names): the loss of one datapoint through `model`, after zero_grad + forward +
    backward, and the to_dot keyword arguments that name and colour its boxes (params by
    parameter name, inputs x[i] (or their feature names), each hidden neuron's output
    layers.L.neurons.J.out, the logits and the loss).

    The loss is the cross-entropy with class `label`, or with `regression=True` the squared
    error against the float target `label` (a regression run's). `features` (a run's
    `--features`, micrograd.data.FEATURES): `x` is then the point (x, y) in the plane and the
    model's inputs are its features. The grads are zeroed first (the course's demo forgot to),
    so the graph shows this datapoint's gradients only.
    """
    from ..data import DEFAULT_FEATURES, feature_row
    from ..engine import Value
    from ..engines import _squared_error
    from ..losses import cross_entropy

    nin = getattr(model, "nin", None)
    if not hasattr(model, "named_parameters") or nin is None:
        raise TypeError(f"model must be a micrograd MLP (scalar engine), got {type(model).__name__}")
    featured = features is not None and tuple(features) != DEFAULT_FEATURES
    want = 2 if featured else nin
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__") or len(x) != want:
        got = len(x) if hasattr(x, "__len__") else type(x).__name__
        what = f"the point (x, y) whose features {','.join(features)} the model reads" if featured else "the model's input size"
        raise ValueError(f"x must hold {want} numbers ({what}), got {got}: {x!r}")
    nclasses = model.nouts[-1]
    if regression:
        if isinstance(label, bool) or not isinstance(label, (int, float)) or not math.isfinite(label):
            raise ValueError(f"label must be a finite number (the regression target), got {label!r}")
    elif isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < nclasses:
        raise ValueError(f"label must be a class index in [0, {nclasses}), got {label!r}")
    model.zero_grad()
    xs = [Value(float(v)) for v in (feature_row(float(x[0]), float(x[1]), features) if featured else x)]
    h, labels = xs, {}
    for n, layer in enumerate(model.layers):  # the model's forward, layer by layer, naming each neuron's output
        h = layer.outputs(h)
        labels.update((f"layers.{n}.neurons.{j}.out", z) for j, z in enumerate(h))
    loss = _squared_error(h[0], float(label)) if regression else cross_entropy(h, label)
    loss.backward()
    labels.update((f"logits[{k}]", z) for k, z in enumerate(h))  # the last layer's outputs are the logits
    labels["loss"] = loss
    names = {
        "params": dict(model.named_parameters()),
        "inputs": {(f if featured else f"x[{i}]"): v for i, (f, v) in enumerate(zip(features or [None] * len(xs), xs))},
        "labels": labels,
    }
    return loss, names


# ---------------------------------------------------------------------- rendering with Graphviz


def dot_available():
    """True if Graphviz's `dot` program is on PATH."""
    return shutil.which("dot") is not None


def _graphviz_package():
    try:
        import graphviz  # the Python package; it runs the `dot` program
    except ImportError:
        hint = "pip install graphviz (a dependency of micrograd-llm101n)"
        raise ImportError(f"rendering graphs needs the graphviz package: {hint}") from None
    return graphviz


def render(dot_text, format="svg"):
    """Bytes of `dot_text` rendered by Graphviz (`format` "svg" or "png")."""
    if format not in ("svg", "png"):
        raise ValueError(f"format must be 'svg' or 'png' to render, got {format!r}")
    if not dot_available():
        raise GraphvizNotFoundError(INSTALL_HELP)
    graphviz = _graphviz_package()
    try:
        return graphviz.Source(dot_text).pipe(format=format)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(INSTALL_HELP) from None


def draw_dot(root, path=None, format=None, **to_dot_kwargs):
    """Draw the graph below `root` to `path` (atomically) and return the path; with no path,
    return a `graphviz.Digraph` (as in the course: Jupyter shows it, `.render()` writes it).

    format: "svg", "png" (rendered with Graphviz's `dot`) or "dot" (the DOT text itself;
    no Graphviz needed); by default taken from the file's extension (.gv is DOT), else svg.
    Other keyword arguments go to `to_dot` (rankdir, expand, max_nodes, params, inputs,
    labels, collapse, legend, fit_inches).
    """
    import os

    if format is not None and format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    if path is None:  # to_dot's own lines as the Digraph's body: its `.source` is to_dot's text
        body = [line + "\n" for line in to_dot(root, **to_dot_kwargs).splitlines()[1:-1]]  # between { and }
        return _graphviz_package().Digraph("micrograd", body=body, format={"dot": "gv"}.get(format, format or "svg"))
    path = os.fspath(path)
    if format is None:
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        format = {"gv": "dot"}.get(ext, ext) if ext in FORMATS + ("gv",) else "svg"
    text = to_dot(root, **to_dot_kwargs)
    data = text if format == "dot" else render(text, format)
    return write_atomic(path, data)


def repr_svg(root, max_nodes=500):
    """SVG text of root's graph for Jupyter, or None (no `dot`, graph too big, any failure)
    so Jupyter falls back to the text repr."""
    if not dot_available():
        return None
    try:
        return render(to_dot(root, max_nodes=max_nodes), "svg").decode("utf-8")
    except Exception:  # a display hook must never break printing the value
        return None
