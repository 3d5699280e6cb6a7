"""Tests for micrograd.interop: to_torch / from_torch / `micrograd export`, checked against PyTorch itself."""

import subprocess
import sys

import pytest

from micrograd import MLP, RNG, cross_entropy
from micrograd.interop import TORCH_ACTIVATIONS, export_checkpoint, from_torch, to_torch

torch = pytest.importorskip("torch")  # in the test extra: scripts/test.sh installs it

ARCHS = [
    (2, [16, 3], "tanh", "per-neuron"),
    (3, [8, 8, 4], "relu", "per-weight"),
    (5, [2], "tanh", "per-weight"),  # no hidden layer: a single Linear
    (2, [6, 3], "sigmoid", "per-weight"),
    (4, [5, 2], "linear", "per-neuron"),  # nn.Identity between the Linears
]


def inputs(nin, n=20, seed=7):
    rng = RNG(seed)
    return [[rng.uniform(-3, 3) for _ in range(nin)] for _ in range(n)]


def weights(mlp):
    return [p.data for p in mlp.parameters()]


@pytest.mark.parametrize("nin, nouts, act, init", ARCHS)
def test_to_torch_structure_and_outputs_match(nin, nouts, act, init):
    mlp = MLP(nin, nouts, activation=act, init=init, rng=RNG(3))
    net = to_torch(mlp)
    assert isinstance(net, torch.nn.Sequential)
    kinds = [type(m).__name__ for m in net]
    want = []
    for i in range(len(nouts)):
        want += ["Linear"] + ([TORCH_ACTIVATIONS[act]] if i < len(nouts) - 1 else [])
    assert kinds == want
    assert all(p.dtype == torch.float64 for p in net.parameters())
    xs = inputs(nin)
    ours = [[v.data for v in mlp(x)] for x in xs]
    theirs = net(torch.tensor(xs, dtype=torch.float64)).tolist()
    for a, b in zip(ours, theirs):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12)


def test_to_torch_leaves_torch_rng_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    to_torch(MLP(4, [32, 32, 3], rng=RNG(1)))
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("nin, nouts, act, init", ARCHS)
def test_gradients_match_torch(nin, nouts, act, init):
    mlp = MLP(nin, nouts, activation=act, init=init, rng=RNG(5))
    net = to_torch(mlp)
    xs = inputs(nin, n=8, seed=11)
    ys = [i % nouts[-1] for i in range(len(xs))]
    # ours: mean cross-entropy over the batch
    loss = sum((cross_entropy(mlp(x), y) for x, y in zip(xs, ys)), start=0.0) * (1.0 / len(xs))
    loss.backward()
    t_loss = torch.nn.functional.cross_entropy(net(torch.tensor(xs, dtype=torch.float64)), torch.tensor(ys))
    t_loss.backward()
    assert loss.data == pytest.approx(t_loss.item(), rel=1e-12)
    # torch's grads, in our parameter order (neuron j's weights, then its bias; layer by layer)
    t_grads = []
    for lin in [m for m in net if isinstance(m, torch.nn.Linear)]:
        for j in range(lin.out_features):
            t_grads += lin.weight.grad[j].tolist() + [lin.bias.grad[j].item()]
    ours = [p.grad for p in mlp.parameters()]
    assert ours == pytest.approx(t_grads, rel=1e-10, abs=1e-13)


@pytest.mark.parametrize("nin, nouts, act, init", ARCHS)
def test_round_trip_ours_torch_ours_is_exact(nin, nouts, act, init):
    mlp = MLP(nin, nouts, activation=act, init=init, rng=RNG(9))
    back = from_torch(to_torch(mlp))
    assert isinstance(back, MLP)
    assert (back.nin, back.nouts, back.activation) == (nin, nouts, act)
    assert [n for n, _ in back.named_parameters()] == [n for n, _ in mlp.named_parameters()]
    assert weights(back) == weights(mlp)  # bit for bit


def test_from_torch_of_a_torch_built_model():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2)).double()
    mlp = from_torch(net)
    xs = inputs(4)
    theirs = net(torch.tensor(xs, dtype=torch.float64)).tolist()
    for x, b in zip(xs, theirs):
        assert [v.data for v in mlp(x)] == pytest.approx(b, rel=1e-12, abs=1e-12)
    # float32 weights are read exactly
    net32 = torch.nn.Linear(3, 2)
    assert weights(from_torch(net32))[:3] == net32.weight[0].double().tolist()


def test_from_torch_does_not_consume_the_global_rng():
    from micrograd.rng import global_rng

    before = global_rng().getstate()
    from_torch(torch.nn.Linear(3, 2))
    assert global_rng().getstate() == before


@pytest.mark.parametrize(
    "module, message",
    [
        (torch.nn.Conv1d(1, 1, 3), "supports nn.Sequential of Linear"),
        (torch.nn.Sequential(), "empty nn.Sequential"),
        (torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.GELU(), torch.nn.Linear(3, 2)), "'1' is GELU"),
        (torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh()), "last module '1' must be Linear"),
        (torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 2)), "'1' is Linear; only Tanh/ReLU/Sigmoid/Identity"),
        (torch.nn.Sequential(torch.nn.Linear(2, 3, bias=False)), "has no bias"),
        (torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(4, 2)), "takes 4 inputs"),
        (
            torch.nn.Sequential(
                torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2)
            ),
            "one activation",
        ),
        (torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(2, 2))), "expected Linear"),
    ],
)
def test_from_torch_refuses_what_is_not_an_mlp(module, message):
    with pytest.raises(ValueError, match=message):
        from_torch(module)


@pytest.mark.parametrize("thing", ["model.pt", None, {"0.weight": torch.zeros(3, 2)}])
def test_from_torch_of_a_non_module_is_a_type_error(thing):
    with pytest.raises(TypeError, match="expects a torch.nn.Module"):
        from_torch(thing)


@pytest.mark.parametrize("what", ["weight", "bias"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_from_torch_refuses_non_finite_weights_and_biases_naming_the_module(what, bad):
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    with torch.no_grad():
        getattr(net[2], what).view(-1)[1] = bad
    with pytest.raises(ValueError, match=f"Linear '2' holds a non-finite {what} {bad!r}"):
        from_torch(net)


@pytest.mark.parametrize(
    "net, name",
    [
        (lambda: torch.nn.Linear(0, 2), "0"),
        (lambda: torch.nn.Linear(2, 0), "0"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 0)), "2"),
    ],
)
@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors:UserWarning")  # torch's own, on building them
def test_from_torch_refuses_a_zero_size_layer_naming_it(net, name):
    with pytest.raises(ValueError, match=f"Linear '{name}' has zero size"):
        from_torch(net())


class _Scaled(torch.nn.Linear):
    def forward(self, x):
        return 2 * super().forward(x)


class _Renamed(torch.nn.Linear):  # a subclass that computes what Linear does is fine
    pass


class _Backwards(torch.nn.Sequential):
    def forward(self, x):
        for m in reversed(self):
            x = m(x)
        return x


def test_from_torch_refuses_modules_with_their_own_forward_naming_them():
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), _Scaled(3, 2))
    with pytest.raises(ValueError, match="module '2' is _Scaled, a Linear with its own forward"):
        from_torch(net)
    with pytest.raises(ValueError, match="_Backwards is an nn.Sequential with its own forward"):
        from_torch(_Backwards(torch.nn.Linear(2, 2)))
    net = torch.nn.Sequential(_Renamed(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2)).double()
    x = torch.tensor([[0.5, -1.0]], dtype=torch.float64)
    assert [v.data for v in from_torch(net)([0.5, -1.0])] == pytest.approx(net(x)[0].tolist(), rel=1e-12)


def test_to_torch_refuses_non_mlp():
    with pytest.raises(TypeError, match="expects a micrograd MLP"):
        to_torch(object())


def test_missing_torch_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(ImportError, match=r"pip install -e '\.\[torch\]' from a clone, or pip install torch==2\.13\.0"):
        to_torch(MLP(2, [3], rng=RNG(1)))


def test_import_micrograd_does_not_import_torch():
    code = "import sys, micrograd, micrograd.interop, micrograd.checkpoint, micrograd.cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# ---------------------------------------------------------------------- export


def _trained_checkpoint(tmp_path, *flags):
    from micrograd.cli import main

    ck = tmp_path / "run.json"
    assert main(["train", "--steps", "5", "--save", str(ck), "--quiet", *flags]) == 0
    return ck


def _check_export(ck, out):
    """The exported state_dict loads into a torch net that computes what the checkpoint's model does."""
    from micrograd import checkpoint
    from micrograd.train import make_trainer

    sd = torch.load(out, weights_only=True)  # no arbitrary pickle needed to read it
    loaded = checkpoint.load(ck)
    tr = make_trainer(loaded.train_config())
    checkpoint.restore(tr, loaded)
    net = to_torch(MLP(tr.model.nin, tr.model.nouts, activation=tr.model.activation, rng=RNG(0)))
    net.load_state_dict(sd)
    assert weights(from_torch(net)) == weights(tr.model)
    xs = inputs(2)
    theirs = net(torch.tensor(xs, dtype=torch.float64)).tolist()
    for x, b in zip(xs, theirs):
        assert [v.data for v in tr.model(x)] == pytest.approx(b, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("flags", [(), ("--hidden", "4", "4", "--activation", "relu")])
def test_export_command_writes_a_loadable_state_dict(tmp_path, capsys, flags):
    from micrograd.cli import main

    ck = _trained_checkpoint(tmp_path, *flags)
    out = tmp_path / "model.pt"
    assert main(["export", str(ck), "--to", str(out)]) == 0
    assert str(out) in capsys.readouterr().err
    _check_export(ck, out)


@pytest.mark.slow
def test_export_entry_point_in_a_fresh_process(tmp_path):
    ck = _trained_checkpoint(tmp_path)
    out = tmp_path / "model.pt"
    p = subprocess.run(
        [sys.executable, "-m", "micrograd.cli", "export", str(ck), "--to", str(out)], capture_output=True, text=True
    )
    assert p.returncode == 0, p.stderr
    _check_export(ck, out)


def test_export_is_atomic(tmp_path, monkeypatch):
    ck = _trained_checkpoint(tmp_path)
    out = tmp_path / "model.pt"
    out.write_bytes(b"previous export")

    def boom(obj, f):
        f.write(b"partial")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        export_checkpoint(ck, out)
    assert out.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt", "run.json"]


# ---------------------------------------------------------------------- the tensor engine's MLP


def test_tensor_mlp_to_torch_outputs_and_gradients_match():
    import numpy as np

    from micrograd.tensor.functional import cross_entropy as t_cross_entropy
    from micrograd.tensor.nn import MLP as TensorMLP

    mlp = TensorMLP(3, [8, 8, 4], activation="relu", init="per-weight", rng=RNG(4))
    net = to_torch(mlp)
    X = np.array(inputs(3, n=16, seed=2))
    y = np.array([i % 4 for i in range(16)])
    assert np.allclose(mlp(X).data, net(torch.tensor(X)).detach().numpy(), rtol=1e-12, atol=1e-12)
    t_cross_entropy(mlp(X), y).backward()
    torch.nn.functional.cross_entropy(net(torch.tensor(X)), torch.tensor(y)).backward()
    lins = [m for m in net if isinstance(m, torch.nn.Linear)]
    for layer, lin in zip(mlp.layers, lins):
        assert np.allclose(layer.weight.grad, lin.weight.grad.numpy(), rtol=1e-10, atol=1e-13)
        assert np.allclose(layer.bias.grad, lin.bias.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_from_torch_to_the_tensor_engine_round_trips_exactly():
    from micrograd.tensor.nn import MLP as TensorMLP

    mlp = TensorMLP(2, [16, 3], rng=RNG(42))
    back = from_torch(to_torch(mlp), engine="tensor")
    assert isinstance(back, TensorMLP) and back.nouts == [16, 3] and back.activation == "tanh"
    assert all((a.data == b.data).all() for a, b in zip(back.parameters(), mlp.parameters()))
    with pytest.raises(ValueError, match="engine must be"):
        from_torch(to_torch(mlp), engine="gpu")


def test_export_of_a_tensor_engine_checkpoint(tmp_path):
    ck = _trained_checkpoint(tmp_path, "--engine", "tensor", "--hidden", "6")
    out = tmp_path / "model.pt"
    export_checkpoint(ck, out)
    sd = torch.load(out, weights_only=True)
    assert [tuple(v.shape) for v in sd.values()] == [(6, 2), (6,), (3, 6), (3,)]
    assert all(v.dtype == torch.float64 for v in sd.values())
