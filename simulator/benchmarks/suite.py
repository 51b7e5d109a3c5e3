"""Run workloads over backends, sizes and thread counts; rows with ratios to the reference and to
the machine's limits measured in the same run; rows as a pyarrow Table, appended to a file."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from computesim.io.arrow import output_format, write_table

from . import limits
from .cluster import shared as shared_clusters
from .host import machine_info
from .registry import Workload, capped, sizes_for, workloads
from .runner import Timing, measure

if TYPE_CHECKING:
    import pyarrow as pa

TINY = 10**3  #: the largest size in "tiny" mode
LIMIT_UNITS = {"bandwidth": "bytes/s", "compute": "evaluations/s", "startup": "runs/s"}


#: Sizes, timing budget and limit probe sizes per mode. "tiny" is for tests: seconds, not figures.
class Mode(TypedDict):
    """Timing budget (seconds, repeats) and the limit probes' sizes (bytes, evaluations)."""

    min_time: float
    max_repeats: int
    #: a call whose first run took at least this long (s) is timed twice, not three times
    slow_s: float
    bw_bytes: int
    fused_n: int


MODES: dict[str, Mode] = {
    "quick": Mode(min_time=0.2, max_repeats=20, slow_s=0.5, bw_bytes=1 << 28, fused_n=1 << 28),
    "full": Mode(min_time=1.0, max_repeats=50, slow_s=1.0, bw_bytes=1 << 29, fused_n=1 << 31),
    "tiny": Mode(min_time=0.0, max_repeats=1, slow_s=1.0, bw_bytes=1 << 22, fused_n=1 << 20),
}


def all_threads() -> int:
    """Numba's thread count at start (NUMBA_NUM_THREADS, default all cores)."""
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]  # set at runtime


def _set_threads(n: int) -> None:
    import numba

    numba.set_num_threads(n)


def say(line: str, on: bool) -> None:
    """``line`` on stderr when ``on`` (``bench --timings``: where a run's seconds go)."""
    if on:
        print(f"bench: {line}", file=sys.stderr, flush=True)


class Limits:
    """The machine's limits per thread count, measured once each, on first need."""

    def __init__(self, mode: str, timings: bool = False) -> None:
        self.cfg = MODES[mode]
        self.values: dict[tuple[str, int], float] = {}
        self.timings = timings

    def get(self, kind: str | None, threads: int) -> float | None:
        if kind is None:
            return None
        key = (kind, 1 if kind == "startup" else threads)
        if key not in self.values:
            t0 = time.perf_counter()
            _set_threads(key[1])
            if kind == "bandwidth":
                self.values[key] = limits.write_bandwidth(self.cfg["bw_bytes"])
            elif kind == "compute":
                self.values[key] = limits.fused_rate(self.cfg["fused_n"])
            else:
                self.values[key] = limits.startup_rate()
            say(f"limit {kind} ({key[1]} thr): {time.perf_counter() - t0:.2f} s", self.timings)
        return self.values[key]


def _vs_limit(
    w: Workload, throughput: float, bytes_per_item: float, limit: float | None
) -> float | None:
    if limit is None:
        return None
    if w.limit == "bandwidth":
        return throughput * bytes_per_item / limit
    return throughput / limit


def _row(
    w: Workload, backend: str, size: int, threads: int, t: Timing, items: int, nbytes: int
) -> dict:
    return {
        "workload": w.name,
        "backend": backend,
        "size": size,
        "threads": threads,
        "throughput": items / (t.median if w.statistic == "median" else t.best),
        "unit": w.unit,
        "seconds": t.median,
        "best_seconds": t.best,
        "first_seconds": t.first,
        "repeats": t.repeats * t.number,
        "bytes_per_item": nbytes / items,
        "limit": w.limit,
    }


def _time(
    w: Workload, backend: str, size: int, cfg: Mode, timings: bool = False
) -> tuple[Timing, int, int]:
    t0 = time.perf_counter()
    case = w.build(size, backend)
    t1 = time.perf_counter()
    most = min(cfg["max_repeats"], w.max_repeats or cfg["max_repeats"])
    try:
        t = measure(
            case,
            cfg["min_time"],
            most,
            min_repeats=min(w.min_repeats or 3, most),
            slow_s=cfg["slow_s"],
        )
    finally:
        t2 = time.perf_counter()
        case.close()
    t3 = time.perf_counter()
    say(
        f"{w.name} / {backend} / {size:.0e} / {t.repeats * t.number} calls: {t3 - t0:.2f} s "
        f"(build {t1 - t0:.2f}, first call {t.first:.2f}, check+timed {t2 - t1 - t.first:.2f}, "
        f"close {t3 - t2:.2f})",
        timings,
    )
    return t, case.items, case.bytes_out


def _backends(w: Workload, wanted: Iterable[str] | None) -> list[str]:
    own = [b for b in w.backends if b != w.reference]
    if wanted is not None:
        own = [b for b in own if b in wanted or b not in ("numba", "cuda")]
    if w.reference in w.backends:
        own.append(w.reference)
    return own


def _jobs(
    ws: list[Workload], mode: str, sizes: dict | None, backends, threads: list[int]
) -> Iterator[tuple]:
    for w in ws:
        default = sizes_for(w, mode)
        if mode == "tiny":
            default = [min(default[0], TINY)]
        seen: set[int] = set()
        for size in (sizes or {}).get(w.name, default):
            for backend in _backends(w, backends):
                ths = threads if w.threaded and backend not in ("reference",) else threads[-1:]
                at = size
                if backend == w.reference:  # timed once per size it runs at (reference_sizes)
                    at = min(size, w.reference_sizes.get(mode, size))
                    if at > w.reference_max or at in seen:
                        continue
                    seen.add(at)
                for th in ths:
                    yield w, backend, capped(at, backend), th


def run(
    mode: str = "quick",
    backends: Iterable[str] | None = None,
    threads: list[int] | None = None,
    only: Iterable[str] | None = None,
    sizes: dict[str, list[int]] | None = None,
    progress: bool = False,
    timings: bool = False,
) -> list[dict]:
    """Rows of results (see ``_row``), with ``vs_reference``, ``vs_limit`` and the machine, per job;
    ``timings``: one stderr line per job and per limit measured, with its wall seconds."""
    cfg = MODES[mode]
    ws = [
        w
        for w in workloads().values()
        if not only or any(o.lower() in w.name.lower() for o in only)
    ]
    threads = threads or [all_threads()]
    lims = Limits(mode, timings)
    jobs = list(_jobs(ws, mode, sizes, backends, threads))
    rows: list[dict] = []
    from tqdm import tqdm

    with shared_clusters():  # one local cluster per backend for all cluster workloads
        for w, backend, size, th in tqdm(
            jobs, disable=not progress, desc="bench", unit="job", file=sys.stderr
        ):
            _set_threads(th)
            t, items, nbytes = _time(w, backend, size, cfg, timings)
            rows.append(_row(w, backend, size, th, t, items, nbytes))
    _set_threads(all_threads())
    return finish(rows, ws, lims, mode)


def finish(rows: list[dict], ws: list[Workload], lims: Limits, mode: str) -> list[dict]:
    """Add ratios to the reference (same workload, size, threads or any threads) and to the limits."""
    by_name = {w.name: w for w in ws}
    ref: dict[str, dict[int, float]] = {}
    for r in rows:
        if r["backend"] == by_name[r["workload"]].reference:
            ref.setdefault(r["workload"], {})[r["size"]] = r["throughput"]
    machine = machine_info()
    stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    for r in rows:
        w = by_name[r["workload"]]
        ref_size = _reference_size(ref.get(r["workload"], {}), r["size"])
        base = ref.get(r["workload"], {}).get(ref_size) if ref_size is not None else None
        own = r["backend"] == w.reference
        r["vs_reference"] = r["throughput"] / base if base and not own else None
        r["reference_size"] = ref_size if base and not own else None
        limit = lims.get(w.limit, r["threads"])
        r["limit_value"] = limit
        r["limit_unit"] = LIMIT_UNITS.get(w.limit) if w.limit else None
        r["vs_limit"] = _vs_limit(w, r["throughput"], r["bytes_per_item"], limit)
        r.update(
            mode=mode,
            date=stamp,
            **{k: v for k, v in machine.items() if k != "versions"},
            versions=json.dumps(machine["versions"], sort_keys=True),
        )
    return rows


def _reference_size(sizes: dict[int, float], size: int) -> int | None:
    """The reference run a row is compared with: the same size, else the largest smaller one (sizes the
    reference cannot reach, e.g. 10^10 grid points, are compared with its throughput at the largest
    size it ran; the row's ``reference_size`` says which)."""
    if size in sizes:
        return size
    below = [s for s in sizes if s <= size]
    return max(below) if below else None


def run_suite(mode: str = "quick", **kw) -> list[dict]:
    """The standard suite: every workload at its ``mode`` size, on every available backend."""
    return run(mode, **kw)


def scaling_sizes(w: Workload, largest: int | None = None) -> list[int]:
    """Powers of ten from 10^3 to the workload's scaling size (or ``largest``)."""
    top = min(w.scaling, largest) if largest else w.scaling
    out, s = [], 10**3
    while s <= top:
        out.append(s)
        s *= 10
    return out or [top]


def run_scaling(
    backends: Iterable[str] | None = None,
    only: Iterable[str] | None = None,
    largest: int | None = None,
    mode: str = "quick",
    progress: bool = False,
) -> list[dict]:
    """Throughput over sizes 10^3 .. the workload's scaling size, threads 1 and all."""
    ws = [
        w
        for w in workloads().values()
        if w.scaling > 1 and (not only or any(o.lower() in w.name.lower() for o in only))
    ]
    if not ws:  # nothing selected: an empty ``only`` below would mean every workload
        return []
    sizes = {w.name: scaling_sizes(w, largest) for w in ws}
    threads = sorted({1, all_threads()})
    rows = run(mode, backends, threads, [w.name for w in ws], sizes, progress)
    for r in rows:
        r["mode"] = f"scaling-{mode}"
    return rows


COLUMNS = (
    "workload",
    "backend",
    "size",
    "threads",
    "throughput",
    "unit",
    "vs_reference",
    "reference_size",
    "vs_limit",
    "seconds",
    "best_seconds",
    "first_seconds",
    "repeats",
    "bytes_per_item",
    "limit",
    "limit_value",
    "limit_unit",
    "mode",
    "date",
    "host",
    "os",
    "cpu_model",
    "cpu_id",
    "cpu_flags",
    "cpu_cores",
    "memory_gib",
    "gpu_name",
    "gpu_memory_gib",
    "load_avg_1min",
    "versions",
)


def schema():
    """The Arrow schema of result rows."""
    import pyarrow as pa

    f64, i64, s = pa.float64(), pa.int64(), pa.string()
    types = {"size": i64, "threads": i64, "repeats": i64, "cpu_cores": i64, "reference_size": i64}
    for c in (
        "throughput",
        "vs_reference",
        "vs_limit",
        "seconds",
        "best_seconds",
        "first_seconds",
        "bytes_per_item",
        "limit_value",
        "memory_gib",
        "gpu_memory_gib",
        "load_avg_1min",
    ):
        types[c] = f64
    return pa.schema([(c, types.get(c, s)) for c in COLUMNS])


def to_table(rows: list[dict]):
    """Rows as a pyarrow Table with ``schema()``."""
    import pyarrow as pa

    return pa.Table.from_pylist([{c: r.get(c) for c in COLUMNS} for r in rows], schema=schema())


def read_results(path: str | Path) -> pa.Table:
    """A results file (.arrow or .parquet) as a Table."""
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    if output_format(path) == "parquet":
        return pq.read_table(path)
    with ipc.open_file(str(path)) as f:
        return f.read_all()


def conform(table: pa.Table) -> pa.Table:
    """``table`` with exactly COLUMNS and ``schema()``: columns an older version did not write (e.g.
    ``cpu_flags``) are added as nulls, so old results files can still be appended to and compared."""
    import pyarrow as pa

    n = table.num_rows
    cols = [
        table[c] if c in table.column_names else pa.nulls(n, f.type)
        for c, f in zip(COLUMNS, schema(), strict=True)
    ]
    return pa.Table.from_arrays(cols, names=list(COLUMNS)).cast(schema())


def append(rows: list[dict], path) -> int:
    """Append rows to the results file at ``path`` (created if absent), atomically; total rows."""
    import pyarrow as pa

    table = to_table(rows)
    if os.path.exists(path):
        old = conform(read_results(path))
        table = pa.concat_tables([old, table])
    write_table(table, path, {"kind": "bench_results"}, overwrite=True)
    return table.num_rows
