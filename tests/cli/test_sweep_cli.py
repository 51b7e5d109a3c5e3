"""``computesim sweep`` end to end: flags, scenario files, JSON, exit code 2 on bad input."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
from argv import BIG_SWEEP
from signals_support import default_signals

import computesim.cli as cli
from computesim.io import arrow as arrow_io

CARD = [
    "--device",
    "GTX 580",
    "--count",
    "1,8,64",
    "--days",
    "1:100:10log",
    "--utilization",
    "0.2:0.5:4",
]


@pytest.fixture
def run(monkeypatch, capsys):
    """main(argv) with only the sweep subcommand registered (other subcommands live on other branches)."""
    monkeypatch.setattr(cli, "COMMANDS", ("sweep",))

    def go(*argv):
        code = cli.main(["sweep", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return go


def test_card_example_to_parquet(run, tmp_path):
    out = tmp_path / "results.parquet"
    code, stdout, err = run(*CARD, "--out", str(out), "--no-progress")
    assert code == 0, err
    assert "backend auto -> reference (NumPy: small work, 120" in err  # no JIT start-up
    assert "wrote 120 rows" in stdout
    meta = arrow_io.read_metadata(out)
    assert meta["backend"] == "reference" and meta["shape"] == [1, 3, 10, 4]


def test_materialise_energy_and_cost_columns(run, tmp_path):
    out = tmp_path / "costs.parquet"
    code, _, err = run(
        *CARD, "--pue", "1.2", "--price-per-hour", "0.5", "--out", str(out), "--no-progress"
    )
    assert code == 0, err
    import pyarrow.parquet as pq

    t = pq.read_table(out)
    assert t.column_names[-3:] == ["device_hours", "energy_kwh", "cost_usd"]
    for r in t.to_pylist():  # GTX 580: 244 W TDP
        assert r["energy_kwh"] == pytest.approx(r["count"] * r["days"] * 24 * 244 * 1.2 / 1000)
        assert r["cost_usd"] == pytest.approx(r["count"] * r["days"] * 24 * 0.5)


def test_cost_at_reference_prices_text_json_and_file(run, tmp_path):
    """--cost without --price-per-hour: each device at its profile's dated reference price, said."""
    from computesim.hardware_profiles import find_profile

    argv = ["--device", "H100,A100", "--count", "8,64", "--days", "30", "--cost", "--no-progress"]
    code, stdout, err = run(*argv)
    assert code == 0, err
    lines = [x for x in stdout.splitlines() if x.startswith("price: ")]
    assert len(lines) == 2
    for name in ("H100", "A100"):
        p = find_profile(name)
        line = next(x for x in lines if p.name in x)
        assert f"{p.reference_price_usd_per_hour:g} USD per device-hour" in line
        assert p.reference_price_date in line and "lambda.ai" in line
    code, stdout, err = run(*argv, "--json")
    assert code == 0, err
    doc = json.loads(stdout)
    for r in doc["rows"]:
        price = doc["prices"][r["device"]]["usd_per_hour"]
        assert r["cost_usd"] == pytest.approx(r["count"] * 30 * 24 * price)
    out = tmp_path / "c.parquet"
    code, stdout, err = run(*argv, "--out", str(out))
    assert code == 0 and stdout.count("price: ") == 2, err
    assert arrow_io.read_metadata(out)["prices"] == doc["prices"]


@pytest.mark.parametrize(
    "argv",
    [
        ["--device", "TPU v5p", "--count", "8", "--days", "1", "--cost"],
        ["--tflops", "100", "--count", "8", "--target", "1e24FLOP", "--cost"],
    ],
)
def test_cost_without_any_price_is_one_line_exit_2(run, tmp_path, argv):
    out = tmp_path / "x.parquet"
    code, stdout, err = run(*argv, "--out", str(out), "--no-progress")
    assert code == 2 and err.startswith("computesim: error: --price-per-hour: "), err
    assert err.count("\n") == 1 and stdout == "" and not out.exists()


def test_reduce_json(run):
    code, stdout, err = run(
        *CARD,
        "--threshold",
        "1e20FLOP",
        "--quantiles",
        "0.5,0.95",
        "--group-by",
        "count",
        "--json",
        "--backend",
        "reference",
    )
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["mode"] == "reduce" and doc["backend"] == "reference"
    assert [r["count"] for r in doc["rows"]] == [1.0, 8.0, 64.0]
    assert [r["count_at_least"] for r in doc["rows"]] == [0, 0, 10]
    assert all(r["q0.5_flop"] <= r["q0.95_flop"] for r in doc["rows"])


def test_inverse_table_text(run):
    code, stdout, err = run(
        "--device",
        "GTX 580",
        "--count",
        "1,8",
        "--target",
        "1e25FLOP",
        "--price-per-hour",
        "1.5",
        "--pue",
        "1.1",
    )
    assert code == 0, err
    assert "days_needed" in stdout and "energy_kwh" in stdout and "cost_usd" in stdout


def test_scenario_file(run, tmp_path):
    sc = tmp_path / "scenario.toml"
    sc.write_text(
        '[sweep]\nout = "res.arrow"\nbackend = "numba"\n'
        '[axes]\ntflops = [4.2, 8.5]\ncount = "1,8,64"\ndays = "1:100:10log"\nutilization = "0.2:0.5:4"\n'
    )
    code, stdout, err = run(str(sc), "--no-progress")
    assert code == 0, err
    meta = arrow_io.read_metadata(tmp_path / "res.arrow")
    assert meta["points"] == 2 * 3 * 10 * 4 and meta["scenario"]["tflops"] == [4.2, 8.5]
    # flags override the file
    code, stdout, err = run(
        str(sc), "--count", "1", "--threshold", "1e19FLOP", "--json", "--overwrite"
    )
    assert code == 0, err
    assert json.loads(stdout)["mode"] == "reduce"
    import pyarrow as pa

    back = pa.ipc.open_file(str(tmp_path / "res.arrow")).read_all()
    assert back["points"].to_pylist() == [2 * 10 * 4]


@pytest.mark.parametrize(
    "argv, msg",
    [
        (["--tflops", "1", "--days", ""], "--days: empty axis"),
        (["--tflops", "1", "--days", "1,-3"], "--days: must be positive"),
        (["--tflops", "1", "--days", "100:1:10log"], "--days: range written backwards"),
        (["--device", "Nonexistent 9000", "--days", "1"], "--device: unknown device"),
        (
            ["--tflops", "1:2:1000", "--days", "1:2:1000", "--count", "1:2:1000"],
            "--max-points: the grid has 1e+09 points",
        ),
        (["--tflops", "1", "--days", "1", "--backend", "tpu"], "--backend: unknown backend"),
        (["--tflops", "1", "--days", "1", "--quantiles", "0.5,x"], "--quantiles: not a number"),
        (["--tflops", "1", "--days", "1", "--group-by", "epochs"], "--group-by: no axis"),
    ],
)
def test_bad_input_one_line_exit_2(run, argv, msg):
    code, _stdout, err = run(*argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[-1].startswith("computesim: error: ") and msg in lines[-1]
    assert "Traceback" not in err


def test_existing_output_exit_2(run, tmp_path):
    out = tmp_path / "r.parquet"
    out.write_bytes(b"keep")
    code, _, err = run(*CARD, "--out", str(out))
    assert code == 2 and "exists; pass --overwrite" in err and out.read_bytes() == b"keep"
    code, _, err = run(*CARD, "--out", str(out), "--overwrite", "--no-progress")
    assert code == 0 and arrow_io.read_metadata(out)["points"] == 120


def test_unavailable_backend_is_an_error(run, monkeypatch):
    import computesim.kernels as k

    monkeypatch.setattr(k, "cuda_status", lambda: (False, "no CUDA GPU found"))
    code, _, err = run("--tflops", "1", "--days", "1", "--backend", "cuda")
    assert code == 2 and "--backend: cuda is not available" in err


def test_ctrl_c_leaves_no_file(tmp_path):
    """SIGINT during a long streamed write: exit non-zero, nothing under the final name, no temp."""
    out = tmp_path / "big.parquet"
    code = (
        "import sys, computesim.cli as c; c.COMMANDS = ('sweep',); sys.exit(c.main(sys.argv[1:]))"
    )
    argv = [
        *BIG_SWEEP,
        "--out",
        str(out),
        "--backend",
        "numba",
        "--no-progress",
    ]
    p = subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_signals,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not any(f.name.endswith(".tmp") for f in tmp_path.iterdir()):
        time.sleep(0.05)
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode != 0
    assert "interrupted" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["--group-by", "epochs"], "--group-by"),
        (["--max-points", "2"], "--max-points"),
        (["--threshold", "5"], "--threshold"),
        (["--price-per-hour", "nope"], "--price-per-hour"),
        (["--pue", "0.5"], "--pue"),
    ],
)
def test_errors_name_flags(run, argv, flag):
    code, _, err = run(*CARD, *argv, "--no-progress")
    assert code == 2 and err.startswith(f"computesim: error: {flag}: "), err


def test_progress_bar_is_drawn_by_the_cli(run, monkeypatch, tmp_path):
    from computesim.cli import sweep as cli_sweep

    calls = []

    class Bar:
        def __enter__(self):
            return lambda done, total: calls.append((done, total))

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(cli_sweep, "tqdm_bar", lambda enabled: Bar())
    code, _, err = run(*CARD, "--out", str(tmp_path / "r.arrow"))
    assert code == 0, err
    assert calls[-1] == (120, 120)
