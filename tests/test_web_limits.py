"""Tests for the demo server's limits under real use (issue 9, section 4): sessions that do not
evict each other, the 503 when every session is in use, the cap on concurrent training work,
HTTP hygiene (duplicate headers, JSON-only POSTs, loopback Host names) and the per-request
deadline. The load test with 50 clients is tests/test_web_load.py.
"""

import http.client
import re
import socket
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from webserver import request, serving

from micrograd.web import server as web_server
from micrograd.web import session as web_session
from micrograd.web.session import SessionStore, StoreFull


def raw_exchange(httpd, data, timeout=10):
    """Send raw bytes, return everything the server answers until it closes."""
    host, port = httpd.server_address[:2]
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks).decode(errors="replace")
            chunks.append(chunk)


# ---------------------------------------------------------------------- sessions


def test_active_sessions_are_never_evicted_and_a_full_store_refuses(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(web_session.time, "monotonic", lambda: clock[0])
    store = SessionStore(max_sessions=3, idle_seconds=600, active_seconds=60)
    tabs = [store.create({"hidden": [2]}) for _ in range(3)]
    for _ in range(5):  # a 4th tab keeps trying while the three keep stepping: none of them is reset
        clock[0] += 10
        assert all(store.get(t.id) is t for t in tabs)
        with pytest.raises(StoreFull, match=r"all 3 sessions are in use .* last 60 s"):
            store.create({"hidden": [2]})
    assert len(store) == 3
    clock[0] += 30
    store.get(tabs[0].id), store.get(tabs[2].id)  # tabs[1] has been quiet for 60+ s: idle
    clock[0] += 31
    new = store.create({"hidden": [2]})
    assert store.get(tabs[1].id) is None and store.get(new.id) is new
    assert store.get(tabs[0].id) is tabs[0] and store.get(tabs[2].id) is tabs[2]


def test_concurrent_creates_never_exceed_the_bound():
    store = SessionStore(max_sessions=4, active_seconds=60)
    made, refused = [], []

    def tab():
        try:
            made.append(store.create({"hidden": [2]}))
        except StoreFull:
            refused.append(1)

    threads = [threading.Thread(target=tab) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store) == len(made) == 4 and len(refused) == 8


def test_more_tabs_than_sessions_over_http_get_a_clear_503():
    with serving(max_sessions=4) as httpd:
        sids = [request(httpd, "POST", "/api/sessions", {"hidden": [2]})[1]["session"] for _ in range(4)]
        status, out, resp = request(httpd, "POST", "/api/sessions", {"hidden": [2]})
        assert status == 503 and "all 4 sessions are in use" in out["error"] and resp.getheader("Retry-After")
        for sid in sids:  # every earlier tab still has its run
            status, out, _ = request(httpd, "POST", f"/api/sessions/{sid}/step", {"steps": 1})
            assert status == 200 and out["step"] == 1
        assert request(httpd, "DELETE", f"/api/sessions/{sids[0]}")[0] == 204  # a tab closes: room again
        assert request(httpd, "POST", "/api/sessions", {"hidden": [2]})[0] == 201
    with serving(max_sessions=2, active_seconds=0.2) as httpd:  # a quiet tab's slot goes to a new one
        quiet = request(httpd, "POST", "/api/sessions", {"hidden": [2]})[1]["session"]
        request(httpd, "POST", "/api/sessions", {"hidden": [2]})
        time.sleep(0.3)
        assert request(httpd, "POST", "/api/sessions", {"hidden": [2]})[0] == 201
        assert request(httpd, "GET", f"/api/sessions/{quiet}")[0] == 404


# ---------------------------------------------------------------------- the worker cap


def test_training_work_waits_for_a_worker_and_plain_requests_do_not(monkeypatch):
    monkeypatch.setattr(web_server, "WORK_TIMEOUT", 0.3)
    with serving(workers=1) as httpd:
        sid = request(httpd, "POST", "/api/sessions", {"hidden": [2]})[1]["session"]
        release = threading.Event()
        httpd.pool.submit(release.wait, 30)  # the only worker is busy
        try:
            t0 = time.monotonic()
            assert request(httpd, "GET", "/api/options")[0] == 200
            assert request(httpd, "GET", "/")[0] == 200
            assert time.monotonic() - t0 < 1.0
            status, out, resp = request(httpd, "POST", f"/api/sessions/{sid}/step", {})
            assert status == 503 and "busy training" in out["error"] and resp.getheader("Retry-After") == "2"
        finally:
            release.set()
        assert request(httpd, "POST", f"/api/sessions/{sid}/step", {})[0] == 200


def test_at_most_workers_steps_compute_at_once(monkeypatch):
    running, peak, lock = [0], [0], threading.Lock()
    real_step = web_session.Session.step

    def counting_step(self, steps=1):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            time.sleep(0.05)
            return real_step(self, steps)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(web_session.Session, "step", counting_step)
    with serving(workers=2) as httpd:
        sids = [request(httpd, "POST", "/api/sessions", {"hidden": [2]})[1]["session"] for _ in range(6)]
        statuses = []
        threads = [
            threading.Thread(target=lambda s=s: statuses.append(request(httpd, "POST", f"/api/sessions/{s}/step", {})[0]))
            for s in sids * 2
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert statuses == [200] * 12 and peak[0] == 2


def test_make_server_refuses_bad_workers():
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="workers"):
            web_server.make_server("127.0.0.1", 0, workers=bad)


# ---------------------------------------------------------------------- HTTP hygiene


@pytest.mark.parametrize(
    "headers, word",
    [
        (b"Host: 127.0.0.1\r\nHost: evil.example\r\n", "duplicate Host"),
        (b"Host: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 40\r\n", "duplicate Content-Length"),
        (b"Host: 127.0.0.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n", "Transfer-Encoding"),
    ],
)
def test_ambiguous_headers_are_refused(headers, word):
    with serving() as httpd:
        reply = raw_exchange(httpd, b"POST /api/sessions HTTP/1.1\r\n" + headers + b"Content-Type: application/json\r\n\r\n{}")
        assert reply.startswith("HTTP/1.1 400") and word in reply
        assert len(httpd.store) == 0


@settings(max_examples=25, deadline=None)
@given(ctype=st.sampled_from(["", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]))
def test_an_empty_post_needs_the_json_content_type(ctype):
    with serving() as httpd:
        headers = {"Content-Type": ctype} if ctype else {}
        for length in ("0", None):
            hdrs = dict(headers, **({"Content-Length": length} if length else {}))
            status, out, _ = request(httpd, "POST", "/api/sessions", headers=hdrs)
            assert status == 415 and "application/json" in out["error"]
        assert len(httpd.store) == 0
        status, out, _ = request(httpd, "POST", "/api/sessions", headers={"Content-Type": "application/json"})
        assert status == 201


@pytest.mark.parametrize("name", ["127.0.0.5", "127.1.2.3", "localhost", "localhost.", "[::1]"])
def test_every_loopback_name_is_a_valid_host(name):
    with serving() as httpd:
        port = httpd.server_address[1]
        assert request(httpd, "GET", "/api/options", headers={"Host": f"{name}:{port}"})[0] == 200
        status, out, _ = request(httpd, "GET", "/api/options", headers={"Host": f"127.0.0.1.evil.example:{port}"})
        assert status == 403


def test_cli_demo_on_another_loopback_address_prints_a_url_that_works():
    proc = subprocess.Popen(
        [sys.executable, "-m", "micrograd.cli", "demo", "--host", "127.0.0.5", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        m = re.search(r"serving on http://(127\.0\.0\.5):(\d+)/", line)
        assert m, line
        conn = http.client.HTTPConnection(m.group(1), int(m.group(2)), timeout=30)
        conn.request("GET", "/api/options")  # http.client sends the URL's host as Host, as a browser does
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        proc.terminate()
        proc.wait(10)


# ---------------------------------------------------------------------- the deadline per request


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_trickling_client_is_timed_out_as_a_whole(monkeypatch, part):
    monkeypatch.setattr(web_server.DemoHandler, "timeout", 1.0)
    head = b"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n"
    with serving() as httpd:
        host, port = httpd.server_address[:2]
        sock = socket.create_connection((host, port), timeout=10)
        sock.sendall(head + b"\r\n" if part == "body" else b"POST /api/sessions HTTP/1.1\r\n")
        t0, closed_after = time.monotonic(), None
        for i in range(40):  # one byte every 0.2 s: each read is quick, the whole request is not
            try:
                sock.sendall(b"X-Pad: 1\r\n"[i % 10 : i % 10 + 1] if part == "headers" else b" ")
                sock.settimeout(0.2)
                if sock.recv(4096) == b"":  # the server closed the connection
                    closed_after = time.monotonic() - t0
                    break
            except TimeoutError:
                continue  # still open
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - t0
                break
        sock.close()
        # with a 1 s deadline for the whole request; a per-read timeout never fires at this pace (8 s)
        assert closed_after is not None and closed_after < 3.0, closed_after
        # the server noticed within ~1 s: a request right after is answered at once
        assert request(httpd, "GET", "/api/options")[0] == 200


def test_a_huge_json_integer_is_a_400_naming_the_field_not_a_500():
    """math.isfinite(10**400) raises OverflowError: every number a request carries is checked without it."""
    with serving() as httpd:
        huge = 10**400
        status, out, _ = request(httpd, "POST", "/api/sessions", {"lr": huge})
        assert status == 400 and "lr must be a finite number" in out["error"], out
        status, snap, _ = request(httpd, "POST", "/api/sessions", {"hidden": [4], "n": 40})
        sid = snap["session"]
        for path, body, field in [
            ("hyper", {"lr": huge}, "lr"),
            ("weight", {"layer": 0, "to": 0, "from": 0, "value": huge}, "value"),
            ("points", {"op": "add", "x": huge, "y": 0.0, "label": 0}, "x"),
        ]:
            status, out, _ = request(httpd, "POST", f"/api/sessions/{sid}/{path}", body)
            assert status == 400 and field in out["error"] and "Overflow" not in out["error"], (path, out)
