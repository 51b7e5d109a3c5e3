"""Threshold audit: how many models are above a compute threshold, with exact probabilities.

Each row is above the threshold with its own probability p_i (from its band); rows are taken as
independent, so the number above is a sum of independent Bernoullis (Poisson-binomial). Its
distribution is computed by convolution (``count_pmf``: exact but for entries below 1e-18; rows
with p = 0 or 1 only shift it), not sampled: the rows' polynomials (1 - p + p z) are multiplied
pairwise in a tree, many pairs at once, so 10^5 rows take milliseconds
(``count_pmf_sequential``: one row at a time, the reference it is tested against). The audit
builds every year's tree at once (``_group_pmfs``) and the total as the product of the years'
pmfs; its lists (uncertain rows) are ``Records``: arrays, made dicts when read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

UNCERTAIN = (0.05, 0.95)  #: a row's classification is uncertain when P is strictly inside this
LEVEL = 0.90  #: the interval reported for counts


TRIM = 1e-18  #: pmf entries below this at either end are dropped (their mass is < n x TRIM)
ALIGNED = 10  #: at most this many tree levels over each group's columns padded to 2**levels
PADDING = 1.25  #: ... while the padded columns are at most this many times the rows


def _checked(probs: Sequence[float] | Any) -> Any:
    import numpy as np

    p = np.asarray(probs, np.float64)
    if p.size and (np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1))):
        raise ValueError("probabilities must be in [0, 1]")
    return p


def _pairwise(a: Any, b: Any) -> Any:
    """Column r of the result: the convolution of a[:, r] and b[:, r] (polynomials of the same
    shape, coefficient k in row k), by whichever of two exact loops takes fewer steps: pair by
    pair, or coefficient by coefficient over every pair at once."""
    import numpy as np

    width, c = a.shape
    if c <= width:  # few long pairs: NumPy's own convolution, pair by pair
        return np.stack([np.convolve(a[:, r], b[:, r]) for r in range(c)], axis=1)
    b = np.ascontiguousarray(b)
    out = np.zeros((2 * width - 1, c))
    for j in range(width):  # many short pairs: one coefficient of a at a time
        out[j : j + width] += a[j] * b
    return out


def _trimmed(polys: Any, off: Any) -> tuple[Any, Any]:
    """Each column of ``polys`` shifted up past its leading entries below ``TRIM``, its trailing
    ones zeroed, the height cut to the tallest column left (``off``: each column's offset,
    updated)."""
    import numpy as np

    big = polys >= TRIM
    width = polys.shape[0]
    first = np.argmax(big, axis=0)
    last = width - 1 - np.argmax(big[::-1], axis=0)
    empty = ~big.any(axis=0)  # no entry above TRIM (not for a pmf of mass 1): kept whole
    first[empty], last[empty] = 0, width - 1
    keep = int((last - first).max()) + 1
    if keep == width and not first.any():
        return polys, off
    idx = first + np.arange(keep)[:, None]
    out = np.take_along_axis(polys, np.minimum(idx, width - 1), axis=0)
    out[idx > last] = 0.0
    return out, off + first


def _group_pmfs(p: Any, group: Any, groups: int) -> list[tuple[Any, int]]:
    """(pmf, offset) of the count in each group (``group``: each row's group in 0..groups-1):
    every group's tree built at once, level by level (the rows' polynomials 1 - p + p z as
    columns, each with its own offset and window). Each group's columns are padded with the
    polynomial 1 (p = 0) to a multiple of 2**k (k up to ``ALIGNED``, padding up to ``PADDING``)
    so that the first k levels pair neighbours; after them, a group with an odd count at a
    level pairs its last with 1."""
    import numpy as np

    if not groups:
        return []
    mid = (p >= TRIM) & (p <= 1 - TRIM)  # others: 0 or 1 within TRIM
    sure = np.bincount(group[p > 1 - TRIM], minlength=groups)
    g = group[mid].astype(np.int16 if groups < 2**15 else np.int64)
    order = np.argsort(g, kind="stable")
    counts = np.bincount(g, minlength=groups)
    aligned, width = 0, np.maximum(counts, 1)  # columns of each group
    for k in range(1, ALIGNED + 1):  # as many aligned levels as cost at most PADDING more
        w = np.maximum((counts + (1 << k) - 1) >> k, 1) << k
        if w.sum() > PADDING * max(len(g), 1) + 64:
            break
        aligned, width = k, w
    step = 1 << aligned
    at = np.cumsum(width) - width  # each group's first column
    q = np.zeros(int(width.sum()))
    q[np.arange(len(g)) - (np.cumsum(counts) - counts)[g[order]] + at[g[order]]] = p[mid][order]
    polys, off = np.stack([1 - q, q]), np.zeros(len(q), np.int64)
    for _ in range(aligned):  # neighbours: never two groups in a pair
        polys = _pairwise(polys[:, 0::2], polys[:, 1::2])
        off = off[0::2] + off[1::2]
        if len(polys) >= 16:
            polys, off = _trimmed(polys, off)
    gid = np.repeat(np.arange(groups), width // step)
    while len(gid) > groups:
        counts = np.bincount(gid, minlength=groups)
        rank = np.arange(len(gid)) - (np.cumsum(counts) - counts)[gid]  # place in its group
        left = np.flatnonzero(rank % 2 == 0)
        right = left + 1
        alone = rank[left] + 1 >= counts[gid[left]]  # the last of an odd group: paired with 1
        right[alone] = 0
        b = polys[:, right]
        b[:, alone] = np.eye(len(b), 1)
        polys = _pairwise(polys[:, left], b)
        gid, off = gid[left], np.where(alone, 0, off[right]) + off[left]
        polys, off = _trimmed(polys, off)
    out = []
    for k in range(groups):
        col = polys[:, k]
        keep = np.flatnonzero(col >= TRIM)
        lo, hi = (int(keep[0]), int(keep[-1]) + 1) if len(keep) else (0, len(col))
        out.append((col[lo:hi].copy(), int(off[k]) + lo + int(sure[k])))
    return out


def _product(pmfs: Sequence[tuple[Any, int]]) -> tuple[Any, int]:
    """(pmf, offset) of the sum of independent counts given as (pmf, offset), trimmed."""
    import numpy as np

    pmf, off = np.ones(1), 0
    for q, o in sorted(pmfs, key=lambda po: len(po[0])):
        pmf, off = np.convolve(pmf, q), off + o
        keep = np.flatnonzero(pmf >= TRIM)
        if len(keep):
            pmf, off = pmf[keep[0] : keep[-1] + 1], off + int(keep[0])
    return pmf, off


def pmf_window(probs: Sequence[float] | Any) -> tuple[Any, int]:
    """(pmf, offset): P(N = offset + j) = pmf[j] over the window where it is above ``TRIM``, for
    N the sum of independent Bernoulli(probs[i]) (NumPy array; see ``count_pmf``)."""
    import numpy as np

    p = _checked(probs)
    return _group_pmfs(p, np.zeros(len(p), np.int64), 1)[0]


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


class Records(Sequence[dict[str, Any]]):
    """A read-only sequence of row records (dicts) kept as columns: ``len`` and ``[i]`` without
    building the others; the whole list built on first iteration (``build(positions)``: their
    records). ``list(r)`` gives a list; a pickled one comes back as that list; ``to_dict()`` of
    the reports holding one writes lists.

    >>> import pickle
    >>> r = Records(3, lambda at: [{"row": int(i) + 1} for i in at])
    >>> len(r), r[-1], r[:2] == [{"row": 1}, {"row": 2}], list(r)[0]
    (3, {'row': 3}, True, {'row': 1})
    >>> pickle.loads(pickle.dumps(r)) == list(r)
    True
    """

    def __init__(self, n: int, build: Callable[[Any], list[dict[str, Any]]]) -> None:
        self._n, self._build = n, build
        self._all: list[dict[str, Any]] | None = None

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: Any) -> Any:
        if self._all is not None:
            return self._all[i]
        import numpy as np

        if isinstance(i, slice):
            return self._build(np.arange(self._n)[i])
        return self._build(np.arange(self._n)[[i]])[0]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self._all is None:
            import numpy as np

            self._all = self._build(np.arange(self._n))
        return iter(self._all)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, as a list

    def __repr__(self) -> str:
        return repr(list(self))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as the list it stands for (its builder is a closure over the call's arrays)."""
        return (list, (list(self),))


@dataclass
class ThresholdAudit:
    """One threshold: expected count above it, its 90% interval, uncertain rows, counts by year."""

    threshold_flop: float
    expected: float
    interval: tuple[int, int]
    certain_above: int  #: rows with P >= 0.95
    uncertain: Sequence[dict[str, Any]] = field(default_factory=list)  #: row, name, p
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
    ps = _checked(p[rows])
    lo, hi = UNCERTAIN
    y = yr[rows]
    keys, group = _years(y)
    pmfs = _group_pmfs(ps, group, len(keys))  # each year's count; the total: their product
    pmf, off = _product(pmfs)
    unc = rows[(ps > lo) & (ps < hi)]
    unc = unc[np.argsort(-p[unc], kind="stable")]

    def records(at: Any) -> list[dict[str, Any]]:
        r = unc[at]
        return [
            {"row": i, "name": nm, "p_above": v}
            for i, nm, v in zip((r + 1).tolist(), _take(names, r), p[r].tolist())
        ]

    totals = np.bincount(group, weights=ps, minlength=len(keys)).tolist()
    labels = [str(int(v)) if v >= 0 else "unknown" for v in keys.tolist()]
    by_year: dict[str, dict[str, Any]] = {}
    for k in sorted(range(len(keys)), key=labels.__getitem__):
        if totals[k] > 0:
            gp, go = pmfs[k]
            by_year[labels[k]] = {
                "expected": totals[k],
                "interval_90": list(count_interval(gp, offset=go)),
            }
    return ThresholdAudit(
        threshold,
        float(np.sum(ps)),
        count_interval(pmf, offset=off),
        int(np.count_nonzero(ps >= hi)),
        Records(len(unc), records),
        by_year,
    )


def _years(y: Any) -> tuple[Any, Any]:
    """(the distinct years, -1 for unknown (negative), in order; each row's index into them):
    by counting over the years' range, or by sorting when it is wide."""
    import numpy as np

    y = np.where(y >= 0, y, -1)
    if not len(y) or int(y.max()) - int(y.min()) > 4 * len(y) + 4096:
        keys, group = np.unique(y, return_inverse=True)
        return keys, group.reshape(-1)
    base = int(y.min())
    present = np.bincount(y - base) > 0
    return np.flatnonzero(present) + base, (np.cumsum(present) - 1)[y - base]


def _take(names: Sequence[str] | Any, rows: Any) -> list[str]:
    """names[rows] as a list (names: a list or a pyarrow array)."""
    arr: Any = names
    if hasattr(arr, "to_pylist"):  # a pyarrow array
        return list(arr.take(rows).to_pylist())
    return [names[i] for i in rows.tolist()]
