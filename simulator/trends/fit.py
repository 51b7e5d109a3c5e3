"""Exponential trends in training compute: least squares of log10(FLOP) on decimal-year date.

A fit gives the slope in orders of magnitude (OOM) per year, the growth factor per year
(10**slope), and the doubling time in months (12 log10(2) / slope). Its confidence interval is a
percentile bootstrap over data points (pairs resampled with replacement; ``n_boot`` resamples from
a seeded ``numpy.random.Generator``). Per-point uncertainty can be propagated: in each resample
every drawn point is perturbed log-uniformly within its band [flop_low, flop_high], or, without a
band, between /``noise_factor`` and x``noise_factor`` (default 2, the source's "easily off by 2x").

Segmented fits (eras) fit a separate line to each span between breakpoints. Whether the breaks
are warranted is judged by a Chow F-test (one line against one line per segment, each with its own
slope and intercept) and by the change in BIC; both are reported. The large-scale subset is the
points whose residual from the window's fit exceeds a threshold in OOM (default 1, i.e. 10x above).
Upper bounds are excluded from every fit by default.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from computesim.data.datasets import YEAR_MAX, YEAR_MIN, parse_date
from computesim.errors import InputError

LOG10_2 = math.log10(2.0)
MIN_POINTS = 3
DEFAULT_BOOT = 1000
MAX_BOOT = 100_000  #: most bootstrap resamples (memory grows with resamples x points)
MAX_BOOT_CELLS = 50_000_000  #: most resamples x points (about 2.4 GB of working arrays at the peak)
MAX_LOG10 = math.log10(sys.float_info.max)  #: 308.25: 10**x overflows float64 above
MIN_LOG10 = math.log10(sys.float_info.min)  #: -307.65: 10**x is subnormal or 0 below
DEFAULT_LEVEL = 0.95
DEFAULT_NOISE = 2.0
DEFAULT_LARGE_OOM = 1.0


def decimal_year(dates: Sequence[dt.date] | np.ndarray) -> np.ndarray:
    """Dates (datetime.date or numpy datetime64[D]) as decimal years: 2012-07-02 -> ~2012.5."""
    d = np.asarray(dates, dtype="datetime64[D]")
    year = d.astype("datetime64[Y]")
    start = year.astype("datetime64[D]")
    length = (year + 1).astype("datetime64[D]") - start
    return year.astype(np.int64) + 1970 + (d - start).astype(np.float64) / length.astype(np.float64)


def parse_when(text: str | float, field: str, end: bool = False) -> float:
    """A date option as a decimal year: "2012-06-01", "01/06/2012", 2015.75 or a bare year.

    A bare year means the start of that year, or its end (start of the next) with ``end`` (so
    ``--from 2012 --to 2018`` covers 2012 through 2018). Every form must lie in YEAR_MIN..YEAR_MAX.
    """
    s = str(text).strip()
    if len(s) > 40:
        raise InputError(field, f"not a date or year: {s[:20]!r}... ({len(s)} characters)")
    if s.isdigit() and len(s) == 4:
        x = float(int(s))
    elif (d := parse_date(s) if ("-" in s or "/" in s) else None) is not None:
        x = float(decimal_year([d])[0])
    else:
        try:
            x = float(s)
        except ValueError:
            raise InputError(
                field, f"not a date or year: {text!r} (use YYYY, YYYY-MM-DD, DD/MM/YYYY or 2015.5)"
            ) from None
    if not (YEAR_MIN <= x < YEAR_MAX + 1):
        raise InputError(field, f"year out of range: {text!r} (allowed {YEAR_MIN} to {YEAR_MAX})")
    return x + (1.0 if end and s.isdigit() and len(s) == 4 else 0.0)


def pow10(x: float, field: str, what: str) -> float:
    """10**x as a float; InputError naming ``field`` when it overflows float64 or underflows to 0."""
    if not math.isfinite(x) or x > MAX_LOG10 or x < MIN_LOG10:
        shown = f"10^{x:.4g}" if math.isfinite(x) else str(x)
        raise InputError(field, f"{what} is {shown}, outside the float64 range (1e-307 to 1.8e308)")
    return 10.0**x


def pow10_or_inf(x: float) -> float:
    """10**x, +inf above the float64 range (0.0 below): for growth factors, reported as JSON null."""
    return math.inf if x > MAX_LOG10 else 10.0**x


def json_ready(obj: Any) -> Any:
    """``obj`` with plain JSON types only: numpy scalars as int/float/bool, tuples as lists,
    dates as ISO strings, NaN and +-inf as None (JSON has neither)."""
    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, (dt.date, dt.datetime)):
        return obj.isoformat()
    if obj is None or isinstance(obj, str):
        return obj
    raise TypeError(f"not JSON-ready: {type(obj).__name__}")


def months_from_slope(slope: float) -> float:
    """Doubling time in months from a slope in OOM/year (negative: a halving time; inf at 0)."""
    return 12.0 * LOG10_2 / slope if slope != 0 else math.inf


def _doubling_ci(lo: float, hi: float) -> list[float]:
    """Doubling-months interval from a slope interval [lo, hi] (OOM/year)."""
    if lo > 0:
        return [months_from_slope(hi), months_from_slope(lo)]
    if hi < 0:
        return [months_from_slope(hi), months_from_slope(lo)]
    return [
        months_from_slope(hi) if hi > 0 else -math.inf,
        math.inf,
    ]  # the interval contains "no growth"


def ols(t: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float]:
    """Least squares y = level + slope (t - center): (slope, level, center, residual sum of squares)."""
    c = float(t.mean())
    dt_ = t - c
    sxx = float(dt_ @ dt_)
    if sxx <= 0:
        raise InputError("data", "all points have the same date: no trend can be fitted")
    slope = float(dt_ @ (y - y.mean())) / sxx
    level = float(y.mean())
    rss = float(((y - level - slope * dt_) ** 2).sum())
    return slope, level, c, rss


def _boot_lines(
    t: np.ndarray,
    y: np.ndarray,
    half: tuple[np.ndarray, np.ndarray] | None,
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Slopes and levels at the original center of ``n_boot`` pairs-bootstrap refits.

    Resamples with fewer than MIN_POINTS distinct dates are dropped (counted as n_boot - n_boot_used).

    ``half``: per point (low, high) offsets in log10 for log-uniform perturbation, or None.
    """
    n = t.size
    idx = rng.integers(0, n, size=(n_boot, n))
    T, Y = t[idx], y[idx]
    if half is not None:
        u = rng.random((n_boot, n))
        lo, hi = half[0][idx], half[1][idx]
        Y = Y + lo + u * (hi - lo)
    tm = T.mean(axis=1, keepdims=True)
    ym = Y.mean(axis=1, keepdims=True)
    dT = T - tm
    sxx = (dT * dT).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (dT * (Y - ym)).sum(axis=1) / sxx
    Ts = np.sort(T, axis=1)
    distinct = 1 + (np.diff(Ts, axis=1) > 0).sum(axis=1)
    ok = (distinct >= MIN_POINTS) & (
        sxx > 0
    )  # a line through two dates has no residual: refit dropped
    c = t.mean()
    level = ym[:, 0] + slope * (c - tm[:, 0])
    return slope[ok], level[ok]


@dataclass
class TrendFit:
    """One fitted line log10(FLOP) = level + slope (t - center), t in decimal years, with its bootstrap."""

    label: str
    start: float
    end: float
    t: np.ndarray
    y: np.ndarray
    slope: float
    level: float
    center: float
    rss: float
    boot_slope: np.ndarray = field(repr=False)
    boot_level: np.ndarray = field(repr=False)
    level_ci: float = DEFAULT_LEVEL
    n_boot: int = DEFAULT_BOOT
    propagated: bool = False
    systems: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.t.size)

    @property
    def doubling_months(self) -> float:
        return months_from_slope(self.slope)

    def slope_ci(self) -> list[float]:
        """Percentile interval of the slope (OOM/year) at ``level_ci``."""
        a = round((1 - self.level_ci) / 2, 12)
        return [float(v) for v in np.quantile(self.boot_slope, [a, 1 - a])]

    def doubling_months_ci(self) -> list[float]:
        return _doubling_ci(*self.slope_ci())

    def predict(self, t: float | np.ndarray) -> np.ndarray:
        """log10(FLOP) on the fitted line at decimal year(s) ``t``."""
        return self.level + self.slope * (np.asarray(t, dtype=float) - self.center)

    def band(
        self, t: float | np.ndarray, level: float | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Percentile band of the fitted line (log10 FLOP) at ``t`` over the bootstrap refits."""
        a = round((1 - (level or self.level_ci)) / 2, 12)
        tt = np.atleast_1d(np.asarray(t, dtype=float))
        lines = self.boot_level[:, None] + self.boot_slope[:, None] * (tt[None, :] - self.center)
        lo, hi = np.quantile(lines, [a, 1 - a], axis=0)
        return lo, hi

    def residuals(self) -> np.ndarray:
        return self.y - self.predict(self.t)

    def summary(self) -> dict[str, Any]:
        """Plain Python values (floats may be inf: a flat trend doubles in inf months; JSON form:
        ``to_dict``): doubling_months(+_ci), growth_per_year(+_ci), oom_per_year(+_ci), n_points,
        span (decimal years)."""
        lo, hi = self.slope_ci()
        return {
            "label": self.label,
            "from": self.start,
            "to": self.end,
            "n_points": self.n,
            "doubling_months": self.doubling_months,
            "doubling_months_ci": self.doubling_months_ci(),
            "growth_per_year": pow10_or_inf(self.slope),
            "growth_per_year_ci": [pow10_or_inf(lo), pow10_or_inf(hi)],
            "oom_per_year": self.slope,
            "oom_per_year_ci": [lo, hi],
            "residual_sd_oom": math.sqrt(self.rss / (self.n - 2)) if self.n > 2 else None,
            "ci_level": self.level_ci,
            "n_boot": self.n_boot,
            "n_boot_used": int(self.boot_slope.size),
            "propagated_point_uncertainty": self.propagated,
            "data_from": float(self.t.min()),
            "data_to": float(self.t.max()),
        }

    def to_dict(self) -> dict[str, Any]:
        """``summary`` JSON-ready: plain types, inf and NaN as None."""
        return json_ready(self.summary())


@dataclass
class FitData:
    """Arrays used for fitting: decimal years, log10 FLOP, optional log-offsets of each point's band."""

    t: np.ndarray
    y: np.ndarray
    low: np.ndarray  # log10(flop_low / flop), NaN where no band
    high: np.ndarray
    systems: list[str]

    def subset(self, mask: np.ndarray) -> FitData:
        return FitData(
            self.t[mask],
            self.y[mask],
            self.low[mask],
            self.high[mask],
            [s for s, m in zip(self.systems, mask) if m],
        )


def fit_data(table, include_bounds: bool = False) -> tuple[FitData, int]:
    """Fitting arrays from a points Table; returns (data, number of upper bounds excluded)."""
    bound = np.asarray(table.column("bound").to_pylist(), dtype=object)
    keep = np.ones(bound.size, bool) if include_bounds else bound != "upper"
    flop = table.column("flop").to_numpy(zero_copy_only=False).astype(float)
    lo = np.array([np.nan if v is None else v for v in table.column("flop_low").to_pylist()], float)
    hi = np.array(
        [np.nan if v is None else v for v in table.column("flop_high").to_pylist()], float
    )
    t = decimal_year(table.column("date").to_numpy(zero_copy_only=False))
    y = np.log10(flop)
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = np.minimum(np.log10(lo) - y, 0.0), np.maximum(np.log10(hi) - y, 0.0)
    systems = table.column("system").to_pylist()
    data = FitData(t, y, low, high, systems).subset(keep)
    return data, int((~keep).sum())


def fit_trend(
    data: FitData,
    *,
    label: str = "all",
    start: float = -math.inf,
    end: float = math.inf,
    n_boot: int = DEFAULT_BOOT,
    seed: int | np.random.Generator = 0,
    level: float = DEFAULT_LEVEL,
    propagate: bool = False,
    noise_factor: float = DEFAULT_NOISE,
) -> TrendFit:
    """Fit log10(FLOP) against date over [start, end) with a bootstrap interval.

    InputError when fewer than MIN_POINTS points fall in the window or ``n_boot`` < 100.
    """
    if n_boot < 100:
        raise InputError("n_boot", f"need at least 100 resamples, got {n_boot}")
    if n_boot > MAX_BOOT:
        raise InputError("n_boot", f"at most {MAX_BOOT} resamples, got {n_boot}")
    if not (0 < level < 1):
        raise InputError("level", f"must be between 0 and 1, got {level}")
    mask = (data.t >= start) & (data.t < end)
    d = data.subset(mask)
    if d.t.size < MIN_POINTS:
        where = (
            "" if not (math.isfinite(start) or math.isfinite(end)) else f" in {_span(start, end)}"
        )
        raise InputError(
            "data",
            f"need at least {MIN_POINTS} points{where} to fit a trend ({label}), got {d.t.size}",
        )
    if n_boot * d.t.size > MAX_BOOT_CELLS:
        raise InputError(
            "n_boot",
            f"{n_boot} resamples of {d.t.size} points need too much memory; "
            f"at most {MAX_BOOT_CELLS // d.t.size} for this data",
        )
    slope, lvl, c, rss = ols(d.t, d.y)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    half = None
    if propagate:
        if not (math.isfinite(noise_factor) and noise_factor >= 1):
            raise InputError("noise_factor", f"must be a finite factor >= 1, got {noise_factor}")
        f = math.log10(noise_factor)
        half = (np.where(np.isnan(d.low), -f, d.low), np.where(np.isnan(d.high), f, d.high))
    bs, bl = _boot_lines(d.t, d.y, half, n_boot, rng)
    if bs.size < n_boot // 2:
        raise InputError(
            "data",
            f"{d.t.size} points are too few for a bootstrap interval ({label}): only "
            f"{bs.size} of {n_boot} resamples had {MIN_POINTS} or more distinct dates",
        )
    return TrendFit(
        label, start, end, d.t, d.y, slope, lvl, c, rss, bs, bl, level, n_boot, propagate, d.systems
    )


def _span(start: float, end: float) -> str:
    a = f"{start:g}" if math.isfinite(start) else "..."
    b = f"{end:g}" if math.isfinite(end) else "..."
    return f"[{a}, {b})"


# --- break test -------------------------------------------------------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for aa in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
            last = d * c
        if abs(last - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b) for a, b > 0, 0 <= x <= 1."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    lbt = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return math.exp(lbt) * _betacf(a, b, x) / a
    return 1.0 - math.exp(lbt) * _betacf(b, a, 1.0 - x) / b


def f_sf(f: float, d1: float, d2: float) -> float:
    """P(F > f) for an F(d1, d2) variable."""
    if f <= 0:
        return 1.0
    return betainc(d2 / 2, d1 / 2, d2 / (d2 + d1 * f))


def break_test(
    data: FitData, breaks: Sequence[float], start: float = -math.inf, end: float = math.inf
) -> dict[str, Any]:
    """Chow F-test and BIC: one line over the window against one line per segment.

    F = ((RSS_1 - RSS_m) / (2(m-1))) / (RSS_m / (n - 2m)); p from F(2(m-1), n - 2m).
    delta_bic = BIC(segmented) - BIC(one line) with BIC = n ln(RSS/n) + k ln n; negative favours breaks.
    """
    mask = (data.t >= start) & (data.t < end)
    t, y = data.t[mask], data.y[mask]
    edges = [start, *breaks, end]
    m = len(edges) - 1
    rss_seg = 0.0
    for a, b in itertools.pairwise(edges):
        s = (t >= a) & (t < b)
        if s.sum() < MIN_POINTS:
            return {
                "test": "Chow F-test",
                "warranted": None,
                "note": f"segment {_span(a, b)} has {int(s.sum())} points; need {MIN_POINTS} each",
            }
        rss_seg += ols(t[s], y[s])[3]
    n = t.size
    rss_one = ols(t, y)[3]
    d1, d2 = 2 * (m - 1), n - 2 * m
    if d2 <= 0:
        return {"test": "Chow F-test", "warranted": None, "note": "too few points for the test"}
    F = ((rss_one - rss_seg) / d1) / (rss_seg / d2) if rss_seg > 0 else math.inf
    p = f_sf(F, d1, d2) if math.isfinite(F) else 0.0
    tiny = 1e-300
    bic = lambda rss, k: n * math.log(max(rss, tiny) / n) + k * math.log(n)  # noqa: E731
    dbic = bic(rss_seg, 2 * m) - bic(rss_one, 2)
    return {
        "test": "Chow F-test",
        "F": F,
        "df": [d1, d2],
        "p_value": p,
        "alpha": 0.05,
        "warranted": bool(p < 0.05),
        "delta_bic": dbic,
        "bic_favours_breaks": bool(dbic < 0),
        "rss_one_line": rss_one,
        "rss_segmented": rss_seg,
    }
