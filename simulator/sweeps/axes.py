"""The sweep's settings, described once: every axis (``AXES``) and every other option (``OPTIONS``).

The engine (canonical axis order, units, scales), sweep bands (which axes may be uncertain, and
how their text reads), scenario files (the keys of each section) and the CLI (its flags, and the
flag it prints for an API parameter named in an error) all read these tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from computesim.core import units


@dataclass(frozen=True)
class AxisDef:
    """A factor that can be swept.

    ``name`` is the API keyword and the scenario key under ``[axes]``; ``flag`` the CLI's. ``scale``
    is one axis unit in the canonical product (FLOP). ``check``: "device" (profile names),
    "fraction" (0 < x <= 1) or "positive". ``text``: the ``units.parse`` kind of a distribution
    given for the axis ("0.25 to 0.4"), None when the axis cannot be uncertain; ``text_scale`` is
    one axis unit in that kind's canonical unit (1 TFLOP/s = 1e12 FLOP/s)."""

    name: str
    method: str  #: "hardware" (method 2), "ops" (method 1) or "any"
    column: str
    unit: str
    scale: float
    help: str
    check: str = "positive"
    text: str | None = "count"
    text_scale: float = 1.0

    @property
    def flag(self) -> str:
        return flag_of(self.name)

    @property
    def fraction(self) -> bool:
        return self.check == "fraction"


@dataclass(frozen=True)
class Option:
    """A sweep setting that is not an axis: its API keyword and where else it can be given."""

    name: str
    cli: bool = True  #: has a CLI flag (``flag_of(name)``)
    section: str | None = None  #: scenario file section holding it, None when files cannot set it
    flag: str | None = None  #: the CLI flag, when not ``flag_of(name)``


def flag_of(name: str) -> str:
    """The CLI flag of API parameter ``name`` (``group_by`` -> ``--group-by``)."""
    return "--" + name.replace("_", "-")


_PEAK = 1e12  #: TFLOP/s in FLOP/s

#: Sweepable factors in canonical axis order (the product is taken in this order).
AXIS_TABLE: tuple[AxisDef, ...] = (
    AxisDef(
        "device",
        "hardware",
        "peak_tflop_per_s",
        "TFLOP/s",
        _PEAK,
        "devices, peaks from the profiles: K40,K80",
        check="device",
        text=None,
    ),
    AxisDef(
        "tflops",
        "hardware",
        "tflop_per_s",
        "TFLOP/s",
        _PEAK,
        "peak TFLOP/s per device, as an axis (replaces the profiles' peak)",
        text="rate",
        text_scale=_PEAK,
    ),
    AxisDef("count", "hardware", "count", "devices", 1.0, "number of devices"),
    AxisDef(
        "days",
        "hardware",
        "days",
        "days",
        units.SECONDS_PER_DAY,
        "training days",
        text="time",
        text_scale=units.SECONDS_PER_DAY,
    ),
    AxisDef(
        "hours",
        "hardware",
        "hours",
        "h",
        3600.0,
        "training hours (instead of --days)",
        text="time",
        text_scale=3600.0,
    ),
    AxisDef(
        "utilization",
        "hardware",
        "utilization",
        "fraction",
        1.0,
        "fraction of peak (default: each device's profile default, 0.33 GPU/TPU and 0.17 CPU,"
        " written per row; 0.33 with --tflops alone)",
        check="fraction",
    ),
    AxisDef(
        "macs",
        "ops",
        "forward_macs",
        "MAC per example",
        units.FLOP_PER_MAC * units.TRAIN_OVER_FORWARD,
        "forward multiply-adds per example",
        text="macs",
    ),
    AxisDef("examples", "ops", "examples", "examples per epoch", 1.0, "examples per epoch"),
    AxisDef("epochs", "ops", "epochs", "epochs", 1.0, "epochs"),
    AxisDef("networks", "ops", "networks", "networks trained", 1.0, "networks trained"),
    AxisDef("multiplier", "any", "multiplier", "", 1.0, "extra multiplier (either method)"),
)

#: The axes by name, in canonical order.
AXES: dict[str, AxisDef] = {a.name: a for a in AXIS_TABLE}

#: Every other keyword of ``computesim.sweep()``, in the order the CLI lists them.
OPTIONS: tuple[Option, ...] = (
    Option("precision", section="sweep"),
    Option("mode", section="sweep"),
    Option("threshold", section="reduce"),
    Option("quantiles", section="reduce"),
    Option("group_by", section="reduce"),
    Option("target", section="inverse"),
    Option("solve", section="inverse"),
    Option("pue", section="inverse"),
    Option("price_per_hour", section="inverse"),
    Option("cost", section="inverse"),
    Option("method_error"),
    Option("p_above"),
    Option("samples"),
    Option("seed"),
    Option("force_mc"),
    Option("out", section="sweep"),
    Option("overwrite", section="sweep"),
    Option("backend", section="sweep"),
    Option("max_points", section="sweep"),
    Option("chunk_points", cli=False, section="sweep"),
    Option("progress", cli=False),
    Option("client", flag="--scheduler"),
    Option("parts"),
)

#: Scenario file sections and their keys ([axes] holds the axes).
SECTIONS: dict[str, set[str]] = {"axes": set(AXES)} | {
    s: {o.name for o in OPTIONS if o.section == s}
    for s in dict.fromkeys(o.section for o in OPTIONS if o.section)
}

#: API parameter -> CLI flag, for every parameter the CLI has a flag for.
FLAGS: dict[str, str] = {a.name: a.flag for a in AXIS_TABLE} | {
    o.name: o.flag or flag_of(o.name) for o in OPTIONS if o.cli
}


def parameter_of(field: str) -> str | None:
    """The API parameter a field names, as itself or as its CLI flag (``--group-by`` ->
    ``group_by``), or None when it names none."""
    named = {o.flag: o.name for o in OPTIONS if o.flag}
    name = named.get(field) or field.removeprefix("--").replace("-", "_")
    return name if name in AXES or any(o.name == name for o in OPTIONS) else None
