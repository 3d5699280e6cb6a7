"""micrograd.web.compare — side by side: 2-4 runs from the same data and the same initial weights, stepping together.

    POST   /api/compare            {"base": {config}, "runs": [{"optimizer": "sgd"}, {"optimizer": "adam"}]}
                                                       -> 201 {"id", "step", "runs": [snapshot, ...]}
    GET    /api/compare/ID                             -> {"id", "step", "runs": [snapshot with history, ...]}
    POST   /api/compare/ID/step    {"steps": k}        -> {"id", "step", "runs": [snapshot + "records", ...]}
    DELETE /api/compare/ID                             -> 204 (its sessions are deleted too)

Each run is an ordinary session of the store (it counts against the server's session limit, and
the page may use the session endpoints on it). The runs may differ only in TrainConfig's
training-only settings (optimizer, lr, ...: fields marked `training_only`): data and weights are
drawn from RNG(seed) before training starts, so one seed gives every run the same data draw and
the same weight draw; `create` checks they are equal, bit for bit, before answering. A step
request steps every run one step at a time in turn, so they always stand at the same step (the
time budget ends a request between rounds, never inside one).

Limits (forms.LIMITS): "compare_runs" runs per comparison, "comparisons" alive at once; a
comparison whose runs expired is forgotten, and when all are taken a new one replaces the least
recently used one idle for the store's `active_seconds` (never one in use), as sessions do.
"""

import re
import threading
import time
import uuid

from ..config import training_only_keys
from . import forms
from .forms import LIMITS, BadRequest, Conflict
from .session import STEP_BUDGET_SECONDS, StoreFull

_PATH = re.compile(r"^/api/compare(?:/([0-9a-f]{32})(?:/(step))?)?$")
LOCK_TIMEOUT = 5.0  # seconds a request waits for a run's session (as server.LOCK_TIMEOUT)


class NotFound(BadRequest):
    status = 404


class MethodNotAllowed(BadRequest):
    status = 405


class Busy(BadRequest):
    """The server or a session is busy: 503 (the page retries)."""

    status = 503


class Comparison:
    def __init__(self, sessions):
        self.id = uuid.uuid4().hex
        self.sessions = sessions


# ---------------------------------------------------------------------- helpers shared with web.share


class locked:
    """Hold the sessions' locks (in a fixed order: no deadlock), or Busy if one is held too long."""

    def __init__(self, sessions):
        self.sessions = sorted(sessions, key=lambda s: s.id)
        self.held = []

    def __enter__(self):
        for s in self.sessions:
            if not s.lock.acquire(timeout=LOCK_TIMEOUT):
                self.__exit__()
                raise Busy("this session is busy with another request; try again")
            self.held.append(s)
        return self.sessions

    def __exit__(self, *exc):
        while self.held:
            self.held.pop().lock.release()


def compute(handler, fn):
    """`fn()` on the server's bounded worker pool (server.DemoHandler._compute); StoreFull becomes a 503."""
    try:
        return handler._compute(fn)
    except StoreFull as e:
        raise Busy(str(e)) from None


# ---------------------------------------------------------------------- comparisons


def _registry(server):
    """The server's comparisons (created on first use) and the lock that guards them."""
    with _REGISTRY_LOCK:
        if not hasattr(server, "comparisons"):
            server.comparisons, server.comparisons_lock = {}, threading.Lock()
    return server.comparisons, server.comparisons_lock


_REGISTRY_LOCK = threading.Lock()


def parse_runs(body, default_preset="seed"):
    """The runs' config bodies (base + each run's overrides), validated, from {"base": {...}, "runs": [{...}, ...]}."""
    forms._only(body, ("base", "runs"), "comparison")
    base, runs = body.get("base", {}), body.get("runs")
    if not isinstance(base, dict):
        raise BadRequest(f"base must be a JSON object of config fields, got {base!r}")
    lo, hi = LIMITS["compare_runs"]
    if not isinstance(runs, list) or not lo <= len(runs) <= hi:
        raise BadRequest(f"runs must be a list of {lo} to {hi} config objects, got {runs!r}")
    free = set(training_only_keys())
    configs = []
    for i, run in enumerate(runs):
        if not isinstance(run, dict):
            raise BadRequest(f"runs[{i}] must be a JSON object of config fields, got {run!r}")
        fixed = sorted(k for k in run if k not in free and run[k] != base.get(k))
        if fixed:
            raise BadRequest(
                f"runs[{i}] sets {', '.join(fixed)}: the runs of a comparison share their data and initial weights, so "
                f"they may differ only in training settings ({', '.join(k for k in forms.CONFIG_FIELDS if k in free)})"
            )
        try:
            forms.parse_config({**base, **run}, default_preset)
        except BadRequest as e:
            raise BadRequest(f"runs[{i}]: {e}") from None
        configs.append({**base, **run})
    return configs


def create(server, body):
    """A new comparison: one session per run, from one data draw and one weight draw (checked)."""
    store = server.store
    comparisons, lock = _registry(server)
    with lock:
        _forget_expired(store, comparisons, room=True)
        if len(comparisons) >= LIMITS["comparisons"]:
            raise Conflict(
                f"at most {LIMITS['comparisons']} side-by-side comparisons at once, all in use; "
                "close one or try again in a minute"
            )
    configs = parse_runs(body, store.default_preset)
    sessions = []
    try:
        for cfg in configs:
            sessions.append(store.create(cfg))
        first = sessions[0]
        for s in sessions[1:]:  # the promise of this view: the same points and the same starting weights
            if s.points() != first.points() or s.model.state_dict() != first.model.state_dict():
                raise Conflict("the runs did not start from the same data and weights (a bug: please report it)")
    except BaseException:
        for s in sessions:
            store.delete(s.id)
        raise
    c = Comparison(sessions)
    with lock:
        comparisons[c.id] = c
    return c


def _forget_expired(store, comparisons, room=False):
    """Forget comparisons whose runs expired; with `room`, when all slots are taken, also the least recently
    used one idle for the store's `active_seconds` (its sessions deleted), as the store makes room for a session."""
    for cid in [cid for cid, c in comparisons.items() if any(s.id not in store for s in c.sessions)]:
        del comparisons[cid]
    if room and len(comparisons) >= LIMITS["comparisons"]:
        now = time.monotonic()
        last = {cid: max(s.touched for s in c.sessions) for cid, c in comparisons.items()}
        idle = [cid for cid, t in last.items() if now - t > store.active_seconds]
        if idle:
            for s in comparisons.pop(min(idle, key=last.get)).sessions:
                store.delete(s.id)


def step(c, steps):
    """Step every run `steps` times, round by round (each run one step per round), within the time budget."""
    records = [[] for _ in c.sessions]
    t0 = time.perf_counter()
    for _ in range(steps):
        for i, s in enumerate(c.sessions):
            records[i].extend(s.step(1))
        if time.perf_counter() - t0 > STEP_BUDGET_SECONDS:
            break
    return records


def view(c, records=None):
    runs = []
    for i, s in enumerate(c.sessions):
        snap = s.snapshot(history=records is None)
        snap["graph"] = None  # the side-by-side view draws no graph
        if records is not None:
            snap["records"] = records[i]
        runs.append(snap)
    return {"id": c.id, "step": c.sessions[0].trainer.step, "runs": runs}


# ---------------------------------------------------------------------- the API


def api(handler, method, path):
    """The /api/compare routes: (status, JSON)."""
    m = _PATH.match(path)
    if not m:
        raise NotFound(f"no such API endpoint: {path}")
    cid, action = m.groups()
    server = handler.server
    if cid is None:
        if method != "POST":
            raise MethodNotAllowed(f"{method} is not allowed on {path}; use POST")
        body = handler._body()
        c = compute(handler, lambda: (server.store.check_room(), create(server, body))[1])  # a full server: a 503
        return 201, view(c)
    comparisons, lock = _registry(server)
    with lock:
        _forget_expired(server.store, comparisons)
        c = comparisons.get(cid)
    if c is None:
        raise NotFound(f"unknown comparison {cid!r} (it may have expired)")
    allowed = "POST" if action == "step" else ("GET", "DELETE")
    if method not in allowed and not (method == "HEAD" and "GET" in allowed):
        raise MethodNotAllowed(f"{method} is not allowed on {path}; use {' or '.join(allowed)}")
    if method == "DELETE":
        with lock:
            comparisons.pop(cid, None)
        for s in c.sessions:
            server.store.delete(s.id)
        return 204, None
    body = handler._body() if method == "POST" else None
    for s in c.sessions:
        server.store.get(s.id)  # touch: a comparison in use is never evicted
    with locked(c.sessions):
        if action == "step":
            steps = forms.check_steps(body)
            return 200, compute(handler, lambda: view(c, step(c, steps)))
        return 200, compute(handler, lambda: view(c))
