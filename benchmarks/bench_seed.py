"""Whole-process benchmark: `micrograd train` (the seed run) vs the seed program, same run.

    python benchmarks/bench_seed.py                      # 3 interleaved runs of each, medians, ratio
    python benchmarks/bench_seed.py --runs 5 --markdown seed.md
    python benchmarks/bench_seed.py --seed-program PATH  # default: ../shared/seed/seed_program.py

Also checks that ours prints the seed's 110 lines (same text, numbers within 1e-10
relative): a mismatch exits 1, so a speedup never hides a wrong result. The code lives in
`micrograd.bench` (also `micrograd bench seed`); this script is its entry from a checkout.
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
    sys.exit(main(["seed", *argv], prog="bench_seed.py", command=" ".join(["python benchmarks/bench_seed.py", *argv])))
