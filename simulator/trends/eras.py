"""Eras found from the data: segmented regression of log10 compute on date with estimated breaks.

Five models: one line; one break and two breaks, each either continuous at the break (a hinge:
the slope changes, the line does not jump) or with a jump (a separate line per era). Breaks are
searched over midpoints between consecutive distinct dates that leave at least ``min_segment``
points in every era (for two breaks at most ``max_candidates`` of them, evenly spaced in rank; for
one break at most ``ONE_BREAK_CANDIDATES``), by least squares.
BIC = n ln(RSS / n) + k ln n, with k the line coefficients plus one per break location, chooses
the number of eras.

Breakpoint intervals: the union (the span covering both) of two intervals, each widened to the
dates on either side of its ends (a break between two consecutive dates fits the data equally
anywhere in that gap):

- likelihood ratio (profile): the candidate dates b whose profile RSS (the other break, if any,
  re-optimised) satisfies n (RSS(b) - RSS_min) / RSS_min <= c. For a continuous bend the break
  date is a regular parameter and c is the chi-square(1) quantile (2.71 at 90%, 3.84 at 95%);
  for a jump c = -2 ln(1 - sqrt(level)) (5.94 at 90%, 7.35 at 95%), the conservative critical
  value of Hansen (2000), "Sample Splitting and Threshold Estimation", Econometrica 68(3).
- residual bootstrap of the chosen model (its fitted values plus residuals resampled with
  replacement, the breaks searched again in each resample), percentile interval.

When the other variant with as many breaks (a jump for a bend, or the reverse) has a BIC within
``CLOSE_BIC`` of the chosen model's, its likelihood-ratio intervals join in: a jump fitted as a
bend puts the bend a year or two early, and BIC picks the bend in about a fifth of such data.

Either alone under-covers on ~60 points (bootstrap 90%: 77% for a jump); see
tests/trends/test_eras.py for the measured coverage of each and of the union.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from computesim.errors import InputError
from computesim.trends.fit import DEFAULT_LEVEL, json_ready

DEFAULT_MIN_SEGMENT = 5  #: fewest points in an era
DEFAULT_MAX_CANDIDATES = 60  #: most candidate break dates searched for two breaks
ONE_BREAK_CANDIDATES = 2000  #: ... and for one (a jump's date is sharp: a coarse grid misses it)
DEFAULT_BREAK_BOOT = 300  #: residual-bootstrap resamples for the break intervals
MODELS = ((0, False), (1, False), (1, True), (2, False), (2, True))
#: the other variant's breaks join the intervals when its BIC is within this of the chosen model's.
#: Calibrated: with 2 (Kass & Raftery's "bare mention") a weak jump's 90% intervals covered 82%,
#: with 3 at least 88% in every design of tests/trends/test_eras.py, with 4 at least 95%.
CLOSE_BIC = 3.0


def model_name(n_breaks: int, jump: bool) -> str:
    if n_breaks == 0:
        return "one line"
    return f"{n_breaks} break{'s' if n_breaks > 1 else ''}, " + (
        "with a jump" if jump else "continuous"
    )


def to_date(year: float) -> str:
    """A decimal year as an ISO date (2010.5 -> '2010-07-02')."""
    y = int(math.floor(year))
    start = dt.date(y, 1, 1)
    days = (dt.date(y + 1, 1, 1) - start).days
    return (start + dt.timedelta(days=int((year - y) * days))).isoformat()


def candidates(t: np.ndarray, min_segment: int, max_candidates: int) -> np.ndarray:
    """Candidate break dates: midpoints between distinct sorted dates, ``min_segment`` each side."""
    ts = np.sort(t)
    mids = (ts[:-1] + ts[1:]) / 2
    ok = ts[1:] > ts[:-1]
    n_left = np.arange(1, ts.size)
    ok &= (n_left >= min_segment) & (ts.size - n_left >= min_segment)
    c = mids[ok]
    if c.size > max_candidates:
        c = c[np.round(np.linspace(0, c.size - 1, max_candidates)).astype(int)]
    return c


def _configs(t: np.ndarray, cand: np.ndarray, n_breaks: int, min_segment: int) -> np.ndarray:
    """Break sets (rows, sorted) with at least ``min_segment`` points in every era."""
    if n_breaks == 0:
        return np.zeros((1, 0))
    if n_breaks == 1:
        return cand[:, None]
    i, j = np.triu_indices(cand.size, k=1)
    b = np.stack([cand[i], cand[j]], axis=1)
    between = ((t[None, :] > b[:, :1]) & (t[None, :] < b[:, 1:])).sum(axis=1)
    return b[between >= min_segment]


def design(t: np.ndarray, breaks: np.ndarray, jump: bool, center: float) -> np.ndarray:
    """Design matrices (configs, n, k) for break sets ``breaks`` (configs, n_breaks)."""
    P, nb = breaks.shape
    x = np.broadcast_to(t - center, (P, t.size))
    if not jump:
        cols = [np.ones((P, t.size)), x]
        cols += [np.maximum(t[None, :] - breaks[:, i : i + 1], 0.0) for i in range(nb)]
        return np.stack(cols, axis=2)
    seg = (t[None, :, None] > breaks[:, None, :]).sum(axis=2)  # (P, n): era index
    cols = []
    for s in range(nb + 1):
        ind = (seg == s).astype(float)
        cols += [ind, ind * x]
    return np.stack(cols, axis=2)


def _bases(t: np.ndarray, configs: np.ndarray, jump: bool) -> np.ndarray:
    """Orthonormal bases (configs, n, k) of each configuration's design."""
    X = design(t, configs, jump, float(t.mean()))
    q, _r = np.linalg.qr(X)
    return q


def _best(q: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each column of Y (n, B): index of the config with the least RSS, and that RSS."""
    P, n, k = q.shape
    proj = q.transpose(0, 2, 1).reshape(P * k, n) @ Y  # (P k, B)
    explained = (proj.reshape(P, k, -1) ** 2).sum(axis=1)  # (P, B)
    i = explained.argmax(axis=0)
    rss = (Y * Y).sum(axis=0) - explained[i, np.arange(Y.shape[1])]
    return i, np.maximum(rss, 0.0)


@dataclass(frozen=True)
class SegmentedModel:
    """One fitted model: its breaks (decimal years), RSS, number of parameters and BIC."""

    n_breaks: int
    jump: bool
    breaks: tuple[float, ...]
    rss: float
    k: int
    bic: float

    @property
    def name(self) -> str:
        return model_name(self.n_breaks, self.jump)


@dataclass
class Eras:
    """Models compared by BIC, the chosen one and bootstrap intervals on its breaks."""

    models: list[SegmentedModel]
    chosen: SegmentedModel
    breaks_ci: list[list[float]]  #: union of the two below
    level: float
    n_boot: int
    n_points: int
    fitted_on: str = "all points in the window"
    notes: list[str] = field(default_factory=list)
    breaks_ci_lr: list[list[float]] = field(default_factory=list)  #: likelihood-ratio intervals
    breaks_ci_boot: list[list[float]] = field(default_factory=list)  #: bootstrap intervals
    lr_critical: float = math.nan  #: the LR critical value used

    @property
    def breaks(self) -> list[float]:
        return list(self.chosen.breaks)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: chosen model, breaks with intervals (decimal years and dates), all models."""
        return json_ready(
            {
                "method": "segmented least squares, breaks searched; BIC chooses the model",
                "fitted_on": self.fitted_on,
                "n_points": self.n_points,
                "chosen": self.chosen.name,
                "breaks": [
                    {
                        "year": b,
                        "date": to_date(b),
                        "ci": ci,
                        "ci_dates": [to_date(c) for c in ci],
                        "ci_likelihood_ratio": lr,
                        "ci_bootstrap": bo,
                    }
                    for b, ci, lr, bo in zip(
                        self.chosen.breaks, self.breaks_ci, self.breaks_ci_lr, self.breaks_ci_boot
                    )
                ],
                "ci_level": self.level,
                "ci_method": "union of the likelihood-ratio and bootstrap intervals",
                "lr_critical": self.lr_critical,
                "bootstrap": f"residual bootstrap of the chosen model, {self.n_boot} resamples",
                "models": [
                    {
                        "model": m.name,
                        "breaks": list(m.breaks),
                        "rss": m.rss,
                        "parameters": m.k,
                        "bic": m.bic,
                        "delta_bic": m.bic - self.chosen.bic,
                    }
                    for m in self.models
                ],
                "notes": self.notes,
            }
        )


def _fit_model(
    t: np.ndarray, y: np.ndarray, cand: np.ndarray, n_breaks: int, jump: bool, min_segment: int
) -> tuple[SegmentedModel, np.ndarray, np.ndarray] | None:
    configs = _configs(t, cand, n_breaks, min_segment)
    if configs.shape[0] == 0:
        return None
    q = _bases(t, configs, jump)
    i, rss = _best(q, y[:, None])
    n = t.size
    k = (2 * (n_breaks + 1) if jump else 2 + n_breaks) + n_breaks
    r = float(rss[0])
    bic = n * math.log(max(r, 1e-300) / n) + k * math.log(n)
    best = configs[int(i[0])]
    return SegmentedModel(n_breaks, jump, tuple(float(b) for b in best), r, k, bic), configs, q


def find_eras(
    t: np.ndarray,
    y: np.ndarray,
    *,
    max_breaks: int = 2,
    min_segment: int = DEFAULT_MIN_SEGMENT,
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
    n_boot: int = DEFAULT_BREAK_BOOT,
    level: float = DEFAULT_LEVEL,
    seed: int | np.random.Generator = 0,
) -> Eras:
    """Fit the five models to (t decimal years, y log10 FLOP), choose by BIC, bootstrap the breaks.

    >>> rng = np.random.default_rng(0)
    >>> t = np.sort(rng.uniform(1990, 2020, 80))
    >>> y = 15 + 0.1 * (t - 1990) + 0.5 * np.maximum(t - 2010, 0) + rng.normal(0, 0.2, 80)
    >>> e = find_eras(t, y, n_boot=100)
    >>> lo, hi = e.breaks_ci[0]
    >>> e.chosen.name, bool(lo <= 2010 <= hi)
    ('1 break, continuous', True)
    """
    t, y = np.asarray(t, float), np.asarray(y, float)
    if max_breaks not in (0, 1, 2):
        raise InputError("max_breaks", f"must be 0, 1 or 2, got {max_breaks}")
    if min_segment < 3:
        raise InputError("min_segment", f"must be at least 3, got {min_segment}")
    if t.size < 2 * min_segment:
        raise InputError(
            "data", f"need at least {2 * min_segment} points to look for eras, got {t.size}"
        )
    cands = {
        1: candidates(t, min_segment, max(max_candidates, ONE_BREAK_CANDIDATES)),
        2: candidates(t, min_segment, max_candidates),
    }
    fitted: dict[tuple[int, bool], tuple[SegmentedModel, np.ndarray, np.ndarray]] = {}
    for nb, jump in MODELS:
        if nb > max_breaks:
            continue
        r = _fit_model(t, y, cands.get(nb, cands[1]), nb, jump, min_segment)
        if r is not None:
            fitted[(nb, jump)] = r
    models = [r[0] for r in fitted.values()]
    chosen = min(models, key=lambda m: m.bic)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    e = Eras(models, chosen, [], level, n_boot, int(t.size))
    if chosen.n_breaks:
        ts = np.unique(t)
        e.lr_critical = lr_critical(level, chosen.jump)
        e.breaks_ci_lr = lr_intervals(ts, *_profile(fitted, chosen, y), int(t.size), e.lr_critical)
        other = fitted.get((chosen.n_breaks, not chosen.jump))
        if other is not None and other[0].bic - chosen.bic < CLOSE_BIC:
            # the other variant (jump / continuous) is about as likely: its breaks too
            alt = lr_intervals(
                ts, *_profile(fitted, other[0], y), int(t.size), lr_critical(level, not chosen.jump)
            )
            e.breaks_ci_lr = _union(e.breaks_ci_lr, alt)
            e.notes.append(
                f"break intervals include those of the {other[0].name} model "
                f"(delta BIC {other[0].bic - chosen.bic:.2f} < {CLOSE_BIC:g})"
            )
        _, configs, q = fitted[(chosen.n_breaks, chosen.jump)]
        e.breaks_ci_boot = _bootstrap_intervals(t, y, chosen, configs, q, n_boot, level, rng)
        e.breaks_ci = _union(e.breaks_ci_lr, e.breaks_ci_boot)
    return e


def lr_critical(level: float, jump: bool) -> float:
    """Critical value of the break-date likelihood ratio n (RSS(b) - RSS_min) / RSS_min.

    A jump: Hansen (2000), -2 ln(1 - sqrt(level)); a continuous bend: the chi-square(1) quantile.

    >>> round(lr_critical(0.9, True), 2), round(lr_critical(0.95, True), 2)
    (5.94, 7.35)
    >>> round(lr_critical(0.95, False), 2)
    3.84
    """
    if jump:
        return -2.0 * math.log(1.0 - math.sqrt(level))
    return statistics.NormalDist().inv_cdf((1.0 + level) / 2) ** 2


def _union(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    """Interval by interval, the span covering both."""
    return [[min(x[0], z[0]), max(x[1], z[1])] for x, z in zip(a, b)]


def _profile(
    fitted: dict[tuple[int, bool], tuple[SegmentedModel, np.ndarray, np.ndarray]],
    model: SegmentedModel,
    y: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(configs, RSS of each) of a fitted model's break search."""
    _, configs, q = fitted[(model.n_breaks, model.jump)]
    return configs, _rss_all(q, y)


def _rss_all(q: np.ndarray, y: np.ndarray) -> np.ndarray:
    """RSS of every configuration (configs,) for one response y (n,)."""
    proj = np.einsum("pnk,n->pk", q, y)
    return np.maximum(float(y @ y) - (proj * proj).sum(axis=1), 0.0)


def _widen(ts: np.ndarray, grid: np.ndarray, lo: float, hi: float) -> list[float]:
    """[lo, hi] (points of the searched ``grid``) widened to the distinct dates ``ts`` nearest the
    grid points outside it: a break anywhere between two searched dates fits as well as one of
    them, and on a full grid (one candidate between each pair of dates) that is the date on
    either side."""
    k = int(np.searchsorted(grid, lo))
    i = np.searchsorted(ts, grid[k - 1], side="right") if k > 0 else np.searchsorted(ts, lo) - 1
    k = int(np.searchsorted(grid, hi, side="right"))
    j = np.searchsorted(ts, grid[k]) - 1 if k < grid.size else np.searchsorted(ts, hi)
    return [float(ts[max(int(i), 0)]), float(ts[min(int(j), ts.size - 1)])]


def lr_intervals(
    ts: np.ndarray, configs: np.ndarray, rss: np.ndarray, n_points: int, crit: float
) -> list[list[float]]:
    """For each break j: the span of the candidate dates b with
    n (min RSS over configs with break j at b - RSS_min) / RSS_min <= ``crit``, widened to the
    dates either side (``ts``: the distinct dates; ``configs`` (P, breaks), ``rss`` (P,))."""
    rss_min = max(float(rss.min()), 1e-300)
    ok = n_points * (rss - rss_min) / rss_min <= crit
    grid = np.unique(configs)
    out = []
    for j in range(configs.shape[1]):
        inside = configs[ok, j]  # a date is inside when some config placing break j there is
        out.append(_widen(ts, grid, float(inside.min()), float(inside.max())))
    return out


def _bootstrap_intervals(
    t: np.ndarray,
    y: np.ndarray,
    chosen: SegmentedModel,
    configs: np.ndarray,
    q: np.ndarray,
    n_boot: int,
    level: float,
    rng: np.random.Generator,
) -> list[list[float]]:
    """Percentile intervals of the breaks over a residual bootstrap of the chosen model, widened."""
    X = design(t, np.asarray([chosen.breaks]), chosen.jump, float(t.mean()))[0]
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    fit = X @ beta
    res = y - fit
    res = (res - res.mean()) * math.sqrt(t.size / (t.size - chosen.k))  # undo the shrinkage
    idx = rng.integers(0, t.size, size=(t.size, n_boot))
    Y = fit[:, None] + res[idx]
    found = np.empty((n_boot, chosen.n_breaks))
    step = max(1, 2_000_000 // max(1, configs.shape[0] * t.size))  # resamples per batch
    for a in range(0, n_boot, step):
        i, _ = _best(q, Y[:, a : a + step])
        found[a : a + step] = configs[i]
    al = round((1 - level) / 2, 12)
    ts, grid = np.unique(t), np.unique(configs)
    out = []
    for j in range(chosen.n_breaks):
        lo, hi = np.quantile(found[:, j], [al, 1 - al], method="inverted_cdf")
        out.append(_widen(ts, grid, float(lo), float(hi)))
    return out
