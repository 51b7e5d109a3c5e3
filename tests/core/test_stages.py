"""Stages: LoRA fine-tuning through a frozen base, the cumulative total, the one-third share."""

from __future__ import annotations

import pytest

from computesim.core.methods import reported
from computesim.core.stages import ONE_THIRD, cumulative, modification_share
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
