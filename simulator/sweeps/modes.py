"""The three sweep modes on a Grid, through a kernel backend: materialise (every point, in
chunks of pyarrow RecordBatches), reduce (counts, extremes, grid quantiles; optionally per group)
and inverse (the time or devices that reach a target, per point of the other axes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from computesim.core import units
from computesim.kernels import get_backend
from computesim.sweeps.grid import Grid
from computesim.sweeps.progress import Progress

CHUNK_POINTS = 1 << 20


def _axis_fields(grid: Grid):
    import pyarrow as pa

    out = []
    for a in grid.axes:
        if a.name == "device":
            out.append(pa.field("device", pa.dictionary(pa.int32(), pa.string())))
            if a.peak:
                out.append(pa.field(a.spec.column, pa.float64()))
        else:
            out.append(pa.field(a.spec.column, pa.float64()))
    return out


def schema_fields(grid: Grid):
    import pyarrow as pa

    return _axis_fields(grid) + [pa.field("flop", pa.float64()), pa.field("pfs_days", pa.float64())]


def axis_arrays(grid: Grid, cols: np.ndarray, codes: np.ndarray) -> list:
    """pyarrow arrays of the axis columns (see _axis_fields) of points whose per-axis factors are
    ``cols`` and device codes ``codes``: the device's peak and utilization are looked up by code."""
    import pyarrow as pa

    dev = grid.device
    arrays = []
    for i, a in enumerate(grid.axes):
        if i == dev:
            arrays.append(pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(a.labels)))
            if a.peak:
                arrays.append(pa.array(cols[i] if a.util is None else a.values[codes]))
        elif a.by_device:
            arrays.append(pa.array(grid.device_util[codes]))
        else:
            arrays.append(pa.array(cols[i]))
    return arrays


def _chunks(grid: Grid, backend, chunk: int, reuse: bool, start: int = 0, stop: int | None = None):
    """Yield (flop, pfs, cols, codes) per chunk of the flat grid's points [start, stop) (default:
    all), filled by ``backend``.

    ``reuse``: one set of buffers for every chunk (valid until the next chunk is asked for; for
    streaming); else fresh buffers per chunk, owned by whoever keeps them (for in-memory results)."""
    k = len(grid.axes)
    nlast = grid.shape[-1]
    if nlast <= chunk:
        chunk = max(nlast, chunk // nlast * nlast)  # whole lines of the last axis
    dev = grid.device
    factors = grid.factors
    size = grid.size if stop is None else stop

    def alloc(n):
        return np.empty(n), np.empty(n), np.empty((k, n)), np.empty(n if dev >= 0 else 0, np.int32)

    bufs = alloc(min(chunk, max(size - start, 0))) if reuse else None
    for at in range(start, size, chunk):
        n = min(chunk, size - at)
        b = alloc(n) if bufs is None else bufs
        flop, pfs, cols, codes = b[0][:n], b[1][:n], b[2][:, :n], b[3][:n]
        backend.sweep.materialize(
            factors, grid.const, at, flop, pfs, cols, codes, dev, units.PFS_DAY
        )
        yield flop, pfs, cols, codes


def materialize_batches(
    grid: Grid,
    backend,
    chunk: int = CHUNK_POINTS,
    progress: Progress | None = None,
    reuse: bool = True,
    start: int = 0,
    stop: int | None = None,
):
    """Yield pyarrow RecordBatches of the materialised grid (its flat points [start, stop), default
    all), chunk by chunk; after each, ``progress(points_done, points_total)``.

    ``reuse`` (streaming): the batches share one set of buffers, so each is valid only until the
    next is asked for (pyarrow wraps NumPy buffers without copying). ``reuse=False``: every batch
    owns fresh buffers and stays valid."""
    import pyarrow as pa

    schema = pa.schema(schema_fields(grid))
    done = 0
    for flop, pfs, cols, codes in _chunks(grid, backend, chunk, reuse, start, stop):
        arrays = axis_arrays(grid, cols, codes) + [pa.array(flop), pa.array(pfs)]
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)
        done += len(flop)
        if progress is not None:
            progress(done, grid.size)


def materialize_table(
    grid: Grid, backend, progress: Progress | None = None, chunk: int = CHUNK_POINTS
):
    """The whole grid as one pyarrow Table (chunks in fresh buffers, combined into one)."""
    import pyarrow as pa

    batches = list(materialize_batches(grid, backend, chunk, progress, reuse=False))
    return pa.Table.from_batches(batches, schema=pa.schema(schema_fields(grid))).combine_chunks()


# ---- reduce ------------------------------------------------------------------------------------


def _axis_columns(grid: Grid, flat_index: np.ndarray, prefix: str) -> dict[str, Any]:
    idx = np.unravel_index(np.asarray(flat_index, np.int64), grid.shape)
    dev = grid.device
    out: dict[str, Any] = {}
    for a, ix in zip(grid.axes, idx):
        if a.name == "device":
            out[f"{prefix}device"] = [a.labels[i] for i in ix]
        if a.by_device:
            out[f"{prefix}{a.spec.column}"] = grid.device_util[idx[dev]]
        elif a.name != "device" or a.peak:
            out[f"{prefix}{a.spec.column}"] = a.values[ix]
    return out


def reduce_table(
    grid: Grid,
    backend,
    threshold: float | None = None,
    quantiles: Sequence[float] = (),
    group_by: str | None = None,
):
    """One row per group (or one row): points, count/fraction at or above threshold, min/max
    with their axis values, grid quantiles; all compute in FLOP."""
    import pyarrow as pa

    g = grid.axis_index(group_by) if group_by else -1
    f, c = grid.factors, grid.const
    G = 1 if g < 0 else grid.shape[g]
    cols: dict[str, Any] = {}
    if g >= 0:
        a = grid.axes[g]
        if a.name == "device":
            cols["device"] = list(a.labels)
        if a.name != "device" or a.peak:
            cols[a.spec.column] = a.values
        if a.util is not None:
            cols["utilization"] = a.util
    cols["points"] = np.full(G, grid.size // G, np.int64)
    if threshold is not None:
        n = backend.sweep.count_at_least(f, c, threshold, g)
        cols["count_at_least"] = n
        cols["fraction_at_least"] = n / (grid.size // G)
    mn, amn, mx, amx = backend.sweep.extremes(f, c, g)
    cols["min_flop"] = mn
    cols |= _axis_columns(grid, amn, "argmin_")
    cols["max_flop"] = mx
    cols |= _axis_columns(grid, amx, "argmax_")
    if len(quantiles):
        qv = backend.sweep.quantiles(f, c, list(quantiles), g)
        for j, q in enumerate(quantiles):
            cols[f"q{q:g}_flop"] = qv[:, j]
    return pa.table(cols)


# ---- inverse -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inverse:
    """What inverse mode solves: ``solve`` ("days" or "count") for ``target`` FLOP."""

    solve: str
    target: float
    pue: float = 1.0
    price_per_hour: float | None = None  #: USD per device-hour, every device
    device_prices: tuple[float, ...] | None = None  #: USD per device-hour, by device code

    @property
    def priced(self) -> bool:
        return self.price_per_hour is not None or self.device_prices is not None

    @property
    def needed_name(self) -> str:
        """The solved column: days_needed or devices_needed."""
        return "days_needed" if self.solve == "days" else "devices_needed"

    def scaled_names(self, grid: Grid) -> list[str]:
        """The columns proportional to device-hours: device_hours, energy_kwh, cost_usd."""
        names = ["device_hours"] + (["energy_kwh"] if grid.device >= 0 else [])
        return names + (["cost_usd"] if self.priced else [])

    def fields(self, grid: Grid) -> list:
        import pyarrow as pa

        names = [self.needed_name] + (["devices_needed_whole"] if self.solve == "count" else [])
        names += self.scaled_names(grid)
        return _axis_fields(grid) + [pa.field(n, pa.float64()) for n in names]


def inverse_batches(
    grid: Grid,
    backend,
    inv: Inverse,
    chunk: int = CHUNK_POINTS,
    reuse: bool = True,
    start: int = 0,
    stop: int | None = None,
):
    """Yield RecordBatches, per point of the remaining axes: the days (or devices) needed to reach
    ``inv.target`` FLOP, the device-hours, energy in kWh (device TDP x PUE) and cost in USD
    (device-hours x the price, or x each device's price). ``reuse``, ``start``, ``stop`` as for materialize_batches."""
    import pyarrow as pa

    schema = pa.schema(inv.fields(grid))
    names = [a.name for a in grid.axes]
    dev = grid.device
    tdp = (  # NaN energy where a maker publishes no TDP
        np.array([np.nan if p.tdp_w is None else p.tdp_w for p in grid.axes[dev].profiles])
        if dev >= 0
        else None
    )
    for flop, _pfs, vals, codes in _chunks(grid, backend, chunk, reuse, start, stop):
        # flop = compute per unit of the solved factor (per day, or per device)
        per_unit = flop * units.SECONDS_PER_DAY if inv.solve == "days" else flop
        needed = inv.target / per_unit
        extra = [needed]
        if inv.solve == "days":
            hours = needed * 24.0 * vals[names.index("count")]
        else:
            t = names.index("days" if "days" in names else "hours")
            hours = needed * vals[t] * (24.0 if names[t] == "days" else 1.0)
            extra.append(np.ceil(needed * (1 - 1e-12)))
        extra.append(hours)
        if tdp is not None:
            extra.append(hours * tdp[codes] / 1000.0 * inv.pue)
        if inv.price_per_hour is not None:
            extra.append(hours * inv.price_per_hour)
        elif inv.device_prices is not None:
            extra.append(hours * np.asarray(inv.device_prices)[codes])
        yield pa.RecordBatch.from_arrays(
            axis_arrays(grid, vals, codes) + [pa.array(x) for x in extra], schema=schema
        )


def inverse_table(
    grid: Grid,
    solve: str,
    target: float,
    pue: float = 1.0,
    price_per_hour: float | None = None,
    backend=None,
    chunk: int = CHUNK_POINTS,
    device_prices: tuple[float, ...] | None = None,
):
    """inverse_batches as one pyarrow Table (``backend``: a kernels Backend, default reference)."""
    import pyarrow as pa

    inv = Inverse(solve, target, pue, price_per_hour, device_prices)
    be = backend or get_backend("reference")
    batches = list(inverse_batches(grid, be, inv, chunk, reuse=False))
    return pa.Table.from_batches(batches, schema=pa.schema(inv.fields(grid))).combine_chunks()
