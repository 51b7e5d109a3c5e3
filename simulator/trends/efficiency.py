"""Algorithmic efficiency and effective compute.

Hernandez & Brown (2020): the compute needed to reach AlexNet-level ImageNet accuracy fell 44x from
2012 to 2019, halving every 16 months (their fitted trend; the end-to-end 44x over 7 years alone
implies 15.4 months). Effective compute = physical compute x efficiency gain since a reference date:

    gain(t) = 2 ** ((t - reference) x 12 / halving_months)       t in decimal years
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from computesim.core import units
from computesim.errors import InputError, require_positive
from computesim.trends.fit import MAX_LOG10, decimal_year, json_ready, pow10_or_inf

DEFAULT_HALVING_MONTHS = 16.0  #: Hernandez & Brown (2020), fitted trend
DEFAULT_REFERENCE = 2012.0  #: start of their series (AlexNet, 2012)
SOURCE_TOTAL = (44.0, 2012.0, 2019.0)  #: 44x less compute for AlexNet-level accuracy, 2012 -> 2019
MIN_MONTHS = 0.01  #: shortest halving (or price doubling) time accepted, months (about 7 hours)


def halving_months_from_total(factor: float, years: float) -> float:
    """Halving time (months) implied by a total efficiency gain ``factor`` over ``years``."""
    require_positive("factor", factor)
    require_positive("years", years)
    if factor <= 1:
        raise InputError("factor", f"an efficiency gain must exceed 1, got {factor:g}")
    return 12.0 * years * math.log(2) / math.log(factor)


@dataclass(frozen=True)
class Efficiency:
    """An algorithmic-efficiency trend: halving time (months) and the date where the gain is 1."""

    halving_months: float = DEFAULT_HALVING_MONTHS
    reference: float = DEFAULT_REFERENCE

    def __post_init__(self) -> None:
        require_positive("Efficiency.halving_months", self.halving_months)
        if self.halving_months < MIN_MONTHS:
            raise InputError(
                "Efficiency.halving_months",
                f"must be at least {MIN_MONTHS:g}, got {self.halving_months:g}",
            )

    @property
    def oom_per_year(self) -> float:
        """log10 of the gain per year."""
        return 12.0 * math.log10(2) / self.halving_months

    def log10_gain(self, t: float | np.ndarray) -> np.ndarray:
        """log10 of the efficiency gain at decimal year(s) ``t``."""
        return self.oom_per_year * (np.asarray(t, dtype=float) - self.reference)

    def gain(self, t: float | np.ndarray) -> np.ndarray:
        """Efficiency gain at decimal year(s) ``t`` relative to ``reference`` (x; inf past float64)."""
        with np.errstate(over="ignore"):
            return 10.0 ** self.log10_gain(t)

    def effective_flop(self, flop: float | np.ndarray, t: float | np.ndarray) -> np.ndarray:
        """Effective compute (FLOP of ``reference``-era algorithms) = physical FLOP x gain(t)."""
        return np.asarray(flop, dtype=float) * self.gain(t)

    def effective_doubling_months(self, physical_oom_per_year: ArrayLike) -> np.ndarray:
        """Doubling time of effective compute when physical compute grows at the given OOM/year."""
        return (
            12.0
            * math.log10(2)
            / (np.asarray(physical_oom_per_year, dtype=float) + self.oom_per_year)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (a gain past float64 as None)."""
        f, a, b = SOURCE_TOTAL
        return json_ready(
            {
                "halving_months": self.halving_months,
                "reference_year": self.reference,
                "gain_per_year": pow10_or_inf(self.oom_per_year),
                "gain_2012_to_2019": pow10_or_inf(self.oom_per_year * (b - a)),
                "source": f"Hernandez & Brown 2020: {f:g}x from {a:g} to {b:g} "
                f"(implies {halving_months_from_total(f, b - a):.1f} months), fitted 16 months",
            }
        )


def effective_table(table, eff: Efficiency):
    """A points Table with compute replaced by effective compute (flop, bands and pfs_days x gain)."""
    import pyarrow as pa  # heavy: loaded when effective compute is asked for
    import pyarrow.compute as pc

    lg = eff.log10_gain(decimal_year(table.column("date").to_numpy(zero_copy_only=False)))
    lf = np.log10(np.asarray(table.column("flop").to_numpy(zero_copy_only=False), float))
    if lg.size and not (np.all(np.abs(lg) < MAX_LOG10) and np.all(np.abs(lf + lg) < MAX_LOG10)):
        raise InputError(
            "Efficiency.halving_months",
            f"effective compute leaves the float64 range "
            f"(gain up to 10^{float(np.max(np.abs(lg))):.4g} over the data's dates); use a longer halving time",
        )
    gain = pa.array(10.0**lg)
    for name in ("flop", "flop_low", "flop_high"):
        i = table.schema.get_field_index(name)
        table = table.set_column(i, name, pc.multiply(table.column(name), gain))
    i = table.schema.get_field_index("pfs_days")
    return table.set_column(i, "pfs_days", pc.divide(table.column("flop"), units.PFS_DAY))
