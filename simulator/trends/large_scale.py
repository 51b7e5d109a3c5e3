"""Large-scale systems: which systems sit far above those published around them, and the
regular-scale and large-scale trends side by side.

Two rules, each one pass over the data (no selection depends on an earlier selection):

- ``zscore`` (the default; Sevilla et al. 2022, "Compute Trends Across Three Eras of Machine
  Learning", as its authors describe it): a system is large-scale when its log10 compute is more
  than ``z`` standard deviations above the mean log10 compute of the systems published within a
  window of ``window_years`` centred on its date (the system itself included). Defaults: ``z`` =
  0.72, window 2 years (1 year either side).
- ``residual``: a system is large-scale when it lies more than ``oom`` orders of magnitude above
  a robust line through every candidate (Theil-Sen: the median of the slopes between pairs of
  points, and the median intercept), which a cluster of fewer than about 29% of the points
  does not pull towards itself.

Whether there is a cluster at all: the paper's rule flags the upper tail of any scatter (P(Z >
0.72) = 24% of a normal one), so the output also gives ``cluster_delta_bic``, the BIC of one line
minus that of a two-line mixture over the candidates (``computesim.trends.mixture``), and says when
it is below 2 (no evidence of a cluster); ``cluster_evidence`` states the verdict and whether the
large-scale fit is to be trusted (delta BIC at least 2, the Kass-Raftery "positive" evidence). ``evidence`` (default None: the paper's rule as is) keeps
no large-scale systems unless that difference reaches it: with 2, no flags on 40 of 40 synthetic
single trends, while planted clusters 1.5-2 OOM above 80 systems still pass (delta BIC >= 6.9).

Only systems dated in [``start``, end of the window) are candidates (default: 2015-09-01, where
the paper's large-scale era starts, when the window reaches past it; else the window's start); the z-value's comparison sample is every system
of the data, in the window or not. The regular-scale trend is the candidates that were not
selected. ``offset_oom`` is the large-scale line minus the regular-scale line (orders of magnitude)
at the mean date of the large-scale systems, with a bootstrap interval.

The fits through the selected and the unselected systems inherit the selection's bias (a system
counts as large-scale because it lies high, so where the two trends draw close only the high ones
are kept): on synthetic data like the paper's (``synthetic.three_eras``, 100 seeds) the
large-scale slope comes out 12.4% +- 1.6% too steep (8.9 months for a true 10) and its 95% interval
covers 70%. ``mixture`` is the correction reported beside them: a
two-line mixture fitted by maximum likelihood over the candidates (EM from the selection and
other starts, the best kept), with pairs-bootstrap intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from computesim.errors import InputError
from computesim.trends.fit import MIN_POINTS, FitData, TrendFit, fit_trend, json_ready
from computesim.trends.mixture import MixtureFit, best_em, delta_bic, mixture_fit

PAPER_Z = 0.72  #: Sevilla et al. 2022 (authors' description): z above 0.72 standard deviations
PAPER_WINDOW_YEARS = 2.0  #: ... of the log compute of systems published within 2 years
PAPER_LARGE_FROM = 2015.0 + 243 / 365  #: 2015-09-01: the paper's large-scale era starts then
WINDOW_START = -math.inf  #: ``LargeRule.start`` for candidates from the window's start
DEFAULT_RESIDUAL_OOM = 1.0  #: residual rule: 10x above the span's line
#: below this BIC difference (one line minus two) the output says the data show no cluster
NO_CLUSTER_BIC = 2.0
RULES = ("zscore", "residual")
SOURCE = (
    "Sevilla et al. 2022, Compute Trends Across Three Eras of Machine Learning (arXiv 2202.05924): "
    "large-scale if log compute exceeds the mean of systems published within 2 years by more "
    "than 0.72 standard deviations"
)


@dataclass(frozen=True)
class LargeRule:
    """How large-scale systems are selected (see the module docstring).

    >>> LargeRule().describe()
    'log10 compute more than 0.72 SD above the mean of systems within +-1 years (the system included)'
    """

    rule: str = "zscore"
    z: float = PAPER_Z
    window_years: float = PAPER_WINDOW_YEARS
    oom: float = DEFAULT_RESIDUAL_OOM
    #: candidates from this decimal year; None: from 2015-09-01 (the paper's large-scale era) when
    #: the window reaches past it, else from the window's start; WINDOW_START: the window's start
    start: float | None = None
    evidence: float | None = None  #: flag none unless two lines beat one by this much BIC

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise InputError("large", f"unknown rule {self.rule!r} (use {' or '.join(RULES)})")
        if not math.isfinite(self.z):
            raise InputError("large_z", f"must be a finite number of SD, got {self.z}")
        if not (math.isfinite(self.window_years) and self.window_years > 0):
            raise InputError(
                "large_window", f"must be a positive number of years, got {self.window_years}"
            )
        if not math.isfinite(self.oom):
            raise InputError(
                "large_threshold",
                f"must be a finite number of orders of magnitude, got {self.oom}",
            )

        if self.evidence is not None and not math.isfinite(self.evidence):
            raise InputError(
                "large_evidence", f"must be a finite BIC difference, got {self.evidence}"
            )

    def describe(self) -> str:
        """The rule in one line, with its parameters."""
        if self.rule == "zscore":
            return (
                f"log10 compute more than {self.z:g} SD above the mean of systems within "
                f"+-{self.window_years / 2:g} years (the system included)"
            )
        return f"more than {self.oom:g} OOM above the span's Theil-Sen line (one pass)"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"rule": self.rule, "description": self.describe()}
        if self.rule == "zscore":
            d |= {
                "z_threshold": self.z,
                "window_years": self.window_years,
                "paper_defaults": {"z_threshold": PAPER_Z, "window_years": PAPER_WINDOW_YEARS},
                "source": SOURCE,
            }
        else:
            d["threshold_oom"] = self.oom
        d["min_evidence_delta_bic"] = self.evidence
        return d


def window_z(t: np.ndarray, y: np.ndarray, at: np.ndarray, half: float) -> np.ndarray:
    """z-value of each ``y[at]`` against every y with |t - t[at]| <= ``half`` (NaN with SD 0)."""
    order = np.argsort(t, kind="stable")
    ts, ys = t[order], y[order]
    c1 = np.r_[0.0, np.cumsum(ys)]
    c2 = np.r_[0.0, np.cumsum(ys * ys)]
    lo = np.searchsorted(ts, t[at] - half, side="left")
    hi = np.searchsorted(ts, t[at] + half, side="right")
    n = (hi - lo).astype(float)
    mean = (c1[hi] - c1[lo]) / n
    var = np.maximum((c2[hi] - c2[lo]) / n - mean * mean, 0.0) * n / np.maximum(n - 1, 1)
    sd = np.sqrt(var)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sd > 1e-12, (y[at] - mean) / sd, np.nan)


MAX_PAIRS = 2_000_000  #: Theil-Sen: most pairs used (a seeded sample of them beyond)


def theil_sen(t: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Theil-Sen line y = intercept + slope t: median pairwise slope, median intercept.

    >>> theil_sen(np.array([0.0, 1, 2, 3, 4]), np.array([0.0, 1, 2, 3, 40]))
    (1.0, 0.0)
    """
    i, j = np.triu_indices(t.size, k=1)
    if i.size > MAX_PAIRS:
        pick = np.random.default_rng(0).choice(i.size, MAX_PAIRS, replace=False)
        i, j = i[pick], j[pick]
    dt_ = t[j] - t[i]
    ok = dt_ != 0
    if not ok.any():
        raise InputError("data", "all points have the same date: no trend can be fitted")
    slope = float(np.median((y[j] - y[i])[ok] / dt_[ok]))
    return slope, float(np.median(y - slope * t))


def select(
    data: FitData, rule: LargeRule, start: float, end: float
) -> tuple[np.ndarray, np.ndarray]:
    """(candidate mask, large-scale mask) over ``data``; candidates are dated in [start, end)."""
    cand = (data.t >= start) & (data.t < end)
    large = np.zeros_like(cand)
    idx = np.flatnonzero(cand)
    if rule.rule == "zscore":
        z = window_z(data.t, data.y, idx, rule.window_years / 2)
        large[idx] = np.nan_to_num(z, nan=-np.inf) > rule.z
    elif idx.size >= MIN_POINTS:
        slope, intercept = theil_sen(data.t[idx], data.y[idx])
        large[idx] = data.y[idx] - (intercept + slope * data.t[idx]) > rule.oom
    return cand, large


@dataclass
class LargeScale:
    """The selection, the regular-scale and large-scale fits and their offset."""

    rule: LargeRule
    start: float
    end: float
    n_candidates: int
    systems: list[str]
    regular: TrendFit | None
    large: TrendFit | None
    notes: list[str] = field(default_factory=list)
    mask: np.ndarray = field(default_factory=lambda: np.zeros(0, bool), repr=False)  #: over data
    mixture: MixtureFit | None = None  #: both slopes without the selection's bias
    delta_bic: float | None = None  #: one line's BIC minus the two-line mixture's, if fitted

    @property
    def n_points(self) -> int:
        return len(self.systems)

    def offset(self) -> dict[str, Any] | None:
        """Large-scale minus regular-scale line (OOM) at the large-scale systems' mean date."""
        if self.regular is None or self.large is None:
            return None
        at = float(self.large.t.mean())
        k = min(self.large.boot_slope.size, self.regular.boot_slope.size)
        b_large = self.large.boot_level[:k] + self.large.boot_slope[:k] * (at - self.large.center)
        b_reg = self.regular.boot_level[:k] + self.regular.boot_slope[:k] * (
            at - self.regular.center
        )
        a = round((1 - self.large.level_ci) / 2, 12)
        lo, hi = np.quantile(b_large - b_reg, [a, 1 - a])
        return {
            "oom": float(self.large.predict(at) - self.regular.predict(at)),
            "oom_ci": [float(lo), float(hi)],
            "at": at,
        }

    def evidence(self) -> dict[str, Any]:
        """Whether the data show a separate large-scale cluster, and so whether to trust the
        large-scale fit: delta BIC (two lines vs one) at least NO_CLUSTER_BIC and a fit made."""
        if self.delta_bic is None:
            verdict = "not tested: fewer than 3 systems flagged or fewer than 3 left unflagged"
        elif self.delta_bic < NO_CLUSTER_BIC:
            verdict = (
                f"no evidence of a separate cluster (delta BIC {self.delta_bic:.1f} < "
                f"{NO_CLUSTER_BIC:g}): the flags may be the upper tail of one trend"
            )
        else:
            verdict = f"a separate cluster (delta BIC {self.delta_bic:.1f} >= {NO_CLUSTER_BIC:g})"
        trust = (
            self.delta_bic is not None
            and self.delta_bic >= NO_CLUSTER_BIC
            and self.large is not None
        )
        return {
            "delta_bic": self.delta_bic,
            "min_delta_bic": NO_CLUSTER_BIC,
            "verdict": verdict,
            "trust_large_scale_fit": bool(trust),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: rule, span, selected systems, both fits (n and interval), offset, and the
        cluster evidence (whether the large-scale fit is to be trusted)."""
        out: dict[str, Any] = {
            "rule": self.rule.to_dict(),
            "from": self.start,
            "to": self.end,
            "n_candidates": self.n_candidates,
            "n_points": self.n_points,
            "systems": self.systems,
            "regular_scale": None if self.regular is None else self.regular.summary(),
            "large_scale": None if self.large is None else self.large.summary(),
            "offset": self.offset(),
            "mixture": None if self.mixture is None else self.mixture.to_dict(),
            "cluster_delta_bic": self.delta_bic,
            "cluster_evidence": self.evidence(),
        }
        if self.rule.rule == "residual":
            out["threshold_oom"] = self.rule.oom
        if self.large is not None:  # the large-scale fit's figures at the top level, as before
            out |= {
                k: v
                for k, v in self.large.summary().items()
                if k not in ("label", "n_points", "from", "to")
            }
        if self.notes:
            out["note"] = "; ".join(self.notes)
        return json_ready(out)


def candidates_from(rule: LargeRule, start: float, end: float) -> tuple[float, list[str]]:
    """The candidates' first decimal year for a window [start, end), and a note on a fallback.

    >>> candidates_from(LargeRule(), 2012.0, 2022.0)[0] == PAPER_LARGE_FROM
    True
    >>> candidates_from(LargeRule(), 2012.0, 2015.0)
    (2012.0, ["the window ends before 2015-09-01 (the paper's large-scale era): candidates from its start"])
    """
    if rule.start is not None:
        lo = max(start, rule.start)
        if lo >= end:
            raise InputError("large_from", f"{lo:g} is not before the window's end {end:g}")
        return lo, []
    if end > PAPER_LARGE_FROM:
        return max(start, PAPER_LARGE_FROM), []
    return start, [
        "the window ends before 2015-09-01 (the paper's large-scale era): candidates from its start"
    ]


def large_scale(data: FitData, rule: LargeRule, start: float, end: float, **kw: Any) -> LargeScale:
    """Select large-scale systems by ``rule`` among the candidates (from ``candidates_from``: by
    default 2015-09-01 on, as the paper) and fit both sets (``kw``: fit_trend's bootstrap
    options). With ``rule.evidence``, none are kept unless the two-line fit beats one line by
    that delta BIC (or when too few are flagged to tell)."""
    lo, notes = candidates_from(rule, start, end)
    cand, large = select(data, rule, lo, end)
    dbic = None
    if 3 <= int(large.sum()) <= int(cand.sum()) - 3:
        r, _, _ = best_em(data.t[cand], data.y[cand], large[cand])
        dbic = delta_bic(data.t[cand], data.y[cand], r[0])
        if dbic < NO_CLUSTER_BIC:
            notes.append(
                f"no evidence of a separate large-scale cluster (two lines vs one: delta BIC "
                f"{dbic:.1f} < {NO_CLUSTER_BIC:g}): the flags may be the upper tail of one trend"
            )
        if rule.evidence is not None and dbic < rule.evidence:
            notes.append(f"none kept: delta BIC below the required {rule.evidence:g}")
            large[:] = False
    elif rule.evidence is not None and large.any():
        notes.append(
            f"none kept: {int(large.sum())} flagged of {int(cand.sum())} candidates, too few to "
            f"test for a cluster (delta BIC needs 3 on each side)"
        )
        large[:] = False
    fits: dict[str, TrendFit | None] = {}
    for name, mask in (("regular-scale", cand & ~large), ("large-scale", large)):
        fits[name] = None
        if int(mask.sum()) < MIN_POINTS:
            notes.append(f"{int(mask.sum())} {name} points: fewer than {MIN_POINTS}, no fit")
            continue
        try:
            fits[name] = fit_trend(data.subset(mask), label=name, start=lo, end=end, **kw)
        except InputError as exc:
            notes.append(f"{name}: {exc.problem}")
    mix = None
    if fits["regular-scale"] is not None and fits["large-scale"] is not None:
        seed = kw.get("seed", 0)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        mix = mixture_fit(
            data.t[cand],
            data.y[cand],
            large[cand],
            n_boot=int(kw.get("n_boot", 1000)),
            level=float(kw.get("level", 0.95)),
            seed=rng.spawn(1)[0],  # leaves the caller's stream as it was
        )
    return LargeScale(
        rule,
        lo,
        end,
        int(cand.sum()),
        [s for s, m in zip(data.systems, large) if m],
        fits["regular-scale"],
        fits["large-scale"],
        notes,
        large,
        mix,
        dbic,
    )
