"""Every report object's ``to_dict()`` is JSON: plain types only, no NaN or inf (None instead),
string keys; built from real inputs and round-tripped through ``json`` with ``allow_nan=False``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from computesim.core import methods
from computesim.core.examples import REPORTED_RESULTS, run_examples
from computesim.data.datasets import builtin_points


def _hardware() -> methods.Estimate:
    return methods.estimate_hardware(device="GTX 580", count=2, days="5 to 6", utilization=0.33)


def _ops() -> methods.Estimate:
    return methods.estimate_ops(forward_macs=0.75e9, examples=1.2e6, epochs=90)


def _band(force_mc: bool) -> Any:
    from computesim.uncertainty.band import band, model_of

    return band(model_of(_hardware(), 2.0), 2_000, 1, [1e18], force_mc, "reference")


def _trend_report(**kw: Any) -> Any:
    from computesim.trends.report import trend_report

    return trend_report(builtin_points(), n_boot=200, **kw)


def _flat_fit() -> Any:
    """A trend with slope 0: doubling time and growth bounds are infinite."""
    import numpy as np

    from computesim.trends.fit import TrendFit

    t = np.array([2010.0, 2011.0, 2012.0])
    flat = np.full(3, 20.0)
    return TrendFit(
        "window",
        -np.inf,
        np.inf,
        t,
        flat,
        0.0,
        20.0,
        2011.0,
        0.0,
        np.zeros(200),
        np.full(200, 20.0),
    )


def _efficiency(halving_months: float) -> Any:
    from computesim.trends.efficiency import Efficiency

    return Efficiency(halving_months)


def _price() -> Any:
    from computesim.trends.projections import PricePerformance

    return PricePerformance()


REPORTS: dict[str, Callable[[], Any]] = {
    "Factor": lambda: _hardware().factors[1],
    "Estimate hardware (range)": _hardware,
    "Estimate ops": _ops,
    "Estimate reported bound": lambda: REPORTED_RESULTS[1].estimate(),
    "Comparison": lambda: methods.compare(_ops(), _hardware()),
    "ExampleResult": lambda: run_examples()[2],
    "Band exact": lambda: _band(False),
    "Band Monte Carlo": lambda: _band(True),
    "TrendFit": lambda: _trend_report().overall,
    "TrendFit flat (inf)": _flat_fit,
    "TrendFits": lambda: _trend_report(breaks=[2014.0], large_threshold=0.5).fits,
    "TrendReport": lambda: _trend_report(project=[2020.0], propagate=True),
    "TrendReport effective": lambda: _trend_report(effective=True),
    "Efficiency": lambda: _efficiency(16.0),
    "Efficiency steep (inf gain)": lambda: _efficiency(0.01),
    "PricePerformance": _price,
}


def _plain(obj: Any, where: str = "") -> None:
    """Assert ``obj`` holds only dict (string keys), list, str, int, float, bool and None."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            assert type(k) is str, f"{where}: key {k!r}"
            _plain(v, f"{where}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _plain(v, f"{where}[{i}]")
    else:
        assert obj is None or type(obj) in (str, int, float, bool), f"{where}: {type(obj)}"


@pytest.mark.parametrize("name", REPORTS)
def test_to_dict_is_json(name):
    d = REPORTS[name]().to_dict()
    _plain(d)
    assert json.loads(json.dumps(d, allow_nan=False)) == d


def test_every_example_result_is_json():
    for r in run_examples():
        json.dumps(r.to_dict(), allow_nan=False)
