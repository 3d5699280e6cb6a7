"""micrograd.tensor._kernels — the plumbing under the tensor ops: threads and the allocator.

NumPy runs a ufunc on one core; PyTorch splits big elementwise ops across its threads.
This module holds what the tensor engine does about it, apart from the math:
  - `tanh_(a)`: np.tanh in place, split across a small thread pool when the array is big
    (the same function on every element, so the same bits as one call);
  - `fast_tanh_(a)`: tanh as 1 - 2/(exp(2a) + 1), the fused linear layer's faster twin;
  - `_parallel_rows(work, a)`: the thread split both use (and the linear layer's backward);
  - `tune_allocator()`: keep big freed arrays in glibc's heap (no page faults every step).

Environment variables (the only ones micrograd reads; each checked, never trusted blindly):
  - MICROGRAD_NUM_THREADS: threads for the big elementwise ops; a whole number >= 1, at most
    the CPUs this process may use (a bigger one is clamped to that, with a RuntimeWarning: a
    million threads made a run 27x slower); junk ("abc", "0", "-2") is ignored with a warning.
  - OMP_NUM_THREADS: the same, when MICROGRAD_NUM_THREADS is unset (its first item: OpenMP
    allows "4,2"); neither set: the CPUs this process may use.
  - MICROGRAD_TUNE_MALLOC: "0" turns `tune_allocator()` off ("1" or unset: on; anything else
    is on, with a warning); any MALLOC_* variable also turns it off (the user tuned glibc).
Each warning is given once per value.
"""

import functools
import os
import threading
import warnings

import numpy as np

# ---------------------------------------------------------------------- threads
# np.tanh is the most expensive op of an MLP step and releases the GIL, so on big arrays
# we run it on contiguous chunks in a small thread pool: the same function on every
# element, so the bits are the same as one np.tanh call.
_PARALLEL_MIN = 1 << 16  # elements; below this a thread hand-off costs more than it saves
_pool = None
_pool_lock = threading.Lock()  # two trainers in two threads may both be first to need the pool


def _cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _threads():
    """The thread count: MICROGRAD_NUM_THREADS, else OMP_NUM_THREADS, else the CPUs we may use."""
    for name in ("MICROGRAD_NUM_THREADS", "OMP_NUM_THREADS"):
        raw = os.environ.get(name)
        if raw is not None and raw.strip():
            return _thread_setting(name, raw, _cpus())
    return _cpus()


@functools.lru_cache(maxsize=16)  # read on every big op: parse (and warn about) each value once
def _thread_setting(name, raw, cpus):
    text = raw.strip().split(",")[0].strip() if name == "OMP_NUM_THREADS" else raw.strip()
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        warnings.warn(f"{name}={raw!r} is not a whole number >= 1; ignored (using {cpus} threads)", RuntimeWarning, stacklevel=2)
        return cpus
    if int(text) > cpus:
        warnings.warn(
            f"{name}={raw!r} is more than the {cpus} CPUs this process may use; using {cpus} threads",
            RuntimeWarning,
            stacklevel=2,
        )
        return cpus
    return int(text)


def _parallel_rows(work, a):
    """work(lo, hi) over two halves of a 2-D array's rows, in threads when the array is big."""
    rows = a.shape[0]
    n = _threads()
    if a.size < _PARALLEL_MIN or n < 2:
        return work(0, rows)
    step = -(-rows // n)
    for _ in _get_pool(n).map(lambda lo: work(lo, min(lo + step, rows)), range(0, rows, step)):
        pass


def _get_pool(n):
    """The shared worker pool, made once (its map() is safe to call from several threads)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            from concurrent.futures import ThreadPoolExecutor

            _pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="micrograd")
        return _pool


# ---------------------------------------------------------------------- tanh


def tanh_(a):
    """np.tanh(a, out=a) for a float64 array, split across threads when big (same bits)."""
    if a.size < _PARALLEL_MIN or not a.flags.c_contiguous:
        return np.tanh(a, out=a)
    flat = a.reshape(-1, a.shape[-1]) if a.ndim > 1 else a.reshape(-1, 1)
    _parallel_rows(lambda lo, hi: np.tanh(flat[lo:hi], out=flat[lo:hi]), flat)
    return a


def fast_tanh_(a):
    """tanh in place as 1 - 2/(exp(2a) + 1): about twice as fast as np.tanh on float64 (NumPy's
    exp is vectorized, its tanh is not), within 4e-16 of it in absolute terms (relative error
    grows only where tanh itself is tiny). Used inside the fused linear layer; the `tanh` op
    keeps np.tanh, and so do arrays too small for the difference to matter. Split across
    threads when big."""

    def work_on(blk):
        with np.errstate(over="ignore"):  # exp(2a) = inf for a > 354 gives exactly 1.0: no warning
            np.multiply(blk, 2.0, out=blk)
            np.exp(blk, out=blk)
        blk += 1.0
        np.divide(2.0, blk, out=blk)
        np.subtract(1.0, blk, out=blk)

    if a.size < _PARALLEL_MIN:  # small: one np.tanh call is cheaper than five ufunc calls
        return np.tanh(a, out=a)
    if not a.flags.c_contiguous:
        work_on(a)
        return a
    flat = a.reshape(-1, a.shape[-1]) if a.ndim > 1 else a.reshape(-1, 1)
    _parallel_rows(lambda lo, hi: work_on(flat[lo:hi]), flat)
    return a


def dtanh(h, g):
    """g * (1 - h**2), tanh's backward from its output h (2-D, as g), as one new array computed in place
    (big temporaries cost more in page faults than in flops), split across threads when big."""
    if h.size < _PARALLEL_MIN:  # small: three calls, no thread hand-off
        d = np.multiply(h, h)
        np.subtract(1.0, d, out=d)
        d *= g
        return d
    d = np.empty_like(h)

    def work(lo, hi):
        dd = d[lo:hi]
        np.multiply(h[lo:hi], h[lo:hi], out=dd)
        np.subtract(1.0, dd, out=dd)
        dd *= g[lo:hi]

    _parallel_rows(work, d)
    return d


# ---------------------------------------------------------------------- sigmoid


def sigmoid(a):
    """1 / (1 + e**-a) elementwise, a new array: the scalar engine's two branches (engine._sigmoid), so
    never an overflow (e = e**-|a|), and the same float sequence as Value.sigmoid."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# each hidden activation (micrograd.nn.ACTIVATIONS) as a NumPy function of the pre-activation, returning
# a new array: what plots and the demo evaluate over a grid of points (training uses the engines' ops)
ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": sigmoid,
    "linear": lambda z: z,
}


# ---------------------------------------------------------------------- allocator

_allocator_tuned = False


def tune_allocator():
    """Keep freed big arrays in the heap instead of handing them back to the OS (glibc only).

    A training step allocates and frees the same few multi-megabyte arrays every step.
    glibc's defaults return them to the OS each time (mmap/trim), so every step pays page
    faults on fresh memory: on a VM that is over half of an 8,000-point step. Raising the
    mmap and trim thresholds (what MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ do) keeps
    them reusable. Called by the tensor engine's back-end (micrograd.engines); skipped if
    the user set those variables or MICROGRAD_TUNE_MALLOC=0. Returns True if the settings were applied.
    """
    global _allocator_tuned
    if _allocator_tuned:
        return True
    setting = os.environ.get("MICROGRAD_TUNE_MALLOC", "").strip()
    if setting not in ("", "0", "1"):
        warnings.warn(f"MICROGRAD_TUNE_MALLOC={setting!r} is not 0 or 1; taken as 1 (tune)", RuntimeWarning, stacklevel=2)
    if setting == "0" or any(k.startswith("MALLOC_") for k in os.environ):
        return False
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        ok = libc.mallopt(M_MMAP_THRESHOLD, 32 << 20) and libc.mallopt(M_TRIM_THRESHOLD, 128 << 20)
    except (OSError, AttributeError):
        return False
    _allocator_tuned = bool(ok)
    return _allocator_tuned
