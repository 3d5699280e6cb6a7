"""micrograd._floats — Python floats with PyTorch's rules: what may become one, and powers.

The scalar engine's ops compute on Python floats; these two helpers hold the cases where
Python and PyTorch differ (bools are not numbers, an overflowing power is inf, not an
OverflowError) and give the clear errors the engine raises. An int exponent too big for a
float (`x ** 10**400`) follows the contract of `x ** 1e308`: inf where the power grows,
0.0 where it shrinks, +-1 for a base of +-1, the sign from the exponent's parity.
"""

import math
import numbers


def as_float(data, what="Value(data)"):
    """A Python float from a real number; bools, strings, complex, None are refused."""
    if type(data) is float:
        return data
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        raise TypeError(f"{what} expects a real number (int or float), got {type(data).__name__} {data!r}")
    try:
        return float(data)
    except OverflowError:
        raise OverflowError(f"{what}: {type(data).__name__} too large for a float (about {len(str(abs(data)))} digits)") from None


def is_finite_number(v):
    """True for an int or float that is a finite float (not a bool, not an int too large for a float:
    `math.isfinite(10**400)` raises OverflowError, so a JSON or Python caller's huge int is checked here)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def real_pow(base, exponent, op):
    """base ** exponent on floats with PyTorch's edge rules and clear errors."""
    try:
        out = base**exponent
    except OverflowError:  # IEEE says inf, as PyTorch does; Python raises instead
        if isinstance(exponent, int) and not _fits_float(exponent):
            return _huge_int_pow(base, exponent, op)
        odd = exponent == int(exponent) and int(exponent) % 2 == 1
        return -math.inf if base < 0 and odd else math.inf
    except ZeroDivisionError:
        raise ZeroDivisionError(f"{op}: 0.0 cannot be raised to a negative power, got {base!r} ** {exponent!r}") from None
    if type(out) is complex:
        raise ValueError(f"{op}: a fractional power of a negative number is not real, got {base!r} ** {exponent!r}")
    return out


def _fits_float(n):
    try:
        float(n)
    except OverflowError:
        return False
    return True


def _huge_int_pow(base, exponent, op):
    """base ** exponent for an int exponent beyond a float: the limit x ** 1e308 tends to, signed
    by the exponent's parity (Python raises "int too large to convert to float")."""
    mag = abs(base)
    if mag != mag:
        return math.nan
    if mag == 0 and exponent < 0:
        raise ZeroDivisionError(
            f"{op}: 0.0 cannot be raised to a negative power, got {base!r} ** -(an int of {len(str(-exponent))} digits)"
        )
    out = 1.0 if mag == 1 else math.inf if (mag > 1) == (exponent > 0) else 0.0
    return -out if math.copysign(1.0, base) < 0 and exponent % 2 == 1 else out


def pow_slope(base, exponent):
    """exponent * base ** (exponent - 1) where the power overflows: +-inf, or 0.0 where it vanishes
    (for an int exponent beyond a float too, where the product itself cannot be formed)."""
    part = real_pow(base, exponent - 1, "pow")
    try:
        return exponent * part
    except OverflowError:  # a huge int times a float: the exponent counts as +-inf
        return 0.0 if part == 0 else (math.inf if exponent > 0 else -math.inf) * part
