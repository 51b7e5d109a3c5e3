"""Shared helpers for the trend tests (not a test module)."""

from __future__ import annotations

import datetime as dt

import numpy as np


def synthetic(
    rng: np.random.Generator,
    n: int,
    doubling_months: float,
    sigma: float,
    start: float = 2012.0,
    end: float = 2018.0,
    level: float = 18.0,
):
    """(t, y): dates uniform in [start, end), log10 FLOP on a line of the given doubling time + N(0, sigma)."""
    t = rng.uniform(start, end, n)
    slope = 12 * np.log10(2) / doubling_months
    y = level + slope * (t - start) + rng.normal(0, sigma, n)
    return t, y


def to_table(t: np.ndarray, y: np.ndarray, bound=None, low=None, high=None):
    """A points Table from decimal years and log10 FLOP (dates rounded to the day)."""
    from computesim.data.datasets import make_table

    rows = []
    for i, (ti, yi) in enumerate(zip(t, y)):
        year = int(ti)
        days = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
        d = dt.date(year, 1, 1) + dt.timedelta(days=int((ti - year) * days))
        rows.append(
            {
                "system": f"s{i}",
                "date": d,
                "flop": 10**yi,
                "bound": None if bound is None else bound[i],
                "flop_low": None if low is None else low[i],
                "flop_high": None if high is None else high[i],
                "method": "synthetic",
                "source": "test",
            }
        )
    return make_table(rows)


def fit_data_from(t: np.ndarray, y: np.ndarray):
    """Trend-fit input from dates and log10 FLOP: the library's own ``trends.synthetic.fit_data``."""
    from computesim.trends.synthetic import fit_data

    return fit_data(t, y)
