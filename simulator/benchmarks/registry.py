"""Workloads: each builds its inputs for a size and a backend, runs the computation, checks it.

A workload module calls ``register(Workload(...))`` at import; modules whose computation has not
landed (their import fails) register nothing, so the suite shows only what exists.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Largest size a "cuda" workload runs at under the CUDA simulator (NUMBA_ENABLE_CUDASIM=1), which
#: interprets every thread in Python: it checks the kernels, its timings mean nothing.
SIM_MAX = 100

#: What a workload's throughput is compared with: memory write bandwidth (materialised output),
#: the fused arithmetic loop (reduced work), interpreter start (import and CLI), or nothing.
LIMITS = ("bandwidth", "compute", "startup", None)


@dataclass
class Case:
    """One prepared run: ``run()`` is the timed call; ``check(result)`` raises AssertionError if wrong.

    ``items`` is what one run produces (points, samples, rows, calls); ``bytes_out`` what it writes
    to memory or disk (bytes), for the bandwidth limit.
    """

    run: Callable[[], Any]
    check: Callable[[Any], None]
    items: int
    bytes_out: int = 0
    close: Callable[[], None] = lambda: None


@dataclass(frozen=True)
class Workload:
    """A named computation, with the backends it runs on and its sizes.

    ``build(size, backend) -> Case``. ``reference`` names the backend its ratio is taken to (None: no
    reference). ``sizes`` maps "quick", "full" to the suite's size; ``scaling`` is the largest size of a
    scaling run, ``reference_max`` the largest at which the (slow, memory-hungry) reference runs;
    ``max_repeats`` caps the timed repeats (slow calls such as a cold-cache CLI start).
    """

    name: str
    unit: str
    limit: str | None
    backends: tuple[str, ...]
    build: Callable[[int, str], Case]
    sizes: dict[str, int | list[int]] = field(
        default_factory=lambda: {"quick": 10**5, "full": 10**6}
    )
    scaling: int = 10**8
    reference_max: int = 10**7
    reference: str | None = "reference"
    threaded: bool = True
    max_repeats: int | None = None
    description: str = ""
    #: at least this many timed repeats (None: the suite's default, 3)
    min_repeats: int | None = None
    #: the repeat the throughput is taken from: "best" (default) or "median" (whole-process starts,
    #: where what a person waits for is the typical run, not the luckiest)
    statistic: str = "best"
    #: per mode, a smaller size the reference backend is timed at instead of the workload's own,
    #: where the reference's throughput is flat in size (measured: see bench/RESULTS.md); the other
    #: backends' rows then name it in ``reference_size``
    reference_sizes: dict[str, int] = field(default_factory=dict)


WORKLOADS: dict[str, Workload] = {}


def register(w: Workload) -> Workload:
    """Add ``w`` to the registry (its name must be new)."""
    if w.limit not in LIMITS:
        raise ValueError(f"{w.name}: unknown limit {w.limit!r}")
    if w.name in WORKLOADS:
        raise ValueError(f"workload {w.name!r} registered twice")
    WORKLOADS[w.name] = w
    return w


def capped(size: int, backend: str) -> int:
    """``size``, or at most SIM_MAX for the cuda backend under the CUDA simulator."""
    if backend == "cuda" and os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return min(size, SIM_MAX)
    return size


def sizes_for(w: Workload, mode: str) -> list[int]:
    """The sizes ``w`` runs at in ``mode`` ("quick", "full"): one, or several (e.g. one its reference
    can also reach, then a larger one for the fast backends)."""
    got = w.sizes.get(mode, w.sizes["quick"])
    return list(got) if isinstance(got, (list, tuple)) else [got]


#: Workload modules of this package, in the order their rows are printed.
MODULES = ("core", "sweeps", "montecarlo", "datasets", "cluster")


class WorkloadImportError(ImportError):
    """A workload module failed to import: its workloads would be missing from the results."""

    def __init__(self, module: str, reason: str) -> None:
        self.module, self.reason = module, reason
        super().__init__(
            f"workload module computesim.benchmarks.{module} failed to import: {reason}"
        )


def workloads() -> dict[str, Workload]:
    """All registered workloads (importing their modules on first call); WorkloadImportError if one
    of MODULES cannot be imported (any exception while importing it)."""
    for name in MODULES:
        try:
            importlib.import_module(f"{__package__}.{name}")
        except Exception as exc:
            raise WorkloadImportError(
                name, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
            ) from exc
    return WORKLOADS
