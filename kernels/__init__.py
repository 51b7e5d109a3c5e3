"""Hot loops behind one selector. Kernels know nothing of units, files or devices: only arrays.

Backends: ``reference`` (plain NumPy, the oracle and the benchmark baseline), ``numba`` (CPU,
parallel, fused) and ``cuda`` (numba-cuda kernels on CuPy arrays; runs under
``NUMBA_ENABLE_CUDASIM=1`` without a GPU). Each backend provides kernel *families*, one module per
family and backend, named ``<family>_<backend>.py`` in this package; every backend's module of a
family exposes the same functions with the same signatures and defaults (``protocols``: one
``typing.Protocol`` per family; the reference module is the oracle). Shared by all: the Monte Carlo
encoding (``encoding``), host-side plans and results (``host``) and lookup tables (``tables``);
by the Numba kernels, streaming stores (``stores``).

    be = get_backend("numba")
    be.sweep.materialize(...)    # family "sweep": grid sweeps
    be.mc.quantiles(...)         # family "mc": Monte Carlo sample -> product -> reduce

Nothing is imported or compiled until a family is first used.

Reproducibility contract (tested in tests/kernels/test_mc_kernels.py and test_kernel_properties.py):

- One backend, any thread count or chunking: every result is bit for bit the same for a seed (float
  sums run over fixed chunks combined in a fixed order; counts are integers).
- Across backends, pure arithmetic is bit for bit the same on every host: Philox words and
  uniforms, loguniform draws, lookup-table hits and their interpolation (the tables are built once
  by ``tables.accelerate`` and read by all), sweep products and counts. No kernel lets the
  compiler contract a multiply and an add into an FMA (Numba ``fastmath=False``; NumPy does not),
  except the numba backend's exp behind the sums of exp (the Monte Carlo mean), which are compared
  across backends within a relative 1e-12, not bit for bit (``mc_numba._exps``).
  Exception: on a real GPU, NVVM contracts into FMA by default and numba-cuda has no switch to
  stop it, so there table interpolation may differ by 1 ulp too (the CUDA simulator is exact).
- Across backends, draws through elementary functions (log, the log inside ``ndtri``) agree within
  ``mc_reference.draw_tolerance``: ``LIBM_ULPS`` (8) ulp, i.e. 8 eps (1 + |x|) in log units (plus the
  cancellation of a truncated normal near its truncation point), because NumPy's SIMD log/exp
  (AVX2/AVX-512, chosen per host) and the C library that Numba and CUDA call are not both correctly
  rounded: they differ in about 0.1% (log) and 5% (exp) of values by 1 ulp on AVX-512 hosts.
  Order statistics are 1-Lipschitz, so exact quantiles agree within the samples' bound; a count
  above a threshold can differ only by samples within that bound of it.
"""

from __future__ import annotations

import glob
import importlib
import logging
import os
import sys
from functools import cache
from types import ModuleType

from .errors import InputError

BACKENDS = ("reference", "numba", "cuda")
FAMILIES = ("sweep", "mc")
log = logging.getLogger("computesim.kernels")


class Backend:
    """A named backend; attribute ``<family>`` imports ``computesim.kernels.<family>_<name>`` lazily."""

    def __init__(self, name: str, reason: str = "") -> None:
        self.name = name
        self.reason = reason

    def __getattr__(self, family: str) -> ModuleType:
        if family not in FAMILIES:
            raise AttributeError(family)
        mod = importlib.import_module(f"{__name__}.{family}_{self.name}")
        setattr(self, family, mod)
        return mod

    def __repr__(self) -> str:
        return f"Backend({self.name!r})"


def _gpu_device_nodes() -> bool:
    """Whether a GPU driver's device node exists (Linux: /dev/nvidia0.., WSL: /dev/dxg); True
    elsewhere, where only numba.cuda itself can tell."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(glob.glob("/dev/nvidia[0-9]*")) or os.path.exists("/dev/dxg")


def cuda_status() -> tuple[bool, str]:
    """(usable, why): a real GPU with numba-cuda and CuPy, or the CUDA simulator."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        try:
            from numba import cuda
        except ImportError as exc:  # pragma: no cover
            return False, f"numba.cuda unavailable: {exc}"
        return True, "NUMBA_ENABLE_CUDASIM=1 (CUDA simulator, small launches only)"
    if not _gpu_device_nodes():  # no driver device: skip importing numba.cuda (0.3-0.7 s)
        return False, "no CUDA GPU found (no /dev/nvidia* or /dev/dxg device)"
    try:
        from numba import cuda
    except ImportError as exc:
        return False, f"numba-cuda is not installed ({exc}); pip install 'computesim[cuda]'"
    try:
        ok = cuda.is_available()
    except Exception as exc:  # driver errors surface here
        return False, f"no usable CUDA driver: {exc}"
    if not ok:
        return False, "no CUDA GPU found"
    try:
        import cupy  # noqa: F401
    except ImportError as exc:
        return False, f"CuPy is not installed ({exc}); pip install 'computesim[cuda]'"
    return True, f"CUDA GPU: {cuda.get_current_device().name}"


@cache
def _numba_status() -> tuple[bool, str]:
    try:
        import numba
    except ImportError as exc:  # pragma: no cover - numba is a core dependency
        return False, f"numba is not installed ({exc})"
    return True, f"numba {numba.__version__} on {os.cpu_count()} CPU threads"


def available_backends() -> dict[str, str]:
    """Each usable backend with the reason it is usable."""
    out = {"reference": "NumPy"}
    for name, status in (("numba", _numba_status), ("cuda", cuda_status)):
        ok, why = status()
        if ok:
            out[name] = why
    return out


#: "auto" runs work of at most this many draws (Monte Carlo samples x variables) or grid points on
#: the NumPy reference: starting Numba and loading its cached kernels costs 0.5-1 s, the reference
#: does this much in about 0.1 s.
SMALL_WORK = 1 << 21


def get_backend(name: str = "auto", work: int | None = None) -> Backend:
    """The backend called ``name``; "auto" takes the NumPy reference for ``work`` up to SMALL_WORK,
    else cuda when a real GPU is usable, else numba.

    An unavailable backend is an InputError naming why, never a silent fallback.

    >>> get_backend("reference").name
    'reference'
    """
    if name == "auto":
        if work is not None and work <= SMALL_WORK:
            reason = f"NumPy: small work, {work:,} <= {SMALL_WORK:,} (no JIT start-up)"
            log.info("backend auto -> reference: %s", reason)
            return Backend("reference", reason)
        ok, why = cuda_status()
        if ok and os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
            choice, reason = "cuda", why
        else:
            choice, reason = "numba", f"{_numba_status()[1]} (cuda: {why})"
        log.info("backend auto -> %s: %s", choice, reason)
        return Backend(choice, reason)
    if name not in BACKENDS:
        raise InputError("backend", f"unknown backend {name!r}; choose auto, {', '.join(BACKENDS)}")
    if name == "reference":
        return Backend(name, "NumPy")
    ok, why = (_numba_status if name == "numba" else cuda_status)()
    if not ok:
        raise InputError("backend", f"{name} is not available: {why}")
    return Backend(name, why)
