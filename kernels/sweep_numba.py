"""Grid sweeps on the CPU with Numba: parallel, fused, cached. Same functions as sweep_reference.

Materialise: each thread fills a block of points, walking the grid with an odometer, so the only
work per point is the stores. Large outputs are written column by column with streaming stores of
whole 64-byte lines whose values are computed in registers along each run of the last axis
(``_stream_block``); on the Intel Xeon host that reaches 0.79-0.84 of the machine's streaming
write bandwidth alternating in one process (0.70-0.96 in ``bench --quick``), against 0.45-0.67
with single streaming stores or a scratch buffer in between (bench/RESULTS.md).

Reductions never write the grid: they use its product structure. The canonical product is
monotone in every axis value (IEEE multiplication by a positive number is monotone), so for each
combination of the *outer* axes, the points of the two *search* axes (sorted) that lie at or
below a threshold form a staircase walked by two pointers in O(n_x + n_y) evaluations for
n_x * n_y points. On large grids the axes are instead split in two
sets whose products are sorted once (``sweep_split``): O(|A| + |B|) per threshold, about 10x fewer
steps on the bench's 10^9-point grid. Counts are exact either way (the same products as the
reference); quantiles are found by narrowing brackets on the float64 bit pattern (exact order
statistics); min/max come from the axes' extremes.
"""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType
from typing import Any

import numpy as np
from numba import njit, prange

from . import host, stores, sweep_split
from .host import Plan, extremes, flat

__all__ = ["count_at_least", "count_le", "extremes", "materialize", "quantiles"]
BLOCK = 1 << 14  #: points per parallel work item in materialize
#: outputs of at least this many bytes are written by streaming stores (``stores``), one column at
#: a time, skipping the read of every line; below it the next reader (a chunked sweep's Arrow
#: writer: 2**20 points, 20 + 8k bytes each) may still find them in a large shared L3. Streaming
#: needs C-contiguous float64 outputs aligned to their items (NumPy's always are) and integer codes
#: of at least 4 bytes (when a code axis is asked for); other outputs take the ordinary path.
STREAM_MIN_BYTES = 256 << 20


@njit(inline="always", cache=True)
def _carry(values, offsets, sizes, idx, pre):
    """Carry the odometer ``idx`` from the end of a run of the last axis into the outer axes, and
    update the prefix products ``pre`` of the axes that changed."""
    k = sizes.shape[0]
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


LEAD = 16  #: points before a block that its first lines may hold (a line of int32 codes: 16)


@njit(cache=True)
def _runs(values, offsets, sizes, idx, pre, pos, e, start, code_axis):
    """The runs of the last axis in points pos..e-1 (odometer ``idx``, prefix products ``pre``):
    (offset in the output, first last-axis index, length, code), (prefix product, outer values)."""
    k = sizes.shape[0]
    nlast = sizes[k - 1]
    nr = (e - pos) // nlast + 2
    rint = np.empty((nr, 4), np.int64)
    rflt = np.empty((nr, k))
    r = 0
    while pos < e:
        j0 = idx[k - 1]
        m = min(nlast - j0, e - pos)
        rint[r, 0], rint[r, 1], rint[r, 2] = pos - start, j0, m
        rint[r, 3] = idx[code_axis] if code_axis >= 0 else 0
        rflt[r, 0] = pre[k - 1]
        for a in range(k - 1):
            rflt[r, 1 + a] = values[offsets[a] + idx[a]]
        r += 1
        pos += m
        if pos < e:
            _carry(values, offsets, sizes, idx, pre)
    return rint[:r], rflt[:r]


_cut = stores.line_start


LAST, FLOP, PFS = 0, 1, 2  #: the kinds of ``_column``: the last axis, flop, pfs-days


@njit(inline="always", cache=True)
def _span(rint, r, lo, hi):
    """The output points of run r that lie in lo..hi-1: (first, end)."""
    return max(rint[r, 0], lo), min(rint[r, 0] + rint[r, 2], hi)


@njit(inline="always", cache=True)
def _constant_column(dst, row, lo, hi, mis, rint, vals):
    """dst[row, lo:hi] (lo, hi: line starts, or the array's ends) of a column constant along
    each run (vals[r] on run r) by streaming stores: one vector store a line, a line across two
    runs included; single stores only where a line is partial at the array's ends or spans more
    than two runs."""
    width = stores.LINE // dst.itemsize
    nr = rint.shape[0]
    done = lo
    for r in range(nr):
        i, e = _span(rint, r, done, hi)
        v = vals[r]
        while i < e and (mis + i) & (width - 1) != 0:
            stores.stream(dst, (row, i), v)
            i += 1
        while i + width <= e:
            stores.stream_splat(dst, (row, i), v)
            i += width
        if i < e and r + 1 < nr and i + width <= _span(rint, r + 1, lo, hi)[1]:
            stores.stream_split(dst, (row, i), v, vals[r + 1], e - i)
            i += width
        while i < e:
            stores.stream(dst, (row, i), v)
            i += 1
        done = max(i, e)


PAD = 8  #: zeros on either side of the last axis's copy that ``_column`` reads whole lines of


@njit(inline="always", cache=True)
def _column(dst, row, lo, hi, mis, kind, rint, rflt, last, per):
    """dst[row, lo:hi] of the last axis, flop or pfs-days (lo, hi: line starts, or the array's
    ends) by streaming stores, run by run: every line computed in registers and stored whole by
    one vector store, a line across two runs included (``last``: the last axis with PAD zeros on
    either side, so that its two halves read in bounds); single stores only where a line is
    partial at the array's ends or spans more than two runs."""
    width = stores.LINE // dst.itemsize
    nr = rint.shape[0]
    done = lo
    d = per if kind == PFS else 1.0  # x * 1 and x / 1 are x exactly
    for r in range(nr):
        i, e = _span(rint, r, done, hi)
        p, j = rflt[r, 0], PAD + rint[r, 1] - rint[r, 0]  # the run's value at point i: last[j + i]
        p = 1.0 if kind == LAST else p
        while i < e and (mis + i) & (width - 1) != 0:
            stores.stream(dst, (row, i), (p * last[j + i]) / d)
            i += 1
        if kind == LAST:
            while i + width <= e:
                stores.stream_line(dst, (row, i), last, j + i)
                i += width
        elif kind == FLOP:
            while i + width <= e:
                stores.stream_product(dst, (row, i), last, j + i, p)
                i += width
        else:
            while i + width <= e:
                stores.stream_quotient(dst, (row, i), last, j + i, p, per)
                i += width
        if i < e and r + 1 < nr and i + width <= _span(rint, r + 1, lo, hi)[1]:
            pn, jn = rflt[r + 1, 0], PAD + rint[r + 1, 1] - rint[r + 1, 0]
            pn = 1.0 if kind == LAST else pn
            stores.stream_blend(dst, (row, i), last, j + i, jn + i, p, pn, e - i, d)
            i += width
        while i < e:
            stores.stream(dst, (row, i), (p * last[j + i]) / d)
            i += 1
        done = max(i, e)


@njit(inline="always", cache=True)
def _product_columns(flop, pfs, lo, hi, mis, rint, rflt, last, per):
    """flop[0, lo:hi] and pfs[0, lo:hi], both of whose element 0 lie ``mis`` items into a line,
    in one pass as ``_column`` writes each (the divisions overlap the other column's stores)."""
    width = stores.LINE // flop.itemsize
    nr = rint.shape[0]
    done = lo
    for r in range(nr):
        i, e = _span(rint, r, done, hi)
        p, j = rflt[r, 0], PAD + rint[r, 1] - rint[r, 0]
        while i < e and (mis + i) & (width - 1) != 0:
            stores.stream(flop, (0, i), p * last[j + i])
            stores.stream(pfs, (0, i), (p * last[j + i]) / per)
            i += 1
        while i + width <= e:
            stores.stream_product(flop, (0, i), last, j + i, p)
            stores.stream_quotient(pfs, (0, i), last, j + i, p, per)
            i += width
        if i < e and r + 1 < nr and i + width <= _span(rint, r + 1, lo, hi)[1]:
            pn, jn = rflt[r + 1, 0], PAD + rint[r + 1, 1] - rint[r + 1, 0]
            stores.stream_blend(flop, (0, i), last, j + i, jn + i, p, pn, e - i, 1.0)
            stores.stream_blend(pfs, (0, i), last, j + i, jn + i, p, pn, e - i, per)
            i += width
        while i < e:
            stores.stream(flop, (0, i), p * last[j + i])
            stores.stream(pfs, (0, i), (p * last[j + i]) / per)
            i += 1
        done = max(i, e)


@njit(inline="always", cache=True)
def _code_column(dst, lo, hi, mis, rint, step):
    """dst[0, lo:hi] of device codes that count along each run (the code axis is the last):
    lines inside a run by one vector store each, every other line (across runs, or partial at the
    array's ends) by single streaming stores."""
    width = stores.LINE // dst.itemsize
    for r in range(rint.shape[0]):
        i, e = _span(rint, r, lo, hi)
        c = rint[r, 3] - step * rint[r, 0]  # the code at point i is c + step * i
        while i < e and (mis + i) & (width - 1) != 0:
            stores.stream(dst, (0, i), c + step * i)
            i += 1
        while i + width <= e:
            stores.stream_count(dst, (0, i), c + step * i, step)
            i += width
        while i < e:
            stores.stream(dst, (0, i), c + step * i)
            i += 1


@njit(inline="always", cache=True)
def _stream_block(
    values, offsets, sizes, idx, pre, o0, o1, start, flop, pfs, cols, codes, ca, per, mis, last
):
    """Output points o0..o1-1 by streaming stores, one column at a time, lines whole by one vector
    store where the column functions can (each says where not): each block writes the lines that
    start in it (from up to LEAD points before o0), so no line is written in parts by two blocks.
    The odometer (``idx``, ``pre``) stands at max(0, o0 - LEAD); ``flop``, ``pfs``, ``codes``
    come as (1, n); ``mis``: where each column's element 0 lies in its line (cols, flop, pfs,
    codes); ``last``: the last axis padded (``_column``)."""
    k = sizes.shape[0]
    n = flop.shape[1]
    s = max(0, o0 - LEAD)
    rint, rflt = _runs(values, offsets, sizes, idx, pre, start + s, start + o1, start, ca)
    for a in range(k - 1):
        lo, hi = _cut(o0, n, 8, mis[a]), _cut(o1, n, 8, mis[a])
        _constant_column(cols, a, lo, hi, mis[a], rint, rflt[:, 1 + a])
    lo, hi = _cut(o0, n, 8, mis[k - 1]), _cut(o1, n, 8, mis[k - 1])
    _column(cols, k - 1, lo, hi, mis[k - 1], LAST, rint, rflt, last, per)
    lo, hi = _cut(o0, n, 8, mis[k]), _cut(o1, n, 8, mis[k])
    if mis[k] == mis[k + 1]:
        _product_columns(flop, pfs, lo, hi, mis[k], rint, rflt, last, per)
    else:
        _column(flop, 0, lo, hi, mis[k], FLOP, rint, rflt, last, per)
        lo, hi = _cut(o0, n, 8, mis[k + 1]), _cut(o1, n, 8, mis[k + 1])
        _column(pfs, 0, lo, hi, mis[k + 1], PFS, rint, rflt, last, per)
    if ca >= 0:
        w = stores.LINE // codes.itemsize
        lo, hi = _cut(o0, n, w, mis[k + 2]), _cut(o1, n, w, mis[k + 2])
        if ca == k - 1:  # codes count along each run
            _code_column(codes, lo, hi, mis[k + 2], rint, 1)
        else:
            _constant_column(codes, 0, lo, hi, mis[k + 2], rint, rint[:, 3])
    stores.fence()


@njit(inline="always", cache=True)
def _odometer(values, offsets, sizes, const, s):
    """(idx, pre) at flat point s: each axis's index, and the prefix products const * a0 * ..."""
    k = sizes.shape[0]
    idx = np.empty(k, np.int64)
    pre = np.empty(k, np.float64)
    rem = s
    for a in range(k - 1, -1, -1):
        idx[a] = rem % sizes[a]
        rem //= sizes[a]
    pre[0] = const
    for a in range(1, k):
        pre[a] = pre[a - 1] * values[offsets[a - 1] + idx[a - 1]]
    return idx, pre


@njit(parallel=True, cache=True)
def _materialize(values, offsets, sizes, const, start, flop, pfs, cols, codes, code_axis, per):
    k = sizes.shape[0]
    n = flop.shape[0]
    nlast = sizes[k - 1]
    loff = offsets[k - 1]
    nblocks = (n + BLOCK - 1) // BLOCK
    for b in prange(nblocks):
        s = start + b * BLOCK
        e = min(s + BLOCK, start + n)
        idx, pre = _odometer(values, offsets, sizes, const, s)
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
                pfs[o + t] = f / per
            if code_axis >= 0:
                if code_axis == k - 1:
                    for t in range(m):
                        codes[o + t] = j0 + t
                else:
                    c = idx[code_axis]
                    for t in range(m):
                        codes[o + t] = c
            pos += m
            if pos < e:
                _carry(values, offsets, sizes, idx, pre)


@njit(parallel=True, cache=True)
def _materialize_stream(
    values, offsets, sizes, const, start, flop, pfs, cols, codes, code_axis, per, mis, last
):
    """``_materialize`` by streaming stores (``_stream_block``); flop, pfs, codes as (1, n)."""
    n = flop.shape[1]
    for b in prange((n + BLOCK - 1) // BLOCK):
        o0 = b * BLOCK
        idx, pre = _odometer(values, offsets, sizes, const, start + max(0, o0 - LEAD))
        o1 = min(o0 + BLOCK, n)
        _stream_block(
            values,
            offsets,
            sizes,
            idx,
            pre,
            o0,
            o1,
            start,
            flop,
            pfs,
            cols,
            codes,
            code_axis,
            per,
            mis,
            last,
        )


def _renamed(fn: Callable[..., Any], name: str) -> FunctionType:
    """``fn`` under another name. Numba's cache keys a compiled function by its name and line, so
    two variants of one Python function (threads or not) shared a cache entry: the first variant
    compiled was served to the other, e.g. the serial loop to the parallel dispatcher."""
    assert isinstance(fn, FunctionType)
    code = fn.__code__.replace(co_name=name)
    out = FunctionType(code, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    out.__qualname__ = name
    return out


#: The same loop compiled without threads: below SERIAL_MAX points, waking the thread pool costs more
#: than the stores (and on a busy machine a descheduled worker stalls the whole call).
_materialize_serial = njit(cache=True)(_renamed(_materialize.py_func, "_materialize_serial"))
SERIAL_MAX = 1 << 16


def _streamable(flop, pfs, cols, codes) -> bool:
    """The streaming path's outputs: C-contiguous, aligned to their items, float64 values and
    integer codes of at least 4 bytes (the line stores' widths and LEAD assume them)."""
    floats = all(a.dtype == np.float64 for a in (flop, pfs, cols))
    ints = codes.dtype.kind in "iu" and codes.itemsize >= 4
    laid = all(a.flags.c_contiguous and a.flags.aligned for a in (flop, pfs, cols, codes))
    return floats and ints and laid


def materialize(axes, const, start, flop, pfs, cols, codes, code_axis, per) -> None:
    """See sweep_reference.materialize."""
    values, offsets, sizes = flat(axes)
    args = (values, offsets, sizes, float(const), int(start))
    outs = (flop, pfs, cols, codes)
    nbytes = flop.nbytes + pfs.nbytes + cols.nbytes + (codes.nbytes if code_axis >= 0 else 0)
    if code_axis < 0:  # codes unused: the streaming kernel's are typed all the same
        codes = np.empty(0, np.int32)
    if nbytes >= STREAM_MIN_BYTES and _streamable(flop, pfs, cols, codes):
        rows = [*cols, flop, pfs, codes]  # where each column's element 0 lies in its line
        mis = np.array([(r.ctypes.data % stores.LINE) // r.itemsize for r in rows], np.int64)
        one = (flop.reshape(1, -1), pfs.reshape(1, -1), cols, codes.reshape(1, -1))
        axis = values[offsets[-1] : offsets[-1] + sizes[-1]]
        last = np.concatenate([np.zeros(PAD), axis, np.zeros(PAD)])
        _materialize_stream(*args, *one, int(code_axis), float(per), mis, last)
        return
    kernel = _materialize_serial if flop.shape[0] <= SERIAL_MAX else _materialize
    kernel(*args, *outs, int(code_axis), float(per))


# ---- reductions on the product structure -------------------------------------------------------


@njit(cache=True)
def _mul(values, offsets, p, idx, lo, hi):
    """p times axes lo..hi-1 at idx, left to right (the canonical order)."""
    for a in range(lo, hi):
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
def _walk(values, offsets, sizes, const, ax, ay, px, py, idx, lo, hi, out, pos):
    """Points of the (ax, ay) plane at idx with lo < product <= hi, by two pointers over the sorted
    axes (ax < ay); writes them to out[pos:] when out is non-empty; returns how many."""
    k = sizes.shape[0]
    nx, ny = px.shape[0], py.shape[0]
    xo, yo = offsets[ax], offsets[ay]
    pre = _mul(values, offsets, const, idx, 0, ax)
    c_lo = 0 if lo == -np.inf else ny  # the (ax, ay) entries of idx are never read
    c_hi = ny
    total = 0
    for i in range(nx):
        pi = _mul(values, offsets, pre * values[xo + px[i]], idx, ax + 1, ay)
        while c_hi > 0:
            if not _mul(values, offsets, pi * values[yo + py[c_hi - 1]], idx, ay + 1, k) <= hi:
                c_hi -= 1
            else:
                break
        if c_hi == 0:
            break
        while c_lo > 0:
            if _mul(values, offsets, pi * values[yo + py[c_lo - 1]], idx, ay + 1, k) > lo:
                c_lo -= 1
            else:
                break
        if out.shape[0] > 0:
            for j in range(c_lo, c_hi):
                out[pos + total + j - c_lo] = _mul(
                    values, offsets, pi * values[yo + py[j]], idx, ay + 1, k
                )
        total += c_hi - c_lo
    return total


@njit(parallel=True, cache=True)
def _band(values, offsets, sizes, const, ax, ay, px, py, group, lo, hi, n_outer, nb, starts, out):
    """Per block of outer combinations: points with lo[g, r] < product <= hi[g, r], shape (nb, G, R);
    with a non-empty ``out``, also writes them at starts[b, g, r]."""
    G, R = hi.shape
    k = sizes.shape[0]
    part = np.zeros((nb, G, R), np.int64)
    for b in prange(nb):
        idx = np.empty(k, np.int64)
        for o in range(b, n_outer, nb):
            _outer_index(o, sizes, ax, ay, idx)
            g = idx[group] if group >= 0 else 0
            for r in range(R):
                pos = starts[b, g, r] + part[b, g, r] if out.shape[0] > 0 else 0
                part[b, g, r] += _walk(
                    values, offsets, sizes, const, ax, ay, px, py, idx, lo[g, r], hi[g, r], out, pos
                )
    return part


_NONE = np.empty(0)
_NO_STARTS = np.zeros((1, 1, 1), np.int64)


_split_band = sweep_split.split_band


def band_parts(
    plan: Plan, lo: np.ndarray, hi: np.ndarray, out: np.ndarray = _NONE, starts=None
) -> np.ndarray:
    """Per-block counts (nb, G, R) of points with lo < product <= hi (lo = -inf: count <= hi):
    on the two-set split where it applies (``sweep_split``), else by the plane walk."""
    nb = _blocks(plan)
    lo = np.ascontiguousarray(lo, np.float64)
    hi = np.ascontiguousarray(hi, np.float64)
    starts = _NO_STARTS if starts is None else starts
    split = sweep_split.of(plan)
    if split is not None:
        s = split
        return _split_band(
            plan.values, plan.offsets, plan.const, s.qa, s.ga, s.fa, s.qb, s.fb,
            s.a_axes, s.a_sizes, s.b_axes, s.b_sizes, s.window, lo, hi, nb, starts, out,
        )  # fmt: skip
    return _band(
        plan.values,
        plan.offsets,
        plan.sizes,
        plan.const,
        plan.ax,
        plan.ay,
        plan.px,
        plan.py,
        plan.group,
        lo,
        hi,
        plan.n_outer,
        nb,
        starts,
        out,
    )


def count_le_plan(plan: Plan, thresholds: np.ndarray) -> np.ndarray:
    """count_le on a prepared Plan; thresholds (G, R)."""
    thr = plan.thresholds(thresholds)
    return band_parts(plan, np.full(thr.shape, -np.inf), thr).sum(axis=0)


BAND_LIMIT = 1 << 22  #: candidates (all targets together) gathered once the brackets are narrow
SPLIT_LIMIT = 1 << 16  #: ... on a two-set split, whose counting passes cost far less
BAND_MIN = 1 << 12  #: ... but at least this many per target


def _sample_products(plan: Plan, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(products, groups) at ``n`` grid points drawn uniformly (fixed seed), in canonical order:
    one index per axis, each uniform (a uniform flat index without unravelling it)."""
    split = sweep_split.of(plan)
    if split is not None and int(np.prod(plan.sizes)) > n:
        return sweep_split.sample(split, n, seed)
    rng = np.random.default_rng(seed)
    if int(np.prod(plan.sizes)) <= n:
        idx = np.unravel_index(np.arange(int(np.prod(plan.sizes))), tuple(plan.sizes))
    else:
        idx = tuple(rng.integers(0, size, n) for size in plan.sizes)
    p = np.full(len(idx[0]), plan.const)
    for a, ix in enumerate(idx):
        p *= plan.axes[a][ix]  # in place: the same rounding as p = p * a, left to right
    g = idx[plan.group] if plan.group >= 0 else np.zeros(len(idx[0]), np.int64)
    return p, g


@njit(cache=True)
def _block_totals(sizes, ax, ay, group, n_outer, nb, G):
    """Points per (block, group) of ``_band``'s blocks: block b walks outer indices b, b + nb, ..."""
    tot = np.zeros((nb, G), np.int64)
    idx = np.empty(sizes.shape[0], np.int64)
    plane = sizes[ax] * sizes[ay]
    for o in range(n_outer):
        _outer_index(o, sizes, ax, ay, idx)
        tot[o % nb, idx[group] if group >= 0 else 0] += plane
    return tot


def _blocks(plan: Plan) -> int:
    """Blocks ``band_parts`` splits the work into (one per parallel item): of set A's products
    on the split, else of outer combinations."""
    split = sweep_split.of(plan)
    return split.nb if split is not None else max(1, min(plan.n_outer, 64))


def _totals(plan: Plan, nb: int) -> np.ndarray:
    """Points per (block, group) of ``band_parts``'s blocks."""
    split = sweep_split.of(plan)
    if split is not None:
        return sweep_split.block_totals(split.ga, len(split.qb), nb, plan.G)
    return _block_totals(plan.sizes, plan.ax, plan.ay, plan.group, plan.n_outer, nb, plan.G)


class _Seen:
    """Per-block counts at every threshold counted so far, per group: so that a bracket's
    per-block sizes (the gather's write positions) need no counting pass of their own."""

    def __init__(self, plan: Plan, lo_b: np.ndarray, hi_b: np.ndarray) -> None:
        total = _totals(plan, _blocks(plan))  # (nb, G): counts at each group's max; 0 below min
        self.bits = np.concatenate([lo_b[:, :1], hi_b[:, :1]], axis=1)  # (G, P)
        self.parts = np.stack([np.zeros_like(total), total], axis=2)  # (nb, G, P)

    def add(self, bits: np.ndarray, parts: np.ndarray) -> None:
        """Thresholds ``bits`` (G, U) with per-block counts ``parts`` (nb, G, U)."""
        self.bits = np.concatenate([self.bits, bits], axis=1)
        self.parts = np.concatenate([self.parts, parts], axis=2)

    def at(self, bits: np.ndarray) -> np.ndarray:
        """Per-block counts (nb, G, R) at thresholds ``bits`` (G, R), each counted before."""
        eq = self.bits[:, None, :] == bits[:, :, None]  # (G, R, P)
        if not eq.any(axis=2).all():
            raise AssertionError("order_fast: a bracket end was never counted")
        return np.take_along_axis(self.parts, eq.argmax(axis=2)[None], axis=2)


def order_fast(
    plan: Plan, ranks: np.ndarray, lo: np.ndarray, hi: np.ndarray, place: np.ndarray | None = None
) -> np.ndarray:
    """The ranks[g, r]-th smallest product (0-based) per group (G, R), exact; CPU only.

    Brackets (lo, hi] holding each rank are narrowed, each step one counting pass for all targets
    at once: first from a sample of the grid, then by interpolation on the count with a probe each
    side of the target, falling back to halving the bit-pattern interval; once a bracket holds few
    points they are gathered and the two ranks selected among them. ``place``: the rank each
    target's probes aim at (default ``ranks``); targets that share it (a quantile's two neighbouring
    ranks) share probes, and equal thresholds are counted once. The counting passes keep per-block
    counts, so the gather writes each bracket's points in one pass, without counting them again.
    """
    place = ranks if place is None else place
    G, R = ranks.shape
    n = plan.group_size
    lo_b = np.repeat(np.nextafter(lo, 0.0).view(np.int64)[:, None], R, axis=1)
    hi_b = np.repeat(hi.view(np.int64)[:, None], R, axis=1)
    c_lo, c_hi = np.zeros((G, R), np.int64), np.full((G, R), n, np.int64)
    most = BAND_LIMIT if sweep_split.of(plan) is None else min(BAND_LIMIT, SPLIT_LIMIT)
    limit = max(BAND_MIN, most // ranks.size)
    seen = _Seen(plan, lo_b, hi_b)

    def update(probe_b):
        nonlocal lo_b, hi_b, c_lo, c_hi
        c = counter_pairs(plan, probe_b, seen)
        lo_b, hi_b, c_lo, c_hi = host.narrow(probe_b, c, ranks, lo_b, hi_b, c_lo, c_hi)

    # 1. from a sample: order statistics a few standard errors each side of the targets
    if n > limit:
        sp, sg = _sample_products(plan, 1 << 18)
        probes = host.sample_probes(sp, sg, place, n)
        update(probes)
    # 2. interpolate on the count (bits ~ log value), a probe each side; halve when that stalls
    rounds = 0
    while True:
        active = (hi_b - lo_b > 1) & (c_hi - c_lo > limit)
        if not active.any():
            break
        span = (hi_b - lo_b).astype(np.float64)

        def frac(t: np.ndarray, c_lo: np.ndarray = c_lo, c_hi: np.ndarray = c_hi) -> np.ndarray:
            return np.clip((t - c_lo) / np.maximum(c_hi - c_lo, 1), 0.0, 1.0)

        a = lo_b + (span * frac(place + 1 - limit / 4)).astype(np.int64)
        b = lo_b + (span * frac(place + 2 + limit / 4)).astype(np.int64)
        mid = lo_b + (hi_b - lo_b) // 2
        update(np.stack([a, b] + ([mid] if rounds else []), axis=2))
        rounds += 1
    return _gather_select(plan, ranks, lo_b, hi_b, c_lo, seen)


def _gather_select(plan, ranks, lo_b, hi_b, c_lo, seen: _Seen) -> np.ndarray:
    """Each bracket's points written in one pass (positions from the per-block counts already
    taken), then the wanted ranks selected among them."""
    G, R = ranks.shape
    uniq, first, inv = np.unique(
        np.concatenate([lo_b, hi_b]).T, axis=0, return_index=True, return_inverse=True
    )
    inv = inv.ravel()
    lo_v = np.ascontiguousarray(uniq[:, :G].T).view(np.float64)
    hi_v = np.ascontiguousarray(uniq[:, G:].T).view(np.float64)
    U = lo_v.shape[1]
    part = seen.at(hi_b[:, first]) - seen.at(lo_b[:, first])  # (nb, G, U)
    size = part.sum(axis=0)
    seg = np.concatenate([[0], np.cumsum(size.ravel())[:-1]]).reshape(G, U)
    starts = seg[None, :, :] + np.cumsum(part, axis=0) - part
    out = np.empty(int(size.sum()))
    wrote = band_parts(plan, lo_v, hi_v, out, np.ascontiguousarray(starts))
    if not np.array_equal(wrote, part):
        raise AssertionError("order_fast: the gather wrote other counts than were counted")
    x = np.empty((G, R))
    for g in range(G):
        for u in range(U):
            targets = [r for r in range(R) if inv[r] == u]
            if not targets:
                continue
            cand = out[seg[g, u] : seg[g, u] + size[g, u]]
            ks = sorted({int(ranks[g, r] - c_lo[g, r]) for r in targets})
            cand = np.partition(cand, ks)
            for r in targets:
                x[g, r] = cand[int(ranks[g, r] - c_lo[g, r])]
    return x


def counter_pairs(plan: Plan, probes_b: np.ndarray, seen: _Seen | None = None) -> np.ndarray:
    """count_le at probe bit patterns (G, R, P) -> counts (G, R, P); ``seen`` keeps the
    per-block counts."""
    G, R, P = probes_b.shape
    uniq, inv = np.unique(probes_b.reshape(G, R * P).T, axis=0, return_inverse=True)
    bits = np.ascontiguousarray(uniq.T)
    thr = bits.view(np.float64)
    part = band_parts(plan, np.full(thr.shape, -np.inf), thr)
    if seen is not None:
        seen.add(bits, part)
    return part.sum(axis=0)[:, inv.ravel()].reshape(G, R, P)


def count_le(axes, const, thresholds, group_axis) -> np.ndarray:
    """See sweep_reference.count_le."""
    return host.count_le(count_le_plan, axes, const, thresholds, group_axis)


def count_at_least(axes, const, threshold, group_axis) -> np.ndarray:
    """See sweep_reference.count_at_least."""
    return host.count_at_least(count_le_plan, axes, const, threshold, group_axis)


def quantiles(axes, const, qs, group_axis) -> np.ndarray:
    """See sweep_reference.quantiles: order statistics by ``order_fast``."""
    return host.quantiles(order_fast, axes, const, qs, group_axis)


def warm_split() -> None:
    """Compile (or load from the cache) the split's kernels: a small grid reduced with the split
    forced; the cost model takes the split only on large grids, which warm-up sizes never reach."""
    old, sweep_split.FORCE = sweep_split.FORCE, True
    try:
        axes = [np.array([4.2, 8.5]), np.arange(1.0, 6), np.geomspace(1, 365, 7)]
        axes.append(np.linspace(0.2, 0.5, 3))
        for group in (-1, 0):
            count_at_least(axes, 8.64e16, 1e20, group)
            quantiles(axes, 8.64e16, [0.05, 0.5, 0.95], group)
    finally:
        sweep_split.FORCE = old


def warm_stream() -> None:
    """Compile (or load from the cache) the streaming materialise: a small grid written by it with
    the size switch lowered; warm-up sizes never reach STREAM_MIN_BYTES."""
    global STREAM_MIN_BYTES
    old, STREAM_MIN_BYTES = STREAM_MIN_BYTES, 0
    try:
        axes = [np.array([4.2, 8.5]), np.arange(1.0, 6), np.linspace(0.2, 0.5, 3)]
        n, k = 30, len(axes)
        out = np.empty(n), np.empty(n), np.empty((k, n)), np.empty(n, np.int32)
        materialize(axes, 8.64e16, 0, *out, 0, 8.64e19)
    finally:
        STREAM_MIN_BYTES = old
