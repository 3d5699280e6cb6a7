"""micrograd.compile: a function of one example, traced and run for a whole batch with NumPy.

Exactness against the scalar engine (the reference: the same function, example by example),
the tracing rules (an error naming the user's line), the scalar fallback (a warning, the
scalar engine's numbers), the cache (re-traced when the model changes), the generated source,
and the `compiled` engine of the trainer and the CLI against the scalar engine.
"""

import ast
import inspect
import re
import warnings

import numpy as np
import pytest
from catalogue import OPS, args_for
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd.compile
from micrograd import losses, nn
from micrograd.compile import CompileFallbackWarning, TracingError
from micrograd.engine import Value
from micrograd.rng import RNG
from micrograd.train import fit

TOL = 1e-12


def close(a, b, tol=TOL):
    return abs(a - b) <= tol * max(1.0, abs(b))


def scalar_reference(fn, params, xs, ys=None, reduction="mean"):
    """(loss, [grad per param]) of fn over the batch on the scalar engine: the sum of the
    examples' Values (left to right), times 1/N for the mean."""
    for p in params:
        p.grad = 0.0
    outs = [fn(list(x), y) if ys is not None else fn(list(x)) for x, y in zip(xs, ys if ys is not None else xs)]
    total = losses.sum_values(outs)
    node = total * (1.0 / len(xs)) if reduction == "mean" else total
    node.backward()
    grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return node.data, grads


def compiled_result(fn, params, xs, ys=None, reduction="mean"):
    f = micrograd.compile(fn, params, reduction=reduction)
    loss = f(xs, ys)
    loss.backward()
    grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return loss.data, grads, f


def assert_same(fn, params, xs, ys=None, reduction="mean"):
    ref_loss, ref_grads = scalar_reference(fn, params, xs, ys, reduction)
    loss, grads, f = compiled_result(fn, params, xs, ys, reduction)
    assert close(loss, ref_loss), (loss, ref_loss)
    assert len(grads) == len(ref_grads)
    for i, (g, r) in enumerate(zip(grads, ref_grads)):
        assert close(g, r), (i, g, r)
    return f


# ---------------------------------------------------------------------- the op catalogue, batched

NOT_COMPILED = {"pow_value", "rpow"}  # a Value as the exponent: the scalar fallback (tested below)


@pytest.mark.parametrize("op", [op for op in OPS if op.name not in NOT_COMPILED], ids=lambda op: op.name)
@settings(max_examples=10, deadline=None)
@given(units=st.lists(st.lists(st.floats(0.0, 1.0, exclude_max=True), min_size=2, max_size=2), min_size=1, max_size=6),
       scale=st.floats(0.9, 1.1))  # fmt: skip
def test_catalogue_op_gradients_equal_the_scalar_engines(op, units, scale):
    ws = [Value(scale), Value(2.0 - scale)]  # parameters near 1: the op's argument stays inside its domain
    xs = [args_for(op, u) for u in units]
    fn = lambda x: op.fn(*[x[i] * ws[i] for i in range(op.arity)])  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileFallbackWarning)  # these ops must compile
        assert_same(fn, ws[: op.arity], xs)


# ---------------------------------------------------------------------- user-defined functions


class Skip(nn.Module):
    """x -> tanh layer -> + x (a skip connection) -> linear layer: logits."""

    def __init__(self, nin, nclasses, rng):
        self.l1 = nn.Layer(nin, nin, rng=rng)
        self.l2 = nn.Layer(nin, nclasses, nonlin=False, rng=rng)

    def __call__(self, x):
        h = self.l1.outputs(x)
        return self.l2.outputs([hi + xi for hi, xi in zip(h, x)])

    def parameters(self):
        return self.l1.parameters() + self.l2.parameters()


def swish(v):
    return v * v.sigmoid()


def gelu_tanh(v):
    return 0.5 * v * (1 + (0.7978845608 * (v + 0.044715 * v**3)).tanh())


def hand_neuron(ws, b, x):
    return sum((w * xi for w, xi in zip(ws, x)), b)


def make_case(name, rng):
    """(fn, params, nin, nclasses) of a user-defined function of one example (x, y)."""
    if name == "mlp_cross_entropy":
        m = nn.MLP(3, [5, 4], rng=rng)
        return (lambda x, y: losses.cross_entropy(m(x), y)), m.parameters(), 3, 4
    if name == "relu_mlp":
        m = nn.MLP(3, [6, 5, 3], activation="relu", init="per-weight", rng=rng)
        return (lambda x, y: losses.cross_entropy(m(x), y)), m.parameters(), 3, 3
    if name == "skip_connection":
        m = Skip(4, 3, rng)
        return (lambda x, y: losses.cross_entropy(m(x), y)), m.parameters(), 4, 3
    if name == "custom_activation":
        l1, l2 = nn.Layer(3, 4, nonlin=False, rng=rng), nn.Layer(4, 3, nonlin=False, rng=rng)
        return (lambda x, y: losses.cross_entropy(l2.outputs([swish(h) for h in l1.outputs(x)]), y)), (
            l1.parameters() + l2.parameters()), 3, 3  # fmt: skip
    if name == "gelu_hand_written":
        ws = [[Value(rng.uniform(-1, 1)) for _ in range(3)] for _ in range(3)]
        bs = [Value(rng.uniform(-0.1, 0.1)) for _ in range(3)]
        params = [w for row in ws for w in row] + bs
        return (lambda x, y: losses.cross_entropy([gelu_tanh(hand_neuron(w, b, x)) for w, b in zip(ws, bs)], y)), (
            params), 3, 3  # fmt: skip
    if name == "hinge_l2":
        m = nn.MLP(3, [4, 3], rng=rng)
        ps = m.parameters()
        return (lambda x, y: losses.hinge(m(x), y) + 0.01 * sum((p**2 for p in ps), Value(0.0))), ps, 3, 3
    if name == "mse_one_hot":
        m = nn.MLP(2, [4, 3], rng=rng)
        return (lambda x, y: losses.mse(m(x), [1.0 if k == y else 0.0 for k in range(3)])), m.parameters(), 2, 3
    if name == "hand_softmax":
        m = nn.MLP(2, [4, 3], rng=rng)

        def loss(x, y):
            z = m(x)
            ez = [v.exp() for v in z]
            return -(ez[y] / losses.sum_values(ez)).log()

        return loss, m.parameters(), 2, 3
    if name == "shared_weights":
        layer = nn.Layer(3, 3, rng=rng)
        return (lambda x, y: losses.cross_entropy(layer.outputs(layer.outputs(x)), y)), layer.parameters(), 3, 3
    if name == "catalogue_composed":
        m = nn.MLP(2, [3, 2], rng=rng)

        def loss(x, y):
            a, b = m(x)
            c = (a * a * b + b**2 - a / (b * b + 1.0)) + (a.exp() + 1.0).log() + (a * a.tanh() + a).sigmoid()
            return (c - y) ** 2 + (1.5 - b).relu() + 2.0 / (b * b + 1.0) + (b * b + 0.5) ** 0.5

        return loss, m.parameters(), 2, 2
    if name == "regression_output":
        m = nn.MLP(2, [5, 1], rng=rng)
        return (lambda x, y: (m(x) - y) ** 2), m.parameters(), 2, 2
    raise AssertionError(name)


CASES = [
    "mlp_cross_entropy", "relu_mlp", "skip_connection", "custom_activation", "gelu_hand_written", "hinge_l2",
    "mse_one_hot", "hand_softmax", "shared_weights", "catalogue_composed", "regression_output",
]  # fmt: skip


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@settings(max_examples=5, deadline=None)
@given(seed=st.integers(1, 2**31 - 1), n=st.integers(1, 12))
def test_user_functions_gradients_equal_the_scalar_engines(name, reduction, seed, n):
    rng = RNG(seed)
    fn, params, nin, nclasses = make_case(name, rng)
    xs = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(n)]
    ys = [rng.randint(0, nclasses - 1) for _ in range(n)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileFallbackWarning)
        assert_same(fn, params, xs, ys, reduction)


def test_the_catalogue_covers_every_way_a_gradient_array_is_assembled():
    """Each group's gradient is an array of its own, made by its first contribution: the catalogue (whose
    gradients the test above checks against the scalar engine) must reach every way codegen assembles one."""
    sources = []
    for name in CASES:
        fn, params, nin, nclasses = make_case(name, RNG(3))
        f = micrograd.compile(fn, params)
        f([[0.1 * i - 0.2 * j for j in range(nin)] for i in range(4)], [i % nclasses for i in range(4)]).backward()
        sources.append(f.source)
    text = "\n".join(sources)
    for construct in (
        "dH1 = dS2 @ W2.T",  # a new array from the consumer: it becomes the gradient
        "= np.array(d",  # another group's gradient passed on: copied before more is added to it
        "np.zeros((B,",  # a group whose nodes get gradients from different places
        "np.add.at(d",  # a node used twice by one group
        "d_parts = ",  # one gradient split among several arrays
        "np.concatenate((",  # an operand gathered from several arrays
        "np.broadcast_to(",  # a group of parameters and constants only: the same row for every example
        "= ones @ ",  # a parameter's first gradient contribution: assigned, summed over the batch
        "+= ones @ ",  # a parameter used again (shared weights, an L2 penalty): added
    ):
        assert construct in text, construct


def test_logits_forward_equals_the_scalar_models():
    model = nn.MLP(3, [8, 4], rng=RNG(3))
    xs = np.random.RandomState(0).uniform(-2, 2, (20, 3))
    f = micrograd.compile(lambda x: model(x), model)
    out = f.forward(xs)
    assert out.shape == (20, 4)
    for row, x in zip(out, xs.tolist()):
        for a, v in zip(row, model(x)):
            assert close(a, v.data)


def test_per_example_losses_are_the_scalar_engines():
    model = nn.MLP(2, [4, 3], rng=RNG(5))
    xs, ys = np.random.RandomState(1).uniform(-2, 2, (9, 2)), [0, 1, 2, 2, 1, 0, 0, 1, 2]
    loss = micrograd.compile(lambda x, y: losses.cross_entropy(model(x), y), model)(xs, ys)
    for per, x, y in zip(loss.outputs, xs.tolist(), ys):
        assert close(per, losses.cross_entropy(model(x), y).data)


@pytest.mark.parametrize("order", ["traced on a normal example", "traced on the underflowing one"])
def test_cross_entropy_underflow_is_the_scalar_engines_log_sum_exp(order):
    w = Value(1.0)
    fn = lambda x, y: losses.cross_entropy([x[0] * w, x[1] * w, x[1]], y)  # noqa: E731
    xs = [[1.0, 0.5], [1e4, 0.0], [3.0, -2.0]]
    xs = xs if order == "traced on a normal example" else xs[1:] + xs[:1]
    ref_loss, _ = scalar_reference(fn, [w], xs, [1, 1, 2])
    assert ref_loss > 3000  # the underflowing example's loss is ~1e4: log-sum-exp, not log(0)
    assert_same(fn, [w], xs, [1, 1, 2])


def test_label_dependent_graph_gets_one_program_per_label():
    fn, params, nin, _ = make_case("hinge_l2", RNG(7))
    f = assert_same(fn, params, [[0.1, 0.2, 0.3], [0.3, -1.0, 2.0], [1.0, 1.0, -1.0]], [0, 1, 2])
    assert f.source.count("def program") == 3


# ---------------------------------------------------------------------- tracing rules


def _line_of(fn, text):
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, ln in enumerate(lines) if text in ln)


def branch_on_data(x):
    if x[0].data > 0:  # BRANCH
        return x[0] * 2.0
    return x[0]


def branch_on_bool(x):
    h = x[0] * x[1]
    if h:  # BRANCH
        return h
    return h + 1.0


def branch_on_float(x):
    return x[0] * max(float(x[1]), 0.0)  # BRANCH


def branch_on_compare(x):
    return x[0] if x[0] > x[1] else x[1]  # BRANCH


@pytest.mark.parametrize("fn", [branch_on_data, branch_on_bool, branch_on_float, branch_on_compare], ids=lambda f: f.__name__)
def test_reading_a_tracer_is_an_error_naming_the_line(fn):
    w = Value(1.0)
    f = micrograd.compile(fn, [w])
    with pytest.raises(TracingError) as e:
        f([[1.0, 2.0], [-1.0, 3.0]])
    message = str(e.value)
    assert f"{__file__}:{_line_of(fn, '# BRANCH')}" in message
    assert "relu()" in message


@pytest.mark.parametrize("same_branch", [True, False])
def test_a_branch_on_a_fused_nodes_data_is_refused_naming_the_line(same_branch):
    """A neuron's output (a fused node) built from tracers is a tracer too: reading its number is refused at
    once, naming the user's line, even when every example would take the same branch (no second trace
    could see that)."""
    model = nn.MLP(1, [1], rng=RNG(2))  # one linear neuron: its output is a fused node

    def fn(x):
        out = model(x)
        return out * 3.0 if out.data > 0 else out  # the line the message must name

    line = fn.__code__.co_firstlineno + 2
    w = model.layers[0].neurons[0].w[0].data
    xs = [[1.0], [2.0]] if same_branch else [[1.0], [-1.0]]
    xs = xs if w > 0 else [[-a for a in x] for x in xs]
    with pytest.raises(TracingError, match=rf"test_compile.py:{line}: reading .data of a traced value"):
        micrograd.compile(fn, model).forward(xs)
    two = nn.MLP(1, [2], rng=RNG(3))

    def loss(x, y):  # the loss's fused node too
        ce = losses.cross_entropy(two(x), y)
        return ce * 2.0 if ce.data > 1.0 else ce

    with pytest.raises(TracingError, match="reading .data"):
        micrograd.compile(loss, two).forward([[0.5], [1.5]], [0, 1])


# ---------------------------------------------------------------------- fallback


@pytest.mark.parametrize("name", ["pow_value", "rpow"])
def test_unsupported_ops_fall_back_to_the_scalar_engine_with_a_warning(name):
    op = next(op for op in OPS if op.name == name)
    ws = [Value(1.1), Value(0.9)]
    fn = lambda x: op.fn(*[x[i] * ws[i] for i in range(op.arity)])  # noqa: E731
    xs = [args_for(op, u) for u in ([0.1, 0.2], [0.5, 0.9], [0.7, 0.3])]
    ref_loss, ref_grads = scalar_reference(fn, ws[: op.arity], xs)
    with pytest.warns(CompileFallbackWarning, match="scalar engine"):
        loss, grads, f = compiled_result(fn, ws[: op.arity], xs)
    assert loss == ref_loss and grads == ref_grads  # the scalar engine itself: the same bits
    assert "not compiled" in f.source


# ---------------------------------------------------------------------- cache and re-trace


def test_cached_per_structure_and_retraced_when_the_model_changes():
    holder = {"model": nn.MLP(2, [3, 2], rng=RNG(1))}
    fn = lambda x, y: losses.cross_entropy(holder["model"](x), y)  # noqa: E731

    class Params:
        def parameters(self):
            return holder["model"].parameters()

    f = micrograd.compile(fn, Params())
    xs, ys = [[0.5, -1.0], [1.0, 2.0], [-0.3, 0.2]], [0, 1, 1]
    f(xs, ys)
    first = f.source
    f(xs, ys)
    assert len(f._cache) == 1 and f.source == first  # same structure: no new trace
    holder["model"] = nn.MLP(2, [5, 4, 2], rng=RNG(2))  # a new model: new parameters and shapes
    loss = f(xs, ys)
    assert len(f._cache) == 2 and f.source != first and "layer 3" in f.source
    ref, _ = scalar_reference(fn, holder["model"].parameters(), xs, ys)
    assert close(loss.data, ref)


# ---------------------------------------------------------------------- the source


def test_source_is_valid_readable_python():
    model = nn.MLP(2, [16, 3], rng=RNG(42))
    f = micrograd.compile(lambda x, y: losses.cross_entropy(model(x), y), model)
    f([[0.1, 0.2], [0.3, 0.4]], [0, 2])
    src = f.source
    ast.parse(src)
    compile(src, "<generated>", "exec")
    assert "S1 = X1 @ W1\n" in src and "S2 = X2 @ W2\n" in src and "S2 += P[b2_at]" in src  # a layer's neurons: one matmul
    assert "# layer 1: 16 tanh neurons" in src and "# layer 2: 3 linear neurons" in src
    assert "H1 = tanh_(S1)" in src and "cross-entropy" in src
    # each layer's values and gradients are whole arrays of their own (no column views of one big array)
    assert "X2 = H1" in src and "dH1 = dS2 @ W2.T" in src and "V[" not in src and "G[" not in src
    assert len(src.splitlines()) < 80  # batched: a few lines per layer, not one per scalar node


def test_bad_input_names_the_argument():
    model = nn.MLP(2, [3, 2], rng=RNG(1))
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', got 'max'"):
        micrograd.compile(lambda x, y: losses.cross_entropy(model(x), y), model, reduction="max")
    with pytest.raises(TypeError, match=r"params\[0\] must be a Value"):
        micrograd.compile(lambda x: x[0], [1.0])
    with pytest.raises(TypeError, match="compile\\(\\) needs a function"):
        micrograd.compile(3, model)
    f = micrograd.compile(lambda x, y: losses.cross_entropy(model(x), y), model)
    with pytest.raises(ValueError, match="ys must be 2 integer labels"):
        f([[0.1, 0.2], [0.3, 0.4]], [0.5, 1.5])
    with pytest.raises(TypeError, match="pass the batch's labels"):
        f([[0.1, 0.2], [0.3, 0.4]])
    with pytest.raises(ValueError, match="non-empty batch"):
        f([], [])


def test_the_scalar_engines_errors_are_kept():
    w = Value(1.0)
    with pytest.raises(ValueError, match="log\\(\\) is defined for x > 0"):
        micrograd.compile(lambda x: (x[0] * w).log(), [w])([[1.0], [-1.0]])


# ---------------------------------------------------------------------- the compiled engine: trainer and CLI


def run_losses(engine, steps=3, **overrides):
    preset = overrides.pop("preset", "seed")
    from micrograd.config import TrainConfig

    cfg = TrainConfig.preset(preset, engine=engine, steps=steps, eval_every=2, **overrides)
    history = fit(cfg, out=lambda line: None)
    vals = list(history["train_loss"]) + list(history["val_loss"].values())
    vals += [s["loss"] for s in history["summary"].values()]
    accs = [(s["correct"], s["total"]) for s in history["summary"].values()]
    return vals, accs


def assert_runs_equal(**overrides):
    a, acc_a = run_losses("scalar", **overrides)
    b, acc_b = run_losses("compiled", **overrides)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert close(y, x), (y, x)
    assert acc_a == acc_b


DATASETS = ["simple", "circles", "yinyang", "moons", "spiral"]


@pytest.mark.parametrize("preset", ["seed", "llm101n"])
@pytest.mark.parametrize("dataset", DATASETS)
def test_engine_losses_equal_the_scalar_engines_every_dataset(preset, dataset):
    assert_runs_equal(preset=preset, dataset=dataset)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("optimizer", ["seed-adam", "adam", "adamw", "sgd"])
def test_engine_losses_equal_the_scalar_engines_every_optimizer(activation, optimizer):
    assert_runs_equal(preset="llm101n", activation=activation, optimizer=optimizer, steps=4)


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["seed", "llm101n"])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_engine_losses_equal_the_scalar_engines_on_digits(preset, activation):
    pytest.importorskip("sklearn")
    assert_runs_equal(preset=preset, dataset="digits", activation=activation, steps=2, hidden=[8])


def _numbers(text):
    return [float(t) for t in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", text)]


def test_cli_compiled_prints_the_scalar_engines_numbers(capsys):
    from micrograd.cli import main

    outputs = []
    for engine in ("scalar", "compiled"):
        assert main(["train", "--engine", engine, "--steps", "30"]) == 0
        outputs.append(capsys.readouterr().out)
    scalar, compiled = outputs
    assert len(scalar.splitlines()) == len(compiled.splitlines()) > 30
    a, b = _numbers(scalar), _numbers(compiled)
    assert len(a) == len(b) > 30
    for x, y in zip(a, b):
        assert close(y, x), (y, x)


def test_engine_registered_and_numpy_free_import():
    import subprocess
    import sys

    from micrograd.engines import ENGINES

    assert "compiled" in ENGINES
    code = "import sys, micrograd.compile, micrograd.engines; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_example_compile_digits_runs():
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("sklearn")
    script = Path(__file__).resolve().parents[1] / "examples" / "compile_digits.py"
    done = subprocess.run([sys.executable, str(script), "--steps", "3"], capture_output=True, text=True, check=True)
    assert "def program(X, y, P, g_out):" in done.stdout and "np.tanh" not in done.stdout  # its own swish, compiled
    assert "_sigmoid(" in done.stdout and re.search(r"test accuracy: \d+\.\d%", done.stdout)


def test_bench_compile_refuses_different_losses():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import bench_compile

    bench_compile.check_same([1.0, 0.5], [1.0, 0.5 + 1e-15], "same")  # within 1e-12: passes
    with pytest.raises(SystemExit, match="differ from the scalar engine"):
        bench_compile.check_same([1.0, 0.5], [1.0, 0.5001], "different")


def test_bench_compile_alternates_the_engines_blocks_and_keeps_every_loss():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import bench_compile

    order = []
    real = bench_compile._steps
    try:
        bench_compile._steps = lambda tr, n, times, losses: (order.append((tr.engine.name, n)), real(tr, n, times, losses))
        got = bench_compile.paired_step_times({"scalar": 3, "compiled": 5}, rounds=2, n=30)
    finally:
        bench_compile._steps = real
    # one warm-up step each, then the blocks alternate: 3 steps = 2 + 1, 5 steps = 3 + 2
    assert order == [("scalar", 1), ("compiled", 1), ("scalar", 2), ("compiled", 3), ("scalar", 1), ("compiled", 2)]
    (ts, scalar), (tc, compiled) = got["scalar"], got["compiled"]
    assert ts > 0 and tc > 0 and len(scalar) == 4 and len(compiled) == 6  # every step's loss, the warm-up's too
    bench_compile.check_same(scalar, compiled, "a short run")  # the same run on both engines
