"""Method 1 for transformers: 6 x N x D with N the *active* parameters, the attention term, and
activation recomputation reported apart (model FLOP for MFU, hardware FLOP for HFU).

The estimate stays a product of named factors (so ranges give bands as everywhere else):
forward MACs per token (N, or the total x ``active_fraction`` for mixture-of-experts) x
``attention`` (1 + attention MACs / N) x 2 FLOP/MAC x 3 (forward + backward) x tokens.
Recomputation does not change the model's FLOP: the hardware FLOP is the model FLOP x
``hardware_over_model`` (8ND / 6ND = 4/3 for full recomputation), in ``inputs``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from computesim.core import units
from computesim.core.inputs import parse_quantity, parse_whole
from computesim.core.methods import Estimate, Factor, _extras
from computesim.core.model_config import load_model_config
from computesim.core.quantity import Point, Quantity
from computesim.core.transformer import (
    RECOMPUTE,
    TransformerShape,
    attention_macs_per_token,
    recompute_macs_per_token,
)
from computesim.errors import InputError


def _point(value: float | str, field: str) -> float:
    q = parse_quantity(value, "count", field)
    if not isinstance(q, Point):
        raise InputError(field, "must be a single number here (a structural count, not a range)")
    return q.point


def _moe_fraction(
    total: Quantity,
    experts: int,
    per_token: int,
    expert_params: float,
    shared: tuple[int, float],
) -> float:
    """Active / total parameters: the total less the routed experts a token does not use."""
    unused = (experts - per_token) * expert_params
    used_by_experts = experts * expert_params + shared[0] * shared[1]
    if used_by_experts >= total.point:
        raise InputError(
            "expert_params",
            f"{experts} experts x {units.sig(expert_params)} (+ shared) is not below the total "
            f"`params` {units.sig(total.point)}",
        )
    return 1.0 - unused / total.point


def estimate_transformer(
    *,
    tokens: float | str | Quantity,
    params: float | str | Quantity | None = None,
    active_params: float | str | Quantity | None = None,
    config: str | Path | TransformerShape | None = None,
    experts: int | str | None = None,
    experts_per_token: int | str | None = None,
    expert_params: float | str | None = None,
    shared_experts: int | str = 0,
    shared_expert_params: float | str | None = None,
    layers: int | str | None = None,
    width: int | str | None = None,
    context: int | str | None = None,
    causal: bool = False,
    recompute: str = "none",
    trainable_params: float | str | None = None,
    epochs: float | str = 1,
    extra: Mapping[str, float | str] | None = None,
    label: str = "",
) -> Estimate:
    """Method 1 for a transformer: 2 x 3 x forward MACs per token x ``tokens`` (x ``epochs``).

    The forward cost, one of: ``params`` (dense: N; 6ND); ``active_params`` (a mixture-of-experts'
    parameters used per token; ``params`` is then its total, reported); ``params`` with
    ``experts``, ``experts_per_token`` and ``expert_params`` (one routed expert's parameters over
    all layers; shared experts, ``shared_experts`` x ``shared_expert_params``, are always active);
    or ``config`` (a config.json path or a TransformerShape: total, active and matmul MACs counted).
    The attention term needs ``context`` (training sequence length) and, without a config,
    ``layers`` and ``width`` (heads x head dim, usually the model width); ``causal`` halves it.
    ``recompute`` ("none", "selective", "full") sets the hardware FLOP (HFU) apart from the
    model FLOP (MFU), both in ``inputs``. ``trainable_params`` (LoRA, adapters: the base is frozen)
    makes the pass forward through base and adapters, backward through both for activation
    gradients but weight gradients for the adapters only: 2N + 3A MAC per token instead of 3N
    (factors ``adapter`` = 1 + A/N and ``train_over_forward`` = 2 + A/(N + A); the attention term,
    if any, is counted the same way, which understates its backward pass).

    >>> e = estimate_transformer(params="46.7e9", active_params="12.9e9", tokens="1e12")
    >>> e.flop, e.inputs["six_n_d_total_flop"]  # 6 x active x D, and the all-experts error
    (7.74e+22, 2.802e+23)
    """
    if recompute not in RECOMPUTE:
        raise InputError("recompute", f"must be one of {', '.join(RECOMPUTE)}, got {recompute!r}")
    inputs: dict[str, Any] = {}
    factors: list[Factor] = []
    attn_layers: float | None
    attn_width: float | None
    total_q = None if params is None else parse_quantity(params, "count", "params")
    if config is not None:
        for name, v in (("params", params), ("active_params", active_params), ("experts", experts)):
            if v is not None:
                raise InputError(name, "not with `config`: the config gives the parameter counts")
        shape = config if isinstance(config, TransformerShape) else load_model_config(config)
        counts = shape.params()
        forward = Factor(
            "forward",
            Point(float(counts.matmul_macs_per_token)),
            "MAC",
            "active weight-matrix MACs per token (config)",
        )
        factors.append(forward)
        inputs |= {
            "config": shape.to_dict(),
            "params_total": counts.total,
            "params_active": counts.active,
            "param_counts": counts.to_dict(),
        }
        total_point, active_point = float(counts.total), float(counts.active)
        attn_layers, attn_width = float(shape.layers), float(shape.heads * shape.head_dim)
    else:
        attn_layers = None if layers is None else float(parse_whole(layers, "layers", 1))
        attn_width = None if width is None else float(parse_whole(width, "width", 1))
        if active_params is not None:
            act = parse_quantity(active_params, "count", "active_params")
            if total_q is not None and act.point > total_q.point:
                raise InputError("active_params", "more than the total `params`")
            factors.append(Factor("forward", act, "MAC", "active params: 1 MAC/param/token"))
            active_point = act.point
            total_point = total_q.point if total_q is not None else float("nan")
        elif total_q is None:
            raise InputError("params", "give `params`, `active_params` or `config`")
        elif experts is not None:
            e = parse_whole(experts, "experts", 2)
            if experts_per_token is None or expert_params is None:
                raise InputError(
                    "experts_per_token",
                    "with `experts`, give `experts_per_token` and `expert_params` too",
                )
            k = parse_whole(experts_per_token, "experts_per_token", 1, e)
            ep = _point(expert_params, "expert_params")
            s = parse_whole(shared_experts, "shared_experts", 0)
            sp = (
                ep
                if shared_expert_params is None
                else _point(shared_expert_params, "shared_expert_params")
            )
            frac = _moe_fraction(total_q, e, k, ep, (s, sp))
            factors += [
                Factor("forward", total_q, "MAC", "total params"),
                Factor("active_fraction", Point(frac), "", f"{k} of {e} routed experts"),
            ]
            inputs |= {
                "experts": e,
                "experts_per_token": k,
                "expert_params": ep,
                "shared_experts": s,
                "shared_expert_params": sp if s else 0.0,
            }
            total_point, active_point = total_q.point, total_q.point * frac
        else:
            factors.append(Factor("forward", total_q, "MAC", "params: 1 MAC/param/token"))
            total_point = active_point = total_q.point
        inputs |= {
            "params_total": None if total_point != total_point else total_point,
            "params_active": active_point,
        }
    forward_point = math.prod(f.value.point for f in factors)  # forward (x active_fraction)
    attention = 0.0
    if context is not None:
        ctx = parse_whole(context, "context", 1)
        if attn_layers is None or attn_width is None:
            raise InputError(
                "layers", "the attention term needs `layers` and `width` (or `config`)"
            )
        attention = attention_macs_per_token(attn_layers, attn_width, ctx, causal)
        factors.append(
            Factor(
                "attention",
                Point(1.0 + attention / forward_point),
                "",
                f"1 + attention MACs/token ({'causal, ' if causal else ''}context {ctx}) / forward",
            )
        )
        inputs |= {
            "context": ctx,
            "causal": causal,
            "attention_macs_per_token": attention,
            "attention_layers": attn_layers,
            "attention_width": attn_width,
        }
    elif causal:
        raise InputError("causal", "needs `context` (the attention term)")
    tok = parse_quantity(tokens, "count", "tokens")
    train_over_forward = units.TRAIN_OVER_FORWARD
    if trainable_params is not None:
        adapter = _point(trainable_params, "trainable_params")
        if adapter >= forward_point:
            raise InputError("trainable_params", "must be below the (active) parameters")
        factors.append(Factor("adapter", Point(1 + adapter / forward_point), "", "1 + A/N"))
        train_over_forward = 2 + adapter / (forward_point + adapter)
        inputs["trainable_params"] = adapter
    factors += [
        Factor("flop_per_mac", Point(units.FLOP_PER_MAC)),
        Factor(
            "train_over_forward",
            Point(train_over_forward),
            "",
            "" if trainable_params is None else "frozen base: 2 + A/(N + A)",
        ),
        Factor("examples", tok, "", "tokens"),
    ]
    ep_q = parse_quantity(epochs, "count", "epochs")
    if not (isinstance(ep_q, Point) and ep_q.point == 1):
        factors.append(Factor("epochs", ep_q))
        inputs["epochs"] = ep_q.to_json()
    ex = _extras(extra)
    factors += ex
    inputs |= {f"extra.{f.name}": f.value.to_json() for f in ex}
    f_all = forward_point + attention
    rec = recompute_macs_per_token(recompute, f_all, attention)
    hw_over_model = (train_over_forward * f_all + rec) / (train_over_forward * f_all)
    model_flop = math.prod(f.value.point for f in factors)
    six_nd = units.FLOP_PER_MAC * units.TRAIN_OVER_FORWARD * tok.point
    inputs |= {
        "tokens": tok.to_json(),
        "recompute": recompute,
        "model_flop": model_flop,
        "hardware_flop": model_flop * hw_over_model,
        "hardware_over_model": hw_over_model,
        "six_n_d_active_flop": six_nd * active_point,
    }
    if total_point == total_point:  # known
        inputs["six_n_d_total_flop"] = six_nd * total_point
    return Estimate("ops", tuple(factors), inputs, label)


__all__ = ["RECOMPUTE", "estimate_transformer"]
