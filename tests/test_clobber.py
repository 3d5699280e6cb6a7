"""Nothing lost, nothing clobbered: what the package refuses to write over or to read
(micrograd._io.check_target / read_regular, checkpoint.save/load, export, the CLI's flags),
and the cleanup of the temporary files a killed save leaves behind."""

import os
import stat
import time

import pytest

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
