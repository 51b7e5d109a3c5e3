"""``computesim bench``: the estimator core's throughput against its NumPy reference and the
machine's limits, measured in the same run.

    from computesim.benchmarks import workloads, run_suite
    rows = run_suite("quick")          # list of dicts, one per (workload, backend, size, threads)

Workloads live in modules of this package (``core``, ``sweeps``, ``montecarlo``); a module that fails
to import raises ``WorkloadImportError`` naming it and why (``computesim bench``: one line, exit 1),
never a silent gap in the results. The pytest-benchmark suites in bench/ call the same workload
functions, so each workload is defined once.
"""
from __future__ import annotations

import importlib
import logging

from .registry import WORKLOADS, Case, Workload, register

__all__ = ["Case", "Workload", "WorkloadImportError", "register", "workloads", "run_suite", "run_scaling"]

#: Workload modules, in the order their rows are printed.
MODULES = ("core", "sweeps", "montecarlo")
log = logging.getLogger("computesim.benchmarks")


class WorkloadImportError(ImportError):
    """A workload module failed to import: its workloads would be missing from the results."""

    def __init__(self, module: str, reason: str) -> None:
        self.module, self.reason = module, reason
        super().__init__(f"workload module computesim.benchmarks.{module} failed to import: {reason}")


def workloads() -> dict[str, Workload]:
    """All registered workloads (importing their modules on first call); WorkloadImportError if one
    of MODULES cannot be imported (any exception while importing it)."""
    for name in MODULES:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except Exception as exc:  # noqa: BLE001 - every failure is reported, with its type
            raise WorkloadImportError(name, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                                      [:300]) from exc
    return WORKLOADS


def __getattr__(name: str):
    if name in ("run_suite", "run_scaling"):
        from . import suite
        return getattr(suite, name)
    raise AttributeError(name)
