"""``computesim bench``: the estimator core's throughput against its NumPy reference and the
machine's limits, measured in the same run.

    from computesim.benchmarks import workloads, run_suite
    rows = run_suite("quick")          # list of dicts, one per (workload, backend, size, threads)

Workloads live in modules of this package (``core``, ``sweeps``, ``montecarlo``); a module whose
computation has not landed yet fails to import and registers nothing. The pytest-benchmark suites in
bench/ call the same workload functions, so each workload is defined once.
"""
from __future__ import annotations

import importlib
import logging

from .registry import WORKLOADS, Case, Workload, register

__all__ = ["Case", "Workload", "register", "workloads", "run_suite", "run_scaling"]

#: Workload modules, in the order their rows are printed.
MODULES = ("core", "sweeps", "montecarlo")
log = logging.getLogger("computesim.benchmarks")
_SKIPPED: dict[str, str] = {}


def workloads() -> dict[str, Workload]:
    """All registered workloads (importing their modules on first call)."""
    for name in MODULES:
        if name in _SKIPPED:
            continue
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ImportError as exc:  # the family's kernels have not landed: no workload, no stub
            _SKIPPED[name] = str(exc)
            log.info("benchmarks.%s not registered: %s", name, exc)
    return WORKLOADS


def skipped() -> dict[str, str]:
    """Workload modules that could not be imported, with why."""
    workloads()
    return dict(_SKIPPED)


def __getattr__(name: str):
    if name in ("run_suite", "run_scaling"):
        from . import suite
        return getattr(suite, name)
    raise AttributeError(name)
