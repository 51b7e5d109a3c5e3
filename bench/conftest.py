"""pytest-benchmark glue: time a registered workload of ``computesim.benchmarks`` (one definition of
each workload, shared with ``computesim bench``) and assert its result.

Each timed run (benchmarks enabled) is also recorded: throughput from the best round, its ratio to
the reference backend timed in the same session, and its share of the machine's limit (memory write
bandwidth for materialised output, measured once per session); extra_info carries them, and a
summary table is printed at the end of the session.
"""

from __future__ import annotations

import pytest

from computesim.benchmarks import workloads
from computesim.benchmarks.registry import capped, sizes_for

#: (workload, size) -> reference throughput; rows of the end-of-session summary.
_REFERENCE: dict[tuple[str, int], float] = {}
_ROWS: list[dict] = []
_LIMITS: dict[str, float] = {}


def _bandwidth() -> float:
    """Memory write bandwidth (bytes/s), measured on first need in this session."""
    if "bandwidth" not in _LIMITS:
        from computesim.benchmarks import limits

        _LIMITS["bandwidth"] = limits.write_bandwidth(1 << 28, repeats=5)
    return _LIMITS["bandwidth"]


def _record(benchmark, w, backend: str, size: int, case) -> None:
    if not benchmark.stats:  # --benchmark-disable: checked, not timed
        return
    rate = case.items / benchmark.stats.stats.min
    info = {"points_per_s" if w.unit == "points/s" else "items_per_s": rate}
    if backend == w.reference:
        _REFERENCE[(w.name, size)] = rate
    elif (w.name, size) in _REFERENCE:
        info["ratio_to_reference"] = rate / _REFERENCE[(w.name, size)]
    if w.limit == "bandwidth" and case.bytes_out:
        info["bytes_per_s"] = case.bytes_out / benchmark.stats.stats.min
        info["write_bandwidth"] = _bandwidth()
        info["fraction_of_write_bandwidth"] = info["bytes_per_s"] / info["write_bandwidth"]
    benchmark.extra_info.update(info)
    _ROWS.append(
        {"workload": w.name, "backend": backend, "items": case.items, "unit": w.unit, **info}
    )


def _run(benchmark, name: str, backend: str, size: int | None = None):
    w = workloads().get(name)
    if w is None:
        pytest.skip(f"workload {name!r} is not registered (its kernels have not landed)")
    size = capped(size or sizes_for(w, "quick")[0], backend)
    case = w.build(size, backend)
    try:
        benchmark.extra_info.update(workload=name, backend=backend, items=case.items, unit=w.unit)
        result = benchmark(case.run)
        case.check(result)
        _record(benchmark, w, backend, size, case)
    finally:
        case.close()
    return result


@pytest.fixture
def run_workload(benchmark):
    """``run_workload(name, backend, size=None)``: benchmark the workload, check its result."""
    return lambda name, backend, size=None: _run(benchmark, name, backend, size)


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.3g}"


def pytest_terminal_summary(terminalreporter) -> None:
    """The timed workloads: throughput, ratio to the reference, share of the write bandwidth."""
    if not _ROWS:
        return
    from computesim.benchmarks import machine

    tr = terminalreporter
    tr.section("computesim workloads (best round)")
    tr.write_line(
        f"{'workload':<24} {'backend':<10} {'items':>9} {'throughput':>11} {'unit':<9} "
        f"{'vs ref':>7} {'of bw':>6}"
    )
    for r in _ROWS:
        tr.write_line(
            f"{r['workload']:<24} {r['backend']:<10} {r['items']:>9.3g} "
            f"{r.get('points_per_s', r.get('items_per_s')):>11.4g} {r['unit']:<9} "
            f"{_fmt(r.get('ratio_to_reference')):>7} {_fmt(r.get('fraction_of_write_bandwidth')):>6}"
        )
    if "bandwidth" in _LIMITS:
        tr.write_line(
            f"write bandwidth (max of Numba store loop, memset; 256 MiB): {_LIMITS['bandwidth'] / 1e9:.1f} GB/s"
        )
    tr.write_line(f"machine: {machine.describe()}")
