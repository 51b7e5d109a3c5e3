"""``computesim estimate hardware ... --energy --emissions --cost``: the run's energy, emissions and
cost, each with its band (the flags and the printing; the products are ``core.cost``)."""

from __future__ import annotations

import argparse
from typing import Any

from computesim.core import cost as costs
from computesim.core.distributions import Distribution
from computesim.core.inputs import parse_seed, parse_whole
from computesim.core.methods import Estimate
from computesim.errors import InputError
from computesim.uncertainty import band as uncertainty
from computesim.uncertainty.band import MAX_SAMPLES, qname

#: API parameter -> flag, for messages.
FLAGS = {
    name: f"--{name.replace('_', '-')}"
    for name in (
        "power_w",
        "power_ratio",
        "pue",
        "carbon_intensity",
        "price_per_hour",
        "purchase_usd",
        "lifetime_years",
        "overhead",
    )
}
_INPUTS = tuple(FLAGS)


def register(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "energy, emissions, cost (hardware method; any input may be a range and gets a band)"
    )
    g.add_argument("--energy", action="store_true", help="energy in kWh")
    g.add_argument(
        "--emissions", action="store_true", help="emissions in t CO2e (needs --carbon-intensity)"
    )
    g.add_argument(
        "--cost",
        action="store_true",
        help="cost in USD (--price-per-hour, --purchase-usd, or else the device profile's dated "
        "reference price)",
    )
    g.add_argument("--power-w", help="power per device in W (default: the profile's TDP)")
    g.add_argument(
        "--power-ratio", help="average power draw / --power-w (default 1: TDP throughout)"
    )
    g.add_argument("--pue", help="data-centre power usage effectiveness (default 1: devices only)")
    g.add_argument(
        "--carbon-intensity",
        help="grid carbon intensity with its unit: '400 g/kWh', '0.3 to 0.5 kg/kWh' (no default)",
    )
    g.add_argument(
        "--price-per-hour",
        help="rental price per device-hour in USD (default: the profile's reference price)",
    )
    g.add_argument("--purchase-usd", help="purchase price per device in USD (amortised cost)")
    g.add_argument("--lifetime-years", help="amortisation lifetime in years (default 4)")
    g.add_argument(
        "--overhead", help="amortised: server, network and facility overhead factor (default 1)"
    )


def wanted(args: argparse.Namespace) -> bool:
    """True when any of --energy, --emissions, --cost (or one of their inputs) is given."""
    return bool(
        args.energy
        or args.emissions
        or args.cost
        or any(getattr(args, n) is not None for n in _INPUTS)
    )


def products(args: argparse.Namespace, estimates: list[Estimate]) -> list[costs.Product]:
    """The products the flags ask for, from the hardware estimate."""
    hw = next((e for e in estimates if e.method == "hardware"), None)
    if hw is None:
        raise InputError("--energy", "energy, emissions and cost need the hardware inputs")
    given = [n for n in _INPUTS if getattr(args, n) is not None]
    if not (args.energy or args.emissions or args.cost):
        raise InputError(FLAGS[given[0]], "give --energy, --emissions or --cost with it")
    out = []
    if args.energy or args.emissions:
        e = costs.energy(
            hw,
            power_w=args.power_w,
            power_ratio=args.power_ratio or 1.0,
            pue=args.pue or 1.0,
        )
        if args.energy:
            out.append(e)
        if args.emissions:
            if args.carbon_intensity is None:
                raise InputError(
                    "--carbon-intensity",
                    "required with --emissions (no default: the grid is not known), "
                    "e.g. '400 g/kWh'",
                )
            out.append(costs.emissions(e, args.carbon_intensity))
    elif args.carbon_intensity is not None:
        raise InputError("--carbon-intensity", "only with --emissions")
    if args.cost:
        out.append(
            costs.cost(
                hw,
                price_per_hour=args.price_per_hour,
                purchase_usd=args.purchase_usd,
                lifetime_years=args.lifetime_years or 4,
                overhead=args.overhead or 1.0,
            )
        )
    return out


def _band(args: argparse.Namespace, p: costs.Product) -> dict[str, Any] | None:
    """The product's band in its own unit (None when every input is a single number)."""
    if not any(isinstance(f.value, Distribution) for f in p.factors):
        return None
    samples = (
        None if args.samples is None else parse_whole(args.samples, "--samples", 1, MAX_SAMPLES)
    )
    b = uncertainty.band(
        uncertainty.model_of(p),
        samples,
        parse_seed(args.seed, "--seed"),
        (),
        args.force_mc,
        args.backend,
    )
    out: dict[str, Any] = {
        "exact": b.exact,
        "quantiles": {qname(q): v for q, v in b.quantiles.items()},
        "mean": b.mean,
        "spread_factor": b.spread,
        "attribution": b.attribution,
    }
    if not b.exact:
        out |= {"samples": b.samples, "seed": b.seed, "backend": b.backend}
    return out


def report(args: argparse.Namespace, estimates: list[Estimate]) -> dict[str, Any]:
    """{name: product dict (+ "band")} for each product asked for."""
    out = {}
    for p in products(args, estimates):
        d = p.to_dict()
        b = _band(args, p)
        if b is not None:
            d["band"] = b
        out[p.name] = d
    return out


def render(rep: dict[str, Any]) -> str:
    """One line per product (and its band)."""
    lines = []
    for name, d in rep.items():
        line = f"{name}: {d['formula']}\n  = {d['value']:.4g} {d['unit']}"
        b = d.get("band")
        if b is not None:
            q = b["quantiles"]
            line += (
                f"; band p5 {q['p5']:.3g}, p50 {q['p50']:.3g}, p95 {q['p95']:.3g} {d['unit']}"
                + ("" if b["exact"] else f" (Monte Carlo, {b['samples']} samples)")
            )
        ref = d["inputs"].get("reference_price")
        if ref is not None:
            line += (
                f"\n  price: {ref['device']} reference price {ref['usd_per_hour']:g} USD per "
                f"device-hour, {ref['date']} (no --price-per-hour given; source: {ref['source']})"
            )
        lines.append(line)
    return "\n".join(lines)
