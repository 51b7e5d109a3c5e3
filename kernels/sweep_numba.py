"""Grid sweeps on the CPU with Numba: parallel, fused, cached. Same functions as sweep_reference.

Materialise: each thread fills a block of points, walking the grid with an odometer, so the only
work per point is the stores. Reductions never write the grid: they use its product structure.
The canonical product is monotone in every axis value (IEEE multiplication by a positive number is
monotone), so for each combination of the *outer* axes, the points of the two *search* axes
(sorted) that lie at or below a threshold form a staircase walked by two pointers in
O(n_x + n_y) evaluations for n_x * n_y points. Counts are therefore exact (the same products as the
reference); quantiles are found by bisection on the float64 bit pattern (exact order statistics);
min/max come from the axes' extremes.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from numba import njit, prange

PFS_DAY = 8.64e19
BLOCK = 1 << 14  #: points per parallel work item in materialize


def flat(axes: Sequence[np.ndarray]):
    """(values, offsets, sizes): the axes concatenated, for kernels."""
    sizes = np.array([len(a) for a in axes], np.int64)
    offsets = np.zeros(len(axes), np.int64)
    offsets[1:] = np.cumsum(sizes)[:-1]
    values = np.ascontiguousarray(np.concatenate([np.asarray(a, np.float64) for a in axes]))
    return values, offsets, sizes


@njit(parallel=True, cache=True)
def _materialize(values, offsets, sizes, const, start, flop, pfs, cols, codes, code_axis):
    k = sizes.shape[0]
    n = flop.shape[0]
    nlast = sizes[k - 1]
    loff = offsets[k - 1]
    nblocks = (n + BLOCK - 1) // BLOCK
    for b in prange(nblocks):
        s = start + b * BLOCK
        e = min(s + BLOCK, start + n)
        idx = np.empty(k, np.int64)
        pre = np.empty(k, np.float64)
        rem = s
        for a in range(k - 1, -1, -1):
            idx[a] = rem % sizes[a]
            rem //= sizes[a]
        pre[0] = const
        for a in range(1, k):
            pre[a] = pre[a - 1] * values[offsets[a - 1] + idx[a - 1]]
        pos = s
        while pos < e:
            j0 = idx[k - 1]
            m = min(nlast - j0, e - pos)
            o = pos - start
            for a in range(k - 1):
                v = values[offsets[a] + idx[a]]
                for t in range(m):
                    cols[a, o + t] = v
            p = pre[k - 1]
            for t in range(m):
                x = values[loff + j0 + t]
                f = p * x
                cols[k - 1, o + t] = x
                flop[o + t] = f
                pfs[o + t] = f / PFS_DAY
            if code_axis >= 0:
                if code_axis == k - 1:
                    for t in range(m):
                        codes[o + t] = j0 + t
                else:
                    c = idx[code_axis]
                    for t in range(m):
                        codes[o + t] = c
            pos += m
            if pos < e:  # carry the odometer into the outer axes
                idx[k - 1] = 0
                a = k - 2
                while a >= 0:
                    idx[a] += 1
                    if idx[a] < sizes[a]:
                        break
                    idx[a] = 0
                    a -= 1
                for c2 in range(max(a, 0), k - 1):
                    pre[c2 + 1] = pre[c2] * values[offsets[c2] + idx[c2]]


def materialize(axes, const, start, flop, pfs, cols, codes, code_axis) -> None:
    """See sweep_reference.materialize."""
    values, offsets, sizes = flat(axes)
    _materialize(values, offsets, sizes, float(const), int(start), flop, pfs, cols, codes, int(code_axis))


# ---- reductions on the product structure -------------------------------------------------------

class Plan:
    """Axes padded to >= 2 non-group axes, search axes (the two largest non-group), sort orders."""

    def __init__(self, axes: Sequence[np.ndarray], group_axis: int) -> None:
        axes = [np.asarray(a, np.float64) for a in axes]
        pad = max(0, 2 - (len(axes) - (group_axis >= 0)))
        self.pad = pad
        self.axes = [np.ones(1)] * pad + axes  # const * 1.0 is exact: the products are unchanged
        self.group = group_axis + pad if group_axis >= 0 else -1
        self.values, self.offsets, self.sizes = flat(self.axes)
        cand = [a for a in range(len(self.axes)) if a != self.group]
        cand.sort(key=lambda a: -len(self.axes[a]))
        self.ax, self.ay = sorted(cand[:2])
        self.px = np.argsort(self.axes[self.ax], kind="stable").astype(np.int64)
        self.py = np.argsort(self.axes[self.ay], kind="stable").astype(np.int64)
        self.G = 1 if self.group < 0 else len(self.axes[self.group])
        self.n_outer = int(np.prod(self.sizes)) // (len(self.px) * len(self.py))
        self.group_size = int(np.prod(self.sizes)) // self.G


@njit(cache=True)
def _eval(values, offsets, sizes, const, idx):
    p = const
    for a in range(sizes.shape[0]):
        p = p * values[offsets[a] + idx[a]]
    return p


@njit(cache=True)
def _outer_index(o, sizes, ax, ay, idx):
    rem = o
    for a in range(sizes.shape[0] - 1, -1, -1):
        if a == ax or a == ay:
            idx[a] = 0
            continue
        idx[a] = rem % sizes[a]
        rem //= sizes[a]


@njit(cache=True)
def _staircase(values, offsets, sizes, const, ax, ay, px, py, idx, v):
    """Points of the (ax, ay) plane at idx with product <= v; two pointers over sorted axes."""
    nx, ny = px.shape[0], py.shape[0]
    c = ny
    total = 0
    for i in range(nx):
        idx[ax] = px[i]
        while c > 0:
            idx[ay] = py[c - 1]
            if _eval(values, offsets, sizes, const, idx) > v:
                c -= 1
            else:
                break
        if c == 0:
            break
        total += c
    return total


@njit(parallel=True, cache=True)
def _count_le(values, offsets, sizes, const, ax, ay, px, py, group, thr, n_outer):
    G, R = thr.shape
    k = sizes.shape[0]
    nb = min(n_outer, 64)
    part = np.zeros((nb, G, R), np.int64)
    for b in prange(nb):
        idx = np.empty(k, np.int64)
        for o in range(b, n_outer, nb):
            _outer_index(o, sizes, ax, ay, idx)
            g = idx[group] if group >= 0 else 0
            for r in range(R):
                part[b, g, r] += _staircase(values, offsets, sizes, const, ax, ay, px, py, idx, thr[g, r])
    return part.sum(axis=0)


def count_le_plan(plan: Plan, thresholds: np.ndarray) -> np.ndarray:
    """count_le on a prepared Plan; thresholds (G, R)."""
    thr = np.array(np.broadcast_to(np.asarray(thresholds, np.float64), (plan.G, np.shape(thresholds)[-1])))
    return _count_le(plan.values, plan.offsets, plan.sizes, float(plan.const), plan.ax, plan.ay,
                     plan.px, plan.py, plan.group, thr, plan.n_outer)


def _plan(axes, const, group_axis) -> Plan:
    plan = Plan(axes, group_axis)
    plan.const = float(const)
    return plan


def count_le(axes, const, thresholds, group_axis) -> np.ndarray:
    """See sweep_reference.count_le."""
    return count_le_plan(_plan(axes, const, group_axis), np.atleast_2d(thresholds))


def count_at_least(axes, const, threshold, group_axis, counter=count_le_plan) -> np.ndarray:
    """See sweep_reference.count_at_least: group size minus the count strictly below."""
    plan = _plan(axes, const, group_axis)
    below = np.nextafter(float(threshold), 0.0)
    return plan.group_size - counter(plan, np.full((plan.G, 1), below))[:, 0]


def product_at(axes, const, index: Sequence[int]) -> float:
    """The canonical product at one grid index."""
    p = float(const)
    for a, i in zip(axes, index):
        p = p * float(a[i])
    return p


def extremes(axes, const, group_axis):
    """See sweep_reference.extremes: the product is monotone, so the extremes sit at the axes'."""
    axes = [np.asarray(a, np.float64) for a in axes]
    sizes = tuple(len(a) for a in axes)
    G = 1 if group_axis < 0 else sizes[group_axis]
    out = [np.empty(G), np.empty(G, np.int64), np.empty(G), np.empty(G, np.int64)]
    for g in range(G):
        lo = [int(np.argmin(a)) for a in axes]
        hi = [int(np.argmax(a)) for a in axes]
        if group_axis >= 0:
            lo[group_axis] = hi[group_axis] = g
        out[0][g], out[1][g] = product_at(axes, const, lo), np.ravel_multi_index(lo, sizes)
        out[2][g], out[3][g] = product_at(axes, const, hi), np.ravel_multi_index(hi, sizes)
    return tuple(out)


def _lerp(a, b, t):
    """numpy's linear interpolation, rounding the same way as np.quantile."""
    d = b - a
    return np.where(t >= 0.5, b - d * (1 - t), a + d * t)


def order_statistics(plan: Plan, ranks: np.ndarray, lo: np.ndarray, hi: np.ndarray, counter) -> np.ndarray:
    """The ranks[g, r]-th smallest product (0-based) per group, by bisection on float64 bits.

    lo/hi: per-group min and max products. Exact: the result is a product of the grid.
    """
    R = ranks.shape[1]
    lo_b = np.repeat(np.nextafter(lo, 0.0).view(np.int64)[:, None], R, axis=1)
    hi_b = np.repeat(hi.view(np.int64)[:, None], R, axis=1)
    while np.any(hi_b - lo_b > 1):
        mid = lo_b + (hi_b - lo_b) // 2
        c = counter(plan, mid.view(np.float64))
        ok = c >= ranks + 1
        hi_b = np.where(ok, mid, hi_b)
        lo_b = np.where(ok, lo_b, mid)
    return hi_b.view(np.float64)


def quantiles(axes, const, qs, group_axis, counter=count_le_plan) -> np.ndarray:
    """See sweep_reference.quantiles (numpy's linear method), without materialising the grid."""
    plan = _plan(axes, const, group_axis)
    mn, _, mx, _ = extremes(axes, const, group_axis)
    qs = np.asarray(qs, np.float64)
    n = plan.group_size
    h = qs * (n - 1)
    r0 = np.floor(h).astype(np.int64)
    r1 = np.minimum(r0 + 1, n - 1)
    ranks = np.broadcast_to(np.concatenate([r0, r1])[None, :], (plan.G, 2 * len(qs))).copy()
    x = order_statistics(plan, ranks, mn, mx, counter)
    return _lerp(x[:, :len(qs)], x[:, len(qs):], (h - r0)[None, :])
