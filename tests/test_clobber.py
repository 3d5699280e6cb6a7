"""Nothing lost, nothing clobbered: what the package refuses to write over or to read
(micrograd._io.check_target / read_regular, checkpoint.save/load, export, the CLI's flags),
and the cleanup of the temporary files a killed save leaves behind."""

import hashlib
import json
import os
import stat
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micrograd import _io, checkpoint
from micrograd.checkpoint import CheckpointError
from micrograd.cli import main
from micrograd.train import TrainConfig, make_trainer

posix = pytest.mark.skipif(os.name != "posix", reason="FIFOs and device nodes are POSIX")


def small_trainer(steps=2):
    tr = make_trainer(TrainConfig.preset("seed", steps=steps))
    tr.train_step()
    return tr


@pytest.fixture
def ckpt(tmp_path):
    path = tmp_path / "run.ckpt.json"
    checkpoint.save_trainer(path, small_trainer())
    return path


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    return status, capsys.readouterr().err


# ---------------------------------------------------------------------- saving: never over someone else's file


def test_save_refuses_an_existing_file_that_is_not_a_checkpoint(tmp_path):
    data = tmp_path / "points.csv"
    data.write_text("x,y,label\n0,0,0\n")
    with pytest.raises(FileExistsError, match="is not a micrograd checkpoint"):
        checkpoint.save_trainer(data, small_trainer())
    assert data.read_text() == "x,y,label\n0,0,0\n"  # untouched
    checkpoint.save_trainer(data, small_trainer(), overwrite=True)  # the explicit opt-in
    assert checkpoint.load(data).step == 1


def test_save_replaces_a_checkpoint_and_an_empty_file(tmp_path, ckpt):
    checkpoint.save_trainer(ckpt, small_trainer())  # a checkpoint over a checkpoint: the normal case
    empty = tmp_path / "empty.json"
    empty.touch()
    checkpoint.save_trainer(empty, small_trainer())  # nothing to lose
    assert checkpoint.load(empty).step == 1


def test_cli_save_onto_the_runs_own_csv_is_refused_unless_overwrite(tmp_path, capsys):
    data = tmp_path / "points.csv"
    data.write_text("x,y,label\n" + "".join(f"{i / 10},{-i / 10},{i % 2}\n" for i in range(20)))
    before = data.read_bytes()
    status, err = run(capsys, "train", "--quiet", "--data", data, "--steps", "2", "--save", data)
    assert status == 2 and "is not a micrograd checkpoint (pass --overwrite to replace it)" in err
    assert data.read_bytes() == before
    other = tmp_path / "notes.txt"
    other.write_text("mine")
    status, err = run(capsys, "train", "--quiet", "--steps", "2", "--save", other, "--overwrite")
    assert status == 0 and checkpoint.load(other).step == 2


def test_cli_empty_paths_are_errors(capsys):
    for flag in ("--save", "--resume", "--log", "--plot"):
        status, err = run(capsys, "train", "--quiet", "--steps", "1", flag, "")
        assert status == 2 and f"{flag} needs a path, got ''" in err


@posix
def test_no_write_onto_a_fifo_a_device_or_a_directory(tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for target, kind in ((fifo, "a FIFO"), ("/dev/null", "a character device"), (tmp_path, "a directory")):
        with pytest.raises((ValueError, IsADirectoryError), match=kind):
            _io.check_target(target, "--save")
        with pytest.raises((ValueError, IsADirectoryError), match=kind):
            checkpoint.save_trainer(target, small_trainer(), overwrite=True)  # --overwrite never allows these
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    link = tmp_path / "null.json"
    os.symlink("/dev/null", link)
    with pytest.raises(ValueError, match="a character device"):
        checkpoint.save_trainer(link, small_trainer())
    # the log and the plots go through the same check
    status, err = run(capsys, "train", "--quiet", "--steps", "1", "--log", fifo)
    assert status == 2 and "a FIFO" in err
    status, err = run(capsys, "train", "--quiet", "--steps", "1", "--save", "/dev/null", "--overwrite")
    assert status == 2 and "a character device" in err
    os.mkfifo(tmp_path / "loss.png")
    with pytest.raises(ValueError, match="a FIFO"):
        with _io.atomic_path(tmp_path / "loss.png"):
            pass


def test_export_refuses_its_own_checkpoint_and_foreign_files(tmp_path, ckpt, capsys):
    pytest.importorskip("torch")
    before = ckpt.read_bytes()
    status, err = run(capsys, "export", ckpt, "--to", ckpt)
    assert status == 2 and "it is the checkpoint being exported" in err
    link = tmp_path / "same.pt"
    os.symlink(ckpt, link)  # the same file under another name
    status, err = run(capsys, "export", ckpt, "--to", link)
    assert status == 2 and "it is the checkpoint being exported" in err
    other = tmp_path / "other.ckpt.json"
    checkpoint.save_trainer(other, small_trainer())
    kept = other.read_bytes()
    status, err = run(capsys, "export", ckpt, "--to", other)  # another run's checkpoint: its only copy
    assert status == 2 and "it is a micrograd checkpoint (export writes a torch file" in err and other.read_bytes() == kept
    assert ckpt.read_bytes() == before
    out = tmp_path / "model.pt"
    assert run(capsys, "export", ckpt, "--to", out)[0] == 0
    assert run(capsys, "export", ckpt, "--to", out)[0] == 0  # a torch file may be replaced


# ---------------------------------------------------------------------- loading: regular files of a bounded size


@posix
def test_load_refuses_fifos_devices_and_links_to_them_at_once(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # no writer: opening it for reading would block
    link = tmp_path / "zero.json"
    os.symlink("/dev/zero", link)  # read whole, it never ends
    for path, kind in ((fifo, r"a FIFO \(named pipe\)"), ("/dev/zero", "a character device"), (link, "a character device")):
        t0 = time.monotonic()
        with pytest.raises(CheckpointError, match=f"is {kind}, not a regular file"):
            checkpoint.load(path)
        assert time.monotonic() - t0 < 2


def test_load_refuses_a_file_over_the_limit_before_reading_it(tmp_path, ckpt, monkeypatch):
    size = os.path.getsize(ckpt)
    with pytest.raises(CheckpointError, match=f"is {size} bytes, over the limit of {size - 1} bytes"):
        checkpoint.load(ckpt, max_bytes=size - 1)
    assert checkpoint.load(ckpt, max_bytes=size).step == 1
    big = tmp_path / "big.json"
    with open(big, "wb") as f:  # sparse: 300 MB on paper, nothing on disk
        f.truncate(checkpoint.MAX_BYTES + 1)
    reads = []
    real_read = _io.os.fdopen

    def spy(*a, **kw):
        reads.append(a)
        return real_read(*a, **kw)

    monkeypatch.setattr(_io.os, "fdopen", spy)
    with pytest.raises(CheckpointError, match="over the limit of 268435456 bytes"):
        checkpoint.load(big)
    assert reads == []  # refused from its size, not read


def test_read_regular_reads_at_most_limit_plus_one_bytes(tmp_path, monkeypatch):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert _io.read_regular(path, limit=10) == b"x" * 10
    monkeypatch.setattr(_io.os, "fstat", lambda fd: os.stat_result((stat.S_IFREG | 0o644, 0, 0, 1, 0, 0, 3, 0, 0, 0)))
    with pytest.raises(ValueError, match="grew while being read"):  # a file whose size lied
        _io.read_regular(path, limit=5)


# ---------------------------------------------------------------------- orphan temporary files


def orphan(directory, name, age=60):
    path = directory / name
    path.write_text("half a checkpoint")
    old = time.time() - age
    os.utime(path, (old, old))
    return path


def test_next_save_removes_the_orphans_of_a_killed_save(tmp_path):
    target = tmp_path / "run.json"
    dead = orphan(tmp_path, ".run.json.a1b2c3d4.tmp.json")
    young = orphan(tmp_path, ".run.json.zzzzzzzz.tmp.json", age=0)  # maybe a live writer's, just created
    others = [
        orphan(tmp_path, ".other.json.a1b2c3d4.tmp.json"),  # another target's
        orphan(tmp_path, ".run.json.a1b2c3d4.tmp.json.bak"),  # not our pattern
        orphan(tmp_path, "run.json.a1b2c3d4.tmp.json"),
        orphan(tmp_path, ".run.json.toolongname.tmp.json"),
    ]
    checkpoint.save_trainer(target, small_trainer())
    assert not dead.exists() and young.exists() and all(p.exists() for p in others)
    assert checkpoint.load(target).step == 1


@pytest.mark.skipif(_io.fcntl is None, reason="flock is POSIX")
def test_a_live_writers_temporary_file_is_never_removed(tmp_path):
    target = tmp_path / "run.json"
    with _io.atomic_write(target) as f:  # a save in progress (another process's would hold the same lock)
        f.write("{}")
        (tmp,) = [p for p in tmp_path.iterdir() if p.name.startswith(".run.json.")]
        old = time.time() - 600
        os.utime(tmp, (old, old))
        assert _io.remove_orphans(str(tmp_path), ".run.json.", ".tmp.json") == []
        assert tmp.exists()
    assert target.read_text() == "{}" and [p.name for p in tmp_path.iterdir()] == ["run.json"]


# ---------------------------------------------------------------------- crafted checkpoints: validated before use


def rewrite(path, edit):
    """Edit a checkpoint's JSON document and recompute its checksum (a well-formed but crafted file)."""
    doc = json.loads(path.read_text())
    edit(doc)
    if isinstance(doc, dict) and isinstance(doc.get("payload"), dict):
        canon = json.dumps(doc["payload"], sort_keys=True, separators=(",", ":"), allow_nan=True)
        doc["sha256"] = hashlib.sha256(canon.encode()).hexdigest()
    path.write_text(json.dumps(doc, allow_nan=True))


def first_state(p):
    return next(st for st in p["optimizer"]["state"] if st)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.update(version=True), "unsupported version True"),
        (lambda d: d["payload"].update(step=True), "step must be an int >= 0"),
        (lambda d: d["payload"]["optimizer"].update(t=False), "optimizer.t must be an int >= 0"),
        (lambda d: d["payload"]["optimizer"].update(t=1.5), "optimizer.t must be an int >= 0"),
        (lambda d: d["payload"]["model"].update({"layers.0.neurons.0.b": 10**400}), "too large for a float at payload.model"),
        (lambda d: d["payload"]["config"].update(lr=10**400), "too large for a float at payload.config.lr"),
        (lambda d: d["payload"]["model"].update({"layers.0.neurons.0.b": True}), "must be a number"),
        (lambda d: first_state(d["payload"]).update(v=-1.0), r"state\[\d+\].v holds -1.0: a second moment"),
        (lambda d: first_state(d["payload"]).update(m="x"), r"state\[\d+\].m must be a number"),
        (lambda d: first_state(d["payload"]).update(m=[[1.0], [2.0, 3.0]]), "ragged"),
        (lambda d: d["payload"]["optimizer"].update(type=7), "optimizer.type must be"),
        (lambda d: d["payload"]["config"].update(data=3, dataset=None), "config.data must be a non-empty string"),
        (lambda d: d["payload"].update(history={"train_loss": [], "val_loss": {"²": 1.0}}), "history must be"),
    ],
)
def test_crafted_values_are_refused(ckpt, edit, message):
    rewrite(ckpt, edit)
    with pytest.raises(CheckpointError, match=message):
        checkpoint.load(ckpt)


@pytest.mark.parametrize("engine, optimizer", [("scalar", "adamw"), ("tensor", "adamw"), ("tensor", "seed-adam")])
def test_negative_second_moments_refused_for_every_engine(tmp_path, engine, optimizer):
    tr = make_trainer(TrainConfig.preset("seed", steps=3, engine=engine, optimizer=optimizer))
    tr.train_step()
    path = tmp_path / "c.json"
    checkpoint.save_trainer(path, tr)
    key = "exp_avg_sq" if optimizer == "adamw" else "v"

    def negate(d):
        st = d["payload"]["optimizer"]["state"][0]
        st[key] = -1.0 if not isinstance(st[key], list) else [-1.0 for _ in st[key]]

    rewrite(path, negate)
    with pytest.raises(CheckpointError, match="a second moment"):
        checkpoint.load(path)


def test_a_crafted_data_path_is_never_read_out(tmp_path, ckpt, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET header\nhunter2,x\n")
    rewrite(ckpt, lambda d: d["payload"]["config"].update(data=str(secret), dataset=None))
    for argv in (
        ["train", "--resume", ckpt],
        ["plot", ckpt, "--out", tmp_path / "p"],
        ["export", ckpt, "--to", tmp_path / "m.pt"],
    ):
        status, err = run(capsys, *argv)
        assert status == 2 and "its content is not shown" in err, err
        assert "TOPSECRET" not in err and "hunter2" not in err
    if os.name == "posix":
        rewrite(ckpt, lambda d: d["payload"]["config"].update(data="/dev/zero"))
        status, err = run(capsys, "train", "--resume", ckpt)
        assert status == 2 and "'/dev/zero' is not a regular file" in err


# hypothesis: any mutation of a valid checkpoint loads, or is one CheckpointError; one that loads restores
# into its run (or is refused) and then trains a step without any other exception

MUTANTS = st.one_of(
    st.sampled_from([True, False, None, 10**400, -(10**400), 2**63, -1, 0, -1.0, 1e308, "NaN", "nan", "", "x", [], {}, [[]]]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.lists(st.floats(-1e3, 1e3), max_size=3),
    st.text(max_size=5),
)


def _paths(x, at=()):
    yield at
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _paths(v, (*at, k))
    elif isinstance(x, list):
        for i, v in enumerate(x[:3]):  # a few elements of each list: the structure, not every weight
            yield from _paths(v, (*at, i))


@pytest.fixture(scope="module")
def valid_doc(tmp_path_factory):
    path = tmp_path_factory.mktemp("valid") / "c.json"
    tr = make_trainer(TrainConfig.preset("seed", steps=3, n=20, hidden=[3]))
    tr.train_step()
    checkpoint.save_trainer(path, tr, {"train_loss": [1.0], "val_loss": {0: 1.0}, "val_accuracy": {0: 0.5}})
    doc = json.loads(path.read_text())
    return doc, sorted(_paths(doc), key=repr)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_mutation_loads_or_is_a_checkpoint_error(tmp_path, valid_doc, data):
    doc, paths = valid_doc
    doc = json.loads(json.dumps(doc))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.sampled_from(paths))
        if not at:
            continue
        parent = doc
        try:
            for k in at[:-1]:
                parent = parent[k]
            if data.draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(at[-1], None)  # drop a key
            else:
                parent[at[-1]] = data.draw(MUTANTS)  # flip a type, a big int, a NaN string...
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the path
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc, allow_nan=True))
    rewrite(path, lambda d: None)  # a valid checksum: the validation itself is tested
    try:
        ck = checkpoint.load(path)
    except CheckpointError:
        return
    try:
        tr = checkpoint.build_trainer(ck, make_trainer)
        checkpoint.restore(tr, ck)
    except CheckpointError:
        return
    if tr.step < tr.config.steps:
        try:
            tr.train_step()  # the state it loaded can be resumed
        except (OverflowError, FloatingPointError):
            pass  # huge (finite) weights overflow as a diverging run does: issue 9's divergence check, not load's
