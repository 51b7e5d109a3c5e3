"""Threshold audit: how many models are above a compute threshold, with exact probabilities.

Each row is above the threshold with its own probability p_i (from its band); rows are taken as
independent, so the number above is a sum of independent Bernoullis (Poisson-binomial). Its
distribution is computed exactly by convolution (``count_pmf``, O(n^2) for n uncertain rows;
rows with p = 0 or 1 only shift it), not sampled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

UNCERTAIN = (0.05, 0.95)  #: a row's classification is uncertain when P is strictly inside this
LEVEL = 0.90  #: the interval reported for counts


def count_pmf(probs: Sequence[float]) -> list[float]:
    """P(N = k), k = 0..n, for N the sum of independent Bernoulli(probs[i]) (exact up to
    rounding: one convolution per uncertain row)."""
    import numpy as np

    p = np.asarray(probs, np.float64)
    if p.size and (np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1))):
        raise ValueError("probabilities must be in [0, 1]")
    sure = int(np.count_nonzero(p >= 1.0))
    mid = p[(p > 0) & (p < 1)]
    pmf = np.zeros(mid.size + 1)
    pmf[0] = 1.0
    for j, q in enumerate(mid.tolist()):
        pmf[1 : j + 2] = pmf[1 : j + 2] * (1 - q) + pmf[: j + 1] * q
        pmf[0] *= 1 - q
    out = np.zeros(p.size + 1)
    out[sure : sure + mid.size + 1] = pmf
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
