"""The GPU check (issue 14, item 7): on a lent device, one command, ``computesim bench
--gpu-check``, runs the CUDA tests on the real GPU, then the GPU benchmarks, and prints one table.

Rows (every one checked against the NumPy reference before it is timed):

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
SIM_SIZE = 256  #: every row's size under the simulator
CHECK = 4096  #: points or samples compared with the reference
THREADS = 256


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


def _timed(fn, repeats: int) -> float:
    """Best of ``repeats`` runs of ``fn`` (a launch), seconds: CUDA events on a GPU, wall clock
    (after a synchronize) in the simulator."""

    best = math.inf
    for _ in range(repeats):
        if simulated():
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
            continue
        start, stop = cuda.event(), cuda.event()
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        best = min(best, start.elapsed_time(stop) / 1e3)
    return best


@cuda.jit
def _fill(out, v):
    i = cuda.grid(1)  # type: ignore[call-arg,var-annotated]  # stub: the typing-time signature
    for j in range(i, out.shape[0], cuda.gridsize(1)):
        out[j] = v


def hbm_write(n: int, repeats: int) -> dict:
    """Device write bandwidth: a float64 fill of ``n`` elements (bytes/s)."""

    fill = _fill
    out = cuda.device_array(n, np.float64)
    blocks, threads = _launch(n)
    fill[blocks, threads](out, 1.0)
    cuda.synchronize()
    got = out.copy_to_host()
    if not np.all(got == 1.0):
        raise AssertionError("the fill kernel left values other than 1.0")
    t = _timed(lambda: fill[blocks, threads](out, 2.0), repeats)
    return _row("hbm write", n, t, 8 * n / t, "B/s", bytes_out=8 * n)


def materialized(n: int, repeats: int) -> dict:
    """The bench's 4-D grid (``sweeps.grid``) materialised into device arrays; checked at CHECK
    points against the canonical product."""

    from computesim.core.units import PFS_DAY
    from computesim.kernels import sweep_cuda
    from computesim.kernels.host import flat

    from .sweeps import CONST, canonical, grid

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
    at = np.unique(np.linspace(0, n - 1, CHECK).astype(np.int64))
    flop = out[0].copy_to_host()[at]
    if not np.allclose(flop, canonical(axes, at), rtol=1e-12, atol=0):
        raise AssertionError("materialized sweep on the GPU differs from the canonical product")
    t = _timed(run, repeats)
    written = sum(int(a.size) * a.dtype.itemsize for a in out)
    return _row("materialized sweep", n, t, n / t, "points/s", bytes_out=written)


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
    size = (lambda w: SIM_SIZE) if simulated() else SIZES.__getitem__
    hbm = hbm_write(size("hbm write"), repeats)
    mat = materialized(size("materialized sweep"), repeats)
    mat["vs_limit"] = mat["bytes_out"] / mat["seconds"] / hbm["throughput"]
    return [hbm, mat, monte_carlo(size("monte carlo samples"), repeats)]


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
    env = dict(os.environ)
    if not simulated():
        env.pop("NUMBA_ENABLE_CUDASIM", None)
        env["COMPUTESIM_TEST_CUDASIM"] = "0"
    cmd = [sys.executable, "-m", "pytest", "-q", "-m", "cuda", "-p", "no:randomly", str(where)]
    t0 = time.perf_counter()
    r = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=where.parent
    )
    tail = (r.stdout.strip().splitlines() or [""])[-1]
    return {
        "ran": True,
        "ok": r.returncode == 0,
        "summary": tail,
        "seconds": time.perf_counter() - t0,
    }


def table(rows: list[dict], device: str, tests: dict) -> str:
    """One table: the device, the CUDA tests' result, then a line per benchmark row."""
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


def check(run_tests: bool = True, repeats: int = 5) -> tuple[str, list[dict], dict]:
    """The whole check: (printed table, benchmark rows, test result)."""
    tests = cuda_tests() if run_tests else {"ran": False, "why": "--no-tests"}
    rows = benchmarks(repeats)
    return table(rows, device_name(), tests), rows, tests
