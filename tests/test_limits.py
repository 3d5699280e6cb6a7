"""Tests for micrograd.limits: a run is sized before anything is built and refused over the memory limit,
whatever the source of its size (flag, config, checkpoint, CSV file, demo request), with one message naming
the size, the limit and how to raise it; the default runs and the presets stay within it."""

import hashlib
import json
import subprocess
import sys
import time

import pytest

from micrograd import limits
from micrograd.config import PRESETS, TrainConfig
from micrograd.data import DATASETS
from micrograd.engines import ENGINES
from micrograd.train import Trainer

BIG = [("n", 10**9), ("hidden", [10**6]), ("hidden", [4096, 4096, 4096])]


# ---------------------------------------------------------------------- the estimate


def test_parameters_count_weights_and_biases():
    assert limits.parameters(2, [16], 3) == 2 * 16 + 16 + 16 * 3 + 3
    assert limits.parameters(2, [8, 8], 3) == (2 + 1) * 8 + (8 + 1) * 8 + (8 + 1) * 3


@pytest.mark.parametrize("engine", list(ENGINES))
def test_the_estimate_grows_with_every_size(engine):
    base = limits.estimate_bytes(engine, 2, [16], 3, 100)
    assert limits.estimate_bytes(engine, 2, [16], 3, 1000) > base
    assert limits.estimate_bytes(engine, 2, [64], 3, 100) > base
    assert limits.estimate_bytes(engine, 20, [16], 3, 100) > base
    assert limits.estimate_bytes(engine, 2, [16], 30, 100) > base


def test_the_estimate_is_not_below_what_a_scalar_step_takes():
    import gc
    import tracemalloc

    tr = Trainer(TrainConfig(hidden=[16], n=200))
    gc.collect()
    tracemalloc.start()
    loss = tr.loss(tr.train_split)
    loss.backward()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak <= limits.estimate_bytes("scalar", 2, [16], 3, 200)


# ---------------------------------------------------------------------- refused, from every source


@pytest.mark.parametrize("engine", list(ENGINES))
@pytest.mark.parametrize("field, value", BIG)
def test_a_config_over_the_limit_is_refused_at_once(engine, field, value):
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"needs about [\d,]+ MB .*over the limit of 2,048 MB.*--max-memory"):
        TrainConfig(**{field: value, "engine": engine}).validate()
    assert time.perf_counter() - t0 < 1.0


def test_max_memory_is_the_opt_in_to_go_higher():
    cfg = TrainConfig(n=400_000)
    with pytest.raises(ValueError, match="over the limit"):
        cfg.validate()
    need = limits.estimate_bytes("scalar", 2, [16], 3, 400_000)
    TrainConfig(n=400_000, max_memory=need // 2**20 + 1).validate()  # explicitly allowed: no error


def test_max_memory_must_be_a_positive_int():
    with pytest.raises(ValueError, match="max_memory must be >= 1"):
        TrainConfig(max_memory=0).validate()
    with pytest.raises(TypeError, match="max_memory must be an int"):
        TrainConfig(max_memory=2048.0).validate()


@pytest.mark.parametrize("name", list(PRESETS))
@pytest.mark.parametrize("dataset", list(DATASETS))
@pytest.mark.parametrize("engine", list(ENGINES))
def test_presets_and_datasets_are_within_the_limit(name, dataset, engine):
    TrainConfig.preset(name, dataset=dataset, engine=engine)  # validates: no error


def _edited_checkpoint(path, edit):
    """A checkpoint of a 1-step seed run, its config edited by `edit` and its hash made to match."""
    from micrograd import checkpoint
    from micrograd.train import make_trainer

    checkpoint.save_trainer(str(path), make_trainer(TrainConfig(steps=1)), None)
    doc = json.loads(path.read_text())
    edit(doc["payload"]["config"])
    canon = json.dumps(doc["payload"], sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    doc["sha256"] = hashlib.sha256(canon.encode("ascii")).hexdigest()
    path.write_text(json.dumps(doc))
    return str(path)


def test_a_checkpoint_over_the_limit_is_refused_on_load(tmp_path):
    from micrograd import checkpoint

    path = _edited_checkpoint(tmp_path / "run.ckpt.json", lambda cfg: cfg.update(n=10**9))  # crafted or edited
    with pytest.raises(ValueError, match="over the limit"):
        checkpoint.load(path)


def test_an_old_checkpoint_of_a_big_run_loads_with_a_higher_max_memory(tmp_path):
    """A checkpoint saved before --max-memory existed (no field: the 2048 MB default) of a run bigger
    than that: refused by default, naming the flag; loaded (and sized) with --max-memory given."""
    from micrograd import checkpoint

    path = _edited_checkpoint(tmp_path / "old.ckpt.json", lambda cfg: (cfg.pop("max_memory"), cfg.update(n=300_000)))
    with pytest.raises(ValueError, match=r"over the limit of 2,048 MB.*--max-memory"):
        checkpoint.load(path)
    ckpt = checkpoint.load(path, max_memory=4096)
    assert ckpt.config["n"] == 300_000
    with pytest.raises(ValueError, match="over the limit of 100 MB"):
        checkpoint.load(path, max_memory=100)
    run = subprocess.run(
        [sys.executable, "-m", "micrograd", "train", "--resume", path, "--steps", "0"], capture_output=True, text=True
    )
    assert run.returncode == 2 and "--max-memory" in run.stderr and "Traceback" not in run.stderr


def test_a_csv_run_over_the_limit_is_refused_before_its_model_is_built(tmp_path):
    path = tmp_path / "wide.csv"
    cols = 20
    rows = [",".join(f"x{j}" for j in range(cols)) + ",label"]
    rows += [",".join([str(i / 8)] * cols) + f",{i % 3}" for i in range(100)]
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(ValueError, match=r"100 points of 20 coordinates from .*wide.csv.*over the limit of 1 MB"):
        Trainer(TrainConfig(data=str(path), hidden=[64], steps=1, max_memory=1))
    Trainer(TrainConfig(data=str(path), hidden=[64], steps=1, max_memory=100))  # raised: fine


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_split_over_the_limit_is_refused_before_its_graph(engine):
    from micrograd import RNG

    eng = ENGINES[engine]()
    model = eng.build_model(TrainConfig(max_memory=1), 2, 3, RNG(1))
    small = [([i / 10, -i / 10], i % 3) for i in range(10)]
    eng.loss(model, small)  # fine
    big = [([i / 10, -i / 10], i % 3) for i in range(20_000)]
    with pytest.raises(ValueError, match=r"25,000 points .*over the limit of 1 MB"):
        eng.loss(model, big)


def test_a_csv_model_over_the_limit_is_refused_before_it_is_built(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,y,label\n" + "".join(f"{i},{-i},{i % 2}\n" for i in range(20)))
    with pytest.raises(ValueError, match="over the limit"):
        Trainer(TrainConfig(data=str(path), hidden=[2_000_000]))


def test_a_demo_request_over_the_limit_is_refused():
    from micrograd.web.forms import BadRequest, parse_config

    with pytest.raises(BadRequest):
        parse_config({"hidden": [10**6]})


# ---------------------------------------------------------------------- the CLI: exit 2, one line, within a second


@pytest.mark.parametrize("argv", [["--n", "1000000000"], ["--hidden", "1000000"], ["--engine", "tensor", "--n", "1000000000"]])
def test_the_cli_refuses_a_huge_run_with_one_line(argv):
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "micrograd.cli", "train", *argv], capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - t0
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "over the limit of 2,048 MB" in r.stderr and "--max-memory" in r.stderr
    assert elapsed < 5.0  # the interpreter's start included; the check itself is the test above


def test_the_cli_max_memory_flag_raises_the_limit():
    from micrograd.cli import build_parser, config_from_args

    args = build_parser().parse_args(["train", "--n", "400000", "--max-memory", "100000"])
    assert config_from_args(args).max_memory == 100000


@pytest.mark.parametrize(
    "labels, code, text",
    [
        ([0, 1_000_000] * 10, 0, "accuracy:"),  # two classes, a two-output model
        ([5] * 20, 2, "every point has label 5"),
        ([int("9" * 30)] * 20, 2, "every point has label " + "9" * 30),
    ],
)
def test_the_cli_with_big_or_single_labels(tmp_path, capsys, labels, code, text):
    from micrograd.cli import main

    path = tmp_path / "pts.csv"
    path.write_text("x,y,label\n" + "".join(f"{i / 4},{-i / 3},{c}\n" for i, c in enumerate(labels)))
    assert main(["train", "--data", str(path), "--steps", "2", "--quiet"]) == code
    out, err = capsys.readouterr()
    assert text in (out if code == 0 else err)
    if code:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_resume_may_raise_the_memory_limit(tmp_path):
    """--max-memory is a limit, not part of the run's definition: a resumed run may change it."""
    from micrograd.cli import main

    ckpt = tmp_path / "c.json"
    assert main(["train", "--steps", "2", "--quiet", "--save", str(ckpt)]) == 0
    assert main(["train", "--resume", str(ckpt), "--steps", "3", "--quiet", "--max-memory", "4096", "--save", str(ckpt)]) == 0
    assert main(["train", "--resume", str(ckpt), "--steps", "4", "--quiet", "--lr", "0.5"]) == 2  # the run itself may not


def _big_csv(path, rows):
    with open(path, "w") as f:
        f.write("x,y,label\n")
        f.write("0.125,-0.5,0\n0.5,0.25,1\n" * (rows // 2))


def test_a_csv_with_too_many_rows_is_refused_before_it_is_parsed(tmp_path):
    from micrograd import data

    path = tmp_path / "many.csv"
    _big_csv(path, data.MAX_CSV_ROWS + 2)
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"1,000,002 lines after the header, over the limit of 1,000,000 data rows"):
        data.load_csv(str(path))
    assert time.perf_counter() - start < 2.0  # parsing it would take ~10 s


def test_a_csv_run_too_big_for_memory_is_refused_before_the_file_is_parsed(tmp_path, monkeypatch):
    from micrograd import data

    path = tmp_path / "big.csv"
    _big_csv(path, 600_000)  # under the row limit, but ~6 GB on the scalar engine at the seed's model
    monkeypatch.setattr(data, "load_csv", lambda p: pytest.fail("parsed before it was sized"))
    with pytest.raises(ValueError, match=r"600,000 points of 2 coordinates from .*big.csv.*over the limit of 2,048 MB"):
        Trainer(TrainConfig(data=str(path)))


def test_csv_shape_counts_lines_and_header_columns(tmp_path):
    from micrograd import data

    path = tmp_path / "p.csv"
    path.write_text("a,b,c,label\n1,2,3,0\n4,5,6,1")  # no final newline
    assert data.csv_shape(str(path)) == (3, 4)
    path.write_text("")
    assert data.csv_shape(str(path)) == (0, 0)
