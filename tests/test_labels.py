"""Tests for a Value's optional label (micrograd._labels): set, read, cleared, and carried through
copy and pickle like any other part of a graph."""

import copy
import pickle

import pytest

from micrograd import MLP, RNG, Value, cross_entropy


def test_a_label_is_set_read_and_cleared():
    a = Value(2.0, label="a")
    assert a.label == "a" and Value(1.0).label == ""
    b = a * 3
    b.label = "b"
    assert b.label == "b" and b._op == "*"  # the op is still the op
    b.label = ""
    assert b.label == "" and type(b._op) is str
    with pytest.raises(TypeError, match="label must be a str, got int 3"):
        b.label = 3


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))], ids=["deepcopy", "pickle"])
def test_labelled_graphs_copy_and_pickle(clone):
    a = Value(2.0, label="a")
    b = (a * 3).tanh()
    b.label = "b"
    b.backward()
    b2 = clone(b)
    assert (b2.label, b2._prev[0]._prev[0].label, b2.data, b2._prev[0]._prev[0].grad) == ("b", "a", b.data, a.grad)
    # a labelled fused node (the loss) too: its op's floats still reach its backward rule
    model = MLP(2, [3, 2], rng=RNG(1))
    loss = cross_entropy(model([0.5, -1.0]), 1)
    loss.label = "loss"
    loss2 = clone(loss)
    assert loss2.label == "loss" and str(loss2._op) == str(loss._op)
    loss2.backward()
    loss.backward()
    assert [p.grad for p in loss2._prev] == [p.grad for p in loss._prev]
