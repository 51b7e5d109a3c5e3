"""Sweep workloads (kernel family "sweep"): a materialised grid (every point's flop, pfs-days, axis
columns and device code written to memory) and a reduced grid (points at or above a threshold,
nothing written). Importing this module fails until ``computesim.kernels.sweep_reference`` exists.
"""
from __future__ import annotations

import numpy as np

from ..kernels import sweep_reference  # noqa: F401  (ImportError until the sweep kernels land)
from .registry import Case, Workload, register

CONST = 1.58e12 * 86400.0  #: FLOP per (device x day x unit utilization) of a GTX 580
PFS_DAY = 8.64e19
CHECK_POINTS = 4096  #: points compared one by one with the canonical product


def grid(size: int) -> list[np.ndarray]:
    """Three axes (devices, days, utilization), ``size`` points in all (size a power of ten >= 10)."""
    last = min(size, 1000)
    mid = max(1, min(size // last, 1000))
    first = max(1, size // (last * mid))
    return [np.arange(1.0, first + 1), np.linspace(1.0, 60.0, mid), np.linspace(0.2, 0.5, last)]


def _canonical(axes: list[np.ndarray], flat: np.ndarray) -> np.ndarray:
    """The canonical product ((const * a0) * a1) * a2 at flat C-order indices, independently."""
    idx = np.unravel_index(flat, [len(a) for a in axes])
    out = np.full(len(flat), CONST)
    for a, i in zip(axes, idx):
        out = out * a[i]
    return out


def _backend(name: str):
    from ..kernels import get_backend

    return get_backend(name).sweep


def _materialized(size: int, backend: str) -> Case:
    axes = grid(size)
    n = int(np.prod([len(a) for a in axes]))
    kern = _backend(backend)
    flop, pfs, cols, codes = np.empty(n), np.empty(n), np.empty((3, n)), np.empty(n, np.int32)

    def run():
        kern.materialize(axes, CONST, 0, flop, pfs, cols, codes, 0)
        return flop, pfs, cols, codes

    def check(out):
        f, p, c, k = out
        at = np.unique(np.r_[np.linspace(0, n - 1, CHECK_POINTS).astype(np.int64), n - 1])
        assert np.array_equal(f[at], _canonical(axes, at)), "flop differs from the canonical product"
        assert np.array_equal(p[at], f[at] / PFS_DAY), "pfs-days != flop / 8.64e19"
        idx = np.unravel_index(at, [len(a) for a in axes])
        for a in range(3):
            assert np.array_equal(c[a, at], axes[a][idx[a]]), f"axis column {a}"
        assert np.array_equal(k[at], idx[0]), "device codes"

    return Case(run, check, items=n, bytes_out=flop.nbytes + pfs.nbytes + cols.nbytes + codes.nbytes)


def count_at_least_exact(axes: list[np.ndarray], threshold: float) -> int:
    """Points with canonical product >= threshold, by a search over the last (sorted) axis for each
    pair of outer indices, corrected against the exact products at the boundary."""
    a0, a1, a2 = axes
    pre = ((CONST * a0)[:, None] * a1[None, :]).ravel()  # same rounding as the kernels' prefix
    k = np.searchsorted(a2, threshold / pre, side="left")
    for _ in range(4):  # the division rounds: move k to the exact first index with pre * a2 >= thr
        down = (k > 0) & (pre * a2[np.maximum(k - 1, 0)] >= threshold)
        up = (k < len(a2)) & (pre * a2[np.minimum(k, len(a2) - 1)] < threshold)
        k = k - down + up
    assert not np.any((k > 0) & (pre * a2[np.maximum(k - 1, 0)] >= threshold))
    assert not np.any((k < len(a2)) & (pre * a2[np.minimum(k, len(a2) - 1)] < threshold))
    return int(np.sum(len(a2) - k))


def _reduced(size: int, backend: str) -> Case:
    axes = grid(size)
    n = int(np.prod([len(a) for a in axes]))
    kern = _backend(backend)
    thr = CONST * float(np.median(axes[0])) * 30.0 * 0.35

    def run():
        return kern.count_at_least(axes, CONST, thr, -1)

    def check(got):
        assert np.asarray(got).tolist() == [count_at_least_exact(axes, thr)], got

    return Case(run, check, items=n)


_BACKENDS = ("reference", "numba")
register(Workload("materialized sweep", "points/s", "bandwidth", _BACKENDS, _materialized,
                  {"quick": 10**7, "full": 10**8}, scaling=10**8, reference_max=10**8,
                  description="devices x days x utilization grid: flop, pfs-days, 3 axis columns, codes (44 B/point)"))
register(Workload("reduced sweep", "points/s", "compute", _BACKENDS, _reduced,
                  {"quick": 10**7, "full": 10**8}, scaling=10**9, reference_max=10**8,
                  description="points of the grid at or above a threshold; nothing materialised"))
