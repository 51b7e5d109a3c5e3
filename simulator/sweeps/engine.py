"""What-if sweeps: a grid of scenarios (the Cartesian product of factor axes), materialised,
reduced or inverted, on any kernel backend, to a pyarrow Table or a streamed Arrow/Parquet file.

``sweep()`` parses its arguments into a SweepRequest (``request``) over a Grid (``grid``) and runs
one mode (``modes``). Each point's compute is the canonical product (see kernels/sweep_reference.py)
of a constant (the method's fixed factors and the axes' unit scales) and one value per axis, in FLOP.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from computesim.cluster import connect
from computesim.core import units
from computesim.errors import InputError
from computesim.io import arrow as arrow_io
from computesim.io.stream import write_batches
from computesim.sweeps import distributed
from computesim.sweeps.bands import InverseBand, append_band_columns, band_fields
from computesim.sweeps.costs import (
    append_cost_columns,
    cost_columns,
    cost_fields,
    price_meta,
    reference_prices,
    with_cost_columns,
)
from computesim.sweeps.distributed import Cluster, ClusterBackend, RowsJob
from computesim.sweeps.grid import Grid, build_grid, check_range
from computesim.sweeps.modes import (
    CHUNK_POINTS,
    Inverse,
    inverse_batches,
    inverse_table,
    materialize_batches,
    materialize_table,
    reduce_table,
    schema_fields,
)
from computesim.sweeps.progress import Progress, tqdm_bar
from computesim.sweeps.request import (
    MAX_POINTS_STREAM,
    SweepRequest,
    parse_flag,
    parse_request,
    solve_axis,
)


def run_materialize(
    req: SweepRequest, progress: Progress | None = None, cluster: Cluster | None = None
):
    """Materialise mode: every point (with band columns when some axis is uncertain), in memory
    (guarded) or streamed to ``req.out``; ``progress(done, total)`` after each chunk. On a
    ``cluster``: by ranges of points, ``req.out`` a directory of Parquet parts."""
    grid = build_grid(
        req.factors, req.precision, guard=req.guard(*req.memory_or_file("an in-memory table"))
    )
    check_range(grid)
    bands = req.bands
    costs, cost_meta = cost_columns(grid, req.pue, req.price_per_hour, req.cost)
    meta = _meta(grid, req.mode, req.backend.name)
    meta |= {"bands": bands.to_meta()} if bands.active else {}
    meta |= cost_meta
    shared = bands.shared() if bands.active else None  # U's band: once per sweep
    import pyarrow as pa

    if cluster is not None:
        schema = pa.schema(
            schema_fields(grid) + (band_fields(bands) if shared else []) + cost_fields(costs)
        )
        job = RowsJob(
            grid,
            req.backend.name,
            req.chunk_points,
            schema,
            meta,
            band=shared,
            costs=costs if costs.active else None,
        )
        return distributed.rows(cluster, job, req.out, req.overwrite, progress)
    if req.out is None:
        table = materialize_table(grid, req.backend, progress, req.chunk_points)
        if shared is not None:
            for name, col in shared.columns(table["flop"].to_numpy()).items():
                table = table.append_column(name, pa.array(col))
        if costs.active:
            table = with_cost_columns(grid, table, costs)
        return _finish(table, meta, None, req.overwrite)
    band_schema = pa.schema(schema_fields(grid) + (band_fields(bands) if shared else []))
    schema = pa.schema(list(band_schema) + cost_fields(costs))
    batches = materialize_batches(grid, req.backend, req.chunk_points, progress)
    if shared is not None:
        batches = append_band_columns(batches, band_schema, shared)
    if costs.active:
        batches = append_cost_columns(batches, schema, grid, costs)
    return write_batches(req.out, schema, batches, meta, req.overwrite)


def run_reduce(req: SweepRequest, progress: Progress | None = None, cluster: Cluster | None = None):
    """Reduce mode: counts, extremes and quantiles (by ``group_by``), one row per group; on a
    ``cluster``, each reduction by ranges of points, merged."""
    grid = build_grid(req.factors, req.precision, guard=req.guard(MAX_POINTS_STREAM, "a reduction"))
    check_range(grid)
    be = req.backend if cluster is None else ClusterBackend(cluster, req.backend.name)
    table = reduce_table(grid, be, req.threshold, req.quantiles, req.group_by)
    meta = _meta(grid, req.mode, req.backend.name) | {
        "threshold_flop": req.threshold,
        "quantiles": list(req.quantiles),
        "group_by": req.group_by,
    }
    return _finish(table, meta, req.out, req.overwrite)


def run_inverse(
    req: SweepRequest, progress: Progress | None = None, cluster: Cluster | None = None
):
    """Inverse mode: days (or devices) for ``req.target`` per point of the other axes, chunked on
    the backend, in memory (guarded) or streamed to ``req.out`` (on a ``cluster``: as for
    materialise)."""
    assert req.target is not None  # parse_request requires it in inverse mode
    tgt = req.target
    facs = dict(req.factors)
    what = solve_axis(facs, req.solve)
    for k in ("days", "hours") if what == "days" else ("count",):
        facs.pop(k, None)
    grid = build_grid(
        facs,
        req.precision,
        omit=(what, "hours") if what == "days" else (what,),
        guard=req.guard(*req.memory_or_file("an inverse table")),
    )
    if grid.method != "hardware":
        raise InputError("target", "inverse mode works on method-2 (hardware) factors")
    lo, hi = check_range(
        grid, units.SECONDS_PER_DAY if what == "days" else 1.0
    )  # FLOP per day / per device
    for need in (
        tgt / lo * 24.0 * 10**4,
        tgt / hi / 24.0 / 10**4,
    ):  # days or devices, and device-hours
        if not (math.isfinite(need) and need > np.finfo(np.float64).tiny):
            raise InputError(
                "target",
                f"{tgt:g} FLOP needs {'days' if what == 'days' else 'devices'} out of the "
                "float64 range for this grid",
            )
    pue = 1.0 if req.pue is None else req.pue
    prices, refs = (None, None)
    if req.cost and req.price_per_hour is None:  # each device's reference price
        prices, refs = reference_prices(grid)
    inv = Inverse(what, tgt, pue, req.price_per_hour, prices)
    meta = _meta(grid, "inverse", req.backend.name) | {
        "target_flop": tgt,
        "solve": what,
        "pue": pue,
    }
    meta |= price_meta(req.price_per_hour, refs)
    band = None
    if req.bands.active:  # the band of 1/U: once per sweep
        band = InverseBand.of(req.bands, what, inv.needed_name, inv.scaled_names(grid))
        _check_band_range(tgt, lo, hi, what, band)
        meta |= {"bands": req.bands.to_meta()}
    import pyarrow as pa

    schema = pa.schema(inv.fields(grid) + (band.fields() if band else []))
    if cluster is not None:
        job = RowsJob(
            grid, req.backend.name, req.chunk_points, schema, meta, inverse=inv, band=band
        )
        return distributed.rows(cluster, job, req.out, req.overwrite, progress)
    if req.out is None and band is None:
        table = inverse_table(
            grid, what, tgt, pue, req.price_per_hour, req.backend, req.chunk_points, prices
        )
        return _finish(table, meta, None, req.overwrite)
    batches = inverse_batches(grid, req.backend, inv, req.chunk_points, reuse=req.out is not None)
    if band is not None:
        batches = append_band_columns(batches, schema, band)
    if req.out is None:
        table = pa.Table.from_batches(list(batches), schema=schema).combine_chunks()
        return _finish(table, meta, None, req.overwrite)
    return write_batches(req.out, schema, batches, meta, req.overwrite)


def _check_band_range(tgt: float, lo: float, hi: float, what: str, band: InverseBand) -> None:
    """InputError("target") when a band column leaves the float64 range (as the point check)."""
    r = band.ratios()
    for need in (tgt / lo * 24.0 * 10**4 * max(r), tgt / hi / 24.0 / 10**4 * min(r)):
        if not (math.isfinite(need) and need > np.finfo(np.float64).tiny):
            raise InputError(
                "target",
                f"{tgt:g} FLOP needs {'days' if what == 'days' else 'devices'} out of the "
                "float64 range for this grid's band",
            )


#: One function per mode.
RUNS: dict[str, Callable[[SweepRequest, Progress | None, Cluster | None], Any]] = {
    "materialize": run_materialize,
    "reduce": run_reduce,
    "inverse": run_inverse,
}


def sweep(
    factors: Mapping[str, Any] | None = None,
    *,
    mode: str | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    backend: str = "auto",
    threshold: float | str | None = None,
    quantiles: Sequence[float] | None = None,
    group_by: str | None = None,
    target: float | str | None = None,
    solve: str | None = None,
    pue: float | None = None,
    price_per_hour: float | None = None,
    cost: bool = False,
    precision: str | None = None,
    max_points: int | None = None,
    chunk_points: int = CHUNK_POINTS,
    progress: bool | Progress = False,
    method_error: float | str | None = None,
    samples: int | None = None,
    seed: int = 0,
    p_above: Sequence[float | str] | str | None = None,
    force_mc: bool = False,
    client: Any = None,
    parts: int | None = None,
    **axes: Any,
):
    """Run a what-if sweep; returns a pyarrow Table, or the Path written when ``out`` is given.

    Axes by keyword (or in ``factors``): device, tflops, count, days | hours, utilization,
    multiplier (method 2); macs, examples, epochs, networks, multiplier (method 1). Each is a list,
    range string ("0.2:0.5:4", "1:365:50log"), number or sequence. Without utilization each device
    gets its profile's default (0.33 GPU/TPU, 0.17 CPU; the ``utilization`` column says which).
    ``mode``: materialize (every point), reduce (``threshold`` count, min/max, ``quantiles``, by
    ``group_by``) or inverse (for ``target``: days or devices needed, device-hours, kWh with
    ``pue``, USD with ``price_per_hour``). ``pue`` in materialise mode adds device_hours and
    energy_kwh; ``price_per_hour`` (USD per device-hour) adds cost_usd in either mode, and so does
    ``cost=True`` without a price, at each device profile's dated reference price (recorded per
    device in the table's metadata ``prices``: price, date, source; InputError when a device has
    none, or for ``tflops`` without a profile). Computes are text with a unit ("1e25FLOP") or numbers
    in FLOP. ``backend``: auto | reference | numba | cuda (every mode). ``max_points``: grid size
    guard (positive integer); ``chunk_points``: points per streamed chunk. ``progress``: True for
    a bar on stderr (a terminal only), or a callback ``progress(points_done, points_total)``.

    Uncertainty: an axis given as a distribution ("0.25 to 0.4") is held at its median and every
    point gets band columns: in materialise mode flop_p5..flop_p95, flop_mean, pfs_days_p5..p95,
    and p_above_<FLOP> for each ``p_above`` threshold; in inverse mode <needed>_p5..p95 (days or
    devices) and device_hours_, energy_kwh_, cost_usd_p5..p95 (the device-hours without the spread
    of the count, or of days/hours, which cancel in them). ``method_error`` ("3x") adds the
    method's own error; ``samples``/``seed``/``force_mc`` as for a single estimate (exact when all
    lognormal).

    On a Dask cluster (the ``dask`` extra): ``client`` a ``distributed.Client``, ``"local:N"``
    (N single-threaded worker processes here) or a scheduler address; the grid is split into
    ``parts`` flat index ranges (default 4 per worker), each a task, with results identical to
    the one-machine run. Materialise/inverse with ``out`` write a directory ``out`` (a .parquet
    name) of Parquet parts, one per range, renamed into place when all are done.

    Bad input raises InputError naming the parameter (``group_by``, ``days``, ...).

    >>> t = sweep(device="K40,K80", count="1,8,64", days="1:100:10log")  # materialise: every point
    >>> t.num_rows, t.column_names[-2:]
    (60, ['flop', 'pfs_days'])
    >>> r = sweep(device="K80", count="1,8,64", days="1:100:10log", threshold="1e20FLOP")  # reduce
    >>> r["count_at_least"][0].as_py(), r["points"][0].as_py()
    (8, 30)
    """
    if not callable(progress):
        parse_flag(progress, "progress")
    req = parse_request(
        dict(factors or {}) | axes,
        mode=mode,
        out=out,
        overwrite=overwrite,
        backend=backend,
        threshold=threshold,
        quantiles=quantiles,
        group_by=group_by,
        target=target,
        solve=solve,
        pue=pue,
        price_per_hour=price_per_hour,
        cost=cost,
        precision=precision,
        max_points=max_points,
        chunk_points=chunk_points,
        method_error=method_error,
        samples=samples,
        seed=seed,
        p_above=p_above,
        force_mc=force_mc,
        client=client,
        parts=parts,
    )
    with contextlib.ExitStack() as stack:
        cluster = None
        if req.client is not None:
            cluster = Cluster(stack.enter_context(connect(req.client, "client")), req.parts)
        if callable(progress):
            return RUNS[req.mode](req, progress, cluster)
        bar = stack.enter_context(tqdm_bar(bool(progress)))
        return RUNS[req.mode](req, bar, cluster)


def _meta(grid: Grid, mode: str, backend: str) -> dict:
    units_ = {a.spec.column: a.spec.unit for a in grid.axes if a.name != "device" or a.peak}
    units_ |= {"flop": "FLOP", "pfs_days": "petaflop/s-days (8.64e19 FLOP)"}
    return {
        "mode": mode,
        "method": grid.method,
        "backend": backend,
        "shape": list(grid.shape),
        "points": grid.size,
        "scenario": grid.scenario,
        "units": units_,
        "devices": [p.name for a in grid.axes if a.name == "device" for p in a.profiles],
    }


def _finish(table, meta: dict, out, overwrite: bool):
    if out is None:
        return arrow_io.with_metadata(table, meta)
    return arrow_io.write_table(table, out, meta, overwrite)
