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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from computesim.cluster import map_ranges, split_range, workers
from computesim.errors import InputError
from computesim.io import arrow as arrow_io
from computesim.io.stream import write_batches
from computesim.kernels import get_backend, host
from computesim.sweeps.bands import GridBand, InverseBand, append_band_columns
from computesim.sweeps.costs import CostColumns, append_cost_columns
from computesim.sweeps.grid import Grid
from computesim.sweeps.modes import Inverse, inverse_batches, materialize_batches
from computesim.sweeps.progress import Progress

#: Default partitions: this many per worker (so a slow or lost worker delays a fraction of the run).
PARTS_PER_WORKER = 4
#: Rows in one Parquet part at most (by default): a part's file stays a few GB at most.
PART_POINTS = 1 << 26
#: Points in the brackets of all targets together gathered once they are narrow (as the numba
#: kernel's BAND_LIMIT), but at least GATHER_MIN per target.
GATHER = 1 << 22
GATHER_MIN = 1 << 12
#: Points per chunk when a task gathers a bracket's points.
GATHER_CHUNK = 1 << 20


@dataclass(frozen=True)
class Cluster:
    """A Dask client and the partitions to split a run into (None: a multiple of the workers)."""

    client: Any
    parts: int | None = None

    def workers(self) -> int:
        return workers(self.client)

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


def between_part(start, stop, axes, const, lo, hi, group_axis, backend):
    """Object array (G, R): the products of group g's points in [start, stop) with
    lo[g, r] < product <= hi[g, r], by the backend's ``band_parts`` on each box of the range
    (the numba kernel's walk of the product structure), else by materialising it chunk by chunk."""
    be = get_backend(backend)
    G, R = lo.shape
    found: list[list[list[np.ndarray]]] = [[[] for _ in range(R)] for _ in range(G)]
    shape = [len(a) for a in axes]
    if hasattr(be.sweep, "band_parts"):
        for box in boxes(start, stop, shape):
            gs = _group_slice(box, group_axis)
            for g, row in zip(
                range(G)[gs], _band_values(be, _sub(axes, box), const, lo[gs], hi[gs], group_axis)
            ):
                for r in range(R):
                    found[g][r].append(row[r])
    else:
        k = len(axes)
        stride = math.prod(shape[group_axis + 1 :]) if group_axis >= 0 else 1
        for at in range(start, stop, GATHER_CHUNK):
            m = min(GATHER_CHUNK, stop - at)
            f, pfs, cols = np.empty(m), np.empty(m), np.empty((k, m))
            be.sweep.materialize(axes, const, at, f, pfs, cols, np.empty(0, np.int32), -1, 1.0)
            grp = (np.arange(at, at + m) // stride) % G
            for g, r in zip(*np.nonzero(hi > lo)):
                found[g][r].append(f[(f > lo[g, r]) & (f <= hi[g, r]) & (grp == g)])
    out = np.empty((G, R), object)
    for g in range(G):
        for r in range(R):
            out[g, r] = np.concatenate(found[g][r]) if found[g][r] else np.empty(0)
    return out


def _band_values(be, axes, const, lo, hi, group_axis) -> list[list[np.ndarray]]:
    """[g][r]: the products with lo[g, r] < product <= hi[g, r] of a (sub-)grid, per group."""
    plan = host.Plan(axes, const, group_axis)
    lo, hi = np.ascontiguousarray(lo, np.float64), np.ascontiguousarray(hi, np.float64)
    part = be.sweep.band_parts(plan, lo, hi)  # (blocks, G, R) counts
    size = part.sum(axis=0)
    seg = np.concatenate([[0], np.cumsum(size.ravel())[:-1]]).reshape(size.shape)
    starts = np.ascontiguousarray(seg[None] + np.cumsum(part, axis=0) - part)
    out = np.empty(int(size.sum()))
    be.sweep.band_parts(plan, lo, hi, out, starts)
    return [
        [out[seg[g, r] : seg[g, r] + size[g, r]] for r in range(lo.shape[1])]
        for g in range(lo.shape[0])
    ]


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
    band: GridBand | InverseBand | None = None  #: band columns (materialise or inverse)
    costs: CostColumns | None = None  #: energy and cost columns (materialise), after the band's
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
        costs = set(job.costs.names()) if job.costs else set()
        band_schema = job.schema.remove_metadata()
        for name in costs:
            band_schema = band_schema.remove(band_schema.get_field_index(name))
        batches = append_band_columns(batches, band_schema, job.band)
    if job.costs is not None:
        batches = append_cost_columns(batches, job.schema, job.grid, job.costs)
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
    job = replace(job, ranges=tuple(ranges))
    if out is None:
        import pyarrow as pa

        parts = map_ranges(cluster.client, task, ranges, job)
        table = pa.concat_tables(parts).combine_chunks()
        _done(progress, size)
        return arrow_io.with_metadata(table, job.meta)
    with arrow_io.atomic_directory(out, overwrite) as tmp:
        job = replace(job, folder=str(tmp.resolve()))
        map_ranges(cluster.client, task, ranges, job)
        _check_parts(tmp, ranges)
    _done(progress, size)
    return arrow_io.check_dataset(out, overwrite=True)


def _check_parts(folder: Path, ranges: Sequence[tuple[int, int]]) -> None:
    """Every range's part is in ``folder`` with its rows; else InputError("out"): the workers
    wrote where this process cannot see (``out`` must be on storage they all share)."""
    import pyarrow.parquet as pq

    for i, (a, b) in enumerate(ranges):
        part = folder / part_name(i, len(ranges))
        rows = pq.read_metadata(part).num_rows if part.is_file() else None
        if rows != b - a:
            raise InputError(
                "out",
                f"{part.name} is {'missing' if rows is None else f'{rows} rows, not {b - a}'}: "
                "on a cluster, out must be a folder the client and every worker share",
            )


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
        """The ranks[g, r]-th smallest products (0-based) per group, exact (as the numba kernel's
        ``order_fast``, with each counting pass on the cluster).

        Brackets (lo, hi] of the float64 bit pattern holding each rank are narrowed, one counting
        round on the cluster at a time: first at order statistics of a sample of the grid, then by
        interpolation on the count with a probe each side of the rank, and halving when that
        stalls; once a bracket holds few points (``GATHER``) they are gathered in one pass and
        the rank selected among them."""
        G, R = ranks.shape
        n = math.prod(len(a) for a in axes) // _groups(axes, group_axis)
        lo_b = np.repeat(np.nextafter(lo, 0.0).view(np.int64)[:, None], R, axis=1)
        hi_b = np.repeat(np.asarray(hi, np.float64).view(np.int64)[:, None], R, axis=1)
        c_lo, c_hi = np.zeros((G, R), np.int64), np.full((G, R), n, np.int64)
        limit = max(GATHER_MIN, GATHER // ranks.size)

        def update(probes):
            nonlocal lo_b, hi_b, c_lo, c_hi
            P = probes.shape[2]
            thr = np.ascontiguousarray(probes.reshape(G, R * P)).view(np.float64)
            counts = self.count_le(axes, const, thr, group_axis).reshape(G, R, P)
            lo_b, hi_b, c_lo, c_hi = host.narrow(probes, counts, ranks, lo_b, hi_b, c_lo, c_hi)

        if n > limit:
            update(_sample_probes(axes, const, group_axis, ranks, n))
        rounds = 0
        while np.any((hi_b - lo_b > 1) & (c_hi - c_lo > limit)):
            span = (hi_b - lo_b).astype(np.float64)
            probes = [
                lo_b
                + (span * np.clip((ranks + w - c_lo) / np.maximum(c_hi - c_lo, 1), 0, 1)).astype(
                    np.int64
                )
                for w in (1 - limit / 4, 2 + limit / 4)
            ]
            probes += [lo_b + (hi_b - lo_b) // 2] if rounds else []
            update(np.stack(probes, axis=2))
            rounds += 1
        want = hi_b - lo_b > 1
        x = hi_b.view(np.float64).copy()
        if want.any():
            lo_v = lo_b.view(np.float64)
            hi_v = np.where(want, hi_b, lo_b).view(np.float64)  # empty where already exact
            found = self._map(between_part, axes, const, lo_v, hi_v, group_axis)
            for g, r in zip(*np.nonzero(want)):
                k = ranks[g, r] - c_lo[g, r]
                x[g, r] = np.partition(np.concatenate([f[g, r] for f in found]), k)[k]
        return x


def _sample_probes(axes, const, group_axis, ranks, n: int, size: int = 1 << 18) -> np.ndarray:
    """Bit patterns (G, R, 2) of sample order statistics a few standard errors each side of each
    rank, from ``size`` grid points drawn with a fixed seed (products in canonical order)."""
    shape = tuple(len(a) for a in axes)
    total = math.prod(shape)
    flat = np.random.default_rng(0).integers(0, total, size) if total > size else np.arange(total)
    idx = np.unravel_index(flat, shape)
    p = np.full(len(flat), float(const))
    for a, ix in zip(axes, idx):
        p = p * np.asarray(a, np.float64)[ix]
    groups = idx[group_axis] if group_axis >= 0 else np.zeros(len(flat), np.int64)
    return host.sample_probes(p, groups, ranks, n)


class ClusterBackend:
    """A backend whose ``sweep`` family runs on the cluster (for ``modes.reduce_table``)."""

    def __init__(self, cluster: Cluster, backend: str) -> None:
        self.name = backend
        self.sweep = ClusterSweep(cluster, backend)
