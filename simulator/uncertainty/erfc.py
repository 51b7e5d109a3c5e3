"""The complementary error function over a NumPy array, to a few units in the last place.

``math.erfc`` element by element costs about 80 ns an element in Python; this is W. J.
Cody's rational Chebyshev approximations ("Rational Chebyshev approximations for the error
function", Math. Comp. 23 (1969) 631-637, the coefficients of netlib SPECFUN's CALERF) as array
operations: relative error near 1e-16 over the whole range, the tail included (checked against
``math.erfc`` in tests/uncertainty/test_erfc.py). For P(X > t) of a lognormal: 0.5 x erfc(z).
"""

from __future__ import annotations

import math
from typing import Any

SMALL = 0.46875  #: |x| up to this: erfc = 1 - x R(x^2)
MID = 4.0  #: up to this: exp(-x^2) R(x); beyond: exp(-x^2) (1/sqrt(pi) - R(1/x^2)/x^2) / x
TAIL = 26.0  #: beyond this erfc is near or below the smallest normal float: math.erfc
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02)
_A3, _A4 = 3.20937758913846947e03, 1.85777706184603153e-1
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03)
_B3 = 2.84423683343917062e03
_C = (
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
)
_C7, _C8 = 1.23033935479799725e03, 2.15311535474403846e-8
_D = (
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
)
_D7 = 1.23033935480374942e03
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1)
_P3, _P4, _P5 = 1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1)
_Q3, _Q4 = 6.05183413124413191e-2, 2.33520497626869185e-3
_RSQRTPI = 0.5641895835477562869


def erfc(x: Any) -> Any:
    """erfc of each element of ``x`` (a float64 NumPy array of the same shape; NaN stays NaN).

    >>> import math, numpy as np
    >>> v = erfc(np.array([-1.0, 0.2, 3.0, 10.0, 27.0]))
    >>> all(math.isclose(a, math.erfc(b), rel_tol=1e-14) for a, b in zip(v, [-1, 0.2, 3, 10, 27]))
    True
    """
    import numpy as np

    x = np.asarray(x, np.float64)
    y = np.abs(x)
    out = np.full(x.shape, np.nan)
    small, far, tail = y <= SMALL, y > MID, y > TAIL
    mid = ~(small | far)  # NaN: here, and stays NaN
    far &= ~tail
    if small.any():
        s = x[small]
        z = s * s
        num, den = _A4 * z, z.copy()
        for a, b in zip(_A, _B):
            num += a
            num *= z
            den += b
            den *= z
        out[small] = 1.0 - s * (num + _A3) / (den + _B3)
    if mid.any():
        t = y[mid]
        num, den = _C8 * t, t.copy()
        for c, d in zip(_C, _D):
            num += c
            num *= t
            den += d
            den *= t
        num += _C7
        den += _D7
        num /= den
        out[mid] = _scaled(t, num)
    if far.any():
        t = y[far]
        out[far] = _scaled(t, _far(t, 1.0 / (t * t)))
    if tail.any():  # subnormal results (or 0): the C library's, as math.erfc rounds them
        out[tail] = [math.erfc(v) for v in y[tail].tolist()]
    neg = x < -SMALL
    out[neg] = 2.0 - out[neg]
    return out


def _far(t: Any, z: Any) -> Any:
    """(1/sqrt(pi) - z R(z)) / t for t > MID, z = 1/t^2: erfc(t) exp(t^2)."""
    num, den = _P5 * z, z.copy()
    for p, q in zip((*_P, _P3), (*_Q, _Q3)):
        num += p
        num *= z
        den += q
        den *= z
    return (_RSQRTPI - z * (num + _P4) / (den + _Q4)) / t


def _scaled(t: Any, r: Any) -> Any:
    """exp(-t^2) r, exp(-t^2) taken as exp(-u^2) exp(-(t - u)(t + u)) with u = t rounded down
    to 1/16 (u^2 exact: the rounding error of t^2 is not amplified)."""
    import numpy as np

    u = np.trunc(t * 16.0) / 16.0
    r *= np.exp(-u * u)
    r *= np.exp(-(t - u) * (t + u))
    return r
