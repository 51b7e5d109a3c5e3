"""Time workloads: a checked first run (JIT excluded from the figures), then repeats; median wins.

Each timing sample runs the call ``number`` times (autoranged so a sample lasts at least
``MIN_SAMPLE`` s, as ``timeit`` does). Throughput is taken from the best sample (other work on a
shared machine only ever slows a run down, so the minimum is the least noisy estimate of the cost),
with the median and the first call (which includes any JIT compile) recorded beside it.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from .registry import Case

MIN_SAMPLE = 1e-3  #: seconds a timing sample lasts at least (short calls are looped)


@dataclass(frozen=True)
class Timing:
    """Seconds per call: median and best of ``repeats`` samples; ``first`` = the first, checked call."""

    median: float
    best: float
    first: float
    repeats: int
    number: int


def _sample(case: Case, number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        case.run()
    return (time.perf_counter() - t0) / number


def measure(
    case: Case,
    min_time: float = 0.5,
    max_repeats: int = 50,
    min_repeats: int = 3,
    slow_s: float = 1.0,
) -> Timing:
    """Time ``case``: check its first result, then repeat until ``min_time`` s or ``max_repeats``
    (at least ``min_repeats``; 2 when the first call took more than ``slow_s`` s)."""
    t0 = time.perf_counter()
    result = case.run()
    first = time.perf_counter() - t0
    case.check(result)
    del result
    if first > slow_s and min_repeats <= 3:
        # slow calls (huge sizes, cold starts): fewer repeats, their noise is relatively small; a
        # larger min_repeats asked for explicitly (whole-process medians) is kept
        min_repeats = min(min_repeats, 2)
    number, per = 1, _sample(case, 1)
    while per * number < MIN_SAMPLE and number < 1 << 20:
        number *= 10
        per = _sample(case, number)
    samples = [per]
    spent = per * number
    while len(samples) < max_repeats and (len(samples) < min_repeats or spent < min_time):
        samples.append(_sample(case, number))
        spent += samples[-1] * number
    return Timing(statistics.median(samples), min(samples), first, len(samples), number)
