"""Sweep scenario files (TOML): the same settings as the ``computesim sweep`` flags.

    [sweep]                      # optional: mode, out, backend, overwrite, max_points, precision
    mode = "materialize"         # materialize | reduce | inverse (inferred when left out)
    out = "results.parquet"
    [axes]                       # any sweep factor: a list, "low:high:n", "low:high:nlog" or a number
    device = ["K40", "K80"]
    count = [1, 8, 64]
    days = "1:100:10log"
    utilization = "0.2:0.5:4"
    [reduce]                     # threshold = "1e25 FLOP", quantiles = [0.05, 0.5], group_by = "device"
    [inverse]                    # target = "1e25 FLOP", solve = "days", pue = 1.1, price_per_hour = 2.0

Relative ``out`` paths are taken relative to the scenario file's folder.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import InputError
from .toml_io import read_toml

SECTIONS = {
    "sweep": {"mode", "out", "backend", "overwrite", "max_points", "precision", "chunk_points"},
    "reduce": {"threshold", "quantiles", "group_by"},
    "inverse": {"target", "solve", "pue", "price_per_hour"},
}


def load(path: str | Path) -> dict[str, Any]:
    """Keyword arguments for computesim.sweep() from a scenario file; InputError naming the file."""
    from .sweeps import AXES

    where = str(path)
    raw = read_toml(path, "scenario")
    out: dict[str, Any] = {}
    for section, body in raw.items():
        if not isinstance(body, dict):
            raise InputError(where, f"{section!r} must be a [table]")
        allowed = set(AXES) if section == "axes" else SECTIONS.get(section)
        if allowed is None:
            raise InputError(where, f"unknown section [{section}]; known: axes, {', '.join(SECTIONS)}")
        for key, value in body.items():
            if key not in allowed:
                raise InputError(f"{where} [{section}]", f"unknown key {key!r}; known: {', '.join(sorted(allowed))}")
            out[key] = value
    if "axes" not in raw:
        raise InputError(where, "no [axes] table")
    if isinstance(out.get("out"), str):
        o = Path(out["out"])
        out["out"] = str(o if o.is_absolute() else Path(path).parent / o)
    return out
