"""micrograd.check._checks — the checks the grader runs on a learner's engine, inside the probe process.

Each check is a function `(ns, cls) -> row dict | list of rows`; it builds graphs with the learner's
class `cls` (their `Value`) and with micrograd's own `Value` (the reference), and compares them. A row
is {"group", "name", "op", "verdict", "expected", "got", "hint"}; verdict is PASS, FAIL (a bug), LIMIT
(a known limitation the seed program shares: it does not fail the run) or SKIP (the piece is absent).
The probe (micrograd.check._probe) runs them one by one and records each row as it is made.
"""

import math
import sys

from ..engine import Value as Ours

# ---------------------------------------------------------------------- rows and numbers

PASS, FAIL, LIMIT, SKIP = "PASS", "FAIL", "LIMIT", "SKIP"


def row(group, name, op, verdict, expected="", got="", hint=""):
    return {"group": group, "name": name, "op": op, "verdict": verdict, "expected": expected, "got": got, "hint": hint}


def close(a, b, rel=1e-9, abs_=1e-12):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b or abs(a - b) <= abs_ + rel * max(abs(a), abs(b))


def num(x):
    return f"{x:.10g}" if isinstance(x, float) else repr(x)


def last_line(e):
    """An exception as its traceback's last line: "ZeroDivisionError: float division by zero"."""
    return f"{type(e).__name__}: {e}".strip().rstrip(":")


def run(cls, fn, xs):
    """f(*xs) on `cls` leaves, then backward: (forward float, [grad of each leaf])."""
    leaves = [cls(x) for x in xs]
    out = fn(*leaves)
    fwd = float(out.data)
    out.backward()
    return fwd, [float(v.grad) for v in leaves]


def central(cls, fn, xs, eps=1e-6):
    """Central differences of f's forward on `cls`, one input at a time."""
    grads = []
    for i in range(len(xs)):
        hi, lo = list(xs), list(xs)
        hi[i] += eps
        lo[i] -= eps
        grads.append((float(fn(*[cls(x) for x in hi]).data) - float(fn(*[cls(x) for x in lo]).data)) / (2 * eps))
    return grads


# ---------------------------------------------------------------------- ops: forward vs math, backward vs ours

# (name, op label, the method or dunder it needs, fn on engine values, reference on floats, points, kinks)
# Points include the edges: relu at 0 and below, tanh saturated, ** with negative and fractional exponents.
OPS = [
    ("add", "+", "__add__", lambda a, b: a + b, lambda a, b: a + b, [(1.5, -0.7), (-2.0, 3.25)], ()),
    ("sub", "-", "__sub__", lambda a, b: a - b, lambda a, b: a - b, [(1.5, -0.7), (-2.0, 3.25)], ()),
    ("mul", "*", "__mul__", lambda a, b: a * b, lambda a, b: a * b, [(1.5, -0.7), (-2.0, 3.25)], ()),
    ("div", "/", "__truediv__", lambda a, b: a / b, lambda a, b: a / b, [(1.5, -0.7), (-2.0, 0.25)], ()),
    ("neg", "-x", "__neg__", lambda a: -a, lambda a: -a, [(1.5,), (-0.3,)], ()),
    ("pow 2", "**", "__pow__", lambda a: a**2, lambda a: a**2, [(1.7,), (-1.3,)], ()),
    ("pow 3", "**", "__pow__", lambda a: a**3, lambda a: a**3, [(-1.3,), (0.4,)], ()),
    ("pow -1", "**", "__pow__", lambda a: a**-1, lambda a: a**-1, [(0.8,), (-2.0,)], ()),
    ("pow -2", "**", "__pow__", lambda a: a**-2, lambda a: a**-2, [(1.5,), (-0.6,)], ()),
    ("pow 0.5", "**", "__pow__", lambda a: a**0.5, lambda a: a**0.5, [(2.5,), (0.3,)], ()),
    ("pow 1.5", "**", "__pow__", lambda a: a**1.5, lambda a: a**1.5, [(0.6,), (2.0,)], ()),
    ("radd", "n + x", "__radd__", lambda a: 2 + a, lambda a: 2 + a, [(1.5,)], ()),
    ("rsub", "n - x", "__rsub__", lambda a: 1 - a, lambda a: 1 - a, [(1.5,)], ()),
    ("rmul", "n * x", "__rmul__", lambda a: 2 * a, lambda a: 2 * a, [(1.5,)], ()),
    ("rtruediv", "n / x", "__rtruediv__", lambda a: 2 / a, lambda a: 2 / a, [(1.5,), (-0.4,)], ()),
    ("add number", "x + n", "__add__", lambda a: a + 2.5, lambda a: a + 2.5, [(1.5,)], ()),
    ("mul number", "x * n", "__mul__", lambda a: a * -3, lambda a: a * -3, [(1.5,)], ()),
    ("relu", "relu", "relu", lambda a: a.relu(), lambda a: max(0.0, a), [(1.3,), (-0.5,), (-2.0,), (0.0,)], (0.0,)),
    ("tanh", "tanh", "tanh", lambda a: a.tanh(), math.tanh, [(0.3,), (-1.2,), (2.5,), (20.0,)], ()),
    ("exp", "exp", "exp", lambda a: a.exp(), math.exp, [(0.0,), (1.5,), (-2.0,)], ()),
    ("log", "log", "log", lambda a: a.log(), math.log, [(0.1,), (1.0,), (5.0,)], ()),
    ("sigmoid", "sigmoid", "sigmoid", lambda a: a.sigmoid(), lambda a: 1 / (1 + math.exp(-a)), [(0.0,), (-3.0,), (2.0,)], ()),
]

# the methods a Value has that are not ops (the grader does not try to differentiate them)
NOT_OPS = {"backward", "zero_grad", "item", "numpy", "tolist", "detach", "parameters", "label"}


def _fmt_point(xs):
    return ", ".join(f"{n}={num(x)}" for n, x in zip("ab", xs))


def op_check(cls, name, label, fn, ref, points, kinks):
    """One op at every point: forward vs math, gradients vs ours and (off kinks) vs central differences."""
    grp, nm = "ops", f"op: {name}"
    for xs in points:
        where = f"at {_fmt_point(xs)}"
        try:
            fwd, grads = run(cls, fn, xs)
        except Exception as e:  # their op raised: the row says what
            return row(grp, nm, name, FAIL, f"{label} works {where}", last_line(e), "your op raised an exception")
        want = ref(*xs)
        if not close(fwd, want):
            return row(
                grp, nm, name, FAIL, f"forward {num(want)} {where}", f"forward {num(fwd)}", f"the forward of {label} is wrong"
            )
        ofwd, ogr = run(Ours, fn, xs)
        names = ["d/da", "d/db"]
        for i, (g, o) in enumerate(zip(grads, ogr)):
            if not close(g, o, rel=1e-7, abs_=1e-10):
                cd = "" if xs[0] in kinks else f"; central differences {num(central(cls, fn, xs)[i])}"
                return row(
                    grp,
                    nm,
                    name,
                    FAIL,
                    f"{names[i]} = {num(o)} {where} (ours{cd})",
                    f"{names[i]} = {num(g)}",
                    f"the backward (derivative) of {label} is wrong {where}",
                )
        if xs[0] not in kinks:
            cd = central(cls, fn, xs)
            for i, (g, c) in enumerate(zip(grads, cd)):
                if not close(g, c, rel=1e-4, abs_=1e-6):
                    return row(grp, nm, name, FAIL, f"{names[i]} = {num(c)} (central differences)", f"{names[i]} = {num(g)}", "")
    pts = "; ".join(_fmt_point(xs) for xs in points)
    return row(grp, nm, name, PASS, "forward = math, backward = ours", f"agrees at {pts}")


def other_ops(cls):
    """Any other one-argument method of the class that returns a node: backward vs central differences."""
    known = {m for _, _, m, *_ in OPS} | NOT_OPS
    rows = []
    for attr in sorted(vars(cls)):
        if attr.startswith("_") or attr in known or not callable(getattr(cls, attr, None)):
            continue
        fn = (lambda m: lambda a: getattr(a, m)())(attr)
        try:
            out = fn(cls(0.7))
            if not isinstance(out, cls):
                continue
            (_, grads), cd = run(cls, fn, (0.7,)), central(cls, fn, (0.7,))
        except Exception:  # not a no-argument op: leave it alone
            continue
        ok = close(grads[0], cd[0], rel=1e-4, abs_=1e-6)
        rows.append(
            row(
                "ops",
                f"op: {attr}",
                attr,
                PASS if ok else FAIL,
                f"d/da = {num(cd[0])} at a=0.7 (central differences)",
                f"d/da = {num(grads[0])}",
                "" if ok else f"the backward of {attr} is wrong",
            )
        )
    return rows


def ops(ns, cls):
    rows = []
    for name, label, needs, fn, ref, points, kinks in OPS:
        if not callable(getattr(cls, needs, None)):
            rows.append(row("ops", f"op: {name}", name, SKIP, f"{label} ({needs})", "not defined", "optional"))
            continue
        rows.append(op_check(cls, name, label, fn, ref, points, kinks))
    return rows + other_ops(cls)


# ---------------------------------------------------------------------- the classic bugs

GRAPHS = [  # (name, op, fn, point, hint when wrong)
    (
        "accumulate: a + a",
        "add",
        lambda a: a + a,
        (1.5,),
        "a node used twice got one contribution: its backward assigns (=) instead of accumulating (+=) into .grad",
    ),
    (
        "accumulate: a * a",
        "mul",
        lambda a: a * a,
        (1.5,),
        "a node used twice got one contribution: its backward assigns (=) instead of accumulating (+=) into .grad",
    ),
    (
        "accumulate: diamond (a*b)*(a+b)",
        "mul/add",
        lambda a, b: (a * b) * (a + b),
        (1.5, -0.4),
        "a node reached by two paths got one contribution: use += in every backward",
    ),
    (
        "topological order: chain ((a*2)+1)*3",
        "backward",
        lambda a: ((a * 2.0) + 1.0) * 3.0,
        (0.7,),
        "a node's backward ran before its output's gradient was complete: build the order children-first and walk it reversed",
    ),
    (
        "topological order: shared (a*b + b) * a",
        "backward",
        lambda a, b: (a * b + b) * a,
        (0.7, -1.3),
        "a node's backward ran before all its users' had: build the order children-first (post-order) and walk it reversed",
    ),
]


def classic(ns, cls):
    rows = []
    for name, op, fn, xs, hint in GRAPHS:
        try:
            _, grads = run(cls, fn, xs)
        except Exception as e:
            rows.append(row("classic bugs", name, op, FAIL, "a gradient", last_line(e), "backward raised an exception"))
            continue
        _, want = run(Ours, fn, xs)
        ok = all(close(g, w, rel=1e-9) for g, w in zip(grads, want))
        show = lambda gs: ", ".join(num(g) for g in gs)  # noqa: E731
        rows.append(
            row("classic bugs", name, op, PASS if ok else FAIL, f"grads {show(want)}", f"grads {show(grads)}", "" if ok else hint)
        )
    return _diagnose(rows + [backward_twice(ns, cls)])


def _diagnose(rows):
    """One bug shows in several rows: with a chain right and a node used twice wrong, the = instead of +=
    is the likely cause of the other rows' failures too (say so, rather than blame the order)."""
    failed = {r["name"].split(":")[0] for r in rows if r["verdict"] == FAIL}
    chain_ok = any(r["name"].startswith("topological order: chain") and r["verdict"] == PASS for r in rows)
    if "accumulate" in failed and chain_ok:
        for r in rows:
            if r["verdict"] in (FAIL, LIMIT) and not r["name"].startswith("accumulate"):
                r["hint"] += " (here most likely the = instead of += above: a node used twice)"
    return rows


def backward_twice(ns, cls):
    """Two backward() calls without zeroing: PyTorch accumulates, the leaf gets twice the gradient."""
    name, op = "backward twice", "backward"
    try:
        a = cls(0.5)
        y = a * a + a
        y.backward()
        first = float(a.grad)
        y.backward()
        second = float(a.grad)
    except Exception as e:
        return row("classic bugs", name, op, LIMIT, "a second backward() accumulates", last_line(e), "a second backward() raised")
    if close(second, 2 * first):
        return row("classic bugs", name, op, PASS, f"a.grad {num(2 * first)} (accumulates, as PyTorch)", f"a.grad {num(second)}")
    why = (
        "the second call resets .grad (PyTorch accumulates until zero_grad)"
        if close(second, first)
        else "interior nodes kept their first gradient, so the second call adds more than the gradient again "
        "(PyTorch resets interior gradients per call; zero every grad between calls)"
    )
    return row("classic bugs", name, op, LIMIT, f"a.grad {num(2 * first)} (PyTorch: accumulates)", f"a.grad {num(second)}", why)


SEED_DEPTH = 990  # the seed program's deepest backward-able chain (x = x + 1.0), measured by this check on CPython 3.11
DEPTHS = (100, 1000, 3000, 10000, 30000)


def _backprops(cls, n):
    """True when backward() gets through a chain of n additions (the gradient is checked once, at the start)."""
    x = cls(0.5)
    for _ in range(n):
        x = x + 1.0
    try:
        x.backward()
    except RecursionError:
        return False
    return True


def recursion_depth(ns, cls):
    """The deepest chain `x = x + 1.0` their backward handles (a recursive topological sort stops near 1000)."""
    name, op, ok = "recursion depth", "backward", 0
    a = x = cls(0.5)
    for _ in range(10):
        x = x + 1.0
    x.backward()
    if float(a.grad) != 1.0:  # not a depth limit: the gradient of a short chain is already wrong
        return row(
            "classic bugs",
            name,
            op,
            FAIL,
            "a.grad 1 through a chain of 10 additions",
            f"a.grad {num(float(a.grad))}",
            "a chain's gradient is wrong: see the topological order rows",
        )
    for n in DEPTHS:
        if not _backprops(cls, n):
            break
        ok = n
    else:
        return row("classic bugs", name, op, PASS, f"a chain of {DEPTHS[-1]} ops", f"backpropagates a chain of {DEPTHS[-1]}")
    lo, hi = ok, n  # ok works, n does not: bisect to the limit
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _backprops(cls, mid) else (lo, mid)
    return row(
        "classic bugs",
        name,
        op,
        LIMIT,
        f"no limit (ours: {DEPTHS[-1]}+; the seed's: {SEED_DEPTH})",
        f"deepest chain: {lo} (Python's recursion limit is {sys.getrecursionlimit()})",
        "the topological sort is recursive: a deeper graph raises RecursionError; an explicit stack removes the limit",
    )


def _holds(group, a, b):
    try:  # by identity: a class whose == builds a node (or raises) is still seen
        return any(x is a or x is b for x in group)
    except Exception:
        return False


def set_children(ns, cls):
    """Children kept in a set: their order follows object ids, so gradient sums accumulate in an order
    that changes run to run (the last digits of a gradient differ). Seen directly and by rebuilding one graph."""
    name, op = "children in a set", "_prev"
    a, b = cls(1.0), cls(2.0)
    c = a + b
    held = [k for k, v in getattr(c, "__dict__", {}).items() if isinstance(v, (set, frozenset)) and _holds(v, a, b)]
    grads, keep = set(), []
    for _ in range(30):  # the same graph in new objects: a set's order may change, a tuple's does not
        x = cls(0.1)
        y = ((x * 1e16 + x * 1.0) + x * -1e16) + x * 3.0
        y.backward()
        grads.add(float(x.grad))
        keep.append(y)  # keep every graph alive: new objects get new ids
    if not held and len(grads) == 1:
        return row("classic bugs", name, op, PASS, "the same graph gives the same gradient", "deterministic (children in order)")
    seen = (
        f"{len(grads)} different gradients in 30 rebuilds of one graph" if len(grads) > 1 else "the same gradient in 30 rebuilds"
    )
    return row(
        "classic bugs",
        name,
        op,
        LIMIT,
        "children kept in order (a tuple)",
        f"children in a set ({', '.join(held) or 'unseen'}); {seen}",
        "a set's order follows object ids: sums of gradients accumulate in a different order run to run (last digits differ)",
    )
