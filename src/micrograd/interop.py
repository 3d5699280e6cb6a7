"""micrograd.interop — the way out to PyTorch (and back): `to_torch`, `from_torch`, `export_checkpoint`.

    from micrograd import MLP, RNG
    from micrograd.interop import to_torch, from_torch
    net = to_torch(MLP(2, [16, 3], rng=RNG(42)))   # nn.Sequential(Linear, Tanh, Linear), float64
    mlp = from_torch(net)                           # back to a micrograd MLP, same weights

    micrograd export run.ckpt.json --to model.pt    # torch.save(state_dict) of a checkpoint's model

An MLP maps one to one onto `nn.Sequential`: each `Layer` is an `nn.Linear` whose weight
row j holds neuron j's weights (`MLP.weights()`: `weight[j][i] = neurons[j].w[i]`, `bias[j] = neurons[j].b`),
each hidden layer is followed by its activation (`nn.Tanh`, `nn.ReLU`, `nn.Sigmoid` or, for
"linear", `nn.Identity`), and the last layer is linear.
In float64 the two compute the same numbers up to summation order (~1e-16 relative).
torch is optional: it is imported inside these functions only.
"""

import math
import os

from .engines import ENGINES

# ---------------------------------------------------------------------- torch, lazily


def _torch():
    try:
        import torch
    except ImportError:
        hint = (
            "pip install -e '.[torch]' from a clone, or pip install torch==2.13.0 "
            "(PyTorch's CPU build: add --index-url https://download.pytorch.org/whl/cpu)"
        )
        raise ImportError(f"micrograd.interop needs PyTorch: {hint}") from None
    return torch


# ---------------------------------------------------------------------- reading our models


def _layers_of(model):
    """[(weight rows [[float]], bias [float])], activation — from a scalar or tensor MLP (`MLP.weights()`)."""
    if not (callable(getattr(model, "weights", None)) and hasattr(model, "activation")):  # either engine's MLP
        raise TypeError(f"to_torch() expects a micrograd MLP, got {type(model).__name__}")
    return model.weights(), model.activation


# ---------------------------------------------------------------------- to / from torch


# each micrograd activation (micrograd.nn.ACTIVATIONS) and the torch.nn module that computes it
TORCH_ACTIVATIONS = {"tanh": "Tanh", "relu": "ReLU", "sigmoid": "Sigmoid", "linear": "Identity"}
_SUPPORTED = "/".join(TORCH_ACTIVATIONS.values())


def to_torch(model):
    """An equivalent `torch.nn.Sequential` (float64) of a micrograd MLP: Linear, act, ..., Linear."""
    torch = _torch()
    layers, activation = _layers_of(model)
    act = getattr(torch.nn, TORCH_ACTIVATIONS[activation])
    mods = []
    for i, (w, b) in enumerate(layers):
        nout, nin = len(w), len(w[0])
        # skip_init: no random init, so torch's global generator is left alone
        lin = torch.nn.utils.skip_init(torch.nn.Linear, nin, nout, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(w, dtype=torch.float64))
            lin.bias.copy_(torch.tensor(b, dtype=torch.float64))
        mods.append(lin)
        if i < len(layers) - 1:
            mods.append(act())
    return torch.nn.Sequential(*mods)


def from_torch(module, engine="scalar"):
    """A micrograd MLP with the weights of an MLP-shaped torch module.

    Accepted: an `nn.Linear`, or an `nn.Sequential` of `Linear` layers (with bias) with one
    `Tanh` or `ReLU` (the same kind throughout) after each but the last. Anything else is a
    ValueError naming the part that is not supported. `engine="tensor"` builds the tensor MLP.
    """
    torch = _torch()
    nn = torch.nn
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(map(repr, ENGINES))}, got {engine!r}")
    if not isinstance(module, nn.Module):  # not a module at all: the wrong type, not an unsupported model
        raise TypeError(f"from_torch() expects a torch.nn.Module, got {type(module).__name__} {module!r:.60}")
    if isinstance(module, nn.Linear):
        children = [("0", module)]
    elif isinstance(module, nn.Sequential):
        if type(module).forward is not nn.Sequential.forward:  # it may not run its children in order
            raise ValueError(
                f"from_torch(): {type(module).__name__} is an nn.Sequential with its own forward(); "
                "only what a plain nn.Sequential computes can be converted"
            )
        children = list(module.named_children())
    else:
        raise ValueError(
            f"from_torch() supports nn.Sequential of Linear and {_SUPPORTED} (or one Linear), got {type(module).__name__}"
        )
    if not children:
        raise ValueError("from_torch() got an empty nn.Sequential")

    linears, activation = [], None
    for pos, (name, child) in enumerate(children):
        want_linear = pos % 2 == 0
        if want_linear:
            if not isinstance(child, nn.Linear):
                raise ValueError(
                    f"from_torch(): module {name!r} is {type(child).__name__}; expected Linear "
                    f"(supported: Linear, then one of {_SUPPORTED}, alternating, ending with Linear)"
                )
            if type(child).forward is not nn.Linear.forward:  # it computes something else than x W^T + b
                raise ValueError(
                    f"from_torch(): module {name!r} is {type(child).__name__}, a Linear with its own forward(); "
                    "only what a plain nn.Linear computes can be converted"
                )
            if child.bias is None:
                raise ValueError(f"from_torch(): Linear {name!r} has no bias; micrograd neurons always have one")
            if child.in_features < 1 or child.out_features < 1:
                raise ValueError(
                    f"from_torch(): Linear {name!r} has zero size ({child.in_features} inputs, "
                    f"{child.out_features} outputs); a micrograd layer needs at least one of each"
                )
            if linears and child.in_features != linears[-1][1].out_features:
                raise ValueError(
                    f"from_torch(): Linear {name!r} takes {child.in_features} inputs, "
                    f"the layer before gives {linears[-1][1].out_features}"
                )
            linears.append((name, child))
        else:
            kind = {getattr(nn, m): a for a, m in TORCH_ACTIVATIONS.items()}.get(type(child))
            if kind is None:
                raise ValueError(
                    f"from_torch(): module {name!r} is {type(child).__name__}; only {_SUPPORTED} activations are supported"
                )
            if activation not in (None, kind):
                raise ValueError(
                    f"from_torch(): module {name!r} is {type(child).__name__} but an earlier one is "
                    f"{activation}; a micrograd MLP uses one activation"
                )
            activation = kind
    if not isinstance(children[-1][1], nn.Linear):
        raise ValueError(f"from_torch(): the last module {children[-1][0]!r} must be Linear (the logits)")

    # read every weight as exact Python floats (float32 -> float64 is exact)
    layers = []
    for name, lin in linears:
        w = lin.weight.detach().to("cpu", torch.float64).tolist()
        b = lin.bias.detach().to("cpu", torch.float64).tolist()
        for what, values in (("weight", (x for row in w for x in row)), ("bias", b)):
            bad = next((v for v in values if not math.isfinite(v)), None)
            if bad is not None:
                raise ValueError(f"from_torch(): Linear {name!r} holds a non-finite {what} {bad!r}")
        layers.append((w, b))
    return _build(layers, activation or "tanh", engine)


def _build(layers, activation, engine):
    from .rng import RNG

    nin, nouts = len(layers[0][0][0]), [len(w) for w, _ in layers]
    if engine == "tensor":
        from .tensor.nn import MLP as TensorMLP

        model = TensorMLP(nin, nouts, activation=activation, rng=RNG(1))
        model.load_state_dict({f"layers.{i}.{k}": v for i, (w, b) in enumerate(layers) for k, v in (("weight", w), ("bias", b))})
        return model
    from .nn import MLP

    model = MLP(nin, nouts, activation=activation, rng=RNG(1))  # its own RNG: the global one is left alone
    state = {}
    for i, (w, b) in enumerate(layers):
        for j, (row, bj) in enumerate(zip(w, b)):
            for k, v in enumerate(row):
                state[f"layers.{i}.neurons.{j}.w.{k}"] = v
            state[f"layers.{i}.neurons.{j}.b"] = bj
    model.load_state_dict(state)
    return model


# ---------------------------------------------------------------------- export


def export_checkpoint(ckpt_path, out_path):
    """Write the model of a checkpoint as a torch `state_dict` (`torch.save`), atomically.

    Load it with `net = to_torch(...)`-shaped `nn.Sequential` and
    `net.load_state_dict(torch.load(out_path, weights_only=True))`.
    """
    from . import checkpoint
    from .train import make_trainer

    # before the work, not after: never the checkpoint itself (nor any checkpoint), never a device or FIFO
    if os.path.exists(out_path) and os.path.exists(ckpt_path) and os.path.samefile(ckpt_path, out_path):
        raise ValueError(f"cannot export to {os.fspath(out_path)!r}: it is the checkpoint being exported")
    checkpoint.check_target(out_path, "out_path", verb="export to", may_replace=_not_a_checkpoint)
    ckpt = checkpoint.load(ckpt_path)  # a bad file is refused before torch's slow import
    torch = _torch()
    trainer = checkpoint.build_trainer(ckpt, make_trainer)  # a crafted data path is not read blindly
    checkpoint.restore(trainer, ckpt)
    net = to_torch(trainer.model)
    with checkpoint.atomic_write(out_path, "wb", verb="export to", may_replace=_not_a_checkpoint) as f:
        torch.save(net.state_dict(), f)
    return out_path


def _not_a_checkpoint(path):
    """An export may replace any regular file but a micrograd checkpoint (a run's only copy)."""
    from .checkpoint import is_checkpoint_file

    return not is_checkpoint_file(path)


_not_a_checkpoint.refusal = "it is a micrograd checkpoint (export writes a torch file: give another name)"
