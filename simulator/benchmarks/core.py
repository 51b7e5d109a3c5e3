"""Workloads of the estimator core that no kernel family owns: point-estimate latency,
``import computesim`` time and CLI start (cold JIT and warm). Arrow and Parquet writes of a sweep's
results are sweep workloads (``sweeps``)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from computesim.core.methods import estimate_hardware

from .registry import Case, Workload, register

#: AlexNet, method 2: 2 GTX 580 x 1.58 TFLOPS x 5.5 days x 0.33, in pfs-days (computed, not printed).
ALEXNET_PFS_DAYS = 2 * 1.58e12 * 5.5 * 86400 * 0.33 / 8.64e19
HEAVY = ("numba", "pyarrow", "scipy", "matplotlib", "cupy")


def _point_exact(size: int, backend: str) -> Case:
    """``size`` exact hardware-method estimates (profile lookup, unit parsing, factor product)."""

    def run():
        return [
            estimate_hardware(device="GTX 580", count=2, days="5.5 days").pfs_days
            for _ in range(size)
        ]

    def check(got):
        assert len(got) == size and all(
            math.isclose(g, ALEXNET_PFS_DAYS, rel_tol=1e-12) for g in got
        ), got[:3]

    return Case(run, check, items=size)


def _python(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


def _import_time(size: int, backend: str) -> Case:
    """``python -c 'import computesim'`` in a fresh interpreter; checks nothing heavy was imported."""
    code = f"import sys, computesim; print(sorted(set({HEAVY!r}) & set(sys.modules)))"

    def check(p):
        assert p.returncode == 0, p.stderr
        assert p.stdout.strip() == "[]", f"import computesim pulled in {p.stdout.strip()}"

    return Case(lambda: _python(code), check, items=1)


def cli_argv() -> list[str]:
    """The CLI call timed (in a child process): a small numba sweep."""
    return [
        "sweep",
        "--backend",
        "numba",
        "--device",
        "GTX 580",
        "--count",
        "1,2,4,8",
        "--days",
        "1:30:30",
        "--json",
    ]


def _cli(cold: bool):
    def build(size: int, backend: str) -> Case:
        argv = cli_argv()
        code = f"import sys; from computesim.cli import main; sys.exit(main({argv!r}))"
        tmp = tempfile.TemporaryDirectory(prefix="computesim-numba-cache-")
        runs = iter(range(1 << 30))

        def run():
            cache = Path(tmp.name) / (f"cold{next(runs)}" if cold else "warm")
            return _python(code, {"NUMBA_CACHE_DIR": str(cache)})

        def check(p):
            assert p.returncode == 0, p.stderr
            json.loads(p.stdout)

        return Case(run, check, items=1, close=tmp.cleanup)

    return build


LATENCY = {"quick": 1, "full": 1}
register(
    Workload(
        "point estimate (exact)",
        "calls/s",
        None,
        ("python",),
        _point_exact,
        dict(LATENCY),
        scaling=1,
        reference=None,
        threaded=False,
        description="estimate_hardware(): profile lookup, unit parsing, exact product",
    )
)


def _start_workload(name: str, build: Callable[[int, str], Case], description: str, **kw: Any):
    """A whole-process start-up workload (runs/s, against the interpreter's own start)."""
    return Workload(
        name,
        "runs/s",
        "startup",
        ("python",),
        build,
        sizes=dict(LATENCY),
        scaling=1,
        reference=None,
        threaded=False,
        description=description,
        **kw,
    )


register(
    _start_workload(
        "import computesim",
        _import_time,
        "a fresh interpreter importing computesim (limit: `python -c pass`)",
    )
)
register(
    _start_workload(
        "cli start (cold JIT)",
        _cli(True),
        "a fresh interpreter running the CLI (cli_argv()) with an empty NUMBA_CACHE_DIR "
        "(two cold runs: the first, checked, and one timed)",
        max_repeats=1,
    )
)
register(
    _start_workload(
        "cli start (warm cache)",
        _cli(False),
        "the same call with the Numba cache filled by the warm-up run",
    )
)

#: Whole-process starts a person waits for at a terminal (issue 14: each under 0.4 s): ``computesim``
#: with these arguments, backend auto, the Numba cache as it is (``computesim warmup`` fills it).
START_ARGV = {
    "uncertain estimate": [
        "estimate",
        "--device",
        "K80",
        "--count",
        "60",
        "--days",
        "30",
        "--utilization",
        "uniform(0.25, 0.4)",
    ],
    "small sweep": [
        "sweep",
        "--device",
        "K40,K80",
        "--count",
        "1,8,64",
        "--days",
        "1:100:10log",
        "--utilization",
        "0.2:0.5:4",
        "--json",
    ],
    # 10^5 points (2 x 50 x 100 x 10) materialised to an Arrow file ({tmp}: a fresh folder)
    "sweep 10^5 points": [
        "sweep",
        "--device",
        "K40,K80",
        "--count",
        "1:1000:50log",
        "--days",
        "1:100:100log",
        "--utilization",
        "0.1:0.9:10",
        "--out",
        "{tmp}/sweep.arrow",
        "--overwrite",
    ],
}
START_RUNS = 5  #: whole-process runs at least; the row's throughput is 1 / their median


def _start(argv: list[str]):
    def build(size: int, backend: str) -> Case:
        tmp = tempfile.TemporaryDirectory(prefix="computesim-start-")
        args = [a.replace("{tmp}", tmp.name) for a in argv]

        def check(p):
            assert p.returncode == 0, p.stderr
            assert p.stdout.strip(), "no output"

        return Case(lambda: _python_m(args), check, items=1, close=tmp.cleanup)

    return build


def _python_m(argv: list[str]) -> subprocess.CompletedProcess:
    """``python -m computesim ARGV`` in a fresh interpreter (as the ``computesim`` script starts)."""
    return subprocess.run(
        [sys.executable, "-m", "computesim", *argv], capture_output=True, text=True, check=False
    )


for _name, _argv in START_ARGV.items():
    register(
        _start_workload(
            f"cli start ({_name})",
            _start(_argv),
            f"whole process, median of >= {START_RUNS}: computesim {' '.join(_argv)}",
            min_repeats=START_RUNS,
            statistic="median",
        )
    )
