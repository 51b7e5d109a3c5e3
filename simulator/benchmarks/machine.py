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

#: Instruction-set flags recorded with every bench row (those that change which code the kernels,
#: NumPy's SIMD loops and LLVM can use), in this order, from /proc/cpuinfo's ``flags``.
ISA_FLAGS = (
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "bmi2",
    "avx512f",
    "avx512dq",
    "avx512cd",
    "avx512bw",
    "avx512vl",
    "avx512ifma",
    "avx512vbmi",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "amx_tile",
    "asimd",
    "sve",
    "sve2",
)


def _cpuinfo(path: str = "/proc/cpuinfo") -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo (``{}`` where there is none)."""
    out: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    if out:
                        break
                    continue
                key, _, value = line.partition(":")
                out.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return out


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux, else platform)."""
    name = _cpuinfo().get("model name")
    return name or platform.processor() or platform.machine()


def cpu_id(info: dict[str, str] | None = None) -> str | None:
    """Vendor, family and model as ``"GenuineIntel family 6 model 207"`` (x86 /proc/cpuinfo), or
    None where the file does not say (other systems, other architectures)."""
    info = _cpuinfo() if info is None else info
    if "cpu family" not in info or "model" not in info:
        return None
    vendor = info.get("vendor_id", "")
    return f"{vendor} family {info['cpu family']} model {info['model']}".strip()


def cpu_flags(info: dict[str, str] | None = None) -> str:
    """The ISA_FLAGS this CPU has, space-separated in ISA_FLAGS order ("" where unknown).

    >>> cpu_flags({"flags": "fpu sse4_2 avx2 avx avx512f"})
    'sse4_2 avx avx2 avx512f'
    """
    info = _cpuinfo() if info is None else info
    have = set((info.get("flags") or info.get("Features") or "").split())
    return " ".join(f for f in ISA_FLAGS if f in have)


def memory_bytes() -> int | None:
    """Total physical memory in bytes, or None if unknown."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def describe() -> dict:
    """CPU model, id and ISA flags, logical cores, Numba threads, total memory (GiB), platform."""
    import numba

    mem = memory_bytes()
    return {
        "cpu": cpu_model(),
        "cpu_id": cpu_id(),
        "cpu_flags": cpu_flags(),
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


@lru_cache(maxsize=1)
def _stream_fill_kernel():
    import numpy as np
    from numba import njit, prange

    from computesim.kernels import stores

    @njit(parallel=True, cache=True)
    def stream_fill(a, v):
        """a[:] = v by streaming stores (``kernels.stores``): whole 64-byte lines by one vector
        store each, single stores only for a partial line at either end; blocks of about 2**16
        items cut at line starts, each fenced."""
        n, width = a.shape[0], stores.LINE // a.itemsize
        mis = np.int64(a.ctypes.data % stores.LINE) // a.itemsize
        line = np.full(width, v, a.dtype)
        for b in prange((n + (1 << 16) - 1) >> 16):
            lo = np.int64(b) << 16  # the parfor index is unsigned: int64 arithmetic from here
            hi = min(n, lo + (1 << 16))
            lo, hi = stores.line_start(lo, n, width, mis), stores.line_start(hi, n, width, mis)
            i = lo
            while i < hi and (mis + i) % width != 0:
                stores.stream(a, i, v)
                i += 1
            while i + width <= hi:
                stores.stream_line(a, i, line, 0)
                i += width
            while i < hi:
                stores.stream(a, i, v)
                i += 1
            stores.fence()

    return stream_fill


def best_time(fn, repeats: int) -> float:
    """Shortest wall time of ``repeats`` calls of ``fn``, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def write_bandwidth(n_bytes: int = 1 << 30, repeats: int = 5) -> dict:
    """Memory write bandwidth in bytes/s: {'numba_fill', 'numba_stream_fill', 'numpy_fill',
    'best', 'bytes'}: a parallel Numba store loop, the same by streaming stores of whole lines (no
    read of each line first; the kind the materialised sweep uses on large outputs) and
    ``ndarray.fill``.

    ``n_bytes`` should be far larger than the last-level cache (default 1 GiB).
    """
    import numpy as np

    a = np.empty(n_bytes // 8)
    a.fill(0.0)  # fault the pages in once, outside the timing
    fills = {
        "numba_fill": _fill_kernel(),
        "numba_stream_fill": _stream_fill_kernel(),
        "numpy_fill": lambda arr, v: arr.fill(v),
    }
    out: dict = {"bytes": a.nbytes}
    for i, (name, fill) in enumerate(fills.items()):
        value = float(i + 2)
        fill(a, 1.0)  # compiled, and every page written once, outside the timing
        out[name] = a.nbytes / best_time(lambda fill=fill, value=value: fill(a, value), repeats)
        if not np.all(a[:: max(1, len(a) // 1000)] == value):
            raise AssertionError(f"bandwidth {name} wrote the wrong value")
    out["best"] = max(out[name] for name in fills)
    return out
