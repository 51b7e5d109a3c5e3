"""Projections from a fitted trend: compute at a date, when a threshold is crossed, and cost.

Bands come from the fit's bootstrap refits (the uncertainty of the trend line, not the scatter of
single systems around it). Cost: the projected compute divided by a price-performance in FLOP per
dollar that itself doubles every ``doubling_months``. Every default is an explicit assumption,
printed under "assumptions" by the CLI.

Default price-performance (2018): one V100-class GPU rented at $3.06 per hour (AWS p3.2xlarge
on-demand, 2018), 125 TFLOP/s peak (fp16 tensor cores) at the source's 0.33 utilization:
125e12 x 0.33 x 3600 / 3.06 = 4.9e16 FLOP per dollar; doubling every 18 months (the source's
Moore's-law reference). The source's budget argument: a few million dollars for the largest run
in 2018, against a world hardware budget of about $1 trillion a year.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from computesim.core import units
from computesim.errors import InputError, require_positive
from computesim.trends.efficiency import MIN_MONTHS
from computesim.trends.fit import LOG10_2, TrendFit, json_ready, pow10, pow10_or_inf

#: The PricePerformance fields that must be positive, by the name messages give them.
FIELDS = {
    name: f"PricePerformance.{name}"
    for name in ("gpu_hour_usd", "peak_flop_per_s", "utilization", "doubling_months")
}


@dataclass(frozen=True)
class PricePerformance:
    """FLOP per dollar at ``year`` (decimal), doubling every ``doubling_months``."""

    gpu_hour_usd: float = 3.06
    peak_flop_per_s: float = 125e12
    utilization: float = 0.33
    year: float = 2018.0
    doubling_months: float = 18.0
    flop_per_dollar_override: float | None = None

    def __post_init__(self) -> None:
        for name, flag in FIELDS.items():
            require_positive(flag, getattr(self, name))
        if self.doubling_months < MIN_MONTHS:
            raise InputError(
                FIELDS["doubling_months"],
                f"must be at least {MIN_MONTHS:g}, got {self.doubling_months:g}",
            )
        if self.flop_per_dollar_override is not None:
            require_positive(
                "PricePerformance.flop_per_dollar_override", self.flop_per_dollar_override
            )

    @property
    def flop_per_dollar(self) -> float:
        """FLOP per dollar at ``year``."""
        if self.flop_per_dollar_override is not None:
            return self.flop_per_dollar_override
        return self.peak_flop_per_s * self.utilization * 3600.0 / self.gpu_hour_usd

    def log10_at(self, t: float | np.ndarray) -> np.ndarray:
        """log10(FLOP per dollar) at decimal year(s) ``t``."""
        return math.log10(self.flop_per_dollar) + 12.0 * LOG10_2 / self.doubling_months * (
            np.asarray(t, float) - self.year
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the fields, flop_per_dollar and how it was derived."""
        d = asdict(self)
        d["flop_per_dollar"] = self.flop_per_dollar
        d["derivation"] = (
            "given"
            if self.flop_per_dollar_override is not None
            else "peak_flop_per_s x utilization x 3600 / gpu_hour_usd (V100-class cloud GPU, 2018)"
        )
        return json_ready(d)


def year_to_iso(t: float) -> str | None:
    """Decimal year -> 'YYYY-MM-DD' (None when not finite or out of range)."""
    if not math.isfinite(t) or not (1 <= t < 9999):
        return None
    y = int(math.floor(t))
    start, end = dt.date(y, 1, 1), dt.date(y + 1, 1, 1)
    return (start + dt.timedelta(days=int((t - y) * (end - start).days))).isoformat()


def _q(a: np.ndarray, level: float) -> list[float]:
    """Percentile interval that tolerates +-inf (order statistics, no interpolation)."""
    lo = round((1 - level) / 2, 12)  # 0.025, not 0.025000000000000022 (inverted_cdf is exact)
    return [float(v) for v in np.quantile(a, [lo, 1 - lo], method="inverted_cdf")]


def compute_at(fit: TrendFit, t: float, field: str = "t") -> dict[str, Any]:
    """Compute on the trend at decimal year ``t`` (FLOP) with its band.

    InputError naming ``field`` when the line or its band at ``t`` leaves the float64 range (a date
    far from the data on a steep trend): no ``inf`` or 0 FLOP is ever returned.
    """
    what = f"the trend at {year_to_iso(t) or f'{t:g}'}"
    mid = pow10(float(fit.predict(t)), field, what)
    lo, hi = (pow10(float(v[0]), field, f"{what} (band)") for v in fit.band(t))
    return {
        "date": year_to_iso(t),
        "year": t,
        "flop": mid,
        "flop_ci": [lo, hi],
        "pfs_days": units.flop_to_pfs_days(mid),
        "pfs_days_ci": [units.flop_to_pfs_days(lo), units.flop_to_pfs_days(hi)],
    }


def _solve(
    level: float | np.ndarray, slope: float | np.ndarray, center: float, target: float
) -> np.ndarray:
    """t where level + slope (t - center) = target; +inf where the line never rises to it."""
    slope = np.asarray(slope, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = center + (target - np.asarray(level, float)) / slope
    return np.where(slope > 0, t, np.where(np.asarray(level, float) >= target, -np.inf, np.inf))


def crossing(fit: TrendFit, threshold_flop: float) -> dict[str, Any]:
    """The date the trend reaches ``threshold_flop``, with its band (inf: never, on that refit)."""
    target = math.log10(require_positive("threshold_flop", threshold_flop))
    t = float(_solve(fit.level, fit.slope, fit.center, target))
    tb = _solve(fit.boot_level, fit.boot_slope, fit.center, target)
    lo, hi = _q(tb, fit.level_ci)
    return {
        "threshold_flop": threshold_flop,
        "year": t,
        "date": year_to_iso(t),
        "year_ci": [lo, hi],
        "date_ci": [year_to_iso(lo), year_to_iso(hi)],
    }


def cost(
    fit: TrendFit, price: PricePerformance, years: list[float], budget_usd: float
) -> dict[str, Any]:
    """Cost in dollars of the run on the trend at each of ``years``, and the year it reaches ``budget_usd``."""
    require_positive("budget_usd", budget_usd)
    dl = 12.0 * LOG10_2 / price.doubling_months  # OOM/year of price-performance
    rows = []
    for y in years:
        c = compute_at(fit, y, "years")
        lp = float(price.log10_at(y))
        what = f"the cost of the trend's run in {y:g}"
        usd = [pow10(math.log10(v) - lp, "years", what) for v in [c["flop"], *c["flop_ci"]]]
        rows.append({"year": y, "flop": c["flop"], "usd": usd[0], "usd_ci": usd[1:]})
    # log10 cost(t) = line(t) - log10 P(t): a line of slope (slope - dl) through center
    lp_c = float(price.log10_at(fit.center))
    target = math.log10(budget_usd)
    t = float(_solve(fit.level - lp_c, fit.slope - dl, fit.center, target))
    tb = _solve(fit.boot_level - lp_c, fit.boot_slope - dl, fit.center, target)
    lo, hi = _q(tb, fit.level_ci)
    return {
        "budget_usd": budget_usd,
        "cost_by_year": rows,
        "budget_reached_year": t,
        "budget_reached_date": year_to_iso(t),
        "budget_reached_year_ci": [lo, hi],
        "cost_growth_per_year": pow10_or_inf(fit.slope - dl),
    }
