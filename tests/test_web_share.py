"""The demo's shared runs, checkpoints, CSV drops, live hyperparameters and side-by-side comparisons,
through the HTTP API (micrograd.web.share, micrograd.web.compare).

A shared link must replay the run bit for bit; a downloaded checkpoint must resume on the CLI
(a subprocess) with the lines the uninterrupted run prints; every refusal is a 4xx whose message
names what is wrong.
"""

import base64
import json
import os
import subprocess
import sys
import time

import pytest
from webserver import request, serving

from micrograd.web.forms import LIMITS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMALL = {"hidden": [4], "n": 40}  # a fast run: the tests check behaviour, not speed


@pytest.fixture(scope="module")
def server():
    with serving(max_sessions=200) as httpd:  # every test opens sessions, all in use
        yield httpd


def new(server, config=None):
    status, snap, _ = request(server, "POST", "/api/sessions", {**SMALL, **(config or {})})
    assert status == 201, snap
    return snap["session"]


def call(server, method, path, body=None, want=200, raw=None):
    headers = {"Content-Type": "application/json"} if raw is not None else None
    status, out, _ = request(server, method, path, body, headers=headers, raw=raw)
    assert status == want, out
    return out


def step(server, sid, k):
    return call(server, "POST", f"/api/sessions/{sid}/step", {"steps": k})


def numbers(snap):
    """What the page shows of a run, without the wall-clock timings."""
    hist = [{k: v for k, v in r.items() if k != "seconds"} for r in snap["history"]]
    return hist, snap["optimizer"], snap["grid"], snap["points"], snap["accuracy"], snap["step"]


def run_cli(*args):
    env = {**os.environ, "PYTHONPATH": os.path.join(ROOT, "src")}
    return subprocess.run([sys.executable, "-m", "micrograd.cli", *args], capture_output=True, text=True, env=env, timeout=120)


# ---------------------------------------------------------------------- share links


def test_shared_link_replays_edits_and_lr_changes_bit_for_bit(server):
    sid = new(server, {"lr": 0.05})
    step(server, sid, 3)
    call(server, "POST", f"/api/sessions/{sid}/points", {"op": "add", "x": 0.3125, "y": -0.7, "label": 1})
    step(server, sid, 2)
    call(server, "POST", f"/api/sessions/{sid}/points", {"op": "remove", "x": 1.0, "y": 0.5})
    call(server, "POST", f"/api/sessions/{sid}/hyper", {"lr": 0.02})
    step(server, sid, 4)
    share = call(server, "GET", f"/api/sessions/{sid}/share")
    assert share["step"] == 9 and share["chars"] == len(share["token"]) <= LIMITS["share_chars"]
    original = call(server, "GET", f"/api/sessions/{sid}")
    replayed = call(server, "POST", "/api/share", {"token": share["token"]}, want=201)
    assert replayed["session"] != sid
    assert numbers(replayed) == numbers(original)
    assert replayed["config"]["lr"] == 0.02
    # and the replay is itself shareable, with the same token
    assert call(server, "GET", f"/api/sessions/{replayed['session']}/share")["token"] == share["token"]


def test_shared_link_replays_weight_and_bias_edits_bit_for_bit(server):
    """A weight or bias set on the network view is part of the run: the link replays it at its step."""
    sid = new(server)
    step(server, sid, 4)
    call(server, "POST", f"/api/sessions/{sid}/weight", {"layer": 0, "to": 1, "from": 0, "value": 2.5})
    step(server, sid, 3)
    call(server, "POST", f"/api/sessions/{sid}/weight", {"layer": 1, "to": 0, "from": "bias", "value": -0.75})
    step(server, sid, 2)
    share = call(server, "GET", f"/api/sessions/{sid}/share")
    original = call(server, "GET", f"/api/sessions/{sid}")
    replayed = call(server, "POST", "/api/share", {"token": share["token"]}, want=201)
    assert numbers(replayed) == numbers(original) and replayed["network"] == original["network"]
    # without the edits the same config gives another run: the edits are what the link carries
    plain = call(server, "POST", "/api/sessions", SMALL, want=201)
    step(server, plain["session"], 9)
    assert numbers(call(server, "GET", f"/api/sessions/{plain['session']}")) != numbers(original)


def test_shared_link_differs_when_an_edit_moves_a_step(server):
    a, b = new(server), new(server)
    for sid, at in ((a, 1), (b, 2)):
        step(server, sid, at)
        call(server, "POST", f"/api/sessions/{sid}/points", {"op": "add", "x": 0.5, "y": 0.5, "label": 0})
        step(server, sid, 3 - at)
    ta, tb = (call(server, "GET", f"/api/sessions/{s}/share")["token"] for s in (a, b))
    assert ta != tb
    ra, rb = (call(server, "POST", "/api/share", {"token": t}, want=201) for t in (ta, tb))
    assert numbers(ra)[0] != numbers(rb)[0]  # the edit's step matters, and the replay honours it


def _token(doc):
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token, message",
    [
        ("not a token!", "base64url"),
        ("eyJ2IjoxLCJw", "does not decode"),
        (_token({"v": 2, "p": "seed", "c": {}, "e": [], "s": 0}), "version 2"),
        (_token({"v": 1, "p": "seed", "c": {"hidden": [99]}, "e": [], "s": 0}), "hidden[0] must be in [1, 32]"),
        (_token({"v": 1, "p": "seed", "c": {}, "e": [], "s": 10**6}), "s must be in [0, 2000]"),
        (_token({"v": 1, "p": "seed", "c": {}, "e": [[3, "add", 0, 0, 0], [1, "add", 0, 0, 0]], "s": 5}), "edit 1 step"),
        (_token({"v": 1, "p": "seed", "c": {}, "e": [[0, "teleport", 0, 0]], "s": 1}), "edit 0 must be"),
        (_token({"v": 1, "p": "seed", "c": {}, "e": [[0, "add", 0, 0, 7]], "s": 1}), "edit 0: label must be in [0, 2]"),
        (_token({"v": 1, "p": "seed", "c": {}, "e": [[0, "hyper", {"momentum": 0.5}]], "s": 1}), "momentum is not"),
        (_token({"v": 1, "p": "seed", "c": {}, "s": 0}), "missing field 'e'"),
        ("A" * (LIMITS["share_chars"] + 1), "over the limit"),
    ],
)
def test_bad_shared_links_are_refused_with_a_message(server, token, message):
    out = call(server, "POST", "/api/share", {"token": token}, want=400)
    assert message in out["error"]


def test_a_refused_replay_leaves_no_session_behind(server):
    before = len(server.store)
    token = _token({"v": 1, "p": "seed", "c": SMALL, "e": [[0, "add", 0, 0, 7]], "s": 1})
    call(server, "POST", "/api/share", {"token": token}, want=400)
    assert len(server.store) == before


# ---------------------------------------------------------------------- checkpoints


def test_downloaded_checkpoint_resumes_on_the_cli_with_identical_lines(server, tmp_path):
    sid = new(server, {"lr": 0.05})
    step(server, sid, 5)
    doc = call(server, "GET", f"/api/sessions/{sid}/checkpoint")
    assert doc["format"] == "micrograd-checkpoint" and doc["payload"]["step"] == 5
    path = tmp_path / "web.ckpt.json"
    path.write_text(json.dumps(doc))
    assert doc["payload"]["config"]["engine"] == "tensor"  # the run the page trained, as it trained it
    resumed = run_cli("train", "--resume", str(path), "--steps", "9")
    whole = run_cli(
        "train", "--hidden", "4", "--n", "40", "--lr", "0.05", "--eval-every", "1", "--steps", "9", "--engine", "tensor"
    )
    assert resumed.returncode == whole.returncode == 0, resumed.stderr + whole.stderr
    lines = whole.stdout.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("step 5,")))
    assert resumed.stdout.splitlines() == lines[start:]
    # the web run's step 5 is the CLI's step 5 too: the page and the CLI train the same way
    web = call(server, "GET", f"/api/sessions/{sid}")
    assert f"step 4, train loss {web['history'][4]['train_loss']!r}" in lines
    # and the page's next steps print the resumed lines: bit for bit
    for r in step(server, sid, 4)["records"]:
        assert f"step {r['step']}, train loss {r['train_loss']!r}" in resumed.stdout.splitlines()


def test_checkpoint_after_a_live_lr_change_resumes_with_the_new_rate(server, tmp_path):
    sid = new(server)
    step(server, sid, 2)
    call(server, "POST", f"/api/sessions/{sid}/hyper", {"lr": 0.01})
    step(server, sid, 1)
    doc = call(server, "GET", f"/api/sessions/{sid}/checkpoint")
    assert doc["payload"]["config"]["lr"] == 0.01 and doc["payload"]["optimizer"]["hyper"]["lr"] == 0.01
    path = tmp_path / "lr.ckpt.json"
    path.write_text(json.dumps(doc))
    out = run_cli("train", "--resume", str(path), "--steps", "4")
    assert out.returncode == 0, out.stderr
    # the web session's next step is the CLI's first resumed line
    nxt = step(server, sid, 1)["records"][0]
    assert out.stdout.splitlines()[1] == f"step 3, train loss {nxt['train_loss']!r}"


def test_checkpoint_of_an_edited_run_is_refused_with_the_reason(server):
    sid = new(server)
    call(server, "POST", f"/api/sessions/{sid}/points", {"op": "add", "x": 0.1, "y": 0.1, "label": 0})
    out = call(server, "GET", f"/api/sessions/{sid}/checkpoint", want=409)
    assert "points were edited" in out["error"] and "link" in out["error"]


def test_uploaded_checkpoint_replaces_the_run_and_continues_it(server):
    a = new(server)
    step(server, a, 4)
    doc = call(server, "GET", f"/api/sessions/{a}/checkpoint")
    b = new(server, {"hidden": [2]})
    snap = call(server, "POST", f"/api/sessions/{b}/checkpoint", raw=json.dumps(doc).encode())
    assert snap["session"] == b and snap["step"] == 4 and snap["config"]["hidden"] == [4]
    kept = lambda rows: [r[:2] + r[3:-1] for r in rows]  # noqa: E731  (value and moments; not the last grad/update)
    assert kept(snap["optimizer"]["rows"]) == kept(call(server, "GET", f"/api/sessions/{a}")["optimizer"]["rows"])
    ra, rb = step(server, a, 2)["records"], step(server, b, 2)["records"]
    assert [r["train_loss"] for r in ra] == [r["train_loss"] for r in rb]
    # an uploaded run cannot become a link (it has no recipe), and says why
    assert "uploaded checkpoint" in call(server, "GET", f"/api/sessions/{b}/share", want=409)["error"]


def _tampered(doc):
    doc = json.loads(json.dumps(doc))
    doc["payload"]["step"] += 1
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    "mangle, want, message",
    [
        (lambda d: json.dumps(d).encode()[:-40], 400, "truncated"),
        (_tampered, 400, "checksum mismatch"),
        (lambda d: json.dumps({**d, "version": 7}).encode(), 400, "unsupported version 7"),
        (lambda d: json.dumps({**d, "format": "pickle"}).encode(), 400, "not a micrograd checkpoint"),
        (lambda d: b"[1, 2]", 400, "not a micrograd checkpoint"),
        (lambda d: b" " * (LIMITS["checkpoint_bytes"] + 1), 413, "too large"),
    ],
)
def test_broken_or_tampered_checkpoints_are_refused(server, mangle, want, message):
    a = new(server)
    doc = call(server, "GET", f"/api/sessions/{a}/checkpoint")
    step(server, a, 1)
    out = call(server, "POST", f"/api/sessions/{a}/checkpoint", raw=mangle(doc), want=want)
    assert message in out["error"]
    assert "/tmp" not in out["error"]  # the server's temporary path is never shown
    assert call(server, "GET", f"/api/sessions/{a}")["step"] == 1  # the run is untouched


def test_checkpoint_outside_the_demo_limits_is_refused(server, tmp_path):
    from micrograd import checkpoint
    from micrograd.train import TrainConfig, make_trainer

    t = make_trainer(TrainConfig(hidden=[40], n=20, steps=1))
    path = tmp_path / "big.ckpt.json"
    checkpoint.save_trainer(str(path), t)
    sid = new(server)
    out = call(server, "POST", f"/api/sessions/{sid}/checkpoint", raw=path.read_bytes(), want=400)
    assert "hidden[0] must be in [1, 32]" in out["error"]


# ---------------------------------------------------------------------- CSV drops


def _csv(rows=60):
    return "x,y,label\n" + "".join(f"{(i % 7) / 3 - 1},{(i * 5 % 11) / 5 - 1},{i % 2}\n" for i in range(rows))


def test_dropped_csv_becomes_the_run_and_its_checkpoint_resumes_with_data(server, tmp_path):
    sid = new(server)
    snap = call(server, "POST", f"/api/sessions/{sid}/data", {"name": "mine.csv", "csv": _csv(), "config": SMALL})
    assert [len(snap["points"][k]) for k in ("train", "val", "test")] == [48, 6, 6]
    step(server, sid, 2)
    doc = call(server, "GET", f"/api/sessions/{sid}/checkpoint")
    assert doc["payload"]["config"]["data"] == "mine.csv"
    (tmp_path / "mine.csv").write_text(_csv())
    (tmp_path / "run.ckpt.json").write_text(json.dumps(doc))
    out = run_cli("train", "--resume", str(tmp_path / "run.ckpt.json"), "--data", str(tmp_path / "mine.csv"), "--steps", "3")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1] == f"step 2, train loss {step(server, sid, 1)['records'][0]['train_loss']!r}"
    # a different file under the same name is caught by the data fingerprint
    (tmp_path / "mine.csv").write_text(_csv(70))
    out = run_cli("train", "--resume", str(tmp_path / "run.ckpt.json"), "--data", str(tmp_path / "mine.csv"))
    assert out.returncode == 2 and "data differ" in out.stderr


@pytest.mark.parametrize(
    "csv, message",
    [
        ("x,y,label\n1,2,0\n1,oops,1\n", "line 3: column 2 (y) is not a number: 'oops'"),
        ("x,y,z,label\n" + "1,2,3,0\n2,3,4,1\n" * 10, "3 coordinate columns"),
        ("", "empty file"),
        ("x,y,label\n" + "0.5,0.5,0\n" * 10, "at least two classes"),
        ("x,y,label\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(LIMITS["points"] + 1)), "over the demo's limit"),
    ],
)
def test_bad_csv_drops_are_refused_as_the_cli_refuses_them(server, csv, message):
    sid = new(server)
    out = call(server, "POST", f"/api/sessions/{sid}/data", {"name": "drop.csv", "csv": csv}, want=400)
    assert message in out["error"]
    assert "/tmp" not in out["error"] and ("drop.csv" in out["error"] or "empty" in out["error"])
    assert call(server, "GET", f"/api/sessions/{sid}")["points"]["train"]  # the old run is still there


def test_csv_over_the_size_limit_is_refused_before_it_is_read(server):
    sid = new(server)
    big = "x,y,label\n" + "0.000000001,0.000000001,0\n" * (LIMITS["csv_bytes"] // 20)
    out = call(server, "POST", f"/api/sessions/{sid}/data", {"name": "big.csv", "csv": big}, want=413)
    assert "too large" in out["error"]


# ---------------------------------------------------------------------- live hyperparameters


def test_live_lr_change_keeps_the_run_and_takes_effect(server):
    a, b = new(server), new(server)
    step(server, a, 3), step(server, b, 3)
    before = call(server, "GET", f"/api/sessions/{a}")
    snap = call(server, "POST", f"/api/sessions/{a}/hyper", {"lr": 0.001})
    assert snap["step"] == 3 and snap["config"]["lr"] == 0.001
    assert snap["optimizer"]["rows"] == before["optimizer"]["rows"] and snap["optimizer"]["t"] == 3  # no reset
    ra, rb = step(server, a, 1), step(server, b, 1)
    # the same step's loss (computed before the update), then different updates: the new rate is live
    assert ra["records"][0]["train_loss"] == rb["records"][0]["train_loss"]
    ua = [abs(r[-1]) for r in ra["optimizer"]["rows"]]
    ub = [abs(r[-1]) for r in rb["optimizer"]["rows"]]
    assert sum(ua) < sum(ub) / 10


@pytest.mark.parametrize(
    "body, message",
    [
        ({"lr": -1}, "lr must be in [0.0, 10.0]"),
        ({"lr": "fast"}, "lr must be a finite number"),
        ({"momentum": 0.9}, "momentum is not a hyperparameter of optimizer 'seed-adam'"),
        ({"hidden": [3]}, "unknown field(s) in hyperparameter change: 'hidden'"),
        ({}, "needs at least one of"),
        ({"beta1": 1.5}, "beta1"),
    ],
)
def test_bad_hyperparameter_changes_are_refused(server, body, message):
    sid = new(server)
    out = call(server, "POST", f"/api/sessions/{sid}/hyper", body, want=400)
    assert message in out["error"]
    assert call(server, "GET", f"/api/sessions/{sid}")["config"]["lr"] == 0.1


# ---------------------------------------------------------------------- model limits (the +/- buttons)


@pytest.mark.parametrize(
    "config, message",
    [({"hidden": [4, 4, 4, 4]}, "hidden must be a list of 1 to 3"), ({"hidden": [33]}, "hidden[0] must be in [1, 32]")],
)
def test_model_limits_are_refused_without_a_reset(server, config, message):
    sid = new(server)
    step(server, sid, 2)
    out = call(server, "POST", f"/api/sessions/{sid}/reset", {**SMALL, **config}, want=400)
    assert message in out["error"]
    assert call(server, "GET", f"/api/sessions/{sid}")["step"] == 2  # never a silent reset


def test_options_publish_the_limits(server):
    limits = call(server, "GET", "/api/options")["limits"]
    for key in ("share_chars", "edits", "replay_steps", "checkpoint_bytes", "csv_bytes", "compare_runs", "comparisons"):
        assert limits[key] == (list(LIMITS[key]) if isinstance(LIMITS[key], tuple) else LIMITS[key])


# ---------------------------------------------------------------------- side by side


def test_comparison_starts_from_identical_weights_and_steps_together(server):
    runs = [{"optimizer": "sgd", "lr": 0.2}, {"optimizer": "adam"}, {"optimizer": "adamw", "lr": 0.01}]
    c = call(server, "POST", "/api/compare", {"base": SMALL, "runs": runs}, want=201)
    snaps = c["runs"]
    assert [s["config"]["optimizer"] for s in snaps] == ["sgd", "adam", "adamw"]
    values = [[row[1] for row in s["optimizer"]["rows"]] for s in snaps]
    assert values[0] == values[1] == values[2]  # the same weight draw
    assert snaps[0]["points"] == snaps[1]["points"] == snaps[2]["points"]  # the same data draw
    out = call(server, "POST", f"/api/compare/{c['id']}/step", {"steps": 3})
    assert out["step"] == 3 and [s["step"] for s in out["runs"]] == [3, 3, 3]
    first = [s["records"][0]["train_loss"] for s in out["runs"]]
    assert first[0] == first[1] == first[2]  # the same start: the same first loss
    assert len({s["records"][-1]["train_loss"] for s in out["runs"]}) == 3  # then each optimizer its own way
    # each run equals the same config run alone
    alone = new(server, runs[1])
    assert step(server, alone, 3)["records"][-1]["train_loss"] == out["runs"][1]["records"][-1]["train_loss"]
    full = call(server, "GET", f"/api/compare/{c['id']}")
    assert [len(s["history"]) for s in full["runs"]] == [3, 3, 3]
    ids = [s["session"] for s in snaps]
    request(server, "DELETE", f"/api/compare/{c['id']}")
    assert all(request(server, "GET", f"/api/sessions/{i}")[0] == 404 for i in ids)
    assert request(server, "GET", f"/api/compare/{c['id']}")[0] == 404


@pytest.mark.parametrize(
    "body, message",
    [
        ({"runs": [{"optimizer": "sgd"}]}, "runs must be a list of 2 to 4"),
        ({"runs": [{}] * 5}, "runs must be a list of 2 to 4"),
        ({"runs": [{"hidden": [3]}, {"hidden": [5]}]}, "runs[0] sets hidden"),
        ({"runs": [{"seed": 1}, {}]}, "may differ only in training settings"),
        ({"runs": [{"lr": 99}, {}]}, "runs[0]: lr must be in [0.0, 10.0]"),
        ({"runs": [{}, {}], "extra": 1}, "unknown field(s) in comparison"),
    ],
)
def test_bad_comparisons_are_refused(server, body, message):
    out = call(server, "POST", "/api/compare", body, want=400)
    assert message in out["error"]


def test_comparisons_are_limited(server):
    ids = []
    try:
        for _ in range(LIMITS["comparisons"]):
            ids.append(call(server, "POST", "/api/compare", {"base": SMALL, "runs": [{}, {"lr": 0.01}]}, want=201)["id"])
        out = call(server, "POST", "/api/compare", {"base": SMALL, "runs": [{}, {}]}, want=409)
        assert f"at most {LIMITS['comparisons']} side-by-side comparisons at once, all in use" in out["error"]
    finally:
        for cid in ids:
            request(server, "DELETE", f"/api/compare/{cid}")
    call(server, "POST", "/api/compare", {"base": SMALL, "runs": [{}, {}]}, want=201)  # room again


def test_wrong_methods_and_unknown_ids_get_messages(server):
    sid = new(server)
    assert "use GET" in call(server, "POST", f"/api/sessions/{sid}/share", {}, want=405)["error"]
    assert "use POST" in call(server, "GET", f"/api/sessions/{sid}/hyper", want=405)["error"]
    assert "unknown session" in call(server, "GET", f"/api/sessions/{'0' * 32}/share", want=404)["error"]
    assert "unknown comparison" in call(server, "GET", f"/api/compare/{'0' * 32}", want=404)["error"]
    assert "use POST" in call(server, "GET", "/api/share", want=405)["error"]


@pytest.mark.parametrize(
    "engine, optimizer",
    [
        ("scalar", "adam"),
        ("scalar", "seed-adam"),
        ("scalar", "sgd"),
        ("scalar", "adamw"),
        ("compiled", "adam"),
        ("tensor", "adam"),
    ],
)
def test_a_cli_checkpoint_of_any_engine_is_accepted_and_continued(server, tmp_path, engine, optimizer):
    """The CLI's default engine is the scalar one: its checkpoints must load (the session continues them on
    the tensor engine from the same weights, moments, RNG and step)."""
    from micrograd import checkpoint
    from micrograd.train import TrainConfig, make_trainer

    extra = {"momentum": 0.9} if optimizer == "sgd" else {}  # a momentum buffer to carry over
    cfg = TrainConfig.preset("seed", hidden=[4], n=40, steps=9, optimizer=optimizer, engine=engine, **extra)
    t = make_trainer(cfg)
    for _ in range(5):
        t.train_step()
    path = tmp_path / f"{engine}.ckpt.json"
    checkpoint.save_trainer(str(path), t)
    whole = [t.train_step()["train_loss"] for _ in range(4)]  # the run's own next steps
    sid = new(server)
    snap = call(server, "POST", f"/api/sessions/{sid}/checkpoint", raw=path.read_bytes())
    assert snap["step"] == 5 and snap["config"]["hidden"] == [4] and snap["optimizer"]["optimizer"] == type(t.optimizer).__name__
    assert snap["optimizer"]["t"] == 5
    page = [r["train_loss"] for r in step(server, sid, 4)["records"]]
    tol = 0.0 if engine == "tensor" else 1e-9  # the tensor engine equals the scalar one to ~1e-12
    assert page == pytest.approx(whole, rel=tol, abs=tol)
    assert [r["step"] for r in call(server, "GET", f"/api/sessions/{sid}")["history"][-4:]] == [5, 6, 7, 8]


def test_a_replay_over_its_time_budget_is_refused(server, monkeypatch):
    monkeypatch.setitem(LIMITS, "replay_seconds", 0.0)
    before = len(server.store)
    out = call(server, "POST", "/api/share", {"token": _token({"v": 1, "p": "seed", "c": SMALL, "e": [], "s": 3})}, want=409)
    assert "replaying this run took over 0 s (step 0 of 3)" in out["error"]
    assert len(server.store) == before


def test_an_idle_comparison_makes_room_for_a_new_one():
    with serving(max_sessions=20, active_seconds=0.3) as httpd:
        body = {"base": SMALL, "runs": [{}, {"lr": 0.01}]}
        first = [call(httpd, "POST", "/api/compare", body, want=201)["id"] for _ in range(LIMITS["comparisons"])]
        time.sleep(0.5)  # every comparison idle now
        for cid in first[1:]:
            call(httpd, "GET", f"/api/compare/{cid}")  # ... but these are in use again
        newest = call(httpd, "POST", "/api/compare", body, want=201)["id"]
        assert request(httpd, "GET", f"/api/compare/{first[0]}")[0] == 404  # the idle one made room
        assert all(request(httpd, "GET", f"/api/compare/{cid}")[0] == 200 for cid in first[1:] + [newest])
        out = call(httpd, "POST", "/api/compare", body, want=409)  # all in use: refused, nothing evicted
        assert "all in use" in out["error"]


@pytest.mark.parametrize("name", ["share.js", "controls.js", "compare.js"])
def test_every_string_of_the_new_scripts_is_in_english_and_chinese(name):
    import re

    text = open(os.path.join(ROOT, "src", "micrograd", "web", "static", name), encoding="utf-8").read()
    block = text[text.index("MG_I18N.add({") :]
    en = block[block.index("en: {") : block.index("zh: {")]
    zh = block[block.index("zh: {") : block.index("\n});")]
    keys = lambda part: re.findall(r'"([a-z]+\.[a-z.]+)":', part)  # noqa: E731
    assert keys(en) and sorted(keys(en)) == sorted(keys(zh))
    assert all(re.search(r"[\u4e00-\u9fff]", v) or not re.search("[A-Za-z]{3}", v) for v in re.findall(r':\s*"([^"]*)"', zh))
    used = set(re.findall(r'T\("([a-z]+\.[a-z.]+)"', text)) | set(
        re.findall(r'(?:button|check|rowButton)\([^)]*?"([a-z]+\.[a-z.]+)"', text)
    )
    assert used <= set(keys(en)), used - set(keys(en))  # every key the script shows is registered
