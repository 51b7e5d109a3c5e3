"""Faults, end to end in subprocesses (``python -m computesim``): signals during a streamed write,
a full disk, a file-size limit, stdout full or closed, corrupted inputs. Each: one stderr line, the
promised exit code, no traceback, and nothing left under the output name (an existing file under
--overwrite unchanged)."""

from __future__ import annotations

import os
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from argv import BIG_SWEEP
from signals_support import default_signals

PY = [sys.executable, "-m", "computesim"]
#: A streamed sweep that runs for many seconds (2e8 points); it is stopped long before the end. The
#: NumPy reference backend: no JIT compilation, and the same streamed writer as the others.
BIG = [
    *BIG_SWEEP,
    "--backend",
    "reference",
    "--no-progress",
]
#: 10,000 points: about 400 kB as Arrow IPC, 100+ kB as Parquet.
SMALL = [
    "sweep",
    "--tflops",
    "1:9:100",
    "--count",
    "1:64:10",
    "--days",
    "1:365:10",
    "--backend",
    "reference",
    "--no-progress",
]


def cs(*argv, **kw) -> subprocess.CompletedProcess:
    """Run ``python -m computesim ARGV``; text output captured."""
    kw.setdefault("stdout", subprocess.PIPE)
    return subprocess.run(
        [*PY, *map(str, argv)], stderr=subprocess.PIPE, text=True, timeout=120, **kw
    )


def one_line(err: str) -> str:
    """The single stderr line (asserts there is exactly one, and no traceback)."""
    lines = err.strip().splitlines()
    assert "Traceback" not in err and len(lines) == 1, err
    return lines[0]


def temps(folder: Path) -> list[Path]:
    return [f for f in folder.iterdir() if f.name.startswith(".") and ".tmp" in f.name]


def start_streaming(out: Path, *extra: str) -> subprocess.Popen:
    """Start the big sweep to ``out``; return once its temporary file has data in it."""
    p = subprocess.Popen(
        [*PY, *BIG, "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_signals,
    )
    deadline = time.time() + 60
    while time.time() < deadline and p.poll() is None:
        if any(f.stat().st_size > 0 for f in temps(out.parent) if f.exists()):
            return p
        time.sleep(0.02)
    p.kill()
    pytest.fail(f"no temporary file appeared: {p.communicate()}")


@pytest.mark.parametrize(
    "sig, code, word", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
)
def test_signal_mid_write_removes_temp_and_keeps_old_file(tmp_path, sig, code, word):
    """INT/TERM mid-write: one line, exit 128+n, temp removed, the file --overwrite was to replace intact."""
    out = tmp_path / "big.arrow"
    out.write_bytes(b"the previous results")
    p = start_streaming(out, "--overwrite")
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == code
    assert word in one_line(err)
    assert temps(tmp_path) == []
    assert out.read_bytes() == b"the previous results"


def test_sigkill_temp_removed_by_next_write(tmp_path):
    """KILL mid-write: the temp file stays (nothing can run), the old file is intact, and the next
    write to the folder removes the temp file and says so."""
    out = tmp_path / "big.parquet"
    out.write_bytes(b"the previous results")
    p = start_streaming(out, "--overwrite")
    p.kill()
    p.communicate(timeout=60)  # reaped: its PID is no longer alive
    left = temps(tmp_path)
    assert len(left) == 1 and str(p.pid) in left[0].name
    assert out.read_bytes() == b"the previous results"
    r = cs("examples", "--out", tmp_path / "next.arrow")
    assert r.returncode == 0
    assert "removed" in one_line(r.stderr) and left[0].name in r.stderr
    assert temps(tmp_path) == []
    assert sorted(f.name for f in tmp_path.iterdir()) == ["big.parquet", "next.arrow"]


def _fsize_limit(nbytes: int):
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))


@pytest.mark.parametrize("ext", ["arrow", "parquet"])
def test_file_size_limit(tmp_path, ext):
    """``ulimit -f`` exceeded mid-write: not killed by SIGXFSZ; one line, exit 2, no file."""
    r = cs(*SMALL, "--out", tmp_path / f"x.{ext}", preexec_fn=_fsize_limit(16 * 1024))
    assert r.returncode == 2
    assert "file too large" in one_line(r.stderr)
    assert list(tmp_path.iterdir()) == []


def _tmpfs_ok() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


def test_disk_full(tmp_path):
    """A full disk (a 256 KiB tmpfs in a private mount namespace): one line, exit 2, folder empty."""
    if not _tmpfs_ok():
        pytest.skip(
            "cannot mount a tmpfs here (unshare -rm); the file-size limit test covers the same path"
        )
    folder = shlex.quote(str(tmp_path))
    run = shlex.join([*PY, *SMALL, "--out", str(tmp_path / "x.arrow")])
    script = (
        f"mount -t tmpfs -o size=256k tmpfs {folder} && {run}; rc=$?; ls -A {folder} >&2; exit $rc"
    )
    r = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 2
    assert "no space left" in one_line(
        r.stderr
    )  # one line: `ls -A` of the full folder printed nothing


@pytest.mark.parametrize(
    "argv", [["examples"], ["examples", "--json"], ["estimate", "--tflops", "1", "--days", "1"]]
)
def test_stdout_full(argv):
    """stdout on /dev/full: one line naming stdout, exit 2, no traceback."""
    with open("/dev/full", "w") as full:
        r = cs(*argv, stdout=full)
    assert r.returncode == 2
    assert "stdout" in one_line(r.stderr)


def test_stdout_closed():
    """stdout closed (``>&-``): refused before any work, one line, exit 2."""
    r = cs("examples", stdout=None, preexec_fn=lambda: os.close(1))
    assert r.returncode == 2
    assert "stdout" in one_line(r.stderr)


def test_stdout_pipe_closed_early_is_not_an_error():
    """``computesim examples | head``: the reader going away ends the run quietly, exit 0."""
    p = subprocess.Popen(
        [*PY, "examples", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    p.stdout.close()
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0 and err == b""


def _corrupt(tmp_path: Path, kind: str) -> Path:
    """A damaged input file of ``kind`` (truncated, or bytes overwritten, or not UTF-8)."""
    import pyarrow as pa
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    path = tmp_path / kind
    if kind.endswith((".arrow", ".parquet")):
        table = pa.table(
            {"system": [f"s{i}" for i in range(200)], "flop": [1e20 * (i + 1) for i in range(200)]}
        )
        if kind.endswith(".parquet"):
            pq.write_table(table, path, compression="zstd")
        else:
            with ipc.new_file(str(path), table.schema) as w:
                w.write_table(table)
        data = bytearray(path.read_bytes())
        if kind.startswith("trunc"):
            data = data[: len(data) // 2]
        else:
            data[100:400] = b"\xff" * 300
        path.write_bytes(bytes(data))
        return path
    path.write_bytes(
        {
            "bin.csv": b"system,flop\n\xff\xfe\x00garbage\x00,1e20\n",
            "trunc.csv": b'system,flop\n"GPT',
            "trunc.toml": b'[axes]\ndevice = "K80"\ncount = [1, 2\n',
            "bin.toml": b"\xff\xfe[axes\x00",
            "prof.toml": b'[[profile]]\nname = "X"\npeak = {fp32 = ',
        }[kind]
    )
    return path


@pytest.mark.parametrize(
    "kind, argv, stdout",
    [
        ("trunc.arrow", ["bands", "{}"], "pipe"),
        ("trunc.parquet", ["bands", "{}"], "full"),
        ("bad.parquet", ["bands", "{}"], "pipe"),
        ("bad.arrow", ["bands", "{}"], "full"),
        ("bin.csv", ["bands", "{}"], "full"),
        ("bin.csv", ["trend", "{}"], "pipe"),
        ("trunc.csv", ["trend", "{}"], "full"),
        ("trunc.parquet", ["trend", "{}"], "pipe"),
        ("trunc.toml", ["sweep", "{}"], "full"),
        ("bin.toml", ["sweep", "{}"], "pipe"),
        (
            "prof.toml",
            ["estimate", "--device", "X", "--count", "1", "--days", "1", "--profile-file", "{}"],
            "full",
        ),
        ("bin.toml", ["profiles", "--profile-file", "{}"], "pipe"),
    ],
)
def test_corrupted_input(tmp_path, kind, argv, stdout):
    """Truncated or corrupted Arrow/Parquet/CSV/TOML inputs: one line, exit 2, no output file (some
    with stdout on /dev/full)."""
    path = _corrupt(tmp_path, kind)
    argv = [a.format(path) for a in argv]
    if argv[0] in ("bands", "trend", "sweep"):
        argv += ["--out", str(tmp_path / "out.arrow")]
    with open("/dev/full", "w") as full:
        r = cs(*argv, stdout=full if stdout == "full" else subprocess.PIPE)
    assert r.returncode == 2
    one_line(r.stderr)
    assert [f.name for f in tmp_path.iterdir()] == [path.name]
