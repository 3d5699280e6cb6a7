"""micrograd.compile.codegen — the IR as one batched NumPy function, written out as source.

Scheduling: a node's level is 1 + its deepest child's (leaves are 0). Nodes of one level and
one shape of work form a group, computed by one NumPy call for the whole batch and all the
group's nodes at once: a layer's neurons (same inputs, same activation) are one matmul, a
level's products one `*` over a (batch, nodes) array, a level's tanh nodes one `np.tanh`.
Every node's value for every example lives in one column of `V` (batch x nodes; a group's
columns are contiguous), its gradient in the same column of `G`; parameters are the vector `P`
(their gradients `GP`), constants are written into the source.

`generate(nodes, outs, nin, nparams)` returns (source, names): the text of
`def program(X, y, P, g_out)` and the index arrays it reads (kept beside it, by name, and
shown in the source's header). The source is what `Compiled.source` shows and what is run.
"""

from .lower import LABEL, UNARY, Unsupported

__all__ = ["generate"]

_TINY = 2.2250738585072014e-308  # the smallest normal float: below it cross_entropy switches to log-sum-exp


def _levels(nodes):
    level = []
    for node in nodes:
        level.append(1 + max(level[a] for a in node.args) if node.args else 0)
    return level


class _Writer:
    """Collects the program's lines and its named index arrays."""

    def __init__(self, nodes, ncols_in):
        self.nodes = nodes
        self.col = {}  # node index -> its V column
        self.arrays = {}  # name -> list (an index array the program reads)
        self.fwd, self.bwd = [], []
        self.ncols = ncols_in
        self.ninputs = ncols_in

    def kind(self, i):
        k = self.nodes[i].kind
        return "p" if k == "param" else "c" if k == "const" else "v"

    def array(self, prefix, values, name=None):
        """The name of an index/constant array the program reads (the same values share one name)."""
        for known, v in self.arrays.items():
            if v == values:
                return known
        name = name or f"{prefix}{len(self.arrays)}"
        self.arrays[name] = values
        return name

    def operand(self, idx, name=None):
        """The source expression of a list of nodes of one kind: V columns, parameters or constants."""
        kind = self.kind(idx[0])
        if kind == "c":
            values = [self.nodes[i].attr for i in idx]
            if all(v == values[0] for v in values) and str(values[0]) not in ("nan", "inf", "-inf"):
                return repr(float(values[0]))
            return self.array("C", values)
        ids = [self.col[i] for i in idx] if kind == "v" else [self.nodes[i].attr for i in idx]
        base = "V[:, {}]" if kind == "v" else "P[{}]"
        if ids == list(range(ids[0], ids[0] + len(ids))):
            if kind == "v" and len(ids) == self.ninputs and ids[0] == 0 and all(self.nodes[i].kind == "input" for i in idx):
                return "X"  # all the inputs, in order: the batch itself
            return base.format(f"{ids[0]}:{ids[0] + len(ids)}")
        return base.format(self.array("I", ids, name))

    def accumulate(self, idx, expr, lines):
        """Lines adding the gradient `expr` (batch x len(idx)) into the nodes `idx` (one kind)."""
        kind = self.kind(idx[0])
        if kind == "c" or (kind == "v" and all(self.nodes[i].kind == "input" for i in idx)):
            return  # constants and inputs need no gradient
        ids = [self.col[i] for i in idx] if kind == "v" else [self.nodes[i].attr for i in idx]
        if kind == "v":
            if len(set(ids)) == len(ids):
                lines.append(f"{self.operand(idx).replace('V', 'G', 1)} += {expr}")
            else:
                lines.append(f"np.add.at(G, (slice(None), {self.array('I', ids)}), {expr})")
        elif len(set(ids)) == len(ids):
            lines.append(f"{self.operand(idx).replace('P', 'GP', 1)} += ({expr}).sum(axis=0)")
        else:
            lines.append(f"GP += np.bincount({self.array('I', ids)}, ({expr}).sum(axis=0), minlength=GP.size)")


def _group_key(w, i, level):
    node = w.nodes[i]
    if node.kind == "neuron":
        act, n = node.attr
        b, ws, xs = node.args[0], node.args[1 : n + 1], node.args[n + 1 :]
        if n < 1 or any(w.kind(j) != "p" for j in (b, *ws)) or any(w.kind(j) != "v" for j in xs):
            raise Unsupported("a neuron whose weights are not parameters or whose inputs are constants")
        return (level, "neuron", act, xs)
    if node.kind == "xent":
        if any(w.kind(j) != "v" for j in node.args):
            raise Unsupported("a cross-entropy of constant logits")
        return (level, "xent", i)
    return (level, node.kind, node.attr, tuple(w.kind(j) for j in node.args))


def generate(nodes, outs, nin, nparams):
    """(source, arrays) of the batched program computing `nodes` (see the module docstring)."""
    w = _Writer(nodes, nin)
    for i, node in enumerate(nodes):
        if node.kind == "input":
            w.col[i] = node.attr
    level = _levels(nodes)
    groups = {}
    for i, node in enumerate(nodes):
        if node.kind not in ("input", "param", "const"):
            groups.setdefault(_group_key(w, i, level[i]), []).append(i)
    for i in outs:
        if w.kind(i) != "v" or nodes[i].kind == "input":
            raise Unsupported("an output that is a parameter, a constant or an input")
    ordered = sorted(groups.items(), key=lambda kv: kv[0][0])  # by level; stable: first appearance within a level
    layer = 0
    for key, members in ordered:
        start = w.ncols
        for i in members:
            w.col[i] = w.ncols
            w.ncols += 1
        out = f"V[:, {start}:{w.ncols}]"
        gout = f"G[:, {start}:{w.ncols}]"
        kind = key[1]
        if kind == "neuron":
            layer += 1
            _neuron(w, layer, key, members, out, gout)
        elif kind == "xent":
            _xent(w, members[0], out, gout, len(members))
        else:
            _elementwise(w, kind, members, out, gout)
    return _assemble(w, outs, nin, nparams)


# ---------------------------------------------------------------------- the groups


def _neuron(w, j, key, members, out, gout):
    act, xs = key[2], list(key[3])
    n = len(xs)
    names = {"tanh": "tanh", "relu": "relu", "sigmoid": "sigmoid", None: "linear"}
    w.fwd.append(f"# layer {j}: {len(members)} {names[act]} neurons act(b + w . x) over {n} inputs, one matmul")
    wid = [[w.nodes[i].args[1 + k] for i in members] for k in range(n)]  # (n, nout) parameter nodes
    W = w.array("W", [[w.nodes[p].attr for p in row] for row in wid], f"w{j}_at")
    B = w.operand([w.nodes[i].args[0] for i in members], f"b{j}_at")
    w.fwd.append(f"X{j} = {w.operand(xs)}")
    w.fwd.append(f"W{j} = P[{W}]  # W{j}[i, k]: neuron k's weight from input i")
    w.fwd.append(f"S{j} = X{j} @ W{j} + {B}")
    act_expr = {
        "tanh": f"np.tanh(S{j})",
        "relu": f"np.where(S{j} < 0, 0.0, S{j})",
        "sigmoid": f"_sigmoid(S{j})",
        None: f"S{j}",
    }[act]
    w.fwd.append(f"{out} = {act_expr}")
    lines = [f"# layer {j} backward: d(pre-activation), then the weights', biases' and inputs' gradients"]
    dact = {"tanh": f" * (1 - {out} ** 2)", "relu": f" * ({out} > 0)", "sigmoid": f" * ((1.0 - {out}) * {out})", None: ""}[act]
    lines.append(f"dS{j} = {gout}{dact}")
    flat = [p for row in wid for p in row]
    ids = [w.nodes[p].attr for p in flat]
    if len(set(ids)) == len(ids):
        lines.append(f"GP[{W}] += X{j}.T @ dS{j}")
    else:
        lines.append(f"np.add.at(GP, {W}, X{j}.T @ dS{j})")
    w.accumulate([w.nodes[i].args[0] for i in members], f"dS{j}", lines)
    w.accumulate(xs, f"dS{j} @ W{j}.T", lines)
    w.bwd.append(lines)


def _xent(w, i, out, gout, _):
    node = w.nodes[i]
    k = len(node.args)
    t = "y" if node.attr == LABEL else str(node.attr)
    z = w.operand(list(node.args))
    w.fwd.append(f"# cross-entropy of {k} logits, target {'the label y' if t == 'y' else 'class ' + t}: the seed's nll_loss")
    w.fwd += [
        f"Z = {z}",
        "if not np.isfinite(Z).all():",
        "    raise ValueError(f'cross_entropy() needs finite logits, got {Z[~np.isfinite(Z).all(axis=1)][0].tolist()}')",
        "shift = -Z.max(axis=1, keepdims=True)",
        "ex = np.exp(Z + shift)",
        "denom = ex.sum(axis=1)",
        "inv = denom ** -1",
        f"ex_t = ex[rows, {t}]",
        "p = ex_t * inv",
        "loss = np.log(p) * -1",
        f"tiny = p < {_TINY!r}",
        "if tiny.any():  # p underflowed (a huge logit gap): log-sum-exp instead, as cross_entropy does",
        f"    loss[tiny] = -((Z[rows, {t}] + shift[:, 0]) - np.log(denom))[tiny]",
        "    p[tiny] = 0.0",
        f"{out} = loss[:, None]",
    ]
    lines = [
        "# cross-entropy backward: the seed's chain (loss = -log p, p = ex_t / denom), then softmax - onehot where p underflowed",
        f"g = {gout}[:, 0]",
        "p_grad = (1 / p) * (-1 * g)",
        "inv_grad = ex_t * p_grad",
        "denom_grad = (-1 * denom ** -2) * inv_grad",
        "ext_grad = (0.0 + inv * p_grad) + denom_grad",
        "dZ = ex * denom_grad[:, None]",
        f"dZ[rows, {t}] = ex_t * ext_grad",
        "if tiny.any():",
        f"    onehot = np.zeros_like(ex); onehot[rows, {t}] = 1.0",
        "    dZ[tiny] = (ex / denom[:, None] - onehot)[tiny] * g[tiny, None]",
    ]
    w.accumulate(list(node.args), "dZ", lines)
    w.bwd.append(lines)


def _elementwise(w, kind, members, out, gout):
    args = [[w.nodes[i].args[a] for i in members] for a in range(len(w.nodes[members[0]].args))]
    ops = [w.operand(a) for a in args]
    n = len(members)
    lines = []
    if kind in ("add", "mul"):
        a, b = ops
        w.fwd.append(f"# {n} x {'a + b' if kind == 'add' else 'a * b'}")
        w.fwd.append(f"{out} = {a} {'+' if kind == 'add' else '*'} {b}")
        lines.append(f"# {n} x {'a + b' if kind == 'add' else 'a * b'} backward")
        w.accumulate(args[0], gout if kind == "add" else f"{b} * {gout}", lines)
        w.accumulate(args[1], gout if kind == "add" else f"{a} * {gout}", lines)
    elif kind == "pow":
        e = w.nodes[members[0]].attr
        (a,) = ops
        w.fwd.append(f"# {n} x a ** {e!r}")
        if e < 0:
            w.fwd.append(f"if ({a} == 0).any():")
            w.fwd.append(f"    raise ZeroDivisionError('pow: 0.0 cannot be raised to a negative power, got 0.0 ** {e!r}')")
        if e != int(e):
            w.fwd.append(f"if ({a} < 0).any():")
            w.fwd.append(f"    raise ValueError('pow: a fractional power of a negative number is not real (** {e!r})')")
        w.fwd.append(f"{out} = {a} ** {e!r}")
        if e != 0:
            lines.append(f"# {n} x a ** {e!r} backward: {e!r} * a ** {e - 1!r}")
            w.accumulate(args[0], f"({e!r} * {a} ** {e - 1!r}) * {gout}", lines)
    elif kind in UNARY:
        (a,) = ops
        w.fwd.append(f"# {n} x {kind}")
        if kind == "log":
            w.fwd.append(f"if ({a} <= 0).any():")
            bad = f"float(np.asarray({a})[np.asarray({a}) <= 0][0])"
            w.fwd.append(f"    raise ValueError(f'log() is defined for x > 0, got x={{{bad}!r}}')")
        fwd = {
            "relu": f"np.where({a} < 0, 0.0, {a})",
            "tanh": f"np.tanh({a})",
            "exp": f"np.exp({a})",
            "log": f"np.log({a})",
            "sigmoid": f"_sigmoid({a})",
        }[kind]
        local = {
            "relu": f"({a} > 0)",
            "tanh": f"(1 - {out} ** 2)",
            "exp": out,
            "log": f"(1 / {a})",
            "sigmoid": f"((1.0 - {out}) * {out})",
        }[kind]
        w.fwd.append(f"{out} = {fwd}")
        lines.append(f"# {n} x {kind} backward")
        w.accumulate(args[0], f"{local} * {gout}", lines)
    else:  # pragma: no cover - lower() makes only the kinds above
        raise Unsupported(f"the node kind {kind!r}")
    w.bwd.append(lines)


# ---------------------------------------------------------------------- the function


def _show(name, values):
    """An index array as source: `grid(...)` when it is a regular grid, else its list."""
    import numpy as np

    a = np.asarray(values)
    if a.ndim == 2 and a.size > 1:
        r = a[1, 0] - a[0, 0] if a.shape[0] > 1 else 0
        c = a[0, 1] - a[0, 0] if a.shape[1] > 1 else 0
        if (a == a[0, 0] + np.arange(a.shape[0])[:, None] * r + np.arange(a.shape[1])[None, :] * c).all():
            return f"{name} = grid({a[0, 0]}, {a.shape[0]}, {r}, {a.shape[1]}, {c})"
    if a.ndim == 1 and a.size > 2 and a.dtype.kind == "i" and (np.diff(a) == a[1] - a[0]).all() and a[1] != a[0]:
        return f"{name} = np.arange({a[0]}, {a[-1] + (a[1] - a[0])}, {a[1] - a[0]})"
    return f"{name} = np.array({a.tolist()!r})"


def _assemble(w, outs, nin, nparams):
    ocols = [w.col[i] for i in outs]
    lines = [
        "# generated by micrograd.compile: one example's scalar graph, run for a whole batch at once",
        f"# V[:, c]: node c's value for every example (inputs x[0..{nin - 1}] are columns 0..{nin - 1});"
        f" {w.ncols} columns; P: the {nparams} parameters",
        "",
    ]
    lines += [_show(name, values) for name, values in w.arrays.items()]
    lines += [
        "",
        "",
        "def program(X, y, P, g_out):",
        '    """Forward for a batch X (B, inputs) with labels y; backward too unless g_out is None."""',
        "    B = X.shape[0]",
        "    rows = np.arange(B)",
        f"    V = np.empty((B, {w.ncols}))",
        f"    V[:, 0:{nin}] = X",
    ]
    lines += ["    " + ln for ln in w.fwd]
    lines.append(f"    out = V[:, {w.operand(outs)[5:-1]}]" if ocols else "    out = None")
    lines += ["    if g_out is None:", "        return out, None"]
    if len(outs) != 1:
        lines.append("    raise ValueError('backward needs a function with one output (a loss)')")
    else:
        lines += [f"    G = np.zeros((B, {w.ncols}))", f"    GP = np.zeros({nparams})", f"    G[:, {ocols[0]}] = g_out"]
        for group in reversed(w.bwd):
            lines += ["    " + ln for ln in group]
        lines.append("    return out, GP")
    return "\n".join(lines) + "\n", w.arrays
