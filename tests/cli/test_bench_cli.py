"""`computesim bench`: the JSON contract, appending to an Arrow file, bad input, and the harness
itself (a wrong result fails the run; the limits check their own arithmetic). Sizes are tiny
(COMPUTESIM_BENCH_TINY=1): these tests check shape and correctness, never timings."""

from __future__ import annotations

import math

import numpy as np
import pytest

from computesim.benchmarks import Case, workloads
from computesim.benchmarks.registry import capped
from computesim.benchmarks.runner import measure

REQUIRED = ("workload", "backend", "size", "throughput", "unit", "vs_reference", "vs_limit")


@pytest.fixture(autouse=True)
def tiny(monkeypatch):
    monkeypatch.setenv("COMPUTESIM_BENCH_TINY", "1")


@pytest.fixture(scope="module")
def quick_rows():
    """One tiny `bench --quick --json` run shared by the contract tests."""
    import contextlib
    import io
    import json
    import os

    from computesim.cli import main

    os.environ["COMPUTESIM_BENCH_TINY"] = "1"
    try:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            code = main(["bench", "--quick", "--json"])
    finally:
        del os.environ["COMPUTESIM_BENCH_TINY"]
    assert code == 0
    return json.loads(buf.getvalue())


def test_json_rows_have_the_contract_fields(quick_rows):
    assert isinstance(quick_rows, list) and quick_rows
    for row in quick_rows:
        assert set(REQUIRED) <= set(row), row
        assert row["throughput"] > 0 and math.isfinite(row["throughput"])
        assert row["size"] == capped(
            row["size"], row["backend"]
        )  # cuda under the CUDA simulator: tiny
        assert row["unit"].endswith("/s")
        assert isinstance(row["size"], int) and row["size"] >= 1


def test_every_workload_and_backend_appears(quick_rows):
    got = {(r["workload"], r["backend"]) for r in quick_rows}
    for w in workloads().values():
        for b in w.backends:
            assert (w.name, b) in got


def test_ratios_are_what_they_say(quick_rows):
    by = {(r["workload"], r["backend"], r["size"], r["threads"]): r for r in quick_rows}
    for r in quick_rows:
        w = workloads()[r["workload"]]
        ref = next(
            (
                x
                for k, x in by.items()
                if k[0] == r["workload"] and k[1] == w.reference and k[2] == r["size"]
            ),
            None,
        )
        if w.reference and r["backend"] != w.reference and ref is not None:
            assert r["vs_reference"] == pytest.approx(r["throughput"] / ref["throughput"])
        else:
            assert r["vs_reference"] is None
        if w.limit is None:
            assert r["vs_limit"] is None
        else:
            scale = r["bytes_per_item"] if w.limit == "bandwidth" else 1.0
            assert r["vs_limit"] == pytest.approx(r["throughput"] * scale / r["limit_value"])


def test_machine_is_recorded(quick_rows):
    r = quick_rows[0]
    assert r["cpu_cores"] >= 1 and r["memory_gib"] > 0 and r["cpu_model"]
    assert '"numpy"' in r["versions"] and '"pyarrow"' in r["versions"]


def test_out_appends_to_an_arrow_file(cli, tmp_path):
    from computesim.benchmarks.suite import COLUMNS, read_results

    out = tmp_path / "results.arrow"
    for _ in range(2):
        assert cli("bench", "--quick", "--only", "point estimate (exact)", "--out", out).code == 0
    table = read_results(out)
    assert table.num_rows == 2 and table.column_names == list(COLUMNS)
    assert table["workload"].to_pylist() == ["point estimate (exact)"] * 2


def test_text_table_names_the_machine_and_limits(cli):
    res = cli("bench", "--quick", "--only", "arrow write")
    assert res.code == 0
    assert "arrow write" in res.out and "machine:" in res.out and "bandwidth" in res.out


@pytest.mark.parametrize(
    "argv, field",
    [
        (["--threads", "999"], "--threads"),
        (["--out", "results.txt"], "--out"),
        (["--plot", "scaling.txt"], "--plot"),
        (["--backend", "cuda"], "--backend"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, tmp_path, monkeypatch, argv, field):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NUMBA_ENABLE_CUDASIM", raising=False)
    from computesim.kernels import cuda_status

    if argv[0] == "--backend" and cuda_status()[0]:
        pytest.skip("a CUDA backend is usable here")
    res = cli("bench", "--quick", *argv)
    assert res.code == 2 and res.out == ""
    assert res.err.startswith(f"computesim: error: {field}:") and res.err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_scaling_plot(cli, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "scaling.png"
    res = cli(
        "bench", "--quick", "--json", "--only", "arrow write", "--max-size", "1000", "--plot", png
    )
    assert res.code == 0
    rows = res.json()
    assert {(r["workload"], r["size"]) for r in rows} == {("arrow write", 1000)}
    assert {r["mode"] for r in rows} == {"scaling-tiny"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_wrong_result_fails_the_measurement():
    def check(x):
        assert x == 2, "wrong"

    with pytest.raises(AssertionError, match="wrong"):
        measure(Case(lambda: 1, check, items=1))
    t = measure(Case(lambda: 2, check, items=1), min_time=0.0)
    assert t.repeats >= 3 and 0 < t.best <= t.median


def test_limits_compute_and_check_their_loops():
    from computesim.benchmarks import limits

    assert limits.fused_rate(1 << 16, repeats=1) > 0
    assert limits.write_bandwidth(1 << 20, repeats=1) > 0
    want = sum(1e-9 * i + 0.5 for i in range(8192))
    assert limits._fused(8192, 1e-9, 0.5) == pytest.approx(want, rel=1e-12)
    from computesim.benchmarks import machine

    out = np.zeros(100)
    machine._fill_kernel()(out, 3.0)
    assert np.all(out == 3.0)
    bw = machine.write_bandwidth(1 << 20, repeats=1)
    assert bw["best"] == max(bw["numba_fill"], bw["numba_stream_fill"], bw["numpy_fill"]) > 0


def test_results_table_written_atomically_has_the_same_data(tmp_path):
    from computesim.benchmarks.sweeps import sweep_table

    t = sweep_table(1000)
    assert t.num_rows == 1000
    np.testing.assert_allclose(t["pfs_days"].to_numpy() * 8.64e19, t["flop"].to_numpy(), rtol=1e-15)


def test_rows_record_the_cpu_and_its_instruction_sets(quick_rows):
    from computesim.benchmarks.machine import ISA_FLAGS, _cpuinfo

    info = _cpuinfo()
    for r in quick_rows:
        flags = r["cpu_flags"].split()
        assert flags == [f for f in ISA_FLAGS if f in flags]  # known flags, in ISA_FLAGS order
        if "flags" in info:  # x86 Linux: what /proc/cpuinfo says, family and model too
            assert set(flags) == set(ISA_FLAGS) & set(info["flags"].split())
            assert r["cpu_id"].endswith(f"family {info['cpu family']} model {info['model']}")


def test_cpuinfo_fields_are_those_of_the_first_processor(tmp_path):
    from computesim.benchmarks.machine import _cpuinfo, cpu_flags, cpu_id

    f = tmp_path / "cpuinfo"
    f.write_text(
        "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\n"
        "flags\t\t: fpu avx512f avx2 avx sse4_2\n\n"
        "processor\t: 1\nvendor_id\t: Other\ncpu family\t: 1\nmodel\t\t: 2\nflags\t\t: fpu\n"
    )
    info = _cpuinfo(str(f))
    assert cpu_id(info) == "AuthenticAMD family 25 model 17"
    assert cpu_flags(info) == "sse4_2 avx avx2 avx512f"
    assert cpu_id({}) is None and cpu_flags({}) == ""
    assert _cpuinfo(str(tmp_path / "absent")) == {}


def _row(throughput, seconds=1.0, best=1.0, **kw):
    r = {"workload": "w", "backend": "numba", "size": 10, "threads": 2, "date": "d"}
    r.update(throughput=throughput, seconds=seconds, best_seconds=best, **kw)
    return r


def test_compare_flags_changes_beyond_noise_only():
    from computesim.benchmarks.compare import KEY, NOISE_FACTOR, compare

    def change(new, old):
        return compare([new], {tuple(old[k] for k in KEY): old})[0]

    r = change(_row(100.0), _row(200.0))
    assert r["vs_previous"] == 0.5 and r["change"] == "slower" and r["noise"] == NOISE_FACTOR
    assert change(_row(200.0), _row(100.0))["change"] == "faster"
    assert change(_row(100.0), _row(120.0))["change"] == "same"  # within 1.3x
    # repeats that spread 1.5x (median/best) in each run: 2x apart is within their noise (2.25x)
    wide = change(_row(100.0, 1.5, 1.0), _row(200.0, 1.5, 1.0))
    assert wide["change"] == "same" and wide["noise"] == pytest.approx(2.25)
    other = change(_row(100.0), _row(200.0, size=11))
    assert other["change"] == "new" and other["vs_previous"] is None


def test_compare_uses_the_latest_run_in_the_file():
    from computesim.benchmarks.compare import latest

    got = latest([_row(1.0, date="2026-01-01"), _row(2.0, date="2026-02-01")])
    assert [r["throughput"] for r in got.values()] == [2.0]
    assert latest([]) == {}


def test_bench_compare_prints_ratios_to_a_previous_run(cli, tmp_path):
    import pyarrow as pa

    from computesim.benchmarks.suite import read_results, write_table

    old = tmp_path / "old.arrow"
    only = ("--only", "point estimate (exact)", "--only", "import computesim")
    assert cli("bench", "--quick", *only, "--out", old).code == 0
    res = cli("bench", "--quick", "--json", *only, "--compare", old)
    assert res.code == 0
    rows = res.json()
    prev = {r["workload"]: r["throughput"] for r in read_results(old).to_pylist()}
    for r in rows:
        assert r["previous_throughput"] == prev[r["workload"]]
        assert r["vs_previous"] == pytest.approx(r["throughput"] / prev[r["workload"]])
        assert r["change"] in ("same", "slower", "faster")
    # a previous run 10x faster, written by a version without the cpu_id/cpu_flags columns
    t = read_results(old).drop_columns(["cpu_id", "cpu_flags"])
    fast = t.set_column(
        t.column_names.index("throughput"),
        "throughput",
        pa.array([x * 10 for x in t["throughput"].to_pylist()]),
    )
    write_table(fast, old, {"kind": "bench_results"}, overwrite=True)
    res = cli("bench", "--quick", *only, "--compare", old, "--out", old)
    assert res.code == 0
    assert "SLOWER" in res.out and "vs old" in res.out and "2 slower" in res.out
    assert read_results(old).num_rows == 4  # the old file, without the new columns, appended to


def test_bench_compare_needs_a_results_file(cli, tmp_path):
    bad = tmp_path / "x.arrow"
    for path in (tmp_path / "absent.arrow", bad):
        res = cli("bench", "--quick", "--compare", path)
        assert res.code == 2 and res.out == ""
        assert res.err.startswith("computesim: error: --compare:") and res.err.count("\n") == 1
        bad.write_text("not arrow")


def test_cli_start_rows_are_whole_process_medians_of_five():
    from computesim.benchmarks import suite
    from computesim.benchmarks.core import START_ARGV, START_RUNS

    names = [f"cli start ({n})" for n in START_ARGV]
    assert {names[0], names[1]} <= set(workloads())
    rows = suite.run("quick", only=["cli start (uncertain estimate)"])
    assert [r["workload"] for r in rows] == ["cli start (uncertain estimate)"]
    r = rows[0]
    assert r["repeats"] >= START_RUNS >= 5
    assert r["throughput"] == pytest.approx(1 / r["seconds"])  # the median, not the best run


def test_warmup_compiles_both_kernel_variants(cli):
    from computesim.kernels import mc_numba, sweep_numba, sweep_split

    res = cli("warmup", "--json")
    assert res.code == 0
    got = res.json()
    from computesim.benchmarks.registry import sizes_for
    from computesim.benchmarks.warmup import SIZES

    quick = {w.name: max(sizes_for(w, "quick")) for w in workloads().values()}
    steps = {(s["workload"], s["size"]) for s in got["steps"] if s["backend"] == "numba"}
    want = {
        (n, min(s, q))
        for n, q in quick.items()
        if "numba" in workloads()[n].backends
        for s in SIZES
    }
    assert want == steps - {
        ("machine limits", None),
        ("sweep split, streaming", None),
    }  # <= quick sizes
    assert got["steps"][0]["workload"] == "python bytecode" and got["steps"][0]["ok"]
    assert got["seconds"] >= sum(s["seconds"] for s in got["steps"]) > 0
    # below and above the serial/threaded switches: both variants compiled (or loaded) here
    assert sweep_numba._materialize.signatures and sweep_numba._materialize_serial.signatures
    assert mc_numba._small_kernel.signatures and mc_numba._fused.signatures
    assert mc_numba._batch.signatures
    assert sweep_split.split_band.signatures  # the large grids' reductions, on no warm-up size
    assert min(SIZES) <= sweep_numba.SERIAL_MAX < max(SIZES) and mc_numba.SMALL < max(SIZES)
    cluster = {n for n, w in workloads().items() if "1 worker" in w.backends}
    assert {s["workload"] for s in got["steps"] if s["backend"] == "1 worker"} == cluster
    big = [n for n, s in want if s == max(SIZES)]  # these crossed the switches
    assert {"materialized sweep", "reduced sweep", "monte carlo quantiles", "bands"} <= set(big)
