"""A decoder-only transformer's shape, and what it costs per token: parameters (total and active
for mixture-of-experts), matrix-multiply MACs, and the attention term.

Counts per token of the forward pass, in multiply-adds (MAC; 1 MAC = 2 FLOP):

- projections: every weight matrix a token passes through is one MAC per weight: attention
  q, k, v, o (k and v have ``kv_heads`` heads: grouped-query attention shrinks them), the MLP
  (3 matrices when gated, e.g. SwiGLU; else 2) of each expert the token is routed to plus shared
  experts, the router (``d_model x experts``), and the output layer (``vocab x d_model``, counted
  even when tied to the input embedding: the lookup itself costs nothing);
- attention: scores Q K^T and the weighted sum A V, each ``context x heads x head_dim`` MAC per
  token per layer, so ``2 x layers x context x heads x head_dim``. The query heads count here,
  not the KV heads: grouped-query attention shares K and V but every query head still scores every
  key. With a causal mask a token at position i sees i keys: the mean over a sequence is
  ``(context + 1) / 2`` (the "causal halving", an option: kernels such as FlashAttention skip the
  masked blocks, others compute them);
- the rest (norms, softmax, activations, residual adds) is left out, as in 6ND (a few percent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from computesim.errors import InputError

#: Activation recomputation: how much forward work the backward pass repeats.
RECOMPUTE = ("none", "selective", "full")


@dataclass(frozen=True)
class TransformerShape:
    """Shape of a decoder-only transformer (the fields of an open model release's config.json).

    ``experts`` = 1 is a dense model. ``expert_d_ff`` is one routed expert's intermediate size
    (default ``d_ff``); ``dense_layers`` are layers with a dense MLP of ``d_ff`` instead of experts
    (DeepSeek's first_k_dense_replace); ``shared_d_ff`` is the total intermediate size of the
    shared (always active) experts of each MoE layer.

    >>> s = TransformerShape(layers=2, d_model=8, heads=2, kv_heads=1, d_ff=16, vocab=10)
    >>> s.head_dim, s.params().total  # 2 x (8*4*(2*2+2*1) + 3*8*16 + 2*8) + 2*10*8 + 8
    (4, 1352)
    """

    layers: int
    d_model: int
    heads: int
    d_ff: int
    vocab: int
    kv_heads: int | None = None
    head_dim_: int | None = None
    experts: int = 1
    experts_per_token: int = 1
    expert_d_ff: int | None = None
    shared_d_ff: int = 0
    dense_layers: int = 0
    gated: bool = True
    tied_embeddings: bool = False

    def __post_init__(self) -> None:
        for name in ("layers", "d_model", "heads", "d_ff", "vocab", "experts", "experts_per_token"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InputError(name, f"must be a whole number >= 1, got {v!r}")
        for name in ("kv_heads", "head_dim_", "expert_d_ff"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise InputError(name.rstrip("_"), f"must be a whole number >= 1, got {v!r}")
        if self.shared_d_ff < 0 or not 0 <= self.dense_layers <= self.layers:
            raise InputError("dense_layers", "must be in 0 .. layers (shared_d_ff >= 0)")
        if self.experts_per_token > self.experts:
            raise InputError(
                "experts_per_token",
                f"{self.experts_per_token} is more than the {self.experts} experts",
            )
        if self.heads % self.kv_heads_ != 0:
            raise InputError(
                "kv_heads", f"{self.heads} query heads do not split into {self.kv_heads_} groups"
            )

    @property
    def kv_heads_(self) -> int:
        return self.kv_heads or self.heads

    @property
    def head_dim(self) -> int:
        return self.head_dim_ or self.d_model // self.heads

    @property
    def is_moe(self) -> bool:
        return self.experts > 1

    def params(self) -> ParamCounts:
        """Parameter counts (total and active per token)."""
        d, hd = self.d_model, self.head_dim
        attn = d * hd * (2 * self.heads + 2 * self.kv_heads_)
        mats = 3 if self.gated else 2
        moe_layers = self.layers - self.dense_layers if self.is_moe else 0
        dense_layers = self.layers - moe_layers
        expert = mats * d * (self.expert_d_ff or self.d_ff)
        shared = mats * d * self.shared_d_ff
        router = d * self.experts
        norms = 2 * d
        common = self.layers * (attn + norms) + dense_layers * mats * d * self.d_ff
        moe_common = moe_layers * (shared + router)
        embed = self.vocab * d
        head = 0 if self.tied_embeddings else self.vocab * d
        total = common + moe_common + moe_layers * self.experts * expert + embed + head + d
        active = (
            common + moe_common + moe_layers * self.experts_per_token * expert + embed + head + d
        )
        # MACs per token through weight matrices: no lookup, no norms; the output layer always
        matmul = active - embed - head - self.layers * norms - d + self.vocab * d
        return ParamCounts(
            total=total,
            active=active,
            embedding=embed + head,
            routed_expert=expert * moe_layers,
            matmul_macs_per_token=matmul,
        )

    def attention_macs_per_token(self, context: float, causal: bool = False) -> float:
        """Forward MACs per token of the attention scores and weighted sum (all layers)."""
        return attention_macs_per_token(self.layers, self.heads * self.head_dim, context, causal)

    def to_dict(self) -> dict[str, Any]:
        return {
            "layers": self.layers,
            "d_model": self.d_model,
            "heads": self.heads,
            "kv_heads": self.kv_heads_,
            "head_dim": self.head_dim,
            "d_ff": self.d_ff,
            "vocab": self.vocab,
            "experts": self.experts,
            "experts_per_token": self.experts_per_token,
            "expert_d_ff": self.expert_d_ff or self.d_ff,
            "shared_d_ff": self.shared_d_ff,
            "dense_layers": self.dense_layers,
            "gated_mlp": self.gated,
            "tied_embeddings": self.tied_embeddings,
        }


@dataclass(frozen=True)
class ParamCounts:
    """Parameters of a transformer: ``total``, ``active`` per token (MoE: routed experts used),
    ``embedding`` (input embedding and untied output layer), ``routed_expert`` (one routed expert,
    all MoE layers), and the forward MACs per token through weight matrices."""

    total: int
    active: int
    embedding: int
    routed_expert: int
    matmul_macs_per_token: int

    def to_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "active": self.active,
            "embedding": self.embedding,
            "routed_expert": self.routed_expert,
            "matmul_macs_per_token": self.matmul_macs_per_token,
        }


def attention_macs_per_token(
    layers: float, width: float, context: float, causal: bool = False
) -> float:
    """Forward MACs per token for Q K^T and A V: 2 x layers x keys seen x width (heads x head_dim).

    Keys seen: ``context``, or with a causal mask the mean ``(context + 1) / 2``.

    >>> attention_macs_per_token(96, 12288, 2048)  # GPT-3 175B: 2 x 96 x 2048 x 12288
    4831838208.0
    """
    keys = (context + 1) / 2 if causal else float(context)
    return 2.0 * layers * keys * width


def recompute_macs_per_token(recompute: str, forward_macs: float, attention_macs: float) -> float:
    """Forward MACs per token repeated in the backward pass by activation recomputation.

    "none": 0; "full": the whole forward again (8ND instead of 6ND); "selective": only the
    attention core (scores, softmax, weighted sum), as in Korthikanti et al. 2022 ("Reducing
    Activation Recomputation in Large Transformer Models").
    """
    if recompute not in RECOMPUTE:
        raise InputError("recompute", f"must be one of {', '.join(RECOMPUTE)}, got {recompute!r}")
    return {"none": 0.0, "selective": attention_macs, "full": forward_macs}[recompute]
