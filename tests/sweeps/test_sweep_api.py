"""Sweep spec parsing, the three modes and the Python API (computesim.sweep)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import computesim
from computesim.core import units
from computesim.errors import InputError
from computesim.sweeps.grid import build_grid, parse_axis

CARD = dict(device="GTX 580", count="1,8,64", days="1:100:10log", utilization="0.2:0.5:4")


@pytest.mark.parametrize(
    "spec, want",
    [
        ("1,8,64", [1, 8, 64]),
        ("0.2:0.5:4", [0.2, 0.3, 0.4, 0.5]),
        ("1:100:3log", [1, 10, 100]),
        ("5:5:1", [5]),
        ("348M", [348e6]),
        (2.5, [2.5]),
        ([1, 2], [1, 2]),
    ],
)
def test_parse_axis(spec, want):
    np.testing.assert_allclose(parse_axis(spec, "x"), want, rtol=1e-15)


def test_range_ends_are_exact():
    v = parse_axis("1:365:50log", "days")
    assert len(v) == 50 and v[0] == 1.0 and v[-1] == 365.0
    assert np.all(np.diff(np.log(v)) > 0)


@pytest.mark.parametrize(
    "spec, msg",
    [
        ("", "empty axis"),
        (",", "empty axis"),
        ([], "empty axis"),
        ("1,-2", "positive"),
        ("0,1", "positive"),
        ("5:1:3", "backwards"),
        ("1:5:0", "at least 1"),
        ("1:2", "cannot read range"),
        ("a,b", "number"),
        ("1:1:3", "equal ends"),
    ],
)
def test_parse_axis_bad(spec, msg):
    with pytest.raises(InputError, match=msg) as e:
        parse_axis(spec, "days")
    assert e.value.field == "days"


def test_utilization_above_one_rejected():
    with pytest.raises(InputError, match="at most 1"):
        computesim.sweep(tflops=1, days=1, utilization="0.5,1.2")


def test_materialize_table_card_example():
    t = computesim.sweep(**CARD, backend="numba")
    assert t.num_rows == 1 * 3 * 10 * 4
    assert t.column_names == [
        "device",
        "peak_tflop_per_s",
        "count",
        "days",
        "utilization",
        "flop",
        "pfs_days",
    ]
    import pyarrow as pa

    assert pa.types.is_dictionary(t.schema.field("device").type)
    d = t.to_pydict()
    want = [
        c * 1.58e12 * dd * 86400 * u for c, dd, u in zip(d["count"], d["days"], d["utilization"])
    ]
    np.testing.assert_allclose(d["flop"], want, rtol=1e-12)
    np.testing.assert_allclose(d["pfs_days"], np.array(want) / units.PFS_DAY, rtol=1e-12)
    assert set(d["device"]) == {"GeForce GTX 580"}
    meta = {k.decode(): v.decode() for k, v in t.schema.metadata.items()}
    assert '"numba"' == meta["computesim.backend"] and "computesim.scenario" in meta


def test_alexnet_point_matches_method_2():
    from computesim.core.methods import estimate_hardware

    t = computesim.sweep(device="GTX 580", count=2, days=5.5, utilization=0.33, backend="reference")
    est = estimate_hardware(device="GTX 580", count=2, days=5.5, utilization=0.33)
    assert math.isclose(t["flop"][0].as_py(), est.flop, rel_tol=1e-12)


def test_tflops_axis_and_method_1():
    t = computesim.sweep(tflops="1.54,1.58", days=4, utilization=0.33)
    assert t.column_names[:2] == ["tflop_per_s", "count"]
    np.testing.assert_allclose(
        t["flop"].to_numpy(), np.array([1.54, 1.58]) * 1e12 * 4 * 86400 * 0.33, rtol=1e-12
    )
    # ResNet-151 by method 1: 11.4e9 MAC x 2 x 3 x 1.2e6 images x 128 epochs
    m1 = computesim.sweep(macs="11.4e9", examples=1.2e6, epochs="90,128")
    np.testing.assert_allclose(
        m1["flop"].to_numpy(), [11.4e9 * 6 * 1.2e6 * 90, 11.4e9 * 6 * 1.2e6 * 128], rtol=1e-12
    )
    with pytest.raises(InputError, match="mix"):
        computesim.sweep(macs=1, examples=1, days=1, tflops=1)


def test_device_label_with_tflops_axis():
    t = computesim.sweep(device="GTX 580", tflops="1.54,1.58", days=1)
    assert "peak_tflop_per_s" not in t.column_names and "device" in t.column_names
    np.testing.assert_allclose(
        t["flop"].to_numpy(), np.array([1.54, 1.58]) * 1e12 * 86400 * 0.33, rtol=1e-12
    )


@pytest.mark.parametrize("group_by", [None, "device", "count", "days", "utilization"])
def test_reduce_backends_agree(group_by):
    kw = dict(CARD, threshold="1e19FLOP", quantiles=[0.05, 0.5, 0.95], group_by=group_by)
    a = computesim.sweep(**kw, backend="numba").to_pydict()
    b = computesim.sweep(**kw, backend="reference").to_pydict()
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k][0], float):
            np.testing.assert_allclose(a[k], b[k], rtol=1e-12)
        else:
            assert a[k] == b[k]


def test_reduce_values_against_materialised():
    full = computesim.sweep(**CARD)["flop"].to_numpy()
    r = computesim.sweep(**CARD, threshold="100 pfs-days", quantiles=[0.5]).to_pylist()[0]
    assert r["points"] == len(full)
    assert r["count_at_least"] == np.sum(full >= 100 * units.PFS_DAY)
    assert r["min_flop"] == full.min() and r["max_flop"] == full.max()
    assert r["argmax_count"] == 64 and r["argmax_days"] == 100 and r["argmax_utilization"] == 0.5
    assert math.isclose(r["q0.5_flop"], np.median(full), rel_tol=1e-12)


def test_inverse_days_energy_cost():
    t = computesim.sweep(
        device="GTX 580",
        count="1,8",
        utilization=0.33,
        target="1e21FLOP",
        pue=1.2,
        price_per_hour=0.5,
    ).to_pydict()
    days = np.array(t["days_needed"])
    np.testing.assert_allclose(
        np.array(t["count"]) * 1.58e12 * days * 86400 * 0.33, 1e21, rtol=1e-12
    )
    hours = 1e21 / (1.58e12 * 0.33) / 3600
    np.testing.assert_allclose(t["device_hours"], hours, rtol=1e-12)
    np.testing.assert_allclose(t["energy_kwh"], hours * 0.244 * 1.2, rtol=1e-12)
    np.testing.assert_allclose(t["cost_usd"], hours * 0.5, rtol=1e-12)


def test_inverse_devices_needed_without_price():
    t = computesim.sweep(tflops="4.2,8.5", days="10,30", target="2.8e6 PF").to_pydict()
    assert "cost_usd" not in t and "energy_kwh" not in t
    need = np.array(t["devices_needed"])
    np.testing.assert_allclose(
        need * np.array(t["tflop_per_s"]) * 1e12 * np.array(t["days"]) * 86400 * 0.33,
        2.8e21,
        rtol=1e-12,
    )
    assert np.all(np.array(t["devices_needed_whole"]) == np.ceil(need))


def test_unknown_device_and_bad_group():
    with pytest.raises(InputError, match="unknown device") as e:
        computesim.sweep(device="GTX 580,Nonexistent 9000", days=1)
    assert e.value.field == "device"
    with pytest.raises(InputError, match="no axis 'epochs'"):
        computesim.sweep(**CARD, group_by="epochs")


def test_max_points_guard():
    with pytest.raises(InputError, match=r"has 1e\+09 points.*at least 1e\+09") as e:
        computesim.sweep(tflops="1:2:1000", days="1:2:1000", count="1:2:1000")
    assert e.value.field == "max_points"
    t = computesim.sweep(tflops="1,2", days="1,2", max_points=4)
    assert t.num_rows == 4


def test_grid_order_and_constant():
    g = build_grid({"device": "GTX 580", "count": "1,2", "days": 3})
    assert [a.name for a in g.axes] == ["device", "count", "days", "utilization"]
    assert g.const == 1e12 * 86400.0 and g.shape == (1, 2, 1, 1)


def test_lazy_import_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, computesim; heavy = [m for m in ('numba', 'pyarrow', 'scipy', 'cupy', 'matplotlib')"
        " if m in sys.modules]; assert not heavy, heavy; assert callable(computesim.sweep)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_progress_callback_and_flag():
    seen = []
    computesim.sweep(
        tflops="1:2:10", days="1,2", chunk_points=4, progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(4, 20), (8, 20), (12, 20), (16, 20), (20, 20)]
    assert computesim.sweep(tflops=1, days=1, progress=True).num_rows == 1  # no terminal: no bar
    with pytest.raises(InputError) as e:
        computesim.sweep(tflops=1, days=1, progress="yes")
    assert e.value.field == "progress"


def test_errors_name_parameters_even_from_lower_layers():
    """Fields raised below the engine with a CLI flag are given as the API parameter."""
    with pytest.raises(InputError) as e:
        computesim.sweep(tflops=1, days=1, backend="bogus")
    assert e.value.field == "backend"
    with pytest.raises(InputError) as e:
        computesim.sweep(tflops=1, days=1, group_by="")
    assert e.value.field == "group_by"
