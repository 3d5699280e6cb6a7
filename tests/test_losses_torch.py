"""micrograd.losses against PyTorch float64 (`F.cross_entropy`, `F.mse_loss`,
`F.multi_margin_loss`): values and gradients. Skipped without torch."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd import Value
from micrograd.losses import cross_entropy, hinge, mse

torch = pytest.importorskip("torch")
F = torch.nn.functional
torch.set_default_dtype(torch.float64)

logit_lists = st.lists(st.floats(-20, 20), min_size=2, max_size=6)


def torch_grads(fn, xs, *args):
    t = torch.tensor(xs, requires_grad=True)
    out = fn(t, *args)
    out.backward()
    return out.item(), t.grad.tolist()


@settings(max_examples=100, deadline=None)
@given(z=logit_lists, data=st.data(), g=st.sampled_from([1.0, 0.0125, -2.5]))
def test_cross_entropy_matches_pytorch(z, data, g):
    target = data.draw(st.integers(0, len(z) - 1))
    vs = [Value(x) for x in z]
    out = cross_entropy(vs, target)
    out.backward(g)
    t = torch.tensor(z, requires_grad=True)
    tout = F.cross_entropy(t.unsqueeze(0), torch.tensor([target]))
    tout.backward(torch.tensor(g))
    assert math.isclose(out.data, tout.item(), rel_tol=1e-12, abs_tol=1e-13)
    for v, tg in zip(vs, t.grad.tolist()):
        assert math.isclose(v.grad, tg, rel_tol=1e-9, abs_tol=1e-13), f"{z} t={target}: torch {t.grad.tolist()}"


@pytest.mark.parametrize(
    "z, target",
    [([1e4, 0.0, 0.0], 1), ([0.0, 1e4, 0.0], 1), ([-1e4, 1e4, 5.0], 0), ([800.0, -800.0], 1), ([1e300, 0.0], 1)],
)
def test_cross_entropy_is_stable_for_huge_logit_gaps(z, target):
    vs = [Value(x) for x in z]
    out = cross_entropy(vs, target)
    out.backward()
    t = torch.tensor(z, requires_grad=True)
    tout = F.cross_entropy(t.unsqueeze(0), torch.tensor([target]))
    tout.backward()
    assert math.isclose(out.data, tout.item(), rel_tol=1e-12)
    for v, tg in zip(vs, t.grad.tolist()):
        assert math.isfinite(v.grad) and math.isclose(v.grad, tg, rel_tol=1e-12, abs_tol=1e-300)


@settings(max_examples=50, deadline=None)
@given(pairs=st.lists(st.tuples(st.floats(-5, 5), st.floats(-5, 5)), min_size=1, max_size=5))
def test_mse_matches_pytorch(pairs):
    p, y = [a for a, _ in pairs], [b for _, b in pairs]
    vs = [Value(a) for a in p]
    out = mse(vs, y)
    out.backward()
    tval, tgrad = torch_grads(lambda t: F.mse_loss(t, torch.tensor(y)), p)
    assert math.isclose(out.data, tval, rel_tol=1e-12, abs_tol=1e-12)
    for v, g in zip(vs, tgrad):
        assert math.isclose(v.grad, g, rel_tol=1e-12, abs_tol=1e-12)


@settings(max_examples=50, deadline=None)
@given(z=st.lists(st.floats(-3, 3), min_size=2, max_size=5), data=st.data())
def test_hinge_matches_pytorch_multi_margin_loss(z, data):
    target = data.draw(st.integers(0, len(z) - 1))
    # keep away from the kink where torch and we may pick different subgradients
    s = [x for x in z]
    if any(abs(1.0 - s[target] + x) < 1e-6 for k, x in enumerate(s) if k != target):
        return
    vs = [Value(x) for x in s]
    out = hinge(vs, target)
    out.backward()
    tval, tgrad = torch_grads(lambda t: F.multi_margin_loss(t.unsqueeze(0), torch.tensor([target])), s)
    assert math.isclose(out.data, tval, rel_tol=1e-12, abs_tol=1e-12)
    for v, g in zip(vs, tgrad):
        assert math.isclose(v.grad, g, rel_tol=1e-12, abs_tol=1e-12)
