"""The one atomic writer (arrow_io.check_output / atomic_path / clean_stale), in process."""

from __future__ import annotations

import errno
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from computesim.errors import InputError
from computesim.io import arrow as arrow_io
from computesim.io.arrow import atomic_path, check_output, clean_stale, temp_name, write_table

TABLE = pa.table({"x": [1.0, 2.0, 3.0]})


def _dead_pid() -> int:
    """The PID of a process that has ended and been reaped."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_name_too_long_is_one_error(tmp_path):
    with pytest.raises(InputError, match="out: file name too long"):
        check_output(tmp_path / ("a" * 300 + ".arrow"))


def test_name_at_the_limit_writes_and_leaves_no_temp(tmp_path):
    """The temporary name is longer than the final one: it is shortened to fit, suffix kept."""
    out = tmp_path / ("a" * (255 - len(".arrow")) + ".arrow")
    assert len(temp_name(out).name) <= 255 and len(temp_name(out, keep_suffix=True).name) <= 255
    assert temp_name(out, keep_suffix=True).suffix == ".arrow"
    write_table(TABLE, out)
    assert [f.name for f in tmp_path.iterdir()] == [out.name]


@pytest.mark.parametrize("overwrite", [False, True])
def test_directory_is_not_an_output(tmp_path, overwrite):
    (tmp_path / "d.arrow").mkdir()
    with pytest.raises(InputError, match=r"d\.arrow is a directory"):
        write_table(TABLE, tmp_path / "d.arrow", overwrite=overwrite)


def test_trend_plot_onto_a_directory(cli, tmp_path):
    (tmp_path / "p.png").mkdir()
    r = cli("trend", "--examples", "--plot", tmp_path / "p.png", "--overwrite")
    assert (
        r.code == 2
        and r.err.strip() == f"computesim: error: --plot: {tmp_path / 'p.png'} is a directory"
    )


def test_uncreatable_file_is_one_error(cli):
    """A folder no file can be created in (even as root): one line, exit 2."""
    r = cli("examples", "--out", "/proc/computesim-test.arrow")
    assert (
        r.code == 2
        and r.err.startswith("computesim: error: --out:")
        and len(r.err.strip().splitlines()) == 1
    )


@pytest.mark.parametrize(
    "exc, why",
    [
        (OSError(errno.ENOSPC, "No space left on device"), "no space left on the device"),
        (
            OSError(
                "[Errno 28] Error writing bytes to file. Detail: [errno 28] No space left on device"
            ),
            "no space left on the device",
        ),  # pyarrow: the errno only in the message
        (OSError(errno.EFBIG, "File too large"), "file too large"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "disk quota exceeded"),
    ],
)
def test_write_errors_keep_the_old_file(tmp_path, exc, why):
    """A failing write: InputError naming the field and the reason; temp removed; old file intact."""
    out = tmp_path / "r.arrow"
    out.write_bytes(b"old")
    with pytest.raises(InputError, match=f"out: cannot write .*: {why}"):
        with atomic_path(out, overwrite=True) as tmp:
            tmp.write_bytes(b"new, half")
            raise exc
    assert [f.name for f in tmp_path.iterdir()] == ["r.arrow"] and out.read_bytes() == b"old"


def test_interrupt_keeps_the_old_file(tmp_path):
    out = tmp_path / "r.parquet"
    out.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(out, overwrite=True) as tmp:
            tmp.write_bytes(b"new, half")
            raise KeyboardInterrupt
    assert [f.name for f in tmp_path.iterdir()] == ["r.parquet"] and out.read_bytes() == b"old"


def test_clean_stale_removes_only_dead_processes_files(tmp_path, caplog):
    dead, alive = _dead_pid(), os.getppid()
    mine = temp_name(tmp_path / "a.parquet").name  # this process: never stale
    host = mine.split(".")[-2]
    other_host = "0" * 8 if host != "0" * 8 else "1" * 8
    names = {
        f".a.parquet.{dead}.{host}.tmp": True,  # dead process, this host
        f".p.png.{dead}.{host}.tmp.png": True,  # a plot's temp
        f".old.arrow.{dead}.tmp": True,  # before host tags
        f".a.parquet.{alive}.{host}.tmp": False,  # still running
        f".a.parquet.{dead}.{other_host}.tmp": False,  # another host's (shared folder)
        f".notes.txt.{dead}.tmp": False,  # not a file computesim writes
        mine: False,
        "a.parquet": False,
    }
    for n in names:
        (tmp_path / n).write_bytes(b"x")
    with caplog.at_level(logging.WARNING, "computesim.io"):
        removed = clean_stale(tmp_path)
    assert sorted(p.name for p in removed) == sorted(n for n, stale in names.items() if stale)
    assert sorted(f.name for f in tmp_path.iterdir()) == sorted(
        n for n, stale in names.items() if not stale
    )
    assert len(caplog.records) == 3 and all(str(dead) in r.getMessage() for r in caplog.records)


def test_next_write_cleans_the_folder(tmp_path):
    stale = (
        tmp_path
        / f".big.parquet.{_dead_pid()}.{temp_name(tmp_path / 'x.arrow').name.split('.')[-2]}.tmp"
    )
    stale.write_bytes(b"x" * 1000)
    write_table(TABLE, tmp_path / "t.arrow")
    assert [f.name for f in tmp_path.iterdir()] == ["t.arrow"]


def test_examples_reported_out_writes_the_reported_table(cli, tmp_path):
    out = tmp_path / "r.arrow"
    r = cli("examples", "--reported", "--out", out)
    assert r.code == 0
    t = ipc.open_file(str(out)).read_all()
    assert t.num_rows == 6 and {"system", "flop", "pfs_days", "upper_bound"} <= set(t.column_names)
    assert arrow_io.read_metadata(out)["kind"] == "reported_results"


def test_main_restores_signal_handlers(cli):
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGXFSZ)}
    assert cli("examples", "--json").code == 0
    assert {s: signal.getsignal(s) for s in before} == before


def test_stdout_closed_in_process(cli, monkeypatch):
    monkeypatch.setattr(sys, "stdout", None)
    assert cli("examples").code == 2


def test_plot_path_uses_the_common_check(tmp_path):
    from computesim.io.figures import check_plot_path

    with pytest.raises(InputError, match=r"plot: .*extension"):
        check_plot_path(tmp_path / "p.arrow")
    with pytest.raises(InputError, match="plot: file name too long"):
        check_plot_path(tmp_path / ("p" * 300 + ".png"))
    assert check_plot_path(Path(tmp_path / "p.PNG")) == tmp_path / "p.PNG"
