"""User input to Quantities: a number with a unit, an upper bound ("< 0.0007 pfs-days") or a range
or distribution ("5 to 6 days"), in canonical units; fractions checked over their whole range."""

from __future__ import annotations

import re

from computesim.core import units
from computesim.core.distributions import (
    Distribution,
    is_distribution_text,
    parse_distribution,
    require_fraction_dist,
)
from computesim.core.quantity import Point, Quantity, UpperBound
from computesim.errors import InputError, require_fraction, require_positive

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
