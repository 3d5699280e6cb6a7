"""micrograd.tensor.nn — Module, Linear, MLP on the tensor engine.

    from micrograd import RNG
    from micrograd.tensor import MLP, Tensor
    model = MLP(2, [16, 3], rng=RNG(42))         # the same weights as micrograd.nn.MLP(2, [16, 3], rng=RNG(42))
    logits = model(Tensor(X))                    # X: (B, 2) -> (B, 3)

The tensor twins of `micrograd.nn`. A `Linear` layer is the scalar `Layer` with its
neurons' weights stacked into one (nout, nin) matrix (PyTorch's layout: row j is neuron
j) and its biases into a (nout,) vector. Weights are drawn from the RNG in exactly the
scalar `Neuron` order — neuron by neuron; init="per-neuron" is one
`uniform(-1, 1) * nin**-0.5` shared by the neuron's weights, init="per-weight" one such
draw per weight; biases 0 — so both engines start from identical weights.
`MLP.from_scalar(scalar_mlp)` copies an existing scalar model.

Parameter names follow PyTorch (`layers.0.weight`, `layers.0.bias`, ...);
`state_dict()` gives nested lists of floats (JSON-friendly), `load_state_dict()` takes them back.
"""

import numpy as np

from ..nn import ACTIVATIONS, INITS, StateDictError, _check_choice, _check_size, check_mlp_sizes, check_state_dict_keys
from ..rng import RNG, global_rng
from .functional import linear
from .tensor import Tensor, _leaf

# ---------------------------------------------------------------------- Module


class Module:
    """Base class: a module owns parameters (leaf Tensors with requires_grad) and can save/load them."""

    def named_parameters(self):
        """(name, Tensor) pairs in a fixed order; names key `state_dict()`."""
        raise NotImplementedError

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def zero_grad(self):
        for p in self.parameters():
            p.grad = np.zeros(p.data.shape)

    def state_dict(self):
        """{name: nested list of floats} of every parameter (PyTorch's name; JSON-friendly)."""
        return {name: p.data.tolist() for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict):
        """Set every parameter from `state_dict` (nested lists or arrays); nothing changes unless all of it fits."""
        named = self.named_parameters()
        check_state_dict_keys(self, [n for n, _ in named], state_dict)
        arrays = []
        for n, p in named:
            v = state_dict[n]
            try:
                a = np.array(v)
            except ValueError:
                raise StateDictError(f"state dict value for {n!r} is not a rectangular array of numbers") from None
            if a.dtype.kind not in "iuf" or a.dtype == np.bool_:
                raise TypeError(f"state dict value for {n!r} must be numbers, got {a.dtype} values")
            if a.shape != p.data.shape:
                raise StateDictError(f"state dict value for {n!r} has shape {a.shape}, the parameter's is {p.data.shape}")
            arrays.append(a.astype(np.float64))
        for (_, p), a in zip(named, arrays):
            p.data = a


def _rng(rng):
    if rng is None:
        return global_rng()
    if not isinstance(rng, RNG):
        raise TypeError(f"rng must be a micrograd.RNG, got {type(rng).__name__}")
    return rng


# ---------------------------------------------------------------------- Linear, MLP


class Linear(Module):
    """`activation(x @ weight.T + bias)`: the scalar `Layer` of `nout` neurons as one node.

    `activation` is None (linear), "tanh", "relu", "sigmoid" or "linear" (= None). x: (..., nin) -> (..., nout).
    """

    def __init__(self, nin, nout, activation=None, init="per-weight", rng=None):
        _check_size("nin", nin)
        _check_size("nout", nout)
        if activation is not None:
            _check_choice("activation", activation, ACTIVATIONS)
        _check_choice("init", init, INITS)
        rng = _rng(rng)
        scale = nin**-0.5
        w = np.empty((nout, nin))
        for j in range(nout):  # neuron by neuron, as micrograd.nn.Neuron draws
            if init == "per-neuron":
                w[j, :] = rng.uniform(-1, 1) * scale
            else:
                for i in range(nin):
                    w[j, i] = rng.uniform(-1, 1) * scale
        self.weight = _leaf(w, requires_grad=True)
        self.bias = _leaf(np.zeros(nout), requires_grad=True)
        self.activation = activation

    def __call__(self, x):
        if not isinstance(x, Tensor):
            x = Tensor(x)
        return linear(x, self.weight, self.bias, self.activation)

    def named_parameters(self):
        return [("weight", self.weight), ("bias", self.bias)]

    def __repr__(self):
        nout, nin = self.weight.shape
        act = f", activation={self.activation!r}" if self.activation else ""
        return f"Linear({nin}, {nout}{act})"


class MLP(Module):
    """Multi-layer perceptron: hidden `Linear` layers with `activation`, a linear last layer.

    `MLP(2, [16, 3], rng=RNG(42))` starts from the same weights as the scalar
    `micrograd.nn.MLP(2, [16, 3], rng=RNG(42))`. Input (B, nin) (or (nin,)), output the logits.
    """

    def __init__(self, nin, nouts, activation="tanh", init="per-weight", rng=None):
        nouts = check_mlp_sizes(nin, nouts)
        _check_choice("activation", activation, ACTIVATIONS)
        _check_choice("init", init, INITS)
        rng = _rng(rng)
        sz = [nin] + nouts
        last = len(nouts) - 1
        self.layers = [
            Linear(sz[i], sz[i + 1], activation=None if i == last else activation, init=init, rng=rng) for i in range(len(nouts))
        ]
        self.nin, self.nouts, self.activation, self.init = nin, nouts, activation, init

    @classmethod
    def from_scalar(cls, scalar_mlp):
        """A tensor MLP with the weights of a scalar `micrograd.nn.MLP` (copied, not shared)."""
        from ..nn import MLP as ScalarMLP

        if not isinstance(scalar_mlp, ScalarMLP):
            raise TypeError(f"from_scalar() expects a micrograd.nn.MLP, got {type(scalar_mlp).__name__}")
        self = cls.__new__(cls)
        self.layers = []
        for layer, (W, b) in zip(scalar_mlp.layers, scalar_mlp.weights()):
            first = layer.neurons[0]
            lin = Linear.__new__(Linear)
            lin.weight = _leaf(np.array(W), requires_grad=True)
            lin.bias = _leaf(np.array(b), requires_grad=True)
            lin.activation = first.activation if first.nonlin else None
            self.layers.append(lin)
        self.nin, self.nouts = scalar_mlp.nin, list(scalar_mlp.nouts)
        self.activation, self.init = scalar_mlp.activation, scalar_mlp.init
        return self

    def weights(self):
        """[(W, b)] per layer as plain Python floats: W a list of nout rows of nin floats
        (W[j][i] = weight of neuron j from input i), b a list of nout floats. The scalar
        `micrograd.nn.MLP.weights()` gives the same format."""
        return [(layer.weight.data.tolist(), layer.bias.data.tolist()) for layer in self.layers]

    def __call__(self, x):
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.nin:
            raise ValueError(f"MLP expects inputs with {self.nin} features (shape (B, {self.nin})), got shape {x.shape}")
        for layer in self.layers:
            x = linear(x, layer.weight, layer.bias, layer.activation)
        return x

    def named_parameters(self):
        return [(f"layers.{i}.{name}", p) for i, layer in enumerate(self.layers) for name, p in layer.named_parameters()]

    def __repr__(self):
        return f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}) of [{', '.join(map(repr, self.layers))}]"
