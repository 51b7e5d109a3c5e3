"""Property tests (Hypothesis) of the quantity, unit and distribution parsers (issue 11).

Any text gives a valid Quantity or an InputError (never another exception); formatted numbers with
units round-trip; distributions have monotone quantile functions, median == ppf(0.5), log-moments
matching the closed form where there is one, and a fraction field's support inside (0, 1].
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from computesim.core import units
from computesim.core.distributions import (
    Distribution,
    LogNormal,
    LogUniform,
    Normal,
    Pert,
    Triangular,
    Uniform,
    parse_distribution,
)
from computesim.core.inputs import parse_quantity, require_fraction_quantity
from computesim.core.quantity import Point, Quantity
from computesim.errors import InputError

SETTINGS = settings(max_examples=150, deadline=None)
KINDS = ("count", "ops", "macs", "rate", "time")

# Unit words per kind, and their factor to the canonical unit of that kind.
UNITS = {
    "time": {"s": 1.0, "h": 3600.0, "days": 86400.0, "weeks": 604800.0, "min": 60.0},
    "ops": {
        "FLOP": 1.0,
        "GFLOP": 1e9,
        "PFLOP": 1e15,
        "MAC": 2.0,
        "TMAC": 2e12,
        "pfs-days": 8.64e19,
    },
    "rate": {"FLOP/s": 1.0, "TFLOPS": 1e12, "GFLOP/s": 1e9},
    "count": {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9},
}

positive = st.floats(min_value=1e-30, max_value=1e30, allow_nan=False, allow_infinity=False)
unit_pair = st.sampled_from([(k, u, f) for k, us in UNITS.items() for u, f in us.items()])
# Text built from the characters the parsers care about, plus anything else.
parser_alphabet = st.sampled_from(
    list("0123456789.,_eE+- ()<=≤toTOabcdfghkmnpsuxyz/\t\n") + ["inf", "nan", " to "]
)
texty = st.one_of(st.text(max_size=60), st.lists(parser_alphabet, max_size=40).map("".join))


@SETTINGS
@given(
    x=positive,
    pair=unit_pair,
    fmt=st.sampled_from(["{:.17g}", "{:.17e}", "{!r}"]),
    space=st.sampled_from(["", " ", "  "]),
)
def test_formatted_numbers_with_units_round_trip(x, pair, fmt, space):
    kind, unit, factor = pair
    text = fmt.format(x) + (space + unit if unit else "")
    assert units.parse(text, kind, "f") == pytest.approx(x * factor, rel=1e-15)


@SETTINGS
@given(
    x=positive,
    unit=st.text(alphabet="abcdfgjqrvwxyz/", min_size=1, max_size=8),
    kind=st.sampled_from(KINDS),
)
def test_unknown_units_are_input_errors(x, unit, kind):
    text = f"{x:g} {unit}"
    try:
        units.parse(text, kind, "f")
    except InputError as exc:
        assert exc.field == "f"
    # a word that happens to be a unit (e.g. "d", "w") parses; nothing else may escape


@SETTINGS
@given(text=texty, kind=st.sampled_from(KINDS), bounds=st.booleans())
def test_any_text_gives_a_valid_quantity_or_an_input_error(text, kind, bounds):
    try:
        q = parse_quantity(text, kind, "--f", bounds=bounds)
    except InputError as exc:
        assert exc.field == "--f" and len(str(exc)) < 400
        return
    assert isinstance(q, Quantity)
    assert math.isfinite(q.point) and q.point > 0


@SETTINGS
@given(text=texty, kind=st.sampled_from(KINDS))
def test_any_text_to_parse_distribution_gives_a_distribution_or_an_input_error(text, kind):
    try:
        d = parse_distribution(text, kind, "--f")
    except InputError:
        return
    assert isinstance(d, Distribution) and math.isfinite(d.median) and d.median > 0


@settings(max_examples=25, deadline=None)
@given(
    core=texty,
    n=st.integers(min_value=5_000, max_value=200_000),
    pad=st.sampled_from([" ", "1", "(", "to ", "1 "]),
)
def test_long_text_is_refused_without_backtracking(core, n, pad):
    """Linear time: a long field is refused by its length (a quadratic parser would time this out)."""
    text = core + pad * (n // len(pad))
    assume(len(text) > units.MAX_TEXT)
    with pytest.raises(InputError, match="too long"):
        parse_quantity(text, "time", "--days")


@SETTINGS
@given(
    value=st.one_of(
        st.binary(max_size=8),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    )
)
def test_non_text_non_numbers_are_refused_by_every_parser(value):
    for fn in (
        lambda: units.parse(value, "count", "p"),
        lambda: parse_quantity(value, "count", "p"),
        lambda: units.parse_compute(value, "p"),
    ):
        with pytest.raises(InputError) as exc:
            fn()
        assert exc.value.field == "p"


# --- distributions ---------------------------------------------------------------------------------
def _ordered(n):
    return st.lists(
        st.floats(min_value=1e-3, max_value=1e3), min_size=n, max_size=n, unique=True
    ).map(sorted)


distributions = st.one_of(
    st.builds(lambda mu, s: LogNormal(mu, s), st.floats(-20, 20), st.floats(1e-3, 3)),
    _ordered(2).map(lambda v: LogUniform(*v)),
    _ordered(2).map(lambda v: Uniform(*v)),
    st.builds(lambda m, s: Normal(m, s), st.floats(0.1, 100), st.floats(0.01, 30)),
    _ordered(3).map(lambda v: Triangular(*v)),
    _ordered(3).map(lambda v: Pert(*v)),
)
U = np.linspace(1e-4, 1 - 1e-4, 513)


@settings(max_examples=60, deadline=None)
@given(d=distributions)
def test_ppf_is_monotone_and_median_is_ppf_half(d):
    x = d.ppf(U)
    assert np.all(np.isfinite(x)) and np.all(x > 0)
    assert np.all(np.diff(x) >= -1e-12 * np.abs(x[1:]))
    assert d.median == pytest.approx(float(d.ppf(0.5)), rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(d=distributions)
def test_support_bounds(d):
    hi = getattr(d, "hi", None)
    if hi is not None:
        assert d.upper() == hi and float(d.ppf(1 - 1e-9)) <= hi * (1 + 1e-12)
        assert float(d.ppf(1e-9)) >= d.lo * (1 - 1e-12)
    else:
        assert d.upper() == pytest.approx(float(d.ppf(0.999)))


@settings(max_examples=40, deadline=None)
@given(d=distributions)
def test_log_moments_match_the_closed_form(d):
    mean, var = d.log_moments()
    if isinstance(d, LogNormal):
        assert (mean, var) == (d.mu, d.sigma**2)
    elif isinstance(d, LogUniform):
        a, b = math.log(d.lo), math.log(d.hi)
        assert mean == pytest.approx((a + b) / 2, abs=1e-12) and var == pytest.approx(
            (b - a) ** 2 / 12, rel=1e-12
        )
    elif isinstance(d, Uniform):
        lo, hi = d.lo, d.hi  # E ln X = (hi ln hi - lo ln lo) / (hi - lo) - 1
        want = (hi * math.log(hi) - lo * math.log(lo)) / (hi - lo) - 1
        assert mean == pytest.approx(want, abs=1e-6 * max(1.0, abs(want)))
    else:
        lx = np.log(d.ppf((np.arange(4096) + 0.5) / 4096))
        assert mean == pytest.approx(lx.mean(), abs=1e-3 * max(1.0, abs(lx.mean())))
    assert var >= 0


fraction_texts = st.one_of(
    st.builds(
        lambda a, b: f"{min(a, b):.4g} to {max(a, b):.4g}", st.floats(0.01, 2), st.floats(0.01, 2)
    ),
    st.builds(
        lambda a, b: f"uniform({min(a, b):.4g}, {max(a, b):.4g})",
        st.floats(0.0, 2),
        st.floats(0.01, 2),
    ),
    st.builds(
        lambda a, b: f"loguniform({min(a, b):.4g}, {max(a, b):.4g})",
        st.floats(0.01, 2),
        st.floats(0.01, 2),
    ),
    st.builds(
        lambda m, s: f"normal({m:.4g}, {s:.4g})", st.floats(0.05, 1.5), st.floats(0.001, 0.5)
    ),
    st.builds(
        lambda v: f"pert({v[0]:.4g}, {v[1]:.4g}, {v[2]:.4g})",
        st.lists(st.floats(0.01, 2), min_size=3, max_size=3).map(sorted),
    ),
    st.builds(
        lambda v: f"triangular({v[0]:.4g}, {v[1]:.4g}, {v[2]:.4g})",
        st.lists(st.floats(0.01, 2), min_size=3, max_size=3).map(sorted),
    ),
)


@SETTINGS
@given(text=fraction_texts)
def test_fraction_fields_keep_their_distribution_in_zero_one(text):
    try:
        q = require_fraction_quantity(
            "--utilization", parse_quantity(text, "count", "--utilization")
        )
    except InputError as exc:
        assert exc.field == "--utilization"
        return
    if isinstance(q, Point):
        assert 0 < q.point <= 1
        return
    assert float(q.ppf(1e-9)) >= 0
    top = float(q.ppf(0.999))
    assert top <= 1 + 1e-12
    if getattr(q, "hi", None) is not None:
        assert q.hi <= 1
