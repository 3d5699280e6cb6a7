"""Tests for the tensor engine's networks against PyTorch: parameter names, optimizers on tensors.

Skipped where torch is not installed (the rest, test_tensor_nn.py, runs without it): the
tensor MLP's parameter names are torch's, and the unchanged `micrograd.optim` optimizers
step tensor parameters exactly as torch.optim does.
"""

import numpy as np
import pytest
from test_tensor_nn import close  # the shared tensor-test helper

from micrograd.optim import SGD, Adam, AdamW
from micrograd.rng import RNG
from micrograd.tensor import MLP, Tensor

torch = pytest.importorskip("torch")
torch.set_default_dtype(torch.float64)


def test_parameter_names_are_torchs():
    names = [n for n, _ in MLP(2, [16, 3], rng=RNG(42)).named_parameters()]
    net = torch.nn.Sequential()
    net.add_module("layers", torch.nn.ModuleList([torch.nn.Linear(2, 16), torch.nn.Linear(16, 3)]))
    assert names == list(net.state_dict())


# ---------------------------------------------------------------------- optimizers on tensors


OPTIMIZERS = [
    ("sgd", lambda ps: SGD(ps, lr=0.1), lambda ps: torch.optim.SGD(ps, lr=0.1)),
    (
        "sgd-momentum-wd",
        lambda ps: SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
    ),
    (
        "sgd-nesterov",
        lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    ),
    (
        "adam",
        lambda ps: Adam(ps, lr=0.01, betas=(0.8, 0.9), weight_decay=0.1),
        lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, foreach=False),
    ),
    (
        "adamw",
        lambda ps: AdamW(ps, lr=0.1, betas=(0.9, 0.95), eps=1e-8, weight_decay=1e-4),
        lambda ps: torch.optim.AdamW(ps, lr=0.1, betas=(0.9, 0.95), eps=1e-8, weight_decay=1e-4, foreach=False),
    ),
]


@pytest.mark.parametrize("name, ours, theirs", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_optimizers_on_tensors_match_torch_optim(name, ours, theirs):
    rng = np.random.default_rng(0)
    init = [rng.normal(size=(4, 3)), rng.normal(size=(4,)), rng.normal(size=())]
    ps = [Tensor(a, requires_grad=True) for a in init]
    ts = [torch.tensor(a, requires_grad=True) for a in init]
    opt, topt = ours(ps), theirs(ts)
    for _ in range(6):
        grads = [rng.normal(size=a.shape) for a in init]
        for p, t, g in zip(ps, ts, grads):
            p.grad = g.copy()
            t.grad = torch.tensor(g)
        opt.step()
        topt.step()
        opt.zero_grad()
        for p in ps:
            assert isinstance(p.grad, np.ndarray) and not p.grad.any()
    for p, t in zip(ps, ts):
        close(p.data, t.detach().numpy(), rtol=1e-12, atol=1e-14)
