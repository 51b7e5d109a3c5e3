"""Monte Carlo kernels, numba CPU: fused, parallel loops with the same results as ``mc_reference``.

Sampling draws the Philox block once per 4 variables (all 4 words used) and accumulates the log
of the product in one pass. Quantiles are exact order statistics found without sorting: a
2**16-bin histogram of the logs (per-thread, merged) locates the bin holding each wanted rank,
then only the values of those bins are gathered and sorted. Float sums run over fixed chunks
combined in chunk order, so every result is the same whatever the thread count.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]  # llvmlite ships no type hints
from numba import njit, prange, types
from numba.extending import intrinsic

from . import mc_scalar, philox
from .encoding import LOGNORMAL, LOGUNIFORM, LUT_PAD, LUT_SPACING, LUT_TAIL, TAIL2, TAIL2_SPACING
from .host import BatchSummary, Summary
from .mc_reference import draw_log_np
from .philox import TWO_M32 as _TWO_M32

_JIT: dict[str, Any] = dict(cache=True, fastmath=False, nogil=True)
_S = philox.build(njit(inline="always", **_JIT))
_philox, _ndtri, _ndtr = _S.philox4x32_keyed, _S.ndtri, _S.ndtr
_draw_exact = mc_scalar.build_draw_log(njit(inline="always", **_JIT), _ndtri)
_draw_log = mc_scalar.build_draw_log_fast(njit(inline="always", **_JIT), _draw_exact)
_S32 = np.uint64(32)
_BLOCK = 2048
_BINS = 1 << 16


_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)


@njit(inline="always", **_JIT)
def _round(c0, c1, c2, c3, k0, k1):
    """One Philox4x32 round on uint32 words: the products widen from 32 bits, so LLVM emits
    32x32->64 vector multiplies (vpmuludq) and the loop over samples vectorizes."""
    p0 = _M0 * np.uint64(c0)
    p1 = _M1 * np.uint64(c2)
    return (
        np.uint32(p1 >> _S32) ^ c1 ^ k0,
        np.uint32(p1),
        np.uint32(p0 >> _S32) ^ c3 ^ k1,
        np.uint32(p0),
    )


def keys32(seed: int) -> np.ndarray:
    """The 10 Philox round keys of ``seed`` as uint32[20] (k0, k1 of round 0, then round 1, ...)."""
    return philox.round_keys(seed).astype(np.uint32).ravel()


@njit(inline="always", **_JIT)
def _words(kk, base, m, blk, row, w):
    """Philox4x32-10 words of samples base..base+m-1, counter block ``blk``: w[0..3, j] (uint32).

    The same function as ``philox.philox4x32`` with the round keys held in registers (``keys32``)."""
    b = np.uint32(blk)
    r = np.uint32(row)
    a0, a1, b0, b1, c0_, c1_, d0, d1, e0, e1 = (
        kk[0],
        kk[1],
        kk[2],
        kk[3],
        kk[4],
        kk[5],
        kk[6],
        kk[7],
        kk[8],
        kk[9],
    )
    f0, f1, g0, g1, h0, h1, i0, i1, j0, j1 = (
        kk[10],
        kk[11],
        kk[12],
        kk[13],
        kk[14],
        kk[15],
        kk[16],
        kk[17],
        kk[18],
        kk[19],
    )
    for j in range(m):
        i = np.uint64(base + j)
        x0, x1, x2, x3 = _round(np.uint32(i), np.uint32(i >> _S32), b, r, a0, a1)
        x0, x1, x2, x3 = _round(x0, x1, x2, x3, b0, b1)
        x0, x1, x2, x3 = _round(x0, x1, x2, x3, c0_, c1_)
        x0, x1, x2, x3 = _round(x0, x1, x2, x3, d0, d1)
        x0, x1, x2, x3 = _round(x0, x1, x2, x3, e0, e1)
        x0, x1, x2, x3 = _round(x0, x1, x2, x3, f0, f1)
        x0, x1, x2, x3 = _round(x0, x1, x2, x3, g0, g1)
        x0, x1, x2, x3 = _round(x0, x1, x2, x3, h0, h1)
        x0, x1, x2, x3 = _round(x0, x1, x2, x3, i0, i1)
        x0, x1, x2, x3 = _round(x0, x1, x2, x3, j0, j1)
        w[0, j] = x0
        w[1, j] = x1
        w[2, j] = x2
        w[3, j] = x3


# The default table grid (encoding) in word units: u = (word + 0.5) / 2**32.
_UL = LUT_TAIL  #: main table over [_UL, 1 - _UL)
_INV = 1.0 / LUT_SPACING  #: its intervals per unit of u (4096)
_PAD = LUT_PAD  #: entries before u = _UL, so that word >> _S20 indexes from u = 0
_TAIL_W = int(_UL * 2**32)  #: words below it are the lower tail (2**26)
_LO32 = np.uint32(_TAIL_W)
_SPAN32 = np.uint32(2**32 - 2 * _TAIL_W)  #: word - _LO32 (mod 2**32) at or above it: a tail
_S20 = np.uint32(round(math.log2(2**32 * LUT_SPACING)))  #: word bits below the interval (20)
_LOW20 = np.uint32((1 << int(_S20)) - 1)
_FRAC20 = 2.0 ** -int(_S20)
_U2 = TAIL2  #: second-tier tables over [_U2, _UL) and [1 - _UL, 1 - _U2)
_INV2 = 1.0 / TAIL2_SPACING  #: their intervals per unit of u (65536)
_S16 = np.uint32(round(math.log2(2**32 * TAIL2_SPACING)))  #: word bits below a tier interval (16)
_LOW16 = np.uint32((1 << int(_S16)) - 1)
_FRAC16 = 2.0 ** -int(_S16)
_SKIP2 = int(_U2 * _INV2)  #: tier intervals below u = _U2 (64)
_N2 = int(round((_UL - _U2) * _INV2))  #: intervals in each tier (960)
_HI32 = np.uint32(2**32 - _TAIL_W)  #: words from it up are the upper tail
_ONE = np.uint64(1)


@njit(inline="always", **_JIT)
def _lut(wq, m, ul, inv, o, tv, x, tails):
    """x[j] = table value of word wq[j] (linear between tv[o + i], tv[o + i + 1]); the indices j of
    the tails (u < ul or u >= 1 - ul) go to ``tails``, their x[j] left to the caller; returns their
    count.

    On the default grid (``encoding.LUT_TAIL`` = 1/64, spacing 2**-12 in u, ``LUT_PAD`` entries
    on either side) the top 12 bits of the word index u's interval in [0, 1) directly and the low 20
    give the fraction: the same numbers as the float formula, with no conversion and no clamp."""
    nt = 0
    if ul == _UL and inv == _INV and o >= _PAD and o - _PAD + (1 << (32 - int(_S20))) < tv.shape[0]:
        b = np.uint64(o - _PAD)
        for j in range(m):  # unsigned indices: no wraparound test
            wj = wq[j]
            i = b + np.uint64(wj >> _S20)
            a = tv[i]
            x[j] = a + (tv[i + _ONE] - a) * ((np.int32(wj & _LOW20) + 0.5) * _FRAC20)
            if np.uint32(wj - _LO32) >= _SPAN32:  # a tail: 1 in 32, a cheap branch (a separate
                tails[nt] = j  # branch-free pass over every word cost more)
                nt += 1
        return nt
    topf = float(tv.shape[0] - 2 - o)
    uh = 1.0 - ul
    for j in range(m):
        u = (wq[j] + 0.5) * _TWO_M32
        t = min(max((u - ul) * inv, 0.0), topf)
        i = int(t)
        a = tv[o + i]
        x[j] = a + (tv[o + i + 1] - a) * (t - i)
        tails[nt] = j
        nt += (u < ul) | (u >= uh)
    return nt


@njit(inline="always", **_JIT)
def _tails(wq, tails, nt, f, par, v, tab, x):
    """x[j] for the tail words j in tails[:nt]: second-tier tables or the exact transform.

    On the default grid (``encoding.TAIL2`` = 2**-10, spacing 2**-16) the tier and its interval
    are bit fields of the word too: the lower tier's interval is (w >> 16) - 64, the upper's
    (w - (2**32 - 2**26)) >> 16, each valid in [0, 960) (``_N2``); same numbers as ``draw_log_fast``."""
    if par.shape[1] > 9 and par[v, 9] == _U2 and par[v, 10] == _INV2 and par[v, 6] == _UL:
        o2 = int(par[v, 11])
        tv = tab[v]
        for e in range(nt):  # branch-free tier choice (lower or upper: unpredictable)
            j = tails[e]
            wj = wq[j]
            hi = np.int64(wj >= _HI32)
            r = wj - np.uint32(hi) * _HI32
            jj = np.int64(r >> _S16) - _SKIP2 * (1 - hi)
            if np.uint64(jj) < np.uint64(_N2):  # 0 <= jj < _N2
                i = o2 + jj + (_N2 + 2) * hi
                a = tv[i]
                x[j] = a + (tv[i + 1] - a) * ((np.int64(r & _LOW16) + 0.5) * _FRAC16)
            else:
                x[j] = _draw_exact(f, (wj + 0.5) * _TWO_M32, par, v, tab)
        return
    for e in range(nt):
        j = tails[e]
        x[j] = _draw_log(f, (wq[j] + 0.5) * _TWO_M32, par, v, tab)  # tail tables or exact


@njit(inline="always", **_JIT)
def _fill(ks, base, m, row, fam, coef, par, tab, chol, const, w, buf, off, z, tails):
    """buf[off:off + m] = log of the product for samples base..base+m-1 (independent or copula).

    ``z`` is scratch: (k, block) normal deviates with correlations, else at least (1, block);
    ``tails`` int64 scratch of at least m + 1."""
    k = fam.shape[0]
    for j in range(m):
        buf[off + j] = const
    corr = chol.shape[0] > 0
    for blk in range((k + 3) // 4):
        _words(ks, base, m, blk, row, w)
        for q in range(min(4, k - 4 * blk)):
            v = 4 * blk + q
            if corr:  # keep the normal deviates, combine below
                for j in range(m):
                    z[v, j] = _ndtri((w[q, j] + 0.5) * _TWO_M32)
                continue
            c = coef[v]
            if c == 0.0:
                continue
            f = fam[v]
            ul = par[v, 6]
            x = z[0]
            if ul > 0.0:  # lookup table: a tight loop, then the tails exactly
                nt = _lut(w[q], m, ul, par[v, 7], int(par[v, 8]), tab[v], x, tails)
                _tails(w[q], tails, nt, f, par, v, tab, x)
            elif f == LOGUNIFORM:  # linear in u: straight into the sum
                p0, p1 = par[v, 0], par[v, 1]
                wq = w[q]
                for j in range(m):
                    buf[off + j] += c * (p0 + p1 * ((wq[j] + 0.5) * _TWO_M32))
                continue
            else:
                for j in range(m):
                    x[j] = _draw_exact(f, (w[q, j] + 0.5) * _TWO_M32, par, v, tab)
            for j in range(m):
                buf[off + j] += c * x[j]
    if corr:
        for v in range(k):
            c = coef[v]
            for j in range(m):
                zc = 0.0
                for t in range(v + 1):
                    zc += chol[v, t] * z[t, j]
                if c == 0.0:
                    continue
                if fam[v] == LOGNORMAL:
                    buf[off + j] += c * (par[v, 0] + par[v, 1] * zc)
                else:
                    buf[off + j] += c * _draw_log(fam[v], _ndtr(zc), par, v, tab)


@njit(parallel=True, **_JIT)
def _sample(ks, start, n, fam, coef, par, tab, chol, const, row, out):
    k = fam.shape[0]
    nblk = (n + _BLOCK - 1) // _BLOCK
    for blk in prange(nblk):
        w = np.empty((4, _BLOCK), np.uint32)
        z = np.empty((k if chol.shape[0] else 1, _BLOCK))
        tails = np.empty(_BLOCK + 1, np.int64)
        lo = blk * _BLOCK
        m = min(n, lo + _BLOCK) - lo
        _fill(ks, start + lo, m, row, fam, coef, par, tab, chol, const, w, out, lo, z, tails)


def _readonly(a, dtype):
    """A contiguous read-only view: the kernels are compiled for read-only inputs only (one
    specialisation, whoever calls), and the compiler refuses any write into a model's arrays."""
    v = np.ascontiguousarray(a, dtype).view()
    v.flags.writeable = False
    return v


#: (fam, coef, par, tab, chol) as the kernels take them
_Model = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _args(fam, coef, par, tab, chol) -> _Model:
    return (
        _readonly(fam, np.int64),
        _readonly(coef, np.float64),
        _readonly(par, np.float64),
        _readonly(tab, np.float64),
        _readonly(chol, np.float64),
    )


def sample_log(seed, start, n, fam, coef, par, tab, chol, const, row=0) -> np.ndarray:
    """log(product) for samples start..start+n-1 (see mc_reference.sample_log)."""
    ks = keys32(seed)
    out = np.empty(n)
    _sample(
        ks,
        np.int64(start),
        np.int64(n),
        *_args(fam, coef, par, tab, chol),
        float(const),
        np.int64(row),
        out,
    )
    return out


@njit(parallel=True, **_JIT)
def _fused(
    ks,
    start,
    n,
    fam,
    coef,
    par,
    tab,
    chol,
    const,
    lo,
    scale,
    nbins,
    lth,
    shift,
    hist,
    acc,
    cnt,
    out,
    keep,
):
    """One pass: sample; histogram of the logs on [lo, lo + nbins / scale); sums of x and x**2;
    threshold counts; values outside the range counted apart (out[t] = under, over) with their
    exp sums (acc[c, 2:4]). ``keep`` (n values, or empty) receives the samples themselves.

    The work is cut into fixed chunks of ``_CHUNK`` samples, whatever the thread count: chunk c's
    float sums go to acc[c] (4 lanes, so that the adds do not wait on each other) and are combined
    in chunk order by the caller, so the sums do not depend on the threads. Integer counts go to
    the running thread's row (hist[t], cnt[t], out[t]): their totals do not depend on it either."""
    k = fam.shape[0]
    store = keep.shape[0] > 0
    for c in prange(acc.shape[0]):
        tid = numba.get_thread_id()
        w = np.empty((4, _BLOCK), np.uint32)
        buf = np.empty(_BLOCK)
        z = np.empty((k if chol.shape[0] else 1, _BLOCK))
        tails = np.empty(_BLOCK + 1, np.int64)
        h = hist[tid]
        x0, x1, x2, x3, y0, y1, y2, y3 = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
        e1, e2 = 0.0, 0.0
        a, b = c * _CHUNK, min(n, (c + 1) * _CHUNK)
        for base in range(a, b, _BLOCK):
            m = min(b, base + _BLOCK) - base
            _fill(ks, start + base, m, 0, fam, coef, par, tab, chol, const, w, buf, 0, z, tails)
            if store:
                keep[base : base + m] = buf[:m]
            for j in range(m):
                v = buf[j]
                t = (v - lo) * scale
                if t >= 0.0 and t < nbins:
                    h[int(t)] += 1
                else:
                    e = math.exp(v - shift)
                    e1 += e
                    e2 += e * e
                    out[tid, 0 if t < 0.0 else 1] += 1
                for q in range(lth.shape[0]):
                    if v > lth[q]:
                        cnt[tid, q] += 1
            m4 = m - m % 4
            for j in range(0, m4, 4):
                v0, v1, v2, v3 = buf[j], buf[j + 1], buf[j + 2], buf[j + 3]
                x0, x1, x2, x3 = x0 + v0, x1 + v1, x2 + v2, x3 + v3
                y0, y1, y2, y3 = y0 + v0 * v0, y1 + v1 * v1, y2 + v2 * v2, y3 + v3 * v3
            for j in range(m4, m):
                x0 += buf[j]
                y0 += buf[j] * buf[j]
        acc[c, 0], acc[c, 1], acc[c, 2], acc[c, 3] = (
            (x0 + x1) + (x2 + x3),
            (y0 + y1) + (y2 + y3),
            e1,
            e2,
        )


@njit(**_JIT)
def _ordered_sum(acc):
    """Column sums of acc (rows added in row order: the same result on every thread count)."""
    s = np.zeros(acc.shape[1])
    for c in range(acc.shape[0]):
        for j in range(acc.shape[1]):
            s[j] += acc[c, j]
    return s


_CHUNK = (
    1 << 16
)  #: samples per fixed chunk of the fused pass (its sums are combined in chunk order)
STORE_MAX = (
    1 << 20
)  #: up to this many samples the fused pass keeps them (8 MiB) and selects exactly


SMALL = 1 << 16
HIST_BINS = 1 << 17  #: reduce's histogram bins at most, when the caller leaves ``bins`` None


@njit(**_JIT)
def _small_kernel(
    ks, start, n, fam, coef, par, tab, chol, const, ranks, lth, shift, order, acc, cnt
):
    k = fam.shape[0]
    buf = np.empty(n)
    w = np.empty((4, _BLOCK), np.uint32)
    z = np.empty((k if chol.shape[0] else 1, _BLOCK))
    tails = np.empty(_BLOCK + 1, np.int64)
    for base in range(0, n, _BLOCK):
        _fill(
            ks,
            start + base,
            min(n, base + _BLOCK) - base,
            0,
            fam,
            coef,
            par,
            tab,
            chol,
            const,
            w,
            buf,
            base,
            z,
            tails,
        )
    s0, s1, s2, s3, lo, hi = 0.0, 0.0, 0.0, 0.0, np.inf, -np.inf
    counts = cnt.reshape((1, cnt.shape[0]))  # a view: _accumulate counts into row 0
    for i in range(n):
        s0, s1, s2, s3, lo, hi = _accumulate(buf[i], shift, lth, counts, 0, s0, s1, s2, s3, lo, hi)
    acc[0], acc[1], acc[2], acc[3] = s0, s1, s2, s3
    _multiselect(buf, ranks)
    for q in range(ranks.shape[0]):
        order[q] = buf[ranks[q]]


def _small(seed, start, n, args, const, ranks, lth, shift) -> Summary:
    order = np.empty(len(ranks))
    acc = np.zeros(4)
    cnt = np.zeros(len(lth), np.int64)
    _small_kernel(
        keys32(seed),
        np.int64(start),
        np.int64(n),
        *args,
        float(const),
        ranks,
        lth,
        float(shift),
        order,
        acc,
        cnt,
    )
    return Summary(order, acc[0], acc[1], acc[2], acc[3], cnt, n)


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
    """Sample and reduce in one fused pass (see mc_reference.reduce).

    Up to ``SMALL`` samples: one thread, stored, exact selection (no histogram set-up cost).
    Otherwise one parallel pass samples, sums and fills a histogram of min(``bins`` (None:
    ``HIST_BINS``), max(2**14, n / 8)) bins over ``log_range`` (e.g. mean +- 5 sd of the log,
    which holds p5..p95 by Cantelli) clipped to the exact range of the logs. Up to ``STORE_MAX`` samples the pass also keeps them and
    the order statistics are exact (selected, ``Summary.error`` 0); beyond, each is placed by linear
    interpolation inside its histogram bin, off by at most one bin width (``Summary.error``, log
    units), or selected exactly from stored samples if a wanted rank falls outside the range. The
    mean uses bin centres inside the range (relative error at most exp(width / 2) - 1, returned as
    ``Summary.mean_error``) and exact sums outside it. ``exact=True`` (and correlated inputs) store
    the samples and select. Every result is the same for any thread count (fixed chunks, see _fused).
    """
    ranks = np.asarray(ranks, np.int64)
    lth = np.asarray(log_thresholds, np.float64)
    args = _args(fam, coef, par, tab, chol)
    if n <= SMALL:
        return _small(seed, start, n, args, const, ranks, lth, shift)
    if exact or args[4].shape[0]:
        return summarize(sample_log(seed, start, n, *args, const), ranks, lth, shift)
    lo, width, nbins = hist_grid(n, args, const, bins, log_range)
    keep = np.empty(n if n <= STORE_MAX else 0)
    hist, acc, cnt, outside = hist_pass(
        seed, start, n, args, const, (lo, width, nbins), lth, shift, keep
    )
    s, inside = hist_summary(
        hist, lo, width, shift, ranks, outside.sum(axis=0), _ordered_sum(acc), cnt.sum(axis=0), n
    )
    if keep.shape[0] and inside:
        order = s.order.copy()
        under = outside.sum(axis=0)[0]
        _exact_from_hist(keep, hist, lo, 1.0 / width, ranks - under, order)
        return s._replace(order=order, error=0.0)
    if not inside:
        x = keep if keep.shape[0] else sample_log(seed, start, n, *args, const)
        nth = numba.get_num_threads()
        order = _select(x, ranks, *log_bounds(*args[:4], const), nth) if len(ranks) else np.empty(0)
        return s._replace(order=order, error=0.0)
    return s


def hist_grid(n: int, args: _Model, const: float, bins=None, log_range=None) -> tuple:
    """(lo, width, bins) of the fused pass's histogram for ``n`` samples: min(``bins`` (None:
    ``HIST_BINS``), max(2**14, n / 8)) bins over ``log_range`` clipped to the logs' exact range."""
    cap = HIST_BINS if bins is None else bins
    nbins = int(min(cap, max(1 << 14, 1 << int(math.ceil(math.log2(n / 8))))))  # <= ~8 a bin
    lo, hi = log_bounds(*args[:4], const)
    if log_range is not None:
        lo, hi = max(lo, log_range[0]), min(hi, log_range[1])
    return lo, max(hi - lo, 1e-300) / nbins, nbins


def hist_pass(seed, start, n, args: _Model, const, grid, lth, shift, keep) -> tuple:
    """Samples [start, start + n) in one fused parallel pass on ``grid`` = (lo, width, bins):
    (histogram per thread, per-chunk sums, threshold counts per thread, (under, over) per thread);
    the samples also go to ``keep`` when it is not empty. The partial reduction a cluster task
    runs on its range; ``hist_summary`` finishes it."""
    lo, width, bins = grid
    nth = numba.get_num_threads()
    hist = np.zeros((nth, bins), np.int64)  # int64: a bin may hold more than 2**31 of MAX_SAMPLES
    acc = np.zeros(((n + _CHUNK - 1) // _CHUNK, 4))
    cnt = np.zeros((nth, len(lth)), np.int64)
    outside = np.zeros((nth, 2), np.int64)
    _fused(
        keys32(seed),
        np.int64(start),
        np.int64(n),
        *args,
        float(const),
        lo,
        1.0 / width,
        bins,
        np.asarray(lth, np.float64),
        float(shift),
        hist,
        acc,
        cnt,
        outside,
        keep,
    )
    return hist, acc, cnt, outside


def hist_summary(hist, lo, width, shift, ranks, outside, tot, counts, n) -> tuple[Summary, bool]:
    """The Summary of ``hist_pass`` results (histogram (rows, bins), (under, over), ``tot`` the
    ordered chunk sums, threshold counts) with order statistics interpolated in their bins, and
    whether every wanted rank lies inside the histogram's range (else select them exactly)."""
    under, over = outside
    ranks = np.asarray(ranks, np.int64)
    order = np.empty(len(ranks))
    sums = np.zeros(2)
    _from_hist(hist, lo, width, float(shift), np.clip(ranks - under, 0, None), order, sums)
    inside = not (np.any(ranks < under) or np.any(ranks >= n - over))
    summary = Summary(
        order,
        float(sums[0] + tot[2]),
        float(sums[1] + tot[3]),
        float(tot[0]),
        float(tot[1]),
        counts,
        n,
        width,
        math.expm1(width / 2),
    )
    return summary, inside


@njit(**_JIT)
def _exact_from_hist(x, hist, lo, scale, ranks, order):
    """order[q] = the ranks[q]-th smallest (ascending ranks, counted from ``lo``) of the stored samples
    x, exactly: the fused pass's histogram (the same bin arithmetic) locates each rank's bin; one pass
    gathers the values of those bins only, which are then sorted."""
    nb = hist.shape[1]
    slot = np.full(nb, -1, np.int64)
    within = np.empty(ranks.shape[0], np.int64)
    bins = np.empty(ranks.shape[0], np.int64)
    cum, q, fill = 0, 0, 0
    for b in range(nb):
        h = 0
        for t in range(hist.shape[0]):
            h += hist[t, b]
        while q < ranks.shape[0] and ranks[q] < cum + h:
            if slot[b] < 0:
                slot[b] = fill
                fill += h
            bins[q], within[q] = b, ranks[q] - cum
            q += 1
        cum += h
    tmp = np.empty(fill)
    pos = slot.copy()
    for i in range(x.shape[0]):
        t = (x[i] - lo) * scale
        if t >= 0.0 and t < nb:
            b = int(t)
            if pos[b] >= 0:
                tmp[pos[b]] = x[i]
                pos[b] += 1
    for b in range(nb):
        if slot[b] >= 0:
            tmp[slot[b] : pos[b]].sort()
    for q in range(ranks.shape[0]):
        order[q] = tmp[slot[bins[q]] + within[q]]


@njit(**_JIT)
def _from_hist(hist, lo, width, shift, ranks, order, sums):
    """From the per-chunk histograms: order[q] = the value of rank ranks[q] (ascending), placed by
    linear interpolation inside its bin; sums = (sum of exp(centre - shift), of its square) over the
    counts. One pass over the bins."""
    nch, nb = hist.shape
    cum, q = 0, 0
    s0, s1 = 0.0, 0.0
    for b in range(nb):
        h = 0
        for c in range(nch):
            h += hist[c, b]
        if h == 0:
            continue
        e = math.exp(lo + width * (b + 0.5) - shift)
        s0 += h * e
        s1 += h * e * e
        while q < ranks.shape[0] and ranks[q] < cum + h:
            order[q] = lo + width * (b + (ranks[q] - cum + 0.5) / h)
            q += 1
        cum += h
    sums[0], sums[1] = s0, s1


def log_bounds(fam, coef, par, tab, const) -> tuple[float, float]:
    """Exact range of the log of the product for independent variables (uniforms are in
    [2**-33, 1 - 2**-33], and every transform is increasing in u)."""
    umin = np.array([0.5 * _TWO_M32, 1.0 - 0.5 * _TWO_M32])
    lo = hi = float(const)
    for v in range(len(fam)):
        if coef[v] == 0.0:
            continue
        ends = coef[v] * draw_log_np(int(fam[v]), umin, par[v], tab[v])
        lo += float(ends.min())
        hi += float(ends.max())
    return lo, hi


@njit(inline="always", **_JIT)
def _accumulate(v, shift, lth, counts, row, s0, s1, s2, s3, lo, hi):
    """One log-sample v into the running sums (exp(v - shift), its square, v, v^2), the extremes,
    and counts[row, t] of thresholds lth[t] it exceeds; returns the updated accumulators."""
    e = math.exp(v - shift)
    for t in range(lth.shape[0]):
        if v > lth[t]:
            counts[row, t] += 1
    return s0 + e, s1 + e * e, s2 + v, s3 + v * v, min(lo, v), max(hi, v)


@njit(parallel=True, **_JIT)
def _moments(x, lth, shift, nch):
    n = x.shape[0]
    acc = np.zeros((nch, 6))
    cnt = np.zeros((nch, lth.shape[0]), np.int64)
    step = (n + nch - 1) // nch
    for c in prange(nch):
        lo, hi, s0, s1, s2, s3 = np.inf, -np.inf, 0.0, 0.0, 0.0, 0.0
        for i in range(c * step, min(n, (c + 1) * step)):
            s0, s1, s2, s3, lo, hi = _accumulate(x[i], shift, lth, cnt, c, s0, s1, s2, s3, lo, hi)
        acc[c, 0], acc[c, 1], acc[c, 2], acc[c, 3], acc[c, 4], acc[c, 5] = s0, s1, s2, s3, lo, hi
    return acc, cnt


@njit(**_JIT)
def _bin(v, lo, scale, nb):
    b = int((v - lo) * scale)
    return min(max(b, 0), nb - 1)


@njit(parallel=True, **_JIT)
def _hist(x, lo, scale, nch):
    n = x.shape[0]
    h = np.zeros((nch, _BINS), np.int64)
    step = (n + nch - 1) // nch
    for c in prange(nch):
        for i in range(c * step, min(n, (c + 1) * step)):
            h[c, _bin(x[i], lo, scale, _BINS)] += 1
    return h


@njit(parallel=True, **_JIT)
def _gather(x, lo, scale, nch, slot, offsets, buf):
    """Copy the values of wanted bins (slot[bin] >= 0) to buf at per-chunk offsets."""
    n = x.shape[0]
    step = (n + nch - 1) // nch
    for c in prange(nch):
        pos = offsets[c].copy()
        for i in range(c * step, min(n, (c + 1) * step)):
            s = slot[_bin(x[i], lo, scale, _BINS)]
            if s >= 0:
                buf[pos[s]] = x[i]
                pos[s] += 1


def _select(x: np.ndarray, ranks: np.ndarray, lo: float, hi: float, nch: int) -> np.ndarray:
    if hi <= lo:
        return np.full(len(ranks), lo)
    scale = _BINS / (hi - lo) * (1 - 1e-12)
    h = _hist(x, lo, scale, nch)
    total = h.sum(axis=0)
    cum = np.cumsum(total)
    bins = np.searchsorted(cum, ranks, side="right")
    wanted = np.unique(bins)
    slot = np.full(_BINS, -1, np.int64)
    slot[wanted] = np.arange(len(wanted))
    per = h[:, wanted]  # (nch, m) counts of each wanted bin per chunk
    start = np.concatenate(([0], np.cumsum(total[wanted])[:-1]))
    offsets = (start[None, :] + np.cumsum(per, axis=0) - per).astype(np.int64)
    buf = np.empty(int(total[wanted].sum()))
    _gather(x, lo, scale, nch, slot, offsets, buf)
    out = np.empty(len(ranks))
    for i, (r, b) in enumerate(zip(ranks, bins)):
        s = slot[b]
        seg = np.sort(buf[start[s] : start[s] + total[b]])
        out[i] = seg[r - (cum[b] - total[b])]
    return out


def summarize(logs, ranks, log_thresholds, shift) -> Summary:
    """Exact order statistics by histogram + selection, and the sums, in parallel passes."""
    x = np.ascontiguousarray(logs, np.float64)
    nch = max(1, (len(x) + _CHUNK - 1) // _CHUNK)  # fixed chunks: sums independent of the threads
    acc, cnt = _moments(x, np.asarray(log_thresholds, np.float64), float(shift), nch)
    tot = _ordered_sum(acc)
    ranks = np.asarray(ranks, np.int64)
    nsel = max(1, min(numba.get_num_threads() * 4, len(x) // 65536 or 1))
    order = _select(x, ranks, acc[:, 4].min(), acc[:, 5].max(), nsel) if len(ranks) else np.empty(0)
    return Summary(
        order, float(tot[0]), float(tot[1]), float(tot[2]), float(tot[3]), cnt.sum(axis=0), len(x)
    )


@njit(**_JIT)
def _multiselect(a, ranks):
    """Partially sort ``a`` in place so that a[r] is the r-th smallest for every r in ``ranks``
    (ascending): one partition serves every rank on its side (an explicit stack, no recursion)."""
    stack = np.empty((64, 4), np.int64)
    top = 0
    stack[0, 0], stack[0, 1], stack[0, 2], stack[0, 3] = 0, a.shape[0], 0, ranks.shape[0]
    top = 1
    while top > 0:
        top -= 1
        lo, hi, rlo, rhi = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
        if rlo >= rhi or hi - lo <= 1:
            continue
        if hi - lo <= 16:  # insertion sort
            for i in range(lo + 1, hi):
                v = a[i]
                j = i - 1
                while j >= lo and a[j] > v:
                    a[j + 1] = a[j]
                    j -= 1
                a[j + 1] = v
            continue
        mid = (lo + hi) // 2
        p0, p1, p2 = a[lo], a[mid], a[hi - 1]
        pivot = max(min(p0, p1), min(max(p0, p1), p2))
        i, j = lo, hi - 1
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        # now a[lo:j+1] <= pivot, a[j+1:i] == pivot, a[i:hi] >= pivot
        r1 = rlo
        while r1 < rhi and ranks[r1] <= j:
            r1 += 1
        r2 = r1
        while r2 < rhi and ranks[r2] < i:
            r2 += 1
        if top + 2 > stack.shape[0]:
            bigger = np.empty((2 * stack.shape[0], 4), np.int64)
            bigger[:top] = stack[:top]
            stack = bigger
        stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = lo, j + 1, rlo, r1
        stack[top + 1, 0], stack[top + 1, 1], stack[top + 1, 2], stack[top + 1, 3] = i, hi, r2, rhi
        top += 2


@njit(**_JIT)
def _select_into(buf, n, ranks, lo, hi, hist, slot, tmp, order, r, bins):
    """order[r, q] = the ranks[q]-th smallest of buf[:n] (exact), values in [lo, hi]: a histogram of
    ``hist.shape[0]`` bins locates each rank's bin; only the values of those bins are sorted.
    ``bins`` (uint32, n) is scratch: each value's bin, computed once (unsigned: no index test)."""
    nb = hist.shape[0]
    if not hi > lo:
        for q in range(ranks.shape[0]):
            order[r, q] = lo
        return
    scale = nb / (hi - lo) * (1.0 - 1e-12)
    top = np.uint32(nb - 1)
    for i in range(n):  # vectorizes
        bins[i] = min(np.uint32((buf[i] - lo) * scale), top)
    hist[:] = 0
    for i in range(n):
        hist[bins[i]] += 1
    # slot[b] = start of wanted bin b's values in tmp (wanted: it holds a rank), else -1
    slot[:] = -1
    cum, q, fill = 0, 0, 0
    for b in range(nb):
        if q < ranks.shape[0] and ranks[q] < cum + hist[b]:
            slot[b] = fill
            fill += hist[b]
            while q < ranks.shape[0] and ranks[q] < cum + hist[b]:
                q += 1
        cum += hist[b]
    for i in range(n):  # slot[b] advances to the next free place of bin b
        s = slot[bins[i]]
        if s >= 0:
            tmp[s] = buf[i]
            slot[bins[i]] = s + 1
    cum, q, fill = 0, 0, 0
    for b in range(nb):
        h = hist[b]
        if q < ranks.shape[0] and ranks[q] < cum + h:  # a wanted bin: tmp[fill:fill + h]
            seg = tmp[fill : fill + h]
            fill += h
            seg.sort()
            while q < ranks.shape[0] and ranks[q] < cum + h:
                order[r, q] = seg[ranks[q] - cum]
                q += 1
        cum += h


_SELECT_BINS = 1024


@intrinsic
def _f64_of_bits(typingctx, bits):
    """The float64 whose IEEE bits are the int64 ``bits`` (a bitcast: vectorizes)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


_LOG2E = 1.4426950408889634
_LN2HI = 6.93147180369123816490e-01  #: fdlibm's ln 2 split: k x _LN2HI is exact for |k| < 2**11
_LN2LO = 1.90821492927058770002e-10
_ROUND = 1.5 * 2.0**52  #: adding and taking it away rounds a float of magnitude < 2**51
_EXPC = tuple(1.0 / math.factorial(i) for i in range(14))  #: Taylor terms of exp to r**13 / 13!


@njit(inline="always", **_JIT)
def _exp(x):
    """exp(x) in plain float arithmetic (no libm call, so a loop of it vectorizes): x = k ln2 + r,
    |r| <= ln2 / 2 (a little more where a fused multiply-add rounds k the other way), exp(r) by its
    Taylor polynomial to r**13 (truncation < 1e-17 relative), times 2**k in two factors (so that
    overflow gives inf and underflow 0). Within 2 ulp of the correctly rounded value, with or
    without FMA (it is compiled with them, inside ``_exps``)."""
    x = min(max(x, -746.0), 710.0)
    kf = (x * _LOG2E + _ROUND) - _ROUND  # x / ln 2 rounded to an integer
    r = (x - kf * _LN2HI) - kf * _LN2LO
    p = _EXPC[13]
    p = p * r + _EXPC[12]
    p = p * r + _EXPC[11]
    p = p * r + _EXPC[10]
    p = p * r + _EXPC[9]
    p = p * r + _EXPC[8]
    p = p * r + _EXPC[7]
    p = p * r + _EXPC[6]
    p = p * r + _EXPC[5]
    p = p * r + _EXPC[4]
    p = p * r + _EXPC[3]
    p = p * r + _EXPC[2]
    p = p * r + 1.0
    p = p * r + 1.0
    k = np.int64(kf)
    k1 = k >> 1
    # numba passes the intrinsic's typing context itself (mypy sees it as a missing argument)
    return p * _f64_of_bits((k1 + 1023) << 52) * _f64_of_bits((k - k1 + 1023) << 52)  # type: ignore[call-arg]


@njit(**(_JIT | dict(fastmath={"contract"})))  # a call of its own: only here may mul + add fuse
def _exps(buf, n, shift, ex):
    """ex[:n] = exp(buf[:n] - shift), its polynomial in fused multiply-adds (1.7x faster than
    without on the Intel Xeon host, 2026-12-02): these feed only the sums of exp (the mean), which
    are not in the bit-for-bit contract (``kernels``). Which multiply-adds LLVM fuses may differ
    between targets (a host without FMA fuses none), so the last bits may too: within 2 ulp."""
    for i in range(n):
        ex[i] = _exp(buf[i] - shift)


@njit(inline="always", **_JIT)
def _row_sums(buf, n, shift, lth, above, r, ex):
    """(sum of exp(v - shift), of its square, of v, of v**2, min, max) over v in buf[:n], and
    above[r, t] = the count of v > lth[t]; ``ex`` is scratch of n. The exps and the counts run in
    loops of their own (vectorized); the sums over 4 lanes (samples j mod 4, the rest in lane 0,
    added as (0 + 1) + (2 + 3)), so that the adds do not wait on each other."""
    _exps(buf, n, shift, ex)
    for t in range(lth.shape[0]):
        th, c = lth[t], 0
        for i in range(n):
            c += buf[i] > th
        above[r, t] += c
    a0, a1, a2, a3, b0, b1, b2, b3 = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    c0, c1, c2, c3, d0, d1, d2, d3 = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    lo0, lo1, hi0, hi1 = np.inf, np.inf, -np.inf, -np.inf
    n4 = n - n % 4
    for i in range(0, n4, 4):
        e0, e1, e2, e3 = ex[i], ex[i + 1], ex[i + 2], ex[i + 3]
        v0, v1, v2, v3 = buf[i], buf[i + 1], buf[i + 2], buf[i + 3]
        a0, a1, a2, a3 = a0 + e0, a1 + e1, a2 + e2, a3 + e3
        b0, b1, b2, b3 = b0 + e0 * e0, b1 + e1 * e1, b2 + e2 * e2, b3 + e3 * e3
        c0, c1, c2, c3 = c0 + v0, c1 + v1, c2 + v2, c3 + v3
        d0, d1, d2, d3 = d0 + v0 * v0, d1 + v1 * v1, d2 + v2 * v2, d3 + v3 * v3
        lo0, lo1 = min(lo0, min(v0, v1)), min(lo1, min(v2, v3))
        hi0, hi1 = max(hi0, max(v0, v1)), max(hi1, max(v2, v3))
    for i in range(n4, n):
        e, v = ex[i], buf[i]
        a0, b0, c0, d0 = a0 + e, b0 + e * e, c0 + v, d0 + v * v
        lo0, hi0 = min(lo0, v), max(hi0, v)
    return (
        (a0 + a1) + (a2 + a3),
        (b0 + b1) + (b2 + b3),
        (c0 + c1) + (c2 + c3),
        (d0 + d1) + (d2 + d3),
        min(lo0, lo1),
        max(hi0, hi1),
    )


_ROWS = 16  #: rows per task of ``_batch`` (their scratch allocated once)


@njit(**_JIT)
def _scratch(n, k, pooled, width):
    """A task's scratch for ``_batch_row``, allocated once for its rows: (buf, tmp, w, z, tails,
    hist, slot, bins, tp, held, empty); tp holds pooled tables, held which pool rows they are."""
    return (
        np.empty(n),
        np.empty(n),
        np.empty((4, _BLOCK), np.uint32),
        np.empty((1, _BLOCK)),
        np.empty(_BLOCK + 1, np.int64),
        np.empty(_SELECT_BINS, np.int64),
        np.empty(_SELECT_BINS, np.int64),
        np.empty(n, np.uint32),
        np.empty((k if pooled else 0, width)),
        np.full(k, -1, np.int64),
        np.zeros((0, 0)),
    )


@njit(**_JIT)  # a call, not inlined: the parallel loop stays small (compile time)
def _batch_row(ks, n, model, ranks, lth, shift, out, row, r, scratch):
    """Row r of ``_batch``: ``model`` = (fam, coef, par, tab, tab_index, const), ``out`` =
    (order, sums, above), ``row`` its Philox row, ``scratch`` the task's (``_scratch``)."""
    fam, coef, par, tab, tab_index, const = model
    order, sums, above = out
    buf, tmp, w, z, tails, hist, slot, bins, tp, held, empty = scratch
    if tab_index.shape[0] > 0:  # row r's tables: rows of the shared pool, copied when they change
        for v in range(fam.shape[1]):
            if held[v] != tab_index[r, v]:
                tp[v] = tab[tab_index[r, v], 0]
                held[v] = tab_index[r, v]
        tr = tp
    else:
        tr = tab[r]
    for base in range(0, n, _BLOCK):
        m = min(n, base + _BLOCK) - base
        _fill(
            ks, base, m, row, fam[r], coef[r], par[r], tr, empty, const[r], w, buf, base, z, tails
        )
    s0, s1, s2, s3, lo, hi = _row_sums(buf, n, shift[r], lth, above, r, tmp)
    sums[r, 0], sums[r, 1], sums[r, 2], sums[r, 3] = s0, s1, s2, s3
    if ranks.shape[0]:
        _select_into(buf, n, ranks, lo, hi, hist, slot, tmp, order, r, bins)


@njit(parallel=True, **_JIT)
def _batch(
    ks, n, fam, coef, par, tab, tab_index, const, ranks, lth, shift, order, sums, above, row0
):
    nr, k = fam.shape
    model = (fam, coef, par, tab, tab_index, const)
    out = (order, sums, above)
    for task in prange((nr + _ROWS - 1) // _ROWS):
        scratch = _scratch(n, k, tab_index.shape[0] > 0, tab.shape[-1])
        for r in range(task * _ROWS, min(nr, (task + 1) * _ROWS)):
            _batch_row(ks, n, model, ranks, lth, shift, out, row0 + r, r, scratch)


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
    """One band per row, rows in parallel (see mc_reference.bands_batch); exact order statistics."""
    ks = keys32(seed)
    nr = len(const)
    ranks = np.asarray(ranks, np.int64)
    if np.any(np.diff(ranks) < 0):
        raise ValueError("ranks must be ascending")
    lth = np.asarray(log_thresholds, np.float64)
    order = np.empty((nr, len(ranks)))
    sums = np.empty((nr, 4))
    above = np.zeros((nr, len(lth)), np.int64)
    tab = np.asarray(tab, np.float64)
    if tab_index is None:
        idx = np.zeros((0, 0), np.int64)
    else:
        idx = np.ascontiguousarray(tab_index, np.int64)
        tab = tab.reshape(tab.shape[0], 1, tab.shape[-1])
    _batch(
        ks,
        np.int64(n),
        np.ascontiguousarray(fam, np.int64),
        np.ascontiguousarray(coef, np.float64),
        np.ascontiguousarray(par, np.float64),
        np.ascontiguousarray(tab, np.float64),
        idx,
        np.asarray(const, np.float64),
        ranks,
        lth,
        np.asarray(shift, np.float64),
        order,
        sums,
        above,
        np.int64(first_row),
    )
    return BatchSummary(order, sums[:, 0], sums[:, 1], sums[:, 2], sums[:, 3], above, n)
