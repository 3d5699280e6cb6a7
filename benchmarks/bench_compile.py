"""micrograd.compile's benchmark: the compiled engine against the scalar and tensor engines, same run.

    python benchmarks/bench_compile.py               # the table of benchmarks/README.md (~15 s when quiet)
    python benchmarks/bench_compile.py --quick       # seconds: fewer steps, small workloads (a smoke test)
    python benchmarks/bench_compile.py --markdown table.md

Rows (every time a wall-clock median of training steps measured in this one process, so the ratios
compare the same machine state; a step is the trainer's: loss of the training split, backward,
optimizer step, zero_grad; the engines' runs alternate in five blocks each, so a burst of load
from elsewhere lands on all of them alike):
  - the seed workload (80 training points, MLP(2, [16, 3])): scalar (30 steps), tensor and
    compiled (300 steps each) per step;
  - 8,000 training points x hidden 64: tensor and compiled per step (30 steps each; scalar: one
    step, timed once);
  - tracing + compiling the seed model: the compiled engine's first loss call minus a steady one;
  - digits (`--dataset digits`, MLP(64, [32, 10]) written with Value, the llm101n preset at lr
    0.03, 100 steps): the whole `micrograd train` process (start to exit, in a subprocess) with
    the compiled and the tensor engine, the test accuracy it reached (>= 95% is the target),
    and the scalar engine's time per step.
Exit 1 if a compiled run's losses differ from the scalar engine's by more than 1e-12 relative,
or the digits run misses 95% (the speed targets are stated, not enforced: the machine decides).
"""

import argparse
import re
import statistics
import subprocess
import sys
import time

import harness

from micrograd.compile import compile as compile_fn
from micrograd.config import TrainConfig
from micrograd.engines import gc_paused
from micrograd.losses import cross_entropy
from micrograd.train import make_trainer

DIGITS_ARGS = ["--preset", "llm101n", "--dataset", "digits", "--hidden", "32", "--lr", "0.03", "--steps", "100"]


def _trainer(engine, overrides):
    overrides = dict(overrides)
    return make_trainer(TrainConfig.preset(overrides.pop("preset", "seed"), engine=engine, eval_every=0, **overrides))


def _steps(tr, n, times, losses):
    """Run n training steps of trainer `tr`, appending each one's seconds and loss."""
    for _ in range(n):
        t0 = time.perf_counter()
        with gc_paused():
            loss = tr.loss(tr.train_split)
            loss.backward()
            tr.optimizer.step()
            tr.optimizer.zero_grad()
        times.append(time.perf_counter() - t0)
        losses.append(float(loss.data))
        del loss


def step_times(engine, steps, **overrides):
    """(median seconds per training step, the losses) of a fresh run's steps after one warm-up step."""
    return paired_step_times({engine: steps}, rounds=1, **overrides)[engine]


def paired_step_times(steps, rounds=5, **overrides):
    """{engine: (median seconds per step, losses)} for `steps` {engine: its number of steps}: one fresh run
    per engine, its steps after a warm-up step, taken in `rounds` alternating blocks (engine A's block,
    B's, C's, A's again...) so a burst of load from elsewhere lands on every engine alike instead of
    skewing one engine's figure."""
    runs = {e: (_trainer(e, overrides), [], []) for e in steps}
    for tr, _, losses in runs.values():
        _steps(tr, 1, [], losses)  # warm-up: the first step allocates (and compiles) what the others reuse
    for r in range(rounds):
        for e, (tr, times, losses) in runs.items():
            _steps(tr, steps[e] // rounds + (1 if r < steps[e] % rounds else 0), times, losses)
    return {e: (statistics.median(times), losses) for e, (_, times, losses) in runs.items()}


def trace_time(repeats=5):
    """Seconds to trace and compile the seed model's loss: a first call minus a steady call."""
    out = []
    for _ in range(repeats):
        tr = make_trainer(TrainConfig.preset("seed", engine="scalar"))
        model, split = tr.model, tr.train_split
        xs, ys = [x for x, _ in split], [y for _, y in split]
        fn = compile_fn(lambda x, y, model=model: cross_entropy(model(x), y), model.parameters())
        t0 = time.perf_counter()
        fn(xs, ys)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        fn(xs, ys)
        out.append(first - (time.perf_counter() - t0))
    return statistics.median(out)


def digits_process(engine, steps):
    """(wall seconds, test accuracy) of `micrograd train --dataset digits ...` in its own process."""
    args = [sys.executable, "-m", "micrograd.cli", "train", *DIGITS_ARGS[:-1], str(steps), "--engine", engine]
    t0 = time.perf_counter()
    done = subprocess.run(args + ["--eval-every", "0"], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - t0
    test = re.search(r"test ([0-9.]+)%", done.stdout.splitlines()[-1])
    return seconds, float(test.group(1)) / 100


def check_same(a, b, what):
    bad = [(i, x, y) for i, (x, y) in enumerate(zip(a, b)) if abs(x - y) > 1e-12 * max(1.0, abs(x))]
    if bad:  # over the steps both ran
        raise SystemExit(f"bench_compile: {what}: compiled losses differ from the scalar engine's: {bad[:3]}")


def run(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="seconds: few steps, small workloads")
    p.add_argument("--markdown", type=harness.output_file, help="also write the table to this file")
    args = p.parse_args(argv)
    steps = 5 if args.quick else 30
    rows = []
    load_before = harness.load_average()

    harness.log("seed workload: scalar, tensor, compiled in alternating blocks")
    seed = paired_step_times({"scalar": steps, "tensor": 10 * steps, "compiled": 10 * steps})
    check_same(seed["scalar"][1], seed["compiled"][1], "seed workload")
    s, t, c = (seed[e][0] for e in ("scalar", "tensor", "compiled"))
    rows.append(("seed workload (80 points, hidden 16), per step", s, t, c, "compiled >= 30x scalar, <= 2x tensor"))

    n, h = (1000, [16]) if args.quick else (10000, [64])
    harness.log(f"{int(0.8 * n)} points x hidden {h[0]}: tensor, compiled (scalar: one step)")
    big = {
        "scalar": step_times("scalar", 1, n=n, hidden=h),
        **paired_step_times({"tensor": steps, "compiled": steps}, n=n, hidden=h),
    }
    check_same(big["scalar"][1], big["compiled"][1], "big workload")
    s, t, c = (big[e][0] for e in ("scalar", "tensor", "compiled"))
    rows.append((f"{int(0.8 * n):,} points x hidden {h[0]}, per step", s, t, c, "compiled <= 1.5x tensor"))

    harness.log("tracing + compiling the seed model")
    trace = trace_time()

    harness.log("digits: whole processes (compiled, tensor), scalar per step")
    dsteps = 5 if args.quick else 100
    dc, acc_c = digits_process("compiled", dsteps)
    dt, acc_t = digits_process("tensor", dsteps)
    ds, _ = step_times("scalar", 1 if args.quick else 2, preset="llm101n", dataset="digits", hidden=[32], lr=0.03)

    ratio = lambda a, b: harness.fmt_ratio(a / b) if a and b else "n/a"  # noqa: E731
    lines = [
        f"# micrograd.compile benchmark ({'quick' if args.quick else 'full'})",
        "",
        *(f"- {line}" for line in harness.machine_info()),
        f"- {harness.command_line(__file__, argv)}",
        *(f"- {line}" for line in harness.load_line(load_before)),
        "",
        "| workload | scalar | tensor | compiled | scalar / compiled | compiled / tensor | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for what, s, t, c, target in rows:
        lines.append(
            f"| {what} | {harness.fmt_s(s * 1e3)} ms | {harness.fmt_s(t * 1e3)} ms | {harness.fmt_s(c * 1e3)} ms "
            f"| {ratio(s, c)} | {ratio(c, t)} | {target} |"
        )
    lines.append(f"| tracing + compiling the seed model (once) | | | {harness.fmt_s(trace * 1e3)} ms | | | < 500 ms |")
    lines.append(
        f"| digits MLP(64, [32, 10]), {dsteps} steps: whole process | {harness.fmt_s(ds * 1e3)} ms per step "
        f"| {harness.fmt_s(dt)} s, test {acc_t:.1%} | {harness.fmt_s(dc)} s, test {acc_c:.1%} "
        f"| {ratio(ds * dsteps, dc)} (scalar's steps alone) | {ratio(dc, dt)} | >= 95% test accuracy |"
    )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        harness.write_atomic(args.markdown, text)
    if not args.quick and min(acc_c, acc_t) < 0.95:
        print("bench_compile: the digits run missed 95% test accuracy", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(harness.run_main(run, sys.argv[1:]))
