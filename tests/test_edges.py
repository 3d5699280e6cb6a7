"""Library edges under abuse (issue 9, sections 3 and 5): a diverged run stops with its own
exception and exit status; the tensor engine from two threads; the environment variables the
package reads; from_torch's refusals; Value and optimizer edge values."""

import math

import pytest

from micrograd import checkpoint
from micrograd.cli import DIVERGED, main
from micrograd.train import DIVERGE_FACTOR, TrainConfig, Trainer, TrainingDiverged, fit

# ---------------------------------------------------------------------- a diverged run


def _exploding(**kw):
    return TrainConfig.preset("seed", **{"steps": 20, "optimizer": "sgd", "lr": 1e6, **kw})


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
def test_fit_raises_training_diverged_naming_the_step_and_the_learning_rate(engine):
    tr = Trainer(_exploding(engine=engine))
    seen = []
    with pytest.raises(TrainingDiverged) as info:
        fit(trainer=tr, out=None, callbacks=[lambda t, r: seen.append(r["step"])])
    e = info.value
    assert "learning rate" in str(e) and f"step {e.step}" in str(e) and "1000000.0" in str(e)
    assert not e.loss <= DIVERGE_FACTOR * max(tr.first_loss, 1.0)
    # raised before the update and before the callbacks: the trainer is the last finite state
    assert tr.step == e.step and seen == list(range(e.step))
    assert all(math.isfinite(float(p.data if engine == "scalar" else p.data.sum())) for p in tr.model.parameters())
    assert math.isfinite(tr.evaluate(tr.train_split))


def test_diverge_check_false_trains_on_to_the_last_step():
    history = fit(_exploding(steps=6), out=None, diverge_check=False)
    assert len(history["train_loss"]) == 6 and max(history["train_loss"]) > DIVERGE_FACTOR


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
@pytest.mark.parametrize("bad", [math.nan, math.inf])
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # NumPy's, on inf - inf in the matmul
def test_a_non_finite_weight_diverges_at_once(engine, bad):
    tr = Trainer(TrainConfig.preset("seed", steps=3, engine=engine))
    p = tr.model.parameters()[0]
    if engine == "scalar":
        p.data = bad
    else:
        p.data[...] = bad
    with pytest.raises(TrainingDiverged, match="the train loss is nan \\(not finite\\)") as info:
        fit(trainer=tr, out=None)
    assert tr.step == info.value.step <= 1  # (tanh(inf) = 1 can give one finite step before the nan)


def test_a_huge_learning_rate_that_makes_weights_inf_diverges():
    with pytest.raises(TrainingDiverged, match="lr=1e\\+300"):
        fit(_exploding(lr=1e300), out=None)


def test_a_healthy_run_is_not_stopped():
    history = fit(TrainConfig.preset("seed", steps=5), out=None)
    assert len(history["train_loss"]) == 5


def test_cli_exits_3_with_one_line_and_keeps_the_last_finite_checkpoint(tmp_path, capsys):
    ck = tmp_path / "run.json"
    status = main(["train", "--optimizer", "sgd", "--lr", "1e6", "--quiet", "--save", str(ck), "--save-every", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == DIVERGED == 3
    assert len(err) == 1 and err[0].startswith("micrograd train: error: training diverged at step ")
    assert "--lr 1000000.0" in err[0] and str(ck) in err[0]
    step = int(err[0].split("at step ")[1].split(":")[0])
    saved = checkpoint.load(str(ck))
    assert saved.step == step  # the state after the last finite step; the diverged one was not written
    tr = Trainer(saved.train_config())
    checkpoint.restore(tr, saved)
    assert math.isfinite(tr.evaluate(tr.train_split))


def test_cli_without_save_exits_3_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--optimizer", "sgd", "--lr", "1e6", "--steps", "30"]) == 3
    out = capsys.readouterr()
    assert "Traceback" not in out.err and "train loss" in out.out
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------- two trainers in two threads


@pytest.mark.parametrize("engine", ["tensor", "scalar"])
def test_two_trainers_in_two_threads_match_running_them_one_after_the_other(engine):
    import threading

    cfgs = [TrainConfig.preset("seed", steps=8, engine=engine, n=n, seed=s) for n, s in ((200, 1), (120, 2))]
    alone = [fit(c, out=None) for c in cfgs]
    for _ in range(3):  # the race it guards against (grad mode shared by threads) hit 8 runs in 12
        got, errors = [None, None], []

        def run(k, got=got, errors=errors):
            try:
                got[k] = fit(cfgs[k], out=None)
            except Exception as e:  # reported below, in the main thread
                errors.append(e)

        threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and got == alone


def test_the_thread_pool_is_made_once_when_two_threads_want_it_first(monkeypatch):
    import threading

    from micrograd.tensor import _kernels

    monkeypatch.setattr(_kernels, "_pool", None)
    pools, barrier = [], threading.Barrier(4)

    def want():
        barrier.wait()
        pools.append(_kernels._get_pool(2))

    threads = [threading.Thread(target=want) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(pools) == 4 and all(p is pools[0] for p in pools)
    pools[0].shutdown()


# ---------------------------------------------------------------------- environment variables


@pytest.fixture
def kernels(monkeypatch):
    from micrograd.tensor import _kernels

    for name in ("MICROGRAD_NUM_THREADS", "OMP_NUM_THREADS", "MICROGRAD_TUNE_MALLOC"):
        monkeypatch.delenv(name, raising=False)
    _kernels._thread_setting.cache_clear()
    yield _kernels
    _kernels._thread_setting.cache_clear()


def test_a_thread_count_above_the_cpus_is_clamped_with_a_warning(kernels, monkeypatch):
    cpus = kernels._cpus()
    monkeypatch.setenv("MICROGRAD_NUM_THREADS", "1000000")
    with pytest.warns(RuntimeWarning, match=f"MICROGRAD_NUM_THREADS='1000000' is more than the {cpus} CPUs"):
        assert kernels._threads() == cpus
    monkeypatch.setenv("MICROGRAD_NUM_THREADS", "1")
    assert kernels._threads() == 1


@pytest.mark.parametrize("junk", ["abc", "0", "-2", "1.5", "٣", "1e3"])
def test_a_junk_thread_count_is_ignored_with_a_warning(kernels, monkeypatch, junk):
    monkeypatch.setenv("MICROGRAD_NUM_THREADS", junk)
    with pytest.warns(RuntimeWarning, match="is not a whole number >= 1; ignored"):
        assert kernels._threads() == kernels._cpus()


def test_omp_num_threads_is_read_when_ours_is_unset_and_its_nested_form_is_accepted(kernels, monkeypatch):
    import warnings

    monkeypatch.setenv("OMP_NUM_THREADS", "1,1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kernels._threads() == 1
    monkeypatch.setenv("MICROGRAD_NUM_THREADS", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "junk")  # ours wins: OMP's is not even read
    assert kernels._threads() == 1


def test_each_bad_value_warns_once(kernels, monkeypatch):
    import warnings

    monkeypatch.setenv("MICROGRAD_NUM_THREADS", "lots")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(5):
            kernels._threads()
    assert len(caught) == 1


def test_a_junk_tune_malloc_setting_warns(kernels, monkeypatch):
    monkeypatch.setattr(kernels, "_allocator_tuned", False)
    monkeypatch.setenv("MICROGRAD_TUNE_MALLOC", "off")
    with pytest.warns(RuntimeWarning, match="MICROGRAD_TUNE_MALLOC='off' is not 0 or 1"):
        kernels.tune_allocator()


# ---------------------------------------------------------------------- Value, Tensor and optimizer edge values

BASES = [2.0, 0.5, -2.0, -0.5, 1.0, -1.0, 0.0, math.inf, -math.inf, math.nan]


def _same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("base", BASES)
def test_an_int_exponent_too_big_for_a_float_follows_the_contract_of_1e308(base):
    from micrograd import Value

    huge = 10**400  # even, as 1e308 is: the same result
    assert _same((Value(base) ** huge).data, (Value(base) ** 1e308).data)
    if base != 0:
        assert _same((Value(base) ** -huge).data, (Value(base) ** -1e308).data)
    odd = (Value(base) ** (huge + 1)).data  # odd: a negative base keeps its sign
    even = (Value(base) ** huge).data
    assert _same(odd, -even if math.copysign(1.0, base) < 0 and not math.isnan(base) else even)
    x = Value(base)
    (x**huge).backward()  # the slope is formed too: no OverflowError
    assert isinstance(x.grad, float)


def test_an_int_exponent_too_big_for_a_float_gives_the_slopes_limits():
    from micrograd import Value

    for base, slope in ((2.0, math.inf), (0.5, 0.0), (1.0, math.inf), (-2.0, -math.inf)):
        x = Value(base)
        (x ** (10**400)).backward()
        assert x.grad == slope


def test_zero_to_a_huge_negative_int_is_the_usual_zero_division_error():
    from micrograd import Value

    with pytest.raises(ZeroDivisionError, match="0.0 cannot be raised to a negative power.*401 digits"):
        Value(0.0) ** -(10**400)


@pytest.mark.parametrize("x", [0.0, -0.0, 1.0, -2.5, math.inf, math.nan, 1e-300])
def test_bool_of_a_value_is_the_truth_of_its_number_as_a_one_element_torch_tensor(x):
    torch = pytest.importorskip("torch")
    from micrograd import Value
    from micrograd.tensor import Tensor

    assert bool(Value(x)) is bool(torch.tensor(x, dtype=torch.float64)) is (x != 0)
    assert bool(Tensor(x)) is bool(Tensor([x])) is bool(torch.tensor([x], dtype=torch.float64))


@pytest.mark.parametrize("shape", [(0,), (2,), (2, 2)])
def test_bool_of_a_tensor_of_other_sizes_is_ambiguous_as_in_torch(shape):
    import numpy as np

    torch = pytest.importorskip("torch")
    from micrograd.tensor import Tensor

    with pytest.raises(RuntimeError) as ours:
        bool(Tensor(np.zeros(shape)))
    with pytest.raises(RuntimeError) as theirs:
        bool(torch.zeros(shape))
    assert str(ours.value) == str(theirs.value)


def test_log_of_nan_is_nan_as_in_torch_and_log_of_zero_still_refused():
    torch = pytest.importorskip("torch")
    from micrograd import Value

    x = Value(math.nan)
    y = x.log()
    y.backward()
    t = torch.tensor(math.nan, dtype=torch.float64, requires_grad=True)
    t.log().backward()
    assert math.isnan(y.data) and math.isnan(t.log().item())
    assert math.isnan(x.grad) and math.isnan(t.grad.item())
    for bad in (0.0, -1.0, -math.inf):
        with pytest.raises(ValueError, match="log\\(\\) is defined for x > 0"):
            Value(bad).log()


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "seed-adam"])
@pytest.mark.parametrize("key", ["lr", "weight_decay"])
def test_an_optimizer_refuses_an_infinite_hyperparameter(name, key):
    from micrograd import Value
    from micrograd.optim import OPTIMIZERS

    cls = OPTIMIZERS[name]
    with pytest.raises(ValueError, match=r"Invalid .* value: inf"):
        cls([Value(1.0)], **{key: math.inf})
    cls([Value(1.0)], **{key: 1e308})  # huge but finite: allowed (the divergence check stops such a run)


# ---------------------------------------------------------------------- negative numbers as flag values


@pytest.mark.parametrize("xs", [["1e308", "-1e308"], ["-.5", "-1e-3"], ["-1E+2", "3"]])
def test_graph_accepts_negative_numbers_in_every_float_spelling(tmp_path, capsys, xs):
    out = tmp_path / "g.dot"
    assert main(["graph", "--x", *xs, "--label", "1", "--out", str(out)]) == 0
    assert out.exists() and f"x={[float(x) for x in xs]}" in capsys.readouterr().err


def test_the_divergence_check_is_a_flag_of_its_own(tmp_path):
    """TrainConfig.diverge_check gives --no-diverge-check: the same run that stops with status 3 trains on."""
    import subprocess
    import sys

    argv = [sys.executable, "-m", "micrograd", "train", "--optimizer", "sgd", "--lr", "1e6", "--steps", "4", "--eval-every", "0"]
    stopped = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert stopped.returncode == 3 and "training diverged at step 2" in stopped.stderr
    on = subprocess.run([*argv, "--no-diverge-check"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert on.returncode == 0 and on.stdout.count("train loss") == 4


def test_gc_paused_is_shared_by_threads_and_restores_the_first_setting():
    """The collector is process-wide: with two threads inside, one leaving must not turn it back on
    under the other, and the last one out restores what the first one found."""
    import gc
    import threading

    from micrograd.engines import gc_paused

    was = gc.isenabled()
    gc.enable()
    try:
        inside, leave = threading.Event(), threading.Event()

        def other():
            with gc_paused():
                inside.set()
                leave.wait(10)

        t = threading.Thread(target=other)
        with gc_paused():
            t.start()
            inside.wait(10)
        assert not gc.isenabled()  # the other thread is still inside
        leave.set()
        t.join(10)
        assert gc.isenabled()
        gc.disable()  # a caller that had it off keeps it off
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
