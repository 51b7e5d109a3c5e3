"""The columnar ``dataset_bands`` against its per-row reference: same table, audit, metadata and
disagreements (floats equal to rounding) on every layout's fixture, the built-in points and a
synthetic 10^5-row table with every rule, flag and failure in it."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from layout_fixtures import CHART, EPOCH, PCD

from computesim.benchmarks.datasets import epoch_csv
from computesim.data.datasets import builtin_points
from computesim.data.table import read_table
from computesim.uncertainty.rows import dataset_bands
from computesim.uncertainty.rows_reference import dataset_bands_rowwise

RTOL = 1e-12


def _same(a, b, where=""):
    """a == b, floats to RTOL (NaN where NaN), recursing through dicts and lists."""
    if isinstance(a, float) and isinstance(b, float):
        assert (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=RTOL), (where, a, b)
    elif isinstance(a, dict) and isinstance(b, dict):
        assert list(a) == list(b), (where, list(a), list(b))
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        assert len(a) == len(b), (where, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    else:
        assert a == b, (where, a, b)


def _check(ds, **kw):
    new, old = dataset_bands(ds, **kw), dataset_bands_rowwise(ds, **kw)
    assert new.table.schema == old.table.schema
    for name in new.table.column_names:
        a, b = new.table.column(name), old.table.column(name)
        if pa.types.is_floating(a.type):
            x = a.to_numpy(zero_copy_only=False).astype(float)
            y = b.to_numpy(zero_copy_only=False).astype(float)
            assert a.null_count == b.null_count and np.array_equal(np.isnan(x), np.isnan(y)), name
            ok = ~np.isnan(x)
            np.testing.assert_allclose(x[ok], y[ok], rtol=RTOL, err_msg=name)
        else:
            assert a.to_pylist() == b.to_pylist(), name
    _same(new.to_dict(), old.to_dict(), "report")
    return new


@pytest.mark.parametrize("text", [EPOCH, PCD, CHART], ids=["epoch", "pcd", "chart"])
@pytest.mark.parametrize("unknown", ["widest", "exclude"])
def test_fixtures_match_the_reference(text, unknown, tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(text, encoding="utf-8")
    ds = read_table(f)
    _check(ds, thresholds=[1e20, 1e23, 1e25], unknown=unknown, samples=500)


def test_builtin_points_match_the_reference():
    ds = read_table(builtin_points().table)
    _check(ds, thresholds=[1e21], confidence_factors={"Likely": 5.0})


def _synthetic(n: int, tmp_path) -> pa.Table:
    """Every rule and flag: bounds (both, one, inverted, outside), every confidence level and
    unrecognised ones, upper-bound values, no compute with chips / parameters / neither, unknown
    and several chips, numerical formats, utilization, epochs."""
    text, _ = epoch_csv(n)
    f = tmp_path / "synthetic.csv"
    f.write_text(text, encoding="utf-8")
    t = read_table(f).raw
    rng = np.random.default_rng(1)
    i = np.arange(n)
    flop = t.column("Training compute (FLOP)").to_pylist()
    flop = [None if k % 37 == 5 else ("<" + v if k % 53 == 7 else v) for k, v in enumerate(flop)]
    conf = t.column("Confidence").to_pylist()
    conf = ["High" if k % 41 == 2 else c for k, c in zip(i, conf)]
    lo = t.column("Training compute lower bound").to_pylist()
    hi = t.column("Training compute upper bound").to_pylist()
    lo = [("1e20" if k % 29 == 1 else v) for k, v in enumerate(lo)]  # one bound, or outside
    hw = np.array(["", "NVIDIA A100 SXM4 80 GB", "Google TPU v3", "Mystery chip 9", "A100, V100"])
    chips = hw[np.where(i % 5 == 0, i // 5 % 5, 0)]
    fmts = np.array(["", "FP16", "FP8", "TF32", "weird"])[i % 5]
    domain = np.where(i % 3 == 0, "Language", "Vision")
    params = np.where(i % 4 == 0, (10 ** rng.uniform(6, 11, n)).round(), np.nan)
    return pa.table(
        {
            "Model": t.column("Model"),
            "Domain": pa.array(domain),
            "Publication date": t.column("Publication date"),
            "Parameters": pa.array(params),
            "Training dataset size (datapoints)": pa.array(10 ** rng.uniform(8, 12, n)),
            "Epochs": pa.array(np.where(i % 6 == 0, 3.0, np.nan)),
            "Training compute (FLOP)": pa.array(flop, pa.string()),
            "Confidence": pa.array(conf, pa.string()),
            "Training compute lower bound": pa.array(lo, pa.string()),
            "Training compute upper bound": pa.array(hi, pa.string()),
            "Training hardware": pa.array(chips),
            "Hardware quantity": pa.array(np.where(i % 7 == 0, np.nan, 64.0)),
            "Training time (hours)": pa.array(np.where(i % 11 == 0, np.nan, 100.0 + i % 50)),
            "Hardware utilization (MFU)": pa.array(np.where(i % 2 == 0, 0.4, np.nan)),
            "Numerical format": pa.array(fmts),
        }
    )


def test_synthetic_table_matches_the_reference(tmp_path):
    n = 2_000
    ds = read_table(_synthetic(n, tmp_path))
    rb = _check(ds, thresholds=[1e22, 1e25], samples=200)
    counts = rb.counts()
    assert {"bounds", "confidence", "hardware", "ops"} <= set(counts), counts
    flags = " ".join(rb.table.column("flags").to_pylist())
    for f in ("one bound only", "unrecognised confidence", "several chips", "unknown hardware"):
        assert f in flags, f
    _check(ds, unknown="exclude", thresholds=[1e22], samples=200)


@pytest.mark.slow
def test_synthetic_1e5_rows_match_the_reference(tmp_path):
    ds = read_table(_synthetic(100_000, tmp_path))
    _check(ds, thresholds=[1e25], samples=100)
