"""Lookup tables for the costly inverse CDFs, built once on the host and read by every backend.

The tables are computed by the reference's exact transform (``mc_reference.draw_exact_np``) on
the grid of ``encoding`` (``LUT_*``, ``TAIL2*``), so every backend interpolates the same numbers.
"""

from __future__ import annotations

import numpy as np

from .encoding import (
    LOGUNIFORM,
    LUT_INTERVALS,
    LUT_PAD,
    LUT_TAIL,
    NPAR_LUT,
    TAIL2,
    TAIL2_SPACING,
)
from .mc_reference import draw_exact_np


def _tabulate(fam: int, p: np.ndarray, tab_row: np.ndarray, u: np.ndarray):
    """(values at u, largest interpolation error at the midpoints, spread) of one transform."""
    vals = draw_exact_np(fam, u, p, tab_row)
    mid = (u[:-1] + u[1:]) / 2
    err = float(np.max(np.abs(draw_exact_np(fam, mid, p, tab_row) - (vals[:-1] + vals[1:]) / 2)))
    return (
        vals,
        1.05 * err,
        float(vals[-1] - vals[0]),
    )  # +5%: the curvature varies within an interval


def accelerate(
    fam,
    par,
    tab,
    coef=None,
    intervals: int = LUT_INTERVALS,
    tail: float = LUT_TAIL,
    rel_tol: float = 1e-5,
):
    """Lookup tables for the costly transforms: (par, tab, errors) with tables switched on.

    Variable k's log-value is tabulated at ``intervals`` + 1 equally spaced u in [tail, 1 - tail]
    (exactly, by ``draw_log_np``) and interpolated linearly in between. With the default grid, two
    second-tier tables (spacing ``TAIL2_SPACING``) cover u in [TAIL2, tail) and [1 - tail, 1 - TAIL2];
    beyond them (2**-9 of the draws) the transforms stay exact.
    ``errors[k]`` is 1.05 x the largest interpolation error found at the interval midpoints of its
    tables (log units; the bound holds because each transform is monotone with a one-signed second
    derivative on most intervals). A table is kept only when that error is below ``rel_tol`` x the
    variable's log-spread over the main table's range; loguniform (already linear) gets none.
    """
    fam = np.asarray(fam, np.int64)
    par = np.array(par, np.float64)
    if par.shape[1] < NPAR_LUT:
        par = np.concatenate([par, np.zeros((par.shape[0], NPAR_LUT - par.shape[1]))], axis=1)
    tab = np.asarray(tab, np.float64)
    errors = np.zeros(len(fam))
    u = tail + (1 - 2 * tail) * np.arange(intervals + 1) / intervals
    tiers = tail == LUT_TAIL and intervals == LUT_INTERVALS
    n2 = int(round((tail - TAIL2) / TAIL2_SPACING))
    u2 = np.arange(n2 + 1) * TAIL2_SPACING
    luts: list[tuple[np.ndarray, float | None] | None] = []
    width = tab.shape[1]
    for k in range(len(fam)):
        if fam[k] == LOGUNIFORM or (coef is not None and coef[k] == 0):
            luts.append(None)
            continue
        p = par[k].copy()
        p[6:] = 0.0
        vals, err, spread = _tabulate(int(fam[k]), p, tab[k], u)
        if not np.all(np.isfinite(vals)) or err > rel_tol * spread:
            luts.append(None)
            continue
        before, after = (LUT_PAD, LUT_PAD) if tiers else (0, 1)
        parts, tail_err = [np.full(before, vals[0]), vals, np.full(after, vals[-1])], None
        if tiers:
            lo, e_lo, _ = _tabulate(int(fam[k]), p, tab[k], TAIL2 + u2)
            hi, e_hi, _ = _tabulate(int(fam[k]), p, tab[k], (1.0 - tail) + u2)
            if (
                np.all(np.isfinite(lo))
                and np.all(np.isfinite(hi))
                and max(e_lo, e_hi) <= rel_tol * spread
            ):
                parts += [lo, lo[-1:], hi, hi[-1:]]
                tail_err = max(e_lo, e_hi)
        luts.append((np.concatenate(parts), tail_err))
        errors[k] = max(err, tail_err or 0.0)
    extra = max([len(t[0]) for t in luts if t is not None], default=0)
    if extra:
        tab = np.concatenate([tab, np.zeros((tab.shape[0], extra))], axis=1)
        for k, t in enumerate(luts):
            if t is None:
                continue
            tab[k, width : width + len(t[0])] = t[0]
            before, after = (LUT_PAD, LUT_PAD) if tiers else (0, 1)
            o = width + before  #: the main table's first value (u = tail)
            par[k, 6], par[k, 7], par[k, 8] = tail, intervals / (1 - 2 * tail), o
            if t[1] is not None:
                par[k, 9], par[k, 10], par[k, 11] = (
                    TAIL2,
                    1.0 / TAIL2_SPACING,
                    o + intervals + 1 + after,
                )
    return par, tab, errors
