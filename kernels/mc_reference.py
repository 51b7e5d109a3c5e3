"""Monte Carlo kernels, plain NumPy: the oracle every backend is tested against.

A model is arrays only: ``fam`` (int64[K] family codes, see ``mc_scalar``), ``coef`` (float64[K],
the power of each variable in the product), ``par`` (float64[K, 6]), ``tab`` (float64[K, T+1],
tabulated inverse CDFs), ``chol`` (float64[K, K] lower Cholesky factor of the log-space (Gaussian
copula) correlation, or shape (0, 0) for independent variables) and ``const`` (log of the constant
factors). Sample ``i`` of variable ``k`` uses word ``k % 4`` of Philox block ``k // 4`` at counter
``i`` (see ``philox``), so every backend draws the same numbers for the same seed.

Functions (same signatures on every backend):
    sample_log(seed, start, n, fam, coef, par, tab, chol, const, row=0) -> float64[n]
    summarize(logs, ranks, log_thresholds, shift) -> Summary
    reduce(seed, start, n, fam, coef, par, tab, chol, const, ranks, log_thresholds, shift, bins, exact) -> Summary
    bands_batch(seed, n, fam, coef, par, tab, const, ranks, log_thresholds, shift, tab_index=None) -> BatchSummary
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .mc_scalar import LOGNORMAL, LOGUNIFORM, TABLE, TRIANGULAR, TRUNCNORMAL, UNIFORM
from .philox import ndtri_np, uniforms_np


class Summary(NamedTuple):
    """Reductions of n log-samples: order statistics at ``ranks`` (0-based, of the sorted logs),
    sums of exp(x - shift) and exp(2 (x - shift)), of x and x**2, and counts of x > each threshold."""

    order: np.ndarray
    sum_exp: float
    sum_exp2: float
    sum_x: float
    sum_x2: float
    above: np.ndarray
    n: int
    error: float = 0.0  #: bound on |order - exact order statistic| (log units); 0 when exact
    mean_error: float = (
        0.0  #: bound on the relative error of sum_exp, sum_exp2 ** 0.5 (binning); 0 when exact
    )


class BatchSummary(NamedTuple):
    """Per-row ``Summary`` fields as arrays with a leading row axis."""

    order: np.ndarray
    sum_exp: np.ndarray
    sum_exp2: np.ndarray
    sum_x: np.ndarray
    sum_x2: np.ndarray
    above: np.ndarray
    n: int


def _ndtr_np(z: np.ndarray) -> np.ndarray:
    from math import erfc

    return np.frompyfunc(lambda x: 0.5 * erfc(-x * 0.7071067811865476), 1, 1)(z).astype(np.float64)


def draw_log_np(fam: int, u: np.ndarray, p: np.ndarray, tab_row: np.ndarray) -> np.ndarray:
    """Vectorised ``mc_scalar.draw_log_fast`` for one variable (parameters ``p``, table ``tab_row``)."""
    if len(p) > 6 and p[6] > 0:
        out = _draw_exact(fam, u, p, tab_row)
        _lerp_into(out, u, (u >= p[6]) & (u < 1.0 - p[6]), p[6], p[7], int(p[8]), tab_row)
        if len(p) > 9 and p[9] > 0:  # second-tier tables in the tails
            o = int(p[11])
            _lerp_into(out, u, (u >= p[9]) & (u < p[6]), p[9], p[10], o, tab_row)
            _lerp_into(
                out,
                u,
                (u >= 1.0 - p[6]) & (u < 1.0 - p[9]),
                1.0 - p[6],
                p[10],
                o + int((p[6] - p[9]) * p[10] + 0.5) + 2,
                tab_row,
            )
        return out
    return _draw_exact(fam, u, p, tab_row)


def _lerp_into(out, u, where, start, inv, o, tab_row) -> None:
    t = (u[where] - start) * inv
    j = t.astype(np.int64)
    a = tab_row[o + j]
    out[where] = a + (tab_row[o + j + 1] - a) * (t - j)


def _draw_exact(fam: int, u: np.ndarray, p: np.ndarray, tab_row: np.ndarray) -> np.ndarray:
    if fam == LOGNORMAL:
        return p[0] + p[1] * ndtri_np(u)
    if fam == LOGUNIFORM:
        return p[0] + p[1] * u
    if fam == UNIFORM:
        return np.log(p[0] + p[1] * u)
    if fam == TRUNCNORMAL:
        return np.log(np.maximum(p[0] + p[1] * ndtri_np(p[2] + (1.0 - p[2]) * u), 5e-324))
    if fam == TRIANGULAR:
        lo = p[0] + np.sqrt(u * p[3])
        hi = p[1] - np.sqrt((1.0 - u) * p[4])
        return np.log(np.where(u < p[2], lo, hi))
    if fam == TABLE:
        t = u * p[0]
        j = t.astype(np.int64)
        return np.log(tab_row[j] + (tab_row[j + 1] - tab_row[j]) * (t - j))
    raise ValueError(f"unknown family code {fam}")


LIBM_ULPS = 8  #: elementary functions (log, sqrt-of-log in ndtri) of two backends agree within this


def draw_tolerance(fam: int, u: np.ndarray, p: np.ndarray, tab_row: np.ndarray) -> np.ndarray:
    """Bound on |draw_log(u) of any backend - ``draw_log_np(u)``| (log units), the cross-backend contract.

    0 where the draw is pure arithmetic: loguniform, and lookup-table hits (tables are built here
    once and read by every backend, their interpolation is exact on the grid). Elsewhere the draw
    goes through log (and ndtri's log) of NumPy's SIMD routines or the C library, which are not both
    correctly rounded: within ``LIBM_ULPS`` ulp each, i.e. LIBM_ULPS x eps x (1 + |x|); a truncated
    normal adds the cancellation of mean + sd z near its truncation point, d(mean + sd z) / value."""
    u = np.asarray(u, np.float64)
    x = draw_log_np(fam, u, p, tab_row)
    base = LIBM_ULPS * np.finfo(np.float64).eps
    tol = base * (1.0 + np.abs(x))
    if fam == LOGUNIFORM:
        tol[:] = 0.0
    elif fam == LOGNORMAL:
        tol = base * (np.abs(p[0]) + np.abs(p[1] * ndtri_np(u)) + 1.0)
    elif fam == TRUNCNORMAL:
        y = np.abs(p[0]) + np.abs(p[1] * ndtri_np(p[2] + (1.0 - p[2]) * u))
        tol = tol + base * y / np.exp(x)
    if len(p) > 6 and p[6] > 0:  # table hits are exact
        hit = (u >= p[6]) & (u < 1.0 - p[6])
        if len(p) > 9 and p[9] > 0:
            hit |= ((u >= p[9]) & (u < p[6])) | ((u >= 1.0 - p[6]) & (u < 1.0 - p[9]))
        tol[hit] = 0.0
    return tol


def sample_tolerance(seed, start, n, fam, coef, par, tab, const, row=0) -> np.ndarray:
    """Bound on |sample_log of any backend - ``sample_log``| per sample (independent variables):
    each term's ``draw_tolerance`` plus one rounding of every product and partial sum."""
    k = len(fam)
    u = _uniforms(seed, start, n, k, row)
    eps = np.finfo(np.float64).eps
    tol = np.zeros(n)
    mag = np.full(n, abs(float(const)))
    for j in range(k):
        if coef[j] == 0.0:
            continue
        x = draw_log_np(int(fam[j]), u[:, j], par[j], tab[j])
        tol += abs(coef[j]) * draw_tolerance(int(fam[j]), u[:, j], par[j], tab[j])
        mag += np.abs(coef[j] * x)
    return tol * (1 + 1e-6) + 2 * (k + 1) * eps * mag


LUT_TAIL = 1.0 / 64
#: table intervals: 2**-12 apart in u over [LUT_TAIL, 1 - LUT_TAIL] (an exact grid: the numba kernel
#: reads the interval and the fraction off the bits of the Philox word)
LUT_INTERVALS = (1 << 12) - (1 << 7)
LUT_SPACING = (1 - 2 * LUT_TAIL) / LUT_INTERVALS  #: 2**-12


#: on the default grid the main table is preceded by LUT_PAD copies of its first value and followed by
#: LUT_PAD copies of its last, so that the top 12 bits of a Philox word index the table directly
#: (u's interval in [0, 1)) without clamping; the words in the tails are then recomputed
LUT_PAD = 64

TAIL2 = 2.0**-10  #: second-tier tables cover u in [TAIL2, LUT_TAIL) and [1 - LUT_TAIL, 1 - TAIL2]
TAIL2_SPACING = 2.0**-16  #: their spacing in u (an exact grid, like the main table's)
NPAR_LUT = (
    12  #: par columns with tables: 6..8 main table (u_lo, 1/spacing, offset), 9..11 tail tables
)


def _tabulate(fam: int, p: np.ndarray, tab_row: np.ndarray, u: np.ndarray):
    """(values at u, largest interpolation error at the midpoints, spread) of one transform."""
    vals = _draw_exact(fam, u, p, tab_row)
    mid = (u[:-1] + u[1:]) / 2
    err = float(np.max(np.abs(_draw_exact(fam, mid, p, tab_row) - (vals[:-1] + vals[1:]) / 2)))
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
    luts, width = [], tab.shape[1]
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


def _uniforms(seed: int, start: int, n: int, k: int, row) -> np.ndarray:
    blocks = [uniforms_np(seed, start, n, b, row) for b in range((k + 3) // 4)]
    return np.concatenate(blocks, axis=1)[:, :k] if blocks else np.empty((n, 0))


def sample_log(seed, start, n, fam, coef, par, tab, chol, const, row=0) -> np.ndarray:
    """log(product) for samples start..start+n-1 (float64[n])."""
    k = len(fam)
    u = _uniforms(seed, start, n, k, row)
    out = np.full(n, float(const))
    if chol.shape[0]:
        # einsum, not ``@``: a threaded BLAS call leaves OpenBLAS's threads spinning beside whatever
        # runs next (a numba kernel measured after it ran 1.6x slower on two cores)
        z = np.einsum("nt,vt->nv", ndtri_np(u), chol)
    for j in range(k):
        if coef[j] == 0.0:
            continue
        if chol.shape[0]:
            x = (
                par[j, 0] + par[j, 1] * z[:, j]
                if fam[j] == LOGNORMAL
                else draw_log_np(int(fam[j]), _ndtr_np(z[:, j]), par[j], tab[j])
            )
        else:
            x = draw_log_np(int(fam[j]), u[:, j], par[j], tab[j])
        out += coef[j] * x
    return out


def summarize(logs, ranks, log_thresholds, shift) -> Summary:
    """Exact order statistics (np.partition) and sums of the log-samples."""
    logs = np.asarray(logs)
    ranks = np.asarray(ranks, dtype=np.int64)
    order = np.partition(logs, ranks)[ranks] if len(ranks) else np.empty(0)
    e = np.exp(logs - shift)
    above = np.array([np.count_nonzero(logs > t) for t in log_thresholds], dtype=np.int64)
    return Summary(
        order,
        float(e.sum()),
        float((e * e).sum()),
        float(logs.sum()),
        float((logs * logs).sum()),
        above,
        len(logs),
    )


def reduce(
    seed,
    start,
    n,
    fam,
    coef,
    par,
    tab,
    chol,
    const,
    ranks,
    log_thresholds,
    shift,
    bins=0,
    exact=True,
    log_range=None,
) -> Summary:
    """Sample n log-products and reduce them (exact order statistics at ``ranks``)."""
    return summarize(
        sample_log(seed, start, n, fam, coef, par, tab, chol, const), ranks, log_thresholds, shift
    )


def row_tables(tab, tab_index, r):
    """Row r's tables (k, T): ``tab[r]``, or with ``tab_index`` rows of the shared pool ``tab`` (P, T)."""
    return tab[r] if tab_index is None else np.asarray(tab)[np.asarray(tab_index)[r]]


def bands_batch(
    seed, n, fam, coef, par, tab, const, ranks, log_thresholds, shift, tab_index=None
) -> BatchSummary:
    """Row r: n samples of row r's model (independent variables), Philox counter word 3 = r.

    ``tab`` is (rows, k, T), or with ``tab_index`` (rows, k) a pool (P, T) of tables shared by the
    rows: variable v of row r uses ``tab[tab_index[r, v]]``."""
    rows = [
        summarize(
            sample_log(
                seed,
                0,
                n,
                fam[r],
                coef[r],
                par[r],
                row_tables(tab, tab_index, r),
                np.zeros((0, 0)),
                const[r],
                row=r,
            ),
            ranks,
            log_thresholds,
            shift[r],
        )
        for r in range(len(const))
    ]
    return BatchSummary(
        np.array([s.order for s in rows]).reshape(len(rows), len(ranks)),
        *(
            np.array([getattr(s, f) for s in rows])
            for f in ("sum_exp", "sum_exp2", "sum_x", "sum_x2")
        ),
        np.array([s.above for s in rows]).reshape(len(rows), len(log_thresholds)),
        n,
    )
