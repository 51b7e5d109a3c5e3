"""The GPU check (issue 14, item 7): on a lent device, one command, ``computesim bench
--gpu-check``, runs the CUDA tests on the real GPU, then the GPU benchmarks, and prints one table.

Rows (every one checked against the NumPy reference before it is timed):

Each row's size is cut to a quarter of the free device memory (``size_of``).

* "hbm write": a grid-stride fill of a float64 device array, bytes/s: the limit for the next row;
* "materialized sweep": the sweep kernel writing every point's flop, pfs-days, 4 axis columns and
  device code into device arrays (52 B/point), points/s and bytes written / the fill's bandwidth;
* "monte carlo samples": the mixed-family model (``montecarlo.MIXED``), log-samples written to a
  device array, samples/s, and their ratio to the Numba CPU kernel's rate in the same run.

Only numba-cuda is needed (device arrays and events; no CuPy). Under ``NUMBA_ENABLE_CUDASIM=1``
the same code runs in the simulator at tiny sizes (that is how it is tested without a GPU); the
kernel times there are wall-clock times of Python, meaningless as speeds, and the table says so.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from numba import cuda  # this module is imported for the GPU check only

SIZES = {"materialized sweep": 10**8, "monte carlo samples": 10**8, "hbm write": 1 << 30}
BYTES = {"materialized sweep": 52, "monte carlo samples": 8, "hbm write": 8}  #: per item
MEMORY_SHARE = 0.25  #: most of the free device memory one row's outputs may take
SIM_SIZE = 256  #: every row's size under the simulator
CHECK = 4096  #: points or samples compared with the reference, at each end
THREADS = 256
LAUNCHES = 3  #: back-to-back launches between two events (the launch overhead amortised)


def available() -> bool:
    """A GPU numba-cuda can use, or the simulator (no CUDA context is made)."""
    try:
        return bool(cuda.is_available())
    except Exception:  # a broken driver install: no device, as far as this check goes
        return False


def _failures() -> tuple[type[BaseException], ...]:
    from numba.cuda.cudadrv.driver import CudaAPIError

    return (AssertionError, CudaAPIError, subprocess.TimeoutExpired)


FAILURES = _failures()  #: what ``check`` may raise that the CLI reports as a failed check


def simulated() -> bool:
    """True under NUMBA_ENABLE_CUDASIM=1 (read at numba's import, as numba does)."""
    from numba import config

    return bool(getattr(config, "ENABLE_CUDASIM", False))


def device_name() -> str:
    """The GPU's name and memory, or the simulator's."""

    if simulated():
        return "CUDA simulator (no GPU)"
    dev = cuda.get_current_device()
    _free, total = cuda.current_context().get_memory_info()
    return (
        f"{dev.name.decode() if isinstance(dev.name, bytes) else dev.name}, {total / 2**30:.0f} GiB"
    )


def _launch(n: int) -> tuple[int, int]:
    if simulated():
        return 1, 32
    return min(65_535, max(1, math.ceil(n / THREADS))), THREADS


def size_of(workload: str) -> int:
    """The row's size: SIZES, cut to MEMORY_SHARE of the free device memory; SIM_SIZE in the
    simulator."""
    if simulated():
        return SIM_SIZE
    free, _total = cuda.current_context().get_memory_info()
    fit = int(free * MEMORY_SHARE) // BYTES[workload]
    return max(1000, min(SIZES[workload], 10 ** int(math.log10(fit)) if fit >= 10 else fit))


def _timed(fn, repeats: int) -> float:
    """Best of ``repeats`` timings of ``fn`` (a launch), seconds per launch: CUDA events around
    LAUNCHES back-to-back launches on a GPU, wall clock (after a synchronize) in the simulator."""
    best = math.inf
    for _ in range(repeats):
        if simulated():
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
            continue
        start, stop = cuda.event(), cuda.event()
        start.record()
        for _ in range(LAUNCHES):
            fn()
        stop.record()
        stop.synchronize()
        best = min(best, start.elapsed_time(stop) / 1e3 / LAUNCHES)
    return best


def _ends(n: int) -> np.ndarray:
    """Indices of the first and last CHECK items (the ones copied back and checked)."""
    return np.unique(np.r_[np.arange(min(n, CHECK)), np.arange(max(0, n - CHECK), n)])


def _host(dev, n: int) -> np.ndarray:
    """The first and last CHECK items of a device array (last axis), copied to the host."""
    if n <= 2 * CHECK:
        return dev.copy_to_host()
    return np.concatenate(
        [dev[..., :CHECK].copy_to_host(), dev[..., n - CHECK :].copy_to_host()], axis=-1
    )


@cuda.jit
def _fill(out, v):
    i = cuda.grid(1)  # type: ignore[call-arg,var-annotated]  # stub: the typing-time signature
    for j in range(i, out.shape[0], cuda.gridsize(1)):
        out[j] = v


def hbm_write(n: int, repeats: int) -> dict:
    """Device write bandwidth: a float64 fill of ``n`` elements (bytes/s)."""

    out = cuda.device_array(n, np.float64)
    blocks, threads = _launch(n)
    _fill[blocks, threads](out, 1.0)
    cuda.synchronize()
    if not np.all(_host(out, n) == 1.0):
        raise AssertionError("the fill kernel left values other than 1.0")
    t = _timed(lambda: _fill[blocks, threads](out, 2.0), repeats)
    return _row("hbm write", n, t, 8 * n / t, "B/s", bytes_out=8 * n)


def materialized(n: int, repeats: int) -> dict:
    """The bench's 4-D grid (``sweeps.grid``) materialised into device arrays; checked at CHECK
    points against the canonical product."""

    from computesim.core.units import PFS_DAY
    from computesim.kernels import sweep_cuda
    from computesim.kernels.host import flat

    from .sweeps import CONST, grid

    axes = grid(n)
    n = math.prod(len(a) for a in axes)
    values, offsets, sizes = (cuda.to_device(x) for x in flat(axes))
    out = [
        cuda.device_array(n),
        cuda.device_array(n),
        cuda.device_array((len(axes), n)),
        cuda.device_array(n, np.int32),
    ]
    blocks, threads = _launch(n)

    def run():
        sweep_cuda._materialize_k[blocks, threads](
            values, offsets, sizes, CONST, 0, *out, 0, PFS_DAY
        )

    run()
    cuda.synchronize()
    _check_materialized(axes, n, [_host(a, n) for a in out])
    t = _timed(run, repeats)
    written = sum(int(a.size) * a.dtype.itemsize for a in out)
    return _row("materialized sweep", n, t, n / t, "points/s", bytes_out=written)


def _check_materialized(axes, n: int, got: list[np.ndarray]) -> None:
    """Every column at the first and last CHECK points, exactly: flop the canonical product,
    pfs-days flop / PFS_DAY, the axis columns the axes' values, the code the device index."""
    from computesim.core.units import PFS_DAY

    from .sweeps import canonical

    at = _ends(n)
    flop, pfs, cols, codes = got
    idx = np.unravel_index(at, [len(a) for a in axes])
    if not np.array_equal(flop, canonical(axes, at)):
        raise AssertionError("materialized sweep on the GPU differs from the canonical product")
    if not np.array_equal(pfs, flop / PFS_DAY):
        raise AssertionError("materialized sweep on the GPU: pfs-days != flop / PFS_DAY")
    for a, ax in enumerate(axes):
        if not np.array_equal(cols[a], ax[idx[a]]):
            raise AssertionError(f"materialized sweep on the GPU: axis column {a}")
    if not np.array_equal(codes, idx[0]):
        raise AssertionError("materialized sweep on the GPU: device codes")


def monte_carlo(n: int, repeats: int) -> dict:
    """Log-samples of the mixed-family model into a device array; the first CHECK compared with
    the NumPy reference (the kernels' sample tolerance); ``cpu`` = the Numba CPU kernel's rate."""

    from computesim.kernels import mc_cuda, mc_numba, mc_reference, philox
    from computesim.kernels.tables import accelerate

    from .montecarlo import mixed_model

    fam, coef, par, tab, chol, const = mixed_model()
    par, tab, _ = accelerate(fam, par, tab, coef)
    args = [cuda.to_device(np.ascontiguousarray(x)) for x in (fam, coef, par, tab, chol)]
    ks = cuda.to_device(philox.round_keys(0))
    out = cuda.device_array(n)
    blocks, threads = _launch(n)

    def run():
        mc_cuda._sample_kernel[blocks, threads](ks, 0, n, *args, float(const), 0, out)

    run()
    cuda.synchronize()
    m = min(n, CHECK)
    want = mc_reference.sample_log(0, 0, m, fam, coef, par, tab, chol, const)
    got = out.copy_to_host()[:m]
    tol = mc_reference.sample_tolerance(0, 0, m, fam, coef, par, tab, const)
    if not np.all(np.abs(got - want) <= tol):
        raise AssertionError("monte carlo samples on the GPU differ from the reference")
    t = _timed(run, repeats)
    cpu_n = max(m, min(n, 10**7))
    mc_numba.sample_log(0, 0, cpu_n, fam, coef, par, tab, chol, const)  # compiled or loaded
    t0 = time.perf_counter()
    mc_numba.sample_log(0, 0, cpu_n, fam, coef, par, tab, chol, const)
    cpu = cpu_n / (time.perf_counter() - t0)
    row = _row("monte carlo samples", n, t, n / t, "samples/s", bytes_out=8 * n)
    row["vs_cpu"] = row["throughput"] / cpu
    return row


def _row(workload: str, size: int, seconds: float, throughput: float, unit: str, **kw) -> dict:
    return {
        "workload": workload,
        "size": size,
        "seconds": seconds,
        "throughput": throughput,
        "unit": unit,
        **kw,
    }


def benchmarks(repeats: int = 5) -> list[dict]:
    """The three rows (sizes SIZES, or SIM_SIZE in the simulator); the sweep's ``vs_limit`` =
    bytes written per second / the fill's bandwidth."""
    hbm = hbm_write(size_of("hbm write"), repeats)
    mat = materialized(size_of("materialized sweep"), repeats)
    mat["vs_limit"] = mat["bytes_out"] / mat["seconds"] / hbm["throughput"]
    return [hbm, mat, monte_carlo(size_of("monte carlo samples"), repeats)]


def tests_dir() -> Path | None:
    """The source checkout's tests/ (the CUDA tests are not installed with the package)."""
    here = Path(__file__).resolve().parents[2] / "tests"
    return here if (here / "kernels").is_dir() else None


def cuda_tests(where: Path | None = None, timeout: float = 1800) -> dict:
    """``pytest -m cuda`` on the source checkout's tests (or ``where``), on the real GPU (the
    simulator switched off for it), or on the simulator when that is what runs; pass/fail from
    pytest's exit code, its last line as the summary."""
    where = where or tests_dir()
    if where is None:
        return {"ran": False, "why": "no tests/ beside the package (run from a source checkout)"}
    env = dict(os.environ, NUMBA_CUDA_LOW_OCCUPANCY_WARNINGS="0")  # the tests' launches are tiny
    if not simulated():
        env.pop("NUMBA_ENABLE_CUDASIM", None)
        env["COMPUTESIM_TEST_CUDASIM"] = "0"
    cmd = [sys.executable, "-m", "pytest", "-q", "-m", "cuda", "-p", "no:randomly", str(where)]
    t0 = time.perf_counter()
    r = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=where.parent
    )
    tail = (r.stdout.strip().splitlines() or r.stderr.strip().splitlines() or ["no output"])[-1]
    return {
        "ran": True,
        "ok": r.returncode == 0,
        "summary": tail,
        "seconds": time.perf_counter() - t0,
    }


def table(report: dict) -> str:
    """One table of a ``check`` report: the device, the CUDA tests' result, then a line per
    benchmark row."""
    rows, device, tests = report["rows"], report["device"], report["tests"]
    if tests.get("ran"):
        t = f"{'passed' if tests['ok'] else 'FAILED'}: {tests['summary']}"
    else:
        t = f"not run: {tests.get('why', 'skipped')}"
    lines = [f"GPU check on {device}", f"CUDA tests: {t}"]
    lines.append(
        f"{'workload':<22}{'size':>12}{'throughput':>14}  {'unit':<10}{'vs limit':>9}{'vs cpu':>8}"
    )
    for r in rows:
        lim = f"{r['vs_limit']:.2f}" if "vs_limit" in r else "-"
        cpu = f"{r['vs_cpu']:.1f}" if "vs_cpu" in r else "-"
        lines.append(
            f"{r['workload']:<22}{r['size']:>12.3g}{r['throughput']:>14.4g}  {r['unit']:<10}"
            f"{lim:>9}{cpu:>8}"
        )
    if simulated():
        lines.append("(simulator: kernels run as Python; the speeds are not a GPU's)")
    return "\n".join(lines)


def check(run_tests: bool = True, repeats: int = 5) -> dict:
    """The whole check: {"device", "tests", "rows"} (``table`` prints it). The tests run first, in
    their own process, before this one makes a CUDA context (GPUs in exclusive-process mode)."""
    tests = cuda_tests() if run_tests else {"ran": False, "why": "--no-tests"}
    rows = benchmarks(repeats)
    return {"device": device_name(), "tests": tests, "rows": rows}
