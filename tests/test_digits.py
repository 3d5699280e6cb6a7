"""--dataset digits: scikit-learn's bundled 8x8 digits, split and scaled like the other datasets."""

import sys

import pytest

from micrograd import data
from micrograd.rng import RNG

pytest.importorskip("sklearn")  # the `digits` extra (in the `test` extra too)


def test_shape_classes_and_split():
    train, val, test = data.make("digits", RNG(42))
    assert (len(train), len(val), len(test)) == (1437, 180, 180)  # 80/10/10 of 1,797, the seed's int() cuts
    points = train + val + test
    assert all(len(x) == 64 for x, _ in points)
    assert sorted({y for _, y in points}) == list(range(10)) == list(range(data.DATASET_CLASSES["digits"]))
    assert {y for _, y in test} == set(range(10))  # shuffled: the last 10% is not one class
    assert data.DATASET_INPUTS["digits"] == 64 and data.DATASET_POINTS["digits"] == 1797


def test_inputs_are_pixels_over_16():
    from sklearn.datasets import load_digits

    train, val, test = data.digits(RNG(1))
    pixels = [v for x, _ in train + val + test for v in x]
    assert min(pixels) == 0.0 and max(pixels) == 1.0
    raw = sorted(tuple(row) for row in load_digits().data.tolist())
    assert sorted(tuple(v * 16 for v in x) for x, _ in train + val + test) == raw  # every image once, exactly


def test_shuffled_by_the_runs_rng():
    a, b, c = data.digits(RNG(42)), data.digits(RNG(42)), data.digits(RNG(7))
    assert a == b
    assert a[0] != c[0]
    rng = RNG(42)
    data.digits(rng)
    assert rng.state != RNG(42).state  # the draws came from the run's RNG (the weights are drawn after)


def test_n_does_not_apply():
    assert data.digits(RNG(3), 100) == data.digits(RNG(3))


def test_bad_rng_named():
    with pytest.raises(TypeError, match="rng must be a micrograd.RNG, got int"):
        data.digits(42)


def test_missing_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install 'micrograd-llm101n\[digits\]'"):
        data.make("digits", RNG(42))


def test_cli_missing_scikit_learn_exits_2_with_one_line(monkeypatch, capsys):
    from micrograd.cli import main

    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    assert main(["train", "--dataset", "digits", "--steps", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "micrograd-llm101n[digits]" in err[0] and "Traceback" not in err[0]


def test_a_compiled_run_learns_digits():
    from micrograd.config import TrainConfig
    from micrograd.train import fit

    cfg = TrainConfig.preset("llm101n", dataset="digits", hidden=[32], engine="compiled", steps=40, eval_every=0)
    summary = fit(cfg, out=lambda line: None)["summary"]
    assert summary["test"]["correct"] / summary["test"]["total"] > 0.85
