"""The sweep grid: the axis language (lists, linear and log ranges, device lists), one Axis per
factor, and the Grid of log-factor arrays whose canonical product is each point's compute (FLOP).

Axis language (CLI, TOML and API alike): a list ``"1,8,64"``, a linear range ``"0.2:0.5:4"``
(4 values, both ends included), a log range ``"1:365:50log"``, a number, or a Python sequence.
Values are in the axis's own unit (days, TFLOP/s, ...) and must be positive.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from computesim.core import units
from computesim.errors import InputError, require_fraction, require_positive, shown
from computesim.hardware_profiles import find_profile
from computesim.sweeps.axes import AXES, AxisDef

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
SCALAR_TYPES = (int, float, np.integer, np.floating)


def _number(text: Any, field: str) -> float:
    if isinstance(text, str):
        return require_positive(field, units.parse(text, "count", field))
    if isinstance(text, bool) or not isinstance(text, SCALAR_TYPES):
        raise InputError(
            field, f"axis values must be numbers or text, got {type(text).__name__} {shown(text)}"
        )
    return require_positive(field, cast(float, text))  # int or NumPy scalar: converted there


def axis_items(spec: Any, field: str) -> list:
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


def planned_points(factors: Mapping[str, Any]) -> int:
    """The number of grid points ``factors`` (sweep() keywords; others are ignored) would give,
    counted without parsing or allocating any axis."""
    return math.prod(axis_length(v, k) for k, v in factors.items() if k in AXES and v is not None)


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
    elif isinstance(spec, SCALAR_TYPES) and not isinstance(spec, bool):
        vals = np.array([_number(spec, field)])
    else:
        items = axis_items(spec, field)
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
