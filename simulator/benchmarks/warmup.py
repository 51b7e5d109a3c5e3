"""Compile every Numba kernel's common signatures once, so that the first real call (a sweep, an
estimate, ``computesim bench``) loads them from Numba's on-disk cache instead of compiling.

How: the package's Python bytecode is written first (``__pycache__/*.pyc``: a wheel install has it,
an editable install where PYTHONDONTWRITEBYTECODE is set never gets it, and then every start
compiles the sources again, 0.1-0.25 s of each ``computesim`` command). Then each bench workload that runs on a JIT backend (numba; cuda where usable) is run once, checked,
at sizes on both sides of the kernels' serial/threaded switch (``kernels.sweep_numba.SERIAL_MAX``,
``kernels.mc_numba.SMALL``), and the machine-limit loops are run once. The cache lives where Numba
keeps it (``__pycache__`` beside the kernels, or ``NUMBA_CACHE_DIR``).
"""

from __future__ import annotations

import compileall
import time
from collections.abc import Iterable
from pathlib import Path

from .registry import capped, sizes_for, workloads

#: Sizes each workload runs at: below and above the serial/threaded switches (2^16), each at most
#: the workload's own ``bench --quick`` size (a size counts its own items: "bands (mixed
#: families)" counts rows of 10^4 samples, so 2^17 of them were 1.3e9 samples, ~56 s a warm-up for
#: no new signature: its kernel's types do not depend on the row count).
SIZES = (1000, 1 << 17)
JIT_BACKENDS = ("numba", "cuda")
#: Cluster workloads (the ``dask`` extra) run once on one local worker at the smallest size: the
#: worker compiles what its tasks call with the argument types they arrive with (unpickled arrays
#: are read-only: other signatures than in-process), which no in-process run puts in the cache. Not
#: warmed, the first ``bench --quick`` after a warm-up spent ~70 s of its ~150 s in two workers
#: compiling the Monte Carlo tasks at once (2026-12-02, Intel Xeon, 2 cores).
WORKER_BACKENDS = ("1 worker",)


def _sweeps() -> float:
    from computesim.kernels import sweep_numba

    t0 = time.perf_counter()
    sweep_numba.warm_split()
    sweep_numba.warm_stream()
    return time.perf_counter() - t0


def _limits() -> float:
    from . import limits, machine

    t0 = time.perf_counter()
    limits.write_bandwidth(1 << 20, repeats=1)
    limits.fused_rate(1 << 16, repeats=1)
    machine.write_bandwidth(1 << 20, repeats=1)
    return time.perf_counter() - t0


def package_dirs() -> list[Path]:
    """The source folders of computesim and of its two top-level parts (kernels, profiles), without
    one that lies inside another (a wheel install nests them; the source tree does not)."""
    import computesim
    import computesim.hardware_profiles
    import computesim.kernels

    dirs = sorted(
        {
            Path(p).resolve()
            for m in (computesim, computesim.kernels, computesim.hardware_profiles)
            for p in m.__path__
        }
    )
    return [d for d in dirs if not any(o != d and o in d.parents for o in dirs)]


def bytecode() -> dict:
    """Write the package's missing or stale ``.pyc`` files (what ``pip install`` does for a wheel;
    py_compile writes them even under PYTHONDONTWRITEBYTECODE). A folder that cannot be written
    (a system install) is left as it is: ``ok`` is then False. One step dict, as ``warm`` gives."""
    t0 = time.perf_counter()
    dirs = package_dirs()
    ok = all(
        [compileall.compile_dir(d, quiet=2) for d in dirs]
    )  # every folder, even after a failure
    files = sum(1 for d in dirs for _ in d.rglob("*.py"))
    return {
        "workload": "python bytecode",
        "backend": "python",
        "size": files,
        "seconds": time.perf_counter() - t0,
        "ok": bool(ok),
    }


def warm(backends: Iterable[str] = ("numba",), sizes: Iterable[int] = SIZES) -> list[dict]:
    """Run each JIT workload once per size (at most its quick size; result checked), each cluster
    workload once on one worker at the smallest; one dict per run: workload, backend, size, seconds
    (the first call: compile or cache load, and the run)."""
    rows = [
        bytecode(),
        {"workload": "machine limits", "backend": "numba", "size": None, "seconds": _limits()},
        {
            "workload": "sweep split, streaming",
            "backend": "numba",
            "size": None,
            "seconds": _sweeps(),
        },
    ]
    for w in workloads().values():
        for backend in (
            b for b in w.backends if (b in JIT_BACKENDS and b in backends) or b in WORKER_BACKENDS
        ):
            quick = max(sizes_for(w, "quick"))
            todo = {min(capped(s, backend), quick) for s in sizes}
            for size in sorted(todo)[:1] if backend in WORKER_BACKENDS else sorted(todo):
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
