"""Modern worked examples: each computed from its published inputs, compared with the printed
figures (references only), both methods where both are possible."""

import pytest

from computesim.core.modern_examples import MODERN_EXAMPLES, run_modern_examples

HOUR = 3600.0

# The arithmetic written out independently of the package (inputs as printed).
SIX_ND = {
    "GPT-3 175B": 6 * 175e9 * 300e9,
    "Chinchilla 70B": 6 * 70e9 * 1.4e12,
    "Llama 2 70B": 6 * 70e9 * 2.0e12,
    "Llama 3.1 405B": 6 * 405e9 * 15.6e12,
    "DeepSeek-V3": 6 * 37e9 * 14.8e12,  # activated parameters of the mixture of experts
}
GPU_HOURS = {
    "Llama 2 70B": 1_720_320 * HOUR * 312e12 * 0.33,  # A100 dense bf16
    "Llama 3.1 405B": 30.84e6 * HOUR * 989.4e12 * 0.33,  # H100 SXM dense bf16
    "DeepSeek-V3": 2.664e6 * HOUR * 1978.9e12 * 0.33,  # H800 dense fp8 (as H100 SXM)
}


@pytest.fixture(scope="module")
def results():
    return {r.example.system: r for r in run_modern_examples()}


def test_rows_and_methods(results):
    assert set(results) == set(SIX_ND)
    for name, r in results.items():
        assert r.ops is not None and r.ops.flop == pytest.approx(SIX_ND[name], rel=1e-12)
        if name in GPU_HOURS:
            assert r.hardware is not None
            assert r.hardware.flop == pytest.approx(GPU_HOURS[name], rel=1e-12)
            assert r.methods_ratio == pytest.approx(GPU_HOURS[name] / SIX_ND[name], rel=1e-12)
        else:
            assert r.hardware is None and r.methods_ratio is None


def test_published_figures_reproduced(results):
    gpt3 = results["GPT-3 175B"]
    assert gpt3.ops.flop == pytest.approx(3.15e23)
    assert gpt3.ops_to_printed == pytest.approx(3.15 / 3.14)
    assert results["Chinchilla 70B"].ops_to_printed == pytest.approx(5.88 / 5.76)
    assert results["Llama 3.1 405B"].ops_to_printed == pytest.approx(6 * 405 * 15.6e-3 / 38)
    for r in results.values():
        assert r.within_tolerance, r.example.system
        assert all(max(x, 1 / x) <= 3 for x in r.ratios())


def test_llama2_emissions_are_energy_times_intensity(results):
    r = results["Llama 2 70B"]
    kwh = 1_720_320 * 0.400 * 1.1
    assert r.energy.value == pytest.approx(kwh, rel=1e-12)
    assert r.emissions.value == pytest.approx(kwh * 0.385 / 1000, rel=1e-12)
    # the paper's 291.42 t CO2eq is reproduced to its printed digits
    assert round(r.emissions.value, 2) == 291.42
    assert r.emissions_to_printed == pytest.approx(1.0, abs=5e-5)


def test_implied_utilization_makes_the_methods_agree(results):
    r = results["Llama 2 70B"]
    u = r.implied_utilization
    assert u == pytest.approx(SIX_ND["Llama 2 70B"] / (1_720_320 * HOUR * 312e12), rel=1e-12)
    assert 0 < u < 1


def test_stated_hardware_widens_only_the_unprinted_utilization(results):
    r = results["Llama 2 70B"]
    hw, notes = r.stated_hardware()
    by = {f.name: f.value for f in hw.factors}
    assert by["utilization"].ppf(0.05) == pytest.approx(0.2)
    assert by["utilization"].ppf(0.95) == pytest.approx(0.5)
    assert by["peak"].point == 312e12 and "utilization" in notes[0]


def test_every_row_cites_its_source():
    for ex in MODERN_EXAMPLES:
        assert "arXiv:" in ex.reference, ex.system
        assert ex.reading and ex.inputs_as_printed
        if ex.printed_flop is not None:
            assert ex.printed_where


def test_deepseek_v3_counts_active_experts_and_reports_the_total(results):
    r = results["DeepSeek-V3"]
    assert r.ops.inputs["params_total"] == 671e9 and r.ops.inputs["params_active"] == 37e9
    assert r.ops.inputs["six_n_d_total_flop"] == pytest.approx(6 * 671e9 * 14.8e12)
    assert r.hardware.inputs["precision"] == "fp8" and "H800" in r.hardware.inputs["device"]
    u = r.implied_utilization
    assert u == pytest.approx(SIX_ND["DeepSeek-V3"] / (2.664e6 * HOUR * 1978.9e12), rel=1e-12)
