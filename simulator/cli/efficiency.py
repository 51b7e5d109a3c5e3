"""``computesim efficiency``: the halving time of the compute needed for a fixed result, from the
source's comparisons (``--examples``) or fitted from a CSV of (date, compute needed)."""

from __future__ import annotations

import argparse
import math
from typing import Any

from computesim.core.inputs import parse_seed
from computesim.data import datasets
from computesim.errors import InputError

from .output import emit_json, format_table, with_flags

FLAGS = {
    "start": "--from",
    "end": "--to",
    "n_boot": "--bootstrap",
    "seed": "--seed",
    "level": "--ci",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "efficiency",
        help="algorithmic efficiency: halving time of the compute needed for a fixed result",
        description="The halving time each of the source's comparisons implies (--examples), "
        "or a least-squares fit with a bootstrap interval from a CSV of (date, compute needed "
        "to reach a fixed benchmark level).",
    )
    p.add_argument("data", nargs="?", metavar="DATA.csv", help="CSV: date, compute needed")
    p.add_argument("--examples", action="store_true", help="the source's comparisons")
    p.add_argument("--date-col", help="date column")
    p.add_argument("--compute-col", help="compute column (FLOP, or --compute-unit pfs-days)")
    p.add_argument("--name-col", help="name column")
    p.add_argument("--compute-unit", choices=("flop", "pfs-days"), help="unit of bare numbers")
    p.add_argument("--from", dest="start", metavar="DATE", help="window start")
    p.add_argument("--to", dest="end", metavar="DATE", help="window end, exclusive")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="resamples (1000)")
    p.add_argument("--seed", default="0", help="random seed, 0 to 2**64 - 1 (0)")
    p.add_argument("--ci", type=float, default=0.95, help="confidence level (0.95)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _months(v: float | None) -> str:
    return "inf" if v is None or not math.isfinite(v) else f"{v:.3g}"


def report(args: argparse.Namespace) -> dict[str, Any]:
    """The JSON the arguments ask for."""
    # NumPy-heavy: loaded when the command runs
    from computesim.trends.efficiency import EXAMPLES, EXAMPLES_SOURCE, fit_efficiency
    from computesim.trends.fit import parse_when

    if args.examples == bool(args.data):
        raise InputError("DATA", "give a CSV file or --examples (one of them)")
    if args.examples:
        return {"source": EXAMPLES_SOURCE, "examples": [e.to_dict() for e in EXAMPLES]}
    pts = datasets.read_csv_points(
        args.data,
        date_col=args.date_col,
        compute_col=args.compute_col,
        name_col=args.name_col,
        compute_unit=args.compute_unit,
    )
    f = fit_efficiency(
        pts.table,
        start=parse_when(args.start, "--from") if args.start else -math.inf,
        end=parse_when(args.end, "--to", end=True) if args.end else math.inf,
        n_boot=args.bootstrap,
        seed=parse_seed(args.seed, "--seed"),
        level=args.ci,
    )
    return f.to_dict() | {"data": pts.origin, "n_skipped": pts.n_skipped, "skipped": pts.skipped}


def _text(out: dict[str, Any]) -> str:
    if "examples" in out:
        rows = [
            [
                e["comparison"],
                f"{e['factor']:g}x",
                f"{e['years']:g}",
                _months(e["implied_halving_months"]),
            ]
            for e in out["examples"]
        ]
        return (
            format_table(["comparison", "less compute", "years", "halving months"], rows)
            + f"\nsource: {out['source']}"
        )
    lo, hi = out["halving_months_ci"]
    return (
        f"data: {out['data']} ({out['n_points']} points, {out['n_skipped']} rows skipped)\n"
        f"compute needed halves every {_months(out['halving_months'])} months "
        f"({out['ci_level']:.0%} CI {_months(lo)}-{_months(hi)}; "
        f"{_months(out['gain_per_year'])}x less per year)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        out = report(args)
    except InputError as exc:
        raise with_flags(exc, FLAGS) from None
    if args.json:
        emit_json(out)
    else:
        print(_text(out))
    return 0
