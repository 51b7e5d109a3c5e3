"""Training stages (pre-training, fine-tuning, post-training) as separate estimates, their
cumulative total, and the one-third rule for modifications.

The European Commission's guidelines for providers of general-purpose AI models (July 2025) treat
a downstream modifier as the provider of a new model when the modification's training compute is
more than one third of the original model's training compute. ``modification_share`` is that
ratio at the point estimates; its probability under uncertain inputs is the ratio's band (the CLI
computes it through ``computesim.uncertainty.band.ratio_model``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

from computesim.core.methods import Estimate
from computesim.errors import InputError

STAGES = ("pretraining", "fine-tuning", "post-training")
#: The share of the original's training compute above which a modifier becomes a provider.
ONE_THIRD = 1 / 3
ONE_THIRD_SOURCE = (
    "European Commission, Guidelines on the scope of obligations for providers of general-purpose "
    "AI models under the AI Act (July 2025): a modification using more than one third of the "
    "original model's training compute makes the modifier a provider"
)


def cumulative(stages: Mapping[str, Estimate]) -> dict[str, Any]:
    """Each stage's compute (FLOP, point) and their total; stage names from ``STAGES``.

    >>> from computesim.core.methods import reported
    >>> cumulative({"pretraining": reported("1e24 FLOP"), "fine-tuning": reported("2e22 FLOP")})
    {'stages': {'pretraining': 1e+24, 'fine-tuning': 2e+22}, 'total_flop': 1.02e+24, 'share': {'pretraining': 0.9803921568627451, 'fine-tuning': 0.0196078431372549}}
    """
    if not stages:
        raise InputError("stages", "give at least one stage")
    for name in stages:
        if name not in STAGES:
            raise InputError("stages", f"unknown stage {name!r}; use {', '.join(STAGES)}")
    flops = {name: e.flop for name, e in stages.items()}
    total = math.fsum(flops.values())
    return {
        "stages": flops,
        "total_flop": total,
        "share": {name: f / total for name, f in flops.items()},
    }


def modification_share(modification: Estimate, original: Estimate) -> float:
    """Modification compute / original training compute (points).

    >>> from computesim.core.methods import reported
    >>> modification_share(reported("4e23 FLOP"), reported("1e24 FLOP")) > ONE_THIRD
    True
    """
    return modification.flop / original.flop


#: Quantiles reported for a cumulative band.
BAND_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
FENTON_WILKINSON = (
    "Fenton-Wilkinson: the sum of independent lognormal stages approximated by the lognormal with "
    "the same mean and variance (exact in those two moments; its quantiles drift from the true "
    "sum's when stages of similar size have log-SDs well above 1)"
)


def cumulative_band(stages: Mapping[str, tuple[float, float]]) -> dict[str, object]:
    """The cumulative total of independent lognormal stages: ``stages`` maps a stage name to
    (mu, sigma) of ln FLOP (sigma 0 for a point). Returns the exact mean and SD of the sum (FLOP)
    and Fenton-Wilkinson's lognormal (log_mu, log_sigma) with its quantiles (FLOP).

    >>> b = cumulative_band(
    ...     {"pretraining": (math.log(1e24), 0.0), "fine-tuning": (math.log(1e22), 0.0)}
    ... )
    >>> (
    ...     f"{b['mean_flop']:.4g}",
    ...     math.isclose(b["quantiles_flop"]["p95"], 1.01e24),
    ... )  # points: no spread
    ('1.01e+24', True)
    """
    if not stages:
        raise InputError("stages", "give at least one stage")
    mean = var = 0.0
    for name, (mu, sigma) in stages.items():
        if name not in STAGES:
            raise InputError("stages", f"unknown stage {name!r}; use {', '.join(STAGES)}")
        if not (math.isfinite(mu) and math.isfinite(sigma) and sigma >= 0):
            raise InputError("stages", f"{name}: mu must be finite and sigma >= 0")
        mean += math.exp(mu + sigma**2 / 2)
        var += math.exp(2 * mu + sigma**2) * math.expm1(sigma**2)
    log_sigma = math.sqrt(math.log1p(var / mean**2))
    log_mu = math.log(mean) - log_sigma**2 / 2
    q = {
        f"p{round(p * 100)}": math.exp(log_mu + log_sigma * NormalDist().inv_cdf(p))
        for p in BAND_QUANTILES
    }
    return {
        "mean_flop": mean,
        "sd_flop": math.sqrt(var),
        "log_mu": log_mu,
        "log_sigma": log_sigma,
        "quantiles_flop": q,
        "approximation": FENTON_WILKINSON,
    }
