"""``computesim profiles``: the hardware profiles, or one in full with its sources."""

from __future__ import annotations

import argparse

from computesim.core import units
from computesim.hardware_profiles import Profile, builtin_profiles, find_profile, load_profile_file

from .output import emit_json, format_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("profiles", help="list hardware profiles, or show one with its sources")
    p.add_argument("device", nargs="?", help="a device name or alias to show in full")
    p.add_argument(
        "--profile-file",
        action="append",
        default=[],
        metavar="PATH",
        help="validate and include a profile TOML of your own (may repeat)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _tflops(p: Profile, prec: str) -> str:
    pk = p.peaks.get(prec)
    if pk is None:
        return ""
    rng = (
        ""
        if pk.low_flop_per_s == pk.high_flop_per_s
        else f" ({units.sig(pk.low_flop_per_s / 1e12)}-{units.sig(pk.high_flop_per_s / 1e12)})"
    )
    return units.sig(pk.flop_per_s / 1e12) + rng


def _detail(p: Profile) -> str:
    lines = [
        f"{p.name} ({p.key}; {p.kind}, {p.vendor}, released {p.release_date}, per {p.per}"
        + (f" of {p.chips_per_board} chips" if p.chips_per_board > 1 else "")
        + ")",
        f"aliases: {', '.join(p.aliases)}",
        f"default utilization: {p.default_utilization:g}",
        f"default precision: {p.default_precision}"
        + (f" ({p.sources['default_precision']})" if "default_precision" in p.sources else ""),
        f"memory: {p.memory_gib:g} GiB at {p.memory_bandwidth_gb_per_s:g} GB/s; TDP "
        + (f"{p.tdp_w:g} W" if p.tdp_w is not None else "not published"),
    ]
    for prec, pk in p.peaks.items():
        lines.append(
            f"peak {prec}: {_tflops(p, prec)} TFLOP/s dense ({pk.clock} clock)"
            + (
                f"; with 2:4 structured sparsity {units.sig(pk.sparse_flop_per_s / 1e12)}"
                " (never used as the dense peak)"
                if pk.sparse_flop_per_s
                else ""
            )
        )
        lines.append(f"  source: {pk.source}")
        if pk.why:
            lines.append(f"  why: {pk.why}")
    lines += [f"{k} source: {v}" for k, v in p.sources.items()]
    return "\n".join(lines + ([f"note: {p.note}"] if p.note else []))


def run(args: argparse.Namespace) -> int:
    extra = [load_profile_file(f) for f in args.profile_file]
    if args.device is not None:  # '' is a bad device name, not 'list them all'
        p = find_profile(args.device, extra)
        emit_json(p.to_dict()) if args.json else print(_detail(p))
        return 0
    profs = [*extra, *builtin_profiles()]
    if args.json:
        emit_json([p.to_dict() for p in profs])
        return 0
    rows = [
        [
            p.key,
            p.name,
            p.kind,
            p.release_date.isoformat(),
            _tflops(p, "fp32"),
            f"{p.default_precision} {_tflops(p, p.default_precision)}",
            ", ".join(k for k in p.peaks if k not in ("fp32", p.default_precision)),
            f"{p.memory_gib:g}",
            f"{p.memory_bandwidth_gb_per_s:g}",
            "-" if p.tdp_w is None else f"{p.tdp_w:g}",
        ]
        for p in profs
    ]
    print(
        format_table(
            [
                "key",
                "name",
                "kind",
                "released",
                "fp32 TFLOP/s",
                "default (dense) TFLOP/s",
                "other peaks",
                "GiB",
                "GB/s",
                "W",
            ],
            rows,
        )
    )
    return 0
