"""The whole analysis of a table of systems: the window's fit, eras (at given breaks, or found from
the data with ``breaks="auto"``), the break test, and the large-scale and regular-scale trends.

With a large-scale rule, eras are looked for among the regular-scale systems of the window (the
large-scale systems are a separate trend); the JSON says which points were used.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from computesim.core.inputs import check_seed
from computesim.errors import InputError
from computesim.trends.eras import Eras, find_eras
from computesim.trends.fit import (
    DEFAULT_BOOT,
    DEFAULT_LEVEL,
    DEFAULT_NOISE,
    MAX_BOOT,
    FitData,
    TrendFit,
    _span,
    break_test,
    fit_data,
    fit_trend,
    json_ready,
)
from computesim.trends.large_scale import LargeRule, LargeScale, large_scale


@dataclass
class TrendFits:
    """Fit over the window, eras, break test, eras found from the data, large-scale trends."""

    overall: TrendFit
    eras: list[TrendFit]
    break_test: dict[str, Any] | None
    large: LargeScale | None
    n_bounds_excluded: int
    include_bounds: bool
    found: Eras | None = None
    data: FitData | None = field(default=None, repr=False)  #: the points fitted (bounds excluded)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (plain types, NaN/inf as None): the window's fit, eras, break test,
        eras found from the data (``breakpoints``) and the large-scale selection with both fits."""
        out = self.overall.summary()
        out["upper_bounds_excluded"] = self.n_bounds_excluded
        out["upper_bounds"] = (
            "included as points" if self.include_bounds else "excluded from the fit"
        )
        out["eras"] = [e.summary() for e in self.eras]
        out["break_test"] = self.break_test
        out["breakpoints"] = None if self.found is None else self.found.to_dict()
        out["large_scale"] = None if self.large is None else self.large.to_dict()
        return json_ready(out)


def _check_options(n_boot: int, seed: int, noise_factor: float) -> None:
    """InputError for a seed outside 0..2**64-1, too many resamples, a non-finite noise factor."""
    check_seed(seed)
    if (
        not isinstance(n_boot, (int, np.integer))
        or isinstance(n_boot, bool)
        or not 100 <= n_boot <= MAX_BOOT
    ):
        raise InputError("n_boot", f"must be a whole number from 100 to {MAX_BOOT}, got {n_boot!r}")
    if not (math.isfinite(noise_factor) and noise_factor >= 1):
        raise InputError("noise_factor", f"must be a finite factor >= 1, got {noise_factor}")


def _rule(large: LargeRule | None, large_threshold: float | None) -> LargeRule | None:
    if large is not None and large_threshold is not None:
        raise InputError("large_threshold", "give a LargeRule or a threshold, not both")
    if large_threshold is not None:
        if not math.isfinite(large_threshold):
            raise InputError(
                "large_threshold",
                f"must be a finite number of orders of magnitude, got {large_threshold}",
            )
        return LargeRule("residual", oom=float(large_threshold))
    return large


def analyse(
    table,
    *,
    start: float = -math.inf,
    end: float = math.inf,
    breaks: Sequence[float] | str = (),
    large: LargeRule | None = None,
    large_threshold: float | None = None,
    include_bounds: bool = False,
    n_boot: int = DEFAULT_BOOT,
    seed: int = 0,
    level: float = DEFAULT_LEVEL,
    propagate: bool = False,
    noise_factor: float = DEFAULT_NOISE,
    max_breaks: int = 2,
) -> TrendFits:
    """Fit the window, each era between ``breaks`` (decimal years; ``"auto"``: found from the
    data, up to ``max_breaks``), and the large-scale subset by ``large`` (``large_threshold``:
    shorthand for the one-pass residual rule with that many OOM).

    >>> from computesim.data.datasets import builtin_points
    >>> from computesim.trends.large_scale import PAPER_LARGE_FROM
    >>> r = analyse(builtin_points().table, start=2012, end=2019, large=LargeRule())
    >>> r.large.rule.rule, r.large.start == PAPER_LARGE_FROM, r.large.n_candidates
    ('zscore', True, 6)
    """
    _check_options(n_boot, seed, noise_factor)
    rule = _rule(large, large_threshold)
    if start >= end:
        raise InputError("start", f"window is empty: from {start:g} is not before to {end:g}")
    data, n_bounds = fit_data(table, include_bounds)
    in_window = (data.t >= start) & (data.t < end)
    if not in_window.any():
        raise InputError(
            "start",
            f"no data points in the window {_span(start, end)}"
            + (f" ({n_bounds} upper bounds excluded)" if n_bounds else ""),
        )
    auto = isinstance(breaks, str)
    if auto and breaks != "auto":
        raise InputError("breaks", f"dates or 'auto', got {breaks!r}")
    bks = [] if auto else sorted(float(b) for b in breaks)
    if any(not (start < b < end) for b in bks) or len(set(bks)) != len(bks):
        raise InputError(
            "breaks", f"breakpoints must be distinct and inside the window {_span(start, end)}"
        )
    rng = np.random.default_rng(seed)
    kw: dict[str, Any] = dict(
        n_boot=n_boot, seed=rng, level=level, propagate=propagate, noise_factor=noise_factor
    )
    overall = fit_trend(data, label="window", start=start, end=end, **kw)
    ls = large_scale(data, rule, start, end, **kw) if rule is not None else None
    found = None
    era_data = data
    if auto:
        keep = in_window.copy()
        if ls is not None:
            keep &= ~ls.mask
        era_data = data.subset(keep)
        found = find_eras(era_data.t, era_data.y, max_breaks=max_breaks, level=level, seed=rng)
        if ls is not None:
            found.fitted_on = "regular-scale points in the window (large-scale systems excluded)"
        bks = found.breaks
    edges = [start, *bks, end]
    eras = (
        [
            fit_trend(era_data, label=f"era {_span(a, b)}", start=a, end=b, **kw)
            for a, b in itertools.pairwise(edges)
        ]
        if bks
        else []
    )
    # a Chow test at searched breaks would overstate them: found eras carry the BIC comparison
    bt = break_test(era_data, bks, start, end) if bks and not auto else None
    return TrendFits(overall, eras, bt, ls, n_bounds, include_bounds, found, data)
