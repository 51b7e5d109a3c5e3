"""``computesim bench``: the estimator core's throughput against its NumPy reference and the
machine's limits, measured in the same run.

    from computesim.benchmarks import workloads, run_suite
    rows = run_suite("quick")          # list of dicts, one per (workload, backend, size, threads)

Workloads live in modules of this package (``core``, ``sweeps``, ``montecarlo``, ``datasets``); a
module that fails to import raises ``WorkloadImportError`` naming it and why (``computesim bench``:
one line, exit 1), never a silent gap in the results. The pytest-benchmark suites in bench/ call
the same workload functions, so each workload is defined once.
"""

from __future__ import annotations

from .registry import MODULES, WORKLOADS, Case, Workload, WorkloadImportError, register, workloads

__all__ = [
    "MODULES",
    "WORKLOADS",
    "Case",
    "Workload",
    "WorkloadImportError",
    "register",
    "run_scaling",
    "run_suite",
    "workloads",
]


def __getattr__(name: str):
    if name in ("run_suite", "run_scaling"):
        from . import suite  # deferred: loads Numba (the limit kernels)

        return getattr(suite, name)
    raise AttributeError(name)
