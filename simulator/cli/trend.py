"""``computesim trend``: fit compute trends (doubling times with bootstrap intervals), eras,
projections, effective compute, and plots, on the built-in points or a CSV file."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING, Any

from computesim.core import units
from computesim.core.inputs import parse_seed
from computesim.data import datasets
from computesim.data.datasets import Points
from computesim.errors import InputError, require_positive
from computesim.io.arrow import check_output, write_table
from computesim.io.figures import check_plot_path
from computesim.uncertainty.rows import band_interval

from .output import emit_json, format_table, with_flags

if TYPE_CHECKING:
    from computesim.trends.large_scale import LargeRule
    from computesim.trends.report import TrendReport


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "trend",
        help="fit doubling times of training compute, with eras, projections and plots",
        description="Least-squares fit of log10(compute) on date with a bootstrap confidence "
        "interval. Upper bounds are excluded from fits unless --include-bounds.",
    )
    p.add_argument(
        "data", nargs="?", metavar="DATA.csv", help="CSV of data points (or use --examples)"
    )
    p.add_argument(
        "--examples",
        action="store_true",
        help="use the source's worked examples and reported results",
    )
    g = p.add_argument_group("CSV columns (recognised automatically when not given)")
    g.add_argument(
        "--date-col", help="publication-date column (YYYY-MM-DD, DD/MM/YYYY, YYYY-MM or YYYY)"
    )
    g.add_argument("--compute-col", help="training-compute column")
    g.add_argument("--name-col", help="system-name column")
    g.add_argument(
        "--compute-unit", choices=("flop", "pfs-days"), help="unit of bare compute numbers"
    )
    f = p.add_argument_group("fit")
    f.add_argument(
        "--from", dest="start", metavar="DATE", help="window start (a bare year: 1 January)"
    )
    f.add_argument(
        "--to",
        dest="end",
        metavar="DATE",
        help="window end, exclusive (a bare year: through 31 December)",
    )
    f.add_argument(
        "--breaks",
        action="append",
        default=[],
        metavar="DATE[,DATE]|auto",
        help="era breakpoints (a bare year: 1 January); one line per era, with a Chow F-test; "
        "'auto': up to --max-breaks found from the data (segmented regression, BIC)",
    )
    f.add_argument(
        "--max-breaks", type=int, default=2, choices=(0, 1, 2), help="most breaks for auto (2)"
    )
    f.add_argument(
        "--large",
        nargs="?",
        const="zscore",
        default=None,
        metavar="RULE|OOM",
        help="select large-scale systems and fit them beside the regular-scale ones: 'zscore' "
        "(default; Sevilla et al. 2022: log compute more than --large-z SD above the systems "
        "within --large-window years), 'residual', or a number of OOM above the span's line",
    )
    f.add_argument(
        "--large-z", type=float, default=0.72, metavar="Z", help="z-value threshold (0.72)"
    )
    f.add_argument(
        "--large-window",
        type=float,
        default=2.0,
        metavar="YEARS",
        help="comparison window centred on each system (2)",
    )
    f.add_argument(
        "--large-oom",
        type=float,
        default=1.0,
        metavar="OOM",
        help="residual rule: orders of magnitude above the line (1)",
    )
    f.add_argument(
        "--large-evidence",
        type=float,
        default=None,
        metavar="DBIC",
        help="flag no large-scale systems unless two lines (a mixture) beat one by DBIC in BIC "
        "(default: off, the paper's rule as is; 2: none on data with no cluster)",
    )
    f.add_argument(
        "--large-from",
        metavar="DATE|window",
        help="large-scale candidates from DATE (default: 2015-09-01, where the paper's "
        "large-scale era starts, when the window reaches past it, else the window's start; "
        "'window': the window's start)",
    )
    f.add_argument(
        "--include-bounds", action="store_true", help="fit upper bounds as if they were points"
    )
    f.add_argument(
        "--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples (1000)"
    )
    f.add_argument("--seed", default="0", help="random seed, 0 to 2**64 - 1 (0)")
    f.add_argument("--ci", type=float, default=0.95, help="confidence level (0.95)")
    f.add_argument(
        "--propagate",
        action="store_true",
        help="redraw each point within its band in each resample (bounds columns, else its "
        "confidence level: the 90%% band `computesim bands` gives), else by --noise-factor",
    )
    f.add_argument(
        "--noise-factor",
        type=float,
        default=2.0,
        help="log-uniform /F to xF for points without a band (2)",
    )
    q = p.add_argument_group("projections (assumptions printed under 'assumptions')")
    q.add_argument(
        "--project",
        action="append",
        default=[],
        metavar="DATE",
        help="compute on the trend at DATE",
    )
    q.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="FLOP",
        help="date the trend crosses FLOP (default 1e26)",
    )
    q.add_argument(
        "--flop-per-dollar",
        type=float,
        help="price-performance at --price-year (default: V100 2018)",
    )
    q.add_argument(
        "--gpu-hour-usd",
        type=float,
        default=3.06,
        help="GPU rental price per hour for the default (3.06)",
    )
    q.add_argument(
        "--price-year", default="2018", help="date of the price-performance figure (2018)"
    )
    q.add_argument(
        "--price-doubling-months",
        type=float,
        default=18.0,
        help="price-performance doubling time (18)",
    )
    q.add_argument(
        "--budget",
        type=float,
        default=1e12,
        help="budget in dollars for one run (1e12: world hardware/yr)",
    )
    q.add_argument(
        "--cost-years", default="2018,2020,2025", help="years at which to price the trend's run"
    )
    e = p.add_argument_group("algorithmic efficiency")
    e.add_argument(
        "--efficiency-halving-months",
        type=float,
        default=16.0,
        help="halving time of compute needed (16)",
    )
    e.add_argument(
        "--efficiency-data",
        metavar="FILE.csv",
        help="fit the halving time from FILE (date, compute needed for a fixed level; "
        "see `computesim efficiency`) instead of assuming it; its interval is carried into the "
        "effective doubling time's",
    )
    e.add_argument(
        "--efficiency-ref", default="2012", help="date where the efficiency gain is 1 (2012)"
    )
    e.add_argument(
        "--effective",
        action="store_true",
        help="fit and plot effective compute (physical FLOP x efficiency gain since --efficiency-ref)",
    )
    o = p.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="print JSON")
    o.add_argument("--plot", metavar="FILE", help="draw to FILE.png, .svg or .pdf")
    o.add_argument("--out", metavar="FILE", help="write the data points to FILE.arrow or .parquet")
    o.add_argument("--overwrite", action="store_true", help="replace --plot/--out files that exist")
    p.set_defaults(func=run)


#: API parameter (as InputError names it) -> the flag that sets it, for messages.
#: API parameters whose flag is not their own name (the rest: computesim.cli.flag_names)
FLAGS = {
    "large_threshold": "--large",
    "n_boot": "--bootstrap",
    "level": "--ci",
    "t": "--project",
    "threshold_flop": "--threshold",
    "years": "--cost-years",
    "budget_usd": "--budget",
    "path": "--plot",
    "Efficiency.halving_months": "--efficiency-halving-months",
    "PricePerformance.gpu_hour_usd": "--gpu-hour-usd",
    "PricePerformance.doubling_months": "--price-doubling-months",
    "PricePerformance.flop_per_dollar_override": "--flop-per-dollar",
}


def _load(args: argparse.Namespace) -> Points:
    if args.examples == bool(args.data):
        raise InputError("DATA", "give a CSV file or --examples (one of them)")
    if args.examples:
        return datasets.builtin_points()
    return datasets.read_csv_points(
        args.data,
        date_col=args.date_col,
        compute_col=args.compute_col,
        name_col=args.name_col,
        compute_unit=args.compute_unit,
        point_band=band_interval if args.propagate else None,
    )


def _dates(values: list[str], field: str) -> list[float]:
    from computesim.trends.fit import parse_when  # NumPy: loaded when the command runs

    out = []
    for v in values:
        out += [parse_when(x, field) for x in str(v).split(",") if x.strip()]
    return out


def _flop(text: str, field: str) -> float:
    return require_positive(field, units.parse(text, "ops", field))


def _large(args: argparse.Namespace) -> LargeRule | None:
    """The large-scale rule the flags ask for (None without --large)."""
    from computesim.trends.fit import parse_when
    from computesim.trends.large_scale import WINDOW_START, LargeRule

    if args.large is None:
        return None
    start: float | None = None
    if args.large_from and args.large_from.strip().lower() == "window":
        start = WINDOW_START
    elif args.large_from:
        start = parse_when(args.large_from, "--large-from")
    text = str(args.large).strip()
    if text in ("zscore", "residual"):
        return LargeRule(
            text, args.large_z, args.large_window, args.large_oom, start, args.large_evidence
        )
    try:
        oom = float(text)
    except ValueError:
        raise InputError(
            "--large", f"'zscore', 'residual' or a number of OOM, got {text!r}"
        ) from None
    return LargeRule("residual", args.large_z, args.large_window, oom, start, args.large_evidence)


def build(args: argparse.Namespace) -> TrendReport:
    """The trend report the parsed arguments ask for."""
    # NumPy-heavy modules, loaded when the command runs (not when the CLI starts)
    from computesim.trends.efficiency import Efficiency
    from computesim.trends.fit import parse_when
    from computesim.trends.projections import PricePerformance
    from computesim.trends.report import trend_report

    seed = parse_seed(args.seed, "--seed")
    start = parse_when(args.start, "--from") if args.start is not None else -math.inf
    end = parse_when(args.end, "--to", end=True) if args.end is not None else math.inf
    auto = [b.strip() for b in args.breaks] == ["auto"]
    breaks: list[float] | str = "auto" if auto else _dates(args.breaks, "--breaks")
    thresholds = [_flop(x, "--threshold") for x in args.threshold] or [1e26]
    price = PricePerformance(
        gpu_hour_usd=args.gpu_hour_usd,
        year=parse_when(args.price_year, "--price-year"),
        doubling_months=args.price_doubling_months,
        flop_per_dollar_override=args.flop_per_dollar,
    )
    ref = parse_when(args.efficiency_ref, "--efficiency-ref")
    if args.efficiency_data:
        from computesim.trends.efficiency import fit_efficiency

        eff = fit_efficiency(
            datasets.read_csv_points(args.efficiency_data).table,
            n_boot=args.bootstrap,
            seed=seed,
            level=args.ci,
        ).efficiency(ref)
    else:
        eff = Efficiency(args.efficiency_halving_months, ref)
    cost_years = _dates([args.cost_years], "--cost-years")
    project = _dates(args.project, "--project")
    return trend_report(
        _load(args),
        start=start,
        end=end,
        breaks=breaks,
        large=_large(args),
        max_breaks=args.max_breaks,
        include_bounds=args.include_bounds,
        n_boot=args.bootstrap,
        seed=seed,
        level=args.ci,
        propagate=args.propagate,
        noise_factor=args.noise_factor,
        project=project,
        thresholds=thresholds,
        price=price,
        efficiency=eff,
        effective=args.effective,
        cost_years=cost_years,
        budget_usd=args.budget,
    )


def _g(v: float | None) -> str:
    """A number to 3 digits; None (JSON's inf or NaN) and non-finite as 'inf'."""
    return "inf" if v is None or not math.isfinite(v) else f"{v:.3g}"


def _fmt_ci(ci: list[float | None]) -> str:
    return "-".join(_g(v) for v in ci)


def _row(name: str, d: dict[str, Any]) -> list[Any]:
    ci = _fmt_ci(d["doubling_months_ci"]) if d["oom_per_year_ci"][0] > 0 else "includes no growth"
    return [
        name,
        d["n_points"],
        _g(d["doubling_months"]),
        ci,
        _g(d["growth_per_year"]),
        _g(d["oom_per_year"]),
    ]


def _text(out: dict[str, Any]) -> str:
    ls = out["large_scale"]
    rows = [_row("window", out)] + [_row(e["label"], e) for e in out["eras"]]
    if out.get("without_point_uncertainty"):  # --propagate: both fits
        rows[0][0] = "window, points redrawn"
        rows.insert(1, _row("window, points exact", out["without_point_uncertainty"]))
    if ls:
        rows += [
            _row(k.replace("_", "-"), ls[k]) for k in ("regular_scale", "large_scale") if ls[k]
        ]
    lines = [
        f"data: {out['data']} ({out['n_points']} points fitted, {out['n_skipped']} rows skipped"
        + (
            ": " + ", ".join(f"{v} {k}" for k, v in out["skipped"].items())
            if out["skipped"]
            else ""
        )
        + f"; {out['upper_bounds_excluded']} upper bounds {out['upper_bounds']})",
        format_table(
            ["fit", "n", "doubling months", f"{out['ci_level']:.0%} CI", "x/year", "OOM/year"], rows
        ),
    ]
    bp = out["breakpoints"]
    if bp:
        lines.append(
            f"eras found ({bp['chosen']}, by BIC over {len(bp['models'])} models; {bp['fitted_on']}): "
            + (
                ", ".join(
                    f"break {b['date']} ({bp['ci_level']:.0%} CI {b['ci_dates'][0]} to {b['ci_dates'][1]})"
                    for b in bp["breaks"]
                )
                or "no break"
            )
            + "".join(f"; {n}" for n in bp["notes"])
        )
    if out["break_test"]:
        bt = out["break_test"]
        lines.append(
            f"break test ({bt['test']}): "
            + (
                bt.get("note")
                or f"F={_g(bt['F'])}, p={_g(bt['p_value'])}, delta BIC={_g(bt['delta_bic'])}: "
                f"breaks {'warranted' if bt['warranted'] else 'not warranted'} at 5%"
            )
        )
    if ls:
        off = ls["offset"]
        lines.append(
            f"large-scale: {ls['n_points']} of {ls['n_candidates']} systems"
            + (f" from {ls['from']:.2f}" if ls["from"] is not None else "")
            + f" "
            f"({ls['rule']['description']})"
            + (
                f"; large-scale trend {_g(off['oom'])} OOM above the regular-scale one "
                f"(CI {_fmt_ci(off['oom_ci'])})"
                if off
                else ""
            )
            + (f"; {ls['note']}" if ls.get("note") else "")
        )
        ev = ls["cluster_evidence"]
        lines.append(
            "cluster evidence (two lines vs one): "
            + (
                ev["verdict"]
                if ev["delta_bic"] is None
                else f"delta BIC {ev['delta_bic']:.1f} ({ev['min_delta_bic']:g} needed)"
            )
            + ": the large-scale fit "
            + ("can be trusted" if ev["trust_large_scale_fit"] else "should not be trusted")
        )
        mx = ls.get("mixture")
        if mx:
            lines.append(
                "without the selection's bias (two-line mixture, maximum likelihood): large-scale "
                f"doubles every {_g(mx['large_scale_doubling_months'])} months "
                f"(CI {_fmt_ci(mx['large_scale_doubling_months_ci'])}), regular-scale every "
                f"{_g(mx['regular_scale_doubling_months'])} "
                f"(CI {_fmt_ci(mx['regular_scale_doubling_months_ci'])}; {mx['ci_method']})"
            )
    pj = out["projections"]
    for c in pj["compute_at"]:
        lines.append(f"trend at {c['date']}: {c['flop']:.3g} FLOP (CI {_fmt_ci(c['flop_ci'])})")
    for c in pj["threshold_crossing"]:
        lines.append(
            f"crosses {c['threshold_flop']:.3g} FLOP: {c['date']} (CI {c['date_ci'][0]} to {c['date_ci'][1]})"
        )
    cost = pj["cost"]
    for r in cost["cost_by_year"]:
        lines.append(
            f"run on the trend in {r['year']:g}: ${r['usd']:.3g} (CI {_fmt_ci(r['usd_ci'])})"
        )
    lines.append(f"reaches ${cost['budget_usd']:.3g} per run: {cost['budget_reached_date']}")
    ef = out["efficiency"]
    lines.append(
        f"effective compute (algorithmic efficiency halving every {ef['halving_months']:.3g} months, "
        f"{ef['origin']}) doubles every {_g(ef['effective_doubling_months'])} months "
        f"(CI {_fmt_ci(ef['effective_doubling_months_ci'])})"
    )
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from computesim.trends.plots import plot_trend  # NumPy: loaded on run

    if args.plot:
        check_plot_path(args.plot, args.overwrite)
    if args.out:
        check_output(args.out, args.overwrite)
    rep = build(args)
    out = rep.to_dict()
    if args.plot:
        out["plot"] = str(
            plot_trend(
                args.plot,
                rep.points.table,
                rep.fits,
                overwrite=args.overwrite,
                noise_factor=args.noise_factor if args.propagate else None,
                title=f"Training compute: {rep.points.origin}",
            )
        )
    if args.out:
        out["out"] = str(
            write_table(
                rep.points.table,
                args.out,
                {"skipped": rep.points.skipped, "origin": rep.points.origin},
                args.overwrite,
            )
        )
    if args.json:
        emit_json(out)
    else:
        print(_text(out))
    return 0


def run(args: argparse.Namespace) -> int:
    """The command; an API error names its flag (FLAGS), not the parameter."""
    try:
        return _run(args)
    except InputError as exc:
        raise with_flags(exc, FLAGS) from None
