"""Tests for micrograd.train: TrainConfig, Trainer and fit().

References: the seed program itself, run in-process for a few steps (`seedref.seed_run`,
whose printed lines, trained model and `eval_split` we compare with), and the golden
outputs of the reference programs (`tests/golden/`). The history `fit()` returns must be
what it prints. The CLI's own tests (subprocesses, exit codes) are in test_cli.py.
"""

import math
import subprocess
import sys

import pytest
from seedref import assert_lines_match, golden_lines, seed_run

from micrograd import data
from micrograd.engines import ENGINES, ScalarEngine
from micrograd.train import TrainConfig, Trainer, fit, format_summary, make_trainer

REL = 1e-10  # the seed's own last digits vary ~1e-14 between runs


@pytest.fixture(scope="module")
def seed5():
    """The seed program, run for 5 steps (about 1.5 s)."""
    return seed_run(5)


def run(cfg):
    lines = []
    history = fit(cfg, out=lines.append)
    return history, lines


# ---------------------------------------------------------------------- against the seed program


def test_seed_preset_prints_the_seed_programs_lines(seed5):
    history, lines = run(TrainConfig.preset("seed", steps=5))
    assert_lines_match(lines, seed5.lines, rel=REL)
    assert_lines_match(lines, golden_lines("seed_output.txt")[: len(lines)], rel=REL)


def test_summary_equals_the_seed_models_losses_and_accuracy(seed5):
    history, _ = run(TrainConfig.preset("seed", steps=5))
    summary = history["summary"]
    assert set(summary) == {"train", "val", "test"}
    for name, split in (("train", seed5.train_split), ("val", seed5.val_split), ("test", seed5.test_split)):
        ref_loss = seed5.eval_split(seed5.model, split)
        assert math.isclose(summary[name]["loss"], ref_loss, rel_tol=REL), (name, summary[name], ref_loss)
        correct = 0
        for x, y in split:
            logits = [v.data for v in seed5.model([seed5.Value(x[0]), seed5.Value(x[1])])]
            correct += logits.index(max(logits)) == y
        assert (summary[name]["correct"], summary[name]["total"]) == (correct, len(split)), name


def test_zero_steps_summary_is_the_seeds_initial_loss():
    history, lines = run(TrainConfig.preset("seed", steps=0))
    assert lines == [] and history["train_loss"] == [] and history["val_loss"] == {}
    golden = golden_lines("seed_output.txt")
    # the seed's step-0 lines are the untrained model's val loss and (before the update) train loss
    assert math.isclose(history["summary"]["val"]["loss"], float(golden[0].split()[-1]), rel_tol=REL)
    assert math.isclose(history["summary"]["train"]["loss"], float(golden[1].split()[-1]), rel_tol=REL)


def test_llm101n_preset_first_steps_equal_the_courses_run():
    history, lines = run(TrainConfig.preset("llm101n", steps=12))
    golden = golden_lines("llm101n_output.txt")
    want = [g.replace("/100,", "/12,") for g in golden[:14]]  # steps 1..12: 12 train + 2 val lines
    assert_lines_match(lines, want, rel=REL)


# ---------------------------------------------------------------------- history == what is printed


@pytest.mark.parametrize("preset", ["seed", "llm101n"])
def test_history_is_what_is_printed(preset):
    cfg = TrainConfig.preset(preset, steps=12, eval_every=5)
    history, lines = run(cfg)
    assert len(history["train_loss"]) == 12
    assert sorted(history["val_loss"]) == [0, 5, 10]
    train_lines = [line for line in lines if "train loss" in line]
    val_lines = [line for line in lines if "val loss" in line]
    assert len(train_lines) == 12 and len(val_lines) == 3 and len(lines) == 15
    # printed train losses are the history's floats, digit for digit
    assert [float(line.split()[-1]) for line in train_lines] == history["train_loss"]
    for step, line in zip(sorted(history["val_loss"]), val_lines):
        v = history["val_loss"][step]
        if preset == "seed":
            assert line == f"step {step}, val loss {v}"
        else:
            assert line == f"step {step + 1}/12, val loss {v:.6f}"
    # each val line comes right before the train line of its step
    for k, line in enumerate(lines):
        if "val loss" in line:
            assert lines[k + 1].startswith(line.split(", val")[0] + ", train loss")


def test_summary_lines_are_the_history_summary():
    history, _ = run(TrainConfig.preset("seed", steps=3))
    s = history["summary"]
    loss_line, acc_line = format_summary(s)
    assert loss_line == "final loss: " + ", ".join(f"{k} {s[k]['loss']:.6f}" for k in ("train", "val", "test"))
    for k in ("train", "val", "test"):
        assert f"({s[k]['correct']}/{s[k]['total']})" in acc_line
        assert 0 <= s[k]["correct"] <= s[k]["total"]
    assert [s[k]["total"] for k in ("train", "val", "test")] == [80, 10, 10]


def test_eval_every_zero_never_evaluates():
    history, lines = run(TrainConfig.preset("seed", steps=4, eval_every=0))
    assert history["val_loss"] == {} and history["val_accuracy"] == {}
    assert len(lines) == 4 and all("train loss" in line for line in lines)


def test_fit_is_deterministic():
    a, la = run(TrainConfig.preset("llm101n", steps=4))
    b, lb = run(TrainConfig.preset("llm101n", steps=4))
    assert la == lb and a == b


def test_fit_out_none_is_silent(capsys):
    fit(TrainConfig.preset("seed", steps=2), out=None)
    assert capsys.readouterr().out == ""


def test_fit_default_out_prints(capsys):
    fit(TrainConfig.preset("seed", steps=1))
    assert capsys.readouterr().out.splitlines() == golden_lines("seed_output.txt")[:2]


def test_callbacks_see_every_step():
    seen = []
    history = fit(
        TrainConfig.preset("seed", steps=3),
        out=None,
        callbacks=[lambda tr, rec: seen.append((tr.step, rec["step"], rec["train_loss"]))],
    )
    assert seen == [(i + 1, i, loss) for i, loss in enumerate(history["train_loss"])]


# ---------------------------------------------------------------------- accuracy and the step convention


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
def test_val_accuracy_is_measured_with_the_val_loss_before_the_step(engine):
    cfg = TrainConfig.preset("seed", steps=9, eval_every=4, engine=engine)
    history, _ = run(cfg)
    tr, want = Trainer(cfg), {}
    for i in range(cfg.steps):  # the same run by hand: accuracy of the model BEFORE step i, for i = 0, 4, 8
        if i % cfg.eval_every == 0:
            correct, total = tr.accuracy(tr.val_split)
            want[i] = correct / total
        tr.train_step()
    assert history["val_accuracy"] == want and sorted(want) == sorted(history["val_loss"]) == [0, 4, 8]
    assert len(set(want.values())) > 1  # it changes during the run: not a constant that happens to match


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
def test_the_summary_is_the_next_steps_numbers(engine):
    """The step convention: a number is filed under x = the updates its model had. The summary after
    N steps is at x = N: it equals what step N of a longer run measures (its val loss/accuracy and
    its train loss, evaluated before its update), bit for bit."""
    short, _ = run(TrainConfig.preset("seed", steps=10, eval_every=5, engine=engine))
    longer, _ = run(TrainConfig.preset("seed", steps=11, eval_every=5, engine=engine))
    s = short["summary"]
    assert s["val"]["loss"] == longer["val_loss"][10]
    assert s["val"]["correct"] / s["val"]["total"] == longer["val_accuracy"][10]
    assert s["train"]["loss"] == longer["train_loss"][10]


def test_records_keep_their_keys_and_add_val_accuracy():
    tr = Trainer(TrainConfig.preset("seed", steps=3, eval_every=2))
    records = [tr.train_step() for _ in range(3)]
    assert [list(r) for r in records] == [
        ["step", "val_loss", "val_accuracy", "train_loss", "seconds"],
        ["step", "train_loss", "seconds"],
        ["step", "val_loss", "val_accuracy", "train_loss", "seconds"],
    ]
    assert all(0 <= r["val_accuracy"] <= 1 for r in records if "val_accuracy" in r)


def test_on_fit_end_is_called_once_after_the_summary():
    events = []

    class Watcher:
        def __call__(self, tr, rec):
            events.append(("step", rec["step"]))

        def on_fit_end(self, tr, history):
            events.append(("end", tr.step, sorted(history["summary"])))

    history = fit(TrainConfig.preset("seed", steps=2), out=None, callbacks=[Watcher(), lambda tr, rec: None])
    assert events == [("step", 0), ("step", 1), ("end", 2, ["test", "train", "val"])]
    assert list(history) == ["train_loss", "val_loss", "val_accuracy", "summary"]


def test_extending_a_history_replaces_its_summary():
    tr = make_trainer(TrainConfig.preset("seed", steps=3))
    history = fit(trainer=tr, out=None)
    first = history["summary"]
    tr.config = TrainConfig.preset("seed", steps=5)
    seen = []
    again = fit(trainer=tr, out=None, history=history, callbacks=[lambda t, r: seen.append("summary" in history)])
    assert again is history and seen == [False, False]  # no stale summary while it trains on
    assert history["summary"] == fit(TrainConfig.preset("seed", steps=5), out=None)["summary"] != first
    assert len(history["train_loss"]) == 5


def test_fit_accepts_a_trainer():
    tr = make_trainer(TrainConfig.preset("seed", steps=2))
    history = fit(trainer=tr, out=None)
    assert tr.step == 2 and len(history["train_loss"]) == 2


# ---------------------------------------------------------------------- Trainer builds what the config says


def layer_sizes(model):
    return [len(layer.neurons) for layer in model.layers]


def test_trainer_for_the_seed_preset():
    tr = Trainer(TrainConfig.preset("seed"))
    assert layer_sizes(tr.model) == [16, 3]
    assert tr.model.init == "per-neuron" and tr.model.activation == "tanh"
    assert type(tr.optimizer).__name__ == "SeedAdam"
    assert [len(s) for s in tr.splits] == [80, 10, 10]


def test_trainer_for_the_llm101n_preset():
    tr = Trainer(TrainConfig.preset("llm101n"))
    assert layer_sizes(tr.model) == [8, 3]
    assert tr.model.init == "per-weight"
    assert type(tr.optimizer).__name__ == "AdamW"
    from micrograd import RNG

    assert tr.splits == data.yinyang(RNG(42), 100)


def test_overrides_beat_the_preset():
    cfg = TrainConfig.preset("llm101n", hidden=[8, 8], optimizer="sgd", dataset="moons", n=40, activation="relu")
    tr = Trainer(cfg)
    assert layer_sizes(tr.model) == [8, 8, 2]  # moons has 2 classes
    assert tr.model.init == "per-weight" and tr.model.activation == "relu"
    assert type(tr.optimizer).__name__ == "SGD"
    assert [len(s) for s in tr.splits] == [32, 4, 4]
    assert cfg.style == "llm101n"


def test_trainer_from_a_csv(tmp_path):
    path = tmp_path / "pts.csv"
    rows = ["a,b,c,d,label"] + [f"{i},{-i},{i * 0.5},{i % 4},{i % 4}" for i in range(20)]
    path.write_text("\n".join(rows) + "\n")
    tr = Trainer(TrainConfig.preset("seed", data=str(path)))
    assert tr.model.nin == 4 and layer_sizes(tr.model) == [16, 4]
    assert tr.splits == data.load_csv(str(path))


# ---------------------------------------------------------------------- one Trainer over the engine back-ends


def test_engines_is_the_one_list_of_engine_names():
    assert list(ENGINES) == ["scalar", "tensor", "compiled"]
    with pytest.raises(ValueError, match="engine must be one of scalar, tensor, compiled, got 'gpu'"):
        TrainConfig.preset("seed", engine="gpu")


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
def test_one_trainer_builds_either_engine_with_one_optimizer(engine, monkeypatch):
    from micrograd import train

    built = []
    real = train.make_optimizer
    monkeypatch.setattr(train, "make_optimizer", lambda cfg, params: built.append(params) or real(cfg, params))
    tr = Trainer(TrainConfig.preset("seed", engine=engine))
    assert type(make_trainer(TrainConfig.preset("seed", engine=engine))) is Trainer
    assert isinstance(tr.engine, ENGINES[engine])
    assert type(tr.model).__module__ == {"scalar": "micrograd.nn", "tensor": "micrograd.tensor.nn"}[engine]
    assert len(built) == 2 and built[0] == tr.model.parameters()  # one optimizer per trainer, on its model
    assert [id(p) for p in tr.optimizer.params] == [id(p) for p in tr.model.parameters()]


def test_a_new_engine_is_one_registry_entry(monkeypatch):
    calls = []

    class Counting(ScalarEngine):
        name = "counting"

        def loss(self, model, split):
            calls.append(len(split))
            return super().loss(model, split)

    monkeypatch.setitem(ENGINES, "counting", Counting)
    history = fit(TrainConfig.preset("seed", engine="counting", steps=3), out=None)
    assert calls == [80, 80, 80]  # the train split each step; the val loss goes through evaluate
    assert history["train_loss"] == fit(TrainConfig.preset("seed", steps=3), out=None)["train_loss"]


def test_importing_the_config_and_the_trainer_does_not_import_numpy():
    code = "import sys, micrograd.config, micrograd.train, micrograd.engines; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------- bad configs


@pytest.mark.parametrize(
    "overrides, exc, name",
    [
        ({"steps": -1}, ValueError, "steps"),
        ({"steps": 2.5}, TypeError, "steps"),
        ({"n": 5}, ValueError, "n"),
        ({"eval_every": -1}, ValueError, "eval_every"),
        ({"hidden": [0]}, ValueError, "hidden"),
        ({"hidden": [8, -1]}, ValueError, "hidden"),
        ({"hidden": 8}, (TypeError, ValueError), "hidden"),
        ({"lr": float("nan")}, ValueError, "lr"),
        ({"lr": -0.1}, ValueError, "lr"),
        ({"lr": "abc"}, ValueError, "lr"),
        ({"beta1": 1.0}, ValueError, "beta1"),
        ({"beta2": -0.1}, ValueError, "beta2"),
        ({"weight_decay": -1e-4}, ValueError, "weight_decay"),
        ({"optimizer": "rmsprop"}, ValueError, "optimizer"),
        ({"activation": "gelu"}, ValueError, "activation"),
        ({"init": "xavier"}, ValueError, "init"),
        ({"dataset": "blobs"}, ValueError, "dataset"),
        ({"seed": "42"}, TypeError, "seed"),
        ({"momentum": 0.9}, ValueError, "momentum=0.9.*'seed-adam'"),  # would be ignored by the Adams
        ({"optimizer": "adamw", "momentum": 0.5}, ValueError, "momentum=0.5.*'adamw'"),
    ],
)
def test_bad_config_values_raise(overrides, exc, name):
    with pytest.raises(exc, match=name):
        TrainConfig.preset("seed", **overrides)


@pytest.mark.parametrize("config", ["seed", {"steps": 3}, 42])
def test_config_that_is_not_a_train_config_is_a_type_error(config):
    for call in (lambda: fit(config, out=None), lambda: make_trainer(config), lambda: Trainer(config)):
        with pytest.raises(TypeError, match="config must be a TrainConfig"):
            call()


def test_out_must_be_callable():
    with pytest.raises(TypeError, match="out must be a function"):
        fit(TrainConfig.preset("seed", steps=1), out="stdout")


def test_unknown_preset():
    with pytest.raises(ValueError, match="'nope'"):
        TrainConfig.preset("nope")


def test_missing_csv_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        Trainer(TrainConfig.preset("seed", data=str(tmp_path / "missing.csv")))
