"""What-if sweeps: a grid of scenarios (the Cartesian product of factor axes), materialised,
reduced or inverted, on any kernel backend, to a pyarrow Table or a streamed Arrow/Parquet file.

Axis language (CLI, TOML and API alike): a list ``"1,8,64"``, a linear range ``"0.2:0.5:4"``
(4 values, both ends included), a log range ``"1:365:50log"``, a number, or a Python sequence.
Values are in the axis's own unit (days, TFLOP/s, ...) and must be positive.

Each point's compute is the canonical product (see kernels/sweep_reference.py) of a constant (the
method's fixed factors and the axes' unit scales) and one value per axis, in FLOP.
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from . import units
from .errors import InputError, require_fraction, require_positive

log = logging.getLogger("computesim.sweep")

MODES = ("materialize", "reduce", "inverse")
#: Grid-size guards (points), overridable with max_points / --max-points.
MAX_POINTS_MEMORY = 2 * 10**8
MAX_POINTS_STREAM = 10**10
CHUNK_POINTS = 1 << 20
DEFAULT_UTILIZATION = 0.33


@dataclass(frozen=True)
class AxisSpec:
    """A factor that can be swept: its method, column name, unit, and scale to canonical units."""

    method: str
    column: str
    unit: str
    scale: float
    fraction: bool = False


#: Sweepable factors in canonical axis order (the product is taken in this order).
AXES: dict[str, AxisSpec] = {
    "device": AxisSpec("hardware", "peak_tflop_per_s", "TFLOP/s", 1e12),
    "tflops": AxisSpec("hardware", "tflop_per_s", "TFLOP/s", 1e12),
    "count": AxisSpec("hardware", "count", "devices", 1.0),
    "days": AxisSpec("hardware", "days", "days", units.SECONDS_PER_DAY),
    "hours": AxisSpec("hardware", "hours", "h", 3600.0),
    "utilization": AxisSpec("hardware", "utilization", "fraction", 1.0, fraction=True),
    "macs": AxisSpec("ops", "forward_macs", "MAC per example", units.FLOP_PER_MAC * units.TRAIN_OVER_FORWARD),
    "examples": AxisSpec("ops", "examples", "examples per epoch", 1.0),
    "epochs": AxisSpec("ops", "epochs", "epochs", 1.0),
    "networks": AxisSpec("ops", "networks", "networks trained", 1.0),
    "multiplier": AxisSpec("any", "multiplier", "", 1.0),
}

_RANGE = re.compile(r"^\s*([^:]+):([^:]+):\s*(\d+)\s*(log)?\s*$", re.I)


def _number(text: Any, field: str) -> float:
    return require_positive(field, units.parse(text, "count", field) if isinstance(text, str) else text)


def parse_axis(spec: Any, field: str, fraction: bool = False) -> np.ndarray:
    """Axis values from a list/range string, a number or a sequence; InputError on bad input."""
    if isinstance(spec, str):
        text = spec.strip()
        if not text:
            raise InputError(field, "empty axis")
        m = _RANGE.match(text)
        if m:
            lo, hi, n = _number(m.group(1), field), _number(m.group(2), field), int(m.group(3))
            if n < 1:
                raise InputError(field, f"a range needs at least 1 value, got {n} in {text!r}")
            if hi < lo:
                raise InputError(field, f"range written backwards ({text!r}): write low:high:n")
            if n > 1 and hi == lo:
                raise InputError(field, f"range {text!r} has equal ends but {n} values")
            vals = np.geomspace(lo, hi, n) if m.group(4) else np.linspace(lo, hi, n)
            if n > 1:
                vals[0], vals[-1] = lo, hi
        elif ":" in text:
            raise InputError(field, f"cannot read range {text!r}; write low:high:n or low:high:nlog")
        else:
            items = [t for t in (s.strip() for s in text.split(",")) if t]
            if not items:
                raise InputError(field, "empty axis")
            vals = np.array([_number(t, field) for t in items])
    elif isinstance(spec, (int, float, np.integer, np.floating)) and not isinstance(spec, bool):
        vals = np.array([_number(float(spec), field)])
    else:
        try:
            items = list(spec)
        except TypeError:
            raise InputError(field, f"cannot read an axis from {spec!r}") from None
        if not items:
            raise InputError(field, "empty axis")
        vals = np.array([_number(t, field) for t in items], np.float64)
    if fraction:
        for v in vals:
            require_fraction(field, v)
    return np.ascontiguousarray(vals, np.float64)


def _device_list(spec: Any) -> list[str]:
    if isinstance(spec, str):
        names = [s.strip() for s in spec.split(",")]
    else:
        names = [str(s).strip() for s in spec]
    if not names or not all(names):
        raise InputError("--device", "empty device name in the list")
    return names


@dataclass
class Axis:
    """One grid axis: values in the column's unit; labels for a device axis."""

    name: str
    values: np.ndarray
    spec: AxisSpec
    labels: tuple[str, ...] = ()
    profiles: tuple = ()
    peak: bool = True  #: device axis: its values are the devices' peaks (else a label axis, factor 1)

    @property
    def factor(self) -> np.ndarray:
        return self.values if self.peak else np.ones(len(self.values))


@dataclass
class Grid:
    """A sweep plan: method, axes in canonical order, the constant, and the scenario as given."""

    method: str
    axes: list[Axis]
    const: float
    scenario: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a.values) for a in self.axes)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def factors(self) -> list[np.ndarray]:
        return [a.factor for a in self.axes]

    def axis_index(self, name: str, field: str = "--group-by") -> int:
        names = [a.name for a in self.axes]
        aliases = {a.name: i for i, a in enumerate(self.axes)} | {a.spec.column: i for i, a in enumerate(self.axes)}
        if name not in aliases:
            raise InputError(field, f"no axis {name!r} in this sweep; axes: {', '.join(names)}")
        return aliases[name]


def build_grid(factors: Mapping[str, Any], precision: str | None = None, omit: Sequence[str] = ()) -> Grid:
    """Parse the factor specs into a Grid. ``omit``: factors solved for (inverse mode)."""
    from .hardware_profiles import find_profile

    given = {k: v for k, v in factors.items() if v is not None}
    for k in given:
        if k not in AXES:
            raise InputError(f"--{k}", f"unknown sweep factor; known: {', '.join(AXES)}")
    methods = {AXES[k].method for k in given} - {"any"}
    if len(methods) > 1:
        raise InputError("--method", "mix of method-1 (macs/examples/epochs/networks) and method-2 factors")
    method = methods.pop() if methods else "hardware"
    scenario = {k: (list(v) if isinstance(v, (list, tuple, np.ndarray)) else v) for k, v in given.items()}
    axes: list[Axis] = []
    if method == "hardware":
        if "days" in given and "hours" in given:
            raise InputError("--hours", "give --days or --hours, not both")
        if "device" not in given and "tflops" not in given:
            raise InputError("--device", "give --device (peaks from profiles) or --tflops")
        if not ({"days", "hours"} & set(given)) and "days" not in omit:
            raise InputError("--days", "give --days or --hours (or --target to solve for days)")
        given.setdefault("count", 1.0)
    else:
        for req in ("macs", "examples"):
            if req not in given:
                raise InputError(f"--{req}", "required for a method-1 (operations) sweep")
        given.setdefault("epochs", 1.0)
    util_default = DEFAULT_UTILIZATION
    for name, spec in AXES.items():
        if name in omit or name not in given:
            if name == "utilization" and method == "hardware" and name not in omit:
                pass
            else:
                continue
        field_ = f"--{name}"
        if name == "device":
            profs = tuple(find_profile(n) for n in _device_list(given[name]))
            prec = precision or "fp32"
            peaks = np.array([p.peak(getattr(p, "default_precision", None) if precision is None
                                     and getattr(p, "default_precision", None) else prec).flop_per_s / 1e12
                              for p in profs])
            utils = {p.default_utilization for p in profs}
            util_default = utils.pop() if len(utils) == 1 else DEFAULT_UTILIZATION
            axes.append(Axis(name, peaks, spec, tuple(p.name for p in profs), profs, peak="tflops" not in given))
        elif name == "utilization" and name not in given:
            axes.append(Axis(name, np.array([util_default]), spec))
            scenario["utilization"] = util_default
        else:
            axes.append(Axis(name, parse_axis(given[name], field_, spec.fraction), spec))
    const = 1.0
    for a in axes:
        if a.name != "device" or a.peak:
            const *= a.spec.scale
    return Grid(method, axes, const, scenario)


def _guard(n: int, max_points: float | None, default: int, what: str) -> None:
    limit = default if max_points is None else max_points
    if n > limit:
        raise InputError("--max-points", f"the grid has {n:.3g} points, over the limit of {limit:.3g} for "
                         f"{what}; pass --max-points {n:.3g} (max_points=) to allow it")


def _schema_fields(grid: Grid):
    import pyarrow as pa

    out = []
    for a in grid.axes:
        if a.name == "device":
            out.append(pa.field("device", pa.dictionary(pa.int32(), pa.string())))
            if a.peak:
                out.append(pa.field(a.spec.column, pa.float64()))
        else:
            out.append(pa.field(a.spec.column, pa.float64()))
    return out + [pa.field("flop", pa.float64()), pa.field("pfs_days", pa.float64())]


def materialize_batches(grid: Grid, backend, chunk: int = CHUNK_POINTS, progress=None):
    """Yield pyarrow RecordBatches of the materialised grid, chunk by chunk (buffers reused)."""
    import pyarrow as pa

    schema = pa.schema(_schema_fields(grid))
    k = len(grid.axes)
    nlast = grid.shape[-1]
    if nlast <= chunk:
        chunk = max(nlast, chunk // nlast * nlast)  # whole lines of the last axis
    dev = next((i for i, a in enumerate(grid.axes) if a.name == "device"), -1)
    dictionary = pa.array(grid.axes[dev].labels) if dev >= 0 else None
    factors = grid.factors
    size = grid.size
    n0 = min(chunk, size)
    bufs = (np.empty(n0), np.empty(n0), np.empty((k, n0)), np.empty(n0 if dev >= 0 else 0, np.int32))
    for start in range(0, size, chunk):
        n = min(chunk, size - start)
        flop, pfs, cols, codes = bufs[0][:n], bufs[1][:n], bufs[2][:, :n], bufs[3][:n]
        backend.sweep.materialize(factors, grid.const, start, flop, pfs, cols, codes, dev)
        arrays = []
        for i, a in enumerate(grid.axes):
            if i == dev:
                arrays.append(pa.DictionaryArray.from_arrays(pa.array(codes), dictionary))
                if not a.peak:
                    continue
            arrays.append(pa.array(cols[i]))
        arrays += [pa.array(flop), pa.array(pfs)]
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)
        if progress is not None:
            progress(n)


def materialize_table(grid: Grid, backend, progress=None):
    """The whole grid as one pyarrow Table (one fresh allocation, filled in chunks)."""
    import pyarrow as pa

    batches = [b for b in _fresh(materialize_batches(grid, backend, CHUNK_POINTS, progress))]
    return pa.Table.from_batches(batches, schema=pa.schema(_schema_fields(grid))).combine_chunks()


def _fresh(batches):
    """Copy each batch out of the reused buffers (for in-memory results)."""
    import pyarrow as pa

    for b in batches:
        yield pa.RecordBatch.from_arrays([pa.concat_arrays([c]) for c in b.columns], schema=b.schema)


# ---- reduce ------------------------------------------------------------------------------------

def _axis_columns(grid: Grid, flat_index: np.ndarray, prefix: str) -> dict[str, Any]:
    idx = np.unravel_index(np.asarray(flat_index, np.int64), grid.shape)
    out = {}
    for a, ix in zip(grid.axes, idx):
        if a.name == "device":
            out[f"{prefix}device"] = [a.labels[i] for i in ix]
        if a.name != "device" or a.peak:
            out[f"{prefix}{a.spec.column}"] = a.values[ix]
    return out


def reduce_table(grid: Grid, backend, threshold: float | None = None, quantiles: Sequence[float] = (),
                 group_by: str | None = None):
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

def inverse_table(grid: Grid, solve: str, target: float, pue: float = 1.0, price_per_hour: float | None = None):
    """Per point of the remaining axes: the days (or devices) needed to reach ``target`` FLOP, the
    device-hours, energy in kWh (device TDP x PUE) and cost in USD (device-hours x price)."""
    import pyarrow as pa

    from .kernels import get_backend

    be = get_backend("reference")
    n = grid.size
    k = len(grid.axes)
    flop, pfs, vals, codes = np.empty(n), np.empty(n), np.empty((k, n)), np.empty(n, np.int32)
    dev = next((i for i, a in enumerate(grid.axes) if a.name == "device"), -1)
    be.sweep.materialize(grid.factors, grid.const, 0, flop, pfs, vals, codes, dev)
    # flop = compute per unit of the solved factor (per day, or per device)
    cols: dict[str, Any] = {}
    for i, a in enumerate(grid.axes):
        if i == dev:
            cols["device"] = pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(a.labels))
            if not a.peak:
                continue
        cols[a.spec.column] = vals[i]
    per_unit = flop * units.SECONDS_PER_DAY if solve == "days" else flop  # FLOP per day, or per device
    needed = target / per_unit
    count = vals[[a.name for a in grid.axes].index("count")] if solve == "days" else None
    if solve == "days":
        cols["days_needed"] = needed
        hours = needed * 24.0 * count
    else:
        tcol = [a.name for a in grid.axes].index("days" if "days" in [a.name for a in grid.axes] else "hours")
        span_h = vals[tcol] * (24.0 if grid.axes[tcol].name == "days" else 1.0)
        cols["devices_needed"] = needed
        cols["devices_needed_whole"] = np.ceil(needed * (1 - 1e-12))
        hours = needed * span_h
    cols["device_hours"] = hours
    if dev >= 0:
        tdp = np.array([p.tdp_w for p in grid.axes[dev].profiles])[codes]
        cols["energy_kwh"] = hours * tdp / 1000.0 * pue
    if price_per_hour is not None:
        cols["cost_usd"] = hours * price_per_hour
    return pa.table(cols)


# ---- public API --------------------------------------------------------------------------------

def _mode(mode: str | None, threshold, quantiles, group_by, target) -> str:
    if mode is None:
        if target is not None:
            return "inverse"
        return "reduce" if (threshold is not None or quantiles or group_by) else "materialize"
    if mode in ("materialise",):
        mode = "materialize"
    if mode not in MODES:
        raise InputError("--mode", f"unknown mode {mode!r}; choose {', '.join(MODES)}")
    return mode


def _solve_for(factors: Mapping[str, Any], solve: str | None) -> str:
    if solve is None:
        if factors.get("days") is None and factors.get("hours") is None:
            return "days"
        if factors.get("count") is None:
            return "count"
        raise InputError("--solve", "inverse mode solves for days or count: leave one of them out, or pass --solve")
    if solve not in ("days", "count"):
        raise InputError("--solve", f"solve for days or count, not {solve!r}")
    return solve


def sweep(factors: Mapping[str, Any] | None = None, *, mode: str | None = None, out: str | Path | None = None,
          overwrite: bool = False, backend: str = "auto", threshold: float | str | None = None,
          quantiles: Sequence[float] = (), group_by: str | None = None, target: float | str | None = None,
          solve: str | None = None, pue: float = 1.0, price_per_hour: float | None = None,
          precision: str | None = None, max_points: float | None = None, chunk_points: int = CHUNK_POINTS,
          progress: bool = False, method_error: float | str | None = None, samples: int | None = None,
          seed: int = 0, p_above: Sequence[float | str] = (), force_mc: bool = False, **axes: Any):
    """Run a what-if sweep; returns a pyarrow Table, or the Path written when ``out`` is given.

    Axes by keyword (or in ``factors``): device, tflops, count, days | hours, utilization,
    multiplier (method 2); macs, examples, epochs, networks, multiplier (method 1). Each is a list,
    range string ("0.2:0.5:4", "1:365:50log"), number or sequence. ``mode``: materialize (every
    point), reduce (threshold count, min/max, ``quantiles``, by ``group_by``) or inverse (for
    ``target`` FLOP: days or devices needed, device-hours, kWh with ``pue``, USD with
    ``price_per_hour``). ``backend``: auto | reference | numba | cuda.

    Uncertainty (materialise mode): an axis given as a distribution ("0.25 to 0.4") is held at its
    median and every point gets band columns (flop_p5..flop_p95, flop_mean, pfs_days_p5..p95, and
    p_above_<FLOP> for each ``p_above`` threshold); ``method_error`` ("3x") adds the method's own
    error; ``samples``/``seed``/``force_mc`` as for a single estimate (exact when all lognormal).
    """
    from . import arrow_io
    from .kernels import get_backend

    from .sweep_bands import BandSpec, split_uncertain
    from .uncertainty import parse_factor, parse_thresholds

    bands = BandSpec(method_error=None if method_error is None else parse_factor(str(method_error)),
                     samples=samples, seed=seed, force_mc=force_mc, backend=backend,
                     thresholds=tuple(parse_thresholds(list(p_above), "--p-above")) if p_above else ())
    facs = split_uncertain(dict(factors or {}) | axes, bands)
    mode = _mode(mode, threshold, quantiles, group_by, target)
    if bands.active and mode != "materialize":
        raise InputError("--mode", f"uncertain factors give every point a band in materialise mode, not in {mode}"
                                   " mode; give fixed values or lists instead")
    thr = None if threshold is None else units.parse_compute(threshold, "--threshold")
    for q in quantiles:
        if not (isinstance(q, (int, float)) and 0 <= q <= 1):
            raise InputError("--quantiles", f"quantiles must be numbers in [0, 1], got {q!r}")
    if out is not None:
        arrow_io.check_writable(out, overwrite)
    if mode == "inverse":
        if target is None:
            raise InputError("--target", "inverse mode needs a target compute, e.g. --target 1e25FLOP")
        tgt = units.parse_compute(target, "--target")
        require_positive("--pue", pue)
        if price_per_hour is not None:
            require_positive("--price-per-hour", price_per_hour)
        what = _solve_for(facs, solve)
        for k in (("days", "hours") if what == "days" else ("count",)):
            facs.pop(k, None)
        grid = build_grid(facs, precision, omit=(what, "hours") if what == "days" else (what,))
        if grid.method != "hardware":
            raise InputError("--target", "inverse mode works on method-2 (hardware) factors")
        _guard(grid.size, max_points, MAX_POINTS_MEMORY, "an inverse table")
        table = inverse_table(grid, what, tgt, pue, price_per_hour)
        meta = _meta(grid, mode, "reference") | {"target_flop": tgt, "solve": what, "pue": pue,
                                                  "price_per_hour_usd": price_per_hour}
        return _finish(table, meta, out, overwrite)
    grid = build_grid(facs, precision)
    be = get_backend(backend)
    if mode == "reduce":
        _guard(grid.size, max_points, MAX_POINTS_STREAM, "a reduction")
        table = reduce_table(grid, be, thr, list(quantiles), group_by)
        meta = _meta(grid, mode, be.name) | {"threshold_flop": thr, "quantiles": list(quantiles), "group_by": group_by}
        return _finish(table, meta, out, overwrite)
    _guard(grid.size, max_points, MAX_POINTS_STREAM if out is not None else MAX_POINTS_MEMORY,
           "a file" if out is not None else "an in-memory table (write to a file with out= / --out)")
    meta = _meta(grid, mode, be.name) | ({"bands": bands.to_meta()} if bands.active else {})
    bar = _progress(grid.size, progress)
    try:
        import pyarrow as pa

        if out is None:
            table = materialize_table(grid, be, bar and bar.update)
            if bands.active:
                for name, col in bands.columns(table["flop"].to_numpy()).items():
                    table = table.append_column(name, pa.array(col))
            return _finish(table, meta, None, overwrite)
        from .arrow_stream import write_batches
        from .sweep_bands import append_band_columns, band_fields

        schema = pa.schema(_schema_fields(grid) + (band_fields(bands) if bands.active else []))
        batches = materialize_batches(grid, be, chunk_points, bar and bar.update)
        if bands.active:
            batches = append_band_columns(batches, schema, bands)
        return write_batches(out, schema, batches, meta, overwrite)
    finally:
        if bar:
            bar.close()


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    import sys

    from tqdm import tqdm

    if not sys.stderr.isatty():
        return None
    return tqdm(total=total, unit="pt", unit_scale=True, desc="sweep", file=sys.stderr)


def _meta(grid: Grid, mode: str, backend: str) -> dict:
    units_ = {a.spec.column: a.spec.unit for a in grid.axes if a.name != "device" or a.peak}
    units_ |= {"flop": "FLOP", "pfs_days": "petaflop/s-days (8.64e19 FLOP)"}
    return {"mode": mode, "method": grid.method, "backend": backend, "shape": list(grid.shape),
            "points": grid.size, "scenario": grid.scenario, "units": units_,
            "devices": [p.name for a in grid.axes if a.name == "device" for p in a.profiles]}


def _finish(table, meta: dict, out, overwrite: bool):
    from . import arrow_io

    if out is None:
        return arrow_io.with_metadata(table, meta)
    return arrow_io.write_table(table, out, meta, overwrite)
