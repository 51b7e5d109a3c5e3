"""Bad input: the one exception (``InputError``, owned by the lowest layer, kernels) and the checks
that raise it. The base of the estimator's layers: every layer may import it; it imports no layer
above kernels. The CLI turns an InputError into one line and exit code 2."""

from __future__ import annotations

from computesim.kernels.errors import InputError

__all__ = ["SHOWN", "InputError", "require_fraction", "require_positive", "shown"]

SHOWN = 40  #: characters of a value quoted back in a message (longer ones are cut, with "...")


def shown(value: object, limit: int = SHOWN) -> str:
    """``repr`` of ``value`` as text for messages, cut to ``limit`` characters ("'abc'... (N characters)")."""
    text = value if isinstance(value, str) else str(value)
    return (
        repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"
    )


def require_positive(field: str, value: float) -> float:
    """Return ``value`` as float if finite and > 0, else raise InputError naming ``field``."""
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(field, f"not a number: {shown(value)}") from None
    if x != x:
        raise InputError(field, "is NaN")
    if x in (float("inf"), float("-inf")):
        raise InputError(field, "must be finite")
    if x <= 0:
        raise InputError(field, f"must be positive, got {x:g}")
    return x


def require_fraction(field: str, value: float) -> float:
    """A utilization-like factor: finite, > 0 and <= 1."""
    x = require_positive(field, value)
    if x > 1:
        raise InputError(field, f"must be at most 1, got {x:g}")
    return x
