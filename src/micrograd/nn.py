"""micrograd.nn — Module, Neuron, Layer, MLP on the scalar engine.

The seed's structure and random-draw order: an `MLP(2, [16, 3])` is two `Layer`s of
`Neuron`s; hidden neurons apply tanh (or relu), the last layer is linear (it gives the
logits). Weights are drawn from an `RNG` neuron by neuron, in order:
  - init="per-neuron" (the seed's): ONE draw `uniform(-1, 1) * nin**-0.5` per neuron,
    shared by all its weights;
  - init="per-weight" (the course's later fix): one such draw per weight.
Biases start at 0. A neuron, `act(b + sum(w*x))`, is one fused node (engine.dot; ops 'tanh(dot)',
'relu(dot)' and, for the linear last layer, 'dot'), with the seed's float sequence.
"""

from .engine import Value, _lift_all, dot
from .rng import RNG, global_rng

ACTIVATIONS = ("tanh", "relu")
INITS = ("per-neuron", "per-weight")


class StateDictError(RuntimeError, ValueError):
    """A state dict that does not fit the model (PyTorch raises RuntimeError; it is also a ValueError)."""


def check_state_dict_keys(module, names, state_dict):
    """Raise StateDictError unless `state_dict` has exactly the keys `names` (both engines use this)."""
    if not isinstance(state_dict, dict):
        raise TypeError(f"load_state_dict() expects a dict, got {type(state_dict).__name__}")
    wanted = set(names)
    missing = [n for n in names if n not in state_dict]
    unexpected = [k for k in state_dict if k not in wanted]
    if missing or unexpected:
        more = lambda xs: "..." if len(xs) > 5 else ""  # noqa: E731
        raise StateDictError(
            f"state dict does not fit {type(module).__name__}: "
            f"missing keys {missing[:5]}{more(missing)}, unexpected keys {unexpected[:5]}{more(unexpected)}"
        )


# ---------------------------------------------------------------------- Module


class Module:
    """Base class: a module owns parameters (leaf `Value`s) and can save/load them."""

    def parameters(self):
        # each of the two methods is defined by the other; a module overriding neither has none (as the seed's)
        if type(self).named_parameters is Module.named_parameters:
            return []
        return [p for _, p in self.named_parameters()]

    def named_parameters(self):
        """(name, Value) pairs in a fixed order; names key `state_dict()`."""
        return [(str(i), p) for i, p in enumerate(self.parameters())]

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self):
        """{name: float} of every parameter (PyTorch's name; plain data, JSON-friendly)."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict):
        """Set every parameter from `state_dict`; nothing changes unless all of it fits."""
        named = self.named_parameters()
        names = [n for n, _ in named]
        check_state_dict_keys(self, names, state_dict)
        values = []
        for n in names:
            v = state_dict[n]
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise TypeError(f"state dict value for {n!r} must be a number, got {type(v).__name__} {v!r}")
            values.append(float(v))
        for (_, p), v in zip(named, values):
            p.data = v


def _check_size(name, n):
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name} must be an int, got {type(n).__name__} {n!r}")
    if n <= 0:
        raise ValueError(f"{name} must be positive, got {n}")
    return n


def check_mlp_sizes(nin, nouts):
    """An MLP's sizes checked (both engines use this): returns nouts as a list."""
    _check_size("nin", nin)
    if isinstance(nouts, (int, str)) or not hasattr(nouts, "__iter__"):
        raise TypeError(f"nouts must be a list of layer sizes, got {type(nouts).__name__} {nouts!r}")
    nouts = list(nouts)
    if not nouts:
        raise ValueError("nouts must list at least one layer size, got []")
    for i, n in enumerate(nouts):
        _check_size(f"nouts[{i}]", n)
    return nouts


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


# ---------------------------------------------------------------------- Neuron, Layer, MLP


class Neuron(Module):
    """act(b + sum(w*x)), with act tanh/relu if `nonlin`, else the identity."""

    def __init__(self, nin, nonlin=True, activation="tanh", init="per-neuron", rng=None):
        _check_size("nin", nin)
        _check_choice("activation", activation, ACTIVATIONS)
        _check_choice("init", init, INITS)
        if rng is None:
            rng = global_rng()
        elif not isinstance(rng, RNG):
            raise TypeError(f"rng must be a micrograd.RNG, got {type(rng).__name__}")
        scale = nin**-0.5
        if init == "per-neuron":
            r = rng.uniform(-1, 1) * scale  # the seed: one draw for the whole neuron
            self.w = [Value(r) for _ in range(nin)]
        else:
            self.w = [Value(rng.uniform(-1, 1) * scale) for _ in range(nin)]
        self.b = Value(0.0)
        self.nonlin = bool(nonlin)
        self.activation = activation

    def __call__(self, x):
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(x)}")
        return dot(self.w, x, self.b, self.activation if self.nonlin else None)

    def named_parameters(self):
        return [(f"w.{i}", w) for i, w in enumerate(self.w)] + [("b", self.b)]

    def __repr__(self):
        kind = ("TanH" if self.activation == "tanh" else "ReLU") if self.nonlin else "Linear"
        return f"{kind}Neuron({len(self.w)})"


class Layer(Module):
    """`nout` neurons reading the same `nin` inputs; returns a list (always)."""

    def __init__(self, nin, nout, **kwargs):
        _check_size("nout", nout)
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        if len(x) != len(self.neurons[0].w):
            raise ValueError(f"Layer expects {len(self.neurons[0].w)} inputs, got {len(x)}")
        return self._forward(_lift_all(x, "x"))

    def _forward(self, x):
        """x: a list of Values of the right length (checked by the caller)."""
        xd = [xi.data for xi in x]  # once for all neurons
        # Neuron.__call__, inlined: this is the hot loop of training
        return [dot(n.w, x, n.b, n.activation if n.nonlin else None, xd) for n in self.neurons]

    def named_parameters(self):
        return [(f"neurons.{j}.{name}", p) for j, n in enumerate(self.neurons) for name, p in n.named_parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Multi-layer perceptron: hidden layers with `activation`, a linear last layer.

    `MLP(2, [16, 3], rng=RNG(42))` is the seed's model when built right after its data.
    Returns the list of outputs (the logits).
    """

    def __init__(self, nin, nouts, activation="tanh", init="per-neuron", rng=None):
        nouts = check_mlp_sizes(nin, nouts)
        if rng is None:
            rng = global_rng()
        sz = [nin] + nouts
        self.layers = [
            Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1, activation=activation, init=init, rng=rng)
            for i in range(len(nouts))
        ]
        self.nin, self.nouts, self.activation, self.init = nin, nouts, activation, init

    def __call__(self, x):
        if len(x) != self.nin:
            raise ValueError(f"MLP expects {self.nin} inputs, got {len(x)}")
        x = _lift_all(x, "x")  # once, as the seed's [Value(x[0]), Value(x[1])]
        for layer in self.layers:
            x = layer._forward(x)
        return x

    def named_parameters(self):
        return [(f"layers.{i}.{name}", p) for i, layer in enumerate(self.layers) for name, p in layer.named_parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
