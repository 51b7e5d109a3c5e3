"""``computesim estimate [hardware|ops]``: one run's compute by either method, or both and their ratio."""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from typing import Any

from computesim.cluster import connect, parse_scheduler
from computesim.core import units
from computesim.core.distributions import Distribution
from computesim.core.inputs import parse_seed, parse_whole
from computesim.core.methods import (
    HARDWARE_INPUTS,
    OPS_INPUTS,
    Estimate,
    compare,
    estimate_hardware,
    estimate_ops,
    reported,
)
from computesim.core.stages import (
    ONE_THIRD,
    ONE_THIRD_SOURCE,
    STAGES,
    cumulative_band,
    modification_share,
)
from computesim.core.transformer_ops import estimate_transformer
from computesim.errors import InputError, shown
from computesim.uncertainty import band as uncertainty
from computesim.uncertainty.band import MAX_CLUSTER_SAMPLES, MAX_SAMPLES

from . import estimate_costs
from .output import emit_json, with_flags

HW_FLAGS = tuple(n for n in HARDWARE_INPUTS if n != "precision")
TRANSFORMER_FLAGS = (
    "active_params",
    "config",
    "experts",
    "experts_per_token",
    "expert_params",
    "shared_experts",
    "shared_expert_params",
    "layers",
    "width",
    "context",
    "causal",
    "recompute",
    "trainable_params",
)
OPS_FLAGS = (*OPS_INPUTS, *TRANSFORMER_FLAGS)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "estimate",
        help="estimate one training run's compute",
        description="Method 2 (hardware): devices x peak x time x utilization. "
        "Method 1 (ops): forward multiply-adds x 2 x 3 x examples x epochs. "
        "Give the inputs of both to check them against each other.",
    )
    # no argparse ``choices`` here: with them, a misspelt flag's value ('--dayz 3') is reported as an
    # invalid method instead of the unknown flag; the method is checked in run() after the flags
    p.add_argument(
        "method",
        nargs="?",
        default="auto",
        metavar="{hardware,ops}",
        help="which method (default: whichever inputs are given; both if both are)",
    )
    hw = p.add_argument_group("method 2: hardware time")
    hw.add_argument("--device", help="hardware profile name or alias (see `computesim profiles`)")
    hw.add_argument("--count", help="number of devices (default 1)")
    hw.add_argument("--days", help="training time: days, or with a unit ('12,000 h', '2 weeks')")
    hw.add_argument(
        "--utilization", help="fraction of peak achieved (default 0.33 GPU/TPU, 0.17 CPU)"
    )
    hw.add_argument(
        "--tflops", help="peak per device in TFLOP/s (overrides the profile), or with a unit"
    )
    hw.add_argument(
        "--precision",
        help="number format of the profile's dense peak: fp64, fp32, tf32, bf16, fp16, fp8, fp4, "
        "int8 (default: what training on that chip typically used: fp32 before tensor units, "
        "bf16/fp16 tensor from Volta on, bf16 on TPUs; printed with the estimate)",
    )
    hw.add_argument(
        "--profile-file",
        action="append",
        default=[],
        metavar="PATH",
        help="an extra hardware profile TOML (may repeat)",
    )
    ops = p.add_argument_group("method 1: counting operations")
    ops.add_argument(
        "--forward-macs", help="multiply-adds per forward pass per example/token/timestep"
    )
    ops.add_argument("--forward-flop", help="FLOP per forward pass per example (no x2 applied)")
    ops.add_argument("--params", help="dense transformer parameters N (6 x N x tokens)")
    ops.add_argument("--tokens", help="training tokens D, with --params")
    ops.add_argument(
        "--active-params",
        help="mixture-of-experts: parameters used per token (6 x active x tokens; "
        "--params is then the total, reported)",
    )
    ops.add_argument(
        "--config",
        metavar="PATH",
        help="a local config.json of an open model release (hidden_size, num_hidden_layers, "
        "num_attention_heads, num_key_value_heads, intermediate_size, vocab_size, "
        "num_local_experts, num_experts_per_tok): total and active parameters counted",
    )
    ops.add_argument("--experts", help="mixture-of-experts: routed experts (with --params total)")
    ops.add_argument("--experts-per-token", help="routed experts each token uses (top-k)")
    ops.add_argument(
        "--expert-params", help="parameters of one routed expert, summed over all layers"
    )
    ops.add_argument("--shared-experts", help="shared (always active) experts (default 0)")
    ops.add_argument(
        "--shared-expert-params", help="parameters of one shared expert (default --expert-params)"
    )
    ops.add_argument("--layers", help="attention term: transformer layers")
    ops.add_argument("--width", help="attention term: heads x head dim (usually the model width)")
    ops.add_argument(
        "--context",
        help="attention term: training sequence length (tokens); adds 2 x layers "
        "x context x width MAC per token",
    )
    ops.add_argument(
        "--causal",
        action="store_true",
        default=None,
        help="causal mask: a token sees (context + 1) / 2 keys on average (halves the term)",
    )
    ops.add_argument(
        "--recompute",
        help="activation recomputation: none (default), selective (attention core) or full "
        "(8ND): the hardware FLOP (HFU), reported next to the model FLOP (MFU)",
    )
    ops.add_argument(
        "--trainable-params",
        help="LoRA/adapter fine-tuning: trainable parameters A on a frozen base "
        "(2N + 3A MAC per token instead of 3N)",
    )
    ops.add_argument("--examples", help="examples (or tokens, timesteps, updates) per epoch")
    ops.add_argument("--epochs", help="passes over the examples (default 1)")
    ops.add_argument("--batch-size", help="with --examples as updates: examples per update (DQN)")
    ops.add_argument("--multiplier", help="networks trained or other multiplier (default 1)")
    p.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra named multiplier of the method (may repeat), e.g. more_data=31.6",
    )
    unc = p.add_argument_group(
        "uncertainty (any input may be a range: '5 to 6 days' is a lognormal 90%% "
        "interval; or lognormal(a, b), loguniform(a, b), uniform(a, b), normal(mean, sd), "
        "triangular(lo, mode, hi), pert(lo, mode, hi))"
    )
    unc.add_argument(
        "--samples",
        help="Monte Carlo samples (default: exact when every range is lognormal, else 100000)",
    )
    unc.add_argument(
        "--seed",
        default="0",
        help="random seed (default 0); results depend on it alone, not on backend or threads",
    )
    unc.add_argument(
        "--force-mc", action="store_true", help="sample even when the exact answer exists"
    )
    unc.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="COMPUTE[,COMPUTE]",
        help="report P(compute > threshold); with a unit: 1e25FLOP, 0.1pfs-days",
    )
    unc.add_argument(
        "--method-error",
        metavar="FACTOR",
        help="model error of the method itself, e.g. 3x (lognormal, 90%% interval /3 to x3)",
    )
    unc.add_argument(
        "--correlate",
        action="append",
        default=[],
        metavar="A:B=RHO",
        help="log-space correlation of two uncertain inputs, e.g. peak:utilization=-0.3",
    )
    unc.add_argument(
        "--backend", default="auto", help="Monte Carlo backend: auto, reference, numba, cuda"
    )
    unc.add_argument(
        "--scheduler",
        metavar="ADDRESS|local[:N]",
        help="draw the samples on a Dask cluster (the dask extra): a scheduler address, or local:N "
        f"worker processes; up to {MAX_CLUSTER_SAMPLES:.0e} samples, the same band as one machine",
    )
    p.add_argument(
        "--original-compute",
        metavar="COMPUTE",
        help="a modification (fine-tuning): the original model's training compute with a unit "
        "('3.8e25 FLOP', a range); reports modification / original and P(> 1/3), the EU "
        "guidelines' threshold for a modifier becoming a provider",
    )
    st = p.add_argument_group(
        "training stages (the cumulative compute of pre-training, fine-tuning and post-training)"
    )
    st.add_argument(
        "--stage-compute",
        action="append",
        default=[],
        metavar="STAGE=COMPUTE",
        help="another stage's compute with a unit, a point or a range "
        "('pretraining=1e24 to 3e24 FLOP'; stages: " + ", ".join(STAGES) + "); repeatable. "
        "Reports the cumulative total of this estimate and those stages with its band "
        "(independent lognormal stages, Fenton-Wilkinson)",
    )
    st.add_argument(
        "--stage",
        help="which stage this estimate is (default: the first of "
        + ", ".join(STAGES)
        + " not given by --stage-compute)",
    )
    estimate_costs.register(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


METHODS = ("hardware", "ops", "auto")
#: API parameter (as InputError names it) -> the flag that sets it, for messages.
#: API parameters whose flag is not their name (the others: computesim.cli.flag_names)
FLAGS = {"compute": "--original-compute", "stages": "--stage-compute"}


def _samples(text: str | None, cluster: bool = False) -> int | None:
    """--samples as a whole number in [1, MAX_SAMPLES] (MAX_CLUSTER_SAMPLES on a cluster), or None
    when not given."""
    most = MAX_CLUSTER_SAMPLES if cluster else MAX_SAMPLES
    return None if text is None else parse_whole(text, "--samples", 1, most)


def _given(args: argparse.Namespace, names: tuple[str, ...]) -> list[str]:
    return [n for n in names if getattr(args, n) is not None]


def _extra(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError("--extra", f"expected NAME=VALUE, got {shown(pair)}")
        out[name.strip()] = value.strip()
    return out


def _hardware(args: argparse.Namespace, extra: dict[str, str]) -> Estimate:
    if args.days is None:
        raise InputError("--days", "required for the hardware method")
    return estimate_hardware(
        device=args.device,
        count=args.count or 1,
        days=args.days,
        tflops=args.tflops,
        utilization=args.utilization,
        precision=args.precision,
        profile_files=args.profile_file,
        extra=extra,
    )


def _transformer(args: argparse.Namespace, extra: dict[str, str]) -> Estimate:
    other = _given(args, ("forward_macs", "forward_flop", "examples", "batch_size", "multiplier"))
    if other:
        raise InputError(
            f"--{other[0].replace('_', '-')}",
            f"not with the transformer inputs (--{_given(args, TRANSFORMER_FLAGS)[0].replace('_', '-')})",
        )
    if args.tokens is None:
        raise InputError("--tokens", "required with --params, --active-params or --config")
    return estimate_transformer(
        tokens=args.tokens,
        params=args.params,
        active_params=args.active_params,
        config=args.config,
        experts=args.experts,
        experts_per_token=args.experts_per_token,
        expert_params=args.expert_params,
        shared_experts=args.shared_experts or 0,
        shared_expert_params=args.shared_expert_params,
        layers=args.layers,
        width=args.width,
        context=args.context,
        causal=bool(args.causal),
        recompute=args.recompute or "none",
        trainable_params=args.trainable_params,
        epochs=args.epochs or 1,
        extra=extra,
    )


def _ops(args: argparse.Namespace, extra: dict[str, str]) -> Estimate:
    if _given(args, TRANSFORMER_FLAGS):
        return _transformer(args, extra)
    return estimate_ops(
        forward_macs=args.forward_macs,
        forward_flop=args.forward_flop,
        params=args.params,
        tokens=args.tokens,
        examples=args.examples,
        epochs=args.epochs or 1,
        batch_size=args.batch_size,
        multiplier=args.multiplier or 1,
        extra=extra,
    )


def build(args: argparse.Namespace) -> list[Estimate]:
    """The estimates the flags ask for, in method order (ops first)."""
    hw, ops = _given(args, HW_FLAGS), _given(args, OPS_FLAGS)
    method = args.method
    if method == "auto":
        if not hw and not ops:
            raise InputError(
                "estimate",
                "give hardware inputs (--device/--tflops, --count, --days) "
                "or operation counts (--forward-macs, --examples, --epochs)",
            )
        methods = [m for m, flags in (("ops", ops), ("hardware", hw)) if flags]
    else:
        other = ops if method == "hardware" else hw
        if other:
            raise InputError(
                f"--{other[0].replace('_', '-')}", f"not an input of the {method} method"
            )
        methods = [method]
    extra = _extra(args.extra)
    if extra and len(methods) == 2:
        raise InputError(
            "--extra", "ambiguous with both methods; name the method (estimate hardware|ops)"
        )
    return [(_ops if m == "ops" else _hardware)(args, extra) for m in methods]


def _correlations(pairs: list[str]) -> dict[tuple[str, str], float]:
    out = {}
    for pair in pairs:
        names, sep, value = pair.partition("=")
        a, colon, b = names.partition(":")
        if not sep or not colon or not a.strip() or not b.strip():
            raise InputError("--correlate", f"expected A:B=RHO, got {shown(pair)}")
        try:
            rho = float(value)
        except ValueError:
            raise InputError("--correlate", f"not a number: {shown(value)}") from None
        out[(a.strip(), b.strip())] = rho
    return out


def wants_band(args: argparse.Namespace, estimates: list[Estimate]) -> bool:
    """A band when an input is uncertain or any uncertainty flag is given."""
    flags = (
        args.samples is not None
        or args.force_mc
        or args.threshold
        or args.method_error
        or args.correlate
    )
    return bool(flags) or any(
        isinstance(f.value, Distribution) for e in estimates for f in e.factors
    )


def bands(args: argparse.Namespace, estimates: list[Estimate]) -> dict[str, Any]:
    """Each estimate's band (exact or Monte Carlo), and for both methods their combination; with
    --scheduler the Monte Carlo samples are drawn on that Dask cluster."""
    exact = not args.force_mc and all(uncertainty.model_of(e).exact for e in estimates)
    if getattr(args, "scheduler", None) is None:
        return _bands(args, estimates, None)
    if exact:  # a closed-form band: no cluster to start
        return _bands(args, estimates, None, _samples(args.samples, cluster=True))
    samples = _samples(args.samples, cluster=True)  # before a cluster starts: bad input is quick
    with connect(args.scheduler) as client:
        return _bands(args, estimates, client, samples)


def _bands(
    args: argparse.Namespace, estimates: list[Estimate], client: Any, samples: int | None = None
) -> dict[str, Any]:
    err = uncertainty.parse_factor(args.method_error) if args.method_error else None
    samples = samples if samples is not None else _samples(args.samples)
    seed = parse_seed(args.seed, "--seed")
    thresholds = uncertainty.parse_thresholds(",".join(args.threshold)) if args.threshold else []
    corr = _correlations(args.correlate)
    models = [
        uncertainty.model_of(
            e, err, error_name="method_error" if len(estimates) == 1 else f"method_error.{e.method}"
        )
        for e in estimates
    ]
    if corr:  # every model over the same variables, so names from either method can be correlated
        models = [m.correlated(corr) for m in uncertainty.joint(models)]
    out = [
        uncertainty.band(m, samples, seed, thresholds, args.force_mc, args.backend, client=client)
        for m in models
    ]
    result: dict[str, Any] = {"bands": out, "models": models}
    if len(estimates) == 2:
        result["combined"] = uncertainty.combine(out[0], out[1])
        ratio = uncertainty.band(
            uncertainty.ratio_model(models[1], models[0]),
            samples,
            seed,
            [1 / 3, 3.0],
            args.force_mc,
            args.backend,
            client=client,
        )
        result["ratio"] = ratio
    return result


def _with_band(d: dict[str, Any], b) -> dict[str, Any]:
    return (
        d
        | {"point_pfs_days": d["pfs_days"], "point_flop": d["flop"]}
        | b.to_dict()
        | {"pfs_days": units.flop_to_pfs_days(b.median), "flop": b.median}
    )


def result_dict(estimates: list[Estimate], unc: dict[str, Any] | None = None) -> dict[str, Any]:
    """JSON contract: one estimate's dict, or for both methods their dicts, ratio and agreement.

    With a band (``unc``): the band's keys are added ("quantiles_pfs_days", "mean_pfs_days",
    "p_above", "attribution", "exact", ...) and "pfs_days"/"flop" become the median; for both
    methods also "overlap", "combined_estimate" (precision-weighted in log space) and "disagree".
    """
    if unc is not None:
        if len(estimates) == 1:
            return _with_band(estimates[0].to_dict(), unc["bands"][0])
        base = result_dict(estimates)
        base["estimates"] = [_with_band(e.to_dict(), b) for e, b in zip(estimates, unc["bands"])]
        comb = unc["combined"]
        r = unc["ratio"]
        base |= comb | {
            "pfs_days": comb["combined_estimate"]["pfs_days"],
            "flop": comb["combined_estimate"]["flop"],
            "combined": "precision-weighted in log space (weights 1 / log_sd**2)",
            "ratio_band": {
                "quantiles": {
                    k: v * units.PFS_DAY for k, v in r.to_dict()["quantiles_pfs_days"].items()
                },
                "exact": r.exact,
                "p_within_tolerance": r.p_above[1 / 3] - r.p_above[3.0],
            },
        }
        return base
    if len(estimates) == 1:
        return estimates[0].to_dict()
    ops, hw = estimates
    cmp = compare(ops, hw)
    geo = (ops.flop * hw.flop) ** 0.5
    return {
        "method": "both",
        "flop": geo,
        "pfs_days": units.flop_to_pfs_days(geo),
        "combined": "geometric mean of the two methods",
        "inputs": {"ops": dict(ops.inputs), "hardware": dict(hw.inputs)},
        "estimates": [ops.to_dict(), hw.to_dict()],
        **cmp.to_dict(),
        **_utilization_implied(ops, hw),
    }


def _utilization_implied(ops: Estimate, hw: Estimate) -> dict[str, float]:
    """For a transformer count and a hardware time: MFU = model FLOP / (devices x peak x time),
    HFU = hardware FLOP (with recomputation) / the same (point values)."""
    if "model_flop" not in ops.inputs and "params" not in ops.inputs:
        return {}
    capacity = hw.flop / next(f.value.point for f in hw.factors if f.name == "utilization")
    return {
        "implied_mfu": ops.inputs.get("model_flop", ops.flop) / capacity,
        "implied_hfu": ops.inputs.get("hardware_flop", ops.flop) / capacity,
    }


def render(estimates: list[Estimate]) -> str:
    """Human-readable lines: each method's product and result; with both, their ratio."""
    names = {"ops": "method 1 (counting operations)", "hardware": "method 2 (hardware time)"}
    lines = []
    for e in estimates:
        lines += [f"{names[e.method]}: {e.formula()}", f"  = {units.format_compute(e.flop)}"]
        if "precision" in e.inputs and e.inputs.get("peak_source") != "--tflops":
            lines.append(_precision_line(e.inputs))
        if "model_flop" in e.inputs:
            lines += _transformer_lines(e.inputs)
    if len(estimates) == 2:
        cmp = compare(estimates[0], estimates[1])
        verdict = "agree" if cmp.agree else f"DISAGREE by more than {cmp.tolerance:g}x"
        lines.append(f"method 2 / method 1 = {cmp.ratio:.3g}: the methods {verdict}")
        implied = _utilization_implied(estimates[0], estimates[1])
        if implied:
            lines.append(
                f"implied MFU {implied['implied_mfu']:.3g}, HFU {implied['implied_hfu']:.3g} "
                "(model / hardware FLOP over devices x peak x time)"
            )
    return "\n".join(lines)


def _precision_line(inputs: Mapping[str, Any]) -> str:
    """Which number format's peak the estimate used, and where that choice came from."""
    where = inputs.get("device", "")
    src = inputs.get("precision_source", "")
    line = f"  precision {inputs['precision']} ({src}" + (f", {where}" if where else "") + ")"
    sparse = inputs.get("sparse_peak_flop_per_s_not_used")
    if sparse is not None:
        line += f"; dense peak used, not the sparse {units.sig(sparse / 1e12)} TFLOP/s"
    return line


def _transformer_lines(inputs: Mapping[str, Any]) -> list[str]:
    """Total and active parameters, the attention term, model vs hardware FLOP."""
    sig = units.sig
    total, active = inputs.get("params_total"), inputs["params_active"]
    lines = [
        f"  parameters: {'total ' + sig(total) + ', ' if total else ''}active {sig(active)}"
        + (
            f"; 6 x total x tokens would be {sig(inputs['six_n_d_total_flop'])} FLOP "
            f"({inputs['six_n_d_total_flop'] / inputs['six_n_d_active_flop']:.3g}x)"
            if total and total != active
            else ""
        )
    ]
    if "attention_macs_per_token" in inputs:
        lines.append(
            f"  attention: {sig(inputs['attention_macs_per_token'])} MAC/token "
            f"(context {inputs['context']}{', causal' if inputs['causal'] else ''})"
        )
    lines.append(
        f"  model FLOP (for MFU) {sig(inputs['model_flop'])}; hardware FLOP (for HFU, "
        f"recompute {inputs['recompute']}) {sig(inputs['hardware_flop'])}"
    )
    return lines


def render_band(estimates: list[Estimate], unc: dict[str, Any]) -> str:
    """The bands as text lines under the point estimates."""
    lines = []
    for e, b in zip(estimates, unc["bands"]):
        d = b.to_dict()
        q = d["quantiles_pfs_days"]
        how = (
            "exact (all lognormal)"
            if b.exact
            else f"Monte Carlo, {b.samples} samples, seed {b.seed}, {b.backend}"
        )
        lines.append(
            f"{e.method} band ({how}): p5 {units.sig(q['p5'])}, p50 {units.sig(q['p50'])}, "
            f"p95 {units.sig(q['p95'])} pfs-days; mean {units.sig(d['mean_pfs_days'])}; "
            f"spread x{b.spread:.3g}"
        )
        if b.attribution:
            lines.append(
                "  variance of log-compute: "
                + ", ".join(
                    f"{k} {v:.0%}" for k, v in sorted(b.attribution.items(), key=lambda kv: -kv[1])
                )
            )
        for t, p in b.p_above.items():
            lines.append(f"  P(compute > {t:g} FLOP) = {p:.4g}")
    if "combined" in unc:
        c = unc["combined"]
        lines.append(
            f"combined (precision-weighted): {units.sig(c['combined_estimate']['pfs_days'])} pfs-days; "
            f"bands {'overlap' if c['overlap'] else 'do NOT overlap'}"
            + ("; the methods DISAGREE" if c["disagree"] else "")
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """The command; an API error names its flag (FLAGS), not the parameter."""
    try:
        return _run(args)
    except InputError as exc:
        raise with_flags(exc, FLAGS) from None


def one_third_rule(args: argparse.Namespace, estimates: list[Estimate]) -> dict[str, Any]:
    """The modification (the one estimate) over --original-compute: point ratio, whether it
    exceeds one third, and its probability (a ratio band when an input is uncertain)."""
    if len(estimates) != 1:
        raise InputError("--original-compute", "name one method (estimate ops|hardware)")
    mod, orig = estimates[0], reported(args.original_compute)
    if orig.is_upper_bound:
        raise InputError("--original-compute", "an upper bound cannot decide the rule")
    share = modification_share(mod, orig)
    out: dict[str, Any] = {
        "original_flop": orig.flop,
        "ratio": share,
        "threshold": ONE_THIRD,
        "exceeds": share > ONE_THIRD,
        "source": ONE_THIRD_SOURCE,
    }
    uncertain = any(isinstance(f.value, Distribution) for e in (mod, orig) for f in e.factors)
    if not uncertain:
        return out | {"p_exceeds": float(share > ONE_THIRD), "exact": True}
    r = uncertainty.band(
        uncertainty.ratio_model(
            uncertainty.model_of(mod), uncertainty.model_of(orig, prefix="original.")
        ),
        _samples(args.samples),
        parse_seed(args.seed, "--seed"),
        [ONE_THIRD],
        args.force_mc,
        args.backend,
    )
    return out | {"p_exceeds": r.p_above[ONE_THIRD], "exact": r.exact}


def _stage_estimates(pairs: list[str]) -> dict[str, Estimate]:
    """--stage-compute STAGE=COMPUTE pairs as reported estimates, by stage."""
    out: dict[str, Estimate] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or name not in STAGES:
            raise InputError(
                "--stage-compute",
                f"expected STAGE=COMPUTE with STAGE one of {', '.join(STAGES)}, got {shown(pair)}",
            )
        if name in out:
            raise InputError("--stage-compute", f"{name} given twice")
        try:
            out[name] = reported(value)
        except InputError as exc:  # reported() names its "compute" parameter
            raise InputError("--stage-compute", f"{name}: {exc.problem}") from None
    return out


def cumulative_stages(args: argparse.Namespace, estimates: list[Estimate]) -> dict[str, Any]:
    """This estimate (stage ``--stage``) and the ``--stage-compute`` stages: each stage's median
    and log-SD, and the cumulative total's band (``core.stages.cumulative_band``). A stage whose
    inputs are not all lognormal enters as the lognormal with the same log-space mean and SD."""
    if len(estimates) != 1:
        raise InputError("--stage-compute", "name one method (estimate ops|hardware)")
    others = _stage_estimates(args.stage_compute)
    free = [s for s in STAGES if s not in others]
    this = args.stage if args.stage is not None else (free[0] if free else None)
    if this is None or this not in STAGES:
        raise InputError(
            "--stage", f"name this estimate's stage, one of {', '.join(free or STAGES)}"
        )
    if this in others:
        raise InputError("--stage", f"{this} is also given by --stage-compute")
    err = uncertainty.parse_factor(args.method_error) if args.method_error else None
    params, stages, lognormal = {}, {}, True
    for name, e in [(this, estimates[0]), *others.items()]:
        m = uncertainty.model_of(e, err if name == this else None)
        if m.upper_bound:
            raise InputError("--stage-compute", f"{name}: an upper bound has no cumulative band")
        mu, sigma = m.log_normal_params() if m.exact else m.log_mean_sd()
        lognormal &= m.exact
        params[name] = (mu, sigma)
        stages[name] = {"median_flop": math.exp(mu), "log_sigma": sigma}
    return {
        "this_stage": this,
        "stages": stages,
        "stages_lognormal": lognormal,
        **cumulative_band(params),
    }


def render_cumulative(c: Mapping[str, Any]) -> str:
    """The cumulative total as text lines."""
    q = c["quantiles_flop"]
    sig = units.sig
    parts = ", ".join(f"{n} {sig(s['median_flop'])}" for n, s in c["stages"].items())
    return (
        f"cumulative over stages ({parts} FLOP; this estimate: {c['this_stage']}): "
        f"mean {sig(c['mean_flop'])} FLOP, p5 {sig(q['p5'])}, p50 {sig(q['p50'])}, "
        f"p95 {sig(q['p95'])} FLOP (Fenton-Wilkinson lognormal)"
    )


def _run(args: argparse.Namespace) -> int:
    if args.method not in METHODS:
        raise InputError(
            "estimate",
            f"unknown method {shown(args.method)}; choose hardware or ops "
            "(or leave it out: whichever inputs are given)",
        )
    _samples(args.samples), parse_seed(args.seed, "--seed")
    if getattr(args, "scheduler", None) is not None:
        parse_scheduler(args.scheduler, "--scheduler")
    estimates = build(args)
    extra = estimate_costs.report(args, estimates) if estimate_costs.wanted(args) else {}
    if args.original_compute is not None:
        extra["one_third_rule"] = one_third_rule(args, estimates)
    if args.stage_compute or args.stage is not None:
        extra["cumulative"] = cumulative_stages(args, estimates)
    if getattr(args, "scheduler", None) is not None and not wants_band(args, estimates):
        raise InputError(
            "--scheduler",
            "draws a Monte Carlo band; give --samples, --force-mc or an uncertain input",
        )
    unc = bands(args, estimates) if wants_band(args, estimates) else None
    if args.json:
        emit_json(result_dict(estimates, unc) | extra)
    else:
        print(render(estimates))
        if unc is not None:
            print(render_band(estimates, unc))
        rule = extra.pop("one_third_rule", None)
        cum = extra.pop("cumulative", None)
        if extra:
            print(estimate_costs.render(extra))
        if rule is not None:
            print(
                f"modification / original = {rule['ratio']:.3g} (threshold 1/3): "
                + ("exceeds" if rule["exceeds"] else "does not exceed")
                + f"; P(> 1/3) = {rule['p_exceeds']:.3g}"
            )
        if cum is not None:
            print(render_cumulative(cum))
    return 0
