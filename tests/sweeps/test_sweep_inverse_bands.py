"""Inverse sweeps with uncertain factors (issue 16): bands of the days or devices needed and of
device-hours, energy and cost, from the one shared band of U (needed = target / (flop x U))."""

from __future__ import annotations

import json
import math
from statistics import NormalDist

import numpy as np
import pyarrow.parquet as pq
import pytest

from computesim import sweep
from computesim.sweeps.grid import build_grid
from computesim.uncertainty.band import PROBS, qname

TARGET = 1e25
Z95 = NormalDist().inv_cdf(0.95)


def _sigma(lo: float, hi: float) -> float:
    """Log-sd of a lognormal whose 90% interval is lo to hi ("lo to hi")."""
    return math.log(hi / lo) / (2 * Z95)


def _band(point: float, sigma: float) -> dict[str, float]:
    """Quantiles of point x exp(sigma Z) by name."""
    return {qname(p): point * math.exp(sigma * NormalDist().inv_cdf(p)) for p in PROBS}


def _tdp(device: str) -> float:
    g = build_grid({"device": device, "count": 1, "days": 1})
    tdp = g.axes[g.device].profiles[0].tdp_w
    assert tdp is not None
    return tdp


def test_solving_days_all_lognormal_matches_the_closed_form():
    """Utilization, count and the method error lognormal: days needed spread by all three;
    device-hours (hence kWh and USD) do not depend on the count, so not by its spread."""
    t = sweep(
        device="H100 SXM,A100",
        count="512 to 2048",
        utilization="0.3 to 0.5",
        method_error="3x",
        target="1e25FLOP",
        pue=1.2,
        price_per_hour=2.0,
    )
    s_u, s_c, s_m = _sigma(0.3, 0.5), _sigma(512, 2048), math.log(3) / Z95
    for row in t.to_pylist():
        peak = row["peak_tflop_per_s"] * 1e12
        u = math.sqrt(0.3 * 0.5)  # the medians the grid holds
        assert row["utilization"] == pytest.approx(u) and row["count"] == pytest.approx(1024)
        days = TARGET / (peak * 1024 * u * 86_400)
        hours = TARGET / (peak * u * 3600)  # device-hours: the count cancels
        need = _band(days, math.sqrt(s_u**2 + s_c**2 + s_m**2))
        dh = _band(hours, math.sqrt(s_u**2 + s_m**2))
        tdp = _tdp(row["device"])
        for q in need:
            assert row[f"days_needed_{q}"] == pytest.approx(need[q], rel=1e-12)
            assert row[f"device_hours_{q}"] == pytest.approx(dh[q], rel=1e-12)
            assert row[f"energy_kwh_{q}"] == pytest.approx(dh[q] * tdp * 1.2 / 1000, rel=1e-12)
            assert row[f"cost_usd_{q}"] == pytest.approx(dh[q] * 2.0, rel=1e-12)
        # the quantiles flip: the days' p5 comes from the fastest (p95) compute
        assert row["days_needed_p5"] < row["days_needed_p50"] == pytest.approx(days, rel=1e-12)
        assert row["days_needed_p50"] < row["days_needed_p95"]


def test_solving_devices_all_lognormal_matches_the_closed_form():
    """Devices needed for days given as "20 to 40": spread by days and utilization; the
    device-hours by utilization alone (the days cancel)."""
    row = sweep(
        device="H100 SXM", days="20 to 40", utilization="0.3 to 0.5", target="1e25FLOP", pue=1.1
    ).to_pylist()[0]
    peak, u, d = row["peak_tflop_per_s"] * 1e12, math.sqrt(0.15), math.sqrt(800)
    s_u, s_d = _sigma(0.3, 0.5), _sigma(20, 40)
    need = _band(TARGET / (peak * u * d * 86_400), math.hypot(s_u, s_d))
    dh = _band(TARGET / (peak * u * 3600), s_u)
    for q in need:
        assert row[f"devices_needed_{q}"] == pytest.approx(need[q], rel=1e-12)
        assert row[f"device_hours_{q}"] == pytest.approx(dh[q], rel=1e-12)
        assert row[f"energy_kwh_{q}"] == pytest.approx(
            dh[q] * _tdp("H100 SXM") * 1.1 / 1000, rel=1e-12
        )
    assert "cost_usd_p5" not in row  # no price given


def test_monte_carlo_band_matches_a_direct_simulation():
    """Utilization uniform(0.3, 0.5): the band against quantiles of target / flop simulated
    directly with NumPy (the utilization drawn, the rest fixed)."""
    t = sweep(
        device="H100 SXM",
        count="256,1024",
        utilization="uniform(0.3, 0.5)",
        target="1e25FLOP",
        price_per_hour=2.5,
        samples=200_000,
        seed=7,
    )
    u = np.random.default_rng(1).uniform(0.3, 0.5, 400_000)
    for row in t.to_pylist():
        peak = row["peak_tflop_per_s"] * 1e12
        days = TARGET / (peak * row["count"] * u * 86_400)
        hours = days * 24 * row["count"]
        for p in PROBS:
            q = qname(p)
            assert row[f"days_needed_{q}"] == pytest.approx(np.quantile(days, p), rel=5e-3)
            assert row[f"device_hours_{q}"] == pytest.approx(np.quantile(hours, p), rel=5e-3)
            assert row[f"cost_usd_{q}"] == pytest.approx(2.5 * np.quantile(hours, p), rel=5e-3)


def test_no_band_columns_without_uncertainty():
    t = sweep(device="H100 SXM", count=1024, target="1e25FLOP", pue=1.2)
    assert not [n for n in t.column_names if n.endswith("_p50")]
    assert b"computesim.bands" not in t.schema.metadata


def test_streamed_file_equals_the_table(tmp_path):
    kw = dict(device="H100 SXM,A100", count="8:1024:5log", utilization="0.3 to 0.5", pue=1.2)
    one = sweep(**kw, target="1e24FLOP")
    path = sweep(**kw, target="1e24FLOP", out=tmp_path / "inv.parquet", chunk_points=3)
    disk = pq.read_table(path)
    assert disk.column_names == one.column_names
    for name in one.column_names:
        if name != "device":
            np.testing.assert_array_equal(disk[name].to_numpy(), one[name].to_numpy())
    meta = json.loads(disk.schema.metadata[b"computesim.bands"])
    assert "utilization" in meta["uncertain"]


@pytest.mark.parametrize("parts", [1, 3])
@pytest.mark.parametrize("solve", ["days", "count"])
def test_inverse_bands_on_a_cluster(dask_client, parts, solve):
    kw = dict(device="K80,H100 SXM", utilization="0.25 to 0.4", pue=1.2, price_per_hour=2.0)
    kw |= {"count": "1,8,64"} if solve == "days" else {"days": "10:100:4"}
    one = sweep(**kw, target="1e23FLOP", method_error="2x")
    got = sweep(**kw, target="1e23FLOP", method_error="2x", client=dask_client, parts=parts)
    assert f"{'days' if solve == 'days' else 'devices'}_needed_p95" in got.column_names
    assert got.schema.equals(one.schema)
    assert got.equals(one)


def test_cli_inverse_bands_json(cli):
    r = cli(
        "sweep",
        "--device",
        "H100",
        "--count",
        "1024",
        "--target",
        "1e25FLOP",
        "--utilization",
        "0.3 to 0.5",
        "--pue",
        "1.2",
        "--price-per-hour",
        "2",
        "--json",
    )
    assert r.code == 0, r.err
    (row,) = json.loads(r.out)["rows"]
    for name in ("days_needed", "device_hours", "energy_kwh", "cost_usd"):
        qs = [row[f"{name}_{qname(p)}"] for p in PROBS]
        assert qs == sorted(qs) and qs[0] < qs[-1]
        assert row[f"{name}_p50"] == pytest.approx(row[name], rel=1e-12)
    assert row["cost_usd_p95"] == pytest.approx(2 * row["device_hours_p95"], rel=1e-12)


def test_p_above_is_materialise_only(cli):
    r = cli(
        "sweep",
        "--device",
        "H100",
        "--count",
        "8",
        "--target",
        "1e22FLOP",
        "--utilization",
        "0.3 to 0.5",
        "--p-above",
        "1e22",
    )
    assert r.code == 2 and r.err.count("\n") == 1 and "error: --p-above:" in r.err, r.err
