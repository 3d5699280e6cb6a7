"""micrograd.nn — Module, Neuron, Layer, MLP on the scalar engine.

The seed's structure and random-draw order: an `MLP(2, [16, 3])` is two `Layer`s of
`Neuron`s; hidden neurons apply tanh (or relu, sigmoid, linear = none), the last layer is linear (it gives the
logits). Weights are drawn from an `RNG` neuron by neuron, in order:
  - init="per-weight" (the default; the course's fix): one draw `uniform(-1, 1) * nin**-0.5`
    per weight;
  - init="per-neuron" (the seed's, kept for its preset): ONE such draw per neuron, shared by
    all its weights (so a neuron's weights start equal: a bug the course fixed).
Without `rng=` they come from the global generator (`micrograd.manual_seed` makes it
reproducible; see `rng.py`). Biases start at 0. As in karpathy/micrograd, a layer or MLP with
one output returns that Value, with more outputs a list.

A neuron, `act(b + sum(w*x))`, is one fused node (made by `dot`; its op is a `NeuronOp`:
'tanh(dot)', 'relu(dot)', 'sigmoid(dot)' and, for a linear layer, 'dot') with the seed's float sequence;
its op also knows the seed's small graph it stands for (`expand`, for the graph view).
`MLP.weights()` gives the weights as plain floats (for plots, the web page, PyTorch).
"""

import math

from .engine import Value, _sigmoid, as_values, fused_like
from .rng import RNG, global_rng

ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")  # "linear": the identity (no nonlinearity)
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


# ---------------------------------------------------------------------- the fused neuron node


class NeuronOp:
    """The op of a neuron node, `act(b + w[0]*x[0] + w[1]*x[1] + ...)` made by `dot`: what the
    node's backward rule reads and what the graph view draws (`str(op)` is its name: 'dot',
    'tanh(dot)', 'relu(dot)' or 'sigmoid(dot)'). The node's children are `(b, *w, *x)`. Floats only (no cycles).
    """

    __slots__ = ("name", "pre", "dact", "local")

    def __init__(self, name, pre, dact, local):
        self.name = name
        self.pre = pre  # b + w.x, before the activation
        self.dact = dact  # act'(pre); 1.0 for the linear 'dot' (multiplying by 1.0 changes no bit)
        self.local = local  # (1.0, *x.data, *w.data): d(pre)/d(child) for the children (b, *w, *x)

    def __str__(self):
        return self.name

    @staticmethod
    def backward(out, g):
        """The node's backward rule: the activation node's (pre.grad = act'(pre) * g), then the dot's."""
        op = out._op
        g = op.dact * g
        for child, d in zip(out._prev, op.local):
            child.grad += d * g

    def expand(self, out, part):
        """The seed's graph of the neuron `out`, inner node by inner node: `b + w0*x0 + w1*x1 + ...`
        as '*' and '+' nodes, then 'tanh' / 'ReLU'. Every node of the dot has the gradient of
        `pre`, act'(pre) * g, as in `backward`. Returns the op and children of `out` itself (the
        last '+' of a linear neuron, else the activation); None for a neuron without inputs."""
        prev, local = out._prev, self.local
        n = (len(prev) - 1) // 2
        if n < 1:
            return None  # the seed's graph is just b: no op to draw
        b, w, x = prev[0], prev[1 : n + 1], prev[n + 1 :]
        xd, wd = local[1 : n + 1], local[n + 1 :]  # the data at forward time
        g = self.dact * out.grad
        acc, s = b, b.data
        for i in range(n - 1):
            prod = part("*", wd[i] * xd[i], g, (w[i], x[i]))
            s = s + wd[i] * xd[i]
            acc = part("+", s, g, (acc, prod))
        last = (acc, part("*", wd[n - 1] * xd[n - 1], g, (w[n - 1], x[n - 1])))
        if self.name == "dot":
            return "+", last  # the last '+' is the node itself
        pre = part("+", self.pre, g, last)
        return _EXPANDED[self.name], (pre,)


_EXPANDED = {"tanh(dot)": "tanh", "relu(dot)": "ReLU", "sigmoid(dot)": "sigmoid"}  # the activation's own op (engine.Value)
_neuron_backward = NeuronOp.backward  # as a global: dot() runs once per neuron per sample


def dot(w, x, b, act=None, xd=None):
    """One node for `b + w[0]*x[0] + w[1]*x[1] + ...` (a neuron), optionally activated.

    Computes exactly the seed's `sum((wi*xi for ...), b)` float sequence, and gives each
    child the gradient that graph would: b gets g, w[i] gets x[i]*g, x[i] gets w[i]*g.
    With act="tanh", "relu" or "sigmoid" the activation is fused in too (op "tanh(dot)" /
    "relu(dot)" / "sigmoid(dot)"), again with the float sequence of the unfused ops; act="linear" is
    the identity (op "dot", as act=None). `w` are Values, `x` Values or numbers, `b` a
    Value. (`xd`, the list of x's data, lets a layer extract it once for all its neurons.)
    """
    if xd is None:
        try:
            xd = [xi.data for xi in x]  # x are Values already (MLP lifts its inputs once)
        except AttributeError:
            x = as_values(x, "x")
            xd = [xi.data for xi in x]
    wd = [wi.data for wi in w]
    if len(wd) != len(xd):
        raise ValueError(f"dot() needs as many inputs as weights, got {len(xd)} inputs for {len(wd)} weights")
    s = b.data
    for wi, xi in zip(wd, xd):
        s = s + wi * xi
    local = (1.0, *xd, *wd)
    if act is None or act == "linear":
        out = Value(s, (b, *w, *x), NeuronOp("dot", s, 1.0, local), _neuron_backward)
    elif act == "tanh":
        t = math.tanh(s)
        out = Value(t, (b, *w, *x), NeuronOp("tanh(dot)", s, 1 - t**2, local), _neuron_backward)
    elif act == "relu":
        op = NeuronOp("relu(dot)", s, 1.0 if s > 0 else 0.0, local)
        out = Value(0.0 if s < 0 else s, (b, *w, *x), op, _neuron_backward)
    elif act == "sigmoid":
        t = _sigmoid(s)
        out = Value(t, (b, *w, *x), NeuronOp("sigmoid(dot)", s, (1.0 - t) * t, local), _neuron_backward)
    else:
        raise ValueError(f"dot(act=...) must be None, 'tanh', 'relu', 'sigmoid' or 'linear', got {act!r}")
    return fused_like(out, x[0]) if x and type(x[0]) is not Value else out


# ---------------------------------------------------------------------- Neuron, Layer, MLP


class Neuron(Module):
    """act(b + sum(w*x)), with act tanh/relu/sigmoid/linear if `nonlin`, else the identity."""

    def __init__(self, nin, nonlin=True, activation="tanh", init="per-weight", rng=None):
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
        kind = _KINDS[self.activation] if self.nonlin else "Linear"
        return f"{kind}Neuron({len(self.w)})"


_KINDS = {"tanh": "TanH", "relu": "ReLU", "sigmoid": "Sigmoid", "linear": "Linear"}  # Neuron's repr


class Layer(Module):
    """`nout` neurons reading the same `nin` inputs; returns their list, or the Value itself when
    nout is 1 (as karpathy/micrograd)."""

    def __init__(self, nin, nout, **kwargs):
        _check_size("nout", nout)
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        out = self.outputs(x)
        return out[0] if len(out) == 1 else out

    def outputs(self, x):
        """The layer's outputs as a list, always (`layer(x)` gives a lone Value for one neuron)."""
        if len(x) != len(self.neurons[0].w):
            raise ValueError(f"Layer expects {len(self.neurons[0].w)} inputs, got {len(x)}")
        return self._forward(as_values(x, "x"))

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

    `MLP(2, [16, 3], init="per-neuron", rng=RNG(42))` is the seed's model when built right
    after its data. Returns the list of outputs (the logits), or the one output Value itself
    when the last layer has one neuron (as karpathy/micrograd: `MLP(2, [16, 16, 1])(x).data`).
    """

    def __init__(self, nin, nouts, activation="tanh", init="per-weight", rng=None):
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
        x = as_values(x, "x")  # once, as the seed's [Value(x[0]), Value(x[1])]
        for layer in self.layers:
            x = layer._forward(x)  # lists all the way: a one-neuron hidden layer feeds the next as a list
        return x[0] if len(x) == 1 else x

    def named_parameters(self):
        return [(f"layers.{i}.{name}", p) for i, layer in enumerate(self.layers) for name, p in layer.named_parameters()]

    def weights(self):
        """The weights as plain floats, one `(W, b)` per layer: W holds nout rows of nin floats
        (W[j][i] is neuron j's weight from input i, PyTorch's `Linear.weight` layout), b nout floats."""
        return [([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons]) for layer in self.layers]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
