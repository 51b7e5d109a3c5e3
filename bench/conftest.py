"""pytest-benchmark glue: time a registered workload of ``computesim.benchmarks`` (one definition of
each workload, shared with ``computesim bench``) and assert its result."""
from __future__ import annotations

import pytest

from computesim.benchmarks import workloads


def _run(benchmark, name: str, backend: str, size: int | None = None):
    w = workloads().get(name)
    if w is None:
        pytest.skip(f"workload {name!r} is not registered (its kernels have not landed)")
    case = w.build(size or w.sizes["quick"], backend)
    try:
        benchmark.extra_info.update(workload=name, backend=backend, items=case.items, unit=w.unit)
        result = benchmark(case.run)
        case.check(result)
    finally:
        case.close()
    return result


@pytest.fixture
def run_workload(benchmark):
    """``run_workload(name, backend, size=None)``: benchmark the workload, check its result."""
    return lambda name, backend, size=None: _run(benchmark, name, backend, size)
