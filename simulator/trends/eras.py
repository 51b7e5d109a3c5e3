"""Eras found from the data: segmented regression of log10 compute on date with estimated breaks.

Five models: one line; one break and two breaks, each either continuous at the break (a hinge:
the slope changes, the line does not jump) or with a jump (a separate line per era). Breaks are
searched over midpoints between consecutive distinct dates that leave at least ``min_segment``
points in every era (at most ``max_candidates`` of them, evenly spaced in rank), by least squares.
BIC = n ln(RSS / n) + k ln n, with k the line coefficients plus one per break location, chooses
the number of eras. Breakpoint intervals: residual bootstrap of the chosen model (its fitted
values plus residuals resampled with replacement, the breaks searched again in each resample),
percentile intervals, each widened to the dates on either side of its end (a break between two
consecutive dates fits the data equally anywhere in that gap).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from computesim.errors import InputError
from computesim.trends.fit import DEFAULT_LEVEL, json_ready

DEFAULT_MIN_SEGMENT = 5  #: fewest points in an era
DEFAULT_MAX_CANDIDATES = 60  #: most candidate break dates searched
DEFAULT_BREAK_BOOT = 300  #: residual-bootstrap resamples for the break intervals
MODELS = ((0, False), (1, False), (1, True), (2, False), (2, True))


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
    breaks_ci: list[list[float]]
    level: float
    n_boot: int
    n_points: int
    fitted_on: str = "all points in the window"
    notes: list[str] = field(default_factory=list)

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
                    }
                    for b, ci in zip(self.chosen.breaks, self.breaks_ci)
                ],
                "ci_level": self.level,
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
    cand = candidates(t, min_segment, max_candidates)
    fitted = {}
    for nb, jump in MODELS:
        if nb > max_breaks:
            continue
        r = _fit_model(t, y, cand, nb, jump, min_segment)
        if r is not None:
            fitted[(nb, jump)] = r
    models = [r[0] for r in fitted.values()]
    chosen = min(models, key=lambda m: m.bic)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    ci: list[list[float]] = []
    if chosen.n_breaks:
        _, configs, q = fitted[(chosen.n_breaks, chosen.jump)]
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
        ts = np.unique(t)
        for j in range(chosen.n_breaks):
            lo, hi = np.quantile(found[:, j], [al, 1 - al], method="inverted_cdf")
            # a break between two dates fits equally anywhere in that gap: the interval holds it
            lo = ts[np.searchsorted(ts, lo) - 1]
            hi = ts[min(np.searchsorted(ts, hi), ts.size - 1)]
            ci.append([float(lo), float(hi)])
    return Eras(models, chosen, ci, level, n_boot, int(t.size))
