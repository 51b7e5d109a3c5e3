"""Energy and cost columns (issue 16) on a Dask cluster (issue 15): the one-machine table exactly."""

from __future__ import annotations

import pytest

from computesim import sweep


@pytest.mark.parametrize("parts", [1, 3])
@pytest.mark.parametrize("extra", [{}, {"utilization": "0.25 to 0.4"}])
def test_cost_columns_on_a_cluster(dask_client, parts, extra):
    kw = dict(device="K80,H100 SXM", count="1,8", days="1:30:5", pue=1.2, price_per_hour=2.0)
    one = sweep(**kw, **extra)
    got = sweep(client=dask_client, parts=parts, **kw, **extra)
    assert "energy_kwh" in got.column_names and got.schema.equals(one.schema)
    assert got.equals(one)


@pytest.mark.parametrize("mode", ["materialize", "inverse"])
def test_reference_prices_on_a_cluster(dask_client, mode):
    """cost without a price: each device's reference price, the one-machine table and metadata."""
    kw = dict(device="A100,H100 SXM", count="1,8", cost=True)
    kw |= {"days": "1:30:4"} if mode == "materialize" else {"target": "1e24FLOP"}
    one = sweep(**kw)
    got = sweep(client=dask_client, parts=3, **kw)
    assert "cost_usd" in got.column_names and got.equals(one)
    assert got.schema.metadata[b"computesim.prices"] == one.schema.metadata[b"computesim.prices"]
