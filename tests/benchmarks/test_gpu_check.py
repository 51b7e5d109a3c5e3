"""``computesim bench --gpu-check`` (issue 14, item 7), run here in the CUDA simulator at tiny
sizes: the table, the JSON rows, the checks that guard each row, the CUDA tests step, refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("numba.cuda", reason="numba-cuda is not installed")
gpu = pytest.importorskip("computesim.benchmarks.gpu")
pytestmark = pytest.mark.skipif(not gpu.simulated(), reason="runs in the CUDA simulator only")


def _cli(*argv: str, sim: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if sim:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    else:
        env.pop("NUMBA_ENABLE_CUDASIM", None)
    code = "import sys; from computesim.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, "bench", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_gpu_check_json_rows_in_the_simulator():
    r = _cli("--gpu-check", "--no-tests", "--quick", "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    got = json.loads(r.stdout)
    assert got["device"].startswith("CUDA simulator") and got["tests"]["ran"] is False
    rows = {x["workload"]: x for x in got["rows"]}
    assert list(rows) == ["hbm write", "materialized sweep", "monte carlo samples"]
    mat = rows["materialized sweep"]
    assert mat["bytes_out"] == 52 * mat["size"]  # flop, pfs, 4 axis columns, int32 code
    want = mat["bytes_out"] / mat["seconds"] / rows["hbm write"]["throughput"]
    assert mat["vs_limit"] == pytest.approx(want)
    assert rows["monte carlo samples"]["vs_cpu"] > 0


def test_gpu_check_table_text():
    report = gpu.check(run_tests=False, repeats=1)
    rows, lines = report["rows"], gpu.table(report).splitlines()
    assert lines[0] == "GPU check on CUDA simulator (no GPU)" and "not run" in lines[1]
    assert [line.split()[0] for line in lines[3:6]] == ["hbm", "materialized", "monte"]
    assert "not a GPU's" in lines[-1] and len(rows) == 3


def test_a_wrong_result_fails_the_check(monkeypatch):
    """Each row is checked before it is timed: a wrong canonical product (standing in for a wrong
    kernel) raises, which the CLI reports as one line and exit 1."""
    from computesim.benchmarks import sweeps

    real = sweeps.canonical
    monkeypatch.setattr(sweeps, "canonical", lambda axes, at: real(axes, at) * 1.01)
    with pytest.raises(AssertionError, match="canonical product"):
        gpu.materialized(200, 1)


@pytest.mark.parametrize("body, ok", [("assert True", True), ("assert False", False)])
def test_cuda_tests_step(tmp_path, body, ok):
    """The tests step runs ``pytest -m cuda`` where it is pointed and reports pytest's verdict."""
    (tmp_path / "test_one.py").write_text(
        f"import pytest\n\n@pytest.mark.cuda\ndef test_gpu():\n    {body}\n\n"
        "def test_cpu():\n    assert False  # deselected: not marked cuda\n"
    )
    got = gpu.cuda_tests(tmp_path, timeout=120)
    assert got["ran"] and got["ok"] is ok
    assert ("1 passed" if ok else "1 failed") in got["summary"] and "1 deselected" in got["summary"]


def test_refusals_are_one_line_exit_2():
    for argv, field in [
        (("--no-tests",), "--no-tests"),
        (("--gpu-check", "--out", "x.arrow"), "--gpu-check"),
    ]:
        r = _cli(*argv)
        assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
        assert r.stderr.startswith(f"computesim: error: {field}:"), r.stderr
    r = _cli("--gpu-check", "--no-tests", sim=False)  # no GPU and no simulator: no device
    assert r.returncode == 2 and "no CUDA device here" in r.stderr, r.stderr
