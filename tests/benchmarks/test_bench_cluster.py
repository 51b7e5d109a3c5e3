"""The cluster bench rows (issue 15): they run, and their checks catch a wrong result."""

from __future__ import annotations

import pytest

pytest.importorskip("distributed")


def test_cluster_materialise_checks_rows():
    from computesim.benchmarks import workloads

    case = workloads()["cluster materialise"].build(4 * 10**4, "2 workers")
    try:
        path = case.run()
        case.check(path)
        parts = sorted(path.glob("part-*.parquet"))
        assert len(parts) > 1
        parts[-1].unlink()  # a part lost: the row count is short
        with pytest.raises(AssertionError):
            case.check(path)
    finally:
        case.close()


def test_cluster_reduce_equals_one_machine():
    from computesim.benchmarks import workloads

    case = workloads()["cluster reduced sweep"].build(10**6, "1 worker")
    try:
        got = case.run()
        case.check(got)
        bad = got.set_column(got.column_names.index("points"), "points", [[0] * got.num_rows])
        with pytest.raises(AssertionError):
            case.check(bad)
    finally:
        case.close()


def test_cluster_monte_carlo_equals_one_machine():
    import dataclasses

    from computesim.benchmarks import workloads

    case = workloads()["cluster monte carlo"].build(2 * 10**5, "2 workers")
    try:
        got = case.run()
        case.check(got)
        q = dict(got.quantiles)
        q[0.5] *= 1 + 1e-12  # one part in 10^12 off the median
        with pytest.raises(AssertionError):
            case.check(dataclasses.replace(got, quantiles=q))
    finally:
        case.close()


def test_shared_clusters_serve_every_case_and_close_at_the_end():
    """Inside ``cluster.shared()`` the cases of a backend use one cluster, a case's close leaves
    it running, and leaving the block closes it; outside, each case has its own."""
    from computesim.benchmarks import cluster, workloads

    w = workloads()["cluster reduced sweep"]
    with cluster.shared():
        a = w.build(10**4, "1 worker")
        client = cluster._SHARED["1 worker"]
        a.close()
        b = w.build(10**4, "1 worker")
        try:
            assert cluster._SHARED["1 worker"] is client and client.status == "running"
            b.check(b.run())
        finally:
            b.close()
        assert client.status == "running"
    assert cluster._SHARED is None and client.status == "closed"
