"""Data points: built-in points from the worked examples, and the CSV reader."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from computesim.core import units
from computesim.data import datasets
from computesim.errors import InputError


@pytest.fixture
def builtin():
    return datasets.builtin_points()


def test_builtin_schema_and_rows(builtin):
    from computesim.core.examples import REPORTED_RESULTS, WORKED_EXAMPLES

    tab = builtin.table
    assert tab.schema.equals(datasets.points_schema())
    systems = {ex.system for ex in WORKED_EXAMPLES}
    assert tab.num_rows == len(systems) + len(REPORTED_RESULTS)
    assert len(set(tab.column("system").to_pylist())) == tab.num_rows  # one point per system
    bound = tab.column("bound").to_pylist()
    assert bound.count("upper") == sum(r.compute.startswith("<") for r in REPORTED_RESULTS) == 4
    flop = np.array(tab.column("flop").to_pylist())
    np.testing.assert_allclose(tab.column("pfs_days").to_pylist(), flop / units.PFS_DAY, rtol=1e-15)
    assert builtin.n_skipped == 0


def test_builtin_both_methods_take_method1_and_keep_band(builtin):
    from computesim.core.examples import run_examples

    rows = {r["system"]: r for r in builtin.table.to_pylist()}
    by, published = {}, {}
    for r in run_examples():
        by.setdefault(r.example.system, {})[r.example.method] = r.estimate.flop
        published[r.example.system] = r.example.published
    for system, m in by.items():
        row = rows[system]
        assert row["date"] == published[system]
        if len(m) == 2:
            assert row["method"] == "ops" and row["flop"] == m["ops"]
            assert (row["flop_low"], row["flop_high"]) == (min(m.values()), max(m.values()))
        else:
            assert row["flop"] == next(iter(m.values())) and row["flop_low"] is None
    assert rows["AlexNet"]["domain"] == "vision"
    assert rows["Adam Optimizer"]["bound"] == "upper"
    assert rows["Attention is all you need"]["bound"] == "point"
    assert rows["Attention is all you need"]["pfs_days"] == pytest.approx(0.089)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2015-12-10", dt.date(2015, 12, 10)),
        ("10/12/2015", dt.date(2015, 12, 10)),
        ("2015", dt.date(2015, 7, 1)),
        ("2015-12", dt.date(2015, 12, 15)),
        ("2015-12-10 00:00:00", dt.date(2015, 12, 10)),
        (" 2015.0 ", dt.date(2015, 7, 1)),
        ("31/02/2015", None),
        ("Dec 2015", None),
        ("", None),
        ("15", None),
    ],
)
def test_parse_date(text, expected):
    assert datasets.parse_date(text) == expected


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_epoch_layout_recognised_and_skips_counted(tmp_path):
    f = _write(
        tmp_path / "epoch.csv",
        "System,Domain,Organization,Publication date,Parameters,Training compute (FLOP)\n"
        "GPT-3 175B,Language,OpenAI,2020-05-28,1.75e11,3.14e23\n"
        "AlexNet,Vision,Toronto,2012-09-30,6e7,4.7e17\n"
        "NoCompute,Vision,X,2016-01-01,1e6,\n"
        "Garbage,Vision,X,2016-01-01,1e6,lots\n"
        "Negative,Vision,X,2016-01-01,1e6,-5\n"
        "NoDate,Vision,X,,1e6,1e20\n"
        "BadDate,Vision,X,sometime,1e6,1e20\n"
        "\n"
        "Bound,Games,X,2017,1e6,< 1e21\n",
    )
    pts = datasets.read_csv_points(f)
    rows = pts.table.to_pylist()
    assert [r["system"] for r in rows] == ["GPT-3 175B", "AlexNet", "Bound"]
    assert (
        rows[0]["flop"] == 3.14e23
        and rows[0]["date"] == dt.date(2020, 5, 28)
        and rows[0]["domain"] == "Language"
    )
    assert rows[2]["bound"] == "upper" and rows[2]["date"] == dt.date(2017, 7, 1)
    assert pts.skipped == {
        "empty compute": 1,
        "unreadable compute": 1,
        "compute not positive": 1,
        "empty date": 1,
        "unreadable date": 1,
    }
    assert pts.n_skipped == 5


def test_csv_chosen_columns_ddmmyyyy_pfs_days(tmp_path):
    f = _write(
        tmp_path / "mine.csv",
        'name,when,pfsd,other\nA,30/09/2012,0.0058,1\nB,07/10/2016,5.0,2\nC,2018,"1,860",3\n',
    )
    pts = datasets.read_csv_points(
        f, date_col="when", compute_col="pfsd", name_col="name", compute_unit="pfs-days"
    )
    rows = pts.table.to_pylist()
    assert [r["date"] for r in rows] == [
        dt.date(2012, 9, 30),
        dt.date(2016, 10, 7),
        dt.date(2018, 7, 1),
    ]
    np.testing.assert_allclose(
        [r["flop"] for r in rows], np.array([0.0058, 5.0, 1860]) * 8.64e19, rtol=1e-15
    )
    np.testing.assert_allclose([r["pfs_days"] for r in rows], [0.0058, 5.0, 1860], rtol=1e-12)


def test_csv_units_in_cells_override_column_unit(tmp_path):
    f = _write(
        tmp_path / "u.csv", "System,Year,Training compute (FLOP)\nA,2014,2 pfs-days\nB,2015,1e20\n"
    )
    rows = datasets.read_csv_points(f).table.to_pylist()
    assert rows[0]["flop"] == pytest.approx(2 * 8.64e19) and rows[1]["flop"] == 1e20


def test_csv_auto_pfs_days_column(tmp_path):
    f = _write(tmp_path / "p.csv", "model,date,pfs-days\nA,2014-01-01,0.5\n")
    assert datasets.read_csv_points(f).table.column("flop").to_pylist() == [0.5 * 8.64e19]
    # a chosen column named like pfs-days is read in pfs-days unless --compute-unit says otherwise
    assert datasets.read_csv_points(f, compute_col="pfs-days").table.column("flop").to_pylist() == [
        0.5 * 8.64e19
    ]
    assert datasets.read_csv_points(f, compute_col="pfs-days", compute_unit="flop").table.column(
        "flop"
    ).to_pylist() == [0.5]


@pytest.mark.parametrize(
    "text,kwargs,field",
    [
        ("System,Training compute (FLOP)\nA,1e20\n", {}, "date_col"),
        ("System,Publication date,Params\nA,2014-01-01,5\n", {}, "compute_col"),
        (
            "System,Publication date,Training compute (FLOP)\nA,2014-01-01,\nB,2015-01-01,n/a\n",
            {},
            "compute_col",
        ),
        (
            "System,Publication date,Training compute (FLOP)\nA,2014-01-01,1e20\n",
            {"date_col": "Date"},
            "date_col",
        ),
        ("", {}, "DATA"),
    ],
)
def test_csv_bad_input(tmp_path, text, kwargs, field):
    f = _write(tmp_path / "bad.csv", text)
    with pytest.raises(InputError) as e:
        datasets.read_csv_points(f, **kwargs)
    assert e.value.field == field


def test_csv_missing_file_and_bad_unit(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        datasets.read_csv_points(tmp_path / "nope.csv")
    f = _write(tmp_path / "ok.csv", "System,Year,FLOP\nA,2014,1\n")
    with pytest.raises(InputError) as e:
        datasets.read_csv_points(f, compute_unit="MAC")
    assert e.value.field == "compute_unit"
