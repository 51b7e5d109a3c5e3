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
from computesim.uncertainty.audit import ThresholdAudit, audit
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
    disagreements: list[dict[str, Any]] = field(default_factory=list)  #: see ``disagreements``

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
            "disagreements": self.disagreements,
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


def disagreements(table: Any, factor: float = DISAGREEMENT_FACTOR) -> list[dict[str, Any]]:
    """Rows whose re-derived compute differs from the recorded one by more than ``factor``
    (either way), largest disagreement first: row, system, method, recorded, re-derived, ratio."""
    import numpy as np

    out = []
    for m in ("hardware", "ops"):
        r = table.column(f"rederived_{m}_ratio").to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero(np.isfinite(r) & ((r > factor) | (r < 1 / factor)))
        for i in rows.tolist():
            out.append(
                {
                    "row": table.column("row")[i].as_py(),
                    "system": table.column("system")[i].as_py(),
                    "method": m,
                    "recorded_flop": table.column("flop")[i].as_py(),
                    "rederived_flop": table.column(f"rederived_{m}_flop")[i].as_py(),
                    "ratio": float(r[i]),
                    **(
                        {"peak_precision": table.column("peak_precision")[i].as_py()}
                        if m == "hardware"
                        else {}
                    ),
                }
            )
    return sorted(out, key=lambda d: -abs(math.log(d["ratio"])))


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
    the audit of how many rows are above it. ``client`` (a ``distributed.Client`` or scheduler
    text), ``parts``: the Monte Carlo rows on a cluster, as ``table.bands_table``."""
    import numpy as np
    import pyarrow as pa

    factors = dict(confidence_factors or CONFIDENCE_FACTORS)
    if unknown not in ("widest", "exclude"):
        raise InputError("unknown", f"must be widest or exclude, got {unknown!r}")
    if not 0 < bounds_level < 1:
        raise InputError("bounds_level", f"must be between 0 and 1, got {bounds_level!r}")
    n = ds.n_rows
    z_b = NormalDist().inv_cdf(0.5 + bounds_level / 2)
    z90 = NormalDist().inv_cdf(0.95)
    widest = max(factors, key=factors.__getitem__)
    mu = np.full(n, np.nan)
    sd = np.full(n, np.nan)
    source: list[str | None] = [None] * n
    status = ["ok"] * n
    flags: list[list[str]] = [[] for _ in range(n)]
    level_used: list[str | None] = [None] * n
    conf = ds.text.get("confidence", [None] * n)
    derived: list[tuple[int, Any]] = []
    lacking: dict[str, int] = {}  #: hardware the profiles lack -> rows it would give a band
    flop, lo, hi = ds.flop, ds.flop_low, ds.flop_high
    hw_d: list[Derivation | None] = [None] * n
    ops_d = [_ops(ds, i) for i in range(n)]
    hw_why: list[tuple[str, str] | None] = [None] * n
    for i in range(n):
        got = _hardware(ds, i)
        if isinstance(got, Derivation):
            hw_d[i] = got
            flags[i] += got.flags
        elif got is not None:
            hw_why[i] = got
            flags[i].append(f"{got[0]}: {got[1]}")
            if got[0] == "unknown hardware":
                lacking[got[1]] = lacking.get(got[1], 0) + 1
        ops = ops_d[i]
        if ops is not None:
            flags[i] += ops.flags
    for i in range(n):
        v = float(flop[i])
        has_v, has_lo, has_hi = v == v, lo[i] == lo[i] and lo[i] > 0, hi[i] == hi[i] and hi[i] > 0
        if ds.bound[i] == "upper":
            flags[i].append("recorded value is an upper bound")
        if has_lo and has_hi and lo[i] < hi[i]:
            a, b = math.log(lo[i]), math.log(hi[i])
            mu[i], sd[i], source[i] = (a + b) / 2, (b - a) / (2 * z_b), "bounds"
            if has_v and not lo[i] <= v <= hi[i]:
                flags[i].append("recorded value outside its bounds")
            continue
        if has_v and (has_lo or has_hi):
            b = float(lo[i] if has_lo else hi[i])
            if b != v:
                mu[i], sd[i], source[i] = math.log(v), abs(math.log(b / v)) / z_b, "bounds"
                flags[i].append("one bound only")
                continue
        if has_v:
            level, flag = _level(conf[i], factors)
            if flag:
                flags[i].append(flag)
            if level is None:
                if unknown == "exclude":
                    status[i] = "excluded: no confidence level"
                    continue
                level = widest
                flags[i].append(f"no confidence level: widest ({widest}) used")
            level_used[i] = level
            mu[i], sd[i], source[i] = math.log(v), math.log(factors[level]) / z90, "confidence"
            continue
        status[i] = ds.problems["flop"][i] or "no compute"
        d = hw_d[i] if hw_d[i] is not None else ops_d[i]
        if d is not None:
            try:
                derived.append((i, model_of(d.estimate(), method_error)))
                source[i], status[i] = d.method, "ok"
            except InputError as exc:
                status[i] += f"; {d.method} inputs unusable"
                flags[i].append(exc.problem[:80])
        elif (why := hw_why[i]) is not None:
            status[i] += f"; {why[0]}"
    q = np.exp(mu[:, None] + sd[:, None] * np.array([NormalDist().inv_cdf(p) for p in PROBS]))
    mean = np.exp(mu + sd**2 / 2)
    exact = np.isfinite(mu)
    erfc = np.frompyfunc(math.erfc, 1, 1)
    above = np.full((n, len(thresholds)), np.nan)
    for j, t in enumerate(thresholds):
        ok = np.isfinite(mu)
        zz = (math.log(t) - mu[ok]) / (sd[ok] * math.sqrt(2))
        above[ok, j] = 0.5 * erfc(zz).astype(np.float64)
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
            q[idx, j] = np.array(t[f"{qname(p)}_pfs_days"]) * units.PFS_DAY
        mean[idx] = np.array(t["mean_pfs_days"]) * units.PFS_DAY
        exact[idx] = np.array(t["exact"], bool)
        for j, th in enumerate(thresholds):
            above[idx, j] = t[f"p_above_{th:g}"]
    cols: dict[str, Any] = {"row": pa.array(np.arange(1, n + 1), pa.int64())}
    rc = ds.recognised.columns
    for role in ("name", "date"):
        if role in rc and rc[role] not in cols:
            cols[rc[role]] = ds.raw.column(ds.raw.column_names.index(rc[role]))
    cols["system"] = pa.array(ds.names, pa.string())
    cols["date"] = pa.array(ds.dates, pa.date32())
    cols["flop"] = pa.array(
        np.where(np.isfinite(flop), flop, np.nan), pa.float64(), mask=~np.isfinite(flop)
    )
    cols["confidence"] = pa.array(conf, pa.string())
    cols["band_source"] = pa.array(source, pa.string())
    cols["confidence_used"] = pa.array(level_used, pa.string())
    has = np.array([s is not None for s in source]) & (np.array(status) == "ok")
    for j, p in enumerate(PROBS):
        cols[f"{qname(p)}_flop"] = pa.array(q[:, j], pa.float64(), mask=~has)
    cols["mean_flop"] = pa.array(mean, pa.float64(), mask=~has)
    cols["spread_factor"] = pa.array(q[:, -1] / q[:, 2], pa.float64(), mask=~has)
    cols["exact"] = pa.array(exact & has)
    for j, t in enumerate(thresholds):
        cols[f"p_above_{t:g}"] = pa.array(above[:, j], pa.float64(), mask=~has)
    cols.update(_cross_check_columns(flop, hw_d, ops_d))
    cols["status"] = pa.array(status, pa.string())
    cols["flags"] = pa.array(["; ".join(f) for f in flags], pa.string())
    table = pa.table(cols)
    names = ds.names
    years = [d.year if d is not None else None for d in ds.dates]
    audits = [
        audit(
            t,
            [None if not has[i] else float(above[i, j]) for i in range(n)],
            names,
            years,
        )
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
        "hardware_missing_profiles": dict(sorted(lacking.items(), key=lambda kv: -kv[1])),
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
