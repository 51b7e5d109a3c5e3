"""`computesim estimate` with ranges: the acceptance commands, JSON keys, bad input (exit 2, one line)."""

import json
import math

import pytest
from argv import ALEXNET_BAND

from computesim.cli import main

ACCEPT = [*ALEXNET_BAND, "--json"]


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_acceptance_exact(capsys):
    d = run_json(capsys, ACCEPT + ["--threshold", "1e25FLOP,4e17FLOP"])
    assert d["exact"] is True
    q = d["quantiles_pfs_days"]
    assert list(q) == ["p5", "p25", "p50", "p75", "p95"]
    assert q["p5"] < q["p25"] < q["p50"] < q["p75"] < q["p95"]
    assert d["pfs_days"] == q["p50"] == pytest.approx(d["point_pfs_days"], rel=1e-12)
    assert d["mean_pfs_days"] > d["pfs_days"]
    assert set(d["p_above"]) == {"1e+25", "4e+17"} and d["p_above"]["1e+25"] == 0.0
    assert set(d["attribution"]) == {"time", "utilization"}
    assert sum(d["attribution"].values()) == pytest.approx(1.0)
    assert d["method"] == "hardware" and "inputs" in d and "factors" in d  # the existing keys stay


def test_acceptance_monte_carlo_within_error(capsys):
    ex = run_json(capsys, ACCEPT)
    mc = run_json(capsys, ACCEPT + ["--samples", "1000000", "--seed", "1", "--force-mc"])
    assert mc["exact"] is False and mc["samples"] == 1_000_000 and mc["seed"] == 1
    for k, v in ex["quantiles_pfs_days"].items():
        assert abs(mc["quantiles_pfs_days"][k] - v) < 4 * mc["quantile_se_pfs_days"][k], k
    assert abs(mc["mean_pfs_days"] - ex["mean_pfs_days"]) < 4 * mc["mean_se_pfs_days"]
    again = run_json(capsys, ACCEPT + ["--samples", "1000000", "--seed", "1", "--force-mc"])
    assert (
        again["quantiles_pfs_days"] == mc["quantiles_pfs_days"]
    )  # the seed alone fixes the numbers


def test_point_inputs_keep_the_old_json(capsys):
    d = run_json(
        capsys,
        ["estimate", "hardware", "--tflops", "1.58", "--count", "2", "--days", "5.5", "--json"],
    )
    assert "exact" not in d and "quantiles_pfs_days" not in d
    assert d["pfs_days"] == pytest.approx(2 * 1.58e12 * 5.5 * 86400 * 0.33 / 8.64e19)


def test_method_error_and_mixed_families(capsys):
    d = run_json(
        capsys,
        [
            "estimate",
            "hardware",
            "--tflops",
            "1.58",
            "--days",
            "uniform(4, 6)",
            "--method-error",
            "3x",
            "--samples",
            "20000",
            "--json",
        ],
    )
    assert d["exact"] is False and d["backend"] == "reference"  # small work: auto takes NumPy
    assert d["attribution"]["method_error"] > 0.9
    assert d["spread_factor"] == pytest.approx(3.0, rel=0.1)


def test_both_methods_bands_and_combination(capsys):
    d = run_json(
        capsys,
        [
            "estimate",
            "--tflops",
            "1.54 to 1.58",
            "--count",
            "2",
            "--days",
            "5 to 6",
            "--forward-macs",
            "0.75e9",
            "--examples",
            "1.2e6",
            "--epochs",
            "90",
            "--method-error",
            "2x",
            "--json",
        ],
    )
    assert d["method"] == "both" and d["overlap"] is True and d["disagree"] is False
    assert [e["method"] for e in d["estimates"]] == ["ops", "hardware"]
    assert all(e["exact"] for e in d["estimates"])
    assert "ratio_hardware_over_ops" in d and "agree" in d
    lo, hi = (e["pfs_days"] for e in d["estimates"])
    assert min(lo, hi) <= d["pfs_days"] <= max(lo, hi)
    assert 0 < d["ratio_band"]["p_within_tolerance"] < 1


def test_correlate_flag(capsys):
    base = [
        "estimate",
        "hardware",
        "--tflops",
        "1.4 to 1.6",
        "--days",
        "5",
        "--utilization",
        "0.25 to 0.4",
        "--json",
    ]
    plain = run_json(capsys, base)
    corr = run_json(capsys, base + ["--correlate", "peak:utilization=0.9"])
    assert corr["spread_factor"] > plain["spread_factor"]


def test_text_output(capsys):
    assert main(ACCEPT[:-1] + ["--threshold", "4e17FLOP"]) == 0
    out = capsys.readouterr().out
    assert "band (exact" in out and "P(compute > 4e+17 FLOP)" in out


@pytest.mark.parametrize(
    "extra, field",
    [
        (["--days", "6 to 5"], "--days"),
        (["--days", "lognormal(0, 5)"], "--days"),
        (["--utilization", "loguniform(-0.1, 0.3)"], "--utilization"),
        (["--samples", "0"], "--samples"),
        (["--samples", "-3"], "--samples"),
        (["--samples", "1.5"], "--samples"),
        (["--threshold", "1e25"], "--threshold"),
        (["--utilization", "0.2 to 0.4", "--correlate", "peak:utilization=1.5"], "--correlate"),
        (
            [
                "--tflops",
                "1.5 to 1.6",
                "--utilization",
                "0.2 to 0.4",
                "--correlate",
                "peak:utilization=-1",
            ],
            "--correlate",
        ),
        (["--correlate", "peak-utilization"], "--correlate"),
        (["--method-error", "0.5"], "--method-error"),
        (["--seed", "-1"], "--seed"),
    ],
)
def test_bad_input_exit_2_one_line(capsys, extra, field):
    argv = ["estimate", "hardware", "--tflops", "1.58", "--days", "5"]
    # later flags win in argparse, so the bad value replaces the good one
    assert main(argv + extra) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"computesim: error: {field}:"), err


def test_profile_range(capsys):
    d = run_json(
        capsys,
        [
            "estimate",
            "hardware",
            "--device",
            "GTX 580",
            "--tflops",
            "range",
            "--days",
            "5",
            "--json",
        ],
    )
    assert d["exact"] is True
    assert d["inputs"]["peak_source"].endswith("(range)")
    assert math.isclose(d["factors"][1]["value"]["p5"], 1.54e12) and math.isclose(
        d["factors"][1]["value"]["p95"], 1.581e12
    )
