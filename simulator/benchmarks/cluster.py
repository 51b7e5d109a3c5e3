"""Cluster workloads (issue 15): the same sweep on a local Dask cluster of 1 and 2 single-threaded
worker processes; the "2 workers" row's ratio is to the "1 worker" row measured in the same run.

* "cluster materialise": every point of a grid written as a Parquet dataset directory (one part
  per task), checked row by row (each flop the product of its axis columns) and by row count;
* "cluster reduced sweep": count at or above a threshold and three grid quantiles, checked equal to
  the one-machine run;
* "cluster monte carlo": one band of a 3-variable model (loguniform x triangular x PERT) drawn in
  sample ranges, checked equal (quantiles, mean, threshold probability) to the one-machine band.

The cluster is started in ``build`` (not timed) and closed with the case; inside ``shared()`` (a
suite run) one cluster per backend serves every cluster workload and is closed at the end: each
start and close costs 0.4-1.3 s here, 6 of them ~5 s of a ~85 s ``bench --quick``. Each case's
first call (checked, not in the figure) still comes first, and the Monte Carlo case still loads
the kernels on every worker before it. Without the ``dask`` extra the module registers nothing.
"""

from __future__ import annotations

import contextlib
import math
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from computesim.cluster import connect, dask_available
from computesim.core.units import SECONDS_PER_DAY
from computesim.sweeps.engine import sweep
from computesim.uncertainty.band import mc_band
from computesim.uncertainty.throughput import throughput_model

from .registry import Case, Workload, register

#: backend name -> local workers
WORKERS = {"1 worker": 1, "2 workers": 2}
QS = (0.05, 0.5, 0.95)
THRESHOLD = "1e22FLOP"


def axes(size: int) -> dict[str, str]:
    """A tflops x days x count grid of about ``size`` points (count: 4 values)."""
    side = max(1, round(math.sqrt(size / 4)))
    return {"tflops": f"1:1000:{side}log", "days": f"1:100:{side}log", "count": "1,2,4,8"}


#: backend -> client while ``shared()`` is active (None: each case starts and closes its own)
_SHARED: dict[str, Any] | None = None


@contextlib.contextmanager
def shared() -> Iterator[None]:
    """Within: one local cluster per backend, started by the first case that needs it, shared by
    the cases built later, closed on exit (not by the cases)."""
    global _SHARED
    outer, _SHARED = _SHARED, {}
    try:
        with contextlib.ExitStack() as stack:
            _SHARED["stack"] = stack
            yield
    finally:
        _SHARED = outer


def _cluster(backend: str) -> tuple[Any, contextlib.ExitStack]:
    """(client, what the case closes): its own cluster, or the shared one (then only its own
    temporary files go with it)."""
    stack = contextlib.ExitStack()
    if _SHARED is None:
        return stack.enter_context(connect(f"local:{WORKERS[backend]}")), stack
    if backend not in _SHARED:
        _SHARED[backend] = _SHARED["stack"].enter_context(connect(f"local:{WORKERS[backend]}"))
    return _SHARED[backend], stack


@contextlib.contextmanager
def _closed_on_error(stack: contextlib.ExitStack) -> Iterator[None]:
    """Close the cluster (``stack``) if setting up a case fails; the case closes it otherwise."""
    try:
        yield
    except BaseException:
        stack.close()
        raise


def _materialise(size: int, backend: str) -> Case:
    client, stack = _cluster(backend)
    with _closed_on_error(stack):
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="computesim-bench-")))
    out = folder / "grid.parquet"
    factors = axes(size)
    n = math.prod(int(v.split(":")[2][:-3]) for k, v in factors.items() if k != "count") * 4

    def run() -> Path:
        return sweep(factors, out=out, overwrite=True, backend="numba", client=client)

    def check(path: Path) -> None:
        import numpy as np
        import pyarrow.dataset as pads

        t = pads.dataset(path, format="parquet").to_table()
        assert t.num_rows == n, (t.num_rows, n)
        cols = ("tflop_per_s", "count", "days", "utilization")
        want = np.prod([t[c].to_numpy() for c in cols], axis=0) * 1e12 * SECONDS_PER_DAY
        assert np.allclose(t["flop"].to_numpy(), want, rtol=1e-12, atol=0)

    return Case(run, check, n, bytes_out=n * 48, close=stack.close)


def _reduced(size: int, backend: str) -> Case:
    client, stack = _cluster(backend)
    factors = axes(size)
    kw: dict[str, Any] = dict(threshold=THRESHOLD, quantiles=QS, backend="numba")
    kw["max_points"] = 10 * size
    with _closed_on_error(stack):
        want = sweep(factors, **kw)

    def run() -> Any:
        return sweep(factors, client=client, **kw)

    def check(got: Any) -> None:
        assert got.equals(want), "cluster reduce differs from the one-machine run"

    return Case(run, check, int(want["points"][0].as_py()), close=stack.close)


@lru_cache(maxsize=2)
def _one_machine_band(size: int, thresholds: tuple[float, ...]) -> Any:
    """The one-machine band the cluster's is checked equal to (once per size: ~1 s at 10^8)."""
    return mc_band(throughput_model(), size, seed=1, thresholds=thresholds, backend="numba")


def _monte_carlo(size: int, backend: str) -> Case:
    client, stack = _cluster(backend)
    model = throughput_model()
    thresholds = (1e23,)
    with _closed_on_error(stack):
        want = _one_machine_band(size, thresholds)
        mc_band(model, 1 << 20, client=client)  # every worker loads the kernels (not timed)

    def run() -> Any:
        return mc_band(model, size, seed=1, thresholds=thresholds, client=client)

    def check(got: Any) -> None:
        assert got.to_dict() == want.to_dict(), "cluster band differs from the one-machine band"

    return Case(run, check, size, close=stack.close)


def projection(
    workers: int,
    per_worker: float,
    items: float,
    task_items: float,
    overhead_s: float,
    bytes_per_item: float = 0.0,
    storage_bytes_per_s: float = math.inf,
) -> dict[str, Any]:
    """Projected wall time and throughput of ``items`` on ``workers`` workers (a model, not a run).

    Each worker does ``per_worker`` items/s; the work is split into tasks of ``task_items``; the
    scheduler spends ``overhead_s`` per task, one task at a time; written output
    (``bytes_per_item``) cannot leave faster than ``storage_bytes_per_s``. Seconds =
    max(compute, scheduler, storage), where compute counts whole rounds of tasks.

    >>> p = projection(100, 2.5e6, 1e10, 2.5e7, 3e-3, 3.9, 1e9)
    >>> round(p["seconds"]), p["limit"]
    (40, 'compute')
    """
    tasks = max(1, math.ceil(items / task_items))
    rounds = math.ceil(tasks / workers)
    times = {
        "compute": rounds * min(task_items, items) / per_worker,
        "scheduler": tasks * overhead_s,
        "storage": items * bytes_per_item / storage_bytes_per_s,
    }
    limit = max(times, key=lambda k: times[k])
    return {
        "workers": workers,
        "tasks": tasks,
        "seconds": times[limit],
        "items_per_s": items / times[limit],
        "limit": limit,
        "speedup_vs_one": items / per_worker / times[limit],
    } | {f"{k}_s": v for k, v in times.items()}


if dask_available():
    register(
        Workload(
            "cluster materialise",
            "rows/s",
            None,
            tuple(WORKERS),
            _materialise,
            {"quick": 4 * 10**6, "full": 4 * 10**7},
            scaling=4 * 10**7,
            reference_max=4 * 10**7,
            reference="1 worker",
            threaded=False,
            description="tflops x days x count grid written as a Parquet dataset directory by "
            "a local Dask cluster (one part per task); ratio: 2 workers / 1 worker",
        )
    )
    register(
        Workload(
            "cluster reduced sweep",
            "points/s",
            None,
            tuple(WORKERS),
            _reduced,
            {"quick": 10**9, "full": 10**10},
            scaling=10**10,
            reference_max=10**10,
            reference="1 worker",
            threaded=False,
            description="count >= 1e22 FLOP and 3 grid quantiles on a local Dask cluster; "
            "ratio: 2 workers / 1 worker",
        )
    )
    register(
        Workload(
            "cluster monte carlo",
            "samples/s",
            None,
            tuple(WORKERS),
            _monte_carlo,
            {"quick": 10**8, "full": 10**9},
            scaling=10**10,
            reference_max=10**10,
            reference="1 worker",
            threaded=False,
            description="one band (loguniform x triangular x PERT) drawn in sample ranges on a local "
            "Dask cluster, equal to the one-machine band; ratio: 2 workers / 1 worker",
        )
    )
