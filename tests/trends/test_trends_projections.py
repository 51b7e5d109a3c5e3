"""Projections (compute at a date, threshold crossing, cost) and algorithmic efficiency."""

from __future__ import annotations

import math

import numpy as np
import pytest
from trends_support import fit_data_from, synthetic

from computesim.errors import InputError
from computesim.trends import analysis
from computesim.trends import fit as trends
from computesim.trends import projections as pj
from computesim.trends.efficiency import Efficiency, halving_months_from_total


@pytest.fixture(scope="module")
def fit():
    rng = np.random.default_rng(51)
    t, y = synthetic(rng, 40, 3.4, 0.4, level=17.0)
    return trends.fit_trend(fit_data_from(t, y), n_boot=1000, seed=52)


def test_compute_at(fit):
    c = pj.compute_at(fit, 2020.0)
    assert c["flop"] == pytest.approx(10 ** float(fit.predict(2020.0)))
    assert c["flop_ci"][0] < c["flop"] < c["flop_ci"][1]
    assert c["pfs_days"] == pytest.approx(c["flop"] / 8.64e19)
    assert c["date"] == "2020-01-01"


def test_crossing_inverts_the_line(fit):
    c = pj.crossing(fit, 1e26)
    assert float(fit.predict(c["year"])) == pytest.approx(26.0, abs=1e-9)
    lo, hi = c["year_ci"]
    assert lo < c["year"] < hi
    # the band is the set of crossing years of the bootstrap lines: check one quantile directly
    years = fit.center + (26 - fit.boot_level) / fit.boot_slope
    assert lo == pytest.approx(np.quantile(years, 0.025, method="inverted_cdf"))


def test_crossing_never_when_not_growing():
    t = np.linspace(2012, 2018, 10)
    flat = trends.fit_trend(fit_data_from(t, 20 - 0.1 * (t - 2012)), n_boot=200)
    c = pj.crossing(flat, 1e26)
    assert c["year"] == math.inf and c["date"] is None and c["year_ci"] == [math.inf, math.inf]
    below = pj.crossing(flat, 1e10)  # already above the threshold: crossed in the past
    assert below["year"] == -math.inf


def test_default_price_performance():
    p = pj.PricePerformance()
    assert p.flop_per_dollar == pytest.approx(125e12 * 0.33 * 3600 / 3.06)
    assert 10 ** float(p.log10_at(2019.5)) == pytest.approx(
        p.flop_per_dollar * 2
    )  # 18-month doubling
    assert pj.PricePerformance(flop_per_dollar_override=1e17).flop_per_dollar == 1e17
    with pytest.raises(InputError) as e:
        pj.PricePerformance(gpu_hour_usd=0)
    assert e.value.field == "PricePerformance.gpu_hour_usd"


def test_cost_and_budget_year(fit):
    price = pj.PricePerformance()
    c = pj.cost(fit, price, [2018.0, 2020.0], 1e12)
    r = c["cost_by_year"][0]
    assert r["usd"] == pytest.approx(10 ** float(fit.predict(2018.0)) / price.flop_per_dollar)
    y = c["budget_reached_year"]
    usd_at_y = 10 ** float(fit.predict(y)) / 10 ** float(price.log10_at(y))
    assert usd_at_y == pytest.approx(1e12, rel=1e-9)
    assert c["budget_reached_year_ci"][0] < y < c["budget_reached_year_ci"][1]
    # hardware cheapening faster than the trend grows, from a cost below the budget: never reached
    fast = pj.PricePerformance(doubling_months=1.0, year=fit.center)
    assert pj.cost(fit, fast, [2018.0], 1e12)["budget_reached_year"] == math.inf


def test_year_to_iso():
    assert pj.year_to_iso(2018.0) == "2018-01-01"
    assert pj.year_to_iso(2016 + 183 / 366) == "2016-07-02"
    assert pj.year_to_iso(math.inf) is None


def test_efficiency_gain_and_effective_compute():
    e = Efficiency()
    assert float(e.gain(2012.0)) == 1.0
    assert float(e.gain(2019.0)) == pytest.approx(2 ** (84 / 16))
    assert float(e.effective_flop(1e20, 2013 + 4 / 12)) == pytest.approx(2e20)
    assert halving_months_from_total(44, 7) == pytest.approx(12 * 7 * math.log(2) / math.log(44))
    assert 15 < halving_months_from_total(44, 7) < 16
    # growth rates add in log space: 1/effective = 1/physical + 1/halving
    assert float(e.effective_doubling_months(12 * math.log10(2) / 3.4)) == pytest.approx(
        1 / (1 / 3.4 + 1 / 16)
    )
    d = e.to_dict()
    assert d["halving_months"] == 16 and "44x" in d["source"]
    with pytest.raises(InputError):
        Efficiency(halving_months=-1)
    with pytest.raises(InputError):
        halving_months_from_total(0.5, 7)


def test_effective_table_multiplies_by_gain():
    import datetime as dt

    from computesim.data.datasets import make_table
    from computesim.trends.efficiency import effective_table

    tab = make_table(
        [
            {
                "system": "a",
                "date": dt.date(2013, 5, 1),
                "flop": 1e20,
                "flop_low": 5e19,
                "flop_high": 2e20,
            },
            {"system": "b", "date": dt.date(2012, 1, 1), "flop": 1e18},
        ]
    )
    eff = effective_table(tab, Efficiency(16, 2012.0))
    g = float(Efficiency(16, 2012.0).gain(trends.decimal_year([dt.date(2013, 5, 1)])[0]))
    a, b = eff.to_pylist()
    assert a["flop"] == pytest.approx(1e20 * g) and a["flop_high"] == pytest.approx(2e20 * g)
    assert a["pfs_days"] == pytest.approx(1e20 * g / 8.64e19)
    assert b["flop"] == 1e18 and b["flop_low"] is None
    # fitted slope of effective compute = physical slope + efficiency OOM/year
    t = np.linspace(2012, 2018, 12)
    rows = [
        {
            "system": str(i),
            "date": dt.date(2012, 1, 1) + dt.timedelta(days=int(round((ti - 2012) * 365.25))),
            "flop": 10 ** (17 + 0.8 * (ti - 2012)),
        }
        for i, ti in enumerate(t)
    ]
    phys = analysis.analyse(make_table(rows), n_boot=200).overall.slope
    effs = analysis.analyse(
        effective_table(make_table(rows), Efficiency()), n_boot=200
    ).overall.slope
    assert effs - phys == pytest.approx(Efficiency().oom_per_year, rel=1e-9)
