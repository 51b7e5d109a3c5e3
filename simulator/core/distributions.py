"""Inputs known as ranges or distributions: "5 to 6 days", "loguniform(1, 10)", "pert(0.2, 0.33, 0.5)".

Every distribution is a Quantity whose ``.point`` is its median, so a point estimate of uncertain
inputs is the product of medians (exactly the median of the product when all are lognormal).
"a to b" is a 90% interval of a lognormal: mu = (ln a + ln b) / 2, sigma = (ln b - ln a) / (2 x 1.6449).
Values are in the canonical units of their field (FLOP, FLOP/s, s, counts).

Each distribution encodes itself for the Monte Carlo kernels (``kernel_spec``: a family code and
6 parameters, plus a table for PERT) and gives its quantile function (``ppf``) for tests and for
the moments of its logarithm (variance attribution).
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from computesim.core import units
from computesim.core.quantity import Quantity
from computesim.errors import InputError, shown
from computesim.kernels.encoding import (
    LOGNORMAL,
    LOGUNIFORM,
    TABLE,
    TRIANGULAR,
    TRUNCNORMAL,
    UNIFORM,
)

Z95 = 1.6448536269514722  #: standard normal 95th percentile: a 90% interval is +-Z95 sigma
_N01 = NormalDist()
#: normal(mean, sd) is truncated to X > 0 and needs mean > -NORMAL_MIN_Z x sd: with less mass kept,
#: p0 + (1 - p0) u rounds to 1 near the top of (0, 1) and the inverse CDF runs off to infinity.
NORMAL_MIN_Z = 3.0
PERT_TABLE = 4096  #: intervals of PERT's tabulated inverse CDF (linear in between)


FRACTION_TAIL = (
    1e-3  #: a fraction field's unbounded distribution may put at most this share above 1
)


class _LRU(OrderedDict):
    """A dict that keeps only its ``maxsize`` most recently used entries (``get`` and set count as use)."""

    def __init__(self, maxsize: int) -> None:
        super().__init__()
        self.maxsize = maxsize

    def get(self, key, default=None):
        if key not in self:
            return default
        self.move_to_end(key)
        return self[key]

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.maxsize:
            self.popitem(last=False)


_MOMENTS: _LRU = _LRU(1024)  #: Distribution -> (mean, variance) of its log; bounded


class Distribution(Quantity):
    """An uncertain positive input. Subclasses define ``family``, ``median``, ``ppf`` and ``kernel_spec``."""

    family: str = ""

    @property
    def point(self) -> float:  # type: ignore[override]
        return self.median

    @property
    def median(self) -> float:
        return float(self.ppf(0.5))

    @property
    def is_lognormal(self) -> bool:
        return False

    def ppf(self, u):
        """Quantile function at ``u`` (a float or NumPy array in (0, 1))."""
        raise NotImplementedError

    def kernel_spec(self) -> tuple[int, tuple[float, ...], Any]:
        """(family code, 6 parameters, table or None) for ``computesim.kernels.mc_*``."""
        raise NotImplementedError

    def upper(self, tail: float = FRACTION_TAIL) -> float:
        """The largest value: the top of the support for bounded families, else the (1 - tail) quantile."""
        hi = getattr(self, "hi", None)
        return float(hi) if hi is not None else float(self.ppf(1.0 - tail))

    def share_above(self, x: float) -> float:
        """P(X > x), from the quantile function by bisection (to 1e-9 in probability)."""
        lo, hi = 0.0, 1.0
        for _ in range(32):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if float(self.ppf(mid)) <= x else (lo, mid)
        return 1.0 - lo

    def scaled(self, c: float) -> Distribution:
        """The same distribution of ``c`` x the variable (units conversion)."""
        raise NotImplementedError

    def params(self) -> dict[str, float]:
        raise NotImplementedError

    def log_moments(self) -> tuple[float, float]:
        """Mean and variance of ln X (midpoint quadrature of the quantile function, 2**16 nodes; cached)."""
        got = _MOMENTS.get(self)
        if got is None:
            import numpy as np

            u = (np.arange(1 << 16) + 0.5) / (1 << 16)
            lx = np.log(self.ppf(u))
            got = _MOMENTS[self] = (float(lx.mean()), float(lx.var()))
        return got

    def describe(self, unit: str = "") -> str:
        args = ", ".join(units.sig(v) for v in self.params().values())
        return f"{self.family}({args}){(' ' + unit) if unit else ''}"

    def to_json(self) -> dict[str, Any]:
        return {"distribution": self.family, **self.params(), "median": self.median}


@dataclass(frozen=True)
class LogNormal(Distribution):
    """ln X ~ Normal(mu, sigma)."""

    mu: float
    sigma: float
    family = "lognormal"

    @classmethod
    def from_interval(cls, lo: float, hi: float, level: float = 0.90) -> LogNormal:
        """The lognormal whose central ``level`` interval is [lo, hi]."""
        z = _N01.inv_cdf(0.5 + level / 2)
        return cls((math.log(lo) + math.log(hi)) / 2, (math.log(hi) - math.log(lo)) / (2 * z))

    @classmethod
    def factor(cls, f: float) -> LogNormal:
        """Median 1, 90% interval [1/f, f]: a model error "good to within f x"."""
        return cls(0.0, math.log(f) / Z95)

    @property
    def median(self) -> float:
        return math.exp(self.mu)

    @property
    def is_lognormal(self) -> bool:
        return True

    def ppf(self, u):
        import numpy as np

        from computesim.kernels.philox import ndtri_np  # deferred: NumPy

        return np.exp(self.mu + self.sigma * ndtri_np(np.asarray(u, float)))

    def log_moments(self) -> tuple[float, float]:
        return self.mu, self.sigma**2

    def kernel_spec(self):
        return LOGNORMAL, (self.mu, self.sigma, 0, 0, 0, 0), None

    def scaled(self, c: float) -> LogNormal:
        return LogNormal(self.mu + math.log(c), self.sigma)

    def params(self) -> dict[str, float]:
        z = Z95 * self.sigma
        return {
            "p5": math.exp(self.mu - z),
            "p95": math.exp(self.mu + z),
            "mu": self.mu,
            "sigma": self.sigma,
        }

    def describe(self, unit: str = "") -> str:
        p = self.params()
        return f"{units.sig(p['p5'])} to {units.sig(p['p95'])}{(' ' + unit) if unit else ''}"


@dataclass(frozen=True)
class LogUniform(Distribution):
    """ln X uniform on [ln lo, ln hi]."""

    lo: float
    hi: float
    family = "loguniform"

    @property
    def median(self) -> float:
        return math.sqrt(self.lo * self.hi)

    def ppf(self, u):
        import numpy as np

        return np.exp(
            math.log(self.lo) + (math.log(self.hi) - math.log(self.lo)) * np.asarray(u, float)
        )

    def log_moments(self) -> tuple[float, float]:
        a, b = math.log(self.lo), math.log(self.hi)
        return (a + b) / 2, (b - a) ** 2 / 12

    def kernel_spec(self):
        a = math.log(self.lo)
        return LOGUNIFORM, (a, math.log(self.hi) - a, 0, 0, 0, 0), None

    def scaled(self, c: float) -> LogUniform:
        return LogUniform(self.lo * c, self.hi * c)

    def params(self) -> dict[str, float]:
        return {"lo": self.lo, "hi": self.hi}


@dataclass(frozen=True)
class Uniform(Distribution):
    """X uniform on [lo, hi]."""

    lo: float
    hi: float
    family = "uniform"

    @property
    def median(self) -> float:
        return (self.lo + self.hi) / 2

    def ppf(self, u):
        import numpy as np

        return self.lo + (self.hi - self.lo) * np.asarray(u, float)

    def kernel_spec(self):
        return UNIFORM, (self.lo, self.hi - self.lo, 0, 0, 0, 0), None

    def scaled(self, c: float) -> Uniform:
        return Uniform(self.lo * c, self.hi * c)

    def params(self) -> dict[str, float]:
        return {"lo": self.lo, "hi": self.hi}


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal(mean, sd) truncated to X > 0."""

    mean: float
    sd: float
    family = "normal"

    @property
    def _p0(self) -> float:
        return _N01.cdf(-self.mean / self.sd)

    def ppf(self, u):
        import numpy as np

        from computesim.kernels.philox import ndtri_np  # deferred: NumPy

        p0 = self._p0
        return np.maximum(
            self.mean + self.sd * ndtri_np(p0 + (1 - p0) * np.asarray(u, float)), 5e-324
        )

    def kernel_spec(self):
        return TRUNCNORMAL, (self.mean, self.sd, self._p0, 0, 0, 0), None

    def scaled(self, c: float) -> Normal:
        return Normal(self.mean * c, self.sd * c)

    def params(self) -> dict[str, float]:
        return {"mean": self.mean, "sd": self.sd}


@dataclass(frozen=True)
class Triangular(Distribution):
    """Triangular on [lo, hi] with its peak at ``mode``."""

    lo: float
    mode: float
    hi: float
    family = "triangular"

    def _consts(self) -> tuple[float, float, float]:
        a, c, b = self.lo, self.mode, self.hi
        return (c - a) / (b - a), (b - a) * (c - a), (b - a) * (b - c)

    def ppf(self, u):
        import numpy as np

        u = np.asarray(u, float)
        fc, p3, p4 = self._consts()
        return np.where(u < fc, self.lo + np.sqrt(u * p3), self.hi - np.sqrt((1 - u) * p4))

    def kernel_spec(self):
        fc, p3, p4 = self._consts()
        return TRIANGULAR, (self.lo, self.hi, fc, p3, p4, 0), None

    def scaled(self, c: float) -> Triangular:
        return Triangular(self.lo * c, self.mode * c, self.hi * c)

    def params(self) -> dict[str, float]:
        return {"lo": self.lo, "mode": self.mode, "hi": self.hi}


@dataclass(frozen=True)
class Pert(Distribution):
    """PERT on [lo, hi] with mode ``mode``: lo + (hi - lo) x Beta(1 + 4 (mode-lo)/(hi-lo), 1 + 4 (hi-mode)/(hi-lo)).

    Sampled through its inverse CDF tabulated at PERT_TABLE + 1 points (computed once by
    integrating the density on 2**16 intervals), linear in between; the table's error is below
    1e-4 x (hi - lo) (tested against scipy).
    """

    lo: float
    mode: float
    hi: float
    family = "pert"

    def table(self):
        return _pert_table(self.lo, self.mode, self.hi)

    def ppf(self, u):
        import numpy as np

        return np.interp(np.asarray(u, float), np.linspace(0, 1, PERT_TABLE + 1), self.table())

    def kernel_spec(self):
        return TABLE, (float(PERT_TABLE), 0, 0, 0, 0, 0), self.table()

    def scaled(self, c: float) -> Pert:
        return Pert(self.lo * c, self.mode * c, self.hi * c)

    def params(self) -> dict[str, float]:
        return {"lo": self.lo, "mode": self.mode, "hi": self.hi}


_TABLES: _LRU = _LRU(
    256
)  #: (lo, mode, hi) -> read-only PERT inverse-CDF table (32 KiB each); bounded


def _pert_table(lo: float, mode: float, hi: float):
    """PERT's inverse CDF at PERT_TABLE + 1 even steps of u (a read-only array, cached)."""
    import numpy as np

    key = (lo, mode, hi)
    table = _TABLES.get(key)
    if table is None:
        a = 1 + 4 * (mode - lo) / (hi - lo)
        b = 1 + 4 * (hi - mode) / (hi - lo)
        x = np.linspace(0.0, 1.0, (1 << 16) + 1)
        logd = np.zeros_like(x)
        with np.errstate(
            divide="ignore"
        ):  # a or b == 1 (mode at an end): that term is 0, not 0 x -inf
            if a != 1:
                logd += (a - 1) * np.log(x)
            if b != 1:
                logd += (b - 1) * np.log1p(-x)
        d = np.exp(logd - logd[np.isfinite(logd)].max())
        cdf = np.concatenate(([0.0], np.cumsum((d[1:] + d[:-1]) / 2)))
        cdf /= cdf[-1]
        keep = np.concatenate(([True], np.diff(cdf) > 0))
        u = np.linspace(0, 1, PERT_TABLE + 1)
        table = lo + (hi - lo) * np.interp(u, cdf[keep], x[keep])
        table.flags.writeable = False
        _TABLES[key] = table
    return table


# ---------------------------------------------------------------------------------------------
# Parsed with str methods and fixed-width searches only: linear time in the text's length.
_TO = re.compile(r"\sto\s", re.I)
_ARITY = {"lognormal": 2, "loguniform": 2, "uniform": 2, "normal": 2, "triangular": 3, "pert": 3}


def _split_call(text: str) -> tuple[str, str, str] | None:
    """(family, args, unit) of "family(args) unit", or None; no parentheses in args or unit."""
    i = text.find("(")
    j = text.find(")", i + 1)
    if i < 0 or j < 0:
        return None
    fam, args, unit = text[:i].strip(), text[i + 1 : j], text[j + 1 :].strip()
    if not (fam.isascii() and fam.isalpha()) or "(" in args or "(" in unit or ")" in unit:
        return None
    return fam, args, unit


def _split_range(text: str) -> tuple[str, str] | None:
    """(a, b) of "a to b" (split at the first " to "), or None; no parentheses anywhere."""
    t = text.strip()
    if "(" in t or ")" in t:
        return None
    m = _TO.search(t)
    if m is None:
        return None
    a, b = t[: m.start()].strip(), t[m.end() :].strip()
    return (a, b) if a and b else None


def is_distribution_text(text: Any) -> bool:
    """True for "a to b" or "family(...)" text (of at most units.MAX_TEXT characters)."""
    if not isinstance(text, str) or len(text) > units.MAX_TEXT:
        return False
    return _split_call(text) is not None or _split_range(text) is not None


def _unit_of(text: str, field: str) -> str:
    return units._split(text, field)[1]


def _values(
    parts: list[str], shared_unit: str, kind: str, field: str, bare_scale: float
) -> list[float]:
    out = []
    for p in parts:
        own = _unit_of(p, field)
        if own or shared_unit:
            out.append(units.parse(p if own else f"{p} {shared_unit}", kind, field))
        else:
            out.append(units.parse(p, "count", field) * bare_scale)
    for v in out:
        if not math.isfinite(v):
            raise InputError(field, f"values must be finite, got {v:g}")
    return out


def _check_order(field: str, text: str, lo: float, hi: float) -> None:
    if not lo < hi:
        raise InputError(
            field, f"range {shown(text)} is backwards or empty: low end must be below high end"
        )


def _positive(field: str, text: str, *vals: float) -> None:
    if any(v <= 0 for v in vals):
        raise InputError(field, f"bounds of {shown(text)} must be positive (a log-scale family)")


def _make(fam: str, vals: list[float], field: str, text: str) -> Distribution:
    if fam in ("lognormal", "loguniform", "uniform"):
        lo, hi = vals
        _check_order(field, text, lo, hi)
        if fam == "uniform":
            if lo < 0:
                raise InputError(
                    field, f"{shown(text)}: values must be positive (lower end {lo:g} < 0)"
                )
            return Uniform(lo, hi)
        _positive(field, text, lo, hi)
        return LogNormal.from_interval(lo, hi) if fam == "lognormal" else LogUniform(lo, hi)
    if fam == "normal":
        mean, sd = vals
        if sd <= 0:
            raise InputError(field, f"{shown(text)}: standard deviation must be positive")
        if mean + NORMAL_MIN_Z * sd <= 0:
            raise InputError(
                field,
                f"{shown(text)}: almost all of it is below 0 (truncated at 0 it keeps less"
                f" than {_N01.cdf(-NORMAL_MIN_Z):.2g} of its mass); give a mean above"
                f" -{NORMAL_MIN_Z:g} sd",
            )
        return Normal(mean, sd)
    lo, mode, hi = vals
    _check_order(field, text, lo, hi)
    if not lo <= mode <= hi:
        raise InputError(field, f"{shown(text)}: mode must lie between the low and high ends")
    if lo < 0:
        raise InputError(field, f"{shown(text)}: values must be positive (lower end {lo:g} < 0)")
    return Triangular(lo, mode, hi) if fam == "triangular" else Pert(lo, mode, hi)


def require_fraction_dist(
    field: str, dist: Distribution, tail: float = FRACTION_TAIL
) -> Distribution:
    """``dist`` if it keeps a fraction (utilization) in (0, 1], else InputError naming ``field``.

    Bounded families (uniform, loguniform, triangular, pert) must have hi <= 1. Unbounded ones
    (lognormal "a to b", normal) always put some share above 1; they are refused when that share
    exceeds ``tail`` (0.1%): their (1 - tail) quantile must be <= 1. Nothing is truncated.
    """
    top = dist.upper(tail)
    if top <= 1:
        return dist
    what = (
        dist.describe()
        if dist.family in dist.describe()
        else f"{dist.describe()} (a {dist.family})"
    )
    if getattr(dist, "hi", None) is not None:
        raise InputError(
            field,
            f"{what} reaches {units.sig(top)}, but a fraction must stay at most 1 "
            f"(its upper end must be <= 1)",
        )
    raise InputError(
        field,
        f"{what} puts {dist.share_above(1.0):.2%} above 1, but a fraction "
        f"must stay at most 1 (allowed: {tail:.1%}); narrow it or use a bounded family, "
        "e.g. pert(lo, mode, hi) with hi <= 1",
    )


def parse_distribution(
    text: str | float, kind: str, field: str, bare_scale: float = 1.0
) -> Distribution:
    """Parse "a to b [unit]" (lognormal 90% interval) or "family(args) [unit]".

    Families: lognormal(p5, p95), loguniform(lo, hi), uniform(lo, hi), normal(mean, sd) (truncated
    at 0), triangular(lo, mode, hi), pert(lo, mode, hi). A unit after the range or the parenthesis
    applies to every number without one ("5 to 6 days", "lognormal(1.54, 1.58) TFLOPS"); numbers
    with no unit at all are multiplied by ``bare_scale`` (e.g. 86400 for a field in days).
    """
    text = units.scalar(text, field)
    call = _split_call(text) if isinstance(text, str) else None
    if call:
        fam, args, unit = call[0].lower(), call[1], call[2]
        if fam not in _ARITY:
            raise InputError(
                field, f"unknown distribution {shown(fam)}; use one of {', '.join(_ARITY)}"
            )
        parts = [p.strip() for p in args.split(",")] if args.strip() else []
        if len(parts) != _ARITY[fam]:
            raise InputError(
                field, f"{fam} takes {_ARITY[fam]} numbers, got {len(parts)} in {shown(text)}"
            )
        return _make(fam, _values(parts, unit, kind, field, bare_scale), field, str(text))
    pair = _split_range(text) if isinstance(text, str) else None
    if not pair:
        raise InputError(field, f"cannot read a range or distribution in {shown(text)}")
    a, b = pair
    unit = _unit_of(b, field)
    return _make("lognormal", _values([a, b], unit, kind, field, bare_scale), field, str(text))


FAMILIES: dict[str, Callable[..., Distribution]] = {
    "lognormal": LogNormal.from_interval,
    "loguniform": LogUniform,
    "uniform": Uniform,
    "normal": Normal,
    "triangular": Triangular,
    "pert": Pert,
}
