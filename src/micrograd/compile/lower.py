"""micrograd.compile.lower — a traced graph as a list of typed nodes (the compiler's IR).

`lower(outputs, inputs, params, label)` walks the traced graph (children before parents) and
gives every node a `Node`: its kind, its children (indices into the list) and what else its
kind needs. Leaves become "input" (the traced example's i-th number), "param" (the k-th
parameter: its value is read at every call) or "const" (any other leaf, e.g. a `Value(0.0)`
made inside the function: its number is baked in). Fused nodes come apart into what the
compiler batches: a `nn.NeuronOp` is a "neuron" (b, w..., x..., its activation), a
`losses.CrossEntropyOp` an "xent" whose target is the example's label (or a fixed class), a
`losses.SumOp` a chain of "add" nodes in the order it adds (the seed's floats).

Anything else raises `Unsupported`: the caller falls back to the scalar engine.
`Node.key()` is the node's structure; two traces with equal keys compile to the same program.
"""

from ..engine import Value
from ..graph import topo_order
from ..losses import CrossEntropyOp, SumOp
from ..nn import NeuronOp

__all__ = ["Node", "Unsupported", "lower", "LABEL", "UNARY"]

LABEL = "label"  # an xent's target when it is the example's label
UNARY = ("relu", "tanh", "exp", "log", "sigmoid")
_UNARY_OPS = {"ReLU": "relu", "tanh": "tanh", "exp": "exp", "log": "log", "sigmoid": "sigmoid"}
_NEURON_ACTS = {"dot": None, "tanh(dot)": "tanh", "relu(dot)": "relu", "sigmoid(dot)": "sigmoid"}


class Unsupported(Exception):
    """The traced graph holds something the compiler does not batch (the reason is the message)."""


class Node:
    """One IR node: `kind`, `args` (child node indices) and `attr` (kind-specific: an input's or
    parameter's index, a constant, an exponent, a neuron's activation, an xent's target)."""

    __slots__ = ("kind", "args", "attr")

    def __init__(self, kind, args=(), attr=None):
        self.kind, self.args, self.attr = kind, tuple(args), attr

    def key(self):
        return (self.kind, self.args, self.attr)

    def __repr__(self):
        return f"Node({self.kind!r}, {self.args}, {self.attr!r})"


def _op_of(v):
    """A node's op without its label (micrograd._labels wraps labelled ops)."""
    op = v._op
    inner = getattr(op, "op", None)  # a labelled op keeps the op as `.op`
    if inner is not None and not isinstance(op, (NeuronOp, CrossEntropyOp, SumOp)):
        return inner
    return op


def lower(outputs, inputs, params, label=None):
    """The IR of a traced graph: (nodes, output indices). `params` the parameter Values (their
    order is the program's P vector), `label` the traced example's label (None: unlabelled)."""
    input_index = {id(v): i for i, v in enumerate(inputs)}
    param_index = {id(p): k for k, p in enumerate(params)}
    nodes, index = [], {}

    def add(node):
        nodes.append(node)
        return len(nodes) - 1

    def const(c):
        return add(Node("const", (), c))

    every = topo_order(Value(0.0, tuple(outputs)))[:-1]  # one walk for all the outputs (the join node is dropped)
    for v in every:
        index[id(v)] = _lower_node(v, index, input_index, param_index, label, add, const)
    return nodes, [index[id(v)] for v in outputs]


def _lower_node(v, index, input_index, param_index, label, add, const):
    data = Value.__dict__["data"].__get__(v, Value)  # the slot itself (a Tracer's property is for user code)
    if not v._prev:
        if id(v) in input_index:
            return add(Node("input", (), input_index[id(v)]))
        if id(v) in param_index:
            return add(Node("param", (), param_index[id(v)]))
        return const(data)
    op = _op_of(v)
    kids = [index[id(c)] for c in v._prev]
    if isinstance(op, NeuronOp):
        n = (len(kids) - 1) // 2
        if op.name not in _NEURON_ACTS:  # a fused neuron kind the code generator does not know: never guess
            raise Unsupported(f"the fused neuron {op.name!r}")
        return add(Node("neuron", kids, (_NEURON_ACTS[op.name], n)))
    if isinstance(op, CrossEntropyOp):
        target = LABEL if label is not None and op.target == int(label) else op.target
        return add(Node("xent", kids, target))
    if isinstance(op, SumOp):
        acc = const(op.start)
        for k in kids:
            acc = add(Node("add", (acc, k)))
        return acc
    if not isinstance(op, str):
        raise Unsupported(f"the fused op {type(op).__name__} ({op})")
    if op == "+":
        return add(Node("add", kids))
    if op == "*":
        return add(Node("mul", kids))
    if op in _UNARY_OPS:
        return add(Node(_UNARY_OPS[op], kids))
    if op.startswith("**") and len(kids) == 1:
        try:
            exponent = float(op[2:])
        except ValueError:
            raise Unsupported(f"the op {op!r}") from None
        if not (exponent == exponent and abs(exponent) < 1e300):  # nan / inf exponents: leave them to the scalar engine
            raise Unsupported(f"the power {op!r}")
        return add(Node("pow", kids, exponent))
    raise Unsupported(f"the op {op!r}" + (" (a Value as the exponent)" if op == "**" else ""))
