"""Energy and cost columns of a materialised sweep: hand-computed from the profiles' TDP, the same
in memory and streamed, NaN where no TDP is published, refused where they cannot apply."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

import computesim
from computesim.errors import InputError
from computesim.hardware_profiles import find_profile


def _hand(rows, pue, price):
    """device-hours, kWh, USD per row from the row's own count and days/hours."""
    out = []
    for r in rows:
        hours = r["days"] * 24 if "days" in r else r["hours"]
        dh = r["count"] * hours
        tdp = find_profile(r["device"]).tdp_w
        out.append((dh, dh * tdp * pue / 1000, dh * price))
    return out


def test_columns_match_the_hand_calculation():
    t = computesim.sweep(
        device=["K80", "A100", "H100"], count=[8, 1024], days=[1, 30], pue=1.2, price_per_hour=2.5
    )
    rows = t.to_pylist()
    assert len(rows) == 12
    for r, (dh, kwh, usd) in zip(rows, _hand(rows, 1.2, 2.5)):
        assert r["device_hours"] == pytest.approx(dh)
        assert r["energy_kwh"] == pytest.approx(kwh)
        assert r["cost_usd"] == pytest.approx(usd)
    # one point by hand: 1024 H100 x 30 days x 700 W x PUE 1.2 = 619,315.2 kWh
    h = [r for r in rows if r["device"].startswith("H100") and r["count"] == 1024][-1]
    assert h["energy_kwh"] == pytest.approx(1024 * 30 * 24 * 700 * 1.2 / 1000)
    assert h["cost_usd"] == pytest.approx(1024 * 30 * 24 * 2.5)


def test_hours_axis_and_price_alone():
    t = computesim.sweep(device="V100", count=[4, 8], hours=[10, 100], price_per_hour=3.0)
    assert t.column_names[-2:] == ["device_hours", "cost_usd"]
    for r in t.to_pylist():
        assert r["cost_usd"] == pytest.approx(r["count"] * r["hours"] * 3.0)


def test_no_columns_unless_asked():
    t = computesim.sweep(device="A100", count=8, days=1)
    assert not {"device_hours", "energy_kwh", "cost_usd"} & set(t.column_names)


def test_streamed_file_equals_the_table(tmp_path):
    kw = dict(device=["A100", "TPU v4"], count="1:1000:7log", days=[3, 9], pue=1.1)
    mem = computesim.sweep(**kw, price_per_hour=2.0)
    path = computesim.sweep(**kw, price_per_hour=2.0, out=tmp_path / "s.parquet", chunk_points=5)
    disk = pq.read_table(path)
    assert disk.column_names == mem.column_names
    for c in ("device_hours", "energy_kwh", "cost_usd"):
        np.testing.assert_allclose(disk[c].to_numpy(), mem[c].to_numpy(), rtol=1e-12)


def test_unpublished_tdp_gives_nan_energy_only_for_that_device():
    t = computesim.sweep(device=["A100", "TPU v5p"], count=16, days=2, pue=1.1)
    by = {r["device"]: r for r in t.to_pylist()}
    assert np.isnan(by["Google TPU v5p"]["energy_kwh"])
    assert by["A100 SXM4 80GB"]["energy_kwh"] == pytest.approx(16 * 48 * 400 * 1.1 / 1000)
    assert by["Google TPU v5p"]["device_hours"] == pytest.approx(16 * 48)


def test_energy_with_uncertain_axes_uses_the_median():
    t = computesim.sweep(device="A100", count="8 to 32", days=2, pue=1.0)
    r = t.to_pylist()[0]
    assert r["count"] == pytest.approx(16.0)  # geometric median of the lognormal 8 to 32
    assert r["energy_kwh"] == pytest.approx(16 * 48 * 400 / 1000)
    assert "flop_p95" in t.column_names


@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(tflops=100, days=1, pue=1.1), "pue"),  # no profile, so no TDP
        (dict(macs=1e9, examples=1e6, price_per_hour=2.0), "price_per_hour"),  # method 1
        (dict(device="A100", days=1, pue=0.9), "pue"),
        (dict(device="A100", days=1, pue=1.1, threshold="1e20FLOP"), "pue"),  # reduce mode
    ],
)
def test_refused_where_they_cannot_apply(kw, field):
    with pytest.raises(InputError) as e:
        computesim.sweep(**kw)
    assert e.value.field == field, e.value


# ---- cost at each device's reference price (cost=True without price_per_hour) ----------------


def _ref(device: str) -> dict:
    """The profile's own price, date and source, read from the profile (not typed in here)."""
    p = find_profile(device)
    return {
        "usd_per_hour": p.reference_price_usd_per_hour,
        "date": p.reference_price_date,
        "source": p.sources["reference_price_usd_per_hour"],
    }


def _meta(table) -> dict:
    return {
        k.decode().removeprefix("computesim."): json.loads(v)
        for k, v in (table.schema.metadata or {}).items()
        if k.startswith(b"computesim.") and k != b"computesim.version"
    }


def test_cost_falls_back_to_each_devices_reference_price():
    t = computesim.sweep(device=["A100", "H100", "V100"], count=[8, 64], days=[1, 30], cost=True)
    assert t.column_names[-2:] == ["device_hours", "cost_usd"]
    for r in t.to_pylist():
        price = _ref(r["device"])["usd_per_hour"]
        assert price > 0
        assert r["cost_usd"] == pytest.approx(r["count"] * r["days"] * 24 * price, rel=1e-12)
    prices = {r["device"]: r["cost_usd"] / r["device_hours"] for r in t.to_pylist()}
    assert len(set(prices.values())) == 3  # each device at its own price, not one for all
    meta = _meta(t)
    assert meta["price_source"] == "reference" and meta["price_per_hour_usd"] is None
    assert set(meta["prices"]) == set(prices)
    for name, ref in meta["prices"].items():
        assert ref == {"device": name, **_ref(name)}
        assert len(ref["date"]) == 7 and ref["source"]


def test_a_given_price_wins_over_the_reference():
    t = computesim.sweep(device=["A100", "H100"], count=8, days=2, cost=True, price_per_hour=2.5)
    for r in t.to_pylist():
        assert r["cost_usd"] == pytest.approx(8 * 48 * 2.5)
    meta = _meta(t)
    assert meta["price_source"] == "given" and meta["price_per_hour_usd"] == 2.5
    assert "prices" not in meta


def test_reference_cost_with_energy_streamed_equals_memory(tmp_path):
    kw = dict(device=["A100", "B200"], count="1:1000:5log", days=[3, 9], pue=1.1, cost=True)
    mem = computesim.sweep(**kw)
    path = computesim.sweep(**kw, out=tmp_path / "r.parquet", chunk_points=3)
    disk = pq.read_table(path)
    assert disk.column_names == mem.column_names
    np.testing.assert_allclose(disk["cost_usd"].to_numpy(), mem["cost_usd"].to_numpy(), rtol=0)
    assert json.loads(disk.schema.metadata[b"computesim.prices"]) == _meta(mem)["prices"]


def test_inverse_cost_at_reference_prices_with_its_band():
    t = computesim.sweep(
        device=["H100", "A100"], count=1024, target="1e25FLOP", utilization="0.3 to 0.5", cost=True
    )
    for r in t.to_pylist():
        price = _ref(r["device"])["usd_per_hour"]
        assert r["cost_usd"] == pytest.approx(r["device_hours"] * price, rel=1e-12)
        for q in ("p5", "p50", "p95"):
            assert r[f"cost_usd_{q}"] == pytest.approx(r[f"device_hours_{q}"] * price, rel=1e-12)
    assert _meta(t)["price_source"] == "reference"


@pytest.mark.parametrize(
    "kw, field, words",
    [
        (dict(device="TPU v5e", count=8, days=1), "price_per_hour", "TPU v5e has no reference"),
        (dict(device="A100,H800", count=8, days=1), "price_per_hour", "H800"),
        (dict(tflops=100, count=8, days=1), "price_per_hour", "tflops"),
        (dict(device="A100", count=8, target="1e24FLOP"), None, None),  # inverse works
        (dict(device="P100 PCIe", target="1e24FLOP", count=8), "price_per_hour", "P100"),
        (dict(macs=1e9, examples=1e6), "cost", "method-2"),
        (dict(device="A100", days=1, threshold="1e20FLOP"), "cost", "reduce mode"),
    ],
)
def test_cost_without_a_reference_price_is_refused(kw, field, words):
    if field is None:
        assert "cost_usd" in computesim.sweep(**kw, cost=True).column_names
        return
    with pytest.raises(InputError) as e:
        computesim.sweep(**kw, cost=True)
    assert e.value.field == field and words in str(e.value), e.value
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_cost_must_be_a_bool(bad):
    with pytest.raises(InputError) as e:
        computesim.sweep(device="A100", count=8, days=1, cost=bad)
    assert e.value.field == "cost"


def test_scenario_file_sets_cost(tmp_path):
    from computesim.sweeps import scenario

    good = tmp_path / "s.toml"
    good.write_text('[inverse]\ncost = true\n[axes]\ndevice = "A100"\ncount = 8\ndays = 1\n')
    kw = scenario.load(good)
    assert kw["cost"] is True and "cost_usd" in computesim.sweep(**kw).column_names
    bad = tmp_path / "b.toml"
    bad.write_text('[inverse]\ncost = "yes"\n[axes]\ndevice = "A100"\ncount = 8\ndays = 1\n')
    with pytest.raises(InputError) as e:
        scenario.load(bad)
    assert e.value.field.endswith(": cost")
