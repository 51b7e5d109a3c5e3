"""The cluster projection (docs/distributed.md): each limit takes over where it should."""

from __future__ import annotations

import math

import pytest

from computesim.benchmarks.cluster import projection


def test_compute_bound_scales_with_workers_in_whole_rounds():
    one = projection(1, 1e6, 1e9, 1e7, 1e-3)
    hundred = projection(100, 1e6, 1e9, 1e7, 1e-3)
    assert one["seconds"] == pytest.approx(1000.0) and hundred["seconds"] == pytest.approx(10.0)
    assert projection(99, 1e6, 1e9, 1e7, 1e-3)["seconds"] == pytest.approx(20.0)  # 2 rounds
    assert hundred["limit"] == "compute" and hundred["speedup_vs_one"] == pytest.approx(100.0)


def test_tiny_tasks_are_scheduler_bound():
    p = projection(100, 1e6, 1e9, 1e3, 3e-3)
    assert p["limit"] == "scheduler" and p["tasks"] == 10**6
    assert p["seconds"] == pytest.approx(3000.0)


def test_slow_storage_caps_throughput():
    p = projection(100, 1e7, 1e10, 1e8, 1e-3, bytes_per_item=50.0, storage_bytes_per_s=1e9)
    assert p["limit"] == "storage" and p["items_per_s"] == pytest.approx(2e7)
    assert math.isfinite(p["speedup_vs_one"])
