"""Large-scale selection on synthetic data with a known answer: a planted cluster above a regular
trend is found (precision and recall), a single trend gives few flags, both trends' slopes and
their offset fall in their intervals."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from trends_support import fit_data_from

from computesim.errors import InputError
from computesim.trends.fit import decimal_year
from computesim.trends.large_scale import (
    PAPER_LARGE_FROM,
    PAPER_Z,
    WINDOW_START,
    LargeRule,
    large_scale,
    select,
    theil_sen,
    window_z,
)

L2 = math.log10(2)


def planted(seed, n=80, n_large=15, offset=1.5, regular_months=6.0, large_months=6.0, sd=0.3):
    """Regular trend 2012-2022 and a cluster from 2016 ``offset`` OOM above it; truth mask."""
    rng = np.random.default_rng(seed)
    a, b = 12 * L2 / regular_months, 12 * L2 / large_months
    t = rng.uniform(2012, 2022, n)
    y = 18 + a * (t - 2012) + rng.normal(0, sd, n)
    tl = rng.uniform(2016, 2022, n_large)
    yl = 18 + a * 4 + offset + b * (tl - 2016) + rng.normal(0, sd, n_large)
    truth = np.r_[np.zeros(n, bool), np.ones(n_large, bool)]
    return fit_data_from(np.r_[t, tl], np.r_[y, yl]), truth, (a, b)


def precision_recall(mask, truth):
    tp = int((mask & truth).sum())
    return tp / max(int(mask.sum()), 1), tp / int(truth.sum())


@pytest.mark.parametrize(
    "offset,large_months,floor",
    [(1.5, 6.0, 0.8), (2.0, 10.0, 0.75)],  # parallel; the paper's 6 vs 10 months, 2 OOM above
)
def test_zscore_rule_finds_the_planted_cluster(offset, large_months, floor):
    pr = [
        precision_recall(select(d, LargeRule(), 2016, 2022)[1], truth)
        for d, truth, _ in (planted(s, offset=offset, large_months=large_months) for s in range(12))
    ]
    p, r = np.mean(pr, axis=0)
    assert p >= floor and r >= floor, (p, r)


def test_no_cluster_flags_few_and_never_most():
    z_share, res_share = [], []
    for s in range(12):
        d, _, _ = planted(s, n_large=0)
        cand, m = select(d, LargeRule(), 2012, 2022)
        z_share.append(m.sum() / cand.sum())
        res_share.append(select(d, LargeRule("residual"), 2012, 2022)[1].sum() / cand.sum())
    # the z rule flags the upper tail of any cloud: P(Z > 0.72) = 0.236 for a normal one
    assert max(z_share) < 0.4 and abs(np.mean(z_share) - 0.236) < 0.08
    assert max(res_share) <= 0.05  # 1 OOM is > 3 SD of this scatter


def test_no_cluster_output_states_the_evidence_and_distrusts_the_large_fit():
    """The paper's rule on one trend flags its upper tail (never most of it); the output says
    there is no evidence of a cluster and that the large-scale fit is not to be trusted. A
    planted cluster gets the opposite statement."""
    for s in range(4):
        d, _, _ = planted(s, n_large=0)
        r = large_scale(d, LargeRule(start=WINDOW_START), 2012, 2022, n_boot=100, seed=s)
        assert 0 < r.n_points < r.n_candidates / 2, (r.n_points, r.n_candidates)
        ev = r.to_dict()["cluster_evidence"]
        assert ev["delta_bic"] == r.delta_bic < ev["min_delta_bic"] == 2
        assert not ev["trust_large_scale_fit"] and ev["verdict"].startswith("no evidence")
        d, _, _ = planted(s)
        ev = large_scale(d, LargeRule(), 2016, 2022, n_boot=100, seed=s).to_dict()
        ev = ev["cluster_evidence"]
        assert ev["trust_large_scale_fit"] and ev["verdict"].startswith("a separate cluster")
    d, _, _ = planted(0, n_large=1, offset=3.0)  # too few flagged to test
    ev = large_scale(d, LargeRule(z=2.5, start=WINDOW_START), 2012, 2022, n_boot=50).evidence()
    assert ev["delta_bic"] is None and not ev["trust_large_scale_fit"]
    assert ev["verdict"].startswith("not tested")


def test_both_slopes_and_the_offset_fall_in_their_intervals():
    hits = np.zeros(3, int)
    for s in range(20):
        d, truth, (a, b) = planted(s, n=200, n_large=30, offset=1.5)
        r = large_scale(d, LargeRule(), 2016, 2022, n_boot=300, seed=np.random.default_rng(s))
        p, rec = precision_recall(r.mask, truth)
        assert p > 0.75 and rec > 0.75
        off = r.offset()["oom_ci"]
        hits += [
            r.regular.slope_ci()[0] < a < r.regular.slope_ci()[1],
            r.large.slope_ci()[0] < b < r.large.slope_ci()[1],
            off[0] < 1.5 < off[1],
        ]
    # 95% intervals: 20 seeds give 19 on average; 14 or fewer would be P < 0.3% at 95% coverage
    assert (hits >= 15).all(), hits
    out = r.to_dict()
    assert out["regular_scale"]["n_points"] + out["large_scale"]["n_points"] == out["n_candidates"]
    assert out["rule"]["z_threshold"] == PAPER_Z and "Sevilla" in out["rule"]["source"]


def test_window_z_against_brute_force():
    rng = np.random.default_rng(2)
    t, y = rng.uniform(2000, 2010, 60), rng.normal(20, 1, 60)
    z = window_z(t, y, np.arange(60), 1.0)
    for i in range(60):
        near = y[np.abs(t - t[i]) <= 1.0]
        assert z[i] == pytest.approx((y[i] - near.mean()) / near.std(ddof=1), rel=1e-9)


def test_theil_sen_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    t, y = rng.uniform(0, 10, 50), rng.normal(0, 1, 50)
    y[:8] += 20  # outliers do not move it much
    slope, intercept = theil_sen(t, y)
    ref = stats.theilslopes(y, t, method="joint")  # intercept: median of y - slope t
    assert slope == pytest.approx(ref.slope, rel=1e-12)
    assert intercept == pytest.approx(ref.intercept, rel=1e-12)


def test_bad_rules_name_their_parameter():
    with pytest.raises(InputError) as e:
        LargeRule("biggest")
    assert e.value.field == "large"
    with pytest.raises(InputError) as e:
        LargeRule(window_years=0)
    assert e.value.field == "large_window"
    d, _, _ = planted(0)
    with pytest.raises(InputError) as e:
        large_scale(d, LargeRule(start=2030.0), 2012, 2022)
    assert e.value.field == "large_from"


def test_evidence_gate_flags_none_without_a_cluster_and_keeps_a_planted_one():
    """Two lines vs one by BIC (``evidence``): single trends give no flags (measured: delta BIC
    at most 1.0 over 40 seeds), planted clusters pass (at least 6.9 over 40 seeds)."""
    rule = LargeRule(evidence=2.0, start=WINDOW_START)
    for s in range(8):
        d, _, _ = planted(s, n_large=0)
        r = large_scale(d, rule, 2012, 2022, n_boot=100, seed=s)
        assert r.n_points == 0 and r.delta_bic < 2, (s, r.delta_bic)
        assert "no evidence of a separate large-scale cluster" in r.to_dict()["note"]
        plain = large_scale(d, LargeRule(start=WINDOW_START), 2012, 2022, n_boot=100, seed=s)
        assert plain.n_points > 0 and "no evidence" in plain.to_dict()["note"]  # the paper's rule
        d, truth, _ = planted(s)
        r = large_scale(d, rule, 2016, 2022, n_boot=100, seed=s)
        p, rec = precision_recall(r.mask, truth)
        assert r.delta_bic > 2 and p >= 0.6 and rec >= 0.6, (s, r.delta_bic, p, rec)
        assert r.to_dict()["cluster_delta_bic"] == r.delta_bic
    with pytest.raises(InputError) as e:
        LargeRule(evidence=math.nan)
    assert e.value.field == "large_evidence"


def test_candidates_default_to_the_papers_large_scale_era():
    """Default: from 2015-09-01 when the window reaches past it, else the window's start."""
    d, _, _ = planted(1)
    r = large_scale(d, LargeRule(), 2012, 2022, n_boot=100)
    assert r.start == PAPER_LARGE_FROM == decimal_year([dt.date(2015, 9, 1)])[0]
    assert r.n_candidates == int(((d.t >= PAPER_LARGE_FROM) & (d.t < 2022)).sum())
    r = large_scale(d, LargeRule(start=WINDOW_START), 2012, 2022, n_boot=100)
    assert r.start == 2012 and r.n_candidates == d.t.size
    r = large_scale(d, LargeRule(), 2012, 2015.5, n_boot=100)
    assert r.start == 2012 and "ends before 2015-09-01" in r.to_dict()["note"]


def test_evidence_gate_keeps_none_when_too_few_are_flagged_to_test():
    """One or two flagged systems cannot be tested for a cluster: with ``evidence`` none are kept."""
    for s in range(3):
        d, _, _ = planted(s, n_large=1, offset=3.0)
        plain = large_scale(d, LargeRule(z=2.5, start=WINDOW_START), 2012, 2022, n_boot=50, seed=s)
        assert 1 <= plain.n_points <= 2
        gated = LargeRule(z=2.5, evidence=2.0, start=WINDOW_START)
        r = large_scale(d, gated, 2012, 2022, n_boot=50, seed=s)
        assert r.n_points == 0 and "too few to test for a cluster" in r.to_dict()["note"]
