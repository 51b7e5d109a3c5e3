"""The machine's limits, measured in the same run as the workloads they are compared with.

* ``write_bandwidth``: bytes/s that a parallel Numba loop stores into a float64 array larger than
  the private caches, by ordinary stores, streaming stores of whole 64-byte lines or NumPy's fill,
  whichever is fastest: the limit of a workload that materialises its output.
* ``fused_rate``: evaluations/s of ``acc += a * x + b`` over a range, with no memory traffic and
  vectorised (fastmath is allowed here, never in result kernels): the limit of reduced work, where
  each point of a reduced sweep or Monte Carlo run costs at least one such step.

Both run at the current ``numba.get_num_threads()``. This module imports Numba: import it on use.
"""

from __future__ import annotations

import time

from numba import njit, prange

from computesim.benchmarks.machine import best_time
from computesim.benchmarks.machine import write_bandwidth as measure

BLOCK = 4096  #: iterations per parallel work item of the fused loop


@njit(parallel=True, cache=True, fastmath=True)
def _fused(n, a, b):
    total = 0.0
    for blk in prange((n + BLOCK - 1) // BLOCK):
        lo = blk * BLOCK
        acc = 0.0
        x = float(lo)  # a float induction variable: int64 -> float64 does not vectorise on AVX2
        for _ in range(lo, min(lo + BLOCK, n)):
            acc += a * x + b
            x += 1.0
        total += acc
    return total


def write_bandwidth(nbytes: int = 1 << 28, repeats: int = 5) -> float:
    """Memory write bandwidth in bytes/s: the fastest of a parallel Numba store loop, the same by
    streaming stores of whole lines and NumPy's fill (memset, which may use non-temporal stores),
    best of ``repeats`` each (``machine.write_bandwidth``)."""

    return measure(nbytes, repeats)["best"]


def fused_rate(n: int = 1 << 30, repeats: int = 5) -> float:
    """Fused multiply-add evaluations/s: ``sum(a * i + b for i in range(n))``, best of ``repeats``."""
    a, b = 1e-9, 0.5
    _fused(BLOCK, a, b)
    t = best_time(lambda: _fused(n, a, b), repeats)
    got, want = _fused(n, a, b), a * n * (n - 1) / 2 + b * n
    if abs(got - want) > 1e-9 * abs(want):
        raise AssertionError(f"fused loop sum {got!r} != {want!r}")
    return n / t


def startup_rate(repeats: int = 5) -> float:
    """Interpreter starts/s: ``python -c pass`` (the floor under any import or CLI call), median."""
    import statistics
    import subprocess
    import sys

    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - t0)
    return 1 / statistics.median(times)
