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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from computesim.core import units
from computesim.errors import InputError, require_fraction, require_positive, shown
from computesim.hardware_profiles import find_profile
from computesim.io import arrow as arrow_io
from computesim.io.stream import write_batches
from computesim.kernels import get_backend
from computesim.sweeps.axes import AXES, AxisDef, parameter_of
from computesim.sweeps.bands import BandSpec, append_band_columns, band_fields, split_uncertain
from computesim.sweeps.progress import Progress, tqdm_bar
from computesim.uncertainty.band import parse_factor, parse_thresholds

log = logging.getLogger("computesim.sweep")

MODES = ("materialize", "reduce", "inverse")
#: Grid-size guards (points), overridable with max_points.
MAX_POINTS_MEMORY = 2 * 10**8
MAX_POINTS_STREAM = 10**10
CHUNK_POINTS = 1 << 20
DEFAULT_UTILIZATION = 0.33


_COUNT = re.compile(r"(\d+)\s*(log)?", re.I)


def _range_match(text: str) -> tuple[str, str, str, bool] | None:
    """("lo", "hi", "n", log) of "lo:hi:n[log]", else None; linear in the length (no backtracking)."""
    parts = text.split(":")
    if len(parts) != 3 or not parts[0].strip() or not parts[1].strip():
        return None
    m = _COUNT.fullmatch(parts[2].strip())
    return (parts[0], parts[1], m.group(1), bool(m.group(2))) if m else None


#: Values in one axis at most, whatever --max-points says: axes are held in memory (8 bytes a value).
MAX_AXIS_VALUES = 10**8
_SCALARS = (int, float, np.integer, np.floating)


def _number(text: Any, field: str) -> float:
    if isinstance(text, str):
        return require_positive(field, units.parse(text, "count", field))
    if isinstance(text, bool) or not isinstance(text, _SCALARS):
        raise InputError(
            field, f"axis values must be numbers or text, got {type(text).__name__} {shown(text)}"
        )
    return require_positive(field, cast(float, text))  # int or NumPy scalar: converted there


def _items(spec: Any, field: str) -> list:
    """The values of a sequence axis spec (list, tuple, range, 1-D array); InputError otherwise."""
    if isinstance(spec, np.ndarray) and spec.ndim == 1:
        return list(spec)
    if isinstance(spec, (list, tuple, range)):
        return list(spec)
    raise InputError(
        field,
        f"cannot read an axis from {type(spec).__name__} {shown(spec)}; give a list, "
        "a range string or a number",
    )


def axis_length(spec: Any, field: str) -> int:
    """How many values ``spec`` holds, read without allocating them (the size guard runs first).

    A spec that parse_axis would reject counts as 1: parse_axis says why."""
    if isinstance(spec, str):
        m = _range_match(spec)
        if m:
            digits = m[2].lstrip("0") or "0"
            return int(digits) if len(digits) <= 18 else 10**19
        return max(1, sum(1 for t in spec.split(",") if t.strip())) if ":" not in spec else 1
    if isinstance(spec, (list, tuple, range)) or (isinstance(spec, np.ndarray) and spec.ndim == 1):
        return max(1, len(spec))
    return 1


def parse_axis(spec: Any, field: str, fraction: bool = False) -> np.ndarray:
    """Axis values from a list/range string, a number or a sequence; InputError on bad input."""
    n = axis_length(spec, field)
    if n > MAX_AXIS_VALUES:
        raise InputError(
            field,
            f"{n:.3g} values in one axis; at most {MAX_AXIS_VALUES:.0e} per axis "
            "(axes are held in memory)",
        )
    if isinstance(spec, str):
        text = spec.strip()
        if not text:
            raise InputError(field, "empty axis")
        m = _range_match(text)
        if m:
            lo, hi, n = _number(m[0], field), _number(m[1], field), int(m[2])
            if n < 1:
                raise InputError(field, f"a range needs at least 1 value, got {n} in {shown(text)}")
            if hi < lo:
                raise InputError(
                    field, f"range written backwards ({shown(text)}): write low:high:n"
                )
            if n > 1 and hi == lo:
                raise InputError(field, f"range {shown(text)} has equal ends but {n} values")
            vals = np.geomspace(lo, hi, n) if m[3] else np.linspace(lo, hi, n)
            if n > 1:
                vals[0], vals[-1] = lo, hi
            if not np.all(
                np.isfinite(vals) & (vals > 0)
            ):  # e.g. a linear range whose step overflows
                raise InputError(field, f"range {shown(text)} does not give finite positive values")
        elif ":" in text:
            raise InputError(
                field, f"cannot read range {shown(text)}; write low:high:n or low:high:nlog"
            )
        else:
            items = [t for t in (s.strip() for s in text.split(",")) if t]
            if not items:
                raise InputError(field, "empty axis")
            vals = np.array([_number(t, field) for t in items])
    elif isinstance(spec, _SCALARS) and not isinstance(spec, bool):
        vals = np.array([_number(spec, field)])
    else:
        items = _items(spec, field)
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
    elif isinstance(spec, (list, tuple)):
        if not all(isinstance(s, str) for s in spec):
            raise InputError("device", f"device names must be text, got {shown(spec)}")
        names = [s.strip() for s in spec]
    else:
        raise InputError(
            "device",
            f"give device names as text or a list of text, got {type(spec).__name__} {shown(spec)}",
        )
    if not names or not all(names):
        raise InputError("device", "empty device name in the list")
    return names


@dataclass
class Axis:
    """One grid axis: values in the column's unit; labels for a device axis.

    A device axis given without utilization carries each device's default utilization in ``util``
    (folded into its factor, so mixed GPU/CPU lists get 0.33 and 0.17 each); the grid then has a
    one-value ``utilization`` axis with ``by_device`` set, factor 1, whose column is written per row
    from the device (see :func:`axis_arrays`)."""

    name: str
    values: np.ndarray
    spec: AxisDef
    labels: tuple[str, ...] = ()
    profiles: tuple = ()
    peak: bool = (
        True  #: device axis: its values are the devices' peaks (else a label axis, factor 1)
    )
    util: np.ndarray | None = (
        None  #: device axis: per-device default utilization (fraction), folded in
    )
    by_device: bool = False  #: utilization axis whose value per point is its device's ``util``

    @property
    def factor(self) -> np.ndarray:
        f = self.values if self.peak and not self.by_device else np.ones(len(self.values))
        return f if self.util is None else f * self.util


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

    @property
    def device(self) -> int:
        """Index of the device axis, or -1."""
        return next((i for i, a in enumerate(self.axes) if a.name == "device"), -1)

    @property
    def device_util(self) -> np.ndarray:
        """Each device's default utilization, read per point by a ``by_device`` axis."""
        util = self.axes[self.device].util
        if util is None:
            raise ValueError("this grid has no per-device utilization")
        return util

    def axis_index(self, name: str, field: str = "group_by") -> int:
        names = [a.name for a in self.axes]
        aliases = {a.name: i for i, a in enumerate(self.axes)} | {
            a.spec.column: i for i, a in enumerate(self.axes)
        }
        if name not in aliases:
            raise InputError(field, f"no axis {name!r} in this sweep; axes: {', '.join(names)}")
        if self.axes[aliases[name]].by_device:
            raise InputError(
                field,
                f"{name!r} is each device's default here, not an axis; group by device "
                "or give utilization",
            )
        return aliases[name]


def _peaks(profs: tuple, precision: str | None) -> np.ndarray:
    """Each profile's peak in TFLOP/s at ``precision`` (default: its default precision, else fp32)."""
    return np.array(
        [
            p.peak(
                getattr(p, "default_precision", None)
                if precision is None and getattr(p, "default_precision", None)
                else precision or "fp32"
            ).flop_per_s
            / 1e12
            for p in profs
        ]
    )


def build_grid(
    factors: Mapping[str, Any],
    precision: str | None = None,
    omit: Sequence[str] = (),
    guard: Callable[[int], None] | None = None,
) -> Grid:
    """Parse the factor specs into a Grid. ``omit``: factors solved for (inverse mode).

    ``guard(points)`` is called with the grid's size before any axis is allocated (it raises when
    the grid is too large)."""
    given = {k: v for k, v in factors.items() if v is not None}
    for k in given:
        if k not in AXES:
            raise InputError(k, f"unknown sweep factor; known: {', '.join(AXES)}")
    methods = {AXES[k].method for k in given} - {"any"}
    if len(methods) > 1:
        raise InputError(
            "method", "mix of method-1 (macs/examples/epochs/networks) and method-2 factors"
        )
    method = methods.pop() if methods else "hardware"
    scenario = {
        k: (list(v) if isinstance(v, (list, tuple, np.ndarray)) else v) for k, v in given.items()
    }
    if method == "hardware":
        if "days" in given and "hours" in given:
            raise InputError("hours", "give days or hours, not both")
        if "device" not in given and "tflops" not in given:
            raise InputError("device", "give device (peaks from profiles) or tflops")
        if not ({"days", "hours"} & set(given)) and "days" not in omit:
            raise InputError("days", "give days or hours (or a target, to solve for days)")
        given.setdefault("count", 1.0)
    else:
        for req in ("macs", "examples"):
            if req not in given:
                raise InputError(req, "required for a method-1 (operations) sweep")
        given.setdefault("epochs", 1.0)
    names = [k for k in AXES if k in given and k not in omit]
    if guard is not None:
        guard(
            math.prod(
                len(_device_list(given[k])) if k == "device" else axis_length(given[k], k)
                for k in names
            )
        )
    util_default: Any = DEFAULT_UTILIZATION
    axes: list[Axis] = []
    for name, spec in AXES.items():
        if name in omit or name not in given:
            if not (name == "utilization" and method == "hardware" and name not in omit):
                continue
        field_ = name
        if name == "device":
            profs = tuple(find_profile(n) for n in _device_list(given[name]))
            utils = np.array([p.default_utilization for p in profs], np.float64)
            mixed = "utilization" not in given and len(set(utils.tolist())) > 1
            util_default = (
                dict(zip((p.name for p in profs), utils.tolist())) if mixed else float(utils[0])
            )
            axes.append(
                Axis(
                    name,
                    _peaks(profs, precision),
                    spec,
                    tuple(p.name for p in profs),
                    profs,
                    peak="tflops" not in given,
                    util=utils if mixed else None,
                )
            )
        elif name == "utilization" and name not in given:
            mixed = isinstance(util_default, dict)
            axes.append(
                Axis(name, np.array([np.nan if mixed else util_default]), spec, by_device=mixed)
            )
            scenario["utilization"] = util_default
        else:
            axes.append(Axis(name, parse_axis(given[name], field_, spec.fraction), spec))
    const = 1.0
    for a in axes:
        if (a.name != "device" or a.peak) and not a.by_device:
            const *= a.spec.scale
    return Grid(method, axes, const, scenario)


def check_range(grid: Grid, scale: float = 1.0) -> tuple[float, float]:
    """The smallest and largest point of the grid (x ``scale``), in FLOP; InputError when the
    largest overflows float64 or the smallest (in pfs-days too) underflows, since results would
    read inf or 0. Names the axis at which the running product fails."""
    tiny = np.finfo(np.float64).tiny * units.PFS_DAY
    hi = lo = float(grid.const) * scale
    for a, f in zip(grid.axes, grid.factors):
        hi, lo = hi * float(np.max(f)), lo * float(np.min(f))
        if not math.isfinite(hi) or lo < tiny:
            what = (
                "overflows float64"
                if not math.isfinite(hi)
                else "underflows float64 (in FLOP or pfs-days)"
            )
            raise InputError(
                a.name, f"the grid's compute {what} at this axis; use values in a sane range"
            )
    return lo, hi


def _limit(max_points: Any) -> int | None:
    """``max_points`` checked: None, or a positive finite whole number of points."""
    if max_points is None:
        return None
    if isinstance(max_points, bool) or not isinstance(max_points, _SCALARS):
        raise InputError("max_points", f"must be a positive integer, got {shown(max_points)}")
    x = float(max_points)
    if not (math.isfinite(x) and x >= 1 and x == int(x)):
        raise InputError("max_points", f"must be a positive integer, got {shown(max_points)}")
    return int(x)


def _guard(n: int, max_points: int | None, default: int, what: str) -> None:
    limit = default if max_points is None else max_points
    if n > limit:
        raise InputError(
            "max_points",
            f"the grid has {n:.3g} points, over the limit of {limit:.3g} for "
            f"{what}; raise the limit to at least {n:.3g} to allow it",
        )


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


def _schema_fields(grid: Grid):
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


def _chunks(grid: Grid, backend, chunk: int, reuse: bool):
    """Yield (flop, pfs, cols, codes) per chunk of the flat grid, filled by ``backend``.

    ``reuse``: one set of buffers for every chunk (valid until the next chunk is asked for; for
    streaming); else fresh buffers per chunk, owned by whoever keeps them (for in-memory results)."""
    k = len(grid.axes)
    nlast = grid.shape[-1]
    if nlast <= chunk:
        chunk = max(nlast, chunk // nlast * nlast)  # whole lines of the last axis
    dev = grid.device
    factors = grid.factors
    size = grid.size

    def alloc(n):
        return np.empty(n), np.empty(n), np.empty((k, n)), np.empty(n if dev >= 0 else 0, np.int32)

    bufs = alloc(min(chunk, size)) if reuse else None
    for start in range(0, size, chunk):
        n = min(chunk, size - start)
        b = alloc(n) if bufs is None else bufs
        flop, pfs, cols, codes = b[0][:n], b[1][:n], b[2][:, :n], b[3][:n]
        backend.sweep.materialize(
            factors, grid.const, start, flop, pfs, cols, codes, dev, units.PFS_DAY
        )
        yield flop, pfs, cols, codes


def materialize_batches(
    grid: Grid,
    backend,
    chunk: int = CHUNK_POINTS,
    progress: Progress | None = None,
    reuse: bool = True,
):
    """Yield pyarrow RecordBatches of the materialised grid, chunk by chunk; after each,
    ``progress(points_done, points_total)``.

    ``reuse`` (streaming): the batches share one set of buffers, so each is valid only until the
    next is asked for (pyarrow wraps NumPy buffers without copying). ``reuse=False``: every batch
    owns fresh buffers and stays valid."""
    import pyarrow as pa

    schema = pa.schema(_schema_fields(grid))
    done = 0
    for flop, pfs, cols, codes in _chunks(grid, backend, chunk, reuse):
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
    return pa.Table.from_batches(batches, schema=pa.schema(_schema_fields(grid))).combine_chunks()


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
    price_per_hour: float | None = None

    def fields(self, grid: Grid) -> list:
        import pyarrow as pa

        names = (
            ["days_needed"] if self.solve == "days" else ["devices_needed", "devices_needed_whole"]
        )
        names += ["device_hours"] + (["energy_kwh"] if grid.device >= 0 else [])
        names += ["cost_usd"] if self.price_per_hour is not None else []
        return _axis_fields(grid) + [pa.field(n, pa.float64()) for n in names]


def inverse_batches(
    grid: Grid, backend, inv: Inverse, chunk: int = CHUNK_POINTS, reuse: bool = True
):
    """Yield RecordBatches, per point of the remaining axes: the days (or devices) needed to reach
    ``inv.target`` FLOP, the device-hours, energy in kWh (device TDP x PUE) and cost in USD
    (device-hours x price). ``reuse`` as for materialize_batches."""
    import pyarrow as pa

    schema = pa.schema(inv.fields(grid))
    names = [a.name for a in grid.axes]
    dev = grid.device
    tdp = np.array([p.tdp_w for p in grid.axes[dev].profiles]) if dev >= 0 else None
    for flop, _pfs, vals, codes in _chunks(grid, backend, chunk, reuse):
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
):
    """inverse_batches as one pyarrow Table (``backend``: a kernels Backend, default reference)."""
    import pyarrow as pa

    inv = Inverse(solve, target, pue, price_per_hour)
    be = backend or get_backend("reference")
    batches = list(inverse_batches(grid, be, inv, chunk, reuse=False))
    return pa.Table.from_batches(batches, schema=pa.schema(inv.fields(grid))).combine_chunks()


# ---- public API --------------------------------------------------------------------------------


def _mode(mode: str | None, threshold, quantiles, group_by, target) -> str:
    if mode is None:
        if target is not None:
            return "inverse"
        return "reduce" if (threshold is not None or quantiles or group_by) else "materialize"
    if mode in ("materialise",):
        mode = "materialize"
    if mode not in MODES:
        raise InputError("mode", f"unknown mode {mode!r}; choose {', '.join(MODES)}")
    return mode


def _solve_for(factors: Mapping[str, Any], solve: str | None) -> str:
    if solve is None:
        if factors.get("days") is None and factors.get("hours") is None:
            return "days"
        if factors.get("count") is None:
            return "count"
        raise InputError(
            "solve",
            "inverse mode solves for days or count: leave one of them out, or give solve",
        )
    if solve not in ("days", "count"):
        raise InputError("solve", f"solve for days or count, not {solve!r}")
    return solve


def _flag(value: Any, field: str) -> bool:
    """A yes/no setting: only True or False (a string such as "no" is not a bool)."""
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(field, f"must be true or false, got {shown(value)}")
    return bool(value)


def _text(value: Any, field: str) -> str | None:
    """None, or non-empty text."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(field, f"must be text, got {type(value).__name__} {shown(value)}")
    if not value.strip():
        raise InputError(field, "is empty")
    return value.strip()


def _whole(value: Any, field: str, low: int = 1) -> int:
    """A whole number >= ``low`` (an integral float such as 1e6 is accepted)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, _SCALARS)
        or not math.isfinite(float(value))
        or float(value) != int(value)
        or int(value) < low
    ):
        what = (
            "a positive"
            if low == 1
            else "a non-negative"
            if low == 0
            else f"an integer >= {low}, not a"
        )
        raise InputError(field, f"must be {what} integer, got {shown(value)}")
    return int(value)


def compute_amount(value: Any, field: str) -> float | None:
    """A compute threshold/target in FLOP, or None: ``units.parse_compute`` (text needs a unit, as in
    ``estimate``; a Python number is FLOP)."""
    return None if value is None else units.parse_compute(value, field)


def _quantile_list(quantiles: Any) -> list[float]:
    if quantiles is None:
        return []
    if isinstance(quantiles, (str, bytes)) or not isinstance(quantiles, (list, tuple, np.ndarray)):
        raise InputError("quantiles", f"give a list of numbers in [0, 1], got {shown(quantiles)}")
    if len(quantiles) == 0:
        raise InputError("quantiles", "empty list")
    for q in quantiles:
        if isinstance(q, bool) or not isinstance(q, _SCALARS) or not 0 <= q <= 1:
            raise InputError("quantiles", f"quantiles must be numbers in [0, 1], got {shown(q)}")
    return [float(q) for q in quantiles]


def _only_in(mode: str, given: Mapping[str, Any], wanted: str, hint: str) -> None:
    """Refuse settings that ``mode`` would ignore."""
    for field_, v in given.items():
        if v is not None and mode != wanted:
            raise InputError(
                field_, f"only used in {wanted} mode ({hint}); this sweep is in {mode} mode"
            )


def _real(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, _SCALARS):
        raise InputError(field, f"must be a number, got {shown(value)}")
    return float(value)


@dataclass(frozen=True)
class SweepRequest:
    """``sweep()``'s arguments, checked: the mode, the axes (uncertain ones at their medians, their
    spread in ``bands``), the kernel backend and each mode's settings (computes in FLOP)."""

    mode: str
    factors: dict[str, Any]
    bands: BandSpec
    backend: Any  #: a kernels Backend
    out: str | Path | None = None
    overwrite: bool = False
    precision: str | None = None
    max_points: int | None = None
    chunk_points: int = CHUNK_POINTS
    threshold: float | None = None  #: reduce (FLOP)
    quantiles: tuple[float, ...] = ()
    group_by: str | None = None
    target: float | None = None  #: inverse (FLOP)
    solve: str | None = None
    pue: float = 1.0
    price_per_hour: float | None = None

    def guard(self, default: int, what: str) -> Callable[[int], None]:
        """The grid-size guard (``max_points``, else ``default`` points) for ``build_grid``."""
        return lambda n: _guard(n, self.max_points, default, what)

    def memory_or_file(self, what: str) -> tuple[int, str]:
        """The default size limit and what it is for: a file, or ``what`` in memory."""
        if self.out is not None:
            return MAX_POINTS_STREAM, "a file"
        return MAX_POINTS_MEMORY, f"{what} (write to a file with out=)"


def _bands(method_error, p_above, samples, seed, force_mc, backend: str) -> BandSpec:
    """The band settings, checked (the uncertain axes are added by ``split_uncertain``)."""
    if method_error is not None and (
        isinstance(method_error, bool) or not isinstance(method_error, (str, int, float))
    ):
        raise InputError("method_error", f"give a factor such as '3x', got {shown(method_error)}")
    if p_above is not None and not isinstance(p_above, str):
        p_above = [str(t) if isinstance(t, str) else t for t in _items(p_above, "p_above")]
    thresholds = tuple(parse_thresholds(p_above, "p_above")) if p_above is not None else ()
    if p_above is not None and not thresholds:
        raise InputError("p_above", "empty list")
    return BandSpec(
        method_error=None
        if method_error is None
        else parse_factor(str(method_error), "method_error"),
        samples=samples,
        seed=seed,
        force_mc=force_mc,
        backend=backend,
        thresholds=thresholds,
    )


def parse_request(
    factors: Mapping[str, Any],
    *,
    mode: Any = None,
    out: Any = None,
    overwrite: Any = False,
    backend: Any = "auto",
    threshold: Any = None,
    quantiles: Any = None,
    group_by: Any = None,
    target: Any = None,
    solve: Any = None,
    pue: Any = None,
    price_per_hour: Any = None,
    precision: Any = None,
    max_points: Any = None,
    chunk_points: Any = CHUNK_POINTS,
    method_error: Any = None,
    samples: Any = None,
    seed: Any = 0,
    p_above: Any = None,
    force_mc: Any = False,
) -> SweepRequest:
    """``sweep()``'s arguments (``factors``: the axes) checked into a SweepRequest; InputError
    naming the parameter otherwise."""
    overwrite, force_mc = _flag(overwrite, "overwrite"), _flag(force_mc, "force_mc")
    mode, backend = _text(mode, "mode"), _text(backend, "backend")
    precision, group_by, solve = (
        _text(precision, "precision"),
        _text(group_by, "group_by"),
        _text(solve, "solve"),
    )
    limit = _limit(max_points)
    chunk_points = _whole(chunk_points, "chunk_points")
    samples = None if samples is None else _whole(samples, "samples")
    seed = _whole(seed, "seed", 0)
    if backend is None:
        raise InputError("backend", "is empty")
    be = get_backend(backend)  # validated whatever the mode
    bands = _bands(method_error, p_above, samples, seed, force_mc, backend)
    facs = split_uncertain(factors, bands)
    qs = _quantile_list(quantiles)
    mode = _mode(mode, threshold, qs, group_by, target)
    if bands.active and mode != "materialize":
        raise InputError(
            "mode",
            f"uncertain factors give every point a band in materialise mode, not in {mode}"
            " mode; give fixed values or lists instead",
        )
    if bands.thresholds and not bands.active:
        raise InputError(
            "p_above",
            "needs an uncertain factor (an axis given as a range such as '0.25 to 0.4')"
            " or method_error",
        )
    _only_in(
        mode,
        {"threshold": threshold, "quantiles": quantiles, "group_by": group_by},
        "reduce",
        "threshold, quantiles or group_by",
    )
    _only_in(
        mode,
        {"target": target, "solve": solve, "pue": pue, "price_per_hour": price_per_hour},
        "inverse",
        "give target",
    )
    thr = compute_amount(threshold, "threshold")
    if out is not None:
        if not isinstance(out, (str, Path)):
            raise InputError("out", f"give a file name, got {type(out).__name__} {shown(out)}")
        arrow_io.check_writable(out, overwrite)
    if mode == "inverse" and target is None:
        raise InputError("target", "inverse mode needs a target compute, e.g. 1e25FLOP")
    return SweepRequest(
        mode,
        facs,
        bands,
        be,
        out,
        overwrite,
        precision,
        limit,
        chunk_points,
        thr,
        tuple(qs),
        group_by,
        compute_amount(target, "target"),
        solve,
        1.0 if pue is None else require_positive("pue", _real(pue, "pue")),
        None
        if price_per_hour is None
        else require_positive("price_per_hour", _real(price_per_hour, "price_per_hour")),
    )


def run_materialize(req: SweepRequest, progress: Progress | None = None):
    """Materialise mode: every point (with band columns when some axis is uncertain), in memory
    (guarded) or streamed to ``req.out``; ``progress(done, total)`` after each chunk."""
    grid = build_grid(
        req.factors, req.precision, guard=req.guard(*req.memory_or_file("an in-memory table"))
    )
    check_range(grid)
    bands = req.bands
    meta = _meta(grid, req.mode, req.backend.name)
    meta |= {"bands": bands.to_meta()} if bands.active else {}
    shared = bands.shared() if bands.active else None  # U's band: once per sweep
    import pyarrow as pa

    if req.out is None:
        table = materialize_table(grid, req.backend, progress, req.chunk_points)
        if shared is not None:
            for name, col in shared.columns(table["flop"].to_numpy()).items():
                table = table.append_column(name, pa.array(col))
        return _finish(table, meta, None, req.overwrite)
    schema = pa.schema(_schema_fields(grid) + (band_fields(bands) if shared else []))
    batches = materialize_batches(grid, req.backend, req.chunk_points, progress)
    if shared is not None:
        batches = append_band_columns(batches, schema, shared)
    return write_batches(req.out, schema, batches, meta, req.overwrite)


def run_reduce(req: SweepRequest, progress: Progress | None = None):
    """Reduce mode: counts, extremes and quantiles (by ``group_by``), one row per group."""
    grid = build_grid(req.factors, req.precision, guard=req.guard(MAX_POINTS_STREAM, "a reduction"))
    check_range(grid)
    table = reduce_table(grid, req.backend, req.threshold, req.quantiles, req.group_by)
    meta = _meta(grid, req.mode, req.backend.name) | {
        "threshold_flop": req.threshold,
        "quantiles": list(req.quantiles),
        "group_by": req.group_by,
    }
    return _finish(table, meta, req.out, req.overwrite)


def run_inverse(req: SweepRequest, progress: Progress | None = None):
    """Inverse mode: days (or devices) for ``req.target`` per point of the other axes, chunked on
    the backend, in memory (guarded) or streamed to ``req.out``."""
    assert req.target is not None  # parse_request requires it in inverse mode
    tgt = req.target
    facs = dict(req.factors)
    what = _solve_for(facs, req.solve)
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
    inv = Inverse(what, tgt, req.pue, req.price_per_hour)
    meta = _meta(grid, "inverse", req.backend.name) | {
        "target_flop": tgt,
        "solve": what,
        "pue": req.pue,
        "price_per_hour_usd": req.price_per_hour,
    }
    if req.out is None:
        table = inverse_table(
            grid, what, tgt, req.pue, req.price_per_hour, req.backend, req.chunk_points
        )
        return _finish(table, meta, None, req.overwrite)
    import pyarrow as pa

    batches = inverse_batches(grid, req.backend, inv, req.chunk_points)
    return write_batches(req.out, pa.schema(inv.fields(grid)), batches, meta, req.overwrite)


#: One function per mode.
RUNS: dict[str, Callable[[SweepRequest, Progress | None], Any]] = {
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
    precision: str | None = None,
    max_points: int | None = None,
    chunk_points: int = CHUNK_POINTS,
    progress: bool | Progress = False,
    method_error: float | str | None = None,
    samples: int | None = None,
    seed: int = 0,
    p_above: Sequence[float | str] | str | None = None,
    force_mc: bool = False,
    **axes: Any,
):
    """Run a what-if sweep; returns a pyarrow Table, or the Path written when ``out`` is given.

    Axes by keyword (or in ``factors``): device, tflops, count, days | hours, utilization,
    multiplier (method 2); macs, examples, epochs, networks, multiplier (method 1). Each is a list,
    range string ("0.2:0.5:4", "1:365:50log"), number or sequence. Without utilization each device
    gets its profile's default (0.33 GPU/TPU, 0.17 CPU; the ``utilization`` column says which).
    ``mode``: materialize (every point), reduce (``threshold`` count, min/max, ``quantiles``, by
    ``group_by``) or inverse (for ``target``: days or devices needed, device-hours, kWh with
    ``pue``, USD with ``price_per_hour``). Computes are text with a unit ("1e25FLOP") or numbers
    in FLOP. ``backend``: auto | reference | numba | cuda (every mode). ``max_points``: grid size
    guard (positive integer); ``chunk_points``: points per streamed chunk. ``progress``: True for
    a bar on stderr (a terminal only), or a callback ``progress(points_done, points_total)``.

    Uncertainty (materialise mode): an axis given as a distribution ("0.25 to 0.4") is held at its
    median and every point gets band columns (flop_p5..flop_p95, flop_mean, pfs_days_p5..p95, and
    p_above_<FLOP> for each ``p_above`` threshold); ``method_error`` ("3x") adds the method's own
    error; ``samples``/``seed``/``force_mc`` as for a single estimate (exact when all lognormal).

    Bad input raises InputError naming the parameter (``group_by``, ``days``, ...).

    >>> t = sweep(device="K40,K80", count="1,8,64", days="1:100:10log")  # materialise: every point
    >>> t.num_rows, t.column_names[-2:]
    (60, ['flop', 'pfs_days'])
    >>> r = sweep(device="K80", count="1,8,64", days="1:100:10log", threshold="1e20FLOP")  # reduce
    >>> r["count_at_least"][0].as_py(), r["points"][0].as_py()
    (8, 30)
    """
    if not callable(progress):
        _flag(progress, "progress")
    try:
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
            precision=precision,
            max_points=max_points,
            chunk_points=chunk_points,
            method_error=method_error,
            samples=samples,
            seed=seed,
            p_above=p_above,
            force_mc=force_mc,
        )
        if callable(progress):
            return RUNS[req.mode](req, progress)
        with tqdm_bar(bool(progress)) as bar:
            return RUNS[req.mode](req, bar)
    except InputError as exc:
        raise _in_api_terms(exc) from None


def _in_api_terms(exc: InputError) -> InputError:
    """``exc`` naming the API parameter where a lower layer named its CLI flag (``--device``)."""
    name = parameter_of(exc.field)
    if name is None or name == exc.field:
        return exc
    return InputError(name, exc.problem).with_traceback(exc.__traceback__)


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
