"""Per-training-step benchmark: the seed's engine, micrograd scalar and tensor, PyTorch, same run.

    python benchmarks/bench_engines.py            # the full table (80/800/8000 points x hidden 16/64)
    python benchmarks/bench_engines.py --quick    # ~1-2 minutes: fewer steps, slow cells skipped
    python benchmarks/bench_engines.py --n 100 --hidden 16 --engines scalar torch
    python benchmarks/bench_engines.py --markdown table.md --json raw.json

One cell per (workload, engine), each in a fresh process (engine_cells.py, which says what
each engine is), so its peak RSS is its own; the table shows it and its growth over the
post-import baseline. A cell takes an untimed warm-up step, then times at least `--steps`
steps and `--min-time` seconds, stopping early once `--budget` seconds have passed (slow
cells time fewer steps; a first step of >= 2 s is timed too). The table shows wall-clock
medians and the speedups vs our scalar engine and vs PyTorch batched; CPU times are in the
JSON and the time-per-node table. See benchmarks/README.md for what each column measures.

Correctness, not speed, makes it fail (exit 1): every engine's first loss (before any update)
must agree to 1e-10 relative, and the Adam engines' losses pairwise to 1e-9 over their first
20 common steps. The seed engine recurses, so it cannot train on more than ~900 points: those
cells are not run; without the seed program its cells read "n/a" (with where to get it).
"""

import json
import math
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import harness
from engine_cells import ENGINES, WARM_SECONDS, run_spec

ENGINE_TITLES = {
    "seed": "seed program's engine",
    "scalar": "micrograd scalar",
    "tensor": "micrograd tensor",
    "torch": "PyTorch batched",
    "torch-loop": "PyTorch per-sample",
}
SEED_MAX_POINTS = 960  # the seed's recursive sort: RecursionError at 960 points (hidden 64), 1000 (hidden 16)
CELL_SCRIPT = Path(__file__).resolve().with_name("engine_cells.py")

# ---------------------------------------------------------------------- the plan


def timing_defaults(quick=False):
    """Timed steps per cell: at least `steps` steps and `min_time` s, stopping at `budget` s."""
    if quick:
        return {"steps": 3, "min_time": 0.5, "budget": 2.0}
    return {"steps": 10, "min_time": 2.0, "budget": 10.0}


def plan_cells(ns, hiddens, engines, timing, quick=False, seed_missing=None):
    """The cells to run, in order: {engine, n, hidden, **timing}, or with a "skip" reason.
    `timing` is {"steps", "min_time", "budget"} (see engine_cells.run_cell); `seed_missing`:
    why the seed program is not available (its cells are then skipped with that reason)."""
    cells = []
    for n in ns:
        points = int(0.8 * n)
        for h in hiddens:
            for e in engines:
                cell = {"engine": e, "n": n, "hidden": h, **timing}
                if e == "seed" and points > SEED_MAX_POINTS:
                    cell["skip"] = (
                        "not run: the seed's recursive topological sort exceeds Python's recursion limit "
                        "beyond ~900 training points (RecursionError measured at 960 points/hidden 64 "
                        "and 1000 points/hidden 16)"
                    )
                elif e == "seed" and seed_missing:
                    cell["skip"] = seed_missing
                elif quick and e in ("seed", "torch-loop") and points > 100:
                    cell["skip"] = "skipped by --quick (seconds per step)"
                elif quick and e == "scalar" and points > 1000 and h > 16:
                    cell["skip"] = "skipped by --quick (seconds per step)"
                cells.append(cell)
    return cells


# ---------------------------------------------------------------------- running the cells


def _run_cell_subprocess(spec, env):
    cmd = [sys.executable, str(CELL_SCRIPT), json.dumps(spec)]
    timeout = max(900.0, 30 * spec["budget"])  # a step may be slow (100 s), but never this slow
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {
            **{k: spec[k] for k in ("engine", "n", "hidden")},
            "error": f"the cell's process took over {timeout:.0f} s; stopped",
        }
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return {**{k: spec[k] for k in ("engine", "n", "hidden")}, "error": f"the cell's process failed: {tail}"}
    return json.loads(lines[-1])


def bench_engines(
    ns=(100, 1000, 10000),
    hiddens=(16, 64),
    engines=ENGINES,
    timing=None,
    quick=False,
    seed_program=None,
    seed_missing=None,
    env=None,
    same_process=False,
    threads=None,
    log=None,
):
    """Run every cell (each in its own subprocess unless `same_process`); returns the results.
    `threads` caps torch's and the BLAS's threads (default: the libraries' own choice)."""
    env = harness.child_env(env)
    if threads:
        for k in harness.THREAD_VARS:
            env[k] = str(threads)
    results = []
    timing = timing or timing_defaults(quick)
    for cell in plan_cells(ns, hiddens, engines, timing, quick, seed_missing):
        if "skip" in cell:
            res = {k: cell[k] for k in ("engine", "n", "hidden")}
            res["error"] = cell["skip"]
        else:
            spec = {**cell, "seed_program": str(seed_program) if seed_program else None, "threads": threads}
            if same_process:
                res = run_spec(spec)
                # ru_maxrss is the whole process's high-water mark: meaningless per cell here
                res.pop("rss_base_mb", None)
                res.pop("rss_peak_mb", None)
            else:
                res = _run_cell_subprocess(spec, env)
        results.append(res)
        if log:
            if "error" in res:
                log(f"{res['engine']:>10} n={res['n']} hidden={res['hidden']}: n/a ({res['error']})")
            else:
                log(
                    f"{res['engine']:>10} n={res['n']} hidden={res['hidden']}: {res['median']:.4g} s/step "
                    f"({len(res['seconds'])} steps), peak RSS {res.get('rss_peak_mb', math.nan):.0f} MB"
                )
    return results


def check_losses(results, rtol_first=1e-10, rtol_steps=1e-9, max_steps=20):
    """Correctness across engines, per workload: (ok, lines).

    The first loss (before any update) is the same forward on the same data and weights for
    every engine. The Adam engines (all but the seed, which uses its own update) must agree
    pairwise on the steps both ran, up to `max_steps` (beyond, rounding differences of 1e-16
    are amplified by training itself: ~1e-8 after 200+ steps, in every engine pair).
    """
    ok, lines = True, []
    workloads = sorted({(r["n"], r["hidden"]) for r in results})
    for n, h in workloads:
        done = [r for r in results if (r["n"], r["hidden"]) == (n, h) and "error" not in r]
        if len(done) < 2:
            continue
        ref = next((r for r in done if r["engine"] == "scalar"), done[0])
        first = max(harness.rel_diff(ref["losses"][0], r["losses"][0]) for r in done)
        later, compared = 0.0, 0
        for a, b in combinations([r for r in done if r["engine"] != "seed"], 2):
            k = min(len(a["losses"]), len(b["losses"]), max_steps)
            compared = max(compared, k)
            later = max([later] + [harness.rel_diff(x, y) for x, y in zip(a["losses"][:k], b["losses"][:k])])
        good = first <= rtol_first and later <= rtol_steps
        ok &= good
        lines.append(
            f"{int(0.8 * n)} points, hidden {h}: first loss {ref['losses'][0]:.12g}, "
            f"max relative difference {first:.1e} across {len(done)} engines; Adam engines pairwise "
            f"over their common steps (up to {compared}): {later:.1e} {'OK' if good else 'MISMATCH'}"
        )
    return ok, lines


# ---------------------------------------------------------------------- the report


def engines_table(results):
    """The markdown table: one row per cell, medians and ratios; then time per node."""
    by = {(r["n"], r["hidden"], r["engine"]): r for r in results}

    def med(n, h, e):
        r = by.get((n, h, e))
        return None if r is None or "error" in r else r["median"]

    rows = [
        "| train points | hidden | engine | steps timed | median s/step | speedup vs scalar | speedup vs torch batched "
        "| peak RSS MB | RSS growth MB |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    notes = {}  # reason -> footnote number
    for r in results:
        n, h, e = r["n"], r["hidden"], r["engine"]
        pts = r.get("train_points", int(0.8 * n))
        if "error" in r:
            mark = notes.setdefault(r["error"], len(notes) + 1)
            rows.append(f"| {pts} | {h} | {ENGINE_TITLES[e]} | - | n/a [{mark}] | n/a | n/a | n/a | n/a |")
            continue
        m = r["median"]
        if "rss_peak_mb" in r:
            rss = f"{r['rss_peak_mb']:.0f} | {r['rss_peak_mb'] - r['rss_base_mb']:.0f}"
        else:
            rss = "n/a | n/a"
        vs_scalar = med(n, h, "scalar") / m if med(n, h, "scalar") else None
        vs_torch = med(n, h, "torch") / m if med(n, h, "torch") else None
        timed = f"{len(r['seconds'])}{'' if r.get('first_step_timed') is not True else ' (1st)'}"
        rows.append(
            f"| {pts} | {h} | {ENGINE_TITLES[e]} | {timed} | {harness.fmt_s(m)} | {harness.fmt_ratio(vs_scalar)} | "
            f"{harness.fmt_ratio(vs_torch)} | {rss} |"
        )
    lines = rows
    if notes:
        lines += [""] + [f"[{i}] {reason}  " for reason, i in notes.items()]
    # time per node of the scalar engine, and its growth from the smallest workload
    node_rows = [r for r in results if r["engine"] == "scalar" and "error" not in r and r.get("nodes")]
    if node_rows:
        lines += [
            "",
            "| scalar engine: train points | hidden | graph nodes | median s/step | us/node | vs smallest "
            "| CPU us/node | vs smallest |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for h in sorted({r["hidden"] for r in node_rows}):
            rs = sorted((r for r in node_rows if r["hidden"] == h), key=lambda r: r["n"])
            base, cpu_base = rs[0]["median"] / rs[0]["nodes"], rs[0]["cpu_median"] / rs[0]["nodes"]
            for r in rs:
                per, cpu = r["median"] / r["nodes"], r["cpu_median"] / r["nodes"]
                lines.append(
                    f"| {r['train_points']} | {h} | {r['nodes']} | {harness.fmt_s(r['median'])} | {per * 1e6:.3g} | "
                    f"{per / base:.2f}x | {cpu * 1e6:.3g} | {cpu / cpu_base:.2f}x |"
                )
        lines += [
            "",
            "(time per node = median seconds per step / len(topo_order(loss)); CPU = this process's "
            "CPU time, which other load on the machine barely moves; target: flat within 1.5x)",
        ]
    return lines


def engines_header(results, env, same_process, quick, timing, load_before=None):
    lines = list(harness.machine_info(env))
    versions = [f"micrograd {harness.micrograd_version()}"]
    try:
        import numpy

        versions.append(f"numpy {numpy.__version__}")
    except ImportError:
        pass
    try:
        from importlib.metadata import version

        versions.append(f"torch {version('torch')}")
    except Exception:
        pass
    lines.append(", ".join(versions))
    blas = {
        f"{b['prefix'] or b['internal_api']} ({b['internal_api']}, {b['architecture'] or 'n/a'}, "
        f"{b['num_threads']} threads)": None
        for r in results
        for b in (r.get("blas") or [])
    }
    if blas:
        lines.append("BLAS/OpenMP loaded by the cells (threadpoolctl): " + "; ".join(blas))
    threads = next((r["torch_threads"] for r in results if r.get("torch_threads")), None)
    if threads:
        lines.append(f"torch threads: {threads}")
    lines.append(
        f"cells: {'one process' if same_process else 'one subprocess each'}; a warm-up step, then timed steps: "
        f"at least {timing['steps']} and {timing['min_time']:g} s, but no more once {timing['budget']:g} s have passed "
        f"(slow cells time fewer); a first step of >= {WARM_SECONDS:g} s is timed too, marked (1st){'; --quick' if quick else ''}"
    )
    return [f"- {line}" for line in lines + harness.load_line(load_before)]


# ---------------------------------------------------------------------- command line


def build_parser():
    parser = harness.Parser(
        prog="bench_engines.py",
        description="Per training step: the seed's engine, micrograd scalar/tensor and PyTorch, side by side.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer steps, shorter budgets, no slow cells (~1-2 min)")
    parser.add_argument(
        "--n",
        type=harness.positive_int,
        nargs="+",
        default=None,
        metavar="N",
        help="dataset sizes (80%% train): default 100 1000 10000 (80/800/8000 train points)",
    )
    parser.add_argument(
        "--hidden", type=harness.positive_int, nargs="+", default=[16, 64], metavar="SIZE", help="hidden sizes (default 16 64)"
    )
    parser.add_argument(
        "--engines",
        nargs="+",
        choices=ENGINES,
        default=list(ENGINES),
        metavar="ENGINE",
        help=f"engines to run (default: all of {', '.join(ENGINES)})",
    )
    d, q = timing_defaults(False), timing_defaults(True)
    parser.add_argument(
        "--steps",
        type=harness.positive_int,
        default=None,
        help=f"timed steps per cell, at least (default {d['steps']}; {q['steps']} with --quick)",
    )
    parser.add_argument(
        "--min-time",
        type=harness.positive_float,
        default=None,
        help=f"seconds of timed steps per cell, at least (default {d['min_time']:g}; {q['min_time']:g} with --quick)",
    )
    parser.add_argument(
        "--budget",
        type=harness.positive_float,
        default=None,
        help=f"seconds after which a cell stops timing, even below --steps (default {d['budget']:g}; "
        f"{q['budget']:g} with --quick)",
    )
    harness.add_seed_program_flag(parser, "for its engine's cells")
    parser.add_argument(
        "--same-process", action="store_true", help="run every cell in this process (no per-cell memory isolation)"
    )
    parser.add_argument(
        "--threads",
        type=harness.positive_int,
        default=None,
        help="cap torch's and the BLAS's threads (default: theirs, one per core); 1 is steadier on a busy machine",
    )
    parser.add_argument("--markdown", type=harness.output_file, metavar="FILE", help="also write the table to FILE")
    parser.add_argument(
        "--json", type=harness.output_file, metavar="FILE", help="also write the raw results (every step's time and loss) to FILE"
    )
    harness.add_env_flag(parser, "the cells'")
    return parser


def run(argv):
    args = build_parser().parse_args(argv)
    env = harness.bench_env(args)
    timing = timing_defaults(args.quick)
    for key in ("steps", "min_time", "budget"):
        if getattr(args, key) is not None:
            timing[key] = getattr(args, key)
    engines = list(dict.fromkeys(args.engines))
    load_before = harness.load_average()
    program, missing = harness.find_seed_program(args.seed_program) if "seed" in engines else (None, None)
    if missing:
        harness.log(f"bench_engines.py: {missing}")
    results = bench_engines(
        ns=args.n or (100, 1000, 10000),
        hiddens=args.hidden,
        engines=engines,
        timing=timing,
        quick=args.quick,
        seed_program=program,
        seed_missing=missing,
        env=env,
        same_process=args.same_process,
        threads=args.threads,
        log=harness.log,
    )
    ok, checks = check_losses(results)
    lines = ["## Engines per training step", ""]
    lines += engines_header(results, env, args.same_process, args.quick, timing, load_before)
    lines += [f"- command: `{harness.command_line(__file__, argv)}`", ""]
    lines += engines_table(results)
    checks = checks or ["nothing to compare: fewer than two engines ran on every workload"]
    lines += ["", "Same numbers (losses of the same run on every engine):", ""] + [f"- {c}" for c in checks]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.markdown:
        harness.write_atomic(args.markdown, text)
    if args.json:
        harness.write_atomic(args.json, json.dumps(results, indent=1) + "\n")
    return 0 if ok else 1


def main(argv=None):
    return harness.run_main(run, list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
