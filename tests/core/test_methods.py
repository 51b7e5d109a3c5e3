import math

import pytest

from computesim import estimate_hardware, estimate_ops
from computesim.core.methods import compare, reported
from computesim.core.quantity import UpperBound
from computesim.errors import InputError


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
    a = estimate_hardware(
        tflops="8.5 TFLOPS", count=96, days="216 h", extra={"more_data": math.sqrt(1000)}
    )
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


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(examples=1, epochs=1), "forward_macs"),
        (dict(forward_macs=1, forward_flop=1, examples=1), "forward_macs"),
        (dict(forward_macs=1), "examples"),
        (dict(params=1e9), "tokens"),
        (dict(forward_macs=-1, examples=1), "forward_macs"),
        (dict(forward_macs=1, examples=float("nan")), "examples"),
        (dict(forward_macs=1, examples=1, epochs=float("inf")), "epochs"),
        (dict(forward_macs="1 TFLOPS/s", examples=1), "forward_macs"),
    ],
)
def test_ops_bad_input(kwargs, field):
    with pytest.raises(InputError) as err:
        estimate_ops(**kwargs)
    assert err.value.field == field


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(days=1), "tflops"),
        (dict(tflops=1, days=0), "days"),
        (dict(tflops=1, days=1, utilization=1.2), "utilization"),
        (dict(tflops=1, days=1, count=-2), "count"),
        (dict(device="GTX 5800", days=1), "device"),
        (dict(device="GTX 580", days=1, precision="fp8"), "precision"),
    ],
)
def test_hardware_bad_input(kwargs, field):
    with pytest.raises(InputError) as err:
        estimate_hardware(**kwargs)
    assert err.value.field == field


def test_h100_and_a100_default_to_the_dense_tensor_peak():
    h = estimate_hardware(device="H100", days=1)
    assert h.inputs["precision"] == "bf16" and h.inputs["precision_source"] == "profile default"
    assert h.inputs["peak_flop_per_s"] == pytest.approx(989.4e12)
    assert h.inputs["sparse_peak_flop_per_s_not_used"] == pytest.approx(2 * 989.4e12, rel=1e-3)
    f8 = estimate_hardware(device="H100", days=1, precision="FP8")
    assert f8.inputs["precision"] == "fp8" and f8.flop == pytest.approx(2 * h.flop, rel=1e-3)
    a = estimate_hardware(device="A100", days=1, precision="bfloat16")
    assert a.inputs["peak_flop_per_s"] == 312e12
    assert estimate_hardware(device="A100", days=1, precision="tf32").inputs[
        "peak_flop_per_s"
    ] == pytest.approx(156e12)
    with pytest.raises(InputError) as err:
        estimate_hardware(device="A100", days=1, precision="fast")
    assert err.value.field == "precision"


def test_tpus_default_to_their_training_precision():
    e = estimate_hardware(device="TPU v3", days=1)
    assert e.inputs["precision"] == "bf16" and e.inputs["peak_flop_per_s"] == 123e12
    assert estimate_hardware(device="K80", days=1).inputs["precision"] == "fp32"
    assert (
        estimate_hardware(device="TPU v3", days=1, precision="fp32").inputs["peak_flop_per_s"]
        == 4e12
    )


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

pos = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60)
@given(
    count=pos,
    tflops=pos,
    days=pos,
    util=st.floats(min_value=1e-3, max_value=1.0),
    k=st.floats(1.5, 100),
)
def test_hardware_is_linear_in_each_factor(count, tflops, days, util, k):
    base = estimate_hardware(count=count, tflops=tflops, days=days, utilization=util).flop
    assert base == pytest.approx(count * tflops * 1e12 * days * 86_400 * util, rel=1e-14)
    assert estimate_hardware(
        count=count * k, tflops=tflops, days=days, utilization=util
    ).flop == pytest.approx(k * base, rel=1e-14)
    assert estimate_hardware(
        count=count, tflops=tflops, days=days * k, utilization=util
    ).flop == pytest.approx(k * base, rel=1e-14)


@settings(max_examples=60)
@given(macs=pos, examples=pos, epochs=pos)
def test_ops_is_six_times_forward_flop(macs, examples, epochs):
    e = estimate_ops(forward_macs=macs, examples=examples, epochs=epochs)
    assert e.flop == pytest.approx(6 * macs * examples * epochs, rel=1e-14)
    assert e.pfs_days == pytest.approx(e.flop / 8.64e19, rel=1e-15)


# --- issue 11 ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw, needle",
    [
        (dict(tflops=1e150, count=1e150, days=1e10), "overflows"),
        (dict(tflops=1e-300, count=1e-300, days=1e-3), "underflows"),
        (dict(tflops=1, days="1e-300 to 1e300"), "band overflows"),
        (dict(tflops=1, count=1e250, days="1e-30 to 1e30"), "band overflows"),
        (dict(tflops=1e-200, count=1e-100, days="1e-30 to 1e30"), "band underflows"),
    ],
)
def test_results_outside_float64_are_input_errors(kw, needle):
    with pytest.raises(InputError) as exc:
        estimate_hardware(**kw)
    assert exc.value.field == "hardware estimate" and needle in exc.value.problem
    assert " x " in exc.value.problem  # the formula names the inputs


@pytest.mark.parametrize(
    "kw, field", [(dict(tflops=1e300, days=1), "tflops"), (dict(tflops=1, days=1e306), "days")]
)
def test_bare_numbers_that_overflow_in_canonical_units_name_their_field(kw, field):
    with pytest.raises(InputError, match="outside the float64 range") as exc:
        estimate_hardware(**kw)
    assert exc.value.field == field


def test_ops_product_overflow():
    with pytest.raises(InputError, match="ops estimate: result overflows"):
        estimate_ops(forward_macs=1e200, examples=1e200)


@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(tflops=1, days=b"5"), "days"),
        (dict(tflops=b"5", days=1), "tflops"),
        (dict(tflops=1, days=1, count=b"5"), "count"),
        (dict(tflops=1, days=True), "days"),
        (dict(tflops=1, days=1, utilization=b"0.5"), "utilization"),
    ],
)
def test_bytes_and_bools_are_refused_naming_the_parameter(kw, field):
    with pytest.raises(InputError) as exc:
        estimate_hardware(**kw)
    assert exc.value.field == field and "expected a number or text" in exc.value.problem


def test_ops_bytes_refused():
    with pytest.raises(InputError, match="bytes"):
        estimate_ops(forward_macs=b"5", examples=10)


def test_pfs_days_is_the_product_of_medians_and_the_cli_names_it_point_pfs_days(cli):
    """Estimate.pfs_days is the point estimate (product of medians) = the JSON's "point_pfs_days";
    the CLI's "pfs_days" with a band is the band's median; equal when every input is lognormal."""
    kw = dict(tflops=1, days=2, utilization="pert(0.1, 0.15, 0.9)")
    e = estimate_hardware(**kw)
    assert (
        e.pfs_days == e.point_pfs_days == e.to_dict()["point_pfs_days"] == e.to_dict()["pfs_days"]
    )
    assert e.point_flop == e.flop == math.prod(f.value.point for f in e.factors)
    r = cli(
        "estimate",
        "--tflops",
        "1",
        "--days",
        "2",
        "--utilization",
        "pert(0.1, 0.15, 0.9)",
        "--json",
        "--samples",
        "20000",
    )
    d = r.json()
    assert d["point_pfs_days"] == e.pfs_days
    assert d["pfs_days"] == d["quantiles_pfs_days"]["p50"] != d["point_pfs_days"]
    d = cli(
        "estimate", "--tflops", "1", "--days", "2", "--utilization", "0.1 to 0.3", "--json"
    ).json()
    assert d["pfs_days"] == pytest.approx(d["point_pfs_days"], rel=1e-12)


def test_cli_overflow_is_one_line_exit_2(cli):
    r = cli("estimate", "--tflops", "1e300", "--count", "1e300", "--days", "1e300")
    assert r.code == 2 and r.out == "" and r.err.count("\n") == 1 and "float64" in r.err
    r = cli("estimate", "--tflops", "1", "--days", "1e-300 to 1e300")
    assert r.code == 2 and r.err.startswith("computesim: error: hardware estimate: band overflows")


@pytest.mark.parametrize("flag", ["--samples", "--correlate", "--extra", "--days", "--utilization"])
def test_cli_never_echoes_a_huge_value_whole(cli, flag):
    r = cli("estimate", "hardware", "--tflops", "1", "--days", "1", flag, "y" * 100_000)
    assert r.code == 2 and r.err.count("\n") == 1 and len(r.err) < 200 and flag in r.err
