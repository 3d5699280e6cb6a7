"""Tests for micrograd.viz.graph: DOT text (no Graphviz needed), expansion of fused nodes
against the unfused graph built from Value ops, rendering with Graphviz, the missing-`dot`
message, the Jupyter hook, and `micrograd graph`."""

import collections
import html
import math
import os
import re
import sys

import pytest
from catalogue import seed_nll

from micrograd import MLP, RNG, Value
from micrograd.cli import main
from micrograd.losses import cross_entropy, sum_values
from micrograd.train import TrainConfig, Trainer
from micrograd.viz import GraphvizNotFoundError, draw_dot, to_dot
from micrograd.viz.graph import datapoint_graph, describe

# ---------------------------------------------------------------------- helpers


def unfused_forward(model, x):
    """The seed's MLP forward with one node per op (no fused dot/activation)."""
    for layer in model.layers:
        out = []
        for n in layer.neurons:
            act = sum((wi * xi for wi, xi in zip(n.w, x)), n.b)
            if n.nonlin:
                act = act.tanh() if n.activation == "tanh" else act.relu()
            out.append(act)
        x = out
    return x


def num(x):
    """The pictures' number format, written independently: 4 significant digits, zeros kept."""
    return f"{x:#.4g}"


def parse_dot(text):
    """{key: record fields}, {key: op}, {parent key: [child keys]} from our DOT text: op
    ellipses (the compact view) or ops drawn inside the box (the expanded view)."""
    boxes, ops, kids = {}, {}, collections.defaultdict(list)
    for line in text.splitlines():
        m = re.match(r'\s*(\w+) \[shape=record, label="(.*?)"[,\]]', line)
        if m:
            boxes[m[1]] = m[2].removeprefix("{ ").removesuffix(" }")
            continue
        m = re.match(r'\s*(\w+)_op \[label="(.*?)"', line)
        if m:
            ops[m[1]] = m[2]
            continue
        m = re.match(r"\s*(\w+) -> (\w+?)(_op)?;", line)
        if m and not m[1].endswith("_op"):
            kids[m[2]].append(m[1])
    return boxes, ops, kids


def canonical(text):
    """The graph as a sorted list of (op, box text, sorted child box texts): key names aside."""
    boxes, ops, kids = parse_dot(text)
    return sorted((ops.get(k, ""), boxes[k], tuple(sorted(boxes[c] for c in kids[k]))) for k in boxes)


def drawn_values(root, **kw):
    """[(op, data, grad)] of every box to_dot would draw, at full precision."""
    return [(n.op, n.data, n.grad) for n in describe(root, expand=kw.get("expand", False)).nodes]


def graph_values(root):
    from micrograd.graph import trace

    nodes, _ = trace(root)
    return [(v._op, v.data, v.grad) for v in nodes]


def assert_same_values(got, want):
    assert len(got) == len(want), f"{len(got)} boxes drawn, the unfused graph has {len(want)}"
    key = lambda t: (t[0], round(t[1], 9), round(t[2], 9))  # noqa: E731
    for g, w in zip(sorted(got, key=key), sorted(want, key=key)):
        assert g[0] == w[0], f"op {g[0]!r} != {w[0]!r}"
        assert math.isclose(g[1], w[1], rel_tol=1e-12, abs_tol=1e-15), f"data of {g[0]}: {g[1]!r} != {w[1]!r}"
        assert math.isclose(g[2], w[2], rel_tol=1e-9, abs_tol=1e-15), f"grad of {g[0]}: {g[2]!r} != {w[2]!r}"


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """A PATH on which Graphviz's `dot` cannot be found."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))


# ---------------------------------------------------------------------- to_dot: text, no Graphviz


def test_to_dot_boxes_carry_data_grad_op_and_colours(no_dot, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # to_dot must not need the package either
    a, b = Value(2.0), Value(-3.0)
    c = a * b  # -6
    d = c + Value(10.0)  # 4
    d.backward()  # by hand: dd/da = b = -3, dd/db = a = 2, dd/dc = 1
    text = to_dot(d, params={"a": a}, inputs=[b])
    boxes, ops, kids = parse_dot(text)
    assert text.startswith("digraph") and "rankdir=LR" in text
    assert "{ a | data 2.000 | grad -3.000 }" in text
    assert "data -3.000 | grad 2.000" in text
    assert sorted(boxes.values()).count("data 4.000 | grad 1.000") == 1
    assert sorted(ops.values()) == ["*", "+"]
    a_line = next(line for line in text.splitlines() if "{ a |" in line)
    b_line = next(line for line in text.splitlines() if "data -3.000 | grad 2.000" in line)
    c_line = next(line for line in text.splitlines() if "data -6.000" in line)
    assert 'fillcolor="lightgreen"' in a_line
    assert 'fillcolor="lightblue"' in b_line
    assert "fillcolor" not in c_line
    root = next(k for k, v in boxes.items() if v.startswith("data 4.000"))
    assert ops[root] == "+" and len(kids[root]) == 2


def test_to_dot_rankdir_and_deterministic():
    x = Value(1.5)
    y = (x * x).tanh()
    assert "rankdir=TB" in to_dot(y, rankdir="TB")
    assert to_dot(y) == to_dot(y)
    with pytest.raises(ValueError, match="rankdir.*'UP'"):
        to_dot(y, rankdir="UP")


def test_to_dot_one_edge_per_use():
    x = Value(3.0)
    y = x * x
    y.backward()
    boxes, ops, kids = parse_dot(to_dot(y))
    root = next(k for k, v in boxes.items() if v.startswith("data 9.000"))
    assert len(kids[root]) == 2 and kids[root][0] == kids[root][1]
    assert boxes[kids[root][0]] == "data 3.000 | grad 6.000"


def test_small_numbers_are_not_hidden():
    x = Value(1e-7)
    y = x * 2.0
    assert "data 1.000e-07" in to_dot(y)


def test_max_nodes_refused_with_the_count():
    x = Value(1.0)
    y = x
    for _ in range(30):
        y = y + 1.0  # 30 '+' nodes and 30 constants
    with pytest.raises(ValueError, match=r"61 nodes.*max_nodes=60"):
        to_dot(y, max_nodes=60)
    assert to_dot(y, max_nodes=61)
    with pytest.raises(ValueError, match="max_nodes"):
        to_dot(y, max_nodes=0)


def test_bad_arguments():
    with pytest.raises(TypeError, match="root must be a micrograd Value, got float"):
        to_dot(1.0)
    with pytest.raises(TypeError, match="params"):
        to_dot(Value(1.0), params=[1.0])


def test_deep_graph_no_recursion():
    x = Value(0.5)
    y = x
    for _ in range(5000):
        y = y * 1.0
    assert to_dot(y).count("_op [label=") == 5000


# ---------------------------------------------------------------------- fused nodes, expanded


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_expand_matches_unfused_graph_of_same_expression(activation):
    model = MLP(2, [4, 3], activation=activation, rng=RNG(7))
    x = [Value(0.5), Value(-1.25)]
    loss = cross_entropy(model(x), 2)
    loss.backward()
    fused_text = to_dot(loss, expand=True, collapse=None)
    fused_vals = drawn_values(loss, expand=True)

    model.zero_grad()
    x2 = [Value(0.5), Value(-1.25)]
    ref = seed_nll(unfused_forward(model, x2), 2)  # the same expression, one node per op
    ref.backward()
    assert canonical(fused_text) == canonical(to_dot(ref, expand=True, collapse=None))
    assert_same_values(fused_vals, graph_values(ref))
    # and the compact view keeps the fused ops, shaded
    compact = to_dot(loss)
    assert f'label="{activation}(dot)", style=filled' in compact
    assert 'label="cross_entropy"' in compact and 'label="exp"' not in compact


def test_expand_plain_dot_and_sum():
    model = MLP(3, [2], rng=RNG(3))  # one linear layer: plain 'dot' nodes
    x = [Value(1.0), Value(-2.0), Value(0.25)]
    outs = model(x)
    total = sum_values(outs)
    total.backward()
    got = drawn_values(total, expand=True)
    model.zero_grad()
    ref_outs = unfused_forward(model, [Value(1.0), Value(-2.0), Value(0.25)])
    ref = Value(0.0) + ref_outs[0] + ref_outs[1]  # the seed's `loss = Value(0); loss += ...`
    ref.backward()
    assert_same_values(got, graph_values(ref))


def test_unknown_or_unexpandable_fused_nodes_drawn_as_one_node():
    def rule(out, g):  # an op the viewer has never heard of: a backward rule, no expansion
        for c in out._prev:
            c.grad += g

    a, b = Value(1.0), Value(2.0)
    y = Value(3.0, (a, b), "mystery", rule)
    y.backward()
    assert (a.grad, b.grad) == (1.0, 1.0)
    text = to_dot(y, expand=True)
    assert 'label="mystery | data 3.000 | grad 1.000"' in text and text.count("shape=record") == 3
    # a cross-entropy whose probability underflowed has no seed chain: it declines, drawn as one shaded node
    z = [Value(1e4), Value(0.0), Value(0.0)]
    loss = cross_entropy(z, 1)
    loss.backward()
    line = next(ln for ln in to_dot(loss, expand=True).splitlines() if "cross_entropy |" in ln)
    assert 'fillcolor="lightyellow"' in line  # drawn as the fused node it is


def test_an_error_while_expanding_is_raised_not_hidden():
    class BrokenOp:  # a fused node's op whose expansion is wrong
        def __str__(self):
            return "broken"

        @staticmethod
        def backward(out, g):
            out._prev[0].grad += 2.0 * g

        def expand(self, out, part):
            return "+", (part("*", 1.0, 1.0, (Value(5.0),)),)  # not one of the node's children

    a = Value(1.0)
    y = Value(2.0, (a,), BrokenOp(), BrokenOp.backward)
    y.backward()
    assert a.grad == 2.0 and 'label="broken", style=filled' in to_dot(y)
    with pytest.raises(ValueError, match="expansion of broken refers to Value.*not one of its node's children"):
        to_dot(y, expand=True)


# ---------------------------------------------------------------------- rendering with Graphviz


def small_graph():
    a, b = Value(2.0), Value(-3.0)
    c = (a * b).tanh()
    c.backward()
    return c, a, b


def test_draw_dot_svg_and_png(tmp_path):
    from PIL import Image

    c, a, b = small_graph()
    svg = draw_dot(c, tmp_path / "g.svg", params={"a": a}, inputs={"b": b})
    text = html.unescape(open(svg, encoding="utf-8").read())  # Graphviz writes '-' as &#45;
    slope = 1 - math.tanh(-6.0) ** 2  # by hand: dc/da = b * slope, dc/db = a * slope
    assert "<svg" in text and ">data 2.000<" in text and ">data -3.000<" in text
    assert f">grad {num(-3.0 * slope)}<" in text and f">grad {num(2.0 * slope)}<" in text
    assert "lightgreen" in text or "#90ee90" in text
    png = draw_dot(c, tmp_path / "g.png", rankdir="TB")
    with Image.open(png) as im:
        assert im.format == "PNG" and im.width > 50 and im.height > 100
    assert sorted(os.listdir(tmp_path)) == ["g.png", "g.svg"]  # no temp files left


def test_draw_dot_writes_dot_text_without_graphviz(tmp_path, no_dot):
    c, _, _ = small_graph()
    path = draw_dot(c, tmp_path / "g.dot")
    assert open(path).read() == to_dot(c)


def test_draw_dot_to_a_directory_says_so_and_leaves_no_temp_file(tmp_path):
    c, _, _ = small_graph()
    (tmp_path / "out").mkdir()
    with pytest.raises(IsADirectoryError, match=r"out'?: it is a directory"):
        draw_dot(c, tmp_path / "out", format="dot")
    assert sorted(os.listdir(tmp_path)) == ["out"] and os.listdir(tmp_path / "out") == []


def test_missing_dot_says_how_to_install(tmp_path, no_dot):
    c, _, _ = small_graph()
    target = tmp_path / "g.svg"
    target.write_text("old")
    with pytest.raises(GraphvizNotFoundError) as e:
        draw_dot(c, target)
    msg = str(e.value)
    assert "apt-get install graphviz" in msg and "brew install graphviz" in msg and "conda" in msg
    assert isinstance(e.value, RuntimeError) and isinstance(e.value, FileNotFoundError)
    assert target.read_text() == "old"  # the old file is untouched
    assert os.listdir(tmp_path) == ["g.svg"]


def test_jupyter_hook_svg_or_none(monkeypatch, tmp_path):
    c, _, _ = small_graph()
    svg = c._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "tanh" in svg
    monkeypatch.setenv("PATH", str(tmp_path))
    assert c._repr_svg_() is None  # Jupyter falls back to repr


# ---------------------------------------------------------------------- one datapoint, and `micrograd graph`


def test_datapoint_graph_zeroes_grads_first():
    tr = Trainer(TrainConfig.preset("seed"))
    loss1, names = datapoint_graph(tr.model, [0.5, -1.0], 1)
    first = [p.grad for p in tr.model.parameters()]
    loss2, _ = datapoint_graph(tr.model, [0.5, -1.0], 1)
    assert [p.grad for p in tr.model.parameters()] == first  # not doubled (the course's demo forgot)
    assert loss2.data == loss1.data  # the same datapoint, the same model: the same loss
    assert any(g != 0.0 for g in first)
    assert set(names) == {"params", "inputs", "labels"}
    with pytest.raises(ValueError, match="x must hold 2 numbers"):
        datapoint_graph(tr.model, [1.0], 0)
    with pytest.raises(ValueError, match=r"label must be a class index in \[0, 3\), got 3"):
        datapoint_graph(tr.model, [1.0, 2.0], 3)


def reference_datapoint(x, label, model=None):
    """The datapoint's loss through the seed preset's initial model, built op by op."""
    model = model or Trainer(TrainConfig.preset("seed")).model
    xs = [Value(v) for v in x]
    loss = seed_nll(unfused_forward(model, xs), label)
    loss.backward()
    return loss, xs, model


def test_cli_graph_svg_has_the_datapoints_values(tmp_path, capsys):
    out = tmp_path / "graph.svg"
    assert main(["graph", "--x", "0.5", "-1", "--label", "1", "--out", str(out)]) == 0
    text = html.unescape(out.read_text())
    loss, xs, model = reference_datapoint([0.5, -1.0], 1)
    assert f">data {num(loss.data)}<" in text and ">grad 1.000<" in text
    assert ">x[0]<" in text and f">grad {num(xs[0].grad)}<" in text and f">grad {num(xs[1].grad)}<" in text
    w = model.layers[0].neurons[0].w[0]  # row w0 of neuron L0.n0's table: its data and grad cells
    assert ">L0.n0<" in text and ">w0<" in text and f">{num(w.data)}<" in text and f">{num(w.grad)}<" in text
    assert "wrote" in capsys.readouterr().err


def test_cli_graph_expand_dot_text_without_graphviz(tmp_path, no_dot):
    out = tmp_path / "graph.dot"
    assert main(["graph", "--x", "0.5", "-1", "--label", "1", "--out", str(out), "--expand", "--rankdir", "TB"]) == 0
    text = out.read_text()
    boxes, _, _ = parse_dot(text)
    ops = {b.split(" | ")[-3] for b in boxes.values() if b.count(" | ") >= 2}
    assert "rankdir=TB" in text and {"log", "exp", "tanh", "*", "+"} <= ops
    assert "tanh(dot) |" not in text.replace("13 × tanh(dot)", "")  # fused only in the collapsed group


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--x", "1", "2", "3", "--label", "0"], "--x needs 2 numbers"),
        (["--x", "1", "2", "--label", "5"], r"--label must be a class index in \[0, 3\), got 5"),
        (["--x", "1", "2", "--label", "0", "--max-nodes", "100"], r"the graph has \d+ nodes, more than --max-nodes 100"),
        (["--x", "1", "2", "--label", "0", "--engine", "tensor"], "scalar engine"),
        # training flags cannot change the initial model drawn: not silently an untrained graph
        (["--x", "1", "2", "--label", "0", "--steps", "50"], "--steps 50: micrograd graph draws the run's initial model"),
        (["--x", "1", "2", "--label", "0", "--lr", "0.5"], "--lr 0.5: .*--checkpoint"),
    ],
)
def test_cli_graph_errors(tmp_path, capsys, argv, message):
    out = tmp_path / "g.svg"
    assert main(["graph", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(message, err) and "Traceback" not in err
    assert not out.exists()


def test_cli_graph_bad_extension_and_missing_dot(tmp_path, capsys, no_dot):
    assert main(["graph", "--x", "1", "2", "--label", "0", "--out", str(tmp_path / "g.txt")]) == 2
    assert "--out must end in .svg, .png or .dot" in capsys.readouterr().err
    assert main(["graph", "--x", "1", "2", "--label", "0", "--out", str(tmp_path / "g.svg")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "install Graphviz" in err


def test_cli_graph_from_checkpoint(tmp_path):
    from micrograd import checkpoint
    from micrograd.train import fit

    tr = Trainer(TrainConfig.preset("seed", steps=5))
    history = fit(trainer=tr, out=None)
    ckpt = tmp_path / "run.ckpt.json"
    checkpoint.save_trainer(str(ckpt), tr, history)
    out = tmp_path / "g.svg"
    assert main(["graph", "--checkpoint", str(ckpt), "--x", "0.5", "-1", "--label", "1", "--out", str(out)]) == 0
    text = html.unescape(out.read_text())
    loss, xs, _ = reference_datapoint([0.5, -1.0], 1, model=tr.model)  # the trained model, op by op
    w = tr.model.layers[1].neurons[2].w[5]
    assert f">{num(w.data)}<" in text and f">{num(w.grad)}<" in text and f">data {num(loss.data)}<" in text
    assert f">grad {num(xs[0].grad)}<" in text
    assert main(["graph", "--checkpoint", str(ckpt), "--hidden", "8", "--x", "0", "0", "--label", "0", "--out", str(out)]) == 2


def test_missing_graphviz_package_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    c, _, _ = small_graph()
    with pytest.raises(ImportError, match=r"pip install graphviz \(a dependency of micrograd-llm101n\)"):
        draw_dot(c, tmp_path / "g.svg")
    assert os.listdir(tmp_path) == []


def test_boxes_are_one_row_in_both_directions():
    c, a, b = small_graph()
    assert "{ data 2.000 | grad" in to_dot(c)  # LR: braces flip the record to a row
    tb = to_dot(c, rankdir="TB", legend=False)
    assert 'label="{ data 2.000 | grad' in tb  # TB: stacked, narrow boxes (a wide layer fits)
    assert 'label="tanh | data -1.000 | grad' in to_dot(c, expand=True)  # LR expanded: op inside, stacked


# ---------------------------------------------------------------------- pictures a person can read (issue 10)

SCREEN_PX = 2000  # the bound: about a screen at Graphviz's default 96 dpi
MIN_SCALE = 0.8  # below this the 10 pt text would be scaled under ~10.7 px


def seed_dot(tmp_path, *flags):
    out = tmp_path / "g.dot"
    assert main(["graph", "--x", "0.5", "-1", "--label", "1", "--out", str(out), *flags]) == 0
    return out.read_text()


def natural_size_pt(dot_text):
    """(width, height) in points of the drawing before `size` scales it (Graphviz's -Tjson bb)."""
    import json
    import subprocess

    unscaled = re.sub(r', size="[^"]*"', "", dot_text)
    bb = json.loads(subprocess.run(["dot", "-Tjson0"], input=unscaled, capture_output=True, text=True, check=True).stdout)["bb"]
    x0, y0, x1, y1 = map(float, bb.split(","))
    return x1 - x0, y1 - y0


@pytest.mark.parametrize("flags", [[], ["--expand"], ["--rankdir", "TB"]], ids=["default", "expand", "tb"])
def test_seed_graph_fits_a_screen_with_readable_text(tmp_path, flags):
    from PIL import Image

    text = seed_dot(tmp_path, *flags)
    png = tmp_path / "g.png"
    assert main(["graph", "--x", "0.5", "-1", "--label", "1", "--out", str(png), *flags]) == 0
    with Image.open(png) as im:
        assert im.width <= SCREEN_PX and im.height <= SCREEN_PX, im.size
        assert max(im.size) > 600  # a picture, not a thumbnail
    # fitted by layout, not by shrinking: the size cap scales the natural drawing by at most MIN_SCALE
    w, h = natural_size_pt(text)
    scale = min(1.0, 20.8 * 72 / max(w, h))
    assert scale >= MIN_SCALE, f"natural {w:.0f}x{h:.0f} pt is scaled by {scale:.2f}"


def test_old_layout_did_not_fit(tmp_path):
    """The same measure fails on the unfitted drawing (every list in full, no size cap, ops as ellipses)."""
    loss, names = datapoint_graph(Trainer(TrainConfig.preset("seed")).model, [0.5, -1.0], 1)
    w, h = natural_size_pt(to_dot(loss, expand=True, collapse=None, fit_inches=None, **names))
    assert max(w, h) * 96 / 72 > SCREEN_PX


def dot_nodes(text):
    """{node name: its label text} of every node statement (records, ellipses, tables)."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"\s*(\w+) \[(?:shape=\w+, )?label=(\"(?:[^\"\\]|\\.)*\"|<.*>)", line)
        if m and m[1] not in ("graph", "node", "edge"):
            out[m[1]] = m[2]
    return out


def test_every_node_has_a_label_and_every_named_value_its_name(tmp_path):
    text = seed_dot(tmp_path)
    nodes = dot_nodes(text)
    assert len(nodes) > 50 and all(label.strip('"<> ') for label in nodes.values())
    model = Trainer(TrainConfig.preset("seed")).model
    for n, layer in enumerate(model.layers):
        for j in range(len(layer.neurons)):
            assert f"<B>L{n}.n{j}</B>" in text  # the neuron's parameter table
    for j in range(16):
        assert f'"{{ L0.n{j}.out | data ' in text  # each hidden neuron's output, by name
    for name in ("x[0]", "x[1]", "logits[0]", "logits[1]", "logits[2]", "loss"):
        assert f'"{{ {name} | data ' in text
    assert 'tooltip="layers.0.neurons.3.out"' in text  # the full name, for SVG viewers


def test_parameters_are_grouped_by_neuron_in_order(tmp_path):
    text = seed_dot(tmp_path)
    model = Trainer(TrainConfig.preset("seed")).model
    datapoint_graph(model, [0.5, -1.0], 1)
    tables = re.findall(r"(g\d+) \[shape=plain, label=<(.*)>\];", text)
    assert len(tables) == 16 + 3  # one per neuron, no parameter drawn on its own
    assert "lightgreen" not in "".join(line for line in text.splitlines() if "shape=record" in line)
    by_name = {re.search(r"<B>(.*?)</B>", t)[1]: t for _, t in tables}
    for n, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            rows = re.findall(
                r'<TR><TD ALIGN="LEFT">(\w+)</TD><TD ALIGN="RIGHT">(.*?)</TD><TD [^>]*>(.*?)</TD></TR>', by_name[f"L{n}.n{j}"]
            )
            want = [(f"w{i}", num(w.data), num(w.grad)) for i, w in enumerate(neuron.w)] + [
                ("b", num(neuron.b.data), num(neuron.b.grad))
            ]
            assert rows == want  # w0, w1, ..., w15, b: in order, with this datapoint's values
    # a neuron's parameters all feed its one node: one edge from the table, not one per row
    for key, _ in tables:
        assert len(re.findall(rf"^\s*{key}(:\w+)* -> ", text, re.M)) == 1


def test_legend_names_the_colours():
    c, a, b = small_graph()
    text = to_dot(c, params={"a": a}, inputs={"b": b})
    legend = next(line for line in text.splitlines() if line.strip().startswith("legend ["))
    assert "lightgreen" in legend and "parameters" in legend and "lightblue" in legend and "input" in legend
    assert "grad = d(root)/d(box)" in legend and "fused" not in legend  # only what the picture uses
    loss = cross_entropy(MLP(2, [3], rng=RNG(1))([1.0, 2.0]), 0)
    assert "fused op" in next(ln for ln in to_dot(loss).splitlines() if "legend [" in ln)
    assert "legend" not in to_dot(c, legend=False)


def test_numbers_have_four_significant_digits_everywhere():
    from micrograd.viz.graph import format_number

    assert [format_number(x) for x in (0.5, -0.0235, 1.11116, 1e-7, 12345.6, 0.0, -0.0)] == [
        "0.5000", "-0.02350", "1.111", "1.000e-07", "1.235e+04", "0.000", "0.000",
    ]  # fmt: skip
    assert format_number(float("inf")) == "inf" and format_number(float("nan")) == "nan"


def test_short_names():
    from micrograd.viz.graph import short_name

    assert short_name("layers.0.neurons.3.w.1") == "L0.n3.w1"
    assert short_name("layers.1.neurons.12.b") == "L1.n12.b"
    assert short_name("x[0]") == "x[0]" and short_name("loss") == "loss" and short_name("0") == "0"


def test_draw_dot_without_a_path_returns_a_digraph(tmp_path):
    import graphviz

    c, a, b = small_graph()
    dot = draw_dot(c, params={"a": a})
    assert isinstance(dot, graphviz.Digraph) and dot.source == to_dot(c, params={"a": a})
    assert dot.format == "svg" and draw_dot(c, format="png").format == "png"
    path = dot.render(tmp_path / "g", format="svg", cleanup=True)  # as in the lecture
    assert ">data 2.000<" in html.unescape(open(path, encoding="utf-8").read())
    assert "<svg" in dot._repr_image_svg_xml()  # what Jupyter shows
    with pytest.raises(ValueError, match="format must be one of"):
        draw_dot(c, format="jpg")


def test_a_wide_layer_and_a_long_neuron_are_collapsed():
    model = MLP(40, [30, 3], rng=RNG(5))
    xs = [Value(0.01 * i) for i in range(40)]
    loss = cross_entropy(model(xs), 1)
    loss.backward()
    named = {"params": model, "inputs": {f"x[{i}]": v for i, v in enumerate(xs)}}
    text = to_dot(loss, **named)
    n0 = model.layers[0].neurons[0]
    # 40 weights > 16: w0..w13, one row for w14..w38, w39, b
    assert '<TD ALIGN="LEFT">w14..w38</TD><TD ALIGN="RIGHT">25 more</TD>' in text
    assert f'<TD ALIGN="LEFT">w39</TD><TD ALIGN="RIGHT">{num(n0.w[39].data)}</TD>' in text
    assert ">w20<" not in text
    # 30 sibling neurons > 16: the first 14 and the last drawn, the middle 15 as one node
    assert "15 × tanh(dot)" in text and '"{ 15 values }"' in text
    assert "<B>L0.n13</B>" in text and "<B>L0.n29</B>" in text and "<B>L0.n14</B>" not in text
    assert len(to_dot(loss, collapse=None, **named)) > 2 * len(text)
    with pytest.raises(ValueError, match="collapse must be an int >= 3"):
        to_dot(loss, collapse=2)


def test_a_collapsed_sum_keeps_the_chains_value():
    model = MLP(10, [1], rng=RNG(2))  # one linear neuron: b + w0*x0 + ... + w9*x9, expanded
    xs = [Value(0.1 * (i + 1)) for i in range(10)]
    out = model(xs)  # a one-output MLP gives the Value itself
    out.backward()
    text = to_dot(out, expand=True, params=model, legend=False)
    n = model.layers[0].neurons[0]
    partial = n.b.data
    for i in range(9):  # kept: terms 0, 1; collapsed: 2..8 (7 terms); kept: 9
        partial = partial + n.w[i].data * xs[i].data
    assert f'"+ (7 terms) | data {num(partial)} | grad 1.000"' in text
    assert text.count('label="* |') == 3 and text.count('label="+ |') == 3  # 2 kept terms + the last
    full = to_dot(out, expand=True, params=model, collapse=None)
    assert full.count('label="* |') == 10


def test_a_values_own_label_wins():
    class Named(Value):  # stands in for Value(x, label=...): any Value with a `label` str
        __slots__ = ("label",)

    a = Named(2.0)
    a.label = "a"
    y = a * Value(3.0)
    assert "{ a | data 2.000" in to_dot(y, params={"weight": a})
    a.label = ""  # unset: the given name is used
    assert "{ weight | data 2.000" in to_dot(y, params={"weight": a})


# ---------------------------------------------------------------------- graphs of feature and regression runs


def test_datapoint_graph_of_a_features_run_takes_the_point_in_the_plane():
    """--features x,xy,siny: --x is the point (x, y); the inputs are its features, named, and the loss is the
    model's cross-entropy at those features (the same number as the model called on feature_row)."""
    from micrograd.data import feature_row

    tr = Trainer(TrainConfig(features=["x", "xy", "siny"], steps=1))
    loss, names = datapoint_graph(tr.model, [0.5, -1.0], 2, features=tr.config.features)
    assert list(names["inputs"]) == ["x", "xy", "siny"]
    assert [v.data for v in names["inputs"].values()] == feature_row(0.5, -1.0, ["x", "xy", "siny"])
    assert loss.data == cross_entropy(tr.model(feature_row(0.5, -1.0, ["x", "xy", "siny"])), 2).data
    with pytest.raises(ValueError, match="x must hold 2 numbers"):
        datapoint_graph(tr.model, [0.5, -1.0, 0.2], 2, features=tr.config.features)


def test_graph_of_a_regression_run_is_its_squared_error(tmp_path, capsys):
    tr = Trainer(TrainConfig(dataset="plane", steps=1))
    loss, _ = datapoint_graph(tr.model, [0.1, 0.2], 0.3, regression=True)
    assert loss.data == (tr.model([0.1, 0.2]).data - 0.3) ** 2
    with pytest.raises(ValueError, match="finite number"):
        datapoint_graph(tr.model, [0.1, 0.2], math.inf, regression=True)
    out = tmp_path / "g.dot"
    assert main(["graph", "--dataset", "plane", "--x", "0.1", "0.2", "--label", "0.3", "--out", str(out)]) == 0
    assert f"the graph of loss {loss.data:.6f}" in capsys.readouterr().err and "cross_entropy" not in out.read_text()
    assert main(["graph", "--x", "0.1", "0.2", "--label", "1.5", "--out", str(out)]) == 2  # a class must be an index
    assert "--label must be a class index in [0, 3), got 1.5" in capsys.readouterr().err
