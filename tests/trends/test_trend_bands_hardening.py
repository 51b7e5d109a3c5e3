"""Issue 11 regressions for `trend`, `bands` and `bench`: odd inputs get one stderr line naming the
option or field, exit code 2, no traceback and no output file; TrendReport.to_dict() is JSON."""

from __future__ import annotations

import json
import sys

import pytest

from computesim.errors import InputError

GOOD_TREND = (
    "System,Publication date,Training compute (FLOP)\n"
    "A,2012-01-01,1e20\nB,2013-03-01,3e21\nC,2014-01-01,1e22\nD,2015-06-01,2e23\nE,2016-01-01,1e24\n"
)
GOOD_BANDS = "system,method,days,tflops,count\nA,hardware,5,1.5,2\n"


def _write(path, text: str | bytes):
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def _refused(cli, tmp_path, argv, field: str, words: str = ""):
    """Run the CLI; assert exit 2, one stderr line naming ``field`` (and ``words``), nothing written."""
    before = set(tmp_path.iterdir())
    res = cli(*argv)
    assert res.code == 2, (res.code, res.err)
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.err, res.err
    assert f"error: {field}" in lines[0], lines[0]
    assert words in lines[0], lines[0]
    assert res.out == ""
    assert set(tmp_path.iterdir()) == before
    return lines[0]


# --- trend -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv,field,words",
    [
        (["--seed", "-1"], "--seed", "0 .. 2**64 - 1"),
        (["--seed", "18446744073709551616"], "--seed", "2**64"),
        (["--project", "9999"], "--project", "1900 to 2200"),
        (["--project", "0001-01-01"], "--project", "out of range"),
        (["--cost-years", "9999"], "--cost-years", "out of range"),
        (["--price-doubling-months", "0"], "--price-doubling-months", "positive"),
        (["--efficiency-halving-months", "1e-300"], "--efficiency-halving-months", "at least"),
        (
            ["--effective", "--efficiency-halving-months", "0.01"],
            "--efficiency-halving-months",
            "float64",
        ),
        (["--cost-years", "2200", "--price-doubling-months", "0.01"], "--cost-years", "float64"),
        (["--bootstrap", "100000000"], "--bootstrap", "100000"),
        (["--propagate", "--noise-factor", "nan"], "--noise-factor", "finite"),
        (["--propagate", "--noise-factor", "inf"], "--noise-factor", "finite"),
        (["--large", "nan"], "--large", "finite"),
    ],
)
def test_trend_bad_options_one_line(cli, tmp_path, argv, field, words):
    data = _write(tmp_path / "d.csv", GOOD_TREND)
    extra = [] if "--bootstrap" in argv else ["--bootstrap", "200"]
    _refused(cli, tmp_path, ["trend", data, *argv, *extra], field, words)


def test_trend_seed_largest_is_accepted(cli, tmp_path):
    data = _write(tmp_path / "d.csv", GOOD_TREND)
    res = cli("trend", data, "--seed", str(2**64 - 1), "--bootstrap", "200", "--json")
    assert res.code == 0, res.err
    assert res.json()["assumptions"]["bootstrap"]["seed"] == 2**64 - 1


def test_trend_project_far_from_steep_data_refused_not_inf(cli, tmp_path):
    # 30 OOM in a few days: the line at 2200 is far beyond float64; refused, never printed as inf
    data = _write(
        tmp_path / "d.csv",
        "System,Publication date,Training compute (FLOP)\n"
        "A,2012-01-01,1\nB,2012-01-03,1e15\nC,2012-01-05,1e30\nD,2012-01-07,1e30\n",
    )
    _refused(
        cli,
        tmp_path,
        ["trend", data, "--project", "2200", "--bootstrap", "200"],
        "--project",
        "float64",
    )


def test_trend_extreme_rows_skipped_and_counted(tmp_path):
    from computesim.data import datasets

    rows = [
        "A,0001-01-01,1e20",
        "B,2013-01-01,1e21",
        "C,99999,1e22",
        "D,2015-01-01,1e300",
        "E,2016-01-01,0",
        "F,2017-01-01,-5",
        "G,2018-01-01,nan",
        "H,2019-01-01,inf",
        "I,2019-06-01,1e-300",
        "J,2014-01-01," + "1" * 5000,
        "K,2020-01-01,1e22",
        "L,2021-01-01,1e23",
    ]
    f = _write(
        tmp_path / "x.csv",
        "System,Publication date,Training compute (FLOP)\n" + "\n".join(rows) + "\n",
    )
    pts = datasets.read_csv_points(f)
    assert pts.table.column("system").to_pylist() == ["B", "K", "L"]
    assert pts.skipped == {
        "date out of range (1900 to 2200)": 1,
        "unreadable date": 1,
        "compute out of range (1e-10 to 1e+40 FLOP)": 2,
        "compute not positive": 2,
        "compute not finite": 2,
        "compute cell longer than 1000 characters": 1,
    }


def test_trend_too_few_rows_names_what_was_skipped(cli, tmp_path):
    data = _write(
        tmp_path / "d.csv",
        "System,Publication date,Training compute (FLOP)\n"
        "A,2012-01-01,1e20\nB,2013-01-01,1e21\nC,1850,1e22\nD,2015-01-01,0\n",
    )
    line = _refused(cli, tmp_path, ["trend", data], "data", "2 rows skipped")
    assert "date out of range" in line and "compute not positive" in line


@pytest.mark.parametrize(
    "text,field,words",
    [
        ("System,Publication date,Training compute (FLOP)\n", "DATA", "no data rows"),
        (
            b"System,Publication date,Training compute (FLOP)\nA\xff,2012-01-01,1e20\n",
            "DATA",
            "not UTF-8",
        ),
    ],
)
def test_trend_bad_files(cli, tmp_path, text, field, words):
    data = _write(tmp_path / "d.csv", text)
    _refused(cli, tmp_path, ["trend", data], field, words)


def test_trend_directory_as_data_plot_and_out(cli, tmp_path):
    data = _write(tmp_path / "d.csv", GOOD_TREND)
    (tmp_path / "p.png").mkdir()
    (tmp_path / "o.arrow").mkdir()
    (tmp_path / "dir.csv").mkdir()
    _refused(cli, tmp_path, ["trend", tmp_path / "dir.csv"], "DATA", "is a directory")
    for opt, name in (("--plot", "p.png"), ("--out", "o.arrow")):
        for extra in ([], ["--overwrite"]):
            _refused(
                cli, tmp_path, ["trend", data, opt, tmp_path / name, *extra], opt, "is a directory"
            )


def test_trend_semicolon_csv_is_read(cli, tmp_path):
    data = _write(tmp_path / "d.csv", GOOD_TREND.replace(",", ";"))
    res = cli("trend", data, "--bootstrap", "200", "--json")
    assert res.code == 0, res.err
    assert res.json()["n_points"] == 5


def test_trend_report_to_dict_is_json_and_equals_cli_json(cli, tmp_path):
    from computesim.data import datasets
    from computesim.trends.analysis import analyse
    from computesim.trends.large_scale import WINDOW_START, LargeRule

    rows = [
        f"S{i},{2010 + i // 2}-{1 + 5 * (i % 2):02d}-01,{10 ** (18 + 0.5 * i + (3 if i in (3, 5, 9, 11, 13) else 0)):.3e}"
        for i in range(16)
    ]
    data = _write(
        tmp_path / "d.csv",
        "System,Publication date,Training compute (FLOP)\n" + "\n".join(rows) + "\n",
    )
    rep = analyse(
        datasets.read_csv_points(data).table,
        n_boot=200,
        seed=4,
        breaks=[2014.0],
        large=LargeRule("residual", oom=1.0, start=WINDOW_START),
    )
    d = rep.to_dict()
    assert d["large_scale"]["n_points"] == 5 and len(d["eras"]) == 2 and d["break_test"]
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    res = cli(
        "trend",
        data,
        "--bootstrap",
        "200",
        "--seed",
        "4",
        "--breaks",
        "2014",
        "--large",
        "1",
        "--large-from",
        "window",
        "--json",
    )
    assert res.code == 0, res.err
    out = res.json()
    assert {k: out[k] for k in d} == d


def test_trend_flat_fit_to_dict_has_no_inf():
    import numpy as np

    from computesim.trends.analysis import TrendFits
    from computesim.trends.fit import TrendFit

    t = np.array([2010.0, 2011.0, 2012.0])
    fit = TrendFit(
        "window",
        -np.inf,
        np.inf,
        t,
        np.full(3, 20.0),
        0.0,
        20.0,
        2011.0,
        0.0,
        np.zeros(200),
        np.full(200, 20.0),
    )
    d = TrendFits(fit, [], None, None, 0, False).to_dict()
    assert d["doubling_months"] is None and d["from"] is None
    assert json.loads(json.dumps(d, allow_nan=False)) == d


# --- bands -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv,field,words",
    [
        (["--samples", "1e11"], "--samples", "1e+10"),
        (["--seed", "18446744073709551616"], "--seed", "2**64"),
        (["--seed", "-1"], "--seed", "2**64"),
    ],
)
def test_bands_bad_samples_and_seed(cli, tmp_path, argv, field, words):
    data = _write(tmp_path / "s.csv", GOOD_BANDS)
    _refused(cli, tmp_path, ["bands", data, *argv, "--out", tmp_path / "b.arrow"], field, words)


def test_bands_table_checks_samples_and_seed_itself():
    from computesim.uncertainty import table as B

    models, labels = B.models_of_rows([{"method": "hardware", "days": "5", "tflops": "1.5"}])
    with pytest.raises(InputError, match="samples"):
        B.bands_table(models, labels, samples=10**11)
    with pytest.raises(InputError, match="seed"):
        B.bands_table(models, labels, seed=2**64)


@pytest.mark.parametrize(
    "text,field,words",
    [
        ("system,method,days,tflops,count\n", "INPUT", "no systems"),
        ("system,method,days,tflops,count", "INPUT", "no systems"),
        (b"system,method,days\xff,tflops\nA,hardware,5,1.5\n", "INPUT", "not UTF-8"),
        ("a,b\n1,2\n", "INPUT", "no known column"),
        (
            "system,method,days,tflops\nA,hardware," + "5 to 6 " * 7200 + ",1.5\n",
            "row 1 column days",
            "50400 characters",
        ),
        (
            "system,method,days,tflops\nA,hardware,5,1.5\nB,hardware,-3,1.5\n",
            "row 2 column days",
            "positive",
        ),
    ],
)
def test_bands_bad_tables(cli, tmp_path, text, field, words):
    data = _write(tmp_path / "s.csv", text)
    _refused(cli, tmp_path, ["bands", data, "--out", tmp_path / "b.arrow"], field, words)


def test_bands_directory_as_input_and_out(cli, tmp_path):
    data = _write(tmp_path / "s.csv", GOOD_BANDS)
    (tmp_path / "d.csv").mkdir()
    (tmp_path / "o.arrow").mkdir()
    _refused(cli, tmp_path, ["bands", tmp_path / "d.csv"], "INPUT", "is a directory")
    _refused(
        cli,
        tmp_path,
        ["bands", data, "--out", tmp_path / "o.arrow", "--overwrite"],
        "--out",
        "is a directory",
    )


def test_bands_semicolon_csv_is_read(cli, tmp_path):
    data = _write(tmp_path / "s.csv", GOOD_BANDS.replace(",", ";"))
    res = cli("bands", data, "--json")
    assert res.code == 0, res.err
    assert [r["system"] for r in res.json()] == ["A"]
    assert res.json()[0]["p50_pfs_days"] == pytest.approx(
        2 * 1.5e12 * 0.33 * 5 * 86400 / 8.64e19, rel=0.05
    )


def test_bands_empty_arrow_table_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.ipc as ipc

    from computesim.uncertainty.table import read_systems

    p = tmp_path / "e.arrow"
    t = pa.table({"system": pa.array([], pa.string()), "days": pa.array([], pa.string())})
    with pa.OSFile(str(p), "wb") as sink, ipc.new_file(sink, t.schema) as w:
        w.write_table(t)
    with pytest.raises(InputError, match="no systems"):
        read_systems(str(p))


# --- bench -------------------------------------------------------------------------------------


def test_bench_workload_import_failure_is_reported(cli, monkeypatch):
    import computesim.benchmarks as bm

    monkeypatch.setattr(bm.registry, "MODULES", bm.MODULES + ("no_such_module_xyz",))
    with pytest.raises(bm.WorkloadImportError, match="no_such_module_xyz"):
        bm.workloads()
    res = cli("bench", "--quick", "--json")
    assert res.code == 1 and res.out == ""
    assert res.err.strip().splitlines() == [res.err.strip()] and "no_such_module_xyz" in res.err
    assert "Traceback" not in res.err


def test_bench_workload_module_raising_anything_is_reported(monkeypatch):
    import computesim.benchmarks as bm

    monkeypatch.setitem(
        sys.modules, "computesim.benchmarks.broken_xyz", None
    )  # import -> ImportError
    monkeypatch.setattr(bm.registry, "MODULES", ("broken_xyz",))
    with pytest.raises(bm.WorkloadImportError, match="broken_xyz"):
        bm.workloads()


def test_bench_plot_onto_directory(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("COMPUTESIM_BENCH_TINY", "1")
    (tmp_path / "p.png").mkdir()
    _refused(cli, tmp_path, ["bench", "--plot", tmp_path / "p.png"], "--plot", "is a directory")


@pytest.mark.parametrize(
    "argv,field,words",
    [
        (["--scaling", "--max-size", "nan"], "--max-size", "whole number"),
        (["--scaling", "--max-size", "-1"], "--max-size", ">= 1000"),
        (["--only", ""], "--only", "empty"),
        (["--only", "zzz-no-such"], "--only", "no workload name contains"),
    ],
)
def test_bench_bad_options_one_line(cli, tmp_path, monkeypatch, argv, field, words):
    monkeypatch.setenv("COMPUTESIM_BENCH_TINY", "1")
    _refused(cli, tmp_path, ["bench", *argv, "--out", tmp_path / "r.arrow"], field, words)


def test_bench_scaling_with_nothing_selected_runs_nothing():
    from computesim.benchmarks.suite import run_scaling

    assert run_scaling(only=["zzz-no-such"], mode="tiny") == []


def test_bands_header_then_blank_lines_only(cli, tmp_path):
    data = _write(tmp_path / "s.csv", "system,method,days,tflops\n" + "\n" * 70000)
    _refused(cli, tmp_path, ["bands", data], "INPUT", "no systems")
