"""Tests for micrograd.tensor.nn and the tensor engine's back-end: tensor Linear/MLP, optimizers on tensors,
the Trainer on the tensor engine, CLI parity.

The tensor MLP must start from the scalar MLP's weights (same RNG draws, same order),
give the same logits and gradients, train with the unchanged `micrograd.optim` optimizers
(test_tensor_nn_torch.py: exactly as torch.optim does), and `micrograd train --engine tensor`
must print the scalar engine's losses (and the reference programs' golden outputs) to 1e-10 relative.
"""

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from seedref import assert_lines_match, golden_lines

from micrograd import nn as scalar_nn
from micrograd.engine import Value
from micrograd.engines import ENGINES, split_loss
from micrograd.nn import StateDictError
from micrograd.optim import SeedAdam
from micrograd.rng import RNG
from micrograd.tensor import MLP, Linear, Tensor, cross_entropy
from micrograd.train import TrainConfig, Trainer, make_trainer


def close(a, b, rtol=1e-12, atol=1e-15):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


def scalar_weights(mlp):
    """[(W (nout, nin), b (nout,)) per layer] of a scalar MLP."""
    return [
        (np.array([[w.data for w in n.w] for n in layer.neurons]), np.array([n.b.data for n in layer.neurons]))
        for layer in mlp.layers
    ]


# ---------------------------------------------------------------------- init parity


@pytest.mark.parametrize("init", ["per-neuron", "per-weight"])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("sizes", [(2, [16, 3]), (3, [8, 8, 2]), (1, [1])])
def test_mlp_starts_from_the_scalar_mlps_weights(sizes, activation, init):
    nin, nouts = sizes
    r1, r2 = RNG(7), RNG(7)
    s = scalar_nn.MLP(nin, nouts, activation=activation, init=init, rng=r1)
    t = MLP(nin, nouts, activation=activation, init=init, rng=r2)
    for (w, b), layer in zip(scalar_weights(s), t.layers):
        assert layer.weight.shape == w.shape  # torch's (nout, nin) layout
        assert np.array_equal(layer.weight.data, w) and np.array_equal(layer.bias.data, b)
    assert r1.state == r2.state  # the same number of draws
    assert [layer.activation for layer in t.layers] == [activation] * (len(nouts) - 1) + [None]


def test_per_neuron_init_shares_one_draw_per_neuron():
    lin = Linear(4, 3, init="per-neuron", rng=RNG(1))
    rng = RNG(1)
    want = [rng.uniform(-1, 1) * 4**-0.5 for _ in range(3)]
    close(lin.weight.data, np.array(want)[:, None] * np.ones((3, 4)), rtol=0, atol=0)
    assert not lin.bias.data.any()


def test_linear_uses_the_global_rng_by_default():
    from micrograd.rng import manual_seed

    manual_seed(3)
    a = Linear(2, 2).weight.data
    manual_seed(3)
    assert np.array_equal(Linear(2, 2).weight.data, a)


@pytest.mark.parametrize("init, activation", [("per-neuron", "tanh"), ("per-weight", "relu")])
def test_mlp_logits_and_gradients_equal_the_scalar_mlps(init, activation):
    rng = RNG(42)
    from micrograd.data import make

    train, _, _ = make("spiral", rng, 50)
    s = scalar_nn.MLP(2, [16, 8, 3], activation=activation, init=init, rng=RNG(5))
    t = MLP(2, [16, 8, 3], activation=activation, init=init, rng=RNG(5))
    X = np.array([x for x, _ in train])
    y = [label for _, label in train]
    close(t(Tensor(X)).data, [[v.data for v in s(x)] for x, _ in train])
    loss_s = split_loss(s, train)
    loss_t = cross_entropy(t(Tensor(X)), y)
    close(loss_t.item(), loss_s.data)
    loss_s.backward()
    loss_t.backward()
    for layer, slayer in zip(t.layers, s.layers):
        gw = np.array([[p.grad for p in n.w] for n in slayer.neurons])
        gb = np.array([n.b.grad for n in slayer.neurons])
        close(layer.weight.grad, gw, rtol=1e-12, atol=1e-14)
        close(layer.bias.grad, gb, rtol=1e-12, atol=1e-14)


def test_from_scalar_copies_the_weights():
    s = scalar_nn.MLP(3, [4, 2], activation="relu", init="per-weight", rng=RNG(9))
    t = MLP.from_scalar(s)
    for (w, b), layer in zip(scalar_weights(s), t.layers):
        assert np.array_equal(layer.weight.data, w) and np.array_equal(layer.bias.data, b)
    assert [layer.activation for layer in t.layers] == ["relu", None]
    x = [0.3, -1.0, 2.0]
    close(t(Tensor(x)).data, [v.data for v in s(x)])  # a single (nin,) input gives (nout,)
    s.layers[0].neurons[0].w[0].data = 123.0  # copied, not shared
    assert t.layers[0].weight.data[0, 0] != 123.0
    with pytest.raises(TypeError, match="micrograd.nn.MLP"):
        MLP.from_scalar(t)


def test_weights_are_plain_floats_one_w_b_pair_per_layer():
    s = scalar_nn.MLP(3, [4, 2], init="per-weight", rng=RNG(9))
    t = MLP.from_scalar(s)
    w = t.weights()
    assert len(w) == 2 and [(len(W), len(W[0]), len(b)) for W, b in w] == [(4, 3, 4), (2, 4, 2)]
    assert all(type(x) is float for W, b in w for row in W for x in row + b)
    for (W, b), layer in zip(w, s.layers):  # W[j][i] = weight of neuron j from input i
        assert W == [[p.data for p in n.w] for n in layer.neurons] and b == [n.b.data for n in layer.neurons]


def test_mlp_input_checks():
    t = MLP(2, [3, 2], rng=RNG(1))
    with pytest.raises(ValueError, match=r"2 features.*shape \(4, 3\)"):
        t(Tensor(np.zeros((4, 3))))
    close(t([[1.0, 2.0]]).data, t(Tensor([[1.0, 2.0]])).data)  # lists are lifted
    for bad, exc in [
        (dict(nin=0, nouts=[2]), ValueError),
        (dict(nin=2, nouts=3), TypeError),
        (dict(nin=2, nouts=[]), ValueError),
        (dict(nin=2, nouts=[2], activation="gelu"), ValueError),
        (dict(nin=2, nouts=[2], init="xavier"), ValueError),
        (dict(nin=2, nouts=[2], rng=42), TypeError),
    ]:
        with pytest.raises(exc):
            MLP(**bad)


# ---------------------------------------------------------------------- parameters and state


def test_parameters_and_names_follow_torch():
    t = MLP(2, [16, 3], rng=RNG(42))
    names = [n for n, _ in t.named_parameters()]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]  # torch's, for a ModuleList
    assert all(p.requires_grad for p in t.parameters())
    assert sum(p.numel() for p in t.parameters()) == 2 * 16 + 16 + 16 * 3 + 3


def test_state_dict_round_trip_through_json():
    a = MLP(2, [5, 3], init="per-weight", rng=RNG(1))
    b = MLP(2, [5, 3], init="per-weight", rng=RNG(2))
    sd = json.loads(json.dumps(a.state_dict()))
    assert isinstance(sd["layers.0.weight"], list) and isinstance(sd["layers.0.weight"][0][0], float)
    b.load_state_dict(sd)
    for p, q in zip(a.parameters(), b.parameters()):
        assert np.array_equal(p.data, q.data)


def test_load_state_dict_checks_everything_before_changing_anything():
    m = MLP(2, [3, 2], rng=RNG(1))
    before = [p.data.copy() for p in m.parameters()]
    sd = m.state_dict()
    with pytest.raises(StateDictError, match="missing keys"):
        m.load_state_dict({k: v for k, v in sd.items() if k != "layers.1.bias"})
    with pytest.raises(StateDictError, match="unexpected keys"):
        m.load_state_dict({**sd, "layers.2.weight": [[1.0]]})
    bad = dict(sd, **{"layers.0.weight": [[0.0, 0.0]] * 3, "layers.1.bias": [1.0, 2.0, 3.0]})
    with pytest.raises(StateDictError, match=r"layers.1.bias.*shape \(3,\).*\(2,\)"):
        m.load_state_dict(bad)
    with pytest.raises(TypeError, match="numbers"):
        m.load_state_dict(dict(sd, **{"layers.1.bias": ["a", "b"]}))
    with pytest.raises(TypeError, match="dict"):
        m.load_state_dict([1, 2])
    for p, q in zip(m.parameters(), before):
        assert np.array_equal(p.data, q)  # untouched


def test_zero_grad_leaves_arrays_of_zeros():
    m = MLP(2, [3, 2], rng=RNG(1))
    cross_entropy(m(Tensor([[1.0, -1.0]])), [1]).backward()
    assert any(p.grad.any() for p in m.parameters())
    m.zero_grad()
    for p in m.parameters():
        assert isinstance(p.grad, np.ndarray) and p.grad.shape == p.shape and not p.grad.any()


# ---------------------------------------------------------------------- optimizers on tensors


def test_seed_adam_on_tensors_equals_seed_adam_on_values():
    rng = np.random.default_rng(1)
    init = rng.normal(size=5)
    p = Tensor(init, requires_grad=True)
    vs = [Value(float(x)) for x in init]
    opt, vopt = SeedAdam([p]), SeedAdam(vs)
    for _ in range(5):
        g = rng.normal(size=5)
        p.grad = g.copy()
        for v, gi in zip(vs, g):
            v.grad = float(gi)
        opt.step()
        vopt.step()
    close(p.data, [v.data for v in vs], rtol=1e-14)


# ---------------------------------------------------------------------- the Trainer on the tensor engine


def test_make_trainer_builds_the_tensor_trainer_in_the_scalar_draw_order():
    cfg = TrainConfig.preset("seed", engine="tensor")
    tt, st = make_trainer(cfg), Trainer(TrainConfig.preset("seed"))
    assert isinstance(tt, Trainer) and isinstance(tt.engine, ENGINES["tensor"]) and isinstance(tt.model, MLP)
    assert tt.rng.state == st.rng.state
    for (w, b), layer in zip(scalar_weights(st.model), tt.model.layers):
        assert np.array_equal(layer.weight.data, w) and np.array_equal(layer.bias.data, b)
    assert [id(p) for p in tt.optimizer.params] == [id(p) for p in tt.model.parameters()]


@pytest.mark.parametrize("preset", ["seed", "llm101n"])
def test_tensor_trainer_records_summary_and_accuracy_equal_the_scalar_trainers(preset):
    tt = make_trainer(TrainConfig.preset(preset, engine="tensor", steps=12))
    st = make_trainer(TrainConfig.preset(preset, steps=12))
    for _ in range(12):
        a, b = tt.train_step(), st.train_step()
        assert set(a) == set(b) and a["step"] == b["step"]
        assert type(a["train_loss"]) is float
        assert math.isclose(a["train_loss"], b["train_loss"], rel_tol=1e-10)
        if "val_loss" in b:
            assert type(a["val_loss"]) is float and math.isclose(a["val_loss"], b["val_loss"], rel_tol=1e-10)
        assert tt.format_lines(a)[0].split(",")[0] == st.format_lines(b)[0].split(",")[0]
    sa, sb = tt.summary(), st.summary()
    for split in ("train", "val", "test"):
        assert (sa[split]["correct"], sa[split]["total"]) == (sb[split]["correct"], sb[split]["total"])
        assert math.isclose(sa[split]["loss"], sb[split]["loss"], rel_tol=1e-10)


def test_tensor_trainer_evaluate_builds_no_graph_and_loss_is_a_tensor():
    tt = make_trainer(TrainConfig.preset("seed", engine="tensor"))
    loss = tt.loss(tt.train_split)
    assert isinstance(loss, Tensor) and loss.requires_grad and loss.shape == ()
    assert type(tt.evaluate(tt.val_split)) is float
    assert not any(p.grad.any() for p in tt.model.parameters())


def test_tensor_trainer_survives_a_checkpoint_round_trip(tmp_path):
    from micrograd import checkpoint

    cfg = TrainConfig.preset("seed", engine="tensor", steps=6)
    tr = make_trainer(cfg)
    for _ in range(3):
        tr.train_step()
    path = tmp_path / "run.ckpt.json"
    checkpoint.save_trainer(str(path), tr, {"train_loss": [], "val_loss": {}})
    again = make_trainer(cfg)
    checkpoint.restore(again, checkpoint.load(str(path)))
    assert again.step == 3
    a, b = tr.train_step(), again.train_step()
    assert a["train_loss"] == b["train_loss"]


# ---------------------------------------------------------------------- the CLI: same losses as the scalar engine


def cli(*args):
    out = subprocess.run([sys.executable, "-m", "micrograd.cli", "train", *args], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def loss_lines(lines):
    return [line for line in lines if "loss" in line and not line.startswith(("final", "accuracy"))]


@pytest.mark.slow
@pytest.mark.parametrize("preset, golden", [("seed", "seed_output.txt"), ("llm101n", "llm101n_output.txt")])
def test_cli_tensor_engine_prints_the_reference_programs_losses(preset, golden):
    lines = cli("--preset", preset, "--engine", "tensor")
    assert_lines_match(loss_lines(lines), golden_lines(golden), rel=1e-10)


@pytest.mark.parametrize(
    "flags",
    [
        pytest.param(["--preset", "seed"], marks=pytest.mark.slow),
        pytest.param(["--preset", "llm101n"], marks=pytest.mark.slow),
        ["--dataset", "simple", "--steps", "40"],
        ["--dataset", "circles", "--steps", "40"],
        ["--dataset", "yinyang", "--steps", "40"],
        ["--dataset", "moons", "--steps", "40"],
        ["--dataset", "spiral", "--steps", "40"],
        ["--preset", "llm101n", "--dataset", "moons", "--steps", "40"],
        ["--dataset", "spiral", "--hidden", "8", "8", "--activation", "relu", "--optimizer", "adam", "--steps", "30"],
        ["--dataset", "circles", "--optimizer", "sgd", "--momentum", "0.9", "--lr", "0.05", "--steps", "30"],
    ],
    ids=lambda f: "_".join(a.lstrip("-") for a in f) if isinstance(f, list) else None,
)
def test_cli_tensor_engine_prints_the_scalar_engines_losses(flags):
    scalar = cli(*flags, "--engine", "scalar")
    tensor = cli(*flags, "--engine", "tensor")
    assert_lines_match(loss_lines(tensor), loss_lines(scalar), rel=1e-10)
    assert tensor[-1] == scalar[-1]  # the accuracy line


def test_cli_tensor_engine_on_a_users_csv_with_four_features(tmp_path):
    rng = np.random.default_rng(5)
    X = rng.uniform(-2, 2, size=(60, 4))
    y = (X[:, 0] * X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    path = tmp_path / "points.csv"
    path.write_text("a,b,c,d,label\n" + "".join(f"{','.join(map(repr, row))},{label}\n" for row, label in zip(X.tolist(), y)))
    flags = ["--data", str(path), "--hidden", "8", "--steps", "25", "--init", "per-weight"]
    scalar = cli(*flags, "--engine", "scalar")
    tensor = cli(*flags, "--engine", "tensor")
    assert len(loss_lines(tensor)) == 25 + 3
    assert_lines_match(loss_lines(tensor), loss_lines(scalar), rel=1e-10)
