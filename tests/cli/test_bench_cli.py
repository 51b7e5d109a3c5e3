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
    assert bw["best"] == max(bw["numba_fill"], bw["numpy_fill"]) > 0


def test_results_table_written_atomically_has_the_same_data(tmp_path):
    from computesim.benchmarks.sweeps import sweep_table

    t = sweep_table(1000)
    assert t.num_rows == 1000
    np.testing.assert_allclose(t["pfs_days"].to_numpy() * 8.64e19, t["flop"].to_numpy(), rtol=1e-15)
