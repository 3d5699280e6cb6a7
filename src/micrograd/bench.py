"""micrograd.bench — the speed benchmarks: against the seed program and against PyTorch.

    micrograd bench seed                  # whole process: `micrograd train` vs the seed program
    micrograd bench engines               # per training step: seed / scalar / tensor / torch
    micrograd bench engines --quick       # a 1-2 minute version (fewer steps, no slow cells)
    python benchmarks/bench_seed.py ...   # the same, from a checkout (see benchmarks/README.md)

Both print a markdown table (`--markdown FILE` also writes it). Nothing here is a timed
test: the numbers are reported, and only *correctness* makes a benchmark fail (exit 1):
a speedup never hides a wrong result.

`seed`: k interleaved runs of each program (default 3), medians, the ratio seed/ours, and
a line-by-line check that ours prints the seed's lines (numbers within 1e-10 relative).

`engines`: one cell per (workload, engine), each in a fresh subprocess (so its peak RSS,
`ru_maxrss`, is its own; the table shows it and its growth over the post-import baseline).
A cell builds the run from `micrograd.data.simple(RNG(42), n)` then the model, so every
engine starts from the same data and weights, takes an untimed warm-up step, then times
at least `--steps` steps and `--min-time` seconds, stopping early once `--budget` seconds
have passed (slow cells time fewer steps; a first step of >= 2 s is timed too). The
table shows wall-clock medians; CPU times are in the JSON and the time-per-node table. Engines:
  - seed:        the seed program's own classes (its file's class/function definitions,
                 exec'd without its training loop), stepped as its loop does (GC on, as there)
  - scalar:      `micrograd.train.Trainer` (Adam, PyTorch's, so it matches torch step by step)
  - tensor:      `make_trainer(TrainConfig(engine="tensor"))`; "n/a" while not importable
  - torch:       float64 nn.Sequential(Linear, Tanh, Linear), F.cross_entropy, torch.optim.Adam
  - torch-loop:  the course's PyTorch twin's structure: a module per neuron, each point
                 forwarded alone, the per-point losses averaged, one backward
The seed engine recurses, so it cannot train on more than ~900 points: those cells are not run.
Every engine's first loss (before any update) must agree to 1e-10 relative, and the Adam
engines' losses pairwise to 1e-9 over their first 20 common steps, else the benchmark exits 1.
"""

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

# ---------------------------------------------------------------------- common

ENGINES = ("seed", "scalar", "tensor", "torch", "torch-loop")
ENGINE_TITLES = {
    "seed": "seed program's engine",
    "scalar": "micrograd scalar",
    "tensor": "micrograd tensor",
    "torch": "PyTorch batched",
    "torch-loop": "PyTorch per-sample",
}
SEED_MAX_POINTS = 960  # the seed's recursive sort: RecursionError at 960 points (hidden 64), 1000 (hidden 16)
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# the hyperparameters of every Adam here (the seed's values; torch.optim.Adam semantics)
LR, BETAS, EPS, WEIGHT_DECAY = 0.1, (0.9, 0.95), 1e-8, 1e-4


def _fmt_s(s):
    """Seconds with 3 significant digits (0.000123, 1.23, 123)."""
    if s is None:
        return "n/a"
    return f"{s:.3g}" if s < 1000 else f"{s:.0f}"


def _fmt_ratio(r):
    if r is None:
        return "n/a"
    if r < 1:
        return f"{r:.2g}x"
    return f"{r:.3g}x" if r < 1000 else f"{r:.0f}x"


def _rel_diff(a, b):
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def default_seed_program():
    """`../shared/seed/seed_program.py` next to the repository (src layout), else from the cwd."""
    repo = Path(__file__).resolve().parents[2]
    for cand in (repo.parent / "shared" / "seed" / "seed_program.py", Path.cwd().parent / "shared" / "seed" / "seed_program.py"):
        if cand.is_file():
            return cand
    return repo.parent / "shared" / "seed" / "seed_program.py"


def _existing_file(s):
    p = Path(s)
    if not p.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {s!r}")
    return p


def _positive_int(s):
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {s!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def _positive_float(s):
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {s!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {s!r}")
    return v


def _write_atomic(path, text):
    """Write `text` to `path` via a temp file in the same directory (never half-written)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _output_file(s):
    """An output path whose directory exists (checked before a long benchmark, not after)."""
    parent = Path(s).resolve().parent
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"directory {str(parent)!r} does not exist (for {s!r})")
    if Path(s).is_dir():
        raise argparse.ArgumentTypeError(f"{s!r} is a directory; give a file name")
    return s


def machine_info(env=None):
    """Lines describing the machine and the libraries (for the table's header)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    env = os.environ if env is None else env
    blas = ", ".join(f"{k}={env[k]}" for k in OPENBLAS_VARS if k in env) or "unset"
    removed = [k for k in OPENBLAS_VARS if k in os.environ and k not in env]
    if removed:
        blas += f" for the benchmarked processes (--unset-openblas-env; this shell has {', '.join(f'{k}={os.environ[k]}' for k in removed)})"
    return [
        f"machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"python {platform.python_version()} ({sys.executable})",
        f"OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE: {blas}",
    ]


# ---------------------------------------------------------------------- seed: whole process


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
            d = _rel_diff(na, nb)
            worst = max(worst, d)
            if not d <= rtol:
                return False, f"line {i}: {nb!r} differs from the reference {na!r} by {d:.2e} relative (> {rtol:g})", d
    return True, f"{len(ref_lines)}/{len(ref_lines)} lines match (max relative difference {worst:.1e})", worst


def ours_command():
    """The `micrograd` console script next to this Python, else `python -m micrograd.cli`."""
    script = Path(sys.executable).with_name("micrograd")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "micrograd.cli"]


def child_env(env=None):
    """`env` (default: ours) with this package's directory first on PYTHONPATH, so that child
    processes import the same micrograd even from an uninstalled checkout."""
    env = dict(os.environ if env is None else env)
    pkg_parent = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([pkg_parent] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


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

    Returns a dict with both commands, their times, the ratio of medians and the check.
    """
    seed_cmd = [sys.executable, str(seed_program)]
    our_cmd = ours_command() + ["train", *train_args]
    env = child_env(env)
    seed_times, our_times, seed_cpu, our_cpu, checks, our_outputs = [], [], [], [], [], []
    for r in range(runs):
        # interleaved, so a slow spell of the machine hits both programs alike
        s, sc, seed_out = _timed_run(seed_cmd, env)
        seed_times.append(s)
        seed_cpu.append(sc)
        o, oc, our_out = _timed_run(our_cmd, env)
        our_times.append(o)
        our_cpu.append(oc)
        our_outputs.append(our_out)
        checks.append(compare_outputs(seed_out, our_out))
        if log:
            log(f"run {r + 1}/{runs}: seed {s:.2f} s, micrograd {o:.3f} s; {checks[-1][1]}")
    ok = all(c[0] for c in checks)
    message = next((c[1] for c in checks if not c[0]), checks[-1][1])
    worst = max((c[2] for c in checks if c[2] is not None), default=None)
    seed_med, our_med = statistics.median(seed_times), statistics.median(our_times)
    return {
        "seed_cmd": seed_cmd,
        "our_cmd": our_cmd,
        "seed_times": seed_times,
        "our_times": our_times,
        "seed_cpu": seed_cpu,
        "our_cpu": our_cpu,
        "ratio": seed_med / our_med,
        "cpu_ratio": statistics.median(seed_cpu) / statistics.median(our_cpu),
        "ok": ok,
        "message": message,
        "max_rel_diff": worst,
        "identical_runs": len(set(our_outputs)) == 1,
    }


def seed_table(res, runs):
    def short(cmd):
        return " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))

    rows = [
        "| program | command | runs | median s | min s | max s | median CPU s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, cmd, times, cpu in (("seed program", res["seed_cmd"], res["seed_times"], res["seed_cpu"]),
                                  ("micrograd train", res["our_cmd"], res["our_times"], res["our_cpu"])):
        rows.append(f"| {name} | `{short(cmd)}` | {runs} | {statistics.median(times):.3f} | {min(times):.3f} | "
                    f"{max(times):.3f} | {statistics.median(cpu):.3f} |")
    lines = rows + [
        "",
        f"**speedup (seed median / micrograd median): {res['ratio']:.1f}x** (target: >= 20x); "
        f"fastest runs: {min(res['seed_times']) / min(res['our_times']):.1f}x; "
        f"CPU time (user+sys, insensitive to other load): {res['cpu_ratio']:.1f}x",
        "",
        f"output check: {'OK' if res['ok'] else 'FAILED'}: {res['message']}; "
        f"micrograd's {runs} outputs {'identical' if res['identical_runs'] else 'NOT identical'}",
    ]
    return lines


# ---------------------------------------------------------------------- engines: building a cell


def load_seed_namespace(path):
    """The seed program's imports, classes and functions (and its global `random`), exec'd
    into a fresh namespace WITHOUT its data, model or training loop (those are module-level
    statements that we drop)."""
    import ast

    source = Path(path).read_text(encoding="utf-8")
    tree = ast.parse(source, str(path))
    keep = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.ClassDef, ast.FunctionDef)):
            keep.append(node)
    module = ast.Module(body=keep, type_ignores=[])
    ns = {"__name__": "seed_program"}
    exec(compile(module, str(path), "exec"), ns)
    for name in ("Value", "RNG", "MLP", "nll_loss", "gen_data"):
        if name not in ns:
            raise ValueError(f"seed program {str(path)!r} defines no {name!r}")
    return ns


def _our_config(n, hidden, engine):
    from .train import TrainConfig

    # PyTorch's Adam (with L2 weight decay), so that our engines and torch agree step by step
    return TrainConfig(n=n, hidden=[hidden], optimizer="adam", lr=LR, beta1=BETAS[0], beta2=BETAS[1],
                       weight_decay=WEIGHT_DECAY, eval_every=0, steps=10**9, engine=engine)


def _setup_seed(n, hidden, seed_program):
    ns = load_seed_namespace(seed_program)
    ns["random"] = ns["RNG"](42)  # the seed's global generator: data first, then the weights
    train, _, _ = ns["gen_data"](n)
    model = ns["MLP"](2, [hidden, 3])
    Value, nll_loss = ns["Value"], ns["nll_loss"]
    params = model.parameters()
    for p in params:
        p.m = 0.0
        p.v = 0.0
    lr, (beta1, beta2), wd = LR, BETAS, WEIGHT_DECAY

    def step():  # the body of the seed's training loop, minus its eval and print
        loss = Value(0)
        for x, y in train:
            logits = model([Value(x[0]), Value(x[1])])
            loss += nll_loss(logits, y)
        loss = loss * (1.0 / len(train))
        loss.backward()
        for p in params:
            p.m = beta1 * p.m + (1 - beta1) * p.grad
            p.v = beta2 * p.v + (1 - beta2) * p.grad**2
            p.data -= lr * p.m / (p.v**0.5 + 1e-8)
            p.data -= wd * p.data
        model.zero_grad()
        return loss.data

    return step, {"data": [(list(x), y) for x, y in train]}


def _setup_ours(n, hidden, engine):
    from .train import make_trainer

    trainer = make_trainer(_our_config(n, hidden, engine))

    def step():
        return float(trainer.train_step()["train_loss"])

    info = {"data": [(list(map(float, x)), int(y)) for x, y in trainer.train_split]}
    if engine == "scalar":
        info["trainer"] = trainer
    return step, info


def _initial_weights(n, hidden):
    """Our scalar model's starting weights, per layer: (W as rows of neurons, b)."""
    from .train import Trainer

    model = Trainer(_our_config(n, hidden, "scalar")).model
    return [([[w.data for w in nr.w] for nr in layer.neurons], [nr.b.data for nr in layer.neurons]) for layer in model.layers]


def _setup_torch(n, hidden):
    import torch
    import torch.nn.functional as F
    from torch import nn

    from .data import simple
    from .rng import RNG

    train, _, _ = simple(RNG(42), n)
    X = torch.tensor([x for x, _ in train], dtype=torch.float64)  # (N, 2)
    Y = torch.tensor([y for _, y in train], dtype=torch.long)  # (N,)
    model = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 3)).to(torch.float64)
    with torch.no_grad():
        for lin, (W, b) in zip((model[0], model[2]), _initial_weights(n, hidden)):
            lin.weight.copy_(torch.tensor(W, dtype=torch.float64))
            lin.bias.copy_(torch.tensor(b, dtype=torch.float64))
    opt = torch.optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS, weight_decay=WEIGHT_DECAY)

    def step():
        loss = F.cross_entropy(model(X), Y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss.item()

    return step, {"data": train}


def _setup_torch_loop(n, hidden):
    """The course's PyTorch twin: one module per neuron, one point at a time."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    from .data import simple
    from .rng import RNG

    class Neuron(nn.Module):
        def __init__(self, w, b, nonlin):
            super().__init__()
            self.w = nn.Parameter(torch.tensor(w, dtype=torch.float64))
            self.b = nn.Parameter(torch.tensor([b], dtype=torch.float64))
            self.nonlin = nonlin

        def forward(self, x):
            act = torch.sum(self.w * x) + self.b
            return act.tanh() if self.nonlin else act

    class Layer(nn.Module):
        def __init__(self, W, b, nonlin):
            super().__init__()
            self.neurons = nn.ModuleList([Neuron(wj, bj, nonlin) for wj, bj in zip(W, b)])

        def forward(self, x):
            return torch.stack([nr(x) for nr in self.neurons], dim=-1)  # (1, nout)

    weights = _initial_weights(n, hidden)
    model = nn.Sequential(*[Layer(W, b, nonlin=i < len(weights) - 1) for i, (W, b) in enumerate(weights)])
    train, _, _ = simple(RNG(42), n)
    opt = torch.optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS, weight_decay=WEIGHT_DECAY)

    def step():
        losses = []
        for x, y in train:  # as the twin: tensors made from the Python lists inside the loop
            logits = model(torch.tensor(x, dtype=torch.float64))
            losses.append(F.cross_entropy(logits, torch.tensor([y])))
        loss = torch.stack(losses).mean()
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss.item()

    return step, {"data": train}


def _blas_info():
    """The BLAS kernels numpy (and torch) loaded, if threadpoolctl is installed."""
    try:
        import threadpoolctl
    except ImportError:
        return None
    return [
        {k: d.get(k) for k in ("internal_api", "architecture", "num_threads", "prefix")}
        for d in threadpoolctl.threadpool_info()
    ]


def _maxrss_mb():
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return kb / (1024 * 1024 if sys.platform == "darwin" else 1024)


WARM_SECONDS = 2.0  # a first step at least this slow is timed: warm-up effects are lost in it


def run_cell(engine, n, hidden, steps, budget, min_time=0.0, seed_program=None, threads=None, max_steps=1000):
    """Build one (engine, workload) cell and time its training steps: at least `steps` steps
    and `min_time` seconds of them (so fast cells get many samples), but stop once `budget`
    seconds have passed (after at least one step) or after `max_steps`. The first step is
    a warm-up (untimed) unless it takes WARM_SECONDS or more. `threads` caps torch's and
    the BLAS's threads.

    Returns {"seconds", "cpu_seconds": per timed step, "median", "cpu_median", "losses": every
    step's train loss (the first is before any update), "rss_base_mb", "rss_peak_mb",
    "nodes" (scalar engine), ...} or {"error": "..."} if the engine is missing or fails.
    """
    out = {"engine": engine, "n": n, "hidden": hidden}
    try:
        # imports first: the baseline RSS is the runtime before any work
        if engine == "tensor":
            import micrograd.tensor  # noqa: F401  (raises ImportError until it exists)
        if engine in ("torch", "torch-loop"):
            import torch

            if threads:
                torch.set_num_threads(threads)
            out["torch_threads"] = torch.get_num_threads()
        if engine in ("tensor", "torch", "torch-loop"):
            if threads:
                _limit_blas_threads(threads)
            out["blas"] = _blas_info()
        out["rss_base_mb"] = _maxrss_mb()
        if engine == "seed":
            step, info = _setup_seed(n, hidden, seed_program)
        elif engine in ("scalar", "tensor"):
            step, info = _setup_ours(n, hidden, engine)
        elif engine == "torch":
            step, info = _setup_torch(n, hidden)
        elif engine == "torch-loop":
            step, info = _setup_torch_loop(n, hidden)
        else:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        out["train_points"] = len(info["data"])
        # wall-clock seconds per step (what a user waits) and this process's CPU seconds (all
        # its threads; for the single-threaded engines it is robust to other load on the machine)
        t_start, c0 = time.perf_counter(), time.process_time()
        losses = [step()]
        first, first_cpu = time.perf_counter() - t_start, time.process_time() - c0
        if first >= WARM_SECONDS:  # a slow cell: its first step is a sample like the others
            seconds, cpu = [first], [first_cpu]
        else:  # a fast one: the first step only warmed up caches, allocators, lazy init
            seconds, cpu = [], []
            t_start = time.perf_counter()
        out["first_step_timed"] = bool(seconds)
        while len(seconds) < max_steps:
            elapsed = time.perf_counter() - t_start
            if seconds and (elapsed >= budget or (len(seconds) >= steps and elapsed >= min_time)):
                break
            t0, c0 = time.perf_counter(), time.process_time()
            loss = step()
            seconds.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            losses.append(loss)
        out["seconds"], out["cpu_seconds"], out["losses"] = seconds, cpu, losses
        out["median"], out["cpu_median"] = statistics.median(seconds), statistics.median(cpu)
        out["rss_peak_mb"] = _maxrss_mb()
        if engine == "scalar":  # graph size, for time per node (untimed)
            from .graph import topo_order

            tr = info["trainer"]
            out["nodes"] = len(topo_order(tr.loss(tr.train_split)))
    except ImportError as e:
        out["error"] = f"not importable ({e})"
    except Exception as e:  # a cell that fails is reported, the others still run
        out["error"] = f"{type(e).__name__}: {e}"
    return out


def _limit_blas_threads(threads):
    """Cap the BLAS's threads in this process (the env vars do it for a fresh subprocess)."""
    try:
        import threadpoolctl
    except ImportError:
        return
    global _BLAS_LIMIT
    _BLAS_LIMIT = threadpoolctl.threadpool_limits(threads)  # kept: the limit lasts while it lives


_BLAS_LIMIT = None


def _run_spec(spec):
    return run_cell(spec["engine"], spec["n"], spec["hidden"], spec["steps"], spec["budget"],
                    min_time=spec.get("min_time", 0.0), seed_program=spec.get("seed_program"),
                    threads=spec.get("threads"))


def _run_cell_subprocess(spec, env):
    cmd = [sys.executable, "-m", "micrograd.bench", "_cell", json.dumps(spec)]
    timeout = max(900.0, 30 * spec["budget"])  # a step may be slow (100 s), but never this slow
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {**{k: spec[k] for k in ("engine", "n", "hidden")}, "error": f"the cell's process took over {timeout:.0f} s; stopped"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return {**{k: spec[k] for k in ("engine", "n", "hidden")}, "error": f"the cell's process failed: {tail}"}
    return json.loads(lines[-1])


# ---------------------------------------------------------------------- engines: the plan


def timing_defaults(quick=False):
    """Timed steps per cell: at least `steps` steps and `min_time` s, stopping at `budget` s."""
    if quick:
        return {"steps": 3, "min_time": 0.5, "budget": 2.0}
    return {"steps": 10, "min_time": 2.0, "budget": 10.0}


def plan_cells(ns, hiddens, engines, timing, quick=False):
    """The cells to run, in order: {engine, n, hidden, **timing}, or with a "skip" reason.
    `timing` is {"steps", "min_time", "budget"} (see `run_cell`)."""
    cells = []
    for n in ns:
        points = int(0.8 * n)
        for h in hiddens:
            for e in engines:
                cell = {"engine": e, "n": n, "hidden": h, **timing}
                if e == "seed" and points > SEED_MAX_POINTS:
                    cell["skip"] = ("not run: the seed's recursive topological sort exceeds Python's recursion limit "
                                    "beyond ~900 training points (RecursionError measured at 960 points/hidden 64 "
                                    "and 1000 points/hidden 16)")
                elif quick and e in ("seed", "torch-loop") and points > 100:
                    cell["skip"] = "skipped by --quick (seconds per step)"
                elif quick and e == "scalar" and points > 1000 and h > 16:
                    cell["skip"] = "skipped by --quick (seconds per step)"
                cells.append(cell)
    return cells


def bench_engines(ns=(100, 1000, 10000), hiddens=(16, 64), engines=ENGINES, timing=None,
                  quick=False, seed_program=None, env=None, same_process=False, threads=None, log=None):
    """Run every cell (each in its own subprocess unless `same_process`); returns the results.
    `threads` caps torch's and the BLAS's threads (default: the libraries' own choice)."""
    env = child_env(env)
    if threads:
        for k in THREAD_VARS:
            env[k] = str(threads)
    results = []
    timing = timing or timing_defaults(quick)
    for cell in plan_cells(ns, hiddens, engines, timing, quick):
        if "skip" in cell:
            res = {k: cell[k] for k in ("engine", "n", "hidden")}
            res["error"] = cell["skip"]
        else:
            spec = {**cell, "seed_program": str(seed_program) if seed_program else None, "threads": threads}
            if same_process:
                res = _run_spec(spec)
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
                log(f"{res['engine']:>10} n={res['n']} hidden={res['hidden']}: {res['median']:.4g} s/step "
                    f"({len(res['seconds'])} steps), peak RSS {res.get('rss_peak_mb', math.nan):.0f} MB")
    return results


def check_losses(results, rtol_first=1e-10, rtol_steps=1e-9, max_steps=20):
    """Correctness across engines, per workload: (ok, lines).

    The first loss (before any update) is the same forward on the same data and weights for
    every engine. The Adam engines (all but the seed, which uses its own update) must agree
    pairwise on the steps both ran, up to `max_steps` (beyond, rounding differences of 1e-16
    are amplified by training itself: ~1e-8 after 200+ steps, in every engine pair).
    """
    from itertools import combinations

    ok, lines = True, []
    workloads = sorted({(r["n"], r["hidden"]) for r in results})
    for n, h in workloads:
        done = [r for r in results if (r["n"], r["hidden"]) == (n, h) and "error" not in r]
        if len(done) < 2:
            continue
        ref = next((r for r in done if r["engine"] == "scalar"), done[0])
        first = max(_rel_diff(ref["losses"][0], r["losses"][0]) for r in done)
        later, compared = 0.0, 0
        for a, b in combinations([r for r in done if r["engine"] != "seed"], 2):
            k = min(len(a["losses"]), len(b["losses"]), max_steps)
            compared = max(compared, k)
            later = max([later] + [_rel_diff(x, y) for x, y in zip(a["losses"][:k], b["losses"][:k])])
        good = first <= rtol_first and later <= rtol_steps
        ok &= good
        lines.append(f"{int(0.8 * n)} points, hidden {h}: first loss {ref['losses'][0]:.12g}, "
                     f"max relative difference {first:.1e} across {len(done)} engines; Adam engines pairwise "
                     f"over their common steps (up to {compared}): {later:.1e} {'OK' if good else 'MISMATCH'}")
    return ok, lines


def engines_table(results):
    """The markdown table: one row per cell, medians and ratios; then time per node."""
    by = {(r["n"], r["hidden"], r["engine"]): r for r in results}

    def med(n, h, e):
        r = by.get((n, h, e))
        return None if r is None or "error" in r else r["median"]

    rows = [
        "| train points | hidden | engine | steps timed | median s/step | speedup vs scalar | speedup vs torch batched | peak RSS MB | RSS growth MB |",
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
        rows.append(f"| {pts} | {h} | {ENGINE_TITLES[e]} | {timed} | {_fmt_s(m)} | {_fmt_ratio(vs_scalar)} | "
                    f"{_fmt_ratio(vs_torch)} | {rss} |")
    lines = rows
    if notes:
        lines += [""] + [f"[{i}] {reason}  " for reason, i in notes.items()]
    # time per node of the scalar engine, and its growth from the smallest workload
    node_rows = [r for r in results if r["engine"] == "scalar" and "error" not in r and r.get("nodes")]
    if node_rows:
        lines += ["", "| scalar engine: train points | hidden | graph nodes | median s/step | us/node | vs smallest | CPU us/node | vs smallest |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for h in sorted({r["hidden"] for r in node_rows}):
            rs = sorted((r for r in node_rows if r["hidden"] == h), key=lambda r: r["n"])
            base, cpu_base = rs[0]["median"] / rs[0]["nodes"], rs[0]["cpu_median"] / rs[0]["nodes"]
            for r in rs:
                per, cpu = r["median"] / r["nodes"], r["cpu_median"] / r["nodes"]
                lines.append(f"| {r['train_points']} | {h} | {r['nodes']} | {_fmt_s(r['median'])} | {per * 1e6:.3g} | "
                             f"{per / base:.2f}x | {cpu * 1e6:.3g} | {cpu / cpu_base:.2f}x |")
        lines += ["", "(time per node = median seconds per step / len(topo_order(loss)); CPU = this process's "
                      "CPU time, which other load on the machine barely moves; target: flat within 1.5x)"]
    return lines


def engines_header(results, env, same_process, quick, timing, load_before=None):
    lines = list(machine_info(env))
    versions = [f"micrograd {_version()}"]
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
    blas = {f"{b['prefix'] or b['internal_api']} ({b['internal_api']}, {b['architecture'] or 'n/a'}, {b['num_threads']} threads)": None
            for r in results for b in (r.get("blas") or [])}
    if blas:
        lines.append("BLAS/OpenMP loaded by the cells (threadpoolctl): " + "; ".join(blas))
    threads = next((r["torch_threads"] for r in results if r.get("torch_threads")), None)
    if threads:
        lines.append(f"torch threads: {threads}")
    lines.append(f"cells: {'one process' if same_process else 'one subprocess each'}; a warm-up step, then timed steps: "
                 f"at least {timing['steps']} and {timing['min_time']:g} s, but no more once {timing['budget']:g} s have passed "
                 f"(slow cells time fewer); a first step of >= {WARM_SECONDS:g} s is timed too, marked (1st){'; --quick' if quick else ''}")
    return [f"- {line}" for line in lines + _load_line(load_before)]


def _load():
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def _load_line(load_before):
    if load_before is None:
        return []
    return [f"load average (1 min) before the run {load_before:.2f}, after it {_load():.2f} (the benchmark itself "
            f"adds about 1; more means other work was competing for the {os.cpu_count()} cores)"]


def _version():
    from . import __version__

    return __version__


# ---------------------------------------------------------------------- command line


def build_parser(prog="micrograd bench"):
    from .cli import _Parser

    parser = _Parser(prog=prog, description="Speed benchmarks: micrograd vs the seed program and PyTorch.")
    sub = parser.add_subparsers(dest="bench", metavar="BENCH", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("seed", help="whole process: `micrograd train` vs the seed program, same run")
    p.add_argument("--seed-program", type=_existing_file, default=None, metavar="PATH",
                   help="the seed program (default: ../shared/seed/seed_program.py next to the repository)")
    p.add_argument("--runs", "-k", type=_positive_int, default=3, help="runs of each program (default 3)")
    p.add_argument("--markdown", type=_output_file, metavar="FILE", help="also write the table to FILE")
    p.add_argument("--unset-openblas-env", action="store_true",
                   help="remove OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE from the benchmarked processes' environment")

    p = sub.add_parser("engines", help="per training step: seed / scalar / tensor / PyTorch engines, side by side")
    p.add_argument("--quick", action="store_true", help="fewer steps, shorter budgets, no slow cells (~1-2 min)")
    p.add_argument("--n", type=_positive_int, nargs="+", default=None, metavar="N",
                   help="dataset sizes (80%% train): default 100 1000 10000 (80/800/8000 train points)")
    p.add_argument("--hidden", type=_positive_int, nargs="+", default=[16, 64], metavar="SIZE", help="hidden sizes (default 16 64)")
    p.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES), metavar="ENGINE",
                   help=f"engines to run (default: all of {', '.join(ENGINES)})")
    d, q = timing_defaults(False), timing_defaults(True)
    p.add_argument("--steps", type=_positive_int, default=None,
                   help=f"timed steps per cell, at least (default {d['steps']}; {q['steps']} with --quick)")
    p.add_argument("--min-time", type=_positive_float, default=None,
                   help=f"seconds of timed steps per cell, at least (default {d['min_time']:g}; {q['min_time']:g} with --quick)")
    p.add_argument("--budget", type=_positive_float, default=None,
                   help=f"seconds after which a cell stops timing, even below --steps (default {d['budget']:g}; {q['budget']:g} with --quick)")
    p.add_argument("--seed-program", type=_existing_file, default=None, metavar="PATH", help="the seed program (for its engine)")
    p.add_argument("--same-process", action="store_true", help="run every cell in this process (no per-cell memory isolation)")
    p.add_argument("--threads", type=_positive_int, default=None,
                   help="cap torch's and the BLAS's threads (default: theirs, one per core); 1 is steadier on a busy machine")
    p.add_argument("--markdown", type=_output_file, metavar="FILE", help="also write the table to FILE")
    p.add_argument("--json", type=_output_file, metavar="FILE", help="also write the raw results (every step's time and loss) to FILE")
    p.add_argument("--unset-openblas-env", action="store_true",
                   help="remove OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE from the cells' environment")
    return parser


def _env(args):
    env = dict(os.environ)
    if args.unset_openblas_env:
        for k in OPENBLAS_VARS:
            env.pop(k, None)
    return env


def _seed_program(args):
    path = args.seed_program or default_seed_program()
    if not Path(path).is_file():
        raise FileNotFoundError(f"seed program not found at {str(path)!r}; pass --seed-program PATH")
    return Path(path)


def _log(msg):
    print(msg, file=sys.stderr, flush=True)


def cmd_seed(args):
    env = _env(args)
    program = _seed_program(args)
    load_before = _load()
    res = bench_seed(program, runs=args.runs, env=env, log=_log)
    lines = ["## micrograd train vs the seed program (whole process)", ""]
    lines += [f"- {line}" for line in machine_info(env) + [f"micrograd {_version()}"] + _load_line(load_before)]
    lines += [f"- command: `{_COMMAND}`", ""]
    lines += seed_table(res, args.runs)
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.markdown:
        _write_atomic(args.markdown, text)
    return 0 if res["ok"] else 1


def cmd_engines(args):
    env = _env(args)
    timing = timing_defaults(args.quick)
    for key in ("steps", "min_time", "budget"):
        if getattr(args, key) is not None:
            timing[key] = getattr(args, key)
    engines = list(dict.fromkeys(args.engines))
    load_before = _load()
    program = None
    if "seed" in engines:
        program = _seed_program(args)
    results = bench_engines(ns=args.n or (100, 1000, 10000), hiddens=args.hidden, engines=engines, timing=timing,
                            quick=args.quick, seed_program=program, env=env,
                            same_process=args.same_process, threads=args.threads, log=_log)
    ok, checks = check_losses(results)
    lines = ["## Engines per training step", ""]
    lines += engines_header(results, env, args.same_process, args.quick, timing, load_before)
    lines += [f"- command: `{_COMMAND}`", ""]
    lines += engines_table(results)
    lines += ["", "Same numbers (losses of the same run on every engine):", ""] + [f"- {c}" for c in checks]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.markdown:
        _write_atomic(args.markdown, text)
    if args.json:
        _write_atomic(args.json, json.dumps(results, indent=1) + "\n")
    return 0 if ok else 1


_COMMAND = "micrograd bench"  # how we were invoked, shown in the table's header


def main(argv=None, prog="micrograd bench", command=None):
    """`micrograd bench seed|engines ...`; returns the exit status.

    `command` is the command line to show in the output (default: prog + argv).
    """
    global _COMMAND
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_cell"]:  # a subprocess running one cell: print its result as JSON
        print(json.dumps(_run_spec(json.loads(argv[1]))))
        return 0
    _COMMAND = command or " ".join([prog, *argv])
    args = build_parser(prog).parse_args(argv)
    try:
        return cmd_seed(args) if args.bench == "seed" else cmd_engines(args)
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
