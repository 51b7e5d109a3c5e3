"""Transformer accounting: parameters (total and active), the attention term against a direct
count, config.json from disk, activation recomputation, and 6ND with active parameters."""

from __future__ import annotations

import json
import math

import pytest

from computesim import estimate_ops
from computesim.core.model_config import load_model_config, shape_from_config
from computesim.core.transformer import TransformerShape
from computesim.core.transformer_ops import estimate_transformer
from computesim.errors import InputError
from computesim.uncertainty.band import band, model_of

MIXTRAL = {  # the layout of Mixtral-8x7B's config.json
    "hidden_size": 4096,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "intermediate_size": 14336,
    "vocab_size": 32000,
    "num_local_experts": 8,
    "num_experts_per_tok": 2,
    "hidden_act": "silu",
    "tie_word_embeddings": False,
}


def _weights(shape: dict, experts_used: int) -> int:
    """Every weight matrix and vector listed one by one (independent of the package)."""
    d, L, H, KV = (
        shape[k]
        for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads")
    )
    hd, ff, V = d // H, shape["intermediate_size"], shape["vocab_size"]
    mats = [(d, H * hd), (d, KV * hd), (d, KV * hd), (H * hd, d)]  # q k v o
    mats += [(d, ff), (d, ff), (ff, d)] * experts_used  # gate, up, down per expert
    mats += (
        [(d, shape.get("num_local_experts", 1))] if shape.get("num_local_experts", 1) > 1 else []
    )
    vecs = [d, d]  # two RMSNorm scales
    per_layer = sum(a * b for a, b in mats) + sum(vecs)
    return L * per_layer + V * d + V * d + d  # embedding, output layer, final norm


def test_mixtral_total_and_active_against_a_hand_count():
    s = shape_from_config(MIXTRAL)
    c = s.params()
    assert c.total == _weights(MIXTRAL, 8)
    assert c.active == _weights(MIXTRAL, 2)
    assert c.total / 1e9 == pytest.approx(46.7, abs=0.05)  # Mistral AI: 46.7B total
    assert c.active / 1e9 == pytest.approx(12.9, abs=0.05)  # 12.9B active per token
    # all experts instead of the active ones overstates compute by total / active
    assert c.total / c.active == pytest.approx(3.63, abs=0.01)


def test_dense_small_config_and_gqa_only_shrinks_kv():
    base = dict(layers=2, d_model=8, heads=2, d_ff=16, vocab=10)
    mha, gqa = TransformerShape(**base), TransformerShape(**base, kv_heads=1)
    # k and v lose 8 x 4 weights each, per layer
    assert mha.params().total - gqa.params().total == 2 * 2 * 8 * 4
    assert mha.attention_macs_per_token(16) == gqa.attention_macs_per_token(16)
    with pytest.raises(InputError):
        TransformerShape(**base, kv_heads=3)


def _direct_attention_macs(layers, heads, head_dim, context, causal):
    """Loop over layers, heads and query positions: scores then weighted sum, per key seen."""
    total = 0
    for _ in range(layers):
        for _ in range(heads):
            for i in range(context):
                keys = i + 1 if causal else context
                total += keys * head_dim  # q . k for each key
                total += keys * head_dim  # sum of a_ij v_j
    return total / context  # per token


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("context", [1, 7, 32])
def test_attention_term_against_a_direct_count(causal, context):
    s = TransformerShape(layers=3, d_model=12, heads=3, kv_heads=1, d_ff=24, vocab=50)
    want = _direct_attention_macs(3, 3, 4, context, causal)
    assert s.attention_macs_per_token(context, causal) == pytest.approx(want, rel=1e-12)


def test_config_json_from_disk(tmp_path):
    p = tmp_path / "config.json"
    p.write_text(json.dumps(MIXTRAL), encoding="utf-8")
    e = estimate_transformer(config=p, tokens=1e12)
    assert e.inputs["params_total"] == _weights(MIXTRAL, 8)
    assert e.inputs["params_active"] == _weights(MIXTRAL, 2)
    # forward MACs: active weights less the embedding lookup and the norm scales
    macs = _weights(MIXTRAL, 2) - 32000 * 4096 - 32 * 2 * 4096 - 4096
    assert e.flop == pytest.approx(6 * macs * 1e12, rel=1e-12)
    assert e.inputs["six_n_d_total_flop"] / e.flop == pytest.approx(3.66, abs=0.01)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("{", "not valid JSON"),
        (json.dumps({"hidden_size": 8}), "num_hidden_layers"),
        (json.dumps(MIXTRAL | {"num_experts_per_tok": 9}), "experts"),
        (json.dumps(MIXTRAL | {"kv_lora_rank": 512}), "latent attention"),
        (json.dumps(MIXTRAL | {"hidden_size": -1}), "hidden_size"),
    ],
)
def test_bad_config_names_the_parameter(tmp_path, text, problem):
    p = tmp_path / "config.json"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_model_config(p)
    assert (
        err.value.field == "config"
        and problem in err.value.problem
        and "config.json" in str(err.value)
    )
    with pytest.raises(InputError) as err:
        load_model_config(tmp_path / "missing.json")
    assert err.value.field == "config"


def test_six_n_d_stays_the_default():
    plain = estimate_ops(params=175e9, tokens=300e9)
    t = estimate_transformer(params=175e9, tokens=300e9)
    assert t.flop == plain.flop == pytest.approx(6 * 175e9 * 300e9, rel=1e-15)


def test_moe_from_experts_and_their_sizes():
    # Mixtral-like: one routed expert over all layers = 32 x 3 x 4096 x 14336
    expert = 32 * 3 * 4096 * 14336
    total = _weights(MIXTRAL, 8)
    e = estimate_transformer(
        params=total, experts=8, experts_per_token=2, expert_params=expert, tokens=1e12
    )
    assert e.inputs["params_active"] == pytest.approx(_weights(MIXTRAL, 2), rel=1e-12)
    assert e.flop == pytest.approx(6 * _weights(MIXTRAL, 2) * 1e12, rel=1e-12)
    # shared experts are always active: they count in the total and do not change the active share
    s = estimate_transformer(
        params=total + 2 * expert,
        experts=8,
        experts_per_token=2,
        expert_params=expert,
        shared_experts=2,
        tokens=1e12,
    )
    assert s.inputs["params_active"] == pytest.approx(_weights(MIXTRAL, 2) + 2 * expert, rel=1e-12)
    with pytest.raises(InputError) as err:
        estimate_transformer(
            params=1e9, experts=8, experts_per_token=2, expert_params=2e8, tokens=1
        )
    assert err.value.field == "expert_params"
    with pytest.raises(InputError) as err:
        estimate_transformer(params=1e9, active_params=2e9, tokens=1)
    assert err.value.field == "active_params"


def test_attention_factor_and_recomputation():
    # GPT-3 175B: 96 layers, width 12288, context 2048 (Brown et al. 2020, Table 2.1)
    n, d = 175e9, 300e9
    attn = 2 * 96 * 2048 * 12288
    e = estimate_transformer(params=n, tokens=d, layers=96, width=12288, context=2048)
    assert e.flop == pytest.approx(6 * (n + attn) * d, rel=1e-12)
    assert e.inputs["attention_macs_per_token"] == attn
    causal = estimate_transformer(
        params=n, tokens=d, layers=96, width=12288, context=2048, causal=True
    )
    assert causal.flop == pytest.approx(6 * (n + attn * 2049 / 4096) * d, rel=1e-12)
    full = estimate_transformer(params=n, tokens=d, recompute="full")
    assert full.inputs["hardware_flop"] == pytest.approx(8 * n * d, rel=1e-12)  # 8ND
    assert full.inputs["model_flop"] == full.flop == pytest.approx(6 * n * d, rel=1e-12)
    sel = estimate_transformer(
        params=n, tokens=d, layers=96, width=12288, context=2048, recompute="selective"
    )
    assert sel.inputs["hardware_flop"] == pytest.approx(
        6 * (n + attn) * d + 2 * attn * d, rel=1e-12
    )
    with pytest.raises(InputError) as err:
        estimate_transformer(params=n, tokens=d, context=2048)
    assert err.value.field == "layers"
    with pytest.raises(InputError) as err:
        estimate_transformer(params=n, tokens=d, recompute="most")
    assert err.value.field == "recompute"


def test_uncertain_active_params_give_an_exact_band():
    e = estimate_transformer(params="46.7e9", active_params="11e9 to 15e9", tokens="1e12 to 2e12")
    b = band(model_of(e))
    assert b.exact
    sd = math.sqrt(
        sum(
            (math.log(hi / lo) / (2 * 1.6448536269514722)) ** 2
            for lo, hi in ((11e9, 15e9), (1e12, 2e12))
        )
    )
    median = 6 * math.sqrt(11e9 * 15e9) * math.sqrt(1e12 * 2e12)
    assert b.median == pytest.approx(median, rel=1e-9)
    q95 = b.to_dict()["quantiles_pfs_days"]["p95"] * 8.64e19
    assert q95 == pytest.approx(median * math.exp(1.6448536269514722 * sd), rel=1e-6)
