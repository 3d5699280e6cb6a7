"""The demo's network view and its two engines (micrograd.web.network, web.session): the session
trains on the tensor engine with the scalar engine's numbers, the traced graph shows the trained
weights, every neuron's map is what that neuron computes, and one weight can be set through the API."""

import math
import types

import numpy as np
import pytest
from webserver import request, serving

from micrograd.config import TrainConfig
from micrograd.engine import Value
from micrograd.engines import split_loss
from micrograd.train import make_trainer
from micrograd.web.forms import BadRequest, parse_config
from micrograd.web.network import FEATURES, edge_json, input_names, layer_arrays, neuron_maps, parse_weight, plane_inputs
from micrograd.web.session import Session

# ---------------------------------------------------------------------- two engines, one run


@pytest.mark.parametrize("body", [{}, {"dataset": "moons", "hidden": [6, 5], "activation": "relu", "optimizer": "adamw"}])
def test_the_session_trains_on_the_tensor_engine_with_the_scalar_engines_numbers(body):
    s = Session(parse_config(body))
    assert s.trainer.config.engine == "tensor"
    scalar = make_trainer(parse_config(body))  # the same run on the seed's engine
    assert scalar.config.engine == "scalar"
    got = s.step(25)
    want = [scalar.train_step() for _ in range(25)]
    for a, b in zip(got, want):
        assert a["step"] == b["step"]
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-12, abs=1e-12)
        if "val_loss" in b:
            assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-12, abs=1e-12)
    # and the weights they end with
    for (W, b), (Ws, bs) in zip(s.model.weights(), scalar.model.weights()):
        assert np.allclose(W, Ws, rtol=1e-12, atol=1e-12) and np.allclose(b, bs, rtol=1e-12, atol=1e-12)


def test_the_traced_graph_shows_the_trained_weights():
    s = Session(parse_config({"hidden": [4]}))
    s.step(5)
    graph = s.trace(0.3, -0.2, 1)
    params = {n["label"]: n["data"] for n in graph["nodes"] if n["kind"] == "param"}
    W, b = s.model.weights()[0]
    assert params["layers.0.neurons.2.w.1"] == pytest.approx(W[2][1], abs=1e-9)
    assert params["layers.0.neurons.3.b"] == pytest.approx(b[3], abs=1e-9)
    # the loss node is the tensor model's loss at that point
    with np.errstate(all="ignore"):
        h = np.array([[0.3, -0.2]])
        for Wl, bl, act in layer_arrays(s.model):
            h = h @ Wl.T + bl
            h = np.tanh(h) if act == "tanh" else h
    logits = h[0]
    want = -(logits[1] - logits.max() - math.log(np.exp(logits - logits.max()).sum()))
    assert graph["nodes"][-1]["data"] == pytest.approx(want, rel=1e-8)


def test_an_added_point_is_trained_on_by_the_tensor_engine():
    s = Session(parse_config({}))
    before = s.trainer.evaluate(s.trainer.train_split)
    s.add_point(1.9, -1.9, 0)
    after = s.trainer.evaluate(s.trainer.train_split)  # the engine's arrays were rebuilt for the new point
    want = split_loss(s.sync_scalar(), s.trainer.train_split).data
    assert after == pytest.approx(want, rel=1e-12) and after != before
    s.remove_nearest(1.9, -1.9)
    assert s.trainer.evaluate(s.trainer.train_split) == pytest.approx(before, rel=1e-12)


def test_the_optimizer_table_is_in_the_scalar_parameter_order():
    s = Session(parse_config({"hidden": [3]}))
    s.step(2)
    st = s.optimizer_state()
    model = s.sync_scalar()
    named = model.named_parameters()
    assert [r[0] for r in st["rows"]] == [n for n, _ in named]
    for row, (_, p) in zip(st["rows"], named):
        assert row[1] == pytest.approx(p.data, abs=1e-9)


# ---------------------------------------------------------------------- the maps and edges


def test_every_node_map_is_what_that_node_computes_over_the_plane():
    s = Session(parse_config({"hidden": [5, 4]}))
    s.step(3)
    net = s.network()
    assert net["inputs"] == ["x", "y"] and net["sizes"] == [2, 5, 4, 3]
    maps = net["maps"]
    assert [len(m["maps"]) for m in maps] == [2, 5, 4, 3]
    size = int(math.isqrt(len(maps[0]["maps"][0])))
    x0, x1, y0, y1 = s.domain
    model = s.sync_scalar()
    for row, col in [(0, 0), (size // 2, size // 3), (size - 1, size - 1)]:
        x = x0 + (col + 0.5) * (x1 - x0) / size
        y = y1 - (row + 0.5) * (y1 - y0) / size
        h = [Value(x), Value(y)]
        values = [[x, y]]
        for layer in model.layers:  # the scalar engine, neuron by neuron
            h = layer.outputs(h)
            values.append([v.data for v in h])
        for L, vals in enumerate(values):
            for j, v in enumerate(vals):
                scale = maps[L]["scale"][j]
                assert maps[L]["maps"][j][row * size + col] == pytest.approx(100 * v / scale, abs=0.51), (L, j)


def test_an_input_feature_map_is_that_feature_over_the_plane():
    arrays = [(np.ones((2, 3)), np.zeros(2), "tanh"), (np.ones((1, 2)), np.zeros(1), None)]
    maps = neuron_maps(arrays, ["x2", "siny", "xy"], [-2.0, 2.0, -2.0, 2.0], size=8)
    x2 = maps[0]["maps"][0]
    xs = -2 + (np.arange(8) + 0.5) * 0.5
    assert maps[0]["scale"][0] == pytest.approx(xs.max() ** 2, rel=1e-6)
    assert x2[:8] == [round(100 * v * v / xs.max() ** 2) for v in xs]  # the top row: x² along x
    assert min(x2) >= 0  # x² is never negative
    assert plane_inputs(["x2", "xy"], np.array([3.0]), np.array([-2.0])).tolist() == [[9.0, -6.0]]
    assert set(FEATURES) == {"x", "y", "x2", "y2", "xy", "sinx", "siny"}


def test_input_names_follow_the_configs_features():
    assert input_names(TrainConfig(), 2) == ["x", "y"]
    assert input_names(types.SimpleNamespace(features=["x", "y", "xy"]), 3) == ["x", "y", "xy"]
    assert input_names(types.SimpleNamespace(features=None), 3) == ["x0", "x1", "x2"]


def test_edges_carry_the_weights_and_the_last_gradients():
    s = Session(parse_config({"hidden": [3]}))
    assert all(layer["gw"] is None for layer in s.network(maps=False)["layers"])  # no step yet
    s.step(1)
    layers = s.network(maps=False)["layers"]
    W, b = s.model.weights()[0]
    assert layers[0]["w"][1][0] == pytest.approx(W[1][0], abs=1e-6)
    assert layers[0]["b"][2] == pytest.approx(b[2], abs=1e-6)
    gW = s.trainer.optimizer.last_grad[0]  # layer 0's weight gradient of the last step
    assert np.allclose(layers[0]["gw"], gW, rtol=0, atol=1e-9)
    assert any(v != 0 for row in layers[0]["gw"] for v in row)
    assert edge_json(layer_arrays(s.model))[0]["gw"] is None


# ---------------------------------------------------------------------- editing one weight


def test_set_weight_changes_both_engines_copies():
    s = Session(parse_config({"hidden": [3]}))
    s.set_weight(0, 2, 1, 0.75)
    s.set_weight(1, 0, None, -1.5)
    assert s.model.weights()[0][0][2][1] == 0.75 and s.model.weights()[1][1][0] == -1.5
    assert s.scalar_model.layers[0].neurons[2].w[1].data == 0.75
    assert s.scalar_model.layers[1].neurons[0].b.data == -1.5
    rec = s.step(1)[0]  # trains from the edited weight
    scalar = make_trainer(parse_config({"hidden": [3]}))
    scalar.model.layers[0].neurons[2].w[1].data = 0.75
    scalar.model.layers[1].neurons[0].b.data = -1.5
    assert rec["train_loss"] == pytest.approx(scalar.train_step()["train_loss"], rel=1e-12)


@pytest.mark.parametrize(
    "body, message",
    [
        ({"layer": 2, "to": 0, "from": 0, "value": 1.0}, "layer must be an integer in [0, 1], got 2"),
        ({"layer": 0, "to": 3, "from": 0, "value": 1.0}, "to must be an integer in [0, 2], got 3"),
        ({"layer": 0, "to": 0, "from": "w", "value": 1.0}, "from must be an integer in [0, 1] or \"bias\", got 'w'"),
        ({"layer": 0, "to": 0, "from": 0, "value": "1"}, "value must be a finite number"),
        ({"layer": 0, "to": 0, "from": 0, "value": 1e9}, "value must be a finite number in [-1000, 1000], got 1000000000.0"),
        ({"layer": True, "to": 0, "from": 0, "value": 1.0}, "layer must be an integer"),
        ({"layer": 0, "to": 0, "from": 0}, "needs field 'value'"),
        ({"layer": 0, "to": 0, "from": 0, "value": 1, "x": 1}, "unknown field 'x'"),
    ],
)
def test_a_bad_weight_edit_is_refused_with_a_message_naming_it(body, message):
    arrays = layer_arrays(Session(parse_config({"hidden": [3]})).model)
    with pytest.raises(BadRequest) as e:
        parse_weight(body, arrays)
    assert message in str(e.value)


def test_the_weight_and_light_step_api():
    with serving() as httpd:
        status, snap, _ = request(httpd, "POST", "/api/sessions", {"hidden": [4]})
        sid = snap["session"]
        assert status == 201 and snap["network"]["sizes"] == [2, 4, 3] and "maps" in snap["network"]
        status, snap, _ = request(httpd, "POST", f"/api/sessions/{sid}/weight", {"layer": 1, "to": 2, "from": 3, "value": 2.5})
        assert status == 200 and snap["network"]["layers"][1]["w"][2][3] == 2.5
        traced = {n["label"]: n["data"] for n in snap["graph"]["nodes"] if n["kind"] == "param"} if snap["graph"] else {}
        assert traced.get("layers.1.neurons.2.w.3", 2.5) == 2.5
        status, body, _ = request(httpd, "POST", f"/api/sessions/{sid}/weight", {"layer": 1, "to": 9, "from": 0, "value": 1})
        assert status == 400 and "to must be an integer in [0, 2], got 9" in body["error"]
        # a light step: only what changes every step
        status, snap, _ = request(httpd, "POST", f"/api/sessions/{sid}/step", {"steps": 2, "light": True})
        assert status == 200 and snap["light"] is True and snap["step"] == 2 and len(snap["records"]) == 2
        assert not {"grid", "graph", "optimizer", "points"} & set(snap) and "maps" not in snap["network"]
        assert snap["network"]["layers"][0]["gw"] is not None
        status, body, _ = request(httpd, "POST", f"/api/sessions/{sid}/step", {"steps": 1, "light": "yes"})
        assert status == 400 and "light must be true or false" in body["error"]
        status, snap, _ = request(httpd, "POST", f"/api/sessions/{sid}/step", {"steps": 1})
        assert {"grid", "optimizer", "points"} <= set(snap) and "maps" in snap["network"]
