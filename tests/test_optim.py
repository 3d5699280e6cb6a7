"""Tests for micrograd.optim: SeedAdam against the seed program's hand-written update, the
state, the hyperparameter checks, and the OPTIMIZERS registry (each class's declarations).
The comparisons with torch.optim are in test_optim_torch.py (skipped without torch)."""

import pytest

from micrograd import Value
from micrograd.config import TrainConfig, make_optimizer
from micrograd.optim import OPTIMIZERS, SGD, Adam, AdamW, SeedAdam

INIT = [0.5, -1.2, 0.3, 2.0, -0.7]
C = [1.5, -0.5, 2.0, 0.25, -1.0]
T = [0.2, -0.4, 0.9, 0.1, -0.3]


def loss_fn(ps):
    """A small non-convex loss written with ops both engines share."""
    total = ps[0] * ps[1]
    for p, c, t in zip(ps, C, T):
        total = total + ((p * c).tanh() - t) ** 2
    return total


def run_ours(make_opt, steps=20):
    ps = [Value(x) for x in INIT]
    opt = make_opt(ps)
    trace = []
    for _ in range(steps):
        loss_fn(ps).backward()
        opt.step()
        opt.zero_grad()
        trace.append([p.data for p in ps])
    return trace


def test_seed_adam_is_the_seed_programs_update():
    """The update loop of seed_program.py, written out, against SeedAdam."""
    ours = run_ours(lambda ps: SeedAdam(ps, lr=0.1, betas=(0.9, 0.95), weight_decay=1e-4))
    ps = [Value(x) for x in INIT]
    learning_rate, beta1, beta2, weight_decay = 1e-1, 0.9, 0.95, 1e-4
    m = [0.0] * len(ps)  # the seed keeps these on p.m / p.v (Value has __slots__ here)
    v = [0.0] * len(ps)
    ref = []
    for _ in range(20):
        loss_fn(ps).backward()
        for i, p in enumerate(ps):  # the seed's lines
            m[i] = beta1 * m[i] + (1 - beta1) * p.grad
            v[i] = beta2 * v[i] + (1 - beta2) * p.grad**2
            p.data -= learning_rate * m[i] / (v[i] ** 0.5 + 1e-8)
            p.data -= weight_decay * p.data  # weight decay
        for p in ps:
            p.grad = 0
        ref.append([p.data for p in ps])
    assert ours == ref  # bit for bit


def test_optimizer_state_lives_in_the_optimizer_and_round_trips():
    ps = [Value(x) for x in INIT]
    opt = AdamW(ps, lr=0.1)
    for _ in range(3):
        loss_fn(ps).backward()
        opt.step()
        opt.zero_grad()
    assert not hasattr(ps[0], "__dict__")  # nothing stuck onto the parameters
    qs = [Value(p.data) for p in ps]
    opt2 = AdamW(qs, lr=0.1)
    opt2.load_state_dict(opt.state_dict())
    for _ in range(3):
        for params, o in ((ps, opt), (qs, opt2)):
            loss_fn(params).backward()
            o.step()
            o.zero_grad()
    assert [p.data for p in ps] == [q.data for q in qs]


def test_zero_grad_zeroes():
    ps = [Value(1.0), Value(2.0)]
    (ps[0] * ps[1]).backward()
    SGD(ps, lr=0.1).zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda ps: SGD(ps, lr=-0.1), "learning rate"),
        (lambda ps: SGD(ps, lr=0.1, momentum=-1), "momentum"),
        (lambda ps: SGD(ps, lr=0.1, nesterov=True), "Nesterov"),
        (lambda ps: Adam(ps, lr=-1.0), "learning rate"),
        (lambda ps: Adam(ps, betas=(1.0, 0.9)), "beta"),
        (lambda ps: Adam(ps, betas=(0.9, -0.1)), "beta"),
        (lambda ps: Adam(ps, betas=0.9), "betas"),
        (lambda ps: Adam(ps, eps=-1e-8), "epsilon"),
        (lambda ps: AdamW(ps, weight_decay=-0.1), "weight_decay"),
        (lambda ps: SeedAdam(ps, lr=-0.1), "learning rate"),
        (lambda ps: SGD([], lr=0.1), "empty parameter list"),
        (lambda ps: Adam(ps, lr=float("nan")), "learning rate"),  # torch.optim: ValueError too
        (lambda ps: SGD(ps, lr=0.1, momentum=float("nan")), "momentum"),
        (lambda ps: Adam([ps[0], ps[0]]), "more than once"),
    ],
)
def test_invalid_hyperparameters_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make([Value(1.0)])


def test_numpy_scalar_hyperparameters_accepted_as_torch_does():
    import numpy as np

    p = Value(1.0)
    p.grad = 0.5
    opt = Adam([p], lr=np.float32(0.5), betas=(np.float64(0.9), 0.99))
    opt.step()
    assert type(p.data) is float and abs(p.data - 0.5) < 1e-6  # the first Adam step moves p by about lr


def test_non_numeric_hyperparameters_and_params_raise_type_error():
    with pytest.raises(TypeError, match="learning rate"):
        Adam([Value(1.0)], lr="abc")
    with pytest.raises(TypeError, match=r"params\[0\]"):
        SGD([1.0], lr=0.1)


# ---------------------------------------------------------------------- the registry

# one row per optimizer: (name, class, the config hyperparameters it takes, its state's keys)
REGISTRY = [
    ("seed-adam", SeedAdam, {"lr", "beta1", "beta2", "weight_decay"}, {"m", "v"}),
    ("adam", Adam, {"lr", "beta1", "beta2", "weight_decay"}, {"exp_avg", "exp_avg_sq"}),
    ("adamw", AdamW, {"lr", "beta1", "beta2", "weight_decay"}, {"exp_avg", "exp_avg_sq"}),
    ("sgd", SGD, {"lr", "momentum", "weight_decay"}, {"momentum_buffer"}),
]


def test_registry_has_one_row_per_optimizer():
    assert list(OPTIMIZERS) == [row[0] for row in REGISTRY]


@pytest.mark.parametrize("name, cls, takes, keys", REGISTRY, ids=[r[0] for r in REGISTRY])
def test_each_optimizer_declares_what_it_takes_and_keeps(name, cls, takes, keys):
    assert OPTIMIZERS[name] is cls and set(cls.takes) == takes and cls.state_keys == keys
    over = {"momentum": 0.9} if "momentum" in takes else {}
    cfg = TrainConfig.preset("seed", optimizer=name, lr=0.05, weight_decay=0.01, **over)
    ps = [Value(x) for x in INIT]
    opt = make_optimizer(cfg, ps)
    assert type(opt) is cls and opt.hyper["lr"] == 0.05 and opt.hyper["weight_decay"] == 0.01
    for _ in range(2):
        loss_fn(ps).backward()
        opt.step()
        opt.zero_grad()
    assert all(set(st) == keys for st in opt.state)  # the state it declares is the state it keeps


@pytest.mark.parametrize("name, cls, takes, keys", REGISTRY, ids=[r[0] for r in REGISTRY])
def test_a_hyperparameter_the_optimizer_does_not_take_is_refused(name, cls, takes, keys):
    for key, value in (("momentum", 0.5), ("beta1", 0.8), ("beta2", 0.9)):
        if key not in takes:
            with pytest.raises(ValueError, match=rf"{key}={value} is used only by .*got optimizer '{name}'"):
                TrainConfig.preset("seed", optimizer=name, **{key: value})
            cfg = TrainConfig.preset("seed", optimizer=name)  # at its default it changes nothing: accepted,
            with pytest.raises(ValueError, match=rf"{key}=.* is used only by"):  # unless given explicitly
                cfg.check_taken([key])
