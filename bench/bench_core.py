"""Benchmarks of the estimator core owned by no kernel family: point-estimate latency, import time
and CLI start (cold JIT, then warm). Each asserts its result. Arrow and Parquet writes of a sweep
are in bench_sweep.py."""

from __future__ import annotations

import pytest


def test_point_estimate_exact(run_workload):
    got = run_workload("point estimate (exact)", "python", 10)
    assert len(got) == 10


def test_import_time(run_workload):
    run_workload("import computesim", "python")


@pytest.mark.parametrize("which", ["cold JIT", "warm cache"])
def test_cli_start(run_workload, which):
    run_workload(f"cli start ({which})", "python")
