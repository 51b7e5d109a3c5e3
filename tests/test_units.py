import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from computesim import units
from computesim.errors import InputError


@pytest.mark.parametrize("text, kind, expected", [
    ("5.5 days", "time", 5.5 * 86_400),
    ("12,000 h", "time", 12_000 * 3_600),
    ("2 weeks", "time", 14 * 86_400),
    ("90 min", "time", 5_400),
    ("1.2e6", "count", 1.2e6),
    ("348M", "count", 348e6),
    ("0.75 GFLOP", "ops", 0.75e9),
    ("0.75 GMAC", "ops", 1.5e9),          # explicit MAC -> FLOP: x2
    ("3 GFLOP", "macs", 1.5e9),           # explicit FLOP -> MAC: /2
    ("0.75 GFLOPS", "macs", 0.375e9),     # "FLOPS" in a count field is a plural count of FLOP
    ("1.58 TFLOP/s", "rate", 1.58e12),
    ("8.5 TFLOPS", "rate", 8.5e12),
    ("1 PFLOPS", "rate", 1e15),
    ("10,000 PF", "ops", 1e19),
    ("0.117 pfs-days", "ops", 0.117 * 8.64e19),
    ("1 petaflop/s-day", "ops", 8.64e19),
])
def test_parse(text, kind, expected):
    assert units.parse(text, kind, "--x") == pytest.approx(expected, rel=1e-15)


def test_pfs_day_definition():
    assert units.PFS_DAY == 1e15 * 86_400 == 8.64e19
    assert units.flop_to_pfs_days(8.64e19) == 1.0
    assert units.FLOP_PER_MAC == 2 and units.TRAIN_OVER_FORWARD == 3


@pytest.mark.parametrize("text, kind, needle", [
    ("3 parsecs", "time", "unknown unit"),
    ("3 days", "rate", "expected FLOP/s"),
    ("8 TFLOPS", "time", "expected s"),
    ("1,00", "count", "thousands separator"),
    ("fast", "count", "cannot read a number"),
    ("", "count", "cannot read a number"),
    ("5 GFLOP", "count", "expected a plain number"),
])
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


@pytest.mark.parametrize("x, text", [(2.0, "2"), (0.33, "0.33"), (475200.0, "475200"), (1.2e6, "1.2e6"),
                                     (2.7e-5, "2.7e-5"), (0.005736, "0.00574")])
def test_sig(x, text):
    assert units.sig(x) == text


def test_sig_non_finite():
    assert units.sig(math.inf) == "inf"
