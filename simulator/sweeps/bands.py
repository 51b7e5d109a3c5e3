"""Uncertain factors in a sweep: every grid point gets band columns, without writing samples.

A sweep axis given as a distribution ("0.25 to 0.4", "loguniform(4, 6)") is held at its median in
the grid (so ``flop`` is the point estimate, as for a single estimate) and its spread, divided by
that median, multiplies every point: point g's compute is flop[g] x U. U is shared by all points,
so one band serves the whole grid (closed form when every uncertain factor is lognormal).

Inverse mode solves needed = target / (flop per unit x U) = needed[g] / U: the band of 1/U is the
reciprocal of U's with the quantiles flipped (p5 of 1/U = 1 / p95 of U), and device-hours, energy
and cost, linear in it, scale by the same ratios (``InverseBand``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from computesim.core import units
from computesim.core.distributions import LogNormal, is_distribution_text, parse_distribution
from computesim.core.inputs import require_fraction_quantity
from computesim.errors import InputError
from computesim.sweeps.axes import AXES
from computesim.uncertainty.band import PROBS, LogModel, qname
from computesim.uncertainty.table import SharedBand, shared_band


@dataclass
class BandSpec:
    """The uncertain part of a sweep and how to band it."""

    dists: dict[str, Any] = field(default_factory=dict)  # axis -> Distribution in the axis's unit
    method_error: float | None = None
    samples: int | None = None
    seed: int = 0
    thresholds: tuple[float, ...] = ()
    force_mc: bool = False
    backend: str = "auto"

    @property
    def active(self) -> bool:
        return bool(self.dists) or self.method_error is not None

    def model(self) -> LogModel:
        """LogModel of U = prod(dist / median) x method error (constant 0: median-free part only)."""
        m = LogModel(0.0)
        for name, d in self.dists.items():
            m = m.with_factor(name, d.scaled(1.0 / d.median))
        if self.method_error is not None:
            m = m.with_factor("method_error", LogNormal.factor(self.method_error))
        return m

    def column_names(self) -> list[str]:
        names = [f"flop_{qname(p)}" for p in PROBS] + ["flop_mean"]
        names += [f"pfs_days_{qname(p)}" for p in PROBS]
        return names + [f"p_above_{t:g}" for t in self.thresholds]

    def shared(self) -> GridBand:
        """The band of U, computed once per sweep, for every chunk's points."""
        with self._named_overflow():
            return GridBand(
                self,
                shared_band(
                    self.model(),
                    self.samples,
                    self.seed,
                    self.thresholds,
                    self.force_mc,
                    self.backend,
                ),
            )

    @contextmanager
    def _named_overflow(self) -> Iterator[None]:
        """An overflow (e.g. "1e-300 to 1e300": the band's mean) as an InputError naming the
        uncertain parameter."""
        try:
            yield
        except (OverflowError, InputError) as exc:
            if isinstance(exc, InputError) and exc.field != "inputs":
                raise
            field_ = next(iter(self.dists)) if self.dists else "method_error"
            raise InputError(
                field_, "the band of this distribution overflows float64; narrow it"
            ) from None

    def to_meta(self) -> dict[str, Any]:
        return {
            "uncertain": {k: d.to_json() for k, d in self.dists.items()},
            "method_error": self.method_error,
            "samples": self.samples,
            "seed": self.seed,
            "p_above_flop": list(self.thresholds),
        }


@dataclass(frozen=True)
class GridBand:
    """A sweep's band spec with U's band computed (``BandSpec.shared``): band columns per chunk."""

    spec: BandSpec
    band: SharedBand

    def columns(self, flop: np.ndarray) -> dict[str, np.ndarray]:
        """Band columns for grid points whose point estimates are ``flop`` (FLOP)."""
        with self.spec._named_overflow(), np.errstate(divide="ignore"):
            b = self.band.at(np.log(flop))
        out = {f"flop_{qname(p)}": b[qname(p)] for p in PROBS} | {"flop_mean": b["mean"]}
        out |= {f"pfs_days_{qname(p)}": b[qname(p)] / units.PFS_DAY for p in PROBS}
        return out | {f"p_above_{t:g}": b[f"p_above_{t:g}"] for t in self.spec.thresholds}

    def column_names(self) -> list[str]:
        return self.spec.column_names()

    def batch_columns(self, batch: Any) -> dict[str, np.ndarray]:
        """Band columns of a materialised RecordBatch (from its ``flop`` column)."""
        return self.columns(batch.column("flop").to_numpy())

    def reciprocal(self) -> dict[str, float]:
        """Quantiles of 1/U by name ("p5".."p95"): p of 1/U is 1 / (1 - p) of U."""
        q = self.band.band.quantiles
        flip = {round(p, 12): p for p in PROBS}
        return {qname(p): 1.0 / q[flip[round(1.0 - p, 12)]] for p in PROBS}


#: What inverse mode solves -> the axes the device-hours do not depend on (they cancel out).
_CANCELS = {"days": ("count",), "count": ("days", "hours")}


@dataclass(frozen=True)
class InverseBand:
    """Band columns of an inverse sweep: ``needed`` (days_needed or devices_needed) scales by 1/U;
    device-hours, energy and cost (``scaled``) by 1/U', U' without the uncertain axes they do not
    depend on (the device count when solving days; days/hours when solving devices)."""

    needed_name: str
    scaled: tuple[str, ...]
    needed: dict[str, float]  #: quantiles of 1/U by name
    hours: dict[str, float]  #: quantiles of 1/U' by name (all 1 when U' is certain)

    @classmethod
    def of(cls, spec: BandSpec, solve: str, needed_name: str, scaled: list[str]) -> InverseBand:
        """From the sweep's band spec (``solve``: "days" or "count"); U's band computed once."""
        rest = replace(
            spec, dists={k: d for k, d in spec.dists.items() if k not in _CANCELS[solve]}
        )
        needed = spec.shared().reciprocal()
        hours = rest.shared().reciprocal() if rest.active else {qname(p): 1.0 for p in PROBS}
        for r in (*needed.values(), *hours.values()):
            if not (math.isfinite(r) and r > 0.0):
                with spec._named_overflow():
                    raise InputError("inputs", "overflow")
        return cls(needed_name, tuple(scaled), needed, hours)

    def ratios(self) -> list[float]:
        """Every band ratio (to check the range of the columns)."""
        return [*self.needed.values(), *self.hours.values()]

    def column_names(self) -> list[str]:
        return [f"{n}_{qname(p)}" for n in (self.needed_name, *self.scaled) for p in PROBS]

    def fields(self) -> list:
        import pyarrow as pa

        return [pa.field(n, pa.float64()) for n in self.column_names()]

    def batch_columns(self, batch: Any) -> dict[str, np.ndarray]:
        """Band columns of an inverse RecordBatch, from its point columns (same units)."""
        out: dict[str, np.ndarray] = {}
        for name in (self.needed_name, *self.scaled):
            point = batch.column(name).to_numpy(zero_copy_only=False)
            r = self.needed if name == self.needed_name else self.hours
            out |= {f"{name}_{q}": point * r[q] for q in r}
        return out


def split_uncertain(factors: Mapping[str, Any], spec: BandSpec) -> dict[str, Any]:
    """Move distribution-valued axes into ``spec``; return the factors with their medians instead."""
    out = dict(factors)
    for name, value in factors.items():
        if not is_distribution_text(value):
            continue
        axis = AXES.get(name)
        if axis is None or axis.text is None:
            raise InputError(name, "cannot be uncertain in a sweep (give a list of values instead)")
        kind, bare = axis.text, axis.text_scale
        try:
            dist = parse_distribution(value, kind, name, bare)
        except (
            OverflowError,
            ZeroDivisionError,
        ):  # e.g. "1e-300 to 1e300": its log-moments overflow
            raise InputError(name, f"{value[:40]!r} is out of the float64 range") from None
        if name == "utilization":
            require_fraction_quantity(name, dist)
        if kind in ("rate", "time"):
            dist = dist.scaled(1.0 / bare)  # back to the axis unit (TFLOP/s, days, hours)
        spec.dists[name] = dist
        out[name] = dist.median
    return out


def append_band_columns(batches, schema, band: GridBand | InverseBand):
    """Yield each RecordBatch with the band columns of ``band`` appended (``schema``: the result's):
    a materialised grid's (GridBand) or an inverse sweep's (InverseBand)."""
    import pyarrow as pa

    names = band.column_names()
    for b in batches:
        cols = band.batch_columns(b)
        yield pa.RecordBatch.from_arrays(
            list(b.columns) + [pa.array(cols[n]) for n in names], schema=schema
        )


def band_fields(spec: BandSpec) -> list:
    import pyarrow as pa

    return [pa.field(n, pa.float64()) for n in spec.column_names()]
