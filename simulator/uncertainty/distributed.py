"""Bands on a Dask cluster (the ``dask`` extra): many rows split by row ranges, one estimate of a
very large sample count split by sample ranges; the same numbers as one machine.

Both rest on the counter-based generator: a draw is keyed by (seed, sample index, variable block,
row), never by which task or thread made it, so a range of rows or samples drawn on a worker is
exactly what the one-machine run draws for it.

- Rows (``batch_rows``): row r of a batch uses Philox counter word 3 = r; a task given rows
  [a, b) calls the kernel with ``first_row=a``; its bands are those rows' bands of the whole run.
- Samples (``reduce_samples``): the numba kernel sums in fixed chunks of samples combined in chunk
  order; tasks cover whole chunks and return their per-chunk sums, which are combined here in the
  same order: the moments are bit-identical, not only equal to rounding. Histogram counts are
  integers (summed exactly). Exact order statistics: counts on a value grid in each wanted rank's
  interval, summed over tasks, then the bin holding the rank taken as the new interval, until it
  holds few values, which are gathered and sorted (a few passes over the samples; nothing stored).

Workers run the numba backend on one thread each (``cluster.map_ranges``); kernels are compiled
with ``cache=True``, so a worker loads them from the on-disk cache (``__pycache__`` beside the
kernels, or ``NUMBA_CACHE_DIR``) after the first compile on that host.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from computesim.cluster import connect, map_ranges, split_range, workers
from computesim.errors import InputError

#: Most samples a task holds at once (8 bytes each: 128 MiB); a longer range is drawn in slices.
SLICE_SAMPLES = 1 << 24
#: An interval holding at most this many samples (all tasks) is gathered and sorted.
GATHER_MAX = 1 << 20
#: Bins of each refining pass's grid over a wanted rank's interval.
REFINE_BINS = 1 << 14
#: Tasks a worker gets by default (``parts`` None): some slack for uneven workers.
TASKS_PER_WORKER = 4


def _workers(client: Any) -> int:
    return workers(client)


def _parts(parts: int | None, client: Any) -> int:
    """``parts``, or TASKS_PER_WORKER a worker; InputError("parts") unless a whole number >= 1."""
    if parts is None:
        return TASKS_PER_WORKER * _workers(client)
    if isinstance(parts, bool) or not isinstance(parts, int) or parts < 1:
        raise InputError("parts", f"must be a whole number >= 1, got {parts!r}")
    return parts


def _backend(name: str) -> str:
    """The backend the workers run: "auto" is numba (workers are CPU processes)."""
    if name not in ("auto", "numba", "cuda"):
        raise InputError("backend", f"a cluster runs numba or cuda, got {name!r}")
    return "numba" if name == "auto" else name


# ---- rows --------------------------------------------------------------------------------------


def _rows_task(start: int, stop: int, backend: str, seed: int, n: int, arrays: tuple) -> Any:
    """The kernel's bands of rows [start, stop) of the batch ``arrays`` (rows keep their number)."""
    from computesim.kernels import get_backend

    fam, coef, par, pool, const, ranks, lth, shift, index = arrays
    rows = slice(start, stop)
    return get_backend(backend).mc.bands_batch(
        seed,
        n,
        fam[rows],
        coef[rows],
        par[rows],
        pool,
        const[rows],
        ranks,
        lth,
        shift[rows],
        tab_index=index[rows],
        first_row=start,
    )


def batch_rows(
    client: Any, parts: int | None, backend: str, seed: int, n: int, arrays: tuple
) -> Any:
    """``bands_batch`` of a pooled batch (``arrays``: fam, coef, par, pool, const, ranks, log
    thresholds, shift, tab_index), its rows split into ``parts`` ranges on ``client``'s workers
    (``client``: a Client or scheduler text); the same BatchSummary as one call."""
    import numpy as np  # deferred: NumPy is heavy

    from computesim.kernels.host import BatchSummary

    be = _backend(backend)
    with connect(client, "client") as c:
        rows = len(arrays[4])
        ranges = split_range(rows, _parts(parts, c))
        got = map_ranges(c, _rows_task, ranges, be, seed, n, arrays)
    order, s0, s1, s2, s3, above = (np.concatenate([g[f] for g in got]) for f in range(6))
    return BatchSummary(order, s0, s1, s2, s3, above, n)


# ---- samples -----------------------------------------------------------------------------------


def _chunk_ranges(n: int, step: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` ranges of whole ``step``-sample chunks (the last may be short) covering range(n)."""
    chunks = (n + step - 1) // step
    return [(a * step, min(n, b * step)) for a, b in split_range(chunks, parts)]


def _slices(start: int, stop: int, step: int) -> list[tuple[int, int]]:
    """[start, stop) in slices of at most SLICE_SAMPLES, each whole ``step`` chunks but the last."""
    per = max(1, SLICE_SAMPLES // step) * step
    return [(a, min(stop, a + per)) for a in range(start, stop, per)]


def _draw(seed: int, model: tuple, a: int, b: int) -> Any:
    """log-samples [a, b) of ``model`` (fam, coef, par, tab, chol, const), numba backend."""
    from computesim.kernels import mc_numba as k

    fam, coef, par, tab, chol, const = model
    return k.sample_log(seed, a, b - a, fam, coef, par, tab, chol, const)


def _hist_task(start: int, stop: int, seed: int, model: tuple, grid: tuple) -> tuple:
    """Samples [start, stop) through the numba kernel's fused pass on the global grid: (histogram
    summed over threads, per-chunk sums, threshold counts, (under, over))."""
    import numpy as np

    from computesim.kernels import mc_numba as k

    fam, coef, par, tab, chol, const = model
    lo, width, bins, lth, shift = grid
    args = k._args(fam, coef, par, tab, chol)
    hist, acc, cnt, outside = k.hist_pass(
        seed, start, stop - start, args, const, (lo, width, bins), lth, shift, np.empty(0)
    )
    return hist.sum(axis=0), acc, cnt.sum(axis=0), outside.sum(axis=0)


def _moments_task(start: int, stop: int, seed: int, model: tuple, step: int, lth, shift) -> tuple:
    """Samples [start, stop) (whole ``step`` chunks but the last) summed as ``mc_numba.summarize``
    sums them: (per-chunk sums and extremes, threshold counts)."""
    import numpy as np

    from computesim.kernels import mc_numba as k

    lth = np.asarray(lth, np.float64)
    accs, cnt = [], np.zeros(len(lth), np.int64)
    for a, b in _slices(start, stop, step):
        x = _draw(seed, model, a, b)
        whole = (len(x) // step) * step
        for part, nch in ((x[:whole], whole // step), (x[whole:], 1)):
            if len(part):
                acc, c = k._moments(np.ascontiguousarray(part), lth, float(shift), nch)
                accs.append(acc)
                cnt += c.sum(axis=0)
    return np.concatenate(accs), cnt


def _refine_task(start: int, stop: int, seed: int, model: tuple, intervals: list) -> list:
    """For each (lo, hi, gather) interval: the values of samples [start, stop) in [lo, hi) when
    ``gather``, else their counts on REFINE_BINS equal bins (edges ``numpy.linspace``) with their
    (min, max)."""
    import numpy as np

    edges = [np.linspace(lo, hi, REFINE_BINS + 1) for lo, hi, _ in intervals]
    counts = [np.zeros(REFINE_BINS, np.int64) for _ in intervals]
    ext = [(math.inf, -math.inf)] * len(intervals)
    values: list[list[Any]] = [[] for _ in intervals]
    for x in _slice_draws(seed, model, start, stop):
        for j, (lo, hi, gather) in enumerate(intervals):
            v = x[(x >= lo) & (x < hi)]
            if gather:
                values[j].append(v)
            elif len(v):
                at = np.searchsorted(edges[j], v, side="right") - 1
                counts[j] += np.bincount(at, minlength=REFINE_BINS)[:REFINE_BINS]
                ext[j] = (min(ext[j][0], float(v.min())), max(ext[j][1], float(v.max())))
    return [
        np.concatenate(values[j]) if gather else (counts[j], ext[j])
        for j, (_, _, gather) in enumerate(intervals)
    ]


def _extremes_task(start: int, stop: int, seed: int, model: tuple) -> tuple[float, float]:
    """(min, max) of log-samples [start, stop)."""
    ext = [(float(x.min()), float(x.max())) for x in _slice_draws(seed, model, start, stop)]
    return min(a for a, _ in ext), max(b for _, b in ext)


def _slice_draws(seed: int, model: tuple, start: int, stop: int) -> Any:
    return (_draw(seed, model, a, b) for a, b in _slices(start, stop, 1))


def _exact_order(
    c: Any,
    ranges,
    seed: int,
    model: tuple,
    ranks: Sequence[int],
    lo: float | None = None,
    hi: float | None = None,
) -> list[float]:
    """The exact ranks[q]-th smallest log-samples (all values in [lo, hi]; None: one more pass
    finds the extremes) by rounds of counts."""
    import numpy as np

    if lo is None or hi is None:
        ext = map_ranges(c, _extremes_task, ranges, seed, model)
        lo, hi = min(a for a, _ in ext), max(b for _, b in ext)

    # per rank: its interval [a, b), the samples below a, and the samples in it (None: not counted)
    where: dict[int, tuple[float, float]] = {
        int(r): (float(lo), float(np.nextafter(hi, math.inf))) for r in ranks
    }
    below: dict[int, int] = {r: 0 for r in where}
    inside: dict[int, int | None] = {r: None for r in where}
    found: dict[int, float] = {}
    while len(found) < len(where):
        todo = sorted({(where[r], inside[r]) for r in where if r not in found}, key=str)
        asks = [(a, b, cnt is not None and cnt <= GATHER_MAX) for (a, b), cnt in todo]
        got = map_ranges(c, _refine_task, ranges, seed, model, asks)
        for j, (a, b, gather) in enumerate(asks):
            mine = [r for r in where if r not in found and where[r] == (a, b)]
            if gather:
                vals = np.sort(np.concatenate([g[j] for g in got]))
                for r in mine:
                    found[r] = float(vals[r - below[r]])
                continue
            counts = np.sum([g[j][0] for g in got], axis=0)
            vmin = min(g[j][1][0] for g in got)
            vmax = max(g[j][1][1] for g in got)
            edges = np.linspace(a, b, REFINE_BINS + 1)
            cum = np.cumsum(counts)
            for r in mine:
                if vmin == vmax:  # every value here is the same: it is the answer
                    found[r] = vmin
                    continue
                i = int(np.searchsorted(cum, r - below[r], side="right"))
                below[r] += int(cum[i - 1]) if i else 0
                where[r] = (
                    max(float(edges[i]), vmin),
                    min(float(edges[i + 1]), float(np.nextafter(vmax, math.inf))),
                )
                inside[r] = int(counts[i])
    return [found[int(r)] for r in ranks]


def reduce_samples(
    client: Any,
    parts: int | None,
    seed: int,
    n: int,
    model: tuple,
    ranks: Sequence[int],
    log_thresholds: Sequence[float],
    shift: float,
    exact: bool = False,
    log_range: tuple[float, float] | None = None,
) -> Any:
    """``mc_numba.reduce(seed, 0, n, *model[:5], model[5], ranks, ...)`` split by sample ranges on
    ``client``'s workers (``model``: fam, coef, par, tab, chol, const): the same Summary, bit for
    bit, for any ``parts`` (default 4 tasks a worker)."""
    import numpy as np

    from computesim.kernels import mc_numba as k
    from computesim.kernels.host import Summary

    ranks = [int(r) for r in ranks]
    lth = [float(t) for t in log_thresholds]
    fam, coef, par, tab, chol, const = model
    with connect(client, "client") as c:
        want = _parts(parts, c)
        if n <= k.SMALL:  # one machine selects in one thread: one task, the same call
            (s,) = map_ranges(c, _small_task, [(0, n)], seed, model, ranks, lth, shift)
            return s
        if exact or np.asarray(chol).shape[0]:
            nch = (n + k._CHUNK - 1) // k._CHUNK
            step = (n + nch - 1) // nch
            ranges = _chunk_ranges(n, step, want)
            got = map_ranges(c, _moments_task, ranges, seed, model, step, lth, shift)
            acc = np.concatenate([g[0] for g in got])
            tot = k._ordered_sum(acc)
            exact_order = _exact_order(
                c, ranges, seed, model, ranks, float(acc[:, 4].min()), float(acc[:, 5].max())
            )
            return Summary(
                np.array(exact_order),
                float(tot[0]),
                float(tot[1]),
                float(tot[2]),
                float(tot[3]),
                np.sum([g[1] for g in got], axis=0),
                n,
            )
        args = k._args(fam, coef, par, tab, chol)
        lo, width, bins = k.hist_grid(n, args, const, None, log_range)
        ranges = _chunk_ranges(n, k._CHUNK, want)
        grid = (lo, width, bins, lth, float(shift))
        got = map_ranges(c, _hist_task, ranges, seed, model, grid)
        s, inside = k.hist_summary(
            np.sum([g[0] for g in got], axis=0)[None, :],
            lo,
            width,
            shift,
            ranks,
            np.sum([g[3] for g in got], axis=0),
            k._ordered_sum(np.concatenate([g[1] for g in got])),
            np.sum([g[2] for g in got], axis=0),
            n,
        )
        if n <= k.STORE_MAX or not inside:  # one machine selects exactly: the same numbers
            s = s._replace(order=np.array(_exact_order(c, ranges, seed, model, ranks)), error=0.0)
        return s


def _small_task(start: int, stop: int, seed: int, model: tuple, ranks, lth, shift) -> Any:
    from computesim.kernels import mc_numba as k

    fam, coef, par, tab, chol, const = model
    return k.reduce(seed, start, stop - start, fam, coef, par, tab, chol, const, ranks, lth, shift)
