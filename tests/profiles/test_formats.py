"""Number-format text (a dataset's "Numerical format" column) to a profile precision key."""

from __future__ import annotations

import pytest

from computesim.errors import InputError
from computesim.hardware_profiles import PRECISIONS
from computesim.hardware_profiles.formats import parse_precision, precision_of, precisions_named

CASES = [
    ("FP32", "fp32"),
    ("float32", "fp32"),
    ("Single precision", "fp32"),
    ("TF32", "tf32"),
    ("TensorFloat-32", "tf32"),
    ("BF16", "bf16"),
    ("bfloat16", "bf16"),
    ("BF 16", "bf16"),
    ("FP16", "fp16"),
    ("half precision", "fp16"),
    ("Mixed precision (FP16/FP32)", "fp16"),
    ("mixed precision", "fp16"),
    ("bf16 mixed precision with fp32 master weights", "bf16"),
    ("FP8 (E4M3) GEMMs, BF16 elsewhere", "fp8"),
    ("MXFP4", "fp4"),
    ("FP64", "fp64"),
    ("double", "fp64"),
    ("INT8", "int8"),
    ("int8 weights, FP16 activations", "fp16"),
]


@pytest.mark.parametrize("text, want", CASES)
def test_precision_of(text, want):
    assert precision_of(text) == want


@pytest.mark.parametrize("text", ["", "   ", "unknown", "n/a", None, "fp 1000", "singleton"])
def test_no_format_named_is_none(text):
    assert precision_of(text) is None


def test_every_key_maps_to_itself():
    for p in PRECISIONS:
        assert precision_of(p) == p and precision_of(p.upper()) == p
        assert precisions_named(p) == [p]


def test_parse_precision_rejects_text_naming_no_format():
    assert parse_precision("Bfloat16") == "bf16"
    with pytest.raises(InputError) as e:
        parse_precision("fast", "precision")
    assert e.value.field == "precision"
