"""Monte Carlo kernels, plain NumPy: the oracle every backend is tested against.

A model is arrays only: ``fam`` (int64[K] family codes, see ``encoding``), ``coef`` (float64[K],
the power of each variable in the product), ``par`` (float64[K, 6]), ``tab`` (float64[K, T+1],
tabulated inverse CDFs), ``chol`` (float64[K, K] lower Cholesky factor of the log-space (Gaussian
copula) correlation, or shape (0, 0) for independent variables) and ``const`` (log of the constant
factors). Sample ``i`` of variable ``k`` uses word ``k % 4`` of Philox block ``k // 4`` at counter
``i`` (see ``philox``), so every backend draws the same numbers for the same seed.

Functions (the same signatures and defaults on every backend: ``protocols.McFamily``):
    sample_log(seed, start, n, fam, coef, par, tab, chol, const, row=0) -> float64[n]
    summarize(logs, ranks, log_thresholds, shift) -> Summary
    reduce(seed, start, n, fam, coef, par, tab, chol, const, ranks, log_thresholds, shift,
           bins=None, exact=False, log_range=None) -> Summary
    bands_batch(seed, n, fam, coef, par, tab, const, ranks, log_thresholds, shift,
                tab_index=None) -> BatchSummary
"""

from __future__ import annotations

from math import erfc

import numpy as np

from .encoding import LOGNORMAL, LOGUNIFORM, TABLE, TRIANGULAR, TRUNCNORMAL, UNIFORM
from .host import BatchSummary, Summary, row_tables, stack_rows
from .philox import ndtri_np, uniforms_np


def _ndtr_np(z: np.ndarray) -> np.ndarray:
    return np.frompyfunc(lambda x: 0.5 * erfc(-x * 0.7071067811865476), 1, 1)(z).astype(np.float64)


def draw_log_np(fam: int, u: np.ndarray, p: np.ndarray, tab_row: np.ndarray) -> np.ndarray:
    """Vectorised ``mc_scalar.draw_log_fast`` for one variable (parameters ``p``, table ``tab_row``)."""
    if len(p) > 6 and p[6] > 0:
        out = draw_exact_np(fam, u, p, tab_row)
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
    return draw_exact_np(fam, u, p, tab_row)


def _lerp_into(out, u, where, start, inv, o, tab_row) -> None:
    t = (u[where] - start) * inv
    j = t.astype(np.int64)
    a = tab_row[o + j]
    out[where] = a + (tab_row[o + j + 1] - a) * (t - j)


def draw_exact_np(fam: int, u: np.ndarray, p: np.ndarray, tab_row: np.ndarray) -> np.ndarray:
    """The exact transform of one variable (no lookup tables): log-values at uniforms ``u``."""
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
    bins=None,
    exact=False,
    log_range=None,
) -> Summary:
    """Sample n log-products and reduce them (exact order statistics at ``ranks``).

    ``bins``, ``exact`` and ``log_range`` let a backend bin the samples (see ``protocols.McBackend``);
    this one always selects exactly and ignores them."""
    return summarize(
        sample_log(seed, start, n, fam, coef, par, tab, chol, const), ranks, log_thresholds, shift
    )


def bands_batch(
    seed,
    n,
    fam,
    coef,
    par,
    tab,
    const,
    ranks,
    log_thresholds,
    shift,
    tab_index=None,
    first_row=0,
) -> BatchSummary:
    """Row r: n samples of row r's model (independent variables), Philox counter word 3 = ``first_row`` + r.

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
                row=first_row + r,
            ),
            ranks,
            log_thresholds,
            shift[r],
        )
        for r in range(len(const))
    ]
    return stack_rows(rows, n, len(ranks), len(log_thresholds))
