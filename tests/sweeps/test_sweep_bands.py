"""Sweeps with uncertain factors: band columns per grid point, equal to the single-estimate band."""

import math

import numpy as np
import pyarrow.parquet as pq
import pytest

import computesim
from computesim.uncertainty.band import PROBS, band, model_of, qname


def test_exact_band_per_point_equals_the_single_estimate_band():
    t = computesim.sweep(
        device="GTX 580", count="1,2,8", days="5 to 6", utilization="0.25 to 0.4", backend="numba"
    )
    assert {f"flop_{qname(p)}" for p in PROBS} <= set(t.column_names)
    for row in t.to_pylist():
        e = computesim.estimate_hardware(
            device="GTX 580", count=row["count"], days="5 to 6", utilization="0.25 to 0.4"
        )
        b = band(model_of(e))
        assert row["flop"] == pytest.approx(e.flop, rel=1e-12)  # the point estimate is the median
        for p in PROBS:
            assert row[f"flop_{qname(p)}"] == pytest.approx(b.quantiles[p], rel=1e-12)
            assert row[f"pfs_days_{qname(p)}"] == pytest.approx(b.quantiles[p] / 8.64e19, rel=1e-12)
        assert row["flop_mean"] == pytest.approx(b.mean, rel=1e-12)


def test_threshold_probabilities_per_point():
    t = computesim.sweep(
        device="GTX 580", count="1,2,4", days="5 to 6", p_above=["5e17 FLOP"]
    ).to_pylist()
    probs = [r["p_above_5e+17"] for r in t]
    assert probs == sorted(probs) and 0 <= probs[0] < probs[-1] <= 1
    # closed form: log flop ~ N(log median, sigma) with sigma from the 90% interval of days
    sigma = (math.log(6) - math.log(5)) / (2 * 1.6448536269514722)
    for r, p in zip(t, probs):
        z = (math.log(5e17) - math.log(r["flop"])) / sigma
        assert p == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)), abs=1e-12)


def test_method_error_widens_the_band():
    narrow = computesim.sweep(tflops=8.5, count=60, days=30).to_pylist()[0]
    wide = computesim.sweep(tflops=8.5, count=60, days=30, method_error="3x").to_pylist()[0]
    assert "flop_p5" not in narrow
    assert wide["flop_p95"] / wide["flop_p50"] == pytest.approx(3.0, rel=1e-9)
    assert wide["flop_p50"] == pytest.approx(narrow["flop"], rel=1e-12)


def test_monte_carlo_band_is_reproducible_and_streams(tmp_path):
    kw = dict(
        device="GTX 580",
        count="1,2",
        days=5.5,
        utilization="uniform(0.25, 0.4)",
        samples=20_000,
        seed=3,
    )
    mem = computesim.sweep(**kw, backend="numba")
    again = computesim.sweep(**kw, backend="numba")
    assert mem.equals(again)
    path = computesim.sweep(**kw, out=tmp_path / "b.parquet", chunk_points=1)
    disk = pq.read_table(path)
    for name in mem.column_names:
        if name != "device":
            np.testing.assert_allclose(disk[name].to_numpy(), mem[name].to_numpy(), rtol=1e-12)
    r = mem.to_pylist()[0]
    assert r["flop_p5"] < r["flop_p50"] < r["flop_p95"]
    # a uniform's 5% and 95% points, times the fixed factors
    fixed = 1.58e12 * 5.5 * 86_400
    assert r["flop_p5"] == pytest.approx(fixed * (0.25 + 0.05 * 0.15), rel=0.02)
    assert r["flop_p95"] == pytest.approx(fixed * (0.25 + 0.95 * 0.15), rel=0.02)


@pytest.mark.parametrize(
    "argv, field",
    [
        (["--threshold", "1e17FLOP"], "--mode"),
        (["--mode", "reduce"], "--mode"),
        (["--target", "1e20FLOP", "--solve", "count", "--p-above", "1e17"], "--p-above"),
        (["--p-above", "1e17"], "--p-above"),
        (["--samples", "0", "--force-mc"], "--samples"),
        (["--method-error", "0.5x"], "--method-error"),
    ],
)
def test_bad_uncertain_sweeps_exit_2(cli, argv, field):
    r = cli("sweep", "--device", "GTX 580", "--count", "1,2", "--days", "5 to 6", *argv)
    assert r.code == 2 and r.err.count("\n") == 1 and f"error: {field}:" in r.err, r.err


def test_device_cannot_be_a_distribution(cli):
    r = cli("sweep", "--device", "1 to 2", "--days", "1")
    assert r.code == 2 and "--device" in r.err


@pytest.mark.parametrize("to_file", [False, True])
def test_shared_band_is_computed_once_per_sweep(tmp_path, monkeypatch, to_file):
    """U's band (and its Monte Carlo draws) is computed once, however many chunks the grid has."""
    from computesim.sweeps import bands as sweep_bands

    calls = []
    real = sweep_bands.shared_band

    def counted(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(sweep_bands, "shared_band", counted)
    out = tmp_path / "b.arrow" if to_file else None
    chunks = []
    computesim.sweep(
        device="GTX 580",
        count="1,2,4,8",
        days="5 to 6",
        utilization="uniform(0.25, 0.4)",
        p_above=["5e17 FLOP"],
        samples=2_000,
        chunk_points=1,
        out=out,
        progress=lambda done, total: chunks.append((done, total)),
    )
    assert chunks == [(1, 4), (2, 4), (3, 4), (4, 4)]  # four chunks
    assert len(calls) == 1
