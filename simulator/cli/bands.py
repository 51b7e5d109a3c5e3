"""``computesim bands``: a band for every system of a CSV or Arrow table (Arrow out, quantile columns)."""

from __future__ import annotations

import argparse

from computesim.core.inputs import parse_seed, parse_whole
from computesim.io.arrow import check_writable, write_table
from computesim.uncertainty.band import MAX_SAMPLES, parse_factor, parse_thresholds
from computesim.uncertainty.table import bands_table, models_of_rows, read_systems

from .output import emit_json, format_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bands",
        help="uncertainty bands for a table of systems (CSV/Arrow in, Arrow out)",
        description="One row per system: a 'method' column (hardware or ops) and the inputs of "
        "`computesim estimate` as columns (days, tflops, count, utilization, device; "
        "forward_macs, examples, epochs, ...), ranges written as '5 to 6 days'.",
    )
    p.add_argument("input", metavar="INPUT", help="a .csv, .arrow or .parquet table of systems")
    p.add_argument("--out", metavar="FILE", help="write the bands to FILE.arrow or FILE.parquet")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument(
        "--samples",
        default="10000",
        help="Monte Carlo samples per system, 1 to 1e10 (default 10000)",
    )
    p.add_argument("--seed", default="0", help="random seed, 0 to 2**64 - 1 (default 0)")
    p.add_argument("--force-mc", action="store_true", help="sample even rows with an exact answer")
    p.add_argument("--method-error", metavar="FACTOR", help="model error of the method, e.g. 2x")
    p.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="COMPUTE[,COMPUTE]",
        help="add P(compute > threshold) columns; with a unit: 1e25FLOP",
    )
    p.add_argument("--backend", default="auto", help="auto, reference, numba, cuda")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.out:
        check_writable(args.out, args.overwrite)
    samples = parse_whole(args.samples, "--samples", 1, MAX_SAMPLES)
    seed = parse_seed(args.seed, "--seed")
    err = parse_factor(args.method_error) if args.method_error else None
    thresholds = parse_thresholds(",".join(args.threshold)) if args.threshold else []
    models, labels = models_of_rows(read_systems(args.input), err)
    table = bands_table(models, labels, samples, seed, thresholds, args.force_mc, args.backend)
    if args.out:
        write_table(
            table,
            args.out,
            {
                "kind": "bands",
                "samples": samples,
                "seed": seed,
                "backend": args.backend,
                "method_error": args.method_error,
                "units": {"*_pfs_days": "petaflop/s-days"},
            },
            overwrite=args.overwrite,
        )
    if args.json:
        emit_json(table.to_pylist())
    elif not args.out:
        cols = ["system", "method", "p5_pfs_days", "p50_pfs_days", "p95_pfs_days", "exact"]
        print(
            format_table(
                cols,
                [
                    [r[c] if not isinstance(r[c], float) else f"{r[c]:.3g}" for c in cols]
                    for r in table.select(cols).to_pylist()
                ],
            )
        )
    return 0
