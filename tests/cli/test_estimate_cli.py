"""``computesim estimate``: precision-aware peaks (printed with every estimate) and the
transformer inputs of method 1."""

from __future__ import annotations

import pytest


def test_h100_uses_the_dense_bf16_peak_and_says_so(cli):
    r = cli("estimate", "hardware", "--device", "H100", "--days", 1)
    assert r.code == 0
    assert "precision bf16 (profile default" in r.out and "9.89e14 FLOP/s" in r.out
    assert "not the sparse 1979" in r.out
    d = cli("estimate", "--device", "H100", "--days", 1, "--precision", "fp8", "--json").json()
    assert d["inputs"]["precision"] == "fp8" and d["inputs"]["precision_source"] == "given"
    assert d["flop"] == pytest.approx(1978.9e12 * 86_400 * 0.33, rel=1e-4)


def test_pre_tensor_gpus_still_fp32(cli):
    r = cli("estimate", "--device", "K80", "--days", 1)
    assert "precision fp32 (profile default" in r.out and "8.5e12 FLOP/s" in r.out


def test_bad_precision_names_the_flag(cli):
    r = cli("estimate", "--device", "K80", "--days", 1, "--precision", "fp8")
    assert r.code == 2 and "--precision" in r.err and "fp32" in r.err
    r = cli("estimate", "--device", "H100", "--days", 1, "--precision", "quick")
    assert r.code == 2 and "--precision" in r.err and r.out == ""
