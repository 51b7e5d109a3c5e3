"""Eras found from the data: planted breaks recovered within their intervals, BIC choosing the
number of eras, interval coverage over repeated seeds, and the 2010 break without being told."""

from __future__ import annotations

import numpy as np
import pytest

from computesim.errors import InputError
from computesim.trends.eras import candidates, find_eras


def hinge(seed, n=60, jump=0.0, b=2010.0, sd=0.3):
    """1990-2020: 0.1 OOM/year, then 0.5 OOM/year after ``b`` (+ ``jump`` OOM at ``b``)."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(1990, 2020, n))
    y = 15 + 0.1 * (t - 1990) + 0.4 * np.maximum(t - b, 0) + jump * (t > b) + rng.normal(0, sd, n)
    return t, y


def test_one_planted_break_is_found_inside_its_interval():
    t, y = hinge(1, n=80)
    e = find_eras(t, y, n_boot=300, seed=1)
    assert e.chosen.name == "1 break, continuous"
    (lo, hi), b = e.breaks_ci[0], e.breaks[0]
    # the jump model is within 3 of BIC here, so its (wider) profile interval joins in
    assert lo <= 2010 <= hi and lo <= b <= hi and hi - lo < 6
    d = e.to_dict()
    assert d["chosen"] == "1 break, continuous" and d["breaks"][0]["date"].startswith("20")
    assert min(m["delta_bic"] for m in d["models"]) == 0 and len(d["models"]) == 5


def test_a_jump_is_told_from_a_bend():
    chosen = [find_eras(*hinge(s, jump=1.0), n_boot=100, seed=s).chosen.name for s in range(10)]
    assert sum("with a jump" in c for c in chosen) >= 8, chosen


def test_two_planted_breaks_are_found():
    rng = np.random.default_rng(4)
    t = np.sort(rng.uniform(1950, 2022, 120))
    y = 10 + 0.1 * (t - 1950) + 0.5 * np.maximum(t - 1985, 0) + rng.normal(0, 0.3, 120)
    y += 1.5 * (t > 2010)
    e = find_eras(t, y, n_boot=200, seed=4)
    assert e.chosen.n_breaks == 2, e.chosen
    for (lo, hi), truth in zip(e.breaks_ci, (1985, 2010)):
        assert lo <= truth <= hi


def test_no_break_gives_one_line():
    chosen = []
    for s in range(10):
        rng = np.random.default_rng(s)
        t = np.sort(rng.uniform(1990, 2020, 60))
        chosen.append(
            find_eras(t, 15 + 0.2 * (t - 1990) + rng.normal(0, 0.3, 60), n_boot=100).chosen
        )
    assert sum(c.n_breaks == 0 for c in chosen) >= 9
    assert all(not c.breaks for c in chosen if c.n_breaks == 0)


COVERAGE_REPS = 100  #: per design: standard error sqrt(0.9 * 0.1 / 100) = 3% at 90%


@pytest.mark.slow
@pytest.mark.parametrize(
    ("jump", "n", "sd"), [(0.0, 60, 0.3), (1.0, 60, 0.3), (1.0, 60, 0.6), (1.0, 120, 0.3)]
)
def test_break_interval_coverage_over_seeds(jump, n, sd):
    """90% intervals (one break searched) cover the planted 2010 in at least 90% - 2 SE of 100
    seeded datasets. Measured with 400 seeds (SE 1.0-1.4%), union / likelihood ratio alone /
    bootstrap alone: bend n=60 95.5 / 89.2 / 90.2%; jump n=60 94.3 / 92.2 / 76.7%; jump sd 0.6
    91.5 / 86.0 / 68.8%; jump n=120 97.5 / 96.8 / 90.2%. The bootstrap alone (the old interval)
    fails both jump designs at n=60."""
    hits, widths = 0, []
    for s in range(COVERAGE_REPS):
        e = find_eras(*hinge(s, n=n, jump=jump, sd=sd), n_boot=200, level=0.9, seed=s, max_breaks=1)
        (lo, hi), lr = e.breaks_ci[0], e.breaks_ci_lr[0]
        assert lo <= lr[0] and lr[1] <= hi and lo <= e.breaks_ci_boot[0][0]
        hits += lo <= 2010 <= hi
        widths.append(hi - lo)
    se = (0.9 * 0.1 / COVERAGE_REPS) ** 0.5
    assert hits / COVERAGE_REPS >= 0.9 - 2 * se, hits
    assert np.median(widths) < 6, np.median(widths)  # not covering by spanning the whole range


def test_lr_critical_values_are_hansens_and_chi_square():
    """Hansen (2000), Table 1 (as in his code: -2 ln(1 - sqrt(level))): 5.94 at 90%, 7.35 at 95%,
    10.59 at 99%; a bend's chi-square(1): 2.71, 3.84."""
    from computesim.trends.eras import lr_critical

    assert [round(lr_critical(a, True), 2) for a in (0.9, 0.95, 0.99)] == [5.94, 7.35, 10.59]
    assert [round(lr_critical(a, False), 2) for a in (0.9, 0.95)] == [2.71, 3.84]


def test_lr_interval_is_the_profile_set_widened_to_dates():
    """A sharp jump: the profile set is the one gap holding the jump, widened to its two dates."""
    t = np.arange(2000.0, 2020.0)
    y = 1.0 * (t > 2009.5) + np.random.default_rng(0).normal(0, 0.01, t.size)
    e = find_eras(t, y, max_breaks=1, n_boot=50)
    assert e.chosen.name == "1 break, with a jump"
    assert e.breaks_ci_lr == [[2009.0, 2010.0]] and e.breaks_ci == [[2009.0, 2010.0]]
    d = e.to_dict()["breaks"][0]
    assert d["ci_likelihood_ratio"] == [2009.0, 2010.0] and d["ci_bootstrap"] == [2009.0, 2010.0]


def test_the_2010_break_on_three_eras_data():
    """1950-2022 like the paper's data: 20-month doubling, then 6 months from 2010."""
    rng = np.random.default_rng(7)
    t = np.sort(np.r_[rng.uniform(1950, 2010, 45), rng.uniform(2010, 2022, 90)])
    y = 12 + 12 * np.log10(2) / 20 * (t - 1950)
    y += 12 * np.log10(2) * (1 / 6 - 1 / 20) * np.maximum(t - 2010, 0) + rng.normal(0, 0.7, t.size)
    e = find_eras(t, y, n_boot=200, seed=7)
    assert e.chosen.n_breaks >= 1
    assert any(lo <= 2010 <= hi and hi - lo < 8 for lo, hi in e.breaks_ci), e.breaks_ci


def test_candidates_leave_min_segment_points_each_side():
    t = np.arange(20.0)
    c = candidates(t, 5, 100)
    assert c.min() == 4.5 and c.max() == 14.5
    assert candidates(np.arange(200.0), 5, 30).size == 30


def test_bad_options():
    t, y = hinge(0, n=8)
    with pytest.raises(InputError) as e:
        find_eras(t, y)
    assert e.value.field == "data"
    with pytest.raises(InputError) as e:
        find_eras(*hinge(0), max_breaks=3)
    assert e.value.field == "max_breaks"
