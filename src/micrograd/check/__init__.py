"""micrograd.check — grade a learner's own micrograd (`micrograd check FILE.py`).

    from micrograd.check import run_check
    report = run_check("my_micrograd.py")         # a Report: .rows, .ok, .exit_status
    print(report.format_table())                   # or report.to_json()

The learner's file runs in a separate process (`python -m micrograd.check._probe`) with a memory limit
(resource.setrlimit RLIMIT_AS, `max_memory` MB), a CPU-time limit and a wall-clock timeout: an infinite
loop, a memory bomb or a crash in it is a FAIL row, never a hung or crashed grader. That process runs the
file as `python FILE.py` would (its prints captured), then checks the class named `class_name`: every op
(forward vs math, backward vs micrograd's and central differences), the classic bugs (= instead of +=,
topological order, a second backward(), recursion depth, children in a set) and, when present, the seed's
MLP, nll_loss, RNG, gen_data and zero_grad. Back here, the file's printed training run is compared line by
line with what micrograd prints for the seed run. See micrograd.check.report for the verdicts.
"""

import json
import math
import numbers
import os
import signal
import subprocess
import sys
import tempfile
import time

from .report import FAIL, LIMIT, Report, make_row, training_row

__all__ = ["run_check", "Report", "DEFAULT_TIMEOUT", "DEFAULT_MAX_MEMORY"]

DEFAULT_TIMEOUT = 120.0  # seconds of wall clock for the whole probe (the seed program itself trains in ~25 s)
DEFAULT_MAX_MEMORY = 1024  # MB of address space for the probe process

# ---------------------------------------------------------------------- arguments


def _check_args(path, timeout, max_memory, class_name):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name, got {type(path).__name__} {path!r:.60}")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a directory; pass the .py file that defines your Value")
    if not path.endswith(".py"):
        raise ValueError(f"{path!r} is not a Python file (.py): pass the file that defines your Value")
    if not os.path.lexists(path):
        raise ValueError(f"{path!r}: no such file")
    if not os.path.isfile(path):  # a FIFO, a device, a socket, a symlink to one or a broken symlink
        raise ValueError(f"{path!r} is not a regular file; pass the .py file that defines your Value")
    bad_t = isinstance(timeout, bool) or not isinstance(timeout, numbers.Real)
    if bad_t or not (math.isfinite(timeout) and timeout > 0):
        raise (TypeError if bad_t else ValueError)(f"timeout must be a positive number of seconds, got {timeout!r}")
    if isinstance(max_memory, bool) or not isinstance(max_memory, int):
        raise TypeError(f"max_memory must be an int (MB), got {type(max_memory).__name__} {max_memory!r}")
    if max_memory < 64:
        raise ValueError(f"max_memory must be at least 64 (MB): Python itself needs that much, got {max_memory}")
    if not isinstance(class_name, str) or not class_name.isidentifier():
        raise ValueError(f"class_name must be a Python identifier (e.g. Value), got {class_name!r}")
    return path


def _limits(timeout, max_memory):
    """In the child, before it runs: its address space and CPU seconds (the wall clock is the parent's)."""

    def apply():
        import resource

        mem = max_memory * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        cpu = int(math.ceil(timeout)) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))

    return apply


# ---------------------------------------------------------------------- the probe process


def _run_probe(path, results, timeout, max_memory, class_name):
    """Run the probe; (returncode, timed_out, the tail of its stderr). Their prints are captured inside the
    probe; anything written straight to the file descriptors goes to /dev/null (stdout) or a temporary file
    (stderr, for a crash's last line): nothing they write can grow the grader's memory."""
    pkg_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([pkg_root, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")  # threads reserve address space
    cmd = [sys.executable, "-m", "micrograd.check._probe", os.path.abspath(path), results, class_name]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env,
            preexec_fn=_limits(timeout, max_memory), start_new_session=True,
        )  # fmt: skip
        try:
            proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        except BaseException:  # Ctrl-C in the grader: do not leave their code running
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        try:  # always: a process or thread their file started must not outlive the check (nor re-run the probe)
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # the group is gone already
        if timed_out:
            proc.wait()
        size = err.seek(0, os.SEEK_END)
        err.seek(max(0, size - 2000))
        return proc.returncode, timed_out, "" if timed_out else err.read().decode("utf-8", "replace")


def _read(results):
    """(rows, stdout, the check that started without finishing or None, done?) from the probe's results file."""
    rows, stdout, pending, done = [], "", None, False
    with open(results, encoding="utf-8") as f:
        for line in f:
            try:
                event = json.loads(line)
            except ValueError:  # the last line, cut by a kill
                break
            kind = event.pop("event")
            if kind == "start":
                pending = event["check"]
            elif kind == "row":
                rows.append(event)
                pending = None
            elif kind == "stdout":
                stdout = event["text"]
            elif kind == "done":
                done = True
    return rows, stdout, pending, done


def _ended_row(pending, code, timed_out, timeout, max_memory, err):
    """The row for a probe that did not finish: a timeout, a limit, or a crash, during `pending`."""
    during = "while running the file" if pending in (None, "load") else f"during the check {pending!r}"
    if timed_out:
        return make_row(
            "limits",
            "time limit",
            pending or "load",
            FAIL,
            f"finishes within {timeout:g} s",
            f"still running {during}",
            "an infinite loop? (raise the limit with --timeout SECONDS)",
        )
    if code == -signal.SIGXCPU or code == -signal.SIGKILL:
        return make_row(
            "limits",
            "time limit",
            pending or "load",
            FAIL,
            f"within {timeout:g} s of CPU",
            f"stopped {during}",
            "an infinite loop? (raise the limit with --timeout SECONDS)",
        )
    last = next((ln for ln in reversed(err.strip().splitlines()) if ln.strip()), "")
    if "MemoryError" in last:
        return make_row(
            "limits",
            "memory limit",
            pending or "load",
            FAIL,
            f"within {max_memory} MB",
            f"MemoryError {during}",
            "raise the limit with --max-memory MB",
        )
    verdict = LIMIT if pending == "recursion_depth" else FAIL  # a deep recursion may crash the C stack
    why = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
    return make_row(
        "limits",
        "crash",
        pending or "load",
        verdict,
        "the checks finish",
        f"the process died ({why}) {during}",
        last or "a crash in native code, or the file exited the process",
    )


def run_check(path, *, timeout=DEFAULT_TIMEOUT, max_memory=DEFAULT_MAX_MEMORY, class_name="Value", reference_lines=None):
    """Grade the micrograd in `path` (a .py file); a Report. ValueError/TypeError for bad arguments (a missing
    file, not .py, a directory). `reference_lines`: the lines micrograd prints for the seed run, if already known."""
    path = _check_args(path, timeout, max_memory, class_name)
    t0 = time.perf_counter()
    fd, results = tempfile.mkstemp(prefix="micrograd-check-", suffix=".jsonl")
    os.close(fd)
    try:
        code, timed_out, err = _run_probe(path, results, timeout, max_memory, class_name)
        rows, stdout, pending, done = _read(results)
    finally:
        os.unlink(results)
    if not done and not any(r["verdict"] == FAIL and r["group"] in ("load", "limits") for r in rows):
        rows.append(_ended_row(pending, code, timed_out, timeout, max_memory, err))
    if rows and rows[0]["name"] == "run the file" and rows[0]["verdict"] != FAIL:
        rows.append(training_row(stdout, reference_lines))
    return Report(path=path, rows=rows, seconds=time.perf_counter() - t0)
