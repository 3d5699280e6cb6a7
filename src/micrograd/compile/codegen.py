"""micrograd.compile.codegen — the IR as one batched NumPy function, written out as source.

Scheduling: a node's level is 1 + its deepest child's (leaves are 0). Nodes of one level and
one shape of work form a group, computed by one NumPy call for the whole batch and all the
group's nodes at once: a layer's neurons (same inputs, same activation) are one matmul, a
level's products one `*` over a (batch, nodes) array, a level's tanh nodes one `np.tanh`.
Every group's values are one contiguous (batch, nodes) array of its own (`H1 = tanh_(S1)`, a
layer's activations), its gradient likewise (`dH1 = dS2 @ W2.T`, made by its first
contribution, not added into zeros): row-major arrays BLAS reads as they are, not column views
of one big array. A group's operand that is not one whole array is sliced, indexed or
concatenated from the arrays holding it. Parameters are the vector `P` (their gradients `GP`),
constants are written into the source.

`generate(nodes, outs, nin, nparams)` returns (source, names): the text of
`def program(X, y, P, g_out)` and the index arrays it reads (kept beside it, by name, and
shown in the source's header). The source is what `Compiled.source` shows and what is run.
"""

from .lower import LABEL, UNARY, Unsupported

__all__ = ["generate"]

_TINY = 2.2250738585072014e-308  # the smallest normal float: below it cross_entropy switches to log-sum-exp


def _paren(expr):
    """`expr` as an operand: a bare name as it is, anything else in parentheses."""
    return expr if expr.isidentifier() else f"({expr})"


def _levels(nodes):
    level = []
    for node in nodes:
        level.append(1 + max(level[a] for a in node.args) if node.args else 0)
    return level


class _Writer:
    """Collects the program's lines, its named index arrays and where every node's values live."""

    def __init__(self, nodes):
        self.nodes = nodes
        self.loc = {}  # node index -> (array name, column): the node's values for every example
        self.width = {"X": 0}  # array name -> its number of columns
        self.arrays = {}  # name -> list (an index array the program reads)
        self.fwd, self.bwd = [], []  # forward lines; backward: one function per group, called in reverse
        self.has_grad = set()  # array names whose gradient array d<name> exists (while backward is written)
        self.gp_written = set()  # parameters whose GP entry has a value (while backward is written)
        self.scalar_grad = None  # the output group when its gradient is g_out itself (one loss per example)

    def gp_op(self, ids):
        """`=` for parameters' first gradient contribution (GP starts at zero), `+=` after."""
        first = not self.gp_written.intersection(ids)
        self.gp_written.update(ids)
        return "=" if first else "+="

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

    def _runs(self, idx):
        """`idx` (nodes with values) as runs of one array each: [(name, columns, positions in idx)]."""
        runs = []
        for pos, i in enumerate(idx):
            name, col = self.loc[i]
            if runs and runs[-1][0] == name:
                runs[-1][1].append(col)
                runs[-1][2].append(pos)
            else:
                runs.append((name, [col], [pos]))
        return runs

    def columns(self, name, cols, prefix=""):
        """Source of columns `cols` of array `name` (or its gradient, prefix "d"): whole, a slice or indexed."""
        if cols == list(range(self.width[name])):
            return prefix + name
        if cols == list(range(cols[0], cols[0] + len(cols))):
            return f"{prefix}{name}[:, {cols[0]}:{cols[0] + len(cols)}]"
        return f"{prefix}{name}[:, {self.array('I', cols)}]"

    def operand(self, idx, name=None):
        """The source expression of a list of nodes of one kind: columns of value arrays, parameters or constants."""
        kind = self.kind(idx[0])
        if kind == "c":
            values = [self.nodes[i].attr for i in idx]
            if all(v == values[0] for v in values) and str(values[0]) not in ("nan", "inf", "-inf"):
                return repr(float(values[0]))
            return self.array("C", values)
        if kind == "p":
            ids = [self.nodes[i].attr for i in idx]
            if ids == list(range(ids[0], ids[0] + len(ids))):
                return f"P[{ids[0]}:{ids[0] + len(ids)}]"
            return f"P[{self.array('I', ids, name)}]"
        parts = [self.columns(n, cols) for n, cols, _ in self._runs(idx)]
        return parts[0] if len(parts) == 1 else f"np.concatenate(({', '.join(parts)}), axis=1)"

    def accumulate(self, idx, expr, lines, fresh=False):
        """Lines adding the gradient `expr` (batch x len(idx)) into the nodes `idx` (one kind). A node's
        gradient array is made by its first contribution (`dH1 = ...`: no zeros to add to); `fresh` says
        `expr` is a new array that may become it (else it is copied: it may be another node's gradient)."""
        kind = self.kind(idx[0])
        if kind == "c":
            return  # constants need no gradient
        if kind == "p":
            ids = [self.nodes[i].attr for i in idx]
            if len(set(ids)) == len(ids):
                lines.append(f"{self.operand(idx).replace('P', 'GP', 1)} {self.gp_op(ids)} ones @ {_paren(expr)}")
            else:
                self.gp_written.update(ids)
                lines.append(f"GP += np.bincount({self.array('I', ids)}, ones @ {_paren(expr)}, minlength=GP.size)")
            return
        runs = [r for r in self._runs(idx) if r[0] != "X"]  # the inputs need no gradient
        if not runs:
            return
        split = len(runs) > 1 or len(runs[0][2]) != len(idx)
        if split:  # the gradient goes to several arrays (or skips the inputs): name it once, slice it
            lines.append(f"d_parts = {expr}")
        for name, cols, pos in runs:
            part = f"d_parts[:, {self.columns_of(pos)}]" if split else expr
            whole, unique = cols == list(range(self.width[name])), len(set(cols)) == len(cols)
            if name not in self.has_grad:
                self.has_grad.add(name)
                if whole and unique:
                    own = fresh and not split
                    lines.append(f"d{name} = {part}" if own else f"d{name} = np.array({part})  # a copy: more is added to it")
                    continue
                lines.append(f"d{name} = np.zeros((B, {self.width[name]}))")
            if unique:
                lines.append(f"{self.columns(name, cols, 'd')} += {part}")
            else:
                lines.append(f"np.add.at(d{name}, (slice(None), {self.array('I', cols)}), {part})")

    def columns_of(self, pos):
        if pos == list(range(pos[0], pos[0] + len(pos))):
            return f"{pos[0]}:{pos[0] + len(pos)}"
        return self.array("I", pos)


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
    w = _Writer(nodes)
    w.width["X"] = nin
    batched = []  # does the node's value depend on the example (else it is the same for the whole batch)
    for i, node in enumerate(nodes):
        if node.kind == "input":
            w.loc[i] = ("X", node.attr)
        batched.append(node.kind == "input" or any(batched[a] for a in node.args))
    level = _levels(nodes)
    groups = {}
    for i, node in enumerate(nodes):
        if node.kind not in ("input", "param", "const"):
            groups.setdefault(_group_key(w, i, level[i]), []).append(i)
    for i in outs:
        if w.kind(i) != "v" or nodes[i].kind == "input":
            raise Unsupported("an output that is a parameter, a constant or an input")
    ordered = sorted(groups.items(), key=lambda kv: kv[0][0])  # by level; stable: first appearance within a level
    layers = 0
    for number, (key, members) in enumerate(ordered, 1):
        kind = key[1]
        if kind == "neuron":
            layers += 1
            name = f"H{layers}"
        else:
            name = f"L{number}" if kind == "xent" else f"A{number}"
        for col, i in enumerate(members):
            w.loc[i] = (name, col)
        w.width[name] = len(members)
        if kind == "neuron":
            _neuron(w, layers, key, members, name)
        elif kind == "xent":
            _xent(w, members[0], name)
        else:
            _elementwise(w, kind, members, name, any(batched[i] for i in members))
    return _assemble(w, outs, nin, nparams)


# ---------------------------------------------------------------------- the groups
# Each group's values are one contiguous (batch, members) array of its own, named for what it is:
# H1, H2... a layer's activations, L<n> a cross-entropy's losses, A<n> any other group; its gradient
# is d<name>. Each writer emits the forward lines now and returns the backward's as a function:
# the backward is written in reverse order, when every consumer's contribution is known.


def _neuron(w, j, key, members, out):
    act, xs = key[2], list(key[3])
    n = len(xs)
    names = {"tanh": "tanh", "relu": "relu", "sigmoid": "sigmoid", None: "linear"}
    w.fwd.append(f"# layer {j}: {len(members)} {names[act]} neurons act(b + w . x) over {n} inputs, one matmul")
    wid = [[w.nodes[i].args[1 + k] for i in members] for k in range(n)]  # (n, nout) parameter nodes
    W = w.array("W", [[w.nodes[p].attr for p in row] for row in wid], f"w{j}_at")
    B = w.operand([w.nodes[i].args[0] for i in members], f"b{j}_at")
    x = w.operand(xs)
    w.fwd.append(f"X{j} = {x}" if x != f"H{j - 1}" else f"X{j} = {x}  # the layer below's activations")
    w.fwd.append(f"W{j} = P[{W}]  # W{j}[i, k]: neuron k's weight from input i")
    w.fwd.append(f"S{j} = X{j} @ W{j}")
    w.fwd.append(f"S{j} += {B}  # the biases, in place (no second big array)")
    w.fwd.append(
        {
            "tanh": f"{out} = tanh_(S{j})  # np.tanh in place (S{j} is not needed again), in threads when big",
            "relu": f"{out} = np.maximum(S{j}, 0.0, out=S{j})  # relu in place",
            "sigmoid": f"{out} = _sigmoid(S{j})",
            None: f"{out} = S{j}",
        }[act]
    )
    flat = [p for row in wid for p in row]
    ids = [w.nodes[p].attr for p in flat]

    def backward():
        lines = [f"# layer {j} backward: d(pre-activation), then the weights', biases' and inputs' gradients"]
        g = f"d{out}"
        if act == "tanh":
            lines.append(f"dS{j} = dtanh({out}, {g})  # {g} * (1 - {out} ** 2): one new array, in threads when big")
        else:
            dact = {"relu": f" * ({out} > 0)", "sigmoid": f" * ((1.0 - {out}) * {out})", None: ""}[act]
            lines.append(f"dS{j} = {g}{dact}")
        if len(set(ids)) == len(ids):
            lines.append(f"GP[{W}] {w.gp_op(ids)} X{j}.T @ dS{j}")
        else:
            w.gp_written.update(ids)
            lines.append(f"np.add.at(GP, {W}, X{j}.T @ dS{j})")
        w.accumulate([w.nodes[i].args[0] for i in members], f"dS{j}", lines)
        w.accumulate(xs, f"dS{j} @ W{j}.T", lines, fresh=True)
        return lines

    w.bwd.append((out, backward))


def _columnwise(op, z, k, name, limit=16):
    """Lines setting `name` to `op` over the k columns of z, left to right (the scalar engine's order), or
    None when k is big (then a row reduction is as cheap as k calls)."""
    if k > limit or k < 2:
        return None
    first = f"{name} = {z}[:, 0] + {z}[:, 1]" if op == "+" else f"{name} = np.{op}({z}[:, 0], {z}[:, 1])"
    step = f"{name} += {z}[:, {{}}]" if op == "+" else f"np.{op}({name}, {z}[:, {{}}], out={name})"
    if k <= 3:
        return [first] + [step.format(2)] * (k - 2)
    return [first, f"for c in range(2, {k}):", "    " + step.format("c")]


def _xent(w, i, out):
    node = w.nodes[i]
    k = len(node.args)
    t = "y" if node.attr == LABEL else str(node.attr)
    z = w.operand(list(node.args))
    w.fwd.append(f"# cross-entropy of {k} logits, target {'the label y' if t == 'y' else 'class ' + t}: the seed's nll_loss")
    w.fwd += [
        f"Z = {z}",
        "if not math.isfinite(Z.sum()) and not np.isfinite(Z).all():  # one sum: finite unless a logit is not",
        "    raise ValueError(f'cross_entropy() needs finite logits, got {Z[~np.isfinite(Z).all(axis=1)][0].tolist()}')",
    ]
    # few logits: column by column, left to right (on short rows NumPy's row reductions cost more than k calls)
    w.fwd += _columnwise("maximum", "Z", k, "zmax") or ["zmax = Z.max(axis=1)"]
    w.fwd += ["shift = -zmax[:, None]", "ex = np.exp(Z + shift)"]
    w.fwd += _columnwise("+", "ex", k, "denom") or ["denom = ex.sum(axis=1)"]
    w.fwd += [
        "inv = denom ** -1",
        f"ex_t = ex[rows, {t}]",
        "p = ex_t * inv",
        "loss = np.log(p) * -1",
        "tiny = None",
        f"if p.min() < {_TINY!r}:  # p underflowed (a huge logit gap): log-sum-exp instead, as cross_entropy does",
        f"    tiny = p < {_TINY!r}",
        f"    loss[tiny] = -((Z[rows, {t}] + shift[:, 0]) - np.log(denom))[tiny]",
        "    p[tiny] = 0.0",
        f"{out} = loss[:, None]",
    ]

    def backward():
        lines = [
            "# cross-entropy backward: the seed's chain (loss = -log p, p = ex_t / denom),"
            " then softmax - onehot where p underflowed",
            "g = g_out  # the reduced loss's gradient: the same for every example"
            if w.scalar_grad == out
            else f"g = d{out}[:, 0]",
            "p_grad = (1 / p) * (-1 * g)",
            "inv_grad = ex_t * p_grad",
            "denom_grad = (-1 * denom ** -2) * inv_grad",
            "ext_grad = (0.0 + inv * p_grad) + denom_grad",
            "dZ = ex * denom_grad[:, None]",
            f"dZ[rows, {t}] = ex_t * ext_grad",
            "if tiny is not None:",
            f"    onehot = np.zeros_like(ex); onehot[rows, {t}] = 1.0",
            "    dZ[tiny] = (ex / denom[:, None] - onehot)[tiny] * np.broadcast_to(g, p.shape)[tiny, None]",
        ]
        w.accumulate(list(node.args), "dZ", lines, fresh=True)
        return lines

    w.bwd.append((out, backward))


def _elementwise(w, kind, members, out, batched):
    args = [[w.nodes[i].args[a] for i in members] for a in range(len(w.nodes[members[0]].args))]
    ops = [w.operand(a) for a in args]
    n = len(members)
    gout = f"d{out}"
    fwd, grads = None, []  # grads: (argument nodes, gradient expression, is it a new array)
    if kind in ("add", "mul"):
        a, b = ops
        w.fwd.append(f"# {n} x {'a + b' if kind == 'add' else 'a * b'}")
        fwd = f"{a} {'+' if kind == 'add' else '*'} {b}"
        title = f"# {n} x {'a + b' if kind == 'add' else 'a * b'} backward"
        if kind == "add":
            grads = [(args[0], gout, False), (args[1], gout, False)]
        else:
            grads = [(args[0], f"{b} * {gout}", True), (args[1], f"{a} * {gout}", True)]
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
        fwd = f"{a} ** {e!r}"
        title = f"# {n} x a ** {e!r} backward: {e!r} * a ** {e - 1!r}"
        if e != 0:
            grads = [(args[0], f"({e!r} * {a} ** {e - 1!r}) * {gout}", True)]
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
        title = f"# {n} x {kind} backward"
        grads = [(args[0], f"{local} * {gout}", True)]
    else:  # pragma: no cover - lower() makes only the kinds above
        raise Unsupported(f"the node kind {kind!r}")
    # a group that does not depend on the example (parameters and constants only) is still one row per example
    w.fwd.append(f"{out} = {fwd}" if batched else f"{out} = np.broadcast_to({fwd}, (B, {n}))  # the same for every example")

    def backward():
        lines = [title]
        for nodes_, expr, fresh in grads:
            w.accumulate(nodes_, expr, lines, fresh)
        return lines

    w.bwd.append((out, backward))


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
    out_name, out_col = w.loc[outs[0]]
    lines = [
        "# generated by micrograd.compile: one example's scalar graph, run for a whole batch at once",
        f"# X: the batch (B, {nin}), one row per example; H1, H2...: a layer's activations (B, neurons);",
        f"# A<n>: a group of like nodes (B, nodes); d<name>: its gradient; P: the {nparams} parameters, GP their gradients",
        "",
    ]
    lines += [_show(name, values) for name, values in w.arrays.items()]
    lines += [
        "",
        "",
        "def program(X, y, P, g_out):",
        '    """Forward for a batch X (B, inputs) with labels y; backward too unless g_out is None."""',
        "    B = X.shape[0]",
    ]
    if any(n.kind == "xent" for n in w.nodes):
        lines.append("    rows = np.arange(B)")
    lines += ["    " + ln for ln in w.fwd]
    lines.append(f"    out = {w.operand(outs)}")
    lines += ["    if g_out is None:", "        return out, None"]
    if len(outs) != 1:
        lines.append("    raise ValueError('backward needs a function with one output (a loss)')")
        return "\n".join(lines) + "\n", w.arrays
    width = w.width[out_name]
    lines.append(f"    GP = np.zeros({nparams})")
    lines.append("    ones = np.ones(B)  # ones @ M sums M over the batch: one BLAS call, faster than M.sum(axis=0)")
    if width == 1 and w.nodes[outs[0]].kind == "xent":
        w.scalar_grad = out_name  # the cross-entropy reads g_out itself: no (B, 1) array of it
    elif width == 1:
        lines.append(f"    d{out_name} = np.full((B, 1), g_out)  # d(reduced loss)/d(each example's loss)")
    else:
        lines += [f"    d{out_name} = np.zeros((B, {width}))", f"    d{out_name}[:, {out_col}] = g_out"]
    w.has_grad.add(out_name)
    for name, backward in reversed(w.bwd):
        if name not in w.has_grad:  # pragma: no cover - every node of a one-output graph reaches the loss
            continue
        lines += ["    " + ln for ln in backward()]
    lines.append("    return out, GP")
    return "\n".join(lines) + "\n", w.arrays
