"""Monte Carlo speed (pytest-benchmark). Each benchmark also checks its result.

Target: 10**7 samples of a 4-input mixed-family product (lognormal x uniform x loguniform x
triangular) with p5/p50/p95, against the plain NumPy way (Generator draws, multiply, np.percentile),
both measured in the same run. Set COMPUTESIM_BENCH_N to change the sample count.
"""

import math
import os
import time

import numpy as np
import pytest

from computesim.core.distributions import LogNormal, LogUniform, Triangular, Uniform
from computesim.uncertainty.band import LogModel, band, exact_band, mc_band, model_of

pytest.importorskip("computesim.kernels.mc_numba")
N = int(os.environ.get("COMPUTESIM_BENCH_N", 10**7))
MIXED = LogModel(
    0.0,
    ("a", "b", "c", "d"),
    (LogNormal(0.0, 0.5), Uniform(1.0, 2.0), LogUniform(1.0, 10.0), Triangular(1.0, 2.0, 4.0)),
    (1.0, 1.0, 1.0, 1.0),
)


def numpy_way(n, seed=0):
    rng = np.random.default_rng(seed)
    x = (
        rng.lognormal(0.0, 0.5, n)
        * rng.uniform(1.0, 2.0, n)
        * np.exp(rng.uniform(0.0, math.log(10.0), n))
        * rng.triangular(1.0, 2.0, 4.0, n)
    )
    return np.percentile(x, [5, 50, 95])


def _best(f, reps=3):
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        r = f()
        out.append(time.perf_counter() - t)
    return min(out), r


def test_mixed_numpy_baseline(benchmark):
    q = benchmark(numpy_way, N)
    ref = numpy_way(N, seed=1)
    assert np.allclose(q, ref, rtol=0.01)


def test_mixed_numba(benchmark):
    b = benchmark(mc_band, MIXED, N, 1, (), "numba")
    base = numpy_way(N)
    for p, v in zip((0.05, 0.5, 0.95), base):
        assert abs(b.quantiles[p] - v) < 6 * b.quantile_se[p] * math.sqrt(2)


def test_mixed_ratio_same_run():
    """The speed-up measured here (printed with -s); asserts only the numbers agree."""
    mc_band(MIXED, 1000, 0, (), "numba")
    t_np, q = _best(lambda: numpy_way(N))
    t_nb, b = _best(lambda: mc_band(MIXED, N, 1, (), "numba"))
    print(
        f"\n{N:.0e} samples, 4 mixed inputs, p5/p50/p95: numpy {t_np * 1e3:.0f} ms, numba {t_nb * 1e3:.0f} ms, "
        f"ratio {t_np / t_nb:.1f}x"
    )
    assert abs(b.quantiles[0.5] - q[1]) < 6 * b.quantile_se[0.5] * math.sqrt(2)


def test_lognormal_mc_one_normal(benchmark):
    from computesim.core.methods import estimate_hardware

    m = model_of(
        estimate_hardware(tflops="1.54 to 1.58", count=2, days="5 to 6", utilization="0.25 to 0.4"),
        2.0,
    )
    b = benchmark(mc_band, m, N, 1, (), "numba")
    ex = exact_band(m)
    assert abs(b.quantiles[0.5] - ex.quantiles[0.5]) < 4 * b.quantile_se[0.5]


def test_small_mc_estimate(benchmark):
    m = LogModel(
        40.0, ("t", "u"), (Uniform(4.0, 6.0), LogNormal.from_interval(0.25, 0.4)), (1.0, 1.0)
    )
    band(m, 10_000)
    b = benchmark(band, m, 10_000)
    assert b.samples == 10_000 and b.quantiles[0.05] < b.quantiles[0.95]


def test_exact_estimate(benchmark):
    from computesim.core.methods import estimate_hardware

    e = estimate_hardware(tflops=1.58, count=2, days="5 to 6", utilization="0.25 to 0.4")
    b = benchmark(lambda: band(model_of(e), thresholds=[1e18]))
    assert b.exact and b.median == pytest.approx(e.flop)


def test_bands_10k_systems(benchmark):
    from computesim.uncertainty.table import bands_table

    rows = [
        LogModel(
            40.0 + i * 1e-4,
            ("t", "u"),
            (Uniform(4.0, 6.0), LogNormal.from_interval(0.25, 0.4)),
            (1.0, 1.0),
        )
        for i in range(10_000)
    ]
    bands_table(rows[:2], samples=100)
    t = benchmark.pedantic(
        bands_table, args=(rows,), kwargs={"samples": 10_000}, rounds=1, iterations=1
    )
    assert t.num_rows == 10_000 and not any(t.column("exact").to_pylist())
    p50 = np.array(t.column("p50_pfs_days"))
    assert np.all(np.array(t.column("p5_pfs_days")) < p50)
