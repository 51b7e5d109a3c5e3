"""The one table reader: a file or a Python table in, every row's roles parsed, problems counted.

Sources (``load``): CSV (quoted cells spanning lines, a UTF-8 BOM, ',' ';' or tab delimiters
from the header row, rows with the wrong number of cells counted as malformed), Parquet and
Arrow IPC (file or stream; told by their first bytes, whatever the file is called), and in
Python a pyarrow Table or RecordBatch, or any object with ``__arrow_c_stream__`` (pandas,
Polars, DuckDB results) or that ``pyarrow.table`` accepts.

``read_table`` then recognises the layout (``layouts.recognise``), parses each role's column
(numbers and dates as ``cells`` reads them; compute cells may carry a unit, "3e23 FLOP", or be
an upper bound, "< 1e20"), and keeps, for every row, why a role is unusable. Nothing is dropped:
consumers choose the roles they need and count the rest by reason (``Dataset.skipped``).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from computesim.core import units
from computesim.core.inputs import parse_quantity
from computesim.core.quantity import UpperBound
from computesim.data import cells
from computesim.data.layouts import Recognised, recognise
from computesim.errors import InputError

MIN_FLOP, MAX_FLOP = 1e-10, 1e40  #: compute accepted in data rows (FLOP)
MAX_CELL = 1000  #: longest cell read (characters); longer compute or date cells: unusable
DELIMITERS = (",", ";", "\t")
NUMBER_ROLES = ("quantity", "hours", "utilization", "params", "dataset_size", "epochs")
TEXT_ROLES = ("hardware", "precision", "domain", "organization", "confidence")


@dataclass(frozen=True)
class Origin:
    """Where a table came from: file name (or a description), SHA-256 of its bytes, format."""

    name: str
    sha256: str | None
    format: str
    delimiter: str | None = None
    malformed_rows: int = 0  #: CSV rows with the wrong number of cells (not in the table)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sha256": self.sha256,
            "format": self.format,
            "delimiter": self.delimiter,
            "malformed_rows": self.malformed_rows,
        }


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a CSV header row: the most frequent of ',' ';' tab outside quotes
    (',' on a tie or when there is none)."""
    outside, quoted = [], False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(ch)
    text = "".join(outside)
    counts = {d: text.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=counts.__getitem__)
    return best if counts[best] else ","


def _header(data: bytes, name: str) -> tuple[list[str], str]:
    import csv
    import io

    head = data[: 1 << 16]
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            raise InputError(
                "DATA",
                f"{name}: not UTF-8 text (byte {head[exc.start]:#04x} at offset {exc.start})",
            ) from None
        text = head[: exc.start].decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    delim = sniff_delimiter(first)
    try:
        row = next(csv.reader(io.StringIO(text, newline=""), delimiter=delim), [])
    except csv.Error as exc:
        raise InputError("DATA", f"{name}: not a readable CSV file ({exc})") from None
    if not any(c.strip() for c in row):
        raise InputError("DATA", f"{name}: empty file, or no header row")
    return [c.strip() for c in row], delim


def _read_csv(data: bytes, name: str) -> tuple[Any, str, int]:
    import io

    import pyarrow as pa
    import pyarrow.csv as pc

    header, delim = _header(data, name)
    bad = [0]

    def invalid(row: Any) -> str:
        bad[0] += 1
        return "skip"

    names = [h or f"column {i + 1}" for i, h in enumerate(header)]
    try:
        table = pc.read_csv(
            io.BytesIO(data),
            read_options=pc.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pc.ParseOptions(
                delimiter=delim, newlines_in_values=True, invalid_row_handler=invalid
            ),
            convert_options=pc.ConvertOptions(
                column_types={c: pa.string() for c in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        msg = str(exc).splitlines()[0][:200]
        if "skip initial" in msg:  # a header row and nothing after it
            return pa.table({c: pa.array([], pa.string()) for c in names}), delim, bad[0]
        if "UTF8" in msg or "utf8" in msg.lower():
            raise InputError("DATA", f"{name}: not UTF-8 text ({msg})") from None
        raise InputError("DATA", f"{name}: not a readable CSV file ({msg})") from None
    return table, delim, bad[0]


def _read_bytes(data: bytes, name: str) -> tuple[Any, Origin]:
    import io

    import pyarrow as pa

    sha = hashlib.sha256(data).hexdigest()
    try:
        if data[:4] == b"PAR1":
            import pyarrow.parquet as pq

            return pq.read_table(io.BytesIO(data)), Origin(name, sha, "parquet")
        if data[:6] == b"ARROW1":
            return pa.ipc.open_file(pa.BufferReader(data)).read_all(), Origin(name, sha, "arrow")
        if data[:4] == b"\xff\xff\xff\xff":
            return pa.ipc.open_stream(pa.BufferReader(data)).read_all(), Origin(
                name, sha, "arrow-stream"
            )
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError("DATA", f"cannot read {name}: {str(exc).splitlines()[0][:200]}") from None
    if name.endswith((".parquet", ".arrow", ".feather", ".ipc")):
        raise InputError("DATA", f"cannot read {name}: not a Parquet or Arrow file")
    table, delim, bad = _read_csv(data, name)
    return table, Origin(name, sha, "csv", delim, bad)


def load(source: Any) -> tuple[Any, Origin]:
    """(pyarrow Table, Origin) of a file path or a Python table (see the module docstring)."""
    import pyarrow as pa

    if isinstance(source, (str, Path)):
        p = Path(source)
        if p.is_dir():
            raise InputError("DATA", f"{p}: is a directory, not a table file")
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            raise InputError("DATA", f"{p}: no such file") from None
        except OSError as exc:
            raise InputError("DATA", f"{p}: cannot read: {exc.strerror or exc}") from None
        return _read_bytes(data, p.name)
    if isinstance(source, pa.RecordBatch):
        source = pa.Table.from_batches([source])
    if isinstance(source, pa.Table):
        return source, Origin("<pyarrow.Table>", None, "python")
    try:
        table = pa.table(source)
    except (TypeError, ValueError, pa.ArrowException) as exc:
        raise InputError(
            "source",
            f"expected a file path, a pyarrow Table or an object with __arrow_c_stream__, "
            f"got {type(source).__name__} ({str(exc).splitlines()[0][:120]})",
        ) from None
    return table, Origin(f"<{type(source).__module__}.{type(source).__name__}>", None, "python")


# --- parsing one column ----------------------------------------------------------------------
def _by_unique(col: Any, parse: Callable[[Any], tuple[Any, str | None]]) -> tuple[list, list]:
    """(values, reasons) per row: ``parse`` called once per distinct cell (None: a null)."""
    import pyarrow.compute as pc

    col = col.combine_chunks() if hasattr(col, "combine_chunks") else col
    uniq = pc.unique(col)
    parsed = [parse(v) for v in uniq.to_pylist()]
    idx = pc.index_in(col, value_set=uniq).to_pylist()
    null = parse(None)
    vals = [parsed[i][0] if i is not None else null[0] for i in idx]
    why = [parsed[i][1] if i is not None else null[1] for i in idx]
    return vals, why


def _is_text(col: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_string(col.type) or pa.types.is_large_string(col.type)


def _as_text(col: Any) -> Any:
    """A column as strings (numbers written as Python writes them; nulls kept)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if _is_text(col):
        return col
    if pa.types.is_floating(col.type) or pa.types.is_integer(col.type):
        return pa.chunked_array(
            [pa.array([None if v is None else repr(v) for v in col.to_pylist()], pa.string())]
        )
    return pc.cast(col, pa.string())


def _fast_numbers(col: Any) -> Any:
    """(float64 values, null mask) of a column that is numeric or plain numbers and blanks,
    else None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_floating(col.type) or pa.types.is_integer(col.type):
        return _with_nulls(pc.cast(col, pa.float64()))
    if not _is_text(col):
        return None
    t = pc.utf8_trim_whitespace(col)
    longest = pc.max(pc.utf8_length(t)).as_py()
    if longest is not None and longest > MAX_CELL:
        return None
    blank = pc.is_in(pc.utf8_lower(t), value_set=pa.array(sorted(cells.BLANKS)))
    t = pc.if_else(blank, pa.scalar(None, pa.string()), t)
    try:
        out = pc.cast(t, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return _with_nulls(out)


def _with_nulls(arr: Any) -> tuple[Any, Any]:
    """(float64 values, null mask) of a float column (nulls: blank cells; NaN: a "nan" cell)."""
    import numpy as np
    import pyarrow.compute as pc

    null = np.asarray(pc.is_null(arr).to_numpy(zero_copy_only=False), bool)
    vals = np.asarray(pc.fill_null(arr, 0.0).to_numpy(zero_copy_only=False), np.float64)
    return vals, null


def numbers(col: Any, what: str, decimal_comma: bool = False) -> tuple[Any, list[str | None]]:
    """(float64 NumPy array, NaN where unusable; reason per row) of a number column."""
    import numpy as np

    fast = _fast_numbers(col)
    if fast is not None:
        vals, null = fast
        why = [
            f"empty {what}" if b else None if math.isfinite(v) else f"{what} not finite"
            for v, b in zip(vals.tolist(), null.tolist())
        ]
        return np.where([w is None for w in why], vals, np.nan), why

    def parse(v: Any) -> tuple[float, str | None]:
        if v is None or cells.is_blank(str(v)):
            return math.nan, f"empty {what}"
        x = cells.parse_number(str(v), decimal_comma)
        return (x, None) if x is not None else (math.nan, f"unreadable {what}")

    vals, why = _by_unique(_as_text(col), parse)
    return np.array(vals, np.float64), why


def compute_cell(text: str | None, scale: float, decimal_comma: bool = False) -> tuple:
    """(FLOP, "point" | "upper", None) from a compute cell, or (NaN, "", reason); bare numbers
    are in the column's unit (``scale`` FLOP)."""
    s = "" if text is None else str(text).strip()
    if cells.is_blank(s):
        return math.nan, "", "empty compute"
    if len(s) > MAX_CELL:
        return math.nan, "", f"compute cell longer than {MAX_CELL} characters"
    x = cells.parse_number(s, decimal_comma)
    if x is not None:
        value, kind = x * scale, "point"
        if not math.isfinite(x):
            return math.nan, "", "compute not finite"
        if x <= 0:
            return math.nan, "", "compute not positive"
    else:
        try:
            bare = units._split(s.lstrip("<=≤ "), "compute")[1] == ""
            q = parse_quantity(s, "ops", "compute", bounds=True)
        except InputError as exc:
            p = exc.problem
            reason = (
                "compute not positive"
                if "positive" in p
                else "compute not finite"
                if "finite" in p or "NaN" in p
                else "unreadable compute"
            )
            return math.nan, "", reason
        value = q.point * (scale if bare else 1.0)
        kind = "upper" if isinstance(q, UpperBound) else "point"
    if not MIN_FLOP <= value <= MAX_FLOP:
        return math.nan, "", f"compute out of range ({MIN_FLOP:g} to {MAX_FLOP:g} FLOP)"
    return value, kind, None


def compute_column(col: Any, scale: float, decimal_comma: bool = False):
    """(FLOP array, kinds, reasons) of a compute column (see ``compute_cell``)."""
    import numpy as np

    fast = _fast_numbers(col)
    if fast is not None:
        raw, null = fast
        with np.errstate(over="ignore"):  # overflow to inf is reported below as out of range
            v = raw * scale
        why: list[str | None] = []
        for x, f, b in zip(raw.tolist(), v.tolist(), null.tolist()):
            if b:
                why.append("empty compute")
            elif not math.isfinite(x):
                why.append("compute not finite")
            elif x <= 0:
                why.append("compute not positive")
            elif not MIN_FLOP <= f <= MAX_FLOP:
                why.append(f"compute out of range ({MIN_FLOP:g} to {MAX_FLOP:g} FLOP)")
            else:
                why.append(None)
        ok = np.array([w is None for w in why], bool)
        return np.where(ok, v, np.nan), ["point" if w is None else "" for w in why], why
    vals, why = _by_unique(
        _as_text(col),
        lambda s: (lambda r: ((r[0], r[1]), r[2]))(compute_cell(s, scale, decimal_comma)),
    )
    return np.array([v[0] for v in vals], np.float64), [v[1] for v in vals], why


def date_column(col: Any, column: str, default_day_first: bool = True):
    """(dates, reasons, note) of a date column: date/timestamp types as they are; text and
    numbers as ``cells.parse_date`` reads them, day/month order decided for the column."""
    import datetime as dt

    import pyarrow as pa

    if pa.types.is_date(col.type) or pa.types.is_timestamp(col.type):
        vals = [v.date() if isinstance(v, dt.datetime) else v for v in col.to_pylist()]
        why = [("empty date" if v is None else cells.date_reason(v)) for v in vals]
        return [v if w is None else None for v, w in zip(vals, why)], why, None
    text = _as_text(col)
    import pyarrow.compute as pc

    uniq = [u for u in pc.unique(text).to_pylist() if u is not None]
    style = cells.date_style(uniq, column, default_day_first)
    slashed = any(cells._ABY.match(u.strip()) for u in uniq)

    def parse(v: Any) -> tuple[Any, str | None]:
        if v is None or cells.is_blank(v):
            return None, "empty date"
        if len(v) > MAX_CELL:
            return None, "unreadable date"
        d = cells.parse_date(v, style.day_first)
        why = cells.date_reason(d)
        return (d, None) if why is None else (None, why)

    vals, why = _by_unique(text, parse)
    return vals, why, style.note if slashed else None


# --- the dataset -----------------------------------------------------------------------------
@dataclass
class Dataset:
    """A table read, its roles parsed. Arrays have one entry per input row (NaN / None: not
    given or unusable, with the reason in ``problems[role]``)."""

    raw: Any  #: the pyarrow Table as read
    origin: Origin
    recognised: Recognised
    names: list[str]
    dates: list[Any]
    flop: Any  #: float64 NumPy array, FLOP
    bound: list[str]  #: "point" or "upper" (compute is at most ``flop``); "" when unusable
    flop_low: Any
    flop_high: Any
    numbers: dict[str, Any] = field(default_factory=dict)  #: NUMBER_ROLES -> float64 arrays
    text: dict[str, list[str | None]] = field(default_factory=dict)  #: TEXT_ROLES -> cells
    problems: dict[str, list[str | None]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    arrays: dict[str, Any] = field(default_factory=dict, repr=False)  #: see ``arrow``

    @property
    def n_rows(self) -> int:
        return len(self.names)

    def arrow(self, role: str) -> Any:
        """The cells of "name", "date" (date32), "bound" or a text role as a pyarrow array (the
        same values as the lists; None: blank), made once (``read_table`` makes them as it reads);
        None when the table has no such column."""
        got = self.arrays.get(role)
        if got is None:
            import pyarrow as pa  # heavy: only for the columnar paths

            values: Any = {"name": self.names, "date": self.dates, "bound": self.bound}.get(
                role, self.text.get(role)
            )
            if values is None:
                return None
            got = pa.array(values, pa.date32() if role == "date" else pa.string())
            self.arrays[role] = got
        return got

    def reasons(self, roles: Sequence[str]) -> list[str | None]:
        """Per row, the first of ``roles`` that is unusable, as its reason (None: all usable)."""
        out: list[str | None] = [None] * self.n_rows
        for role in roles:
            probs = self.problems.get(role)
            if probs is None:
                continue
            out = [o if o is not None else p for o, p in zip(out, probs)]
        return out

    def skipped(self, roles: Sequence[str]) -> dict[str, int]:
        """Reason -> number of rows for which one of ``roles`` is unusable (plus malformed CSV
        rows, which are not in the table)."""
        out: dict[str, int] = {}
        if self.origin.malformed_rows:
            out["malformed row (wrong number of cells)"] = self.origin.malformed_rows
        for r in self.reasons(roles):
            if r is not None:
                out[r] = out.get(r, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin.to_dict(),
            **self.recognised.to_dict(),
            "rows": self.n_rows,
            "notes": list(self.notes),
        }


def _drop_blank_rows(table: Any) -> Any:
    """The table without rows whose every cell is empty (blank lines of a CSV file)."""
    import pyarrow.compute as pc

    if table.num_rows == 0 or table.num_columns == 0:
        return table
    keep = None
    for col in table.columns:
        if _is_text(col):
            filled = pc.not_equal(pc.utf8_trim_whitespace(pc.fill_null(col, "")), "")
        else:
            filled = pc.is_valid(col)
        keep = filled if keep is None else pc.or_(keep, filled)
    return table.filter(keep) if not pc.all(keep).as_py() else table


def read_table(
    source: Any,
    *,
    layout: str | None = None,
    columns: Mapping[str, str | None] | None = None,
    compute_unit: str | None = None,
) -> Dataset:
    """Read a table and parse its roles (see the module docstring).

    ``layout``: a layout name to use instead of the one detected; ``columns``: role -> column
    overrides (``layouts.ROLES``); ``compute_unit``: "flop" or "pfs-days", the unit of bare
    numbers in the compute column (by default the role's: flop or pfs_days).

    >>> import pyarrow as pa
    >>> ds = read_table(
    ...     pa.table(
    ...         {
    ...             "Model": ["GPT-3 175B"],
    ...             "Publication date": ["28/05/2020"],
    ...             "Training compute (FLOP)": ["3.14e+23"],
    ...         }
    ...     )
    ... )
    >>> ds.recognised.layout, ds.dates[0].isoformat(), float(ds.flop[0])
    ('epoch-ai-models', '2020-05-28', 3.14e+23)
    """
    import numpy as np

    if compute_unit not in (None, "flop", "pfs-days"):
        raise InputError("compute_unit", f"must be flop or pfs-days, got {compute_unit!r}")
    raw, origin = load(source)
    raw = _drop_blank_rows(raw)
    rec = recognise(raw.column_names, layout, columns)
    n = raw.num_rows
    cols = rec.columns
    comma = origin.delimiter == ";"
    notes: list[str] = []
    problems: dict[str, list[str | None]] = {}

    def col(role: str) -> Any:
        return raw.column(raw.column_names.index(cols[role]))

    if "name" in cols:
        names_raw = _as_text(col("name")).to_pylist()
        names = [
            (s.strip()[:MAX_CELL] if s and s.strip() else f"row {i + 1}")
            for i, s in enumerate(names_raw)
        ]
    else:
        names = [f"row {i + 1}" for i in range(n)]
    if "date" in cols:
        dates, problems["date"], note = date_column(col("date"), cols["date"], rec.day_first)
        notes += [note] if note else []
    else:
        dates, problems["date"] = [None] * n, ["no date column"] * n
    crole = "flop" if "flop" in cols else "pfs_days" if "pfs_days" in cols else None
    if crole is not None:
        unit = compute_unit or ("pfs-days" if crole == "pfs_days" else "flop")
        scale = units.PFS_DAY if unit == "pfs-days" else 1.0
        flop, bound, problems["flop"] = compute_column(col(crole), scale, comma)
    else:
        flop, bound, problems["flop"] = np.full(n, np.nan), [""] * n, ["no compute column"] * n
    lows = {}
    for role in ("flop_low", "flop_high"):
        if role in cols:
            v, _, why = compute_column(col(role), 1.0, comma)
            problems[role] = [w.replace("compute", "bound") if w else None for w in why]
        else:
            v = np.full(n, np.nan)
        lows[role] = v
    nums = {}
    for role in NUMBER_ROLES:
        if role in cols:
            nums[role], problems[role] = numbers(col(role), role, comma)
    text: dict[str, list[str | None]] = {}
    for role in TEXT_ROLES:
        if role in cols:
            vals = _as_text(col(role)).to_pylist()
            text[role] = [v.strip() if v is not None and v.strip() else None for v in vals]
    ds = Dataset(
        raw,
        origin,
        rec,
        names,
        dates,
        flop,
        bound,
        lows["flop_low"],
        lows["flop_high"],
        nums,
        text,
        problems,
        notes,
    )
    for role in ("name", "date", "bound", *text):  # the columnar views, made once as it reads
        ds.arrow(role)
    return ds
