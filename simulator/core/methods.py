"""The two methods of "AI and Compute" as products of named factors.

Method 1 (counting operations): forward MAC x 2 FLOP/MAC x 3 (forward + backward) x examples x epochs.
Method 2 (hardware time): devices x peak FLOP/s x seconds x utilization.
Both may carry extra named multipliers. An Estimate keeps its factors, so the same object feeds a
point estimate, a sweep or an uncertainty band (log compute is the sum of log factors).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from computesim.core import units
from computesim.core.distributions import (
    Distribution,
    LogNormal,
    is_distribution_text,
    parse_distribution,
)
from computesim.core.inputs import parse_quantity, require_fraction_quantity
from computesim.core.quantity import Point, Quantity, UpperBound
from computesim.errors import InputError
from computesim.hardware_profiles import DEFAULT_UTILIZATION, find_profile, load_profile_file
from computesim.hardware_profiles.formats import parse_precision

#: Largest disagreement (either way) between the two methods that the source's tolerance allows.
AGREEMENT_FACTOR = 3.0


@dataclass(frozen=True)
class Factor:
    """One positive factor of a compute product, in canonical units (FLOP, FLOP/s, s, MAC, count)."""

    name: str
    value: Quantity
    unit: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {"name": self.name, "value": self.value.to_json(), "unit": self.unit}
        return out | ({"note": self.note} if self.note else {})


@dataclass(frozen=True)
class Estimate:
    """Training compute as a product of factors. ``method``: "ops", "hardware" or "reported".

    >>> e = estimate_hardware(device="GTX 580", count=2, days=5.5)
    >>> [f.name for f in e.factors], e.method
    (['devices', 'peak', 'time', 'utilization'], 'hardware')
    >>> e.to_dict()["pfs_days"]
    0.0057354
    """

    method: str
    factors: tuple[Factor, ...]
    inputs: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""

    def __post_init__(self) -> None:
        _check_representable(self)

    @property
    def flop(self) -> float:
        """Point estimate in FLOP: the plain float64 product of the factors' points.

        An uncertain factor's point is its median, so with uncertain inputs this is the product of
        medians (``point_flop``): the median of the compute exactly when every uncertain factor is
        lognormal, close to it otherwise. The CLI's JSON then reports the band's median as "flop"
        and this number as "point_flop" (see ``computesim.uncertainty.band.band``).
        """
        return math.prod(f.value.point for f in self.factors)

    @property
    def pfs_days(self) -> float:
        """Point estimate in petaflop/s-days (8.64e19 FLOP): ``flop`` / 8.64e19 (product of medians)."""
        return units.flop_to_pfs_days(self.flop)

    @property
    def point_flop(self) -> float:
        """The product of the factors' points (medians) in FLOP: the same number as ``flop``, by its JSON name."""
        return self.flop

    @property
    def point_pfs_days(self) -> float:
        """``point_flop`` in petaflop/s-days."""
        return self.pfs_days

    @property
    def is_upper_bound(self) -> bool:
        """True when the compute is only bounded above (some factor is an UpperBound)."""
        return any(isinstance(f.value, UpperBound) for f in self.factors)

    @property
    def method_number(self) -> int | None:
        return {"ops": 1, "hardware": 2}.get(self.method)

    def formula(self) -> str:
        """The product as a reader would write it: '2 x 1.58e+12 FLOP/s x 475200 s x 0.33'."""
        return " x ".join(f.value.describe(f.unit) for f in self.factors)

    def to_dict(self) -> dict[str, Any]:
        """JSON contract: method, flop, pfs_days, inputs (and factors, formula, label, bound).

        "flop"/"pfs_days" here are the point estimate, repeated as "point_flop"/"point_pfs_days":
        the keys that keep that meaning when the CLI adds a band (whose median becomes "flop").
        """
        out: dict[str, Any] = {
            "method": self.method,
            "method_number": self.method_number,
            "flop": self.flop,
            "pfs_days": self.pfs_days,
            "point_flop": self.flop,
            "point_pfs_days": self.pfs_days,
            "inputs": dict(self.inputs),
            "factors": [f.to_dict() for f in self.factors],
            "formula": self.formula(),
        }
        if self.is_upper_bound:
            out["upper_bound"] = True
        return out | ({"label": self.label} if self.label else {})


_LOG_MAX = math.log(1.7976931348623157e308)  #: ln of the largest float64
_LOG_MIN = math.log(2.2250738585072014e-308)  #: ln of the smallest normal float64
_TAIL = 1e-3  #: the band quantiles checked against the float64 range: 0.1% and 99.9%


def _check_representable(e: Estimate) -> None:
    """InputError unless the estimate's compute is a finite float64 > 0 (its point, and for uncertain
    factors the 0.1% and 99.9% quantiles and the mean of the product, bounded factor by factor)."""
    name = f"{e.method} estimate"
    flop = e.flop
    if not math.isfinite(flop) or flop > 1.7976931348623157e308:
        raise InputError(name, f"result overflows float64 (above 1.8e308 FLOP): {e.formula()}")
    if not flop > 0 or flop < 2.2250738585072014e-308:
        raise InputError(name, f"result underflows float64 (below 2.2e-308 FLOP): {e.formula()}")
    dists = [f.value for f in e.factors if isinstance(f.value, Distribution)]
    if not dists:
        return
    import numpy as np  # heavy: only for estimates with uncertain inputs

    lo = hi = mean = sum(
        math.log(f.value.point) for f in e.factors if not isinstance(f.value, Distribution)
    )
    for d in dists:
        with np.errstate(over="ignore", under="ignore"):
            lo += math.log(max(float(d.ppf(_TAIL)), 5e-324))
            hi += math.log(float(d.ppf(1 - _TAIL)))
        m, v = d.log_moments() if d.is_lognormal else (math.log(d.median), 0.0)
        mean += m + v / 2
    if hi > _LOG_MAX or mean > _LOG_MAX:
        raise InputError(
            name,
            f"band overflows float64 (its 99.9th percentile or mean is above 1.8e308 FLOP): "
            f"{e.formula()}",
        )
    if lo < _LOG_MIN:
        raise InputError(
            name,
            f"band underflows float64 (its 0.1st percentile is below 2.2e-308 FLOP): {e.formula()}",
        )


@dataclass(frozen=True)
class Comparison:
    """Method 2 / method 1 for the same run, and whether they agree within the tolerance."""

    ops: Estimate
    hardware: Estimate
    tolerance: float = AGREEMENT_FACTOR

    @property
    def ratio(self) -> float:
        return self.hardware.flop / self.ops.flop

    @property
    def agree(self) -> bool:
        return max(self.ratio, 1 / self.ratio) <= self.tolerance

    def to_dict(self) -> dict[str, Any]:
        return {
            "ratio_hardware_over_ops": self.ratio,
            "agree": self.agree,
            "tolerance": self.tolerance,
        }


def _extras(extra: Mapping[str, float | str] | None) -> list[Factor]:
    return [
        Factor(name, parse_quantity(v, "count", f"extra {name}"))
        for name, v in (extra or {}).items()
    ]


def _profile_range(peak: Any, field: str = "tflops") -> Quantity:
    """A profile's peak range (low to high, e.g. base to boost clock) as a lognormal 90% interval."""
    if peak.high_flop_per_s > peak.low_flop_per_s:
        return LogNormal.from_interval(peak.low_flop_per_s, peak.high_flop_per_s)
    return Point(peak.flop_per_s)


def _scaled(value: float, scale: float, field: str, unit: str, canonical: str) -> float:
    """``value`` x ``scale`` (a bare number into canonical units); InputError if that leaves float64."""
    x = value * scale
    if not 2.2250738585072014e-308 <= x <= 1.7976931348623157e308:
        raise InputError(
            field, f"{units.sig(value)} {unit} is outside the float64 range in {canonical}"
        )
    return x


def _time(days: float | str | Quantity, field: str = "days") -> Quantity:
    """A duration: bare numbers are days; text with a unit ("12,000 h") is converted to seconds."""
    if isinstance(days, Quantity):
        return days
    if isinstance(days, str) and is_distribution_text(days):
        return parse_distribution(days, "time", field, units.SECONDS_PER_DAY)
    if isinstance(days, str) and units._split(days, field)[1]:
        return parse_quantity(days, "time", field)
    return Point(
        _scaled(
            parse_quantity(days, "count", field).point, units.SECONDS_PER_DAY, field, "days", "s"
        )
    )


def _peak(tflops: float | str | Quantity, field: str = "tflops") -> Quantity:
    """A peak rate: bare numbers are TFLOP/s; text with a unit ("1.58 TFLOP/s") is converted."""
    if isinstance(tflops, Quantity):
        return tflops
    if isinstance(tflops, str) and is_distribution_text(tflops):
        return parse_distribution(tflops, "rate", field, 1e12)
    if isinstance(tflops, str) and units._split(tflops, field)[1]:
        return parse_quantity(tflops, "rate", field)
    return Point(
        _scaled(parse_quantity(tflops, "count", field).point, 1e12, field, "TFLOP/s", "FLOP/s")
    )


#: The inputs of each method that a keyword, a flag or a table column may give, by name
HARDWARE_INPUTS = ("device", "count", "days", "tflops", "utilization", "precision")
OPS_INPUTS = (
    "forward_macs",
    "forward_flop",
    "params",
    "tokens",
    "examples",
    "epochs",
    "batch_size",
    "multiplier",
)


def estimate_hardware(
    *,
    count: float | str = 1,
    days: float | str | Quantity,
    device: str | None = None,
    tflops: float | str | Quantity | None = None,
    utilization: float | str | Quantity | None = None,
    precision: str | None = None,
    extra: Mapping[str, float | str] | None = None,
    profile_files: Iterable[str] = (),
    label: str = "",
) -> Estimate:
    """Method 2: devices x peak FLOP/s x time x utilization (x extra multipliers).

    ``device`` names a hardware profile (its dense peak at ``precision``, by default the profile's
    own: what training on that chip typically used, fp32 before tensor units, dense bf16/fp16
    tensor from Volta on, bf16 on TPUs; and its default utilization). ``precision`` is a profile
    key or a spelling of one ("fp8", "BF16", "bfloat16"); a sparse peak is never used;
    ``tflops`` (TFLOP/s, or text with a rate unit, or a range "1.54 to 1.58") overrides the profile's
    peak and is required without a device; ``tflops="range"`` takes the profile's low to high peak as
    a lognormal 90% interval. ``days``: bare numbers are days, or text such as "12,000 h". Utilization
    defaults to the profile's (0.33 GPU/TPU, 0.17 CPU), or 0.33 when no device is named.

    >>> e = estimate_hardware(device="K80", count=1000, days=30, utilization=0.4)
    >>> e.pfs_days, e.formula()  # pfs-days; the product it is
    (102.0, '1000 x 8.5e12 FLOP/s x 2.59e6 s x 0.4')
    """
    inputs: dict[str, Any] = {}
    profile = None
    if precision is not None:
        precision = parse_precision(precision, "precision")
    if device is not None:
        profile = find_profile(device, [load_profile_file(p) for p in profile_files])
        inputs |= {
            "device": profile.name,
            "precision": precision or profile.default_precision,
            "precision_source": "given" if precision else "profile default",
        }
        precision = precision or profile.default_precision
    elif precision is not None:
        inputs |= {"precision": precision, "precision_source": "given"}
    if isinstance(tflops, str) and tflops.strip().lower() == "range":
        if profile is None:
            raise InputError("tflops", "'range' needs a `device` whose profile gives a peak range")
        peak, peak_src = _profile_range(profile.peak(precision)), f"profile {profile.key} (range)"
    elif tflops is not None:
        peak, peak_src = _peak(tflops), "--tflops"
    elif profile is not None:
        pk = profile.peak(precision)
        peak, peak_src = Point(pk.flop_per_s), f"profile {profile.key} ({precision}, dense)"
        if pk.sparse_flop_per_s is not None:  # recorded, labelled, never used as the peak
            inputs["sparse_peak_flop_per_s_not_used"] = pk.sparse_flop_per_s
    else:
        raise InputError("tflops", "give a peak (`tflops`) or a `device` whose profile has one")
    if utilization is None:
        util: Quantity = Point(
            profile.default_utilization if profile else DEFAULT_UTILIZATION["gpu"]
        )
        util_src = f"default for {profile.kind if profile else 'gpu'}"
    else:
        util, util_src = parse_quantity(utilization, "count", "utilization"), "given"
    require_fraction_quantity("utilization", util)
    devices = parse_quantity(count, "count", "count")
    seconds = _time(days)
    inputs |= {
        "count": devices.to_json(),
        "peak_flop_per_s": peak.to_json(),
        "peak_source": peak_src,
        "days": units.sig(seconds.point / units.SECONDS_PER_DAY, 6)
        if isinstance(seconds, Point)
        else None,
        "seconds": seconds.to_json(),
        "utilization": util.to_json(),
        "utilization_source": util_src,
    }
    if inputs["days"] is not None:
        inputs["days"] = float(inputs["days"])
    ex = _extras(extra)
    inputs |= {f"extra.{f.name}": f.value.to_json() for f in ex}
    factors = (
        Factor("devices", devices),
        Factor("peak", peak, "FLOP/s"),
        Factor("time", seconds, "s"),
        Factor("utilization", util),
        *ex,
    )
    return Estimate("hardware", factors, inputs, label)


def estimate_ops(
    *,
    examples: float | str | Quantity | None = None,
    epochs: float | str | Quantity = 1,
    forward_macs: float | str | Quantity | None = None,
    forward_flop: float | str | Quantity | None = None,
    params: float | str | None = None,
    tokens: float | str | None = None,
    batch_size: float | str | None = None,
    multiplier: float | str = 1,
    extra: Mapping[str, float | str] | None = None,
    label: str = "",
) -> Estimate:
    """Method 1: forward cost x 2 FLOP/MAC x 3 (forward + backward) x examples x epochs.

    Give exactly one forward cost: ``forward_macs`` (multiply-adds per example, token or timestep),
    ``forward_flop`` (FLOP per example; no x2 applied) or ``params`` (a dense transformer: N MACs
    per token, so the total is 6 x N x ``tokens``). ``batch_size`` makes ``examples`` a count of
    updates (DQN); ``multiplier`` counts networks trained (NAS: 12,800).

    >>> estimate_ops(forward_macs=0.75e9, examples=1.2e6, epochs=90).flop  # AlexNet, FLOP
    4.86e+17
    >>> estimate_ops(params=175e9, tokens=300e9).flop  # 6 N D
    3.15e+23
    """
    given = [
        n
        for n, v in (
            ("`forward_macs`", forward_macs),
            ("`forward_flop`", forward_flop),
            ("`params`", params),
        )
        if v is not None
    ]
    if len(given) != 1:
        raise InputError(
            "forward_macs",
            "give exactly one of `forward_macs`, `forward_flop`, `params`"
            + (f" (got {', '.join(given)})" if given else ""),
        )
    inputs: dict[str, Any] = {}
    if params is not None:
        if tokens is None:
            raise InputError("tokens", "required with `params` (6 x params x tokens)")
        if examples is not None:
            raise InputError("examples", "use `tokens` with `params`, not `examples`")
        forward = [
            Factor(
                "forward",
                parse_quantity(params, "count", "params"),
                "MAC",
                "params: 1 MAC/param/token",
            ),
            Factor("flop_per_mac", Point(units.FLOP_PER_MAC)),
        ]
        count = Factor("examples", parse_quantity(tokens, "count", "tokens"), "", "tokens")
        inputs |= {"params": forward[0].value.to_json(), "tokens": count.value.to_json()}
    else:
        if examples is None:
            raise InputError("examples", "required (examples, tokens or timesteps per epoch)")
        if forward_macs is not None:
            forward = [
                Factor("forward", parse_quantity(forward_macs, "macs", "forward_macs"), "MAC"),
                Factor("flop_per_mac", Point(units.FLOP_PER_MAC)),
            ]
            inputs["forward_macs"] = forward[0].value.to_json()
        else:
            assert forward_flop is not None  # exactly one forward cost is given (checked above)
            forward = [
                Factor("forward", parse_quantity(forward_flop, "ops", "forward_flop"), "FLOP")
            ]
            inputs["forward_flop"] = forward[0].value.to_json()
        count = Factor("examples", parse_quantity(examples, "count", "examples"))
        inputs["examples"] = count.value.to_json()
    factors = [*forward, Factor("train_over_forward", Point(units.TRAIN_OVER_FORWARD)), count]
    if batch_size is not None:
        factors.append(Factor("batch_size", parse_quantity(batch_size, "count", "batch_size")))
        inputs["batch_size"] = factors[-1].value.to_json()
    factors.append(Factor("epochs", parse_quantity(epochs, "count", "epochs")))
    inputs["epochs"] = factors[-1].value.to_json()
    mult = parse_quantity(multiplier, "count", "multiplier")
    if not (isinstance(mult, Point) and mult.point == 1):
        factors.append(Factor("multiplier", mult))
        inputs["multiplier"] = mult.to_json()
    ex = _extras(extra)
    inputs |= {f"extra.{f.name}": f.value.to_json() for f in ex}
    return Estimate("ops", tuple(factors + ex), inputs, label)


def reported(compute: float | str | Quantity, label: str = "", kind: str = "ops") -> Estimate:
    """A figure reported elsewhere, possibly a bound: "0.089 pfs-days", "< 0.0007 pfs-days".

    >>> reported("3.14e23 FLOP", "GPT-3").flop
    3.14e+23
    """
    q = parse_quantity(compute, kind, "compute", bounds=True)
    inputs = {"compute_flop": q.to_json()}
    return Estimate("reported", (Factor("compute", q, "FLOP"),), inputs, label)


def compare(ops: Estimate, hardware: Estimate, tolerance: float = AGREEMENT_FACTOR) -> Comparison:
    """The method-1 / method-2 consistency check of the source.

    >>> ops = estimate_ops(forward_macs=0.75e9, examples=1.2e6, epochs=90)
    >>> hw = estimate_hardware(device="GTX 580", count=2, days=5.5)
    >>> c = compare(ops, hw)
    >>> round(c.ratio, 2), c.agree  # hardware / ops, within the 3x the source allows
    (1.02, True)
    """
    return Comparison(ops, hardware, tolerance)
