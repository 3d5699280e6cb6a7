"""Tests for micrograd.optim: each optimizer against torch.optim (float64) for 20 steps,
SeedAdam against the seed program's hand-written update, and the hyperparameter checks."""

import math

import pytest
import torch

from micrograd import Value
from micrograd.optim import SGD, Adam, AdamW, SeedAdam

torch.set_default_dtype(torch.float64)

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


def run_torch(make_opt, steps=20):
    ps = [torch.tensor(x, requires_grad=True) for x in INIT]
    opt = make_opt(ps)
    trace = []
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(ps).backward()
        opt.step()
        trace.append([p.item() for p in ps])
    return trace


CASES = {
    "sgd": (lambda ps: SGD(ps, lr=0.1), lambda ps: torch.optim.SGD(ps, lr=0.1)),
    "sgd-momentum-wd": (
        lambda ps: SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
    ),
    "sgd-nesterov": (
        lambda ps: SGD(ps, lr=0.05, momentum=0.8, nesterov=True),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True),
    ),
    "adam": (lambda ps: Adam(ps, lr=0.1), lambda ps: torch.optim.Adam(ps, lr=0.1)),
    "adam-l2": (
        lambda ps: Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        lambda ps: torch.optim.Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    ),
    "adamw": (lambda ps: AdamW(ps, lr=0.1), lambda ps: torch.optim.AdamW(ps, lr=0.1)),
    "adamw-course": (
        lambda ps: AdamW(ps, lr=0.1, betas=(0.9, 0.95), eps=1e-8, weight_decay=1e-4),
        lambda ps: torch.optim.AdamW(ps, lr=0.1, betas=(0.9, 0.95), eps=1e-8, weight_decay=1e-4),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_optimizer_matches_torch_step_for_step(name):
    ours, theirs = CASES[name]
    a, b = run_ours(ours), run_torch(theirs)
    for step, (pa, pb) in enumerate(zip(a, b)):
        for x, y in zip(pa, pb):
            assert math.isclose(x, y, rel_tol=1e-11, abs_tol=1e-13), f"{name} step {step}: torch {pb}, ours {pa}"
    # and the run really moved the parameters
    assert max(abs(x - y) for x, y in zip(a[-1], INIT)) > 1e-2


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
