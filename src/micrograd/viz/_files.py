"""micrograd.viz._files — writing output files atomically.

Every image or text file the viz package writes goes through `atomic_path`: the
content is written to a temporary file in the same directory, flushed to disk, then
moved over the target with `os.replace`. A crash or an error mid-write leaves the old
file (or no file), never a half-written one.
"""

import os
import tempfile
from contextlib import contextmanager


def _file_mode(path):
    """The mode `path` has, or a new file's mode under the process umask."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def atomic_path(path):
    """Yield a temporary path next to `path` (same suffix, so writers that infer the
    format from the name still work); on success it becomes `path`.

        with atomic_path("out/loss.png") as tmp:
            fig.savefig(tmp)
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"output directory does not exist: {folder!r} (for {path!r})")
    if os.path.isdir(path):  # else the temp file is written, then os.replace fails with a confusing message
        raise IsADirectoryError(f"cannot write {path!r}: it is a directory; give a file name")
    base = os.path.basename(path)
    suffix = os.path.splitext(base)[1]
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=f".tmp{suffix}", dir=folder)
    except OSError as e:  # name the user's path, not our temporary one (OSError(errno, ...) keeps the subclass)
        raise OSError(e.errno, f"cannot write {path!r}: cannot create a file in {folder!r} ({e.strerror})") from None
    os.close(fd)
    os.chmod(tmp, _file_mode(path))  # mkstemp makes it private (0600); give it a normal file's mode
    try:
        yield tmp
        with open(tmp, "rb+") as f:  # the writer may have closed it: reopen to fsync
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check_writable_dir(folder, what):
    """Raise now (before a long run) if no file can be created in `folder`."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".probe.", dir=folder)
    except OSError as e:
        raise OSError(e.errno, f"{what} {folder!r}: cannot create a file there ({e.strerror})") from None
    os.close(fd)
    os.unlink(probe)


def write_atomic(path, data):
    """Write bytes or str to `path` atomically (text as UTF-8)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
    return os.fspath(path)
