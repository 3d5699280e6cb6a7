"""Tests for micrograd.losses without PyTorch: the error contract, the fused nodes against
the seed's graphs they replace (bit for bit), and `sum_values`. The comparisons with PyTorch
itself are in test_losses_torch.py."""

import math

import pytest
from catalogue import seed_nll
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd
from micrograd import Value
from micrograd.losses import CrossEntropyOp, SumOp, cross_entropy, hinge, mse, nll_loss, sum_values


def test_cross_entropy_of_the_issue_example_is_1e4():
    assert cross_entropy([Value(1e4), Value(0.0), Value(0.0)], 1).data == 1e4


def test_cross_entropy_accepts_plain_numbers_and_is_exported_at_top_level():
    assert micrograd.cross_entropy is cross_entropy
    assert nll_loss([0.0, 0.0], 0).data == pytest.approx(math.log(2), rel=1e-15)


@pytest.mark.parametrize(
    "target, exc", [(3, IndexError), (-1, IndexError), (1.0, TypeError), ("0", TypeError), (True, TypeError), (None, TypeError)]
)
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


def test_mse_refuses_length_mismatch():
    with pytest.raises(ValueError, match="same length"):
        mse([Value(1.0), Value(2.0)], [1.0])


def test_hinge_refuses_bad_target():
    with pytest.raises(IndexError):
        hinge([Value(1.0), Value(2.0)], 2)


# ---------------------------------------------------------------------- fused nodes = the graphs they replace


@pytest.mark.parametrize("target", [0, 1, 2, 3])
@settings(max_examples=30, deadline=None)
@given(z=st.lists(st.floats(-5, 5), min_size=4, max_size=4), g=st.floats(0.01, 2))
def test_fused_cross_entropy_is_bit_identical_to_the_seed_graph(target, z, g):
    def build(fused):
        logits = [Value(d) for d in z]
        out = cross_entropy(logits, target) if fused else seed_nll(logits, target)
        out.backward(g)
        return [out.data] + [v.grad for v in logits]

    assert build(True) == build(False)


def test_sum_values_is_pythons_sum():
    vs = [Value(x) for x in (0.1, 0.2, 0.3, 1e16, -1e16)]
    s = sum_values(vs)
    assert s.data == sum((v.data for v in vs), 0.0)
    s.backward()
    assert all(v.grad == 1.0 for v in vs)


def test_sum_values_with_a_start_and_its_expansion():
    vs = [Value(x) for x in (0.5, -2.0, 4.0)]
    s = sum_values(vs, start=1.25)
    assert isinstance(s._op, SumOp) and s.data == sum((v.data for v in vs), 1.25) == 3.75
    s.backward(2.0)
    assert [v.grad for v in vs] == [2.0, 2.0, 2.0]
    inner = []
    op, children = s._op.expand(s, lambda op, data, grad, children=(): inner.append((op, data, grad)) or len(inner) - 1)
    assert inner == [("", 1.25, 2.0), ("+", 1.75, 2.0), ("+", -0.25, 2.0)] and (op, children) == ("+", (2, vs[2]))
    with pytest.raises(TypeError, match=r"sum_values\(start\)"):
        sum_values(vs, start="0")


def test_cross_entropy_declines_to_expand_when_p_underflowed():
    loss = cross_entropy([Value(1e4), Value(0.0), Value(0.0)], 1)
    assert isinstance(loss._op, CrossEntropyOp) and loss._op.p == 0.0
    assert loss._op.expand(loss, lambda *a: pytest.fail("no inner node expected")) is None


def test_a_training_graph_of_fused_nodes_is_freed_by_reference_counting():
    import gc

    from micrograd import MLP, RNG
    from micrograd.nn import NeuronOp

    def live_ops():
        return sum(type(o) in (NeuronOp, CrossEntropyOp, SumOp) for o in gc.get_objects())

    model = MLP(2, [4, 3], rng=RNG(1))
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        before = live_ops()
        loss = sum_values([cross_entropy(model([0.1 * i, -0.2]), i % 3) for i in range(5)])
        loss.backward()
        assert live_ops() == before + 5 * (4 + 3 + 1) + 1
        del loss
        assert live_ops() == before  # no cycles: the cyclic collector (off) is not needed
    finally:
        if was:
            gc.enable()
