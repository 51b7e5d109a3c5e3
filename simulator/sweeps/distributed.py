"""Sweeps on a Dask cluster (``sweep(..., client=...)``): the flat grid split into index ranges,
one task per range, each computing exactly what the one-machine run computes for its points.

Materialise and inverse: each task makes its range's rows with the one-machine chunk code
(``modes.materialize_batches`` / ``inverse_batches`` on a range) and writes them as one Parquet
part of a dataset directory (written under a temporary name, renamed when every part is done), or
returns them to be gathered into one table. Reduce: ``ClusterSweep`` has the kernels' sweep
functions (count_at_least, extremes, quantiles) computed per range and merged: a range is a few
boxes of the grid (``boxes``), each a smaller product grid reduced by the backend's own kernel;
counts are summed, extremes merged (first occurrence in C order), and quantiles found by
distributed bisection on the float64 bit pattern (each round every task counts its points at or
below the probes), so they are the exact order statistics the one-machine kernels find,
interpolated by the same code (``kernels.host.quantiles``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from computesim.cluster import map_ranges, split_range
from computesim.io import arrow as arrow_io
from computesim.io.stream import write_batches
from computesim.kernels import get_backend, host
from computesim.sweeps.bands import GridBand, append_band_columns
from computesim.sweeps.grid import Grid
from computesim.sweeps.modes import Inverse, inverse_batches, materialize_batches
from computesim.sweeps.progress import Progress

#: Default partitions: this many per worker (so a slow or lost worker delays a fraction of the run).
PARTS_PER_WORKER = 4
#: Rows in one Parquet part at most (by default): a part's file stays a few GB at most.
PART_POINTS = 1 << 26
#: Evenly spaced probes per target in each counting round of the distributed order search.
PROBES = 15
#: Points in a bracket (per target) few enough to gather and select from.
GATHER = 1 << 14
#: Points per chunk when a task gathers a bracket's points.
GATHER_CHUNK = 1 << 20


@dataclass(frozen=True)
class Cluster:
    """A Dask client and the partitions to split a run into (None: a multiple of the workers)."""

    client: Any
    parts: int | None = None

    def workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def ranges(self, n: int, part_points: int | None = None) -> list[tuple[int, int]]:
        """The flat index ranges of ``n`` points (``parts``, else PARTS_PER_WORKER per worker and
        at most ``part_points`` points each)."""
        parts = self.parts
        if parts is None:
            parts = PARTS_PER_WORKER * self.workers()
            if part_points:
                parts = max(parts, math.ceil(n / part_points))
        return split_range(n, parts)


# ---- boxes: a flat index range as product sub-grids ---------------------------------------------


def boxes(start: int, stop: int, shape: Sequence[int]) -> list[list[tuple[int, int]]]:
    """The points [start, stop) of a C-order grid of ``shape`` as at most 2 x len(shape) boxes,
    each a (lo, hi) range per axis, in flat order.

    >>> boxes(3, 9, (3, 4))
    [[(0, 1), (3, 4)], [(1, 2), (0, 4)], [(2, 3), (0, 1)]]
    """
    if start >= stop:
        return []
    if len(shape) == 1:
        return [[(start, stop)]]
    inner = math.prod(shape[1:])
    (i, a), (j, b) = divmod(start, inner), divmod(stop, inner)
    rest = list(shape[1:])
    if i == j:
        return [[(i, i + 1), *box] for box in boxes(a, b, rest)]
    out = []
    if a:
        out += [[(i, i + 1), *box] for box in boxes(a, inner, rest)]
        i += 1
    if j > i:
        out.append([(i, j)] + [(0, s) for s in rest])
    if b:
        out += [[(j, j + 1), *box] for box in boxes(0, b, rest)]
    return out


def _sub(axes: Sequence[np.ndarray], box: list[tuple[int, int]]) -> list[np.ndarray]:
    return [np.ascontiguousarray(a[lo:hi]) for a, (lo, hi) in zip(axes, box)]


def _group_slice(box: list[tuple[int, int]], group_axis: int) -> slice:
    return slice(*box[group_axis]) if group_axis >= 0 else slice(0, 1)


def _groups(axes: Sequence[np.ndarray], group_axis: int) -> int:
    return 1 if group_axis < 0 else len(axes[group_axis])


# ---- tasks (module level: run on the workers) ---------------------------------------------------


def count_at_least_part(start, stop, axes, const, threshold, group_axis, backend):
    """Points of [start, stop) with product >= threshold, per group (G,)."""
    be = get_backend(backend)
    out = np.zeros(_groups(axes, group_axis), np.int64)
    shape = [len(a) for a in axes]
    for box in boxes(start, stop, shape):
        out[_group_slice(box, group_axis)] += be.sweep.count_at_least(
            _sub(axes, box), const, threshold, group_axis
        )
    return out


def count_le_part(start, stop, axes, const, thresholds, group_axis, backend):
    """Points of [start, stop) with product <= thresholds[g, r], per group (G, R)."""
    be = get_backend(backend)
    thr = np.atleast_2d(np.asarray(thresholds, np.float64))
    out = np.zeros(thr.shape, np.int64)
    shape = [len(a) for a in axes]
    for box in boxes(start, stop, shape):
        gs = _group_slice(box, group_axis)
        out[gs] += be.sweep.count_le(_sub(axes, box), const, thr[gs], group_axis)
    return out


def extremes_part(start, stop, axes, const, group_axis, backend):
    """(min, argmin, max, argmax) per group of the points [start, stop); arguments are global flat
    indices, first occurrences (inf / -inf and -1 for a group with no point in the range)."""
    be = get_backend(backend)
    G = _groups(axes, group_axis)
    shape = [len(a) for a in axes]
    mn, mx = np.full(G, np.inf), np.full(G, -np.inf)
    amn, amx = np.full(G, -1, np.int64), np.full(G, -1, np.int64)
    for box in boxes(start, stop, shape):
        gs = _group_slice(box, group_axis)
        bmn, bamn, bmx, bamx = be.sweep.extremes(_sub(axes, box), const, group_axis)
        local = [hi - lo for lo, hi in box]
        lows = np.array([lo for lo, _ in box])[:, None]

        def flat(ix, local=local, lows=lows):
            idx = np.array(np.unravel_index(np.asarray(ix, np.int64), local)) + lows
            return np.ravel_multi_index(tuple(idx), shape)

        _merge(mn[gs], amn[gs], bmn, flat(bamn), np.less)
        _merge(mx[gs], amx[gs], bmx, flat(bamx), np.greater)
    return mn, amn, mx, amx


def between_part(start, stop, axes, const, lo, hi, want, group_axis, backend):
    """Object array (G, R): for each target ``want[g, r]``, the products of group g's points in
    [start, stop) with lo[g, r] < product <= hi[g, r] (one pass over the range, chunk by chunk)."""
    be = get_backend(backend)
    G, R = want.shape
    out = np.empty((G, R), object)
    found: list[list[list[np.ndarray]]] = [[[] for _ in range(R)] for _ in range(G)]
    k = len(axes)
    stride = math.prod(len(a) for a in axes[group_axis + 1 :]) if group_axis >= 0 else 1
    for at in range(start, stop, GATHER_CHUNK):
        n = min(GATHER_CHUNK, stop - at)
        f, pfs, cols = np.empty(n), np.empty(n), np.empty((k, n))
        be.sweep.materialize(axes, const, at, f, pfs, cols, np.empty(0, np.int32), -1, 1.0)
        g = (np.arange(at, at + n) // stride) % _groups(axes, group_axis)
        for gi, r in zip(*np.nonzero(want)):
            sel = (f > lo[gi, r]) & (f <= hi[gi, r])
            if group_axis >= 0:
                sel &= g == gi
            found[gi][r].append(f[sel])
    for gi in range(G):
        for r in range(R):
            out[gi, r] = np.concatenate(found[gi][r]) if found[gi][r] else np.empty(0)
    return out


def _merge(best, arg, value, at, better) -> None:
    """Keep ``value``/``at`` where strictly ``better`` than ``best`` (in place): the earlier range
    wins ties, so arguments stay first occurrences."""
    take = better(value, best)
    best[take], arg[take] = value[take], at[take]


@dataclass(frozen=True)
class RowsJob:
    """What each materialise/inverse task makes for its range: the grid, the backend's name, the
    chunk size, the inverse problem or the shared band, and where to write (None: return it)."""

    grid: Grid
    backend: str
    chunk: int
    schema: Any  #: the result's pyarrow schema (no metadata)
    meta: dict
    inverse: Inverse | None = None
    band: GridBand | None = None
    folder: str | None = None
    ranges: tuple[tuple[int, int], ...] = ()


def part_name(index: int, parts: int) -> str:
    """``part-00003.parquet``: zero-padded so that names sort in index order."""
    return f"part-{index:0{max(5, len(str(parts - 1)))}d}.parquet"


def rows_part(start: int, stop: int, job: RowsJob):
    """The rows of points [start, stop): a pyarrow Table, or (with ``job.folder``) written as
    that range's Parquet part (same schema and metadata as the one-file output); its row count."""
    be = get_backend(job.backend)
    reuse = job.folder is not None
    if job.inverse is not None:
        batches = inverse_batches(job.grid, be, job.inverse, job.chunk, reuse, start, stop)
    else:
        batches = materialize_batches(job.grid, be, job.chunk, None, reuse, start, stop)
    if job.band is not None:
        batches = append_band_columns(batches, job.schema, job.band)
    if job.folder is None:
        import pyarrow as pa

        return pa.Table.from_batches(list(batches), schema=job.schema)
    index = job.ranges.index((start, stop))
    part = Path(job.folder) / part_name(index, len(job.ranges))
    write_batches(part, job.schema, batches, job.meta, overwrite=True)
    return stop - start


# ---- runs -------------------------------------------------------------------------------------


def rows(
    cluster: Cluster,
    job: RowsJob,
    out: str | Path | None,
    overwrite: bool,
    progress: Progress | None = None,
    task: Callable[..., Any] = rows_part,
):
    """Every point's row on the cluster: one table (the one-machine table, with ``job.meta``), or
    with ``out`` a dataset directory of Parquet parts, renamed onto ``out`` when all are written.
    ``task(start, stop, job)``: what each task runs (``rows_part``; tests wrap it to fail)."""
    size = job.grid.size
    ranges = cluster.ranges(size, PART_POINTS)
    job = RowsJob(**{**job.__dict__, "ranges": tuple(ranges)})
    if out is None:
        import pyarrow as pa

        parts = map_ranges(cluster.client, task, ranges, job)
        table = pa.concat_tables(parts).combine_chunks()
        _done(progress, size)
        return arrow_io.with_metadata(table, job.meta)
    with arrow_io.atomic_directory(out, overwrite) as tmp:
        job = RowsJob(**{**job.__dict__, "folder": str(tmp.resolve())})
        map_ranges(cluster.client, task, ranges, job)
    _done(progress, size)
    return arrow_io.check_dataset(out, overwrite=True)


def _done(progress: Progress | None, size: int) -> None:
    if progress is not None:
        progress(size, size)


class ClusterSweep:
    """The kernels' sweep reductions (``count_at_least``, ``extremes``, ``quantiles``, as in
    kernels/sweep_reference.py) computed on a cluster, range by range, with ``backend`` on each
    worker; results equal the backend's on one machine."""

    def __init__(self, cluster: Cluster, backend: str) -> None:
        self.cluster = cluster
        self.backend = backend

    def _map(self, fn, axes, *args):
        n = math.prod(len(a) for a in axes)
        axes = [np.asarray(a, np.float64) for a in axes]
        return map_ranges(
            self.cluster.client, fn, self.cluster.ranges(n), axes, *args, self.backend
        )

    def count_at_least(self, axes, const, threshold, group_axis) -> np.ndarray:
        return sum(self._map(count_at_least_part, axes, const, threshold, group_axis))

    def count_le(self, axes, const, thresholds, group_axis) -> np.ndarray:
        return sum(self._map(count_le_part, axes, const, thresholds, group_axis))

    def extremes(self, axes, const, group_axis):
        parts = self._map(extremes_part, axes, const, group_axis)
        mn, amn, mx, amx = (np.array(x) for x in parts[0])
        for pmn, pamn, pmx, pamx in parts[1:]:
            _merge(mn, amn, pmn, pamn, np.less)
            _merge(mx, amx, pmx, pamx, np.greater)
        return mn, amn, mx, amx

    def quantiles(self, axes, const, qs, group_axis) -> np.ndarray:
        """numpy's linear quantiles of the products per group, from exact order statistics."""

        def search(plan, ranks, lo, hi, place):
            return self.order(axes, const, group_axis, ranks, lo, hi)

        return host.quantiles(search, axes, const, qs, group_axis)

    def order(self, axes, const, group_axis, ranks, lo, hi) -> np.ndarray:
        """The ranks[g, r]-th smallest products (0-based) per group, exact.

        Brackets (lo, hi] of the float64 bit pattern are narrowed, a counting round on the cluster
        at a time (PROBES evenly spaced probes and two interpolated on the count), until each
        holds at most GATHER points; those are then gathered in one pass and the rank selected."""
        G, R = ranks.shape
        lo_b = np.repeat(np.nextafter(lo, 0.0).view(np.int64)[:, None], R, axis=1)
        hi_b = np.repeat(np.asarray(hi, np.float64).view(np.int64)[:, None], R, axis=1)
        n = math.prod(len(a) for a in axes) // _groups(axes, group_axis)
        c_lo, c_hi = np.zeros((G, R), np.int64), np.full((G, R), n, np.int64)
        j = np.arange(1, PROBES + 1)
        while np.any((hi_b - lo_b > 1) & (c_hi - c_lo > GATHER)):
            span = hi_b - lo_b
            step = np.maximum(span // (PROBES + 1), 1)
            frac = [
                np.clip((ranks + 1 + w - c_lo) / np.maximum(c_hi - c_lo, 1), 0.0, 1.0)
                for w in (-GATHER / 4, GATHER / 4)
            ]
            probes = np.concatenate(
                [lo_b[..., None] + step[..., None] * j]
                + [(lo_b + (span * f).astype(np.int64))[..., None] for f in frac],
                axis=2,
            )
            probes = np.sort(np.clip(probes, lo_b[..., None] + 1, hi_b[..., None] - 1), axis=2)
            P = probes.shape[2]
            thr = np.ascontiguousarray(probes.reshape(G, R * P)).view(np.float64)
            counts = self.count_le(axes, const, thr, group_axis).reshape(G, R, P)
            up = counts >= ranks[..., None] + 1
            any_up, first = up.any(axis=2), up.argmax(axis=2)
            down = np.where(any_up, first - 1, P - 1)
            has_down = down >= 0
            down = np.maximum(down, 0)[..., None]
            hi_b = np.where(any_up, np.take_along_axis(probes, first[..., None], 2)[..., 0], hi_b)
            c_hi = np.where(any_up, np.take_along_axis(counts, first[..., None], 2)[..., 0], c_hi)
            lo_b = np.where(has_down, np.take_along_axis(probes, down, 2)[..., 0], lo_b)
            c_lo = np.where(has_down, np.take_along_axis(counts, down, 2)[..., 0], c_lo)
        want = hi_b - lo_b > 1
        x = hi_b.view(np.float64).copy()
        if want.any():
            lo_v, hi_v = lo_b.view(np.float64), hi_b.view(np.float64)
            found = self._map(between_part, axes, const, lo_v, hi_v, want, group_axis)
            for g, r in zip(*np.nonzero(want)):
                cand = np.concatenate([part[g, r] for part in found])
                x[g, r] = np.partition(cand, ranks[g, r] - c_lo[g, r])[ranks[g, r] - c_lo[g, r]]
        return x


class ClusterBackend:
    """A backend whose ``sweep`` family runs on the cluster (for ``modes.reduce_table``)."""

    def __init__(self, cluster: Cluster, backend: str) -> None:
        self.name = backend
        self.sweep = ClusterSweep(cluster, backend)
