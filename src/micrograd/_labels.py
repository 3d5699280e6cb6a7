"""micrograd._labels — a Value's optional label, kept with its op (a node has no slot for it).

A slot costs 8 bytes on every node and only a few nodes are labelled, so a labelled node's
`_op` is its op wrapped with the label: `label_of(op)` reads it, `with_label(op, label)` sets or
clears it. A wrapped str op is still that str (`op == "+"`, `uid + op` as the lecture's
draw_dot does); a wrapped fused op passes every attribute through to the op.
"""


class _LabelledStr(str):
    """A str op ('+', '' for a leaf, ...) with a label: still that str, plus `.op` and `.label`."""

    def __new__(cls, op, label):
        self = super().__new__(cls, op)
        self.op, self.label = str(op), label
        return self

    def __reduce__(self):  # copy and pickle rebuild it from (op, label), as it was made
        return (_LabelledStr, (self.op, self.label))


class _LabelledOp:
    """A fused node's op object with a label: the op's attributes (its rule's floats, `expand`)
    and `str()` are the op's own."""

    __slots__ = ("op", "label")

    def __init__(self, op, label):
        self.op, self.label = op, label

    def __getattr__(self, name):  # only names that are not `op`/`label`: those of the op
        if name in ("op", "label"):  # not set yet (copy and pickle make the object before its slots)
            raise AttributeError(name)
        return getattr(self.op, name)

    def __reduce__(self):
        return (_LabelledOp, (self.op, self.label))

    def __str__(self):
        return str(self.op)


_LABELLED = (_LabelledStr, _LabelledOp)


def label_of(op):
    """The label riding on a node's op ("" when it has none)."""
    return op.label if type(op) in _LABELLED else ""


def with_label(op, label):
    """The node's op carrying `label` ("" removes it); a TypeError for anything but a str."""
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__name__} {label!r}")
    if type(op) in _LABELLED:
        op = op.op
    if not label:
        return op
    return _LabelledStr(op, label) if isinstance(op, str) else _LabelledOp(op, label)
