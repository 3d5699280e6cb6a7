"""Per-training-step benchmark: the seed's engine, micrograd scalar and tensor, PyTorch.

    python benchmarks/bench_engines.py            # the full table (80/800/8000 points x hidden 16/64)
    python benchmarks/bench_engines.py --quick    # ~1-2 minutes: fewer steps, slow cells skipped
    python benchmarks/bench_engines.py --n 100 --hidden 16 --engines scalar torch
    python benchmarks/bench_engines.py --markdown table.md --json raw.json

Each (workload, engine) cell runs in its own subprocess; the table gives median seconds
per step, speedups vs our scalar engine and vs PyTorch batched, peak RSS, and the scalar
engine's time per graph node. See benchmarks/README.md for what each column measures.
The code lives in `micrograd.bench` (also `micrograd bench engines`); this script is its
entry from a checkout.
"""

import sys
from pathlib import Path

try:
    from micrograd.bench import main
except ImportError:  # run from a checkout without installing: use ../src
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from micrograd.bench import main

if __name__ == "__main__":
    argv = sys.argv[1:]
    sys.exit(main(["engines", *argv], prog="bench_engines.py", command=" ".join(["python benchmarks/bench_engines.py", *argv])))
