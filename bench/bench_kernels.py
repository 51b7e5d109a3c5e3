"""Benchmarks of the Monte Carlo workloads of ``computesim bench``, every backend against its
reference, at small sizes (CI runs them with --benchmark-disable, once each, checked). Workloads
whose kernels have not landed are skipped. The sweep workloads are in bench_sweep.py."""

from __future__ import annotations

import pytest

CASES = [
    ("point estimate (10^4 samples)", 10**4),
    ("monte carlo quantiles", 10**5),
    ("bands", 10**5),
    ("monte carlo mixed vs numpy.random", 10**5),
]


def _params():
    from computesim.benchmarks import workloads

    out = []
    for name, size in CASES:
        w = workloads().get(name)
        for backend in w.backends if w else ("reference",):
            out.append(pytest.param(name, backend, size, id=f"{name}-{backend}"))
    return out


@pytest.mark.parametrize("name, backend, size", _params())
def test_kernel_workload(run_workload, name, backend, size):
    run_workload(name, backend, size)
