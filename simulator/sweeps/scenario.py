"""Sweep scenario files (TOML): the same settings as the ``computesim sweep`` flags.

    [sweep]                      # optional: mode, out, backend, overwrite, max_points, precision, chunk_points
    mode = "materialize"         # materialize | reduce | inverse (inferred when left out)
    out = "results.parquet"
    overwrite = false            # a TOML bool (true/false), not a string
    [axes]                       # any sweep factor: a list, "low:high:n", "low:high:nlog" or a number
    device = ["K40", "K80"]
    count = [1, 8, 64]
    days = "1:100:10log"
    utilization = "0.2:0.5:4"
    [reduce]                     # threshold = "1e25 FLOP", quantiles = [0.05, 0.5], group_by = "device"
    [inverse]                    # target = "1e25 FLOP", solve = "days", pue = 1.1, price_per_hour = 2.0

Relative ``out`` paths are taken relative to the scenario file's folder. Every value is checked
for its type here; errors name the file and the key (``scenario.toml: max_points: ...``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from computesim.errors import InputError, shown
from computesim.io.toml import read_toml
from computesim.sweeps.axes import AXES, SECTIONS, parameter_of


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _text(v: Any) -> str | None:
    return None if isinstance(v, str) and v.strip() else "must be non-empty text"


def _bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "must be true or false (a TOML bool, unquoted)"


def _whole(v: Any) -> str | None:
    ok = _is_number(v) and math.isfinite(v) and v >= 1 and v == int(v)
    return None if ok else "must be a positive integer"


def _positive(v: Any) -> str | None:
    return None if _is_number(v) and math.isfinite(v) and v > 0 else "must be a positive number"


def _compute(v: Any) -> str | None:
    return (
        None
        if (isinstance(v, str) and v.strip()) or _is_number(v)
        else 'must be a compute with a unit, e.g. "1e25 FLOP"'
    )


def _quantiles(v: Any) -> str | None:
    ok = isinstance(v, list) and v and all(_is_number(q) and 0 <= q <= 1 for q in v)
    return None if ok else "must be a non-empty list of numbers in [0, 1], e.g. [0.05, 0.5]"


def _axis(v: Any) -> str | None:
    scalar = (isinstance(v, str) and v.strip()) or _is_number(v)
    listed = (
        isinstance(v, list)
        and v
        and all((isinstance(x, str) and x.strip()) or _is_number(x) for x in v)
    )
    return (
        None
        if scalar or listed
        else 'must be a number, a string ("1,8,64", "1:100:10log") or a list'
    )


def _device(v: Any) -> str | None:
    ok = (isinstance(v, str) and v.strip()) or (
        isinstance(v, list) and v and all(isinstance(x, str) for x in v)
    )
    return None if ok else 'must be a device name or a list of names, e.g. ["K40", "K80"]'


CHECKS: dict[str, Callable[[Any], str | None]] = {
    "mode": _text,
    "out": _text,
    "backend": _text,
    "overwrite": _bool,
    "max_points": _whole,
    "precision": _text,
    "chunk_points": _whole,
    "threshold": _compute,
    "quantiles": _quantiles,
    "group_by": _text,
    "target": _compute,
    "solve": _text,
    "pue": _positive,
    "price_per_hour": _positive,
    "cost": _bool,
} | {a.name: _device if a.check == "device" else _axis for a in AXES.values()}


def load(path: str | Path) -> dict[str, Any]:
    """Keyword arguments for computesim.sweep() from a scenario file; InputError naming the file
    (and the key, for a bad value)."""
    where = str(path)
    if not isinstance(path, (str, Path)) or not where.strip():
        raise InputError("scenario", f"give a file name, got {shown(path)}")
    raw = read_toml(path, "scenario")
    out: dict[str, Any] = {}
    for section, body in raw.items():
        if not isinstance(body, dict):
            raise InputError(where, f"{section!r} must be a [table]")
        allowed = SECTIONS.get(section)
        if allowed is None:
            raise InputError(where, f"unknown section [{section}]; known: {', '.join(SECTIONS)}")
        for key, value in body.items():
            if key not in allowed:
                raise InputError(
                    f"{where} [{section}]",
                    f"unknown key {key!r}; known: {', '.join(sorted(allowed))}",
                )
            problem = CHECKS[key](value)
            if problem:
                raise InputError(key_field(where, key), f"{problem}, got {shown(value)}")
            out[key] = value
    if "axes" not in raw:
        raise InputError(where, "no [axes] table")
    if isinstance(out.get("out"), str):
        o = Path(out["out"])
        out["out"] = str(o if o.is_absolute() else Path(path).parent / o)
    return out


def key_field(where: str, key: str) -> str:
    """The field named in errors about ``key`` of scenario file ``where``."""
    return f"{where}: {key}"


def key_of(field: str) -> str | None:
    """The scenario key an error's field stands for (``max_points`` or ``--max-points`` ->
    ``max_points``), or None."""
    key = parameter_of(field)
    return key if key is not None and any(key in keys for keys in SECTIONS.values()) else None
