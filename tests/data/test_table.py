"""The one table reader: layouts recognised, cells parsed, problems counted (fixtures follow each
layout's real column names; no real dataset is used)."""

from __future__ import annotations

import datetime as dt
import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from layout_fixtures import CHART, EPOCH, PCD

from computesim.data import cells, datasets, layouts
from computesim.data.table import load, read_table, sniff_delimiter
from computesim.errors import InputError


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_epoch_current_layout(tmp_path):
    ds = read_table(_write(tmp_path / "notable_ai_models.csv", EPOCH))
    rec = ds.recognised
    assert rec.layout == "epoch-ai-models"
    assert rec.columns["flop"] == "Training compute (FLOP)"
    assert rec.columns["flop_low"] == "Training compute lower bound"
    assert rec.columns["confidence"] == "Confidence"
    assert rec.columns["utilization"] == "Hardware utilization (MFU)"
    assert ds.n_rows == 5
    assert ds.names[0] == "GPT-3 175B (davinci)"
    assert ds.flop[0] == 3.14e23 and ds.flop_low[1] == 2e24 and ds.flop_high[1] == 3e24
    assert math.isnan(ds.flop_low[0])
    assert ds.text["confidence"] == ["Confident", "Likely", "Speculative", "Unknown", None]
    assert ds.text["hardware"][1] == "Google TPU v4"
    assert ds.numbers["quantity"][1] == 6144 and ds.numbers["hours"][0] == 355.2
    assert ds.dates[1] == dt.date(2022, 4, 4)
    assert ds.skipped(["flop", "date"]) == {"empty compute": 1}
    assert ds.origin.format == "csv" and len(ds.origin.sha256) == 64
    assert "epoch-ai-models" in rec.describe()


def test_pcd_layout_semicolons_ddmmyyyy_thousands(tmp_path):
    ds = read_table(_write(tmp_path / "pcd.csv", PCD))
    assert ds.recognised.layout == "epoch-pcd"
    assert ds.origin.delimiter == ";"
    assert ds.dates == [dt.date(2012, 9, 30), dt.date(2017, 6, 12), dt.date(2019, 2, 14)]
    assert any("DD/MM/YYYY" in n for n in ds.notes)
    assert list(ds.numbers["params"]) == [6e7, 2.13e8, 1.5e9]
    assert list(ds.flop) == [4.7e17, 7.4e18, 1.5e21]
    # the trend reader takes it with no column flags
    pts = datasets.read_csv_points(tmp_path / "pcd.csv")
    assert pts.table.num_rows == 3 and pts.skipped == {}


def test_chart_layout_pfs_days(tmp_path):
    ds = read_table(_write(tmp_path / "chart.csv", CHART))
    assert ds.recognised.layout == "ai-and-compute-chart"
    assert ds.flop[1] == pytest.approx(1860 * 8.64e19, rel=1e-15)


def test_computesim_systems_layout(tmp_path):
    ds = read_table(_write(tmp_path / "s.csv", "system,method,days,tflops\nA,hardware,5,1.5\n"))
    assert ds.recognised.layout == "computesim-systems"


def test_overrides_and_bad_overrides(tmp_path):
    f = _write(tmp_path / "m.csv", "name,when,c,c2\nA,2012,1e20,2e20\n")
    ds = read_table(f, columns={"date": "when", "flop": "C2", "name": "name"})
    assert ds.flop[0] == 2e20 and ds.recognised.overridden == ("date", "flop", "name")
    assert "flop='c2'*" in ds.recognised.describe()
    with pytest.raises(InputError) as e:
        read_table(f, columns={"flop": "nope"})
    assert e.value.field == "columns[flop]"
    with pytest.raises(InputError) as e:
        read_table(f, columns={"colour": "c"})
    assert e.value.field == "columns"
    with pytest.raises(InputError) as e:
        read_table(f, layout="epoch-2030")
    assert e.value.field == "layout"


@pytest.mark.parametrize(
    "values,day_first,word",
    [
        (["13/01/2020", "01/02/2020"], True, "DD/MM/YYYY (1 dates"),
        (["01/13/2020", "02/01/2020"], False, "MM/DD/YYYY (1 dates"),
        (["01/02/2020"], True, "assumed"),
        (["13/01/2020", "01/13/2020"], True, "conflicts"),
    ],
)
def test_date_order_decided_per_column(values, day_first, word):
    style = cells.date_style(values, "Publication date")
    assert style.day_first is day_first and word in style.note


def test_every_date_style(tmp_path):
    text = "Model,Publication date,Training compute (FLOP)\n" + "".join(
        f"m{i},{d},1e20\n"
        for i, d in enumerate(
            ["2020-05-28", "2020-05-28T00:00:00", "2020-05", "2020", "43979", "28/05/2020", "x"]
        )
    )
    ds = read_table(_write(tmp_path / "d.csv", text))
    want = dt.date(2020, 5, 28)
    assert ds.dates == [want, want, dt.date(2020, 5, 15), dt.date(2020, 7, 1), want, want, None]
    assert ds.problems["date"][-1] == "unreadable date"


@pytest.mark.parametrize(
    "text,comma,want",
    [
        ("3.14e23", False, 3.14e23),
        ("1,234,567", False, 1234567.0),
        ("1 234 567", False, 1234567.0),
        ("1.234.567,5", False, 1234567.5),
        ("3,5", True, 3.5),
        ("3,5", False, None),
        ("lots", False, None),
    ],
)
def test_parse_number(text, comma, want):
    assert cells.parse_number(text, comma) == want


def test_sniff_delimiter_ignores_quoted():
    assert sniff_delimiter('"a, b";c;d') == ";"
    assert sniff_delimiter("a,b;c,d") == ","
    assert sniff_delimiter("a\tb") == "\t"
    assert sniff_delimiter("single") == ","


class _Stream:
    """An object that only offers the Arrow C stream interface (as pandas, Polars, DuckDB do)."""

    def __init__(self, table):
        self._t = table

    def __arrow_c_stream__(self, requested_schema=None):
        return self._t.__arrow_c_stream__(requested_schema)


def test_parquet_arrow_and_python_objects_read_alike(tmp_path):
    t = pa.table(
        {
            "Model": ["A", "B"],
            "Publication date": pa.array([dt.date(2020, 1, 1), None], pa.date32()),
            "Training compute (FLOP)": [1e20, None],
        }
    )
    pq.write_table(t, tmp_path / "t.parquet")
    with pa.OSFile(str(tmp_path / "t.arrow"), "wb") as f, pa.ipc.new_file(f, t.schema) as w:
        w.write_table(t)
    with pa.OSFile(str(tmp_path / "t.stream"), "wb") as f, pa.ipc.new_stream(f, t.schema) as w:
        w.write_table(t)
    got = [
        read_table(src)
        for src in (tmp_path / "t.parquet", tmp_path / "t.arrow", tmp_path / "t.stream", t)
    ]
    got.append(read_table(_Stream(t)))
    for ds in got:
        assert ds.recognised.layout == "epoch-ai-models"
        assert ds.dates == [dt.date(2020, 1, 1), None] and ds.flop[0] == 1e20
        assert ds.skipped(["flop", "date"]) == {"empty compute": 1}
    assert [g.origin.format for g in got] == [
        "parquet",
        "arrow",
        "arrow-stream",
        "python",
        "python",
    ]


def test_malformed_rows_counted_and_bad_files_one_line(tmp_path):
    f = _write(
        tmp_path / "m.csv", "Model,Publication date,Training compute (FLOP)\nA,2020,1e20\nB,1,2,3\n"
    )
    ds = read_table(f)
    assert ds.n_rows == 1 and ds.skipped(["flop"]) == {"malformed row (wrong number of cells)": 1}
    (tmp_path / "bin.csv").write_bytes(b"\x00\xff\xfe\x80garbage\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    for name in ("bin.csv", "empty.csv", "bad.parquet", "missing.csv"):
        with pytest.raises(InputError) as e:
            read_table(tmp_path / name)
        assert e.value.field == "DATA" and "\n" not in e.value.problem
    with pytest.raises(InputError) as e:
        load(42)
    assert e.value.field == "source"


def test_layout_registry_names_unique():
    names = [lay.name for lay in layouts.LAYOUTS]
    assert len(names) == len(set(names)) and layouts.GENERIC.name not in names
