"""Tests for micrograd.tensor (tensor.py, ops/, _kernels.py, functional.py): the Tensor ops, without PyTorch.

Every row of the shared op catalogue (tests/catalogue.py) is checked on Tensors:
forward vs the row's math reference, gradient vs central differences, and
element-by-element parity with the scalar `Value` engine. Then the tensor-only ops
(matmul, reductions, shape ops, indexing, log_softmax, cross_entropy), no_grad, gradient
semantics, the error contract and the threaded kernels. The comparisons with PyTorch are
in test_tensor_torch.py (skipped where torch is not installed); it uses the helpers here.
"""

import gc
import math
import os

import numpy as np
import pytest
from catalogue import OPS
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd.engine import Value
from micrograd.tensor import Tensor, cross_entropy, linear, no_grad, unbroadcast
from micrograd.tensor import functional as F

UNARY_SHAPES = [(3, 4), (), (5,)]
BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3), (3,)), ((), (2, 3)), ((2, 3), ()), ((4, 1, 2), (3, 1))]


def draw(rng, domain, shape):
    lo, hi = domain
    return rng.uniform(lo, hi, size=shape)


def shapes_for(op):
    return [(s,) for s in UNARY_SHAPES] if op.arity == 1 else BINARY_SHAPES


def cases():
    return [pytest.param(op, shapes, id=f"{op.name}-{'x'.join(map(str, shapes))}") for op in OPS for shapes in shapes_for(op)]


def ours(fn, arrays, upstream=None):
    """(value, grads) of fn on Tensors; `upstream` weights the output (backward(gradient=...))."""
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(gradient=np.ones(out.shape) if upstream is None else upstream)
    return out.data, [t.grad for t in ts]


def close(a, b, rtol=1e-12, atol=1e-14):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


# ---------------------------------------------------------------------- the catalogue


@pytest.mark.parametrize("op, shapes", cases())
def test_catalogue_forward_matches_the_math_reference(op, shapes):
    rng = np.random.default_rng(0)
    arrays = [draw(rng, d, s) for d, s in zip(op.domain, shapes)]
    got = op.fn(*[Tensor(a) for a in arrays]).data
    bcast = np.broadcast_arrays(*arrays)
    want = np.vectorize(op.ref, otypes=[float])(*bcast) if bcast[0].ndim else op.ref(*[float(a) for a in bcast])
    assert got.shape == np.broadcast_shapes(*shapes)
    close(got, want, rtol=1e-12)


@pytest.mark.parametrize("op, shapes", cases())
def test_catalogue_gradcheck_by_central_differences(op, shapes):
    rng = np.random.default_rng(1)
    arrays = [draw(rng, d, s) for d, s in zip(op.domain, shapes)]
    out_shape = np.broadcast_shapes(*shapes)
    w = rng.uniform(-1, 1, size=out_shape)  # a random upstream gradient
    _, grads = ours(op.fn, arrays, w)

    def f(*xs):
        return float(np.sum(op.fn(*[Tensor(x) for x in xs]).data * w))

    h = 1e-6
    for i, a in enumerate(arrays):
        num = np.zeros(a.shape)
        for idx in np.ndindex(*a.shape):
            up = [x.copy() for x in arrays]
            down = [x.copy() for x in arrays]
            up[i][idx] += h
            down[i][idx] -= h
            num[idx] = (f(*up) - f(*down)) / (2 * h)
        close(grads[i], num, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_catalogue_tensor_equals_value_element_by_element(op, data):
    n = data.draw(st.integers(1, 6))
    cols = [data.draw(st.lists(st.floats(lo, hi), min_size=n, max_size=n)) for lo, hi in op.domain]
    arrays = [np.array(c) for c in cols]
    got, grads = ours(op.fn, arrays)
    for k in range(n):
        vs = [Value(c[k]) for c in cols]
        out = op.fn(*vs)
        out.backward()
        assert math.isclose(got[k], out.data, rel_tol=1e-12, abs_tol=1e-15), (k, got[k], out.data)
        for g, v in zip(grads, vs):
            assert math.isclose(g[k], v.grad, rel_tol=1e-12, abs_tol=1e-14), (k, g[k], v.grad)


# ---------------------------------------------------------------------- tensor-only ops


R = np.random.default_rng(4)


def test_matmul_method_and_ndarray_operand():
    a, b = R.normal(size=(2, 3)), R.normal(size=(3, 2))
    t = Tensor(a, requires_grad=True)
    close(t.matmul(Tensor(b)).data, a @ b)
    close((t @ b).data, a @ b)  # an ndarray is a constant operand
    close((b.T @ t.T).data, b.T @ a.T)  # ndarray @ Tensor


def test_torch_style_dim_keepdim_aliases():
    x = R.normal(size=(2, 3))
    t = Tensor(x)
    close(t.sum(dim=1, keepdim=True).data, x.sum(axis=1, keepdims=True))
    close(t.mean(dim=0).data, x.mean(axis=0))


def test_max_shares_the_gradient_between_ties():
    t = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    t.max().backward()
    close(t.grad, [[0, 0.5, 0.5], [0, 0, 0]])


def test_indexing_a_repeated_element_accumulates():
    t = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    t[[0, 0, 2]].sum().backward()
    close(t.grad, [2.0, 0.0, 1.0])


def test_indexing_result_is_a_copy():
    t = Tensor([1.0, 2.0, 3.0])
    s = t[0:2]
    s.data[0] = 99.0
    assert t.data[0] == 1.0


def test_softmax_sums_to_one():
    s = Tensor(R.normal(size=(3, 4))).softmax(1).data
    close(s.sum(axis=1), np.ones(3))


def test_cross_entropy_where_softmax_underflows_is_the_log_sum_exp():
    # the target's probability underflows: log-sum-exp, no error (rows: 1e4 - 0, 800 - (-800))
    z = np.array([[1e4, 0.0, 0.0], [0.0, -800.0, 800.0]])
    t = Tensor(z, requires_grad=True)
    loss = cross_entropy(t, [1, 1])
    loss.backward()
    close(loss.data, (1e4 + 1600.0) / 2)
    close(t.grad, [[0.5, -0.5, 0.0], [0.0, -0.5, 0.5]])


def test_cross_entropy_equals_the_scalar_loss():
    from micrograd.losses import cross_entropy as scalar_ce

    z = R.normal(size=(6, 3))
    y = [0, 2, 1, 1, 0, 2]
    t = Tensor(z, requires_grad=True)
    cross_entropy(t, y).backward()
    vals = [[Value(float(v)) for v in row] for row in z]
    total = Value(0.0)
    for row, label in zip(vals, y):
        total = total + scalar_ce(row, label)
    total = total * (1.0 / len(y))
    total.backward()
    close(cross_entropy(Tensor(z), y).data, total.data, rtol=1e-15)
    close(t.grad, [[v.grad for v in row] for row in vals])


@pytest.mark.parametrize(
    "targets, exc, words",
    [
        ([0, 3], IndexError, "target 3 is out of bounds"),
        ([0, -1], IndexError, "target -1 is out of bounds"),
        ([0.0, 1.0], TypeError, "integer class indices"),
        ([True, False], TypeError, "integer class indices"),
        (Tensor([0.0, 1.0]), TypeError, "integer class indices"),
        ("ab", TypeError, "integer class indices"),
        ([0, 1, 2], ValueError, "shape (2,)"),
    ],
)
def test_cross_entropy_bad_targets(targets, exc, words):
    with pytest.raises(exc, match=words.replace("(", r"\(").replace(")", r"\)")):
        cross_entropy(Tensor(np.zeros((2, 3))), targets)


def test_cross_entropy_bad_logits():
    with pytest.raises(TypeError, match="Tensor"):
        cross_entropy([[0.0, 1.0]], [0])
    with pytest.raises(ValueError, match="finite"):
        cross_entropy(Tensor([[0.0, np.inf]]), [0])
    with pytest.raises(ValueError, match=r"\(B, C\)"):
        cross_entropy(Tensor(np.zeros((2, 3, 4))), [0, 1])


def test_linear_without_bias_and_its_errors():
    x, w = R.normal(size=(5, 3)), R.normal(size=(4, 3))
    close(linear(Tensor(x), Tensor(w)).data, x @ w.T)
    with pytest.raises(ValueError, match=r"x of shape \(5, 2\) does not fit weight of shape \(4, 3\)"):
        linear(Tensor(np.zeros((5, 2))), Tensor(w))
    with pytest.raises(ValueError, match=r"bias\) must have shape \(4,\)"):
        linear(Tensor(x), Tensor(w), Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="activation"):
        linear(Tensor(x), Tensor(w), activation="gelu")
    with pytest.raises(TypeError, match="Tensor"):
        linear(x, Tensor(w))


def test_functional_aliases():
    x = R.normal(size=(2, 3))
    close(F.relu(Tensor(x)).data, np.maximum(x, 0))
    close(F.tanh(Tensor(x)).data, np.tanh(x))
    close(F.sigmoid(Tensor(x)).data, 1 / (1 + np.exp(-x)))


def test_unbroadcast_sums_over_broadcast_dimensions():
    g = np.ones((2, 3, 4))
    close(unbroadcast(g, (3, 1)), np.full((3, 1), 8.0))
    close(unbroadcast(g, ()), 24.0)
    assert unbroadcast(g, (2, 3, 4)) is g


# ---------------------------------------------------------------------- edge rules (PyTorch's)


def test_edge_derivatives_follow_torchs_rules():
    def grads(fn, *arrays):
        ts = [Tensor(a, requires_grad=True) for a in arrays]
        fn(*ts).sum().backward()
        return [t.grad for t in ts]

    a = np.array([0.0, 0.0, -2.0, 2.0, 0.0, 3.0])
    b = np.array([0.0, 2.0, 3.0, 0.5, 0.5, 0.0])
    ga, gb = grads(lambda x, y: x**y, a, b)  # base 0 / exponent 0 / negative base, integer exponent
    close(ga, [0.0, 0.0, 12.0, 0.5 * 2**-0.5, math.inf, 0.0])
    close(gb, [0.0, 0.0, math.nan, 2**0.5 * math.log(2.0), 0.0, math.log(3.0)])  # ln of a negative base: nan
    close(grads(lambda x: x.relu(), np.array([-1.0, 0.0, 2.0]))[0], [0.0, 0.0, 1.0])  # relu'(0) = 0
    close(grads(lambda x: x**0, np.array([0.0, 1.5]))[0], [0.0, 0.0])  # d/dx x**0 = 0, even at 0
    close(grads(lambda x: x**0.5, np.array([0.0, 4.0]))[0], [math.inf, 0.25])  # sqrt'(0) = inf


def test_exp_overflow_is_inf_as_torch():
    t = Tensor([1000.0], requires_grad=True)
    out = t.exp()
    out.backward(np.ones(1))
    assert out.data[0] == math.inf and t.grad[0] == math.inf


def test_sigmoid_is_stable_at_extremes():
    s = Tensor([-1000.0, 1000.0]).sigmoid().data
    assert s.tolist() == [0.0, 1.0]


# ---------------------------------------------------------------------- gradient semantics


def test_leaves_accumulate_interior_nodes_hold_the_latest_call():
    x = Tensor([1.0, -2.0], requires_grad=True)
    h = x * x
    y = (h * 3.0).sum()
    y.backward()
    first_x, first_h = x.grad.copy(), h.grad.copy()
    y.backward()
    close(x.grad, 2 * first_x)  # the leaf: the same amount again
    close(h.grad, first_h)  # interior: this call's gradient only
    close(first_x, [6.0, -12.0])


def test_a_node_used_twice_gets_both_contributions():
    x = Tensor(3.0, requires_grad=True)
    (x * x + x).backward()
    assert x.grad == 7.0


def test_grad_is_an_array_of_zeros_until_backward():
    t = Tensor([[1.0, 2.0]], requires_grad=True)
    assert isinstance(t.grad, np.ndarray) and t.grad.shape == (1, 2) and not t.grad.any()
    assert Tensor(2.0).grad.shape == ()


def test_inputs_without_requires_grad_get_no_gradient_and_build_no_graph():
    c = Tensor([1.0, 2.0])
    x = Tensor([3.0, 4.0], requires_grad=True)
    y = (c * x).sum()
    y.backward()
    close(x.grad, [1.0, 2.0])
    assert not c.grad.any()
    z = c * 2.0
    assert not z.requires_grad and z.is_leaf


def test_deep_graph_needs_no_recursion():
    x = Tensor([0.5], requires_grad=True)
    y = x
    for _ in range(20000):
        y = y * 1.0 + 0.0
    y.sum().backward()
    close(x.grad, [1.0])


def test_graphs_have_no_reference_cycles():
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        x = Tensor(R.normal(size=(4, 3)), requires_grad=True)
        w = Tensor(R.normal(size=(2, 3)), requires_grad=True)
        loss = cross_entropy(linear(x, w, activation="tanh").exp().log(), [0, 1, 1, 0])
        loss.backward()
        del x, w, loss
        assert gc.collect() == 0  # everything was freed by reference counting
    finally:
        if was:
            gc.enable()


def test_no_grad_builds_no_graph_and_restores_the_mode():
    from micrograd.tensor import is_grad_enabled

    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 2.0
    assert is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()
    with pytest.raises(KeyError):
        with no_grad():
            raise KeyError("boom")
    assert is_grad_enabled()

    @no_grad()
    def f(t):
        return t * 3.0

    assert not f(x).requires_grad
    assert (x * 3.0).requires_grad


def test_no_grad_in_one_thread_leaves_another_threads_graph_alone():
    import threading

    from micrograd.tensor import is_grad_enabled

    x = Tensor([1.0], requires_grad=True)
    inside, resume, seen = threading.Event(), threading.Event(), {}

    def other():
        with no_grad():
            seen["other"] = is_grad_enabled()
            inside.set()
            resume.wait(5)

    t = threading.Thread(target=other)
    t.start()
    inside.wait(5)
    try:  # the other thread is inside no_grad() now; this one still builds its graph
        assert seen["other"] is False and is_grad_enabled()
        assert (x * 2.0).requires_grad
    finally:
        resume.set()
        t.join()


def test_backward_gradient_argument():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).backward(gradient=[1.0, 10.0])
    close(x.grad, [3.0, 30.0])


def test_optimizer_style_data_assignment_and_zero_grad():
    p = Tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    p.data = p.data - 0.1 * p.grad
    close(p.data, [0.8, 1.6])
    p.grad = np.zeros(2)
    assert not p.grad.any()
    p.zero_grad()
    assert p.grad.shape == (2,) and not p.grad.any()


# ---------------------------------------------------------------------- the error contract


@pytest.mark.parametrize(
    "data, exc, words",
    [
        ("a", TypeError, "Tensor\\(data\\) expects a number"),
        (None, TypeError, "Tensor\\(data\\) expects a number"),
        ([True, False], TypeError, "booleans"),
        ([1 + 2j], TypeError, "real numbers"),
        ([[1.0, 2.0], [3.0]], ValueError, "rectangular"),
        (["a", "b"], TypeError, "real numbers"),
    ],
)
def test_bad_tensor_data(data, exc, words):
    with pytest.raises(exc, match=words):
        Tensor(data)


def test_tensor_copies_its_data():
    a = np.array([1.0, 2.0])
    t = Tensor(a)
    a[0] = 5.0
    assert t.data[0] == 1.0 and t.dtype == np.float64
    assert Tensor([1, 2]).data.dtype == np.float64


def test_op_errors_name_the_op_and_the_value():
    with pytest.raises(ValueError, match=r"log\(\) is defined for x > 0, got x=-1.0"):
        Tensor([2.0, -1.0, 0.0]).log()
    with pytest.raises(ValueError, match=r"log\(\) is defined for x > 0, got x=nan"):
        Tensor([np.nan]).log()
    with pytest.raises(ValueError, match=r"fractional power of a negative number is not real, got -2.0 \*\* 0.5"):
        Tensor([4.0, -2.0]) ** 0.5
    with pytest.raises(ValueError, match="fractional power"):
        Tensor([-2.0]) ** Tensor([0.5])
    with pytest.raises(ZeroDivisionError, match="0.0 cannot be raised to a negative power"):
        Tensor([0.0]) ** -1
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        Tensor([1.0]) / Tensor([0.0])
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        1.0 / Tensor([0.0, 1.0])


def test_scalar_engine_raises_the_same_errors():
    # the contract is the scalar engine's: same exception types for the same inputs
    for fn, exc in [
        (lambda v: v.log(), ValueError),
        (lambda v: (v - 1.0) ** 0.5, ValueError),
        (lambda v: (v * 0.0) ** -1, ZeroDivisionError),
        (lambda v: v / (v * 0.0), ZeroDivisionError),
    ]:
        with pytest.raises(exc):
            fn(Value(-0.5))
        with pytest.raises(exc):
            fn(Tensor([-0.5]))


def test_shape_errors():
    a = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) do not fit"):
        a @ Tensor(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="at least 1 dimension"):
        a @ Tensor(2.0)
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 3\)"):
        a.reshape(4, 2)
    with pytest.raises(ValueError):
        a + Tensor(np.zeros((4,)))
    with pytest.raises(IndexError, match="axis out of range"):
        a.sum(2)
    with pytest.raises(IndexError, match="invalid for a tensor of shape"):
        a[5]
    with pytest.raises(ValueError, match="permutation"):
        a.permute(0, 0)
    with pytest.raises(ValueError, match="shape"):
        a.grad = np.zeros(3)


def test_wrong_operand_types_raise_type_error():
    t = Tensor([1.0])
    for bad in ("a", None, [1.0], Value(1.0)):
        with pytest.raises(TypeError):
            t + bad
        with pytest.raises(TypeError):
            bad * t
    with pytest.raises(TypeError):
        Tensor([1.0], requires_grad=1)


def test_backward_errors():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).backward()
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="one-element"):
        (x * 2.0).backward()
    with pytest.raises(ValueError, match="shape"):
        (x * 2.0).backward(gradient=[1.0])


def test_ndarray_operands_defer_to_tensor():
    a = np.array([1.0, 2.0])
    t = Tensor([3.0, 4.0], requires_grad=True)
    out = a * t
    assert isinstance(out, Tensor)
    out.sum().backward()
    close(t.grad, a)


def test_conveniences():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert t.shape == (2, 2) and t.ndim == 2 and len(t) == 2
    # PyTorch's size() and numel() (a torch user calls t.size(), t.size(0), t.numel())
    assert t.size() == (2, 2) and t.size(0) == 2 and t.size(-1) == 2
    assert t.numel() == 4
    with pytest.raises(IndexError, match="dim=2"):
        t.size(2)
    assert Tensor(2.5).item() == 2.5 and float(Tensor([2.5])) == 2.5
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert "requires_grad=True" in repr(t)
    d = t.detach()
    assert not d.requires_grad and d.data is t.data
    with pytest.raises(ValueError, match="one element"):
        t.item()


def test_a_tensor_index_must_hold_whole_numbers():
    t = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    t[Tensor([2.0, 0.0])].sum().backward()
    close(t.grad, [1.0, 0.0, 1.0])
    with pytest.raises(IndexError, match="whole numbers"):
        t[Tensor([0.5])]


def test_threaded_tanh_gives_the_same_bits_as_one_np_tanh(monkeypatch):
    from micrograd.tensor import _kernels
    from micrograd.tensor._kernels import _PARALLEL_MIN, tanh_

    monkeypatch.setattr(_kernels, "_cpus", lambda: 3)  # 3 threads even on a 2-CPU machine (else clamped)
    monkeypatch.setenv("MICROGRAD_NUM_THREADS", "3")
    a = np.random.default_rng(0).normal(scale=3.0, size=(_PARALLEL_MIN // 7 + 5, 7))  # uneven chunks
    expected = np.tanh(a)
    got = tanh_(a.copy())
    assert got.shape == a.shape and np.array_equal(got, expected)
    monkeypatch.setenv("MICROGRAD_NUM_THREADS", "1")
    assert np.array_equal(tanh_(a.copy()), expected)


def test_tune_allocator_applies_on_glibc_and_respects_the_opt_out(monkeypatch):
    import platform

    import micrograd.tensor._kernels as tt

    monkeypatch.setattr(tt, "_allocator_tuned", False)
    monkeypatch.setenv("MICROGRAD_TUNE_MALLOC", "0")
    assert tt.tune_allocator() is False
    monkeypatch.delenv("MICROGRAD_TUNE_MALLOC")
    for k in [k for k in os.environ if k.startswith("MALLOC_")]:
        monkeypatch.delenv(k)
    glibc_linux = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert tt.tune_allocator() is glibc_linux


def test_fast_tanh_is_within_an_ulp_of_np_tanh_everywhere(monkeypatch):
    from micrograd.tensor._kernels import _PARALLEL_MIN, fast_tanh_

    rng = np.random.default_rng(1)
    a = np.concatenate([rng.normal(scale=s, size=_PARALLEL_MIN // 2) for s in (1e-8, 0.3, 3.0, 400.0)])
    a = np.concatenate([a, [0.0, -0.0, 1e308, -1e308, np.inf, -np.inf]]).reshape(-1, 2)
    for threads in ("1", "2"):
        monkeypatch.setenv("MICROGRAD_NUM_THREADS", threads)
        got = fast_tanh_(a.copy())
        assert np.abs(got - np.tanh(a)).max() <= 4.5e-16
    assert np.isnan(fast_tanh_(np.array([np.nan]))[0])
