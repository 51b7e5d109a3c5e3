"""Cells of data tables as numbers and dates: blanks, thousands separators, date styles.

Blanks: an empty cell or one of ``BLANKS`` ("N/A", "NA", "-", "?", "unknown", ...; case ignored).
Numbers: "3.1e23", "1,234,567" or "1 234 567" (thousands), "1.234.567,5" (European), and with
``decimal_comma`` (a ';'-delimited file) "3,5". Dates, one style decided per column
(``date_style``): ISO "YYYY-MM-DD" (a time after it ignored), "YYYY-MM" (the 15th), a bare year
(1 July, mid-year), day/month/year with '/', '.' or '-' (day first or month first, decided from
the column's values), and Excel serial day numbers (1900 date system, 10000 and above).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

YEAR_MIN, YEAR_MAX = 1900, 2200  #: dates accepted (years)
EXCEL_EPOCH = dt.date(1899, 12, 30)  #: Excel's day 0 (1900 date system, its leap-year bug kept)
EXCEL_MIN, EXCEL_MAX = 10_000, 73_050  #: Excel serials read as dates (1927-05-18 .. 2099-12-31)

BLANKS = frozenset(
    {
        "",
        "n/a",
        "na",
        "none",
        "null",
        "-",
        "--",
        "\u2014",
        "\u2013",
        "?",
        "unknown",
        "#n/a",
        "missing",
    }
)

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_SPACED = re.compile(r"^[+-]?\d{1,3}([ \u00a0\u202f\u2009]\d{3})+([.,]\d*)?$")
_EUROPEAN = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+([eE][+-]?\d+)?$")


def is_blank(text: str | None) -> bool:
    """True for None, an empty cell or an N/A-style placeholder (``BLANKS``)."""
    return text is None or text.strip().lower() in BLANKS


def parse_number(text: str, decimal_comma: bool = False) -> float | None:
    """The number a cell writes (thousands separators allowed), or None if it is not one."""
    s = text.strip()
    try:
        return float(s)
    except ValueError:
        pass
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    elif _SPACED.match(s):
        s = re.sub(r"[ \u00a0\u202f\u2009]", "", s).replace(",", ".")
    elif _EUROPEAN.match(s):
        s = s.replace(".", "").replace(",", ".")
    elif decimal_comma and _DECIMAL_COMMA.match(s):
        s = s.replace(",", ".")
    else:
        return None
    try:
        return float(s)
    except ValueError:
        return None


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_YM = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})(?:\.0+)?$")
_ABY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: .*)?$")
_SERIAL = re.compile(r"^(\d{5})(?:\.\d*)?$")


@dataclass(frozen=True)
class DateStyle:
    """How a column writes day/month/year dates: ``day_first``, and the sentence that says why."""

    day_first: bool
    note: str


def date_style(values: Iterable[str], column: str, default_day_first: bool = True) -> DateStyle:
    """Day first or month first for the a/b/YYYY dates of one column: a first field above 12
    means day first, a second field above 12 month first; when no value decides (or values
    disagree), ``default_day_first`` is taken and the note says so."""
    day = month = 0
    for v in values:
        if m := _ABY.match(v.strip()):
            a, b = int(m[1]), int(m[2])
            day += a > 12
            month += b > 12
    default = "DD/MM/YYYY" if default_day_first else "MM/DD/YYYY"
    if day and not month:
        return DateStyle(True, f"{column}: DD/MM/YYYY ({day} dates have a day above 12 first)")
    if month and not day:
        return DateStyle(False, f"{column}: MM/DD/YYYY ({month} dates have a day above 12 second)")
    if day and month:
        return DateStyle(
            default_day_first,
            f"{column}: day/month order conflicts ({day} day-first, {month} month-first "
            f"dates); read as {default}, the others are unreadable",
        )
    return DateStyle(
        default_day_first, f"{column}: day/month order not decided by any value; {default} assumed"
    )


def parse_date(text: str, day_first: bool = True) -> dt.date | None:
    """A date from a cell (styles in the module docstring), or None if it is not one."""
    s = str(text).strip()
    try:
        if m := _ISO.match(s):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _ABY.match(s):
            a, b = int(m[1]), int(m[2])
            day, month = (a, b) if day_first else (b, a)
            return dt.date(int(m[3]), month, day)
        if m := _YM.match(s):
            return dt.date(int(m[1]), int(m[2]), 15)
        if m := _YEAR.match(s):
            return dt.date(int(m[1]), 7, 1)
        if m := _SERIAL.match(s):
            n = int(m[1])
            if EXCEL_MIN <= n <= EXCEL_MAX:
                return EXCEL_EPOCH + dt.timedelta(days=n)
    except ValueError:
        return None
    return None


def date_reason(d: dt.date | None) -> str | None:
    """Why a parsed date is not usable (None: it is)."""
    if d is None:
        return "unreadable date"
    if not YEAR_MIN <= d.year <= YEAR_MAX:
        return f"date out of range ({YEAR_MIN} to {YEAR_MAX})"
    return None
