"""Streamed Arrow/Parquet output: chunked, atomic, bounded memory, readable by DuckDB."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import computesim
from computesim.errors import InputError
from computesim.io import arrow as arrow_io

CARD = dict(tflops="1.58,4.2", count="1,8,64", days="1:100:10log", utilization="0.2:0.5:4")


@pytest.mark.parametrize("ext", [".parquet", ".arrow"])
def test_streamed_file_equals_table_and_opens_in_duckdb(tmp_path, ext):
    duckdb = pytest.importorskip("duckdb")
    path = tmp_path / f"r{ext}"
    kw = dict(device="GTX 580", count="1,8,64", days="1:100:10log", utilization="0.2:0.5:4")
    got = computesim.sweep(**kw, out=path, chunk_points=16, backend="numba")
    assert got == path and path.exists()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind
    table = computesim.sweep(**kw, backend="reference")
    if ext == ".parquet":
        import pyarrow.parquet as pq

        assert pq.ParquetFile(path).metadata.num_row_groups > 1
        fn = f"read_parquet('{path}')"
    else:
        import pyarrow as pa

        assert pa.ipc.open_file(str(path)).num_record_batches > 1
        fn = None
    meta = arrow_io.read_metadata(path)
    assert meta["backend"] == "numba" and meta["points"] == 120 and meta["units"]["flop"] == "FLOP"
    assert meta["scenario"]["days"] == "1:100:10log"
    if fn:  # DuckDB reads Parquet natively, as a consumer would
        rows = duckdb.sql(
            f"select device, count(*), sum(flop), max(pfs_days) from {fn} group by device"
        ).fetchall()
        t = table.to_pydict()
        assert rows[0][0] == "GeForce GTX 580" and rows[0][1] == 120
        assert np.isclose(rows[0][2], sum(t["flop"]), rtol=1e-12)
        assert np.isclose(rows[0][3], max(t["pfs_days"]), rtol=1e-12)
    else:  # IPC via pyarrow dataset -> DuckDB arrow scan
        import pyarrow as pa

        back = pa.ipc.open_file(str(path)).read_all()
        con = duckdb.connect()
        con.register("t", back)
        n, s = con.execute("select count(*), sum(flop) from t").fetchone()
        assert n == 120 and np.isclose(s, sum(table["flop"].to_pylist()), rtol=1e-12)
        assert back.drop_columns([]).equals(table.replace_schema_metadata(back.schema.metadata))


def test_existing_output_needs_overwrite(tmp_path):
    path = tmp_path / "r.parquet"
    path.write_bytes(b"old")
    with pytest.raises(InputError, match="exists; pass `overwrite`"):
        computesim.sweep(**CARD, out=path)
    assert path.read_bytes() == b"old"
    computesim.sweep(**CARD, out=path, overwrite=True)
    assert arrow_io.read_metadata(path)["points"] == 240


@pytest.mark.parametrize(
    "name, msg", [("missing/r.parquet", "does not exist"), ("r.csv", "extension")]
)
def test_bad_output_path(tmp_path, name, msg):
    with pytest.raises(InputError, match=msg):
        computesim.sweep(**CARD, out=tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_directory(tmp_path):
    d = tmp_path / "ro"
    d.mkdir(mode=0o500)
    with pytest.raises(InputError, match="not writable"):
        computesim.sweep(**CARD, out=d / "r.parquet")


def test_interrupt_leaves_no_file(tmp_path, monkeypatch):
    from computesim.sweeps import engine as sweep_mod

    real = sweep_mod.materialize_batches

    def interrupted(*a, **k):
        for i, b in enumerate(real(*a, **k)):
            if i == 2:
                raise KeyboardInterrupt
            yield b

    monkeypatch.setattr(sweep_mod, "materialize_batches", interrupted)
    for ext in (".parquet", ".arrow"):
        with pytest.raises(KeyboardInterrupt):
            computesim.sweep(**CARD, out=tmp_path / f"r{ext}", chunk_points=8)
    assert list(tmp_path.iterdir()) == []


RSS_SCRIPT = textwrap.dedent("""
    import resource, sys
    import computesim
    import pyarrow.parquet as pq
    path, n_days = sys.argv[1], int(sys.argv[2])
    computesim.sweep(tflops="1:9:100", count="1:64:100", days=f"1:365:{n_days}log", utilization="0.2:0.5:20",
                     out=path, backend="numba", max_points=1e10)
    md = pq.ParquetFile(path).metadata
    def peak_rss():
        # VmHWM: this process's own peak. ru_maxrss would also count the pytest parent's peak, which
        # Linux carries over from the forked image into an exec'd child.
        try:
            with open("/proc/self/status") as f:
                return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))
        except (OSError, StopIteration):
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(md.num_rows, md.num_row_groups, peak_rss())
""")


def _rss_run(path, n_days):
    """Peak RSS of a streamed sweep in a fresh process. The same run first fills Numba's on-disk cache,
    so the measured process loads compiled kernels instead of compiling (LLVM's memory is not the
    sweep's)."""
    warm = path.with_name("warm-" + path.name)
    if not warm.exists() and not path.name.startswith("warm-"):
        _rss_run(
            warm, n_days
        )  # the same sweep: every kernel variant it uses is compiled and cached
        warm.unlink()
    r = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, str(path), str(n_days)],
        capture_output=True,
        text=True,
        timeout=3000,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return [int(x) for x in r.stdout.split()]


def test_streaming_memory_is_bounded(tmp_path):
    """2e7 points (1.04 GB if materialised: 6 float64 columns + flop/pfs) stream in ~50 MB chunks."""
    rows, groups, rss = _rss_run(tmp_path / "big.parquet", 100)
    assert rows == 100 * 100 * 100 * 20 and groups > 1
    assert rss < 700 * 2**20, f"peak RSS {rss / 2**20:.0f} MiB"


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("COMPUTESIM_SLOW"),
    reason="1e9 points, ~2 min and 15 GB of disk; set COMPUTESIM_SLOW=1",
)
def test_billion_points_under_1gib(tmp_path):
    rows, _groups, rss = _rss_run(tmp_path / "huge.parquet", 5000)
    assert rows == 10**9
    print(f"1e9-point sweep: peak RSS {rss / 2**20:.0f} MiB")
    assert rss < 2**30, f"peak RSS {rss / 2**20:.0f} MiB"
