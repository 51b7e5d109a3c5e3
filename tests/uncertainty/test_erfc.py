"""The array erfc against math.erfc: every branch, its edges, both signs, the tail, NaN, inf."""

from __future__ import annotations

import math

import numpy as np

from computesim.uncertainty.erfc import MID, SMALL, TAIL, erfc


def test_erfc_matches_math_erfc_to_rounding():
    rng = np.random.default_rng(0)
    edges = [0.0, -0.0, SMALL, MID, TAIL, 26.543, 27.2, 27.3, 1e-300, 5e-324, 1e300]
    edges += [np.nextafter(e, np.inf) for e in (SMALL, MID, TAIL)]
    x = np.concatenate([rng.uniform(-7, 28, 50_000), rng.normal(0, 1, 20_000), edges])
    x = np.concatenate([x, -x, np.linspace(-30, 30, 6001)])
    got = erfc(x)
    want = np.array([math.erfc(v) for v in x.tolist()])
    normal = want > 1e-300  # tail values come from math.erfc itself: equal
    assert np.all(np.abs(got[normal] / want[normal] - 1) < 4e-15)
    assert np.array_equal(got[~normal], want[~normal])
    assert got.shape == x.shape and np.all((got >= 0) & (got <= 2))


def test_erfc_specials_and_shape():
    got = erfc(np.array([[np.nan, np.inf], [-np.inf, 0.0]]))
    assert got.shape == (2, 2) and math.isnan(got[0, 0])
    assert got[0, 1] == 0.0 and got[1, 0] == 2.0 and got[1, 1] == 1.0
    assert erfc(np.array([])).shape == (0,)
