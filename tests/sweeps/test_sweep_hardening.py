"""Issue 11 regressions for sweeps: per-device utilization, strict option types, the size guard
before allocation, scenario files named by file and key, chunk ownership, inverse on the backend."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

import computesim
import computesim.cli as cli
from computesim.core.methods import estimate_hardware
from computesim.errors import InputError
from computesim.io import arrow as arrow_io
from computesim.kernels import get_backend
from computesim.sweeps import engine as sweeps
from computesim.sweeps import grid

MIXED = "K80,Xeon E5-2680 v2"


@pytest.fixture
def run(monkeypatch, capsys):
    monkeypatch.setattr(cli, "COMMANDS", ("sweep",))

    def go(*argv):
        code = cli.main(["sweep", *argv, "--no-progress"])
        out, err = capsys.readouterr()
        return code, out, err

    return go


def _alone(device: str) -> float:
    return estimate_hardware(device=device, count=1, days=1).flop


# ---- item 1: per-device default utilization --------------------------------------------------


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_mixed_devices_get_their_own_default_utilization(backend):
    t = computesim.sweep(device=MIXED, count=1, days=1, backend=backend).to_pydict()
    assert t["utilization"] == [0.33, 0.17]
    assert t["peak_tflop_per_s"] == [8.5, 0.448]
    for dev, flop in zip(MIXED.split(","), t["flop"]):
        assert math.isclose(flop, _alone(dev), rel_tol=1e-14)


def test_mixed_devices_to_a_file(tmp_path):
    out = computesim.sweep(
        device=MIXED, count="1,2", days="1,3", out=tmp_path / "m.parquet", chunk_points=3
    )
    import pyarrow.parquet as pq

    t = pq.read_table(out).to_pydict()
    for dev, u, c, d, f in zip(t["device"], t["utilization"], t["count"], t["days"], t["flop"]):
        want = estimate_hardware(device=dev, count=c, days=d)
        assert u == (0.17 if "Xeon" in dev else 0.33) and math.isclose(f, want.flop, rel_tol=1e-14)
    assert arrow_io.read_metadata(out)["scenario"]["utilization"] == {
        "Tesla K80": 0.33,
        "Intel Xeon E5-2680 v2": 0.17,
    }


def test_mixed_devices_reduce_and_group():
    r = computesim.sweep(
        device=MIXED, count=1, days=1, threshold="1e16FLOP", backend="numba"
    ).to_pylist()[0]
    assert (
        r["count_at_least"] == 1
        and r["argmin_utilization"] == 0.17
        and r["argmax_utilization"] == 0.33
    )
    assert math.isclose(r["min_flop"], _alone("Xeon E5-2680 v2"), rel_tol=1e-14)
    g = computesim.sweep(
        device=MIXED, count=1, days=1, group_by="device", quantiles=[0.5]
    ).to_pydict()
    assert g["utilization"] == [0.33, 0.17]
    with pytest.raises(InputError, match="each device's default") as e:
        computesim.sweep(device=MIXED, days=1, group_by="utilization")
    assert e.value.field == "group_by"


def test_mixed_devices_inverse_and_label_axis():
    t = computesim.sweep(device=MIXED, count=1, target="1e20FLOP", backend="numba").to_pydict()
    assert t["utilization"] == [0.33, 0.17]
    np.testing.assert_allclose(
        t["days_needed"], [1e20 / (_alone(d)) for d in MIXED.split(",")], rtol=1e-13
    )
    lab = computesim.sweep(
        device=MIXED, tflops=1, days=1
    ).to_pydict()  # device as a label: its utilization
    np.testing.assert_allclose(lab["flop"], [1e12 * 86400 * 0.33, 1e12 * 86400 * 0.17], rtol=1e-14)


def test_given_utilization_applies_to_every_device():
    t = computesim.sweep(device=MIXED, days=1, utilization="0.5").to_pydict()
    assert t["utilization"] == [0.5, 0.5]


def test_mixed_devices_with_an_uncertain_axis():
    t = computesim.sweep(device=MIXED, days="1 to 2").to_pydict()
    assert t["utilization"] == [0.33, 0.17]
    assert t["flop_p50"][0] / t["flop_p50"][1] == pytest.approx(
        8.5 * 0.33 / (0.448 * 0.17), rel=1e-12
    )


# ---- items 2, 3, 6: option types -----------------------------------------------------------


@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(max_points=float("nan")), "max_points"),
        (dict(max_points=-1), "max_points"),
        (dict(max_points=0), "max_points"),
        (dict(max_points=float("inf")), "max_points"),
        (dict(max_points=2.5), "max_points"),
        (dict(max_points="lots"), "max_points"),
        (dict(overwrite="no"), "overwrite"),
        (dict(chunk_points=0), "chunk_points"),
        (dict(quantiles=0.5), "quantiles"),
        (dict(quantiles=[]), "quantiles"),
        (dict(quantiles="0.5"), "quantiles"),
        (dict(group_by=""), "group_by"),
        (dict(solve="days"), "solve"),
        (dict(pue=0.5), "pue"),
        (dict(pue=1.2, mode="reduce", threshold="1e20FLOP"), "pue"),
        (dict(backend="bogus"), "backend"),
        (dict(backend="bogus", target="1e25FLOP", days=None), "backend"),
        (dict(threshold="5"), "threshold"),
        (dict(threshold=",,,"), "threshold"),
        (dict(threshold=""), "threshold"),
        (dict(target="5", days=None), "target"),
        (dict(p_above=[]), "p_above"),
        (dict(p_above="1e25FLOP"), "p_above"),
        (dict(mode="materialize", threshold="1e25FLOP"), "threshold"),
        (dict(method_error=""), "method_error"),
        (dict(count=""), "count"),
        (dict(days=b"5"), "days"),
        (dict(days=[b"5"]), "days"),
        (dict(days={5}), "days"),
        (dict(days=True), "days"),
        (dict(device=5), "device"),
        (dict(out=5), "out"),
        (dict(seed=-1), "seed"),
        (dict(samples=0), "samples"),
    ],
)
def test_bad_options_name_their_field(kw, field):
    base = dict(device="K80", days=1) | kw
    with pytest.raises(InputError) as e:
        computesim.sweep(**{k: v for k, v in base.items() if v is not None})
    assert e.value.field == field, e.value


@pytest.mark.parametrize(
    "argv, msg",
    [
        (["--count", ""], "--count: empty axis"),
        (["--method-error", ""], "--method-error:"),
        (["--threshold", ",,,"], "--threshold:"),
        (["--quantiles", ""], "--quantiles: empty list"),
        (["--group-by", ""], "--group-by: is empty"),
        (["--solve", "days"], "--solve: only used in inverse mode"),
        (
            ["--backend", "bogus", "--target", "1e25FLOP", "--days", "1"],
            "--backend: unknown backend",
        ),
        (["--threshold", "5"], "--threshold: '5' needs a unit"),
        (["--max-points", "nan"], "--max-points: must be a"),
        (["--max-points", "-1"], "--max-points: must be a"),
        (["--max-points", "inf"], "--max-points: must be a"),
        (["--p-above", ",,,"], "--p-above: empty list"),
        (["--samples", "nan"], "--samples:"),
        (["--days", "1:10:100000000000"], "--max-points: the grid has 1e+11 points"),
        (["--days", "1e300:1.7e308:3"], "--days: the grid's compute overflows"),
        (["--days", "1e-300 to 1e300"], "--days:"),
    ],
)
def test_cli_one_line_exit_2(run, argv, msg):
    base = ["--device", "K80", "--count", "1", "--days", "1"]
    code, _out, err = run(*base, *argv)
    assert (
        code == 2 and err.count("\n") == 1 and err.startswith("computesim: error: ") and msg in err
    ), err


def test_max_points_integral_float_from_the_cli_is_accepted(run):
    code, _out, err = run("--tflops", "1,2", "--days", "1", "--max-points", "2", "--json")
    assert code == 0, err


# ---- item 4: the guard before allocation ------------------------------------------------------


def test_huge_axis_is_guarded_before_allocation(monkeypatch):
    def no_alloc(*a, **k):
        raise AssertionError("allocated")

    monkeypatch.setattr(np, "linspace", no_alloc)
    with pytest.raises(InputError, match="1e\\+11 points") as e:
        computesim.sweep(device="K80", days="1:10:100000000000")
    assert e.value.field == "max_points"
    with pytest.raises(
        InputError, match="2e\\+06 points"
    ):  # the product, before any range is built
        computesim.sweep(tflops="1:2:2000", days="1:2:1000", max_points=10**6)
    with pytest.raises(
        InputError, match="per axis"
    ) as e:  # allowed by max_points, but one axis too long
        grid.parse_axis("1:2:" + "9" * 30, "days")


# ---- item 5: scenario files -------------------------------------------------------------------

AX = '[axes]\ndevice = "K80"\ndays = 1\n'


@pytest.mark.parametrize(
    "body, key",
    [
        ("[sweep]\nchunk_points = 0\n", "chunk_points"),
        ('[sweep]\nmax_points = "lots"\n', "max_points"),
        ("[sweep]\nmax_points = 0\n", "max_points"),
        ("[reduce]\nquantiles = 0.5\n", "quantiles"),
        ("[sweep]\nout = 5\n", "out"),
        ('[sweep]\noverwrite = "no"\n', "overwrite"),
        ("[sweep]\nbackend = 3\n", "backend"),
        ('[inverse]\npue = "x"\n', "pue"),
        ("[axes]\ncount = true\n", "count"),
        ("[axes]\ncount = {a = 1}\n", "count"),
    ],
)
def test_scenario_value_types(run, tmp_path, body, key):
    sc = tmp_path / "s.toml"
    sc.write_text(
        AX + body
        if not body.startswith("[axes]")
        else '[axes]\ndevice = "K80"\ndays = 1\n' + body[7:]
    )
    code, _, err = run(str(sc))
    assert (
        code == 2 and err.startswith(f"computesim: error: {sc}: {key}: ") and err.count("\n") == 1
    ), err


def test_scenario_overwrite_string_keeps_the_file(run, tmp_path):
    (tmp_path / "o.arrow").write_bytes(b"keep")
    sc = tmp_path / "s.toml"
    sc.write_text(AX + '[sweep]\nout = "o.arrow"\noverwrite = "no"\n')
    code, _, _err = run(str(sc))
    assert code == 2 and (tmp_path / "o.arrow").read_bytes() == b"keep"


def test_scenario_errors_later_name_file_and_key(run, tmp_path):
    sc = tmp_path / "s.toml"
    sc.write_text('[axes]\ndevice = "K80"\ndays = -1\n[sweep]\nmax_points = 1\n')
    code, _, err = run(str(sc))
    assert code == 2 and f"{sc}: days: must be positive" in err
    code, _, err = run(str(sc), "--days", "-2")  # a flag overrides: the flag is named
    assert code == 2 and "error: --days: must be positive" in err
    code, _, err = run(str(sc), "--days", "1,2")
    assert code == 2 and f"{sc}: max_points: the grid has 2 points" in err


def test_scenario_path_problems_one_line(run, tmp_path):
    (tmp_path / "d.toml").mkdir()
    (tmp_path / "bad.toml").write_text("[axes\n")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe")
    for name, msg in (
        ("d.toml", "is a directory"),
        ("bad.toml", "not valid TOML"),
        ("bin.toml", "not UTF-8"),
        ("none.toml", "no such file"),
    ):
        code, _, err = run(str(tmp_path / name))
        assert code == 2 and msg in err and err.count("\n") == 1, err


# ---- item 7: chunk ownership and inverse ------------------------------------------------------


def test_unreused_batches_own_their_buffers():
    g = grid.build_grid({"tflops": "1:2:7", "days": "1:3:5"})
    be = get_backend("reference")
    batches = list(sweeps.materialize_batches(g, be, chunk=10, reuse=False))
    assert len(batches) == 4
    whole = np.concatenate([b.column("flop").to_numpy() for b in batches])
    ref = np.multiply.outer(np.linspace(1, 2, 7), np.linspace(1, 3, 5)).ravel() * g.const * 0.33
    np.testing.assert_allclose(whole, ref, rtol=1e-14)


def test_multi_chunk_in_memory_table_is_exact():
    kw = dict(
        device="K40,K80",
        count="1,8,64",
        days="1:100:10log",
        utilization="0.2:0.5:4",
        backend="numba",
    )
    one = computesim.sweep(**kw)
    many = computesim.sweep(**kw, chunk_points=7)
    assert one.equals(many)


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_inverse_chunked_on_the_backend_matches(backend, tmp_path):
    kw = dict(
        device="K40,K80",
        count="1:64:9",
        utilization="0.2:0.5:4",
        target="1e22FLOP",
        price_per_hour=2.0,
    )
    one = computesim.sweep(**kw, backend="reference")
    many = computesim.sweep(**kw, backend=backend, chunk_points=5)
    assert one.column_names == many.column_names and one.num_rows == many.num_rows == 72
    for c in one.column_names:
        if pa.types.is_floating(one.schema.field(c).type):
            np.testing.assert_allclose(one[c].to_numpy(), many[c].to_numpy(), rtol=1e-14)
    out = computesim.sweep(**kw, backend=backend, chunk_points=5, out=tmp_path / "inv.arrow")
    meta = arrow_io.read_metadata(out)
    assert meta["backend"] == backend and meta["mode"] == "inverse"
    back = pa.ipc.open_file(str(out)).read_all()
    np.testing.assert_allclose(
        back["days_needed"].to_numpy(), one["days_needed"].to_numpy(), rtol=1e-14
    )


def test_inverse_in_memory_is_guarded():
    with pytest.raises(InputError, match="inverse table") as e:
        computesim.sweep(tflops="1:2:1000", count="1:2:1000", target="1e25FLOP", max_points=10**5)
    assert e.value.field == "max_points"


@pytest.mark.parametrize(
    "text", [" " * 1_000_000 + "x", "1" * 1_000_000 + ":", " " * 500_000 + "1:2:" + " " * 500_000]
)
def test_axis_text_is_read_in_linear_time(text):
    """A megabyte of axis text is refused at once (the old range regex backtracked: 114 s at 100 kB).
    SIGALRM turns a regression into a failure instead of a hang."""
    import signal

    from computesim.sweeps.grid import axis_length, parse_axis

    def hang(signum, frame):
        raise AssertionError("axis parsing did not finish in 30 s: quadratic again?")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(30)
    try:
        assert axis_length(text, "days") >= 1
        with pytest.raises(InputError):
            parse_axis(text, "days")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
