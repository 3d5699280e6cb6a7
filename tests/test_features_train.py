"""The Playground training controls (issue 12, the trainer side): activations sigmoid and linear,
minibatches, L1/L2 regularization, feature inputs, noise, the split ratio, and changing the
learning rate (and co.) mid-run. Each on both engines (equal to 1e-12), each default leaving
the seed's run as it was, each bad value refused with a message naming it."""

import math
import subprocess
import sys
from pathlib import Path

import pytest
from seedref import assert_lines_match, golden_lines

from micrograd import RNG, checkpoint
from micrograd import data as datasets
from micrograd.config import TrainConfig
from micrograd.engine import Value
from micrograd.engines import ENGINES
from micrograd.losses import add_penalty_grad, penalty
from micrograd.nn import MLP, dot
from micrograd.optim import SGD, Adam
from micrograd.train import Trainer, fit

GOLDEN = Path(__file__).parent / "golden"
TOL = 1e-12


def run(engine="scalar", steps=12, **kw):
    return fit(TrainConfig.preset("seed", engine=engine, steps=steps, **kw), out=None)


def assert_engines_agree(**kw):
    """Every engine (scalar, tensor, compiled) prints the scalar engine's numbers, to TOL."""
    a = run("scalar", **kw)
    for engine in ENGINES:
        if engine == "scalar":
            continue
        b = run(engine, **kw)
        assert len(a["train_loss"]) == len(b["train_loss"])
        for x, y in zip(a["train_loss"], b["train_loss"]):
            assert abs(x - y) <= TOL, (engine, kw, x, y)
        for split in ("train", "val", "test"):
            assert abs(a["summary"][split]["loss"] - b["summary"][split]["loss"]) <= TOL
            assert a["summary"][split].get("correct") == b["summary"][split].get("correct")
    return a


# ---------------------------------------------------------------------- every feature on both engines

SETTINGS = [
    {"activation": "sigmoid"},
    {"activation": "linear"},
    {"batch_size": 8},
    {"batch_size": 1, "optimizer": "sgd", "lr": 0.05, "momentum": 0.9},
    {"regularization": "l1", "reg_rate": 0.01},
    {"regularization": "l2", "reg_rate": 0.1},
    {"features": ["x", "y", "x2", "y2", "xy", "sinx", "siny"]},
    {"features": ["sinx", "xy"], "activation": "relu"},
    {"noise": 0.3},
    {"dataset": "moons", "noise": 0.0},
    {"split": [60, 20, 20]},
    {"dataset": "spiral", "noise": 0.5, "split": [70, 15, 15], "features": ["x", "y", "xy"], "batch_size": 16},
    {"dataset": "plane"},
    {"dataset": "gauss", "noise": 0.2, "batch_size": 10, "features": ["x", "y", "x2", "y2"], "activation": "sigmoid"},
]


@pytest.mark.parametrize("kw", SETTINGS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_both_engines_give_the_same_numbers(kw):
    h = assert_engines_agree(**kw)
    assert h["train_loss"] != run("scalar", steps=12)["train_loss"]  # the setting changed the run


def test_explicit_defaults_print_the_seeds_lines(tmp_path):
    argv = ["--batch-size", "0", "--regularization", "none", "--reg-rate", "0", "--split", "80,10,10"]
    argv += ["--features", "x,y", "--activation", "tanh"]
    p = subprocess.run([sys.executable, "-m", "micrograd.cli", "train", *argv], capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert_lines_match(p.stdout.splitlines()[:-2], golden_lines("seed_output.txt"), rel=1e-10)


def test_defaults_draw_nothing_more():
    plain = Trainer(TrainConfig.preset("seed"))
    state = plain.rng.getstate()
    plain.train_step()
    assert plain.rng.getstate() == state  # a full-batch step draws nothing
    moons = datasets.make("moons", RNG(7), 50)
    assert datasets.make("moons", RNG(7), 50, noise=0.1) == moons  # noise None = the dataset's own level
    assert datasets.make("simple", RNG(7), 50, noise=0.0) == datasets.make("simple", RNG(7), 50)


# ---------------------------------------------------------------------- activations


@pytest.mark.parametrize("x", [-40.0, -1.5, 0.0, 0.7, 40.0])
def test_fused_sigmoid_neuron_is_the_unfused_graph(x):
    w, b, xs = [Value(0.3), Value(-1.2)], Value(0.1), [x, 0.5]
    fused = dot(w, xs, b, "sigmoid")
    fused.backward()
    grads = [p.grad for p in (*w, b)]
    for p in (*w, b):
        p.grad = 0.0
    plain = (b + w[0] * xs[0] + w[1] * xs[1]).sigmoid()
    plain.backward()
    assert fused.data == plain.data
    assert grads == [p.grad for p in (*w, b)]
    s = 1 / (1 + math.exp(-(0.1 + 0.3 * x - 0.6)))
    assert fused.data == pytest.approx(s, rel=1e-15, abs=1e-300)
    assert str(fused._op) == "sigmoid(dot)" and repr(MLP(2, [3, 1], activation="sigmoid")).count("Sigmoid") == 3


def test_linear_activation_makes_the_mlp_affine():
    m = MLP(2, [3, 2], activation="linear", rng=RNG(3))
    (W1, b1), (W2, b2) = m.weights()
    x = [0.4, -1.1]
    h = [b1[j] + sum(W1[j][i] * x[i] for i in range(2)) for j in range(3)]
    out = [b2[k] + sum(W2[k][j] * h[j] for j in range(3)) for k in range(2)]
    assert [v.data for v in m(x)] == pytest.approx(out, rel=1e-14)
    assert str(m(x)[0]._prev[-1]._op) == "dot"  # a hidden neuron: no activation node


def test_sigmoid_mlp_matches_torch():
    torch = pytest.importorskip("torch")
    m = MLP(2, [4, 3], activation="sigmoid", rng=RNG(5))
    x, target = [0.3, -0.8], 2
    from micrograd.losses import cross_entropy

    loss = cross_entropy(m(x), target)
    loss.backward()
    (W1, b1), (W2, b2) = [
        (torch.tensor(W, dtype=torch.float64, requires_grad=True), torch.tensor(b, dtype=torch.float64)) for W, b in m.weights()
    ]
    xt = torch.tensor([x], dtype=torch.float64)
    logits = torch.sigmoid(xt @ W1.T + b1) @ W2.T + b2
    tl = torch.nn.functional.cross_entropy(logits, torch.tensor([target]))
    tl.backward()
    assert loss.data == pytest.approx(tl.item(), rel=1e-13)
    ours = [w.grad for n in m.layers[0].neurons for w in n.w]
    assert ours == pytest.approx(W1.grad.flatten().tolist(), rel=1e-12, abs=1e-15)


# ---------------------------------------------------------------------- minibatches


def test_batch_is_drawn_from_the_runs_rng_in_the_documented_order():
    tr = Trainer(TrainConfig.preset("seed", batch_size=5))
    mirror = RNG(0)
    mirror.setstate(tr.rng.getstate())
    n = len(tr.train_split)
    idx = list(range(n))
    for k in range(5):  # partial Fisher-Yates, as the field's help and CONTRIBUTING.md say
        j = mirror.randint(k, n - 1)
        idx[k], idx[j] = idx[j], idx[k]
    # the step's loss is the mean loss of exactly those points, in that order
    from micrograd.engines import split_loss

    expected = split_loss(tr.model, [tr.train_split[i] for i in idx[:5]]).data
    rec = tr.train_step()
    assert rec["train_loss"] == expected
    assert tr.rng.getstate() == mirror.getstate()


def test_a_batch_as_large_as_the_training_split_is_the_full_batch():
    assert run(batch_size=80)["train_loss"] == run(batch_size=0)["train_loss"] == run(batch_size=500)["train_loss"]


@pytest.mark.parametrize("engine", list(ENGINES))
def test_resume_with_minibatches_is_bit_identical(tmp_path, engine):
    cfg = dict(engine=engine, steps=10, batch_size=7, regularization="l2", reg_rate=0.01, features=["x", "y", "xy"])
    whole = fit(TrainConfig.preset("seed", **cfg), out=None)
    tr = Trainer(TrainConfig.preset("seed", **cfg))
    history = {"train_loss": [], "val_loss": {}, "val_accuracy": {}}
    for _ in range(4):
        rec = tr.train_step()
        history["train_loss"].append(rec["train_loss"])
        if "val_loss" in rec:
            history["val_loss"][rec["step"]] = rec["val_loss"]
            history["val_accuracy"][rec["step"]] = rec["val_accuracy"]
    path = tmp_path / "run.json"
    checkpoint.save_trainer(str(path), tr, history)
    ck = checkpoint.load(str(path))
    resumed = checkpoint.restore(Trainer(ck.train_config()), ck)
    rest = fit(trainer=resumed, history=ck.history, out=None)
    assert rest["train_loss"] == whole["train_loss"]
    assert rest["summary"] == whole["summary"]


# ---------------------------------------------------------------------- regularization


@pytest.mark.parametrize("kind", ["l1", "l2"])
@pytest.mark.parametrize("engine", list(ENGINES))
def test_regularization_adds_the_penaltys_gradient_to_the_weights_only(kind, engine):
    base = dict(engine=engine, optimizer="sgd", lr=0.5, weight_decay=0.0, steps=1)
    plain, reg = (
        Trainer(TrainConfig.preset("seed", **base)),
        Trainer(TrainConfig.preset("seed", regularization=kind, reg_rate=0.3, **base)),
    )
    before = [p.data for _, p in reg.model.named_parameters()]
    plain.train_step()
    reg.train_step()
    import numpy as np

    for (name, p), q, w0 in zip(reg.model.named_parameters(), plain.model.parameters(), before):
        if name.rsplit(".", 1)[-1] in ("b", "bias"):
            assert np.array_equal(p.data, q.data), name  # biases are not penalized
        else:
            d = np.sign(w0) if kind == "l1" else np.asarray(w0)
            np.testing.assert_allclose(p.data, q.data - 0.5 * 0.3 * d, rtol=0, atol=1e-14)
    # the printed loss is the data loss: the same as without the penalty (the weights were the same)
    assert run(engine, steps=1, regularization=kind, reg_rate=0.3)["train_loss"] == run(engine, steps=1)["train_loss"]


def test_penalty_value_by_hand():
    ws = [Value(0.5), Value(-2.0), Value(0.0)]
    assert penalty(ws, "l1", 0.1) == pytest.approx(0.1 * 2.5)
    assert penalty(ws, "l2", 0.1) == pytest.approx(0.1 * (0.25 + 4.0) / 2)
    assert penalty(ws, "none", 0.1) == 0.0
    add_penalty_grad(ws, "l1", 0.1)
    assert [w.grad for w in ws] == [0.1, -0.1, 0.0]
    with pytest.raises(ValueError, match="regularization must be one of none, l1, l2, got 'l3'"):
        add_penalty_grad(ws, "l3", 0.1)


# ---------------------------------------------------------------------- features, noise, split


def test_feature_columns_by_hand():
    feats = ["x", "y", "x2", "y2", "xy", "sinx", "siny"]
    tr = Trainer(TrainConfig.preset("seed", features=feats))
    assert tr.model.nin == 7 and len(tr.model.layers[0].neurons[0].w) == 7
    for plane, model in zip(tr.points, tr.splits):
        assert len(plane) == len(model)
        for ((x, y), label), (row, label2) in zip(plane, model):
            assert row == [x, y, x * x, y * y, x * y, math.sin(x), math.sin(y)] and label == label2
    assert datasets.feature_row(0.5, 2.0, ["xy", "siny"]) == [1.0, math.sin(2.0)]
    plain = Trainer(TrainConfig.preset("seed"))
    assert plain.splits is plain.points  # the default: the points themselves


def test_features_need_two_coordinates(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("a,b,c,label\n" + "".join(f"{i},{i % 3},{i % 5},{i % 2}\n" for i in range(20)))
    with pytest.raises(ValueError, match="features x,y,xy need points in the plane .* have 3 coordinates"):
        Trainer(TrainConfig.preset("seed", data=str(path), features=["x", "y", "xy"]))


def test_noise_moves_each_point_after_its_label():
    pts = datasets.make("simple", RNG(42), 10, noise=0.3)[0]
    r = RNG(42)
    x, y = r.uniform(-2.0, 2.0), r.uniform(-2.0, 2.0)
    label = 0 if x < 0 else 1 if y < 0 else 2
    assert pts[0] == ([x + r.gauss(0.0, 0.3), y + r.gauss(0.0, 0.3)], label)
    assert datasets.make("moons", RNG(42), 20, noise=0.0) != datasets.make("moons", RNG(42), 20)


def test_split_cuts_the_points_in_order():
    points = datasets.make("simple", RNG(42), 100)
    flat = [p for s in points for p in s]
    train, val, test = datasets.resplit(points, (70, 20, 10))
    assert (len(train), len(val), len(test)) == (70, 20, 10) and train + val + test == flat
    assert datasets.resplit(points, (80, 10, 10)) is points
    tr = Trainer(TrainConfig.preset("seed", split=[50, 30, 20], n=50))
    assert [len(s) for s in tr.splits] == [25, 15, 10]


# ---------------------------------------------------------------------- changing hyperparameters mid-run


@pytest.mark.parametrize("engine", list(ENGINES))
def test_set_hyperparameters_mid_run_is_saved_and_resumes(tmp_path, engine):
    def go(save_at=None):
        tr = Trainer(TrainConfig.preset("seed", engine=engine, steps=8))
        history = {"train_loss": [], "val_loss": {}, "val_accuracy": {}}
        for i in range(8):
            if i == 3:
                tr.set_hyperparameters(lr=0.02, batch_size=20)
            if i == save_at:
                path = str(tmp_path / "mid.json")
                checkpoint.save_trainer(path, tr, history)
                return path
            history["train_loss"].append(tr.train_step()["train_loss"])
        return history

    whole = go()
    ck = checkpoint.load(go(save_at=5))
    assert ck.config["lr"] == 0.02 and ck.optimizer["hyper"]["lr"] == 0.02 and ck.config["batch_size"] == 20
    resumed = checkpoint.restore(Trainer(ck.train_config()), ck)
    rest = fit(trainer=resumed, history=ck.history, out=None)
    assert rest["train_loss"] == whole["train_loss"]
    assert whole["train_loss"][3:] != run(engine, steps=8)["train_loss"][3:]


def test_set_hyperparameters_refuses_bad_values_and_changes_nothing():
    tr = Trainer(TrainConfig.preset("seed"))
    for bad, message in [
        ({"lr": -1.0}, "lr must be >= 0"),
        ({"lr": 0.5, "beta1": 1.5}, r"beta1 must be in \[0, 1\)"),
        ({"momentum": 0.9}, "cannot change momentum"),
        ({"hidden": [4]}, "cannot change hidden"),
        ({"reg_rate": 0.1}, "needs regularization l1 or l2"),
    ]:
        with pytest.raises(ValueError, match=message):
            tr.set_hyperparameters(**bad)
        assert tr.optimizer.hyper["lr"] == 0.1 and tr.config.lr == 0.1 and tr.config.reg_rate == 0.0


def test_optimizer_set_hyperparameters():
    p = Value(1.0)
    opt = SGD([p], lr=0.1, momentum=0.5)
    opt.set_hyperparameters(lr=0.2, momentum=0.0)
    assert opt.state_dict()["hyper"]["lr"] == 0.2 and opt.hyper["momentum"] == 0.0
    with pytest.raises(ValueError, match="Invalid learning rate value: -1"):
        opt.set_hyperparameters(lr=-1)
    with pytest.raises(ValueError, match="SGD has no hyperparameter 'beta1'"):
        opt.set_hyperparameters(beta1=0.5)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD([p], lr=0.1, momentum=0.5, nesterov=True).set_hyperparameters(momentum=0.0)
    adam = Adam([p], lr=0.1)
    adam.set_hyperparameters(beta2=0.5)
    assert adam.hyper["beta2"] == 0.5


# ---------------------------------------------------------------------- the command line and old checkpoints


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--activation", "softmax"], "invalid choice: 'softmax'"),
        (["--features", "x,q"], "features must be a list of distinct features from x, y"),
        (["--features", "x,x"], "got ['x', 'x']"),
        (["--split", "90,10"], "split must be three positive percentages"),
        (["--split", "99,1,0"], "split must be"),
        (["--split", "98,1,1", "--n", "20"], "leaves the val split"),
        (["--noise", "-1"], "noise must be in [0, 10), got -1.0"),
        (["--noise", "0.2", "--dataset", "digits-not-a-dataset"], "invalid choice"),
        (["--reg-rate", "0.1"], "reg_rate=0.1 needs regularization l1 or l2"),
        (["--regularization", "l3"], "invalid choice: 'l3'"),
        (["--batch-size", "-1"], "batch_size must be >= 0, got -1"),
        (["--batch-size", "2.5"], "expected an integer, got '2.5'"),
    ],
)
def test_bad_values_exit_2_with_one_line(tmp_path, argv, message):
    p = subprocess.run(
        [sys.executable, "-m", "micrograd.cli", "train", "--steps", "1", *argv], capture_output=True, text=True, cwd=tmp_path
    )
    assert p.returncode == 2 and p.stdout == ""
    assert len(p.stderr.splitlines()) == 1 and message in p.stderr, p.stderr


def test_noise_on_a_csv_is_refused(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(20)))
    with pytest.raises(ValueError, match="noise=0.5 applies to generated datasets, not to a CSV file"):
        TrainConfig.preset("seed", data=str(path), noise=0.5)


@pytest.mark.parametrize("name", ["ckpt_v1_seed.json", "ckpt_v1_llm101n_tensor.json", "ckpt_v1_sgd.json"])
def test_old_checkpoints_load_with_the_new_fields_at_their_defaults(name):
    ck = checkpoint.load(str(GOLDEN / name))
    cfg = ck.train_config(steps=ck.step + 2)
    assert (cfg.batch_size, cfg.regularization, cfg.reg_rate, cfg.noise) == (0, "none", 0.0, None)
    assert (cfg.features, cfg.split) == (["x", "y"], [80, 10, 10])
    tr = checkpoint.restore(Trainer(cfg), ck)
    assert len(fit(trainer=tr, history=ck.history, out=None)["train_loss"]) == ck.step + 2


# ---------------------------------------------------------------------- regression


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_regression_dataset_trains_one_output_on_the_mse(engine):
    tr = Trainer(TrainConfig.preset("seed", dataset="gauss", engine=engine, steps=3))
    assert tr.regression and tr.model.nouts[-1] == 1
    x, y = tr.points[0][0]
    assert y == pytest.approx(math.exp(-((x[0] - 1) ** 2 + (x[1] - 1) ** 2)) - math.exp(-((x[0] + 1) ** 2 + (x[1] + 1) ** 2)))
    rec = tr.train_step()
    assert "val_accuracy" not in rec and "val_loss" in rec
    # the mean squared error by hand, from the model's outputs before the step
    fresh = Trainer(TrainConfig.preset("seed", dataset="gauss", engine="scalar"))
    by_hand = sum((fresh.model(x).data - y) ** 2 for x, y in fresh.train_split) / len(fresh.train_split)
    assert rec["train_loss"] == pytest.approx(by_hand, rel=1e-12)
    assert datasets.make("plane", RNG(3), 10)[0][0][1] == sum(datasets.make("plane", RNG(3), 10)[0][0][0]) / 4


def test_regression_lines_and_summary(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "micrograd.cli", "train", "--dataset", "plane", "--steps", "3", "--save", "r.json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("step 0, val loss ") and lines[1].startswith("step 0, train loss ")
    assert lines[-1].startswith("final loss (mse): train ") and "accuracy" not in p.stdout
    ck = checkpoint.load(str(tmp_path / "r.json"))
    assert set(ck.history["summary"]["test"]) == {"loss", "total"}
