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
