"""micrograd.viz.graph — a compute graph as a picture: DOT text, SVG/PNG, Jupyter.

    from micrograd import Value
    from micrograd.viz import to_dot, draw_dot
    a, b = Value(2.0), Value(-3.0)
    c = (a * b).tanh(); c.backward()
    print(to_dot(c))                      # Graphviz DOT text; no Graphviz needed
    draw_dot(c, "c.svg")                  # rendered by Graphviz's `dot` program

Each value is a record box "label | data 0.1234 | grad 0.5678" fed by a small node
naming the op that made it, as in the course's `draw_dot`. Parameters are drawn light
green and inputs light blue (pass `params=` and `inputs=`: collections of Values, or
mappings name -> Value whose names become the box labels).

Fused nodes. For speed the scalar engine computes a few small sub-graphs as ONE node
that holds just enough to run its backward (see engine.py):
  - op 'dot': `b + w0*x0 + w1*x1 + ...`; children `(b, *w, *x)`,
    `_local = (1.0, *x.data, *w.data)` (the data at forward time);
  - ops 'tanh(dot)' / 'relu(dot)': a whole neuron, the dot then its activation;
    `_local` holds pre (the dot's value), dact (the activation's slope) and local;
  - op 'cross_entropy': the seed's max-shift / exp / sum / pow(-1) / mul / log / neg
    chain; children = the logits, `_local` an object with ex, denom, inv, p, target;
  - op 'sum' (`sum_values`): `start + v0 + v1 + ...` with ones as local derivatives.
`to_dot(root, expand=True)` draws each as the primitive graph it stands for (the '*'
and '+' nodes of the neuron, the loss's chain), recomputing the inner nodes' data from
what the fused node holds and their grads from the fused node's grad by the chain
rule. A fused node that cannot be expanded faithfully (an op we do not know, or a
cross-entropy whose probability underflowed) is drawn as one node with its op name
and a shaded op label. To teach the viewer a new fused op, add an expander to
`EXPANDERS`.
"""

import math
import shutil

from ..graph import trace
from .._io import write_atomic

RANKDIRS = ("LR", "TB", "RL", "BT")
FORMATS = ("svg", "png", "dot")
PARAM_COLOR = "lightgreen"
INPUT_COLOR = "lightblue"
FUSED_COLOR = "lightyellow"  # op node of a fused (not expanded) node

INSTALL_HELP = (
    "Graphviz's `dot` program was not found on PATH; install Graphviz to render graphs: "
    "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz`, or see https://graphviz.org/download/ "
    "(to_dot() and `--out graph.dot` work without it)"
)


class GraphvizNotFoundError(RuntimeError, FileNotFoundError):
    """Graphviz's `dot` program is missing (a RuntimeError, and a FileNotFoundError)."""


# ---------------------------------------------------------------------- formatting


def _num(x):
    """A short, honest number: 4 decimals, or scientific when 4 decimals would hide it."""
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if x == 0 or 1e-3 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.3e}"


def _esc(text):
    """Escape text for a DOT record label (braces, bars, angles, quotes are syntax)."""
    out = []
    for ch in str(text):
        if ch in '{}|<>"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        else:
            out.append(ch)
    return "".join(out)


def _names(collection, what):
    """{id(Value): name or ""} from a collection of Values or a mapping name -> Value."""
    if collection is None:
        return {}
    if hasattr(collection, "items"):
        pairs = list(collection.items())
    else:
        try:
            pairs = [("", v) for v in collection]
        except TypeError:
            raise TypeError(f"{what} must be a collection of Values or a mapping name -> Value, "
                            f"got {type(collection).__name__}") from None
    out = {}
    for name, v in pairs:
        if not hasattr(v, "_prev"):
            raise TypeError(f"{what} must hold Values, got {type(v).__name__} {v!r}")
        out[id(v)] = str(name)
    return out


# ---------------------------------------------------------------------- the drawing, as data


class _Drawing:
    """Boxes and edges to draw: nodes[key] = (label, data, grad, op, fill, fused); edges (child, parent)."""

    def __init__(self):
        self.nodes = {}
        self.edges = []


class _Parts:
    """Given to an expander: `part(op, data, grad, children, label="")` adds an inner node.

    `children` are Values of the real graph or keys returned by earlier `part` calls;
    inner leaves (constants of the primitive graph) have op "" and no children.
    """

    def __init__(self, drawing, key_of, prefix):
        self.drawing, self.key_of, self.prefix = drawing, key_of, prefix
        self.count = 0
        self.edges = []

    def ref(self, child):
        return child if isinstance(child, str) else self.key_of[id(child)]

    def __call__(self, op, data, grad, children=(), label=""):
        key = f"{self.prefix}_{self.count}"
        self.count += 1
        # 0.0 + grad: a real node's grad is accumulated from 0.0, which turns -0.0 into 0.0
        self.drawing.nodes[key] = (label, data, 0.0 + grad, op, None, False)
        self.edges.extend((self.ref(c), key) for c in children)
        return key


# ---------------------------------------------------------------------- expanders of fused nodes


def _dot_chain(prev, local, g, part, last=None):
    """b + w0*x0 + w1*x1 + ... as '*' and '+' parts (the seed's `sum(..., b)`), every one
    with grad g. Returns the last '+' as (op, children) for the node itself, or, with
    `last=(data, grad)`, as one more part (its key)."""
    n = (len(prev) - 1) // 2
    if n < 1 or len(prev) != 2 * n + 1 or not isinstance(local, tuple) or len(local) != len(prev):
        return None
    b, w, x = prev[0], prev[1 : n + 1], prev[n + 1 :]
    xd, wd = local[1 : n + 1], local[n + 1 :]  # the data at forward time
    acc, s = b, b.data
    for i in range(n):
        prod = part("*", wd[i] * xd[i], g, (w[i], x[i]))  # d(out)/d(prod) = 1
        if i == n - 1:
            if last is None:
                return "+", (acc, prod)  # the last '+' is the fused node itself
            return part("+", last[0], last[1], (acc, prod))
        s = s + wd[i] * xd[i]
        acc = part("+", s, g, (acc, prod))


def _expand_dot(v, part):
    """'dot' -> b + w0*x0 + w1*x1 + ...: one '*' and one '+' per input."""
    return _dot_chain(v._prev, v._local, v.grad, part)


def _expand_activated_dot(v, part):
    """'tanh(dot)' / 'relu(dot)' -> the dot's chain, then the activation node."""
    L = v._local
    try:
        pre, dact, local = L.pre, L.dact, L.local
    except AttributeError:
        return None
    g = dact * v.grad  # the activation's backward: pre.grad = act'(pre) * g
    pre_key = _dot_chain(v._prev, local, g, part, last=(pre, g))
    if pre_key is None:
        return None
    return ("tanh" if v._op.startswith("tanh") else "ReLU"), (pre_key,)


def _expand_cross_entropy(v, part):
    """'cross_entropy' -> the seed's nll_loss chain, with the grads its backward would give."""
    zs, L, g = v._prev, v._local, v.grad
    try:
        ex, denom, inv, p, t = L.ex, L.denom, L.inv, L.p, L.target
    except AttributeError:
        return None
    if not p > 0.0 or len(ex) != len(zs) or not 0 <= t < len(zs):
        return None  # p underflowed: the node used log-sum-exp, there is no seed chain to show
    # backward of the chain, in the order the seed's backward runs it (see losses.py)
    logp_grad = -1 * g
    p_grad = (1 / p) * logp_grad
    inv_grad = ex[t] * p_grad
    denom_grad = (-1 * denom**-2) * inv_grad
    neg_m = -max(z.data for z in zs)
    # 1) shifted = z - max;  ex = exp(shifted)
    ex_keys = []
    for k, z in enumerate(zs):
        ex_grad = denom_grad if k != t else (0.0 + inv * p_grad) + denom_grad
        shifted_grad = ex[k] * ex_grad
        c = part("", neg_m, shifted_grad, ())  # the constant -max, a leaf
        shifted = part("+", z.data + neg_m, shifted_grad, (z, c))
        ex_keys.append(part("exp", ex[k], ex_grad, (shifted,)))
    # 2) denom = sum(ex) (Python's sum starts at 0: 0 + ex0 is ex0.__radd__(0))
    acc, s = None, 0
    for k, e in enumerate(ex_keys):
        s = s + ex[k]
        kids = (e, part("", 0.0, denom_grad, ())) if acc is None else (acc, e)
        acc = part("+", s, denom_grad, kids)
    # 3) p = ex[t] * denom**-1;  4) logp = log(p);  5) loss = logp * -1
    inv_key = part("**-1", inv, inv_grad, (acc,))
    p_key = part("*", p, p_grad, (ex_keys[t], inv_key))
    logp = math.log(p)
    logp_key = part("log", logp, logp_grad, (p_key,))
    minus_one = part("", -1.0, logp * g, ())
    return "*", (logp_key, minus_one)


def _expand_sum(v, part):
    """'sum' (sum_values) -> Value(0) + v0 + v1 + ... (the seed's `loss += ...`), when start was 0."""
    prev, g = v._prev, v.grad
    if not prev:
        return None
    s = 0.0
    for c in prev:
        s = s + c.data
    if s != v.data:  # a start other than 0, or children changed since: keep it fused
        return None
    acc, s = part("", 0.0, g, ()), 0.0
    for i, c in enumerate(prev):
        if i == len(prev) - 1:
            return "+", (acc, c)
        s = s + c.data
        acc = part("+", s, g, (acc, c))


EXPANDERS = {
    "dot": _expand_dot,
    "tanh(dot)": _expand_activated_dot,
    "relu(dot)": _expand_activated_dot,
    "cross_entropy": _expand_cross_entropy,
    "sum": _expand_sum,
}


# ---------------------------------------------------------------------- to_dot


def _check_max_nodes(count, max_nodes):
    if max_nodes is not None and count > max_nodes:
        raise ValueError(f"the graph has {count} nodes, more than max_nodes={max_nodes}; "
                         f"draw a smaller graph (e.g. one datapoint) or raise max_nodes")


def _layout(root, expand, max_nodes, params, inputs, labels):
    """The drawing of the graph below root, fused nodes expanded if asked."""
    if not (hasattr(root, "_prev") and hasattr(root, "data") and hasattr(root, "grad")):
        raise TypeError(f"root must be a micrograd Value, got {type(root).__name__} {root!r}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"max_nodes must be a positive int or None, got {max_nodes!r}")
    pnames, inames = _names(params, "params"), _names(inputs, "inputs")
    extra = _names(labels, "labels") if labels is not None else {}
    nodes, _ = trace(root)
    _check_max_nodes(len(nodes), max_nodes)  # before any expansion work
    drawing = _Drawing()
    key_of = {}
    for i, v in enumerate(nodes):  # keys by topological index: the same text every run
        key_of[id(v)] = f"n{i}"
    for v in nodes:
        key = key_of[id(v)]
        vid = id(v)
        fill = PARAM_COLOR if vid in pnames else INPUT_COLOR if vid in inames else None
        label = extra.get(vid) or pnames.get(vid) or inames.get(vid) or ""
        op, kids = v._op, [key_of[id(c)] for c in v._prev]
        fused = v._op in EXPANDERS  # shaded, so a learner sees it stands for several ops
        if expand and v._op in EXPANDERS:
            parts = _Parts(drawing, key_of, key)
            try:
                got = EXPANDERS[v._op](v, parts)
            except (TypeError, ValueError, ArithmeticError, IndexError, AttributeError):
                got = None  # an unexpected shape: draw it fused rather than wrong
            if got is None:
                for k in range(parts.count):  # drop what the expander had started
                    del drawing.nodes[f"{key}_{k}"]
            else:
                op, children = got
                kids = [parts.ref(c) for c in children]
                drawing.edges.extend(parts.edges)
                fused = False
        drawing.nodes[key] = (label, v.data, v.grad, op, fill, fused)
        drawing.edges.extend((c, key) for c in kids)
    _check_max_nodes(len(drawing.nodes), max_nodes)
    return drawing


def to_dot(root, rankdir="LR", expand=False, max_nodes=None, params=None, inputs=None, labels=None):
    """Graphviz DOT text of the graph below `root` (no Graphviz program needed).

    rankdir: "LR" (left to right, the course's) or "TB" (top to bottom), also "RL"/"BT".
    expand: draw fused nodes as the primitive graph they stand for.
    max_nodes: refuse (ValueError, with the node count) a graph with more boxes than this.
    params / inputs: Values to colour light green / light blue (or mappings name -> Value,
    whose names label the boxes); labels: a mapping name -> Value for other boxes.
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    drawing = _layout(root, expand, max_nodes, params, inputs, labels)
    lines = [
        "digraph micrograd {",
        f"  graph [rankdir={rankdir}];",
        '  node [fontname="Helvetica", fontsize=11];',
    ]
    for key, (label, data, grad, op, fill, fused) in drawing.nodes.items():
        fields = ([_esc(label)] if label else []) + [f"data {_num(data)}", f"grad {_num(grad)}"]
        style = f', style=filled, fillcolor="{fill}"' if fill else ""
        body = " | ".join(fields)
        if rankdir in ("LR", "RL"):  # braces turn a record's fields sideways: one row, as in TB
            body = f"{{ {body} }}"
        lines.append(f'  {key} [shape=record, label="{body}"{style}];')
        if op:  # the small node naming the op that made this value
            shade = f', style=filled, fillcolor="{FUSED_COLOR}"' if fused else ""
            lines.append(f'  {key}_op [label="{_esc(op)}"{shade}];')
            lines.append(f"  {key}_op -> {key};")
    for child, parent in drawing.edges:
        lines.append(f"  {child} -> {parent}_op;")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- one datapoint through a model


def datapoint_graph(model, x, label):
    """(loss, names): the cross-entropy of one datapoint through `model`, after
    zero_grad + forward + backward, and the to_dot keyword arguments that name and colour
    its boxes (params by parameter name, inputs x[i], the logits and the loss).

    The grads are zeroed first (the course's demo forgot to), so the graph shows this
    datapoint's gradients only.
    """
    from ..engine import Value
    from ..losses import cross_entropy

    nin = getattr(model, "nin", None)
    if not hasattr(model, "named_parameters") or nin is None:
        raise TypeError(f"model must be a micrograd MLP (scalar engine), got {type(model).__name__}")
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__") or len(x) != nin:
        got = len(x) if hasattr(x, "__len__") else type(x).__name__
        raise ValueError(f"x must hold {nin} numbers (the model's input size), got {got}: {x!r}")
    nclasses = model.nouts[-1]
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < nclasses:
        raise ValueError(f"label must be a class index in [0, {nclasses}), got {label!r}")
    model.zero_grad()
    xs = [Value(float(v)) for v in x]
    logits = model(xs)
    loss = cross_entropy(logits, label)
    loss.backward()
    labels = {f"logits[{k}]": z for k, z in enumerate(logits)}
    labels["loss"] = loss
    names = {
        "params": dict(model.named_parameters()),
        "inputs": {f"x[{i}]": v for i, v in enumerate(xs)},
        "labels": labels,
    }
    return loss, names


# ---------------------------------------------------------------------- rendering with Graphviz


def dot_available():
    """True if Graphviz's `dot` program is on PATH."""
    return shutil.which("dot") is not None


def render(dot_text, format="svg"):
    """Bytes of `dot_text` rendered by Graphviz (`format` "svg" or "png")."""
    if format not in ("svg", "png"):
        raise ValueError(f"format must be 'svg' or 'png' to render, got {format!r}")
    if not dot_available():
        raise GraphvizNotFoundError(INSTALL_HELP)
    try:
        import graphviz  # the Python package; it runs the `dot` program
    except ImportError:
        raise ImportError("rendering graphs needs the graphviz package: pip install 'micrograd[viz]'") from None

    try:
        return graphviz.Source(dot_text).pipe(format=format)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(INSTALL_HELP) from None


def draw_dot(root, path, format=None, **to_dot_kwargs):
    """Draw the graph below `root` to `path` (atomically) and return the path.

    format: "svg", "png" (rendered with Graphviz's `dot`) or "dot" (the DOT text itself;
    no Graphviz needed); by default taken from the file's extension (.gv is DOT), else svg.
    Other keyword arguments go to `to_dot` (rankdir, expand, max_nodes, params, inputs).
    """
    import os

    path = os.fspath(path)
    if format is None:
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        format = {"gv": "dot"}.get(ext, ext) if ext in FORMATS + ("gv",) else "svg"
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
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
