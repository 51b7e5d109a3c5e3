"""Input quantities: a point, or an upper bound ("< 0.0007 pfs-days").

Every factor of an estimate holds a Quantity. ``.point`` is the single number the point estimate
uses. Distributions (ranges, families) subclass Quantity in ``computesim.core.distributions``.
"""

from __future__ import annotations

from dataclasses import dataclass

from computesim.core import units


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
