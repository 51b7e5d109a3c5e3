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

Confidence levels: Epoch AI's documentation states what its levels mean; we could not retrieve
it in this environment, so ``CONFIDENCE_FACTORS`` (Confident 3x, Likely 10x, Speculative 30x:
half an order of magnitude steps, read as 90% intervals) are ASSUMPTIONS, stated in every output
and overridable (``confidence_factors``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

from computesim.core import units
from computesim.core.methods import estimate_hardware, estimate_ops
from computesim.data.table import Dataset
from computesim.errors import InputError
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
            "audit": [a.to_dict() for a in self.audits],
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


def _derived(
    ds: Dataset, i: int, method_error: float
) -> tuple[Any, str, list[str]] | tuple[str, str] | None:
    """(LogModel, method, flags) from a row's inputs, or (why not, detail), or None (no inputs)."""
    num = ds.numbers
    hw = ds.text.get("hardware", [None] * ds.n_rows)[i]
    q = num.get("quantity")
    h = num.get("hours")
    flags: list[str] = []
    if hw and q is not None and h is not None and q[i] > 0 and h[i] > 0:
        if "," in hw or ";" in hw:
            return "several chips in one cell", hw[:60]
        u = num.get("utilization")
        util = float(u[i]) if u is not None and 0 < u[i] <= 1 else None
        prec = (ds.text.get("precision") or [None] * ds.n_rows)[i]
        try:
            est = estimate_hardware(
                device=hw,
                count=float(q[i]),
                days=float(h[i]) / 24,
                utilization=util,
                precision=prec.lower() if prec else None,
            )
        except InputError as exc:
            if exc.field == "device":
                return "unknown hardware", hw[:60]
            return "hardware inputs unusable", exc.problem[:80]
        flags.append("peak: " + (prec or "profile default"))
        return model_of(est, method_error), "hardware", flags
    p, d = num.get("params"), num.get("dataset_size")
    dom = (ds.text.get("domain") or [None] * ds.n_rows)[i] or ""
    if p is not None and d is not None and p[i] > 0 and d[i] > 0 and "language" in dom.lower():
        est = estimate_ops(params=float(p[i]), tokens=float(d[i]))
        return model_of(est, method_error), "ops", ["dataset size read as tokens (Language)"]
    return None


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
) -> RowBands:
    """A band for every row of ``ds`` (rules in the module docstring) and, per threshold (FLOP),
    the audit of how many rows are above it."""
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
        got = _derived(ds, i, method_error)
        status[i] = ds.problems["flop"][i] or "no compute"
        if got is not None and len(got) == 3:
            derived.append((i, got[0]))
            source[i], status[i] = got[1], "ok"
            flags[i] += got[2]
        elif got is not None:
            status[i] += f"; {got[0]}"
            flags[i].append(f"{got[0]}: {got[1]}")
            if got[0] == "unknown hardware":
                lacking[got[1]] = lacking.get(got[1], 0) + 1
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
            [m for _, m in derived], None, samples, seed, thresholds, backend=backend
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
        "hardware_missing_profiles": lacking,
        "samples": samples,
        "seed": seed,
    }
    return RowBands(table, audits, meta)


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
) -> Any:
    """A band for every row of a table (a file path, a pyarrow Table, or any object with
    ``__arrow_c_stream__``: pandas, Polars, DuckDB): a pyarrow Table, one row per input row,
    band columns in FLOP, ``p_above_<FLOP>`` per threshold (numbers in FLOP, or text with a
    unit: "1e25FLOP"), and the layout, confidence table, audit and seed in its schema metadata
    (``computesim.*`` keys, JSON). Rules: ``dataset_bands``.

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
    )
    return with_metadata(rb.table, {"kind": "dataset bands", **rb.to_dict()})
