"""Energy, emissions and cost: units against hand calculations, and their bands against the
closed form when every input is lognormal."""

from __future__ import annotations

import json
import math
import re

import pytest

from computesim.core.cost import cost, emissions, energy, parse_intensity
from computesim.core.methods import estimate_hardware
from computesim.errors import InputError
from computesim.hardware_profiles import find_profile
from computesim.uncertainty.band import band, model_of

Z95 = 1.6448536269514722


def test_energy_and_emissions_units_by_hand():
    # Llama 2 70B (Touvron et al. 2023, Table 2): 1,720,320 A100-80GB GPU-hours at 400 W
    hw = estimate_hardware(device="A100", count=1, days="1720320 h")
    e = energy(hw)
    kwh = 1_720_320 * 400 / 1000  # GPU-hours x kW
    assert e.value == pytest.approx(kwh, rel=1e-12)
    assert e.inputs["power_source"].startswith("TDP of")
    t = emissions(e, "0.4 kg/kWh")
    assert t.value == pytest.approx(kwh * 0.4 / 1000, rel=1e-12)  # kg -> t
    # the same intensity in other units gives the same tonnes
    for text in ("400 g/kWh", "0.4 tCO2e/MWh", "400 kgCO2/MWh", "400000 g/MWh"):
        assert emissions(e, text).value == pytest.approx(t.value, rel=1e-12), text
    assert emissions(e, "881.8490487395 lb/MWh").value == pytest.approx(t.value, rel=1e-9)
    # PUE and average draw scale energy linearly
    assert energy(hw, pue=1.1, power_ratio=0.5).value == pytest.approx(kwh * 0.55, rel=1e-12)
    assert energy(hw, power_w=300).value == pytest.approx(kwh * 0.75, rel=1e-12)


@pytest.mark.parametrize("text", ["400", 400.0, "400 W", "400 g/kW", "g/kWh", "-3 g/kWh"])
def test_intensity_needs_a_unit_and_a_positive_number(text):
    with pytest.raises(InputError) as err:
        parse_intensity(text)
    assert err.value.field == "carbon_intensity"


def test_cost_rented_and_amortised_by_hand():
    hw = estimate_hardware(device="H100", count=64, days=10)
    hours = 64 * 10 * 24
    assert cost(hw, price_per_hour=2.0).value == pytest.approx(hours * 2.0, rel=1e-12)
    c = cost(hw, purchase_usd=25_000, lifetime_years=5, overhead=1.5)
    assert c.value == pytest.approx(hours * 25_000 / (5 * 8766) * 1.5, rel=1e-12)
    with pytest.raises(InputError) as err:
        cost(estimate_hardware(device="K80", count=8, days=1))  # no reference price
    assert err.value.field == "price_per_hour"
    with pytest.raises(InputError) as err:
        cost(hw, price_per_hour=2.0, purchase_usd=25_000)
    assert err.value.field == "price_per_hour"
    with pytest.raises(InputError):
        energy(hw, pue=0.9)
    with pytest.raises(InputError) as err:
        energy(estimate_hardware(tflops=100, days=1))
    assert err.value.field == "power_w"


@pytest.mark.parametrize("device", ["H100", "A100", "V100"])
def test_cost_falls_back_to_the_profiles_dated_reference_price(device):
    hw = estimate_hardware(device=device, count=16, days=3)
    prof = find_profile(device)
    assert prof.reference_price_usd_per_hour is not None
    c = cost(hw)
    hours = 16 * 3 * 24
    assert c.value == pytest.approx(hours * prof.reference_price_usd_per_hour, rel=1e-12)
    assert c.inputs["price_source"] == "reference"
    ref = c.inputs["reference_price"]
    assert ref == {
        "device": prof.name,
        "usd_per_hour": prof.reference_price_usd_per_hour,
        "date": prof.reference_price_date,
        "source": prof.sources["reference_price_usd_per_hour"],
    }
    assert re.fullmatch(r"\d{4}-\d{2}", ref["date"]) and "http" in ref["source"]
    json.dumps(c.to_dict(), allow_nan=False)
    # a price the user gives still wins, and then no reference is reported
    given = cost(hw, price_per_hour=0.5)
    assert given.value == pytest.approx(hours * 0.5, rel=1e-12)
    assert given.inputs["price_source"] == "given" and "reference_price" not in given.inputs
    assert cost(hw, purchase_usd=10_000).inputs["basis"] == "amortised"


def test_cost_without_a_device_needs_a_price():
    with pytest.raises(InputError) as err:
        cost(estimate_hardware(tflops=100, count=8, days=1))
    assert err.value.field == "price_per_hour" and "device profile" in str(err.value)


def _sd(*intervals):
    return math.sqrt(sum((math.log(hi / lo) / (2 * Z95)) ** 2 for lo, hi in intervals))


def test_energy_and_emission_bands_match_the_closed_form():
    hw = estimate_hardware(device="A100", count=1000, days="20 to 30")
    e = energy(hw, power_ratio="0.6 to 0.9", pue="1.1 to 1.4")
    b = band(model_of(e))
    assert b.exact
    median = (
        1000 * 400 * math.sqrt(0.6 * 0.9) * math.sqrt(1.1 * 1.4) * math.sqrt(20 * 30) * 24 / 1000
    )
    sd = _sd((0.6, 0.9), (1.1, 1.4), (20, 30))
    assert b.median == pytest.approx(median, rel=1e-9)
    assert b.quantiles[0.95] == pytest.approx(median * math.exp(Z95 * sd), rel=1e-9)
    assert b.mean == pytest.approx(median * math.exp(sd**2 / 2), rel=1e-9)
    t = band(model_of(emissions(e, "300 to 500 g/kWh")))
    sd_t = _sd((0.6, 0.9), (1.1, 1.4), (20, 30), (300, 500))
    assert t.median == pytest.approx(median * math.sqrt(0.3 * 0.5) / 1000, rel=1e-9)
    assert t.quantiles[0.05] == pytest.approx(t.median * math.exp(-Z95 * sd_t), rel=1e-9)
    c = band(model_of(cost(hw, purchase_usd="20000 to 30000", lifetime_years="3 to 5")))
    hours = 1000 * math.sqrt(20 * 30) * 24
    assert c.median == pytest.approx(
        hours * math.sqrt(20000 * 30000) / (math.sqrt(3 * 5) * 8766), rel=1e-9
    )
    assert c.log_sd == pytest.approx(_sd((20, 30), (20000, 30000), (3, 5)), rel=1e-9)


def test_energy_band_monte_carlo_with_a_uniform_input():
    """A non-lognormal input: the Monte Carlo median is that of the product (seeded)."""
    hw = estimate_hardware(device="A100", count=100, days=10)
    e = energy(hw, power_ratio="uniform(0.5, 0.9)")
    b = band(model_of(e), 200_000, seed=1, backend="reference")
    assert not b.exact
    # the median of the product is the constant x the median of uniform(0.5, 0.9), 0.7
    assert b.median == pytest.approx(100 * 400 * 240 / 1000 * 0.7, rel=5e-3)
