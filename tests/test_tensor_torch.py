"""Tests for micrograd.tensor against PyTorch (float64): every op's values and gradients.

Skipped where torch is not installed (the rest of the tensor tests, test_tensor.py, runs
without it). Every row of the op catalogue vs torch, with fixed and with any broadcasting
shapes; then the tensor-only ops, each in one line with `check_vs_torch` (as early
tinygrad's helper_test_op): matmul, reductions, shape ops, indexing, log_softmax,
cross_entropy, linear, and the derivatives at edge points.
"""

import numpy as np
import pytest
from catalogue import OPS
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from test_tensor import cases, close, draw, ours  # the shared tensor-test helpers

from micrograd.tensor import Tensor, cross_entropy, linear, log_softmax

torch = pytest.importorskip("torch")
torch.set_default_dtype(torch.float64)

BINARY_OPS = [op for op in OPS if op.arity == 2]


def theirs(fn, arrays, upstream):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(torch.tensor(upstream))
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


def check_vs_torch(fn, *arrays, rtol=1e-12):
    """One line per op (as early tinygrad's helper_test_op): values and gradients vs torch."""
    rng = np.random.default_rng(3)
    out_shape = fn(*[torch.tensor(a) for a in arrays]).shape
    w = rng.uniform(-1, 1, size=tuple(out_shape))
    v1, g1 = ours(fn, arrays, w)
    v2, g2 = theirs(fn, arrays, w)
    assert v1.shape == v2.shape
    close(v1, v2, rtol=rtol)
    for a, b in zip(g1, g2):
        close(a, b, rtol=rtol)


# ---------------------------------------------------------------------- the catalogue


@pytest.mark.parametrize("op, shapes", cases())
def test_catalogue_matches_torch_values_and_gradients(op, shapes):
    rng = np.random.default_rng(2)
    arrays = [draw(rng, d, s) for d, s in zip(op.domain, shapes)]
    w = rng.uniform(-1, 1, size=np.broadcast_shapes(*shapes))
    v1, g1 = ours(op.fn, arrays, w)
    v2, g2 = theirs(op.fn, arrays, w)
    close(v1, v2)
    for a, b, x in zip(g1, g2, arrays):
        assert a.shape == x.shape  # broadcast gradients reduced back to the input's shape
        close(a, b)


@pytest.mark.parametrize("op", BINARY_OPS, ids=[op.name for op in BINARY_OPS])
@settings(max_examples=12, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3), seed=st.integers(0, 2**16))
def test_catalogue_any_broadcast_matches_torch(op, shapes, seed):
    rng = np.random.default_rng(seed)
    arrays = [draw(rng, d, s) for d, s in zip(op.domain, shapes.input_shapes)]
    w = rng.uniform(-1, 1, size=shapes.result_shape)
    v1, g1 = ours(op.fn, arrays, w)
    v2, g2 = theirs(op.fn, arrays, w)
    close(v1, v2)
    for a, b, x in zip(g1, g2, arrays):
        assert a.shape == x.shape
        close(a, b)


# ---------------------------------------------------------------------- tensor ops vs torch


R = np.random.default_rng(4)


@pytest.mark.parametrize(
    "sa, sb",
    [
        ((3, 4), (4, 5)),
        ((4,), (4, 5)),
        ((3, 4), (4,)),
        ((4,), (4,)),
        ((2, 3, 4), (4, 5)),
        ((2, 3, 4), (2, 4, 5)),
        ((3, 4), (2, 4, 5)),
        ((2, 1, 3, 4), (5, 4, 2)),
    ],
)
def test_matmul(sa, sb):
    check_vs_torch(lambda a, b: a @ b, R.normal(size=sa), R.normal(size=sb))


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (2, 0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("reduction", ["sum", "mean", "amax"])
def test_reductions(reduction, axis, keepdims):
    x = R.normal(size=(2, 3, 4))

    def fn(t):
        if isinstance(t, torch.Tensor):
            dims = list(range(3)) if axis is None else axis
            return getattr(t, reduction)(dims, keepdim=keepdims)
        return getattr(t, reduction)(axis, keepdims=keepdims)

    check_vs_torch(fn, x)


def test_max_shares_the_gradient_between_ties_as_torch_amax():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    check_vs_torch(lambda t: t.amax(1), x)
    check_vs_torch(lambda t: t.amax(), x)


@pytest.mark.parametrize(
    "fn",
    [
        lambda t: t.reshape(4, 3),
        lambda t: t.reshape((2, -1)),
        lambda t: t.transpose(0, 1),
        lambda t: t.T,
        lambda t: t.permute(1, 0),
        lambda t: t.reshape(2, 2, 3).permute(2, 0, 1) * 2.0,
    ],
    ids=["reshape", "reshape-1", "transpose", "T", "permute", "reshape-permute"],
)
def test_shape_ops(fn):
    check_vs_torch(fn, R.normal(size=(3, 4)))


@pytest.mark.parametrize(
    "index",
    [
        1,
        -1,
        (slice(None), 2),
        (slice(0, 2), slice(1, None)),
        ([0, 2, 2, 0],),
        ([0, 1], [3, 3]),
        (Ellipsis, 1),
        np.array([[True, False, True, True]] * 3),
    ],
    ids=["int", "neg", "column", "slices", "repeated-rows", "pairs", "ellipsis", "mask"],
)
def test_indexing_scatters_gradients_back(index):
    x = R.normal(size=(3, 4))
    tidx = torch.tensor(index) if isinstance(index, np.ndarray) else index
    check_vs_torch(lambda t: t[tidx] if isinstance(t, torch.Tensor) else t[index], x)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_log_softmax_vs_torch(axis):
    x = R.normal(size=(4, 5)) * 3
    check_vs_torch(lambda t: t.log_softmax(axis), x)
    close(log_softmax(Tensor(x), axis).data, torch.log_softmax(torch.tensor(x), axis).numpy())


@pytest.mark.parametrize("B, C", [(1, 3), (7, 3), (5, 10), (4, 40)])
def test_cross_entropy_vs_torch(B, C):
    z = R.normal(size=(B, C)) * 2
    y = R.integers(0, C, size=B)
    t = Tensor(z, requires_grad=True)
    loss = cross_entropy(t, y)
    loss.backward()
    zt = torch.tensor(z, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(zt, torch.tensor(y))
    lt.backward()
    assert loss.shape == ()
    close(loss.data, lt.item())
    close(t.grad, zt.grad.numpy())


def test_cross_entropy_is_numerically_stable():
    # the target's probability underflows: log-sum-exp, no error, torch's value
    z = np.array([[1e4, 0.0, 0.0], [0.0, -800.0, 800.0]])
    t = Tensor(z, requires_grad=True)
    loss = cross_entropy(t, [1, 1])
    loss.backward()
    zt = torch.tensor(z, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(zt, torch.tensor([1, 1]))
    lt.backward()
    close(loss.data, lt.item())
    close(t.grad, zt.grad.numpy())
    assert np.isfinite(t.grad).all()


def test_cross_entropy_single_sample():
    z = [0.5, -1.0, 2.0]
    loss = cross_entropy(Tensor(z), 2)
    close(loss.data, torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor(2)).item())


@pytest.mark.parametrize("activation", [None, "tanh", "relu"])
@pytest.mark.parametrize("xshape", [(5, 3), (3,), (2, 4, 3)])
def test_linear_vs_torch(activation, xshape):
    acts = {None: lambda z: z, "tanh": torch.tanh, "relu": torch.relu}

    def fn(x, w, b):
        if isinstance(x, torch.Tensor):
            return acts[activation](torch.nn.functional.linear(x, w, b))
        return linear(x, w, b, activation)

    check_vs_torch(fn, R.normal(size=xshape), R.normal(size=(4, 3)), R.normal(size=(4,)))


# ---------------------------------------------------------------------- edge rules (PyTorch's)


def test_edge_derivatives_follow_torch():
    a = np.array([0.0, 0.0, -2.0, 2.0, 0.0, 3.0])
    b = np.array([0.0, 2.0, 3.0, 0.5, 0.5, 0.0])
    check_vs_torch(lambda x, y: x**y, a, b)  # base 0 / exponent 0 / negative base, integer exponent
    check_vs_torch(lambda x: x.relu(), np.array([-1.0, 0.0, 2.0]))  # relu'(0) = 0
    check_vs_torch(lambda x: x**0, np.array([0.0, 1.5]))  # d/dx x**0 = 0, even at 0
    check_vs_torch(lambda x: x**0.5, np.array([0.0, 4.0]))  # sqrt'(0) = inf
