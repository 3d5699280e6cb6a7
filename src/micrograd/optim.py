"""micrograd.optim — optimizers that keep their own state.

Named and behaving as `torch.optim`: `SGD`, `Adam`, `AdamW` (same arithmetic as PyTorch's
single-tensor CPU path, so float64 runs agree step for step), plus `SeedAdam`, the update
the seed's training loop performs by hand:

    m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g**2
    p -= lr * m / (v**0.5 + eps);  p -= weight_decay * p        (no bias correction)

A parameter is anything with `.data` and `.grad`: a `Value` (floats) or a tensor
(`micrograd.tensor.Tensor`, NumPy arrays); the same code serves both engines because it
only uses arithmetic that floats and arrays share. State lives in the optimizer
(`state_dict()` / `load_state_dict()`), never on the parameters.

`OPTIMIZERS` (at the end) names every optimizer a run can choose ("seed-adam", "adam",
"adamw", "sgd"); the CLI, the demo's form, `TrainConfig` and the checkpoint read it. Each
class declares what the rest of the package needs to know about it, so adding an optimizer
touches this file only (plus its test row):
  - `takes`: the `TrainConfig` hyperparameters it uses (lr, beta1, beta2, weight_decay,
    momentum); a config setting one it does not take is refused, never silently ignored;
  - `state_keys`: the keys of its per-parameter state (a checkpoint's state is checked against them);
  - `from_hyperparameters(params, **hyper)`: the optimizer from those flat values.
"""

import math
import numbers


def _zero_like(x):
    if isinstance(x, float):
        return 0.0
    z = x.copy()  # an ndarray
    z[...] = 0.0
    return z


def _sqrt(x):
    return math.sqrt(x) if isinstance(x, float) else x**0.5


# The range of each hyperparameter, checked by the constructors (torch.optim's names and rules;
# `TrainConfig` reads its fields' ranges from here): key -> (torch's name, low, high or None), high excluded.
RANGES = {
    "lr": ("learning rate", 0.0, None),
    "beta1": ("beta parameter at index 0", 0.0, 1.0),
    "beta2": ("beta parameter at index 1", 0.0, 1.0),
    "eps": ("epsilon", 0.0, None),
    "weight_decay": ("weight_decay", 0.0, None),
    "momentum": ("momentum", 0.0, None),
    "dampening": ("dampening", 0.0, None),
}


def _check(key, value):
    name, low, high = RANGES[key]
    return _check_number(name, value, low, high)


def _check_number(name, value, low=0.0, high=None, high_open=True):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):  # numpy floats are numbers too
        raise TypeError(f"Invalid {name}: expected a number, got {value!r}")
    # NaN is a number out of range: ValueError, as torch.optim ("Invalid learning rate: nan"); so is inf
    # (an infinite step turns every weight into inf or nan at the first update)
    if not math.isfinite(value) or value < low or (high is not None and (value >= high if high_open else value > high)):
        raise ValueError(f"Invalid {name} value: {value}")
    return float(value)


def _adam_hyper(lr, betas, eps, weight_decay):
    """The checked hyperparameters of an Adam-family optimizer (torch.optim's messages)."""
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
        raise ValueError(f"Invalid betas: expected a pair, got {betas!r}")
    return {
        "lr": _check("lr", lr),
        "beta1": _check("beta1", betas[0]),
        "beta2": _check("beta2", betas[1]),
        "eps": _check("eps", eps),
        "weight_decay": _check("weight_decay", weight_decay),
    }


class Optimizer:
    """Base: holds the parameter list, per-parameter state, and `zero_grad()`."""

    takes = ()  # the TrainConfig hyperparameters this optimizer uses
    state_keys = frozenset()  # the keys of one parameter's state (empty before the first step)

    @classmethod
    def from_hyperparameters(cls, params, **hyper):
        """The optimizer from flat hyperparameters named as TrainConfig's fields (beta1, beta2 -> betas)."""
        if "beta1" in hyper or "beta2" in hyper:
            hyper["betas"] = (hyper.pop("beta1"), hyper.pop("beta2"))
        return cls(params, **hyper)

    def __init__(self, params, hyper):
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        for i, p in enumerate(params):
            if not (hasattr(p, "data") and hasattr(p, "grad")):
                raise TypeError(f"params[{i}] is not a parameter (needs .data and .grad), got {type(p).__name__}")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("some parameters appear more than once in the parameter list")
        self.params = params
        self.hyper = hyper  # hyperparameters, as torch's param_groups[0]
        self.t = 0  # steps taken
        self.state = [{} for _ in params]

    def zero_grad(self):
        for p in self.params:
            p.grad = _zero_like(p.grad) if not isinstance(p.grad, (int, float)) else 0.0

    def step(self):
        self.t += 1
        for p, st in zip(self.params, self.state):
            p.data = self._update(p.data, p.grad, st)

    def _update(self, p, g, state):  # returns the new value of p
        raise NotImplementedError

    def set_hyperparameters(self, **values):
        """Change hyperparameters between steps (as setting torch's `param_groups[0]["lr"]`), e.g.
        `opt.set_hyperparameters(lr=0.01)`: each is checked as the constructor checks it, and nothing
        changes unless all are valid. The state (moments, t) is kept; `state_dict()` has the new values."""
        new = dict(self.hyper)
        for key, v in values.items():
            if key not in self.hyper:
                raise ValueError(f"{type(self).__name__} has no hyperparameter {key!r}; it has {', '.join(self.hyper)}")
            new[key] = bool(v) if isinstance(self.hyper[key], bool) else _check(key, v) if key in RANGES else v
        if new.get("nesterov") and (new["momentum"] <= 0 or new["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        self.hyper = new

    def state_dict(self):
        """{'t', 'hyper', 'state': [per-parameter dict of floats or arrays]} (copies)."""
        copy = lambda x: x if isinstance(x, float) else x.copy()  # noqa: E731
        return {
            "t": self.t,
            "hyper": dict(self.hyper),
            "state": [{k: copy(v) for k, v in st.items()} for st in self.state],
        }

    def load_state_dict(self, sd):
        if not isinstance(sd, dict) or not {"t", "state"} <= set(sd):
            raise ValueError("optimizer state dict must be a dict with keys 't' and 'state'")
        if len(sd["state"]) != len(self.params):
            raise ValueError(f"optimizer state has {len(sd['state'])} parameters, this optimizer has {len(self.params)}")
        self.t = int(sd["t"])
        self.state = [dict(st) for st in sd["state"]]

    def __repr__(self):
        args = ", ".join(f"{k}={v}" for k, v in self.hyper.items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """torch.optim.SGD: p -= lr * (g + wd*p), with (Nesterov) momentum."""

    takes = ("lr", "momentum", "weight_decay")
    state_keys = frozenset({"momentum_buffer"})

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        hyper = {
            "lr": _check("lr", lr),
            "momentum": _check("momentum", momentum),
            "dampening": _check("dampening", dampening),
            "weight_decay": _check("weight_decay", weight_decay),
            "nesterov": bool(nesterov),
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, hyper)

    def _update(self, p, g, st):
        h = self.hyper
        if h["weight_decay"] != 0:
            g = g + h["weight_decay"] * p
        if h["momentum"] != 0:
            if "momentum_buffer" not in st:
                buf = g if isinstance(g, float) else g.copy()
            else:
                buf = st["momentum_buffer"] * h["momentum"] + (1 - h["dampening"]) * g
            st["momentum_buffer"] = buf
            g = g + h["momentum"] * buf if h["nesterov"] else buf
        return p + (-h["lr"]) * g


class Adam(Optimizer):
    """torch.optim.Adam (bias-corrected; weight_decay is L2 added to the gradient)."""

    takes = ("lr", "beta1", "beta2", "weight_decay")
    state_keys = frozenset({"exp_avg", "exp_avg_sq"})
    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, _adam_hyper(lr, betas, eps, weight_decay))

    def _update(self, p, g, st):
        h = self.hyper
        lr, b1, b2, wd = h["lr"], h["beta1"], h["beta2"], h["weight_decay"]
        if not st:
            st["exp_avg"], st["exp_avg_sq"] = _zero_like(p), _zero_like(p)
        if wd != 0:
            if self.decoupled:
                p = p * (1 - lr * wd)
            else:
                g = g + wd * p
        m = st["exp_avg"]
        m = m + (1 - b1) * (g - m)  # torch's lerp(m, g, 1 - beta1)
        v = st["exp_avg_sq"] * b2 + (1 - b2) * g * g
        st["exp_avg"], st["exp_avg_sq"] = m, v
        step_size = lr / (1 - b1**self.t)
        denom = _sqrt(v) / (1 - b2**self.t) ** 0.5 + h["eps"]
        return p + (-step_size) * (m / denom)


class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay, p *= 1 - lr*wd before the step."""

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)


class SeedAdam(Optimizer):
    """The seed's hand-written Adam: no bias correction, then p -= weight_decay * p."""

    takes = ("lr", "beta1", "beta2", "weight_decay")
    state_keys = frozenset({"m", "v"})

    def __init__(self, params, lr=0.1, betas=(0.9, 0.95), eps=1e-8, weight_decay=1e-4):
        super().__init__(params, _adam_hyper(lr, betas, eps, weight_decay))

    def _update(self, p, g, st):
        h = self.hyper
        b1, b2 = h["beta1"], h["beta2"]
        m = b1 * st.get("m", 0.0) + (1 - b1) * g
        v = b2 * st.get("v", 0.0) + (1 - b2) * g**2
        st["m"], st["v"] = m, v
        p = p - h["lr"] * m / (v**0.5 + h["eps"])
        return p - h["weight_decay"] * p


# ---------------------------------------------------------------------- the registry

# name -> class: every optimizer a run can choose (TrainConfig.optimizer, --optimizer, the demo's form)
OPTIMIZERS = {"seed-adam": SeedAdam, "adam": Adam, "adamw": AdamW, "sgd": SGD}
