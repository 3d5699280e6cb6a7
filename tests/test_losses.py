"""Tests for micrograd.losses against PyTorch float64 and the error contract."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd
from micrograd import Value
from micrograd.losses import cross_entropy, hinge, mse, nll_loss

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


def test_cross_entropy_of_the_issue_example_is_1e4():
    assert cross_entropy([Value(1e4), Value(0.0), Value(0.0)], 1).data == 1e4


def test_cross_entropy_accepts_plain_numbers_and_is_exported_at_top_level():
    assert micrograd.cross_entropy is cross_entropy
    assert nll_loss([0.0, 0.0], 0).data == pytest.approx(math.log(2), rel=1e-15)


@pytest.mark.parametrize("target, exc", [(3, IndexError), (-1, IndexError), (1.0, TypeError), ("0", TypeError), (True, TypeError), (None, TypeError)])
def test_cross_entropy_refuses_bad_targets(target, exc):
    with pytest.raises(exc, match="target"):
        cross_entropy([Value(0.1), Value(0.2), Value(0.3)], target)


def test_numpy_int_targets_work_like_python_ints():
    # labels often come from a numpy array (sklearn's make_moons, np.loadtxt): torch takes them too
    import numpy as np

    logits = [0.1, -0.4, 0.3]
    for t in (np.int64(2), np.int32(2), np.uint8(2)):
        assert cross_entropy(logits, t).data == cross_entropy(logits, 2).data
        assert hinge(logits, t).data == hinge(logits, 2).data
    with pytest.raises(IndexError, match="target 3"):
        cross_entropy(logits, np.int64(3))


def test_cross_entropy_refuses_bad_logits():
    with pytest.raises(ValueError, match="empty"):
        cross_entropy([], 0)
    with pytest.raises(TypeError, match=r"logits\[1\]"):
        cross_entropy([Value(1.0), "x"], 0)
    with pytest.raises(ValueError, match="finite"):
        cross_entropy([Value(math.nan), Value(0.0)], 0)
    with pytest.raises(TypeError):
        cross_entropy(Value(1.0), 0)


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


def test_mse_refuses_length_mismatch():
    with pytest.raises(ValueError, match="same length"):
        mse([Value(1.0), Value(2.0)], [1.0])


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


def test_hinge_refuses_bad_target():
    with pytest.raises(IndexError):
        hinge([Value(1.0), Value(2.0)], 2)
