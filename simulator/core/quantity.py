"""Input quantities: a point, or an upper bound ("< 0.0007 pfs-days").

Every factor of an estimate holds a Quantity. ``.point`` is the single number the point estimate
uses. Distributions (ranges, families) subclass Quantity in ``computesim.core.distributions``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from computesim.core import units
from computesim.core.errors import InputError, require_fraction, require_positive


class Quantity:
    """Base of every input value. Subclasses set ``point`` (float, canonical units)."""

    point: float

    @property
    def is_point(self) -> bool:
        return False

    def describe(self, unit: str = "") -> str:
        return f"{units.sig(self.point)}{(' ' + unit) if unit else ''}"

    def to_json(self):
        return self.point


@dataclass(frozen=True)
class Point(Quantity):
    """A known number."""

    point: float

    @property
    def is_point(self) -> bool:
        return True


@dataclass(frozen=True)
class UpperBound(Quantity):
    """A value known only to be at most ``point`` (``strict``: less than)."""

    point: float
    strict: bool = True

    def describe(self, unit: str = "") -> str:
        return ("< " if self.strict else "<= ") + super().describe(unit)

    def to_json(self):
        return {"upper_bound": self.point, "strict": self.strict}


_BOUND = re.compile(r"^\s*(<=?|≤)\s*(.+)$")


def parse_quantity(text: str | float | Quantity, kind: str, field: str, bounds: bool = False) -> Quantity:
    """Parse user text into a Quantity of canonical units (see units.parse for ``kind``).

    Accepts a number with an optional unit ("5.5 days"), a range or distribution ("5 to 6 days",
    "loguniform(1, 10)": see ``computesim.core.distributions``) and, if ``bounds``, an upper bound
    ("< 0.0007 pfs-days"). Values must be positive and finite; InputError names ``field`` otherwise.
    """
    if isinstance(text, Quantity):
        return text
    text = units.scalar(text, field)
    if isinstance(text, str):
        from computesim.core.distributions import is_distribution_text, parse_distribution

        if is_distribution_text(text):
            return parse_distribution(text, kind, field)
        m = _BOUND.match(text)
        if m:
            if not bounds:
                raise InputError(field, f"an upper bound ({units.shown(text)}) is not accepted here")
            value = require_positive(field, units.parse(m.group(2), kind, field))
            return UpperBound(value, strict=m.group(1) == "<")
    return Point(require_positive(field, units.parse(text, kind, field)))


def require_fraction_quantity(field: str, q: Quantity) -> Quantity:
    """``q`` if it is a fraction in (0, 1] (a distribution: over its whole range), else InputError.

    Used for utilization in estimates, bands and sweeps; see distributions.require_fraction_dist.
    """
    require_fraction(field, q.point)
    if hasattr(q, "ppf"):
        from computesim.core.distributions import require_fraction_dist

        require_fraction_dist(field, q)  # type: ignore[arg-type]
    return q
