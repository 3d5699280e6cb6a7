"""Whole-process benchmark: `micrograd train` (the seed run) vs the seed program, same run.

    python benchmarks/bench_seed.py                      # 3 interleaved runs of each, medians, ratio
    python benchmarks/bench_seed.py --runs 5 --markdown seed.md
    python benchmarks/bench_seed.py --seed-program PATH  # default: $MICROGRAD_SEED_PROGRAM, else
                                                         # ../shared/seed/seed_program.py beside the repository

k interleaved runs of each program (so a slow spell of the machine hits both alike), the
medians, the ratio seed/ours, and a line-by-line check that ours prints the seed's 110 lines
(same text, numbers within 1e-10 relative): a mismatch exits 1, so a speedup never hides a
wrong result. Without the seed program, its row and the ratio read "n/a" (with where to get
it), ours is still timed and checked against the seed's recorded output
(tests/golden/seed_output.txt), and the exit status is 0.
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import harness

# ---------------------------------------------------------------------- the output check


def _parse_line(line):
    """('step 3, train loss', 0.48...) for a step line; (line, None) for anything else."""
    head, sep, num = line.rpartition(" ")
    if sep:
        try:
            return head, float(num)
        except ValueError:
            pass
    return line, None


def compare_outputs(reference, ours, rtol=1e-10):
    """Check `ours` starts with `reference`'s lines: same text, numbers within `rtol` relative.

    Returns (ok, message, max relative difference).
    """
    ref_lines = reference.splitlines()
    our_lines = ours.splitlines()
    if not ref_lines:
        return False, "the reference printed nothing", None
    if len(our_lines) < len(ref_lines):
        return False, f"ours printed {len(our_lines)} lines, the reference {len(ref_lines)}", None
    worst = 0.0
    for i, (a, b) in enumerate(zip(ref_lines, our_lines), 1):
        ha, na = _parse_line(a)
        hb, nb = _parse_line(b)
        if ha != hb or (na is None) != (nb is None):
            return False, f"line {i} differs: reference {a!r}, ours {b!r}", None
        if na is not None:
            d = harness.rel_diff(na, nb)
            worst = max(worst, d)
            if not d <= rtol:
                return False, f"line {i}: {nb!r} differs from the reference {na!r} by {d:.2e} relative (> {rtol:g})", d
    return True, f"{len(ref_lines)}/{len(ref_lines)} lines match (max relative difference {worst:.1e})", worst


# ---------------------------------------------------------------------- timing whole processes


def ours_command():
    """The `micrograd` console script next to this Python, else `python -m micrograd.cli`."""
    script = Path(sys.executable).with_name("micrograd")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "micrograd.cli"]


def _children_cpu():
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _timed_run(cmd, env):
    """(wall seconds, CPU seconds (user+sys), stdout) of one run of `cmd`."""
    t0, c0 = time.perf_counter(), _children_cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds, cpu = time.perf_counter() - t0, _children_cpu() - c0
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no stderr)"])[-1]
        raise RuntimeError(f"{' '.join(cmd)} exited with status {proc.returncode}: {tail}")
    return seconds, cpu, proc.stdout


def bench_seed(seed_program, runs=3, train_args=(), env=None, log=None):
    """Time the seed program and `micrograd train` as whole processes, interleaved.

    `seed_program` None: only ours is timed, and checked against the seed's recorded output.
    Returns a dict with both commands, their times, the ratio of medians (None without the
    seed) and the check.
    """
    seed_cmd = [sys.executable, str(seed_program)] if seed_program else None
    our_cmd = ours_command() + ["train", *train_args]
    env = harness.child_env(env)
    recorded = harness.GOLDEN_SEED_OUTPUT.read_text(encoding="utf-8") if seed_program is None else None
    seed_times, our_times, seed_cpu, our_cpu, checks, our_outputs = [], [], [], [], [], []
    for r in range(runs):
        if seed_cmd:
            s, sc, seed_out = _timed_run(seed_cmd, env)
            seed_times.append(s)
            seed_cpu.append(sc)
        else:
            seed_out = recorded
        o, oc, our_out = _timed_run(our_cmd, env)
        our_times.append(o)
        our_cpu.append(oc)
        our_outputs.append(our_out)
        checks.append(compare_outputs(seed_out, our_out))
        if log:
            seed_part = f"seed {s:.2f} s" if seed_cmd else "seed n/a"
            log(f"run {r + 1}/{runs}: {seed_part}, micrograd {o:.3f} s; {checks[-1][1]}")
    ok = all(c[0] for c in checks)
    message = next((c[1] for c in checks if not c[0]), checks[-1][1])
    worst = max((c[2] for c in checks if c[2] is not None), default=None)
    our_med = statistics.median(our_times)
    return {
        "seed_cmd": seed_cmd,
        "our_cmd": our_cmd,
        "seed_times": seed_times,
        "our_times": our_times,
        "seed_cpu": seed_cpu,
        "our_cpu": our_cpu,
        "ratio": statistics.median(seed_times) / our_med if seed_cmd else None,
        "cpu_ratio": statistics.median(seed_cpu) / statistics.median(our_cpu) if seed_cmd else None,
        "ok": ok,
        "message": message,
        "max_rel_diff": worst,
        "identical_runs": len(set(our_outputs)) == 1,
    }


# ---------------------------------------------------------------------- the report


def seed_table(res, runs, seed_missing=None):
    """The markdown table and its verdict lines; `seed_missing`: why the seed's row is n/a."""

    def short(cmd):
        return " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))

    rows = [
        "| program | command | runs | median s | min s | max s | median CPU s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, cmd, times, cpu in (
        ("seed program", res["seed_cmd"], res["seed_times"], res["seed_cpu"]),
        ("micrograd train", res["our_cmd"], res["our_times"], res["our_cpu"]),
    ):
        if not times:
            rows.append(f"| {name} | n/a | - | n/a | n/a | n/a | n/a |")
            continue
        rows.append(
            f"| {name} | `{short(cmd)}` | {runs} | {statistics.median(times):.3f} | {min(times):.3f} | "
            f"{max(times):.3f} | {statistics.median(cpu):.3f} |"
        )
    if res["ratio"] is None:
        speed = f"speedup (seed median / micrograd median): n/a: {seed_missing}"
        against = f"the seed program's recorded output ({harness.GOLDEN_SEED_OUTPUT.relative_to(harness.ROOT)})"
    else:
        speed = (
            f"**speedup (seed median / micrograd median): {res['ratio']:.1f}x** (target: >= 20x); "
            f"fastest runs: {min(res['seed_times']) / min(res['our_times']):.1f}x; "
            f"CPU time (user+sys, insensitive to other load): {res['cpu_ratio']:.1f}x"
        )
        against = "the seed program's output in the same run"
    return rows + [
        "",
        speed,
        "",
        f"output check against {against}: {'OK' if res['ok'] else 'FAILED'}: {res['message']}; "
        f"micrograd's {runs} outputs {'identical' if res['identical_runs'] else 'NOT identical'}",
    ]


def build_parser():
    parser = harness.Parser(
        prog="bench_seed.py", description="Whole process: `micrograd train` vs the seed program, in the same run."
    )
    harness.add_seed_program_flag(parser, "the reference to time and to check against")
    parser.add_argument("--runs", "-k", type=harness.positive_int, default=3, help="runs of each program (default 3)")
    parser.add_argument("--markdown", type=harness.output_file, metavar="FILE", help="also write the report to FILE")
    harness.add_env_flag(parser, "the benchmarked processes'")
    return parser


def run(argv):
    args = build_parser().parse_args(argv)
    env = harness.bench_env(args)
    program, missing = harness.find_seed_program(args.seed_program)
    if missing:
        harness.log(f"bench_seed.py: {missing}")
    load_before = harness.load_average()
    res = bench_seed(program, runs=args.runs, env=env, log=harness.log)
    lines = ["## micrograd train vs the seed program (whole process)", ""]
    lines += [
        f"- {line}"
        for line in harness.machine_info(env) + [f"micrograd {harness.micrograd_version()}"] + harness.load_line(load_before)
    ]
    lines += [f"- seed program: {program if program else 'n/a'}", f"- command: `{harness.command_line(__file__, argv)}`", ""]
    lines += seed_table(res, args.runs, missing)
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.markdown:
        harness.write_atomic(args.markdown, text)
    return 0 if res["ok"] else 1


def main(argv=None):
    return harness.run_main(run, list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
