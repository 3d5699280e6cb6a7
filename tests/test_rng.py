"""Tests for micrograd.rng: the seed's xorshift* RNG, bit for bit, and its helpers.

The reference for the streams is the seed program's own `RNG` class (loaded by
`seedref`), never numbers produced by micrograd. The helpers (`randint`, `choice`,
`shuffle`, `gauss`) have no seed counterpart: they are checked for their contract
(range, permutation, determinism) and, statistically, against the distributions they
promise (over many draws from fixed seeds, so the tests are deterministic).
"""

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from seedref import seed_rng

from micrograd import RNG
from micrograd import rng as rng_module

# any Python int is a valid seed for the seed's RNG: small, huge, zero and negative
SEEDS = st.one_of(
    st.integers(min_value=0, max_value=2**64 - 1),
    st.integers(min_value=-(2**80), max_value=2**80),
)


# ---------------------------------------------------------------------- bit-exact with the seed


@settings(max_examples=200, deadline=None)
@given(seed=SEEDS)
@example(seed=0)
@example(seed=42)
@example(seed=1)
@example(seed=2**64 - 1)
@example(seed=2**64)
@example(seed=2**200 + 12345)
def test_random_u32_stream_equals_seed(seed):
    ours, ref = RNG(seed), seed_rng(seed)
    assert [ours.random_u32() for _ in range(50)] == [ref.random_u32() for _ in range(50)]
    assert ours.state == ref.state


@settings(max_examples=100, deadline=None)
@given(seed=SEEDS)
@example(seed=0)
@example(seed=42)
def test_random_stream_equals_seed(seed):
    ours, ref = RNG(seed), seed_rng(seed)
    got = [ours.random() for _ in range(50)]
    assert got == [ref.random() for _ in range(50)]
    assert all(type(v) is float and 0.0 <= v < 1.0 for v in got)


@settings(max_examples=100, deadline=None)
@given(
    seed=SEEDS,
    a=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    b=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
)
@example(seed=42, a=-2.0, b=2.0)
@example(seed=42, a=-1, b=1)
def test_uniform_stream_equals_seed(seed, a, b):
    ours, ref = RNG(seed), seed_rng(seed)
    assert [ours.uniform(a, b) for _ in range(20)] == [ref.uniform(a, b) for _ in range(20)]
    # and the default interval is the seed's [0, 1)
    assert [ours.uniform() for _ in range(5)] == [ref.uniform() for _ in range(5)]


def test_seed_42_interleaved_calls_equal_seed():
    """The order the seed mixes calls in (uniform, random, random_u32) keeps one shared stream."""
    ours, ref = RNG(42), seed_rng(42)
    for i in range(300):
        kind = i % 3
        if kind == 0:
            assert ours.uniform(-2.0, 2.0) == ref.uniform(-2.0, 2.0)
        elif kind == 1:
            assert ours.random() == ref.random()
        else:
            assert ours.random_u32() == ref.random_u32()


def test_seed_zero_is_degenerate_like_the_seed():
    # xorshift maps state 0 to 0: the seed's RNG(0) only ever returns 0 (documented)
    ours, ref = RNG(0), seed_rng(0)
    assert [ours.random_u32() for _ in range(5)] == [ref.random_u32() for _ in range(5)] == [0] * 5


def test_default_seed_is_42():
    assert [RNG().random_u32() for _ in range(1)] == [seed_rng(42).random_u32()]


# ---------------------------------------------------------------------- seed type errors


@pytest.mark.parametrize("bad", ["1", 1.5, True, False, None, 1j, [1]])
def test_non_int_seed_raises_type_error(bad):
    with pytest.raises(TypeError, match="seed") as info:
        RNG(bad)
    assert repr(bad) in str(info.value)


# ---------------------------------------------------------------------- randint


def test_randint_is_inclusive_and_in_range():
    r = RNG(123)
    draws = [r.randint(-3, 3) for _ in range(2000)]
    assert all(type(d) is int and -3 <= d <= 3 for d in draws)
    assert set(draws) == set(range(-3, 4))  # both ends are reached


def test_randint_single_value_range():
    r = RNG(5)
    assert [r.randint(7, 7) for _ in range(10)] == [7] * 10


def test_randint_counts_are_uniformish():
    # chi-squared test of 60,000 draws over 6 values; 5 degrees of freedom: p = 1e-4 at 25.7
    r = RNG(2024)
    n, k = 60_000, 6
    counts = [0] * k
    for _ in range(n):
        counts[r.randint(1, k) - 1] += 1
    expected = n / k
    chi2 = sum((c - expected) ** 2 / expected for c in counts)
    assert chi2 < 25.7, counts


def test_randint_has_no_modulo_bias():
    # span = 3 * 2**30: `u32 % span` would give [0, 2**30) twice the weight (1/2 instead of 1/3)
    r = RNG(31)
    span = 3 * 2**30
    n = 6000
    low = sum(r.randint(0, span - 1) < 2**30 for _ in range(n))
    assert abs(low / n - 1 / 3) < 5 * (2 / 9 / n) ** 0.5, low / n


def test_randint_large_range_stays_in_range():
    r = RNG(9)
    for _ in range(200):
        v = r.randint(0, 2**32 - 1)
        assert 0 <= v <= 2**32 - 1


def test_randint_is_deterministic():
    a, b = RNG(77), RNG(77)
    assert [a.randint(0, 100) for _ in range(100)] == [b.randint(0, 100) for _ in range(100)]


@pytest.mark.parametrize(
    "args, exc",
    [
        ((5, 4), ValueError),  # empty range
        ((0, 2**32), ValueError),  # more than 2**32 values: cannot be drawn from one u32
        ((0.0, 5), TypeError),
        ((0, 5.5), TypeError),
        (("0", 5), TypeError),
        ((True, 5), TypeError),
        ((0, None), TypeError),
    ],
)
def test_randint_bad_arguments(args, exc):
    with pytest.raises(exc, match="randint"):
        RNG(1).randint(*args)


# ---------------------------------------------------------------------- choice, shuffle


def test_choice_returns_elements_and_reaches_all():
    r = RNG(3)
    seq = ["a", "b", "c", "d"]
    picks = [r.choice(seq) for _ in range(400)]
    assert set(picks) == set(seq)
    assert r.choice((10,)) == 10
    assert r.choice("xyz") in "xyz"


def test_choice_is_deterministic():
    a, b = RNG(11), RNG(11)
    seq = list(range(50))
    assert [a.choice(seq) for _ in range(100)] == [b.choice(seq) for _ in range(100)]


def test_choice_from_empty_raises_index_error():
    with pytest.raises(IndexError, match="empty"):
        RNG(1).choice([])


@settings(max_examples=50, deadline=None)
@given(seed=SEEDS.filter(lambda s: s != 0), xs=st.lists(st.integers(), max_size=60))
def test_shuffle_is_a_permutation_and_deterministic(seed, xs):
    a, b = list(xs), list(xs)
    assert RNG(seed).shuffle(a) is None  # in place, as random.shuffle
    RNG(seed).shuffle(b)
    assert sorted(a) == sorted(xs)
    assert a == b


def test_shuffle_actually_mixes():
    # every position of a 5-list receives every element over many shuffles
    r = RNG(8)
    seen = [set() for _ in range(5)]
    for _ in range(300):
        xs = list(range(5))
        r.shuffle(xs)
        for pos, v in enumerate(xs):
            seen[pos].add(v)
    assert all(s == set(range(5)) for s in seen)


def test_shuffle_differs_between_seeds():
    a, b = list(range(30)), list(range(30))
    RNG(1).shuffle(a)
    RNG(2).shuffle(b)
    assert a != b


# ---------------------------------------------------------------------- gauss / normal


def _normal_cdf(z):
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


@pytest.mark.parametrize("method", ["gauss", "normal"])
@pytest.mark.parametrize("mu, sigma", [(0.0, 1.0), (3.0, 0.5), (-10.0, 4.0)])
def test_gauss_mean_std_and_shape(method, mu, sigma):
    r = RNG(99)
    n = 20_000
    xs = [getattr(r, method)(mu, sigma) for _ in range(n)]
    mean = sum(xs) / n
    std = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    # 5 standard errors: the mean's is sigma/sqrt(n), the std's about sigma/sqrt(2n)
    assert abs(mean - mu) < 5 * sigma / math.sqrt(n)
    assert abs(std - sigma) < 5 * sigma / math.sqrt(2 * n)
    # Kolmogorov-Smirnov distance to the normal CDF (critical value at p=0.001 is 1.95/sqrt(n))
    zs = sorted((x - mu) / sigma for x in xs)
    ks = max(max(abs((i + 1) / n - _normal_cdf(z)), abs(i / n - _normal_cdf(z))) for i, z in enumerate(zs))
    assert ks < 1.95 / math.sqrt(n)


def test_gauss_defaults_and_determinism():
    a, b = RNG(4), RNG(4)
    xs = [a.gauss() for _ in range(100)]
    assert xs == [b.normal(0.0, 1.0) for _ in range(100)]
    assert all(math.isfinite(x) for x in xs)


def test_gauss_sigma_zero_returns_mu():
    r = RNG(4)
    assert [r.gauss(2.5, 0.0) for _ in range(5)] == [2.5] * 5


def test_gauss_negative_sigma_raises():
    with pytest.raises(ValueError, match="sigma"):
        RNG(4).gauss(0.0, -1.0)


def test_gauss_survives_seed_zero():
    # the degenerate stream gives random() == 0.0: Box-Muller must not take log(0)
    assert math.isfinite(RNG(0).gauss())


# ---------------------------------------------------------------------- state


@settings(max_examples=50, deadline=None)
@given(seed=SEEDS, burn=st.integers(min_value=0, max_value=20))
def test_getstate_setstate_round_trip(seed, burn):
    r = RNG(seed)
    for _ in range(burn):
        r.random_u32()
    saved = r.getstate()
    first = [r.random_u32() for _ in range(10)]
    other = RNG(12345)
    other.setstate(saved)
    assert [other.random_u32() for _ in range(10)] == first
    r.setstate(saved)
    assert [r.random_u32() for _ in range(10)] == first


def test_getstate_is_json_friendly():
    import json

    r = RNG(42)
    r.random()
    s = r.getstate()
    r2 = RNG(0)
    r2.setstate(json.loads(json.dumps(s)))
    assert r2.random() == r.random()


@pytest.mark.parametrize("bad", ["1", 1.5, True, None, [1]])
def test_setstate_rejects_non_int(bad):
    r = RNG(42)
    with pytest.raises(TypeError, match="setstate"):
        r.setstate(bad)
    assert r.random_u32() == seed_rng(42).random_u32()  # untouched


def test_manual_seed_reseeds_the_global_generator():
    g = rng_module.manual_seed(7)
    assert g is rng_module.global_rng()
    ref = seed_rng(7)
    assert [g.random_u32() for _ in range(5)] == [ref.random_u32() for _ in range(5)]
    assert rng_module.initial_seed() == 7


# ---------------------------------------------------------------------- the global generator, as Python's `random`

WEIGHTS = "import micrograd; {pre}print([p.data for p in micrograd.MLP(2, [3, 1]).parameters()])"


def _weights_in_a_new_program(pre=""):
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", WEIGHTS.format(pre=pre)], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_models_without_rng_differ_from_program_to_program():
    assert _weights_in_a_new_program() != _weights_in_a_new_program()


def test_manual_seed_makes_them_the_same_in_every_program():
    a = _weights_in_a_new_program("micrograd.manual_seed(1337); ")
    assert a == _weights_in_a_new_program("micrograd.manual_seed(1337); ")
    rng_module.manual_seed(1337)
    from micrograd import MLP

    assert a.strip() == str([p.data for p in MLP(2, [3, 1]).parameters()])


def test_initial_seed_replays_a_programs_draws():
    seed, weights = _weights_in_a_new_program("print(micrograd.initial_seed()); ").split("\n", 1)
    assert _weights_in_a_new_program(f"micrograd.manual_seed({seed}); ") == weights


def test_the_entropy_seed_is_never_xorshifts_fixed_point(monkeypatch):
    import os

    monkeypatch.setattr(os, "urandom", lambda n: bytes(n))  # the OS says 0
    assert rng_module._entropy_seed() == 1
    monkeypatch.undo()
    assert 0 < rng_module._entropy_seed() < 2**64


def test_manual_seed_refuses_what_rng_refuses():
    before = rng_module.global_rng().getstate(), rng_module.initial_seed()
    with pytest.raises(TypeError, match="RNG"):
        rng_module.manual_seed(1.5)
    assert (rng_module.global_rng().getstate(), rng_module.initial_seed()) == before


def test_manual_seed_and_initial_seed_are_public():
    import micrograd

    assert micrograd.manual_seed is rng_module.manual_seed and "manual_seed" in micrograd.__all__
    assert micrograd.initial_seed is rng_module.initial_seed and "initial_seed" in micrograd.__all__
