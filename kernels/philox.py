"""Counter-based random numbers (Philox4x32-10) and the inverse normal CDF, shared by every backend.

Philox4x32-10 (Salmon et al., SC'11, "Parallel random numbers: as easy as 1, 2, 3") maps a 128-bit
counter and a 64-bit key to 4 independent uint32 words. computesim keys it by the seed and counts
by (sample index low, sample index high, block, row): sample ``i`` of variable ``k`` of row ``r``
takes word ``k % 4`` of ``philox(counter=(i_lo, i_hi, k // 4, r), key=seed)``. A draw therefore
depends on the seed and its coordinates alone, never on backend, chunk size or thread count.

The functions here are plain Python on integers held as uint64 (masked to 32 bits): the same source
runs as NumPy on arrays (the reference), and is compiled by numba (``njit``) and numba-cuda
(``cuda.jit(device=True)``) in the backend modules. Uniforms are ``(word + 0.5) / 2**32``, in
(0, 1) exclusive, with resolution 2.3e-10 (so normal deviates reach about +-6.2 sigma).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
TWO_M32 = 2.0**-32


def build(jit=None) -> SimpleNamespace:
    """The scalar functions, each compiled by ``jit`` (e.g. numba ``njit``, ``cuda.jit(device=True)``).

    Returns a namespace with ``philox4x32``, ``ndtri`` (inverse normal CDF, Wichura AS241) and
    ``ndtr`` (normal CDF). ``jit=None`` gives plain Python (``philox4x32`` then also works on uint64
    NumPy arrays).
    """
    jit = jit or (lambda f: f)

    @jit
    def _round(c0, c1, c2, c3, k0, k1):
        p0 = _M0 * c0
        p1 = _M1 * c2
        return ((p1 >> _S32) ^ c1 ^ k0, p1 & _MASK, (p0 >> _S32) ^ c3 ^ k1, p0 & _MASK)

    @jit
    def philox4x32(c0, c1, c2, c3, k0, k1):
        """Philox4x32-10. Arguments uint64 (< 2**32); returns 4 uint64 words < 2**32."""
        c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
        for _ in range(9):
            k0 = (k0 + _W0) & _MASK
            k1 = (k1 + _W1) & _MASK
            c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
        return c0, c1, c2, c3

    @jit
    def philox4x32_keyed(c0, c1, c2, c3, ks):
        """Philox4x32-10 with the round keys precomputed (``round_keys``): ks[r] = key of round r."""
        for r in range(10):
            p0 = _M0 * c0
            p1 = _M1 * c2
            c0, c1, c2, c3 = (
                (p1 >> _S32) ^ c1 ^ ks[r, 0],
                p1 & _MASK,
                (p0 >> _S32) ^ c3 ^ ks[r, 1],
                p0 & _MASK,
            )
        return c0, c1, c2, c3

    @jit
    def _poly(c, x):
        return (
            (((((c[7] * x + c[6]) * x + c[5]) * x + c[4]) * x + c[3]) * x + c[2]) * x + c[1]
        ) * x + c[0]

    @jit
    def ndtri(p):
        """Inverse of the standard normal CDF, 0 < p < 1."""
        q = p - 0.5
        if abs(q) <= 0.425:
            r = 0.180625 - q * q
            return q * _poly(_A, r) / _poly(_B, r)
        r = p if q < 0.0 else 1.0 - p
        r = math.sqrt(-math.log(r))
        if r <= 5.0:
            r -= 1.6
            x = _poly(_C, r) / _poly(_D, r)
        else:
            r -= 5.0
            x = _poly(_E, r) / _poly(_F, r)
        return -x if q < 0.0 else x

    @jit
    def ndtr(x):
        """Standard normal CDF."""
        return 0.5 * math.erfc(-x * 0.7071067811865476)

    return SimpleNamespace(
        philox4x32=philox4x32, philox4x32_keyed=philox4x32_keyed, ndtri=ndtri, ndtr=ndtr
    )


def _poly(c, x):
    return (
        (((((c[7] * x + c[6]) * x + c[5]) * x + c[4]) * x + c[3]) * x + c[2]) * x + c[1]
    ) * x + c[0]


def round_keys(seed: int) -> np.ndarray:
    """The 10 Philox round keys of ``seed`` as a (10, 2) uint64 array (for ``philox4x32_keyed``)."""
    k0, k1 = (int(k) for k in seed_key(seed))
    out = np.empty((10, 2), np.uint64)
    for r in range(10):
        out[r] = k0, k1
        k0, k1 = (k0 + 0x9E3779B9) & 0xFFFFFFFF, (k1 + 0xBB67AE85) & 0xFFFFFFFF
    return out


_PY = build()
philox4x32 = _PY.philox4x32
ndtri = _PY.ndtri
ndtr = _PY.ndtr


def seed_key(seed: int) -> tuple[np.uint64, np.uint64]:
    """The Philox key of a non-negative integer seed (< 2**64)."""
    seed = int(seed)
    if not 0 <= seed < 2**64:
        raise ValueError("seed must be in [0, 2**64)")
    return np.uint64(seed & 0xFFFFFFFF), np.uint64(seed >> 32)


# --- inverse standard normal CDF: Wichura's AS241 (PPND16), relative accuracy about 1e-16 ---------
_A = (
    3.387132872796366608,
    133.14166789178437745,
    1971.5909503065514427,
    13731.693765509461125,
    45921.953931549871457,
    67265.770927008700853,
    33430.575583588128105,
    2509.0809287301226727,
)
_B = (
    1.0,
    42.313330701600911252,
    687.1870074920579083,
    5394.1960214247511077,
    21213.794301586595867,
    39307.89580009271061,
    28729.085735721942674,
    5226.495278852545925,
)
_C = (
    1.42343711074968357734,
    4.6303378461565452959,
    5.7694972214606914055,
    3.64784832476320460504,
    1.27045825245236838258,
    0.24178072517745061177,
    0.0227238449892691845833,
    7.7454501427834140764e-4,
)
_D = (
    1.0,
    2.05319162663775882187,
    1.6763848301838038494,
    0.68976733498510000455,
    0.14810397642748007459,
    0.0151986665636164571966,
    5.475938084995344946e-4,
    1.05075007164441684324e-9,
)
_E = (
    6.6579046435011037772,
    5.4637849111641143699,
    1.7848265399172913358,
    0.29656057182850489123,
    0.026532189526576123093,
    0.0012426609473880784386,
    2.71155556874348757815e-5,
    2.01033439929228813265e-7,
)
_F = (
    1.0,
    0.59983220655588793769,
    0.13692988092273580531,
    0.0148753612908506148525,
    7.868691311456132591e-4,
    1.8463183175100546818e-5,
    1.4215117583164458887e-7,
    2.04426310338993978564e-15,
)


def ndtri_np(p: np.ndarray) -> np.ndarray:
    """Vectorised ``ndtri`` (the same formulas, branch by branch)."""
    p = np.asarray(p, dtype=np.float64)
    q = p - 0.5
    out = np.empty_like(p)
    mid = np.abs(q) <= 0.425
    r = 0.180625 - q[mid] * q[mid]
    out[mid] = q[mid] * _poly(_A, r) / _poly(_B, r)
    tail = ~mid
    qt = q[tail]
    r = np.sqrt(-np.log(np.where(qt < 0.0, p[tail], 1.0 - p[tail])))
    near = r <= 5.0
    x = np.where(
        near, _poly(_C, r - 1.6) / _poly(_D, r - 1.6), _poly(_E, r - 5.0) / _poly(_F, r - 5.0)
    )
    out[tail] = np.where(qt < 0.0, -x, x)
    return out


def uniforms_np(seed: int, start: int, n: int, block: int, row=0) -> np.ndarray:
    """(n, 4) uniforms in (0, 1) of samples start..start+n-1, counter block ``block`` (reference).

    ``row`` is a scalar or an array of n row indices (batched bands).
    """
    k0, k1 = seed_key(seed)
    idx = np.arange(start, start + n, dtype=np.uint64)
    c0, c1 = idx & _MASK, idx >> _S32
    c2 = np.full(n, block, dtype=np.uint64)
    c3 = np.broadcast_to(np.asarray(row, dtype=np.uint64), (n,)).copy()
    with np.errstate(over="ignore"):
        words = philox4x32(c0, c1, c2, c3, k0, k1)
    return (np.stack(words, axis=1).astype(np.float64) + 0.5) * TWO_M32
