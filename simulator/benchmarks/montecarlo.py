"""Monte Carlo workloads (kernel family "mc"): a 10^4-sample point estimate, a run with quantiles,
and bands for many data points. Every factor is lognormal, so the log of the product is normal with
known mean and spread: each result is checked against that law within 7 standard errors (fixed
seed). Importing this module fails until ``computesim.kernels.mc_reference`` exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

import numpy as np

from computesim.kernels import get_backend
from computesim.kernels.encoding import LOGNORMAL, LOGUNIFORM, NPAR, TRIANGULAR, UNIFORM
from computesim.kernels.tables import accelerate

from .registry import Case, Workload, register

SEED = (
    20180516  #: fixed: the checks are deterministic, their tolerances derived from standard errors
)
QS = (0.05, 0.5, 0.95)
Z_TOL = (
    7.0  #: standard errors allowed (a false alarm is below 1e-11 per check, ~1e-6 over 10^5 rows)
)
#: AlexNet-like factors as lognormals of log-mean ln(x) and log-sd: devices, peak, seconds, utilization.
MU = np.log([2.0, 1.58e12, 5.5 * 86400, 0.33])
SIGMA = np.array([0.05, 0.1, 0.2, 0.3])


def model(rows: int = 0):
    """(fam, coef, par, tab, chol, const): one model, or ``rows`` models whose log-means step by 0.01."""
    k = len(MU)
    fam, coef = np.full(k, LOGNORMAL, np.int64), np.ones(k)
    par = np.zeros((k, NPAR))
    par[:, 0], par[:, 1] = MU, SIGMA
    tab, chol = np.zeros((k, 2)), np.zeros((0, 0))
    if not rows:
        return fam, coef, par, tab, chol, 0.0
    rep = lambda a: np.ascontiguousarray(np.broadcast_to(a, (rows, *a.shape)))  # noqa: E731
    return rep(fam), rep(coef), rep(par), rep(tab), chol, 0.01 * np.arange(rows, dtype=np.float64)


def ranks(n: int) -> np.ndarray:
    """0-based ranks of the sorted samples estimating QS."""
    return np.array([min(n - 1, int(q * (n - 1))) for q in QS], np.int64)


def _check_order(
    order: np.ndarray, n: int, mean: float | np.ndarray, error: float = 0.0
) -> np.ndarray:
    """Standardised errors of order statistics at ``ranks(n)`` against the normal law of the log;
    ``error`` is the kernel's own stated bound on its order statistics (log units), given away."""
    sd = float(np.sqrt(np.sum(SIGMA**2)))
    z = []
    for j, r in enumerate(ranks(n)):
        p = (r + 1) / (n + 1)
        zq = NormalDist().inv_cdf(p)
        se = sd * math.sqrt(p * (1 - p) / (n + 2)) / NormalDist().pdf(zq)
        miss = order[..., j] - (mean + sd * zq)
        z.append(np.sign(miss) * np.maximum(np.abs(miss) - error, 0.0) / se)
    return np.array(z)


def _kern(backend: str):

    return get_backend(backend).mc


def _quantiles(n: int, backend: str, items: int | None = None) -> Case:
    kern = _kern(backend)
    fam, coef, par, tab, chol, const = model()
    rk, lth, shift = ranks(n), np.array([float(np.sum(MU))]), float(np.sum(MU))

    def run():
        return kern.reduce(SEED, 0, n, fam, coef, par, tab, chol, const, rk, lth, shift)

    def check(s):
        assert s.n == n
        z = _check_order(np.asarray(s.order), n, float(np.sum(MU)), float(getattr(s, "error", 0.0)))
        assert np.all(np.abs(z) < Z_TOL), f"quantiles off by {z} standard errors"
        sd = float(np.sqrt(np.sum(SIGMA**2)))
        assert abs(s.sum_x / n - np.sum(MU)) < Z_TOL * sd / math.sqrt(n), "mean of the log"
        assert abs(int(s.above[0]) - n / 2) < Z_TOL * math.sqrt(n / 4), "count above the median"

    return Case(run, check, items=items or n)


def _bands(size: int, backend: str, per_row: int = 1000) -> Case:
    kern = _kern(backend)
    rows = max(1, size // per_row)
    fam, coef, par, tab, _, const = model(rows)
    rk, lth = ranks(per_row), np.zeros(0)
    shift = const + float(np.sum(MU))

    def run():
        return kern.bands_batch(SEED, per_row, fam, coef, par, tab, const, rk, lth, shift)

    def check(b):
        order = np.asarray(b.order).reshape(rows, len(QS))
        z = _check_order(order, per_row, shift)
        assert np.all(np.abs(z) < Z_TOL), (
            f"band quantiles off by up to {np.abs(z).max():.1f} standard errors"
        )
        assert abs(z.mean()) < Z_TOL / math.sqrt(z.size) * 3, "bands biased across rows"

    return Case(run, check, items=rows * per_row)


#: The uncertainty issue's target model: 4 inputs of mixed families (nothing collapses to the exact
#: path): devices lognormal(ln 2, 0.1), peak loguniform(1.5e12, 1.6e12) FLOP/s, seconds
#: uniform(4.5, 6.5) days, utilization triangular(0.25, 0.33, 0.4).
@dataclass(frozen=True)
class Mixed:
    """The mixed-family model's parameters (log-devices normal, peak FLOP/s, days, utilization)."""

    mu: float = math.log(2.0)
    sigma: float = 0.1
    peak: tuple[float, float] = (1.5e12, 1.6e12)
    days: tuple[float, float] = (4.5, 6.5)
    util: tuple[float, float, float] = (0.25, 0.33, 0.4)


MIXED = Mixed()


def mixed_model():
    """(fam, coef, par, tab, chol, const) of MIXED in the mc kernels' encoding."""
    a, b = MIXED.peak
    d0, d1 = MIXED.days
    t0, tm, t1 = MIXED.util
    fam = np.array([LOGNORMAL, LOGUNIFORM, UNIFORM, TRIANGULAR], np.int64)
    par = np.zeros((4, NPAR))
    par[0, :2] = MIXED.mu, MIXED.sigma
    par[1, :2] = math.log(a), math.log(b) - math.log(a)
    par[2, :2] = d0 * 86400, (d1 - d0) * 86400
    par[3, :5] = t0, t1, (tm - t0) / (t1 - t0), (t1 - t0) * (tm - t0), (t1 - t0) * (t1 - tm)
    return fam, np.ones(4), par, np.zeros((4, 2)), np.zeros((0, 0)), 0.0


def _draw(n: int, seed: int) -> np.ndarray:
    """MIXED's product in FLOP, the plain NumPy way: Generator draws, multiplied."""
    g = np.random.default_rng(seed)
    a, b = MIXED.peak
    return (
        g.lognormal(MIXED.mu, MIXED.sigma, n)
        * np.exp(g.uniform(math.log(a), math.log(b), n))
        * g.uniform(*MIXED.days, n)
        * 86400
        * g.triangular(*MIXED.util, n)
    )


def numpy_way(n: int, seed: int = SEED) -> np.ndarray:
    """The plain NumPy way: draws, product, np.percentile; natural logs of p5/p50/p95 (FLOP)."""
    return np.log(np.percentile(_draw(n, seed), [100 * q for q in QS]))


@lru_cache(maxsize=2)
def _truth(n: int) -> tuple[int, tuple[float, ...], tuple[float, ...]]:
    """(size of the independent NumPy sample, its log-quantiles at QS, d log-quantile / d p at QS):
    what ``_mixed`` checks against, drawn once per size for both backends (~2 s at 10^7)."""
    big = max(n, 10**6)
    sample = np.log(_draw(big, SEED + 1))
    truth = np.percentile(sample, [100 * q for q in QS])
    slope = [
        (np.percentile(sample, 100 * (p + 0.01)) - np.percentile(sample, 100 * (p - 0.01))) / 0.02
        for p in QS
    ]
    return big, tuple(truth.tolist()), tuple(float(x) for x in slope)


def _mixed(n: int, backend: str) -> Case:
    """Mixed-family product with p5/p50/p95, on a kernel backend (with the lookup tables of
    ``tables.accelerate``, as ``uncertainty.mc_band`` uses them) or the plain NumPy way ("numpy").

    Checked against an independent NumPy sample of ``big`` draws: the standard error of a sample
    quantile is sqrt(p(1-p)/n) / density, the log-density taken from that sample's quantile spacing.
    """
    big, truth, slope = _truth(n)
    if backend == "numpy":
        run, error = (lambda: numpy_way(n)), (lambda got: 0.0)
    else:
        kern = _kern(backend)
        fam, coef, par, tab, chol, const = mixed_model()
        par, tab, errs = accelerate(
            fam, par, tab, coef
        )  # the lookup tables the API uses (mc_band's default)
        rk = ranks(n)

        def run():
            return kern.reduce(SEED, 0, n, fam, coef, par, tab, chol, const, rk, np.zeros(0), 0.0)

        def error(got):
            return float(getattr(got, "error", 0.0)) + float(np.abs(coef) @ errs)

    def check(got):
        q = np.asarray(got if backend == "numpy" else got.order)
        for j, p in enumerate(QS):
            se = math.sqrt(p * (1 - p) * (1 / n + 1 / big)) * slope[j]
            assert abs(q[j] - truth[j]) <= Z_TOL * se + error(got), (p, q[j], truth[j], se)

    return Case(run, check, items=n)


_BACKENDS = ("reference", "numba")
register(
    Workload(
        "point estimate (10^4 samples)",
        "calls/s",
        None,
        _BACKENDS,
        lambda size, backend: _quantiles(10**4, backend, items=1),
        {"quick": 10**4, "full": 10**4},
        scaling=1,
        description="one Monte Carlo estimate: 10^4 samples, 3 quantiles",
    )
)
register(
    Workload(
        "monte carlo quantiles",
        "samples/s",
        "compute",
        _BACKENDS,
        _quantiles,
        {"quick": 10**6, "full": 10**7},
        scaling=10**8,
        reference_max=10**7,
        description="4 lognormal factors, Philox draws, exact 5/50/95% order statistics",
    )
)
register(
    Workload(
        "bands",
        "samples/s",
        "compute",
        _BACKENDS,
        _bands,
        {"quick": 10**6, "full": 10**7},
        scaling=10**8,
        reference_max=10**7,
        # the per-row NumPy reference's samples/s is flat from 10^5 to 10^6 (1.4-1.6e6 both,
        # 2026-12-02, Intel Xeon): timed at 10^5 in quick mode (2.6 s -> 0.3 s)
        reference_sizes={"quick": 10**5},
        description="rows of 1000 samples each (one per data point), 3 quantiles per row",
    )
)
register(
    Workload(
        "monte carlo mixed vs numpy.random",
        "samples/s",
        "compute",
        ("numpy", "numba"),
        _mixed,
        {"quick": 10**7, "full": 10**7},
        scaling=10**8,
        reference_max=10**7,
        reference="numpy",
        description="the uncertainty target: lognormal x loguniform x uniform x triangular, p5/p50/p95; "
        "reference: numpy.random.Generator draws, multiply, np.percentile",
    )
)
