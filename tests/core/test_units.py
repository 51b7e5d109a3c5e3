import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from computesim.core import units
from computesim.errors import InputError


@pytest.mark.parametrize(
    "text, kind, expected",
    [
        ("5.5 days", "time", 5.5 * 86_400),
        ("12,000 h", "time", 12_000 * 3_600),
        ("2 weeks", "time", 14 * 86_400),
        ("90 min", "time", 5_400),
        ("1.2e6", "count", 1.2e6),
        ("348M", "count", 348e6),
        ("0.75 GFLOP", "ops", 0.75e9),
        ("0.75 GMAC", "ops", 1.5e9),  # explicit MAC -> FLOP: x2
        ("3 GFLOP", "macs", 1.5e9),  # explicit FLOP -> MAC: /2
        ("0.75 GFLOPS", "macs", 0.375e9),  # "FLOPS" in a count field is a plural count of FLOP
        ("1.58 TFLOP/s", "rate", 1.58e12),
        ("8.5 TFLOPS", "rate", 8.5e12),
        ("1 PFLOPS", "rate", 1e15),
        ("10,000 PF", "ops", 1e19),
        ("0.117 pfs-days", "ops", 0.117 * 8.64e19),
        ("1 petaflop/s-day", "ops", 8.64e19),
    ],
)
def test_parse(text, kind, expected):
    assert units.parse(text, kind, "--x") == pytest.approx(expected, rel=1e-15)


def test_pfs_day_definition():
    assert units.PFS_DAY == 1e15 * 86_400 == 8.64e19
    assert units.flop_to_pfs_days(8.64e19) == 1.0
    assert units.FLOP_PER_MAC == 2 and units.TRAIN_OVER_FORWARD == 3


@pytest.mark.parametrize(
    "text, kind, needle",
    [
        ("3 parsecs", "time", "unknown unit"),
        ("3 days", "rate", "expected FLOP/s"),
        ("8 TFLOPS", "time", "expected s"),
        ("1,00", "count", "thousands separator"),
        ("fast", "count", "cannot read a number"),
        ("", "count", "cannot read a number"),
        ("5 GFLOP", "count", "expected a plain number"),
    ],
)
def test_parse_errors_name_the_field(text, kind, needle):
    with pytest.raises(InputError) as err:
        units.parse(text, kind, "--days")
    assert str(err.value).startswith("--days: ") and needle in str(err.value)


@given(st.floats(min_value=1e-30, max_value=1e30, allow_nan=False))
def test_bare_numbers_round_trip(x):
    assert units.parse(repr(x), "count", "f") == x


@given(st.floats(min_value=1e-3, max_value=1e30))
def test_mac_flop_conversion_is_exact_factor_two(x):
    assert units.parse(f"{x!r} MAC", "ops", "f") == 2 * x
    assert units.parse(f"{x!r} FLOP", "macs", "f") == x / 2


def test_format_compute_shows_both_units():
    text = units.format_compute(4.96e17)
    assert "4.96e+17 FLOP" in text and "0.00574 pfs-days" in text


@pytest.mark.parametrize(
    "x, text",
    [
        (2.0, "2"),
        (0.33, "0.33"),
        (475200.0, "475200"),
        (1.2e6, "1.2e6"),
        (2.7e-5, "2.7e-5"),
        (0.005736, "0.00574"),
    ],
)
def test_sig(x, text):
    assert units.sig(x) == text


def test_sig_non_finite():
    assert units.sig(math.inf) == "inf"


# --- issue 11: long fields, types, bare-number compute -------------------------------------------
def test_a_100k_character_field_is_refused_by_length_not_hung_on():
    text = "1" + " " * 100_000 + "x"
    with pytest.raises(InputError) as exc:
        units.parse(text, "time", "--days")
    assert exc.value.field == "--days" and "too long" in exc.value.problem
    assert len(str(exc.value)) < 200  # the value is not echoed back whole


def test_messages_quote_at_most_a_prefix_of_the_value():
    with pytest.raises(InputError) as exc:
        units.parse("5 " + "z" * 900, "time", "--days")
    assert "z" * 41 not in str(exc.value) and "..." in str(exc.value)


@pytest.mark.parametrize(
    "value, typename", [(b"5", "bytes"), (True, "bool"), (None, "NoneType"), ([5], "list")]
)
def test_non_text_non_number_values_are_refused_naming_the_type(value, typename):
    with pytest.raises(InputError) as exc:
        units.parse(value, "count", "days")
    assert exc.value.field == "days" and typename in exc.value.problem


def test_numbers_of_other_real_types_are_read():
    from fractions import Fraction

    import numpy as np

    assert units.parse(np.int64(3), "count", "x") == 3.0
    assert units.parse(Fraction(1, 4), "count", "x") == 0.25
    with pytest.raises(InputError, match="too large"):
        units.parse(10**400, "count", "x")


def test_parse_compute_needs_a_unit_in_text():
    assert units.parse_compute("1e25FLOP", "--threshold") == 1e25
    assert units.parse_compute("0.1 pfs-days", "--threshold") == pytest.approx(8.64e18)
    assert units.parse_compute(1e25, "--threshold") == 1e25  # a Python number is FLOP
    for bad, needle in (("5", "needs a unit"), ("5 s", "expected FLOP"), ("-1 FLOP", "positive")):
        with pytest.raises(InputError, match=needle):
            units.parse_compute(bad, "--threshold")
