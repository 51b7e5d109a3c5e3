"""Sweep reductions on a two-set split of the grid (CPU, Numba).

The grid's axes go into two sets, A (with the group axis, if any) and B; each set's products are
listed and sorted once. Counting the points at or below a threshold t is then, for every a of A in
ascending order, a pointer into B's sorted products that only moves down: O(|A| + |B|) per threshold
instead of the plane walk's O(outer x (n_x + n_y)), e.g. 1.1e5 instead of 1.2e6 steps on a
2 x 5000 x 1000 x 100 grid.

Those set products are not the canonical product (const x a0 x a1 x ... left to right, as the
reference rounds it), so they decide a point only when they are further than ``window`` (relative)
from t; the few points inside the window are decided by their exact canonical product. Counts are
therefore exact. The split is only used when every value is positive and finite and the products
stay far from underflow and overflow, in any order of multiplication (``build`` returns None
otherwise: the plane walk runs).
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from .host import Plan

U = 2.0**-53  #: unit roundoff of float64
MAX_SIDE = 1 << 21  #: most products either set may list
TIE_MAX = 64  #: most of B's products within one window of each other (each costs an exact check)
PASSES = 16  #: threshold-passes a reduction is assumed to make (cost model)
FORCE: bool | None = None  #: True: split whenever valid; False: never; None: when cheaper
EXP_MAX = 900  #: |log2| of every partial product stays below this (normal floats: bounds hold)


class Split(NamedTuple):
    """Set A's products sorted by (group, product), each one's group and flat index in A's
    sub-grid; set B's products sorted, with their flat indices in B's sub-grid; each set's axes
    and sizes (canonical order); the relative window."""

    qa: np.ndarray
    ga: np.ndarray
    fa: np.ndarray
    qb: np.ndarray
    fb: np.ndarray
    a_axes: np.ndarray
    a_sizes: np.ndarray
    b_axes: np.ndarray
    b_sizes: np.ndarray
    window: float
    nb: int


def _sizes(plan: Plan) -> list[int]:
    return [len(a) for a in plan.axes]


def choose(plan: Plan) -> tuple[int, ...] | None:
    """Axes of set B (the others and the group axis form A), or None when the plane walk is
    cheaper: the cost model counts sorting both sets once and ``PASSES`` threshold-passes, in
    which each product of A costs about four of B (a division and four pointers)."""
    sizes = _sizes(plan)
    free = [a for a in range(len(sizes)) if a != plan.group]
    total = math.prod(sizes)
    walk = PASSES * plan.n_outer * (len(plan.px) + len(plan.py))
    best, best_cost = None, math.inf
    for m in range(1, len(free) + 1):
        for b_set in itertools.combinations(free, m):
            nb_ = math.prod(sizes[a] for a in b_set)
            na = total // nb_
            if max(na, nb_) > MAX_SIDE:
                continue
            cost = 2 * (na * math.log2(na + 1) + nb_ * math.log2(nb_ + 1)) + PASSES * (4 * na + nb_)
            if na < 64:  # A's blocks are the parallel items: too few leave threads idle
                cost += PASSES * nb_
            if cost < best_cost:
                best, best_cost = b_set, cost
    if best is None or (FORCE is None and best_cost * 2 > walk) or FORCE is False:
        return None
    return best


def _set(plan: Plan, axes: list[int], start: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(products start x the set's values, canonical order, over the set's sub-grid in C order;
    the set's axes; their sizes)."""
    ax = np.array(axes, np.int64)
    sz = plan.sizes[ax] if axes else np.zeros(0, np.int64)
    q = np.array([float(start)])
    for a in axes:
        q = (q[:, None] * plan.axes[a][None, :]).ravel()
    return q, ax, sz


def _in_range(plan: Plan) -> bool:
    """Every value positive and finite, and every partial product of any of them (any subset, any
    order) a normal float: the sum over factors of the largest |log2| stays below EXP_MAX."""
    values = plan.values
    if not (np.all(np.isfinite(values)) and np.all(values > 0) and 0 < plan.const < math.inf):
        return False
    span = abs(math.log2(plan.const))
    for a in plan.axes:
        span += max(abs(math.log2(float(a.min()))), abs(math.log2(float(a.max()))))
    return span < EXP_MAX


def build(plan: Plan) -> Split | None:
    """The split of ``plan``'s grid, or None where it does not apply (see the module)."""
    if 0 in plan.sizes or not _in_range(plan):
        return None
    b_set = choose(plan)
    if b_set is None:
        return None
    a_set = [a for a in range(len(plan.axes)) if a not in b_set]
    qa, a_axes, a_sizes = _set(plan, a_set, plan.const)
    qb, b_axes, b_sizes = _set(plan, list(b_set), 1.0)
    # a point's set products, the threshold's scaling and the canonical product are each within
    # (k + 2) u relative of the exact product: 2k + 6 units in all; the window is 4x that and more
    window = 8.0 * (len(plan.axes) + 4) * U
    ob = np.argsort(qb, kind="stable")
    qb = qb[ob]
    if FORCE is None and _longest_tie(qb, window) > TIE_MAX:
        return None  # e.g. a constant or power-of-two axis in B: the walk is cheaper
    oa = np.argsort(qa, kind="stable")
    if plan.group >= 0:  # then by group: a stable sort of the group of each
        at = a_set.index(plan.group)
        stride = int(np.prod(a_sizes[at + 1 :]))
        oa = oa[np.argsort((oa // stride) % a_sizes[at], kind="stable")]
        ga = (oa // stride) % a_sizes[at]
    else:
        ga = np.zeros(len(oa), np.int64)
    nb = max(1, min(len(qa), 64))
    return Split(qa[oa], ga, oa, qb, ob, a_axes, a_sizes, b_axes, b_sizes, window, nb)


def _longest_tie(q: np.ndarray, window: float) -> int:
    """The longest run of sorted products each within 2 windows (relative) of the next."""
    near = q[1:] <= q[:-1] * (1 + 2 * window)
    if not near.any():
        return 1
    edges = np.flatnonzero(np.diff(np.r_[0, near.view(np.int8), 0]))
    return int((edges[1::2] - edges[::2]).max()) + 1


def of(plan: Plan) -> Split | None:
    """``plan``'s split, built on first use and kept on the plan."""
    if "split" not in plan.cache:
        plan.cache["split"] = build(plan)
    return plan.cache["split"]  # type: ignore[return-value]


@njit(cache=True)
def _rank(qb, x):
    """Number of qb (sorted) <= x."""
    lo, hi = 0, qb.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if qb[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def _down(qb, x, p):
    """The pointer p (= number of qb <= some x' >= x) moved down to the number of qb <= x."""
    while p > 0 and qb[p - 1] > x:
        p -= 1
    return p


@njit(cache=True)
def _decode(f, axes, sizes, idx):
    """The set's flat index f into idx (one entry per grid axis)."""
    for a in range(axes.shape[0] - 1, -1, -1):
        idx[axes[a]] = f % sizes[a]
        f //= sizes[a]


@njit(cache=True)
def _exact(values, offsets, const, idx):
    """The canonical product at grid index idx."""
    p = const
    for ax in range(offsets.shape[0]):
        p = p * values[offsets[ax] + idx[ax]]
    return p


@njit(cache=True)
def _le(values, offsets, const, fb, b_axes, b_sizes, idx, j0, j1, t):
    """Points (A's index already in idx, B's at j0 <= j < j1) with canonical product <= t."""
    c = 0
    for j in range(j0, j1):
        _decode(fb[j], b_axes, b_sizes, idx)
        if _exact(values, offsets, const, idx) <= t:
            c += 1
    return c


@njit(parallel=True, cache=True)
def split_band(
    values, offsets, const, qa, ga, fa, qb, fb, a_axes, a_sizes, b_axes, b_sizes, w,
    lo, hi, nb, starts, out,
):  # fmt: skip
    """Per block of A: points with lo[g, r] < product <= hi[g, r], shape (nb, G, R); with a
    non-empty ``out``, also writes their canonical products at starts[b, g, r] onwards."""
    G, R = hi.shape
    LA = qa.shape[0]
    part = np.zeros((nb, G, R), np.int64)
    write = out.shape[0] > 0
    ends = np.empty((G, R, 4))  # lo (1 - w), lo (1 + w), hi (1 - w), hi (1 + w)
    for g in range(G):
        for r in range(R):
            ends[g, r, 0], ends[g, r, 1] = lo[g, r] * (1 - w), lo[g, r] * (1 + w)
            ends[g, r, 2], ends[g, r, 3] = hi[g, r] * (1 - w), hi[g, r] * (1 + w)
    for b in prange(nb):
        idx = np.zeros(offsets.shape[0], np.int64)
        ptr = np.zeros((R, 4), np.int64)  # counts of qb <= ends / x: lo sure, lo maybe, hi ...
        g_prev = -1
        for a in range(b * LA // nb, (b + 1) * LA // nb):
            g, inv = ga[a], 1.0 / qa[a]
            _decode(fa[a], a_axes, a_sizes, idx)
            for r in range(R):
                for e in range(4):
                    x = ends[g, r, e] * inv
                    ptr[r, e] = _rank(qb, x) if g != g_prev else _down(qb, x, ptr[r, e])
                tl, th = lo[g, r], hi[g, r]
                if write:
                    pos = starts[b, g, r] + part[b, g, r]
                    c = 0
                    for j in range(ptr[r, 0], ptr[r, 3]):
                        _decode(fb[j], b_axes, b_sizes, idx)
                        p = _exact(values, offsets, const, idx)
                        if tl < p <= th:
                            out[pos + c] = p
                            c += 1
                    part[b, g, r] += c
                else:
                    n_hi = ptr[r, 2] + _le(
                        values, offsets, const, fb, b_axes, b_sizes, idx, ptr[r, 2], ptr[r, 3], th
                    )
                    n_lo = 0
                    if tl != -np.inf:
                        n_lo = ptr[r, 0] + _le(
                            values,
                            offsets,
                            const,
                            fb,
                            b_axes,
                            b_sizes,
                            idx,
                            ptr[r, 0],
                            ptr[r, 1],
                            tl,
                        )
                    part[b, g, r] += n_hi - n_lo
            g_prev = g
    return part


@njit(cache=True)
def block_totals(ga, LB, nb, G):
    """Points per (block, group) of ``split_band``'s blocks."""
    tot = np.zeros((nb, G), np.int64)
    LA = ga.shape[0]
    for b in range(nb):
        for a in range(b * LA // nb, (b + 1) * LA // nb):
            tot[b, ga[a]] += LB
    return tot


def sample(split: Split, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(products, groups) at ``n`` grid points drawn uniformly (fixed seed); the set products'
    product, which is all a search's probes need (counts are taken exactly)."""
    rng = np.random.default_rng(seed)
    i = rng.integers(0, len(split.qa), n)
    j = rng.integers(0, len(split.qb), n)
    return split.qa[i] * split.qb[j], split.ga[i]
