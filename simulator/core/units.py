"""Units of compute, rate and time, and a parser for what people type.

Canonical units: operations in FLOP, rates in FLOP/s, time in seconds. One multiply-add (MAC, FMA,
add-multiply) is 2 FLOP; whether a count is in MAC or FLOP is never guessed: a bare number takes
the unit of the field it is given to, and an explicit unit of the other kind is converted exactly.
"""

from __future__ import annotations

import math
import numbers
import re

from computesim.errors import InputError, require_positive, shown

PF = 1e15  #: one petaflop (operations)
SECONDS_PER_DAY = 86_400.0
PFS_DAY = PF * SECONDS_PER_DAY  #: one petaflop/s-day = 8.64e19 operations
FLOP_PER_MAC = 2.0  #: one multiply-add is two operations
TRAIN_OVER_FORWARD = 3.0  #: forward + backward (backward ~ 2x forward)

SI_PREFIX = {
    "": 1.0,
    "k": 1e3,
    "K": 1e3,
    "M": 1e6,
    "G": 1e9,
    "B": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Z": 1e21,
    "Y": 1e24,
}

# unit word (lower case, no prefix) -> (kind, factor to canonical)
_OPS_WORDS = {
    "flop": 1.0,
    "flops": 1.0,
    "op": 1.0,
    "ops": 1.0,
    "operation": 1.0,
    "operations": 1.0,
    "mac": FLOP_PER_MAC,
    "macs": FLOP_PER_MAC,
    "fma": FLOP_PER_MAC,
    "fmas": FLOP_PER_MAC,
    "multiply-add": FLOP_PER_MAC,
    "multiply-adds": FLOP_PER_MAC,
    "add-multiply": FLOP_PER_MAC,
    "add-multiplies": FLOP_PER_MAC,
}
_RATE_WORDS = {"flop/s": 1.0, "flops/s": 1.0, "flop/sec": 1.0, "op/s": 1.0, "ops/s": 1.0}
_TIME_WORDS = {
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": SECONDS_PER_DAY,
    "day": SECONDS_PER_DAY,
    "days": SECONDS_PER_DAY,
    "w": 7 * SECONDS_PER_DAY,
    "wk": 7 * SECONDS_PER_DAY,
    "week": 7 * SECONDS_PER_DAY,
    "weeks": 7 * SECONDS_PER_DAY,
}
_SPECIAL_OPS = {
    "pf": PF,
    "pfs-day": PFS_DAY,
    "pfs-days": PFS_DAY,
    "petaflop/s-day": PFS_DAY,
    "petaflop/s-days": PFS_DAY,
    "pf-day": PFS_DAY,
    "pf-days": PFS_DAY,
}

KINDS = ("count", "ops", "macs", "rate", "time")
_CANONICAL = {"count": "", "ops": "FLOP", "macs": "MAC", "rate": "FLOP/s", "time": "s"}

MAX_TEXT = 1000  #: most characters one field's text may have (longer text is an InputError)

# Applied to stripped text with fullmatch: no pattern can backtrack over a long run (linear time).
_NUMBER = re.compile(
    r"([+-]?(?:\d[\d,_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?inf|nan)\s*(.*)", re.I | re.S
)
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?")


def check_text(text: str, field: str) -> str:
    """``text`` if at most MAX_TEXT characters, else InputError naming ``field``."""
    if len(text) > MAX_TEXT:
        raise InputError(
            field, f"too long: {len(text)} characters (at most {MAX_TEXT}): {shown(text)}"
        )
    return text


def scalar(value: object, field: str) -> str | float:
    """A field's raw value as text (at most MAX_TEXT characters) or a float; InputError otherwise.

    Accepts str and real numbers (int, float, NumPy scalars, Fraction). Refuses bool, bytes, None and
    every other type, naming ``field`` and the type; the one check every quantity parser starts with.
    """
    if isinstance(value, str):
        return check_text(value, field)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            raise InputError(field, f"too large for a float64: {shown(value)}") from None
    raise InputError(
        field, f"expected a number or text, got a {type(value).__name__}: {shown(value)}"
    )


def _split(text: str, field: str) -> tuple[float, str]:
    """(number, unit text) of "5.5 days"; linear time in ``len(text)``."""
    text = check_text(str(text), field)
    m = _NUMBER.fullmatch(text.strip())
    if not m:
        raise InputError(field, f"cannot read a number in {shown(text)}")
    num, unit = m.group(1), m.group(2)
    if "," in num and not _THOUSANDS.fullmatch(num):
        raise InputError(field, f"misplaced thousands separator in {shown(text)}")
    return float(num.replace(",", "").replace("_", "")), unit


def _lookup(unit: str, kind: str) -> tuple[str, float] | None:
    """(kind, factor to canonical) of a unit word with an optional SI prefix, or None.

    "FLOPS" is ambiguous in the wild (a rate, or a plural count as in the source's "0.75 GFLOPS"
    per image); it is read as a rate for rate fields and as a count of FLOP elsewhere.
    """
    u = unit.replace(" ", "")
    low = u.lower()
    if low in _SPECIAL_OPS:
        return "ops", _SPECIAL_OPS[low]
    if low in _TIME_WORDS:
        return "time", _TIME_WORDS[low]
    for prefix in ("", u[:1]):
        if prefix and prefix not in SI_PREFIX:
            continue
        scale, word = SI_PREFIX[prefix], u[len(prefix) :].lower()
        if word == "flops" or word == "flop/s" or word in _RATE_WORDS:
            if word == "flops" and kind != "rate":
                return "ops", scale
            return "rate", scale
        if word in _OPS_WORDS:
            return ("macs" if _OPS_WORDS[word] == FLOP_PER_MAC else "ops"), scale * _OPS_WORDS[word]
        if prefix and word == "":
            return "count", scale
    return None


def parse(text: str | float, kind: str, field: str) -> float:
    """Parse ``text`` into the canonical unit of ``kind``; a bare number takes that unit.

    kind: "count" (dimensionless, SI suffix allowed: "348M"), "ops" (FLOP), "macs" (multiply-adds),
    "rate" (FLOP/s: "8.5 TFLOPS", "1.58 TFLOP/s"), "time" (seconds: "5.5 days", "12,000 h").
    MAC <-> FLOP conversion is exact (x2 or /2) and happens only when a unit is written.
    Sign and size are not checked here (see errors.require_positive).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown unit kind {kind!r}")
    text = scalar(text, field)
    if isinstance(text, float):
        return text
    value, unit = _split(text, field)
    if not unit:
        return value
    got = _lookup(unit, kind)
    if got is None:
        raise InputError(field, f"unknown unit {shown(unit)} in {shown(text)}")
    got_kind, factor = got
    if kind in ("ops", "macs") and got_kind in ("ops", "macs"):
        flop = value * factor
        return flop / FLOP_PER_MAC if kind == "macs" else flop
    if got_kind == kind:
        return value * factor
    want = _CANONICAL[kind] or "a plain number"
    raise InputError(
        field, f"expected {want}, got {shown(unit)} (a {got_kind} unit) in {shown(text)}"
    )


def parse_compute(text: str | float, field: str) -> float:
    """An amount of compute in FLOP, finite and > 0: text needs a unit ("1e25FLOP", "0.1 pfs-days").

    A bare number in text is refused (FLOP or pfs-days would be a guess); a Python number is FLOP.
    """
    value = scalar(text, field)
    if isinstance(value, str) and not _split(value, field)[1]:
        raise InputError(field, f"{shown(value)} needs a unit (e.g. 1e25FLOP or 0.1pfs-days)")
    return require_positive(field, parse(value, "ops", field))


def flop_to_pfs_days(flop: float) -> float:
    """FLOP -> petaflop/s-days (8.64e19 FLOP each)."""
    return flop / PFS_DAY


def pfs_days_to_flop(pfs_days: float) -> float:
    """petaflop/s-days -> FLOP."""
    return pfs_days * PFS_DAY


def sig(x: float, digits: int = 3) -> str:
    """``x`` to ``digits`` significant figures, plain or scientific, whichever reads better."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    exp = math.floor(math.log10(abs(x)))
    if -4 <= exp < 6:
        text = f"{x:.{max(digits - 1 - exp, 0)}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    mant, _, e = f"{x:.{digits - 1}e}".partition("e")
    mant = mant.rstrip("0").rstrip(".") if "." in mant else mant
    return f"{mant}e{int(e)}"


def format_compute(flop: float, digits: int = 3) -> str:
    """FLOP and pfs-days side by side: ``'4.72e+17 FLOP = 0.00546 pfs-days'``."""
    return f"{flop:.{digits - 1}e} FLOP = {sig(flop_to_pfs_days(flop), digits)} pfs-days"


def format_time(seconds: float) -> str:
    """Seconds in the largest unit that keeps the number >= 1 (s, h, days)."""
    if seconds >= SECONDS_PER_DAY:
        return f"{sig(seconds / SECONDS_PER_DAY)} days"
    if seconds >= 3600:
        return f"{sig(seconds / 3600)} h"
    return f"{sig(seconds)} s"
