"""`computesim bands` and `computesim trend` on every known layout with no column flags."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from layout_fixtures import CHART, EPOCH, PCD  # each layout's real column names

from computesim.io.arrow import read_metadata


@pytest.fixture(params=["epoch", "pcd", "chart"])
def layout_file(request, tmp_path):
    text = {"epoch": EPOCH, "pcd": PCD, "chart": CHART}[request.param]
    f = tmp_path / f"{request.param}.csv"
    f.write_text(text, encoding="utf-8")
    return f


def test_bands_every_layout_no_flags_json_out_metadata(cli, tmp_path, layout_file):
    out = tmp_path / "bands.parquet"
    res = cli("bands", layout_file, "--threshold", "1e20FLOP", "--json", "--out", out)
    assert res.code == 0, res.err
    doc = res.json()
    n = pq.read_table(out).num_rows
    assert len(doc["rows"]) == n == doc["rows"][-1]["row"]
    assert doc["layout"] in ("epoch-ai-models", "epoch-pcd", "ai-and-compute-chart")
    assert doc["audit"][0]["threshold_flop"] == 1e20
    meta = read_metadata(out)
    assert meta["origin"]["name"] == layout_file.name and len(meta["origin"]["sha256"]) == 64
    assert meta["layout"] == doc["layout"] and meta["seed"] == 0
    assert meta["confidence_factors"]["Likely"] == 10.0
    json.dumps(doc, allow_nan=False)


def test_trend_every_layout_no_flags(cli, layout_file):
    res = cli("trend", layout_file, "--json", "--bootstrap", "0")
    # two-row files may be too short to fit; what matters is that the columns were recognised
    assert res.code == 0 or ("no compute column" not in res.err and "no date" not in res.err), (
        res.err
    )


def test_bands_text_prints_mapping_and_audit(cli, tmp_path):
    f = tmp_path / "e.csv"
    f.write_text(EPOCH, encoding="utf-8")
    res = cli("bands", f, "--threshold", "1e24FLOP", "--confidence-factors", "Confident=2,Likely=5")
    assert res.code == 0, res.err
    assert "layout epoch-ai-models" in res.out and "flop='Training compute (FLOP)'" in res.out
    assert "above 1e+24 FLOP: expected" in res.out and "1 empty compute" in res.out


def test_bands_column_override_and_bad_flags(cli, tmp_path):
    f = tmp_path / "m.csv"
    f.write_text("name,when,c\nA,2020,1e20\n", encoding="utf-8")
    res = cli("bands", f, "--col", "flop=c", "--col", "date=when", "--json")
    assert res.code == 0 and res.json()["columns"]["flop"] == "c"
    for argv, field in [
        (["--col", "flop=nope"], "--col"),
        (["--col", "flop"], "--col"),
        (["--confidence-factors", "Likely=0.5", "--col", "flop=c"], "--confidence-factors"),
        (["--layout", "nope"], "--layout"),
    ]:
        res = cli("bands", f, *argv)
        assert res.code == 2 and len(res.err.strip().splitlines()) == 1, res.err
        assert f"error: {field}" in res.err, res.err


def test_malformed_file_one_line_exit_2_nothing_written(cli, tmp_path):
    f = tmp_path / "bad.parquet"
    f.write_bytes(b"PAR1 truncated")
    out = tmp_path / "o.parquet"
    res = cli("bands", f, "--out", out)
    assert res.code == 2 and len(res.err.strip().splitlines()) == 1 and not out.exists()


def test_bands_cross_check_text_and_json(cli, tmp_path):
    f = tmp_path / "e.csv"
    extra = (
        "Off by 100x,Language,X,2021-01-01,,1E+25,,NVIDIA A100 SXM4 80 GB,64,100,,Likely,,,\n"
        "Odd chip,Language,X,2021-02-01,,1E+22,,Cerebras CS-9,8,10,,Likely,,,\n"
    )
    f.write_text(EPOCH + extra, encoding="utf-8")
    res = cli("bands", f)
    assert res.code == 0, res.err
    assert "cross-checked: 3 rows by hardware (method 2), 0 by 6 N D" in res.out
    assert "1 disagree by more than 3x" in res.out and "Off by 100x" in res.out
    assert "hardware without a profile (rows it would unlock): Cerebras CS-9 (1)" in res.out
    js = cli("bands", f, "--json").json()
    (d,) = js["disagreements"]
    assert d["system"] == "Off by 100x" and d["method"] == "hardware" and d["ratio"] < 1 / 3
    gpt3 = next(r for r in js["rows"] if r["system"].startswith("GPT-3"))
    assert gpt3["peak_precision"] == "fp16" and 1 / 3 < gpt3["rederived_hardware_ratio"] < 3
    assert js["hardware_missing_profiles"] == {"Cerebras CS-9": 1}


def test_trend_propagate_reports_both_fits(cli, tmp_path):
    rows = ["Model,Publication date,Training compute (FLOP),Confidence"]
    rows += [
        f"m{i},{2010 + i // 4}-{1 + 3 * (i % 4):02d}-01,{10 ** (18 + 0.15 * i):.3e},Likely"
        for i in range(32)
    ]
    f = tmp_path / "t.csv"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    js = cli("trend", f, "--propagate", "--json").json()
    exact = js["without_point_uncertainty"]
    assert js["propagated_point_uncertainty"] and not exact["propagated_point_uncertainty"]
    assert exact["doubling_months"] == pytest.approx(js["doubling_months"])
    w = [x["oom_per_year_ci"][1] - x["oom_per_year_ci"][0] for x in (js, exact)]
    assert w[0] > 2 * w[1]  # points on a line: the band is the slope's only uncertainty
    out = cli("trend", f, "--propagate").out
    assert "window, points redrawn" in out and "window, points exact" in out
    assert "without_point_uncertainty" not in cli("trend", f, "--json").json()


def test_bands_fan_chart_written_atomically(cli, tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image

    from computesim.data.table import read_table
    from computesim.uncertainty.fan_chart import caption
    from computesim.uncertainty.rows import dataset_bands

    f = tmp_path / "e.csv"
    f.write_text(EPOCH, encoding="utf-8")
    png = tmp_path / "fan.png"
    res = cli("bands", f, "--threshold", "1e24FLOP", "--plot", png)
    assert res.code == 0, res.err
    rb = dataset_bands(read_table(f), thresholds=[1e24])
    with Image.open(png) as im:
        drawn = sum(r["p50_flop"] is not None and r["date"] is not None for r in rb.rows())
        assert im.text["Description"] == "\n".join(caption(rb, drawn))
    assert "above 1e+24 FLOP: expected" in im.text["Description"]
    before = png.read_bytes()
    res = cli("bands", f, "--plot", png)  # exists: refused before any work, file untouched
    assert res.code == 2 and "--plot" in res.err and png.read_bytes() == before
    for bad in (tmp_path / "fan.txt", tmp_path / "no" / "fan.png"):
        res = cli("bands", f, "--plot", bad)
        assert res.code == 2 and len(res.err.strip().splitlines()) == 1 and not bad.exists()
    broken = tmp_path / "broken.csv"
    broken.write_text("", encoding="utf-8")
    res = cli("bands", broken, "--plot", tmp_path / "b.png")
    assert res.code == 2 and not (tmp_path / "b.png").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file


def test_bands_probability_chart_and_trend_line(cli, tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image

    from computesim.data.table import read_table
    from computesim.uncertainty.fan_chart import trend_line
    from computesim.uncertainty.rows import dataset_bands

    f = tmp_path / "e.csv"
    f.write_text(EPOCH, encoding="utf-8")
    png, fan = tmp_path / "p.png", tmp_path / "fan.png"
    args = ("--threshold", "1e21FLOP", "--threshold", "1e24FLOP")
    res = cli("bands", f, *args, "--plot-probability", png, "--plot", fan)
    assert res.code == 0, res.err
    rb = dataset_bands(read_table(f), thresholds=[1e21, 1e24])
    with Image.open(png) as im:
        text = im.text["Description"]
    for a in rb.audits:  # every threshold's exact count, as the audit computed it
        lo, hi = a.interval
        assert f"expected {a.expected:.2f} rows (90% interval {lo}-{hi})" in text
    t = trend_line(rb)
    with Image.open(fan) as im:
        assert f"doubling every {t.doubling_months:.3g} months" in im.text["Description"]
    # the line is least squares through the medians: residuals sum to zero
    rows = [r for r in rb.rows() if r["p50_flop"] and r["date"]]
    import datetime as dt
    import math

    from computesim.uncertainty.fan_chart import _year

    res_sum = sum(
        math.log10(r["p50_flop"]) - math.log10(t.at(_year(dt.date.fromisoformat(r["date"]))))
        for r in rows
    )
    assert abs(res_sum) < 1e-9 and t.rows == len(rows)
    res = cli("bands", f, "--plot-probability", tmp_path / "q.png")  # no threshold
    assert res.code == 2 and "--plot-probability" in res.err and "--threshold" in res.err
    assert not (tmp_path / "q.png").exists()
    res = cli("bands", f, *args, "--plot-probability", tmp_path / "q.gif")
    assert res.code == 2 and "--plot-probability" in res.err
