"""Tests for the `micrograd train` command, run as a user runs it: a subprocess.

References: the golden outputs of the reference programs (`tests/golden/`: the seed
program's 110 lines, the course's final program's run), compared line by line with the
same text and every number within 1e-10 relative. Every flag the issue names is run once
(`--steps 2`), and bad flags or values must exit 2 with one line on stderr, no traceback.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from seedref import assert_lines_match, golden_lines

from micrograd.cli import build_parser, config_from_args
from micrograd.train import Trainer

REL = 1e-10


def micrograd(*args, cwd):
    """`python -m micrograd.cli ARGS` with the test's interpreter; (returncode, stdout, stderr)."""
    p = subprocess.run([sys.executable, "-m", "micrograd.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300)
    return p.returncode, p.stdout, p.stderr


def ok(*args, cwd):
    code, out, err = micrograd(*args, cwd=cwd)
    assert code == 0, f"exit {code}: {err}"
    assert err == "", err
    return out


def split_summary(out):
    """(step lines, summary lines): the summary is the two lines after the steps."""
    lines = out.splitlines()
    assert lines[-2].startswith("final loss: ") and lines[-1].startswith("accuracy: "), lines[-2:]
    return lines[:-2], lines[-2:]


def summary_totals(summary):
    # "accuracy: train 73.8% (59/80), val 70.0% (7/10), test 80.0% (8/10)"
    return [int(part.split("/")[1].rstrip("),")) for part in summary[1].split() if "/" in part]


# ---------------------------------------------------------------------- the golden runs


def test_train_prints_the_seed_programs_110_lines_identically_twice(tmp_path):
    out = ok("train", cwd=tmp_path)
    steps, summary = split_summary(out)
    assert_lines_match(steps, golden_lines("seed_output.txt"), rel=REL)
    assert summary_totals(summary) == [80, 10, 10]
    assert ok("train", cwd=tmp_path) == out  # the same bytes on a second run


def test_llm101n_preset_prints_the_courses_run_identically_twice(tmp_path):
    out = ok("train", "--preset", "llm101n", cwd=tmp_path)
    steps, summary = split_summary(out)
    assert_lines_match(steps, golden_lines("llm101n_output.txt"), rel=REL)
    assert summary_totals(summary) == [80, 10, 10]
    assert ok("train", "--preset", "llm101n", cwd=tmp_path) == out


def test_console_script_is_installed(tmp_path):
    script = Path(sys.executable).parent / "micrograd"
    assert script.exists(), f"no console script beside {sys.executable}"
    p = subprocess.run([str(script), "train", "--steps", "1"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    steps, _ = split_summary(p.stdout)
    assert_lines_match(steps, golden_lines("seed_output.txt")[:2], rel=REL)


# ---------------------------------------------------------------------- --quiet, overrides


def test_quiet_prints_only_the_summary(tmp_path):
    loud = ok("train", "--steps", "5", cwd=tmp_path)
    quiet = ok("train", "--steps", "5", "--quiet", cwd=tmp_path)
    _, summary = split_summary(loud)
    assert quiet.splitlines() == summary


def test_explicit_steps_override_the_llm101n_preset(tmp_path):
    steps, _ = split_summary(ok("train", "--preset", "llm101n", "--steps", "3", cwd=tmp_path))
    golden = [g.replace("/100,", "/3,") for g in golden_lines("llm101n_output.txt")[:4]]
    assert [line.split(" loss")[0] for line in steps] == [
        "step 1/3, val",
        "step 1/3, train",
        "step 2/3, train",
        "step 3/3, train",
    ]
    assert_lines_match(steps, golden, rel=REL)


def test_steps_shortens_the_seed_run(tmp_path):
    steps, _ = split_summary(ok("train", "--steps", "12", cwd=tmp_path))
    assert_lines_match(steps, golden_lines("seed_output.txt")[:14], rel=REL)  # 12 train + 2 val lines


def config(*argv):
    return config_from_args(build_parser().parse_args(["train", *argv]))


def test_hidden_8_8_builds_two_hidden_layers(tmp_path):
    tr = Trainer(config("--hidden", "8", "8"))
    assert [len(layer.neurons) for layer in tr.model.layers] == [8, 8, 3]
    steps, _ = split_summary(ok("train", "--hidden", "8", "8", "--steps", "2", cwd=tmp_path))
    assert len([s for s in steps if "train loss" in s]) == 2


def test_flags_override_the_preset():
    cfg = config("--preset", "llm101n", "--hidden", "4", "--optimizer", "sgd", "--lr", "0.5")
    assert (cfg.hidden, cfg.optimizer, cfg.lr) == ([4], "sgd", 0.5)
    assert (cfg.dataset, cfg.init, cfg.style) == ("yinyang", "per-weight", "llm101n")  # the rest stays the preset's
    tr = Trainer(cfg)
    assert [len(layer.neurons) for layer in tr.model.layers] == [4, 3]
    assert type(tr.optimizer).__name__ == "SGD"


# ---------------------------------------------------------------------- every flag of the issue


FLAGS = [
    (["--preset", "seed"], "style", "seed"),
    (["--preset", "llm101n"], "style", "llm101n"),
    (["--dataset", "simple"], "dataset", "simple"),
    (["--dataset", "circles"], "dataset", "circles"),
    (["--dataset", "yinyang"], "dataset", "yinyang"),
    (["--dataset", "moons"], "dataset", "moons"),
    (["--dataset", "spiral"], "dataset", "spiral"),
    (["--n", "50"], "n", 50),
    (["--hidden", "4"], "hidden", [4]),
    (["--hidden", "8", "8"], "hidden", [8, 8]),
    (["--activation", "relu"], "activation", "relu"),
    (["--activation", "tanh"], "activation", "tanh"),
    (["--init", "per-weight"], "init", "per-weight"),
    (["--init", "per-neuron"], "init", "per-neuron"),
    (["--optimizer", "seed-adam"], "optimizer", "seed-adam"),
    (["--optimizer", "adam"], "optimizer", "adam"),
    (["--optimizer", "adamw"], "optimizer", "adamw"),
    (["--optimizer", "sgd"], "optimizer", "sgd"),
    (["--lr", "0.05"], "lr", 0.05),
    (["--beta1", "0.8"], "beta1", 0.8),
    (["--beta2", "0.99"], "beta2", 0.99),
    (["--weight-decay", "0.01"], "weight_decay", 0.01),
    (["--eval-every", "1"], "eval_every", 1),
    (["--eval-every", "0"], "eval_every", 0),
    (["--seed", "7"], "seed", 7),
]


@pytest.mark.parametrize("argv, field, value", FLAGS, ids=[" ".join(f[0]) for f in FLAGS])
def test_every_flag_is_accepted(tmp_path, argv, field, value):
    assert getattr(config(*argv), field) == value
    steps, summary = split_summary(ok("train", *argv, "--steps", "2", cwd=tmp_path))
    assert len([s for s in steps if "train loss" in s]) == 2
    n = value if field == "n" else 100
    assert summary_totals(summary) == [int(0.8 * n), int(0.9 * n) - int(0.8 * n), n - int(0.9 * n)]


def test_eval_every_controls_the_val_lines(tmp_path):
    never, _ = split_summary(ok("train", "--eval-every", "0", "--steps", "3", cwd=tmp_path))
    assert len(never) == 3 and not any("val loss" in s for s in never)
    always, _ = split_summary(ok("train", "--eval-every", "1", "--steps", "3", cwd=tmp_path))
    assert [s.split(",")[1].split()[0] for s in always] == ["val", "train"] * 3


def test_lr_and_weight_decay_zero_leave_the_model_unchanged(tmp_path):
    steps, _ = split_summary(ok("train", "--lr", "0", "--weight-decay", "0", "--steps", "3", "--eval-every", "0", cwd=tmp_path))
    losses = [s.split()[-1] for s in steps]
    assert len(set(losses)) == 1
    assert float(losses[0]) == pytest.approx(float(golden_lines("seed_output.txt")[1].split()[-1]), rel=REL)


def test_seed_and_dataset_change_the_run(tmp_path):
    base = ok("train", "--steps", "2", "--quiet", cwd=tmp_path)
    assert ok("train", "--steps", "2", "--quiet", "--seed", "7", cwd=tmp_path) != base
    assert ok("train", "--steps", "2", "--quiet", "--dataset", "spiral", cwd=tmp_path) != base


def write_csv(path, ncoords=4, nrows=30):
    header = ",".join(f"x{j}" for j in range(ncoords)) + ",label"
    rows = [",".join(str((i * (j + 1)) % 7 - 3.0) for j in range(ncoords)) + f",{i % 3}" for i in range(nrows)]
    path.write_text("\n".join([header, *rows]) + "\n")
    return str(path)


def test_data_csv(tmp_path):
    path = write_csv(tmp_path / "pts.csv")
    assert config("--data", path).data == path
    steps, summary = split_summary(ok("train", "--data", path, "--steps", "2", cwd=tmp_path))
    assert len([s for s in steps if "train loss" in s]) == 2
    assert summary_totals(summary) == [24, 3, 3]
    tr = Trainer(config("--data", path))
    assert tr.model.nin == 4


# ---------------------------------------------------------------------- bad input: exit 2, one line


def malformed_csv(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("x,y,label\n1,2,0\n3,4,1\n5,six,2\n" + "1,1,1\n" * 10)
    return str(path)


BAD = [
    (["train", "--steps", "-1"], "-1"),
    (["train", "--steps", "ten"], "ten"),
    (["train", "--lr", "abc"], "abc"),
    (["train", "--lr", "nan"], "nan"),
    (["train", "--lr", "-1"], "-1"),
    (["train", "--hidden", "0"], "0"),
    (["train", "--hidden", "8", "x"], "x"),
    (["train", "--hidden"], "hidden"),
    (["train", "--n", "5"], "5"),
    (["train", "--beta1", "1.5"], "1.5"),
    (["train", "--eval-every", "-2"], "-2"),
    (["train", "--dataset", "blobs"], "blobs"),
    (["train", "--preset", "gpt2"], "gpt2"),
    (["train", "--optimizer", "rmsprop"], "rmsprop"),
    (["train", "--activation", "gelu"], "gelu"),
    (["train", "--init", "xavier"], "xavier"),
    (["train", "--seed", "1.5"], "1.5"),
    (["train", "--bogus"], "--bogus"),
    (["train", "--data", "missing.csv"], "missing.csv"),
    (["train", "--data", "{bad}"], "line 4"),
    (["train", "--data", "{bad}", "--dataset", "simple"], "--dataset"),
    (["train", "--preset", "llm101n", "--seed", "0"], "nonzero seed"),  # RNG(0): yinyang could never draw
    (["train", "--momentum", "0.9"], "momentum=0.9"),  # seed-adam has no momentum: not silently ignored
    (["train", "--optimizer", "sgd", "--beta2", "0.5"], "beta2=0.5 is used only by"),  # nor SGD betas
    (["fly"], "fly"),
    (["--seed", "1"], "invalid choice"),  # a run flag before any command
    (["train", "--hidden", "8,0x"], "'0x'"),  # the bad item of a comma list, named on its own
]


def test_version(tmp_path):
    import micrograd

    assert ok("--version", cwd=tmp_path) == f"micrograd {micrograd.__version__}\n"


@pytest.mark.parametrize("argv, mentions", BAD, ids=[" ".join(b[0]) or "(none)" for b in BAD])
def test_bad_flags_exit_2_with_one_line(tmp_path, argv, mentions):
    bad = malformed_csv(tmp_path)
    argv = [a.replace("{bad}", bad) for a in argv]
    code, out, err = micrograd(*argv, cwd=tmp_path)
    assert code == 2, (code, out, err)
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert mentions in err, err
    assert out == ""
