"""Smoke tests of the benchmarks (benchmarks/bench_seed.py, benchmarks/bench_engines.py): they
run, print the expected table, refuse a wrong result, and run without the seed program (its
columns "n/a", exit 0). The scripts run as subprocesses, as a user runs them; their pieces
(the output check, the plan, the loss check) are imported from benchmarks/. No timing is
asserted (performance targets live in benchmarks/README.md, not in tests)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import seedref

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_engines  # noqa: E402  (benchmarks/ is not a package: found through the path set above)
import bench_seed  # noqa: E402
from engine_cells import ENGINES  # noqa: E402

GOLDEN = ROOT / "tests" / "golden" / "seed_output.txt"
NO_SEED = {seedref.ENV_VAR: "/no/such/seed_program.py"}  # the environment of a clone with nothing beside it


def run(*args, env=None):
    return subprocess.run(
        [sys.executable, *map(str, args)], capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})}
    )


def table_rows(text, first_header):
    """The rows (lists of cells) of the markdown table whose header starts with `first_header`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header}"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows[0], rows[2:]  # header, body (skipping the alignment row)


# ---------------------------------------------------------------------- engines


TINY = ("--n", "20", "--hidden", "3", "--steps", "1", "--min-time", "0.01", "--budget", "1")


@pytest.mark.slow
def test_bench_engines_tiny_workload_prints_every_engine(tmp_path):
    # --same-process: torch is imported once (its import alone can take seconds)
    md, raw = tmp_path / "table.md", tmp_path / "raw.json"
    proc = run(BENCHMARKS / "bench_engines.py", *TINY, "--same-process", "--markdown", md, "--json", raw)
    assert proc.returncode == 0, proc.stderr
    assert md.read_text() == proc.stdout

    header, body = table_rows(proc.stdout, "train points")
    assert header == [
        "train points",
        "hidden",
        "engine",
        "steps timed",
        "median s/step",
        "speedup vs scalar",
        "speedup vs torch batched",
        "peak RSS MB",
        "RSS growth MB",
    ]
    assert [row[2] for row in body] == [bench_engines.ENGINE_TITLES[e] for e in ENGINES]
    assert all(row[:2] == ["16", "3"] for row in body)  # n=20 -> 16 training points
    seed_found = seedref.find_seed_program()[0] is not None
    torch_found = importlib.util.find_spec("torch") is not None
    torch_titles = [t for e, t in bench_engines.ENGINE_TITLES.items() if e.startswith("torch")]
    for row in body:
        if row[2] == bench_engines.ENGINE_TITLES["seed"] and not seed_found:
            assert row[4].startswith("n/a"), row  # reported, with where to get it (see the test below)
            continue
        if row[2] in torch_titles and not torch_found:
            assert row[4].startswith("n/a"), row  # no torch: its columns are n/a, the rest still runs
            continue
        assert int(row[3]) >= 1 and float(row[4]) > 0, row
        assert row[7:] == ["n/a", "n/a"]  # one process: no per-cell peak memory
    scalar = next(row for row in body if row[2] == bench_engines.ENGINE_TITLES["scalar"])
    assert scalar[5] == "1x"

    # the raw results: the same first loss on every engine (same data, same weights)
    results = json.loads(raw.read_text())
    done = [r for r in results if "error" not in r]
    expected = {"scalar", "tensor"} | ({"torch", "torch-loop"} if torch_found else set()) | ({"seed"} if seed_found else set())
    assert expected == {r["engine"] for r in done}
    firsts = [r["losses"][0] for r in done]
    assert max(firsts) - min(firsts) <= 1e-10 * max(firsts)
    # time per node of the scalar engine is reported with the graph's size
    _, nodes = table_rows(proc.stdout, "scalar engine: train points")
    assert len(nodes) == 1 and int(nodes[0][2]) > 16 * 3


def test_bench_engines_subprocess_cells_report_memory(seed_program_path):
    proc = run(BENCHMARKS / "bench_engines.py", *TINY, "--engines", "seed", "scalar", "--seed-program", seed_program_path)
    assert proc.returncode == 0, proc.stderr
    _, body = table_rows(proc.stdout, "train points")
    assert [row[2] for row in body] == [bench_engines.ENGINE_TITLES["seed"], bench_engines.ENGINE_TITLES["scalar"]]
    for row in body:
        peak, growth = float(row[7]), float(row[8])
        assert peak > 1 and 0 <= growth <= peak, row
    assert "first loss 1.10749716125, max relative difference" in proc.stdout and "across 2 engines" in proc.stdout


def test_bench_engines_without_the_seed_program_reports_why_and_runs_the_rest():
    proc = run(BENCHMARKS / "bench_engines.py", *TINY, "--engines", "seed", "scalar", env=NO_SEED)
    assert proc.returncode == 0, proc.stderr
    _, body = table_rows(proc.stdout, "train points")
    seed_row, scalar_row = body
    assert seed_row[4] == "n/a [1]" and float(scalar_row[4]) > 0
    note = next(line for line in proc.stdout.splitlines() if line.startswith("[1] "))
    assert "MICROGRAD_SEED_PROGRAM=/no/such/seed_program.py is not a file" in note
    assert "EurekaLabsAI/micrograd at commit a582b5d (`micrograd.py`)" in note
    assert "nothing to compare" in proc.stdout  # one engine ran: no loss check, and no failure


def test_plan_skips_the_seed_beyond_its_recursion_limit():
    timing = bench_engines.timing_defaults(quick=False)
    cells = bench_engines.plan_cells([100, 1000, 10000], [16], ["seed", "scalar"], timing)
    skipped = {(c["engine"], c["n"]) for c in cells if "skip" in c}
    assert skipped == {("seed", 10000)}
    quick = bench_engines.plan_cells([100, 1000], [16], ["seed", "scalar"], bench_engines.timing_defaults(quick=True), quick=True)
    assert {(c["engine"], c["n"]) for c in quick if "skip" in c} == {("seed", 1000)}
    missing = bench_engines.plan_cells([100], [16, 64], ["seed", "scalar"], timing, seed_missing="no seed here")
    assert [(c["engine"], c.get("skip")) for c in missing] == [("seed", "no seed here"), ("scalar", None)] * 2


def test_seed_namespace_has_the_classes_but_does_not_train():
    ns = seedref.seed_namespace(42).globals  # skips without the seed program
    assert "model" not in ns and "train_split" not in ns  # its module-level run was dropped
    a = ns["Value"](2.0)
    b = a * a + a
    b.backward()
    assert (b.data, a.grad) == (6.0, 5.0)


def test_check_losses_flags_a_mismatch():
    def cell(engine, losses):
        return {"engine": engine, "n": 100, "hidden": 16, "losses": losses, "seconds": [1.0], "median": 1.0}

    good = [cell("scalar", [1.1, 0.9]), cell("torch", [1.1, 0.9 * (1 + 1e-13)]), cell("seed", [1.1, 0.8])]
    assert bench_engines.check_losses(good)[0]
    bad = [cell("scalar", [1.1, 0.9]), cell("torch", [1.1, 0.9 * (1 + 1e-6)])]
    ok, lines = bench_engines.check_losses(bad)
    assert not ok and "MISMATCH" in lines[0]


# ---------------------------------------------------------------------- seed (whole process)


def test_compare_outputs():
    ref = "step 0, val loss 1.0994298259384259\nstep 0, train loss 1.1087629183427195\n"
    ok, msg, worst = bench_seed.compare_outputs(ref, ref + "final loss: ...\n")
    assert ok and worst == 0.0 and "2/2 lines match" in msg
    assert bench_seed.compare_outputs(ref, ref.replace("259\n", "26\n", 1))[0]  # within 1e-10 relative
    ok, msg, _ = bench_seed.compare_outputs(ref, ref.replace("1.1087629183427195", "1.1087629"))
    assert not ok and "line 2" in msg
    ok, msg, _ = bench_seed.compare_outputs(ref, ref.replace("val loss", "train loss"))
    assert not ok and "line 1 differs" in msg
    ok, msg, _ = bench_seed.compare_outputs(ref, ref.splitlines()[0])
    assert not ok and "1 lines" in msg


def _fake_seed(tmp_path, text):
    """A stand-in for the 25-second seed program: prints `text`."""
    (tmp_path / "out.txt").write_text(text)
    prog = tmp_path / "fake_seed.py"
    prog.write_text(f"import sys\nsys.stdout.write(open({str(tmp_path / 'out.txt')!r}).read())\n")
    return prog


def test_bench_seed_times_both_programs_and_checks_the_lines(tmp_path):
    md = tmp_path / "seed.md"
    proc = run(
        BENCHMARKS / "bench_seed.py", "--seed-program", _fake_seed(tmp_path, GOLDEN.read_text()), "--runs", "1", "--markdown", md
    )
    assert proc.returncode == 0, proc.stderr
    header, body = table_rows(proc.stdout, "program")
    assert header == ["program", "command", "runs", "median s", "min s", "max s", "median CPU s"]
    assert [row[0] for row in body] == ["seed program", "micrograd train"]
    assert all(float(row[3]) > 0 and float(row[6]) > 0 for row in body)
    assert "110/110 lines match" in proc.stdout and "speedup (seed median / micrograd median)" in proc.stdout
    assert md.read_text() == proc.stdout


def test_bench_seed_fails_when_ours_prints_other_numbers(tmp_path):
    lines = GOLDEN.read_text().splitlines(keepends=True)
    head, num = lines[50].rsplit(" ", 1)
    lines[50] = f"{head} {float(num) * (1 + 1e-8)!r}\n"  # the seed "printed" a different loss
    proc = run(BENCHMARKS / "bench_seed.py", "--seed-program", _fake_seed(tmp_path, "".join(lines)), "--runs", "1")
    assert proc.returncode == 1
    assert "FAILED" in proc.stdout and "line 51" in proc.stdout


def test_bench_seed_without_the_seed_program_checks_the_recorded_output():
    proc = run(BENCHMARKS / "bench_seed.py", "--runs", "1", env=NO_SEED)
    assert proc.returncode == 0, proc.stderr
    _, body = table_rows(proc.stdout, "program")
    assert body[0] == ["seed program", "n/a", "-", "n/a", "n/a", "n/a", "n/a"] and float(body[1][3]) > 0
    assert "speedup (seed median / micrograd median): n/a: the seed program is not available" in proc.stdout
    assert "recorded output (tests/golden/seed_output.txt): OK: 110/110 lines match" in proc.stdout


def test_bench_errors_are_one_line():
    for script, args in (
        ("bench_engines.py", ["--steps", "0"]),
        ("bench_engines.py", ["--engines", "nope"]),
        ("bench_seed.py", ["--seed-program", "/no/such.py"]),
        ("bench_engines.py", ["--markdown", "/no/such/dir/table.md"]),
        ("bench_seed.py", ["--runs", "x"]),
    ):
        proc = run(BENCHMARKS / script, *args)
        assert proc.returncode == 2, (script, args)
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr


# ---------------------------------------------------------------------- where the seed program is found


def test_find_seed_program_order_and_reasons(tmp_path, monkeypatch):
    given = tmp_path / "seed.py"
    given.write_text("# a stand-in\n")
    assert seedref.find_seed_program({seedref.ENV_VAR: str(given)}) == (given.resolve(), None)
    path, reason = seedref.find_seed_program({seedref.ENV_VAR: str(tmp_path / "missing.py")})
    assert path is None and "is not a file" in reason and "a582b5d" in reason and "\n" not in reason
    # unset: ../shared/seed/seed_program.py beside the repository, if there
    monkeypatch.setattr(seedref, "BESIDE", given)
    assert seedref.find_seed_program({}) == (given, None)
    monkeypatch.setattr(seedref, "BESIDE", tmp_path / "nothing.py")
    path, reason = seedref.find_seed_program({})
    assert path is None and "MICROGRAD_SEED_PROGRAM is not set" in reason and "EurekaLabsAI/micrograd" in reason


def test_a_test_needing_the_missing_seed_program_is_skipped_with_the_reason(monkeypatch):
    monkeypatch.setenv(seedref.ENV_VAR, "/no/such/seed_program.py")
    with pytest.raises(pytest.skip.Exception, match="EurekaLabsAI/micrograd at commit a582b5d"):
        seedref.seed_rng(42)
