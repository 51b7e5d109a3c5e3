"""Ranges and distribution families: parsing, units, medians, quantile functions, bad input."""

import math

import numpy as np
import pytest

from computesim.core.distributions import (
    Z95,
    LogNormal,
    LogUniform,
    Normal,
    Pert,
    Triangular,
    Uniform,
    is_distribution_text,
    parse_distribution,
)
from computesim.core.inputs import parse_quantity
from computesim.core.methods import estimate_hardware
from computesim.core.quantity import Point
from computesim.errors import InputError

stats = pytest.importorskip("scipy.stats")


def test_a_to_b_is_lognormal_90_percent_interval():
    d = parse_distribution("5 to 6 days", "time", "--days")
    assert isinstance(d, LogNormal)
    assert d.mu == pytest.approx((math.log(5 * 86400) + math.log(6 * 86400)) / 2)
    assert d.sigma == pytest.approx((math.log(6) - math.log(5)) / (2 * 1.6448536))
    assert d.ppf(np.array([0.05, 0.95])) == pytest.approx([5 * 86400, 6 * 86400], rel=1e-12)
    assert d.point == pytest.approx(math.sqrt(30) * 86400)  # the median


@pytest.mark.parametrize(
    "text, kind, expect",
    [
        ("1.54 to 1.58 TFLOPS", "rate", (1.54e12, 1.58e12)),
        ("5 days to 6 days", "time", (432000, 518400)),
        ("12 h to 2 days", "time", (43200, 172800)),
        ("lognormal(1.54, 1.58) TFLOP/s", "rate", (1.54e12, 1.58e12)),
    ],
)
def test_units_apply_to_every_number(text, kind, expect):
    d = parse_distribution(text, kind, "f")
    assert d.ppf(np.array([0.05, 0.95])) == pytest.approx(expect, rel=1e-12)


def test_bare_numbers_take_the_fields_scale():
    est = estimate_hardware(tflops="1.54 to 1.58", days="5 to 6", utilization="0.25 to 0.4")
    peak, time = est.factors[1].value, est.factors[2].value
    assert peak.ppf(np.array([0.05, 0.95])) == pytest.approx([1.54e12, 1.58e12])
    assert time.ppf(np.array([0.05, 0.95])) == pytest.approx([5 * 86400, 6 * 86400])
    assert est.flop == pytest.approx(math.prod(f.value.point for f in est.factors))


def test_families_against_scipy():
    u = np.array([0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
    cases = [
        (LogUniform(2.0, 50.0), stats.loguniform(2.0, 50.0)),
        (Uniform(0.2, 0.5), stats.uniform(0.2, 0.3)),
        (Triangular(1.0, 2.0, 4.0), stats.triang(1 / 3, loc=1.0, scale=3.0)),
        (Normal(3.0, 1.0), stats.truncnorm(-3.0, np.inf, loc=3.0, scale=1.0)),
        (LogNormal(1.0, 0.5), stats.lognorm(0.5, scale=math.e)),
    ]
    for d, ref in cases:
        assert d.ppf(u) == pytest.approx(ref.ppf(u), rel=1e-9), d
        assert d.median == pytest.approx(ref.median(), rel=1e-9), d
        m, v = d.log_moments()
        lx = np.log(ref.ppf((np.arange(200_000) + 0.5) / 200_000))
        assert m == pytest.approx(lx.mean(), abs=1e-4) and v == pytest.approx(lx.var(), rel=1e-3), d


def test_pert_table_error_is_small():
    d = Pert(2.0, 3.0, 10.0)
    a, b = 1 + 4 * 1 / 8, 1 + 4 * 7 / 8
    ref = stats.beta(a, b, loc=2.0, scale=8.0)
    u = np.linspace(0.001, 0.999, 999)
    assert np.max(np.abs(d.ppf(u) - ref.ppf(u))) < 1e-4 * 8.0  # the stated table error
    assert d.median == pytest.approx(ref.median(), abs=1e-4 * 8)


@pytest.mark.parametrize(
    "text, cls",
    [
        ("loguniform(1, 10)", LogUniform),
        ("uniform(0.2,0.5)", Uniform),
        ("normal(5, 1)", Normal),
        ("triangular(1, 2, 4)", Triangular),
        ("pert(1, 2, 4)", Pert),
        ("LogNormal(1, 2)", LogNormal),
    ],
)
def test_parse_families(text, cls):
    assert is_distribution_text(text)
    assert isinstance(parse_quantity(text, "count", "x"), cls)


def test_points_stay_points():
    assert isinstance(parse_quantity("5.5 days", "time", "--days"), Point)
    assert not is_distribution_text("5.5")


@pytest.mark.parametrize(
    "text, words",
    [
        ("6 to 5", "backwards"),
        ("5 to 5", "backwards"),
        ("0 to 5", "positive"),
        ("-1 to 5", "positive"),
        ("loguniform(0, 3)", "positive"),
        ("lognormal(-2, 3)", "positive"),
        ("uniform(3, 2)", "backwards"),
        ("triangular(1, 5, 4)", "mode"),
        ("pert(4, 5, 1)", "backwards"),
        ("normal(1, 0)", "standard deviation"),
        ("normal(-10, 1)", "below 0"),
        ("gamma(1, 2)", "unknown distribution"),
        ("uniform(1)", "takes 2"),
        ("5 to 6 parsecs", "unknown unit"),
        ("uniform(-1, 2)", "positive"),
    ],
)
def test_bad_ranges_name_the_field(text, words):
    with pytest.raises(InputError) as exc:
        parse_quantity(text, "count", "--days")
    assert exc.value.field == "--days" and words in exc.value.problem


def test_to_json_and_describe():
    d = LogNormal.from_interval(0.25, 0.4)
    j = d.to_json()
    assert (
        j["distribution"] == "lognormal"
        and j["p5"] == pytest.approx(0.25)
        and j["p95"] == pytest.approx(0.4)
    )
    assert d.describe() == "0.25 to 0.4"
    assert LogNormal.factor(3.0).sigma == pytest.approx(math.log(3) / Z95)
    assert Triangular(1, 2, 3).describe("s") == "triangular(1, 2, 3) s"
    assert Uniform(1, 3).scaled(2.0) == Uniform(2, 6)


# --- issue 11 ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "1" + " " * 100_000 + "to 2",
        "1 to " + "2" * 100_000,
        "uniform(1," + " " * 100_000 + "2)",
        "pert(" + "(" * 100_000,
    ],
)
def test_huge_fields_are_refused_quickly(text):
    from computesim.core.distributions import parse_distribution

    with pytest.raises(InputError, match="too long"):
        parse_quantity(text, "time", "--days")
    with pytest.raises(InputError, match="too long"):
        parse_distribution(text, "time", "--days")


def test_long_whitespace_inside_the_limit_still_parses():
    q = parse_quantity("5" + " " * 400 + "to" + " " * 400 + "6 days", "time", "--days")
    assert isinstance(q, LogNormal) and q.params()["p95"] == pytest.approx(6 * 86400)


@pytest.mark.parametrize(
    "text",
    [
        "0.8 to 0.99",
        "normal(0.95, 0.1)",
        "loguniform(0.5, 1.5)",
        "uniform(0.1, 1.8)",
        "triangular(0.5, 0.9, 1.01)",
        "pert(0.5, 0.6, 2)",
    ],
)
def test_utilization_must_stay_at_most_one_over_the_whole_distribution(text):
    with pytest.raises(InputError) as exc:
        estimate_hardware(tflops=1, days=1, utilization=text)
    assert exc.value.field == "utilization" and "at most 1" in exc.value.problem


@pytest.mark.parametrize(
    "text",
    [
        "0.25 to 0.4",
        "0.5 to 0.8",
        "uniform(0.1, 1)",
        "pert(0.2, 0.3, 0.5)",
        "normal(0.3, 0.05)",
        "loguniform(0.2, 1)",
    ],
)
def test_utilization_distributions_inside_zero_one_are_accepted(text):
    e = estimate_hardware(tflops=1, days=1, utilization=text)
    assert e.factors[3].value.upper() <= 1


def test_the_tail_rule_is_the_999th_percentile():
    from computesim.core.distributions import FRACTION_TAIL, require_fraction_dist

    ok = LogNormal(math.log(0.9), -math.log(0.9) / 3.2)  # 99.93rd percentile at 1
    bad = LogNormal(math.log(0.9), -math.log(0.9) / 3.0)  # 99.87th
    assert require_fraction_dist("u", ok) is ok
    with pytest.raises(InputError, match=r"0\.13% above 1"):
        require_fraction_dist("u", bad)
    assert FRACTION_TAIL == 1e-3


def test_sweep_utilization_distribution_is_checked_too():
    import computesim

    with pytest.raises(InputError, match="at most 1"):
        computesim.sweep(tflops=1, days=1, utilization="uniform(0.1, 1.8)")


def test_caches_are_bounded_and_pert_tables_read_only():
    from computesim.core import distributions as D

    for i in range(D._TABLES.maxsize + 10):
        Pert(1.0, 2.0, 3.0 + i).table()
    assert len(D._TABLES) == D._TABLES.maxsize
    t = Pert(1.0, 2.0, 3.0).table()
    with pytest.raises(ValueError):
        t[0] = 5.0
    for i in range(D._MOMENTS.maxsize + 10):
        Uniform(1.0, 2.0 + i).log_moments()
    assert len(D._MOMENTS) == D._MOMENTS.maxsize
    first = Uniform(1.0, 2.5)
    assert first.log_moments() == first.log_moments()  # recomputed after eviction, same numbers


@pytest.mark.parametrize("lo, mode, hi", [(0.5, 1.0, 1.0), (0.5, 0.5, 1.0)])
def test_pert_with_the_mode_at_an_end(lo, mode, hi):
    """Found by the property tests: mode == lo or hi made the table NaN -> a constant (0 x -inf)."""
    from scipy import stats

    p = Pert(lo, mode, hi)
    a, b = 1 + 4 * (mode - lo) / (hi - lo), 1 + 4 * (hi - mode) / (hi - lo)
    assert p.median == pytest.approx(
        lo + (hi - lo) * stats.beta(a, b).ppf(0.5), abs=1e-4 * (hi - lo)
    )
    assert p.table()[0] == lo and p.table()[-1] > lo + 0.99 * (hi - lo)
