"""Interrupt-and-resume through the CLI: a real SIGINT/SIGTERM to `micrograd train`, then --resume.

THE property: the stdout lines printed before the interrupt plus the lines printed after
--resume are exactly the uninterrupted run's lines, bit for bit, final summary included.
"""

import json
import os
import signal
import subprocess
import sys

import pytest

STEPS = "40"  # the latest interrupt point (22) leaves the child 17 steps of margin


def cli(*args, cwd):
    """Run `micrograd ...` in a subprocess; (returncode, stdout lines, stderr)."""
    p = subprocess.run([sys.executable, "-m", "micrograd.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout.splitlines(), p.stderr


def interrupt_after(line_prefix, args, cwd, sig=signal.SIGINT):
    """Start `micrograd train ARGS`, send `sig` once a stdout line starts with line_prefix."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # each step line arrives as it is printed
    p = subprocess.Popen(
        [sys.executable, "-m", "micrograd.cli", "train", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines, sent = [], False
    for line in p.stdout:
        lines.append(line.rstrip("\n"))
        if not sent and line.startswith(line_prefix):
            p.send_signal(sig)
            sent = True
    err = p.stderr.read()
    p.wait(timeout=300)
    assert sent, f"never saw {line_prefix!r}; stdout: {lines[-3:]}, stderr: {err}"
    return p.returncode, lines, err


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("full")
    rc, lines, err = cli("train", "--steps", STEPS, cwd=cwd)
    assert rc == 0, err
    return lines


@pytest.mark.parametrize("after", [0, 4, 8, 9, 15, 22])
def test_sigint_then_resume_is_bit_identical(tmp_path, uninterrupted, after):
    rc, before, err = interrupt_after(f"step {after}, train loss", ["--steps", STEPS, "--save", "run.json"], tmp_path)
    assert rc == 130, err
    assert "interrupted by SIGINT" in err and "run.json" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    step = json.loads((tmp_path / "run.json").read_text())["payload"]["step"]
    assert after < step < int(STEPS)  # stopped at a step boundary after the signal, before the end
    assert not any(line.startswith("final loss") for line in before)  # no summary for a cut run
    assert before[-1].startswith(f"step {step - 1}, train loss")

    rc, after_lines, err = cli("train", "--resume", "run.json", cwd=tmp_path)
    assert rc == 0, err
    assert before + after_lines == uninterrupted


def test_sigterm_without_save_goes_to_default_path_and_resumes(tmp_path, uninterrupted):
    rc, before, err = interrupt_after("step 11, train loss", ["--steps", STEPS], tmp_path, sig=signal.SIGTERM)
    assert rc == 130 and "SIGTERM" in err
    path = tmp_path / "micrograd-interrupted.ckpt.json"
    assert path.exists() and str(path.name) in err
    rc, after_lines, err = cli("train", "--resume", path.name, cwd=tmp_path)
    assert rc == 0, err
    assert before + after_lines == uninterrupted


def test_interrupt_resume_extend_and_llm101n_style(tmp_path):
    # the course's preset prints "step i/N": resuming with the same N reproduces it exactly
    rc, full, err = cli("train", "--preset", "llm101n", "--steps", "40", cwd=tmp_path)
    assert rc == 0, err
    rc, before, err = interrupt_after("step 13/40", ["--preset", "llm101n", "--steps", "40", "--save", "c.json"], tmp_path)
    assert rc == 130, err
    rc, after_lines, err = cli("train", "--resume", "c.json", cwd=tmp_path)
    assert rc == 0, err
    assert before + after_lines == full


def test_save_every_and_resume_extends_the_run(tmp_path):
    rc, full, err = cli("train", "--steps", "16", cwd=tmp_path)
    assert rc == 0, err
    rc, first, err = cli("train", "--steps", "10", "--save", "c.json", "--save-every", "4", cwd=tmp_path)
    assert rc == 0, err
    doc = json.loads((tmp_path / "c.json").read_text())
    assert doc["payload"]["step"] == 10  # the final save (after the every-4 ones)
    rc, rest, err = cli("train", "--resume", "c.json", "--steps", "16", cwd=tmp_path)
    assert rc == 0, err
    # the 10-step run's summary is not part of the 16-step run's output
    assert first[:-2] + rest == full


def test_save_every_writes_intermediate_checkpoints(tmp_path, monkeypatch):
    from micrograd import checkpoint
    from micrograd import cli as cli_mod

    seen, real = [], checkpoint.save_trainer

    def spy(path, trainer, history=None, **kw):
        seen.append(trainer.step)
        return real(path, trainer, history, **kw)

    monkeypatch.setattr(checkpoint, "save_trainer", spy)
    rc = cli_mod.main(["train", "--steps", "9", "--save", str(tmp_path / "c.json"), "--save-every", "4", "--quiet"])
    assert rc == 0 and seen == [4, 8, 9]


def test_signal_after_the_last_step_still_saves(tmp_path, monkeypatch):
    from micrograd import cli as cli_mod
    from micrograd import train

    real = train.Trainer.summary

    def summary_with_ctrl_c(self):
        signal.raise_signal(signal.SIGINT)  # arrives while the summary is computed
        return real(self)

    monkeypatch.setattr(train.Trainer, "summary", summary_with_ctrl_c)
    monkeypatch.chdir(tmp_path)
    assert cli_mod.main(["train", "--steps", "3", "--quiet"]) == 130
    doc = json.loads((tmp_path / "micrograd-interrupted.ckpt.json").read_text())
    assert doc["payload"]["step"] == 3
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


def test_an_interrupt_never_replaces_a_file_at_the_default_path(tmp_path, monkeypatch):
    """Someone's file (or another run's interrupted checkpoint) at micrograd-interrupted.ckpt.json is
    kept; this run's state goes to the first free micrograd-interrupted-K.ckpt.json, named on stderr."""
    from micrograd import cli as cli_mod
    from micrograd import train

    real = train.Trainer.summary

    def summary_with_ctrl_c(self):
        signal.raise_signal(signal.SIGINT)
        return real(self)

    monkeypatch.setattr(train.Trainer, "summary", summary_with_ctrl_c)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "micrograd-interrupted.ckpt.json").write_text("my notes, not a checkpoint\n")
    assert cli_mod.main(["train", "--steps", "2", "--quiet"]) == 130
    assert cli_mod.main(["train", "--steps", "3", "--quiet"]) == 130
    assert (tmp_path / "micrograd-interrupted.ckpt.json").read_text() == "my notes, not a checkpoint\n"
    steps = [json.loads((tmp_path / f"micrograd-interrupted-{k}.ckpt.json").read_text())["payload"]["step"] for k in (2, 3)]
    assert steps == [2, 3]  # the second run did not replace the first one's checkpoint


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--lr", "0.05"], "--lr 0.05 conflicts with the checkpoint's lr=0.1"),
        (["--hidden", "8"], "--hidden [8] conflicts"),
        (["--preset", "llm101n"], "--preset llm101n conflicts"),
        (["--steps", "3"], "--steps 3 is before the checkpoint's step 5"),
    ],
)
def test_resume_with_conflicting_flags_exits_2(tmp_path, flags, message):
    rc, _, err = cli("train", "--steps", "5", "--save", "c.json", "--quiet", cwd=tmp_path)
    assert rc == 0, err
    rc, out, err = cli("train", "--resume", "c.json", *flags, cwd=tmp_path)
    assert rc == 2 and out == []
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_resume_with_agreeing_flags_is_fine(tmp_path):
    rc, _, err = cli("train", "--steps", "5", "--save", "c.json", "--quiet", cwd=tmp_path)
    assert rc == 0, err
    rc, out, err = cli("train", "--resume", "c.json", "--lr", "0.1", "--preset", "seed", "--quiet", cwd=tmp_path)
    assert rc == 0, err


def test_resume_a_csv_run_whose_file_moved(tmp_path):
    # the checkpoint keeps the path it was given (here relative); --data may name the file's new place,
    # and the points' fingerprint decides whether it is the same data
    rows = ["x1,x2,label"] + [f"{(i % 7) / 3 - 1},{(i % 5) / 2 - 1},{i % 3}" for i in range(40)]
    (tmp_path / "pts.csv").write_text("\n".join(rows) + "\n")
    rc, full, err = cli("train", "--data", "pts.csv", "--steps", "6", cwd=tmp_path)
    assert rc == 0, err
    rc, _, err = cli("train", "--data", "pts.csv", "--steps", "3", "--save", "c.json", "--quiet", cwd=tmp_path)
    assert rc == 0, err
    (tmp_path / "elsewhere").mkdir()
    os.replace(tmp_path / "pts.csv", tmp_path / "elsewhere" / "pts.csv")
    rc, out, err = cli("train", "--resume", "c.json", "--steps", "6", cwd=tmp_path)
    assert rc == 2 and "pts.csv" in err  # not found where the checkpoint says
    rc, out, err = cli("train", "--resume", "c.json", "--steps", "6", "--data", "elsewhere/pts.csv", cwd=tmp_path)
    assert rc == 0, err
    assert out == [line for line in full if not line.startswith(("step 0", "step 1,", "step 2,"))]
    (tmp_path / "other.csv").write_text("\n".join(rows[:-1] + ["0.5,0.5,1"]) + "\n")
    rc, out, err = cli("train", "--resume", "c.json", "--steps", "6", "--data", "other.csv", cwd=tmp_path)
    assert rc == 2 and "data differ" in err and out == []


@pytest.mark.parametrize(
    "setup, args, message",
    [
        (None, ["train", "--resume", "missing.json"], "no checkpoint file 'missing.json'"),
        ("garbage", ["train", "--resume", "c.json"], "not valid JSON"),
        (None, ["train", "--save-every", "3"], "--save-every 3 needs --save"),
        (None, ["train", "--save", "nodir/c.json"], "does not exist"),
        ("garbage", ["export", "c.json", "--to", "m.pt"], "not valid JSON"),
    ],
)
def test_cli_errors_are_one_line_exit_2(tmp_path, setup, args, message):
    if setup:
        (tmp_path / "c.json").write_text(setup)
    rc, out, err = cli(*args, cwd=tmp_path)
    assert rc == 2 and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_sigint_then_resume_tensor_engine(tmp_path):
    args = ["--steps", "2000", "--engine", "tensor"]  # ~0.5 s of steps: the signal lands mid-run even on a loaded machine
    rc, full, err = cli("train", *args, cwd=tmp_path)
    assert rc == 0, err
    rc, before, err = interrupt_after("step 12, train loss", [*args, "--save", "t.json"], tmp_path)
    assert rc == 130, err
    rc, after_lines, err = cli("train", "--resume", "t.json", cwd=tmp_path)
    assert rc == 0, err
    assert before + after_lines == full


def without_seconds(path):
    with open(path) as f:
        return [{k: v for k, v in json.loads(line).items() if k != "seconds"} for line in f]


def test_sigint_then_resume_log_and_history_equal_the_uninterrupted_runs(tmp_path):
    """The JSONL log (steps with val accuracy, then one summary) and the checkpoint's history (losses,
    accuracy, summary) of a cut-and-resumed run are the uninterrupted run's, all but the timings."""
    rc, _, err = cli("train", "--steps", STEPS, "--log", "full.jsonl", "--save", "full.json", cwd=tmp_path)
    assert rc == 0, err
    rc, _, err = interrupt_after("step 13, train loss", ["--steps", STEPS, "--log", "cut.jsonl", "--save", "cut.json"], tmp_path)
    assert rc == 130, err
    cut = without_seconds(tmp_path / "cut.jsonl")
    assert cut and all("type" not in r for r in cut)  # no summary for a cut run
    rc, _, err = cli(
        "train", "--resume", "cut.json", "--log", "cut.jsonl", "--save", "cut.json", cwd=tmp_path
    )  # appends to the log
    assert rc == 0, err
    full = without_seconds(tmp_path / "full.jsonl")
    assert without_seconds(tmp_path / "cut.jsonl") == full
    assert [r["step"] for r in full if "val_accuracy" in r] == [0, 10, 20, 30, 40] and full[-1]["type"] == "summary"

    def history(name):
        return json.loads((tmp_path / name).read_text())["payload"]["history"]

    assert history("cut.json") == history("full.json")
    assert sorted(history("full.json")) == ["summary", "train_loss", "val_accuracy", "val_loss"]


# ---------------------------------------------------------------------- SIGHUP, and a long step stopped at once


def test_sighup_is_handled_like_sigterm(tmp_path, uninterrupted):
    rc, before, err = interrupt_after("step 6, train loss", ["--steps", STEPS, "--save", "run.json"], tmp_path, sig=signal.SIGHUP)
    assert rc == 130 and "interrupted by SIGHUP" in err and "Traceback" not in err
    rc, after_lines, err = cli("train", "--resume", "run.json", cwd=tmp_path)
    assert rc == 0, err
    assert before + after_lines == uninterrupted


def test_sigterm_stops_a_long_step_at_once_and_saves_the_last_whole_step(tmp_path):
    import time

    from micrograd import checkpoint
    from micrograd.train import TrainConfig, make_trainer

    run = ["--n", "2000", "--hidden", "32,32", "--steps", "3", "--save", "run.json"]  # a scalar step of seconds
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    p = subprocess.Popen(
        [sys.executable, "-m", "micrograd.cli", "train", *run],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in p.stdout:
        if line.startswith("step 0, train loss"):  # step 1 starts now
            break
    time.sleep(0.3)
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=60)
    waited = time.monotonic() - t0
    err = p.stderr.read()
    p.stdout.close()
    p.stderr.close()
    assert rc == 130 and "interrupted by SIGTERM after step 0" in err, err
    assert waited < 2.5, f"SIGTERM waited {waited:.1f} s for the step to end"
    # the checkpoint is the state after the last whole step, bit for bit
    saved = checkpoint.load(tmp_path / "run.json")
    assert saved.step == 1
    tr = make_trainer(TrainConfig.preset("seed", n=2000, hidden=[32, 32], steps=3))
    tr.train_step()
    checkpoint.save_trainer(tmp_path / "whole.json", tr)
    whole = checkpoint.load(tmp_path / "whole.json")
    assert (saved.model, saved.optimizer, saved.rng) == (whole.model, whole.optimizer, whole.rng)
