"""micrograd.check._model — the grader's checks of the seed's model, loss and data pieces, when a learner's
file has them (MLP/Neuron/Layer, nll_loss, RNG, gen_data, Module.zero_grad), inside the probe process.

Each compares theirs with micrograd's from the same inputs: their MLP's weights are loaded into ours,
their logits go through our cross_entropy, their RNG(42) draws against micrograd.RNG(42).
"""

from ..engine import Value as Ours
from ..losses import cross_entropy
from ..nn import MLP as OurMLP
from ..rng import RNG as OurRNG
from ._checks import FAIL, PASS, SKIP, close, last_line, num, row

GROUP = "model/loss"
SIZES = (2, [16, 3])  # the seed's model
POINTS = ([0.5, -1.2], [1.3, 0.4], [-1.7, 1.9])


def _absent(name, what):
    return row(GROUP, name, name.split(":")[0], SKIP, what, "not in your file", "optional: the article's later sections")


def _their_model(ns):
    return ns["MLP"](*SIZES)


def mlp_parameters(ns, cls):
    if "MLP" not in ns:
        return _absent("MLP: parameters", "MLP(2, [16, 3])")
    want = sum(len(layer.parameters()) for layer in OurMLP(*SIZES, rng=OurRNG(1)).layers)
    try:
        got = len(_their_model(ns).parameters())
    except Exception as e:
        return row(
            GROUP, "MLP: parameters", "MLP", FAIL, f"{want} parameters", last_line(e), "MLP(2, [16, 3]).parameters() raised"
        )
    hint = "" if got == want else "2*16 weights + 16 biases + 16*3 weights + 3 biases: each neuron has nin weights and one bias"
    return row(GROUP, "MLP: parameters", "MLP", PASS if got == want else FAIL, f"{want} parameters", f"{got}", hint)


def mlp_forward(ns, cls):
    """Their MLP(2, [16, 3]) and ours with their weights: the same logits (tanh hidden, linear last layer)."""
    if "MLP" not in ns:
        return _absent("MLP: forward", "MLP(2, [16, 3]) forward")
    name = "MLP: forward"
    try:
        theirs = _their_model(ns)
        params = theirs.parameters()
        ours = OurMLP(*SIZES, rng=OurRNG(1))
        if len(params) != len(ours.parameters()):
            return row(GROUP, name, "MLP", SKIP, "99 parameters", f"{len(params)}", "see MLP: parameters")
        for p, q in zip(ours.parameters(), params):  # the seed's order: each neuron's weights, then its bias
            p.data = float(q.data)
        for x in POINTS:
            got = [float(v.data) for v in theirs([cls(x[0]), cls(x[1])])]
            want = [v.data for v in ours(x)]
            if not all(close(g, w) for g, w in zip(got, want)) or len(got) != len(want):
                return row(
                    GROUP,
                    name,
                    "MLP",
                    FAIL,
                    f"logits {', '.join(map(num, want))} at x={x}",
                    f"{', '.join(map(num, got))}",
                    "hidden layers tanh(w.x + b), the last layer linear; parameters() in order: each neuron's w then b",
                )
    except Exception as e:
        return row(GROUP, name, "MLP", FAIL, "logits of 3 points", last_line(e), "calling your MLP raised")
    return row(GROUP, name, "MLP", PASS, "our MLP with your weights", f"same logits at {len(POINTS)} points")


def nll(ns, cls):
    """Their nll_loss against our cross_entropy: the loss and its gradient with respect to each logit."""
    if "nll_loss" not in ns:
        return _absent("nll_loss", "nll_loss(logits, target)")
    name = "nll_loss"
    for logits, target in (([1.5, -0.3, 0.8], 2), ([20.0, -5.0, 3.0], 1), ([0.1, 0.2, 0.3], 0)):
        try:
            zs = [cls(z) for z in logits]
            loss = ns["nll_loss"](zs, target)
            got = float(loss.data)
            loss.backward()
            ggot = [float(z.grad) for z in zs]
        except Exception as e:
            return row(GROUP, name, "nll_loss", FAIL, "a loss", last_line(e), f"nll_loss({logits}, {target}) raised")
        ozs = [Ours(z) for z in logits]
        ours = cross_entropy(ozs, target)
        ours.backward()
        if not close(got, ours.data):
            return row(
                GROUP,
                name,
                "nll_loss",
                FAIL,
                f"loss {num(ours.data)} for {logits}, target {target}",
                num(got),
                "-log(softmax(logits)[target]); subtract the max logit first so exp cannot overflow",
            )
        if not all(close(g, o.grad, rel=1e-7, abs_=1e-10) for g, o in zip(ggot, ozs)):
            return row(
                GROUP,
                name,
                "nll_loss",
                FAIL,
                f"d/dlogits {', '.join(num(o.grad) for o in ozs)}",
                ", ".join(map(num, ggot)),
                "softmax(logits) - one_hot(target)",
            )
    return row(GROUP, name, "nll_loss", PASS, "our cross_entropy", "same loss and gradients at 3 points (one with a large logit)")


def rng(ns, cls):
    if "RNG" not in ns:
        return _absent("RNG", "RNG(42) draws")
    try:
        theirs = ns["RNG"](42)
        got = [theirs.random_u32() for _ in range(5)] + [theirs.random() for _ in range(5)] + [theirs.uniform(-1, 1)]
    except Exception as e:
        return row(GROUP, "RNG", "RNG", FAIL, "RNG(42) draws", last_line(e), "random_u32(), random(), uniform(a, b)")
    ours = OurRNG(42)
    want = [ours.random_u32() for _ in range(5)] + [ours.random() for _ in range(5)] + [ours.uniform(-1, 1)]
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return row(
                GROUP,
                "RNG",
                "RNG",
                FAIL,
                f"draw {i}: {w!r}",
                f"{g!r}",
                "xorshift*: >>12, <<25, >>27 masked to 64 bits, times 0x2545F4914F6CDD1D, >>32 masked to 32",
            )
    return row(GROUP, "RNG", "RNG", PASS, "micrograd.RNG(42)", "same first 11 draws")


def gen_data(ns, cls):
    """gen_data() draws from the file's global `random`: reset it to RNG(42) and compare with ours."""
    if "gen_data" not in ns or "RNG" not in ns:
        return _absent("gen_data", "gen_data() with random = RNG(42)")
    from ..data import simple

    where = getattr(ns["gen_data"], "__globals__", ns)  # the file's own globals (run_path returns a copy)
    saved = where.get("random")
    try:
        where["random"] = ns["RNG"](42)
        got = ns["gen_data"]()
    except Exception as e:
        return row(GROUP, "gen_data", "gen_data", FAIL, "three splits", last_line(e), "gen_data() raised")
    finally:
        where["random"] = saved
    want = simple(OurRNG(42), 100)
    same = [list(map(_point, s)) for s in got] == [list(map(_point, s)) for s in want] if len(got) == 3 else False
    hint = "" if same else "x then y uniform in [-2, 2), label 0 if x < 0 else 1 if y < 0 else 2; splits 80/10/10"
    return row(
        GROUP,
        "gen_data",
        "gen_data",
        PASS if same else FAIL,
        "micrograd.data.simple(RNG(42)): 80/10/10 points",
        "the same points" if same else f"{[len(s) for s in got]} points, not the same",
        hint,
    )


def _point(p):
    (x, y), label = p
    return float(x), float(y), int(label)


def zero_grad(ns, cls):
    """Module.zero_grad() (their MLP's): every parameter's grad 0 after a backward."""
    if "MLP" not in ns or not callable(getattr(ns["MLP"], "zero_grad", None)):
        return _absent("zero_grad", "MLP.zero_grad()")
    try:
        model = _their_model(ns)
        out = model([cls(0.5), cls(-1.2)])
        out = out[0] if isinstance(out, list) else out
        out.backward()
        model.zero_grad()
        left = [float(p.grad) for p in model.parameters() if float(p.grad) != 0]
    except Exception as e:
        return row(GROUP, "zero_grad", "zero_grad", FAIL, "all grads 0", last_line(e), "zero_grad() raised")
    if left:
        return row(
            GROUP,
            "zero_grad",
            "zero_grad",
            FAIL,
            "all grads 0 after zero_grad()",
            f"{len(left)} grads not 0",
            "set p.grad = 0 for every p in parameters(): else the next step adds to this step's gradients",
        )
    return row(GROUP, "zero_grad", "zero_grad", PASS, "all grads 0 after zero_grad()", "all 0")


CHECKS = [mlp_parameters, mlp_forward, nll, rng, gen_data, zero_grad]
