"""micrograd._io — writing files safely: the one atomic write and the one writable-directory check.

    with atomic_write("run.ckpt.json") as f: f.write(text)     # an open file (text or "wb")
    with atomic_path("out/loss.png") as tmp: fig.savefig(tmp)   # a path, for writers that open it
    write_atomic("graph.svg", data)                             # bytes or str, in one call
    check_target("run.ckpt.json", "--save")                     # fail before a long run, not after
    check_writable_dir("out/", "--plot")

Every file the package writes (checkpoints, plots, graphs, exports) goes through `atomic_path`:
the content goes to a temporary file in the same directory (os.replace is atomic only within
one file system), is flushed and fsync'd, then replaces the target, and the directory is
fsync'd so the rename itself survives a crash. An error or a crash mid-write leaves the old
file (or no file), never a half-written one. Layer L0: the standard library only.

Messages name the user's path, never the temporary one: "cannot save to 'x': ...",
"cannot write 'x': ..." (`verb` says which).
"""

import os
import tempfile
from contextlib import contextmanager

# ---------------------------------------------------------------------- checks


def check_path(path, name="path"):
    """`path` as a str; TypeError for a non-path, ValueError for an empty one."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike, got {type(path).__name__} {path!r}")
    path = os.fspath(path)
    if path == "":
        raise ValueError(f"{name} must not be empty")
    return path


def check_writable_dir(folder, what):
    """Raise now (before a long run) if no file can be created in `folder`.

    A file is created and removed: a read-only directory or file system is found now, not
    when the output is due. The message starts with `what` (e.g. the flag).
    """
    try:
        _probe(folder)
    except OSError as e:  # OSError(errno, ...) is PermissionError for EACCES, and so on
        raise OSError(e.errno, f"{what} {folder!r}: cannot create a file there ({e.strerror})") from None


def _probe(folder):
    fd, probe = tempfile.mkstemp(prefix=".probe.", dir=folder)
    os.close(fd)
    os.unlink(probe)


def check_target(path, name="path", probe=True, verb="save to"):
    """Raise now if `path` cannot be written: its directory is missing, it is a directory,
    or (with `probe`) no file can be created beside it. Returns its directory."""
    path = check_path(path, name)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot {verb} {path!r}: output directory {directory!r} does not exist")
    if os.path.isdir(path):  # else the temporary file is written, then os.replace fails confusingly
        raise IsADirectoryError(f"cannot {verb} {path!r}: it is a directory; give a file name")
    if probe:
        try:
            _probe(directory)
        except OSError as e:
            raise _cannot_create(e, verb, path, directory) from None
    return directory


def _cannot_create(e, verb, path, directory):
    """The OSError for a file that cannot be created beside `path`, naming the user's path
    (OSError(errno, ...) keeps the subclass: PermissionError for EACCES, and so on)."""
    return OSError(e.errno, f"cannot {verb} {path!r}: cannot create a file in {directory!r} ({e.strerror})")


# ---------------------------------------------------------------------- atomic writing


def _file_mode(path):
    """The mode `path` has, or a new file's mode under the process umask."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def _replacing(path, verb):
    """(fd, tmp): a fresh temporary file beside `path`; on a clean exit it replaces `path`.

    The caller writes through `fd` or `tmp` (and closes what it opened); on any exception the
    temporary file is removed and `path` is left as it was.
    """
    directory = check_target(path, probe=False, verb=verb)  # creating the temporary file is the probe
    path = os.fspath(path)
    base = os.path.basename(path)
    try:  # same suffix: writers that infer the format from the name still work
        fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=f".tmp{os.path.splitext(base)[1]}", dir=directory)
    except OSError as e:
        raise _cannot_create(e, verb, path, directory) from None
    try:
        os.chmod(tmp, _file_mode(path))  # mkstemp makes it private (0600); give it a normal file's mode
        yield fd, tmp
        with open(tmp, "rb+") as f:  # the writer may have closed it: reopen to fsync
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)  # make the rename itself durable


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path, verb="write"):
    """Yield a temporary path next to `path` (same suffix); on success it becomes `path`.

    with atomic_path("out/loss.png") as tmp:
        fig.savefig(tmp)
    """
    with _replacing(path, verb) as (fd, tmp):
        os.close(fd)
        yield tmp


@contextmanager
def atomic_write(path, mode="w", verb="save to"):
    """Open a temporary file next to `path` ("w": UTF-8 text, "wb": bytes); on a clean exit
    it replaces `path` atomically."""
    with _replacing(path, verb) as (fd, tmp):
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()


def write_atomic(path, data, verb="write"):
    """Write bytes or str to `path` atomically (text as UTF-8); returns the path."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    with atomic_write(path, "wb", verb=verb) as f:
        f.write(data)
    return os.fspath(path)
