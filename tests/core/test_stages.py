"""Stages: LoRA fine-tuning through a frozen base, the cumulative total, the one-third share."""

from __future__ import annotations

import math

import numpy as np
import pytest

from computesim.core.methods import reported
from computesim.core.stages import ONE_THIRD, cumulative, cumulative_band, modification_share
from computesim.core.transformer_ops import estimate_transformer
from computesim.errors import InputError


def test_lora_is_forward_and_backward_through_a_frozen_base():
    n, a, d = 70e9, 40e6, 1e9
    e = estimate_transformer(params=n, trainable_params=a, tokens=d)
    # forward N + A MAC; backward: activation gradients N + A, weight gradients A only
    assert e.flop == pytest.approx(2 * (2 * n + 3 * a) * d, rel=1e-12)
    full = estimate_transformer(params=n, tokens=d)
    assert e.flop / full.flop == pytest.approx((2 * n + 3 * a) / (3 * n), rel=1e-12)
    with pytest.raises(InputError) as err:
        estimate_transformer(params=1e6, trainable_params=2e6, tokens=d)
    assert err.value.field == "trainable_params"


def test_cumulative_total_and_shares():
    pre, ft = reported("8.4e23 FLOP"), estimate_transformer(params=70e9, tokens=1e10)
    post = reported("1e21 FLOP")
    c = cumulative({"pretraining": pre, "fine-tuning": ft, "post-training": post})
    assert c["total_flop"] == pytest.approx(8.4e23 + 6 * 70e9 * 1e10 + 1e21, rel=1e-15)
    assert sum(c["share"].values()) == pytest.approx(1.0, rel=1e-15)
    with pytest.raises(InputError):
        cumulative({"pre": pre})


def test_modification_share_against_one_third():
    orig = reported("3e24 FLOP")
    assert modification_share(reported("1.01e24 FLOP"), orig) > ONE_THIRD
    assert modification_share(reported("0.99e24 FLOP"), orig) < ONE_THIRD


# --- cumulative band (Fenton-Wilkinson), tested against Monte Carlo ---------------------------------
def _mc_sum(stages, n=400_000, seed=7):
    rng = np.random.default_rng(seed)
    return sum(np.exp(rng.normal(mu, s, n)) for mu, s in stages.values())


def test_cumulative_band_single_stage_is_that_lognormal():
    b = cumulative_band({"pretraining": (math.log(1e24), 0.4)})
    assert b["log_mu"] == pytest.approx(math.log(1e24), rel=1e-12)
    assert b["log_sigma"] == pytest.approx(0.4, rel=1e-12)


def test_cumulative_band_moments_and_quantiles_against_monte_carlo():
    stages = {
        "pretraining": (math.log(1e24), 0.3),
        "fine-tuning": (math.log(2e23), 0.6),
        "post-training": (math.log(5e22), 0.8),
    }
    b = cumulative_band(stages)
    x = _mc_sum(stages)
    n = x.size
    # mean: exact for FW; the MC mean is within 4 standard errors of it
    assert abs(x.mean() - b["mean_flop"]) < 4 * x.std() / math.sqrt(n)
    # SD: the sample SD within 3% (heavy right tail; 4e5 draws)
    assert x.std() == pytest.approx(b["sd_flop"], rel=0.03)
    # quantiles: FW's lognormal within 3% of the MC quantiles at these log-SDs
    for key, p in (("p5", 5), ("p50", 50), ("p95", 95)):
        assert b["quantiles_flop"][key] == pytest.approx(np.percentile(x, p), rel=0.03), key


@pytest.mark.parametrize(
    "stages, problem",
    [
        ({}, "at least one"),
        ({"warmup": (1.0, 0.1)}, "unknown stage"),
        ({"pretraining": (1.0, -1)}, "sigma"),
    ],
)
def test_cumulative_band_bad_input(stages, problem):
    with pytest.raises(InputError, match=problem):
        cumulative_band(stages)
