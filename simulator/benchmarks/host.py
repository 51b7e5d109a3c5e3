"""The machine a benchmark ran on: CPU, cores, memory, GPU, load and library versions.

Recorded beside every result so that runs on different machines can be compared side by side.
Nothing here imports a heavy library: versions come from package metadata.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
from importlib import metadata

from computesim import __version__
from computesim.benchmarks.machine import cpu_flags, cpu_id, cpu_model, memory_bytes

LIBRARIES = (
    "numpy",
    "numba",
    "pyarrow",
    "numba-cuda",
    "cupy-cuda12x",
    "cupy",
    "tqdm",
    "matplotlib",
)


def gpu() -> tuple[str | None, float | None]:
    """(name, memory in GiB) of the first CUDA GPU, from nvidia-smi; (None, None) without one."""
    if not shutil.which("nvidia-smi"):
        return None, None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
        name, mib = out.splitlines()[0].rsplit(",", 1)
        return name.strip(), float(mib) / 1024
    except (subprocess.SubprocessError, OSError, ValueError, IndexError):
        return None, None


def versions() -> dict[str, str]:
    """Python and installed library versions (absent libraries are left out)."""
    out = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            pass
    try:
        out["computesim"] = __version__
    except ImportError:  # pragma: no cover
        pass
    return out


def machine_info() -> dict:
    """Everything recorded about this machine, as JSON-able scalars and one dict of versions."""
    name, gmem = gpu()
    mem_bytes = memory_bytes()
    mem = mem_bytes / 2**30 if mem_bytes else None
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "host": socket.gethostname(),
        "os": f"{platform.system()} {platform.release()}",
        "cpu_model": cpu_model(),
        "cpu_id": cpu_id(),
        "cpu_flags": cpu_flags(),
        "cpu_cores": os.cpu_count(),
        "memory_gib": round(mem, 1) if mem else None,
        "gpu_name": name,
        "gpu_memory_gib": round(gmem, 1) if gmem else None,
        "load_avg_1min": load,
        "versions": versions(),
    }
