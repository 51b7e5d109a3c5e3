"""Property tests (Hypothesis) for sweep axis specs and scenario files: valid specs give the
promised values, anything else gives an InputError and never another exception."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from strategies_sweep import (
    any_spec,
    positive,
    ranges,
    scenarios,
    spec_text,
    to_toml,
    valid_scenarios,
)

import computesim
from computesim.errors import InputError
from computesim.io import toml as toml_io
from computesim.sweeps import scenario
from computesim.sweeps.grid import parse_axis

FAST = settings(max_examples=150, deadline=None)


@FAST
@given(ranges())
def test_range_count_ends_monotone(r):
    text, lo, hi, n, log = r
    v = parse_axis(text, "days")
    assert len(v) == n and v[0] == lo and v[-1] == hi
    assert np.all(np.diff(v) >= 0) and np.all(v > 0)
    if n > 2:
        mid = v[n // 2]
        want = (
            math.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * (n // 2) / (n - 1))
            if log
            else lo + (hi - lo) * (n // 2) / (n - 1)
        )
        assert math.isclose(mid, want, rel_tol=1e-9)


@FAST
@given(st.lists(positive, min_size=1, max_size=8))
def test_list_text_and_sequence_agree(values):
    text = ",".join(repr(x) for x in values)
    np.testing.assert_array_equal(parse_axis(text, "count"), values)
    np.testing.assert_array_equal(parse_axis(values, "count"), values)
    np.testing.assert_array_equal(parse_axis(tuple(values), "count"), values)


@FAST
@given(ranges())
def test_backwards_range_is_an_error(r):
    _text, lo, hi, n, log = r
    if lo < hi:
        try:
            parse_axis(f"{hi!r}:{lo!r}:{n}{'log' if log else ''}", "days")
        except InputError as e:
            assert e.field == "days" and "backwards" in e.problem
        else:
            raise AssertionError("accepted a backwards range")


@settings(max_examples=400, deadline=None)
@given(st.one_of(spec_text, any_spec), st.booleans())
def test_any_spec_gives_values_or_input_error(spec, fraction):
    try:
        v = parse_axis(spec, "x", fraction)
    except InputError as e:
        assert e.field == "x" and "\n" not in str(e)
        return
    assert v.dtype == np.float64 and v.ndim == 1 and len(v) >= 1
    assert np.all(np.isfinite(v)) and np.all(v > 0) and (not fraction or np.all(v <= 1))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(valid_scenarios(), scenarios()))
def test_scenario_gives_a_result_or_input_error(doc):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.toml"
        path.write_text(to_toml(doc))
        try:
            kw = scenario.load(path)
            kw.setdefault("max_points", 10**4)  # keep every run small
            if "backend" not in kw:
                kw["backend"] = "reference"
            result = computesim.sweep(**kw)
        except InputError as e:
            assert "\n" not in str(e)
            event(f"InputError {e.field.replace(str(path), 'FILE')}")
            return
        event("result")
        if "out" in kw:
            assert Path(result).is_file()
        else:
            assert result.num_rows >= 1


@FAST
@given(st.binary(max_size=40))
def test_any_bytes_as_a_scenario(data):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.toml"
        path.write_bytes(data)
        try:
            scenario.load(path)
        except InputError as e:
            assert "\n" not in str(e)


def test_round_trip_of_the_toml_writer():
    doc = {
        "axes": {"days": [1, 2.5, "3"], "device": "K80"},
        "sweep": {"overwrite": False, "max_points": 10},
    }
    assert toml_io.loads(to_toml(doc)) == doc
