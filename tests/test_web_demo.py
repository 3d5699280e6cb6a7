"""The merged demo (issue 12) through the HTTP API: feature inputs, regression runs, the datasets it
offers, the data controls on the form, live training settings, and the tensor engine's split cache.

Each test checks what the page is sent against what the trainer computes independently (the model's
forward pass at the features of each cell, the points of the run, the traced loss).
"""

import math

import numpy as np
import pytest
from webserver import request, serving

from micrograd import data as datasets
from micrograd.config import TrainConfig
from micrograd.web import forms
from micrograd.web.session import GRID, Session

SMALL = {"hidden": [4], "n": 40}


@pytest.fixture(scope="module")
def server():
    with serving(max_sessions=100) as httpd:
        yield httpd


def call(server, method, path, body=None, want=200):
    status, out, _ = request(server, method, path, body)
    assert status == want, out
    return out


def new(server, config=None, want=201):
    return call(server, "POST", "/api/sessions", {**SMALL, **(config or {})}, want=want)


def forward(session, X):
    """The tensor model's output at inputs X (N, nin), computed here with NumPy from its weights."""
    h = X
    for i, (W, b) in enumerate(session.model.weights()):
        h = h @ np.array(W).T + np.array(b)
        if i < len(session.model.layers) - 1:
            h = np.tanh(h)
    return h


def cells(domain):
    x0, x1, y0, y1 = domain
    xs = x0 + (np.arange(GRID) + 0.5) * (x1 - x0) / GRID
    ys = y1 - (np.arange(GRID) + 0.5) * (y1 - y0) / GRID
    gx, gy = np.meshgrid(xs, ys)
    return gx.ravel(), gy.ravel()


# ---------------------------------------------------------------------- the datasets and the form


def test_the_demo_offers_only_datasets_in_the_plane(server):
    opts = call(server, "GET", "/api/options")
    assert "digits" in datasets.DATASETS and "digits" not in opts["datasets"]
    assert opts["datasets"] == [d for d in datasets.DATASETS if datasets.DATASET_INPUTS.get(d, 2) == 2]
    assert set(opts["regression"]) == set(datasets.REGRESSION) and set(opts["regression"]) <= set(opts["datasets"])
    out = new(server, {"dataset": "digits"}, want=400)
    assert "'digits'" in out["error"] and "64 inputs" in out["error"] and "plane" in out["error"]


def test_the_form_has_the_data_controls_and_the_server_checks_them(server):
    fields = {f["name"]: f for f in call(server, "GET", "/api/options")["fields"]}
    assert fields["features"]["kind"] == "multi" and fields["features"]["choices"] == list(datasets.FEATURES)
    assert fields["noise"]["kind"] == "float" and fields["noise"]["optional"] is True
    assert fields["split"]["kind"] == "list"
    assert {"regularization", "reg_rate", "batch_size", "activation"} <= set(fields)
    assert {"sigmoid", "linear"} <= set(fields["activation"]["choices"])
    snap = new(server, {"dataset": "moons", "noise": 0.3, "split": [60, 20, 20], "features": ["x", "y", "xy"]})
    assert snap["config"]["noise"] == 0.3 and snap["config"]["split"] == [60, 20, 20]
    assert [len(snap["points"][k]) for k in ("train", "val", "test")] == [24, 8, 8]
    assert new(server, {"noise": None})["config"]["noise"] is None  # null: the dataset's own
    for bad, words in [
        ({"noise": -1}, ["noise", "-1"]),
        ({"noise": 11}, ["noise", "11"]),
        ({"noise": "lots"}, ["noise", "lots"]),
        ({"split": [50, 50]}, ["split", "[50, 50]"]),
        ({"split": [80, 10, 20]}, ["split", "100"]),
        ({"features": ["x", "z"]}, ["features", "'z'"]),
        ({"features": []}, ["features"]),
        ({"regularization": "l3"}, ["regularization", "l3"]),
        ({"batch_size": -2}, ["batch_size", "-2"]),
    ]:
        out = new(server, bad, want=400)
        assert all(w in out["error"] for w in words), (bad, out["error"])


# ---------------------------------------------------------------------- feature inputs


def test_a_features_run_evaluates_its_boundary_at_the_features_of_each_cell(server):
    feats = ["x", "y", "x2", "y2", "sinx"]
    snap = new(server, {"dataset": "circles", "features": feats})
    s = server.store.get(snap["session"])
    assert s.model.nin == 5 and snap["network"]["inputs"] == feats and snap["network"]["sizes"][0] == 5
    gx, gy = cells(snap["domain"])
    logits = forward(s, datasets.feature_columns(gx, gy, feats))
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    assert snap["grid"]["probs"] == np.rint(p * 100).astype(int).ravel().tolist()
    # the page draws the points in the plane, not the features the model reads
    t = s.trainer
    assert snap["points"]["train"] == [[round(xy[0], 6), round(xy[1], 6), label] for xy, label in t.points[0]]
    assert t.splits[0][0][0] == datasets.feature_row(*t.points[0][0][0], feats)


def test_adding_and_removing_points_keeps_the_plane_and_the_features_in_step(server):
    feats = ["x", "y", "xy"]
    sid = new(server, {"features": feats})["session"]
    s = server.store.get(sid)
    t = s.trainer
    n0 = len(t.points[0])
    before = t.evaluate(t.train_split)
    call(server, "POST", f"/api/sessions/{sid}/points", {"op": "add", "x": 1.5, "y": -1.25, "label": 1})
    assert len(t.points[0]) == len(t.splits[0]) == n0 + 1
    assert t.points[0][-1] == ([1.5, -1.25], 1) and t.splits[0][-1] == ([1.5, -1.25, -1.875], 1)
    # the tensor engine read the split again: its mean loss is over the new point too
    assert t.evaluate(t.train_split) != before
    X = np.array([x for x, _ in t.train_split])
    y = np.array([label for _, label in t.train_split])
    logits = forward(s, X)
    want = np.mean(np.log(np.exp(logits).sum(axis=1)) - logits[np.arange(len(y)), y])
    assert t.evaluate(t.train_split) == pytest.approx(want, rel=1e-12)
    out = call(server, "POST", f"/api/sessions/{sid}/points", {"op": "remove", "x": 1.5, "y": -1.25})
    assert out["removed"] == {"split": "train", "x": 1.5, "y": -1.25, "label": 1}
    assert len(t.points[0]) == len(t.splits[0]) == n0
    assert all(f == datasets.feature_row(*p[0], feats) for (p, (f, _)) in zip(t.points[0], t.splits[0]))


def test_the_traced_graph_reads_the_points_features(server):
    feats = ["x", "y", "sinx"]
    sid = new(server, {"features": feats})["session"]
    snap = call(server, "POST", f"/api/sessions/{sid}/pick", {"x": 0.5, "y": -0.25, "label": 1})
    inputs = {n["label"]: n["data"] for n in snap["graph"]["nodes"] if n["kind"] == "input"}
    assert inputs == {"x": 0.5, "y": -0.25, "sinx": round(math.sin(0.5), 9)}


def test_tensor_engine_forget_splits_reads_a_changed_split_again():
    from micrograd.train import make_trainer

    t = make_trainer(TrainConfig.preset("seed", n=40, hidden=[4], engine="tensor"))
    split = t.train_split
    before = t.evaluate(split)
    split.append(split[0])  # changed in place: the cache, keyed by the list, still holds the old arrays
    assert t.evaluate(split) == before
    t.engine.forget_splits()
    assert t.evaluate(split) != before


# ---------------------------------------------------------------------- regression


def test_a_regression_run_is_a_heatmap_of_its_prediction(server):
    snap = new(server, {"dataset": "plane"})
    s = server.store.get(snap["session"])
    assert snap["regression"] is True and snap["classes"] == 1 and s.model.nouts[-1] == 1
    g = snap["grid"]
    assert g["regression"] is True and "probs" not in g and len(g["values"]) == GRID * GRID
    targets = [label for split in snap["points"].values() for _, _, label in split]
    assert all(isinstance(v, float) for v in targets) and g["scale"] == max(1.0, max(abs(v) for v in targets))
    gx, gy = cells(snap["domain"])
    pred = forward(s, np.column_stack([gx, gy]))[:, 0]
    assert g["values"] == np.rint(np.clip(pred / g["scale"], -1, 1) * 100).astype(int).tolist()
    assert snap["accuracy"] == [0, None, None]  # no accuracy: a number that would mean nothing
    out = call(server, "POST", f"/api/sessions/{snap['session']}/step", {"steps": 3})
    assert out["accuracy"] == [3, None, None] and all(r["train_loss"] is not None for r in out["records"])


def test_a_regression_trace_is_the_squared_error_and_its_points_carry_targets(server):
    sid = new(server, {"dataset": "gauss", "hidden": [3]})["session"]
    snap = call(server, "POST", f"/api/sessions/{sid}/pick", {"x": 0.5, "y": 0.5, "label": 0.75})
    nodes = snap["graph"]["nodes"]
    loss = next(n for n in nodes if n["kind"] == "loss")
    pred = next(n for n in nodes if n["label"].startswith("prediction"))
    assert "squared error" in loss["label"] and loss["data"] == pytest.approx((pred["data"] - 0.75) ** 2, abs=1e-8)
    assert snap["graph"]["point"]["label"] == 0.75
    s = server.store.get(sid)
    n0 = len(s.trainer.points[0])
    call(server, "POST", f"/api/sessions/{sid}/points", {"op": "add", "x": 1.0, "y": 1.0, "label": -0.5})
    assert s.trainer.points[0][-1] == ([1.0, 1.0], -0.5) and len(s.trainer.splits[0]) == n0 + 1
    out = call(server, "POST", f"/api/sessions/{sid}/points", {"op": "add", "x": 1.0, "y": 1.0, "label": "big"}, want=400)
    assert "label" in out["error"] and "'big'" in out["error"]


# ---------------------------------------------------------------------- live training settings


def test_live_regularization_and_batch_size_change_the_trainer_and_replay_in_a_link(server):
    sid = new(server, {"optimizer": "adam"})["session"]
    call(server, "POST", f"/api/sessions/{sid}/step", {"steps": 2})
    snap = call(server, "POST", f"/api/sessions/{sid}/hyper", {"regularization": "l2", "reg_rate": 0.01, "batch_size": 8})
    s = server.store.get(sid)
    assert s.trainer.config.regularization == "l2" and s.trainer.config.batch_size == 8
    assert s.trainer.config.engine == "tensor" and snap["config"]["reg_rate"] == 0.01
    rec = call(server, "POST", f"/api/sessions/{sid}/step", {"steps": 3})["records"]
    token = call(server, "GET", f"/api/sessions/{sid}/share")["token"]
    replayed = call(server, "POST", "/api/share", {"token": token}, want=201)
    hist = call(server, "GET", f"/api/sessions/{replayed['session']}")["history"]
    assert [r["train_loss"] for r in hist[-3:]] == [r["train_loss"] for r in rec]
    for bad, words in [
        ({"regularization": "l3"}, ["regularization", "l3"]),
        ({"batch_size": 1.5}, ["batch_size", "1.5"]),
        ({"momentum": 0.9}, ["momentum", "adam"]),
    ]:
        out = call(server, "POST", f"/api/sessions/{sid}/hyper", bad, want=400)
        assert all(w in out["error"] for w in words), (bad, out["error"])


def test_a_comparison_of_feature_runs_starts_from_identical_weights(server):
    base = {**SMALL, "features": ["x", "y", "x2"]}
    out = call(server, "POST", "/api/compare", {"base": base, "runs": [{"optimizer": "sgd"}, {"optimizer": "adam"}]}, want=201)
    a, b = (server.store.get(r["session"]) for r in out["runs"])
    assert a.model.state_dict() == b.model.state_dict() and a.model.nin == 3


def test_form_fields_are_the_config_fields_the_demo_accepts():
    names = [f.name for f in forms.demo_fields()]
    assert {"noise", "split", "features"} <= set(names) and forms.CONFIG_FIELDS == ("preset", *names)
    assert Session(forms.parse_config({"dataset": "plane", **SMALL})).regression is True


def test_a_shared_link_replays_a_regression_run_with_features_and_an_added_target(server):
    sid = new(server, {"dataset": "plane", "features": ["x", "y", "xy"], "noise": 0.1})["session"]
    call(server, "POST", f"/api/sessions/{sid}/step", {"steps": 2})
    call(server, "POST", f"/api/sessions/{sid}/points", {"op": "add", "x": 0.5, "y": -1.0, "label": 0.25})
    call(server, "POST", f"/api/sessions/{sid}/step", {"steps": 2})
    mine = call(server, "GET", f"/api/sessions/{sid}")
    token = call(server, "GET", f"/api/sessions/{sid}/share")["token"]
    theirs = call(server, "POST", "/api/share", {"token": token}, want=201)
    theirs = call(server, "GET", f"/api/sessions/{theirs['session']}")
    for key in ("points", "grid", "step", "accuracy", "config"):
        assert theirs[key] == mine[key], key
    strip = lambda h: [{k: v for k, v in r.items() if k != "seconds"} for r in h]  # noqa: E731
    assert strip(theirs["history"]) == strip(mine["history"])
