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

CSV files (``read_csv_points``): columns chosen by name, or recognised automatically (for example
Epoch AI's "System", "Publication date", "Training compute (FLOP)"); the delimiter is a comma,
or a semicolon or tab when the header row has no comma but one of those (``sniff_delimiter``).
Dates: YYYY-MM-DD, DD/MM/YYYY, YYYY-MM or a bare year (read as 1 July, mid-year). Rows whose
compute or date is empty, unreadable or out of range (dates YEAR_MIN..YEAR_MAX, compute
MIN_FLOP..MAX_FLOP FLOP, cells up to MAX_CELL characters) are skipped and counted by reason,
never dropped silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from computesim.core import units
from computesim.core.examples import REPORTED_RESULTS, run_examples
from computesim.core.inputs import parse_quantity
from computesim.core.quantity import UpperBound
from computesim.errors import InputError

MIN_FLOP, MAX_FLOP = (
    1e-10,
    1e40,
)  #: compute accepted in data rows (FLOP); others are skipped, counted
YEAR_MIN, YEAR_MAX = 1900, 2200  #: dates accepted in options and data (decimal years)
MAX_CELL = (
    1000  #: longest cell read (characters); longer compute or date cells are skipped, counted
)
DELIMITERS = (",", ";", "\t")

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

# Normalised header names recognised automatically (first match wins).
_AUTO = {
    "date": ("publication date", "publication_date", "date", "published", "pub date", "year"),
    "flop": (
        "training compute (flop)",
        "training_compute_flop",
        "training compute flop",
        "training compute",
        "compute (flop)",
        "compute_flop",
        "flop",
        "flops",
    ),
    "pfs-days": (
        "training compute (pfs-days)",
        "training compute (petaflop/s-days)",
        "pfs_days",
        "pfs-days",
        "petaflop/s-days",
        "compute (pfs-days)",
    ),
    "name": ("system", "model", "name", "system name", "model name"),
    "domain": ("domain", "task domain"),
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


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_YM = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})(?:\.0+)?$")


def parse_date(text: str) -> dt.date | None:
    """YYYY-MM-DD, DD/MM/YYYY, YYYY-MM (the 15th) or YYYY (1 July); None if unreadable."""
    s = str(text).strip()
    try:
        if m := _ISO.match(s):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY.match(s):
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        if m := _YM.match(s):
            return dt.date(int(m[1]), int(m[2]), 15)
        if m := _YEAR.match(s):
            return dt.date(int(m[1]), 7, 1)
    except ValueError:
        return None
    return None


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower().replace("\ufeff", ""))


def _pick(header: list[str], given: str | None, kind: str, option: str) -> str | None:
    """The column named ``given`` (InputError if absent), else the first recognised one, else None."""
    if given is not None:
        if given in header:
            return given
        match = [h for h in header if _norm(h) == _norm(given)]
        if match:
            return match[0]
        raise InputError(option, f"no column {given!r}; columns are: {', '.join(header)}")
    normed = {_norm(h): h for h in header}
    for cand in _AUTO[kind]:
        if cand in normed:
            return normed[cand]
    return None


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a CSV file from its header row: ',' unless the row has no comma and has
    semicolons or tabs (then the more frequent of those)."""
    if "," in header_line:
        return ","
    counts = {d: header_line.count(d) for d in DELIMITERS[1:]}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _compute(text: str, scale: float) -> tuple[float, str] | str:
    """(FLOP, bound kind) from a cell, or the reason it is skipped; bare numbers are in the
    column's unit (``scale`` FLOP)."""

    s = text.strip()
    if not s:
        return "empty compute"
    if len(s) > MAX_CELL:
        return f"compute cell longer than {MAX_CELL} characters"
    try:
        bare = units._split(s.lstrip("<=≤ "), "compute")[1] == ""
        q = parse_quantity(s, "ops", "compute", bounds=True)
    except InputError as exc:
        return (
            "compute not positive"
            if "positive" in exc.problem
            else "compute not finite"
            if "finite" in exc.problem or "NaN" in exc.problem
            else "unreadable compute"
        )
    value = q.point * (scale if bare else 1.0)
    if not MIN_FLOP <= value <= MAX_FLOP:
        return f"compute out of range ({MIN_FLOP:g} to {MAX_FLOP:g} FLOP)"
    return value, ("upper" if isinstance(q, UpperBound) else "point")


def _date(text: str) -> dt.date | str:
    """The date of a cell, or the reason it is skipped."""

    if not text:
        return "empty date"
    d = parse_date(text) if len(text) <= MAX_CELL else None
    if d is None:
        return "unreadable date"
    if not YEAR_MIN <= d.year <= YEAR_MAX:
        return f"date out of range ({YEAR_MIN} to {YEAR_MAX})"
    return d


def _read_rows(p: Path) -> list[list[str]]:
    """All rows of the CSV file ``p`` (InputError: a directory, missing, not UTF-8, not CSV)."""
    if p.is_dir():
        raise InputError("DATA", f"{p}: is a directory, not a CSV file")
    if not p.is_file():
        raise InputError("DATA", f"{p}: no such file")
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            delim = sniff_delimiter(fh.readline())
            fh.seek(0)
            return list(csv.reader(fh, delimiter=delim))
    except UnicodeDecodeError as exc:
        raise InputError(
            "DATA", f"{p}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})"
        ) from None
    except csv.Error as exc:
        raise InputError("DATA", f"{p}: not a readable CSV file ({exc})") from None
    except OSError as exc:
        raise InputError("DATA", f"{p}: cannot read: {exc.strerror or exc}") from None


def read_csv_points(
    path: str | Path,
    *,
    date_col: str | None = None,
    compute_col: str | None = None,
    name_col: str | None = None,
    compute_unit: str | None = None,
    domain_col: str | None = None,
) -> Points:
    """Read data points from a CSV file (see the module docstring for columns and dates).

    ``compute_unit`` ("flop" or "pfs-days") is the unit of bare numbers; by default it follows the
    recognised column ("Training compute (FLOP)" -> flop). Cells may carry a unit ("3e23 FLOP",
    "0.1 pfs-days") or be a bound ("< 1e20").
    """
    p = Path(path)
    if compute_unit not in (None, "flop", "pfs-days"):
        raise InputError("--compute-unit", f"must be flop or pfs-days, got {compute_unit!r}")
    rows = _read_rows(p)
    if not rows or not any(c.strip() for c in rows[0]):
        raise InputError("DATA", f"{p}: empty file, or no header row")
    header = [h.strip() for h in rows[0]]
    dcol = _pick(header, date_col, "date", "--date-col")
    if dcol is None:
        raise InputError(
            "--date-col", f"no date column recognised in {p.name}; columns are: {', '.join(header)}"
        )
    ccol = _pick(header, compute_col, "flop", "--compute-col")
    unit = "pfs-days" if ccol is not None and _norm(ccol) in _AUTO["pfs-days"] else "flop"
    if compute_col is None and ccol is None:
        ccol, unit = _pick(header, None, "pfs-days", "--compute-col"), "pfs-days"
    if ccol is None:
        raise InputError(
            "--compute-col",
            f"no compute column recognised in {p.name}; columns are: {', '.join(header)}",
        )
    unit = compute_unit or unit
    scale = units.PFS_DAY if unit == "pfs-days" else 1.0
    ncol = _pick(header, name_col, "name", "--name-col")
    mcol = _pick(header, domain_col, "domain", "--domain-col")
    idx = {h: i for i, h in enumerate(header)}
    out: list[dict[str, Any]] = []
    skipped: dict[str, int] = {}

    def skip(reason: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1

    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue  # blank line: not a data row

        def cell(col: str | None, row: list[str] = row) -> str:
            return row[idx[col]].strip() if col is not None and idx[col] < len(row) else ""

        comp = _compute(cell(ccol), scale)
        if isinstance(comp, str):
            skip(comp)
            continue
        date = _date(cell(dcol))
        if isinstance(date, str):
            skip(date)
            continue
        out.append(
            {
                "system": cell(ncol)[:MAX_CELL] or f"row {n}",
                "date": date,
                "flop": comp[0],
                "bound": comp[1],
                "domain": cell(mcol) or None,
                "method": "reported",
                "source": f"{p.name}:{n}",
            }
        )
    if not out:
        if not skipped:
            raise InputError("DATA", f"{p}: a header but no data rows")
        detail = ", ".join(f"{v} {k}" for k, v in skipped.items())
        if all("compute" in k for k in skipped):
            raise InputError(
                "--compute-col",
                f"no usable compute values in column {ccol!r} of {p.name} ({detail})",
            )
        raise InputError("DATA", f"{p}: no usable rows ({detail})")
    return Points(make_table(out), skipped, str(p))
