"""A model's ``config.json`` (the layout of open model releases) read from disk into a
TransformerShape. Nothing is downloaded.

Keys read (with the other spellings releases use): hidden_size (n_embd, d_model),
num_hidden_layers (n_layer, num_layers), num_attention_heads (n_head), num_key_value_heads
(default: the attention heads), head_dim, intermediate_size (n_inner, ffn_dim; default 4 x hidden),
vocab_size, num_local_experts (num_experts, n_routed_experts), num_experts_per_tok,
moe_intermediate_size, n_shared_experts, shared_expert_intermediate_size, first_k_dense_replace,
tie_word_embeddings, hidden_act / activation_function (silu/swiglu: a gated MLP, 3 matrices).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from computesim.core.transformer import TransformerShape
from computesim.errors import InputError

_ALIASES = {
    "hidden_size": ("hidden_size", "n_embd", "d_model"),
    "layers": ("num_hidden_layers", "n_layer", "num_layers"),
    "heads": ("num_attention_heads", "n_head", "num_heads"),
    "kv_heads": ("num_key_value_heads", "num_kv_heads"),
    "intermediate": ("intermediate_size", "n_inner", "ffn_dim"),
    "vocab": ("vocab_size",),
    "experts": ("num_local_experts", "num_experts", "n_routed_experts"),
    "per_token": ("num_experts_per_tok", "moe_topk"),
}
_GATED = ("silu", "swish", "swiglu", "geglu", "gelu_pytorch_tanh_gated")


def _get(raw: dict[str, Any], what: str, field: str, required: bool = True) -> int | None:
    for key in _ALIASES[what]:
        v = raw.get(key)
        if v is not None:
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InputError(field, f"{key} must be a whole number >= 1, got {v!r}")
            return v
    if required:
        raise InputError(field, f"no {' / '.join(_ALIASES[what])} in the config")
    return None


def _whole(raw: dict[str, Any], key: str, field: str, default: int = 0) -> int:
    v = raw.get(key)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise InputError(field, f"{key} must be a whole number >= 0, got {v!r}")
    return v


def shape_from_config(raw: dict[str, Any], field: str = "config") -> TransformerShape:
    """A TransformerShape from a parsed config.json; InputError naming ``field`` if keys are
    missing or an attention layout is not modelled (multi-head latent attention).

    >>> s = shape_from_config(
    ...     {
    ...         "hidden_size": 64,
    ...         "num_hidden_layers": 2,
    ...         "num_attention_heads": 4,
    ...         "intermediate_size": 256,
    ...         "vocab_size": 100,
    ...     }
    ... )
    >>> s.params().total > 0, s.kv_heads_
    (True, 4)
    """
    if not isinstance(raw, dict):
        raise InputError(field, "expected a JSON object")
    text_config = raw.get("text_config")  # multimodal releases nest the language model's
    cfg: dict[str, Any] = text_config if isinstance(text_config, dict) else raw
    if "kv_lora_rank" in cfg or "q_lora_rank" in cfg:
        raise InputError(
            field,
            "multi-head latent attention (kv_lora_rank) is not modelled; "
            "give the parameter counts instead (params and active_params)",
        )
    d = _get(cfg, "hidden_size", field)
    assert d is not None  # required
    d_ff = _get(cfg, "intermediate", field, required=False) or 4 * d
    experts = _get(cfg, "experts", field, required=False) or 1
    per_token = _get(cfg, "per_token", field, required=False) or (1 if experts == 1 else None)
    if per_token is None:
        raise InputError(field, "an MoE config needs num_experts_per_tok")
    expert_ff = _whole(cfg, "moe_intermediate_size", field) or None
    shared_ff = _whole(cfg, "shared_expert_intermediate_size", field) or (
        _whole(cfg, "n_shared_experts", field) * (expert_ff or d_ff)
    )
    act = str(cfg.get("hidden_act", cfg.get("activation_function", "silu"))).lower()
    head_dim = cfg.get("head_dim")
    return TransformerShape(
        layers=_get(cfg, "layers", field) or 0,
        d_model=d,
        heads=_get(cfg, "heads", field) or 0,
        kv_heads=_get(cfg, "kv_heads", field, required=False),
        head_dim_=head_dim if isinstance(head_dim, int) and head_dim > 0 else None,
        d_ff=d_ff,
        vocab=_get(cfg, "vocab", field) or 0,
        experts=experts,
        experts_per_token=per_token,
        expert_d_ff=expert_ff,
        shared_d_ff=shared_ff,
        dense_layers=_whole(cfg, "first_k_dense_replace", field) if experts > 1 else 0,
        gated=act in _GATED,
        tied_embeddings=bool(cfg.get("tie_word_embeddings", False)),
    )


def load_model_config(path: str | Path, field: str = "config") -> TransformerShape:
    """Read a local config.json into a TransformerShape (InputError naming ``field`` on a missing
    or unreadable file, bad JSON, or missing keys)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(field, f"cannot read {str(p)!r}: {exc.__class__.__name__}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(field, f"{p.name} is not valid JSON (line {exc.lineno})") from None
    try:
        return shape_from_config(raw, field)
    except InputError as exc:
        raise InputError(field, f"{p.name}: {exc.problem}") from None
