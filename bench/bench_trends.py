"""Timing of the trend bootstrap (pytest-benchmark); each benchmark also checks its result."""

from __future__ import annotations

import math

import numpy as np

from computesim.trends import fit as trends


def _data(n: int):
    rng = np.random.default_rng(71)
    t = rng.uniform(2012, 2018, n)
    y = 17 + 12 * math.log10(2) / 3.4 * (t - 2012) + rng.normal(0, 0.5, n)
    nan = np.full(n, np.nan)
    return trends.FitData(t, y, nan, nan.copy(), [str(i) for i in range(n)]), t


def test_bench_bootstrap_1000x500(benchmark):
    data, t = _data(500)
    fit = benchmark(trends.fit_trend, data, n_boot=1000, seed=1, propagate=True)
    se = math.hypot(0.5, 2 * math.log10(2) / math.sqrt(12)) / math.sqrt(((t - t.mean()) ** 2).sum())
    assert abs(fit.slope - 12 * math.log10(2) / 3.4) < 4 * 0.5 / math.sqrt(
        ((t - t.mean()) ** 2).sum()
    )
    # bootstrap SE ~ analytic SE with the added noise; relative error ~ 1/sqrt(2n) (+) 1/sqrt(2B): 4 of those
    assert abs(np.std(fit.boot_slope) / se - 1) < 4 * math.hypot(
        1 / math.sqrt(1000), 1 / math.sqrt(2000)
    )
    assert fit.boot_slope.size == 1000
