"""Statistical tests of the trend fits: fixed seeds, tolerances from standard errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from trends_support import fit_data_from, synthetic

from computesim.trends import fit as trends

TRUE_MONTHS = 3.4
TRUE_SLOPE = 12 * math.log10(2) / TRUE_MONTHS


def test_recovers_known_doubling_time():
    """Slope within 4 analytic standard errors; bootstrap SE agrees with the OLS SE."""
    rng = np.random.default_rng(11)
    n, sigma = 60, 0.4
    t, y = synthetic(rng, n, TRUE_MONTHS, sigma)
    fit = trends.fit_trend(fit_data_from(t, y), n_boot=2000, seed=12)
    se = sigma / math.sqrt(((t - t.mean()) ** 2).sum())
    assert abs(fit.slope - TRUE_SLOPE) < 4 * se
    assert fit.doubling_months == pytest.approx(TRUE_MONTHS, rel=0.5)  # a few months, as drawn
    # (whether the interval covers the truth is a 95% event: tested as a rate below, not once here)
    # The bootstrap SE estimates the same quantity; its relative error is about 1/sqrt(2n) from the
    # data (9%) and 1/sqrt(2B) from resampling (1.6%): allow 3 of those combined (28%).
    tol = 3 * math.hypot(1 / math.sqrt(2 * n), 1 / math.sqrt(2 * 2000))
    assert abs(np.std(fit.boot_slope) / se - 1) < tol


def test_bootstrap_interval_covers_at_nominal_rate():
    """Over K independent data sets, the 95% interval covers the true doubling time ~95% of the time.

    Tolerance: 3 binomial standard errors, sqrt(0.95 x 0.05 / K). (Pairs-bootstrap percentile
    intervals are known to run slightly short at small n; n = 40 keeps that well inside it.)
    """
    rng = np.random.default_rng(21)
    K, n = 400, 40
    hits = 0
    for _ in range(K):
        t, y = synthetic(rng, n, TRUE_MONTHS, 0.5)
        fit = trends.fit_trend(fit_data_from(t, y), n_boot=500, seed=rng)
        lo, hi = fit.doubling_months_ci()
        hits += lo <= TRUE_MONTHS <= hi
    cover = hits / K
    assert abs(cover - 0.95) < 3 * math.sqrt(0.95 * 0.05 / K), cover


def test_chow_test_false_alarm_rate():
    """On one straight line, the break test rejects at 5% about 5% of the time (3 binomial SE)."""
    rng = np.random.default_rng(31)
    K = 400
    rejections = 0
    for _ in range(K):
        t, y = synthetic(rng, 30, 6.0, 0.5, 2010, 2020)
        rejections += trends.break_test(fit_data_from(t, y), [2015.0])["warranted"]
    rate = rejections / K
    assert abs(rate - 0.05) < 3 * math.sqrt(0.05 * 0.95 / K), rate


def test_propagated_noise_adds_its_variance():
    """Log-uniform /f..xf noise has variance (2 log10 f)^2 / 12 per point: on an exact line the
    bootstrap slope SD must match sqrt(var / Sxx*) (Sxx* of each resample).

    Tolerance: the SD estimated from B resamples has relative SE 1/sqrt(2B); 4 of those.
    """
    rng = np.random.default_rng(41)
    n, B, f = 200, 4000, 2.0
    t = np.sort(rng.uniform(2012, 2018, n))
    y = 17 + TRUE_SLOPE * (t - 2012)
    fit = trends.fit_trend(fit_data_from(t, y), n_boot=B, seed=42, propagate=True, noise_factor=f)
    var_u = (2 * math.log10(f)) ** 2 / 12
    # expected SD over resamples: sqrt(var_u x E[1 / Sxx*]), E[1/Sxx*] from independent resamples
    T = t[np.random.default_rng(43).integers(0, n, (20_000, n))]
    expected = math.sqrt(
        var_u * np.mean(1 / ((T - T.mean(axis=1, keepdims=True)) ** 2).sum(axis=1))
    )
    assert abs(np.std(fit.boot_slope) / expected - 1) < 4 / math.sqrt(2 * B)
    assert np.mean(fit.boot_slope) == pytest.approx(TRUE_SLOPE, abs=4 * expected / math.sqrt(B))
