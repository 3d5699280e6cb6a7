"""Tests for micrograd.progress and the train flags --log / --progress: the JSONL records,
the bar on stderr only (stdout byte-identical with and without it, on a pipe and on a
terminal), and the bar's absence when stderr is not a terminal."""

import fcntl
import json
import math
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios

import pytest

from micrograd.cli import main
from micrograd.progress import JsonlLogger, ProgressBar, read_jsonl
from micrograd.train import TrainConfig, Trainer, fit

MICROGRAD = [sys.executable, "-m", "micrograd.cli"]


def run(args, **kw):
    return subprocess.run(MICROGRAD + args, capture_output=True, timeout=300, **kw)


# ---------------------------------------------------------------------- JSONL


def test_jsonl_logger_records(tmp_path):
    path = tmp_path / "run.jsonl"
    tr = Trainer(TrainConfig.preset("seed", steps=12, eval_every=5))
    with JsonlLogger(path) as log:
        history = fit(trainer=tr, out=None, callbacks=[log])
    lines = path.read_text().splitlines()
    assert len(lines) == 13  # 12 steps, then the summary
    recs = [json.loads(line) for line in lines]  # each line is a whole JSON object
    steps, summary = recs[:12], recs[12]
    assert summary["type"] == "summary" and summary["step"] == 12  # its contents: the next test
    assert [r["step"] for r in steps] == list(range(12))
    assert [r["train_loss"] for r in steps] == history["train_loss"]
    assert {r["step"]: r["val_loss"] for r in steps if "val_loss" in r} == history["val_loss"]
    assert {r["step"]: r["val_accuracy"] for r in steps if "val_accuracy" in r} == history["val_accuracy"]
    assert [s for s, r in enumerate(steps) if "val_loss" in r] == [0, 5, 10]
    assert all(list(r)[:2] == ["step", "train_loss"] and r["seconds"] > 0 and "type" not in r for r in steps)
    assert list(steps[5]) == ["step", "train_loss", "val_loss", "val_accuracy", "seconds"]
    assert read_jsonl(path) == recs


def test_jsonl_summary_record_is_the_runs_summary(tmp_path):
    path = tmp_path / "run.jsonl"
    tr = Trainer(TrainConfig.preset("seed", steps=4))
    with JsonlLogger(path) as log:
        history = fit(trainer=tr, out=None, callbacks=[log])
    summary = read_jsonl(path)[-1]
    want = {"type": "summary", "step": 4}  # after the last step: x = steps, as every number (micrograd.train)
    for name, s in history["summary"].items():
        want[f"{name}_loss"] = s["loss"]
        want[f"{name}_accuracy"] = s["correct"] / s["total"]
    assert summary == want
    assert list(summary)[:4] == ["type", "step", "train_loss", "train_accuracy"]


def test_jsonl_flushed_each_line_and_nonfinite_as_null(tmp_path):
    path = tmp_path / "run.jsonl"

    class T:
        pass

    log = JsonlLogger(path)
    log(T(), {"step": 0, "train_loss": 0.5, "seconds": 0.1})
    assert json.loads(path.read_text()) == {"step": 0, "train_loss": 0.5, "seconds": 0.1}  # before close
    log(T(), {"step": 1, "train_loss": math.nan, "val_loss": math.inf, "seconds": 0.1})
    log.close()
    assert read_jsonl(path)[1] == {"step": 1, "train_loss": None, "val_loss": None, "seconds": 0.1}
    with pytest.raises(FileNotFoundError, match="cannot write the log .*: output directory .* does not exist"):
        JsonlLogger(tmp_path / "nope" / "x.jsonl")


def test_cli_log_matches_printed_lines(tmp_path, capsys):
    path = tmp_path / "run.jsonl"
    assert main(["train", "--steps", "25", "--log", str(path)]) == 0
    printed = capsys.readouterr().out
    train = {int(s): float(v) for s, v in re.findall(r"^step (\d+), train loss (\S+)$", printed, re.M)}
    val = {int(s): float(v) for s, v in re.findall(r"^step (\d+), val loss (\S+)$", printed, re.M)}
    recs = read_jsonl(path)
    steps = [r for r in recs if "type" not in r]
    assert {r["step"]: r["train_loss"] for r in steps} == train and len(train) == 25
    assert {r["step"]: r["val_loss"] for r in steps if "val_loss" in r} == val and sorted(val) == [0, 10, 20]
    # the summary record is the printed summary (loss to 6 places, accuracy as correct/total)
    assert recs[-1]["type"] == "summary" and recs[-1]["step"] == 25 and len(recs) == 26
    losses = dict(re.findall(r"(\w+) (\d\.\d{6})", re.search(r"^final loss: (.*)$", printed, re.M).group(1)))
    accs = re.findall(r"(\w+) [\d.]+% \((\d+)/(\d+)\)", re.search(r"^accuracy: (.*)$", printed, re.M).group(1))
    assert {k: f"{recs[-1][k + '_loss']:.6f}" for k in losses} == losses and len(losses) == 3
    assert {k: recs[-1][k + "_accuracy"] for k, _, _ in accs} == {k: int(c) / int(t) for k, c, t in accs}


def test_cli_log_of_an_extended_run_has_a_summary_per_part(tmp_path, capsys):
    log, ckpt = str(tmp_path / "run.jsonl"), str(tmp_path / "c.json")
    assert main(["train", "--steps", "4", "--log", log, "--save", ckpt, "--quiet", "--no-progress"]) == 0
    assert main(["train", "--resume", ckpt, "--steps", "6", "--log", log, "--quiet", "--no-progress"]) == 0
    recs = read_jsonl(log)
    assert [(r.get("type", "step"), r["step"]) for r in recs] == [("step", i) for i in range(4)] + [("summary", 4)] + [
        ("step", 4),
        ("step", 5),
        ("summary", 6),
    ]
    assert recs[4]["train_loss"] == recs[5]["train_loss"]  # the summary at x=4 is what step 4 measures first


def test_cli_log_bad_path(tmp_path, capsys):
    assert main(["train", "--steps", "1", "--log", str(tmp_path / "no" / "run.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write the log" in err and "does not exist" in err


# ---------------------------------------------------------------------- progress bar


def test_progress_bar_callback(tmp_path):
    with open(tmp_path / "bar.txt", "w") as f:
        tr = Trainer(TrainConfig.preset("seed", steps=7))
        bar = ProgressBar(tr, file=f, mininterval=0)
        fit(trainer=tr, out=None, callbacks=[bar])
        assert bar.bar is None  # closed itself at the last step
    text = (tmp_path / "bar.txt").read_text()
    assert "7/7" in text and "step/s" in text and re.search(r"loss \d\.\d{4}, val \d\.\d{4}, val acc \d+%", text)


def golden_last_train_loss():
    """The seed program's last train loss, from its recorded output (tests/golden)."""
    path = os.path.join(os.path.dirname(__file__), "golden", "seed_output.txt")
    with open(path) as f:
        return float(re.findall(r"train loss (\S+)", f.read())[-1])


@pytest.mark.slow
def test_progress_goes_to_stderr_only():
    bar = run(["train", "--progress"])
    plain = run(["train", "--no-progress"])
    default = run(["train"])  # stderr is a pipe here: no bar
    assert bar.returncode == plain.returncode == default.returncode == 0
    assert bar.stdout == plain.stdout == default.stdout  # byte for byte
    assert len(plain.stdout.decode().splitlines()) == 112  # the seed's 110 lines + the summary
    err = bar.stderr.decode()
    assert "100/100" in err and "step/s" in err and f"loss {golden_last_train_loss():.4f}" in err
    assert plain.stderr == b"" and default.stderr == b""


def read_pty(fd, proc):
    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the child closed its end
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.parametrize("flag, columns", [(None, 100), (None, 0), ("--no-progress", 100)])
def test_progress_on_a_terminal(flag, columns, tmp_path):
    """stderr on a terminal: the bar shows by default (not with --no-progress), also on a
    terminal that reports no size (columns=0); stdout is unchanged."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24 if columns else 0, columns, 0, 0))
    try:
        proc = subprocess.Popen(
            MICROGRAD + ["train", "--steps", "30"] + ([flag] if flag else []),
            cwd=tmp_path,  # a run that is cut short writes its checkpoint here, not into the repository
            stdout=subprocess.PIPE,
            stderr=slave,
            stdin=subprocess.DEVNULL,
        )
        os.close(slave)
        term = read_pty(master, proc)
        stdout = proc.stdout.read()
        proc.wait(timeout=120)
    finally:
        os.close(master)
    assert proc.returncode == 0
    assert stdout == run(["train", "--steps", "30", "--no-progress"]).stdout
    if flag is None:
        assert "30/30" in term and "step/s" in term and re.search(r"loss \d\.\d{4}, val \d\.\d{4}", term)
    else:
        assert term == ""


def test_without_tqdm_the_bar_is_skipped_unless_asked_for(tmp_path):
    """tqdm is an optional extra: a terminal run without it still trains; --progress says what to install."""
    code = "import sys; sys.modules['tqdm'] = None; from micrograd.cli import main; sys.exit(main(sys.argv[1:]))"
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "train", "--steps", "5"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=slave,
            stdin=subprocess.DEVNULL,
        )
        os.close(slave)
        term = read_pty(master, proc)
        stdout = proc.stdout.read()
        proc.wait(timeout=120)
    finally:
        os.close(master)
    assert proc.returncode == 0 and term == ""
    assert stdout == run(["train", "--steps", "5", "--no-progress"]).stdout
    asked = subprocess.run(
        [sys.executable, "-c", code, "train", "--steps", "5", "--progress"], capture_output=True, text=True, timeout=120
    )
    assert asked.returncode == 2 and asked.stderr.endswith(
        "error: --progress needs tqdm: pip install tqdm (a dependency of micrograd-llm101n)\n"
    )


def test_the_log_never_truncates_a_file_that_is_not_a_log(tmp_path):
    """--log onto the user's CSV (or any file whose first line is not a JSON object) is refused, and the
    file is untouched; an existing log, or an empty file, is written as before."""
    data = tmp_path / "points.csv"
    data.write_text("x,y,label\n1,2,0\n")
    p = run(["train", "--steps", "2", "--quiet", "--log", str(data)], text=True)
    assert p.returncode == 2 and "is not a JSON Lines log" in p.stderr and p.stderr.count("\n") == 1
    assert data.read_text() == "x,y,label\n1,2,0\n"
    log = tmp_path / "run.jsonl"
    for _ in range(2):  # a second run replaces its own log
        assert run(["train", "--steps", "2", "--quiet", "--log", str(log)]).returncode == 0
    assert [json.loads(line).get("type") for line in log.read_text().splitlines()] == [None, None, "summary"]
