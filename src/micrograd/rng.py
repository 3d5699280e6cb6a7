"""micrograd.rng — the seed's deterministic random number generator.

`RNG` is the xorshift* generator of the seed program, bit-exact for any integer seed:
the same seed gives the same stream here, in the seed program, and in the course's C
and JavaScript versions. It is the only source of randomness in micrograd; pass one in
(`MLP(2, [16, 3], rng=RNG(42))`) and a run is reproducible.

Without `rng=`, models draw from the global generator, which follows Python's `random`:
seeded from OS entropy when micrograd is imported (each program gets other weights), and
reproducible after `micrograd.manual_seed(s)`; `initial_seed()` says which seed it has.

Beyond the seed's three methods (`random_u32`, `random`, `uniform`) it has the helpers
users expect from Python's `random` module, all built on `random()` so they stay
deterministic: `randint`, `choice`, `shuffle`, `gauss` (alias `normal`), and
`getstate`/`setstate` for checkpoints.
"""

import math
import os

_U64 = 0xFFFFFFFFFFFFFFFF
_U32 = 0xFFFFFFFF


class RNG:
    """xorshift* generator; `RNG(42)` is the seed's `random = RNG(42)`.

    Any int is accepted and gives the seed program's stream for it, including the
    degenerate seed 0 (xorshift maps 0 to 0: every draw is 0).
    """

    __slots__ = ("state",)

    def __init__(self, seed=42):
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"RNG(seed) expects an int, got {type(seed).__name__} {seed!r}")
        self.state = seed

    # ---------------------------------------------------------------- the seed's methods
    def random_u32(self):
        """Next 32-bit unsigned integer (xorshift* with the seed's constants)."""
        # & _U64 is the cast to uint64 in C, & _U32 the cast to uint32
        self.state ^= (self.state >> 12) & _U64
        self.state ^= (self.state << 25) & _U64
        self.state ^= (self.state >> 27) & _U64
        return ((self.state * 0x2545F4914F6CDD1D) >> 32) & _U32

    def random(self):
        """Float in [0, 1) with 24 random bits (a float32's worth)."""
        return (self.random_u32() >> 8) / 16777216.0

    def uniform(self, a=0.0, b=1.0):
        """Float in [a, b): `a + (b - a) * random()`."""
        return a + (b - a) * self.random()

    # ---------------------------------------------------------------- helpers
    def randint(self, a, b):
        """Integer in [a, b], both ends included (as Python's `random.randint`)."""
        for name, v in (("a", a), ("b", b)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"randint() expects int bounds, got {name}={v!r}")
        if b < a:
            raise ValueError(f"randint() needs a <= b, got a={a}, b={b}")
        span = b - a + 1
        if span > 1 << 32:
            raise ValueError(f"randint() supports ranges of at most 2**32 values, got {span}")
        # rejection sampling on 32-bit draws: no modulo bias
        limit = (1 << 32) - (1 << 32) % span
        while True:
            r = self.random_u32()
            if r < limit:
                return a + r % span

    def choice(self, seq):
        """One element of a non-empty sequence, uniformly."""
        if len(seq) == 0:
            raise IndexError("choice() from an empty sequence")
        return seq[self.randint(0, len(seq) - 1)]

    def shuffle(self, x):
        """Shuffle a list in place (Fisher-Yates, from the end as Python's `random.shuffle`)."""
        for i in range(len(x) - 1, 0, -1):
            j = self.randint(0, i)
            x[i], x[j] = x[j], x[i]

    def gauss(self, mu=0.0, sigma=1.0):
        """Normal deviate (Box-Muller on two `random()` draws; no cached second value)."""
        if sigma < 0:
            raise ValueError(f"gauss() needs sigma >= 0, got sigma={sigma}")
        u1 = 1.0 - self.random()  # in (0, 1]: log() is finite
        u2 = self.random()
        return mu + sigma * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    normal = gauss

    # ---------------------------------------------------------------- state
    def getstate(self):
        """The whole state, an int (JSON-friendly)."""
        return self.state

    def setstate(self, state):
        """Restore a state from `getstate()`."""
        if isinstance(state, bool) or not isinstance(state, int):
            raise TypeError(f"setstate() expects an int from getstate(), got {state!r}")
        self.state = state

    def __repr__(self):
        return f"RNG(state={self.state})"


# ---------------------------------------------------------------- the global generator
# used when no `rng=` is passed (as torch's default generator), but seeded as Python's `random`:
# a fixed default seed would give every program the same "random" weights without saying so


def _entropy_seed():
    """A 64-bit seed from the OS; never 0 (xorshift's fixed point: every draw would be 0)."""
    return int.from_bytes(os.urandom(8), "little") or 1


_initial_seed = _entropy_seed()
_global_rng = RNG(_initial_seed)


def global_rng():
    """The generator `Neuron`/`Layer`/`MLP` draw from when given no `rng=`."""
    return _global_rng


def manual_seed(seed):
    """Reseed the global generator (PyTorch's `torch.manual_seed`): `manual_seed(42)` makes the
    models built without `rng=` the same in every run. Returns the generator."""
    global _initial_seed
    _global_rng.state = RNG(seed).state  # RNG() checks the seed; the object stays the same
    _initial_seed = seed
    return _global_rng


def initial_seed():
    """The seed of the global generator: `manual_seed`'s last argument, else the one drawn from
    the OS at import (`manual_seed(initial_seed())` replays a program's draws)."""
    return _initial_seed
