"""The CLI: JSON contracts, Arrow output, and one clear line with exit code 2 on bad input."""

import subprocess
import sys

import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from computesim.io.arrow import read_metadata


def test_estimate_hardware_json_contract(cli):
    r = cli("estimate", "hardware", "--device", "GTX 580", "--count", 2, "--days", 5.5, "--json")
    assert r.code == 0
    d = r.json()
    assert d["method"] == "hardware" and d["inputs"]["count"] == 2
    assert d["flop"] == 2 * 1.58e12 * 5.5 * 86_400 * 0.33
    assert d["pfs_days"] == pytest.approx(d["flop"] / 8.64e19, rel=1e-15)


def test_estimate_ops_text(cli):
    r = cli("estimate", "ops", "--forward-macs", "0.75e9", "--examples", "1.2e6", "--epochs", 90)
    assert r.code == 0 and "method 1" in r.out and "pfs-days" in r.out and "FLOP" in r.out


def test_estimate_6nd(cli):
    d = cli("estimate", "--params", "175e9", "--tokens", "300e9", "--json").json()
    assert d["method"] == "ops" and d["flop"] == pytest.approx(3.15e23, rel=1e-12)


def test_estimate_both_methods_ratio_and_flag(cli):
    d = cli(
        "estimate",
        "--device",
        "GTX 580",
        "--count",
        2,
        "--days",
        5.5,
        "--forward-macs",
        "0.75e9",
        "--examples",
        "1.2e6",
        "--epochs",
        90,
        "--json",
    ).json()
    assert d["method"] == "both" and d["agree"] is True
    assert [e["method"] for e in d["estimates"]] == ["ops", "hardware"]
    assert d["ratio_hardware_over_ops"] == pytest.approx(
        d["estimates"][1]["flop"] / d["estimates"][0]["flop"]
    )
    far = cli(
        "estimate", "--tflops", 1, "--days", 100, "--forward-macs", 1e9, "--examples", 1e6, "--json"
    ).json()
    assert far["agree"] is False
    text = cli("estimate", "--tflops", 1, "--days", 100, "--forward-macs", 1e9, "--examples", 1e6)
    assert "DISAGREE" in text.out


def test_examples_json_has_sixteen_products(cli):
    rows = cli("examples", "--json").json()
    assert len(rows) == 16
    for row in rows:
        assert {"system", "method", "flop", "pfs_days", "inputs", "printed_pfs_days"} <= row.keys()
        assert row["within_tolerance"] is True
    alex = next(r for r in rows if r["system"] == "AlexNet" and r["method"] == "hardware")
    assert alex["pfs_days"] == pytest.approx(2 * 1.58e12 * 5.5 * 86_400 * 0.33 / 8.64e19, rel=1e-15)


def test_examples_text_flags_seq2seq(cli):
    r = cli("examples")
    assert r.code == 0 and "Seq2Seq" in r.out and "0.085" in r.out and "[1]" in r.out


def test_examples_reported_bounds(cli):
    rows = cli("examples", "--reported", "--json").json()
    assert sum(1 for r in rows if r.get("upper_bound")) == 4


@pytest.mark.parametrize("ext", ["arrow", "parquet"])
def test_examples_out_writes_arrow(cli, tmp_path, ext):
    path = tmp_path / f"ex.{ext}"
    assert cli("examples", "--out", path).code == 0
    table = pq.read_table(path) if ext == "parquet" else ipc.open_file(str(path)).read_all()
    assert table.num_rows == 16 and {"system", "flop", "pfs_days", "printed_pfs_days"} <= set(
        table.column_names
    )
    assert read_metadata(path)["kind"] == "worked_examples"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


def test_examples_out_refuses_to_overwrite(cli, tmp_path):
    path = tmp_path / "ex.arrow"
    path.write_text("keep me")
    r = cli("examples", "--out", path)
    assert r.code == 2 and "exists" in r.err and path.read_text() == "keep me"
    assert cli("examples", "--out", path, "--overwrite").code == 0


def test_profiles_list_and_detail(cli):
    assert "GTX 580" in cli("profiles").out
    d = cli("profiles", "gtx580", "--json").json()
    assert d["peak_range_flop_per_s"]["fp32"] == [1.54e12, 1.581e12]


BAD = [
    (["estimate", "--tflops", "8.5", "--count", "-3", "--days", "3"], "--count", "positive"),
    (["estimate", "--tflops", "8.5", "--count", "0", "--days", "3"], "--count", "positive"),
    (["estimate", "--tflops", "nan", "--days", "3"], "--tflops", "NaN"),
    (["estimate", "--tflops", "inf", "--days", "3"], "--tflops", "finite"),
    (
        ["estimate", "--tflops", "8.5", "--days", "3", "--utilization", "1.5"],
        "--utilization",
        "at most 1",
    ),
    (["estimate", "--device", "GTX 508", "--days", "3"], "--device", "did you mean"),
    (["estimate", "--tflops", "8.5", "--days", "3 parsecs"], "--days", "unknown unit"),
    (["estimate", "--tflops", "3 days", "--days", "3"], "--tflops", "expected FLOP/s"),
    (["estimate", "hardware", "--device", "GTX 580"], "--days", "required"),
    (["estimate", "ops", "--forward-macs", "1e9"], "--examples", "required"),
    (["estimate", "ops", "--examples", "1e6"], "--forward-macs", "exactly one"),
    (
        ["estimate", "ops", "--forward-macs", "1 GFLOP/s", "--examples", "1"],
        "--forward-macs",
        "expected MAC",
    ),
    (
        ["estimate", "hardware", "--forward-macs", "1", "--days", "1"],
        "--forward-macs",
        "not an input",
    ),
    (["estimate", "--extra", "nonsense", "--tflops", "1", "--days", "1"], "--extra", "NAME=VALUE"),
    (["estimate"], "estimate", "give hardware inputs"),
    (["estimate", "--bogus"], "estimate", "unrecognized"),
    (
        ["estimate", "--device", "K80", "--count", "60", "--dayz", "3"],
        "estimate",
        "--dayz'; did you mean --days?",
    ),
    (["estimate", "3", "--days", "1", "--tflops", "1"], "estimate", "unknown method '3'"),
    (
        ["estimate", "--tflops", "1", "--days", "1", "--seed", "18446744073709551616"],
        "--seed",
        "2**64 - 1",
    ),
    (["estimate", "--tflops", "1", "--days", "1 to 2", "--samples", "1e11"], "--samples", "1e+10"),
    ([], "COMMAND", "missing"),
    (["profiles", "nope-9000"], "device", "unknown device"),
    (["examples", "--out", "table.csv"], "--out", "extension"),
    (["examples", "--out", "/nonexistent-dir/x.arrow"], "--out", "does not exist"),
]


@pytest.mark.parametrize("argv, field, needle", BAD, ids=[" ".join(b[0])[:60] for b in BAD])
def test_bad_input_one_line_exit_2(cli, argv, field, needle):
    r = cli(*argv)
    assert r.code == 2 and r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith(f"computesim: error: {field}: ") and needle in lines[0]


def test_unwritable_directory(cli, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        import os

        if os.access(ro, os.W_OK):  # running as root: permissions are not enforced
            pytest.skip("directory permissions are not enforced for this user")
        r = cli("examples", "--out", ro / "x.arrow")
        assert r.code == 2 and "not writable" in r.err and not any(ro.iterdir())
    finally:
        ro.chmod(0o700)


def test_console_script_exit_code():
    exe = [sys.executable, "-m", "computesim"]
    ok = subprocess.run(
        exe + ["estimate", "--tflops", "1", "--days", "1"], capture_output=True, text=True
    )
    assert ok.returncode == 0 and "pfs-days" in ok.stdout
    bad = subprocess.run(
        exe + ["estimate", "--tflops", "-1", "--days", "1"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


MY_GPU = """
name = "Lab GPU 9000"
aliases = ["LG9000"]
kind = "gpu"
release_date = 2026-01-01
per = "chip"
memory_gib = 48
memory_bandwidth_gb_per_s = 1000
tdp_w = 350
[sources]
release_date = "our lab"
memory_gib = "our lab"
memory_bandwidth_gb_per_s = "our lab"
tdp_w = "our lab"
[peak.fp32]
tflop_per_s = 40
clock = "boost"
source = "vendor sheet"
"""


def test_user_profile_file(cli, tmp_path):
    path = tmp_path / "lab.toml"
    path.write_text(MY_GPU)
    d = cli("estimate", "--device", "LG9000", "--profile-file", path, "--days", 2, "--json").json()
    assert d["inputs"]["device"] == "Lab GPU 9000" and d["flop"] == 40e12 * 2 * 86_400 * 0.33
    assert "Lab GPU 9000" in cli("profiles", "--profile-file", path).out


def test_user_profile_file_errors_name_file_and_field(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(MY_GPU.replace("tdp_w = 350", "tdp = 350"))
    r = cli("estimate", "--device", "LG9000", "--profile-file", path, "--days", 2)
    assert r.code == 2 and str(path) in r.err and "'tdp'" in r.err
    r = cli(
        "estimate", "--device", "LG9000", "--profile-file", tmp_path / "missing.toml", "--days", 2
    )
    assert r.code == 2 and "--profile-file" in r.err
