"""A load test for the demo server (issue 9, section 4): many clients at once, on loopback, bounded in
count and time. The server runs in its own process (as `micrograd demo` does), so its response times
and memory (RSS, from /proc) are its own, not the test's.

- 50 clients step the largest configuration the demo allows while a probe asks for /api/options
  every 100 ms: the probe's p50/p95/max and the server's RSS before/after/peak are printed
  (`pytest -s` shows them) and held to generous bounds.
- More tabs than sessions (24 tabs, 16 sessions): the 16 that got a session keep it (never a 404,
  never a reset), the others get the 503 that says the server is full.

Only 200/201 and the documented 503s (server busy, server full) may come back.
"""

import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc (RSS)")]

LARGEST = {"n": 1000, "hidden": [32, 32, 32], "dataset": "spiral"}  # forms.LIMITS' largest model and data


# ---------------------------------------------------------------------- helpers


class Server:
    """The demo server in a child process; `rss()` is its resident memory in MiB."""

    def __init__(self, *argv):
        self.proc = subprocess.Popen(
            [sys.executable, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy()
        )
        line = self.proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, (line, self.proc.stderr.read() if self.proc.poll() is not None else "")
        self.port = int(m.group(1))

    def _status(self, key):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024

    def rss(self):
        return self._status("VmRSS")

    def peak(self):
        return self._status("VmHWM")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def serve_with(max_sessions):
    code = (
        "import sys; from micrograd.web import make_server, url; "
        "h = make_server('127.0.0.1', 0, max_sessions=int(sys.argv[1])); print(url(h), flush=True); h.serve_forever()"
    )
    return Server("-c", code, str(max_sessions))


class Client:
    """One keep-alive connection, as a browser tab has."""

    def __init__(self, port):
        self.port, self.conn = port, None

    def call(self, method, path, body=None):
        for attempt in range(2):  # a connection the server closed (e.g. after an error) is reopened once
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                headers, data = {}, None
                if body is not None:
                    headers, data = {"Content-Type": "application/json"}, json.dumps(body).encode()
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                payload = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return resp.status, json.loads(payload) if payload else None
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt:
                    raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def run_clients(port, n, config, seconds, steps=1):
    """`n` tabs, each creating a session of `config` and stepping it until `seconds` pass; a 503
    waits 1 s and tries again. Returns per tab: the statuses it got and the step counts it saw."""
    stop = time.monotonic() + seconds
    tabs = [{"statuses": [], "steps": [], "errors": [], "sid": None} for _ in range(n)]

    def tab(t):
        c = Client(port)
        while time.monotonic() < stop:
            if t["sid"] is None:
                status, out = c.call("POST", "/api/sessions", config)
            else:
                status, out = c.call("POST", f"/api/sessions/{t['sid']}/step", {"steps": steps})
            t["statuses"].append(status)
            if status in (200, 201):
                t["sid"] = out["session"]
                t["steps"].append(out["step"])
            else:
                t["errors"].append((status, out and out.get("error")))
                time.sleep(1.0)
        c.close()

    threads = [threading.Thread(target=tab, args=(t,), daemon=True) for t in tabs]
    for th in threads:
        th.start()
    return tabs, threads


def probe(port, seconds, every=0.1):
    """/api/options's response times (s) over `seconds`, one request every `every` s."""
    c, times, stop = Client(port), [], time.monotonic() + seconds
    while time.monotonic() < stop:
        t0 = time.perf_counter()
        status, _ = c.call("GET", "/api/options")
        times.append(time.perf_counter() - t0)
        assert status == 200
        time.sleep(every)
    c.close()
    return times


def check_documented(tabs):
    for t in tabs:
        assert set(t["statuses"]) <= {200, 201, 503}, t["statuses"]
        for _status, message in t["errors"]:
            assert re.search(r"busy|full", message), message


# ---------------------------------------------------------------------- the tests


def test_50_clients_stepping_the_largest_configuration():
    server = serve_with(max_sessions=64)
    try:
        idle = probe(server.port, 1.0)
        rss0 = server.rss()
        tabs, threads = run_clients(server.port, 50, LARGEST, seconds=25)
        time.sleep(3)  # let the clients get going
        times = probe(server.port, 20)
        for th in threads:
            th.join(90)
        rss1, peak = server.rss(), server.peak()
    finally:
        server.stop()
    check_documented(tabs)
    steps = sum(len(t["steps"]) for t in tabs)
    sessions = sum(t["sid"] is not None for t in tabs)
    print(
        f"\nload: 50 clients, largest config {LARGEST}: {sessions} sessions, {steps} successful create/step requests, "
        f"{sum(len(t['errors']) for t in tabs)} 503s\n"
        f"/api/options idle: p50 {statistics.median(idle) * 1000:.1f} ms; under load ({len(times)} probes): "
        f"p50 {pct(times, 0.5) * 1000:.1f} ms, p95 {pct(times, 0.95) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms\n"
        f"server RSS: {rss0:.0f} MiB before, {rss1:.0f} MiB after, peak {peak:.0f} MiB"
    )
    assert pct(times, 0.95) < 1.0 and max(times) < 3.0
    assert steps >= 5  # training made progress under load (each largest step takes ~1.5 s of one core)
    # the stated bound (README, server.py): max_sessions x 6 MiB (the largest session, full history)
    # + workers x 110 MiB (a largest step's graph in flight), with 100 MiB to spare
    assert peak - rss0 < 64 * 6 + 2 * 110 + 100


def test_more_tabs_than_sessions_never_reset_each_other():
    server = Server("-m", "micrograd.cli", "demo", "--port", "0", "--no-browser")  # the defaults: 16 sessions
    try:
        rss0 = server.rss()
        tabs, threads = run_clients(server.port, 24, {"hidden": [4], "n": 100}, seconds=10, steps=5)
        times = probe(server.port, 10)
        for th in threads:
            th.join(60)
        rss1 = server.rss()
    finally:
        server.stop()
    check_documented(tabs)
    with_session = [t for t in tabs if t["sid"] is not None]
    full = [t for t in tabs if any("full" in m for _, m in t["errors"])]
    print(
        f"\ntabs: 24 tabs, 16 sessions: {len(with_session)} tabs trained, {len(full)} were told the server is full; "
        f"/api/options p50 {pct(times, 0.5) * 1000:.1f} ms, p95 {pct(times, 0.95) * 1000:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms; RSS {rss0:.0f} -> {rss1:.0f} MiB"
    )
    assert len(with_session) == 16 and len(full) == 8
    for t in with_session:  # a tab's run only moves forward: never evicted, never reset
        assert len(t["steps"]) >= 3 and t["steps"] == sorted(t["steps"]) and t["steps"][-1] > 0, t["steps"]
    assert pct(times, 0.95) < 1.0
