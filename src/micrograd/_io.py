"""micrograd._io — writing files safely: the one atomic write and the one writable-directory check.

    with atomic_write("run.ckpt.json") as f: f.write(text)     # an open file (text or "wb")
    with atomic_path("out/loss.png") as tmp: fig.savefig(tmp)   # a path, for writers that open it
    write_atomic("graph.svg", data)                             # bytes or str, in one call
    check_target("run.ckpt.json", "--save")                     # fail before a long run, not after
    check_writable_dir("out/", "--plot")
    raw = read_regular("run.ckpt.json", limit=256 * 2**20)     # refuses FIFOs, devices, huge files

Nothing is clobbered: a target that exists must be a regular file (a FIFO, a device, a
socket or a directory is refused: writing would hang, or replace a device node), and a
caller that says what it may replace (`may_replace(path) -> bool`, e.g. "is a checkpoint")
gets a FileExistsError for any other non-empty file. Temporary files a killed save left
beside a target (`.NAME.xxxxxxxx.tmpEXT`, our own pattern only) are removed by the next
write of that target once no live writer holds them (each writer keeps its temporary
file flock'ed while it writes).

Every file the package writes (checkpoints, plots, graphs, exports) goes through `atomic_path`:
the content goes to a temporary file in the same directory (os.replace is atomic only within
one file system), is flushed and fsync'd, then replaces the target, and the directory is
fsync'd so the rename itself survives a crash. An error or a crash mid-write leaves the old
file (or no file), never a half-written one. Layer L0: the standard library only.

Messages name the user's path, never the temporary one: "cannot save to 'x': ...",
"cannot write 'x': ..." (`verb` says which).
"""

import os
import re
import stat
import tempfile
import time
from contextlib import contextmanager

try:  # POSIX: a writer locks its temporary file, so a cleanup never removes a live one
    import fcntl
except ImportError:  # pragma: no cover - Windows: orphans are recognized by age alone
    fcntl = None

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


def check_target(path, name="path", probe=True, verb="save to", may_replace=None, overwrite=False, hint=""):
    """Raise now if `path` cannot be written: its directory is missing, it is a directory or any
    other non-regular file (a FIFO, a device), it is a non-empty file `may_replace` does not accept
    (unless `overwrite`), or (with `probe`) no file can be created beside it. Returns its directory.

    `may_replace(path) -> bool` says which existing files this writer may replace (e.g. only a
    micrograd checkpoint); without it any regular file may be. `overwrite=True` is the user's
    explicit "replace it anyway" (a flag such as --overwrite); it never allows a non-regular file.
    The refusal's message is "cannot save to 'x': it exists and is not <may_replace.kind>" (or
    `may_replace.refusal`) + `hint` (default "; refusing to replace it").
    """
    path = check_path(path, name)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot {verb} {path!r}: output directory {directory!r} does not exist")
    try:
        st = os.stat(path)  # follows a symlink: what would be written is what it points at
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise OSError(e.errno, f"cannot {verb} {path!r}: {e.strerror}") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):  # else the temporary file is written, then os.replace fails confusingly
            raise IsADirectoryError(f"cannot {verb} {path!r}: it is a directory; give a file name")
        if not stat.S_ISREG(st.st_mode):  # writing would block (FIFO) or replace a device node with a file
            raise ValueError(f"cannot {verb} {path!r}: it is {file_kind(st.st_mode)}, not a regular file")
        if may_replace is not None and not overwrite and st.st_size > 0 and not may_replace(path):
            why = (
                getattr(may_replace, "refusal", None)
                or f"it exists and is not {getattr(may_replace, 'kind', 'a file this writes')}"
            )
            raise FileExistsError(f"cannot {verb} {path!r}: {why}{hint or '; refusing to replace it'}")
    if probe:
        try:
            _probe(directory)
        except OSError as e:
            raise _cannot_create(e, verb, path, directory) from None
    return directory


def file_kind(mode):
    """'a FIFO', 'a character device', ... for a stat mode (what a message calls a non-regular file)."""
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


def read_head(path, n=4096):
    """The first `n` bytes of a regular file (b"" if it cannot be read): for `may_replace` tests."""
    try:
        return read_regular(path, limit=None, head=n)
    except (OSError, ValueError):
        return b""


def _cannot_create(e, verb, path, directory):
    """The OSError for a file that cannot be created beside `path`, naming the user's path
    (OSError(errno, ...) keeps the subclass: PermissionError for EACCES, and so on)."""
    return OSError(e.errno, f"cannot {verb} {path!r}: cannot create a file in {directory!r} ({e.strerror})")


# ---------------------------------------------------------------------- reading


def read_regular(path, limit=None, what="file", head=None):
    """The bytes of a regular file, refused at once if it is a FIFO, a device, a socket or a
    directory (or a symlink to one) and, with `limit`, if it is larger than `limit` bytes.

    The file is opened without blocking (a FIFO would wait for a writer) and checked with
    fstat on the open descriptor (no race with a rename); at most limit + 1 bytes are read,
    so a file that grows, or lies about its size, is refused too. `head`: read only the
    first `head` bytes. ValueError names the path, the kind of file or the size and the limit.
    """
    path = os.fspath(path)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"{what} {path!r} is {file_kind(st.st_mode)}, not a regular file")
        if limit is not None and st.st_size > limit:
            raise ValueError(f"{what} {path!r} is {st.st_size} bytes, over the limit of {limit} bytes")
        want = head if head is not None else (limit + 1 if limit is not None else None)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read() if want is None else f.read(want)
    finally:
        os.close(fd)
    if head is None and limit is not None and len(data) > limit:
        raise ValueError(f"{what} {path!r} is over the limit of {limit} bytes (it grew while being read)")
    return data


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
def _replacing(path, verb, check=None):
    """(fd, tmp): a fresh temporary file beside `path`; on a clean exit it replaces `path`.
    `check`: more keyword arguments for `check_target` (may_replace, overwrite, hint).

    The caller writes through `fd` or `tmp` (and closes what it opened); on any exception the
    temporary file is removed and `path` is left as it was.
    """
    directory = check_target(path, probe=False, verb=verb, **(check or {}))  # creating the temporary file is the probe
    path = os.fspath(path)
    base = os.path.basename(path)
    prefix, suffix = f".{base}.", f".tmp{os.path.splitext(base)[1]}"
    remove_orphans(directory, prefix, suffix)
    try:  # same suffix: writers that infer the format from the name still work
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
    except OSError as e:
        raise _cannot_create(e, verb, path, directory) from None
    lock = _lock(tmp)  # held until the end: a concurrent cleanup sees a live writer
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
    finally:
        if lock is not None:
            os.close(lock)
    _fsync_dir(directory)  # make the rename itself durable


# how old an unlocked temporary file must be before it counts as orphaned: a writer locks its
# file right after creating it, so only that instant needs the margin
ORPHAN_AGE = 2.0


def _lock(tmp):
    """An fd holding an exclusive flock on `tmp` (None where flock is unavailable)."""
    if fcntl is None:
        return None
    try:
        fd = os.open(tmp, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def remove_orphans(directory, prefix, suffix, min_age=ORPHAN_AGE):
    """Remove the temporary files a killed writer left in `directory`: only names of our own
    pattern (prefix + mkstemp's 8 characters + suffix), older than `min_age` seconds and not
    locked by a live writer. Returns the paths removed; errors are ignored (best effort)."""
    pattern = re.compile(re.escape(prefix) + r"[A-Za-z0-9_]{8}" + re.escape(suffix) + r"\Z")
    removed = []
    try:
        names = [n for n in os.listdir(directory) if pattern.match(n)]
    except OSError:
        return removed
    now = time.time()
    for name in names:
        tmp = os.path.join(directory, name)
        try:
            st = os.lstat(tmp)
            if not stat.S_ISREG(st.st_mode) or now - st.st_mtime < min_age:
                continue
            if fcntl is not None:
                fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while its writer lives
                    os.unlink(tmp)
                finally:
                    os.close(fd)
            else:  # pragma: no cover
                os.unlink(tmp)
            removed.append(tmp)
        except OSError:
            continue
    return removed


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
def atomic_write(path, mode="w", verb="save to", **check):
    """Open a temporary file next to `path` ("w": UTF-8 text, "wb": bytes); on a clean exit
    it replaces `path` atomically. `check`: check_target's may_replace, overwrite, hint."""
    with _replacing(path, verb, check) as (fd, tmp):
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
