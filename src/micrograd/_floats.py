"""micrograd._floats — Python floats with PyTorch's rules: what may become one, and powers.

The scalar engine's ops compute on Python floats; these two helpers hold the cases where
Python and PyTorch differ (bools are not numbers, an overflowing power is inf, not an
OverflowError) and give the clear errors the engine raises.
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


def real_pow(base, exponent, op):
    """base ** exponent on floats with PyTorch's edge rules and clear errors."""
    try:
        out = base**exponent
    except OverflowError:  # IEEE says inf, as PyTorch does; Python raises instead
        odd = exponent == int(exponent) and int(exponent) % 2 == 1
        return -math.inf if base < 0 and odd else math.inf
    except ZeroDivisionError:
        raise ZeroDivisionError(f"{op}: 0.0 cannot be raised to a negative power, got {base!r} ** {exponent!r}") from None
    if type(out) is complex:
        raise ValueError(f"{op}: a fractional power of a negative number is not real, got {base!r} ** {exponent!r}")
    return out
