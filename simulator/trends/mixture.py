"""Large-scale and regular-scale slopes without selection bias: a mixture of two regression lines.

Why: a large-scale fit through the systems a rule selected is biased. The rule keeps a system when
it lies far enough above its neighbours, so where the two trends draw close (the regular trend
rising faster, as in the paper's data) only the large-scale systems that happen to lie high are
kept, and regular systems that happen to lie high are taken in: both steepen the large-scale line.
On ``synthetic.three_eras`` (100 seeds) the selected systems' slope is 12.4% +- 1.6% too steep (8.9
months for a true 10; 95% interval covers 70%); the mixture's is -1.9% +- 1.7% off (covers 91%).

The correction: every candidate belongs to one of two lines, y = a_k + b_k t + N(0, s_k^2), with
probabilities pi and 1 - pi; the lines, scatters and pi are fitted by maximum likelihood (EM,
started from the rule's selection), each system weighted by its posterior probability of being
large-scale instead of kept or dropped. Intervals: a pairs bootstrap of the candidates, EM run
again in each resample (started from the resampled posteriors), percentile intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from computesim.trends.fit import _doubling_ci, json_ready, months_from_slope

MAX_ITER = 500  #: EM iterations at most
TOL = 1e-6  #: EM stops when no posterior moves more than this
MIN_WEIGHT = 2.0  #: a resample whose large-scale weight sums to less is dropped (a lost component)


def _wls(t: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, ...]:
    """Row-wise weighted line fits: intercept, slope, residual variance (rows of (B, n))."""
    W = np.maximum(w.sum(axis=1), 1e-300)
    mt, my = (w * t).sum(axis=1) / W, (w * y).sum(axis=1) / W
    dt_ = t - mt[:, None]
    b = (w * dt_ * (y - my[:, None])).sum(axis=1) / np.maximum((w * dt_**2).sum(axis=1), 1e-300)
    a = my - b * mt
    s2 = (w * (y - a[:, None] - b[:, None] * t) ** 2).sum(axis=1) / W
    return a, b, np.maximum(s2, 1e-6)


def _posterior(t: np.ndarray, y: np.ndarray, r: np.ndarray) -> np.ndarray:
    """One EM step for rows of (B, n): refit both lines and pi, return the new posteriors."""
    a0, b0, s0 = _wls(t, y, 1 - r)
    a1, b1, s1 = _wls(t, y, r)
    pi = np.clip(r.mean(axis=1), 1e-9, 1 - 1e-9)
    e0 = (y - a0[:, None] - b0[:, None] * t) ** 2 / (2 * s0[:, None]) + 0.5 * np.log(s0)[:, None]
    e1 = (y - a1[:, None] - b1[:, None] * t) ** 2 / (2 * s1[:, None]) + 0.5 * np.log(s1)[:, None]
    lr = (np.log(pi) - np.log1p(-pi))[:, None] - e1 + e0  # log odds of the large-scale line
    return 1 / (1 + np.exp(-np.clip(lr, -700, 700)))


def em(t: np.ndarray, y: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EM for rows of (B, n): posteriors of the large-scale line, its slope and the regular slope
    (rows iterate until their posteriors settle, each on its own)."""
    t, y = np.atleast_2d(t), np.atleast_2d(y)
    r = np.atleast_2d(r).astype(float).copy()
    active = np.arange(r.shape[0])
    for _ in range(MAX_ITER):
        new = _posterior(t[active], y[active], r[active])
        moved = np.abs(new - r[active]).max(axis=1) >= TOL
        r[active] = new
        active = active[moved]
        if active.size == 0:
            break
    _, b0, _ = _wls(t, y, 1 - r)
    _, b1, _ = _wls(t, y, r)
    return r, b1, b0


def delta_bic(t: np.ndarray, y: np.ndarray, r: np.ndarray) -> float:
    """BIC of one line minus BIC of the two-line mixture at posteriors ``r`` (3 and 7 parameters):
    above 0 the data favour a separate large-scale line, below 0 a single trend.

    >>> t = np.linspace(2016, 2022, 60)
    >>> y = 18 + 0.6 * (t - 2016) + 2.0 * (np.arange(60) % 5 == 0)
    >>> r, _, _ = em(t, y, np.arange(60) % 5 == 0)
    >>> bool(delta_bic(t, y, r[0]) > 10)
    True
    """
    t2, y2, r2 = t[None, :], y[None, :], np.asarray(r, float)[None, :]
    a0, b0, s0 = (float(v[0]) for v in _wls(t2, y2, 1 - r2))
    a1, b1, s1 = (float(v[0]) for v in _wls(t2, y2, r2))
    pi = float(r2.mean())
    d0 = (1 - pi) * np.exp(-((y - a0 - b0 * t) ** 2) / (2 * s0)) / math.sqrt(2 * math.pi * s0)
    d1 = pi * np.exp(-((y - a1 - b1 * t) ** 2) / (2 * s1)) / math.sqrt(2 * math.pi * s1)
    ll_mix = float(np.log(np.maximum(d0 + d1, 1e-300)).sum())
    _, _, s = (float(v[0]) for v in _wls(t2, y2, np.ones_like(r2)))
    n = t.size
    ll_one = -n / 2 * (math.log(2 * math.pi * s) + 1)
    return (-2 * ll_one + 3 * math.log(n)) - (-2 * ll_mix + 7 * math.log(n))


@dataclass
class MixtureFit:
    """Both slopes (OOM/year) of the two-line mixture, with bootstrap percentile intervals."""

    slope_large: float
    slope_regular: float
    ci_large: list[float]
    ci_regular: list[float]
    share_large: float  #: fitted share of candidates on the large-scale line
    n_candidates: int
    n_boot_used: int
    level: float
    delta_bic: float = math.nan  #: one line's BIC minus the mixture's (> 0: two lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: doubling times with intervals for both lines, the share, the method."""
        return json_ready(
            {
                "method": "two-line mixture by maximum likelihood (EM from the rule's selection)",
                "large_scale_doubling_months": months_from_slope(self.slope_large),
                "large_scale_doubling_months_ci": _doubling_ci(*self.ci_large),
                "regular_scale_doubling_months": months_from_slope(self.slope_regular),
                "regular_scale_doubling_months_ci": _doubling_ci(*self.ci_regular),
                "large_scale_oom_per_year": self.slope_large,
                "large_scale_oom_per_year_ci": self.ci_large,
                "large_scale_share": self.share_large,
                "delta_bic_one_line_minus_two": self.delta_bic,
                "n_candidates": self.n_candidates,
                "ci_level": self.level,
                "n_boot_used": self.n_boot_used,
            }
        )


def mixture_fit(
    t: np.ndarray,
    y: np.ndarray,
    selected: np.ndarray,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int | np.random.Generator = 0,
) -> MixtureFit | None:
    """Fit the two-line mixture to candidates (t decimal years, y log10 FLOP), started from the
    rule's ``selected`` mask; None when either set has fewer than 3 points.

    >>> rng = np.random.default_rng(1)
    >>> t = rng.uniform(2016, 2022, 120)
    >>> big = rng.random(120) < 0.2
    >>> y = 18 + 0.6 * (t - 2016) + 2 * big + rng.normal(0, 0.3, 120)
    >>> m = mixture_fit(t, y, big, n_boot=200)
    >>> bool(m.ci_large[0] < 0.6 < m.ci_large[1]), round(m.share_large, 1)
    (True, 0.2)
    """
    t, y, selected = np.asarray(t, float), np.asarray(y, float), np.asarray(selected, bool)
    if selected.sum() < 3 or (~selected).sum() < 3:
        return None
    r, b1, b0 = em(t, y, selected)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    idx = rng.integers(0, t.size, size=(n_boot, t.size))
    rb, bb1, bb0 = em(t[idx], y[idx], r[0][idx])
    ok = (rb.sum(axis=1) >= MIN_WEIGHT) & ((1 - rb).sum(axis=1) >= MIN_WEIGHT)
    a = round((1 - level) / 2, 12)
    q = [a, 1 - a]
    return MixtureFit(
        float(b1[0]),
        float(b0[0]),
        [float(v) for v in np.quantile(bb1[ok], q)] if ok.any() else [math.nan] * 2,
        [float(v) for v in np.quantile(bb0[ok], q)] if ok.any() else [math.nan] * 2,
        float(r.mean()),
        int(t.size),
        int(ok.sum()),
        level,
        delta_bic(t, y, r[0]),
    )
