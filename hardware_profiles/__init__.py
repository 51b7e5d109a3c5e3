"""Hardware profiles: one TOML file per device, validated on load.

Schema (units in key names; every figure carries a source):

    name, aliases[], kind ("gpu"|"tpu"|"cpu"), vendor, release_date (TOML date),
    per ("chip"|"board"), chips_per_board, memory_gib, memory_bandwidth_gb_per_s, tdp_w (may be
    left out only where the maker publishes none; [sources] tdp_w then says so),
    default_utilization (optional; else by kind), default_precision (optional; else fp32 if
    present, else the first peak listed): the format training on that chip typically used (fp32
    before tensor units; dense bf16/fp16 tensor from Volta on; bf16 on TPUs), note (optional),
    reference_price_usd_per_hour and reference_price_date ("YYYY-MM") (optional, together: a
    dated on-demand rental price per counted device-hour, the cost fallback when none is given)
    [sources]   one entry per top-level figure above (release_date, memory_gib, ...), and
                default_precision whenever a default other than fp32 is stated, and
                reference_price_usd_per_hour (the provider's price page, the instance, and the
                instance price / devices in it) whenever a reference price is stated
    [peak.<precision>]  precision in PRECISIONS; keys: tflop_per_s (the default figure),
                low_tflop_per_s / high_tflop_per_s (range across clocks or sources, optional),
                sparse_tflop_per_s (optional, with structured sparsity), clock ("base"|"boost"|"single"),
                sparse (bool: whether tflop_per_s itself assumes sparsity; must be false for defaults),
                source, why (optional: why this default when sources disagree)

Peaks are per counted device (``per``): a K80 board counts both of its GPUs.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from computesim.errors import InputError
from computesim.io.toml import loads as _toml_loads
from computesim.io.toml import read_toml

PRECISIONS = ("fp64", "fp32", "tf32", "fp16", "bf16", "fp8", "fp4", "int8", "int4")
KINDS = ("gpu", "tpu", "cpu")
#: The source's defaults: 0.33 for GPUs, 0.17 for CPUs. TPUs get the GPU figure: the source gives
#: none, and accelerators running dense matrix work are its closest analogue.
DEFAULT_UTILIZATION = {"gpu": 0.33, "tpu": 0.33, "cpu": 0.17}

_TOP_FIGURES = {"memory_gib", "memory_bandwidth_gb_per_s", "tdp_w"}
#: Figures a profile may leave out when its maker publishes none ([sources] says why).
_OPTIONAL_FIGURES = {"tdp_w"}
_TOP_KEYS = {
    "name",
    "aliases",
    "kind",
    "vendor",
    "release_date",
    "per",
    "chips_per_board",
    "default_utilization",
    "default_precision",
    "note",
    "sources",
    "peak",
    "reference_price_usd_per_hour",
    "reference_price_date",
} | _TOP_FIGURES
_PRICE_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_PEAK_KEYS = {
    "tflop_per_s",
    "low_tflop_per_s",
    "high_tflop_per_s",
    "sparse_tflop_per_s",
    "clock",
    "sparse",
    "source",
    "why",
}


@dataclass(frozen=True)
class Peak:
    """Peak throughput of one device at one precision, in FLOP/s."""

    flop_per_s: float
    low_flop_per_s: float
    high_flop_per_s: float
    clock: str
    source: str
    sparse_flop_per_s: float | None = None
    why: str = ""


@dataclass(frozen=True)
class Profile:
    """One device as loaded from its TOML file."""

    key: str
    name: str
    aliases: tuple[str, ...]
    kind: str
    vendor: str
    release_date: _dt.date
    per: str
    chips_per_board: int
    memory_gib: float
    memory_bandwidth_gb_per_s: float
    tdp_w: float | None  #: None where the maker publishes none (sources["tdp_w"] says so)
    peaks: dict[str, Peak]
    sources: dict[str, str]
    default_utilization: float
    default_precision: str = "fp32"
    note: str = ""
    path: str = ""
    #: Dated on-demand rental price per counted device-hour (USD), its date ("YYYY-MM") and
    #: source (sources["reference_price_usd_per_hour"]); None where the profile states none.
    reference_price_usd_per_hour: float | None = None
    reference_price_date: str = ""
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    def peak(self, precision: str | None = None) -> Peak:
        """The Peak at ``precision`` (default: the profile's default precision)."""
        precision = precision or self.default_precision
        try:
            return self.peaks[precision]
        except KeyError:
            raise InputError(
                "precision",
                f"{self.name} has no {precision!r} peak; it has " + ", ".join(self.peaks),
            ) from None

    def to_dict(self) -> dict:
        """Plain-JSON view (dates as ISO strings, FLOP/s)."""
        return {
            "key": self.key,
            "name": self.name,
            "aliases": list(self.aliases),
            "kind": self.kind,
            "vendor": self.vendor,
            "release_date": self.release_date.isoformat(),
            "per": self.per,
            "chips_per_board": self.chips_per_board,
            "memory_gib": self.memory_gib,
            "memory_bandwidth_gb_per_s": self.memory_bandwidth_gb_per_s,
            "tdp_w": self.tdp_w,
            "default_utilization": self.default_utilization,
            "default_precision": self.default_precision,
            "note": self.note,
            "peak_flop_per_s": {p: v.flop_per_s for p, v in self.peaks.items()},
            "peak_range_flop_per_s": {
                p: [v.low_flop_per_s, v.high_flop_per_s] for p, v in self.peaks.items()
            },
            "sparse_peak_flop_per_s": {
                p: v.sparse_flop_per_s
                for p, v in self.peaks.items()
                if v.sparse_flop_per_s is not None
            },
            "reference_price_usd_per_hour": self.reference_price_usd_per_hour,
            "reference_price_date": self.reference_price_date or None,
            "sources": dict(self.sources),
        }


def _num(where: str, key: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(where, f"{key} must be a number, got {value!r}")
    if not (value > 0 and value < float("inf")):
        raise InputError(where, f"{key} must be positive and finite, got {value!r}")
    return float(value)


def _unknown(where: str, keys: Iterable[str], allowed: set[str]) -> None:
    for k in keys:
        if k not in allowed:
            hint = difflib.get_close_matches(k, allowed, n=1)
            unit = "" if hint else " (figures need their unit in the key, e.g. tdp_w)"
            raise InputError(
                where, f"unknown key {k!r}" + (f"; did you mean {hint[0]!r}?" if hint else unit)
            )


def _parse_peak(where: str, prec: str, raw: dict) -> Peak:
    w = f"{where} [peak.{prec}]"
    if not isinstance(raw, dict):
        raise InputError(w, "must be a table")
    _unknown(w, raw, _PEAK_KEYS)
    for req in ("tflop_per_s", "clock", "source"):
        if req not in raw:
            raise InputError(w, f"missing {req}")
    mid = _num(w, "tflop_per_s", raw["tflop_per_s"])
    lo = _num(w, "low_tflop_per_s", raw.get("low_tflop_per_s", mid))
    hi = _num(w, "high_tflop_per_s", raw.get("high_tflop_per_s", mid))
    if not lo <= mid <= hi:
        raise InputError(
            w,
            f"low_tflop_per_s/high_tflop_per_s must bracket tflop_per_s, got {lo:g}, {hi:g} "
            f"around {mid:g}",
        )
    if raw["clock"] not in ("base", "boost", "single"):
        raise InputError(w, f"clock must be base, boost or single, got {raw['clock']!r}")
    if raw.get("sparse", False):
        raise InputError(
            w,
            "sparse = true is not allowed: tflop_per_s must be the dense figure; "
            "put the sparse figure in sparse_tflop_per_s",
        )
    if not str(raw["source"]).strip():
        raise InputError(w, "empty source")
    sp = raw.get("sparse_tflop_per_s")
    return Peak(
        mid * 1e12,
        lo * 1e12,
        hi * 1e12,
        raw["clock"],
        str(raw["source"]),
        None if sp is None else _num(w, "sparse_tflop_per_s", sp) * 1e12,
        str(raw.get("why", "")),
    )


def parse_profile(raw: dict, where: str, key: str) -> Profile:
    """Validate one profile's TOML table; every problem is an InputError naming file and field."""
    _unknown(where, raw, _TOP_KEYS)
    for req in ("name", "kind", "release_date", "per", "peak", "sources") + tuple(
        sorted(_TOP_FIGURES - _OPTIONAL_FIGURES)
    ):
        if req not in raw:
            raise InputError(where, f"missing {req}")
    if raw["kind"] not in KINDS:
        raise InputError(where, f"kind must be one of {', '.join(KINDS)}, got {raw['kind']!r}")
    if raw["per"] not in ("chip", "board"):
        raise InputError(where, f"per must be chip or board, got {raw['per']!r}")
    if not isinstance(raw["release_date"], _dt.date):
        raise InputError(where, "release_date must be a TOML date such as 2014-11-17")
    sources = raw["sources"]
    if not isinstance(sources, dict):
        raise InputError(where, "[sources] must be a table")
    _unknown(
        f"{where} [sources]",
        sources,
        _TOP_FIGURES | {"release_date", "default_precision", "reference_price_usd_per_hour"},
    )
    for fig in sorted(_OPTIONAL_FIGURES - set(raw)):
        if not str(sources.get(fig, "")).strip():
            raise InputError(
                where, f"missing {fig} (where the maker publishes none, say so under [sources])"
            )
    for fig in sorted(_TOP_FIGURES | {"release_date"}):
        if not str(sources.get(fig, "")).strip():
            raise InputError(where, f"no source for {fig} (add it under [sources])")
    figures = {f: _num(where, f, raw[f]) for f in _TOP_FIGURES if f in raw}
    if not isinstance(raw["peak"], dict) or not raw["peak"]:
        raise InputError(where, "needs at least one [peak.<precision>] table")
    for prec in raw["peak"]:
        if prec not in PRECISIONS:
            raise InputError(
                where, f"unknown precision peak.{prec}; known: {', '.join(PRECISIONS)}"
            )
    peaks = {p: _parse_peak(where, p, v) for p, v in raw["peak"].items()}
    chips = raw.get("chips_per_board", 1)
    if isinstance(chips, bool) or not isinstance(chips, int) or chips < 1:
        raise InputError(where, f"chips_per_board must be a positive integer, got {chips!r}")
    util = raw.get("default_utilization", DEFAULT_UTILIZATION[raw["kind"]])
    if not (isinstance(util, (int, float)) and 0 < util <= 1):
        raise InputError(where, f"default_utilization must be in (0, 1], got {util!r}")
    default_prec = raw.get("default_precision", "fp32" if "fp32" in peaks else next(iter(peaks)))
    if default_prec not in peaks:
        raise InputError(
            where, f"default_precision {default_prec!r} has no [peak.{default_prec}] table"
        )
    if "default_precision" in raw and default_prec != "fp32":
        if not str(sources.get("default_precision", "")).strip():
            raise InputError(
                where,
                "no source for default_precision (add under [sources] why training on this "
                "chip used that format)",
            )
    price, price_date = _reference_price(where, raw, sources)
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise InputError(where, "aliases must be a list of strings")
    return Profile(
        key=key,
        name=str(raw["name"]),
        aliases=tuple(aliases),
        kind=raw["kind"],
        vendor=str(raw.get("vendor", "")),
        release_date=raw["release_date"],
        per=raw["per"],
        chips_per_board=chips,
        peaks=peaks,
        sources=dict(sources),
        default_utilization=float(util),
        default_precision=default_prec,
        note=str(raw.get("note", "")),
        path=where,
        memory_gib=figures["memory_gib"],
        memory_bandwidth_gb_per_s=figures["memory_bandwidth_gb_per_s"],
        tdp_w=figures.get("tdp_w"),
        reference_price_usd_per_hour=price,
        reference_price_date=price_date,
    )


def _reference_price(where: str, raw: dict, sources: dict) -> tuple[float | None, str]:
    """(price in USD per device-hour, "YYYY-MM") or (None, ""): a price needs a date and a source."""
    key, date_key = "reference_price_usd_per_hour", "reference_price_date"
    if key not in raw:
        if date_key in raw or key in sources:
            raise InputError(where, f"{date_key} or its source without {key}")
        return None, ""
    price = _num(where, key, raw[key])
    date = raw.get(date_key)
    if not isinstance(date, str) or not _PRICE_DATE.match(date):
        raise InputError(
            where, f'{key} needs {date_key} = "YYYY-MM" (when the price was read), got {date!r}'
        )
    if not str(sources.get(key, "")).strip():
        raise InputError(
            where,
            f"no source for {key} (add under [sources] the price page, the instance and "
            "instance price / devices)",
        )
    return price, date


def load_profile_file(path: str | Path) -> Profile:
    """Load and validate one TOML profile file (a user's own, or a built-in one)."""
    p = Path(path)
    return parse_profile(read_toml(p, "profile_file"), str(p), p.stem)


@lru_cache(maxsize=1)
def builtin_profiles() -> tuple[Profile, ...]:
    """All profiles shipped with computesim, sorted by release date."""
    files = sorted(
        (f for f in resources.files(__name__).iterdir() if f.name.endswith(".toml")),
        key=lambda f: f.name,
    )
    profs = [
        parse_profile(_toml_loads(f.read_text(encoding="utf-8")), f.name, f.name[:-5])
        for f in files
    ]
    return tuple(sorted(profs, key=lambda p: (p.release_date, p.key)))


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


#: Maker and brand words datasets put before a chip's name ("NVIDIA Tesla V100", "Google TPU v4").
_BRANDS = ("nvidia", "google", "amd", "intel", "tesla", "geforce", "quadro", "instinct", "cloud")


def _bare(s: str) -> str:
    """``s`` normalised, without the maker and brand words in front of the chip's name."""
    t = _norm(s)
    stripped = True
    while stripped:
        stripped = False
        for b in _BRANDS:
            if t.startswith(b) and len(t) > len(b):
                t, stripped = t[len(b) :], True
    return t


def _names(p: Profile) -> list[str]:
    return [p.key, p.name, *p.aliases]


def find_profile(name: str, extra: Iterable[Profile] = ()) -> Profile:
    """The profile whose key, name or alias matches ``name`` (case, spaces and dashes ignored).

    ``extra`` profiles (from ``--profile-file``) take precedence. Unknown names raise InputError
    with the nearest names as suggestions.

    >>> k80 = find_profile("tesla-k80")
    >>> k80.name, k80.peak().flop_per_s, k80.default_utilization  # FLOP/s, fraction
    ('Tesla K80', 8500000000000.0, 0.33)
    >>> find_profile("GTX 508")
    Traceback (most recent call last):
    ...
    computesim.kernels.errors.InputError: device: unknown device 'GTX 508'; did you mean 'GTX 580', 'GTX580', 'GTX 1080 Ti'?
    """
    pool = [*extra, *builtin_profiles()]
    want = _norm(name)
    for p in pool:
        if want and any(_norm(n) == want for n in _names(p)):
            return p
    # as datasets spell them ("NVIDIA A100 SXM4 80 GB"): without maker and brand words, if that
    # names one device only
    bare = _bare(name)
    hits = {p.key: p for p in pool if bare and any(_bare(n) == bare for n in _names(p))}
    if len(hits) == 1:
        return next(iter(hits.values()))
    everyone = {n: p for p in pool for n in _names(p)}
    near = difflib.get_close_matches(name, list(everyone), n=3, cutoff=0.5)
    near = near or [n for n in everyone if want and want in _norm(n)][:3]
    hint = (
        f"; did you mean {', '.join(repr(n) for n in near)}?"
        if near
        else "; see `computesim profiles`"
    )
    raise InputError("device", f"unknown device {name!r}{hint}")
