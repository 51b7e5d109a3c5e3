"""Threshold audit: how many models are above a compute threshold, with exact probabilities.

Each row is above the threshold with its own probability p_i (from its band); rows are taken as
independent, so the number above is a sum of independent Bernoullis (Poisson-binomial). Its
distribution is computed by convolution (``count_pmf``: exact but for entries below 1e-18; rows
with p = 0 or 1 only shift it), not sampled: the rows' polynomials (1 - p + p z) are multiplied
pairwise in a tree, many pairs at once, so 10^5 rows take milliseconds
(``count_pmf_sequential``: one row at a time, the reference it is tested against).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

UNCERTAIN = (0.05, 0.95)  #: a row's classification is uncertain when P is strictly inside this
LEVEL = 0.90  #: the interval reported for counts


TRIM = 1e-18  #: pmf entries below this at either end are dropped (their mass is < n x TRIM)


def _checked(probs: Sequence[float] | Any) -> Any:
    import numpy as np

    p = np.asarray(probs, np.float64)
    if p.size and (np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1))):
        raise ValueError("probabilities must be in [0, 1]")
    return p


def _pairwise(a: Any, b: Any) -> Any:
    """Row r of the result: the convolution of a[r] and b[r] (arrays of the same shape)."""
    import numpy as np

    c, width = a.shape
    if c < 16 * width:  # few long pairs: NumPy's own convolution, pair by pair
        return np.stack([np.convolve(a[r], b[r]) for r in range(c)])
    out = np.zeros((c, 2 * width - 1))
    for j in range(width):  # many short pairs: one column of a at a time, every pair at once
        out[:, j : j + width] += a[:, j : j + 1] * b
    return out


def pmf_window(probs: Sequence[float] | Any) -> tuple[Any, int]:
    """(pmf, offset): P(N = offset + j) = pmf[j] over the window where it is above ``TRIM``, for
    N the sum of independent Bernoulli(probs[i]) (NumPy array; see ``count_pmf``)."""
    import numpy as np

    p = _checked(probs)
    mid = p[(p >= TRIM) & (p <= 1 - TRIM)]  # others: 0 or 1 within TRIM
    sure = int(np.count_nonzero(p > 1 - TRIM))
    polys, off = np.stack([1 - mid, mid], axis=1), 0  # every row of polys starts at k = off
    rest: list[tuple[Any, int]] = []  # the odd one out of each level, with its offset
    while len(polys) > 1:
        if len(polys) % 2:
            rest.append((polys[-1], off))
            polys = polys[:-1]
        polys, off = _pairwise(polys[0::2], polys[1::2]), 2 * off
        keep = np.flatnonzero(polys.max(axis=0) >= TRIM)  # trim columns small in every row
        if len(keep):
            polys, off = polys[:, keep[0] : keep[-1] + 1], off + int(keep[0])
    pmf = polys[0] if len(polys) else np.ones(1)
    for q, o in rest:
        pmf, off = np.convolve(pmf, q), off + o
    keep = np.flatnonzero(pmf >= TRIM)
    if len(keep):
        pmf, off = pmf[keep[0] : keep[-1] + 1], off + int(keep[0])
    return pmf, sure + off


def count_pmf(probs: Sequence[float]) -> list[float]:
    """P(N = k), k = 0..n, for N the sum of independent Bernoulli(probs[i]), by pairwise
    convolutions over the window of k where the pmf is above ``TRIM`` (entries outside it are
    set to 0: total error below n x TRIM x the window's width).

    >>> [round(v, 3) for v in count_pmf([0.5, 0.5, 1.0])]
    [0.0, 0.25, 0.5, 0.25]
    """
    import numpy as np

    pmf, off = pmf_window(probs)
    out = np.zeros(len(probs) + 1)
    out[off : off + pmf.size] = pmf
    return out.tolist()


def count_pmf_sequential(probs: Sequence[float]) -> list[float]:
    """``count_pmf`` one row at a time: one convolution step per row with 0 < p < 1, trimming
    entries below ``TRIM`` at either end (the reference the pairwise version is tested against)."""
    import numpy as np

    p = _checked(probs)
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


def count_interval(pmf: Sequence[float], level: float = LEVEL, offset: int = 0) -> tuple[int, int]:
    """The central ``level`` interval of a count: the smallest k with P(N <= k) >= (1-level)/2
    and the smallest k with P(N <= k) >= (1+level)/2 (``pmf[j]``: P(N = offset + j))."""
    import numpy as np

    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    cdf = np.cumsum(np.asarray(pmf, np.float64))  # sequential sums, as a running total
    n = len(cdf) - 1
    lo, hi = (int(np.searchsorted(cdf >= q - 1e-12, True)) for q in (lo_q, hi_q))
    return offset + min(lo, n), offset + min(hi, n)


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
    p_above: Sequence[float | None] | Any,
    names: Sequence[str] | Any,
    years: Sequence[int | None] | Any,
) -> ThresholdAudit:
    """The audit of one threshold from each row's P(compute > threshold) (None or NaN: a row
    without a band, left out); ``years``: each row's publication year (None, or a negative
    number: counted under "unknown"). Lists or arrays (names: also a pyarrow array).

    >>> a = audit(1e25, [0.5, 0.5, 1.0, None], ["a", "b", "c", "d"], [2023, 2024, 2024, 2024])
    >>> a.expected, a.interval, [u["name"] for u in a.uncertain]
    (2.0, (1, 3), ['a', 'b'])
    """
    import numpy as np

    p = (
        np.array([np.nan if v is None else v for v in p_above], np.float64)
        if isinstance(p_above, (list, tuple))
        else np.asarray(p_above, np.float64)
    )
    yr = (
        np.array([-1 if v is None else v for v in years], np.int64)
        if isinstance(years, (list, tuple))
        else np.asarray(years, np.int64)
    )
    rows = np.flatnonzero(~np.isnan(p))
    ps = p[rows]
    lo, hi = UNCERTAIN
    pmf, off = pmf_window(ps)
    unc = rows[(ps > lo) & (ps < hi)]
    unc = unc[np.argsort(-p[unc], kind="stable")]
    uncertain: list[dict[str, Any]] = [
        {"row": r + 1, "name": nm, "p_above": v}
        for r, nm, v in zip(unc.tolist(), _take(names, unc), p[unc].tolist())
    ]
    by_year: dict[str, dict[str, Any]] = {}
    y = yr[rows]
    keys = {int(v): (str(int(v)) if v >= 0 else "unknown") for v in np.unique(y)}
    for v, key in sorted(keys.items(), key=lambda kv: kv[1]):
        g = ps[y == v]
        total = float(np.sum(g))
        if total > 0:
            gp, go = pmf_window(g)
            by_year[key] = {"expected": total, "interval_90": list(count_interval(gp, offset=go))}
    return ThresholdAudit(
        threshold,
        float(np.sum(ps)),
        count_interval(pmf, offset=off),
        int(np.count_nonzero(ps >= hi)),
        uncertain,
        by_year,
    )


def _take(names: Sequence[str] | Any, rows: Any) -> list[str]:
    """names[rows] as a list (names: a list or a pyarrow array)."""
    arr: Any = names
    if hasattr(arr, "to_pylist"):  # a pyarrow array
        return list(arr.take(rows).to_pylist())
    return [names[i] for i in rows.tolist()]
