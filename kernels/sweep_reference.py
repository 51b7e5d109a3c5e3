"""Grid sweeps, plain NumPy: the oracle every other backend is tested against, and the baseline.

A grid is a list of 1-D float64 axes (positive factor values) and a constant; point ``i`` (C order,
last axis fastest) has the *canonical product*

    flop[i] = (((const * a0[i0]) * a1[i1]) * ...) * a_{k-1}[i_{k-1}]

multiplied left to right in exactly that order, so every backend rounds the same way. Every backend
module of this family exposes the functions below with the same signatures
(``protocols.SweepFamily``):

    materialize(axes, const, start, flop, pfs, cols, codes, code_axis, per) -> None
    count_le(axes, const, thresholds, group_axis) -> int64 (G, R)
    count_at_least(axes, const, threshold, group_axis) -> int64 (G,)
    extremes(axes, const, group_axis) -> (min, argmin, max, argmax), each (G,)
    quantiles(axes, const, qs, group_axis) -> float64 (G, len(qs))

Kernels know no units: ``pfs = flop / per`` with the caller's ``per`` (FLOP per pfs-day).
``group_axis`` is an axis index, or -1 for no grouping (G = 1). Arguments are flat C-order indices.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

CHUNK = 1 << 22  #: points per chunk in the chunked reductions


def _sizes(axes: Sequence[np.ndarray]) -> tuple[int, ...]:
    return tuple(len(a) for a in axes)


def materialize(
    axes: Sequence[np.ndarray],
    const: float,
    start: int,
    flop: np.ndarray,
    pfs: np.ndarray,
    cols: np.ndarray,
    codes: np.ndarray,
    code_axis: int,
    per: float,
) -> None:
    """Fill points [start, start + len(flop)): flop (the product), pfs = flop / ``per`` (the caller's
    unit, e.g. FLOP per pfs-day), cols[a] = axis a's value, codes = index on ``code_axis`` (int32;
    ignored when code_axis < 0).

    Broadcast per whole line of the last axis: outer products into the preallocated arrays.
    """
    n = len(flop)
    sizes = _sizes(axes)
    nlast = sizes[-1]
    row0, row1 = start // nlast, (start + n - 1) // nlast + 1
    rows = np.arange(row0, row1)
    outer = np.unravel_index(rows, sizes[:-1]) if len(sizes) > 1 else ()
    pre = np.full(len(rows), float(const))
    for a, idx in enumerate(outer):
        pre *= axes[a][idx]
    off = start - row0 * nlast
    aligned = off == 0 and n == len(rows) * nlast
    block = flop.reshape(len(rows), nlast) if aligned else np.empty((len(rows), nlast))
    np.multiply(pre[:, None], np.asarray(axes[-1])[None, :], out=block)
    if not aligned:
        flop[:] = block.reshape(-1)[off : off + n]
    np.divide(flop, per, out=pfs)
    shape = (len(rows), nlast)
    for a in range(len(sizes)):
        last = a == len(sizes) - 1
        vals = np.asarray(axes[a])[None, :] if last else axes[a][outer[a]][:, None]
        ix = np.arange(nlast)[None, :] if last else outer[a][:, None]
        if aligned:
            cols[a].reshape(shape)[:] = vals
            if a == code_axis:
                codes.reshape(shape)[:] = ix
        else:
            cols[a, :] = np.broadcast_to(vals, shape).reshape(-1)[off : off + n]
            if a == code_axis:
                codes[:] = np.broadcast_to(ix, shape).reshape(-1)[off : off + n]


def _chunks(sizes: tuple[int, ...]):
    """(start, n) pieces of the flat grid."""
    total = int(np.prod(sizes))
    for s in range(0, total, CHUNK):
        yield s, min(CHUNK, total - s)


def _products(axes, const, start, n):
    k = len(axes)
    flop, pfs = np.empty(n), np.empty(n)
    cols, codes = np.empty((k, n)), np.empty(0, np.int32)
    materialize(axes, const, start, flop, pfs, cols, codes, -1, 1.0)
    return flop


def _groups(sizes, group_axis, start, n):
    if group_axis < 0:
        return np.zeros(n, np.int64), 1
    idx = np.unravel_index(np.arange(start, start + n), sizes)[group_axis]
    return idx, sizes[group_axis]


def count_le(
    axes: Sequence[np.ndarray], const: float, thresholds: ArrayLike, group_axis: int
) -> np.ndarray:
    """Points with flop <= thresholds[g, r] in group g, shape (G, R)."""
    sizes = _sizes(axes)
    thr = np.atleast_2d(np.asarray(thresholds, float))
    out = np.zeros(thr.shape, np.int64)
    for s, n in _chunks(sizes):
        f = _products(axes, const, s, n)
        g, G = _groups(sizes, group_axis, s, n)
        for r in range(thr.shape[1]):
            out[:, r] += np.bincount(g, weights=f <= thr[g, r], minlength=G).astype(np.int64)
    return out


def count_at_least(
    axes: Sequence[np.ndarray], const: float, threshold: float, group_axis: int
) -> np.ndarray:
    """Points with flop >= threshold, per group, shape (G,)."""
    sizes = _sizes(axes)
    G = 1 if group_axis < 0 else sizes[group_axis]
    out = np.zeros(G, np.int64)
    for s, n in _chunks(sizes):
        f = _products(axes, const, s, n)
        g, _ = _groups(sizes, group_axis, s, n)
        out += np.bincount(g, weights=f >= threshold, minlength=G).astype(np.int64)
    return out


def extremes(axes: Sequence[np.ndarray], const: float, group_axis: int):
    """(min, argmin, max, argmax) per group; arguments are flat indices (first occurrence)."""
    sizes = _sizes(axes)
    G = 1 if group_axis < 0 else sizes[group_axis]
    mn, mx = np.full(G, np.inf), np.full(G, -np.inf)
    amn, amx = np.zeros(G, np.int64), np.zeros(G, np.int64)
    for s, n in _chunks(sizes):
        f = _products(axes, const, s, n)
        g, _ = _groups(sizes, group_axis, s, n)
        for gi in range(G):
            sel = np.flatnonzero(g == gi)
            if len(sel) == 0:
                continue
            i, j = sel[np.argmin(f[sel])], sel[np.argmax(f[sel])]
            if f[i] < mn[gi]:
                mn[gi], amn[gi] = f[i], s + i
            if f[j] > mx[gi]:
                mx[gi], amx[gi] = f[j], s + j
    return mn, amn, mx, amx


def quantiles(
    axes: Sequence[np.ndarray], const: float, qs: Sequence[float], group_axis: int
) -> np.ndarray:
    """np.quantile (linear) of the products per group; materialises the grid (small grids only)."""
    sizes = _sizes(axes)
    total = int(np.prod(sizes))
    f = _products(axes, const, 0, total).reshape(sizes)
    if group_axis < 0:
        return np.quantile(f.reshape(1, -1), qs, axis=1).T
    g = np.moveaxis(f, group_axis, 0).reshape(sizes[group_axis], -1)
    return np.quantile(g, qs, axis=1).T
