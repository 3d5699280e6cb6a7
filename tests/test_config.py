"""Tests for micrograd.config: TrainConfig's fields define the CLI flags, the demo's form and the
checkpoint's config, with nothing listed by hand elsewhere; checkpoints written by earlier versions
(tests/golden/ckpt_v1_*.json, see tests/golden/README.md) still load and resume bit for bit."""

import argparse
import dataclasses
from pathlib import Path

import pytest

from micrograd import checkpoint
from micrograd.cli import RUN_KEYS, TRAINING_ONLY_KEYS, add_train_flags, build_parser, config_from_args
from micrograd.config import PRESETS, TrainConfig, demo_fields, run_keys, setting, training_only_keys
from micrograd.data import DATASETS
from micrograd.nn import ACTIVATIONS, INITS
from micrograd.optim import OPTIMIZERS
from micrograd.train import fit, make_trainer
from micrograd.web.forms import CONFIG_FIELDS, form_fields, parse_config
from micrograd.web.server import options

GOLDEN = Path(__file__).parent / "golden"


@dataclasses.dataclass
class SmoothedConfig(TrainConfig):
    """TrainConfig with one more field, declared as any field is: nothing else is edited."""

    label_smoothing: float = setting(0.0, help="label smoothing", low=0.0, high=1.0, training_only=True, demo="label smoothing")


def parse(config_class, *argv):
    p = argparse.ArgumentParser()
    add_train_flags(p, config_class)
    return p, p.parse_args(list(argv))


# ---------------------------------------------------------------------- derived, never listed


def test_flags_and_keys_follow_the_fields():
    names = [f.name for f in dataclasses.fields(TrainConfig)]
    assert list(RUN_KEYS) == [n for n in names if n != "style"]  # style comes from the preset only
    assert set(TRAINING_ONLY_KEYS) == {
        "optimizer",
        "lr",
        "beta1",
        "beta2",
        "weight_decay",
        "momentum",
        "regularization",
        "reg_rate",
        "batch_size",
        "steps",
        "eval_every",
        "diverge_check",
    }
    p, _ = parse(TrainConfig)
    flags = {a.dest: a for a in p._actions}
    for key in RUN_KEYS:
        flag = "--" + key.replace("_", "-")
        bool_pair = [flag, "--no-" + flag[2:]]  # a bool field: --diverge-check / --no-diverge-check
        assert flags[key].option_strings in ([flag], bool_pair) and flags[key].default is None


def test_choices_come_from_the_registries():
    p, _ = parse(TrainConfig)
    choices = {a.dest: a.choices for a in p._actions if a.choices}
    assert choices["dataset"] == list(DATASETS) and choices["optimizer"] == list(OPTIMIZERS)
    assert choices["activation"] == list(ACTIVATIONS) and choices["init"] == list(INITS)
    assert choices["preset"] == list(PRESETS) == list(TrainConfig.PRESETS)
    opts = options()
    # the demo offers the datasets in the plane (digits' 64 pixels are no point to draw or click)
    assert opts["datasets"] == [d for d in DATASETS if d != "digits"] and opts["optimizers"] == list(OPTIMIZERS)
    assert opts["activations"] == list(ACTIVATIONS) and opts["inits"] == list(INITS)


def test_the_demo_form_is_the_fields_marked_demo():
    names = [f.name for f in demo_fields()]
    assert names == [
        *("dataset", "n", "noise", "split", "features", "hidden", "activation", "init", "optimizer", "lr"),
        *("regularization", "reg_rate", "batch_size", "seed"),
    ]
    assert CONFIG_FIELDS == ("preset", *names)
    assert [e["name"] for e in form_fields()] == names == [e["name"] for e in options()["fields"]]
    assert {e["name"]: e["kind"] for e in form_fields()}["hidden"] == "list"


@pytest.mark.parametrize(
    "argv, field, message",
    [
        (["--lr", "-1"], {"lr": -1.0}, "lr must be >= 0, got -1.0"),
        (["--beta1", "1.5"], {"beta1": 1.5}, r"beta1 must be in \[0, 1\), got 1.5"),
        (["--n", "5"], {"n": 5}, "n must be >= 10, got 5"),
    ],
)
def test_a_range_is_checked_once_by_the_config(argv, field, message):
    _, args = parse(TrainConfig, *argv)  # the flag only converts text to a number
    with pytest.raises(ValueError, match=message):
        config_from_args(args)
    with pytest.raises(ValueError, match=message):  # the same check, the same words, from Python
        TrainConfig.preset("seed", **field)


# ---------------------------------------------------------------------- a new field


def test_a_new_field_gets_its_flag_its_range_and_its_form_entry():
    assert "label_smoothing" in run_keys(SmoothedConfig) and "label_smoothing" in training_only_keys(SmoothedConfig)
    p, args = parse(SmoothedConfig, "--label-smoothing", "0.1", "--steps", "3")
    cfg = config_from_args(args)
    assert type(cfg) is SmoothedConfig and (cfg.label_smoothing, cfg.steps) == (0.1, 3)
    assert "--label-smoothing" in p.format_help() and "in [0, 1)" in " ".join(p.format_help().split())
    _, args = parse(SmoothedConfig, "--label-smoothing", "1.5")
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\), got 1.5"):
        config_from_args(args)
    assert [e["name"] for e in form_fields(SmoothedConfig)][-1] == "label_smoothing"
    assert parse_config({"label_smoothing": 0.2}, config_class=SmoothedConfig).label_smoothing == 0.2
    assert "--label-smoothing" not in build_parser().format_help()  # TrainConfig itself is unchanged


def test_a_checkpoint_saved_before_a_field_existed_loads_with_its_default(tmp_path):
    ck = checkpoint.load(GOLDEN / "ckpt_v1_seed.json", config_class=SmoothedConfig)
    assert ck.config["label_smoothing"] == 0.0
    cfg = ck.train_config(steps=14)
    assert type(cfg) is SmoothedConfig
    tr = make_trainer(cfg)
    checkpoint.restore(tr, ck)
    assert tr.step == 12
    # and the other way round: a field this version does not know is refused
    checkpoint.save_trainer(tmp_path / "new.json", tr)
    with pytest.raises(checkpoint.CheckpointError, match=r"unknown \['label_smoothing'\]"):
        checkpoint.load(tmp_path / "new.json")


# ---------------------------------------------------------------------- the v1 fixtures


def lines_of(config):
    out = []
    fit(config, out=out.append)
    return out


@pytest.mark.parametrize(
    "name, steps",
    [
        ("ckpt_v1_seed.json", 20),
        ("ckpt_v1_llm101n_tensor.json", 9),
        ("ckpt_v1_sgd.json", 8),
    ],
)
def test_v1_fixture_loads_and_resumes_as_the_uninterrupted_run(name, steps):
    ck = checkpoint.load(GOLDEN / name)
    full = lines_of(ck.train_config(steps=steps))
    tr = make_trainer(ck.train_config(steps=steps))
    checkpoint.restore(tr, ck)
    resumed = []
    history = fit(trainer=tr, out=resumed.append, history=ck.history)
    assert 0 < ck.step < steps and resumed
    assert full[-len(resumed) :] == resumed  # the same lines, to the bit
    assert len(history["train_loss"]) == steps


def test_v1_fixture_resumes_from_the_command_line(tmp_path, capsys):
    from micrograd.cli import main

    path = tmp_path / "c.json"
    path.write_bytes((GOLDEN / "ckpt_v1_seed.json").read_bytes())
    assert main(["train", "--steps", "16"]) == 0
    full = capsys.readouterr().out.splitlines()[:-2]
    assert main(["train", "--resume", str(path), "--steps", "16"]) == 0
    resumed = capsys.readouterr().out.splitlines()[:-2]
    assert resumed and full[-len(resumed) :] == resumed


# ---------------------------------------------------------------------- adding an optimizer (CONTRIBUTING.md)


def test_a_new_optimizer_needs_only_its_class_and_registry_entry(monkeypatch, tmp_path):
    """The recipe in CONTRIBUTING.md: a class in micrograd.optim plus its OPTIMIZERS entry; the CLI,
    the config's checks, the demo's form and the checkpoint follow without another edit."""
    from micrograd import optim

    class SignSGD(optim.Optimizer):
        """p -= lr * sign(g) * |g|**0, with a step count as its only state."""

        takes = ("lr",)
        state_keys = frozenset({"n"})

        def __init__(self, params, lr=1e-3):
            super().__init__(params, {"lr": optim._check("lr", lr)})

        def _update(self, p, g, st):
            st["n"] = st.get("n", 0.0) + 1.0
            return p - self.hyper["lr"] * ((g > 0) - (g < 0))

    monkeypatch.setitem(OPTIMIZERS, "signsgd", SignSGD)
    args = build_parser().parse_args(["train", "--optimizer", "signsgd", "--lr", "0.05", "--steps", "4"])
    cfg = config_from_args(args)
    with pytest.raises(ValueError, match="momentum=0.9 is used only by"):  # it does not take momentum
        TrainConfig(optimizer="signsgd", momentum=0.9).validate()
    assert "signsgd" in next(e for e in options()["fields"] if e["name"] == "optimizer")["choices"]
    tr = make_trainer(cfg)
    fit(trainer=tr, out=None)
    assert type(tr.optimizer) is SignSGD and tr.optimizer.t == 4
    checkpoint.save_trainer(tmp_path / "s.json", tr)
    again = make_trainer(checkpoint.load(tmp_path / "s.json").train_config())
    checkpoint.restore(again, checkpoint.load(tmp_path / "s.json"))
    assert again.model.state_dict() == tr.model.state_dict() and again.optimizer.state_dict()["state"][0] == {"n": 4.0}


@pytest.mark.parametrize("bad", [0.0, "", "points\0.csv", ["a.csv"]])
def test_a_file_path_field_must_be_a_non_empty_string(bad):
    with pytest.raises(TypeError, match="data must be a non-empty string"):
        TrainConfig(data=bad).validate()
