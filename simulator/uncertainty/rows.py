"""A band for every row of a dataset (``dataset_bands``), and the threshold audit over them.

Each row's band, first rule that applies:

1. ``bounds``: the row's lower and upper bound columns, read as a central ``bounds_level``
   interval (default 90%) of a lognormal (median: their geometric mean). With one bound only,
   the recorded value is the median and that bound sets the width.
2. ``confidence``: the recorded value as the median of a lognormal whose 90% interval is
   [value / f, value x f], f from the row's confidence level (``CONFIDENCE_FACTORS``). Blank or
   unknown levels get the widest factor, or no band with ``unknown="exclude"``.
3. ``hardware`` / ``ops``: no recorded compute, but chips, their number and the training time
   (method 2, ``estimate_hardware``), or parameters and a token count (method 1, 6 N D): the band
   ``computesim estimate`` would give, with the method error (default 2x).

Rows with none of these get no band and say why (``status``); nothing is dropped.

Cross-check: every row with those inputs also gets the re-derived compute beside the recorded
one (``rederived_hardware_flop`` / ``_ratio``, ``rederived_ops_flop`` / ``_ratio``: re-derived over
recorded; the peak's precision and why in ``peak_precision`` / ``peak_precision_source``), and
rows disagreeing by more than 3x are listed (``RowBands.disagreements``). Method 2 takes the
row's numerical format (``precision_of``), else the profile's training default: dense 16-bit
tensor peaks on chips with tensor units, which we read as the convention of Epoch-style datasets
(their own statement not retrieved here). Chips the profiles lack are counted with the rows they
would unlock (``hardware_missing_profiles``).

Confidence levels: Epoch AI's documentation states what its levels mean; we could not retrieve
it in this environment, so ``CONFIDENCE_FACTORS`` (Confident 3x, Likely 10x, Speculative 30x:
half an order of magnitude steps, read as 90% intervals) are ASSUMPTIONS, stated in every output
and overridable (``confidence_factors``).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

from computesim.core import units
from computesim.core.methods import AGREEMENT_FACTOR, estimate_hardware, estimate_ops
from computesim.data.table import Dataset
from computesim.errors import InputError
from computesim.hardware_profiles import find_profile
from computesim.hardware_profiles.formats import precision_of
from computesim.uncertainty.audit import Records, ThresholdAudit, audit
from computesim.uncertainty.band import MAX_FACTOR, PROBS, model_of, qname

#: Confidence level -> factor f of its 90% interval [x/f, x*f] (assumptions: see the docstring).
CONFIDENCE_FACTORS = {"Confident": 3.0, "Likely": 10.0, "Speculative": 30.0}
CONFIDENCE_SOURCE = (
    "assumed (Epoch AI's own definitions not retrieved): Confident 3x, Likely 10x, "
    "Speculative 30x, as 90% intervals"
)
UNKNOWN_LEVELS = ("", "unknown")  #: confidence cells read as 'no level given' (case ignored)
DEFAULT_METHOD_ERROR = 2.0  #: rows re-derived from inputs: the source's "within 2-3x"


def parse_confidence_factors(text: str, field: str = "confidence_factors") -> dict[str, float]:
    """'Confident=3,Likely=10' -> {"Confident": 3.0, "Likely": 10.0} (factors above 1)."""
    out = {}
    for part in [p.strip() for p in str(text).split(",") if p.strip()]:
        name, eq, value = part.partition("=")
        try:
            f = float(value.strip().lower().removesuffix("x"))
        except ValueError:
            f = math.nan
        if not eq or not name.strip() or not 1 < f <= MAX_FACTOR:
            raise InputError(
                field, f"expected LEVEL=FACTOR with a factor above 1 (e.g. Likely=10), got {part!r}"
            )
        out[name.strip()] = f
    if not out:
        raise InputError(field, "give at least one LEVEL=FACTOR")
    return out


@dataclass
class RowBands:
    """Bands of every row (``table``: a pyarrow Table, one row per input row) and the audit."""

    table: Any
    audits: list[ThresholdAudit] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    disagreements: Sequence[dict[str, Any]] = field(default_factory=list)  #: ``disagreements``

    def counts(self) -> dict[str, int]:
        """Rows by band source, and rows without a band by reason."""
        out: dict[str, int] = {}
        for src, st in zip(
            self.table.column("band_source").to_pylist(), self.table.column("status").to_pylist()
        ):
            key = src if st == "ok" else st
            out[key] = out.get(key, 0) + 1
        return out

    def rows(self) -> list[dict[str, Any]]:
        """The table's rows, JSON-ready (dates as ISO text, NaN as None)."""
        out = []
        for r in self.table.to_pylist():
            out.append(
                {
                    k: (
                        v.isoformat()
                        if hasattr(v, "isoformat")
                        else None
                        if isinstance(v, float) and not math.isfinite(v)
                        else v
                    )
                    for k, v in r.items()
                }
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.meta,
            "rows": self.table.num_rows,
            "counts": self.counts(),
            "cross_checked": self.cross_checked(),
            "disagreements": list(self.disagreements),
            "audit": [a.to_dict() for a in self.audits],
        }

    def cross_checked(self) -> dict[str, int]:
        """Rows with a recorded compute and a re-derived one, by method."""
        return {
            m: self.table.num_rows - self.table.column(f"rederived_{m}_ratio").null_count
            for m in ("hardware", "ops")
        }


def _level(cell: str | None, factors: Mapping[str, float]) -> tuple[str | None, str | None]:
    """(the table's level name, flag) of a confidence cell; (None, flag) when unknown."""
    c = (cell or "").strip()
    if c.lower() in UNKNOWN_LEVELS:
        return None, None
    for k in factors:
        if k.lower() == c.lower():
            return k, None
    return None, f"unrecognised confidence {c[:40]!r}"


@dataclass(frozen=True)
class Derivation:
    """A row's compute re-derived from its inputs: the point value (FLOP), its method, the inputs
    of the estimate (``estimate()`` builds it) and what it assumed."""

    flop: float
    method: str  #: "hardware" (method 2) or "ops" (method 1, 6 N D)
    inputs: Mapping[str, Any]  #: keyword arguments of estimate_hardware / estimate_ops
    flags: tuple[str, ...] = ()
    precision: str | None = None  #: the peak's precision key (method 2)
    precision_source: str | None = None  #: "numerical format" or why the profile default

    def estimate(self) -> Any:
        """The core.methods.Estimate ``computesim estimate`` would build from these inputs."""
        fn = estimate_hardware if self.method == "hardware" else estimate_ops
        return fn(**self.inputs)


def _cell(ds: Dataset, role: str, i: int) -> str | None:
    col = ds.text.get(role)
    return col[i] if col is not None else None


_VENDOR = re.compile(r"^(nvidia|google|amd|intel|huawei)\s+", re.I)
_SYSTEM = re.compile(r"\s+(dgx|hgx)(-?\d+)?$", re.I)  #: "NVIDIA Tesla V100 DGX-2": the chip
_MEMORY = re.compile(r"\s+\d+\s*gb$", re.I)  #: "A100 SXM4 80 GB": same peak at any memory size


def device_profile(text: str) -> Any:
    """The hardware profile for a chip as datasets write it ("NVIDIA A100 SXM4 80 GB", "Google
    TPU v3", "NVIDIA Tesla V100 DGX-2"): the name as given, else without the vendor, the system
    (DGX/HGX) and the memory size, which leave the chip and its peak unchanged. Nothing else is
    dropped (an "H100 PCIe" is not an H100 SXM): InputError(device) when no profile matches.

    >>> device_profile("NVIDIA A100 SXM4 80 GB").name, device_profile("Google TPU v3").key
    ('A100 SXM4 80GB', 'tpu_v3')
    """
    name = text.strip()
    tries = [name]
    for pat in (_VENDOR, _SYSTEM, _MEMORY):
        name = pat.sub("", name).strip()
        tries.append(name)
    for t in dict.fromkeys(tries):
        try:
            return find_profile(t)
        except InputError:
            continue
    return find_profile(text)  # the error, with the nearest names


@functools.lru_cache(maxsize=4096)
def _per_chip_hour(
    hw: str, prec: str | None, util: float | None
) -> tuple[str, str, str, float] | tuple[str, str]:
    """(profile key, precision used, its source, FLOP per chip-hour) of a chip as a dataset names
    it, at ``prec`` (else the profile's default) and ``util`` (else the profile's); or (why not,
    detail). Cached: a dataset names few chips, and a lookup that fails is slow (suggestions)."""
    try:
        device = device_profile(hw).key
    except InputError:
        return "unknown hardware", hw[:60]
    src = "numerical format"
    kw = {"device": device, "count": 1.0, "days": 1 / 24, "utilization": util}
    try:
        try:
            est = estimate_hardware(**kw, precision=prec)
        except InputError as exc:
            if exc.field != "precision" or prec is None:
                raise
            est = estimate_hardware(**kw)  # the chip has no peak at that format: its default
            src = f"profile default (no {prec} peak)"
    except InputError as exc:
        return "hardware inputs unusable", exc.problem[:80]
    return device, est.inputs["precision"], src, est.flop


def _hardware(ds: Dataset, i: int) -> Derivation | tuple[str, str] | None:
    """Method 2 from a row's chips, their number and hours (peak at the row's numerical format,
    else the profile's training default): a Derivation, (why not, detail), or None (no inputs)."""
    num = ds.numbers
    hw, q, h = _cell(ds, "hardware", i), num.get("quantity"), num.get("hours")
    if not (hw and q is not None and h is not None and q[i] > 0 and h[i] > 0):
        return None
    if "," in hw or ";" in hw:
        return "several chips in one cell", hw[:60]
    u = num.get("utilization")
    util = float(u[i]) if u is not None and 0 < u[i] <= 1 else None
    fmt = _cell(ds, "precision", i)
    prec = precision_of(fmt)
    got = _per_chip_hour(hw.strip(), prec, util)
    if len(got) == 2:
        return got
    device, used, src, per = got
    if prec is None:
        src = "profile default (no numerical format)"
        if fmt and fmt.strip():
            src = f"profile default (format {fmt.strip()[:30]!r} not recognised)"
    kw = {"device": device, "count": float(q[i]), "days": float(h[i]) / 24}
    kw |= {"utilization": util, "precision": used}
    return Derivation(
        per * float(q[i]) * float(h[i]), "hardware", kw, (f"peak: {used} ({src})",), used, src
    )


def _ops(ds: Dataset, i: int) -> Derivation | None:
    """Method 1 as 6 x parameters x dataset size (x epochs when given), for Language rows only
    (their dataset size counts tokens or words); None without those inputs."""
    num = ds.numbers
    p, d, e = num.get("params"), num.get("dataset_size"), num.get("epochs")
    dom = _cell(ds, "domain", i) or ""
    if p is None or d is None or not (p[i] > 0 and d[i] > 0) or "language" not in dom.lower():
        return None
    epochs = float(e[i]) if e is not None and e[i] > 0 else 1.0
    kw: dict[str, Any] = {"params": float(p[i]), "tokens": float(d[i]) * epochs}
    flag = "dataset size read as tokens (Language)" + (
        f" x {epochs:g} epochs" if epochs != 1 else ""
    )
    return Derivation(estimate_ops(**kw).flop, "ops", kw, (flag,))


DISAGREEMENT_FACTOR = AGREEMENT_FACTOR  #: re-derived / recorded beyond the source's 3x: listed


def _cross_check_columns(
    flop: Any, hw_d: Sequence[Derivation | None], ops_d: Sequence[Derivation | None]
) -> dict[str, Any]:
    """Re-derived compute (method 2, method 1) beside the recorded value, with ratios."""
    import numpy as np
    import pyarrow as pa

    out: dict[str, Any] = {}
    for name, ds_ in (("hardware", hw_d), ("ops", ops_d)):
        f = np.array([d.flop if d is not None else np.nan for d in ds_], np.float64)
        ratio = f / np.asarray(flop, np.float64)
        out[f"rederived_{name}_flop"] = pa.array(f, pa.float64(), mask=~np.isfinite(f))
        out[f"rederived_{name}_ratio"] = pa.array(ratio, pa.float64(), mask=~np.isfinite(ratio))
    out["peak_precision"] = pa.array([d.precision if d else None for d in hw_d], pa.string())
    out["peak_precision_source"] = pa.array(
        [d.precision_source if d else None for d in hw_d], pa.string()
    )
    return out


def disagreements(table: Any, factor: float = DISAGREEMENT_FACTOR) -> Records:
    """Rows whose re-derived compute differs from the recorded one by more than ``factor``
    (either way), largest disagreement first: row, system, method, recorded, re-derived, ratio
    (records built when read: found here as arrays)."""
    import numpy as np

    found = []
    for k, m in enumerate(("hardware", "ops")):
        r = table.column(f"rederived_{m}_ratio").to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero(np.isfinite(r) & ((r > factor) | (r < 1 / factor)))
        found.append((rows, np.full(len(rows), k), r[rows]))
    rows, method, ratio = (np.concatenate(x) for x in zip(*found))
    with np.errstate(divide="ignore"):
        order = np.argsort(-np.abs(np.log(ratio)), kind="stable")
    rows, method, ratio = rows[order], method[order], ratio[order]
    cols = ("row", "system", "flop", "peak_precision", "rederived_hardware_flop")

    def records(at: Any) -> list[dict[str, Any]]:
        sub = table.select([*cols, "rederived_ops_flop"]).take(rows[at])
        row, system, recorded, prec, hw = (sub.column(c).to_pylist() for c in cols)
        again = sub.column("rederived_ops_flop").to_pylist()
        out = []
        for i, m, x in zip(range(len(at)), method[at].tolist(), ratio[at].tolist()):
            d = {"row": row[i], "system": system[i], "method": ("hardware", "ops")[m]}
            d |= {"recorded_flop": recorded[i], "rederived_flop": (hw if m == 0 else again)[i]}
            d["ratio"] = x
            if m == 0:
                d["peak_precision"] = prec[i]
            out.append(d)
        return out

    return Records(len(rows), records)


def _coded(arr: Any) -> tuple[list[Any], Any]:
    """(distinct values, each row's index into them; -1: null) of a pyarrow array."""
    import numpy as np
    import pyarrow.compute as pc

    d = arr.dictionary_encode()
    idx = pc.fill_null(d.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return d.dictionary.to_pylist(), idx


def _groups(key: Any) -> tuple[Any, Any]:
    """(first row of each distinct value of ``key``, each row's group) for non-negative integer
    keys: by counting when their range is small, else by sorting."""
    import numpy as np

    key = np.asarray(key, np.int64)
    if not len(key):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    top = int(key.max())
    if top > 4 * len(key) + 1024:
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
        return first, inv.reshape(-1)
    present = np.zeros(top + 1, bool)
    present[key] = True
    number = np.cumsum(present) - 1
    inv = number[key]
    first = np.empty(int(present.sum()), np.int64)
    first[inv[::-1]] = np.arange(len(key) - 1, -1, -1)
    return first, inv


def _text_of(values: Sequence[str | None], codes: Any) -> Any:
    """A pyarrow string array: values[codes[i]] per row, null where codes[i] < 0."""
    import numpy as np
    import pyarrow as pa

    codes = np.asarray(codes).astype(np.int32)  # the index type itself: no cast in pyarrow
    dictionary = pa.array(list(values) or [""], pa.string())
    idx = pa.array(codes, mask=codes < 0)
    return pa.DictionaryArray.from_arrays(idx, dictionary).cast(pa.string())


@dataclass
class _Column:
    """A cross-check method over all rows: re-derived FLOP (NaN: none), flag and, for method 2,
    the peak's precision and its source (pyarrow string arrays), why not per row (codes into
    ``why``) and the unknown chips with their row counts."""

    flop: Any
    flag: tuple[Sequence[str], Any]  #: (texts, each row's code; -1: none)
    precision: Any = None
    precision_source: Any = None
    why_code: Any = None
    why: list[tuple[str, str]] = field(default_factory=list)
    lacking: dict[str, int] = field(default_factory=dict)


def _positive(x: Any, n: int) -> Any:
    import numpy as np

    return np.zeros(n, bool) if x is None else np.asarray(x, np.float64) > 0


def _hardware_columns(ds: Dataset) -> _Column:
    """``_hardware`` for every row at once: one lookup per distinct (chip, format, utilization)."""
    import numpy as np

    n = ds.n_rows
    num, hw = ds.numbers, ds.arrow("hardware")
    q, h, u = num.get("quantity"), num.get("hours"), num.get("utilization")
    flop = np.full(n, np.nan)
    has = _positive(q, n) & _positive(h, n)
    if hw is None or not has.any():
        none = _text_of([], np.full(n, -1))
        return _Column(flop, ([], np.full(n, -1)), none, none, np.full(n, -1))
    chips, chip = _coded(hw)
    fmt = ds.arrow("precision")
    fmts, fcode = _coded(fmt) if fmt is not None else ([], np.full(n, -1))
    util = np.full(n, -1.0)
    if u is not None:
        ok = (u > 0) & (u <= 1)
        util[ok] = u[ok]
    rows = np.flatnonzero(has & (chip >= 0))
    if not len(rows):
        none = _text_of([], np.full(n, -1))
        return _Column(flop, ([], np.full(n, -1)), none, none, np.full(n, -1))
    assert q is not None and h is not None  # has is False without them
    utils, ucode = np.unique(util[rows], return_inverse=True)
    key = (chip[rows] * (len(fmts) + 1) + fcode[rows] + 1) * len(utils) + ucode.reshape(-1)
    first, inv = _groups(key)
    combos = np.stack([chip[rows][first], fcode[rows][first], utils[ucode.reshape(-1)[first]]], 1)
    per = np.full(len(combos), np.nan)
    texts: dict[str, int] = {}  #: flag, precision and source texts -> their codes
    flag_c, prec_c, src_c = (np.full(len(combos), -1) for _ in range(3))
    why: list[tuple[str, str]] = []
    why_c = np.full(len(combos), -1)
    lacking: dict[str, int] = {}
    counts = np.bincount(inv, minlength=len(combos))
    for c, (ci, fi, ui) in enumerate(combos.tolist()):
        name = chips[int(ci)]
        f = fmts[int(fi)] if fi >= 0 else None
        if "," in name or ";" in name:
            got: tuple[Any, ...] = ("several chips in one cell", name[:60])
        else:
            prec = precision_of(f)
            got = _per_chip_hour(name.strip(), prec, None if ui < 0 else float(ui))
        if len(got) == 2:
            why_c[c], flag_c[c] = len(why), texts.setdefault(f"{got[0]}: {got[1]}", len(texts))
            why.append((got[0], got[1]))
            if got[0] == "unknown hardware":
                lacking[got[1]] = lacking.get(got[1], 0) + int(counts[c])
            continue
        _, used, src, per_hour = got
        per[c] = per_hour
        if prec is None:
            src = "profile default (no numerical format)"
            if f and f.strip():
                src = f"profile default (format {f.strip()[:30]!r} not recognised)"
        flag_c[c] = texts.setdefault(f"peak: {used} ({src})", len(texts))
        prec_c[c], src_c[c] = texts.setdefault(used, len(texts)), texts.setdefault(src, len(texts))
    flop[rows] = per[inv] * q[rows] * h[rows]
    values = list(texts)

    def spread(codes: Any) -> Any:
        out = np.full(n, -1)
        out[rows] = codes[inv]
        return out

    return _Column(
        flop,
        (values, spread(flag_c)),
        _text_of(values, spread(prec_c)),
        _text_of(values, spread(src_c)),
        spread(why_c),
        why,
        lacking,
    )


def _ops_columns(ds: Dataset) -> _Column:
    """``_ops`` for every row at once (6 x parameters x dataset size x epochs, Language rows)."""
    import numpy as np

    n = ds.n_rows
    num = ds.numbers
    p, d, e = num.get("params"), num.get("dataset_size"), num.get("epochs")
    flop = np.full(n, np.nan)
    has = _positive(p, n) & _positive(d, n)
    dom = ds.arrow("domain")
    if dom is None or not has.any():
        return _Column(flop, ([], np.full(n, -1)))
    assert p is not None and d is not None  # has is False without them
    doms, code = _coded(dom)
    lang = np.array(["language" in v.lower() for v in doms] + [False], bool)
    rows = np.flatnonzero(has & lang[code])
    epochs = np.ones(len(rows))
    if e is not None:
        ok = e[rows] > 0
        epochs[ok] = e[rows][ok]
    flop[rows] = p[rows] * units.FLOP_PER_MAC * units.TRAIN_OVER_FORWARD * (d[rows] * epochs)
    uniq, inv = np.unique(epochs, return_inverse=True)
    base = "dataset size read as tokens (Language)"
    values = [base + (f" x {v:g} epochs" if v != 1 else "") for v in uniq.tolist()]
    codes = np.full(n, -1)
    codes[rows] = inv.reshape(-1)
    return _Column(flop, (values, codes))


def _join_flags(parts: Sequence[tuple[Sequence[str], Any]]) -> Any:
    """Per row, the texts of ``parts`` ((values, codes): values[codes[i]], none where codes[i]
    < 0) joined by "; ", as a pyarrow string array: one join per distinct combination."""
    import numpy as np

    key = np.zeros(len(parts[0][1]), np.int64)
    for values, codes in parts:
        key = key * (len(values) + 1) + (np.asarray(codes, np.int64) + 1)
        if key.max(initial=0) > 2**40:  # keep the mixed-radix key small: renumber it
            key = _groups(key)[1]
    first, inv = _groups(key)
    texts = [
        "; ".join(values[int(codes[r])] for values, codes in parts if codes[r] >= 0)
        for r in first.tolist()
    ]
    return _text_of(texts, inv)


def dataset_bands(
    ds: Dataset,
    *,
    confidence_factors: Mapping[str, float] | None = None,
    bounds_level: float = 0.9,
    unknown: str = "widest",
    thresholds: Sequence[float] = (),
    samples: int = 10_000,
    seed: int = 0,
    method_error: float = DEFAULT_METHOD_ERROR,
    backend: str = "auto",
    client: Any = None,
    parts: int | None = None,
) -> RowBands:
    """A band for every row of ``ds`` (rules in the module docstring) and, per threshold (FLOP),
    the audit of how many rows are above it. Columnar: closed-form rows as NumPy array
    operations, the few re-derived rows through the batched Monte Carlo kernels
    (``rows_reference.dataset_bands_rowwise``: the same, one row at a time). ``client`` (a
    ``distributed.Client`` or scheduler text), ``parts``: the Monte Carlo rows on a cluster, as
    ``table.bands_table``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    factors = dict(confidence_factors or CONFIDENCE_FACTORS)
    if unknown not in ("widest", "exclude"):
        raise InputError("unknown", f"must be widest or exclude, got {unknown!r}")
    if not 0 < bounds_level < 1:
        raise InputError("bounds_level", f"must be between 0 and 1, got {bounds_level!r}")
    n = ds.n_rows
    z_b = NormalDist().inv_cdf(0.5 + bounds_level / 2)
    z90 = NormalDist().inv_cdf(0.95)
    widest = max(factors, key=factors.__getitem__)
    flop = np.asarray(ds.flop, np.float64)
    lo, hi = np.asarray(ds.flop_low, np.float64), np.asarray(ds.flop_high, np.float64)
    hw, ops = _hardware_columns(ds), _ops_columns(ds)
    none = np.full(n, -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        has_v, has_lo, has_hi = ~np.isnan(flop), lo > 0, hi > 0
        both = has_lo & has_hi & (lo < hi)
        one_b = np.where(has_lo, lo, hi)
        one = ~both & has_v & (has_lo | has_hi) & (one_b != flop)
        conf_rows = ~both & ~one & has_v
        a, b = np.log(lo), np.log(hi)
        log_v = np.log(flop)
        mu = np.where(both, (a + b) / 2, np.where(one | conf_rows, log_v, np.nan))
        sd = np.where(both, (b - a) / (2 * z_b), np.nan)
        sd = np.where(one, np.abs(np.log(one_b / flop)) / z_b, sd)
        outside = both & has_v & ~((lo <= flop) & (flop <= hi))
    # confidence levels: one lookup per distinct cell
    conf = ds.arrow("confidence")
    cells, ccode = _coded(conf) if conf is not None else ([], none)
    levels = [_level(c, factors) for c in cells]
    names = list(factors)
    lvl = np.array([names.index(k) if k else -1 for k, _ in levels] + [-1], np.int64)[ccode]
    bad = np.array([f is not None for _, f in levels] + [False], bool)[ccode] & conf_rows
    blank = conf_rows & (lvl < 0)
    excluded = blank if unknown == "exclude" else np.zeros(n, bool)
    if unknown == "widest":
        lvl = np.where(blank, names.index(widest), lvl)
    banded = conf_rows & ~excluded
    log_f = np.array([math.log(factors[k]) for k in names] + [np.nan])[lvl]
    sd = np.where(banded, log_f / z90, sd)
    mu = np.where(excluded, np.nan, mu)
    # rows with no recorded compute: re-derived from their inputs, one by one (few)
    source = np.where(both | one, 0, np.where(banded, 1, -1))
    status_texts = {"ok": 0, "excluded: no confidence level": 1}
    status = np.where(excluded, 1, 0)
    err_flag = np.full(n, -1)
    err_texts: dict[str, int] = {}
    derived: list[tuple[int, Any]] = []
    hw_d: dict[int, Derivation] = {}
    ops_d: dict[int, Derivation] = {}
    for i in np.flatnonzero(~has_v & ~both).tolist():
        st = ds.problems["flop"][i] or "no compute"
        got_hw, got_ops = _hardware(ds, i), _ops(ds, i)
        if isinstance(got_hw, Derivation):
            hw_d[i] = got_hw
        if got_ops is not None:
            ops_d[i] = got_ops
        d = got_hw if isinstance(got_hw, Derivation) else got_ops
        if d is not None:
            try:
                derived.append((i, model_of(d.estimate(), method_error)))
                source[i], st = (2 if d.method == "hardware" else 3), "ok"
            except InputError as exc:
                st += f"; {d.method} inputs unusable"
                err_flag[i] = err_texts.setdefault(exc.problem[:80], len(err_texts))
        elif isinstance(got_hw, tuple):
            st += f"; {got_hw[0]}"
        status[i] = status_texts.setdefault(st, len(status_texts))
    z_q = np.array([NormalDist().inv_cdf(p) for p in PROBS])
    q = np.exp(mu + sd * z_q[:, None])  # q[j]: every row's quantile PROBS[j], contiguous
    mean = np.exp(mu + sd**2 / 2)
    exact = np.isfinite(mu)
    above = np.full((len(thresholds), n), np.nan)  # above[j]: threshold j, contiguous
    ok = np.isfinite(mu)
    for j, t in enumerate(thresholds):
        zz = ((math.log(t) - mu[ok]) / (sd[ok] * math.sqrt(2))).tolist()
        above[j, ok] = 0.5 * np.fromiter(map(math.erfc, zz), np.float64, count=len(zz))
    if derived:
        from computesim.uncertainty.table import bands_table  # NumPy/kernels: only when needed

        idx = [i for i, _ in derived]
        t = bands_table(
            [m for _, m in derived],
            None,
            samples,
            seed,
            thresholds,
            backend=backend,
            client=client,
            parts=parts,
        ).to_pydict()
        for j, p in enumerate(PROBS):
            q[j, idx] = np.array(t[f"{qname(p)}_pfs_days"]) * units.PFS_DAY
        mean[idx] = np.array(t["mean_pfs_days"]) * units.PFS_DAY
        exact[idx] = np.array(t["exact"], bool)
        for j, th in enumerate(thresholds):
            above[j, idx] = t[f"p_above_{th:g}"]
    has = (source >= 0) & (status == 0)
    no_band = ~has
    cols: dict[str, Any] = {"row": pa.array(np.arange(1, n + 1), pa.int64())}
    rc = ds.recognised.columns
    for role in ("name", "date"):
        if role in rc and rc[role] not in cols:
            cols[rc[role]] = ds.raw.column(ds.raw.column_names.index(rc[role]))
    cols["system"] = ds.arrow("name")
    cols["date"] = ds.arrow("date")
    cols["flop"] = pa.array(flop, pa.float64(), mask=~np.isfinite(flop))
    cols["confidence"] = conf if conf is not None else pa.nulls(n, pa.string())
    cols["band_source"] = _text_of(["bounds", "confidence", "hardware", "ops"], source)
    cols["confidence_used"] = _text_of(names, np.where(banded, lvl, -1))
    for j, p in enumerate(PROBS):
        cols[f"{qname(p)}_flop"] = pa.array(q[j], pa.float64(), mask=no_band)
    cols["mean_flop"] = pa.array(mean, pa.float64(), mask=no_band)
    cols["spread_factor"] = pa.array(q[-1] / q[2], pa.float64(), mask=no_band)
    cols["exact"] = pa.array(exact & has)
    for j, t in enumerate(thresholds):
        cols[f"p_above_{t:g}"] = pa.array(above[j], pa.float64(), mask=no_band)
    hw_flop, ops_flop = hw.flop.copy(), ops.flop.copy()
    for i, dv in hw_d.items():
        hw_flop[i] = dv.flop
    for i, dv in ops_d.items():
        ops_flop[i] = dv.flop
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, f in (("hardware", hw_flop), ("ops", ops_flop)):
            ratio = f / flop
            cols[f"rederived_{name}_flop"] = pa.array(f, pa.float64(), mask=~np.isfinite(f))
            cols[f"rederived_{name}_ratio"] = pa.array(
                ratio, pa.float64(), mask=~np.isfinite(ratio)
            )
    cols["peak_precision"] = hw.precision
    cols["peak_precision_source"] = hw.precision_source
    cols["status"] = _text_of(list(status_texts), status)
    upper = ds.arrow("bound")
    upper = pc.fill_null(pc.equal(ds.arrow("bound"), "upper"), False).to_numpy(zero_copy_only=False)
    flag_parts = [
        hw.flag,
        ops.flag,
        (["recorded value is an upper bound"], np.where(upper, 0, -1)),
        (
            ["recorded value outside its bounds", "one bound only"],
            np.where(outside, 0, np.where(one, 1, -1)),
        ),
        ([f or "" for _, f in levels], np.where(bad, ccode, -1)),
        ([f"no confidence level: widest ({widest}) used"], np.where(blank & ~excluded, 0, -1)),
        (list(err_texts), err_flag),
    ]
    cols["flags"] = _join_flags(flag_parts)
    table = pa.table(cols)
    years = pc.fill_null(pc.year(cols["date"]), -1).to_numpy(zero_copy_only=False)
    audits = [
        audit(t, np.where(has, above[j], np.nan), cols["system"], years)
        for j, t in enumerate(thresholds)
    ]
    meta = {
        **ds.to_dict(),
        "confidence_factors": factors,
        "confidence_source": (
            CONFIDENCE_SOURCE if confidence_factors is None else "given by the user"
        ),
        "bounds_level": bounds_level,
        "unknown_confidence": unknown if unknown == "exclude" else f"widest ({widest})",
        "method_error": method_error,
        "hardware_missing_profiles": dict(sorted(hw.lacking.items(), key=lambda kv: -kv[1])),
        "cross_check": {
            "hardware_peak": "the row's numerical format, else the profile's training default "
            "(dense 16-bit tensor on chips with tensor units: the convention of Epoch-style "
            "datasets, stated here as our reading, not retrieved); column peak_precision",
            "disagreement_factor": DISAGREEMENT_FACTOR,
        },
        "samples": samples,
        "seed": seed,
    }
    return RowBands(table, audits, meta, disagreements(table))


def band_interval(ds: Dataset, **kwargs: Any) -> tuple[Any, Any]:
    """Every row's 90% band (p5, p95 in FLOP; NaN without one), by ``dataset_bands``' rules
    (``kwargs``: its options): what ``computesim trend --propagate`` redraws each point within
    (``data.datasets.read_csv_points(point_band=...)``), log-uniformly between the two (its
    log-sd is 0.95 of the lognormal's: the band's width is kept, its tails are not).

    >>> import pyarrow as pa
    >>> from computesim.data.table import read_table
    >>> ds = read_table(
    ...     pa.table(
    ...         {
    ...             "Model": ["A"],
    ...             "Publication date": ["2024-03-01"],
    ...             "Training compute (FLOP)": [2e25],
    ...             "Confidence": ["Likely"],
    ...         }
    ...     )
    ... )
    >>> [f"{v[0]:.1e}" for v in band_interval(ds)]
    ['2.0e+24', '2.0e+26']
    """
    import numpy as np

    t = dataset_bands(ds, **kwargs).table
    lo, hi = t.column("p5_flop"), t.column("p95_flop")
    return (
        lo.to_numpy(zero_copy_only=False).astype(np.float64),
        hi.to_numpy(zero_copy_only=False).astype(np.float64),
    )


def bands(
    source: Any,
    *,
    layout: str | None = None,
    columns: Mapping[str, str | None] | None = None,
    confidence_factors: Mapping[str, float] | str | None = None,
    thresholds: Sequence[float | str] = (),
    unknown: str = "widest",
    bounds_level: float = 0.9,
    samples: int = 10_000,
    seed: int = 0,
    client: Any = None,
) -> Any:
    """A band for every row of a table (a file path, a pyarrow Table, or any object with
    ``__arrow_c_stream__``: pandas, Polars, DuckDB): a pyarrow Table, one row per input row,
    band columns in FLOP, ``p_above_<FLOP>`` per threshold (numbers in FLOP, or text with a
    unit: "1e25FLOP"), and the layout, confidence table, audit and seed in its schema metadata
    (``computesim.*`` keys, JSON). Rules: ``dataset_bands``. ``client``: a ``distributed.Client``
    or scheduler text (``local[:N]``, an address) to sample the rows on (the same bands).

    >>> import pyarrow as pa, computesim
    >>> t = computesim.bands(
    ...     pa.table(
    ...         {
    ...             "Model": ["A"],
    ...             "Publication date": ["2024-03-01"],
    ...             "Training compute (FLOP)": [2e25],
    ...             "Confidence": ["Likely"],
    ...         }
    ...     ),
    ...     thresholds=["1e25FLOP"],
    ... )
    >>> row = t.to_pylist()[0]
    >>> row["band_source"], f"{row['p5_flop']:.1e}", f"{row['p95_flop']:.1e}"
    ('confidence', '2.0e+24', '2.0e+26')
    >>> round(row["p_above_1e+25"], 3)
    0.69
    """
    from computesim.data.table import read_table
    from computesim.io.arrow import with_metadata
    from computesim.uncertainty.band import parse_thresholds

    if isinstance(confidence_factors, str):
        confidence_factors = parse_confidence_factors(confidence_factors)
    flop = [
        t if not isinstance(t, str) else parse_thresholds(t, "thresholds")[0] for t in thresholds
    ]
    ds = read_table(source, layout=layout, columns=columns)
    rb = dataset_bands(
        ds,
        confidence_factors=confidence_factors,
        bounds_level=bounds_level,
        unknown=unknown,
        thresholds=flop,
        samples=samples,
        seed=seed,
        client=client,
    )
    return with_metadata(rb.table, {"kind": "dataset bands", **rb.to_dict()})
