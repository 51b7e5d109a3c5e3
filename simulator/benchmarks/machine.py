"""This machine: CPU model, cores, memory, and its memory write bandwidth measured in-process.

The bandwidth is what the sweep kernels are judged against (bench/): a parallel Numba store loop
over a large preallocated array (the same kind of stores the kernels make), and NumPy's fill
(memset, which may use non-temporal stores), each best of a few runs, in bytes per second.
"""

from __future__ import annotations

import os
import platform
import time
from functools import lru_cache


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux, else platform)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_bytes() -> int | None:
    """Total physical memory in bytes, or None if unknown."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def describe() -> dict:
    """CPU model, logical cores, Numba threads, total memory (GiB), platform."""
    import numba

    mem = memory_bytes()
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "numba_threads": numba.get_num_threads(),
        "memory_gib": None if mem is None else round(mem / 2**30, 1),
        "platform": platform.platform(),
    }


@lru_cache(maxsize=1)
def _fill_kernel():
    from numba import njit, prange

    @njit(parallel=True, cache=True)
    def fill(a, v):
        for i in prange(a.shape[0]):
            a[i] = v

    return fill


def best_time(fn, repeats: int) -> float:
    """Shortest wall time of ``repeats`` calls of ``fn``, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def write_bandwidth(n_bytes: int = 1 << 30, repeats: int = 5) -> dict:
    """Memory write bandwidth in bytes/s: {'numba_fill', 'numpy_fill', 'best', 'bytes'}.

    ``n_bytes`` should be far larger than the last-level cache (default 1 GiB).
    """
    import numpy as np

    a = np.empty(n_bytes // 8)
    a.fill(0.0)  # fault the pages in once, outside the timing
    fill = _fill_kernel()
    fill(a, 1.0)
    t_numba = best_time(lambda: fill(a, 2.0), repeats)
    t_numpy = best_time(lambda: a.fill(3.0), repeats)
    if not np.all(a[:: max(1, len(a) // 1000)] == 3.0):
        raise AssertionError("bandwidth fill wrote the wrong value")
    out = {"bytes": a.nbytes, "numba_fill": a.nbytes / t_numba, "numpy_fill": a.nbytes / t_numpy}
    out["best"] = max(out["numba_fill"], out["numpy_fill"])
    return out
