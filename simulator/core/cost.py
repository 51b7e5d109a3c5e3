"""Energy, emissions and cost of a training run, each a product of named factors (so any input
given as a range gives a band through the same uncertainty engine as compute).

- energy (kWh) = devices x power (W: the profile's TDP, or a measured draw) x average power / TDP
  x PUE x time (s) / 3.6e6 J per kWh;
- emissions (t CO2e) = energy x grid carbon intensity (user-supplied, with its unit; there is no
  default: the grid is not known) / 1000 kg per t;
- cost (USD) = devices x time (h) x price per device-hour (user-supplied, else the device profile's
  dated reference price with its source), or amortised: purchase price per device / (lifetime in
  years x 8766 h) x overhead (servers, network, facility).

Devices and time come from a hardware estimate (method 2); they are the same factors, so a band
over them is shared with the compute band.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from computesim.core.distributions import LogNormal, is_distribution_text, parse_distribution
from computesim.core.inputs import parse_quantity
from computesim.core.methods import Estimate, Factor
from computesim.core.quantity import Point, Quantity
from computesim.errors import InputError, shown
from computesim.hardware_profiles import find_profile

J_PER_KWH = 3.6e6
HOURS_PER_YEAR = 8766.0  #: 365.25 days
#: Carbon-intensity units -> kg CO2e per kWh.
_INTENSITY = {
    "g/kwh": 1e-3,
    "kg/kwh": 1.0,
    "t/mwh": 1.0,
    "kg/mwh": 1e-3,
    "g/mwh": 1e-6,
    "lb/mwh": 0.45359237e-3,
}


@dataclass(frozen=True)
class Product:
    """A positive quantity as a product of named factors, in ``unit`` (kWh, t CO2e, USD).

    Works with ``computesim.uncertainty.band.model_of`` as an Estimate does.
    """

    name: str
    unit: str
    factors: tuple[Factor, ...]
    inputs: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""

    @property
    def value(self) -> float:
        """Point value: the product of the factors' points (medians), in ``unit``."""
        return math.prod(f.value.point for f in self.factors)

    def formula(self) -> str:
        return " x ".join(f.value.describe(f.unit) for f in self.factors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "value": self.value,
            "inputs": dict(self.inputs),
            "factors": [f.to_dict() for f in self.factors],
            "formula": self.formula(),
        }


def _factor(hw: Estimate, name: str) -> Factor:
    for f in hw.factors:
        if f.name == name:
            return f
    raise InputError("hardware", f"the hardware estimate has no {name} factor")


def _positive(value: float | str | Quantity, field: str) -> Quantity:
    return parse_quantity(value, "count", field)


def energy(
    hw: Estimate,
    *,
    power_w: float | str | Quantity | None = None,
    power_ratio: float | str | Quantity = 1.0,
    pue: float | str | Quantity = 1.0,
) -> Product:
    """Energy in kWh of the run ``hw`` (a method-2 estimate): devices x power x ratio x PUE x time.

    ``power_w`` defaults to the device profile's TDP (per counted device); ``power_ratio`` is the
    average draw over that power (default 1: drawing TDP throughout); ``pue`` the facility's power
    usage effectiveness (default 1: the devices alone). Each may be a range.

    >>> from computesim.core.methods import estimate_hardware
    >>> hw = estimate_hardware(device="A100", count=1000, days="1000 h")
    >>> energy(hw).value  # kWh: 1000 x 400 W x 1000 h
    400000.0
    """
    if hw.method != "hardware":
        raise InputError("hardware", "energy needs a hardware (method 2) estimate")
    inputs: dict[str, Any] = {}
    if power_w is None:
        device = hw.inputs.get("device")
        if device is None:
            raise InputError("power_w", "give `power_w` (no device profile to take a TDP from)")
        prof = find_profile(str(device))
        if prof.tdp_w is None:
            raise InputError(
                "power_w",
                f"no TDP is published for {prof.name} (see `computesim profiles`); give "
                "`power_w`, a measured or assumed draw per device",
            )
        power: Quantity = Point(prof.tdp_w)
        inputs["power_source"] = f"TDP of {device}"
    else:
        power = _positive(power_w, "power_w")
        inputs["power_source"] = "given"
    ratio = _positive(power_ratio, "power_ratio")
    pue_q = _positive(pue, "pue")
    if pue_q.point < 1:
        raise InputError("pue", f"power usage effectiveness is at least 1, got {pue_q.point:g}")
    factors = (
        _factor(hw, "devices"),
        Factor("power", power, "W"),
        Factor("power_ratio", ratio, "", "average power / power"),
        Factor("pue", pue_q),
        _factor(hw, "time"),
        Factor("kwh_per_joule", Point(1 / J_PER_KWH), "kWh/J"),
    )
    inputs |= {
        "power_w": power.to_json(),
        "power_ratio": ratio.to_json(),
        "pue": pue_q.to_json(),
    }
    return Product("energy", "kWh", factors, inputs, hw.label)


def parse_intensity(text: str | float, field: str = "carbon_intensity") -> Quantity:
    """Grid carbon intensity with its unit ("400 g/kWh", "0.35 to 0.45 kg/kWh", "0.4 tCO2e/MWh")
    in kg CO2e per kWh. A bare number is refused: the unit decides a factor of 1000.

    >>> parse_intensity("429 gCO2e/kWh").point
    0.429
    """
    if not isinstance(text, str):
        raise InputError(field, "give a unit, e.g. '400 g/kWh' or '0.4 kg/kWh'")
    m = re.match(r"^(.*?)\s*([a-z]+)\s*(co2e?q?|co2-?eq)?\s*/\s*([a-z]+)\s*$", text.strip(), re.I)
    unit = None if m is None else f"{m.group(2).lower()}/{m.group(4).lower()}"
    if m is None or unit not in _INTENSITY or not m.group(1).strip():
        raise InputError(
            field,
            f"cannot read {shown(text)}: give a number or range with a unit, "
            f"one of {', '.join(_INTENSITY)} (e.g. '400 g/kWh')",
        )
    number, scale = m.group(1).strip(), _INTENSITY[unit]
    if is_distribution_text(number):
        return parse_distribution(number, "count", field, scale)
    return Point(parse_quantity(number, "count", field).point * scale)


def emissions(e: Product, carbon_intensity: str | Quantity) -> Product:
    """Emissions in t CO2e: energy (kWh) x carbon intensity (kg CO2e/kWh) / 1000.

    >>> from computesim.core.methods import estimate_hardware
    >>> e = energy(estimate_hardware(device="A100", count=1000, days="1000 h"))
    >>> emissions(e, "500 g/kWh").value  # t CO2e
    200.0
    """
    q = (
        carbon_intensity
        if isinstance(carbon_intensity, Quantity)
        else parse_intensity(carbon_intensity)
    )
    factors = (
        *e.factors,
        Factor("carbon_intensity", q, "kg/kWh"),
        Factor("t_per_kg", Point(1e-3), "t/kg"),
    )
    return Product(
        "emissions",
        "t CO2e",
        factors,
        dict(e.inputs) | {"carbon_intensity_kg_per_kwh": q.to_json()},
        e.label,
    )


def cost(
    hw: Estimate,
    *,
    price_per_hour: float | str | Quantity | None = None,
    purchase_usd: float | str | Quantity | None = None,
    lifetime_years: float | str | Quantity = 4,
    overhead: float | str | Quantity = 1.0,
) -> Product:
    """Cost in USD of the run ``hw``: devices x hours x price per device-hour (rented), or
    amortised: ``purchase_usd`` per device / (``lifetime_years`` x 8766 h) x ``overhead``.

    With neither price given, the device profile's dated reference price is used (``inputs``
    then hold ``price_source`` "reference" and ``reference_price``: price, date and source).

    >>> from computesim.core.methods import estimate_hardware
    >>> hw = estimate_hardware(device="H100", count=8, days="100 h")
    >>> cost(hw, price_per_hour=2.5).value, cost(hw, purchase_usd=30000, lifetime_years=4).value
    (2000.0, 684.4626967830253)
    >>> ref = cost(hw).inputs["reference_price"]  # the H100 profile's dated rental price
    >>> sorted(ref)
    ['date', 'device', 'source', 'usd_per_hour']
    """
    if hw.method != "hardware":
        raise InputError("hardware", "cost needs a hardware (method 2) estimate")
    if price_per_hour is not None and purchase_usd is not None:
        raise InputError("price_per_hour", "give one of `price_per_hour` and `purchase_usd`")
    reference: dict[str, Any] | None = None
    if price_per_hour is None and purchase_usd is None:
        reference = reference_price(hw)
        price_per_hour = reference["usd_per_hour"]
    base = (
        _factor(hw, "devices"),
        _factor(hw, "time"),
        Factor("hours_per_second", Point(1 / 3600), "h/s"),
    )
    factors: tuple[Factor, ...]
    if price_per_hour is not None:
        price = _positive(price_per_hour, "price_per_hour")
        factors = (*base, Factor("price_per_hour", price, "USD/h"))
        inputs: dict[str, Any] = {
            "price_per_hour_usd": price.to_json(),
            "basis": "rented",
            "price_source": "given" if reference is None else "reference",
        }
        if reference is not None:
            inputs["reference_price"] = reference
    else:
        assert purchase_usd is not None
        buy = _positive(purchase_usd, "purchase_usd")
        life = _positive(lifetime_years, "lifetime_years")
        over = _positive(overhead, "overhead")
        factors = (
            *base,
            Factor("purchase", buy, "USD"),
            Factor("per_lifetime", Point(1 / HOURS_PER_YEAR), "1/h per year"),
            Factor("inverse_lifetime", _inverse(life), "1/years"),
            Factor("overhead", over),
        )
        inputs = {
            "purchase_usd": buy.to_json(),
            "lifetime_years": life.to_json(),
            "overhead": over.to_json(),
            "basis": "amortised",
        }
    return Product("cost", "USD", factors, inputs, hw.label)


def reference_price(hw: Estimate | str) -> dict[str, Any]:
    """The dated reference price of the device of ``hw`` (a method-2 estimate, or a device name as
    ``find_profile`` reads it): {device, usd_per_hour (per device-hour), date ("YYYY-MM"),
    source}; InputError naming ``price_per_hour`` when the estimate has no device or its profile
    states no price, and naming ``device`` for a name no profile matches.

    >>> from computesim.core.methods import estimate_hardware
    >>> ref = reference_price(estimate_hardware(device="A100", count=8, days=1))
    >>> ref["usd_per_hour"] > 0, len(ref["date"])  # USD per device-hour, "YYYY-MM"
    (True, 7)
    >>> reference_price("NVIDIA H100") == reference_price(
    ...     "H100 SXM5"
    ... )  # names as datasets spell them
    True
    """
    device = hw if isinstance(hw, str) else hw.inputs.get("device")
    if device is None:
        raise InputError(
            "price_per_hour",
            "give `price_per_hour` or `purchase_usd` (no device profile to take a reference "
            "price from)",
        )
    prof = find_profile(str(device))
    if prof.reference_price_usd_per_hour is None:
        raise InputError(
            "price_per_hour",
            f"give `price_per_hour` or `purchase_usd` ({prof.name} has no reference price; "
            "see `computesim profiles`)",
        )
    return {
        "device": prof.name,
        "usd_per_hour": prof.reference_price_usd_per_hour,
        "date": prof.reference_price_date,
        "source": prof.sources["reference_price_usd_per_hour"],
    }


def _inverse(q: Quantity) -> Quantity:
    """1 / q: a point, or a lognormal with its log negated (other families: refused)."""
    if isinstance(q, Point):
        return Point(1 / q.point)
    if isinstance(q, LogNormal):
        return LogNormal(-q.mu, q.sigma)
    raise InputError("lifetime_years", "a range here must be lognormal ('3 to 5')")
