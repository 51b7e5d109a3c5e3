"""Monte Carlo kernels, numba-cuda: one thread per sample, same draws as ``mc_reference``.

On a real GPU the samples stay in device memory (CuPy) and are reduced there (sort-based exact
order statistics); under ``NUMBA_ENABLE_CUDASIM=1`` arrays are NumPy and the reduction is the
reference one. Variables with log-space correlations use at most ``MAX_CORRELATED`` variables.
"""

from __future__ import annotations

import numpy as np
from numba import config, cuda

from . import mc_reference, mc_scalar, philox
from .encoding import LOGNORMAL
from .host import BatchSummary, Summary, row_tables, stack_rows
from .philox import TWO_M32 as _TWO_M32

_dev = cuda.jit(device=True)
_S = philox.build(_dev)
_philox, _ndtri, _ndtr = _S.philox4x32_keyed, _S.ndtri, _S.ndtr
_draw_log = mc_scalar.build_draw_log_fast(_dev, mc_scalar.build_draw_log(_dev, _ndtri))
_MASK = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
MAX_CORRELATED = 16
_THREADS = 128


@cuda.jit
def _sample_kernel(ks, start, n, fam, coef, par, tab, chol, const, row, out):
    k = fam.shape[0]
    corr = chol.shape[0] > 0
    z = cuda.local.array(MAX_CORRELATED, np.float64)
    first = cuda.grid(1)  # type: ignore[call-arg,var-annotated]  # stub: the typing-time signature
    stride = cuda.gridsize(1)
    for i in range(first, n, stride):
        idx = np.uint64(start + i)
        acc = const
        for blk in range((k + 3) // 4):
            w = _philox(idx & _MASK, idx >> _S32, np.uint64(blk), np.uint64(row), ks)
            for q in range(min(4, k - 4 * blk)):
                v = 4 * blk + q
                u = (np.int64(w[q]) + 0.5) * _TWO_M32
                if corr:
                    z[v] = _ndtri(u)
                elif coef[v] != 0.0:
                    acc += coef[v] * _draw_log(fam[v], u, par, v, tab)
        if corr:
            for v in range(k):
                zc = 0.0
                for t in range(v + 1):
                    zc += chol[v, t] * z[t]
                if coef[v] == 0.0:
                    continue
                if fam[v] == LOGNORMAL:
                    acc += coef[v] * (par[v, 0] + par[v, 1] * zc)
                else:
                    acc += coef[v] * _draw_log(fam[v], _ndtr(zc), par, v, tab)
        out[i] = acc


def _simulated() -> bool:
    return bool(config.ENABLE_CUDASIM)  # type: ignore[attr-defined]  # set at run time: no stub


def _to_device(a):
    return a if _simulated() else cuda.to_device(np.ascontiguousarray(a))


def sample_log_device(seed, start, n, fam, coef, par, tab, chol, const, row=0):
    """Samples in device memory (a CuPy array on a GPU; NumPy under the simulator)."""
    if np.asarray(chol).shape[0] > MAX_CORRELATED:
        raise ValueError(f"at most {MAX_CORRELATED} correlated variables on the cuda backend")
    ks = philox.round_keys(seed)
    arrays = [
        np.ascontiguousarray(fam, np.int64),
        np.ascontiguousarray(coef, np.float64),
        np.ascontiguousarray(par, np.float64),
        np.ascontiguousarray(tab, np.float64),
        np.ascontiguousarray(chol, np.float64),
    ]
    if _simulated():
        out = np.empty(n)
        blocks = min(4, (n + _THREADS - 1) // _THREADS) or 1
        _sample_kernel[blocks, _THREADS](ks, start, n, *arrays, float(const), row, out)
        return out
    import cupy as cp

    out = cp.empty(n, dtype=cp.float64)
    blocks = min(65535, (n + _THREADS - 1) // _THREADS) or 1
    _sample_kernel[blocks, _THREADS](
        _to_device(ks),
        np.int64(start),
        np.int64(n),
        *map(_to_device, arrays),
        float(const),
        np.int64(row),
        out,
    )
    return out


def sample_log(seed, start, n, fam, coef, par, tab, chol, const, row=0) -> np.ndarray:
    """log(product) for samples start..start+n-1, copied to the host (see mc_reference.sample_log)."""
    out = sample_log_device(seed, start, n, fam, coef, par, tab, chol, const, row)
    return out if isinstance(out, np.ndarray) else out.get()


def summarize(logs, ranks, log_thresholds, shift) -> Summary:
    """Exact order statistics and sums; on the GPU with CuPy (sort), else the reference."""
    if isinstance(logs, np.ndarray):
        return mc_reference.summarize(logs, ranks, log_thresholds, shift)
    import cupy as cp

    x = cp.sort(logs)
    order = x[cp.asarray(np.asarray(ranks, np.int64))].get() if len(ranks) else np.empty(0)
    e = cp.exp(logs - shift)
    above = np.array(
        [int(x.size - cp.searchsorted(x, t, side="right")) for t in log_thresholds], np.int64
    )
    return Summary(
        order,
        float(e.sum()),
        float((e * e).sum()),
        float(logs.sum()),
        float((logs * logs).sum()),
        above,
        int(logs.size),
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
    """Sample on the device and reduce there (exact order statistics: ``bins``, ``exact`` and
    ``log_range`` are ignored)."""
    return summarize(
        sample_log_device(seed, start, n, fam, coef, par, tab, chol, const),
        ranks,
        log_thresholds,
        shift,
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
    """One band per row (row r uses Philox counter word 3 = ``first_row`` + r), reduced row by row; ``tab_index``: see
    mc_reference.bands_batch."""
    rows = [
        summarize(
            sample_log_device(
                seed,
                0,
                n,
                fam[r],
                coef[r],
                par[r],
                row_tables(tab, tab_index, r),
                np.zeros((0, 0)),
                const[r],
                first_row + r,
            ),
            ranks,
            log_thresholds,
            shift[r],
        )
        for r in range(len(const))
    ]
    return stack_rows(rows, n, len(ranks), len(log_thresholds))


__all__ = ["bands_batch", "reduce", "sample_log", "sample_log_device", "summarize"]
