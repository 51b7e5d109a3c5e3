"""The per-row reference of ``rows.dataset_bands``: the same bands, audit and cross-check,
one row at a time in Python (as it was written first). ``tests/uncertainty/test_rows_columnar.py``
checks the columnar version against it, and ``computesim bench`` reports their speed ratio.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any

from computesim.core import units
from computesim.data.table import Dataset
from computesim.errors import InputError
from computesim.uncertainty.audit import (
    UNCERTAIN,
    ThresholdAudit,
    count_interval,
    count_pmf_sequential,
)
from computesim.uncertainty.band import PROBS, model_of, qname
from computesim.uncertainty.rows import (
    CONFIDENCE_FACTORS,
    CONFIDENCE_SOURCE,
    DEFAULT_METHOD_ERROR,
    DISAGREEMENT_FACTOR,
    Derivation,
    RowBands,
    _cross_check_columns,
    _hardware,
    _level,
    _ops,
    disagreements,
)


def _audit_rowwise(
    threshold: float,
    p_above: Sequence[float | None],
    names: Sequence[str],
    years: Sequence[int | None],
) -> ThresholdAudit:
    """``audit.audit`` as it was: Python lists, one convolution step per row."""
    given = [(i, float(p)) for i, p in enumerate(p_above) if p is not None]
    rows, ps = [i for i, _ in given], [p for _, p in given]
    pmf = count_pmf_sequential(ps)
    lo, hi = UNCERTAIN
    uncertain: list[dict[str, Any]] = [
        {"row": i + 1, "name": names[i], "p_above": p} for i, p in given if lo < p < hi
    ]
    uncertain.sort(key=lambda u: -float(u["p_above"]))
    groups: dict[str, list[float]] = {}
    for i, p in zip(rows, ps):
        year = years[i]
        groups.setdefault(str(year) if year is not None else "unknown", []).append(p)
    by_year: dict[str, dict[str, Any]] = {}
    for key in sorted(groups):
        g = groups[key]
        if sum(g) > 0:
            by_year[key] = {
                "expected": sum(g),
                "interval_90": list(count_interval(count_pmf_sequential(g))),
            }
    return ThresholdAudit(
        threshold, float(sum(ps)), count_interval(pmf), sum(p >= hi for p in ps), uncertain, by_year
    )


def dataset_bands_rowwise(
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
    """``rows.dataset_bands`` one row at a time, as it was before it went columnar (same
    arguments, same result to rounding): the reference it is tested and benchmarked against."""
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
    cols.update(_cross_check_columns(flop, hw_d, ops_d))
    cols["status"] = pa.array(status, pa.string())
    cols["flags"] = pa.array(["; ".join(f) for f in flags], pa.string())
    table = pa.table(cols)
    names = ds.names
    years = [d.year if d is not None else None for d in ds.dates]
    audits = [
        _audit_rowwise(
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
