"""``computesim bands``: a band for every row of a table (CSV, Parquet, Arrow; Arrow or Parquet out).

Tables of computesim's own columns (``method``, ``days``, ``tflops``, ...) get the band
``computesim estimate`` would give each system; any other recognised layout (Epoch AI's exports,
the AI and Compute chart table, ...) goes through ``uncertainty.rows.dataset_bands``: bounds,
confidence levels or re-derived inputs, and the threshold audit.
"""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from computesim.cluster import connect
from computesim.core.inputs import parse_seed, parse_whole
from computesim.data.layouts import LAYOUTS, ROLES
from computesim.data.table import read_table
from computesim.errors import InputError
from computesim.io.arrow import check_output, write_table
from computesim.io.figures import check_plot_path
from computesim.uncertainty.band import MAX_SAMPLES, parse_factor, parse_thresholds
from computesim.uncertainty.rows import RowBands, dataset_bands, parse_confidence_factors
from computesim.uncertainty.table import bands_table, models_of_rows, read_systems

from .output import emit_json, format_table, with_flags

#: API parameter (as InputError names it) -> the flag that sets it.
FLAGS = {
    "layout": "--layout",
    "columns": "--col",
    "confidence_factors": "--confidence-factors",
    "unknown": "--unknown-confidence",
    "bounds_level": "--bounds-level",
    "source": "INPUT",
    "DATA": "INPUT",
    "samples": "--samples",
    "seed": "--seed",
    "plot": "--plot",
    "plot_probability": "--plot-probability",
    "thresholds": "--threshold",
    "client": "--scheduler",
}
MAX_SHOWN = 20  #: rows printed in text mode (all rows: --json or --out)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bands",
        help="a band for every row of a table (CSV/Parquet/Arrow in, Arrow/Parquet out)",
        description="A band for every row. Layouts recognised by their columns: "
        + ", ".join(lay.name for lay in LAYOUTS)
        + ". Dataset rows: bounds columns (a 90%% interval), else the Confidence level's factor, "
        "else re-derived from hardware x quantity x hours or 6 x parameters x tokens. computesim's "
        "own columns: a 'method' column (hardware or ops) and the inputs of `computesim estimate` "
        "(days, tflops, count, ...; ranges as '5 to 6 days').",
    )
    p.add_argument("input", metavar="INPUT", help="a .csv, .parquet or .arrow table")
    p.add_argument("--layout", help="use this layout instead of the one recognised")
    p.add_argument(
        "--col",
        action="append",
        default=[],
        metavar="ROLE=COLUMN",
        help="take ROLE from COLUMN (roles: " + ", ".join(ROLES) + "); ROLE= for none",
    )
    p.add_argument(
        "--confidence-factors",
        metavar="LEVEL=F,...",
        help="90%% interval factor per confidence level (default Confident=3,Likely=10,"
        "Speculative=30: assumptions)",
    )
    p.add_argument(
        "--unknown-confidence",
        choices=("widest", "exclude"),
        default="widest",
        help="rows with a blank or unknown level: the widest factor (default) or no band",
    )
    p.add_argument(
        "--bounds-level",
        default="0.9",
        help="the interval the lower/upper bound columns give (default 0.9)",
    )
    p.add_argument("--out", metavar="FILE", help="write the bands to FILE.arrow or FILE.parquet")
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="draw every row's band over time with the thresholds to FILE.png, .svg or .pdf "
        "(needs matplotlib: the plot extra)",
    )
    p.add_argument(
        "--plot-probability",
        metavar="FILE",
        help="draw each row's P(compute > threshold) over time and the expected count above each "
        "threshold by year to FILE.png, .svg or .pdf (needs --threshold and matplotlib)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace --out/--plot/--plot-probability if they exist",
    )
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
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS|local[:N]",
        help="sample the rows on a Dask cluster (the dask extra): a scheduler address, or local:N "
        "worker processes; the same bands as one machine",
    )
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=run)


def _columns(items: list[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for item in items:
        role, eq, col = item.partition("=")
        if not eq:
            raise InputError("--col", f"expected ROLE=COLUMN, got {item!r}")
        out[role.strip()] = col.strip() or None
    return out


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except InputError as exc:
        if exc.field.startswith("columns["):  # columns[flop]: the --col that named it
            exc = InputError("columns", f"{exc.field[8:-1]}: {exc.problem}")
        raise with_flags(exc, FLAGS) from None


def _run(args: argparse.Namespace) -> int:
    if args.out:
        check_output(args.out, args.overwrite)
    if args.plot:
        check_plot_path(args.plot, args.overwrite)
    if args.plot_probability:
        if not args.threshold:
            raise InputError("plot_probability", "needs at least one --threshold")
        check_plot_path(args.plot_probability, args.overwrite, "plot_probability")
    samples = parse_whole(args.samples, "--samples", 1, MAX_SAMPLES)
    seed = parse_seed(args.seed, "--seed")
    err = parse_factor(args.method_error) if args.method_error else None
    thresholds = parse_thresholds(",".join(args.threshold)) if args.threshold else []
    ds = read_table(args.input, layout=args.layout, columns=_columns(args.col))
    if ds.recognised.layout == "computesim-systems":
        for flag in ("plot", "plot_probability"):
            if getattr(args, flag):
                raise InputError(
                    flag, "draws dataset rows (a date per row); this is a systems table"
                )
        with _cluster(args.scheduler) as client:
            return _systems(args, samples, seed, err, thresholds, client)
    cols = ds.recognised.columns
    if not {"flop", "pfs_days", "hardware", "params"} & set(cols):
        raise InputError(
            "INPUT",
            f"no known column (no compute column, nor inputs to derive it; give one with --col "
            f"flop=COLUMN); columns are: {', '.join(ds.raw.column_names)[:200]}",
        )
    try:
        level = float(args.bounds_level)
    except ValueError:
        raise InputError(
            "--bounds-level", f"expected a number, got {args.bounds_level!r}"
        ) from None
    factors = (
        parse_confidence_factors(args.confidence_factors, "--confidence-factors")
        if args.confidence_factors
        else None
    )
    with _cluster(args.scheduler) as client:
        rb = dataset_bands(
            ds,
            confidence_factors=factors,
            bounds_level=level,
            unknown=args.unknown_confidence,
            thresholds=thresholds,
            samples=samples,
            seed=seed,
            method_error=err or 2.0,
            backend=args.backend,
            client=client,
        )
    if args.out:
        write_table(rb.table, args.out, {"kind": "dataset bands", **rb.to_dict()}, args.overwrite)
    if args.plot:
        from computesim.uncertainty.fan_chart import plot_bands  # matplotlib: only to draw

        plot_bands(args.plot, rb, overwrite=args.overwrite)
    if args.plot_probability:
        from computesim.uncertainty.fan_chart import plot_probability  # matplotlib: only to draw

        plot_probability(args.plot_probability, rb, overwrite=args.overwrite)
    if args.json:
        emit_json({**rb.to_dict(), "rows": rb.rows()})
    else:
        _print(rb)
    return 0


def _print(rb: RowBands) -> None:
    m = rb.meta
    print(f"{m['origin']['name']}: layout {m['layout']} ({m['title']})")
    print("columns: " + ", ".join(f"{r}={c!r}" for r, c in m["columns"].items()))
    for note in m["notes"]:
        print(f"dates: {note}")
    print(f"confidence factors: {m['confidence_source']}; unknown level: {m['unknown_confidence']}")
    print("rows: " + ", ".join(f"{v} {k}" for k, v in rb.counts().items()))
    cols = ["row", "system", "band_source", "p5_flop", "p50_flop", "p95_flop", "status"]
    rows = rb.table.select(cols).to_pylist()
    shown = [
        [r[c] if not isinstance(r[c], float) else f"{r[c]:.3g}" for c in cols]
        for r in rows[:MAX_SHOWN]
    ]
    print(format_table(cols, [[("" if v is None else v) for v in r] for r in shown]))
    if len(rows) > MAX_SHOWN:
        print(f"... {len(rows) - MAX_SHOWN} more rows (all of them: --json or --out)")
    _print_cross_check(rb)
    for a in rb.audits:
        lo, hi = a.interval
        print(
            f"above {a.threshold_flop:g} FLOP: expected {a.expected:.2f} models "
            f"(90% interval {lo} to {hi}), {len(a.uncertain)} uncertain (0.05 < P < 0.95)"
        )
        for u in a.uncertain[:MAX_SHOWN]:
            print(f"  P={u['p_above']:.2f}  {u['name']}")


def _print_cross_check(rb: RowBands) -> None:
    """Rows re-derived beside their recorded compute, those off by more than 3x, missing chips."""
    cc, dis = rb.cross_checked(), rb.disagreements
    factor = rb.meta["cross_check"]["disagreement_factor"]
    print(
        f"cross-checked: {cc['hardware']} rows by hardware (method 2), {cc['ops']} by 6 N D "
        f"(method 1); {len(dis)} disagree by more than {factor:g}x"
    )
    if dis:
        cols = ["row", "system", "method", "recorded_flop", "rederived_flop", "ratio"]
        print(
            format_table(
                cols,
                [
                    [d[c] if not isinstance(d[c], float) else f"{d[c]:.3g}" for c in cols]
                    for d in dis[:MAX_SHOWN]
                ],
            )
        )
    missing = rb.meta["hardware_missing_profiles"]
    if missing:
        print(
            "hardware without a profile (rows it would unlock): "
            + ", ".join(f"{k} ({v})" for k, v in missing.items())
        )


def _cluster(scheduler: str | None) -> contextlib.AbstractContextManager[Any]:
    """A Dask client for --scheduler (started and closed here), or None without it."""
    return connect(scheduler) if scheduler is not None else contextlib.nullcontext()


def _systems(
    args: argparse.Namespace, samples: int, seed: int, err, thresholds, client: Any = None
) -> int:
    """computesim's own systems table: each row the band `computesim estimate` gives it."""
    models, labels = models_of_rows(read_systems(args.input), err)
    table = bands_table(
        models, labels, samples, seed, thresholds, args.force_mc, args.backend, client=client
    )
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
