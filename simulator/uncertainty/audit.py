"""Threshold audit: how many models are above a compute threshold, with exact probabilities.

Each row is above the threshold with its own probability p_i (from its band); rows are taken as
independent, so the number above is a sum of independent Bernoullis (Poisson-binomial). Its
distribution is computed by convolution (``count_pmf``: exact but for entries below 1e-18, one
step per row with 0 < p < 1; rows with p = 0 or 1 only shift it), not sampled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

UNCERTAIN = (0.05, 0.95)  #: a row's classification is uncertain when P is strictly inside this
LEVEL = 0.90  #: the interval reported for counts


TRIM = 1e-18  #: pmf entries below this at either end are dropped (their mass is < n x TRIM)


def count_pmf(probs: Sequence[float]) -> list[float]:
    """P(N = k), k = 0..n, for N the sum of independent Bernoulli(probs[i]): one convolution per
    row with 0 < p < 1, over the window of k where the pmf is above ``TRIM`` (entries outside it
    are set to 0: total error below n x TRIM)."""
    import numpy as np

    p = np.asarray(probs, np.float64)
    if p.size and (np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1))):
        raise ValueError("probabilities must be in [0, 1]")
    mid = p[(p >= TRIM) & (p <= 1 - TRIM)]  # others: 0 or 1 within TRIM
    sure = int(np.count_nonzero(p > 1 - TRIM))
    pmf = np.ones(1)
    off = 0  # pmf[j] is P(N_mid = off + j)
    for q in mid.tolist():
        nxt = np.empty(pmf.size + 1)
        nxt[0] = pmf[0] * (1 - q)
        nxt[1:-1] = pmf[1:] * (1 - q) + pmf[:-1] * q
        nxt[-1] = pmf[-1] * q
        a = 1 if nxt[0] < TRIM and nxt.size > 1 else 0  # the window grows by one a step:
        b = nxt.size - 1 if nxt[-1] < TRIM and nxt.size - 1 > a else nxt.size  # trim one an end
        pmf, off = nxt[a:b], off + a
    out = np.zeros(p.size + 1)
    out[sure + off : sure + off + pmf.size] = pmf
    return out.tolist()


def count_interval(pmf: Sequence[float], level: float = LEVEL) -> tuple[int, int]:
    """The central ``level`` interval of a count: the smallest k with P(N <= k) >= (1-level)/2
    and the smallest k with P(N <= k) >= (1+level)/2."""
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    cdf, lo, hi = 0.0, None, None
    for k, v in enumerate(pmf):
        cdf += v
        if lo is None and cdf >= lo_q - 1e-12:
            lo = k
        if hi is None and cdf >= hi_q - 1e-12:
            hi = k
            break
    n = len(pmf) - 1
    return (lo if lo is not None else n), (hi if hi is not None else n)


@dataclass
class ThresholdAudit:
    """One threshold: expected count above it, its 90% interval, uncertain rows, counts by year."""

    threshold_flop: float
    expected: float
    interval: tuple[int, int]
    certain_above: int  #: rows with P >= 0.95
    uncertain: list[dict[str, Any]] = field(default_factory=list)  #: name, row, p
    by_year: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold_flop": self.threshold_flop,
            "expected_above": self.expected,
            "interval_90": list(self.interval),
            "likely_above": self.certain_above,
            "uncertain": list(self.uncertain),
            "by_year": dict(self.by_year),
        }


def audit(
    threshold: float,
    p_above: Sequence[float | None],
    names: Sequence[str],
    years: Sequence[int | None],
) -> ThresholdAudit:
    """The audit of one threshold from each row's P(compute > threshold) (None: a row without a
    band, left out); ``years``: each row's publication year (None: counted under "unknown").

    >>> a = audit(1e25, [0.5, 0.5, 1.0, None], ["a", "b", "c", "d"], [2023, 2024, 2024, 2024])
    >>> a.expected, a.interval, [u["name"] for u in a.uncertain]
    (2.0, (1, 3), ['a', 'b'])
    """
    given = [(i, float(p)) for i, p in enumerate(p_above) if p is not None]
    rows, ps = [i for i, _ in given], [p for _, p in given]
    pmf = count_pmf(ps)
    lo, hi = UNCERTAIN
    uncertain: list[dict[str, Any]] = [
        {"row": i + 1, "name": names[i], "p_above": p} for i, p in given if lo < p < hi
    ]
    uncertain.sort(key=lambda u: -float(u["p_above"]))
    groups: dict[str, list[float]] = {}
    for i, p in zip(rows, ps):
        year = years[i]
        groups.setdefault(str(year) if year is not None else "unknown", []).append(p)
    by_year: dict[str, dict[str, Any]] = {}
    for key in sorted(groups):
        g = groups[key]
        if sum(g) > 0:
            by_year[key] = {"expected": sum(g), "interval_90": list(count_interval(count_pmf(g)))}
    return ThresholdAudit(
        threshold,
        float(sum(ps)),
        count_interval(pmf),
        sum(p >= hi for p in ps),
        uncertain,
        by_year,
    )
