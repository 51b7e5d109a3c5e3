"""Sweeps on a Dask cluster (issue 15): every mode identical to the one-machine run at 1, 3 and 7
partitions; a Parquet dataset directory that pyarrow, Polars and DuckDB read; a killed worker
retried; a failed run leaving nothing behind. One module-scoped 2-worker LocalCluster."""

from __future__ import annotations

import functools
import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import computesim
from computesim.errors import InputError
from computesim.io import arrow as arrow_io
from computesim.sweeps import distributed
from computesim.sweeps.distributed import boxes, rows_part

GRID = {"device": "K40,K80,V100", "count": "1:64:7log", "days": "1:100:13log"}
UTIL = {"utilization": "0.2:0.5:3"}
PARTS = (1, 3, 7)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 5), (7,), (1, 1, 4), (4, 1, 3)])
def test_boxes_cover_the_range_in_order(shape):
    n = int(np.prod(shape))
    for a, b in itertools.combinations_with_replacement(range(n + 1), 2):
        got = boxes(a, b, shape)
        assert len(got) <= 2 * len(shape)
        flat = [
            int(np.ravel_multi_index(ix, shape))
            for box in got
            for ix in itertools.product(*(range(lo, hi) for lo, hi in box))
        ]
        assert flat == list(range(a, b))


@pytest.mark.parametrize("parts", PARTS)
def test_materialise_in_memory_is_the_one_machine_table(dask_client, parts):
    one = computesim.sweep(backend="reference", **GRID, **UTIL)
    got = computesim.sweep(backend="reference", client=dask_client, parts=parts, **GRID, **UTIL)
    assert got.equals(one) and got.schema.metadata == one.schema.metadata


@pytest.mark.parametrize("parts", PARTS)
def test_materialise_to_a_dataset_directory(dask_client, tmp_path, parts):
    import duckdb
    import polars as pl
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    one = computesim.sweep(backend="reference", **GRID, **UTIL)
    out = computesim.sweep(
        backend="reference",
        client=dask_client,
        parts=parts,
        out=f"{tmp_path}/g.parquet/",
        **GRID,
        **UTIL,
    )
    assert out == tmp_path / "g.parquet" and out.is_dir()
    names = sorted(os.listdir(out))
    assert names == [f"part-{i:05d}.parquet" for i in range(parts)]
    assert os.listdir(tmp_path) == ["g.parquet"]  # no temporary directory left beside it
    for name in names:
        part = pq.ParquetFile(out / name)
        assert part.schema_arrow.metadata == one.schema.metadata
        assert part.metadata.row_group(0).column(0).compression == "ZSTD"
    assert ds.dataset(out).to_table().equals(one)
    want = one.to_pydict()
    assert pl.read_parquet(out / "*.parquet").to_dict(as_series=False) == want
    assert pl.scan_parquet(out).collect().to_dict(as_series=False) == want
    duck = duckdb.sql(f"select * from read_parquet('{out}/*.parquet')")
    assert dict(zip(duck.columns, map(list, zip(*duck.fetchall())))) == want
    assert arrow_io.read_metadata(out)["points"] == one.num_rows


def _reduce(**kw):
    return computesim.sweep(
        threshold="1e20FLOP", quantiles=[0, 0.05, 0.5, 0.93, 1], **GRID, **UTIL, **kw
    )


@pytest.mark.parametrize("parts", PARTS)
@pytest.mark.parametrize("group_by", [None, "device", "days"])
def test_reduce_is_the_one_machine_result(dask_client, parts, group_by):
    one = _reduce(backend="reference", group_by=group_by)
    got = _reduce(backend="reference", group_by=group_by, client=dask_client, parts=parts)
    assert got.equals(one) and got.schema.metadata == one.schema.metadata


def test_reduce_by_counting_rounds_on_numba(dask_client, monkeypatch):
    """Brackets gathered only once a handful of points wide: several counting rounds, exact."""
    monkeypatch.setattr(distributed, "GATHER", 0)
    monkeypatch.setattr(distributed, "GATHER_MIN", 3)
    one = _reduce(backend="numba", group_by="count")
    assert _reduce(backend="numba", group_by="count", client=dask_client, parts=3).equals(one)
    assert _reduce(backend="numba", client=dask_client, parts=7).equals(_reduce(backend="numba"))


@pytest.mark.parametrize("parts", PARTS)
def test_inverse_is_the_one_machine_table(dask_client, tmp_path, parts):
    import pyarrow.dataset as ds

    kw = {"device": "K40,K80", "count": "1:64:7log", "target": "1e21FLOP", "price_per_hour": 2.0}
    one = computesim.sweep(backend="reference", **kw)
    got = computesim.sweep(backend="reference", client=dask_client, parts=parts, **kw)
    assert got.equals(one) and got.schema.metadata == one.schema.metadata
    out = computesim.sweep(
        backend="reference", client=dask_client, parts=parts, out=tmp_path / "i.parquet", **kw
    )
    assert ds.dataset(out).to_table().equals(one)


@pytest.mark.parametrize("parts", PARTS)
def test_uncertain_axis_bands_are_the_one_machine_bands(dask_client, parts):
    kw = {**GRID, "utilization": "0.25 to 0.4", "method_error": "3x", "p_above": ["1e20FLOP"]}
    one = computesim.sweep(**kw)
    got = computesim.sweep(client=dask_client, parts=parts, **kw)
    assert "flop_p95" in got.column_names and got.equals(one)


def test_bad_cluster_settings_name_the_parameter(tmp_path):
    with pytest.raises(InputError, match=r"^client: local:N needs at least one worker"):
        computesim.sweep(**GRID, client="local:0")
    with pytest.raises(InputError, match=r"^parts: only used on a cluster"):
        computesim.sweep(**GRID, parts=3)
    with pytest.raises(InputError, match=r"^parts: must be a positive integer"):
        computesim.sweep(**GRID, client="local:2", parts=0)
    with pytest.raises(InputError, match=r"^out: .*ends in \.parquet"):
        computesim.sweep(**GRID, client="local:2", out=tmp_path / "g.arrow")
    (tmp_path / "g.parquet").mkdir()
    with pytest.raises(InputError, match=r"^out: .*exists; pass `overwrite`"):
        computesim.sweep(**GRID, client="local:2", out=tmp_path / "g.parquet")


def test_without_dask_a_cluster_is_one_error(monkeypatch):
    monkeypatch.setattr("computesim.cluster.client.dask_available", lambda: False)
    with pytest.raises(InputError, match=r"^client: needs Dask"):
        computesim.sweep(**GRID, client="local:2")


# ---- faults ------------------------------------------------------------------------------------


def _dies_once(start, stop, job, marker):
    """rows_part, but the worker process dies outright the first time a later range is run."""
    if start > 0 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return rows_part(start, stop, job)


def _fails(start, stop, job):
    if start > 0:
        raise RuntimeError("task failed")
    return rows_part(start, stop, job)


def _writes_nothing(start, stop, job):
    """A worker that writes its part where the client cannot see it (no shared storage)."""
    return stop - start


def _with_task(monkeypatch, task):
    monkeypatch.setattr(distributed, "rows", functools.partial(distributed.rows, task=task))


def test_a_killed_worker_is_retried_and_the_result_is_complete(dask_client, tmp_path, monkeypatch):
    import pyarrow.dataset as ds

    one = computesim.sweep(backend="reference", **GRID, **UTIL)
    marker = tmp_path / "died"
    _with_task(monkeypatch, functools.partial(_dies_once, marker=str(marker)))
    out = computesim.sweep(
        backend="reference", client=dask_client, parts=3, out=tmp_path / "g.parquet", **GRID, **UTIL
    )
    assert marker.exists()  # a worker did die
    assert ds.dataset(out).to_table().equals(one)
    assert sorted(os.listdir(tmp_path)) == ["died", "g.parquet"]


def test_parts_the_client_cannot_see_are_an_error_not_a_dataset(dask_client, tmp_path, monkeypatch):
    _with_task(monkeypatch, _writes_nothing)
    with pytest.raises(InputError, match=r"^out: part-00000.parquet is missing: .* share"):
        computesim.sweep(client=dask_client, parts=3, out=tmp_path / "g.parquet", **GRID)
    assert os.listdir(tmp_path) == []


def test_a_failed_run_leaves_nothing_and_keeps_what_was_there(dask_client, tmp_path, monkeypatch):
    _with_task(monkeypatch, _fails)
    with pytest.raises(RuntimeError, match="task failed"):
        computesim.sweep(client=dask_client, parts=3, out=tmp_path / "g.parquet", **GRID)
    assert os.listdir(tmp_path) == []
    old = computesim.sweep(**GRID, out=tmp_path / "g.parquet")  # one file, to be replaced
    before = old.read_bytes()
    with pytest.raises(RuntimeError, match="task failed"):
        computesim.sweep(
            client=dask_client, parts=3, out=tmp_path / "g.parquet", overwrite=True, **GRID
        )
    assert os.listdir(tmp_path) == ["g.parquet"] and old.read_bytes() == before
    monkeypatch.undo()
    out = computesim.sweep(
        client=dask_client, parts=3, out=tmp_path / "g.parquet", overwrite=True, **GRID
    )
    assert out.is_dir() and os.listdir(tmp_path) == ["g.parquet"]


def test_a_dead_runs_temporary_directory_is_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], **_OUT)
    final = tmp_path / "g.parquet"
    stale = arrow_io.temp_name(final).name.replace(f".{os.getpid()}.", f".{dead.stdout.strip()}.")
    (tmp_path / stale).mkdir()
    (tmp_path / stale / "part-00000.parquet").write_bytes(b"partial")
    with arrow_io.atomic_directory(final) as tmp:
        assert tmp.is_dir() and not os.listdir(tmp)
        (tmp / "part-00000.parquet").write_bytes(b"x")
    assert os.listdir(tmp_path) == ["g.parquet"]


_OUT = {"capture_output": True, "text": True, "check": True}


@pytest.mark.parametrize("exists", [False, True])
def test_an_interrupted_directory_write_leaves_what_was_there(tmp_path, exists):
    final = tmp_path / "g.parquet"
    if exists:
        final.mkdir()
        (final / "part-00000.parquet").write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), arrow_io.atomic_directory(final, overwrite=True) as tmp:
        (tmp / "part-00000.parquet").write_bytes(b"new")
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == (["g.parquet"] if exists else [])
    if exists:
        assert (final / "part-00000.parquet").read_bytes() == b"old"
        with arrow_io.atomic_directory(final, overwrite=True) as tmp:
            (tmp / "part-00001.parquet").write_bytes(b"new")
        assert os.listdir(tmp_path) == ["g.parquet"]
        assert os.listdir(final) == ["part-00001.parquet"]


# ---- the command line --------------------------------------------------------------------------


def test_cli_with_and_without_a_scheduler_gives_the_same_outputs(
    cli, tmp_path, dask_client, monkeypatch
):
    """``--scheduler local:2`` is this module's cluster (connect("local:2"), started once)."""
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    from computesim.sweeps import engine

    real = engine.connect

    def connect(scheduler, field="scheduler"):
        assert scheduler == "local:2" and field == "client"
        return real(dask_client, field)

    monkeypatch.setattr(engine, "connect", connect)

    args = ["sweep", "--device", "K40,K80", "--count", "1:64:7log", "--days", "1:100:13log"]
    args += ["--no-progress"]
    red = [*args, "--quantiles", "0.05,0.5,0.95", "--group-by", "device", "--json"]
    one, two = cli(*red), cli(*red, "--scheduler", "local:2", "--parts", "3")
    assert one.code == two.code == 0 and json.loads(one.out) == json.loads(two.out)
    assert json.loads(two.out)["rows"][0]["q0.5_flop"] > 0
    assert cli(*args, "--out", tmp_path / "a.parquet").code == 0
    r = cli(*args, "--out", tmp_path / "b.parquet", "--scheduler", "local:2", "--parts", "3")
    assert r.code == 0 and "wrote 182 rows" in r.out
    assert (
        ds.dataset(tmp_path / "b.parquet").to_table().equals(pq.read_table(tmp_path / "a.parquet"))
    )


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--scheduler", "local:0"], "--scheduler: local:N needs at least one worker"),
        (["--scheduler", "local:2", "--parts", "0"], "--parts: must be a positive integer"),
        (["--parts", "2"], "--parts: only used on a cluster"),
    ],
)
def test_cli_cluster_errors_name_the_flag(cli, extra, message):
    r = cli("sweep", "--device", "K40", "--days", "1,2", *extra)
    assert r.code == 2 and len(r.err.splitlines()) == 1
    assert r.err.startswith(f"computesim: error: {message}")
