"""Bands for tables of systems, for sweep grid points, and for the worked examples."""

import json
import math

import numpy as np
import pytest

from computesim.cli import main
from computesim.errors import InputError
from computesim.uncertainty import table as B
from computesim.uncertainty.band import exact_band, mc_band

pa = pytest.importorskip("pyarrow")
pytest.importorskip("computesim.kernels.mc_numba")

ROWS = [
    {
        "system": "AlexNet",
        "method": "hardware",
        "days": "5 to 6",
        "tflops": "1.54 to 1.58",
        "count": "2",
        "utilization": "0.25 to 0.4",
    },
    {
        "system": "AlexNet",
        "method": "ops",
        "forward_macs": "0.75e9",
        "examples": "1.2e6",
        "epochs": "90",
    },
    {"system": "X", "method": "hardware", "days": "uniform(4, 6)", "tflops": "1.58", "count": "1"},
    {
        "system": "Y",
        "days": "triangular(2, 3, 5)",
        "tflops": "pert(1, 1.5, 2)",
        "utilization": "0.3",
    },
]


def test_table_exact_and_mc_rows():
    models, labels = B.models_of_rows(ROWS, method_error=2.0)
    t = B.bands_table(models, labels, samples=20_000, seed=3, thresholds=[4e17])
    rows = t.to_pylist()
    assert [r["exact"] for r in rows] == [True, True, False, False]
    assert rows[3]["method"] == "hardware"
    for r, m in zip(rows, models):
        if r["exact"]:
            b = exact_band(m, [4e17])
            assert r["p50_pfs_days"] == pytest.approx(b.quantiles[0.5] / 8.64e19, rel=1e-12)
            assert r["p_above_4e+17"] == pytest.approx(b.p_above[4e17])
        else:  # batched MC row: within MC error of a large single-model run
            big = mc_band(m, 400_000, seed=9, backend="numba")
            small = mc_band(m, 20_000, seed=9, backend="numba")
            for p, key in ((0.05, "p5_pfs_days"), (0.5, "p50_pfs_days"), (0.95, "p95_pfs_days")):
                assert abs(r[key] * 8.64e19 - big.quantiles[p]) < 4 * small.quantile_se[p]
        assert r["p5_pfs_days"] < r["p50_pfs_days"] < r["p95_pfs_days"]


def test_batched_backends_agree():
    models, labels = B.models_of_rows(ROWS[2:] * 3)
    a = B.bands_table(models, labels, samples=3000, seed=1, backend="reference").to_pylist()
    b = B.bands_table(models, labels, samples=3000, seed=1, backend="numba").to_pylist()
    for x, y in zip(a, b):
        for k in x:
            assert x[k] == (pytest.approx(y[k], rel=1e-12) if isinstance(x[k], float) else y[k])
    assert a[0]["p50_pfs_days"] != a[2]["p50_pfs_days"]  # each row draws its own numbers


def test_grid_bands_shift_and_thresholds():
    models, _ = B.models_of_rows(ROWS[:1])
    m = models[0]
    off = np.log([0.5, 1.0, 4.0])
    g = B.grid_bands(off, m, thresholds=[5e17])
    b = exact_band(m)
    assert g["exact"] and g["p50"] == pytest.approx(np.exp(off) * b.quantiles[0.5])
    mu, s = m.log_normal_params()
    want = [0.5 * math.erfc((math.log(5e17) - o - mu) / s / math.sqrt(2)) for o in off]
    assert g["p_above_5e+17"] == pytest.approx(want)
    mixed, _ = B.models_of_rows(ROWS[2:3])
    g2 = B.grid_bands(off, mixed[0], samples=50_000, seed=2, thresholds=[2e17])
    assert not g2["exact"]
    assert np.all(np.diff(g2["p_above_2e+17"]) >= 0)
    single = mc_band(mixed[0], 50_000, seed=2, thresholds=[2e17])
    assert g2["p_above_2e+17"][1] == pytest.approx(
        single.p_above[2e17], abs=4 * single.p_above_se[2e17] + 1e-9
    )


def test_cli_csv_to_arrow(tmp_path, capsys):
    src = tmp_path / "systems.csv"
    src.write_text(
        "system,method,days,tflops,count,utilization,forward_macs,examples,epochs\n"
        "AlexNet,hardware,5 to 6,1.54 to 1.58,2,0.25 to 0.4,,,\n"
        "AlexNet,ops,,,,,0.75e9,1.2e6,90\n"
        'X,hardware,"uniform(4, 6)",1.58,1,,,,\n'
    )
    out = tmp_path / "bands.arrow"
    assert (
        main(
            [
                "bands",
                str(src),
                "--out",
                str(out),
                "--method-error",
                "2x",
                "--threshold",
                "1e17FLOP",
            ]
        )
        == 0
    )
    import pyarrow.ipc as ipc

    t = ipc.open_file(str(out)).read_all()
    assert t.num_rows == 3 and {"p5_pfs_days", "p95_pfs_days", "p_above_1e+17", "exact"} <= set(
        t.column_names
    )
    assert main(["bands", str(src), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3


@pytest.mark.parametrize(
    "content, words",
    [
        ("system,days,tflops\nA,6 to 5,1.5\n", "backwards"),
        ("system,method,days\nA,nope,5\n", "hardware or ops"),
    ],
)
def test_cli_bad_rows_exit_2_without_output(tmp_path, capsys, content, words):
    src = tmp_path / "s.csv"
    src.write_text(content)
    out = tmp_path / "o.arrow"
    assert main(["bands", str(src), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "row 1" in err[0] and words in err[0]
    assert not out.exists()


def test_examples_bands(monkeypatch, capsys):
    """Worked examples whose devices have profiles (others land on another branch)."""
    import computesim.core.examples as ex

    keep = []
    for w in ex.WORKED_EXAMPLES:
        try:
            w.estimate()
        except InputError:
            continue
        keep.append(w)
    monkeypatch.setattr(ex, "WORKED_EXAMPLES", tuple(keep))
    assert main(["examples", "--bands", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["exact"] for r in rows)
    alex = next(r for r in rows if r["system"] == "AlexNet" and r["method"] == "hardware")
    assert "days 5 to 6" in alex["band_assumptions"] and "1.54 to 1.58" in alex["band_assumptions"]
    assert (
        alex["quantiles_pfs_days"]["p5"]
        < alex["printed_pfs_days"]
        < alex["quantiles_pfs_days"]["p95"]
    )
    assert main(["examples", "--bands"]) == 0
    assert "assumptions" in capsys.readouterr().out
