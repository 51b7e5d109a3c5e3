"""``computesim examples``: every worked example of the source, computed from its inputs."""

from __future__ import annotations

import argparse

from computesim.core import units
from computesim.core.examples import REPORTED_RESULTS, TOLERANCE, ExampleResult, run_examples
from computesim.core.methods import Estimate
from computesim.core.modern_examples import ModernResult, run_modern_examples
from computesim.errors import InputError
from computesim.io.arrow import check_output, write_table
from computesim.uncertainty.band import Band, band, model_of, parse_factor
from computesim.uncertainty.table import example_model

from .output import emit_json, format_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "examples",
        help="reproduce the source's worked examples from their inputs",
        description="Computes each worked example of 'AI and Compute' from its inputs and "
        "compares it with the printed figure and with the other method.",
    )
    p.add_argument(
        "--json", action="store_true", help="print a JSON array, one object per worked example"
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        help="also write the table (with --reported: the reported results) "
        "to FILE.arrow or FILE.parquet",
    )
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument(
        "--reported",
        action="store_true",
        help="list the results the source reports as figures or upper bounds instead",
    )
    p.add_argument(
        "--modern",
        action="store_true",
        help="modern transformer runs (GPT-3, Chinchilla, Llama 2, Llama 3.1) from their published "
        "inputs: 6ND and GPU-hours x peak x utilization, against the printed figures, always "
        "with bands (not with --out or --reported)",
    )
    p.add_argument(
        "--bands",
        action="store_true",
        help="give every example a band: its inputs' stated precision plus the method error",
    )
    p.add_argument(
        "--method-error",
        default="2x",
        metavar="FACTOR",
        help="with --bands: the method's own error as a 90%% factor (default 2x)",
    )
    p.set_defaults(func=run)


def example_bands(results: list[ExampleResult], method_error: str) -> list[tuple[Band, str]]:
    """(band, assumptions) of each worked example (all exact: every range is lognormal)."""
    err = parse_factor(method_error)
    out = []
    for r in results:
        model, notes = example_model(r, err)
        out.append((band(model), notes))
    return out


def _bands_text(results: list[ExampleResult], bands: list[tuple[Band, str]]) -> str:
    headers = [
        "system",
        "method",
        "point",
        "p5",
        "p50",
        "p95",
        "spread",
        "printed in 90%",
        "assumptions",
    ]
    rows = []
    for r, (b, notes) in zip(results, bands):
        q = b.to_dict()["quantiles_pfs_days"]
        inside = q["p5"] <= r.example.printed_pfs_days <= q["p95"]
        rows.append(
            [
                r.example.system,
                r.estimate.method_number,
                units.sig(r.estimate.pfs_days),
                units.sig(q["p5"]),
                units.sig(q["p50"]),
                units.sig(q["p95"]),
                f"x{b.spread:.2f}",
                "yes" if inside else "NO",
                notes,
            ]
        )
    return (
        format_table(headers, rows)
        + "\n\npfs-days; bands are exact (lognormal inputs): p5..p95 is a 90% interval."
    )


def examples_table(results: list[ExampleResult]):
    """The worked examples as a pyarrow Table (one row per example)."""
    import pyarrow as pa  # heavy: loaded only when a table is written

    rows = [r.to_dict() for r in results]
    cols = {
        "system": pa.array([r["system"] for r in rows]),
        "method": pa.array([r["method"] for r in rows]).dictionary_encode(),
        "published": pa.array([r.example.published for r in results], pa.date32()),
        "flop": pa.array([r["flop"] for r in rows], pa.float64()),
        "pfs_days": pa.array([r["pfs_days"] for r in rows], pa.float64()),
        "printed_pfs_days": pa.array([r["printed_pfs_days"] for r in rows], pa.float64()),
        "ratio_to_printed": pa.array([r["ratio_to_printed"] for r in rows], pa.float64()),
        "within_tolerance": pa.array([r["within_tolerance"] for r in rows]),
        "flagged": pa.array([r["flagged"] for r in rows]),
        "methods_ratio": pa.array([r.get("methods_ratio") for r in rows], pa.float64()),
        "formula": pa.array([r["formula"] for r in rows]),
        "inputs_as_printed": pa.array([r["inputs_as_printed"] for r in rows]),
        "reading": pa.array([r["reading"] for r in rows]),
    }
    return pa.table(cols)


def _text(results: list[ExampleResult]) -> str:
    headers = [
        "system",
        "method",
        "computed pfs-days",
        "FLOP",
        "printed",
        "ratio",
        f"<= {TOLERANCE:g}x",
        "m2/m1",
    ]
    rows: list[list[object]] = []
    notes: list[str] = []
    for r in results:
        mark = ""
        if r.flagged:
            notes.append(
                f"[{len(notes) + 1}] {r.example.system}, method {r.estimate.method_number}: {r.example.reading}"
            )
            mark = f" [{len(notes)}]"
        cmp = r.comparison
        rows.append(
            [
                r.example.system,
                f"{r.estimate.method_number} ({r.estimate.method})",
                units.sig(r.estimate.pfs_days),
                f"{r.estimate.flop:.3e}",
                units.sig(r.example.printed_pfs_days),
                f"{r.ratio_to_printed:.3f}{mark}",
                "yes" if r.within_tolerance else "NO",
                f"{cmp.ratio:.2f}" if cmp and r.estimate.method == "hardware" else "",
            ]
        )
    lines = [
        format_table(headers, rows),
        "",
        "ratio = computed / printed; m2/m1 = hardware-time estimate / operation count for the same system.",
    ]
    lines += notes
    return "\n".join(lines)


def _reported_text() -> str:
    rows = [
        [
            b.system,
            b.published.isoformat(),
            b.compute,
            f"{b.estimate().flop:.3e}",
            "upper bound" if b.estimate().is_upper_bound else "estimate",
        ]
        for b in REPORTED_RESULTS
    ]
    return format_table(["system", "published", "as reported", "FLOP", "kind"], rows)


def reported_table():
    """The results the source reports without a worked calculation, as a pyarrow Table."""
    import pyarrow as pa  # heavy: loaded only when a table is written

    ests = [b.estimate() for b in REPORTED_RESULTS]
    return pa.table(
        {
            "system": pa.array([b.system for b in REPORTED_RESULTS]),
            "published": pa.array([b.published for b in REPORTED_RESULTS], pa.date32()),
            "as_reported": pa.array([b.compute for b in REPORTED_RESULTS]),
            "flop": pa.array([e.flop for e in ests], pa.float64()),
            "pfs_days": pa.array([e.pfs_days for e in ests], pa.float64()),
            "upper_bound": pa.array([bool(e.is_upper_bound) for e in ests]),
            "reference": pa.array([b.reference for b in REPORTED_RESULTS]),
        }
    )


def pa_array(values):
    import pyarrow as pa  # heavy: loaded only when a table is written

    return pa.array(values)


def run(args: argparse.Namespace) -> int:
    if args.modern:
        return _run_modern(args)
    if args.out:
        check_output(args.out, args.overwrite)
    if args.reported:
        data = [
            b.estimate().to_dict()
            | {"system": b.system, "published": b.published.isoformat(), "reference": b.reference}
            for b in REPORTED_RESULTS
        ]
        if args.out:
            write_table(
                reported_table(),
                args.out,
                {
                    "kind": "reported_results",
                    "units": {"flop": "FLOP", "pfs_days": "petaflop/s-days (8.64e19 FLOP)"},
                },
                overwrite=args.overwrite,
            )
        emit_json(data) if args.json else print(_reported_text())
        return 0
    results = run_examples()
    bands = example_bands(results, args.method_error) if args.bands else None
    if bands is not None:
        table = examples_table(results)
        for key in ("p5", "p25", "p50", "p75", "p95"):
            table = table.append_column(
                f"{key}_pfs_days",
                pa_array([b.to_dict()["quantiles_pfs_days"][key] for b, _ in bands]),
            )
        table = table.append_column(
            "mean_pfs_days", pa_array([b.to_dict()["mean_pfs_days"] for b, _ in bands])
        )
        table = table.append_column("band_assumptions", pa_array([n for _, n in bands]))
        if args.out:
            write_table(
                table,
                args.out,
                {
                    "kind": "worked_examples_bands",
                    "method_error": args.method_error,
                    "units": {"pfs_days": "petaflop/s-days (8.64e19 FLOP)"},
                },
                overwrite=args.overwrite,
            )
        if args.json:
            emit_json(
                [
                    r.to_dict() | b.to_dict() | {"band_assumptions": n}
                    for r, (b, n) in zip(results, bands)
                ]
            )
        else:
            print(_bands_text(results, bands))
        return 0
    if args.out:
        write_table(
            examples_table(results),
            args.out,
            {
                "kind": "worked_examples",
                "units": {"flop": "FLOP", "pfs_days": "petaflop/s-days (8.64e19 FLOP)"},
            },
            overwrite=args.overwrite,
        )
    if args.json:
        emit_json([r.to_dict() for r in results])
    else:
        print(_text(results))
        print(
            f"\nReported by the source without a worked calculation (`--reported`): {len(REPORTED_RESULTS)} "
            "results, bounds kept as bounds."
        )
    return 0


# --- modern examples ---------------------------------------------------------------------------------
def modern_bands(r: ModernResult, method_error: str) -> dict[str, tuple[Band, str]]:
    """(band, assumptions) of each method of a modern example: the row's stated ranges (method 2:
    utilization) and the method error, all lognormal (exact bands)."""
    err = parse_factor(method_error)
    out: dict[str, tuple[Band, str]] = {}
    err_note = f"method error /{err:g} to x{err:g}"
    if r.ops is not None:
        out["ops"] = (band(model_of(r.ops, err)), err_note)
    if r.hardware is not None:
        hw, notes = r.stated_hardware()
        out["hardware"] = (band(model_of(hw, err)), "; ".join([*notes, err_note]))
    return out


def _q(b: Band) -> str:
    """'p5..p95' of a band in FLOP."""
    return f"{b.quantiles[0.05]:.2e}..{b.quantiles[0.95]:.2e}"


def _flop(e: Estimate | None) -> str:
    return "" if e is None else f"{e.flop:.3e}"


def _ratio(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def _modern_text(results: list[ModernResult], bands: list[dict[str, tuple[Band, str]]]) -> str:
    headers = [
        "system",
        "m1: 6ND FLOP",
        "m1 90%",
        "m2: GPU-h x peak x u",
        "m2 90%",
        "printed FLOP",
        "m1/printed",
        "m2/printed",
        "m2/m1",
        "u for m2=m1",
        f"<= {TOLERANCE:g}x",
    ]
    rows = []
    for r, b in zip(results, bands):
        ref = r.example.printed_flop
        rows.append(
            [
                r.example.system,
                _flop(r.ops),
                _q(b["ops"][0]) if "ops" in b else "",
                _flop(r.hardware),
                _q(b["hardware"][0]) if "hardware" in b else "",
                "" if ref is None else f"{ref:.3g}",
                _ratio(r.ops_to_printed),
                _ratio(r.hardware_to_printed),
                _ratio(r.methods_ratio),
                _ratio(r.implied_utilization),
                "yes" if r.within_tolerance else "NO",
            ]
        )
    lines = [format_table(headers, rows), ""]
    em = [r for r in results if r.emissions is not None and r.example.emissions is not None]
    if em:
        lines.append(
            format_table(
                ["system", "energy kWh", "computed t CO2e", "printed t CO2e", "ratio", "inputs"],
                [
                    [
                        r.example.system,
                        f"{r.energy.value:.6g}" if r.energy else "",
                        f"{r.emissions.value:.5g}",
                        f"{r.example.emissions.printed_t_co2e:g}",
                        _ratio(r.emissions_to_printed),
                        r.emissions.formula(),
                    ]
                    for r in em
                    if r.emissions is not None and r.example.emissions is not None
                ],
            )
        )
        lines.append("")
    lines.append(
        "m1 = 6 x parameters x tokens; m2 = GPU-hours x dense peak at the run's precision x "
        "utilization; 90% = p5..p95 band (exact, lognormal inputs); printed figures are only "
        "references. u for m2=m1: the utilization at which the methods agree (MFU)."
    )
    for i, r in enumerate(results, 1):
        lines.append(f"[{i}] {r.example.system}: {r.example.reference}. {r.example.reading}")
        for name, (_b, notes) in bands[i - 1].items():
            lines.append(f"    band {name}: {notes}")
    return "\n".join(lines)


def _run_modern(args: argparse.Namespace) -> int:
    if args.reported or args.out:
        flag = "--reported" if args.reported else "--out"
        raise InputError(flag, "not available with --modern")
    results = run_modern_examples()
    bands = [modern_bands(r, args.method_error) for r in results]
    if args.json:
        emit_json(
            [
                r.to_dict()
                | {
                    f"{name}_band": b.to_dict() | {"assumptions": notes}
                    for name, (b, notes) in bs.items()
                }
                for r, bs in zip(results, bands)
            ]
        )
    else:
        print(_modern_text(results, bands))
    return 0
