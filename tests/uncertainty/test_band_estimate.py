"""computesim.band(estimate): one estimate's band, checked against the closed form worked by hand."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

import computesim
from computesim.errors import InputError

Z = NormalDist().inv_cdf(0.95)


def test_band_of_an_estimate_is_the_closed_form():
    e = computesim.estimate_hardware(device="V100", count=1000, days="20 to 30")
    b = computesim.band(e, method_error="2x", thresholds=["1e23FLOP", 5e22])
    # days lognormal with 90% interval [20, 30]; method error 90% interval [1/2, 2]
    sd = math.hypot(math.log(1.5) / (2 * Z), math.log(2) / Z)
    point = {f.name: f.value.point for f in e.factors}  # peak FLOP/s and utilization as used
    median = 1000 * point["peak"] * 86400 * math.sqrt(20 * 30) * point["utilization"]
    assert b.exact and math.isclose(b.median, median, rel_tol=1e-9)
    assert math.isclose(b.quantiles[0.95], median * math.exp(Z * sd), rel_tol=1e-9)
    for t in (1e23, 5e22):
        want = 1 - NormalDist().cdf(math.log(t / median) / sd)
        assert math.isclose(b.p_above[t], want, rel_tol=1e-9)


def test_monte_carlo_agrees_with_exact_within_its_error():
    e = computesim.estimate_ops(params=7e9, tokens="1e12 to 2e12")
    exact = computesim.band(e, method_error=3)
    mc = computesim.band(e, method_error=3, samples=200_000, seed=1, force_mc=True)
    assert not mc.exact
    for p in (0.05, 0.5, 0.95):
        assert abs(mc.quantiles[p] - exact.quantiles[p]) < 5 * mc.quantile_se[p]


def test_a_point_estimate_has_a_zero_width_band_without_method_error():
    e = computesim.estimate_hardware(device="GTX 580", count=2, days=5.5)
    b = computesim.band(e)
    assert b.quantiles[0.05] == pytest.approx(e.flop, rel=1e-12)
    assert b.quantiles[0.95] == pytest.approx(e.flop, rel=1e-12)


@pytest.mark.parametrize(
    "arg, kw, field",
    [
        ("not an estimate", {}, "estimate"),
        (None, {"method_error": 0.5}, "method_error"),
        (None, {"method_error": "big"}, "method_error"),
        (None, {"thresholds": ["1e25"]}, "thresholds"),
    ],
)
def test_bad_input_names_the_parameter(arg, kw, field):
    e = computesim.estimate_ops(params=7e9, tokens=1e12) if arg is None else arg
    with pytest.raises(InputError) as exc:
        computesim.band(e, **kw)
    assert exc.value.field == field


def test_band_thresholds_as_text_lists_numbers_and_bad_values():
    import computesim
    from computesim.errors import InputError

    e = computesim.estimate_hardware(device="V100", count=1000, days="20 to 30")
    b = computesim.band(e, thresholds="1e23FLOP,1e24FLOP")
    assert sorted(b.p_above) == [1e23, 1e24]
    assert computesim.band(e, thresholds=["1e23FLOP,1e24FLOP", 5e22]).p_above.keys() == {
        1e23,
        1e24,
        5e22,
    }
    for bad in ([-1.0], [float("nan")], ["1e23"]):
        with pytest.raises(InputError, match=r"^thresholds: "):
            computesim.band(e, thresholds=bad)
    with pytest.raises(InputError, match=r"^parts: "):
        computesim.band(e, parts=0)
