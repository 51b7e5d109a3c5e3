"""Algorithmic efficiency and effective compute: assumed, from the source's comparisons, or fitted.

Hernandez & Brown (2020): the compute needed to reach AlexNet-level ImageNet accuracy fell 44x from
2012 to 2019, halving every 16 months (their fitted trend; the end-to-end 44x over 7 years alone
implies 15.4 months). Effective compute = physical compute x efficiency gain since a reference date:

    gain(t) = 2 ** ((t - reference) x 12 / halving_months)       t in decimal years

``EXAMPLES`` are the source's comparisons (a factor less compute for the same result over a span);
``fit_efficiency`` fits the halving time with a bootstrap interval from points (date, compute
needed to reach a fixed level), like a compute trend; an ``Efficiency`` built from that fit
carries its bootstrap into the effective doubling time's interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from computesim.core import units
from computesim.core.inputs import check_seed
from computesim.errors import InputError, require_positive
from computesim.trends.fit import (
    DEFAULT_BOOT,
    DEFAULT_LEVEL,
    LOG10_2,
    MAX_LOG10,
    TrendFit,
    decimal_year,
    fit_data,
    fit_trend,
    json_ready,
    pow10_or_inf,
)

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
    #: bootstrap draws of the gain's OOM/year when fitted (empty: assumed, no interval)
    boot_oom_per_year: np.ndarray = field(
        default_factory=lambda: np.zeros(0), repr=False, compare=False
    )
    origin: str = "assumed"

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

    def effective_doubling_months_ci(
        self, boot_physical: np.ndarray, level: float, seed: int = 0
    ) -> list[float]:
        """Interval of the effective doubling time (months): physical slope draws (OOM/year) plus
        this efficiency's draws when fitted (paired at random: independent fits), else its point."""
        phys = np.asarray(boot_physical, float)
        eff = self.boot_oom_per_year
        if eff.size:
            rng = np.random.default_rng(seed)
            eff = eff[rng.integers(0, eff.size, phys.size)]
        else:
            eff = np.full(phys.size, self.oom_per_year)
        a = round((1 - level) / 2, 12)
        lo, hi = np.quantile(phys + eff, [a, 1 - a])
        return [
            12 * LOG10_2 / hi if hi > 0 else math.inf,
            12 * LOG10_2 / lo if lo > 0 else math.inf,
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (a gain past float64 as None)."""
        f, a, b = SOURCE_TOTAL
        return json_ready(
            {
                "origin": self.origin,
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


@dataclass(frozen=True)
class Comparison:
    """One of the source's comparisons: ``factor`` x less compute for the same result over ``years``."""

    name: str
    factor: float
    years: float
    note: str

    @property
    def halving_months(self) -> float:
        """The halving time the comparison implies (months)."""
        return halving_months_from_total(self.factor, self.years)

    def to_dict(self) -> dict[str, Any]:
        return json_ready(
            {
                "comparison": self.name,
                "factor": self.factor,
                "years": self.years,
                "implied_halving_months": self.halving_months,
                "note": self.note,
            }
        )


#: Hernandez & Brown (2020), "Measuring the Algorithmic Efficiency of Neural Networks".
EXAMPLES = (
    Comparison("AlexNet-level ImageNet", 44.0, 7.0, "2012 to 2019; the source fits 16 months"),
    Comparison("ResNet-50-level ImageNet", 10.0, 4.0, "training compute"),
    Comparison("WMT'14 En-Fr: Transformer vs seq2seq", 61.0, 3.0, "2014 to 2017"),
    Comparison("Go: AlphaZero vs AlphaGo Zero", 8.0, 1.0, ""),
    Comparison("Dota: OpenAI Five Rerun vs OpenAI Five", 5.0, 0.25, "3 months"),
    Comparison("ImageNet inference efficiency", 18.0, 5.0, ""),
)
EXAMPLES_SOURCE = (
    "Hernandez & Brown 2020, Measuring the Algorithmic Efficiency of Neural Networks "
    "(arXiv 2005.04305)"
)


@dataclass
class EfficiencyFit:
    """A fitted efficiency trend: log10(compute to reach a fixed level) on date, falling."""

    fit: TrendFit
    n_skipped: int = 0

    @property
    def halving_months(self) -> float:
        return -self.fit.doubling_months

    def halving_months_ci(self) -> list[float]:
        """Interval of the halving time (months); inf where the slope interval reaches 0."""
        lo, hi = self.fit.slope_ci()
        return [
            -12 * LOG10_2 / lo if lo < 0 else math.inf,
            -12 * LOG10_2 / hi if hi < 0 else math.inf,
        ]

    def efficiency(self, reference: float = DEFAULT_REFERENCE) -> Efficiency:
        """The fitted trend as an Efficiency (its bootstrap carried into effective intervals)."""
        if self.fit.slope >= 0:
            raise InputError("data", "the compute needed does not fall: no halving time")
        return Efficiency(self.halving_months, reference, -self.fit.boot_slope, "fitted from data")

    def to_dict(self) -> dict[str, Any]:
        s = self.fit.summary()
        return json_ready(
            {
                "halving_months": self.halving_months,
                "halving_months_ci": self.halving_months_ci(),
                "gain_per_year": pow10_or_inf(-self.fit.slope),
                "n_points": s["n_points"],
                "data_from": s["data_from"],
                "data_to": s["data_to"],
                "ci_level": s["ci_level"],
                "n_boot": s["n_boot"],
                "residual_sd_oom": s["residual_sd_oom"],
                "method": "least squares of log10(compute to reach the level) on date; "
                "percentile bootstrap over points",
            }
        )


def fit_efficiency(
    table,
    *,
    start: float = -math.inf,
    end: float = math.inf,
    n_boot: int = DEFAULT_BOOT,
    seed: int = 0,
    level: float = DEFAULT_LEVEL,
) -> EfficiencyFit:
    """Fit the halving time of the compute needed to reach a fixed level from a points Table
    (date, compute needed; upper bounds excluded), with a bootstrap interval.

    >>> import datetime as dt
    >>> from computesim.data.datasets import make_table
    >>> rows = [
    ...     {"system": str(y), "date": dt.date(y, 1, 1), "flop": 1e18 / 2 ** (y - 2012)}
    ...     for y in range(2012, 2020)
    ... ]
    >>> round(fit_efficiency(make_table(rows), n_boot=200).halving_months, 6)  # halves yearly
    12.0
    """
    check_seed(seed)
    data, _ = fit_data(table)
    f = fit_trend(
        data, label="efficiency", start=start, end=end, n_boot=n_boot, seed=seed, level=level
    )
    return EfficiencyFit(f)
