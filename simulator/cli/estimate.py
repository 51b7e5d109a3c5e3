"""``computesim estimate [hardware|ops]``: one run's compute by either method, or both and their ratio."""
from __future__ import annotations

import argparse
from typing import Any

from .. import units
from ..errors import InputError
from ..methods import Estimate, compare, estimate_hardware, estimate_ops
from .output import emit_json

HW_FLAGS = ("device", "count", "days", "utilization", "tflops")
OPS_FLAGS = ("forward_macs", "forward_flop", "params", "tokens", "examples", "epochs", "batch_size", "multiplier")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("estimate", help="estimate one training run's compute",
                       description="Method 2 (hardware): devices x peak x time x utilization. "
                                   "Method 1 (ops): forward multiply-adds x 2 x 3 x examples x epochs. "
                                   "Give the inputs of both to check them against each other.")
    p.add_argument("method", nargs="?", choices=("hardware", "ops", "auto"), default="auto",
                   help="which method (default: whichever inputs are given; both if both are)")
    hw = p.add_argument_group("method 2: hardware time")
    hw.add_argument("--device", help="hardware profile name or alias (see `computesim profiles`)")
    hw.add_argument("--count", help="number of devices (default 1)")
    hw.add_argument("--days", help="training time: days, or with a unit ('12,000 h', '2 weeks')")
    hw.add_argument("--utilization", help="fraction of peak achieved (default 0.33 GPU/TPU, 0.17 CPU)")
    hw.add_argument("--tflops", help="peak per device in TFLOP/s (overrides the profile), or with a unit")
    hw.add_argument("--precision", help="profile peak to use: fp32, tf32, fp16, bf16, ... "
                                       "(default: the profile's, fp32 for GPUs, bf16 for TPUs)")
    hw.add_argument("--profile-file", action="append", default=[], metavar="PATH",
                    help="an extra hardware profile TOML (may repeat)")
    ops = p.add_argument_group("method 1: counting operations")
    ops.add_argument("--forward-macs", help="multiply-adds per forward pass per example/token/timestep")
    ops.add_argument("--forward-flop", help="FLOP per forward pass per example (no x2 applied)")
    ops.add_argument("--params", help="dense transformer parameters N (6 x N x tokens)")
    ops.add_argument("--tokens", help="training tokens D, with --params")
    ops.add_argument("--examples", help="examples (or tokens, timesteps, updates) per epoch")
    ops.add_argument("--epochs", help="passes over the examples (default 1)")
    ops.add_argument("--batch-size", help="with --examples as updates: examples per update (DQN)")
    ops.add_argument("--multiplier", help="networks trained or other multiplier (default 1)")
    p.add_argument("--extra", action="append", default=[], metavar="NAME=VALUE",
                   help="an extra named multiplier of the method (may repeat), e.g. more_data=31.6")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _given(args: argparse.Namespace, names: tuple[str, ...]) -> list[str]:
    return [n for n in names if getattr(args, n) is not None]


def _extra(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError("--extra", f"expected NAME=VALUE, got {pair!r}")
        out[name.strip()] = value.strip()
    return out


def _hardware(args: argparse.Namespace, extra: dict[str, str]) -> Estimate:
    if args.days is None:
        raise InputError("--days", "required for the hardware method")
    return estimate_hardware(device=args.device, count=args.count or 1, days=args.days, tflops=args.tflops,
                             utilization=args.utilization, precision=args.precision,
                             profile_files=args.profile_file, extra=extra)


def _ops(args: argparse.Namespace, extra: dict[str, str]) -> Estimate:
    return estimate_ops(forward_macs=args.forward_macs, forward_flop=args.forward_flop, params=args.params,
                        tokens=args.tokens, examples=args.examples, epochs=args.epochs or 1,
                        batch_size=args.batch_size, multiplier=args.multiplier or 1, extra=extra)


def build(args: argparse.Namespace) -> list[Estimate]:
    """The estimates the flags ask for, in method order (ops first)."""
    hw, ops = _given(args, HW_FLAGS), _given(args, OPS_FLAGS)
    method = args.method
    if method == "auto":
        if not hw and not ops:
            raise InputError("estimate", "give hardware inputs (--device/--tflops, --count, --days) "
                                         "or operation counts (--forward-macs, --examples, --epochs)")
        methods = [m for m, flags in (("ops", ops), ("hardware", hw)) if flags]
    else:
        other = ops if method == "hardware" else hw
        if other:
            raise InputError(f"--{other[0].replace('_', '-')}", f"not an input of the {method} method")
        methods = [method]
    extra = _extra(args.extra)
    if extra and len(methods) == 2:
        raise InputError("--extra", "ambiguous with both methods; name the method (estimate hardware|ops)")
    return [(_ops if m == "ops" else _hardware)(args, extra) for m in methods]


def result_dict(estimates: list[Estimate]) -> dict[str, Any]:
    """JSON contract: one estimate's dict, or for both methods their dicts, ratio and agreement."""
    if len(estimates) == 1:
        return estimates[0].to_dict()
    ops, hw = estimates
    cmp = compare(ops, hw)
    geo = (ops.flop * hw.flop) ** 0.5
    return {"method": "both", "flop": geo, "pfs_days": units.flop_to_pfs_days(geo),
            "combined": "geometric mean of the two methods",
            "inputs": {"ops": dict(ops.inputs), "hardware": dict(hw.inputs)},
            "estimates": [ops.to_dict(), hw.to_dict()], **cmp.to_dict()}


def render(estimates: list[Estimate]) -> str:
    """Human-readable lines: each method's product and result; with both, their ratio."""
    names = {"ops": "method 1 (counting operations)", "hardware": "method 2 (hardware time)"}
    lines = []
    for e in estimates:
        lines += [f"{names[e.method]}: {e.formula()}", f"  = {units.format_compute(e.flop)}"]
    if len(estimates) == 2:
        cmp = compare(*estimates)
        verdict = "agree" if cmp.agree else f"DISAGREE by more than {cmp.tolerance:g}x"
        lines.append(f"method 2 / method 1 = {cmp.ratio:.3g}: the methods {verdict}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    estimates = build(args)
    if args.json:
        emit_json(result_dict(estimates))
    else:
        print(render(estimates))
    return 0
