"""Bands for estimates: exact when every uncertain input is lognormal, Monte Carlo otherwise.

An estimate is a product of factors, so log(compute) = const + sum_i c_i ln X_i (``LogModel``).
Constant factors fold into ``const``; each uncertain factor is a named variable with a power c_i.
When every variable is lognormal the sum is normal (with log-space correlations, variance c' S c)
and quantiles, mean, threshold probabilities and variance shares are computed in closed form
(``exact``). Otherwise the "mc" kernels sample it: counter-based (the same numbers for a seed on
every backend), reduced in one pass, with Monte Carlo standard errors.

Variables are identified by name: a name used twice (in one product, or in both methods' products)
is one variable, drawn once. Correlations are Gaussian-copula correlations of the log-inputs
(exact log-space correlations for lognormals).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from statistics import NormalDist
from typing import Any

from computesim.core import units
from computesim.core.distributions import Distribution, LogNormal
from computesim.core.quantity import UpperBound
from computesim.errors import InputError, require_positive, shown
from computesim.kernels import get_backend
from computesim.kernels.encoding import NPAR
from computesim.uncertainty.distributed import reduce_samples

PROBS = (0.05, 0.25, 0.50, 0.75, 0.95)  #: quantiles reported: p5, p25, p50, p75, p95
DEFAULT_SAMPLES = 100_000
MAX_SAMPLES = 10**10
MAX_CLUSTER_SAMPLES = 10**14  #: samples of one band on a cluster (``client``): no sample is held
_N01 = NormalDist()
_Z = {p: _N01.inv_cdf(p) for p in PROBS}


def qname(p: float) -> str:
    """0.05 -> "p5"."""
    return f"p{100 * p:g}"


@dataclass(frozen=True)
class LogModel:
    """log(compute in FLOP) = const + sum coefs[i] x ln(dists[i]); ``corr``: log-space correlations."""

    const: float
    names: tuple[str, ...] = ()
    dists: tuple[Distribution, ...] = ()
    coefs: tuple[float, ...] = ()
    corr: tuple[tuple[float, ...], ...] | None = None
    upper_bound: bool = False
    label: str = ""

    @property
    def exact(self) -> bool:
        """True when every variable is lognormal, so log(compute) is exactly normal."""
        return all(d.is_lognormal for c, d in zip(self.coefs, self.dists) if c != 0)

    def with_factor(self, name: str, dist: Distribution, coef: float = 1.0) -> LogModel:
        """The model times one more uncertain factor (or a higher power of an existing variable)."""
        if name in self.names:
            i = self.names.index(name)
            coefs = list(self.coefs)
            coefs[i] += coef
            return replace(self, coefs=tuple(coefs))
        corr = None
        if self.corr is not None:
            k = len(self.names)
            corr = tuple(tuple(r) + (0.0,) for r in self.corr) + (tuple([0.0] * k + [1.0]),)
        return replace(
            self,
            names=self.names + (name,),
            dists=self.dists + (dist,),
            coefs=self.coefs + (coef,),
            corr=corr,
        )

    def correlated(self, pairs: Mapping[tuple[str, str], float]) -> LogModel:
        """The model with log-space correlations between named variables (a positive-definite matrix)."""
        if not pairs:
            return self
        k = len(self.names)
        m = (
            [list(r) for r in self.corr]
            if self.corr
            else [[float(i == j) for j in range(k)] for i in range(k)]
        )
        for (a, b), rho in pairs.items():
            for n in (a, b):
                if n not in self.names:
                    raise InputError(
                        "correlate",
                        f"{n!r} is not an uncertain input here; uncertain: "
                        + (", ".join(self.names) or "none"),
                    )
            if a == b:
                raise InputError(
                    "correlate", f"{a}:{b}: a variable is always fully correlated with itself"
                )
            if not -1.0 <= rho <= 1.0 or rho != rho:
                raise InputError("correlate", f"{a}:{b}={rho:g}: a correlation must lie in [-1, 1]")
            i, j = self.names.index(a), self.names.index(b)
            m[i][j] = m[j][i] = float(rho)
        cholesky(m)
        return replace(self, corr=tuple(tuple(r) for r in m))

    # --- closed form -----------------------------------------------------------------------
    def log_normal_params(self) -> tuple[float, float]:
        """(mean, sd) of log(compute) for an all-lognormal model."""
        mu = self.const
        s = []
        for c, d in zip(self.coefs, self.dists):
            mu += c * d.mu if c else 0.0  # type: ignore[attr-defined]
            s.append(c * d.sigma if c else 0.0)  # type: ignore[attr-defined]
        return mu, math.sqrt(max(self._quad(s, s), 0.0))

    def log_mean_sd(self) -> tuple[float, float]:
        """Mean and standard deviation of log(compute) (any families; log-space correlations)."""
        mom = [d.log_moments() for d in self.dists]
        mean = self.const + sum(c * m for c, (m, _) in zip(self.coefs, mom))
        s = [c * math.sqrt(v) for c, (_, v) in zip(self.coefs, mom)]
        return mean, math.sqrt(max(self._quad(s, s), 0.0))

    def _quad(self, a: Sequence[float], b: Sequence[float]) -> float:
        if self.corr is None:
            return sum(x * y for x, y in zip(a, b))
        return sum(a[i] * self.corr[i][j] * b[j] for i in range(len(a)) for j in range(len(b)))

    def attribution(self) -> dict[str, float]:
        """Each variable's share of the variance of log(compute): c_i s_i (R c s)_i / (c s)' R (c s).

        Log-variances are exact for lognormals and loguniforms, by quadrature for the other families.
        Shares sum to 1; with correlations a share can be negative.
        """
        s = [c * math.sqrt(d.log_moments()[1]) for c, d in zip(self.coefs, self.dists)]
        total = self._quad(s, s)
        if total <= 0:
            return {n: 0.0 for n, c in zip(self.names, self.coefs) if c != 0}
        out: dict[str, float] = {}
        for i, n in enumerate(self.names):
            if self.coefs[i] == 0:
                continue
            unit = [0.0] * len(s)
            unit[i] = s[i]
            out[n] = self._quad(unit, s) / total
        return out

    # --- kernel encoding -------------------------------------------------------------------
    def kernel_arrays(self):
        """(fam, coef, par, tab, chol) NumPy arrays for the "mc" kernels."""
        import numpy as np

        specs = [d.kernel_spec() for d in self.dists]
        width = max([2] + [len(t) for _, _, t in specs if t is not None])
        tab = np.zeros((len(specs), width))
        for i, (_, _, t) in enumerate(specs):
            if t is not None:
                tab[i, : len(t)] = t
        fam = np.array([f for f, _, _ in specs], np.int64)
        par = np.zeros((len(specs), NPAR))
        par[:, :6] = np.array([p for _, p, _ in specs], np.float64).reshape(len(specs), 6)
        chol = (
            np.array(cholesky(self.corr), np.float64) if self.corr is not None else np.zeros((0, 0))
        )
        return fam, np.array(self.coefs, np.float64), par, tab, chol


def joint(models: Sequence[LogModel]) -> list[LogModel]:
    """The models re-expressed over the union of their variables (same name = one variable).

    Every returned model lists all variables in the same order (power 0 where absent), so with one
    seed a shared variable takes the same draw in every model; correlations carry over.
    """
    names: list[str] = []
    dists: dict[str, Distribution] = {}
    for m in models:
        for n, d in zip(m.names, m.dists):
            if n in dists and dists[n] != d:
                raise InputError(n, "the same variable is given two different distributions")
            if n not in dists:
                names.append(n)
                dists[n] = d
    k = len(names)
    corr = [[float(i == j) for j in range(k)] for i in range(k)]
    has_corr = False
    for m in models:
        if m.corr is None:
            continue
        has_corr = True
        for a, na in enumerate(m.names):
            for b, nb in enumerate(m.names):
                if a != b and m.corr[a][b] != 0.0:
                    corr[names.index(na)][names.index(nb)] = m.corr[a][b]
    out = []
    for m in models:
        coefs = tuple(m.coefs[m.names.index(n)] if n in m.names else 0.0 for n in names)
        out.append(
            replace(
                m,
                names=tuple(names),
                dists=tuple(dists[n] for n in names),
                coefs=coefs,
                corr=tuple(tuple(r) for r in corr) if has_corr else None,
            )
        )
    if has_corr:
        cholesky(corr)
    return out


def ratio_model(num: LogModel, den: LogModel) -> LogModel:
    """log(num / den) over the joint variables: shared variables cancel."""
    a, b = joint([num, den])
    coefs = tuple(x - y for x, y in zip(a.coefs, b.coefs))
    return replace(a, const=a.const - b.const, coefs=coefs, upper_bound=False, label="ratio")


def cholesky(m: Sequence[Sequence[float]]) -> list[list[float]]:
    """Lower Cholesky factor of a correlation matrix; InputError if not positive definite."""
    k = len(m)
    low = [[0.0] * k for _ in range(k)]
    for i in range(k):
        for j in range(i + 1):
            s = m[i][j] - sum(low[i][t] * low[j][t] for t in range(j))
            if i == j:
                if s <= 1e-12:
                    raise InputError(
                        "correlate",
                        "the correlation matrix is not positive definite "
                        "(correlations of +-1, or inconsistent with each other)",
                    )
                low[i][j] = math.sqrt(s)
            else:
                low[i][j] = s / low[j][j]
    return low


def model_of(
    estimate, method_error: float | None = None, prefix: str = "", error_name: str = "method_error"
) -> LogModel:
    """The LogModel of an Estimate (``methods.Estimate``): constants folded, ranges as variables.

    Variables are named by factor (``prefix`` + name). ``method_error`` f > 1 adds a lognormal
    factor with median 1 and 90% interval [1/f, f] (the source's "within 2-3x"), named ``error_name``.
    """
    const = 0.0
    model = LogModel(0.0, label=estimate.label)
    bound = False
    for f in estimate.factors:
        v = f.value
        if isinstance(v, Distribution):
            model = model.with_factor(prefix + f.name, v)
        else:
            bound |= isinstance(v, UpperBound)
            const += math.log(v.point)
    if method_error is not None:
        model = model.with_factor(error_name, LogNormal.factor(method_error))
    return replace(model, const=const, upper_bound=bound)


#: Largest method-error factor: a 90% interval of /1000 to x1000 already says "unknown"; beyond it
#: the band's mean (exp(mu + s^2 / 2)) soon leaves float64.
MAX_FACTOR = 1000.0


def parse_factor(text: str, field: str = "method_error") -> float:
    """'3x', '3', 'x3' -> 3.0 (in (1, MAX_FACTOR])."""
    t = str(text).strip().lower().removesuffix("x").removeprefix("x").strip()
    try:
        f = float(t)
    except ValueError:
        raise InputError(field, f"expected a factor such as 3x, got {shown(text)}") from None
    if not (1 < f <= MAX_FACTOR):
        raise InputError(
            field, f"the factor must be above 1 and at most {MAX_FACTOR:g}, got {shown(text)}"
        )
    return f


def parse_thresholds(text: str | Iterable[str], field: str = "threshold") -> list[float]:
    """'1e25FLOP,1e26FLOP' or '0.1 pfs-days' -> FLOP. A unit is required (FLOP, PF, pfs-days)."""
    parts = [p.strip() for p in (text.split(",") if isinstance(text, str) else text) if p.strip()]
    out = []
    for p in parts:
        if not units._split(p, field)[1]:
            raise InputError(field, f"{p!r} needs a unit (e.g. 1e25FLOP or 0.1pfs-days)")
        v = units.parse(p, "ops", field)
        if not (v > 0 and math.isfinite(v)):
            raise InputError(field, f"{p!r} must be a positive amount of compute")
        out.append(v)
    return out


def threshold_key(flop: float) -> str:
    """1e25 -> '1e+25' (the JSON key of a threshold)."""
    return f"{flop:g}"


@dataclass
class Band:
    """The distribution of one estimate's compute, in FLOP (dict output in pfs-days)."""

    exact: bool
    quantiles: dict[float, float]
    mean: float
    geomean: float
    log_sd: float
    p_above: dict[float, float]
    attribution: dict[str, float]
    samples: int | None = None
    seed: int | None = None
    backend: str | None = None
    quantile_se: dict[float, float] = field(default_factory=dict)
    mean_se: float = 0.0
    p_above_se: dict[float, float] = field(default_factory=dict)
    quantile_error_log: float = 0.0
    upper_bound: bool = False

    @property
    def median(self) -> float:
        return self.quantiles[0.5]

    @property
    def spread(self) -> float:
        """p95 / p50."""
        return self.quantiles[0.95] / self.quantiles[0.5]

    @property
    def log_median(self) -> float:
        return math.log(self.median)

    def to_dict(self) -> dict[str, Any]:
        pfs = units.flop_to_pfs_days
        out: dict[str, Any] = {
            "exact": self.exact,
            "quantiles_pfs_days": {qname(p): pfs(v) for p, v in self.quantiles.items()},
            "mean_pfs_days": pfs(self.mean),
            "geomean_pfs_days": pfs(self.geomean),
            "spread_factor": self.spread,
            "log_sd": self.log_sd,
            "p_above": {threshold_key(t): v for t, v in self.p_above.items()},
            "attribution": self.attribution,
        }
        if not self.exact:
            out |= {
                "samples": self.samples,
                "seed": self.seed,
                "backend": self.backend,
                "quantile_se_pfs_days": {qname(p): pfs(v) for p, v in self.quantile_se.items()},
                "mean_se_pfs_days": pfs(self.mean_se),
                "p_above_se": {threshold_key(t): v for t, v in self.p_above_se.items()},
                "quantile_binning_error_log": self.quantile_error_log,
            }
        if self.upper_bound:
            out["upper_bound"] = True
            out["note"] = "an input is an upper bound: every figure of the band is an upper bound"
        return out


def exact_band(model: LogModel, thresholds: Sequence[float] = ()) -> Band:
    """Closed form for an all-lognormal model: log(compute) ~ Normal(mu, s)."""
    mu, s = model.log_normal_params()
    q = {p: math.exp(mu + s * z) for p, z in _Z.items()}
    above = {}
    for t in thresholds:
        above[t] = (1.0 - _N01.cdf((math.log(t) - mu) / s)) if s > 0 else float(math.log(t) < mu)
    return Band(
        True,
        q,
        math.exp(mu + s * s / 2),
        math.exp(mu),
        s,
        above,
        model.attribution(),
        upper_bound=model.upper_bound,
    )


def _ranks(n: int, probs: Sequence[float]) -> tuple[list[int], dict]:
    """Order-statistic ranks for numpy's linear quantile and for +-1 SE (binomial) brackets."""
    need: dict[float, tuple[int, int, float, int, int]] = {}
    for p in probs:
        h = p * (n - 1)
        lo = int(math.floor(h))
        hi = min(lo + 1, n - 1)
        d = math.sqrt(n * p * (1 - p))
        rl = min(max(int(round(p * n - d)), 0), n - 1)
        rh = min(max(int(round(p * n + d)), 0), n - 1)
        need[p] = (lo, hi, h - lo, rl, rh)
    ranks = sorted({r for v in need.values() for r in (v[0], v[1], v[3], v[4])})
    return ranks, need


@lru_cache(maxsize=64)  # tables ~47 KB a variable: at most ~12 MB held
def _encoded(model: LogModel, lut: bool):
    """(fam, coef, par, tab, chol, table error bound, (mean, sd) of the log) of a model, cached (the
    lookup tables cost more than a 10^4-sample run): shared arrays, never to be written to."""
    import numpy as np

    fam, coef, par, tab, chol = model.kernel_arrays()
    lut_err = 0.0
    if lut:
        from computesim.kernels.tables import accelerate  # imports NumPy at import time

        par, tab, errs = accelerate(fam, par, tab, coef)
        lut_err = float(np.abs(coef) @ errs)
    for a in (fam, coef, par, tab, chol):
        a.flags.writeable = (
            False  # shared by every later call: a write raises instead of corrupting
        )
    return fam, coef, par, tab, chol, lut_err, model.log_mean_sd()


def mc_band(
    model: LogModel,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    thresholds: Sequence[float] = (),
    backend: str = "auto",
    exact_selection: bool = False,
    lut: bool = True,
    client: Any = None,
    parts: int | None = None,
) -> Band:
    """Monte Carlo band: ``samples`` draws keyed by ``seed``; standard errors for every figure.

    An all-lognormal model draws one normal per sample (its sum is one lognormal). Quantile SEs
    come from the order statistics at ranks n p -+ sqrt(n p (1 - p)) (half their distance), the
    mean's from the sample variance, threshold probabilities' from the binomial variance.
    With ``lut`` the costly transforms go through lookup tables (``kernels.tables.accelerate``)
    whose error, with the histogram's, is ``Band.quantile_error_log`` (a bound, log units).

    ``client`` (a ``distributed.Client`` or scheduler text: ``local[:N]``, an address): the samples
    are split into ranges (``parts``, default 4 a worker) drawn on its workers with the numba
    backend, up to MAX_CLUSTER_SAMPLES; the Band is the one-machine numba band, bit for bit
    (``uncertainty.distributed.reduce_samples``).
    """
    import numpy as np

    if not isinstance(samples, (int, np.integer)) or samples < 1:
        raise InputError("samples", f"must be a whole number >= 1, got {samples!r}")
    most = MAX_SAMPLES if client is None else MAX_CLUSTER_SAMPLES
    if samples > most:
        raise InputError(
            "samples", f"at most {most:.0e}" + (" (more on a cluster)" * (client is None))
        )
    if not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        raise InputError("seed", f"must be a whole number in [0, 2**64), got {seed!r}")
    n = int(samples)
    sample_model = model
    if model.exact and model.dists:
        mu, s = model.log_normal_params()
        sample_model = LogModel(0.0, ("log_compute",), (LogNormal(mu, s),), (1.0,))
    if client is not None and backend not in ("auto", "numba"):
        raise InputError("backend", f"a cluster draws with numba (auto or numba), got {backend!r}")
    be = get_backend(
        "numba" if client is not None else backend, work=n * max(1, len(sample_model.dists))
    )
    fam, coef, par, tab, chol, lut_err, (mean_log, sd_log) = _encoded(sample_model, bool(lut))
    ranks, need = _ranks(n, PROBS)
    centre = model.const + sum(c * math.log(d.median) for c, d in zip(model.coefs, model.dists))
    lth = [math.log(t) for t in thresholds]
    # Cantelli: P(X <= mean - 5 sd) <= 1/26, so p5..p95 (and their SE ranks) lie inside for any family
    window = (mean_log - 5 * sd_log, mean_log + 5 * sd_log) if sd_log > 0 else None
    with np.errstate(over="ignore", invalid="ignore"):  # sums that leave float64 are caught below
        if client is not None:
            r = reduce_samples(
                client,
                parts,
                int(seed),
                n,
                (fam, coef, par, tab, chol, sample_model.const),
                ranks,
                lth,
                centre,
                exact=exact_selection,
                log_range=window,
            )
        else:
            r = be.mc.reduce(
                int(seed),
                0,
                n,
                fam,
                coef,
                par,
                tab,
                chol,
                sample_model.const,
                ranks,
                lth,
                centre,
                exact=exact_selection,
                log_range=window,
            )
    try:
        with np.errstate(over="raise", invalid="raise"):
            return _mc_figures(
                model, r, need, ranks, centre, thresholds, n, int(seed), be.name, lut_err
            )
    except (OverflowError, FloatingPointError):
        raise InputError(
            "inputs",
            "the band's figures (quantiles, mean or its spread) leave the float64 range: "
            "the inputs span too many orders of magnitude; narrow the ranges",
        ) from None


def _mc_figures(
    model: LogModel,
    r,
    need: dict,
    ranks: list[int],
    centre: float,
    thresholds: Sequence[float],
    n: int,
    seed: int,
    backend: str,
    lut_err: float,
) -> Band:
    """The Band of a Monte Carlo reduction ``r`` (sums relative to ``centre``, log units)."""
    at = dict(zip(ranks, (float(v) for v in r.order)))
    q, qse = {}, {}
    for p, (lo, hi, frac, rl, rh) in need.items():
        q[p] = math.exp(at[lo] + frac * (at[hi] - at[lo]))
        qse[p] = (math.exp(at[rh]) - math.exp(at[rl])) / 2
    sum_exp, sum_exp2 = float(r.sum_exp), float(r.sum_exp2)
    mean = sum_exp / n * math.exp(centre)
    var_lin = max(sum_exp2 / n - (sum_exp / n) ** 2, 0.0) * math.exp(2 * centre)
    if not all(math.isfinite(v) for v in (mean, var_lin, *q.values())):
        raise OverflowError("band figure out of range")
    mlog = r.sum_x / n
    sd_log = math.sqrt(max(r.sum_x2 / n - mlog * mlog, 0.0))
    above = {t: float(c) / n for t, c in zip(thresholds, r.above)}
    above_se = {t: math.sqrt(p * (1 - p) / n) for t, p in above.items()}
    return Band(
        False,
        q,
        mean,
        math.exp(mlog),
        sd_log,
        above,
        model.attribution(),
        n,
        seed,
        backend,
        qse,
        math.sqrt(var_lin / n),
        above_se,
        float(r.error) + lut_err,
        model.upper_bound,
    )


def _threshold_flops(thresholds: Sequence[float | str] | str) -> list[float]:
    """Thresholds in FLOP: numbers (FLOP, finite, > 0) or text with a unit, one or a comma list."""
    if isinstance(thresholds, str):
        return parse_thresholds(thresholds, "thresholds")
    out: list[float] = []
    for t in thresholds:
        if isinstance(t, str):
            out += parse_thresholds(t, "thresholds")
        else:
            out.append(require_positive("thresholds", t))
    return out


def band(
    model: Any,
    samples: int | None = None,
    seed: int = 0,
    thresholds: Sequence[float | str] | str = (),
    force_mc: bool = False,
    backend: str = "auto",
    *,
    method_error: float | str | None = None,
    client: Any = None,
    parts: int | None = None,
) -> Band:
    """The band of one estimate's compute, in FLOP: exact when every uncertain input is lognormal
    (and MC is not forced), else ``samples`` Monte Carlo draws keyed by ``seed``.

    ``model``: an Estimate (``estimate_hardware``, ``estimate_ops``, ``estimate_transformer``:
    its ranges are the uncertain inputs) or a LogModel. ``method_error`` f adds a factor with 90%
    interval [1/f, f] (the method's own error, e.g. 2 or "2x"). ``thresholds``: FLOP, or text with
    a unit ("1e25FLOP"); ``Band.p_above`` is keyed by FLOP. Monte Carlo runs on ``client``'s
    workers when given (a Dask client or scheduler text, in ``parts`` sample ranges: see
    ``mc_band``), with the one-machine numbers.

    >>> import computesim
    >>> e = computesim.estimate_hardware(device="V100", count=1000, days="20 to 30")
    >>> b = computesim.band(e, method_error=2, thresholds=["1e23FLOP"])
    >>> b.exact, f"{b.median:.3g}", f"{b.quantiles[0.05]:.3g}", f"{b.quantiles[0.95]:.3g}"
    (True, '8.73e+22', '4.24e+22', '1.8e+23')
    >>> round(b.p_above[1e23], 3)
    0.379
    """
    if not isinstance(model, LogModel):
        if not hasattr(model, "factors"):
            raise InputError(
                "estimate",
                f"expected an Estimate (estimate_hardware, estimate_ops) or a LogModel, "
                f"got {type(model).__name__}",
            )
        model = model_of(model)
    if method_error is not None:
        f = parse_factor(method_error) if isinstance(method_error, str) else method_error
        if not (isinstance(f, (int, float)) and 1 < f <= MAX_FACTOR):
            raise InputError(
                "method_error", f"the factor must be above 1 and at most {MAX_FACTOR:g}, got {f!r}"
            )
        model = model.with_factor("method_error", LogNormal.factor(float(f)))
    flop = _threshold_flops(thresholds)
    if parts is not None and client is None:
        raise InputError("parts", "only used on a cluster (give client)")
    if model.exact and not force_mc:
        try:
            return exact_band(model, flop)
        except OverflowError:
            raise InputError(
                "inputs",
                "the band's mean or quantiles leave the float64 range: the inputs span "
                "too many orders of magnitude; narrow the ranges",
            ) from None
    return mc_band(
        model,
        DEFAULT_SAMPLES if samples is None else samples,
        seed,
        flop,
        backend,
        client=client,
        parts=parts,
    )


def combine(a: Band, b: Band, tolerance_z: float = 1.959963984540054) -> dict[str, Any]:
    """Precision-weighted combination (in log space) of two methods' bands, overlap and disagreement.

    Each band counts as Normal(ln median, log_sd) in log space; the combination weights each by
    1 / log_sd**2. ``disagree`` when the medians differ by more than ``tolerance_z`` combined SDs.
    """
    (m1, s1), (m2, s2) = (a.log_median, a.log_sd), (b.log_median, b.log_sd)
    if s1 == 0 and s2 == 0:
        m, s = (m1 + m2) / 2, 0.0
    elif s1 == 0 or s2 == 0:
        m, s = (m1, 0.0) if s1 == 0 else (m2, 0.0)
    else:
        w1, w2 = 1 / s1**2, 1 / s2**2
        m, s = (w1 * m1 + w2 * m2) / (w1 + w2), 1 / math.sqrt(w1 + w2)
    gap = abs(m1 - m2)
    sd_gap = math.hypot(s1, s2)
    pfs = units.flop_to_pfs_days
    return {
        "overlap": a.quantiles[0.05] <= b.quantiles[0.95]
        and b.quantiles[0.05] <= a.quantiles[0.95],
        "combined_estimate": {
            "pfs_days": pfs(math.exp(m)),
            "flop": math.exp(m),
            "log_sd": s,
            "quantiles_pfs_days": {qname(p): pfs(math.exp(m + s * z)) for p, z in _Z.items()},
            "weights": "1 / log_sd**2 of each method (log space)",
        },
        "disagree": bool(gap > tolerance_z * sd_gap) if sd_gap > 0 else gap > 0,
        "gap_in_sd": gap / sd_gap if sd_gap > 0 else None,
    }
