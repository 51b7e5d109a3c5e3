"""The cluster layer: scheduler text, index ranges, tasks mapped in order on one thread each."""

from __future__ import annotations

import itertools
import os

import pytest

from computesim.cluster import connect, map_ranges, parse_scheduler, split_range
from computesim.cluster.client import DASK_MISSING
from computesim.errors import InputError


@pytest.mark.parametrize("n,parts", [(0, 3), (1, 3), (10, 1), (10, 3), (10, 7), (7, 7), (1000, 64)])
def test_split_range_covers_in_order(n, parts):
    ranges = split_range(n, parts)
    assert ranges[0][0] == 0 and ranges[-1][1] == n
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    sizes = [b - a for a, b in ranges]
    assert max(sizes) - min(sizes) <= 1
    assert len(ranges) == (min(parts, n) if n else 1)


@pytest.mark.parametrize(
    "bad",
    ["", "  ", "local:0", "local:-1", "local:two", None, "foo:bar", "tcp://", "inproc://x", "host"],
)
def test_bad_scheduler_is_one_input_error(bad):
    with pytest.raises(InputError, match=r"^scheduler: "):
        parse_scheduler(bad)


def test_scheduler_kinds():
    assert parse_scheduler("local") == ("local", None)
    assert parse_scheduler("LOCAL:3") == ("local", 3)
    for address in ("tcp://10.1.2.3:8786", "10.1.2.3:8786", "tls://sched.example.org:8786"):
        assert parse_scheduler(address) == ("address", None)


def test_without_dask_asking_for_a_cluster_is_one_error(monkeypatch):
    monkeypatch.setattr("computesim.cluster.client.dask_available", lambda: False)
    with pytest.raises(InputError) as err, connect("local:2"):
        pass
    assert str(err.value) == f"scheduler: {DASK_MISSING}"


def _task(start, stop, scale):
    import numba

    return [i * scale for i in range(start, stop)], numba.get_num_threads(), os.getpid()


def test_map_ranges_in_order_one_thread(dask_client):
    out = map_ranges(dask_client, _task, split_range(10, 7), 3)
    assert [x for part, _, _ in out for x in part] == [3 * i for i in range(10)]
    assert {threads for _, threads, _ in out} == {1}
    assert len({pid for _, _, pid in out}) <= 2 and os.getpid() not in {p for *_, p in out}


def test_connect_uses_a_client_as_is(dask_client):
    with connect(dask_client) as c:
        assert c is dask_client
    assert dask_client.status == "running"
