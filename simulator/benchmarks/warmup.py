"""Compile every Numba kernel's common signatures once, so that the first real call (a sweep, an
estimate, ``computesim bench``) loads them from Numba's on-disk cache instead of compiling.

How: each bench workload that runs on a JIT backend (numba; cuda where usable) is run once, checked,
at sizes on both sides of the kernels' serial/threaded switch (``kernels.sweep_numba.SERIAL_MAX``,
``kernels.mc_numba.SMALL``), and the machine-limit loops are run once. The cache lives where Numba
keeps it (``__pycache__`` beside the kernels, or ``NUMBA_CACHE_DIR``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from .registry import capped, workloads

#: Sizes each workload runs at: below and above the serial/threaded switches (2^16).
SIZES = (1000, 1 << 17)
JIT_BACKENDS = ("numba", "cuda")


def _limits() -> float:
    from . import limits, machine

    t0 = time.perf_counter()
    limits.write_bandwidth(1 << 20, repeats=1)
    limits.fused_rate(1 << 16, repeats=1)
    machine.write_bandwidth(1 << 20, repeats=1)
    return time.perf_counter() - t0


def warm(backends: Iterable[str] = ("numba",), sizes: Iterable[int] = SIZES) -> list[dict]:
    """Run each JIT workload once per size (result checked); one dict per run: workload, backend,
    size, seconds (the first call: compile or cache load, and the run itself)."""
    rows = [{"workload": "machine limits", "backend": "numba", "size": None, "seconds": _limits()}]
    for w in workloads().values():
        for backend in (b for b in w.backends if b in JIT_BACKENDS and b in backends):
            for size in sorted({capped(s, backend) for s in sizes}):
                t0 = time.perf_counter()
                case = w.build(size, backend)
                try:
                    case.check(case.run())
                finally:
                    case.close()
                rows.append(
                    {
                        "workload": w.name,
                        "backend": backend,
                        "size": size,
                        "seconds": time.perf_counter() - t0,
                    }
                )
    return rows
