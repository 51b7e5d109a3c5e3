"""Per-sample transforms of the "mc" family: plain Python on scalars, compiled by numba and numba-cuda.

A variable is encoded (see ``encoding``) as a family code and 6 parameters (``par[k]``), plus a
table row for tabulated inverse CDFs. ``draw_log`` turns one uniform ``u`` in (0, 1) into the natural log of the
variable's value. The NumPy reference (``mc_reference``) implements the same formulas on arrays.
"""

from __future__ import annotations

import math

from .encoding import LOGNORMAL, LOGUNIFORM, TRIANGULAR, TRUNCNORMAL, UNIFORM


def build_draw_log(jit, ndtri):
    """``draw_log(fam, u, par, k, tab)`` compiled by ``jit``, calling the compiled ``ndtri``.

    The log of variable ``k`` at uniform ``u``. Parameters by family: LOGNORMAL (mu, sigma);
    LOGUNIFORM (ln a, ln b - ln a); UNIFORM (a, b - a); TRUNCNORMAL (mean, sd, Phi(-mean/sd));
    TRIANGULAR (a, b, F(mode), (b-a)(mode-a), (b-a)(b-mode)); TABLE (number of intervals T;
    ``tab[k, 0..T]`` the values at u = j/T, linear in between).
    """

    @jit
    def draw_log(fam, u, par, k, tab):
        if fam == LOGNORMAL:
            return par[k, 0] + par[k, 1] * ndtri(u)
        if fam == LOGUNIFORM:
            return par[k, 0] + par[k, 1] * u
        if fam == UNIFORM:
            return math.log(par[k, 0] + par[k, 1] * u)
        if fam == TRUNCNORMAL:
            p0 = par[k, 2]
            x = par[k, 0] + par[k, 1] * ndtri(p0 + (1.0 - p0) * u)
            return math.log(max(x, 5e-324))
        if fam == TRIANGULAR:
            if u < par[k, 2]:
                return math.log(par[k, 0] + math.sqrt(u * par[k, 3]))
            return math.log(par[k, 1] - math.sqrt((1.0 - u) * par[k, 4]))
        t = u * par[k, 0]
        j = int(t)
        return math.log(tab[k, j] + (tab[k, j + 1] - tab[k, j]) * (t - j))

    return draw_log


def build_draw_log_fast(jit, draw_log):
    """``draw_log`` through a lookup table where one is set (``tables.accelerate``).

    par[k, 6] = u_lo > 0 turns the table on: for u_lo <= u < 1 - u_lo the log-value is interpolated
    linearly between tab[k, o + j] and tab[k, o + j + 1], t = (u - u_lo) x par[k, 7], j = int(t),
    o = int(par[k, 8]). par[k, 9] = u2 > 0 (12 columns) adds tail tables: u2 <= u < u_lo from offset
    par[k, 11], 1 - u_lo <= u < 1 - u2 right after it, both with t = (u - start) x par[k, 10].
    Elsewhere, and when par[k, 6] == 0, the exact transform is used.
    """

    @jit
    def lerp(tab, k, o, t):
        j = int(t)
        a = tab[k, o + j]
        return a + (tab[k, o + j + 1] - a) * (t - j)

    @jit
    def draw_log_fast(fam, u, par, k, tab):
        ul = par[k, 6]
        if ul > 0.0:
            if u >= ul and u < 1.0 - ul:
                return lerp(tab, k, int(par[k, 8]), (u - ul) * par[k, 7])
            if par.shape[1] > 9 and par[k, 9] > 0.0:
                u2 = par[k, 9]
                if u >= u2 and u < ul:
                    return lerp(tab, k, int(par[k, 11]), (u - u2) * par[k, 10])
                if u >= 1.0 - ul and u < 1.0 - u2:
                    o = int(par[k, 11]) + int((ul - u2) * par[k, 10] + 0.5) + 2
                    return lerp(tab, k, o, (u - (1.0 - ul)) * par[k, 10])
        return draw_log(fam, u, par, k, tab)

    return draw_log_fast
