"""Number formats as datasets and papers spell them, mapped to the profiles' precision keys.

A dataset's "Numerical format" column holds free text ("BF16", "Mixed precision (FP16/FP32)",
"bfloat16 activations, fp32 master weights", "FP8"). Training compute is dominated by the matrix
multiplies, which run in the lowest-precision floating-point format named; higher formats in the
same text are accumulators or master weights. So the text maps to the lowest float format it names
(integer formats only when no float format is named).
"""

from __future__ import annotations

import re

from computesim.errors import InputError

#: Spellings of each precision (lower case, matched as whole words after normalising).
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "fp4": ("fp4", "float4", "mxfp4", "nvfp4", "e2m1"),
    "fp8": ("fp8", "float8", "e4m3", "e5m2", "mxfp8"),
    "bf16": ("bf16", "bfloat16", "bfloat", "brain float", "brain floating point"),
    "fp16": ("fp16", "float16", "half", "half precision"),
    "tf32": ("tf32", "tensorfloat32", "tensorfloat 32", "tensor float 32"),
    "fp32": ("fp32", "float32", "single", "single precision"),
    "fp64": ("fp64", "float64", "double", "double precision"),
    "int8": ("int8", "8 bit integer", "8bit integer"),
    "int4": ("int4", "4 bit integer", "4bit integer"),
}
#: Lowest first: the format the matrix multiplies run in wins (floats before integers).
_ORDER = ("fp4", "fp8", "bf16", "fp16", "tf32", "fp32", "fp64", "int8", "int4")


def _normal(text: str) -> str:
    t = text.lower().replace("_", " ")
    t = re.sub(r"\b(fp|bf|tf|int|float|bfloat)[ -](\d+)\b", r"\1\2", t)  # "FP 16", "bf-16"
    t = re.sub(r"\btensorfloat[ -]32\b", "tensorfloat32", t)
    return " " + re.sub(r"[^a-z0-9]+", " ", t).strip() + " "


def precisions_named(text: str) -> list[str]:
    """Every precision ``text`` names, lowest first.

    >>> precisions_named("bfloat16 activations, FP32 master weights")
    ['bf16', 'fp32']
    """
    t = _normal(text)
    return [p for p in _ORDER if any(f" {s} " in t for s in _SPELLINGS[p])]


def precision_of(text: str | None) -> str | None:
    """The profile precision key for a "Numerical format" text, or None when it names none.

    The lowest float format named wins (the matrix multiplies' format); integer formats only when
    no float is named. "Mixed precision" alone is the fp16/fp32 recipe (Micikevicius et al. 2018),
    so fp16.

    >>> precision_of("Mixed precision (FP16/FP32)"), precision_of("BF16"), precision_of("TF32")
    ('fp16', 'bf16', 'tf32')
    >>> precision_of("FP8 and BF16"), precision_of("mixed precision"), precision_of("unknown")
    ('fp8', 'fp16', None)
    """
    if text is None:
        return None
    named = precisions_named(text)
    if named:
        return named[0]
    if " mixed " in _normal(text):
        return "fp16"
    return None


def parse_precision(text: str, field: str = "precision") -> str:
    """A precision key from a user's text ("fp8", "BF16", "bfloat16"); InputError if none is named.

    >>> parse_precision("BFloat16")
    'bf16'
    """
    p = precision_of(text)
    if p is None:
        raise InputError(
            field,
            f"unknown number format {text!r}; known: {', '.join(_ORDER)} (or their spellings)",
        )
    return p
