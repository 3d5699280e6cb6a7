"""`micrograd check FILE.py`: the grader catches and names each classic bug in the broken learner engines of
tests/fixtures/learners/ (each written with exactly one bug), passes the correct ones and micrograd itself,
reports the seed program's real limits and nothing false, and survives a hang, a crash and a memory bomb."""

import json
import os
from pathlib import Path

import pytest
from seedref import seed_program

from micrograd.check import Report, run_check
from micrograd.check.report import FAIL, LIMIT, PASS, training_row
from micrograd.cli import main

LEARNERS = Path(__file__).resolve().parent / "fixtures" / "learners"
_reports = {}  # one grader run per fixture (each starts a process), shared by the tests below


def report(name, **kw):
    if name not in _reports:
        _reports[name] = run_check(LEARNERS / name, **kw)
    return _reports[name]


def failing(r):
    return {row["name"] for row in r.rows if row["verdict"] == FAIL}


def row_named(r, name):
    row = r.find(name)
    assert row is not None, f"no row {name!r} in {[x['name'] for x in r.rows]}"
    return row


# ---------------------------------------------------------------------- each classic bug, caught and named

# (fixture, the row that must catch it, its op, the verdict, the rows allowed to fail with it)
BUGS = [
    ("bug_add_assign.py", "accumulate: a + a", "add", FAIL, set()),
    (
        "bug_mul_assign.py",
        "accumulate: a * a",
        "mul",
        FAIL,
        {"accumulate: diamond (a*b)*(a+b)", "topological order: shared (a*b + b) * a"},
    ),
    (
        "bug_pow_derivative.py",
        "op: pow 2",
        "pow 2",
        FAIL,
        {"op: pow 3", "op: pow -1", "op: pow -2", "op: pow 0.5", "op: pow 1.5", "op: div", "op: rtruediv"},
    ),
    ("bug_relu_negative.py", "op: relu", "relu", FAIL, set()),
    ("bug_tanh_derivative.py", "op: tanh", "tanh", FAIL, set()),
    ("bug_topo_order.py", "topological order: chain ((a*2)+1)*3", "backward", FAIL, None),
    ("bug_no_zero_grad.py", "training run", "train", FAIL, set()),
    ("bug_set_children.py", "children in a set", "_prev", LIMIT, set()),
    ("bug_recursive_topo.py", "recursion depth", "backward", LIMIT, set()),
    ("bug_no_backward.py", "backward", "backward", FAIL, set()),
]


@pytest.mark.parametrize("fixture, name, op, verdict, others", BUGS, ids=[b[0] for b in BUGS])
def test_each_broken_engine_is_caught_and_named(fixture, name, op, verdict, others):
    r = report(fixture)
    row = row_named(r, name)
    assert (row["verdict"], row["op"]) == (verdict, op), row
    assert row["hint"], "a caught bug comes with a one-line explanation"
    if others is not None:  # nothing else is blamed (one bug, one diagnosis)
        assert failing(r) - {name} <= others
    assert r.exit_status == (1 if verdict == FAIL else 0)  # LIMIT rows do not fail the check


def test_the_failing_row_says_where_and_what():
    relu = row_named(report("bug_relu_negative.py"), "op: relu")
    assert "a=-0.5" in relu["expected"] and "d/da = 0" in relu["expected"] and relu["got"] == "d/da = 1"
    assert "+=" in row_named(report("bug_add_assign.py"), "accumulate: a + a")["hint"]
    assert "reversed" in row_named(report("bug_topo_order.py"), "topological order: chain ((a*2)+1)*3")["hint"]


def test_no_zeroing_shows_the_first_differing_line_and_why():
    row = row_named(report("bug_no_zero_grad.py"), "training run")
    assert row["expected"].startswith("line 4: step 2, train loss") and row["got"].startswith("line 4: step 2, train loss")
    assert "zero_grad" in row["hint"]
    assert row_named(report("full_ok.py"), "training run")["verdict"] == PASS  # the same file with the zero_grad call


def test_recursion_depth_names_the_limit_and_the_seeds():
    row = row_named(report("bug_recursive_topo.py"), "recursion depth")
    depth = int(row["got"].split("deepest chain: ")[1].split()[0])
    assert 100 < depth < 1000 and "the seed's" in row["expected"]
    assert row_named(report("engine_ok.py"), "recursion depth")["verdict"] == PASS  # an explicit stack: no limit


def test_children_in_a_set_is_seen():
    row = row_named(report("bug_set_children.py"), "children in a set")
    assert "_prev" in row["got"] and "order" in row["hint"]


# ---------------------------------------------------------------------- correct engines pass


@pytest.mark.parametrize("fixture", ["engine_ok.py", "full_ok.py", "ours_shim.py"])
def test_correct_engines_pass(fixture):
    r = report(fixture)
    assert r.exit_status == 0 and failing(r) == set() and r.count(LIMIT) == 0, r.format_table()
    assert r.count(PASS) >= 25


def test_a_whole_file_gets_its_model_loss_data_and_training_checked():
    r = report("full_ok.py")
    for name in ("MLP: parameters", "MLP: forward", "nll_loss", "RNG", "gen_data", "zero_grad", "training run"):
        assert row_named(r, name)["verdict"] == PASS, name
    assert "4 lines match" in row_named(r, "training run")["got"]


# ---------------------------------------------------------------------- robust: a hang, a crash, a memory bomb


def test_an_infinite_loop_is_a_timeout_row_not_a_hang():
    r = report("bug_infinite_loop.py", timeout=2)
    assert failing(r) == {"time limit"} and r.seconds < 15
    assert "2 s" in row_named(r, "time limit")["expected"]


def test_a_hang_inside_a_check_names_the_check(tmp_path):
    f = tmp_path / "hangs.py"
    src = (LEARNERS / "engine_ok.py").read_text()
    f.write_text(src.replace("    def relu(self):\n", "    def relu(self):\n        while True:\n            pass\n"))
    r = run_check(f, timeout=3)
    row = row_named(r, "time limit")
    assert row["verdict"] == FAIL and row["op"] == "ops" and "during the check 'ops'" in row["got"]
    assert r.rows[0]["verdict"] == PASS  # the file itself ran


def test_a_syntax_error_is_one_row_with_the_errors_last_line(tmp_path):
    bad = tmp_path / "broken.py"
    bad.write_text("class Value:\n    def __init__(self, data)\n        self.data = data\n")
    r = run_check(bad)
    assert [x["name"] for x in r.rows] == ["run the file"] and r.exit_status == 1
    assert r.rows[0]["got"].startswith("SyntaxError") and "line 2" in r.rows[0]["got"]


def test_a_crash_at_import_shows_their_traceback_line(tmp_path):
    bad = tmp_path / "crash.py"
    bad.write_text("class Value:\n    pass\n\nValue(1) + 2\n")
    r = run_check(bad)
    assert r.rows[0]["verdict"] == FAIL and "TypeError" in r.rows[0]["got"] and "(line 4)" in r.rows[0]["got"]


def test_a_memory_bomb_is_a_memory_limit_row():
    r = report("bug_memory_bomb.py", max_memory=512)
    assert failing(r) == {"memory limit"}


def test_the_class_must_exist(tmp_path):
    f = tmp_path / "other.py"
    f.write_text((LEARNERS / "engine_ok.py").read_text().replace("Value", "Scalar"))
    assert failing(run_check(f)) == {"class Value"}
    assert run_check(f, class_name="Scalar").exit_status == 0


# ---------------------------------------------------------------------- the seed program: its real limits, nothing false


@pytest.mark.slow
def test_the_seed_program_has_no_false_failure_and_its_limits_are_reported():
    r = run_check(seed_program(), timeout=600)
    assert failing(r) == set(), r.format_table()
    assert {x["name"] for x in r.rows if x["verdict"] == LIMIT} == {"backward twice", "recursion depth", "children in a set"}
    assert "110 lines match" in row_named(r, "training run")["got"]
    assert r.exit_status == 0


# ---------------------------------------------------------------------- the report and the training comparison


def test_training_row_compares_numbers_to_1e9_relative():
    ours = ["step 0, val loss 1.0", "step 0, train loss 2.0", "step 1, train loss 1.5"]
    assert training_row("\n".join(["step 0, val loss 1.0000000000001", *ours[1:]]), ours)["verdict"] == PASS
    bad = training_row("hello\nstep 0, val loss 1.0\nstep 0, train loss 2.0\nstep 1, train loss 1.6\n", ours)
    assert bad["verdict"] == FAIL and bad["expected"] == "line 3: step 1, train loss 1.5"  # other prints are not compared
    assert "initial model" in training_row("step 0, val loss 1.1", ours)["hint"]
    assert training_row("no steps here", ours)["verdict"] == "SKIP"


def test_a_course_style_run_is_compared_with_the_llm101n_preset():
    """`step 1/100, ...` lines (the course's final version, EurekaLabsAI/micrograd) are its run, not the seed's:
    compared with what micrograd prints for the llm101n preset, computed here independently."""
    from micrograd.config import TrainConfig
    from micrograd.train import fit

    lines = []
    fit(TrainConfig.preset("llm101n", steps=30), out=lines.append)
    steps = [ln for ln in lines if ln.startswith("step ")]
    ok = training_row("\n".join(["hello", *steps[:12]]))
    assert ok["verdict"] == PASS and "course's final run" in ok["expected"] and "12 lines match" in ok["got"]
    broken = list(steps[:12])
    broken[5] = broken[5].rsplit(" ", 1)[0] + " 0.123"
    bad = training_row("\n".join(broken))
    assert bad["verdict"] == FAIL and bad["got"] == f"line 6: {broken[5]}" and bad["expected"] == f"line 6: {steps[5]}"


def test_report_table_and_json_have_the_same_rows():
    r = report("bug_tanh_derivative.py")
    doc = json.loads(r.to_json())
    assert [c["name"] for c in doc["checks"]] == [x["name"] for x in r.rows]
    assert doc["summary"]["failed"] == 1 and doc["summary"]["exit_status"] == 1 and doc["summary"]["ok"] is False
    table = r.format_table()
    assert "== ops" in table and "== classic bugs" in table and table.splitlines()[-1] == r.summary_line()
    assert isinstance(r, Report) and all(
        set(x) >= {"group", "name", "op", "verdict", "expected", "got", "hint"} for x in doc["checks"]
    )


# ---------------------------------------------------------------------- the command


def test_cli_exit_statuses_and_json(capsys):
    assert main(["check", str(LEARNERS / "ours_shim.py")]) == 0
    assert "every check passed" in capsys.readouterr().out
    assert main(["check", str(LEARNERS / "bug_relu_negative.py"), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)  # one JSON document, nothing else on stdout
    assert [c["name"] for c in doc["checks"] if c["verdict"] == FAIL] == ["op: relu"]


@pytest.mark.parametrize(
    "argv, words",
    [
        (["check", "no_such_file.py"], "no such file"),
        (["check", str(LEARNERS)], "is a directory"),
        (["check", str(LEARNERS / "README.txt")], "not a Python file"),
        (["check", "x.py", "--timeout", "0"], "--timeout"),
        (["check", "x.py", "--max-memory", "10"], "--max-memory"),
        (["check", "x.py", "--class", "not a name"], "identifier"),
    ],
)
def test_cli_bad_input_is_status_2_and_one_line(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "Traceback" not in err and len(err.splitlines()) <= 3  # argparse adds its usage line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_not_a_regular_file(tmp_path, capsys):
    fifo = tmp_path / "engine.py"
    os.mkfifo(fifo)
    assert main(["check", str(fifo)]) == 2  # at once: reading it would block
    assert "is not a regular file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "kw, exc",
    [
        ({"timeout": -1}, ValueError),
        ({"timeout": "1"}, TypeError),
        ({"max_memory": 1.5}, TypeError),
        ({"class_name": ""}, ValueError),
    ],
)
def test_run_check_refuses_bad_arguments(kw, exc):
    with pytest.raises(exc):
        run_check(LEARNERS / "engine_ok.py", **kw)
    with pytest.raises(TypeError, match="path"):
        run_check(3)


# ---------------------------------------------------------------------- nothing of theirs outlives the check


def _running(marker):
    """Processes whose command line mentions `marker` (Linux /proc)."""
    import os

    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(pid)
        except OSError:
            pass
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc to find leftover processes")
def test_a_fork_or_a_thread_in_their_file_does_not_outlive_the_check(tmp_path):
    import time

    src = (LEARNERS / "engine_ok.py").read_text()
    forks = tmp_path / "forks_and_threads.py"
    forks.write_text(
        src
        + "\nimport os, threading, time\n"
        + "threading.Thread(target=time.sleep, args=(60,)).start()  # a non-daemon thread\n"
        + "if os.fork() == 0:\n    time.sleep(60)\n    os._exit(0)\n"
    )
    start = time.monotonic()
    r = run_check(str(forks), timeout=30)
    assert r.exit_status == 0, r.format_table()  # the engine itself is right
    assert time.monotonic() - start < 20  # the thread did not hold the check until its timeout
    time.sleep(0.2)
    assert _running(str(forks)) == []  # the forked child is gone
