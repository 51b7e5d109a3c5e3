"""A band for every dataset row: bounds, confidence levels, re-derived inputs; coverage."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pytest

from computesim.data.table import read_table
from computesim.errors import InputError
from computesim.uncertainty.rows import dataset_bands, parse_confidence_factors

Z90 = 1.6448536269514722


def _ds(**cols):
    base = {"Model": [f"m{i}" for i in range(len(next(iter(cols.values()))))]}
    base["Publication date"] = ["2020-01-01"] * len(base["Model"])
    return read_table(pa.table({**base, **cols}))


def test_rules_in_order_and_flags():
    ds = _ds(
        **{
            "Training compute (FLOP)": [1e23, 1e23, 1e23, 1e23, None, 1e23],
            "Training compute lower bound": [5e22, None, None, None, None, 2e23],
            "Training compute upper bound": [2e23, None, None, None, None, 4e23],
            "Confidence": ["Likely", "Confident", "", "High", "Likely", None],
        }
    )
    rb = dataset_bands(ds)
    rows = rb.table.to_pylist()
    assert [r["band_source"] for r in rows] == [
        "bounds",
        "confidence",
        "confidence",
        "confidence",
        None,
        "bounds",
    ]
    assert rows[0]["p5_flop"] == pytest.approx(5e22) and rows[0]["p95_flop"] == pytest.approx(2e23)
    assert rows[1]["p95_flop"] == pytest.approx(3e23) and rows[1]["p50_flop"] == pytest.approx(1e23)
    assert rows[2]["confidence_used"] == "Speculative" and "widest" in rows[2]["flags"]
    assert "unrecognised confidence 'High'" in rows[3]["flags"]
    assert rows[4]["status"] == "empty compute" and rows[4]["p50_flop"] is None
    assert "outside its bounds" in rows[5]["flags"]
    assert rb.table.num_rows == ds.n_rows
    ex = dataset_bands(ds, unknown="exclude").table.column("status").to_pylist()
    assert ex[2] == ex[3] == "excluded: no confidence level"
    own = dataset_bands(ds, confidence_factors={"Likely": 4.0, "Confident": 2.0})
    assert own.table.column("p95_flop")[1].as_py() == pytest.approx(2e23)
    assert own.meta["confidence_source"] == "given by the user"


def test_bounds_level_and_threshold_probability_closed_form():
    ds = _ds(
        **{
            "Training compute (FLOP)": [1e25],
            "Training compute lower bound": [1e24],
            "Training compute upper bound": [1e26],
        }
    )
    r = dataset_bands(ds, bounds_level=0.8, thresholds=[3e25]).table.to_pylist()[0]
    sd = math.log(100) / 2 / 1.2815515655446004
    want = 0.5 * math.erfc(math.log(3) / (sd * math.sqrt(2)))
    assert r["p_above_3e+25"] == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("rule", ["confidence", "bounds"])
def test_coverage_on_synthetic_rows_with_known_truth(rule):
    """Truth T; the dataset records T x error, error lognormal with 90% interval [1/f, f] (what
    the level means); the band must hold T in 90% of rows."""
    rng = np.random.default_rng(7)
    n, f = 4000, 10.0
    truth = np.exp(rng.uniform(40, 60, n))
    rec = truth * np.exp(rng.normal(0, math.log(f) / Z90, n))
    cols = {"Training compute (FLOP)": rec, "Confidence": ["Likely"] * n}
    if rule == "bounds":
        cols |= {"Training compute lower bound": rec / f, "Training compute upper bound": rec * f}
    t = dataset_bands(_ds(**cols)).table
    lo, hi = np.array(t.column("p5_flop")), np.array(t.column("p95_flop"))
    cover = np.mean((lo <= truth) & (truth <= hi))
    assert abs(cover - 0.9) < 4 * math.sqrt(0.09 / n)


def test_rows_rederived_from_inputs():
    ds = read_table(
        pa.table(
            {
                "Model": ["hw", "unknown chip", "two chips", "ops", "nothing"],
                "Publication date": ["2021-01-01"] * 5,
                "Training compute (FLOP)": [None] * 5,
                "Training hardware": [
                    "NVIDIA A100",
                    "Cerebras CS-9",
                    "NVIDIA A100,NVIDIA V100",
                    None,
                    None,
                ],
                "Hardware quantity": [64.0, 8, 8, None, None],
                "Training time (hours)": [240.0, 10, 10, None, None],
                "Parameters": [None, None, None, 1e9, None],
                "Training dataset size (total)": [None, None, None, 2e10, None],
                "Domain": ["Language"] * 5,
            }
        )
    )
    rb = dataset_bands(ds, samples=2000)
    rows = rb.table.to_pylist()
    assert [r["band_source"] for r in rows] == ["hardware", None, None, "ops", None]
    assert rows[3]["p50_flop"] == pytest.approx(6 * 1e9 * 2e10, rel=1e-9)
    assert rows[1]["status"] == "empty compute; unknown hardware"
    assert rows[2]["status"] == "empty compute; several chips in one cell"
    assert rb.meta["hardware_missing_profiles"] == {"Cerebras CS-9": 1}
    assert rows[0]["p5_flop"] < rows[0]["p50_flop"] < rows[0]["p95_flop"]


def test_confidence_factor_parsing():
    assert parse_confidence_factors("Confident=3,Likely=10x") == {"Confident": 3.0, "Likely": 10.0}
    for bad in ("Likely", "Likely=1", "=3", ""):
        with pytest.raises(InputError):
            parse_confidence_factors(bad)


def test_cross_check_rederived_beside_recorded():
    from computesim.hardware_profiles import find_profile

    a100 = find_profile("NVIDIA A100")
    hours, q, mfu = 100.0, 64.0, 0.4
    hw_default = q * hours * 3600 * a100.peak().flop_per_s * mfu
    hw_fp32 = q * hours * 3600 * a100.peak("fp32").flop_per_s * mfu
    ds = read_table(
        pa.table(
            {
                "Model": ["default", "fp32", "odd format", "far off", "ops", "unknown", "none"],
                "Publication date": ["2021-01-01"] * 7,
                "Training compute (FLOP)": [
                    hw_default,
                    hw_fp32 * 2,
                    hw_default,
                    hw_default * 10,
                    6e21 / 4,
                    1e22,
                    1e22,
                ],
                "Confidence": ["Likely"] * 7,
                "Training hardware": ["NVIDIA A100 SXM4 80 GB"] * 4 + [None, "Cerebras CS-9", None],
                "Hardware quantity": [q] * 4 + [None, 8, None],
                "Training time (hours)": [hours] * 4 + [None, 10, None],
                "Hardware utilization (MFU)": [mfu] * 4 + [None] * 3,
                "Numerical format": [None, "Mixed FP32", "weird", None, None, None, None],
                "Parameters": [None] * 4 + [1e9, None, None],
                "Training dataset size (total)": [None] * 4 + [5e11, None, None],
                "Epochs": [None] * 4 + [2.0, None, None],
                "Domain": ["Language"] * 7,
            }
        )
    )
    rb = dataset_bands(ds, samples=500)
    rows = rb.table.to_pylist()
    assert a100.default_precision != "fp32"  # tensor-unit chip: the 16-bit dense default
    assert [r["peak_precision"] for r in rows[:4]] == [a100.default_precision, "fp32"] + [
        a100.default_precision
    ] * 2
    assert rows[0]["peak_precision_source"].startswith("profile default (no numerical")
    assert rows[1]["peak_precision_source"] == "numerical format"
    assert "'weird' not recognised" in rows[2]["peak_precision_source"]
    assert rows[0]["rederived_hardware_flop"] == pytest.approx(hw_default, rel=1e-12)
    assert rows[0]["rederived_hardware_ratio"] == pytest.approx(1.0, rel=1e-12)
    assert rows[1]["rederived_hardware_ratio"] == pytest.approx(0.5, rel=1e-12)
    assert rows[4]["rederived_ops_flop"] == pytest.approx(6 * 1e9 * 5e11 * 2, rel=1e-12)
    assert rows[4]["rederived_ops_ratio"] == pytest.approx(4.0, rel=1e-12)
    assert "x 2 epochs" in rows[4]["flags"]
    assert all(r["rederived_hardware_flop"] is None for r in rows[4:])
    assert [r["band_source"] for r in rows] == ["confidence"] * 7  # recorded values keep theirs
    dis = rb.disagreements
    assert [(d["system"], d["method"]) for d in dis] == [("far off", "hardware"), ("ops", "ops")]
    assert dis[0]["ratio"] == pytest.approx(0.1) and dis[0]["peak_precision"]
    assert rb.cross_checked() == {"hardware": 4, "ops": 1}
    assert rb.meta["hardware_missing_profiles"] == {"Cerebras CS-9": 1}
    json.dumps(rb.to_dict(), allow_nan=False)


def _trend_csv(tmp_path, level):
    rng = np.random.default_rng(1)
    lines = ["Model,Publication date,Training compute (FLOP),Confidence"]
    for i in range(40):
        y = 2010 + i * 0.3
        flop = 10 ** (18 + 0.6 * (y - 2010) + rng.normal(0, 0.3))
        lines.append(f"m{i},{int(y)}-{1 + int((y % 1) * 12):02d}-01,{flop:.4e},{level}")
    f = tmp_path / "t.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f


def test_trend_propagates_each_rows_band(tmp_path):
    """A Confident row's band is /3 to x3: redrawing within it is the same bootstrap as the
    noise-factor 3 perturbation of points without a band (same seed, same draws)."""
    from computesim.data.datasets import read_csv_points
    from computesim.trends.report import trend_report
    from computesim.uncertainty.rows import band_interval

    f = _trend_csv(tmp_path, "Confident")
    banded = read_csv_points(f, point_band=band_interval)
    lo = np.array(banded.table.column("flop_low").to_pylist())
    assert np.allclose(lo * 3, banded.table.column("flop").to_numpy())
    a = trend_report(banded, propagate=True, noise_factor=100).overall
    b = trend_report(read_csv_points(f), propagate=True, noise_factor=3).overall
    plain = trend_report(read_csv_points(f)).overall
    assert a.to_dict()["doubling_months_ci"] == pytest.approx(b.to_dict()["doubling_months_ci"])
    w = [np.diff(x.to_dict()["oom_per_year_ci"])[0] for x in (a, plain)]
    assert w[0] > 1.2 * w[1]  # the rows' bands widen the slope's interval


def test_points_take_bounds_columns_as_their_band(tmp_path):
    from computesim.data.datasets import read_csv_points

    f = tmp_path / "b.csv"
    f.write_text(
        "Model,Publication date,Training compute (FLOP),Training compute lower bound,"
        "Training compute upper bound\nA,2020-01-01,1e22,5e21,4e22\nB,2021-01-01,1e23,,\n",
        encoding="utf-8",
    )
    t = read_csv_points(f).table
    assert t.column("flop_low").to_pylist() == [5e21, None]
    assert t.column("flop_high").to_pylist() == [4e22, None]
