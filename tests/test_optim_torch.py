"""micrograd.optim against torch.optim (float64), step for step for 20 steps, on the same
small non-convex loss (the shared helpers are test_optim's). Skipped when torch is absent."""

import math

import pytest

torch = pytest.importorskip("torch")

from test_optim import INIT, loss_fn, run_ours  # noqa: E402

from micrograd.optim import SGD, Adam, AdamW  # noqa: E402

torch.set_default_dtype(torch.float64)


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
