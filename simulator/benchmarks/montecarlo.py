"""Monte Carlo workloads (kernel family "mc"): a 10^4-sample point estimate, a run with quantiles,
and bands for many data points. Every factor is lognormal, so the log of the product is normal with
known mean and spread: each result is checked against that law within 7 standard errors (fixed
seed). Importing this module fails until ``computesim.kernels.mc_reference`` exists.
"""
from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from ..kernels import mc_reference  # noqa: F401  (ImportError until the mc kernels land)
from ..kernels.mc_scalar import LOGNORMAL, NPAR
from .registry import Case, Workload, register

SEED = 20180516  #: fixed: the checks are deterministic, their tolerances derived from standard errors
QS = (0.05, 0.5, 0.95)
Z_TOL = 7.0  #: standard errors allowed (a false alarm is below 1e-11 per check, ~1e-6 over 10^5 rows)
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


def _check_order(order: np.ndarray, n: int, mean: np.ndarray, error: float = 0.0) -> np.ndarray:
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
    from ..kernels import get_backend

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
        assert np.all(np.abs(z) < Z_TOL), f"band quantiles off by up to {np.abs(z).max():.1f} standard errors"
        assert abs(z.mean()) < Z_TOL / math.sqrt(z.size) * 3, "bands biased across rows"

    return Case(run, check, items=rows * per_row)


_BACKENDS = ("reference", "numba")
register(Workload("point estimate (10^4 samples)", "calls/s", None, _BACKENDS,
                  lambda size, backend: _quantiles(10**4, backend, items=1), {"quick": 10**4, "full": 10**4},
                  scaling=1, description="one Monte Carlo estimate: 10^4 samples, 3 quantiles"))
register(Workload("monte carlo quantiles", "samples/s", "compute", _BACKENDS, _quantiles,
                  {"quick": 10**6, "full": 10**7}, scaling=10**8, reference_max=10**7,
                  description="4 lognormal factors, Philox draws, exact 5/50/95% order statistics"))
register(Workload("bands", "samples/s", "compute", _BACKENDS, _bands,
                  {"quick": 10**6, "full": 10**7}, scaling=10**8, reference_max=10**7,
                  description="rows of 1000 samples each (one per data point), 3 quantiles per row"))
