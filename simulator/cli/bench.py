"""``computesim bench``: throughput of the estimator core against its NumPy reference and the machine."""

from __future__ import annotations

import argparse
import os

from computesim.benchmarks import WorkloadImportError, plot, workloads
from computesim.benchmarks.compare import NOISE_FACTOR, compare, hosts_differ, load
from computesim.errors import InputError, shown
from computesim.io.arrow import check_output
from computesim.io.figures import check_plot_path
from computesim.kernels import get_backend

from .output import emit_json, format_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="benchmark the estimator core on this machine",
        description="Times each workload (point estimates, sweeps, Monte Carlo, Arrow writes, "
        "import and CLI start) on each backend, with its ratio to the NumPy reference "
        "and to the machine's limit (memory write bandwidth, a fused arithmetic loop, "
        "interpreter start), all measured in the same run.",
    )
    p.add_argument(
        "--quick", action="store_true", help="small sizes and short timings (under a minute)"
    )
    p.add_argument("--json", action="store_true", help="print a JSON array, one object per row")
    p.add_argument(
        "--timings",
        action="store_true",
        help="one stderr line per job and per limit measured: its wall seconds, split into build, "
        "first call and check, timed repeats",
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        help="append the rows to FILE.arrow or FILE.parquet (created if absent)",
    )
    p.add_argument(
        "--compare",
        metavar="OLD.arrow",
        help="print each row's throughput ratio to the matching row (workload, backend, size, "
        "threads) of the latest run in OLD.arrow/.parquet and flag changes beyond noise "
        f"(at least {NOISE_FACTOR}x, more where either run's median/best spread is wider)",
    )
    p.add_argument(
        "--backend",
        action="append",
        choices=("numba", "cuda", "reference"),
        help="backends to time besides the reference (may repeat; default: all usable)",
    )
    p.add_argument(
        "--only",
        action="append",
        metavar="TEXT",
        help="workloads whose name contains TEXT (may repeat)",
    )
    p.add_argument(
        "--threads", default="all", help="Numba threads: 'all', a number, or a list like 1,all"
    )
    p.add_argument(
        "--scaling",
        action="store_true",
        help="throughput over sizes 10^3..10^8 (10^9 for reduced sweeps), threads 1 and all",
    )
    p.add_argument("--max-size", type=float, metavar="N", help="largest size of a scaling run")
    p.add_argument(
        "--plot",
        metavar="FILE.png",
        help="plot the scaling run to FILE (implies --scaling; needs matplotlib)",
    )
    p.add_argument(
        "--gpu-check",
        action="store_true",
        help="on a GPU: the CUDA tests (pytest -m cuda, from a source checkout), then the GPU "
        "benchmarks (device write bandwidth, materialised sweep's share of it, Monte Carlo "
        "samples/s vs the CPU), one table",
    )
    p.add_argument("--no-tests", action="store_true", help="with --gpu-check: the benchmarks only")
    p.set_defaults(func=run)


def _threads(text: str) -> list[int]:
    from computesim.benchmarks.suite import all_threads  # deferred: loads Numba (the limit kernels)

    out = []
    for part in text.split(","):
        part = part.strip()
        if part == "all":
            out.append(all_threads())
        elif part.isdigit() and len(part) <= 6 and 1 <= int(part) <= all_threads():
            out.append(int(part))
        else:
            raise InputError(
                "--threads", f"expected 'all' or 1..{all_threads()}, got {shown(part)}"
            )
    return sorted(set(out))


def _check_paths(args: argparse.Namespace) -> None:
    """--out (appended to when it exists) and --plot (replaced), checked before any run."""

    if args.out:
        out = check_output(args.out, overwrite=True, field="--out")
        if out.exists() and not os.access(out, os.R_OK | os.W_OK):
            raise InputError("--out", f"{args.out} is not readable and writable")
    if args.plot:
        check_plot_path(args.plot, overwrite=True)
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise InputError(
                "--plot", "matplotlib is not installed; pip install 'computesim[plot]'"
            ) from None


def _backends(names: list[str] | None) -> list[str] | None:

    for name in names or []:
        get_backend(name)  # unavailable -> InputError naming why
    return names


def _fmt(x, digits: int = 3) -> str:
    if x is None:
        return "-"
    return f"{x:.{digits}g}" if abs(x) < 1e4 else f"{x:.{digits}e}"


def text(rows: list[dict]) -> str:
    """The rows as an aligned table, with the machine and the limits below (and, after
    ``--compare``, each row's ratio to the previous run and whether it changed beyond noise)."""
    compared = bool(rows) and "change" in rows[0]
    headers = [
        "workload",
        "backend",
        "size",
        "threads",
        "throughput",
        "unit",
        "vs ref",
        "vs limit",
        "first s",
    ]
    body = [
        [
            r["workload"],
            r["backend"],
            f"{r['size']:.0e}" if r["size"] >= 10**4 else r["size"],
            r["threads"],
            _fmt(r["throughput"]),
            r["unit"],
            _fmt(r["vs_reference"], 2) + _at(r),
            _fmt(r["vs_limit"], 2),
            _fmt(r["first_seconds"], 2),
        ]
        + ([_fmt(r["vs_previous"], 2), _flag(r)] if compared else [])
        for r in rows
    ]
    if compared:
        headers += ["vs old", "change"]
    lines = [format_table(headers, body), ""]
    if rows:
        r = rows[0]
        lines.append(
            f"machine: {r['cpu_model']}, {r['cpu_cores']} cores, {r['memory_gib']} GiB"
            + (
                f", GPU {r['gpu_name']} ({r['gpu_memory_gib']} GiB)"
                if r["gpu_name"]
                else ", no GPU"
            )
            + f"; load {_fmt(r['load_avg_1min'], 2)}; {r['date']}"
        )
        lines.append(f"cpu: {r.get('cpu_id') or '?'}; flags: {r.get('cpu_flags') or '-'}")
        seen = sorted(
            {
                (
                    x["limit"],
                    1 if x["limit"] == "startup" else x["threads"],
                    x["limit_value"],
                    x["limit_unit"],
                )
                for x in rows
                if x["limit"]
            },
            key=str,
        )
        lines.append(
            "limits: "
            + "; ".join(
                f"{k}{'' if k == 'startup' else f' ({t} thr)'} {_fmt(v)} {u}" for k, t, v, u in seen
            )
        )
        lines.append(
            "vs ref = throughput / the reference backend's at the same size (@N: at size N); "
            "vs limit = share of the limit "
            "(bandwidth: bytes written / write bandwidth)"
        )
    if compared:
        slower = sum(r["change"] == "slower" for r in rows)
        lines.append(
            f"vs old = throughput / the previous run's (same workload, backend, size, threads); "
            f"change beyond noise (>= {NOISE_FACTOR}x or the rows' median/best spread): "
            f"{slower} slower, {sum(r['change'] == 'faster' for r in rows)} faster"
        )
    return "\n".join(lines)


def _at(r: dict) -> str:
    """The size the row's reference ran at, as " @1e+05", where it is not the row's own size."""
    at = r.get("reference_size")
    return "" if at is None or at == r["size"] else f" @{at:.0e}"


def _flag(r: dict) -> str:
    return {"slower": "SLOWER", "faster": "faster", "same": "", "new": "new"}[r["change"]]


def run(args: argparse.Namespace) -> int:
    """Run the suite; a workload module that fails to import: one line on stderr, exit 1."""
    import sys

    if args.gpu_check or args.no_tests:
        return _gpu_check(args)
    _check_paths(args)
    _max_size(args.max_size)
    previous = load(args.compare) if args.compare else None
    try:
        names = list(workloads())
    except WorkloadImportError as exc:
        print(f"computesim: error: bench: {exc}", file=sys.stderr)
        return 1
    _check_only(args.only, names)
    return _run(args, previous)


def _gpu_check(args: argparse.Namespace) -> int:
    """``--gpu-check``: the CUDA tests and GPU benchmarks (``benchmarks.gpu``); exit 1 when a test
    or a benchmark's check fails."""
    import json
    import sys

    if not args.gpu_check:
        raise InputError("--no-tests", "only goes with --gpu-check")
    for flag in ("out", "compare", "scaling", "plot", "only", "backend", "max_size"):
        if getattr(args, flag):
            raise InputError("--gpu-check", f"does not take --{flag.replace('_', '-')}")
    from computesim.benchmarks import gpu  # deferred: loads numba.cuda

    if not gpu.available():
        raise InputError("--gpu-check", "no CUDA device here (numba-cuda finds no GPU)")
    try:
        report = gpu.check(run_tests=not args.no_tests, repeats=2 if args.quick else 5)
    except gpu.FAILURES as exc:
        print(f"computesim: error: gpu check: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    print(json.dumps(report) if args.json else gpu.table(report))
    return 0 if report["tests"].get("ok", True) else 1


def _max_size(value: float | None) -> None:
    """--max-size: a whole number from 10^3 (the smallest scaling size) up; InputError otherwise."""
    import math

    if value is not None and not (math.isfinite(value) and value >= 1000 and value == int(value)):
        raise InputError("--max-size", f"must be a whole number >= 1000, got {value:g}")


def _check_only(only: list[str] | None, names: list[str]) -> None:
    """Every --only TEXT must be non-empty and match at least one workload name."""
    for text in only or []:
        if not text.strip():
            raise InputError(
                "--only", "empty text matches every workload; leave --only out to run them all"
            )
        if not any(text.lower() in n.lower() for n in names):
            raise InputError(
                "--only",
                f"no workload name contains {text[:40]!r}; workloads are: {', '.join(names)}",
            )


def _run(args: argparse.Namespace, previous: dict[tuple, dict] | None = None) -> int:
    import sys

    from computesim.benchmarks import suite  # deferred: loads Numba (the limit kernels)

    backends = _backends(args.backend)
    threads = _threads(args.threads)
    mode = (
        "tiny"
        if os.environ.get("COMPUTESIM_BENCH_TINY") == "1"
        else ("quick" if args.quick else "full")
    )
    progress = not args.json and os.isatty(2)
    if args.scaling or args.plot:
        rows = suite.run_scaling(
            backends, args.only, int(args.max_size) if args.max_size else None, mode, progress
        )
    else:
        rows = suite.run_suite(
            mode,
            backends=backends,
            threads=threads,
            only=args.only,
            progress=progress,
            timings=args.timings,
        )
    if args.out:
        suite.append(rows, args.out)
    if previous is not None:
        compare(rows, previous)
        note = hosts_differ(rows, previous)
        if note:
            print(f"computesim: bench --compare: {note}", file=sys.stderr)
    if args.plot:
        plot.plot_scaling(rows, args.plot)  # looked up at call time (tests stub it)
    if args.json:
        emit_json(rows)
    else:
        print(text(rows))
    return 0
