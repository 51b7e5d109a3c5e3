"""Large-scale and regular-scale slopes without selection bias: a mixture of two regression lines.

Why: a large-scale fit through the systems a rule selected is biased. The rule keeps a system when
it lies far enough above its neighbours, so where the two trends draw close (the regular trend
rising faster, as in the paper's data) only the large-scale systems that happen to lie high are
kept, and regular systems that happen to lie high are taken in: both steepen the large-scale line.
On ``synthetic.three_eras`` (100 seeds) the selected systems' slope is 12.4% +- 1.6% too steep (8.9
months for a true 10; 95% interval covers 70%); the mixture's is unbiased within its SE and its
interval covers at the nominal level (``docs/mixture_coverage.py``, figures in docs/trends.md).

The correction: every candidate belongs to one of two lines, y = a_k + b_k t + N(0, s_k^2), with
probabilities pi and 1 - pi; the lines, scatters and pi are fitted by maximum likelihood (EM from
the rule's selection and other starts, ``best_em``; each scatter at least MIN_VARIANCE_RATIO of
the other's), each system weighted by its posterior probability of being
large-scale instead of kept or dropped. Intervals: a pairs bootstrap of the candidates, EM run
again in each resample (started from the resampled posteriors), percentile by default; the
studentized (bootstrap-t) one (``interval="studentized"``: each resample's slope minus the fit's
over that resample's standard error, its scatter floored as the fit's) covered less. Both
under-cover a little with about 16 large-scale systems (92.5% and 88% at 95% on the paper-like
design); measured by ``docs/mixture_coverage.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from computesim.errors import InputError
from computesim.trends.fit import _doubling_ci, json_ready, months_from_slope

MAX_ITER = 500  #: EM iterations at most
TOL = 1e-6  #: EM stops when no posterior moves more than this
MIN_VARIANCE_RATIO = 0.1  #: neither line's scatter variance below this share of the other's
MIN_WEIGHT = 2.0  #: a resample whose large-scale weight sums to less is dropped (a lost component)
INTERVALS = ("percentile", "studentized")  #: bootstrap interval kinds (the first is the default)
INTERVAL_METHOD = {
    "studentized": "studentized pairs bootstrap (bootstrap-t), EM refitted in each resample",
    "percentile": "percentile pairs bootstrap, EM refitted in each resample",
}


def _wls(t: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, ...]:
    """Row-wise weighted line fits: intercept, slope, residual variance (rows of (B, n))."""
    W = np.maximum(w.sum(axis=1), 1e-300)
    mt, my = (w * t).sum(axis=1) / W, (w * y).sum(axis=1) / W
    dt_ = t - mt[:, None]
    b = (w * dt_ * (y - my[:, None])).sum(axis=1) / np.maximum((w * dt_**2).sum(axis=1), 1e-300)
    a = my - b * mt
    s2 = (w * (y - a[:, None] - b[:, None] * t) ** 2).sum(axis=1) / W
    return a, b, np.maximum(s2, 1e-6)


def slope_se(
    t: np.ndarray, y: np.ndarray, w: np.ndarray, floor: np.ndarray | float = 0.0
) -> np.ndarray:
    """Row-wise standard error of the weighted slope (OOM/year), the scatter on sum(w) - 2
    degrees of freedom, at least ``floor`` (a variance per row: the constrained fit's, so that a
    line through 2-3 systems gets no near-zero SE); inf where the weights sum to 2 or less.

    >>> t = np.arange(5.0)[None, :]
    >>> e = np.array([[1.0, -2, 0, 2, -1]])  # residuals: RSS 10 on 3 df, sum (t - mean)^2 = 10
    >>> round(float(slope_se(t, 2 * t + e, np.ones((1, 5)))[0]) ** 2, 9)
    0.333333333
    """
    a, b, _ = _wls(t, y, w)
    W = w.sum(axis=1)
    mt = (w * t).sum(axis=1) / np.maximum(W, 1e-300)
    sxx = (w * (t - mt[:, None]) ** 2).sum(axis=1)
    rss = (w * (y - a[:, None] - b[:, None] * t) ** 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(np.maximum(rss / (W - 2), floor) / sxx)
    return np.where((W > 2) & (sxx > 0), se, np.inf)


def boot_interval(
    est: float,
    se: float,
    boot: np.ndarray,
    boot_se: np.ndarray,
    level: float,
    interval: str,
) -> list[float]:
    """``level`` interval for ``est`` from bootstrap estimates (and their standard errors).

    Studentized: est - q(1 - a) se to est - q(a) se, q the quantiles of (boot - est) / boot_se.

    >>> boot = np.array([0.8, 0.9, 1.0, 1.1, 1.2])
    >>> [round(v, 9) for v in boot_interval(1.0, 0.1, boot, np.full(5, 0.1), 0.5, "studentized")]
    [0.9, 1.1]
    """
    a = round((1 - level) / 2, 12)
    ok = np.isfinite(boot_se) & (boot_se > 0)
    if not ok.any() or not math.isfinite(se):
        return [math.nan] * 2
    if interval == "percentile":
        return [float(v) for v in np.quantile(boot[ok], [a, 1 - a])]
    q_lo, q_hi = np.quantile((boot[ok] - est) / boot_se[ok], [a, 1 - a])
    return [float(est - q_hi * se), float(est - q_lo * se)]


def _lines(
    t: np.ndarray, y: np.ndarray, r: np.ndarray, ratio: float = MIN_VARIANCE_RATIO
) -> tuple[np.ndarray, ...]:
    """Both lines at posteriors r (rows): a0, b0, s0, a1, b1, s1, each scatter variance kept at
    least MIN_VARIANCE_RATIO of the other's (constrained maximum likelihood, Hathaway 1985:
    without it a line through 2 or 3 systems has zero scatter and unbounded likelihood)."""
    a0, b0, s0 = _wls(t, y, 1 - r)
    a1, b1, s1 = _wls(t, y, r)
    s0, s1 = np.maximum(s0, ratio * s1), np.maximum(s1, ratio * s0)
    return a0, b0, s0, a1, b1, s1


def _posterior(
    t: np.ndarray, y: np.ndarray, r: np.ndarray, ratio: float = MIN_VARIANCE_RATIO
) -> np.ndarray:
    """One EM step for rows of (B, n): refit both lines and pi, return the new posteriors."""
    a0, b0, s0, a1, b1, s1 = _lines(t, y, r, ratio)
    pi = np.clip(r.mean(axis=1), 1e-9, 1 - 1e-9)
    e0 = (y - a0[:, None] - b0[:, None] * t) ** 2 / (2 * s0[:, None]) + 0.5 * np.log(s0)[:, None]
    e1 = (y - a1[:, None] - b1[:, None] * t) ** 2 / (2 * s1[:, None]) + 0.5 * np.log(s1)[:, None]
    lr = (np.log(pi) - np.log1p(-pi))[:, None] - e1 + e0  # log odds of the large-scale line
    return 1 / (1 + np.exp(-np.clip(lr, -700, 700)))


def em(
    t: np.ndarray, y: np.ndarray, r: np.ndarray, ratio: float = MIN_VARIANCE_RATIO
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EM for rows of (B, n): posteriors of the large-scale line, its slope and the regular slope
    (rows iterate until their posteriors settle, each on its own; ``ratio``: each scatter
    variance at least this share of the other's)."""
    t, y = np.atleast_2d(t), np.atleast_2d(y)
    r = np.atleast_2d(r).astype(float).copy()
    active = np.arange(r.shape[0])
    for _ in range(MAX_ITER):
        new = _posterior(t[active], y[active], r[active], ratio)
        moved = np.abs(new - r[active]).max(axis=1) >= TOL
        r[active] = new
        active = active[moved]
        if active.size == 0:
            break
    _, b0, _ = _wls(t, y, 1 - r)
    _, b1, _ = _wls(t, y, r)
    return r, b1, b0


def loglik(t: np.ndarray, y: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Row-wise log-likelihood of the mixture whose lines and share are fitted at posteriors r."""
    a0, b0, s0, a1, b1, s1 = (v[:, None] for v in _lines(t, y, r))
    pi = r.mean(axis=1, keepdims=True)
    d0 = (1 - pi) * np.exp(-((y - a0 - b0 * t) ** 2) / (2 * s0)) / np.sqrt(2 * math.pi * s0)
    d1 = pi * np.exp(-((y - a1 - b1 * t) ** 2) / (2 * s1)) / np.sqrt(2 * math.pi * s1)
    return np.log(np.maximum(d0 + d1, 1e-300)).sum(axis=1)


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
    ll_mix = float(loglik(t2, y2, r2)[0])
    _, _, s = (float(v[0]) for v in _wls(t2, y2, np.ones_like(r2)))
    n = t.size
    ll_one = -n / 2 * (math.log(2 * math.pi * s) + 1)
    return (-2 * ll_one + 3 * math.log(n)) - (-2 * ll_mix + 7 * math.log(n))


START_SHARES = (0.1, 0.2, 0.3)  #: extra EM starts: this share of candidates highest above one line


def best_em(
    t: np.ndarray, y: np.ndarray, selected: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EM from the rule's selection and from the systems highest above a line through all the
    candidates (as many as the rule selected, and START_SHARES of them); the start whose fit has
    the highest likelihood with 3 or more systems' weight on each line (the rule's start else).

    EM from one start can stop at a local maximum: a selection that takes in a few regular
    systems from before the large-scale ones steepens the large-scale line and stays there.

    >>> t = np.linspace(2012, 2022, 48)
    >>> big = np.arange(48) % 6 == 0
    >>> y = 18 + 0.36 * (t - 2012) + 3 * big + 0.3 * np.sin(7 * t)
    >>> r, b1, b0 = best_em(t, y, big | (t < 2013))  # a selection with 2 regular systems in it
    >>> round(float(r[0][~big].sum()), 3), bool(abs(b1[0] - b0[0]) < 0.05)  # parallel lines
    (0.0, True)
    """
    n = t.size
    _, b, _ = _wls(t[None, :], y[None, :], np.ones((1, n)))
    order = np.argsort(-(y - b[0] * t), kind="stable")
    ks = sorted({int(selected.sum())} | {max(3, round(f * n)) for f in START_SHARES})
    starts = [selected.astype(float)]
    for k in ks:
        top = np.zeros(n)
        top[order[:k]] = 1.0
        starts.append(top)
    r, b1, b0 = em(
        np.broadcast_to(t, (len(starts), n)), np.broadcast_to(y, (len(starts), n)), np.array(starts)
    )
    ll = loglik(np.broadcast_to(t, r.shape), np.broadcast_to(y, r.shape), r)
    ok = (r.sum(axis=1) >= 3) & ((1 - r).sum(axis=1) >= 3)
    i = int(np.argmax(np.where(ok, ll, -np.inf))) if ok.any() else 0
    return r[i : i + 1], b1[i : i + 1], b0[i : i + 1]


@dataclass
class MixtureFit:
    """Both slopes (OOM/year) of the two-line mixture, with bootstrap intervals (``interval``)."""

    slope_large: float
    slope_regular: float
    ci_large: list[float]
    ci_regular: list[float]
    share_large: float  #: fitted share of candidates on the large-scale line
    n_candidates: int
    n_boot_used: int
    level: float
    delta_bic: float = math.nan  #: one line's BIC minus the mixture's (> 0: two lines)
    interval: str = INTERVALS[0]  #: how the intervals were made (a key of INTERVAL_METHOD)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: doubling times with intervals for both lines, the share, the method."""
        return json_ready(
            {
                "method": "two-line mixture by maximum likelihood (EM from the rule's selection and "
                "other starts, the best kept)",
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
                "ci_method": INTERVAL_METHOD[self.interval],
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
    interval: str = INTERVALS[0],
) -> MixtureFit | None:
    """Fit the two-line mixture to candidates (t decimal years, y log10 FLOP), started from the
    rule's ``selected`` mask; None when either set has fewer than 3 points. ``interval``:
    "percentile" (the default) or "studentized" (bootstrap-t).

    >>> rng = np.random.default_rng(1)
    >>> t = rng.uniform(2016, 2022, 120)
    >>> big = rng.random(120) < 0.2
    >>> y = 18 + 0.6 * (t - 2016) + 2 * big + rng.normal(0, 0.3, 120)
    >>> m = mixture_fit(t, y, big, n_boot=200)
    >>> bool(m.ci_large[0] < 0.6 < m.ci_large[1]), round(m.share_large, 1)
    (True, 0.2)
    """
    if interval not in INTERVALS:
        raise InputError(
            "interval", f"unknown interval {interval!r} (use {' or '.join(INTERVALS)})"
        )
    t, y, selected = np.asarray(t, float), np.asarray(y, float), np.asarray(selected, bool)
    if selected.sum() < 3 or (~selected).sum() < 3:
        return None
    r, b1, b0 = best_em(t, y, selected)
    t2, y2 = t[None, :], y[None, :]
    _, _, s0, _, _, s1 = _lines(t2, y2, r)
    se1 = float(slope_se(t2, y2, r, s1)[0])
    se0 = float(slope_se(t2, y2, 1 - r, s0)[0])
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    bb1, sb1, bb0, sb0 = bootstrap(t, y, r[0], n_boot, rng)
    return MixtureFit(
        float(b1[0]),
        float(b0[0]),
        boot_interval(float(b1[0]), se1, bb1, sb1, level, interval),
        boot_interval(float(b0[0]), se0, bb0, sb0, level, interval),
        float(r.mean()),
        int(t.size),
        int((np.isfinite(sb1) & np.isfinite(sb0)).sum()),
        level,
        delta_bic(t, y, r[0]),
        interval,
    )


def bootstrap(
    t: np.ndarray,
    y: np.ndarray,
    r: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, ...]:
    """Pairs bootstrap of the fit at posteriors ``r`` (EM restarted from the resampled ones):
    each resample's large-scale slope and its standard error, then the regular slope and its
    (inf for a resample that lost a line; each SE's scatter floored as the fit's). The
    resamples' EM has no scatter constraint: it starts at the fit, not at a far start."""
    idx = rng.integers(0, t.size, size=(n_boot, t.size))
    tb, yb = t[idx], y[idx]
    rb, bb1, bb0 = em(tb, yb, r[idx], ratio=0.0)
    ok = (rb.sum(axis=1) >= MIN_WEIGHT) & ((1 - rb).sum(axis=1) >= MIN_WEIGHT)
    _, _, s0, _, _, s1 = _lines(tb, yb, rb)  # each SE's scatter floored as the fit's is
    sb1 = np.where(ok, slope_se(tb, yb, rb, s1), np.inf)
    sb0 = np.where(ok, slope_se(tb, yb, 1 - rb, s0), np.inf)
    return bb1, sb1, bb0, sb0
