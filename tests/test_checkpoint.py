"""Tests for micrograd.checkpoint: format, exact round trip, atomic save, validated load, restore."""

import hashlib
import json
import os
import signal

import pytest

from micrograd import checkpoint
from micrograd.checkpoint import CheckpointError
from micrograd.train import StopOnSignal, TrainConfig, TrainingInterrupted, fit, make_trainer

STEPS = 12


def cfg(**kw):
    return TrainConfig.preset("seed", **{"steps": STEPS, **kw})


def run_lines(config):
    lines = []
    history = fit(config, out=lines.append)
    return lines, history


def trained(k, **kw):
    """A trainer after k steps, the lines it printed, and its history."""
    tr = make_trainer(cfg(**kw))
    lines, history = [], {"train_loss": [], "val_loss": {}, "val_accuracy": {}}
    while tr.step < k:
        rec = tr.train_step()
        lines += tr.format_lines(rec)
        history["train_loss"].append(rec["train_loss"])
        for key in ("val_loss", "val_accuracy"):
            if key in rec:
                history[key][rec["step"]] = rec[key]
    return tr, lines, history


def params(model):
    return [p.data for p in model.parameters()]


def rewrite(path, edit, fix_checksum=True):
    """Edit a checkpoint's JSON document; recompute its checksum (a 'well-formed but wrong' file)."""
    with open(path) as f:
        doc = json.load(f)
    edit(doc)
    if fix_checksum:
        canon = json.dumps(doc["payload"], sort_keys=True, separators=(",", ":"), allow_nan=True)
        doc["sha256"] = hashlib.sha256(canon.encode()).hexdigest()
    with open(path, "w") as f:
        f.write(json.dumps(doc, allow_nan=True))


@pytest.fixture
def saved(tmp_path):
    tr, _, history = trained(5)
    path = tmp_path / "run.ckpt.json"
    checkpoint.save_trainer(path, tr, history)
    return path


# ---------------------------------------------------------------------- the format


def test_file_is_versioned_readable_json_with_checksum(saved):
    text = saved.read_text()
    doc = json.loads(text)
    assert doc["format"] == "micrograd-checkpoint" and doc["version"] == 1
    assert "\n" in text  # indented for humans
    payload = doc["payload"]
    canon = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    assert doc["sha256"] == hashlib.sha256(canon.encode()).hexdigest()
    assert payload["step"] == 5 and payload["optimizer"]["t"] == 5
    assert payload["config"]["steps"] == STEPS
    assert set(payload) >= {"config", "step", "model", "optimizer", "rng", "history", "data_sha256"}


def test_no_pickle_anywhere():
    import micrograd._checkpoint_json as helpers
    import micrograd.checkpoint as mod

    for m in (mod, helpers):
        src = open(m.__file__).read()
        assert "import pickle" not in src and "pickle." not in src


def test_floats_round_trip_exactly(saved):
    tr, _, history = trained(5)
    ck = checkpoint.load(saved)
    assert [ck.model[n] for n, _ in tr.model.named_parameters()] == params(tr.model)
    opt = tr.optimizer.state_dict()
    assert [st["m"] for st in ck.optimizer["state"]] == [st["m"] for st in opt["state"]]
    assert [st["v"] for st in ck.optimizer["state"]] == [st["v"] for st in opt["state"]]
    assert ck.rng == tr.rng.getstate()
    assert ck.history == history  # val_loss keys back to ints, losses to the bit


# ---------------------------------------------------------------------- THE property, in process


@pytest.mark.parametrize("k", [0, 1, 5, 9, 10, 11, STEPS])
def test_resume_at_step_k_is_bit_identical(tmp_path, k):
    full_lines, full_history = run_lines(cfg())
    tr, lines, history = trained(k)
    path = tmp_path / "k.json"
    checkpoint.save_trainer(path, tr, history)
    del tr
    ck = checkpoint.load(path)
    tr2 = make_trainer(ck.train_config())
    checkpoint.restore(tr2, ck)
    h2 = fit(trainer=tr2, out=lines.append, history=ck.history)
    assert lines == full_lines
    assert h2["summary"] == full_history["summary"]
    assert h2["train_loss"] == full_history["train_loss"]
    assert h2["val_loss"] == full_history["val_loss"]
    assert h2["val_accuracy"] == full_history["val_accuracy"] and sorted(h2["val_accuracy"]) == [0, 10]
    assert h2 == full_history  # nothing else differs either


def test_history_with_accuracy_and_summary_round_trips(tmp_path):
    tr = make_trainer(cfg(steps=7, eval_every=3))
    history = fit(trainer=tr, out=None)
    checkpoint.save_trainer(tmp_path / "c.json", tr, history)
    ck = checkpoint.load(tmp_path / "c.json")
    assert ck.history == history  # val_accuracy {step: fraction} and the summary, exactly
    assert sorted(ck.history["val_accuracy"]) == [0, 3, 6] and set(ck.history["summary"]) == {"train", "val", "test"}
    saved = json.loads((tmp_path / "c.json").read_text())["payload"]["history"]
    assert sorted(saved) == ["summary", "train_loss", "val_accuracy", "val_loss"]
    assert saved["summary"]["val"] == {k: history["summary"]["val"][k] for k in ("loss", "correct", "total")}


def test_a_history_without_accuracy_loads_as_before(saved):
    # the layout of micrograd 0.2's files (tests/golden/ckpt_v1_*.json): train_loss and val_loss only
    rewrite(saved, lambda d: d["payload"]["history"].pop("val_accuracy"))
    ck = checkpoint.load(saved)
    assert sorted(ck.history) == ["train_loss", "val_loss"]  # no accuracy invented
    tr = make_trainer(ck.train_config())
    checkpoint.restore(tr, ck)
    h = fit(trainer=tr, out=None, history=ck.history)
    assert sorted(h["val_accuracy"]) == [10]  # recorded from the resumed step on
    assert h["val_loss"] == run_lines(cfg())[1]["val_loss"]


def test_a_resumed_finished_run_drops_its_stale_summary(tmp_path):
    tr = make_trainer(cfg(steps=5))
    history = fit(trainer=tr, out=None)
    checkpoint.save_trainer(tmp_path / "c.json", tr, history)
    ck = checkpoint.load(tmp_path / "c.json")
    assert "summary" in ck.history
    tr2 = make_trainer(ck.train_config(steps=8))
    checkpoint.restore(tr2, ck)
    seen = []
    fit(trainer=tr2, out=None, history=ck.history, callbacks=[lambda t, r: seen.append("summary" in ck.history)])
    assert seen == [False, False, False]  # a --save-every checkpoint taken now must not carry step 5's summary
    assert ck.history["summary"] == fit(cfg(steps=8), out=None)["summary"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"optimizer": "adam"},
        {"optimizer": "adamw", "init": "per-weight"},
        {"optimizer": "sgd", "momentum": 0.9, "lr": 0.05},
        {"dataset": "yinyang", "hidden": [8], "style": "llm101n", "activation": "relu"},
    ],
)
def test_resume_bit_identical_for_every_optimizer(tmp_path, overrides):
    full_lines, full_history = run_lines(cfg(**overrides))
    tr, lines, history = trained(7, **overrides)
    checkpoint.save_trainer(tmp_path / "c.json", tr, history)
    ck = checkpoint.load(tmp_path / "c.json")
    tr2 = make_trainer(ck.train_config())
    checkpoint.restore(tr2, ck)
    h2 = fit(trainer=tr2, out=lines.append, history=ck.history)
    assert lines == full_lines and h2["summary"] == full_history["summary"]


def test_resume_can_extend_the_run(tmp_path):
    full_lines, _ = run_lines(cfg(steps=20))
    tr, lines, history = trained(STEPS)
    fit(trainer=tr, out=None)
    checkpoint.save_trainer(tmp_path / "c.json", tr, history)
    ck = checkpoint.load(tmp_path / "c.json")
    tr2 = make_trainer(ck.train_config(steps=20))
    checkpoint.restore(tr2, ck)
    fit(trainer=tr2, out=lines.append)
    assert lines == full_lines


def test_csv_data_resume_and_changed_csv_refused(tmp_path):
    csv = tmp_path / "pts.csv"
    rows = ["x1,x2,label"] + [f"{(i % 7) / 3 - 1},{(i % 5) / 2 - 1},{i % 3}" for i in range(40)]
    csv.write_text("\n".join(rows) + "\n")
    tr = make_trainer(TrainConfig.preset("seed", data=str(csv), steps=4))
    fit(trainer=tr, out=None)
    checkpoint.save_trainer(tmp_path / "c.json", tr)
    ck = checkpoint.load(tmp_path / "c.json")
    checkpoint.restore(make_trainer(ck.train_config()), ck)  # same data: fine
    csv.write_text("\n".join(rows[:-1] + ["0.5,0.5,1"]) + "\n")
    tr3 = make_trainer(ck.train_config())
    before = params(tr3.model)
    with pytest.raises(CheckpointError, match="data differ"):
        checkpoint.restore(tr3, ck)
    assert params(tr3.model) == before and tr3.step == 0


# ---------------------------------------------------------------------- atomic save


def test_crash_mid_write_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "c.json"
    tr, _, _ = trained(2)
    checkpoint.save_trainer(path, tr)
    old = path.read_bytes()
    tr.train_step()

    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, f):
            self.f = f

        def write(self, text):
            self.f.write(text[: len(text) // 2])
            self.f.flush()
            raise OSError("disk full (simulated)")

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.f.__exit__(*exc)

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: HalfWriter(real_fdopen(*a, **k)))
    with pytest.raises(OSError, match="disk full"):
        checkpoint.save_trainer(path, tr)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["c.json"]  # no temp file left behind
    assert checkpoint.load(path).step == 2


def test_crash_before_rename_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "c.json"
    tr, _, _ = trained(2)
    checkpoint.save_trainer(path, tr)
    old = path.read_bytes()
    tr.train_step()

    def boom(*a):
        raise OSError("power cut (simulated)")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="power cut"):
        checkpoint.save_trainer(path, tr)
    monkeypatch.undo()
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["c.json"]


def test_save_refuses_bad_targets_and_nan(tmp_path):
    tr, _, _ = trained(1)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        checkpoint.save_trainer(tmp_path / "nope" / "c.json", tr)
    with pytest.raises(IsADirectoryError):
        checkpoint.save_trainer(tmp_path, tr)
    with pytest.raises(TypeError, match="path"):
        checkpoint.save_trainer(123, tr)
    tr.model.parameters()[3].data = float("nan")
    with pytest.raises(ValueError, match=r"non-finite.*layers\.0\.neurons\.1\.w\.0 = nan"):
        checkpoint.save_trainer(tmp_path / "c.json", tr)
    assert not (tmp_path / "c.json").exists()


def test_unwritable_directory_is_found_before_training(tmp_path):
    # /proc exists but no regular file can be created in it (even as root): like a read-only mount
    with pytest.raises(OSError, match=r"cannot save to '/proc/c.json': cannot create a file in '/proc'"):
        checkpoint.check_target("/proc/c.json", "--save")
    import subprocess
    import sys

    p = subprocess.run(
        [sys.executable, "-m", "micrograd.cli", "train", "--save", "/proc/c.json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert p.returncode == 2 and p.stdout == ""  # refused before the first step, not after the run
    assert "cannot save to '/proc/c.json'" in p.stderr and len(p.stderr.splitlines()) == 1
    assert not [f for f in os.listdir(tmp_path) if "probe" in f]


# ---------------------------------------------------------------------- validated load


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="no checkpoint file"):
        checkpoint.load("/nonexistent/ck.json")


def test_truncated_file_refused(saved):
    data = saved.read_bytes()
    for cut in (len(data) // 2, len(data) - 3, 10):
        saved.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match="not valid JSON.*truncated"):
            checkpoint.load(saved)


def test_not_json_and_binary_refused(saved):
    saved.write_text("hello, world")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        checkpoint.load(saved)
    saved.write_bytes(b"\x80\x04\x95 pickle-ish bytes \xff")
    with pytest.raises(CheckpointError, match="not a text file|not valid JSON"):
        checkpoint.load(saved)


def test_deeply_nested_json_refused(saved):
    saved.write_text("[" * 100_000 + "]" * 100_000)  # json.loads would raise RecursionError
    with pytest.raises(CheckpointError, match="nested too deeply"):
        checkpoint.load(saved)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.update(format="something-else"), "not a micrograd checkpoint"),
        (lambda d: d.update(version=2), "unsupported version 2"),
        (lambda d: d.pop("sha256"), "missing field 'sha256'"),
        (lambda d: d.pop("payload"), "missing field 'payload'"),
    ],
)
def test_wrong_format_version_or_envelope_refused(saved, edit, message):
    rewrite(saved, edit, fix_checksum=False)
    with pytest.raises(CheckpointError, match=message):
        checkpoint.load(saved)


def test_json_array_refused(saved):
    saved.write_text("[1, 2, 3]")
    with pytest.raises(CheckpointError, match="not a micrograd checkpoint"):
        checkpoint.load(saved)


def test_tampered_value_refused_by_checksum(saved):
    def edit(d):
        name = next(iter(d["payload"]["model"]))
        d["payload"]["model"][name] += 1e-12

    rewrite(saved, edit, fix_checksum=False)
    with pytest.raises(CheckpointError, match="checksum mismatch"):
        checkpoint.load(saved)


def test_tampered_text_refused(saved):
    text = saved.read_text()
    i = text.index('"step": 5')
    saved.write_text(text[:i] + '"step": 4' + text[i + 9 :])
    with pytest.raises(CheckpointError, match="checksum mismatch"):
        checkpoint.load(saved)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_inf_refused(saved, token):
    text = saved.read_text()
    doc = json.loads(text)
    name = sorted(doc["payload"]["model"])[3]

    def edit(d):
        d["payload"]["model"][name] = "@@"

    rewrite(saved, edit)  # checksum recomputed below, after the token is in place
    doc = json.loads(saved.read_text())
    canon = json.dumps(float(token))  # the checksum is over the parsed value: 1e999 reads as inf
    raw = json.dumps(doc["payload"], sort_keys=True, separators=(",", ":")).replace('"@@"', canon)
    doc["sha256"] = hashlib.sha256(raw.encode()).hexdigest()
    saved.write_text(json.dumps(doc).replace('"@@"', token))
    with pytest.raises(CheckpointError, match=rf"non-finite number .*payload\.model\.{name}"):
        checkpoint.load(saved)


@pytest.mark.parametrize("field", ["config", "step", "model", "optimizer", "rng"])
def test_missing_payload_field_refused(saved, field):
    rewrite(saved, lambda d: d["payload"].pop(field))
    with pytest.raises(CheckpointError, match=f"missing field 'payload.{field}'"):
        checkpoint.load(saved)


def test_config_missing_a_field_loads_with_its_default(saved):
    # a checkpoint saved before a field existed: the field takes its default (here lr's, 0.1, the value saved)
    rewrite(saved, lambda d: d["payload"]["config"].pop("lr"))
    ck = checkpoint.load(saved)
    assert ck.config["lr"] == TrainConfig().lr and list(ck.config) == list(TrainConfig().to_dict())
    tr = make_trainer(ck.train_config())
    checkpoint.restore(tr, ck)
    assert tr.step == 5


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda p: p["config"].update(colour="red"), r"unknown \['colour'\]"),
        (lambda p: p["config"].update(lr=-1.0), "config is invalid: lr must be >= 0"),
        (lambda p: p.update(step=-3), "step must be an int >= 0"),
        (lambda p: p.update(step="5"), "step must be an int >= 0"),
        (lambda p: p.update(rng=12345), "rng must be the RNG state as a decimal string"),
        (lambda p: p.update(rng="9" * 5000), "rng is not a usable RNG state"),  # past int()'s digit limit
        (lambda p: p["optimizer"].pop("state"), "optimizer must be an object with"),
        (lambda p: p["model"].update({"layers.0.neurons.0.b": "zero"}), "must be a number"),
        (lambda p: p.update(history={"train_loss": "x"}), "history must be"),
        (lambda p: p["history"].update(val_accuracy={"0": 1.5}), r"history.val_accuracy must be \{step: fraction in \[0, 1\]\}"),
        (lambda p: p["history"].update(val_accuracy=[0.5]), r"history.val_accuracy must be"),
        (lambda p: p["history"].update(summary={"val": {"loss": 0.1, "correct": 11, "total": 10}}), "0 <= correct <= total"),
        (lambda p: p["history"].update(summary={"val": {"loss": 0.1}}), r"history.summary must be \{split:"),
        (lambda p: p["history"].update(summary={"val": {"loss": 0.1, "correct": 1.0, "total": 10}}), "history.summary"),
    ],
)
def test_malformed_payload_refused(saved, edit, message):
    rewrite(saved, lambda d: edit(d["payload"]))
    with pytest.raises(CheckpointError, match=message):
        checkpoint.load(saved)


# ---------------------------------------------------------------------- restore: all or nothing


def untouched_after(tr, ck, message):
    before = (params(tr.model), tr.optimizer.state_dict(), tr.rng.getstate(), tr.step)
    with pytest.raises(CheckpointError, match=message):
        checkpoint.restore(tr, ck)
    after = (params(tr.model), tr.optimizer.state_dict(), tr.rng.getstate(), tr.step)
    assert after == before


def test_wrong_architecture_refused_model_untouched(saved):
    # a well-formed checkpoint whose model is not the one its config builds
    rewrite(saved, lambda d: d["payload"]["config"].update(hidden=[8]))
    ck = checkpoint.load(saved)
    tr = make_trainer(ck.train_config())
    untouched_after(tr, ck, "wrong architecture")


def test_wrong_architecture_message_names_counts(saved):
    rewrite(saved, lambda d: d["payload"]["config"].update(hidden=[8]))
    ck = checkpoint.load(saved)
    tr = make_trainer(ck.train_config())
    n_saved, n_model = len(ck.model), len(tr.model.parameters())
    with pytest.raises(CheckpointError, match=rf"{n_saved} parameters saved, the model has {n_model}"):
        checkpoint.restore(tr, ck)


def test_checkpoint_from_another_run_refused(saved):
    ck = checkpoint.load(saved)
    tr = make_trainer(cfg(lr=0.05))
    untouched_after(tr, ck, r"different run \(lr: checkpoint 0.1, trainer 0.05\)")


def test_bad_optimizer_state_refused_model_untouched(saved):
    def edit(d):
        d["payload"]["optimizer"]["state"][4] = {"exp_avg": 0.0, "exp_avg_sq": 0.0}

    rewrite(saved, edit)
    ck = checkpoint.load(saved)
    untouched_after(make_trainer(ck.train_config()), ck, r"state\[4\] has keys \['exp_avg', 'exp_avg_sq'\]")

    rewrite(saved, lambda d: d["payload"]["optimizer"]["state"].pop())
    ck = checkpoint.load(saved)
    untouched_after(make_trainer(ck.train_config()), ck, "optimizer state has")


def test_restore_sets_everything(saved):
    ck = checkpoint.load(saved)
    tr = make_trainer(ck.train_config())
    checkpoint.restore(tr, ck)
    assert tr.step == 5 and tr.optimizer.t == 5 and tr.rng.getstate() == ck.rng
    assert [ck.model[n] for n, _ in tr.model.named_parameters()] == params(tr.model)
    with pytest.raises(TypeError, match="Checkpoint"):
        checkpoint.restore(tr, {"step": 1})


# ---------------------------------------------------------------------- signals, in process


def test_stop_on_signal_stops_at_step_boundary(tmp_path):
    tr = make_trainer(cfg())
    lines = []

    def send_at_3(trainer, record):
        if record["step"] == 3:
            signal.raise_signal(signal.SIGINT)  # a real signal, handled by StopOnSignal

    previous = signal.getsignal(signal.SIGINT)
    with StopOnSignal() as stop:
        with pytest.raises(TrainingInterrupted) as info:
            fit(trainer=tr, out=lines.append, callbacks=[send_at_3, stop.callback])
    assert signal.getsignal(signal.SIGINT) is previous  # handler restored
    assert info.value.step == 3 and tr.step == 4 and stop.signum == signal.SIGINT
    assert lines[-1].startswith("step 3, train loss")


# ---------------------------------------------------------------------- the tensor engine


@pytest.mark.parametrize("optimizer", ["seed-adam", "adamw", "sgd"])
@pytest.mark.parametrize("k", [0, 7, 10])
def test_tensor_engine_resume_is_bit_identical(tmp_path, optimizer, k):
    over = {"engine": "tensor", "optimizer": optimizer, "momentum": 0.9 if optimizer == "sgd" else 0.0}
    full_lines, full_history = run_lines(cfg(**over))
    tr, lines, history = trained(k, **over)
    checkpoint.save_trainer(tmp_path / "t.json", tr, history)
    ck = checkpoint.load(tmp_path / "t.json")
    if k:  # array state is stored as nested lists of exact floats
        st = ck.optimizer["state"][0]
        assert all(isinstance(v, list) and isinstance(v[0], list) for v in st.values())
    tr2 = make_trainer(ck.train_config())
    checkpoint.restore(tr2, ck)
    h2 = fit(trainer=tr2, out=lines.append, history=ck.history)
    assert lines == full_lines and h2["summary"] == full_history["summary"]


def test_tensor_engine_bad_state_shape_refused_untouched(tmp_path):
    tr, _, _ = trained(3, engine="tensor")
    checkpoint.save_trainer(tmp_path / "t.json", tr)

    def edit(d):
        d["payload"]["optimizer"]["state"][1]["m"] = [0.0, 0.0]  # layers.0.bias is (16,)

    rewrite(tmp_path / "t.json", edit)
    ck = checkpoint.load(tmp_path / "t.json")
    tr2 = make_trainer(ck.train_config())
    before = [p.data.copy() for p in tr2.model.parameters()]
    with pytest.raises(CheckpointError, match=r"optimizer.state\[1\].m has shape \(2,\), its parameter's is \(16,\)"):
        checkpoint.restore(tr2, ck)
    assert all((a == p.data).all() for a, p in zip(before, tr2.model.parameters())) and tr2.step == 0

    rewrite(tmp_path / "t.json", lambda d: d["payload"]["model"].update({"layers.1.bias": [[0.0, 0.0, 0.0]]}))
    ck = checkpoint.load(tmp_path / "t.json")
    with pytest.raises(CheckpointError, match=r"'layers.1.bias' has shape \(1, 3\), the model's is \(3,\)"):
        checkpoint.restore(make_trainer(ck.train_config()), ck)


def test_scalar_checkpoint_is_not_a_tensor_run(saved):
    ck = checkpoint.load(saved)
    with pytest.raises(CheckpointError, match="engine: checkpoint 'scalar', trainer 'tensor'"):
        checkpoint.restore(make_trainer(ck.train_config(engine="tensor")), ck)


def test_second_ctrl_c_forces_out():
    with StopOnSignal() as stop:
        signal.raise_signal(signal.SIGINT)  # first: only noted
        assert stop.requested
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)  # second: out now


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
def test_a_signal_mid_step_abandons_it_and_the_run_continues_bit_for_bit(engine):
    full, _ = run_lines(cfg(engine=engine))
    tr = make_trainer(cfg(engine=engine))
    real_loss, lines = tr.engine.loss, []

    def loss_then_signal(model, split):  # the signal arrives inside step 5's forward pass
        out = real_loss(model, split)
        if tr.step == 5:
            signal.raise_signal(signal.SIGHUP)
        return out

    tr.engine.loss = loss_then_signal
    with StopOnSignal(trainer=tr) as stop:
        with pytest.raises(TrainingInterrupted) as info:
            fit(trainer=tr, out=lines.append, callbacks=[stop.callback])
    assert stop.signum == signal.SIGHUP and info.value.step == 4 and tr.step == 5  # step 5 abandoned
    assert all(float(p.grad if engine == "scalar" else p.grad.max()) == 0 for p in tr.model.parameters())
    tr.engine.loss = real_loss
    history = {"train_loss": [], "val_loss": {}}
    fit(trainer=tr, out=lines.append, history=history)
    assert lines == full  # the abandoned step left no trace
