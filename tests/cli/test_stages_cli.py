"""``computesim estimate ... --stage-compute STAGE=COMPUTE [--stage NAME]``: the cumulative compute
of training stages with its band, against hand calculations and a Monte Carlo of the sum."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

Z95 = NormalDist().inv_cdf(0.95)


def test_points_add_up_and_the_stage_defaults_to_the_first_free_one(cli):
    d = cli(
        "estimate", "ops", "--params", "7e9", "--tokens", "2e10",
        "--stage-compute", "pretraining=1e23 FLOP", "--json",
    ).json()  # fmt: skip
    c = d["cumulative"]
    assert c["this_stage"] == "fine-tuning"  # pretraining is taken: the first free stage
    assert c["stages"]["fine-tuning"]["median_flop"] == pytest.approx(6 * 7e9 * 2e10)
    total = 6 * 7e9 * 2e10 + 1e23
    assert c["mean_flop"] == pytest.approx(total) and c["sd_flop"] == 0
    assert all(v == pytest.approx(total) for v in c["quantiles_flop"].values())


def test_ranges_enter_with_their_log_sd_and_the_mean_is_exact(cli):
    """A range 'a to b' is the lognormal with 90% interval [a, b]: log-SD ln(b/a) / (2 z95). The
    sum's mean is the sum of the stages' lognormal means (exact; Fenton-Wilkinson keeps it)."""
    d = cli(
        "estimate", "ops", "--params", "70e9", "--tokens", "1e11 to 4e11",
        "--stage", "post-training",
        "--stage-compute", "pretraining=5e23 to 2e24 FLOP",
        "--stage-compute", "fine-tuning=1e22 FLOP",
        "--json",
    ).json()  # fmt: skip
    c = d["cumulative"]
    s_pre, s_post = math.log(4) / (2 * Z95), math.log(4) / (2 * Z95)
    assert c["stages"]["pretraining"]["log_sigma"] == pytest.approx(s_pre)
    assert c["stages"]["post-training"]["log_sigma"] == pytest.approx(s_post)
    assert c["stages"]["fine-tuning"]["log_sigma"] == 0
    med_pre, med_post = 1e24, 6 * 70e9 * 2e11
    assert c["stages"]["post-training"]["median_flop"] == pytest.approx(med_post)
    mean = med_pre * math.exp(s_pre**2 / 2) + med_post * math.exp(s_post**2 / 2) + 1e22
    assert c["mean_flop"] == pytest.approx(mean)
    assert c["stages_lognormal"] is True
    # against a Monte Carlo of the sum of the independent stages
    rng = np.random.default_rng(0)
    n = 400_000
    draws = (
        med_pre * np.exp(s_pre * rng.standard_normal(n))
        + med_post * np.exp(s_post * rng.standard_normal(n))
        + 1e22
    )
    assert c["mean_flop"] == pytest.approx(
        draws.mean(), rel=4 * draws.std() / draws.mean() / n**0.5
    )
    for p in (5, 50, 95):
        assert c["quantiles_flop"][f"p{p}"] == pytest.approx(np.percentile(draws, p), rel=0.03)


def test_non_lognormal_stage_enters_by_its_log_moments(cli):
    d = cli(
        "estimate", "hardware", "--device", "A100", "--count", "64", "--days", "10",
        "--utilization", "uniform(0.3, 0.5)",
        "--stage-compute", "pretraining=1e24 FLOP", "--json",
    ).json()  # fmt: skip
    c = d["cumulative"]
    assert c["stages_lognormal"] is False and c["this_stage"] == "fine-tuning"
    assert c["stages"]["fine-tuning"]["log_sigma"] > 0


def test_text_output_has_the_cumulative_line(cli):
    r = cli(
        "estimate", "--device", "H100", "--count", "8", "--days", "3",
        "--stage-compute", "pretraining=3.8e25 FLOP",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "cumulative over stages" in r.out and "this estimate: fine-tuning" in r.out


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["--stage-compute", "pretrain=1e24 FLOP"], "--stage-compute"),
        (["--stage-compute", "1e24 FLOP"], "--stage-compute"),
        (["--stage-compute", "pretraining=lots of FLOP"], "--stage-compute"),
        (["--stage-compute", "pretraining=< 1e24 FLOP"], "--stage-compute"),  # upper bound
        (
            [
                "--stage-compute",
                "pretraining=1e24 FLOP",
                "--stage-compute",
                "pretraining=2e24 FLOP",
            ],
            "--stage-compute",
        ),
        (["--stage", "pretraining", "--stage-compute", "pretraining=1e24 FLOP"], "--stage"),
        (["--stage", "finetune"], "--stage"),
        (
            [
                "--stage-compute",
                "pretraining=1e24 FLOP",
                "--stage-compute",
                "fine-tuning=1e22 FLOP",
                "--stage-compute",
                "post-training=1e21 FLOP",
            ],
            "--stage",
        ),
    ],
)
def test_bad_stage_input_names_the_flag(cli, argv, flag):
    r = cli("estimate", "ops", "--params", "7e9", "--tokens", "2e10", *argv)
    assert r.code == 2 and r.out == "", r.out
    assert r.err.startswith(f"computesim: error: {flag}: ") and r.err.count("\n") == 1, r.err


def test_both_methods_are_refused(cli):
    r = cli(
        "estimate", "--params", "7e9", "--tokens", "2e10", "--device", "A100", "--days", "1",
        "--stage-compute", "pretraining=1e24 FLOP",
    )  # fmt: skip
    assert r.code == 2 and "--stage-compute" in r.err and "one method" in r.err
