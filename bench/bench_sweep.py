"""Sweep benchmarks (issue 4): the registered sweep workloads of ``computesim bench``
(``computesim.benchmarks.sweeps``: the 4-D device x count x days x utilization grid materialised,
reduced, and written to .arrow/.parquet), on every backend that has them, each result checked.

Sizes: with --benchmark-disable (CI) small grids, run once and checked; with --benchmark-enable
the ``computesim bench --quick`` sizes; with COMPUTESIM_BENCH_FULL=1 as well, the full sizes
(``computesim bench``). Under NUMBA_ENABLE_CUDASIM=1 the cuda backend runs tiny grids, checked,
not timed.

    pytest bench/bench_sweep.py --benchmark-enable -q
    COMPUTESIM_BENCH_FULL=1 pytest bench/bench_sweep.py --benchmark-enable -q

Points/s, the ratio to the reference backend and the share of the memory write bandwidth (all
measured in the same session) go to extra_info and to a summary at the end (bench/conftest.py).
"""

from __future__ import annotations

import os

import pytest

WORKLOADS = ("materialized sweep", "reduced sweep", "arrow write", "parquet write")
#: Sizes with --benchmark-disable: every backend checked in about a second.
CI_SIZES = {
    "materialized sweep": 10**5,
    "reduced sweep": 10**6,
    "arrow write": 10**5,
    "parquet write": 10**5,
}


def _params():
    from computesim.benchmarks import workloads

    out = []
    for name in WORKLOADS:
        w = workloads().get(name)
        backends = sorted(w.backends, key=lambda b: b != w.reference) if w else ["reference"]
        out += [
            pytest.param(name, b, id=f"{name}-{b}") for b in backends
        ]  # the reference first: ratios
    return out


def size_for(name: str, timed: bool) -> int:
    """The size to run ``name`` at: CI size untimed, else the quick (or full) size of the suite."""
    from computesim.benchmarks import workloads

    if not timed:
        return CI_SIZES[name]
    from computesim.benchmarks.registry import sizes_for

    mode = "full" if os.environ.get("COMPUTESIM_BENCH_FULL") == "1" else "quick"
    return sizes_for(workloads()[name], mode)[0]  # the size the reference also runs, for the ratio


@pytest.mark.parametrize("name, backend", _params())
def test_sweep_workload(benchmark, run_workload, name, backend):
    from computesim.benchmarks import workloads

    w = workloads().get(name)
    size = size_for(name, benchmark.enabled) if w else None
    if backend == "cuda" and benchmark.enabled and os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        pytest.skip("CUDA simulator: checked with --benchmark-disable (tiny grids), not timed")
    if w and backend == w.reference and size > w.reference_max:
        pytest.skip(f"the reference runs up to {w.reference_max:.0e} points")
    run_workload(name, backend, size)
