"""Data points for compute trends: a pyarrow Table with one documented schema.

Schema (``POINTS_SCHEMA``), one row per system:

    system     string     name of the system
    date       date32     publication date
    flop       float64    training compute in FLOP (for an upper bound: the bound itself)
    pfs_days   float64    the same in petaflop/s-days (8.64e19 FLOP)
    bound      string     "point", or "upper" (compute is at most ``flop``)
    flop_low   float64    optional per-point band, FLOP (null: none given)
    flop_high  float64    optional per-point band, FLOP
    domain     string     vision, language, speech, games, ... (may be null)
    method     string     "ops" (method 1), "hardware" (method 2), "reported", or as the CSV says
    source     string     where the figure comes from

Built-in points (``builtin_points``): the worked examples of "AI and Compute", one point per
system. A system computed by both methods takes its method-1 value (counting operations, the
method the source prefers when the architecture is known) and keeps both values as its band
[min, max]; a system with one method has no band. The source's modest-compute results are added
as points (a figure) or upper bounds ("< x pfs-days").

Files (``read_csv_points``): CSV, Parquet or Arrow, read by the one table reader
(``computesim.data.table.read_table``), their layout recognised (``computesim.data.layouts``) or
columns chosen by name. Rows whose compute or date is empty, unreadable or out of range are
skipped and counted by reason, never dropped silently.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from computesim.core import units
from computesim.core.examples import REPORTED_RESULTS, run_examples
from computesim.data import cells
from computesim.data.layouts import GENERIC, norm
from computesim.data.table import (  # noqa: F401 (re-exported: the names callers used before)
    DELIMITERS,
    MAX_CELL,
    MAX_FLOP,
    MIN_FLOP,
    Dataset,
    read_table,
    sniff_delimiter,
)
from computesim.errors import InputError

YEAR_MIN, YEAR_MAX = cells.YEAR_MIN, cells.YEAR_MAX  #: dates accepted in options and data

COLUMNS = (
    "system",
    "date",
    "flop",
    "pfs_days",
    "bound",
    "flop_low",
    "flop_high",
    "domain",
    "method",
    "source",
)

#: Domains of the built-in systems (ours; the source groups them only by era).
DOMAINS = {
    "ResNet-151": "vision",
    "AlexNet": "vision",
    "Dropout": "vision",
    "Visualizing & Understanding CNNs": "vision",
    "DQN": "games",
    "Seq2Seq": "language",
    "VGG": "vision",
    "DeepSpeech2": "speech",
    "Xception": "vision",
    "Neural Architecture Search": "vision",
    "Neural Machine Translation": "language",
    "Attention is all you need": "language",
    "Adam Optimizer": "other",
    "Learning to Align and Translate": "language",
    "GANs": "vision",
    "Word2Vec": "language",
    "Variational Auto Encoders": "vision",
}


def points_schema():
    """The pyarrow schema of a points table."""
    import pyarrow as pa

    return pa.schema(
        [
            ("system", pa.string()),
            ("date", pa.date32()),
            ("flop", pa.float64()),
            ("pfs_days", pa.float64()),
            ("bound", pa.string()),
            ("flop_low", pa.float64()),
            ("flop_high", pa.float64()),
            ("domain", pa.string()),
            ("method", pa.string()),
            ("source", pa.string()),
        ]
    )


@dataclass
class Points:
    """A points table and what was skipped reading it (reason -> count)."""

    table: Any  # pyarrow.Table with points_schema()
    skipped: dict[str, int] = field(default_factory=dict)
    origin: str = ""

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())


def make_table(rows: list[dict[str, Any]]):
    """A points Table from dicts with the keys of COLUMNS (pfs_days derived from flop if absent)."""
    import pyarrow as pa

    cols: dict[str, list] = {c: [] for c in COLUMNS}
    for r in rows:
        for c in COLUMNS:
            v = r.get(c)
            if c == "pfs_days" and v is None:
                v = units.flop_to_pfs_days(r["flop"])
            if c == "bound" and v is None:
                v = "point"
            cols[c].append(v)
    return pa.table(cols, schema=points_schema())


def builtin_points() -> Points:
    """The source's worked examples (one point per system) and its reported figures and bounds."""

    by_system: dict[str, dict[str, Any]] = {}
    for r in run_examples():
        ex = r.example
        by_system.setdefault(ex.system, {"date": ex.published, "ref": ex.reference})[ex.method] = (
            r.estimate.flop
        )
    rows = []
    for system, d in by_system.items():
        both = "ops" in d and "hardware" in d
        flop = d["ops"] if "ops" in d else d["hardware"]
        rows.append(
            {
                "system": system,
                "date": d["date"],
                "flop": flop,
                "domain": DOMAINS.get(system),
                "flop_low": min(d["ops"], d["hardware"]) if both else None,
                "flop_high": max(d["ops"], d["hardware"]) if both else None,
                "method": "ops" if "ops" in d else "hardware",
                "source": "AI and Compute (2018), worked example"
                + (f"; {d['ref']}" if d["ref"] else ""),
            }
        )
    for rr in REPORTED_RESULTS:
        est = rr.estimate()
        rows.append(
            {
                "system": rr.system,
                "date": rr.published,
                "flop": est.flop,
                "bound": "upper" if est.is_upper_bound else "point",
                "domain": DOMAINS.get(rr.system),
                "method": "reported",
                "source": "AI and Compute (2018), reported"
                + (f"; {rr.reference}" if rr.reference else ""),
            }
        )
    rows.sort(key=lambda r: r["date"])
    return Points(make_table(rows), {}, "built-in: AI and Compute (2018)")


def parse_date(text: str) -> dt.date | None:
    """YYYY-MM-DD, DD/MM/YYYY, YYYY-MM (the 15th), YYYY (1 July) or an Excel serial day; None if
    unreadable (``cells.parse_date``, day first)."""
    return cells.parse_date(text, day_first=True)


def read_csv_points(
    path: str | Path,
    *,
    date_col: str | None = None,
    compute_col: str | None = None,
    name_col: str | None = None,
    compute_unit: str | None = None,
    domain_col: str | None = None,
    point_band: Callable[[Dataset], tuple[Any, Any]] | None = None,
) -> Points:
    """Read data points from a table file (CSV, Parquet or Arrow) through the one reader,
    ``table.read_table``: the layout is recognised (``layouts``), ``*_col`` override its columns.

    ``compute_unit`` ("flop" or "pfs-days") is the unit of bare numbers; by default it follows the
    recognised column ("Training compute (FLOP)" -> flop). Cells may carry a unit ("3e23 FLOP",
    "0.1 pfs-days") or be a bound ("< 1e20"). Rows without a usable date or compute are counted
    by reason in ``Points.skipped``.

    Each point's band (``flop_low``, ``flop_high``: what ``trend --propagate`` redraws it within)
    is the row's bounds columns when given, else ``point_band(dataset)`` (per row (low, high) FLOP,
    NaN for none: ``uncertainty.rows.band_interval`` gives every row's 90% band).
    """
    if compute_unit not in (None, "flop", "pfs-days"):
        raise InputError("compute_unit", f"must be flop or pfs-days, got {compute_unit!r}")
    given = {"date": date_col, "name": name_col, "domain": domain_col}
    columns = {k: v for k, v in given.items() if v is not None}
    if compute_col is not None:
        pfs = norm(compute_col) in GENERIC.roles["pfs_days"]
        columns["pfs_days" if pfs else "flop"] = compute_col
    params = {"date": "date_col", "flop": "compute_col", "pfs_days": "compute_col"}
    params |= {"name": "name_col", "domain": "domain_col"}
    try:
        ds = read_table(path, columns=columns, compute_unit=compute_unit)
    except InputError as exc:
        role = exc.field.removeprefix("columns[").removesuffix("]")
        raise InputError(params.get(role, exc.field), exc.problem) from None
    p = Path(path)
    cols = ds.recognised.columns
    header = ", ".join(ds.raw.column_names)[:300]
    if "date" not in cols:
        raise InputError(
            "date_col", f"no date column recognised in {p.name}; columns are: {header}"
        )
    if "flop" not in cols and "pfs_days" not in cols:
        raise InputError(
            "compute_col", f"no compute column recognised in {p.name}; columns are: {header}"
        )
    if ds.n_rows == 0:
        raise InputError("DATA", f"{p}: a header but no data rows")
    reasons = ds.reasons(["flop", "date"])
    skipped = ds.skipped(["flop", "date"])
    domains = ds.text.get("domain", [None] * ds.n_rows)
    low, high = point_band(ds) if point_band is not None else (ds.flop_low, ds.flop_high)
    out: list[dict[str, Any]] = []
    for i, why in enumerate(reasons):
        if why is None:
            out.append(
                {
                    "system": ds.names[i],
                    "date": ds.dates[i],
                    "flop": float(ds.flop[i]),
                    "bound": ds.bound[i],
                    **_band(low[i], high[i]),
                    "domain": domains[i],
                    "method": "reported",
                    "source": f"{p.name}:row {i + 1}",
                }
            )
    if not out:
        detail = ", ".join(f"{v} {k}" for k, v in skipped.items())
        if all("compute" in k for k in skipped):
            ccol = cols.get("flop", cols.get("pfs_days"))
            raise InputError(
                "compute_col",
                f"no usable compute values in column {ccol!r} of {p.name} ({detail})",
            )
        raise InputError("DATA", f"{p}: no usable rows ({detail})")
    return Points(make_table(out), skipped, str(p))


def _band(low: float, high: float) -> dict[str, float]:
    """flop_low/flop_high of a point when both are positive numbers with low < high, else none."""
    lo, hi = float(low), float(high)
    return {"flop_low": lo, "flop_high": hi} if 0 < lo < hi < math.inf else {}
