"""``computesim sweep``: what-if grids from flags or a TOML scenario, to Arrow/Parquet or a summary."""

from __future__ import annotations

import json
import logging
import math
import sys

from computesim.errors import InputError
from computesim.io import arrow as arrow_io
from computesim.kernels import get_backend
from computesim.sweeps import scenario
from computesim.sweeps.axes import AXES, AXIS_TABLE, FLAGS, flag_of, parameter_of
from computesim.sweeps.progress import tqdm_bar

from .output import emit_json, format_table

MAX_PRINT = 50  #: rows printed for a materialised sweep without --out
AXIS_HELP = "a list 1,8,64; a range low:high:n or low:high:nlog"


def register(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help="sweep a grid of scenarios (materialise, reduce or inverse)",
        description="Cartesian grid of factor axes; " + AXIS_HELP + ".",
    )
    p.add_argument("scenario", nargs="?", help="TOML scenario file (flags override it)")
    groups = {
        m: p.add_argument_group(f"axes (method {n})") for m, n in (("hardware", 2), ("ops", 1))
    }
    for axis in AXIS_TABLE:
        groups.get(axis.method, p).add_argument(axis.flag, help=axis.help)
    groups["hardware"].add_argument(
        flag_of("precision"),
        help="peak precision from the profiles (default: each profile's training precision)",
    )
    g = p.add_argument_group("modes")
    g.add_argument("--mode", choices=("materialize", "reduce", "inverse"), help="default: inferred")
    g.add_argument(
        "--threshold",
        help="reduce: count points at or above this compute, with a unit (1e25FLOP, 100pfs-days)",
    )
    g.add_argument("--quantiles", help="reduce: grid quantiles, e.g. 0.05,0.5,0.95")
    g.add_argument("--group-by", help="reduce: one row per value of this axis")
    g.add_argument("--target", help="inverse: target compute (1e25FLOP)")
    g.add_argument("--solve", choices=("days", "count"), help="inverse: what to solve for")
    g.add_argument(
        "--pue",
        help="inverse and materialise: power usage effectiveness (inverse default 1.0;"
        " materialise adds device_hours and energy_kwh columns when given)",
    )
    g.add_argument(
        "--price-per-hour",
        help="inverse and materialise: USD per device-hour (adds cost_usd; omitted if not given)",
    )
    g.add_argument(
        "--cost",
        action="store_true",
        default=None,
        help="inverse and materialise: add cost_usd at --price-per-hour, or else at each device "
        "profile's dated reference price (printed with its date and source)",
    )
    g = p.add_argument_group(
        "uncertainty (materialise mode; give an axis as a range, e.g. --utilization '0.25 to 0.4')"
    )
    g.add_argument(
        "--method-error", help="the method's own error as a factor, e.g. 3x (90%% within /3..x3)"
    )
    g.add_argument(
        "--p-above",
        help="per-point probability of exceeding these computes, e.g. 1e25FLOP,1e26FLOP",
    )
    g.add_argument(
        "--samples", help="Monte Carlo samples when not every uncertain factor is lognormal"
    )
    g.add_argument("--seed", help="Monte Carlo seed (default 0)")
    g.add_argument(
        "--force-mc", action="store_true", default=None, help="Monte Carlo even when exact"
    )
    g = p.add_argument_group("output")
    g.add_argument("--out", help=".parquet (zstd) or .arrow (IPC); streamed, atomic")
    g.add_argument(
        "--overwrite", action="store_true", default=None, help="replace an existing --out"
    )
    g.add_argument("--json", action="store_true", help="print the summary as JSON")
    g.add_argument("--backend", help="auto | reference | numba | cuda (default auto)")
    g.add_argument(
        "--max-points",
        help="grid size guard, a positive integer (default 2e8 in memory, 1e10 to a file or reduced)",
    )
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g = p.add_argument_group("cluster (the dask extra)")
    g.add_argument(
        "--scheduler",
        help="run on Dask: local (a worker per core), local:N, or a scheduler address "
        "tcp://host:8786; --out is then a directory of Parquet parts",
    )
    g.add_argument("--parts", help="partitions of the grid (default 4 per worker)")
    p.set_defaults(func=run)


def _float(text, field):
    try:
        return float(text)
    except (TypeError, ValueError):
        shown = repr(text) if len(repr(text)) <= 40 else repr(text)[:40] + "..."
        raise InputError(field, f"not a number: {shown}") from None


def _int(text, field):
    x = _float(text, field)
    positive = field in ("--samples", "--parts")
    if not math.isfinite(x) or x != int(x) or x < (1 if positive else 0):
        raise InputError(
            field,
            f"must be a {'positive' if positive else 'non-negative'} integer, got {text!r}",
        )
    return int(x)


def _kwargs(args) -> tuple[dict, set[str]]:
    """sweep() keyword arguments from the scenario file and the flags, and the keys the file set
    (not overridden by a flag), so that errors about them name the file and key."""
    kw = scenario.load(args.scenario) if args.scenario is not None else {}
    from_file = set(kw)
    for name in tuple(AXES) + (
        "mode",
        "threshold",
        "group_by",
        "target",
        "solve",
        "out",
        "backend",
        "precision",
        "overwrite",
        "cost",
    ):
        v = getattr(args, name)
        if v is not None:
            kw[name] = v
    if args.quantiles is not None:
        kw["quantiles"] = [_float(q, "--quantiles") for q in args.quantiles.split(",") if q.strip()]
    for name, flag in (
        ("pue", "--pue"),
        ("price_per_hour", "--price-per-hour"),
        ("max_points", "--max-points"),
    ):
        v = getattr(args, name)
        if v is not None:
            kw[name] = _float(v, flag)
    if args.method_error is not None:
        kw["method_error"] = args.method_error
    if args.p_above is not None:
        kw["p_above"] = [t for t in args.p_above.split(",") if t.strip()]
    if args.force_mc:
        kw["force_mc"] = True
    if args.scheduler is not None:
        kw["client"] = args.scheduler
    for name, flag in (("samples", "--samples"), ("seed", "--seed"), ("parts", "--parts")):
        v = getattr(args, name)
        if v is not None:
            kw[name] = _int(v, flag)
    flags = {k for k in vars(args) if getattr(args, k) is not None and k != "scenario"}
    return kw, from_file - flags


def _in_cli_terms(exc: InputError, path, from_file: set[str]) -> InputError:
    """``exc`` as the CLI shows it: naming the scenario file and key when the value came from the
    file, else the flag of the API parameter it names (``group_by`` -> ``--group-by``)."""
    key = scenario.key_of(exc.field)
    if path is not None and key is not None and key in from_file:
        return InputError(scenario.key_field(str(path), key), exc.problem)
    name = parameter_of(exc.field)
    flag = FLAGS.get(name) if name is not None else None
    return exc if flag is None or flag == exc.field else InputError(flag, exc.problem)


def run(args) -> int:
    # deferred: the engine loads NumPy, and every subcommand's module is imported to build the parser
    from computesim.sweeps.engine import sweep
    from computesim.sweeps.grid import planned_points

    kw, from_file = _kwargs(args)
    chosen = None
    try:
        if kw.get("backend", "auto") == "auto":
            chosen = get_backend("auto", work=planned_points(kw))
            kw["backend"] = chosen.name
        logging.getLogger("computesim.sweep").info("sweep settings: %s", kw)
        with tqdm_bar(not args.no_progress) as bar:
            result = sweep(progress=bar or False, **kw)
    except InputError as exc:
        raise _in_cli_terms(exc, args.scenario, from_file) from None
    if chosen is not None:  # said after the run, so that bad input still gets exactly one line
        print(f"computesim: backend auto -> {chosen.name} ({chosen.reason})", file=sys.stderr)
    return _report(args, kw, result)


def _report(args, kw: dict, result) -> int:
    if kw.get("out") is not None:
        meta = arrow_io.read_metadata(result)
        summary = {
            "out": str(result),
            "points": meta.get("points"),
            "mode": meta.get("mode"),
            "backend": meta.get("backend"),
            "shape": meta.get("shape"),
        }
        summary |= {"prices": meta["prices"]} if meta.get("prices") else {}
        if args.json:
            emit_json(summary)
        else:
            print(
                f"wrote {summary['points']} rows ({summary['mode']}, backend {summary['backend']}) to {result}"
            )
            _print_prices(meta.get("prices"))
        return 0
    rows = result.to_pylist()
    stored = result.schema.metadata or {}
    mode = json.loads(stored.get(b"computesim.mode", b'""'))
    prices = json.loads(stored.get(b"computesim.prices", b"null"))
    if args.json:
        emit_json(
            {
                "mode": mode,
                "backend": kw["backend"],
                "points": sum(1 for _ in rows) if mode == "materialize" else None,
                "rows": rows[:MAX_PRINT] if mode == "materialize" else rows,
            }
            | ({"prices": prices} if prices else {})
        )
        return 0
    headers = list(result.column_names)
    shown = rows[:MAX_PRINT] if mode == "materialize" else rows
    print(format_table(headers, [[_fmt(r[h]) for h in headers] for r in shown]))
    if len(shown) < len(rows):
        print(f"... {len(rows) - len(shown)} more rows; write them all with --out FILE.parquet")
    _print_prices(prices)
    return 0


def _print_prices(prices: dict | None) -> None:
    """One line per device whose reference price gave cost_usd (--cost without --price-per-hour)."""
    for ref in (prices or {}).values():
        print(
            f"price: {ref['device']} reference price {ref['usd_per_hour']:g} USD per device-hour, "
            f"{ref['date']} (no --price-per-hour given; source: {ref['source']})"
        )


def _fmt(v):
    if isinstance(v, float):
        return float(f"{v:.4g}")
    return v
