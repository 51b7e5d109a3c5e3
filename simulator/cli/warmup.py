"""``computesim warmup``: compile the Numba kernels once (into Numba's on-disk cache), so that the
first sweep, estimate or ``computesim bench`` does not pay for it."""

from __future__ import annotations

import argparse
import time

from .output import emit_json, format_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "warmup",
        help="compile the Numba kernels once (run after installing)",
        description="Runs every Numba workload of `computesim bench` once at small sizes (both "
        "sides of the kernels' serial/threaded switch), checked, so that their compiled code is "
        "in Numba's on-disk cache (beside the package, or NUMBA_CACHE_DIR). Later processes load "
        "it instead of compiling. Prints what each step cost.",
    )
    p.add_argument("--json", action="store_true", help="print the steps as a JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from computesim.benchmarks.warmup import warm  # deferred: loads Numba
    from computesim.kernels import available_backends

    t0 = time.perf_counter()
    backends = [b for b in ("numba", "cuda") if b in available_backends()]
    steps = warm(backends)
    total = time.perf_counter() - t0
    if args.json:
        emit_json({"seconds": total, "backends": backends, "steps": steps})
        return 0
    body = [
        [
            s["workload"],
            s["backend"],
            "-" if s["size"] is None else s["size"],
            f"{s['seconds']:.2f}",
        ]
        for s in steps
    ]
    print(format_table(["workload", "backend", "size", "first s"], body))
    print(f"\nwarmed {', '.join(backends)} kernels in {total:.1f} s")
    return 0
