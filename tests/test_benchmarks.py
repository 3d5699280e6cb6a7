"""Smoke tests of the benchmarks (micrograd.bench, benchmarks/*.py): they run, print the
expected table, and refuse a wrong result. No timing is asserted (performance targets live
in benchmarks/, not in tests)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd import bench

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "seed_output.txt"
SEED_PROGRAM = ROOT.parent / "shared" / "seed" / "seed_program.py"
if not SEED_PROGRAM.is_file():  # shared/ not beside the repository: the copy kept with the goldens
    SEED_PROGRAM = ROOT / "tests" / "golden" / "seed_program.py"


def run(*args):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, cwd=ROOT)


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
    proc = run(ROOT / "benchmarks" / "bench_engines.py", *TINY, "--same-process", "--markdown", md, "--json", raw)
    assert proc.returncode == 0, proc.stderr
    assert md.read_text() == proc.stdout

    header, body = table_rows(proc.stdout, "train points")
    assert header == ["train points", "hidden", "engine", "steps timed", "median s/step", "speedup vs scalar",
                      "speedup vs torch batched", "peak RSS MB", "RSS growth MB"]
    assert [row[2] for row in body] == [bench.ENGINE_TITLES[e] for e in bench.ENGINES]
    assert all(row[:2] == ["16", "3"] for row in body)  # n=20 -> 16 training points
    for row in body:
        if row[2] == bench.ENGINE_TITLES["tensor"] and row[4].startswith("n/a"):
            continue  # the tensor engine may not exist yet: then it is reported, not fatal
        assert int(row[3]) >= 1 and float(row[4]) > 0, row
        assert row[7:] == ["n/a", "n/a"]  # one process: no per-cell peak memory
    scalar = next(row for row in body if row[2] == bench.ENGINE_TITLES["scalar"])
    assert scalar[5] == "1x"

    # the raw results: the same first loss on every engine (same data, same weights)
    results = json.loads(raw.read_text())
    done = [r for r in results if "error" not in r]
    assert {"seed", "scalar", "torch", "torch-loop"} <= {r["engine"] for r in done}
    firsts = [r["losses"][0] for r in done]
    assert max(firsts) - min(firsts) <= 1e-10 * max(firsts)
    # time per node of the scalar engine is reported with the graph's size
    _, nodes = table_rows(proc.stdout, "scalar engine: train points")
    assert len(nodes) == 1 and int(nodes[0][2]) > 16 * 3


def test_bench_engines_subprocess_cells_report_memory():
    proc = run("-m", "micrograd.cli", "bench", "engines", *TINY, "--engines", "seed", "scalar")
    assert proc.returncode == 0, proc.stderr
    _, body = table_rows(proc.stdout, "train points")
    assert [row[2] for row in body] == [bench.ENGINE_TITLES["seed"], bench.ENGINE_TITLES["scalar"]]
    for row in body:
        peak, growth = float(row[7]), float(row[8])
        assert peak > 1 and 0 <= growth <= peak, row


def test_plan_skips_the_seed_beyond_its_recursion_limit():
    timing = bench.timing_defaults(quick=False)
    cells = bench.plan_cells([100, 1000, 10000], [16], ["seed", "scalar"], timing)
    skipped = {(c["engine"], c["n"]) for c in cells if "skip" in c}
    assert skipped == {("seed", 10000)}
    quick = bench.plan_cells([100, 1000], [16], ["seed", "scalar"], bench.timing_defaults(quick=True), quick=True)
    assert {(c["engine"], c["n"]) for c in quick if "skip" in c} == {("seed", 1000)}


def test_seed_namespace_has_the_classes_but_does_not_train():
    ns = bench.load_seed_namespace(SEED_PROGRAM)
    assert "model" not in ns and "train_split" not in ns  # its module-level run was dropped
    a = ns["Value"](2.0)
    b = a * a + a
    b.backward()
    assert (b.data, a.grad) == (6.0, 5.0)


def test_check_losses_flags_a_mismatch():
    def cell(engine, losses):
        return {"engine": engine, "n": 100, "hidden": 16, "losses": losses, "seconds": [1.0], "median": 1.0}

    good = [cell("scalar", [1.1, 0.9]), cell("torch", [1.1, 0.9 * (1 + 1e-13)]), cell("seed", [1.1, 0.8])]
    assert bench.check_losses(good)[0]
    bad = [cell("scalar", [1.1, 0.9]), cell("torch", [1.1, 0.9 * (1 + 1e-6)])]
    ok, lines = bench.check_losses(bad)
    assert not ok and "MISMATCH" in lines[0]


# ---------------------------------------------------------------------- seed (whole process)


def test_compare_outputs():
    ref = "step 0, val loss 1.0994298259384259\nstep 0, train loss 1.1087629183427195\n"
    ok, msg, worst = bench.compare_outputs(ref, ref + "final loss: ...\n")
    assert ok and worst == 0.0 and "2/2 lines match" in msg
    assert bench.compare_outputs(ref, ref.replace("259\n", "26\n", 1))[0]  # within 1e-10 relative
    ok, msg, _ = bench.compare_outputs(ref, ref.replace("1.1087629183427195", "1.1087629"))
    assert not ok and "line 2" in msg
    ok, msg, _ = bench.compare_outputs(ref, ref.replace("val loss", "train loss"))
    assert not ok and "line 1 differs" in msg
    ok, msg, _ = bench.compare_outputs(ref, ref.splitlines()[0])
    assert not ok and "1 lines" in msg


def _fake_seed(tmp_path, text):
    """A stand-in for the 25-second seed program: prints `text`."""
    (tmp_path / "out.txt").write_text(text)
    prog = tmp_path / "fake_seed.py"
    prog.write_text(f"import sys\nsys.stdout.write(open({str(tmp_path / 'out.txt')!r}).read())\n")
    return prog


def test_bench_seed_times_both_programs_and_checks_the_lines(tmp_path):
    md = tmp_path / "seed.md"
    proc = run(ROOT / "benchmarks" / "bench_seed.py", "--seed-program", _fake_seed(tmp_path, GOLDEN.read_text()),
               "--runs", "1", "--markdown", md)
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
    proc = run(ROOT / "benchmarks" / "bench_seed.py", "--seed-program", _fake_seed(tmp_path, "".join(lines)), "--runs", "1")
    assert proc.returncode == 1
    assert "FAILED" in proc.stdout and "line 51" in proc.stdout


def test_bench_cli_errors_are_one_line():
    for args in (["bench"], ["bench", "engines", "--steps", "0"], ["bench", "seed", "--seed-program", "/no/such.py"],
                 ["bench", "engines", "--markdown", "/no/such/dir/table.md"]):
        proc = run("-m", "micrograd.cli", *args)
        assert proc.returncode == 2, args
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
