"""micrograd.check._probe — the process that runs a learner's file and checks it (started by micrograd.check).

    python -m micrograd.check._probe FILE.py RESULTS.jsonl [CLASS]

It runs FILE.py as `python FILE.py` would (run_name "__main__"), with its stdout and stderr captured,
then runs every check (micrograd.check._checks, ._model) on the class named CLASS (default Value).
Everything it learns goes to RESULTS.jsonl, one JSON object a line, written and flushed as it goes:
{"event": "start", "check": NAME} before each check, then the check's rows ({"event": "row", ...}),
and {"event": "stdout", "text": ...} with the file's captured output. The parent (micrograd.check)
reads the file after the process ends, however it ends: a check that never finished (a timeout, a
memory limit, a crash) is the last "start" without its rows. The learner's output never mixes with
this protocol: the file is separate, and the learner's prints go to a buffer.

The parent sets the limits (resource.setrlimit: address space and CPU seconds) and the wall clock.
"""

import contextlib
import io
import json
import os
import sys
import time
import traceback

from . import _checks, _model
from ._checks import FAIL, PASS, row


class _Results:
    def __init__(self, path):
        self.f = open(path, "w", encoding="utf-8")

    def write(self, obj):
        self.f.write(json.dumps(obj) + "\n")
        self.f.flush()

    def start(self, name):
        self.write({"event": "start", "check": name})

    def rows(self, rows):
        for r in rows if isinstance(rows, list) else [rows]:
            self.write({"event": "row", **r})


def _their_traceback_line(path):
    """The last line of the current exception's traceback, with the deepest line of their file."""
    etype, e, tb = sys.exc_info()
    frames = [f for f in traceback.extract_tb(tb) if os.path.abspath(f.filename) == os.path.abspath(path)]
    where = f" (line {frames[-1].lineno})" if frames else ""
    if isinstance(e, SyntaxError):
        where = f" (line {e.lineno})"
    return f"{traceback.format_exception_only(etype, e)[-1].strip()}{where}"


def load(path, results):
    """Run their file; its namespace, or None after a failed "load" row."""
    import runpy

    results.start("load")
    out, err = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    ns, failure = None, None
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))  # their file may import its neighbours
    sys.argv = [path]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            ns = runpy.run_path(path, run_name="__main__")
    except SystemExit as e:  # sys.exit() in their file: the run ended; no namespace to check
        failure = f"the file called sys.exit({e.code!r}) while running"
    except MemoryError:
        failure = "memory"
    except BaseException:  # noqa: B036  (a KeyboardInterrupt raised by their code is their crash too)
        failure = _their_traceback_line(path)
    results.write({"event": "stdout", "text": out.getvalue()})
    seconds = time.perf_counter() - t0
    if failure == "memory":
        results.rows(
            row(
                "limits",
                "memory limit",
                "load",
                FAIL,
                "the file runs within --max-memory",
                "MemoryError while running it",
                "the file asked for more memory than the limit (--max-memory MB raises it)",
            )
        )
        return None
    if failure is not None:
        results.rows(row("load", "run the file", "load", FAIL, "the file runs", failure, "fix this error first"))
        return None
    results.rows(row("load", "run the file", "load", PASS, "the file runs", f"ran in {seconds:.1f} s"))
    return ns


def main(argv):
    path, out = argv[0], argv[1]
    name = argv[2] if len(argv) > 2 else "Value"
    results = _Results(out)
    ns = load(path, results)
    if ns is None:
        return 0
    results.start("class")
    cls = ns.get(name)
    if not isinstance(cls, type):
        results.rows(
            row("load", f"class {name}", name, FAIL, f"a class {name}", "not defined", "define it, or pass --class NAME")
        )
        return 0
    if not callable(getattr(cls, "backward", None)):
        results.rows(
            row(
                "load",
                "backward",
                "backward",
                FAIL,
                f"{name}.backward()",
                "not defined",
                "backward() fills .grad of every node: topological order, then each node's _backward in reverse",
            )
        )
        return 0
    checks = [_checks.ops, _checks.classic, _checks.recursion_depth, _checks.set_children, *_model.CHECKS]
    sink = io.StringIO()
    for check in checks:
        results.start(check.__name__)
        try:
            with contextlib.redirect_stdout(sink):  # their prints during a check are not the report's
                results.rows(check(ns, cls))
        except MemoryError:
            results.rows(
                row(
                    "limits",
                    "memory limit",
                    check.__name__,
                    FAIL,
                    "within --max-memory",
                    "MemoryError",
                    "the memory limit was hit",
                )
            )
        except Exception:
            results.rows(
                row("limits", check.__name__, "", FAIL, "the check runs", _their_traceback_line(path), "your code raised")
            )
    results.write({"event": "done"})
    return 0


if __name__ == "__main__":
    status = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # now: a non-daemon thread their file started must not hold the check until its timeout


__all__ = ["main", "load", "PASS"]
