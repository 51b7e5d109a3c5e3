"""``computesim trend``: JSON contract, plots, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from trends_support import synthetic

from computesim.cli import main
from computesim.trends.mixture import INTERVAL_METHOD, INTERVALS
from computesim.trends.synthetic import three_eras_csv

KEYS = {"doubling_months", "doubling_months_ci", "growth_per_year", "n_points"}


def _run(capsys, *argv):
    rc = main(["trend", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _csv(tmp_path, name="data.csv", n=30, months=6.0, seed=61, extra=""):
    rng = np.random.default_rng(seed)
    t, y = synthetic(rng, n, months, 0.3, 2010, 2020)
    lines = ["System,Publication date,Training compute (FLOP)"]
    for i, (ti, yi) in enumerate(zip(t, y)):
        year = int(ti)
        month = min(12, 1 + int((ti - year) * 12))
        lines.append(f"S{i},{year}-{month:02d}-15,{10**yi:.6e}")
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n" + extra)
    return p


def test_examples_json_2012_2018(capsys):
    rc, out, err = _run(
        capsys, "--examples", "--from", "2012", "--to", "2018", "--json", "--breaks", "2015"
    )
    assert rc == 0, err
    d = json.loads(out)
    assert KEYS | {"n_skipped", "eras", "assumptions", "projections", "efficiency"} <= d.keys()
    assert 2 < d["doubling_months"] < 12  # "a few months"
    lo, hi = d["doubling_months_ci"]
    assert lo < d["doubling_months"] < hi
    assert d["n_skipped"] == 0 and d["upper_bounds_excluded"] == 4
    assert len(d["eras"]) == 2 and all(KEYS <= e.keys() for e in d["eras"])
    assert sum(e["n_points"] for e in d["eras"]) == d["n_points"]
    assert d["break_test"]["test"] == "Chow F-test"
    a = d["assumptions"]
    assert a["price_performance"]["flop_per_dollar"] == pytest.approx(125e12 * 0.33 * 3600 / 3.06)
    assert a["budget_usd"] == 1e12 and a["efficiency_halving_months"] == 16


def test_csv_json_counts_skipped_and_recovers(tmp_path, capsys):
    f = _csv(tmp_path, extra="Empty,2015-01-01,\nBad,2016-01-01,lots\n")
    rc, out, err = _run(
        capsys,
        str(f),
        "--json",
        "--threshold",
        "1e26 FLOP",
        "--project",
        "2025",
        "--flop-per-dollar",
        "1e17",
        "--large",
    )
    assert rc == 0, err
    d = json.loads(out)
    assert d["n_points"] == 30 and d["n_skipped"] == 2
    assert d["skipped"] == {"empty compute": 1, "unreadable compute": 1}
    assert abs(d["doubling_months"] - 6.0) < 1.5
    assert d["projections"]["threshold_crossing"][0]["threshold_flop"] == 1e26
    assert d["projections"]["compute_at"][0]["date"] == "2025-01-01"
    assert d["assumptions"]["price_performance"]["flop_per_dollar"] == 1e17
    rule = d["large_scale"]["rule"]
    assert rule["rule"] == "zscore" and rule["z_threshold"] == 0.72 and rule["window_years"] == 2
    assert "Sevilla" in rule["source"]


def test_text_output(tmp_path, capsys):
    rc, out, err = _run(capsys, str(_csv(tmp_path)), "--breaks", "2015")
    assert rc == 0, err
    assert "doubling months" in out and "break test (Chow F-test)" in out and "era [2015" in out


@pytest.mark.parametrize("ext,magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_plot_files(tmp_path, capsys, ext, magic):
    pytest.importorskip("matplotlib")
    p = tmp_path / f"trend{ext}"
    rc, _out, err = _run(
        capsys,
        "--examples",
        "--from",
        "2012",
        "--to",
        "2018",
        "--breaks",
        "2014,2016",
        "--plot",
        str(p),
        "--propagate",
    )
    assert rc == 0, err
    assert p.read_bytes()[: len(magic)] == magic
    assert not list(tmp_path.glob(".*tmp*"))
    rc, _out, err = _run(capsys, "--examples", "--plot", str(p))
    assert rc == 2 and "exists" in err


def test_out_writes_points(tmp_path, capsys):
    import pyarrow.parquet as pq

    p = tmp_path / "pts.parquet"
    rc, _out, err = _run(capsys, "--examples", "--out", str(p))
    assert rc == 0, err
    assert pq.read_table(p).num_rows == 17


@pytest.mark.parametrize(
    "case,args,needle",
    [
        (
            "no date column",
            ["System,Training compute (FLOP)\nA,1e20\nB,1e21\nC,1e22\n"],
            "--date-col",
        ),
        (
            "all compute missing",
            ["System,Publication date,Training compute (FLOP)\nA,2014,\nB,2015,x\n"],
            "no usable compute",
        ),
        (
            "fewer than 3 points",
            ["System,Publication date,Training compute (FLOP)\nA,2014,1e20\nB,2015,1e21\n"],
            "at least 3 points",
        ),
        (
            "window with no points",
            [
                "System,Publication date,Training compute (FLOP)\nA,2014,1e20\nB,2015,1e21\n"
                "C,2016,1e22\n",
                "--from",
                "2019",
            ],
            "no data points in the window",
        ),
        (
            "bad date option",
            ["System,Year,FLOP\nA,2014,1e20\nB,2015,1e21\nC,2016,1e22\n", "--to", "someday"],
            "--to",
        ),
        (
            "bad plot extension",
            ["System,Year,FLOP\nA,2014,1e20\nB,2015,1e21\nC,2016,1e22\n", "--plot", "x.gif"],
            "--plot",
        ),
        (
            "bad unit",
            ["System,Year,FLOP\nA,2014,1e20\n", "--compute-unit", "MAC"],
            "invalid choice",
        ),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path, capsys, case, args, needle):
    f = tmp_path / "bad.csv"
    f.write_text(args[0])
    plot = tmp_path / "never.png"
    rc, out, err = (
        _run(capsys, str(f), *args[1:], "--plot", str(plot))
        if "--plot" not in args
        else _run(capsys, str(f), *args[1:])
    )
    assert rc == 2, case
    assert err.count("\n") == 1 and err.startswith("computesim: error: ") and needle in err, err
    assert out == "" and not plot.exists()


def test_data_and_examples_are_exclusive(capsys, tmp_path):
    rc, _out, err = _run(capsys)
    assert rc == 2 and "--examples" in err
    rc, _out, err = _run(capsys, str(_csv(tmp_path)), "--examples")
    assert rc == 2


def test_json_has_no_nan(tmp_path, capsys):
    _rc, out, _err = _run(
        capsys, "--examples", "--from", "2012", "--to", "2018", "--breaks", "2015", "--json"
    )
    assert "NaN" not in out and "Infinity" not in out
    d = json.loads(out)
    assert all(v is None or math.isfinite(v) for v in d["eras"][0]["doubling_months_ci"])


def test_effective_compute_fit_is_faster(capsys):
    rc, out, _err = _run(capsys, "--examples", "--from", "2012", "--to", "2018", "--json")
    phys = json.loads(out)
    rc, out, _err = _run(
        capsys, "--examples", "--from", "2012", "--to", "2018", "--json", "--effective"
    )
    eff = json.loads(out)
    assert rc == 0 and eff["efficiency"]["fitted_effective_compute"] is True
    assert 1 / eff["doubling_months"] == pytest.approx(
        1 / phys["doubling_months"] + 1 / 16, rel=1e-9
    )
    assert eff["doubling_months"] == pytest.approx(
        phys["efficiency"]["effective_doubling_months"], rel=1e-9
    )


def test_breaks_auto_large_json(tmp_path, capsys):
    rc, out, err = _run(
        capsys,
        str(three_eras_csv(tmp_path / "three_eras.csv")),
        "--breaks",
        "auto",
        "--large",
        "--large-from",
        "2015-09-01",
        "--json",
        "--bootstrap",
        "300",
    )
    assert rc == 0, err
    d = json.loads(out)
    bp = d["breakpoints"]
    assert bp["chosen"].startswith("1 break") and len(d["eras"]) == 2
    lo, hi = bp["breaks"][0]["ci"]
    assert lo <= 2010 <= hi
    assert 15 < d["eras"][0]["doubling_months"] < 27 and 4.5 < d["eras"][1]["doubling_months"] < 8
    ls = d["large_scale"]
    assert ls["rule"]["rule"] == "zscore" and ls["rule"]["z_threshold"] == 0.72
    flagged = set(ls["systems"])
    planted = {f"L{i}" for i in range(135, 151)}
    assert len(flagged & planted) >= 12 and len(flagged - planted) <= 3
    assert ls["regular_scale"]["n_points"] > 40 and ls["large_scale"]["n_points"] == len(flagged)
    assert 1.0 < ls["offset"]["oom"] < 2.5 and ls["offset"]["oom_ci"][0] < ls["offset"]["oom"]
    assert d["break_test"] is None  # a Chow test at a searched break is not valid
    mx = ls["mixture"]  # the planted large-scale systems double every 10 months
    lo, hi = mx["large_scale_oom_per_year_ci"]  # (the doubling interval may reach no growth)
    assert lo < 12 * math.log10(2) / 10 < hi
    assert mx["n_candidates"] == ls["n_candidates"] and 0.1 < mx["large_scale_share"] < 0.4
    assert mx["ci_method"] == INTERVAL_METHOD[INTERVALS[0]]  # the default interval
    ev = ls["cluster_evidence"]  # on this seed two lines beat one by 1.9: weak evidence
    assert ev["delta_bic"] == ls["cluster_delta_bic"] and ev["min_delta_bic"] == 2
    assert ev["trust_large_scale_fit"] == (ev["delta_bic"] >= 2)


def test_large_flag_values(tmp_path, capsys):
    data = str(_csv(tmp_path))
    rc, out, err = _run(capsys, data, "--large", "0.5", "--json")
    assert rc == 0, err
    assert json.loads(out)["large_scale"]["rule"]["threshold_oom"] == 0.5
    rc, out, err = _run(capsys, data, "--large", "biggest")
    assert rc == 2 and "--large" in err and not out
    rc, out, err = _run(capsys, data, "--large", "--large-window", "0")
    assert rc == 2 and "--large-window" in err
    rc, out, err = _run(capsys, data, "--large", "--large-evidence", "nan")
    assert rc == 2 and "--large-evidence" in err and not out
    rc, out, err = _run(capsys, data, "--large", "--large-evidence", "2", "--json")
    assert rc == 0, err
    ls = json.loads(out)["large_scale"]
    assert ls["rule"]["min_evidence_delta_bic"] == 2 and "cluster_delta_bic" in ls


def test_efficiency_examples_print_each_halving_time(capsys):
    from computesim.trends.efficiency import EXAMPLES

    assert main(["efficiency", "--examples"]) == 0
    out = capsys.readouterr().out
    for e in EXAMPLES:
        assert e.name in out and f"{e.halving_months:.3g}" in out
    assert main(["efficiency", "--examples", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert len(d["examples"]) == 6 and "Hernandez" in d["source"]


def test_efficiency_fit_json_and_trend_takes_it(tmp_path, capsys):
    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(2012, 2020, 25))
    y = 18 - 12 * math.log10(2) / 16 * (t - 2012) + rng.normal(0, 0.15, 25)
    lines = ["System,Publication date,Training compute (FLOP)"]
    lines += [
        f"M{i},{int(a)}-{1 + int((a % 1) * 12):02d}-15,{10**b:.4e}"
        for i, (a, b) in enumerate(zip(t, y))
    ]
    p = tmp_path / "eff.csv"
    p.write_text("\n".join(lines) + "\n")
    assert main(["efficiency", str(p), "--json", "--bootstrap", "500"]) == 0
    d = json.loads(capsys.readouterr().out)
    lo, hi = d["halving_months_ci"]
    assert lo < d["halving_months"] < hi and lo < 16 < hi and d["n_points"] == 25
    rc, out, err = _run(capsys, str(_csv(tmp_path)), "--efficiency-data", str(p), "--json")
    assert rc == 0, err
    ef = json.loads(out)["efficiency"]
    assert ef["origin"] == "fitted from data"
    assert ef["halving_months"] == pytest.approx(d["halving_months"], rel=1e-12)
    assert main(["efficiency", str(p), "--seed", "-1"]) == 2
    assert "--seed" in capsys.readouterr().err
