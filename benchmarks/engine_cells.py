"""One cell of the engines benchmark: one engine training on one workload, timed step by step.

    python benchmarks/engine_cells.py '{"engine": "scalar", "n": 100, "hidden": 16, "steps": 3, "budget": 2}'

bench_engines.py runs each cell in a fresh process through this script (so its peak RSS,
`ru_maxrss`, is its own), which prints the cell's result as one JSON line. A cell builds the
run from `micrograd.data.simple(RNG(42), n)`, then the model, so every engine starts from the
same data and weights. Engines:
  - seed:        the seed program's own classes (its definitions, loaded by tests/seedref.py
                 without its training loop), stepped as its loop does (GC on, as there)
  - scalar:      micrograd's Trainer (PyTorch's Adam, so it matches torch step by step)
  - tensor:      `make_trainer(TrainConfig(engine="tensor"))`; "n/a" while not importable
  - torch:       float64 nn.Sequential(Linear, Tanh, Linear), F.cross_entropy, torch.optim.Adam
  - torch-loop:  the course's PyTorch twin's structure: a module per neuron, each point
                 forwarded alone, the per-point losses averaged, one backward
"""

import json
import statistics
import sys
import time

import harness  # noqa: F401  (puts this checkout's src/ and tests/ on sys.path)

import micrograd  # noqa: F401  (imported before the baseline RSS, as every engine's cell pays for it)

ENGINES = ("seed", "scalar", "tensor", "torch", "torch-loop")
# the hyperparameters of every Adam here (the seed's values; torch.optim.Adam semantics)
LR, BETAS, EPS, WEIGHT_DECAY = 0.1, (0.9, 0.95), 1e-8, 1e-4
WARM_SECONDS = 2.0  # a first step at least this slow is timed: warm-up effects are lost in it

# ---------------------------------------------------------------------- building each engine's step


def _our_config(n, hidden, engine):
    from micrograd.config import TrainConfig

    # PyTorch's Adam (with L2 weight decay), so that our engines and torch agree step by step
    return TrainConfig(
        n=n,
        hidden=[hidden],
        optimizer="adam",
        lr=LR,
        beta1=BETAS[0],
        beta2=BETAS[1],
        weight_decay=WEIGHT_DECAY,
        eval_every=0,
        steps=10**9,
        engine=engine,
    )


def _setup_seed(n, hidden, seed_program):
    import seedref

    seed = seedref.seed_namespace(42, seed_program)  # the seed's global generator: data first, then the weights
    train, _, _ = seed.gen_data(n)
    model = seed.MLP(2, [hidden, 3])
    Value, nll_loss = seed.Value, seed.nll_loss
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
    from micrograd.train import make_trainer

    trainer = make_trainer(_our_config(n, hidden, engine))

    def step():
        return float(trainer.train_step()["train_loss"])

    info = {"data": [(list(map(float, x)), int(y)) for x, y in trainer.train_split]}
    if engine == "scalar":
        info["trainer"] = trainer
    return step, info


def _initial_weights(n, hidden):
    """Our scalar model's starting weights, per layer: (W as rows of neurons, b)."""
    from micrograd.train import make_trainer

    model = make_trainer(_our_config(n, hidden, "scalar")).model
    return [([[w.data for w in nr.w] for nr in layer.neurons], [nr.b.data for nr in layer.neurons]) for layer in model.layers]


def _setup_torch(n, hidden):
    import torch
    import torch.nn.functional as F
    from torch import nn

    from micrograd import RNG
    from micrograd.data import simple

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

    from micrograd import RNG
    from micrograd.data import simple

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


# ---------------------------------------------------------------------- the process's resources


def _blas_info():
    """The BLAS kernels numpy (and torch) loaded, if threadpoolctl is installed."""
    try:
        import threadpoolctl
    except ImportError:
        return None
    return [
        {k: d.get(k) for k in ("internal_api", "architecture", "num_threads", "prefix")} for d in threadpoolctl.threadpool_info()
    ]


_BLAS_LIMIT = None  # kept alive: threadpoolctl's limit lasts while its object lives


def _limit_blas_threads(threads):
    """Cap the BLAS's threads in this process (the env vars do it for a fresh subprocess)."""
    global _BLAS_LIMIT
    try:
        import threadpoolctl
    except ImportError:
        return
    _BLAS_LIMIT = threadpoolctl.threadpool_limits(threads)


def _maxrss_mb():
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return kb / (1024 * 1024 if sys.platform == "darwin" else 1024)


# ---------------------------------------------------------------------- timing a cell


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
            from micrograd.graph import topo_order

            tr = info["trainer"]
            out["nodes"] = len(topo_order(tr.loss(tr.train_split)))
    except ImportError as e:
        out["error"] = f"not importable ({e})"
    except Exception as e:  # a cell that fails is reported, the others still run
        out["error"] = f"{type(e).__name__}: {e}"
    return out


def run_spec(spec):
    """`run_cell` from the dict bench_engines.py plans (and passes to a cell process as JSON)."""
    return run_cell(
        spec["engine"],
        spec["n"],
        spec["hidden"],
        spec["steps"],
        spec["budget"],
        min_time=spec.get("min_time", 0.0),
        seed_program=spec.get("seed_program"),
        threads=spec.get("threads"),
    )


if __name__ == "__main__":  # a cell process: one spec in (argv), one JSON line out
    print(json.dumps(run_spec(json.loads(sys.argv[1]))))
