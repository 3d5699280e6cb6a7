"""What both benchmarks share: the paths, the seed program's whereabouts, the environment
report, number formatting, argparse types, atomic output files.

Not a runnable script: `bench_seed.py` and `bench_engines.py` are (see benchmarks/README.md).
The benchmarks live outside the package (a development harness is not something a user
installs) and use only micrograd's public API. Importing this module puts this checkout's
`src/` first on sys.path, so a benchmark measures the code beside it, installed or not, and
`tests/` after it, for `seedref` (the one place that knows where the seed program is and how
to read it; the tests use it too).

Nothing here is a timed test: the numbers are reported, and only *correctness* makes a
benchmark fail (exit 1), so a speedup never hides a wrong result. A missing seed program is
not a failure: its columns read "n/a" with the reason, and everything else still runs.
"""

import argparse
import math
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository
SRC = ROOT / "src"
for _p in (ROOT / "tests", SRC):  # src ends up first: the checkout's micrograd, not an installed one
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import seedref  # noqa: E402  (tests/seedref.py, found through the path set just above)

GOLDEN_SEED_OUTPUT = seedref.GOLDEN / "seed_output.txt"  # the seed program's 110 lines, recorded
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# ---------------------------------------------------------------------- the seed program


def find_seed_program(explicit=None):
    """(path, None), or (None, a one-line reason saying where to get it).

    `explicit` (the --seed-program flag, already checked to be a file) wins; else
    MICROGRAD_SEED_PROGRAM; else ../shared/seed/seed_program.py beside the repository.
    """
    if explicit is not None:
        return Path(explicit).resolve(), None
    return seedref.find_seed_program()


def add_seed_program_flag(parser, what):
    parser.add_argument(
        "--seed-program",
        type=existing_file,
        default=None,
        metavar="PATH",
        help=f"the seed program, {what} (default: ${seedref.ENV_VAR}, else "
        "../shared/seed/seed_program.py beside the repository; without it its columns are n/a)",
    )


# ---------------------------------------------------------------------- formatting


def fmt_s(s):
    """Seconds with 3 significant digits (0.000123, 1.23, 123)."""
    if s is None:
        return "n/a"
    return f"{s:.3g}" if s < 1000 else f"{s:.0f}"


def fmt_ratio(r):
    if r is None:
        return "n/a"
    if r < 1:
        return f"{r:.2g}x"
    return f"{r:.3g}x" if r < 1000 else f"{r:.0f}x"


def rel_diff(a, b):
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


# ---------------------------------------------------------------------- command line


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def existing_file(s):
    p = Path(s)
    if not p.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {s!r}")
    return p


def positive_int(s):
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {s!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def positive_float(s):
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {s!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {s!r}")
    return v


def output_file(s):
    """An output path whose directory exists (checked before a long benchmark, not after)."""
    parent = Path(s).resolve().parent
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"directory {str(parent)!r} does not exist (for {s!r})")
    if Path(s).is_dir():
        raise argparse.ArgumentTypeError(f"{s!r} is a directory; give a file name")
    return s


def add_env_flag(parser, whose):
    parser.add_argument(
        "--unset-openblas-env", action="store_true", help=f"remove OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE from {whose} environment"
    )


def bench_env(args):
    """The environment for the benchmarked processes: ours, minus the OpenBLAS tuning if asked."""
    env = dict(os.environ)
    if args.unset_openblas_env:
        for k in OPENBLAS_VARS:
            env.pop(k, None)
    return env


def child_env(env=None):
    """`env` (default: ours) with this checkout's src/ first on PYTHONPATH, so that child
    processes import the same micrograd as this one."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def write_atomic(path, text):
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


def log(msg):
    """Progress lines go to stderr: stdout is the markdown report."""
    print(msg, file=sys.stderr, flush=True)


def run_main(run, argv):
    """Call `run(argv)` -> exit status; a bad input or a failed run is one line on stderr, status 2."""
    prog = Path(sys.argv[0]).name
    try:
        return run(argv)
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


# ---------------------------------------------------------------------- the machine


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
        blas += (
            " for the benchmarked processes (--unset-openblas-env; this shell has "
            f"{', '.join(f'{k}={os.environ[k]}' for k in removed)})"
        )
    return [
        f"machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"python {platform.python_version()} ({sys.executable})",
        f"OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE: {blas}",
    ]


def micrograd_version():
    import micrograd

    return micrograd.__version__


def load_average():
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def load_line(load_before):
    if load_before is None:
        return []
    return [
        f"load average (1 min) before the run {load_before:.2f}, after it {load_average():.2f} (the benchmark "
        f"itself adds about 1; more means other work was competing for the {os.cpu_count()} cores)"
    ]


def command_line(script, argv):
    """How we were invoked, for the report's header: `python benchmarks/bench_x.py ARGS`."""
    return " ".join(["python", f"benchmarks/{Path(script).name}", *argv])
