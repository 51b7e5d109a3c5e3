"""Algorithmic efficiency: the source's comparisons and their implied halving times, a fitted
halving time with its interval (coverage over seeds), and that interval carried into the
effective doubling time."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from computesim.data.datasets import make_table
from computesim.errors import InputError
from computesim.trends.efficiency import EXAMPLES, Efficiency, fit_efficiency


def table(t, y):
    rows = []
    for i, (a, b) in enumerate(zip(t, y)):
        d = dt.date(int(a), 1, 1) + dt.timedelta(days=int((a - int(a)) * 365))
        rows.append({"system": f"m{i}", "date": d, "flop": 10**b})
    return make_table(rows)


def efficiency_points(seed, halving=16.0, n=25, sd=0.15):
    rng = np.random.default_rng(seed)
    t = rng.uniform(2012, 2020, n)
    return t, 18 - 12 * math.log10(2) / halving * (t - 2012) + rng.normal(0, sd, n)


@pytest.mark.parametrize(
    "name,expected",
    [  # months = 12 years ln 2 / ln factor, from the source's factors and spans
        ("AlexNet-level ImageNet", 12 * 7 * math.log(2) / math.log(44)),
        ("WMT'14 En-Fr: Transformer vs seq2seq", 12 * 3 * math.log(2) / math.log(61)),
        ("Go: AlphaZero vs AlphaGo Zero", 4.0),
        ("Dota: OpenAI Five Rerun vs OpenAI Five", 3 * math.log(2) / math.log(5)),
    ],
)
def test_examples_imply_their_halving_times(name, expected):
    ex = {e.name: e for e in EXAMPLES}[name]
    assert ex.halving_months == pytest.approx(expected, rel=1e-12)
    assert 2 ** (12 * ex.years / ex.halving_months) == pytest.approx(ex.factor, rel=1e-12)


def test_fitted_halving_time_interval_covers_the_truth():
    hits = 0
    for s in range(20):
        f = fit_efficiency(table(*efficiency_points(s)), n_boot=300, seed=s)
        lo, hi = f.halving_months_ci()
        hits += lo < 16 < hi
        assert lo < f.halving_months < hi
    assert hits >= 16, hits  # 95% intervals: 19 of 20 on average


def test_fitted_efficiency_widens_the_effective_interval():
    f = fit_efficiency(table(*efficiency_points(1, sd=0.4)), n_boot=1000, seed=1)
    fitted = f.efficiency(2012.0)
    assumed = Efficiency(fitted.halving_months, 2012.0)
    phys = np.random.default_rng(0).normal(0.6, 0.03, 1000)  # OOM/year draws of a compute trend
    lo_f, hi_f = fitted.effective_doubling_months_ci(phys, 0.95)
    lo_a, hi_a = assumed.effective_doubling_months_ci(phys, 0.95)
    assert lo_f < lo_a and hi_f > hi_a
    assert fitted.to_dict()["origin"] == "fitted from data"


def test_rising_compute_has_no_halving_time():
    t = np.linspace(2012, 2020, 10)
    f = fit_efficiency(table(t, 18 + 0.3 * (t - 2012)), n_boot=200)
    with pytest.raises(InputError) as e:
        f.efficiency()
    assert e.value.field == "data"
    assert f.halving_months_ci()[1] == math.inf
