"""Energy and cost columns of a materialised sweep (method 2), per point:

- ``device_hours`` = devices x hours;
- ``energy_kwh`` = device-hours x the device profile's TDP (W) x PUE / 1000, when ``pue`` is given
  (devices drawing their TDP throughout, as inverse mode assumes; NaN for a device whose maker
  publishes no TDP);
- ``cost_usd`` = device-hours x price per device-hour (USD), when ``price_per_hour`` is given, or
  with ``cost`` and no price: each device profile's dated reference price (``reference_prices``;
  the sweep's metadata ``prices`` records, per device, the price, its date and source).

The columns are appended to each chunk (RecordBatch) or to the in-memory table, read from the
chunk's own count, days/hours and device columns. With uncertain factors the columns use the
medians the grid holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from computesim.core.cost import reference_price
from computesim.errors import InputError
from computesim.sweeps.grid import Grid


@dataclass(frozen=True)
class CostColumns:
    """What to append: energy with ``pue`` (a factor >= 1), cost with ``price_per_hour`` (USD per
    device-hour, every device) or ``device_prices`` (USD per device-hour, by device code)."""

    pue: float | None = None
    price_per_hour: float | None = None
    device_prices: tuple[float, ...] | None = None

    @property
    def priced(self) -> bool:
        return self.price_per_hour is not None or self.device_prices is not None

    @property
    def active(self) -> bool:
        return self.pue is not None or self.priced

    def names(self) -> list[str]:
        if not self.active:
            return []
        return (
            ["device_hours"]
            + (["energy_kwh"] if self.pue is not None else [])
            + (["cost_usd"] if self.priced else [])
        )

    def check(self, grid: Grid) -> None:
        """InputError naming ``pue``/``price_per_hour`` when the grid cannot carry the columns."""
        field = "pue" if self.pue is not None else "price_per_hour"
        if not self.active:
            return
        if grid.method != "hardware":
            raise InputError(field, "energy and cost need method-2 (hardware) factors")
        if self.pue is not None and grid.device < 0:
            raise InputError("pue", "energy needs device (each profile's TDP), not tflops alone")


def reference_prices(grid: Grid) -> tuple[tuple[float, ...], dict[str, dict[str, Any]]]:
    """Each swept device's dated reference price: USD per device-hour by device code, and
    {device: {usd_per_hour, date, source}}; InputError naming ``price_per_hour`` when the grid has
    no device axis (TFLOP/s alone) or a device's profile states no price.

    >>> from computesim.sweeps.grid import build_grid
    >>> prices, refs = reference_prices(build_grid({"device": "A100,H100", "count": 8, "days": 1}))
    >>> len(prices), sorted(refs["H100 SXM5 80GB"])
    (2, ['date', 'device', 'source', 'usd_per_hour'])
    """
    if grid.method != "hardware" or grid.device < 0:
        raise InputError(
            "price_per_hour",
            "give `price_per_hour`: a reference price needs device profiles (not tflops alone)",
        )
    refs: dict[str, dict[str, Any]] = {}
    for p in grid.axes[grid.device].profiles:
        if p.reference_price_usd_per_hour is None:
            raise InputError(
                "price_per_hour",
                f"{p.name} has no reference price (see `computesim profiles`); give "
                "`price_per_hour`, USD per device-hour",
            )
        refs[p.name] = reference_price(p.name)
    prices = tuple(float(refs[p.name]["usd_per_hour"]) for p in grid.axes[grid.device].profiles)
    return prices, refs


def price_meta(
    price_per_hour: float | None, refs: dict[str, dict[str, Any]] | None
) -> dict[str, Any]:
    """The sweep metadata of its prices: ``price_per_hour_usd`` (given, else None),
    ``price_source`` ("given", "reference" or None) and ``prices`` (each device's reference)."""
    source = "given" if price_per_hour is not None else "reference" if refs else None
    out: dict[str, Any] = {"price_per_hour_usd": price_per_hour, "price_source": source}
    return out | ({"prices": refs} if refs and price_per_hour is None else {})


def cost_columns(
    grid: Grid, pue: float | None, price_per_hour: float | None, cost: bool = False
) -> tuple[CostColumns, dict[str, Any]]:
    """The columns a materialised sweep asks for (``cost``: cost_usd even without
    ``price_per_hour``, at each device's reference price), checked against ``grid``, and their
    metadata (empty when there are none)."""
    costs, refs = CostColumns(pue, price_per_hour), None
    if cost and price_per_hour is None:
        if grid.method != "hardware":
            raise InputError("cost", "cost needs method-2 (hardware) factors")
        prices, refs = reference_prices(grid)
        costs = CostColumns(pue, None, prices)
    costs.check(grid)
    if not costs.active:
        return costs, {}
    return costs, {"pue": pue} | price_meta(price_per_hour, refs)


def cost_fields(costs: CostColumns) -> list:
    """pyarrow fields of the appended columns (float64)."""
    import pyarrow as pa

    return [pa.field(n, pa.float64()) for n in costs.names()]


def _numpy(col: Any):
    """A column of a RecordBatch (Array) or Table (ChunkedArray) as NumPy."""
    import pyarrow as pa

    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if pa.types.is_dictionary(col.type):
        col = col.indices
    return col.to_numpy(zero_copy_only=False)


def cost_arrays(grid: Grid, data: Any, costs: CostColumns) -> dict[str, Any]:
    """The appended columns of ``data`` (a RecordBatch or Table of this grid), by name.

    >>> import computesim
    >>> from computesim.sweeps.grid import build_grid
    >>> g = build_grid({"device": "A100", "count": [8, 16], "days": 2})
    >>> t = computesim.sweep(device="A100", count=[8, 16], days=2)
    >>> [float(x) for x in cost_arrays(g, t, CostColumns(pue=1.1))["energy_kwh"]]  # kWh
    [168.96, 337.92]
    """
    import numpy as np

    names = [a.name for a in grid.axes]
    count = _numpy(data.column("count")).astype(np.float64)
    if "days" in names:
        hours = _numpy(data.column("days")) * 24.0
    else:
        hours = _numpy(data.column("hours")).astype(np.float64)
    device_hours = count * hours
    out: dict[str, Any] = {"device_hours": device_hours}
    if costs.pue is not None:
        profs = grid.axes[grid.device].profiles
        tdp = np.array([np.nan if p.tdp_w is None else p.tdp_w for p in profs])
        out["energy_kwh"] = device_hours * tdp[_numpy(data.column("device"))] / 1000.0 * costs.pue
    if costs.price_per_hour is not None:
        out["cost_usd"] = device_hours * costs.price_per_hour
    elif costs.device_prices is not None:
        price = np.asarray(costs.device_prices)
        out["cost_usd"] = device_hours * price[_numpy(data.column("device"))]
    return {n: out[n] for n in costs.names()}


def with_cost_columns(grid: Grid, data: Any, costs: CostColumns, schema: Any = None) -> Any:
    """``data`` (a RecordBatch or Table) with the cost columns appended (``schema``: the result's,
    for a RecordBatch)."""
    import pyarrow as pa

    cols = cost_arrays(grid, data, costs)
    if isinstance(data, pa.Table):
        for name, col in cols.items():
            data = data.append_column(name, pa.array(col))
        return data
    return pa.RecordBatch.from_arrays(
        list(data.columns) + [pa.array(c) for c in cols.values()], schema=schema
    )


def append_cost_columns(batches, schema, grid: Grid, costs: CostColumns):
    """Yield each RecordBatch with the cost columns appended (``schema``: the result's)."""
    for b in batches:
        yield with_cost_columns(grid, b, costs, schema)
