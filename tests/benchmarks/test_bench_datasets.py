"""The dataset workloads of `computesim bench`: they run, and their checks catch a wrong answer."""

from __future__ import annotations

import dataclasses

import pytest

from computesim.benchmarks import workloads
from computesim.benchmarks.datasets import epoch_csv


@pytest.mark.parametrize("name", ["read dataset CSV", "dataset bands (exact)"])
def test_dataset_workloads_run_and_check(name):
    case = workloads()[name].build(2000, "python")
    try:
        got = case.run()
        case.check(got)
        assert case.items == 2000
        wrong = (
            dataclasses.replace(got, flop=got.flop * 1.001)
            if name.startswith("read")
            else dataclasses.replace(got, table=got.table.slice(1))
        )
        with pytest.raises(AssertionError):
            case.check(wrong)
    finally:
        case.close()


def test_synthetic_table_has_every_feature():
    text, flop = epoch_csv(30)
    assert text.count("\n") > 31  # multi-line quoted notes
    assert all(f"{lv}," in text for lv in ("Confident", "Likely", "Speculative"))
    assert "NVIDIA A100 SXM4 80 GB" in text and flop.size == 30
