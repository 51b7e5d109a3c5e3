"""Known table layouts: which column holds which role, recognised from a table's column names.

A role is what a column means to computesim (``ROLES``). A layout is recognised when all its
``signature`` columns are present (names compared with case, spaces and a BOM ignored); its
``roles`` then map each role to the first of its candidate columns present. ``recognise`` also
applies the user's overrides (role -> column) and, when no layout matches, falls back to the
``generic`` candidates (common names such as "date", "flop", "name").

Layouts (``LAYOUTS``):

- ``epoch-ai-models``: Epoch AI's current "AI Models" exports (notable, large-scale, all):
  "Model", "Publication date" (ISO), "Training compute (FLOP)", "Training compute lower bound",
  "Training compute upper bound", "Confidence", "Training hardware", "Hardware quantity",
  "Training time (hours)", "Hardware utilization (MFU)", "Numerical format", "Parameters", ...
- ``epoch-pcd``: the 2022-2023 "Parameter, Compute and Data Trends" (PCD) exports: "System",
  "Publication date" (DD/MM/YYYY), "Training compute (FLOPs)", "Training hardware", ...
- ``ai-and-compute-chart``: the chart table of "AI and Compute" (2018): a name, a publication
  date and the compute in petaflop/s-days.
- ``computesim-systems``: computesim's own ``bands`` input (``method``, ``days``, ``tflops``,
  ``forward_macs``, ...: the inputs of ``computesim estimate``, one system per row).
- ``computesim-points``: the data points ``computesim trend --out`` writes (system, date, flop).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from computesim.errors import InputError

#: Roles a column can play, and what each holds.
ROLES = {
    "name": "name of the system",
    "date": "publication date",
    "flop": "training compute, FLOP",
    "pfs_days": "training compute, petaflop/s-days",
    "flop_low": "lower bound of training compute, FLOP",
    "flop_high": "upper bound of training compute, FLOP",
    "confidence": "confidence level of the compute (Confident, Likely, Speculative, ...)",
    "hardware": "training hardware (chip name as the dataset writes it)",
    "quantity": "number of chips",
    "hours": "training time, hours",
    "utilization": "hardware utilization (MFU), fraction",
    "precision": "numerical format (FP16, BF16, FP32, ...)",
    "params": "parameters",
    "dataset_size": "training dataset size",
    "epochs": "epochs",
    "domain": "domain",
    "organization": "organization",
}


@dataclass(frozen=True)
class Layout:
    """A known layout: its name, what it is, the columns that identify it and its role columns."""

    name: str
    title: str
    signature: tuple[str, ...]
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    day_first: bool = True  #: default day/month order of a/b/YYYY dates when no value decides


_EPOCH_COMMON: dict[str, tuple[str, ...]] = {
    "date": ("Publication date",),
    "flop_low": ("Training compute lower bound",),
    "flop_high": ("Training compute upper bound",),
    "confidence": ("Confidence",),
    "hardware": ("Training hardware",),
    "quantity": ("Hardware quantity",),
    "hours": ("Training time (hours)",),
    "utilization": ("Hardware utilization (MFU)", "Hardware utilization"),
    "precision": ("Numerical format",),
    "params": ("Parameters",),
    "dataset_size": ("Training dataset size (total)", "Training dataset size (datapoints)"),
    "epochs": ("Epochs",),
    "domain": ("Domain",),
    "organization": ("Organization",),
}

LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "epoch-ai-models",
        "Epoch AI, AI Models export (2024-)",
        ("Model", "Publication date", "Training compute (FLOP)"),
        {"name": ("Model",), "flop": ("Training compute (FLOP)",), **_EPOCH_COMMON},
    ),
    Layout(
        "epoch-pcd",
        "Epoch AI, Parameter, Compute and Data Trends export (2022-2023)",
        ("System", "Publication date", "Training compute (FLOPs)"),
        {"name": ("System",), "flop": ("Training compute (FLOPs)",), **_EPOCH_COMMON},
    ),
    Layout(
        "ai-and-compute-chart",
        "AI and Compute (2018), chart table (petaflop/s-days)",
        ("Publication date", "Petaflop/s-days"),
        {
            "name": ("System", "Name", "Model"),
            "date": ("Publication date",),
            "pfs_days": ("Petaflop/s-days",),
        },
    ),
    Layout(
        "computesim-systems",
        "computesim bands input (the inputs of `computesim estimate`, one system per row)",
        ("method",),
        {"name": ("system",)},
    ),
    Layout(
        "computesim-points",
        "computesim data points (`computesim trend --out`)",
        ("system", "date", "flop", "bound"),
        {
            "name": ("system",),
            "date": ("date",),
            "flop": ("flop",),
            "flop_low": ("flop_low",),
            "flop_high": ("flop_high",),
            "domain": ("domain",),
        },
    ),
)

#: The layout when none is recognised: each role's common names, first present wins.
GENERIC = Layout(
    "generic",
    "columns recognised by their names",
    (),
    {
        "date": ("publication date", "publication_date", "date", "published", "pub date", "year"),
        "flop": (
            "training compute (flop)",
            "training compute (flops)",
            "training_compute_flop",
            "training compute flop",
            "training compute",
            "compute (flop)",
            "compute_flop",
            "flop",
            "flops",
        ),
        "pfs_days": (
            "training compute (pfs-days)",
            "training compute (petaflop/s-days)",
            "pfs_days",
            "pfs-days",
            "petaflop/s-days",
            "compute (pfs-days)",
        ),
        "name": ("system", "model", "name", "system name", "model name"),
        "domain": ("domain", "task domain"),
        "flop_low": ("training compute lower bound", "flop_low", "lower bound"),
        "flop_high": ("training compute upper bound", "flop_high", "upper bound"),
        "confidence": ("confidence",),
    },
)

#: computesim-systems input columns: a table with any of them (and no method column) is one too.
SYSTEM_COLUMNS = ("days", "tflops", "forward_macs", "forward_flop", "device")


def norm(name: str) -> str:
    """A column name compared: case, surrounding and repeated spaces and a BOM ignored."""
    return re.sub(r"\s+", " ", str(name).replace("\ufeff", "").strip().lower())


@dataclass(frozen=True)
class Recognised:
    """The recognised layout of a table: its name and title, role -> column, and overrides."""

    layout: str
    title: str
    columns: dict[str, str]
    overridden: tuple[str, ...] = ()
    day_first: bool = True

    def to_dict(self) -> dict:
        return {
            "layout": self.layout,
            "title": self.title,
            "columns": dict(self.columns),
            "overridden": list(self.overridden),
        }

    def describe(self) -> str:
        """One line: the layout and its role columns (overrides marked '*')."""
        cols = ", ".join(
            f"{r}={c!r}{'*' if r in self.overridden else ''}" for r, c in self.columns.items()
        )
        return f"layout {self.layout} ({self.title}): {cols}"


def find_layout(name: str) -> Layout:
    """The layout called ``name`` (InputError naming ``layout`` if there is none)."""
    for lay in (*LAYOUTS, GENERIC):
        if lay.name == name:
            return lay
    known = ", ".join(lay.name for lay in (*LAYOUTS, GENERIC))
    raise InputError("layout", f"unknown layout {name!r}; known: {known}")


def _match(header: Sequence[str], lay: Layout) -> dict[str, str]:
    normed: dict[str, str] = {}
    for h in header:
        normed.setdefault(norm(h), h)
    out = {}
    for role, cands in lay.roles.items():
        for c in cands:
            if norm(c) in normed:
                out[role] = normed[norm(c)]
                break
    return out


def detect(header: Sequence[str]) -> Layout:
    """The first layout whose signature columns are all in ``header``, else ``GENERIC``."""
    have = {norm(h) for h in header}
    for lay in LAYOUTS:
        if all(norm(c) in have for c in lay.signature):
            return lay
    if any(c in have for c in SYSTEM_COLUMNS) and not have & {"training compute (flop)", "flop"}:
        return LAYOUTS[3]
    return GENERIC


def recognise(
    header: Sequence[str],
    layout: str | None = None,
    columns: Mapping[str, str | None] | None = None,
) -> Recognised:
    """The role -> column mapping of a table with columns ``header``: the named ``layout`` (or
    the one detected), with ``columns`` (role -> column name, None: no column) overriding it."""
    lay = find_layout(layout) if layout is not None else detect(header)
    found = _match(header, lay)
    if lay is not GENERIC:  # roles the layout lacks: common names still help (e.g. "Domain")
        for role, name in _match(header, GENERIC).items():
            if role not in lay.roles:
                found.setdefault(role, name)
    overridden = []
    for role, col in (columns or {}).items():
        if role not in ROLES:
            raise InputError("columns", f"unknown role {role!r}; roles are: {', '.join(ROLES)}")
        overridden.append(role)
        if col is None:
            found.pop(role, None)
            continue
        match = [h for h in header if h == col] or [h for h in header if norm(h) == norm(col)]
        if not match:
            raise InputError(
                f"columns[{role}]",
                f"no column {col!r}; columns are: {', '.join(header)[:300]}",
            )
        found[role] = match[0]
    if "flop" in found and "pfs_days" in found and "pfs_days" not in overridden:
        found.pop("pfs_days")
    if "flop" in found and "pfs_days" in overridden and "flop" not in overridden:
        found.pop("flop")
    order = {r: i for i, r in enumerate(ROLES)}
    cols = dict(sorted(found.items(), key=lambda kv: order[kv[0]]))
    return Recognised(lay.name, lay.title, cols, tuple(overridden), lay.day_first)
