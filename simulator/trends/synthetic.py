"""Synthetic datasets with a known truth, for checking the trend fits and drawing the docs' figures."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np

from computesim.trends.fit import FitData

L2 = math.log10(2)
LARGE_FROM = 2015.7  #: the planted large-scale systems start here (decimal year)
LARGE_DOUBLING_MONTHS = 10.0  #: ... and double every 10 months
REGULAR_DOUBLING_MONTHS = (20.0, 6.0)  #: the regular trend, before and after 2010
SMALL_CLUSTER_DOUBLING_MONTHS = 10.0  #: ``small_cluster``'s planted systems double every 10 months


def three_eras(seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(decimal years, log10 FLOP, planted large-scale mask): systems like the paper's. 1950-2010
    doubling every 20 months, 6 months after 2010 (scatter 0.6 OOM), and 16 systems from
    September 2015 2 OOM above, doubling every 10 (scatter 0.3 OOM).

    >>> t, y, large = three_eras()
    >>> t.size, int(large.sum())
    (151, 16)
    """
    before, after = REGULAR_DOUBLING_MONTHS
    rng = np.random.default_rng(seed)
    t = np.sort(np.r_[rng.uniform(1950, 2010, 45), rng.uniform(2010, 2022, 90)])
    y = (
        12
        + 12 * L2 / before * (t - 1950)
        + 12 * L2 * (1 / after - 1 / before) * np.maximum(t - 2010, 0)
    )
    y += rng.normal(0, 0.6, t.size)
    tl = rng.uniform(LARGE_FROM, 2022, 16)
    start = (
        12
        + 12 * L2 / before * (LARGE_FROM - 1950)
        + 12 * L2 * (1 / after - 1 / before) * (LARGE_FROM - 2010)
        + 2.0
    )  # log10 FLOP
    yl = start + 12 * L2 / LARGE_DOUBLING_MONTHS * (tl - LARGE_FROM) + rng.normal(0, 0.3, 16)
    return np.r_[t, tl], np.r_[y, yl], np.r_[np.zeros(t.size, bool), np.ones(16, bool)]


def small_cluster(seed: int = 0, n: int = 40, n_large: int = 8) -> tuple[np.ndarray, ...]:
    """(decimal years, log10 FLOP, planted mask): ``n`` systems 2012-2022 and ``n_large`` from 2016
    3 OOM above them, all doubling every 10 months (scatter 0.3 OOM): a cluster so far above that
    it is found exactly, leaving the small-sample error of its slope alone.

    >>> t, y, large = small_cluster()
    >>> t.size, int(large.sum())
    (48, 8)
    """
    rng = np.random.default_rng(seed)
    t, tl = rng.uniform(2012, 2022, n), rng.uniform(2016, 2022, n_large)
    slope = 12 * L2 / SMALL_CLUSTER_DOUBLING_MONTHS
    y = 18 + slope * (t - 2012) + rng.normal(0, 0.3, n)
    yl = 18 + 3 + slope * (tl - 2012) + rng.normal(0, 0.3, n_large)
    return np.r_[t, tl], np.r_[y, yl], np.r_[np.zeros(n, bool), np.ones(n_large, bool)]


def fit_data(t: np.ndarray, y: np.ndarray) -> FitData:
    """Decimal years and log10 FLOP as trend-fit input (no bands; systems named s0, s1, ...)."""
    nan = np.full(t.size, np.nan)
    return FitData(
        np.asarray(t, float),
        np.asarray(y, float),
        nan,
        nan.copy(),
        [f"s{i}" for i in range(t.size)],
    )


def three_eras_csv(path: Path, seed: int = 7) -> Path:
    """``three_eras(seed)`` as a CSV of systems (S... regular, L... planted large-scale)."""
    t, y, large = three_eras(seed)
    lines = ["System,Publication date,Training compute (FLOP)"]
    for i, (a, b, big) in enumerate(zip(t, y, large)):
        d = dt.date(int(a), 1, 1) + dt.timedelta(days=int((a - int(a)) * 365))
        lines.append(f"{'L' if big else 'S'}{i},{d},{10**b:.4e}")
    path.write_text("\n".join(lines) + "\n")
    return path
