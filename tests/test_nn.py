"""Tests for micrograd.nn: Module, Neuron, Layer, MLP.

References, never micrograd's own numbers:
  - the seed program's classes (`seedref`): the seed's model, built after its data from
    RNG(42), must have our initial weights, logits and gradients;
  - an explicit RNG stream (the seed's RNG) for the per-weight init;
  - plain float arithmetic with `math` for the activations.
"""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seedref import seed_namespace, seed_rng

from micrograd import MLP, RNG, Layer, Module, Neuron, Value, data
from micrograd.losses import cross_entropy
from micrograd.nn import NeuronOp, dot

REL = 1e-12  # the seed's own gradients vary ~1e-15 run to run (its children are a set)


def close(a, b, rel=REL):
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)


def seed_and_ours(seed=42, n=100, nouts=(16, 3)):
    """(seed namespace, its splits, its model), (our splits, our model): data drawn first, then weights."""
    ref = seed_namespace(seed)
    ref_splits = ref.gen_data(n)
    ref_model = ref.MLP(2, list(nouts))
    rng = RNG(seed)
    splits = data.simple(rng, n)
    model = MLP(2, list(nouts), init="per-neuron", rng=rng)
    return (ref, ref_splits, ref_model), (splits, model)


# ---------------------------------------------------------------------- the seed's model


def test_initial_weights_equal_the_seeds_model():
    (_, _, ref_model), (_, model) = seed_and_ours()
    ref_params, params = ref_model.parameters(), model.parameters()
    assert len(params) == len(ref_params) == 16 * 3 + 3 * 17
    for i, (p, q) in enumerate(zip(params, ref_params)):
        assert p.data == q.data, f"parameter {i}: ours {p.data!r}, seed {q.data!r}"
        assert type(p.data) is float


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(min_value=1, max_value=2**64 - 1),
    nouts=st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=4),
)
def test_per_neuron_init_equals_the_seed_for_any_shape(seed, nouts):
    ref = seed_namespace(seed)
    ref_model = ref.MLP(3, list(nouts))
    model = MLP(3, list(nouts), init="per-neuron", rng=RNG(seed))
    assert [p.data for p in model.parameters()] == [q.data for q in ref_model.parameters()]


def test_forward_logits_equal_the_seeds():
    (ref, (ref_tr, ref_va, ref_te), ref_model), ((tr, va, te), model) = seed_and_ours()
    for (x, y), (rx, ry) in zip(tr + va + te, ref_tr + ref_va + ref_te):
        assert (x, y) == (rx, ry)
        got = [v.data for v in model(x)]
        want = [v.data for v in ref_model([ref.Value(rx[0]), ref.Value(rx[1])])]
        assert len(got) == 3
        assert all(close(g, w) for g, w in zip(got, want)), (got, want)


def _seed_train_loss(ref, model, split, values):
    """The seed's loop body: loss = Value(0); loss += nll_loss(...); loss * (1/len)."""
    loss = values(0)
    for x, y in split:
        loss += ref.nll_loss(model([values(x[0]), values(x[1])]), y)
    return loss * (1.0 / len(split))


def test_gradients_of_the_seeds_nll_loss_equal_the_seeds():
    """Our model under the seed's own nll_loss: loss and every parameter gradient as the seed's."""
    (ref, (ref_tr, _, _), ref_model), ((tr, _, _), model) = seed_and_ours()
    ref_loss = _seed_train_loss(ref, ref_model, ref_tr, ref.Value)
    ref_loss.backward()
    loss = _seed_train_loss(ref, model, tr, Value)
    loss.backward()
    assert close(loss.data, ref_loss.data)
    for i, (p, q) in enumerate(zip(model.parameters(), ref_model.parameters())):
        assert q.grad != 0
        assert close(p.grad, q.grad), f"parameter {i}: ours {p.grad!r}, seed {q.grad!r}"


def test_gradients_of_cross_entropy_equal_the_seeds():
    """The package's own loss (the fused cross_entropy) gives the seed's gradients too."""
    (ref, (ref_tr, _, _), ref_model), ((tr, _, _), model) = seed_and_ours()
    ref_loss = _seed_train_loss(ref, ref_model, ref_tr, ref.Value)
    ref_loss.backward()
    loss = Value(0)
    for x, y in tr:
        loss += cross_entropy(model(x), y)
    loss = loss * (1.0 / len(tr))
    loss.backward()
    assert close(loss.data, ref_loss.data)
    for i, (p, q) in enumerate(zip(model.parameters(), ref_model.parameters())):
        assert close(p.grad, q.grad), f"parameter {i}: ours {p.grad!r}, seed {q.grad!r}"


def test_gradients_with_a_deeper_seed_model():
    (ref, (ref_tr, _, _), ref_model), ((tr, _, _), model) = seed_and_ours(seed=7, n=30, nouts=(5, 4, 3))
    ref_loss = _seed_train_loss(ref, ref_model, ref_tr, ref.Value)
    ref_loss.backward()
    loss = _seed_train_loss(ref, model, tr, Value)
    loss.backward()
    assert close(loss.data, ref_loss.data)
    for p, q in zip(model.parameters(), ref_model.parameters()):
        assert close(p.grad, q.grad), (p.grad, q.grad)


# ---------------------------------------------------------------------- init


def test_per_weight_init_is_one_draw_per_weight_in_order():
    model = MLP(3, [4, 2], init="per-weight", rng=RNG(7))
    stream = seed_rng(7)  # the explicit reference stream
    expected = []
    for nin, nout in ((3, 4), (4, 2)):
        for _ in range(nout):
            expected += [stream.uniform(-1, 1) * nin**-0.5 for _ in range(nin)]  # weights, in order
            expected.append(0.0)  # bias
    assert [p.data for p in model.parameters()] == expected


def test_per_neuron_init_is_one_draw_per_neuron():
    model = MLP(3, [4, 2], init="per-neuron", rng=RNG(7))
    stream = seed_rng(7)
    expected = []
    for nin, nout in ((3, 4), (4, 2)):
        for _ in range(nout):
            r = stream.uniform(-1, 1) * nin**-0.5
            expected += [r] * nin + [0.0]
    assert [p.data for p in model.parameters()] == expected


@pytest.mark.parametrize("init, draws", [("per-neuron", 4 + 2), ("per-weight", 3 * 4 + 4 * 2)])
def test_init_consumes_exactly_its_draws(init, draws):
    rng = RNG(7)
    MLP(3, [4, 2], init=init, rng=rng)
    stream = seed_rng(7)
    for _ in range(draws):
        stream.random_u32()
    assert rng.state == stream.state


def test_per_weight_init_draws_differ_within_a_neuron():
    n = Neuron(5, init="per-weight", rng=RNG(3))
    assert len({w.data for w in n.w}) == 5
    assert all(abs(w.data) < 5**-0.5 for w in n.w)


def test_without_rng_the_global_generator_is_used():
    from micrograd import rng as rng_module

    rng_module.manual_seed(5)
    a = [p.data for p in MLP(2, [3, 2]).parameters()]
    rng_module.manual_seed(5)
    b = [p.data for p in MLP(2, [3, 2], rng=None).parameters()]
    rng_module.manual_seed(42)
    assert a == b == [p.data for p in MLP(2, [3, 2], rng=RNG(5)).parameters()]


# ---------------------------------------------------------------------- forward, activations


def _neuron_pre(neuron, x):
    s = neuron.b.data
    for w, xi in zip(neuron.w, x):
        s += w.data * xi
    return s


def test_tanh_layer_by_hand():
    layer = Layer(3, 4, init="per-weight", rng=RNG(11))
    x = [0.5, -1.25, 2.0]
    out = layer(x)
    assert [o.data for o in out] == pytest.approx([math.tanh(_neuron_pre(n, x)) for n in layer.neurons], rel=1e-15)


def test_relu_layer_by_hand_and_gradient():
    layer = Layer(3, 6, activation="relu", init="per-weight", rng=RNG(11))
    x = [Value(0.5), Value(-1.25), Value(2.0)]
    xd = [v.data for v in x]
    out = layer(x)
    pres = [_neuron_pre(n, xd) for n in layer.neurons]
    assert any(p < 0 for p in pres) and any(p > 0 for p in pres)  # both branches exercised
    assert [o.data for o in out] == pytest.approx([max(0.0, p) for p in pres], rel=1e-15)
    for o in out:
        o.backward()
    for n, pre in zip(layer.neurons, pres):
        want = [xi if pre > 0 else 0.0 for xi in xd]
        assert [w.grad for w in n.w] == pytest.approx(want, rel=1e-15)
        assert n.b.grad == (1.0 if pre > 0 else 0.0)


def test_relu_mlp_last_layer_is_linear():
    model = MLP(2, [8, 3], activation="relu", init="per-weight", rng=RNG(1))
    x = [1.5, -0.5]
    hidden = [max(0.0, _neuron_pre(n, x)) for n in model.layers[0].neurons]
    logits = [_neuron_pre(n, hidden) for n in model.layers[1].neurons]
    assert [v.data for v in model(x)] == pytest.approx(logits, rel=1e-14)
    assert model.layers[0].neurons[0].nonlin and not model.layers[1].neurons[0].nonlin


def test_tanh_mlp_by_hand_with_unbounded_logits():
    model = MLP(2, [4, 3], init="per-weight", rng=RNG(2))
    for n in model.layers[1].neurons:
        n.b.data = 5.0  # a linear output can leave [-1, 1]; a tanh could not
    x = [0.3, 0.9]
    hidden = [math.tanh(_neuron_pre(n, x)) for n in model.layers[0].neurons]
    logits = [_neuron_pre(n, hidden) for n in model.layers[1].neurons]
    got = [v.data for v in model(x)]
    assert got == pytest.approx(logits, rel=1e-14)
    assert all(g > 1 for g in got)


def test_neuron_nonlin_false_is_linear():
    n = Neuron(2, nonlin=False, rng=RNG(1))
    n.b.data = 3.0
    assert n([1.0, 2.0]).data == pytest.approx(3.0 + n.w[0].data * 1.0 + n.w[1].data * 2.0, rel=1e-15)


@pytest.mark.parametrize("nout", [1, 2, 5])
def test_layer_returns_a_list_or_its_one_value(nout):
    out = Layer(2, nout, rng=RNG(1))([1.0, 2.0])
    if nout == 1:  # as karpathy/micrograd: the Value itself
        assert isinstance(out, Value)
        assert out.data == Layer(2, 3, rng=RNG(1))([1.0, 2.0])[0].data  # the same first neuron
    else:
        assert isinstance(out, list) and len(out) == nout
        assert all(isinstance(v, Value) for v in out)


def test_mlp_with_one_output_returns_the_value():
    model = MLP(2, [3, 1], rng=RNG(1))
    out = model([1.0, 2.0])
    assert isinstance(out, Value)
    # the same number as the last layer's one neuron applied to the hidden layer's list
    hidden = model.layers[0]([1.0, 2.0])
    assert out.data == model.layers[1].neurons[0](hidden).data


def test_a_one_neuron_hidden_layer_still_feeds_the_next_layer():
    model = MLP(2, [1, 3], rng=RNG(1))  # karpathy/micrograd's own MLP fails here (a Value is not a list)
    out = model([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3
    h = model.layers[0]([1.0, 2.0])
    assert [v.data for v in out] == [n([h]).data for n in model.layers[1].neurons]


def test_karpathys_demo_loop_runs_on_a_one_output_mlp():
    """The training loop of karpathy/micrograd's demo.ipynb (max-margin loss, L2, SGD), as written there."""
    rng = RNG(1337)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(20)]
    y = [1 if a * b > 0 else -1 for a, b in X]
    model = MLP(2, [8, 8, 1], activation="relu", rng=rng)
    losses = []
    for k in range(15):
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(X))
        total_loss = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        accuracy = [(yi > 0) == (si.data > 0) for yi, si in zip(y, scores)]
        model.zero_grad()
        total_loss.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        losses.append(total_loss.data)
    assert 0 <= sum(accuracy) <= len(X)
    assert losses[-1] < losses[0]


def test_inputs_may_be_values_or_numbers_with_the_same_result():
    model = MLP(2, [4, 3], rng=RNG(1))
    a = [v.data for v in model([0.25, -1])]
    b = [v.data for v in model([Value(0.25), Value(-1.0)])]
    assert a == b


def test_input_gradients_flow_to_value_inputs():
    model = MLP(2, [4, 1], init="per-weight", rng=RNG(1))
    x = [Value(0.2), Value(-0.4)]
    out = model(x)
    out.backward()

    # central differences on the plain float function
    def f(x0, x1):
        return model([x0, x1]).data

    h = 1e-6
    assert x[0].grad == pytest.approx((f(0.2 + h, -0.4) - f(0.2 - h, -0.4)) / (2 * h), rel=1e-6)
    assert x[1].grad == pytest.approx((f(0.2, -0.4 + h) - f(0.2, -0.4 - h)) / (2 * h), rel=1e-6)


# ---------------------------------------------------------------------- parameters, zero_grad


def test_parameters_count_and_order():
    model = MLP(2, [16, 3], rng=RNG(42))
    expected = []
    for layer in model.layers:
        for n in layer.neurons:
            expected += n.w + [n.b]  # the seed's order: a neuron's weights, then its bias
    params = model.parameters()
    assert len(params) == 99
    assert all(p is q for p, q in zip(params, expected))
    assert len({id(p) for p in params}) == 99  # no parameter listed twice
    assert [p for _, p in model.named_parameters()] == params
    assert len(Layer(3, 4, rng=RNG(1)).parameters()) == 16
    assert len(Neuron(3, rng=RNG(1)).parameters()) == 4


def test_zero_grad_resets_every_gradient():
    (ref, (ref_tr, _, _), _), ((tr, _, _), model) = seed_and_ours(n=20)
    loss = _seed_train_loss(ref, model, tr, Value)
    loss.backward()
    assert all(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_bare_module_has_no_parameters():
    # the seed's Module.parameters() returns []; so does torch.nn.Module().parameters()
    m = Module()
    assert list(m.parameters()) == []
    m.zero_grad()
    assert m.state_dict() == {}


def test_user_module_defining_parameters_only():
    """A seed-style user module (overrides parameters() only) gets zero_grad and state_dict."""

    class Pair(Module):
        def __init__(self):
            self.a, self.b = Value(1.0), Value(2.0)

        def parameters(self):
            return [self.a, self.b]

    m = Pair()
    m.a.grad = 3.0
    m.zero_grad()
    assert m.a.grad == 0
    sd = m.state_dict()
    assert sorted(sd.values()) == [1.0, 2.0]
    m.load_state_dict({k: v * 10 for k, v in sd.items()})
    assert (m.a.data, m.b.data) == (10.0, 20.0)


# ---------------------------------------------------------------------- state_dict


def test_state_dict_round_trip():
    a = MLP(2, [16, 3], init="per-weight", rng=RNG(1))
    b = MLP(2, [16, 3], init="per-weight", rng=RNG(2))
    x = [0.7, -1.1]
    assert [v.data for v in a(x)] != [v.data for v in b(x)]
    sd = a.state_dict()
    assert len(sd) == 99 and all(type(v) is float for v in sd.values())
    b.load_state_dict(json.loads(json.dumps(sd)))  # plain data: survives JSON
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]
    assert [v.data for v in b(x)] == [v.data for v in a(x)]


def test_state_dict_is_a_snapshot():
    model = MLP(2, [3, 2], rng=RNG(1))
    sd = model.state_dict()
    key = next(iter(sd))
    before = sd[key]
    sd[key] = 123.0
    assert model.state_dict()[key] == before
    model.parameters()[0].data = -7.0
    assert sd[key] == 123.0


def _params(model):
    return [p.data for p in model.parameters()]


@pytest.mark.parametrize("edit", ["missing", "extra", "both"])
def test_load_state_dict_with_wrong_keys_raises_and_leaves_model_untouched(edit):
    model = MLP(2, [3, 2], rng=RNG(1))
    before = _params(model)
    sd = {k: v + 1.0 for k, v in model.state_dict().items()}
    keys = list(sd)
    if edit in ("missing", "both"):
        missing = keys[-1]
        del sd[missing]
    if edit in ("extra", "both"):
        sd["layers.9.neurons.0.b"] = 0.5
    with pytest.raises((ValueError, KeyError, RuntimeError)) as info:
        model.load_state_dict(sd)
    msg = str(info.value)
    if edit in ("missing", "both"):
        assert missing in msg
    if edit in ("extra", "both"):
        assert "layers.9.neurons.0.b" in msg
    assert _params(model) == before


@pytest.mark.parametrize("bad", ["1.0", None, True, [1.0], 1j])
def test_load_state_dict_with_a_non_number_raises_and_leaves_model_untouched(bad):
    model = MLP(2, [3, 2], rng=RNG(1))
    before = _params(model)
    sd = {k: v + 1.0 for k, v in model.state_dict().items()}
    last = list(sd)[-1]  # the last key: a loader that applied values as it went would be caught
    sd[last] = bad
    with pytest.raises((TypeError, ValueError)) as info:
        model.load_state_dict(sd)
    assert last in str(info.value)
    assert _params(model) == before


@pytest.mark.parametrize("bad", [None, [1.0, 2.0], "state"])
def test_load_state_dict_needs_a_dict(bad):
    with pytest.raises(TypeError, match="dict"):
        MLP(2, [3, 2], rng=RNG(1)).load_state_dict(bad)


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "make, x",
    [
        (lambda: MLP(2, [4, 3], rng=RNG(1)), [1.0]),
        (lambda: MLP(2, [4, 3], rng=RNG(1)), [1.0, 2.0, 3.0]),
        (lambda: MLP(2, [4, 3], rng=RNG(1)), []),
        (lambda: Layer(3, 2, rng=RNG(1)), [1.0, 2.0]),
        (lambda: Neuron(3, rng=RNG(1)), [1.0, 2.0, 3.0, 4.0]),
    ],
)
def test_wrong_input_length_raises_value_error(make, x):
    with pytest.raises(ValueError, match=str(len(x))):
        make()(x)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Neuron(0),
        lambda: Neuron(-2),
        lambda: Layer(0, 3),
        lambda: Layer(2, 0),
        lambda: Layer(2, -1),
        lambda: MLP(0, [3]),
        lambda: MLP(-1, [3]),
        lambda: MLP(2, [0]),
        lambda: MLP(2, [16, 0]),
        lambda: MLP(2, [-4, 3]),
        lambda: MLP(2, []),
    ],
)
def test_non_positive_or_empty_sizes_raise_value_error(make):
    with pytest.raises(ValueError):
        make()


@pytest.mark.parametrize(
    "make, bad",
    [
        (lambda: Neuron(2.0), "2.0"),
        (lambda: Neuron("2"), "'2'"),
        (lambda: Layer(2, 3.0), "3.0"),
        (lambda: Layer(True, 3), "True"),
        (lambda: MLP(2.5, [3]), "2.5"),
        (lambda: MLP(2, [16.0, 3]), "16.0"),
        (lambda: MLP(2, [16, None]), "None"),
        (lambda: MLP(2, 3), "3"),
        (lambda: MLP(2, "16"), "'16'"),
    ],
)
def test_non_int_sizes_raise_type_error(make, bad):
    with pytest.raises(TypeError) as info:
        make()
    assert bad in str(info.value)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"activation": "softmax"}, "activation"),  # sigmoid is one now
        ({"activation": None}, "activation"),
        ({"init": "xavier"}, "init"),
        ({"init": "per_weight"}, "init"),
    ],
)
def test_bad_activation_or_init_raises_value_error(kwargs, name):
    with pytest.raises(ValueError, match=name):
        MLP(2, [3, 2], rng=RNG(1), **kwargs)
    with pytest.raises(ValueError, match=name):
        Neuron(2, rng=RNG(1), **kwargs)


@pytest.mark.parametrize("bad", [42, "RNG(42)", object()])
def test_rng_must_be_an_rng(bad):
    with pytest.raises(TypeError, match="rng"):
        MLP(2, [3, 2], rng=bad)


# ---------------------------------------------------------------------- the fused neuron node = the graph it replaces


def seed_neuron(w, x, b, act):
    """The seed's neuron, one node per op: sum((wi*xi ...), b) then tanh/relu."""
    act_in = sum((wi * xi for wi, xi in zip(w, x)), b)
    return {"tanh": act_in.tanh, "relu": act_in.relu, None: lambda: act_in}[act]()


@pytest.mark.parametrize("act", [None, "tanh", "relu"])
@settings(max_examples=30, deadline=None)
@given(data=st.lists(st.floats(-2, 2), min_size=9, max_size=9), g=st.floats(-3, 3))
def test_fused_neuron_is_bit_identical_to_the_seed_graph(act, data, g):
    def build(fused):
        w = [Value(d) for d in data[:4]]
        x = [Value(d) for d in data[4:8]]
        b = Value(data[8])
        out = dot(w, x, b, act) if fused else seed_neuron(w, x, b, act)
        out.backward(g)
        return [out.data] + [v.grad for v in w + x + [b]]

    assert build(True) == build(False)


def test_dot_lifts_numbers_and_refuses_junk():
    w = [Value(1.0), Value(2.0)]
    assert dot(w, [3, 4.0], Value(0.5)).data == 11.5
    with pytest.raises(TypeError, match=r"x\[1\]"):
        dot(w, [1.0, "a"], Value(0.0))


def test_dot_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="2 inputs for 3 weights"):
        dot([Value(1.0)] * 3, [1.0, 2.0], Value(0.0))


def test_a_neuron_is_one_node_whose_op_knows_its_seed_graph():
    out = dot([Value(2.0), Value(-1.0)], [0.5, 3.0], Value(0.25), "tanh")
    op = out._op
    assert type(out) is Value and isinstance(op, NeuronOp) and str(op) == "tanh(dot)"
    assert op.pre == 0.25 + 2.0 * 0.5 + -1.0 * 3.0 and out.data == math.tanh(op.pre)
    inner = []
    kind, children = op.expand(out, lambda op, data, grad, children=(): inner.append(op) or len(inner) - 1)
    assert (kind, inner) == ("tanh", ["*", "+", "*", "+"]) and children == (3,)


# ---------------------------------------------------------------------- MLP.weights()


def test_weights_are_per_layer_rows_of_plain_floats():
    model = MLP(3, [4, 2], init="per-weight", rng=RNG(5))
    weights = model.weights()
    assert [(len(W), len(W[0]), len(b)) for W, b in weights] == [(4, 3, 4), (2, 4, 2)]
    for layer, (W, b) in zip(model.layers, weights):
        for j, n in enumerate(layer.neurons):
            assert W[j] == [w.data for w in n.w] and b[j] == n.b.data
            assert all(type(v) is float for v in W[j])
    W, b = weights[0]
    W[0][0] = 99.0  # a copy: the model is untouched
    assert model.layers[0].neurons[0].w[0].data != 99.0


# ---------------------------------------------------------------------- defaults a user gets


def test_the_default_init_is_per_weight():
    for build, kwargs in ((MLP, {"nin": 3, "nouts": [4, 2]}), (Layer, {"nin": 3, "nout": 4}), (Neuron, {"nin": 3})):
        a = build(**kwargs, rng=RNG(11))
        b = build(**kwargs, init="per-weight", rng=RNG(11))
        assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()], build.__name__
        c = build(**kwargs, init="per-neuron", rng=RNG(11))
        assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()], build.__name__
    assert MLP(2, [3]).init == "per-weight"


def test_a_labelled_neuron_node_keeps_its_gradients():
    def grads(labelled):
        model = MLP(2, [3, 2], rng=RNG(4))
        logits = model([0.3, -0.8])
        if labelled:
            for k, z in enumerate(logits):
                z.label = f"logits[{k}]"
        loss = cross_entropy(logits, 1)
        if labelled:
            loss.label = "loss"
        loss.backward()
        return loss.data, [p.grad for p in model.parameters()]

    assert grads(True) == grads(False)
