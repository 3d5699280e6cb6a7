"""Tests for micrograd.web: the demo's sessions (unit) and its JSON API (over real HTTP).

The server runs on a free loopback port in a thread (fixture `server`); requests go
through http.client. The browser side is tests/test_web_e2e.py.
"""

import http.client
import json
import math
import os
import re
import socket
import subprocess
import sys
import time

import pytest
from webserver import request, serving

from micrograd.losses import cross_entropy
from micrograd.web import make_server
from micrograd.web import server as web_server
from micrograd.web import session as web_session
from micrograd.web.session import BadRequest, Conflict, Session, SessionStore, parse_config

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def server():
    with serving() as httpd:
        yield httpd


def new_session(httpd, **config):
    status, snap, _ = request(httpd, "POST", "/api/sessions", config)
    assert status == 201, snap
    return snap


def golden_train_losses():
    """The seed program's train losses, step by step (tests/golden, made by the seed program)."""
    losses = {}
    with open(os.path.join(HERE, "golden", "seed_output.txt")) as f:
        for line in f:
            m = re.match(r"step (\d+), train loss (\S+)$", line.strip())
            if m:
                losses[int(m.group(1))] = float(m.group(2))
    return losses


def model_loss(model, x, y, label):
    return cross_entropy(model([x, y]), label).data


# ---------------------------------------------------------------------- sessions (unit)


def test_session_trains_exactly_the_seed_program():
    golden = golden_train_losses()
    s = Session(parse_config({}))
    records = []
    while len(records) < 40:  # a loaded machine may cut a request short (STEP_BUDGET_SECONDS): step on
        records += s.step(min(20, 40 - len(records)))
    assert [r["step"] for r in records] == list(range(40))
    for r in records:
        assert math.isclose(r["train_loss"], golden[r["step"]], rel_tol=1e-10), r


def test_trace_gradients_are_zeroed_and_match_finite_differences():
    s = Session(parse_config({"hidden": [4], "init": "per-weight"}))
    s.step(3)
    x, y, label = 0.3, -0.7, 1
    g1 = s.trace(x, y, label)
    g2 = s.trace(x, y, label)  # the course's page would show twice the gradient here
    assert g1["nodes"] == g2["nodes"]
    # tracing leaves no gradient behind for the next training step
    # (the trace runs on the session's scalar twin of the training model: weights copied in)
    assert all(p.grad == 0.0 for p in s.scalar_model.parameters())
    # every parameter node's grad is d(loss)/d(param), by central differences
    params = dict(s.scalar_model.named_parameters())
    pnodes = [n for n in g1["nodes"] if n["kind"] == "param"]
    assert len(pnodes) == len(params)
    h = 1e-6
    for node in pnodes:
        p = params[node["label"]]
        old = p.data
        p.data = old + h
        up = model_loss(s.scalar_model, x, y, label)
        p.data = old - h
        down = model_loss(s.scalar_model, x, y, label)
        p.data = old
        fd = (up - down) / (2 * h)
        assert node["grad"] == pytest.approx(fd, rel=1e-4, abs=1e-7), node
    # the root is the loss of that point, with grad 1
    root = g1["nodes"][-1]
    assert root["kind"] == "loss" and root["grad"] == 1.0
    assert root["data"] == pytest.approx(model_loss(s.scalar_model, x, y, label), rel=1e-8)
    assert {n["label"] for n in g1["nodes"] if n["kind"] == "input"} == {"x[0]", "x[1]"}


def test_expanded_graph_has_the_same_leaves_and_loss():
    s = Session(parse_config({"hidden": [3]}))
    s.step(2)
    fused = s.trace(0.4, -0.1, 0)
    expanded = s.trace(0.4, -0.1, 0, expand=True)
    assert expanded.get("expanded") and "note" not in expanded
    assert len(expanded["nodes"]) > len(fused["nodes"])
    assert not any(n["label"].endswith("(dot)") or n["label"].startswith("cross_entropy") for n in expanded["nodes"])
    leaves = lambda g: sorted((n["label"], n["data"], n["grad"]) for n in g["nodes"] if n["kind"] in ("param", "input"))  # noqa: E731
    assert [leaf[:2] for leaf in leaves(expanded)] == [leaf[:2] for leaf in leaves(fused)]
    for a, b in zip(leaves(expanded), leaves(fused)):
        assert a[2] == pytest.approx(b[2], rel=1e-9, abs=1e-12), a
    assert expanded["nodes"][-1]["kind"] == "loss"
    assert expanded["nodes"][-1]["data"] == pytest.approx(fused["nodes"][-1]["data"], rel=1e-12)
    # edges point from earlier to later nodes: the order is topological
    assert all(c < p for c, p in expanded["edges"])


def test_tracing_between_steps_does_not_change_training():
    a, b = Session(parse_config({})), Session(parse_config({}))
    la, lb = [], []
    for _ in range(5):
        la += [r["train_loss"] for r in a.step(2)]
        b.trace(0.5, 0.5, 2)
        b.trace(-1.0, 0.2, 0)
        lb += [r["train_loss"] for r in b.step(2)]
    assert la == lb


def test_grid_is_the_models_softmax_at_the_cell_centres():
    s = Session(parse_config({"dataset": "moons", "hidden": [6, 5], "activation": "relu"}))
    s.step(10)
    grid = s.grid()
    G, C = grid["size"], grid["classes"]
    assert C == 2 and len(grid["probs"]) == G * G * C
    x0, x1, y0, y1 = s.domain
    for row, col in [(0, 0), (G // 2, G // 3), (G - 1, G - 1), (7, G - 5)]:
        x = x0 + (col + 0.5) * (x1 - x0) / G
        y = y1 - (row + 0.5) * (y1 - y0) / G
        logits = [v.data for v in s.sync_scalar()([x, y])]
        m = max(logits)
        e = [math.exp(z - m) for z in logits]
        want = [100 * v / sum(e) for v in e]
        got = grid["probs"][(row * G + col) * C : (row * G + col + 1) * C]
        assert got == pytest.approx(want, abs=0.51)


def test_zero_level_lines_are_the_first_layer_neurons():
    s = Session(parse_config({"hidden": [3]}))
    lines = s.lines()
    neurons = s.sync_scalar().layers[0].neurons
    assert len(lines) == 3
    for (w0, w1, b), n in zip(lines, neurons):
        assert (w0, w1, b) == pytest.approx((n.w[0].data, n.w[1].data, n.b.data))


def test_optimizer_state_reports_grad_update_and_moments():
    s = Session(parse_config({"optimizer": "sgd", "lr": 0.05, "hidden": [3]}))
    before = [p.data for p in s.sync_scalar().parameters()]
    s.step(1)
    s.sync_scalar()
    st = s.optimizer_state()
    assert st["columns"] == ["parameter", "value", "grad", "update"]  # SGD without momentum keeps no state
    wd = s.config.weight_decay
    for row, old, p in zip(st["rows"], before, s.scalar_model.parameters()):
        name, value, grad, update = row
        assert value == pytest.approx(p.data, abs=1e-9)
        assert update == pytest.approx(p.data - old, abs=1e-9)
        assert update == pytest.approx(-0.05 * (grad + wd * old), rel=1e-6, abs=1e-9)  # torch's SGD rule
    s = Session(parse_config({}))  # the seed's Adam: m and v
    s.step(2)
    st = s.optimizer_state()
    assert st["columns"] == ["parameter", "value", "grad", "m", "v", "update"]
    assert st["t"] == 2 and len(st["rows"]) == len(s.scalar_model.parameters())
    assert all(row[4] >= 0 for row in st["rows"])


def test_points_add_and_remove():
    s = Session(parse_config({}))
    n_train = len(s.trainer.train_split)
    s.add_point(1.5, 1.5, 0)
    assert len(s.trainer.train_split) == n_train + 1
    assert s.trainer.train_split[-1] == ([1.5, 1.5], 0)
    removed = s.remove_nearest(1.49, 1.52)
    assert removed == {"split": "train", "x": 1.5, "y": 1.5, "label": 0}
    assert len(s.trainer.train_split) == n_train
    # the last point of a split cannot go (its loss would be undefined)
    del s.trainer.val_split[1:]
    ((xy, _),) = s.trainer.val_split
    with pytest.raises(Conflict, match="last one of the val split"):
        s.remove_nearest(*xy)


def test_diverging_run_is_a_conflict_not_a_crash():
    s = Session(parse_config({"optimizer": "sgd", "lr": 10.0, "hidden": [8]}))
    for p in s.model.parameters():  # huge weights: the logits overflow to inf
        p.data = p.data * 0.0 + 1e308
    with pytest.raises(Conflict, match="diverged"):
        s.step(1)
    snap = s.snapshot()
    json.dumps(snap, allow_nan=False)  # still valid JSON for the page


def test_history_stays_bounded_and_keeps_its_ends():
    records = [{"step": i} for i in range(web_session.MAX_HISTORY + 1)]
    thinned = web_session.thin(records)
    assert len(thinned) <= web_session.MAX_HISTORY
    assert thinned[0] == records[0] and thinned[-1] == records[-1]
    assert thinned[-5000:] == records[-5000:]  # recent steps are all there
    steps = [r["step"] for r in thinned]
    assert steps == sorted(set(steps))
    assert web_session.thin(records[:10]) == records[:10]


def test_server_preset_sets_the_defaults():
    httpd = make_server("127.0.0.1", 0, preset="llm101n")
    try:
        s = httpd.store.create({})
        assert s.config.dataset == "yinyang" and s.config.hidden == [8] and s.config.optimizer == "adamw"
        assert web_server.options("llm101n")["preset"] == "llm101n"
    finally:
        httpd.server_close()


@pytest.mark.parametrize(
    "body, message",
    [
        ({"n": "100"}, "n must be an integer"),
        ({"n": 5}, r"n must be in \[10, 1000\]"),
        ({"n": True}, "n must be an integer"),
        ({"hidden": 16}, "hidden must be a list"),
        ({"hidden": [16, 0]}, r"hidden\[1\] must be in"),
        ({"hidden": [8, 8, 8, 8]}, "hidden must be a list of 1 to 3"),
        ({"lr": "fast"}, "lr must be a finite number"),
        ({"lr": -1}, r"lr must be in"),
        ({"seed": 0}, "seed must be in"),
        ({"dataset": "mnist"}, "dataset must be one of"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of"),
        ({"preset": "nope"}, "preset must be one of"),
        ({"colour": "red"}, "unknown field"),
        ([1, 2], "config must be a JSON object"),
    ],
)
def test_parse_config_refuses_bad_values_naming_them(body, message):
    with pytest.raises(BadRequest, match=message):
        parse_config(body)


def test_store_bounds_and_expires_sessions(monkeypatch):
    clock = [time.monotonic()]
    monkeypatch.setattr(web_session.time, "monotonic", lambda: clock[0])
    store = SessionStore(max_sessions=2, idle_seconds=60, active_seconds=5)
    a, b = store.create({"hidden": [2]}), store.create({"hidden": [2]})
    clock[0] += 6  # both idle past active_seconds: either may make room
    assert store.get(a.id) is a  # a is now the most recently used
    c = store.create({"hidden": [2]})  # evicts b, the least recently used idle one
    assert len(store) == 2 and store.get(b.id) is None and store.get(c.id) is c
    clock[0] += 61
    assert store.get(a.id) is None and len(store) == 0
    with pytest.raises(ValueError, match="unknown preset"):
        SessionStore(default_preset="nope")


# ---------------------------------------------------------------------- the HTTP API


def test_page_and_assets_are_served_offline(server):
    status, html, resp = request(server, "GET", "/")
    assert status == 200 and resp.getheader("Content-Type").startswith("text/html")
    assert "default-src 'self'" in resp.getheader("Content-Security-Policy")
    html = html.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert {"/static/app.js", "/static/graph.js", "/static/style.css"} <= set(assets)
    for path in assets:
        status, body, resp = request(server, "GET", path)
        assert status == 200 and len(body) > 500, path
    # nothing is fetched from elsewhere: no URL but the SVG namespace in any static file
    static = os.path.join(os.path.dirname(web_server.__file__), "static")
    for name in os.listdir(static):
        with open(os.path.join(static, name), encoding="utf-8") as f:
            text = f.read().replace("http://www.w3.org/2000/svg", "")
        assert not re.search(r"https?://|//cdn|@import", text), name


def test_api_session_lifecycle(server):
    snap = new_session(server, hidden=[4], dataset="circles")
    sid = snap["session"]
    assert snap["step"] == 0 and snap["config"]["hidden"] == [4] and snap["config"]["dataset"] == "circles"
    assert len(snap["points"]["train"]) == 80 and len(snap["points"]["val"]) == 10
    status, out, _ = request(server, "POST", f"/api/sessions/{sid}/step", {"steps": 3})
    assert status == 200 and out["step"] == 3 and [r["step"] for r in out["records"]] == [0, 1, 2]
    assert all(0 <= a <= 100 for a in out["accuracy"][1:])
    status, out, _ = request(server, "POST", f"/api/sessions/{sid}/pick", {"x": 0.1, "y": -0.2, "label": 2})
    assert status == 200 and out["graph"]["point"] == {"x": 0.1, "y": -0.2, "label": 2}
    assert out["graph"]["nodes"][-1]["kind"] == "loss"
    # the graph follows the training: after a step the same point is traced again
    status, out2, _ = request(server, "POST", f"/api/sessions/{sid}/step", {})
    assert out2["step"] == 4 and out2["graph"]["nodes"][-1]["data"] != out["graph"]["nodes"][-1]["data"]
    status, out, _ = request(server, "POST", f"/api/sessions/{sid}/points", {"op": "add", "x": 0.0, "y": 0.0, "label": 1})
    assert status == 200 and [0.0, 0.0, 1] in out["points"]["train"]
    status, out, _ = request(server, "POST", f"/api/sessions/{sid}/points", {"op": "remove", "x": 0.01, "y": 0.0})
    assert status == 200 and out["removed"]["x"] == 0.0 and [0.0, 0.0, 1] not in out["points"]["train"]
    status, out, _ = request(server, "POST", f"/api/sessions/{sid}/reset", {"optimizer": "adamw", "hidden": [3, 3]})
    assert status == 200 and out["step"] == 0 and out["history"] == []
    assert out["optimizer"]["optimizer"] == "AdamW" and len(out["optimizer"]["rows"]) == 3 * 3 + 3 * 4 + 3 * 4
    status, full, _ = request(server, "GET", f"/api/sessions/{sid}")
    assert status == 200 and full["config"]["hidden"] == [3, 3]
    status, _, _ = request(server, "DELETE", f"/api/sessions/{sid}")
    assert status == 204
    status, out, _ = request(server, "GET", f"/api/sessions/{sid}")
    assert status == 404 and "unknown session" in out["error"]


def test_api_history_matches_the_seed_program(server):
    golden = golden_train_losses()
    sid = new_session(server)["session"]
    for _ in range(3):
        request(server, "POST", f"/api/sessions/{sid}/step", {"steps": 10})
    status, snap, _ = request(server, "GET", f"/api/sessions/{sid}")
    assert [r["step"] for r in snap["history"]] == list(range(30))
    for r in snap["history"]:
        assert math.isclose(r["train_loss"], golden[r["step"]], rel_tol=1e-10)
    assert len(snap["accuracy_history"]) == 4  # at creation, then after each request


def test_sessions_are_independent(server):
    a = new_session(server)["session"]
    b = new_session(server, lr=0.01)["session"]
    _, ra, _ = request(server, "POST", f"/api/sessions/{a}/step", {"steps": 2})
    _, rb, _ = request(server, "POST", f"/api/sessions/{b}/step", {"steps": 1})
    assert ra["step"] == 2 and rb["step"] == 1
    assert ra["records"][0]["train_loss"] == rb["records"][0]["train_loss"]  # same data and init
    assert ra["records"][1]["train_loss"] != request(server, "POST", f"/api/sessions/{b}/step", {})[1]["records"][0]["train_loss"]


SID = "0" * 32  # well-formed but unknown


def malformed_requests(sid):
    """(method, path, body bytes, headers, expected status, a word the message must contain)."""
    j = {"Content-Type": "application/json"}
    return [
        ("POST", "/api/sessions", b"{not json", j, 400, "malformed JSON"),
        ("POST", "/api/sessions", b'{"lr": NaN}', j, 400, "NaN"),
        ("POST", "/api/sessions", b"\xff\xfe", j, 400, "UTF-8"),
        ("POST", "/api/sessions", b"[" * 100000 + b"]" * 100000, j, 413, "too large"),
        ("POST", "/api/sessions", b"[" * 30000 + b"]" * 30000, j, 400, "JSON"),
        ("POST", "/api/sessions", b'{"n": "many"}', j, 400, "n must be an integer"),
        ("POST", "/api/sessions", b'{"hidden": [1e9]}', j, 400, "hidden[0]"),
        ("POST", "/api/sessions", b'{"lr": 1e400}', j, 400, "lr"),
        ("POST", "/api/sessions", b'"a string"', j, 400, "JSON object"),
        ("POST", "/api/sessions", b'{"n": 100}', {"Content-Type": "text/plain"}, 415, "application/json"),
        ("POST", f"/api/sessions/{sid}/step", b'{"steps": 1000}', j, 400, "steps must be in"),
        ("POST", f"/api/sessions/{sid}/step", b'{"steps": "3"}', j, 400, "steps must be an integer"),
        ("POST", f"/api/sessions/{sid}/step", b'{"step": 3}', j, 400, "unknown field"),
        ("POST", f"/api/sessions/{sid}/pick", b'{"x": 0, "y": 0}', j, 400, "label"),
        ("POST", f"/api/sessions/{sid}/pick", b'{"x": 0, "y": 1e300, "label": 0}', j, 400, "y must be in"),
        ("POST", f"/api/sessions/{sid}/pick", b'{"x": 0, "y": 0, "label": 7}', j, 400, "label must be in"),
        ("POST", f"/api/sessions/{sid}/pick", b'{"x": null, "y": 0, "label": 0}', j, 400, "x must be a finite number"),
        ("POST", f"/api/sessions/{sid}/pick", b'{"x": 0, "y": 0, "label": 0, "expand": 1}', j, 400, "expand must be"),
        ("POST", f"/api/sessions/{sid}/points", b'{"op": "move"}', j, 400, "op must be"),
        ("POST", f"/api/sessions/{sid}/points", b'{"op": "add", "x": 0, "y": 0, "label": -1}', j, 400, "label"),
        ("POST", f"/api/sessions/{sid}/reset", b'{"activation": "gelu"}', j, 400, "activation must be"),
        ("POST", f"/api/sessions/{SID}/step", b"{}", j, 404, "unknown session"),
        ("GET", f"/api/sessions/{SID}", b"", {}, 404, "unknown session"),
        ("GET", "/api/sessions/../../etc/passwd", b"", {}, 404, "no such"),
        ("GET", "/api/nothing", b"", {}, 404, "no such"),
        ("GET", "/static/../server.py", b"", {}, 404, "not found"),
        ("GET", "/static/%2e%2e/server.py", b"", {}, 404, "not found"),
        ("PUT", "/api/sessions", b"{}", j, 405, "not allowed"),
        ("GET", f"/api/sessions/{sid}/step", b"", {}, 405, "use POST"),
        ("POST", "/", b"{}", j, 405, "not allowed"),
    ]


def send_raw(httpd, method, path, body, headers):
    host, port = httpd.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request(method, path, body=body or None, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, json.loads(data) if data else None


def test_malformed_requests_get_4xx_with_a_message(server):
    sid = new_session(server, hidden=[2])["session"]
    for method, path, body, headers, want, word in malformed_requests(sid):
        status, out = send_raw(server, method, path, body, headers)
        assert status == want, (method, path, body[:60], out)
        assert word in out["error"], (path, body[:60], out)


def recv_all(sock):
    """Everything until the server closes the connection."""
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def test_huge_body_is_refused_without_reading_it(server):
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000000\r\n\r\n{"
        )
        reply = recv_all(sock).decode()
    assert reply.startswith("HTTP/1.1 413") and "too large" in reply


def test_garbage_on_the_socket_gets_a_400(server):
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(b"\x16\x03\x01 this is not HTTP\r\n\r\n")
        reply = recv_all(sock).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 400") or reply.startswith("HTTP/1.0 400")


def test_server_survives_1000_malformed_requests(server):
    sid = new_session(server, hidden=[2])["session"]
    bad = [r for r in malformed_requests(sid) if r[4] != 413]  # 413s close the connection by design
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    t0 = time.monotonic()
    for i in range(1000):
        method, path, body, headers, want, _ = bad[i % len(bad)]
        if i % 50 == 49:  # now and then a fresh connection and a truncated request
            conn.close()
            with socket.create_connection((host, port), timeout=10) as sock:
                sock.sendall(b'POST /api/sessions HTTP/1.1\r\nContent-Length: 50\r\n\r\n{"n":')
            conn = http.client.HTTPConnection(host, port, timeout=30)
            continue
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        resp.read()
        assert 400 <= resp.status < 500, (i, path, resp.status)
        if resp.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=30)
        assert time.monotonic() - t0 < 120
    conn.close()
    # still serving, and the session still trains
    status, out, _ = request(server, "POST", f"/api/sessions/{sid}/step", {"steps": 2})
    assert status == 200 and out["step"] == 2
    assert request(server, "GET", "/")[0] == 200


def test_foreign_host_header_is_refused(server):
    status, out, _ = request(server, "GET", "/api/options", headers={"Host": "evil.example:8000"})
    assert status == 403 and "loopback" in out["error"]
    assert request(server, "GET", "/api/options", headers={"Host": "localhost"})[0] == 200


def test_busy_session_answers_503(server, monkeypatch):
    monkeypatch.setattr(web_server, "LOCK_TIMEOUT", 0.2)
    sid = new_session(server, hidden=[2])["session"]
    s = server.store.get(sid)
    with s.lock:  # another request holds the session
        status, out, _ = request(server, "POST", f"/api/sessions/{sid}/step", {})
    assert status == 503 and "busy" in out["error"]
    assert request(server, "POST", f"/api/sessions/{sid}/step", {})[0] == 200


def test_slow_client_does_not_block_others(server, monkeypatch):
    monkeypatch.setattr(web_server.DemoHandler, "timeout", 0.5)
    host, port = server.server_address[:2]
    slow = socket.create_connection((host, port), timeout=10)
    slow.sendall(
        b"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{"
    )
    assert request(server, "GET", "/api/options")[0] == 200  # served while the slow one waits
    slow.settimeout(5)
    assert slow.recv(4096) == b""  # the server gave up on it and closed the connection
    slow.close()


def test_internal_error_is_a_500_and_the_server_goes_on(server, monkeypatch):
    sid = new_session(server, hidden=[2])["session"]

    def broken(self, steps=1):
        raise RuntimeError("boom")

    monkeypatch.setattr(Session, "step", broken)
    status, out, _ = request(server, "POST", f"/api/sessions/{sid}/step", {})
    assert status == 500 and "boom" in out["error"]
    monkeypatch.undo()
    assert request(server, "POST", f"/api/sessions/{sid}/step", {})[0] == 200


def test_options_offer_every_choice(server):
    status, opts, _ = request(server, "GET", "/api/options")
    assert status == 200
    assert {"simple", "circles", "yinyang", "moons", "spiral"} <= set(opts["datasets"])
    assert set(opts["optimizers"]) == {"seed-adam", "adam", "adamw", "sgd"}
    assert opts["preset_defaults"]["llm101n"]["dataset"] == "yinyang"
    assert opts["preset_defaults"]["seed"]["hidden"] == [16]


def test_make_server_refuses_bad_arguments():
    with pytest.raises(ValueError, match="port"):
        make_server("127.0.0.1", 70000)
    with pytest.raises(ValueError, match="preset"):
        make_server("127.0.0.1", 0, preset="nope")


# ---------------------------------------------------------------------- the CLI


def test_cli_demo_prints_the_url_and_serves():
    proc = subprocess.Popen(
        [sys.executable, "-m", "micrograd.cli", "demo", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        m = re.search(r"serving on (http://127\.0\.0\.1:(\d+)/)", line)
        assert m, line
        conn = http.client.HTTPConnection("127.0.0.1", int(m.group(2)), timeout=30)
        conn.request("GET", "/api/options")
        assert conn.getresponse().status == 200
        conn.close()
        # a second server on the same port: one line, exit status 2
        busy = subprocess.run(
            [sys.executable, "-m", "micrograd.cli", "demo", "--port", m.group(2), "--no-browser"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert busy.returncode == 2
        assert busy.stderr.count("\n") == 1 and "cannot serve on" in busy.stderr
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize(
    "args, word",
    [
        (["--port", "70000"], "--port"),
        (["--port", "x"], "--port"),
        (["--preset", "nope"], "--preset"),
        (["--host", "no-such-host.invalid", "--port", "0"], "--host 'no-such-host.invalid'"),
    ],
)
def test_cli_demo_bad_flags(args, word):
    r = subprocess.run(
        [sys.executable, "-m", "micrograd.cli", "demo", "--no-browser", *args], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2 and word in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr  # one line: no warning before the error


def test_importing_the_package_does_not_start_the_web_stack():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, micrograd, micrograd.cli; print('micrograd.web' in sys.modules, 'http.server' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.split() == ["False", "False"]
