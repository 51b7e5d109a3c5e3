"""The dataset workloads of `computesim bench`: they run, and their checks catch a wrong answer."""

from __future__ import annotations

import dataclasses

import pyarrow.compute as pc
import pytest

from computesim.benchmarks import workloads
from computesim.benchmarks.datasets import epoch_csv


@pytest.mark.parametrize(
    "name, backend",
    [
        ("read dataset CSV", "python"),
        ("dataset bands (exact)", "python"),
        ("dataset bands (exact)", "reference"),
        ("bands (mixed families)", "numba"),
    ],
)
def test_dataset_workloads_run_and_check(name, backend):
    case = workloads()[name].build(2000, backend)
    try:
        got = case.run()
        case.check(got)
        assert case.items == 2000
        if name.startswith("read"):
            wrong = dataclasses.replace(got, flop=got.flop * 1.001)
        elif name.startswith("dataset"):
            wrong = dataclasses.replace(got, table=got.table.slice(1))
        else:  # every band 2% too high
            p50 = pc.multiply(got.column("p50_pfs_days"), 1.02)
            wrong = got.set_column(got.schema.get_field_index("p50_pfs_days"), "p50_pfs_days", p50)
        with pytest.raises(AssertionError):
            case.check(wrong)
    finally:
        case.close()


def test_synthetic_table_has_every_feature():
    text, flop = epoch_csv(30)
    assert text.count("\n") > 31  # multi-line quoted notes
    assert all(f"{lv}," in text for lv in ("Confident", "Likely", "Speculative"))
    assert "NVIDIA A100 SXM4 80 GB" in text and flop.size == 30
