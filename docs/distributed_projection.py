"""The projection table of docs/distributed.md: ``python docs/distributed_projection.py [--measure]``.

Without ``--measure`` it projects from the per-worker figures recorded below (measured on the host
named in RECORDED); with ``--measure`` it first measures them on this machine (a local cluster of 1
worker for each workload, and the scheduler's cost per task on 2 workers), then prints the same
table. The model is ``computesim.benchmarks.cluster.projection``.
"""

from __future__ import annotations

import sys
import time

from computesim.benchmarks.cluster import projection

#: per-worker throughput (items/s), the scheduler's cost per task (s), Parquet bytes per row:
#: measured 2026-12-01 on Intel(R) Xeon(R) Processor (avx2 avx512f), 2 cores, load about 2, by
#: ``computesim bench --only cluster`` at the full sizes (4e7 rows, 1e9 samples) and this script's
#: ``--measure`` overhead probe
RECORDED = {
    "host": "Intel(R) Xeon(R) Processor, avx2 avx512f, 2 cores",
    "materialise_rows_per_s": 5.35e6,
    "mc_samples_per_s": 7.8e7,
    "overhead_s_per_task": 3.6e-3,
    "parquet_bytes_per_row": 3.9,
}
STORAGE = 1e9  #: assumed shared-storage write bandwidth, bytes/s (a parallel NFS / Lustre share)

#: (what, items, per-worker key, task size, bytes per item)
CASES = (
    ("materialise 10^10 rows to Parquet", 1e10, "materialise_rows_per_s", 2.5e7, True),
    ("one band of 10^12 Monte Carlo samples", 1e12, "mc_samples_per_s", 1e9, False),
    ("one band of 10^12 samples in 10^5-sample tasks", 1e12, "mc_samples_per_s", 1e5, False),
)


def _noop(a: int, b: int) -> int:
    return b - a


def measure() -> dict:
    """The RECORDED figures, measured here."""
    from computesim.benchmarks import workloads
    from computesim.cluster import connect, map_ranges, split_range

    got = {"host": "this machine"}
    for key, name, size in (
        ("materialise_rows_per_s", "cluster materialise", 4 * 10**7),
        ("mc_samples_per_s", "cluster monte carlo", 10**9),
    ):
        case = workloads()[name].build(size, "1 worker")
        try:
            case.check(case.run())
            t = time.perf_counter()
            case.run()
            got[key] = case.items / (time.perf_counter() - t)
        finally:
            case.close()
    with connect("local:2") as client:
        map_ranges(client, _noop, split_range(100, 100))
        t = time.perf_counter()
        map_ranges(client, _noop, split_range(1000, 1000))
        got["overhead_s_per_task"] = (time.perf_counter() - t) / 1000
    got["parquet_bytes_per_row"] = RECORDED["parquet_bytes_per_row"]
    return got


def table(figures: dict, workers: tuple[int, ...] = (1, 2, 10, 100)) -> str:
    """The projection as a Markdown table."""
    lines = [
        "| work | workers | tasks | seconds | limit | speed-up over 1 worker |",
        "|---|---|---|---|---|---|",
    ]
    for what, items, key, task, writes in CASES:
        for n in workers:
            p = projection(
                n,
                figures[key],
                items,
                task,
                figures["overhead_s_per_task"],
                figures["parquet_bytes_per_row"] if writes else 0.0,
                STORAGE,
            )
            lines.append(
                f"| {what} | {n} | {p['tasks']} | {p['seconds']:.3g} | {p['limit']} | "
                f"{p['speedup_vs_one']:.3g} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    figs = measure() if "--measure" in sys.argv[1:] else RECORDED
    print({k: f"{v:.3g}" if isinstance(v, float) else v for k, v in figs.items()})
    print(table(figs))
