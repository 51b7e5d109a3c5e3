"""The profile loader rejects bad files with an InputError that names the file and the field."""

from __future__ import annotations

import pytest

from computesim.errors import InputError
from computesim.hardware_profiles import load_profile_file

GOOD = """\
name = "Test GPU"
aliases = ["TGPU"]
kind = "gpu"
vendor = "Test"
release_date = 2014-11-17
per = "chip"
chips_per_board = 1
memory_gib = 12
memory_bandwidth_gb_per_s = 240
tdp_w = 150

[sources]
release_date = "test launch"
memory_gib = "test datasheet"
memory_bandwidth_gb_per_s = "test datasheet"
tdp_w = "test datasheet"

[peak.fp32]
tflop_per_s = 4.0
low_tflop_per_s = 3.0
high_tflop_per_s = 5.0
clock = "boost"
sparse = false
source = "1000 cores x 2 GHz x 2"
"""


def _write(tmp_path, text, name="bad_gpu.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _rejects(tmp_path, text, *fields):
    """Load ``text``; it must raise InputError whose message names the file and each of ``fields``."""
    p = _write(tmp_path, text)
    with pytest.raises(InputError) as exc:
        load_profile_file(p)
    msg = str(exc.value)
    assert p.name in msg, msg
    for f in fields:
        assert f in msg, f"{f!r} not in {msg!r}"
    return exc.value


def test_good_file_loads(tmp_path):
    prof = load_profile_file(_write(tmp_path, GOOD, "good_gpu.toml"))
    assert prof.key == "good_gpu"
    assert prof.peak("fp32").flop_per_s == pytest.approx(4e12)
    assert prof.peak("fp32").low_flop_per_s == pytest.approx(3e12)
    assert prof.default_utilization == pytest.approx(0.33)


def test_unknown_top_level_key(tmp_path):
    _rejects(
        tmp_path, GOOD.replace('vendor = "Test"\n', 'vendor = "Test"\ncolour = "green"\n'), "colour"
    )


def test_unknown_peak_key(tmp_path):
    _rejects(
        tmp_path,
        GOOD.replace("sparse = false\n", "sparse = false\nturbo_tflop_per_s = 6.0\n"),
        "peak.fp32",
        "turbo_tflop_per_s",
    )


def test_unknown_precision(tmp_path):
    _rejects(tmp_path, GOOD.replace("[peak.fp32]", "[peak.fp24]"), "fp24")


def test_missing_source_for_a_figure(tmp_path):
    _rejects(tmp_path, GOOD.replace('tdp_w = "test datasheet"\n', ""), "tdp_w", "source")


def test_missing_source_for_a_peak(tmp_path):
    _rejects(
        tmp_path, GOOD.replace('source = "1000 cores x 2 GHz x 2"\n', ""), "peak.fp32", "source"
    )


def test_empty_source_for_a_peak(tmp_path):
    _rejects(
        tmp_path,
        GOOD.replace('source = "1000 cores x 2 GHz x 2"', 'source = "  "'),
        "peak.fp32",
        "source",
    )


def test_negative_figure(tmp_path):
    _rejects(tmp_path, GOOD.replace("memory_gib = 12\n", "memory_gib = -12\n"), "memory_gib")


def test_negative_peak(tmp_path):
    _rejects(
        tmp_path,
        GOOD.replace("low_tflop_per_s = 3.0", "low_tflop_per_s = -3.0"),
        "peak.fp32",
        "low_tflop_per_s",
    )


def test_missing_unit_in_key(tmp_path):
    """A figure without its unit in the key (``memory = 24``) is an unknown key, not a silent guess."""
    text = GOOD.replace("memory_gib = 12\n", "memory = 24\n")
    _rejects(tmp_path, text, "memory")


def test_missing_unit_for_power(tmp_path):
    text = GOOD.replace("tdp_w = 150\n", "tdp_w = 150\npower = 150\n")
    err = _rejects(tmp_path, text, "power")
    assert "unit" in str(err) or "did you mean" in str(err)


def test_sparse_default_is_rejected(tmp_path):
    _rejects(tmp_path, GOOD.replace("sparse = false", "sparse = true"), "peak.fp32", "sparse")


def test_low_above_default(tmp_path):
    _rejects(
        tmp_path, GOOD.replace("low_tflop_per_s = 3.0", "low_tflop_per_s = 4.5"), "peak.fp32", "low"
    )


def test_default_above_high(tmp_path):
    _rejects(
        tmp_path,
        GOOD.replace("high_tflop_per_s = 5.0", "high_tflop_per_s = 3.5"),
        "peak.fp32",
        "high",
    )


def test_bad_clock(tmp_path):
    _rejects(tmp_path, GOOD.replace('clock = "boost"', 'clock = "turbo"'), "peak.fp32", "clock")


def test_figure_as_string(tmp_path):
    _rejects(tmp_path, GOOD.replace("tdp_w = 150\n", 'tdp_w = "150 W"\n'), "tdp_w")


def test_missing_required_figure(tmp_path):
    _rejects(
        tmp_path, GOOD.replace("memory_bandwidth_gb_per_s = 240\n", ""), "memory_bandwidth_gb_per_s"
    )


def test_bad_kind(tmp_path):
    _rejects(tmp_path, GOOD.replace('kind = "gpu"', 'kind = "fpga"'), "kind")


def test_bad_chips_per_board(tmp_path):
    _rejects(
        tmp_path, GOOD.replace("chips_per_board = 1", "chips_per_board = 0"), "chips_per_board"
    )


def test_release_date_must_be_a_date(tmp_path):
    _rejects(
        tmp_path,
        GOOD.replace("release_date = 2014-11-17", 'release_date = "Nov 2014"'),
        "release_date",
    )


def test_not_toml(tmp_path):
    _rejects(tmp_path, GOOD + "\nthis is not = = toml\n", "TOML")


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as exc:
        load_profile_file(tmp_path / "nope.toml")
    assert "nope.toml" in str(exc.value)


def test_a_stated_non_fp32_default_precision_needs_a_source(tmp_path):
    text = GOOD.replace('kind = "gpu"', 'kind = "gpu"\ndefault_precision = "fp16"') + (
        '\n[peak.fp16]\ntflop_per_s = 8.0\nclock = "boost"\nsource = "x"\n'
    )
    _rejects(tmp_path, text, "default_precision", "source")
    ok = text.replace("[sources]\n", '[sources]\ndefault_precision = "lab practice"\n')
    prof = load_profile_file(_write(tmp_path, ok, "ok_gpu.toml"))
    assert prof.default_precision == "fp16" and prof.peak().flop_per_s == pytest.approx(8e12)


def test_tdp_may_be_left_out_only_with_a_source_saying_so(tmp_path):
    no_tdp = GOOD.replace("tdp_w = 150\n", "")
    _rejects(tmp_path, no_tdp.replace('tdp_w = "test datasheet"\n', ""), "missing tdp_w")
    text = no_tdp.replace('tdp_w = "test datasheet"', 'tdp_w = "Not published by the maker"')
    prof = load_profile_file(_write(tmp_path, text, "no_tdp.toml"))
    assert prof.tdp_w is None and prof.to_dict()["tdp_w"] is None


_PRICED = GOOD.replace(
    "tdp_w = 150\n",
    'tdp_w = 150\nreference_price_usd_per_hour = 1.25\nreference_price_date = "2026-09"\n',
).replace(
    'tdp_w = "test datasheet"\n',
    'tdp_w = "test datasheet"\nreference_price_usd_per_hour = "test page"\n',
)


def test_reference_price_loads_with_its_date_and_source(tmp_path):
    prof = load_profile_file(_write(tmp_path, _PRICED, "priced_gpu.toml"))
    assert prof.reference_price_usd_per_hour == 1.25 and prof.reference_price_date == "2026-09"
    d = prof.to_dict()
    assert d["reference_price_usd_per_hour"] == 1.25 and d["reference_price_date"] == "2026-09"
    assert d["sources"]["reference_price_usd_per_hour"] == "test page"
    plain = load_profile_file(_write(tmp_path, GOOD, "plain_gpu.toml"))
    assert (
        plain.reference_price_usd_per_hour is None
        and plain.to_dict()["reference_price_date"] is None
    )


@pytest.mark.parametrize(
    "old, new, fields",
    [  # a price without its date, with a malformed date, without its source
        ('reference_price_date = "2026-09"\n', "", ["reference_price_date"]),
        ('"2026-09"', '"2026-13"', ["reference_price_date", "2026-13"]),
        ('"2026-09"', '"September 2026"', ["reference_price_date"]),
        ('"2026-09"', "2026-09-20", ["reference_price_date"]),
        (
            'reference_price_usd_per_hour = "test page"\n',
            "",
            ["source", "reference_price_usd_per_hour"],
        ),
        (
            'reference_price_usd_per_hour = "test page"',
            'reference_price_usd_per_hour = " "',
            ["source"],
        ),
        ("= 1.25", "= -1.25", ["reference_price_usd_per_hour", "positive"]),
        ("= 1.25", '= "1.25"', ["reference_price_usd_per_hour", "number"]),
        # a date or a source without a price
        ("reference_price_usd_per_hour = 1.25\n", "", ["without reference_price_usd_per_hour"]),
    ],
)
def test_reference_price_needs_a_date_and_a_source(tmp_path, old, new, fields):
    assert old in _PRICED
    _rejects(tmp_path, _PRICED.replace(old, new, 1), *fields)
