import math

import pytest

from computesim import estimate_hardware, estimate_ops
from computesim.errors import InputError
from computesim.methods import compare, reported
from computesim.quantity import UpperBound


def test_alexnet_hardware_matches_issue_arithmetic():
    e = estimate_hardware(device="GTX 580", count=2, tflops=1.58, days=5.5, utilization=0.33)
    assert e.flop == 2 * 1.58e12 * 5.5 * 86_400 * 0.33
    assert e.pfs_days == pytest.approx(0.005736, abs=1e-6)  # the issue rounds 0.0057354 to 0.005736
    d = e.to_dict()
    assert {"method", "flop", "pfs_days", "inputs"} <= d.keys() and d["method"] == "hardware"


def test_hardware_defaults_come_from_the_profile():
    e = estimate_hardware(device="gtx-580", days=1)
    assert e.inputs["utilization"] == 0.33 and e.inputs["utilization_source"] == "default for gpu"
    assert e.inputs["peak_flop_per_s"] == 1.58e12


def test_hardware_time_units_and_extra_multiplier():
    a = estimate_hardware(tflops="8.5 TFLOPS", count=96, days="216 h", extra={"more_data": math.sqrt(1000)})
    b = estimate_hardware(tflops=8.5, count=96, days=9)
    assert a.flop == pytest.approx(b.flop * math.sqrt(1000), rel=1e-14)


def test_ops_forward_macs_and_forward_flop_are_explicit():
    macs = estimate_ops(forward_macs=0.75e9, examples=1.2e6, epochs=90)
    flop = estimate_ops(forward_flop=1.5e9, examples=1.2e6, epochs=90)
    assert macs.flop == flop.flop == 0.75e9 * 2 * 3 * 1.2e6 * 90


def test_six_n_d():
    e = estimate_ops(params=175e9, tokens=300e9)
    assert e.flop == pytest.approx(6 * 175e9 * 300e9, rel=1e-15)


def test_batch_size_and_multiplier():
    e = estimate_ops(forward_macs=2.5e6, examples=5e6, batch_size=32, multiplier=3)
    assert e.flop == pytest.approx(2.5e6 * 2 * 3 * 5e6 * 32 * 3, rel=1e-15)


def test_compare_flags_disagreement():
    ops = estimate_ops(forward_macs=1e9, examples=1e6, epochs=1)
    hw = estimate_hardware(tflops=1, days=1)
    c = compare(ops, hw)
    assert c.ratio == pytest.approx(hw.flop / ops.flop)
    assert not c.agree  # 2.85e16 vs 6e15 FLOP: 4.75x apart


def test_reported_bound():
    r = reported("< 0.0007 pfs-days", "Adam")
    assert r.is_upper_bound and isinstance(r.factors[0].value, UpperBound)
    assert r.pfs_days == pytest.approx(0.0007)
    assert r.to_dict()["upper_bound"] is True


@pytest.mark.parametrize("kwargs, field", [
    (dict(examples=1, epochs=1), "--forward-macs"),
    (dict(forward_macs=1, forward_flop=1, examples=1), "--forward-macs"),
    (dict(forward_macs=1), "--examples"),
    (dict(params=1e9), "--tokens"),
    (dict(forward_macs=-1, examples=1), "--forward-macs"),
    (dict(forward_macs=1, examples=float("nan")), "--examples"),
    (dict(forward_macs=1, examples=1, epochs=float("inf")), "--epochs"),
    (dict(forward_macs="1 TFLOPS/s", examples=1), "--forward-macs"),
])
def test_ops_bad_input(kwargs, field):
    with pytest.raises(InputError) as err:
        estimate_ops(**kwargs)
    assert err.value.field == field


@pytest.mark.parametrize("kwargs, field", [
    (dict(days=1), "--tflops"),
    (dict(tflops=1, days=0), "--days"),
    (dict(tflops=1, days=1, utilization=1.2), "--utilization"),
    (dict(tflops=1, days=1, count=-2), "--count"),
    (dict(device="GTX 5800", days=1), "--device"),
    (dict(device="GTX 580", days=1, precision="fp8"), "--precision"),
])
def test_hardware_bad_input(kwargs, field):
    with pytest.raises(InputError) as err:
        estimate_hardware(**kwargs)
    assert err.value.field == field


def test_tpus_default_to_their_training_precision():
    e = estimate_hardware(device="TPU v3", days=1)
    assert e.inputs["precision"] == "bf16" and e.inputs["peak_flop_per_s"] == 123e12
    assert estimate_hardware(device="K80", days=1).inputs["precision"] == "fp32"
    assert estimate_hardware(device="TPU v3", days=1, precision="fp32").inputs["peak_flop_per_s"] == 4e12


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

pos = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60)
@given(count=pos, tflops=pos, days=pos, util=st.floats(min_value=1e-3, max_value=1.0), k=st.floats(1.5, 100))
def test_hardware_is_linear_in_each_factor(count, tflops, days, util, k):
    base = estimate_hardware(count=count, tflops=tflops, days=days, utilization=util).flop
    assert base == pytest.approx(count * tflops * 1e12 * days * 86_400 * util, rel=1e-14)
    assert estimate_hardware(count=count * k, tflops=tflops, days=days, utilization=util).flop \
        == pytest.approx(k * base, rel=1e-14)
    assert estimate_hardware(count=count, tflops=tflops, days=days * k, utilization=util).flop \
        == pytest.approx(k * base, rel=1e-14)


@settings(max_examples=60)
@given(macs=pos, examples=pos, epochs=pos)
def test_ops_is_six_times_forward_flop(macs, examples, epochs):
    e = estimate_ops(forward_macs=macs, examples=examples, epochs=epochs)
    assert e.flop == pytest.approx(6 * macs * examples * epochs, rel=1e-14)
    assert e.pfs_days == pytest.approx(e.flop / 8.64e19, rel=1e-15)
