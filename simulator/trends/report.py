"""The trend report: the fits of a set of points (window, eras, break test, large-scale subset),
projections from the window's fit, algorithmic efficiency, and the assumptions behind each figure.

``trend_report`` computes it; ``TrendReport.to_dict`` is its JSON form (what ``computesim trend
--json`` prints). Dates are decimal years (``fit.parse_when`` reads them from text).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from computesim.data.datasets import Points
from computesim.errors import InputError
from computesim.trends import projections as pj
from computesim.trends.analysis import TrendFits, analyse
from computesim.trends.efficiency import Efficiency, effective_table
from computesim.trends.fit import (
    DEFAULT_BOOT,
    DEFAULT_LEVEL,
    DEFAULT_NOISE,
    TrendFit,
    fit_trend,
    json_ready,
)
from computesim.trends.large_scale import LargeRule

DEFAULT_THRESHOLDS = (1e26,)  #: FLOP whose crossing date is reported when none is given
DEFAULT_COST_YEARS = (2018.0, 2020.0, 2025.0)  #: years at which the trend's run is priced
DEFAULT_BUDGET_USD = 1e12  #: the source's world hardware budget per year, dollars


@dataclass(frozen=True)
class TrendReport:
    """Fits of ``points`` with projections from the window's fit and their assumptions.

    >>> from computesim.data.datasets import builtin_points
    >>> d = trend_report(builtin_points(), start=2012, end=2019).to_dict()
    >>> round(d["doubling_months"], 2), [round(x, 1) for x in d["doubling_months_ci"]]
    (4.45, [2.7, 8.4])
    """

    points: Points  #: the points fitted (effective compute when ``effective``)
    fits: TrendFits
    compute_at: list[dict[str, Any]]
    crossings: list[dict[str, Any]]
    cost: dict[str, Any]
    efficiency: Efficiency
    effective: bool
    price: pj.PricePerformance
    n_boot: int
    seed: int
    level: float
    propagate: bool
    noise_factor: float
    exact_points: TrendFit | None = None  #: with ``propagate``: the window's fit, points exact

    @property
    def overall(self) -> TrendFit:
        """The fit over the whole window."""
        return self.fits.overall

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (plain types; NaN and inf as None): the fits (``TrendFits.to_dict``),
        the data's origin and skipped rows, projections, efficiency and assumptions."""
        out = self.fits.to_dict()
        if self.exact_points is not None:
            out["without_point_uncertainty"] = self.exact_points.summary()
        fit, eff = self.overall, self.efficiency
        eff_ci = eff.effective_doubling_months_ci(fit.boot_slope, fit.level_ci, self.seed)
        out |= {
            "n_skipped": self.points.n_skipped,
            "skipped": self.points.skipped,
            "data": self.points.origin,
            "projections": {
                "compute_at": self.compute_at,
                "threshold_crossing": self.crossings,
                "cost": self.cost,
                "on": "whole-window fit",
            },
            "efficiency": eff.to_dict()
            | {
                "fitted_effective_compute": self.effective,
                "effective_doubling_months": float(eff.effective_doubling_months(fit.slope)),
                "effective_doubling_months_ci": [float(v) for v in eff_ci],
            },
            "assumptions": {
                "price_performance": self.price.to_dict(),
                "budget_usd": self.cost["budget_usd"],
                "efficiency_halving_months": eff.halving_months,
                "efficiency_reference_year": eff.reference,
                "bootstrap": {
                    "resamples": self.n_boot,
                    "seed": self.seed,
                    "ci_level": self.level,
                    "method": "percentile, pairs resampled",
                },
                "point_noise": (
                    f"log-uniform within band, else /{self.noise_factor:g} to "
                    f"x{self.noise_factor:g}"
                    if self.propagate
                    else "none"
                ),
                "upper_bounds": out["upper_bounds"],
                "bands": "uncertainty of the trend line",
            },
        }
        return json_ready(out)


def skipped_text(skipped: dict[str, int]) -> str:
    """'3 rows skipped: 2 unreadable date, 1 compute not positive'."""
    return f"{sum(skipped.values())} rows skipped: " + ", ".join(
        f"{v} {k}" for k, v in skipped.items()
    )


def trend_report(
    points: Points,
    *,
    start: float = -math.inf,
    end: float = math.inf,
    breaks: Sequence[float] | str = (),
    large: LargeRule | None = None,
    large_threshold: float | None = None,
    max_breaks: int = 2,
    include_bounds: bool = False,
    n_boot: int = DEFAULT_BOOT,
    seed: int = 0,
    level: float = DEFAULT_LEVEL,
    propagate: bool = False,
    noise_factor: float = DEFAULT_NOISE,
    project: Sequence[float] = (),
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    price: pj.PricePerformance | None = None,
    efficiency: Efficiency | None = None,
    effective: bool = False,
    cost_years: Sequence[float] = DEFAULT_COST_YEARS,
    budget_usd: float = DEFAULT_BUDGET_USD,
) -> TrendReport:
    """Fit ``points`` (``analysis.analyse``: window [start, end), eras between ``breaks``, large-scale
    subset) and project from the window's fit: compute at each ``project`` year (FLOP), the date it
    crosses each of ``thresholds`` (FLOP), and the run's cost in dollars at ``cost_years`` under
    ``price`` with the year it reaches ``budget_usd``. ``effective``: fit effective compute
    (physical FLOP x ``efficiency`` gain). ``points`` is not modified.

    InputError naming the parameter for bad input; a fit without enough points says how many rows
    of the data were skipped.

    >>> from computesim.data.datasets import builtin_points
    >>> r = trend_report(
    ...     builtin_points(), start=2012, end=2019
    ... )  # AI and Compute's 2012-2018 points
    >>> r.overall.n, round(r.overall.doubling_months, 1)  # points; months per doubling
    (13, 4.5)
    """
    price = price or pj.PricePerformance()
    eff = efficiency or Efficiency()
    if effective:
        points = replace(
            points,
            table=effective_table(points.table, eff),
            origin=points.origin
            + f" (effective compute, x efficiency gain since {eff.reference:g})",
        )
    try:
        fits = analyse(
            points.table,
            start=start,
            end=end,
            breaks=breaks,
            large=large,
            large_threshold=large_threshold,
            max_breaks=max_breaks,
            include_bounds=include_bounds,
            n_boot=n_boot,
            seed=seed,
            level=level,
            propagate=propagate,
            noise_factor=noise_factor,
        )
    except InputError as exc:
        if exc.field != "data" or not points.skipped:
            raise
        raise InputError(exc.field, f"{exc.problem}; {skipped_text(points.skipped)}") from None
    fit = fits.overall
    exact = None
    if propagate and fits.data is not None:  # both fits: the same bootstrap, points kept exact
        exact = fit_trend(
            fits.data, label="window", start=start, end=end, n_boot=n_boot, seed=seed, level=level
        )
    return TrendReport(
        points=points,
        fits=fits,
        compute_at=[pj.compute_at(fit, t, "project") for t in project],
        crossings=[pj.crossing(fit, x) for x in thresholds],
        cost=pj.cost(fit, price, list(cost_years), budget_usd),
        efficiency=eff,
        effective=effective,
        price=price,
        n_boot=n_boot,
        seed=seed,
        level=level,
        propagate=propagate,
        noise_factor=noise_factor,
        exact_points=exact,
    )
