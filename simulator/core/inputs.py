"""User input to Quantities: a number with a unit, an upper bound ("< 0.0007 pfs-days") or a range
or distribution ("5 to 6 days"), in canonical units; fractions checked over their whole range;
whole numbers and random seeds (one parser for every command)."""

from __future__ import annotations

import math
import numbers
import re

from computesim.core import units
from computesim.core.distributions import (
    Distribution,
    is_distribution_text,
    parse_distribution,
    require_fraction_dist,
)
from computesim.core.quantity import Point, Quantity, UpperBound
from computesim.errors import InputError, require_fraction, require_positive, shown

_BOUND = re.compile(r"^\s*(<=?|≤)\s*(.+)$")


def parse_quantity(
    text: str | float | Quantity, kind: str, field: str, bounds: bool = False
) -> Quantity:
    """Parse user text into a Quantity of canonical units (see units.parse for ``kind``).

    Accepts a number with an optional unit ("5.5 days"), a range or distribution ("5 to 6 days",
    "loguniform(1, 10)": see ``computesim.core.distributions``) and, if ``bounds``, an upper bound
    ("< 0.0007 pfs-days"). Values must be positive and finite; InputError names ``field`` otherwise.
    """
    if isinstance(text, Quantity):
        return text
    text = units.scalar(text, field)
    if isinstance(text, str):
        if is_distribution_text(text):
            return parse_distribution(text, kind, field)
        m = _BOUND.match(text)
        if m:
            if not bounds:
                raise InputError(
                    field, f"an upper bound ({units.shown(text)}) is not accepted here"
                )
            value = require_positive(field, units.parse(m.group(2), kind, field))
            return UpperBound(value, strict=m.group(1) == "<")
    return Point(require_positive(field, units.parse(text, kind, field)))


def require_fraction_quantity(field: str, q: Quantity) -> Quantity:
    """``q`` if it is a fraction in (0, 1] (a distribution: over its whole range), else InputError.

    Used for utilization in estimates, bands and sweeps; see distributions.require_fraction_dist.
    """
    require_fraction(field, q.point)
    if isinstance(q, Distribution):
        require_fraction_dist(field, q)
    return q


SEED_LIMIT = 2**64  #: seeds are 0 <= seed < 2**64 (Philox keys and numpy's generators take 64 bits)
_WHOLE_CHARS = 40  #: longest whole-number text accepted (2**64 has 20 digits)


def _range(minimum: int, maximum: int | None) -> str:
    """'>= 1', 'in 1 .. 1e+10' or 'in 0 .. 2**64 - 1' for messages."""
    if maximum is None:
        return f">= {minimum}"
    top = "2**64 - 1" if maximum == SEED_LIMIT - 1 else f"{maximum:.4g}"
    return f"in {minimum} .. {top}"


def parse_whole(text: str | int, field: str, minimum: int = 0, maximum: int | None = None) -> int:
    """A whole number from user text: digits exactly ('18446744073709551615', '1_000', '1,000')
    or a float form that is whole ('1e6'); InputError naming ``field`` unless
    ``minimum`` <= value (<= ``maximum``)."""
    if isinstance(text, bool):
        raise InputError(field, f"expected a whole number, got {text!r}")
    s = str(text).strip().replace(",", "").replace("_", "")
    if len(s) > _WHOLE_CHARS:
        raise InputError(field, f"expected a whole number, got {shown(text)}")
    try:
        v = int(s) if s.lstrip("+-").isdigit() and s.isascii() else float(s)
    except (ValueError, OverflowError):
        raise InputError(field, f"expected a whole number, got {shown(text)}") from None
    if isinstance(v, float) and not (math.isfinite(v) and v == int(v)):
        raise InputError(
            field, f"must be a whole number {_range(minimum, maximum)}, got {shown(text)}"
        )
    v = int(v)
    if v < minimum or (maximum is not None and v > maximum):
        raise InputError(
            field, f"must be a whole number {_range(minimum, maximum)}, got {shown(text)}"
        )
    return v


def parse_seed(text: str | int, field: str = "seed") -> int:
    """A random seed from user text: a whole number 0 <= seed < 2**64 (see ``parse_whole``)."""
    return parse_whole(text, field, 0, SEED_LIMIT - 1)


def check_seed(seed: object, field: str = "seed") -> int:
    """``seed`` as an int if it is an integer (Python or NumPy) with 0 <= seed < 2**64, else
    InputError naming ``field``."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise InputError(field, f"must be a whole number, got {shown(repr(seed))[1:-1]}")
    if not 0 <= int(seed) < SEED_LIMIT:
        raise InputError(
            field, f"must be in 0 .. 2**64 - 1 (18446744073709551615), got {int(seed)}"
        )
    return int(seed)
