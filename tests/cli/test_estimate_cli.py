"""``computesim estimate``: precision-aware peaks (printed with every estimate) and the
transformer inputs of method 1."""

from __future__ import annotations

import math

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


def test_active_params_reports_total_and_active(cli):
    r = cli(
        "estimate", "ops", "--params", "46.7e9", "--active-params", "12.9e9", "--tokens", "1e12"
    )
    assert r.code == 0 and "total 4.67e10, active 1.29e10" in r.out
    d = cli(
        "estimate", "--params", "46.7e9", "--active-params", "12.9e9", "--tokens", "1e12", "--json"
    ).json()
    assert d["flop"] == pytest.approx(6 * 12.9e9 * 1e12, rel=1e-12)
    assert d["inputs"]["params_total"] == 46.7e9 and d["inputs"]["params_active"] == 12.9e9
    assert d["inputs"]["six_n_d_total_flop"] == pytest.approx(6 * 46.7e9 * 1e12, rel=1e-12)


def test_config_json_and_attention_and_recompute(cli, tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text(
        '{"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, '
        '"num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 100, '
        '"num_local_experts": 4, "num_experts_per_tok": 1}',
        encoding="utf-8",
    )
    d = cli(
        "estimate",
        "ops",
        "--config",
        cfg,
        "--tokens",
        "1e9",
        "--context",
        16,
        "--causal",
        "--recompute",
        "full",
        "--json",
    ).json()
    i = d["inputs"]
    # by hand: per layer attention 64*16*(2*4+2*2) = 12288, expert 3*64*128 = 24576, router 256,
    # norms 128; embeddings 2 * 100 * 64; final norm 64
    assert i["params_total"] == 2 * (12288 + 4 * 24576 + 256 + 128) + 12800 + 64
    assert i["params_active"] == 2 * (12288 + 24576 + 256 + 128) + 12800 + 64
    macs = 2 * (12288 + 24576 + 256) + 6400
    attn = 2 * 2 * (17 / 2) * 64
    assert d["flop"] == pytest.approx(6 * (macs + attn) * 1e9, rel=1e-12)
    assert i["hardware_flop"] == pytest.approx(8 * (macs + attn) * 1e9, rel=1e-12)


def test_implied_mfu_with_both_methods(cli):
    d = cli(
        "estimate",
        "--params",
        "70e9",
        "--tokens",
        "2e12",
        "--device",
        "A100",
        "--count",
        2048,
        "--days",
        35,
        "--json",
    ).json()
    assert d["implied_mfu"] == pytest.approx(6 * 70e9 * 2e12 / (2048 * 312e12 * 35 * 86_400))


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["--config", "/nonexistent/config.json", "--tokens", "1"], "--config"),
        (["--params", "1e9", "--tokens", "1", "--context", "8"], "--layers"),
        (["--params", "1e9", "--tokens", "1", "--recompute", "half"], "--recompute"),
        (["--params", "1e9", "--experts", "8", "--tokens", "1"], "--experts-per-token"),
        (["--active-params", "1e9", "--examples", "5"], "--examples"),
    ],
)
def test_transformer_bad_input_names_the_flag(cli, argv, flag):
    r = cli("estimate", "ops", *argv)
    assert r.code == 2 and r.err.count("\n") == 1 and flag in r.err and r.out == ""


def test_energy_cost_emissions_acceptance_command(cli):
    d = cli(
        "estimate",
        "hardware",
        "--device",
        "H100",
        "--precision",
        "fp8",
        "--count",
        1024,
        "--days",
        30,
        "--energy",
        "--cost",
        "--emissions",
        "--carbon-intensity",
        "300 to 500 g/kWh",
        "--price-per-hour",
        "2.5",
        "--pue",
        "1.1 to 1.3",
        "--json",
    ).json()
    kwh = 1024 * 700 * 30 * 24 / 1000 * math.sqrt(1.1 * 1.3)
    assert d["energy"]["unit"] == "kWh" and d["energy"]["value"] == pytest.approx(kwh, rel=1e-12)
    assert d["energy"]["band"]["exact"] and d["energy"]["band"]["quantiles"][
        "p50"
    ] == pytest.approx(kwh, rel=1e-9)
    assert d["emissions"]["unit"] == "t CO2e"
    assert d["emissions"]["value"] == pytest.approx(kwh * math.sqrt(0.3 * 0.5) / 1000, rel=1e-9)
    assert set(d["emissions"]["band"]["attribution"]) == {"pue", "carbon_intensity"}
    assert d["cost"]["value"] == pytest.approx(1024 * 30 * 24 * 2.5, rel=1e-12)
    assert "band" not in d["cost"]  # every input of the cost is a single number
    r = cli(
        "estimate",
        "hardware",
        "--device",
        "H100",
        "--count",
        8,
        "--days",
        1,
        "--energy",
        "--cost",
        "--purchase-usd",
        "25000",
    )
    assert r.code == 0 and "energy:" in r.out and "kWh" in r.out and "USD" in r.out


def test_cost_falls_back_to_the_reference_price_and_says_so(cli):
    argv = ("estimate", "hardware", "--device", "H100", "--count", 8, "--days", 2, "--cost")
    d = cli(*argv, "--json").json()
    ref = d["cost"]["inputs"]["reference_price"]
    assert d["cost"]["inputs"]["price_source"] == "reference"
    assert set(ref) == {"device", "usd_per_hour", "date", "source"}
    assert d["cost"]["value"] == pytest.approx(8 * 48 * ref["usd_per_hour"], rel=1e-12)
    r = cli(*argv)
    assert r.code == 0
    assert f"reference price {ref['usd_per_hour']:g} USD per device-hour, {ref['date']}" in r.out
    assert ref["source"] in r.out
    # a price given still wins, and no reference is printed
    r = cli(*argv, "--price-per-hour", "1.5")
    assert r.code == 0 and "reference price" not in r.out
    d = cli(*argv, "--price-per-hour", "1.5", "--json").json()
    assert d["cost"]["value"] == pytest.approx(8 * 48 * 1.5, rel=1e-12)
    assert d["cost"]["inputs"]["price_source"] == "given"


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["--emissions"], "--carbon-intensity"),
        (["--emissions", "--carbon-intensity", "400"], "--carbon-intensity"),
        (["--cost"], "--price-per-hour"),
        (["--pue", "1.2"], "--pue"),
        (["--energy", "--pue", "0.5"], "--pue"),
    ],
)
def test_energy_cost_bad_input_names_the_flag(cli, argv, flag):
    # K80: a profile with no reference price, so --cost alone needs a price
    r = cli("estimate", "hardware", "--device", "K80", "--days", 1, *argv)
    assert r.code == 2 and flag in r.err and r.out == ""


def test_one_third_rule_probability_is_the_closed_form(cli):
    d = cli(
        "estimate",
        "ops",
        "--params",
        "70e9",
        "--tokens",
        "1e12 to 4e12",
        "--original-compute",
        "8.4e23 to 1.2e24 FLOP",
        "--json",
    ).json()
    rule = d["one_third_rule"]
    z = 1.6448536269514722
    sd = math.hypot(math.log(4) / (2 * z), math.log(1.2e24 / 8.4e23) / (2 * z))
    median = 6 * 70e9 * 2e12 / math.sqrt(8.4e23 * 1.2e24)
    p = 0.5 * math.erfc((math.log(1 / 3) - math.log(median)) / (sd * math.sqrt(2)))
    assert rule["exact"] and rule["p_exceeds"] == pytest.approx(p, rel=1e-9)
    r = cli(
        "estimate", "ops", "--params", "70e9", "--tokens", "1e10", "--original-compute", "1e24 FLOP"
    )
    assert "does not exceed; P(> 1/3) = 0" in r.out
    r = cli(
        "estimate", "ops", "--params", "7e9", "--tokens", "1", "--original-compute", "< 1e20 FLOP"
    )
    assert r.code == 2 and "--original-compute" in r.err
