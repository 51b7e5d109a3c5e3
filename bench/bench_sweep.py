"""Sweep benchmarks: materialised and reduced 4-D grids per backend, as points/s, as a ratio to the
NumPy reference timed in the same run, and against this machine's memory write bandwidth.

Run:  pytest bench/bench_sweep.py --benchmark-only -s     (figures in extra_info and printed)
CI:   pytest bench --benchmark-disable                      (small grids; every result still checked)
Every benchmark asserts its result against the reference.
"""
from __future__ import annotations

import os
import time

import numpy as np
import pytest

from computesim.kernels import available_backends, get_backend

SIM = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
CONST = 86400e12


@pytest.fixture(scope="module")
def full(request) -> bool:
    """Full-size grids only when timing (not with --benchmark-disable) and not in the CUDA simulator."""
    return not request.config.getoption("benchmark_disable", False)


def backend(name: str, full: bool):
    if name not in available_backends():
        pytest.skip(f"{name} backend unavailable")
    if name == "cuda" and SIM and full:
        pytest.skip("CUDA simulator: run with --benchmark-disable (small grids, results checked), not timed")
    return get_backend(name).sweep


def best(fn, repeats: int = 3) -> float:
    fn()
    t = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - t0)
    return t


def card_axes(full: bool):
    """devices x count x days x utilization, as in the issue's example."""
    if full:
        return [np.array([4.2, 8.5, 3.5]), np.arange(1.0, 65.0), np.geomspace(1, 365, 1000), np.linspace(0.2, 0.5, 100)]
    return [np.array([4.2, 8.5]), np.array([1.0, 8, 64]), np.geomspace(1, 100, 10), np.linspace(0.2, 0.5, 4)]


@pytest.fixture(scope="module")
def bandwidth(full):
    from computesim import machine

    bw = machine.write_bandwidth(1 << 30 if full else 1 << 24, repeats=5 if full else 1)
    print(f"\nmachine: {machine.describe()}\nwrite bandwidth: numba fill {bw['numba_fill'] / 1e9:.1f} GB/s, "
          f"numpy fill {bw['numpy_fill'] / 1e9:.1f} GB/s")
    return bw


def outputs(n: int, k: int):
    out = np.empty(n), np.empty(n), np.empty((k, n)), np.empty(n, np.int32)
    for a in out:
        a.fill(0)  # fault the pages in outside the timing
    return out


@pytest.mark.parametrize("name", ["reference", "numba", "cuda"])
def test_materialize(benchmark, bandwidth, full, name):
    be, ref = backend(name, full), get_backend("reference").sweep
    axes = card_axes(full)
    k, n = len(axes), int(np.prod([len(a) for a in axes]))
    out = outputs(n, k)
    benchmark.pedantic(be.materialize, args=(axes, CONST, 0, *out, 0), rounds=3, warmup_rounds=1)
    want = outputs(n, k)
    t_ref = best(lambda: ref.materialize(axes, CONST, 0, *want, 0), 2 if full else 1)
    for got, exp in zip(out, want):
        np.testing.assert_allclose(got, exp, rtol=1e-12)
    nbytes = sum(a.nbytes for a in out)  # every byte written: axis columns, codes, flop, pfs_days
    t = benchmark.stats.stats.min if benchmark.stats else t_ref
    if full:  # the bandwidth again, now, over as many bytes (the machine is shared: measure side by side)
        from computesim import machine

        del want
        bandwidth = machine.write_bandwidth(nbytes, repeats=3)
    info = {"points": n, "points_per_s": n / t, "bytes_per_s": nbytes / t,
            "fraction_of_write_bandwidth": nbytes / t / bandwidth["best"],
            "fraction_of_numba_fill": nbytes / t / bandwidth["numba_fill"], "ratio_to_reference": t_ref / t}
    benchmark.extra_info.update(info)
    print(f"\nmaterialize[{name}] {n:.3g} points: {n / t / 1e6:.0f} M points/s, {nbytes / t / 1e9:.1f} GB/s = "
          f"{info['fraction_of_write_bandwidth']:.0%} of write bandwidth (best of NumPy memset "
          f"{bandwidth['numpy_fill'] / 1e9:.1f}, Numba store loop {bandwidth['numba_fill'] / 1e9:.1f} GB/s; "
          f"{info['fraction_of_numba_fill']:.0%} of the latter), {t_ref / t:.2f}x reference")


def reduce_all(be, axes, thr):
    return (be.count_at_least(axes, CONST, thr, -1), be.extremes(axes, CONST, -1),
            be.quantiles(axes, CONST, [0.05, 0.5, 0.95], -1))


def check(got, want):
    np.testing.assert_array_equal(got[0], want[0])
    for a, b in zip(got[1], want[1]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-12)


@pytest.mark.parametrize("name", ["reference", "numba", "cuda"])
def test_reduce(benchmark, full, name):
    """Count at or above 1e24 FLOP, min/max with arguments, 3 quantiles: one reduction over the grid."""
    be, ref = backend(name, full), get_backend("reference").sweep
    small = card_axes(full)  # the reference's grid (it materialises, chunked)
    if not full:
        small = [small[0], small[1], small[2], small[3]]
    thr = 1e24
    want = reduce_all(ref, small, thr)
    check(reduce_all(be, small, thr), want)
    n_small = int(np.prod([len(a) for a in small]))
    t_ref = best(lambda: reduce_all(ref, small, thr), 1)
    if name == "reference" or not full:
        axes, n = small, n_small
    else:  # the structured kernels never write the grid: time them on a far larger one
        axes = [np.array([4.2, 8.5, 3.5]), np.arange(1.0, 1025.0), np.geomspace(1, 365, 2000), np.linspace(0.2, 0.5, 2000)]
        n = int(np.prod([len(a) for a in axes]))
    result = benchmark.pedantic(reduce_all, args=(be, axes, thr), rounds=3, warmup_rounds=1)
    count, (mn, _, mx, _), q = result
    assert 0 <= count[0] <= n and mn[0] <= q[0, 0] <= q[0, 1] <= q[0, 2] <= mx[0]
    if axes is small:
        check(result, want)
    else:  # the quantiles are order statistics: check them by counting
        below = be.count_at_least(axes, CONST, q[0, 1], -1)[0]
        assert abs((n - below) - 0.5 * n) <= 1
    t = benchmark.stats.stats.min if benchmark.stats else t_ref
    rate, ref_rate = n / t, n_small / t_ref
    benchmark.extra_info.update({"points": n, "points_per_s": rate, "reference_points_per_s": ref_rate,
                                 "ratio_to_reference": rate / ref_rate})
    print(f"\nreduce[{name}] {n:.3g} points: {rate / 1e9:.2f} G points/s, {rate / ref_rate:.0f}x reference "
          f"({ref_rate / 1e6:.0f} M points/s on {n_small:.3g} points)")


@pytest.mark.parametrize("ext", [".arrow", ".parquet"])
def test_stream_to_disk(benchmark, full, tmp_path, ext):
    """Materialise to a file: what limits it (encoding/compression vs disk)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import computesim
    from computesim import arrow_stream
    from computesim.sweeps import _schema_fields, build_grid, materialize_batches

    spec = dict(tflops="1:9:30", count="1:64:64", days="1:365:100log", utilization="0.2:0.5:100") if full else \
        dict(tflops="1,2", count="1,8", days="1:100:10log", utilization="0.2:0.5:4")
    path = tmp_path / f"r{ext}"

    def run():
        computesim.sweep(**spec, out=path, overwrite=True, backend="numba", max_points=1e10)

    benchmark.pedantic(run, rounds=1 if full else 1, warmup_rounds=0)
    grid = build_grid(spec)
    n = grid.size
    back = pq.read_table(path) if ext == ".parquet" else pa.ipc.open_file(str(path)).read_all()
    assert back.num_rows == n
    np.testing.assert_allclose(back["flop"].to_numpy()[-5:],
                               computesim.sweep(**spec, max_points=1e10)["flop"].to_numpy()[-5:], rtol=1e-12)
    t = benchmark.stats.stats.min if benchmark.stats else 1.0
    # the same stream to a sink that only counts bytes: encoding + compression without the disk
    t0 = time.perf_counter()
    sink = pa.MockOutputStream()
    schema = pa.schema(_schema_fields(grid))
    if ext == ".parquet":
        cols = [f.name for f in schema if f.name not in arrow_stream.NO_DICTIONARY]
        with pq.ParquetWriter(sink, schema, use_dictionary=cols, **arrow_stream.PARQUET_OPTIONS) as w:
            for b in materialize_batches(grid, get_backend("numba")):
                w.write_batch(b)
    else:
        with pa.ipc.new_file(sink, schema) as w:
            for b in materialize_batches(grid, get_backend("numba")):
                w.write_batch(b)
    t_mem = time.perf_counter() - t0
    size = os.path.getsize(path)
    benchmark.extra_info.update({"points": n, "points_per_s": n / t, "file_bytes_per_s": size / t,
                                 "bytes_per_point": size / n, "no_disk_points_per_s": n / t_mem})
    print(f"\nstream{ext} {n:.3g} points: {n / t / 1e6:.1f} M points/s to disk ({size / t / 1e6:.0f} MB/s, "
          f"{size / n:.1f} B/point); without the disk {n / t_mem / 1e6:.1f} M points/s")
