"""Host-side code shared by the backends: result types, row stacking, and the sweep reductions'
plans and search logic (plain NumPy). Each backend module keeps only its own implementation and
hands its counting pass (``Counter``) or its order-statistic search (``OrderSearch``) to these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

# ---- Monte Carlo family: results ---------------------------------------------------------------


class Summary(NamedTuple):
    """Reductions of n log-samples: order statistics at ``ranks`` (0-based, of the sorted logs),
    sums of exp(x - shift) and exp(2 (x - shift)), of x and x**2, and counts of x > each
    threshold."""

    order: np.ndarray
    sum_exp: float
    sum_exp2: float
    sum_x: float
    sum_x2: float
    above: np.ndarray
    n: int
    error: float = 0.0  #: bound on |order - exact order statistic| (log units); 0 when exact
    #: bound on the relative error of sum_exp, sum_exp2 ** 0.5 (binning); 0 when exact
    mean_error: float = 0.0


class BatchSummary(NamedTuple):
    """Per-row ``Summary`` fields as arrays with a leading row axis."""

    order: np.ndarray
    sum_exp: np.ndarray
    sum_exp2: np.ndarray
    sum_x: np.ndarray
    sum_x2: np.ndarray
    above: np.ndarray
    n: int


def stack_rows(rows: Sequence[Summary], n: int, nranks: int, nthresholds: int) -> BatchSummary:
    """One ``BatchSummary`` of per-row summaries (each of ``n`` samples)."""

    def column(field: str) -> np.ndarray:
        return np.array([getattr(s, field) for s in rows])

    return BatchSummary(
        column("order").reshape(len(rows), nranks),
        column("sum_exp"),
        column("sum_exp2"),
        column("sum_x"),
        column("sum_x2"),
        column("above").reshape(len(rows), nthresholds),
        n,
    )


def row_tables(tab, tab_index, r: int) -> np.ndarray:
    """Row r's tables (k, T): ``tab[r]``, or with ``tab_index`` rows of the shared pool ``tab``
    (P, T)."""
    return tab[r] if tab_index is None else np.asarray(tab)[np.asarray(tab_index)[r]]


# ---- sweep family: plans and searches on the product structure ---------------------------------


def flat(axes: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, offsets, sizes): the axes concatenated, for kernels."""
    sizes = np.array([len(a) for a in axes], np.int64)
    offsets = np.zeros(len(axes), np.int64)
    offsets[1:] = np.cumsum(sizes)[:-1]
    values = np.ascontiguousarray(np.concatenate([np.asarray(a, np.float64) for a in axes]))
    return values, offsets, sizes


class Plan:
    """Axes padded to >= 2 non-group axes, search axes (the two largest non-group), sort orders."""

    def __init__(self, axes: Sequence[np.ndarray], const: float, group_axis: int) -> None:
        arrays = [np.asarray(a, np.float64) for a in axes]
        pad = max(0, 2 - (len(arrays) - (group_axis >= 0)))
        self.const = float(const)
        self.pad = pad
        self.axes = [np.ones(1)] * pad + arrays  # const * 1.0 is exact: the products are unchanged
        self.group = group_axis + pad if group_axis >= 0 else -1
        self.values, self.offsets, self.sizes = flat(self.axes)
        cand = [a for a in range(len(self.axes)) if a != self.group]
        cand.sort(key=lambda a: -len(self.axes[a]))
        self.ax, self.ay = sorted(cand[:2])
        self.px = np.argsort(self.axes[self.ax], kind="stable").astype(np.int64)
        self.py = np.argsort(self.axes[self.ay], kind="stable").astype(np.int64)
        self.G = 1 if self.group < 0 else len(self.axes[self.group])
        self.n_outer = int(np.prod(self.sizes)) // max(1, len(self.px) * len(self.py))
        self.group_size = int(np.prod(self.sizes)) // self.G
        self.cache: dict[str, object] = {}  #: a backend's derived structures (built once per plan)

    def thresholds(self, thresholds) -> np.ndarray:
        """``thresholds`` broadcast to (G, R) float64, a fresh array."""
        return np.array(
            np.broadcast_to(np.asarray(thresholds, np.float64), (self.G, np.shape(thresholds)[-1]))
        )


#: A backend's counting pass: counts (G, R) of products <= thresholds (G, R) on a Plan.
Counter = Callable[[Plan, np.ndarray], np.ndarray]
#: A backend's search: the ranks[g, r]-th smallest products (G, R), given each group's min and max
#: and the rank each target's probes aim at (``place``).
OrderSearch = Callable[[Plan, np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def count_le(counter: Counter, axes, const, thresholds, group_axis) -> np.ndarray:
    """See sweep_reference.count_le, counted by ``counter``."""
    return counter(Plan(axes, const, group_axis), np.atleast_2d(thresholds))


def count_at_least(counter: Counter, axes, const, threshold, group_axis) -> np.ndarray:
    """See sweep_reference.count_at_least: group size minus the count strictly below (none is
    at or above NaN)."""
    plan = Plan(axes, const, group_axis)
    if np.isnan(threshold):
        return np.zeros(plan.G, np.int64)
    below = np.nextafter(float(threshold), 0.0)
    return plan.group_size - counter(plan, np.full((plan.G, 1), below))[:, 0]


def product_at(axes, const, index: Sequence[int]) -> float:
    """The canonical product at one grid index."""
    p = float(const)
    for a, i in zip(axes, index):
        p = p * float(a[i])
    return p


def extremes(axes, const, group_axis):
    """See sweep_reference.extremes: the product is monotone, so the extremes sit at the axes'.

    Arguments are first occurrences in C order, as the reference's: distinct axis values whose
    products round to the same float are ties (``_first_at``)."""
    axes = [np.asarray(a, np.float64) for a in axes]
    sizes = tuple(len(a) for a in axes)
    G = 1 if group_axis < 0 else sizes[group_axis]
    out = [np.empty(G), np.empty(G, np.int64), np.empty(G), np.empty(G, np.int64)]
    for g in range(G):
        for slot, pick in ((0, np.argmin), (2, np.argmax)):
            at = [int(pick(a)) for a in axes]
            if group_axis >= 0:
                at[group_axis] = g
            best = product_at(axes, const, at)
            at = _first_at(axes, const, at, best, group_axis, slot == 2)
            out[slot][g], out[slot + 1][g] = best, np.ravel_multi_index(at, sizes)
    return tuple(out)


def _first_at(axes, const, at, best, fixed, is_max):
    """The first index in C order whose product equals ``best`` (the max or min, reached at ``at``).

    Axis by axis from the first, take the smallest index that still reaches ``best`` with the later
    axes at their extremes (rounding is monotone, so that is possible exactly when it reaches it
    there). Only values within 1e-9 relative of the extreme value can tie (or all, with zeros)."""
    at = list(at)
    for a, ax in enumerate(axes):
        if a == fixed or len(ax) == 1:
            continue
        v = ax[at[a]]
        if best == 0.0 or v == 0.0:  # a zero factor ties every value of this axis
            near = np.ones(len(ax), bool)
        else:
            near = ax >= v * (1 - 1e-9) if is_max else ax <= v * (1 + 1e-9)
        for i in np.flatnonzero(near):
            if i >= at[a]:
                break
            trial = at[:a] + [int(i)] + at[a + 1 :]
            if product_at(axes, const, trial) == best:
                at[a] = int(i)
                break
    return at


def _lerp(a, b, t):
    """numpy's linear interpolation, rounding the same way as np.quantile."""
    d = b - a
    return np.where(t >= 0.5, b - d * (1 - t), a + d * t)


def sample_probes(values, groups, place, n: int) -> np.ndarray:
    """Two probes per wanted order statistic, (G, R, 2) order-preserving int64 keys: from a sample
    ``values`` (float64, group of each in ``groups``) of a population of ``n`` per group, the
    sample order statistics 6 standard errors (+3) either side of rank ``place[g, r]``. A group
    with no sampled value gets probes 0 (outside every bracket: ``narrow`` ignores them)."""
    G, R = place.shape
    probes = np.zeros((G, R, 2), np.int64)
    for g in range(G):
        s = np.sort(values[groups == g])
        m = len(s)
        if m == 0:
            continue
        q = (place[g] + 0.5) / n
        w = 6 * np.sqrt(m * q * (1 - q)) + 3
        for j, at in enumerate((np.floor(q * m - w), np.ceil(q * m + w))):
            probes[g, :, j] = s[np.clip(at.astype(np.int64), 0, m - 1)].view(np.int64)
    return probes


def narrow(probes, counts, ranks, lo_b, hi_b, c_lo, c_hi):
    """Order-statistic brackets narrowed by probes: each probe ``probes[..., j]`` (an
    order-preserving int64 key) strictly inside its bracket (lo_b, hi_b) replaces the upper end
    when at least rank + 1 points are <= it (``counts[..., j]``), else the lower end; returns
    the new (lo_b, hi_b, c_lo, c_hi)."""
    for j in range(probes.shape[-1]):
        pb, cj = probes[..., j], counts[..., j]
        inside = (pb > lo_b) & (pb < hi_b)
        up = inside & (cj >= ranks + 1)
        down = inside & ~up
        hi_b, c_hi = np.where(up, pb, hi_b), np.where(up, cj, c_hi)
        lo_b, c_lo = np.where(down, pb, lo_b), np.where(down, cj, c_lo)
    return lo_b, hi_b, c_lo, c_hi


def bisect_order(counter: Counter) -> OrderSearch:
    """An ``OrderSearch`` by plain bisection on the float64 bit pattern between each group's min
    and max, each step one counting pass of ``counter`` (on the device or the CPU): exact."""

    def search(plan: Plan, ranks, lo, hi, place) -> np.ndarray:
        R = ranks.shape[1]
        lo_b = np.repeat(np.nextafter(lo, 0.0).view(np.int64)[:, None], R, axis=1)
        hi_b = np.repeat(hi.view(np.int64)[:, None], R, axis=1)
        while np.any(hi_b - lo_b > 1):
            mid = lo_b + (hi_b - lo_b) // 2
            up = counter(plan, mid.view(np.float64)) >= ranks + 1
            hi_b, lo_b = np.where(up, mid, hi_b), np.where(up, lo_b, mid)
        return hi_b.view(np.float64)

    return search


def quantiles(search: OrderSearch, axes, const, qs, group_axis) -> np.ndarray:
    """See sweep_reference.quantiles (numpy's linear method), without materialising the grid: the
    two order statistics around each quantile, found by ``search``, interpolated as numpy does."""
    plan = Plan(axes, const, group_axis)
    mn, _, mx, _ = extremes(axes, const, group_axis)
    qs = np.asarray(qs, np.float64)
    n = plan.group_size
    h = qs * (n - 1)
    r0 = np.floor(h).astype(np.int64)
    r1 = np.minimum(r0 + 1, n - 1)
    ranks = np.repeat(np.concatenate([r0, r1])[None, :], plan.G, axis=0)
    place = np.repeat(np.concatenate([r0, r0])[None, :], plan.G, axis=0)
    x = search(plan, ranks, mn, mx, place)
    x0, x1 = x[:, : len(qs)], x[:, len(qs) :]
    return _lerp(x0, x1, (h - r0)[None, :])
