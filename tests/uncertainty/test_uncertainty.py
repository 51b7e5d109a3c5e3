"""Exact lognormal bands, Monte Carlo against them (within standard errors), coverage, KS, attribution."""

import math

import numpy as np
import pytest

from computesim.core.distributions import LogNormal, LogUniform, Triangular, Uniform
from computesim.core.methods import estimate_hardware, estimate_ops
from computesim.errors import InputError
from computesim.uncertainty.band import (
    PROBS,
    LogModel,
    band,
    combine,
    exact_band,
    joint,
    mc_band,
    model_of,
    parse_factor,
    parse_thresholds,
    ratio_model,
)

stats = pytest.importorskip("scipy.stats")
pytest.importorskip("computesim.kernels.mc_numba")


def alexnet():
    return estimate_hardware(
        device="GTX 580", tflops=1.58, count=2, days="5 to 6", utilization="0.25 to 0.4"
    )


def test_exact_band_closed_form():
    m = model_of(alexnet())
    assert m.exact
    b = exact_band(m, [4e17])
    mu = (
        math.log(2 * 1.58e12)
        + LogNormal.from_interval(432000, 518400).mu
        + LogNormal.from_interval(0.25, 0.4).mu
    )
    s = math.hypot(LogNormal.from_interval(5, 6).sigma, LogNormal.from_interval(0.25, 0.4).sigma)
    for p in PROBS:
        assert b.quantiles[p] == pytest.approx(math.exp(mu + s * stats.norm.ppf(p)), rel=1e-12)
    assert b.mean == pytest.approx(math.exp(mu + s * s / 2), rel=1e-12)
    assert b.geomean == pytest.approx(math.exp(mu), rel=1e-12)
    assert b.p_above[4e17] == pytest.approx(stats.norm.sf((math.log(4e17) - mu) / s), rel=1e-12)
    assert b.spread == pytest.approx(math.exp(1.6448536269514722 * s))
    assert sum(b.attribution.values()) == pytest.approx(1.0)
    assert b.attribution["utilization"] > b.attribution["time"]
    assert b.median == pytest.approx(
        alexnet().flop, rel=1e-12
    )  # point estimate = product of medians


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_monte_carlo_matches_exact_within_standard_errors(backend):
    m = model_of(alexnet(), method_error=2.0)
    ex = exact_band(m, [4e17, 8e17])
    mc = mc_band(m, 200_000, seed=11, thresholds=[4e17, 8e17], backend=backend)
    for p in PROBS:
        assert abs(mc.quantiles[p] - ex.quantiles[p]) < 4 * mc.quantile_se[p], p
        assert mc.quantile_se[p] > 0
    assert abs(mc.mean - ex.mean) < 4 * mc.mean_se
    for t in (4e17, 8e17):
        assert abs(mc.p_above[t] - ex.p_above[t]) < 4 * mc.p_above_se[t] + 1e-12
    sd_se = mc.log_sd / math.sqrt(2 * mc.samples)
    assert abs(mc.log_sd - ex.log_sd) < 4 * sd_se


def test_quantile_standard_errors_are_calibrated():
    """Over 200 seeds, exact quantile within +-1.96 MC SE about 95% of the time (binomial tolerance)."""
    m = LogModel(0.0, ("x",), (LogNormal(0.0, 1.0),), (1.0,))
    truth = exact_band(m)
    hits, runs = 0, 200
    for seed in range(runs):
        b = mc_band(m, 4000, seed=seed, backend="numba")
        hits += sum(
            abs(b.quantiles[p] - truth.quantiles[p]) <= 1.96 * b.quantile_se[p]
            for p in (0.05, 0.5, 0.95)
        )
    rate, n = hits / (3 * runs), 3 * runs
    assert (
        abs(rate - 0.95) < 4 * math.sqrt(0.95 * 0.05 / n) + 0.02
    )  # + bias of the order-statistic method


def test_ninety_percent_intervals_cover_about_ninety_percent():
    """The MC p5..p95 band of a mixed model covers a fresh draw of the true compute ~90% of the time."""
    m = LogModel(
        1.0,
        ("a", "b", "c"),
        (Uniform(1.0, 3.0), LogUniform(1.0, 10.0), Triangular(1.0, 2.0, 4.0)),
        (1.0, 1.0, 1.0),
    )
    rng = np.random.default_rng(2024)
    runs, covered = 300, 0
    for seed in range(runs):
        b = mc_band(m, 2000, seed=seed, backend="numba")
        truth = (
            math.exp(1.0)
            * rng.uniform(1, 3)
            * math.exp(rng.uniform(0, math.log(10)))
            * rng.triangular(1, 2, 4)
        )
        covered += b.quantiles[0.05] <= truth <= b.quantiles[0.95]
    assert abs(covered / runs - 0.90) < 4 * math.sqrt(0.9 * 0.1 / runs)


def test_ks_uniform_times_uniform():
    """X = U1 x U2 with U ~ uniform(0, 1) has CDF F(z) = z - z ln z."""
    from computesim.kernels import mc_numba

    m = LogModel(0.0, ("u1", "u2"), (Uniform(0.0, 1.0), Uniform(0.0, 1.0)), (1.0, 1.0))
    x = np.exp(mc_numba.sample_log(5, 0, 50_000, *m.kernel_arrays(), 0.0))
    assert stats.kstest(x, lambda z: z - z * np.log(z)).pvalue > 1e-3


def test_ks_mixed_product_against_lognormal_sum():
    """A loguniform times a lognormal: log is uniform + normal; compare with scipy's convolution by sampling."""
    from computesim.kernels import mc_numba

    m = LogModel(0.0, ("a", "b"), (LogUniform(1.0, math.e**2), LogNormal(0.0, 0.5)), (1.0, 1.0))
    x = mc_numba.sample_log(6, 0, 40_000, *m.kernel_arrays(), 0.0)

    def cdf(
        t,
    ):  # P(U + Z <= t), U ~ uniform(0, 2), Z ~ N(0, 0.5): integral of Phi((t-u)/0.5) du / 2
        s = 0.5
        a, b = (t - 2) / s, t / s
        g = lambda z: z * stats.norm.cdf(z) + stats.norm.pdf(z)  # noqa: E731
        return s * (g(b) - g(a)) / 2

    assert stats.kstest(x, cdf).pvalue > 1e-3


def test_all_lognormal_monte_carlo_draws_one_normal():
    m = model_of(alexnet(), method_error=3.0)
    b1 = mc_band(m, 1000, seed=1, backend="reference", lut=False)
    from computesim.kernels import mc_reference

    mu, s = m.log_normal_params()
    one = LogModel(0.0, ("x",), (LogNormal(mu, s),), (1.0,))
    logs = np.sort(mc_reference.sample_log(1, 0, 1000, *one.kernel_arrays(), 0.0))
    assert b1.quantiles[0.5] == pytest.approx(math.exp((logs[499] + logs[500]) / 2), rel=1e-12)


def test_same_seed_same_band_across_backends():
    m = LogModel(
        3.0,
        ("a", "b", "c"),
        (Uniform(1.0, 3.0), LogUniform(1.0, 10.0), LogNormal(0.0, 0.3)),
        (1.0, 1.0, 1.0),
    )
    a = mc_band(m, 50_000, seed=42, thresholds=[100.0], backend="reference")
    b = mc_band(m, 50_000, seed=42, thresholds=[100.0], backend="numba")
    assert a.p_above == b.p_above
    for p in PROBS:
        assert b.quantiles[p] == pytest.approx(a.quantiles[p], rel=2 * b.quantile_error_log + 1e-12)
    c = mc_band(m, 50_000, seed=43, backend="numba")
    assert c.quantiles[0.5] != b.quantiles[0.5]


def test_correlation_exact_and_mc():
    m = model_of(estimate_hardware(tflops="1.4 to 1.6", days="5 to 6", utilization="0.25 to 0.4"))
    plain = exact_band(m)
    pos = exact_band(m.correlated({("peak", "utilization"): 0.8}))
    neg = exact_band(m.correlated({("peak", "utilization"): -0.8}))
    assert neg.log_sd < plain.log_sd < pos.log_sd
    s = [math.sqrt(d.log_moments()[1]) for d in m.dists]
    want = s[0] ** 2 + s[1] ** 2 + s[2] ** 2 + 2 * 0.8 * s[0] * s[2]
    assert pos.log_sd == pytest.approx(math.sqrt(want))
    assert sum(pos.attribution.values()) == pytest.approx(1.0)
    mc = mc_band(m.correlated({("peak", "utilization"): 0.8}), 100_000, seed=3, backend="numba")
    assert abs(mc.log_sd - pos.log_sd) < 4 * pos.log_sd / math.sqrt(2 * 100_000)


@pytest.mark.parametrize(
    "pairs, words",
    [
        ({("peak", "utilization"): 1.5}, "[-1, 1]"),
        ({("peak", "nope"): 0.1}, "not an uncertain input"),
        ({("peak", "utilization"): 1.0}, "positive definite"),
        (
            {("peak", "time"): 0.9, ("time", "utilization"): 0.9, ("peak", "utilization"): -0.9},
            "positive definite",
        ),
    ],
)
def test_bad_correlations(pairs, words):
    m = model_of(estimate_hardware(tflops="1.4 to 1.6", days="5 to 6", utilization="0.25 to 0.4"))
    with pytest.raises(InputError) as exc:
        m.correlated(pairs)
    assert words in exc.value.problem


def test_shared_variable_drawn_once():
    from computesim.kernels import mc_numba

    shared = Uniform(1.0, 2.0)
    a = LogModel(0.0, ("x", "dev"), (LogUniform(1.0, 5.0), shared), (1.0, 1.0))
    b = LogModel(0.0, ("dev", "y"), (shared, Triangular(1.0, 2.0, 3.0)), (1.0, 1.0))
    ja, jb = joint([a, b])
    assert ja.names == jb.names == ("x", "dev", "y")
    r = ratio_model(a, b)
    assert r.coefs == (1.0, 0.0, -1.0)  # the shared device cancels in the ratio
    only = LogModel(0.0, ja.names, ja.dists, (0.0, 1.0, 0.0))
    d1 = mc_numba.sample_log(1, 0, 1000, *only.kernel_arrays(), 0.0)
    d2 = mc_numba.sample_log(1, 0, 1000, *replace_coefs(jb, (0.0, 1.0, 0.0)).kernel_arrays(), 0.0)
    assert np.array_equal(d1, d2)
    twice = a.with_factor("dev", shared)
    assert twice.coefs == (1.0, 2.0)


def replace_coefs(m, coefs):
    from dataclasses import replace

    return replace(m, coefs=coefs)


def test_combine_precision_weighted():
    ops = exact_band(
        model_of(estimate_ops(forward_macs=0.75e9, examples=1.2e6, epochs=90), method_error=2.0)
    )
    hw = exact_band(model_of(alexnet(), method_error=3.0))
    c = combine(ops, hw)
    w1, w2 = 1 / ops.log_sd**2, 1 / hw.log_sd**2
    want = math.exp((w1 * ops.log_median + w2 * hw.log_median) / (w1 + w2))
    assert c["combined_estimate"]["flop"] == pytest.approx(want)
    assert c["combined_estimate"]["log_sd"] == pytest.approx((w1 + w2) ** -0.5)
    assert c["overlap"] and not c["disagree"]
    far = exact_band(
        model_of(
            estimate_hardware(tflops=1.58, count=200, days="5 to 6", utilization="0.25 to 0.4")
        )
    )
    tight = exact_band(
        model_of(estimate_ops(forward_macs=0.75e9, examples=1.2e6, epochs="80 to 100"))
    )
    c2 = combine(tight, far)
    assert c2["disagree"] and not c2["overlap"]


def test_upper_bound_kept():
    from computesim.core.methods import reported

    m = model_of(reported("< 0.0007 pfs-days"), method_error=2.0)
    b = band(m)
    assert b.upper_bound and b.to_dict()["upper_bound"] is True


def test_parsers():
    assert parse_factor("3x") == 3.0 and parse_factor("x2.5") == 2.5
    assert parse_thresholds("1e25FLOP, 1pfs-days") == [1e25, 8.64e19]
    for bad in ("1e25", "0FLOP", "-1FLOP"):
        with pytest.raises(InputError):
            parse_thresholds(bad)
    for bad in ("1x", "0.5", "abc", "1001x", "1e300x", "infx", "nan"):
        with pytest.raises(InputError):
            parse_factor(bad)
    m = model_of(alexnet())
    for kw in ({"samples": 0}, {"samples": -5}, {"seed": -1}):
        with pytest.raises(InputError):
            mc_band(m, **({"samples": 10} | kw))


def _mixed_model():
    from computesim.core.distributions import Normal, Pert

    return LogModel(
        3.0,
        ("a", "b", "c", "d", "e"),
        (
            Uniform(1.0, 3.0),
            LogUniform(1.0, 10.0),
            Triangular(1.0, 2.0, 4.0),
            Normal(2.0, 0.5),
            Pert(1.0, 2.0, 6.0),
        ),
        (1.0, 1.0, -1.0, 0.5, 2.0),
    )


def test_default_sample_count_same_band_for_any_thread_count():
    """README: the seed alone fixes the numbers whatever the threads: every field bit for bit at the
    default sample count (the numba fused path), 1 vs 2 threads."""
    import dataclasses

    import numba

    from computesim.uncertainty.band import DEFAULT_SAMPLES

    m = _mixed_model()
    bands = []
    old = numba.get_num_threads()
    try:
        for t in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(t)
            bands.append(mc_band(m, DEFAULT_SAMPLES, seed=7, thresholds=[100.0], backend="numba"))
    finally:
        numba.set_num_threads(old)
    assert dataclasses.asdict(bands[0]) == dataclasses.asdict(bands[1])
    assert (
        bands[0].quantile_error_log < 1e-4
    )  # exact order statistics: only the tables' stated error


def test_default_sample_count_reference_and_numba_within_stated_bound():
    """Across backends at the default sample count: quantiles are exact order statistics of samples
    that agree within ``mc_reference.sample_tolerance`` (last bits of log), so they agree to ~1e-12
    relative; moments to rounding of the sums; the mean within the binning bound of the fused path."""
    from computesim.kernels import mc_reference
    from computesim.uncertainty.band import DEFAULT_SAMPLES, _encoded

    m = _mixed_model()
    a = mc_band(m, DEFAULT_SAMPLES, seed=42, thresholds=[100.0], backend="reference")
    b = mc_band(m, DEFAULT_SAMPLES, seed=42, thresholds=[100.0], backend="numba")
    fam, coef, par, tab, _chol, _, _ = _encoded(m, True)
    tol = mc_reference.sample_tolerance(42, 0, DEFAULT_SAMPLES, fam, coef, par, tab, m.const).max()
    assert 0 < tol < 1e-12
    for p in PROBS:
        assert abs(math.log(b.quantiles[p]) - math.log(a.quantiles[p])) <= tol + 1e-15
        assert b.quantile_se[p] == pytest.approx(a.quantile_se[p], rel=1e-9)
    assert b.log_sd == pytest.approx(a.log_sd, rel=1e-9) and b.geomean == pytest.approx(
        a.geomean, rel=1e-12
    )
    assert b.p_above == a.p_above
    assert b.mean == pytest.approx(a.mean, rel=1e-3)  # bin centres: within exp(width / 2) - 1


def test_cached_encoded_arrays_are_read_only():
    """The cache hands the same arrays to every later call: writing into them raises."""
    from computesim.uncertainty.band import _encoded

    for arr in _encoded(_mixed_model(), True)[:5]:
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[...] = 0


@pytest.mark.parametrize("days", ["loguniform(1e-320, 1)", "1e-150 to 1e150"])
def test_band_out_of_float64_is_one_input_error(days):
    """A band whose mean or spread overflows float64 is an InputError, never inf or a traceback."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError, match="float64"):
            e = estimate_hardware(tflops=1.0, count=1, days=days, utilization=0.3)
            band(model_of(e), samples=2000, force_mc=True, backend="reference")
