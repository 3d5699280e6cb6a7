"""micrograd.web.network — the page's network view: every neuron's map over the input plane, every edge.

    arrays = layer_arrays(model)                       # [(W (nout, nin), b (nout,), act)] per layer
    names = input_names(config, model.nin)             # ["x", "y"], or the run's feature names
    maps = neuron_maps(arrays, names, domain, size=24) # per layer (inputs first): ints -100..100
    edges = edge_json(arrays, grads)                   # weights and last gradients, per layer
    layer, j, i, value = parse_weight(body, arrays)    # a validated "set this weight" request
    opt = RecordingOptimizer(trainer.optimizer)        # keeps each step's gradients and updates

What TensorFlow Playground shows beside its boundary: a diagram of inputs, hidden layers and
outputs with a small heatmap per neuron of what it computes over the input plane, and edges
coloured by sign and sized by |weight|. The server computes the maps in one batched NumPy
forward pass over a size x size grid (no graph built; the same float64 math as the engines'
forward), the page draws them. An input node's map is its feature over the plane (`x2` is x²),
so a run with feature inputs shows what its first layer really reads.

Maps are sent as ints in [-100, 100]: each neuron's values divided by its largest |value| on
the grid (the scale, sent beside it), so a flat or tiny neuron still shows its shape; the
page colours the sign (blue +, orange -) and shows the scale on hover.
"""

import math

import numpy as np

from .. import data as datasets
from .._floats import is_finite_number
from ..tensor._kernels import ACTIVATIONS as _KERNEL_ACTIVATIONS
from .forms import BadRequest

# ---------------------------------------------------------------------- activations and features

# every activation a hidden layer may have, as NumPy functions of the pre-activation (the tensor
# kernels' table, micrograd.nn.ACTIVATIONS' names); None is the linear last layer
ACTIVATIONS = {None: _KERNEL_ACTIVATIONS["linear"], **_KERNEL_ACTIVATIONS}

# an input feature's name: the model reads these, computed from the plane's (x, y) (micrograd.data.FEATURES)
FEATURES = datasets.FEATURES
THUMB = 24  # a neuron's map is THUMB x THUMB cells (the page smooths it when it enlarges one)
MAX_WEIGHT = 1000.0  # |a weight| the page may set


def input_names(config, nin):
    """The model's input names: the config's feature list if it has one (issue 12's `features`),
    else x and y (a plain 2-D run); a model reading something else gets x0, x1, ..."""
    feats = list(getattr(config, "features", None) or ())
    if len(feats) == nin and all(f in FEATURES for f in feats):
        return feats
    return ["x", "y"] if nin == 2 else [f"x{i}" for i in range(nin)]


def plane_inputs(names, xs, ys):
    """(N, len(names)) model inputs at the plane's points (xs, ys: (N,) arrays): the features as
    `micrograd.data.feature_columns` computes them (zeros for an input that is no feature)."""
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    if all(n in FEATURES for n in names):
        return datasets.feature_columns(xs, ys, names)
    return np.zeros((len(xs), len(names)))


# ---------------------------------------------------------------------- the model as arrays


def _activation(layer, last):
    if last:
        return None
    act = getattr(layer, "activation", None)  # a tensor Linear
    if hasattr(layer, "neurons"):  # a scalar Layer: its neurons say
        n = layer.neurons[0]
        act = n.activation if n.nonlin else None
    return act


def layer_arrays(model):
    """[(W (nout, nin) float64, b (nout,), act)] per layer of a micrograd MLP of either engine."""
    layers = model.weights()
    last = len(layers) - 1
    return [
        (np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64), _activation(layer, i == last))
        for i, ((W, b), layer) in enumerate(zip(layers, model.layers))
    ]


def _scaled(values):
    """values (n, N) -> (ints in [-100, 100] per row, each row's max |value|): a row's shape, its scale apart."""
    with np.errstate(all="ignore"):
        scale = np.max(np.abs(values), axis=1)
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        q = np.rint(100.0 * values / scale[:, None])
    q = np.nan_to_num(q, nan=0.0, posinf=100.0, neginf=-100.0)
    return q.astype(int), scale


def cell_centres(domain, size):
    """(xs, ys): the centres of a size x size grid over domain (x0, x1, y0, y1), flattened row-major from
    the top-left (y max) corner, as a canvas draws."""
    x0, x1, y0, y1 = domain
    xs = x0 + (np.arange(size) + 0.5) * (x1 - x0) / size
    ys = y1 - (np.arange(size) + 0.5) * (y1 - y0) / size  # the top row first
    gx, gy = np.meshgrid(xs, ys)
    return gx.ravel(), gy.ravel()


def layer_values(arrays, h):
    """[h, then each layer's activations] for the inputs h (N, nin), every neuron of a layer at once
    (layer_arrays' (W, b, act) per layer): one batched forward, no graph."""
    values = [h]
    for W, b, act in arrays:
        h = ACTIVATIONS[act](h @ W.T + b)  # (N, nout)
        values.append(h)
    return values


def neuron_maps(arrays, names, domain, size=THUMB):
    """Every node's value over a size x size grid of the domain (row-major from the top-left, as a
    canvas): [{"maps": [[ints] per node], "scale": [floats]}] per layer, the inputs first, then each
    layer's activations (the outputs' raw values: the logits, or a regression's prediction)."""
    with np.errstate(all="ignore"):  # a diverged model may hold inf: its maps come out flat
        values = layer_values(arrays, plane_inputs(names, *cell_centres(domain, size)))
    out = []
    for v in values:
        q, scale = _scaled(v.T)
        out.append({"maps": q.tolist(), "scale": [_f(s) for s in scale]})
    return out


def _f(x, digits=6):
    return round(float(x), digits) if math.isfinite(x) else None


def _rows(a, digits=6):
    return [[_f(v, digits) for v in row] for row in np.asarray(a, dtype=np.float64).tolist()]


def edge_json(arrays, grads=None):
    """Per layer {"w": nout rows of nin weights, "b": nout biases, "gw", "gb": the last step's gradients
    (or None before the first step)}. `grads`: [(gW, gb)] per layer, or None."""
    out = []
    for k, (W, b, act) in enumerate(arrays):
        layer = {"w": _rows(W), "b": [_f(v) for v in b.tolist()], "act": act, "gw": None, "gb": None}
        if grads is not None:
            gW, gb = grads[k]
            layer.update(gw=_rows(gW, 9), gb=[_f(v, 9) for v in np.asarray(gb, dtype=np.float64).tolist()])
        out.append(layer)
    return out


# ---------------------------------------------------------------------- the training model's parameters (the optimizer table)


class RecordingOptimizer:
    """Wraps the trainer's optimizer to keep what `step()` saw and did: each parameter's
    gradient and update (the trainer zeroes the gradients right after stepping)."""

    def __init__(self, optimizer):
        self._opt = optimizer
        self.last_grad = [p.data * 0.0 for p in optimizer.params]  # a float or an array per parameter
        self.last_update = [p.data * 0.0 for p in optimizer.params]

    def step(self):
        params = self._opt.params
        before = [_copy(p.data) for p in params]  # copies: an array may be updated or zeroed in place
        self.last_grad = [_copy(p.grad) for p in params]
        self._opt.step()
        self.last_update = [p.data - b for p, b in zip(params, before)]

    def __getattr__(self, name):  # everything else is the real optimizer's
        return getattr(self._opt, name)


def _copy(x):
    return x.copy() if hasattr(x, "copy") else x


def flat(per_param):
    """The tensor model's per-parameter arrays [W0, b0, W1, b1, ...] as one list of floats in the scalar
    model's parameter order (neuron by neuron: its weights, then its bias), the optimizer table's rows."""
    parts = []
    for W, b in zip(per_param[::2], per_param[1::2]):
        b = np.asarray(b, dtype=np.float64)
        parts.append(np.hstack([np.asarray(W, dtype=np.float64).reshape(len(b), -1), b[:, None]]).ravel())
    return np.concatenate(parts).tolist()


# ---------------------------------------------------------------------- editing one weight


def parse_weight(body, arrays):
    """(layer, to, frm, value) from {"layer", "to", "from", "value"}: the weight of layer `layer` from its
    input `from` to its neuron `to`; "from": "bias" names the neuron's bias (frm None). BadRequest names
    the field and the value."""
    if not isinstance(body, dict):
        raise BadRequest(f"a weight edit must be a JSON object, got {body!r:.60}")
    extra = sorted(set(body) - {"layer", "to", "from", "value"})
    if extra:
        raise BadRequest(f"unknown field {extra[0]!r} in a weight edit (fields: layer, to, from, value)")
    for name in ("layer", "to", "from", "value"):
        if name not in body:
            raise BadRequest(f"a weight edit needs field {name!r}")

    def index(name, n, alt=""):
        v = body[name]
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < n:
            raise BadRequest(f"{name} must be an integer in [0, {n - 1}]{alt}, got {v!r}")
        return v

    layer = index("layer", len(arrays))
    nout, nin = arrays[layer][0].shape
    to = index("to", nout)
    frm = None if body["from"] == "bias" else index("from", nin, ' or "bias"')
    v = body["value"]
    if not is_finite_number(v) or abs(v) > MAX_WEIGHT:
        raise BadRequest(f"value must be a finite number in [-{MAX_WEIGHT:g}, {MAX_WEIGHT:g}], got {v!r:.40}")
    return layer, to, frm, float(v)
