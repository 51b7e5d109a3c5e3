"""Trend fits: arithmetic against plain references, windows, eras, bounds, errors."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from trends_support import fit_data_from, synthetic, to_table

from computesim.errors import InputError
from computesim.trends import analysis
from computesim.trends import fit as trends


def test_decimal_year():
    t = trends.decimal_year(
        [dt.date(2012, 1, 1), dt.date(2012, 7, 2), dt.date(2013, 12, 31), dt.date(1969, 1, 1)]
    )
    np.testing.assert_allclose(
        t, [2012.0, 2012 + 183 / 366, 2013 + 364 / 365, 1969.0], rtol=0, atol=1e-12
    )


@pytest.mark.parametrize(
    "text,end,expected",
    [
        ("2012", False, 2012.0),
        ("2018", True, 2019.0),
        ("2015.75", False, 2015.75),
        ("2012-07-02", False, 2012 + 183 / 366),
        ("02/07/2012", True, 2012 + 183 / 366),
    ],
)
def test_parse_when(text, end, expected):
    assert trends.parse_when(text, "--from", end) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("text", ["soon", "12", "31/02/2015"])
def test_parse_when_bad(text):
    with pytest.raises(InputError) as e:
        trends.parse_when(text, "--to")
    assert e.value.field == "--to"


def test_ols_matches_polyfit():
    rng = np.random.default_rng(1)
    t, y = synthetic(rng, 25, 5.0, 0.4)
    slope, level, c, rss = trends.ols(t, y)
    b, a = np.polyfit(t, y, 1)
    assert slope == pytest.approx(b, rel=1e-10)
    assert level + slope * (0 - c) == pytest.approx(a, rel=1e-10)
    assert rss == pytest.approx(((y - a - b * t) ** 2).sum(), rel=1e-9)


def test_doubling_and_growth_from_slope():
    assert trends.months_from_slope(12 * math.log10(2) / 3.4) == pytest.approx(3.4)
    assert math.isinf(trends.months_from_slope(0.0))
    # an exact line: every bootstrap refit has the same slope
    t = np.linspace(2012, 2018, 10)
    fit = trends.fit_trend(fit_data_from(t, 17 + 1.0 * (t - 2012)), n_boot=200)
    d = fit.to_dict()
    assert d["growth_per_year"] == pytest.approx(10.0) and d["oom_per_year"] == pytest.approx(1.0)
    assert d["doubling_months"] == pytest.approx(12 * math.log10(2))
    np.testing.assert_allclose(d["doubling_months_ci"], [12 * math.log10(2)] * 2, rtol=1e-9)
    assert d["n_points"] == 10 and d["n_boot_used"] == 200


def test_doubling_ci_through_zero_slope():
    assert trends._doubling_ci(0.1, 0.3) == pytest.approx(
        [12 * math.log10(2) / 0.3, 12 * math.log10(2) / 0.1]
    )
    lo, hi = trends._doubling_ci(-0.1, 0.3)
    assert lo == pytest.approx(12 * math.log10(2) / 0.3) and hi == math.inf


def test_bootstrap_is_seeded():
    rng = np.random.default_rng(2)
    d = fit_data_from(*synthetic(rng, 20, 6.0, 0.5))
    a, b = trends.fit_trend(d, seed=7), trends.fit_trend(d, seed=7)
    assert a.slope_ci() == b.slope_ci()
    assert trends.fit_trend(d, seed=8).slope_ci() != a.slope_ci()


def test_betainc_and_f_sf_against_scipy():
    stats = pytest.importorskip("scipy.stats")
    special = pytest.importorskip("scipy.special")
    for a, b, x in [(0.5, 0.5, 0.3), (2, 9, 0.1), (1, 40, 0.97), (30, 3, 0.6), (4.5, 12, 0.999)]:
        assert trends.betainc(a, b, x) == pytest.approx(
            special.betainc(a, b, x), rel=1e-10, abs=1e-14
        )
    for f, d1, d2 in [(0.2, 2, 9), (3.1, 2, 40), (12.0, 4, 100), (1.0, 1, 1), (50.0, 2, 10)]:
        assert trends.f_sf(f, d1, d2) == pytest.approx(stats.f.sf(f, d1, d2), rel=1e-9, abs=1e-15)


def test_break_test_statistic_matches_two_regressions():
    rng = np.random.default_rng(3)
    t1, y1 = synthetic(rng, 20, 20.0, 0.3, 2000, 2010, level=15)
    t2, y2 = synthetic(rng, 20, 6.0, 0.3, 2010, 2020, level=17)
    t, y = np.r_[t1, t2], np.r_[y1, y2]
    bt = trends.break_test(fit_data_from(t, y), [2010.0])
    rss2 = sum(
        ((yy - np.polyval(np.polyfit(tt, yy, 1), tt)) ** 2).sum() for tt, yy in ((t1, y1), (t2, y2))
    )
    rss1 = ((y - np.polyval(np.polyfit(t, y, 1), t)) ** 2).sum()
    F = ((rss1 - rss2) / 2) / (rss2 / (40 - 4))
    assert bt["F"] == pytest.approx(F, rel=1e-9) and bt["df"] == [2, 36]
    assert bt["warranted"] and bt["p_value"] < 1e-6 and bt["bic_favours_breaks"]


def test_eras_fit_each_segment():
    rng = np.random.default_rng(4)
    t1, y1 = synthetic(rng, 40, 20.0, 0.3, 1990, 2010, level=14)
    t2, y2 = synthetic(rng, 40, 6.0, 0.3, 2010, 2020, level=17)
    rep = analysis.analyse(to_table(np.r_[t1, t2], np.r_[y1, y2]), breaks=[2010.0], n_boot=300)
    e1, e2 = rep.eras
    for era, truth in ((e1, 20.0), (e2, 6.0)):  # within 4 standard errors of the true slope
        se = 0.3 / math.sqrt(((era.t - era.t.mean()) ** 2).sum())
        assert abs(era.slope - 12 * math.log10(2) / truth) < 4 * se
    assert e1.n == 40 and e2.n == 40 and rep.overall.n == 80
    assert rep.break_test["warranted"]


def test_window_and_errors():
    t = np.array([2005.5, 2012.5, 2013.5, 2014.5, 2015.5, 2019.5])
    tab = to_table(t, 17 + (t - 2012))
    rep = analysis.analyse(tab, start=2012, end=2016, n_boot=200)
    assert rep.overall.n == 4
    with pytest.raises(InputError, match="no data points in the window"):
        analysis.analyse(tab, start=2020, end=2030)
    with pytest.raises(InputError, match="at least 3 points"):
        analysis.analyse(tab, start=2015, end=2020)
    with pytest.raises(InputError) as e:
        analysis.analyse(tab, start=2016, end=2012)
    assert e.value.field == "start"
    with pytest.raises(InputError) as e:
        analysis.analyse(tab, start=2012, end=2016, breaks=[2017])
    assert e.value.field == "breaks"
    with pytest.raises(InputError, match="at least 3 points"):  # an era with too few points
        analysis.analyse(tab, start=2012, end=2016, breaks=[2013])
    with pytest.raises(
        InputError, match="too few for a bootstrap"
    ):  # 3 points: most resamples degenerate
        analysis.analyse(tab, start=2012, end=2016, breaks=[2015])
    with pytest.raises(InputError) as e:
        trends.fit_trend(fit_data_from(t, t), n_boot=10)
    assert e.value.field == "n_boot"
    with pytest.raises(InputError, match="same date"):
        trends.ols(np.ones(4), np.arange(4.0))


def test_upper_bounds_excluded_by_default():
    t = np.array([2012.5, 2013.5, 2014.5, 2015.5, 2016.5])
    y = 17 + (t - 2012)
    y[2] = 10.0  # a far-low bound would drag the fit if it were fitted
    tab = to_table(t, y, bound=["point", "point", "upper", "point", "point"])
    rep = analysis.analyse(tab, n_boot=200)
    assert rep.overall.n == 4 and rep.n_bounds_excluded == 1
    assert rep.overall.slope == pytest.approx(1.0)
    assert rep.to_dict()["upper_bounds"] == "excluded from the fit"
    inc = analysis.analyse(tab, n_boot=200, include_bounds=True)
    assert inc.overall.n == 5 and inc.overall.slope != pytest.approx(1.0)


def test_large_scale_subset():
    rng = np.random.default_rng(5)
    t, y = synthetic(rng, 60, 6.0, 0.2, 2010, 2020, level=16)
    tl, yl = synthetic(
        rng, 12, 10.0, 0.2, 2016, 2020, level=16 + 6 * 12 * math.log10(2) / 6.0 + 2.0
    )
    rep = analysis.analyse(to_table(np.r_[t, tl], np.r_[y, yl]), large_threshold=1.0, n_boot=300)
    large = rep.large
    assert set(large.systems) == {f"s{i}" for i in range(60, 72)}
    fit = large.large
    se = 0.2 / math.sqrt(((fit.t - fit.t.mean()) ** 2).sum())
    assert abs(fit.slope - 12 * math.log10(2) / 10.0) < 4 * se
    few = analysis.analyse(to_table(t, y), large_threshold=1.0, n_boot=200).large
    assert few.n_points == 0 and few.large is None and "note" in few.to_dict()


def test_bands_replace_default_noise():
    rng = np.random.default_rng(6)
    t, y = synthetic(rng, 12, 5.0, 0.3)
    flop = 10**y
    zero = to_table(t, y, low=flop, high=flop)  # zero-width bands: nothing to perturb
    fixed = analysis.analyse(zero, n_boot=300, seed=1).overall
    prop = analysis.analyse(zero, n_boot=300, seed=1, propagate=True, noise_factor=10).overall
    np.testing.assert_allclose(prop.boot_slope, fixed.boot_slope, rtol=0, atol=1e-12)
    plain = analysis.analyse(
        to_table(t, y), n_boot=300, seed=1, propagate=True, noise_factor=10
    ).overall
    assert np.std(plain.boot_slope) > 1.5 * np.std(fixed.boot_slope)


def test_builtin_points_2012_2018_give_a_few_months():
    from computesim.data.datasets import builtin_points

    rep = analysis.analyse(builtin_points().table, start=2012, end=2019)
    d = rep.to_dict()
    assert 2 < d["doubling_months"] < 12
    lo, hi = d["doubling_months_ci"]
    assert lo < d["doubling_months"] < hi
    assert d["upper_bounds_excluded"] == 4
