"""``sweep()``'s arguments checked and parsed into one SweepRequest (mode, grid, guards, bands,
outputs); every error names the API parameter."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from computesim.cluster import parse_scheduler
from computesim.core import units
from computesim.errors import InputError, require_positive, shown
from computesim.io import arrow as arrow_io
from computesim.kernels import get_backend
from computesim.sweeps.bands import BandSpec, split_uncertain
from computesim.sweeps.grid import SCALAR_TYPES, axis_items, planned_points
from computesim.sweeps.modes import CHUNK_POINTS
from computesim.uncertainty.band import parse_factor, parse_thresholds

MODES = ("materialize", "reduce", "inverse")
#: Grid-size guards (points), overridable with max_points.
MAX_POINTS_MEMORY = 2 * 10**8
MAX_POINTS_STREAM = 10**10


def _limit(max_points: Any) -> int | None:
    """``max_points`` checked: None, or a positive finite whole number of points."""
    if max_points is None:
        return None
    if isinstance(max_points, bool) or not isinstance(max_points, SCALAR_TYPES):
        raise InputError("max_points", f"must be a positive integer, got {shown(max_points)}")
    x = float(max_points)
    if not (math.isfinite(x) and x >= 1 and x == int(x)):
        raise InputError("max_points", f"must be a positive integer, got {shown(max_points)}")
    return int(x)


def _guard(n: int, max_points: int | None, default: int, what: str) -> None:
    limit = default if max_points is None else max_points
    if n > limit:
        raise InputError(
            "max_points",
            f"the grid has {n:.3g} points, over the limit of {limit:.3g} for "
            f"{what}; raise the limit to at least {n:.3g} to allow it",
        )


def _mode(mode: str | None, threshold, quantiles, group_by, target) -> str:
    if mode is None:
        if target is not None:
            return "inverse"
        return "reduce" if (threshold is not None or quantiles or group_by) else "materialize"
    if mode in ("materialise",):
        mode = "materialize"
    if mode not in MODES:
        raise InputError("mode", f"unknown mode {mode!r}; choose {', '.join(MODES)}")
    return mode


def solve_axis(factors: Mapping[str, Any], solve: str | None) -> str:
    if solve is None:
        if factors.get("days") is None and factors.get("hours") is None:
            return "days"
        if factors.get("count") is None:
            return "count"
        raise InputError(
            "solve",
            "inverse mode solves for days or count: leave one of them out, or give solve",
        )
    if solve not in ("days", "count"):
        raise InputError("solve", f"solve for days or count, not {solve!r}")
    return solve


def parse_flag(value: Any, field: str) -> bool:
    """A yes/no setting: only True or False (a string such as "no" is not a bool)."""
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(field, f"must be true or false, got {shown(value)}")
    return bool(value)


def _text(value: Any, field: str) -> str | None:
    """None, or non-empty text."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(field, f"must be text, got {type(value).__name__} {shown(value)}")
    if not value.strip():
        raise InputError(field, "is empty")
    return value.strip()


def _whole(value: Any, field: str, low: int = 1) -> int:
    """A whole number >= ``low`` (an integral float such as 1e6 is accepted)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, SCALAR_TYPES)
        or not math.isfinite(float(value))
        or float(value) != int(value)
        or int(value) < low
    ):
        what = (
            "a positive"
            if low == 1
            else "a non-negative"
            if low == 0
            else f"an integer >= {low}, not a"
        )
        raise InputError(field, f"must be {what} integer, got {shown(value)}")
    return int(value)


def compute_amount(value: Any, field: str) -> float | None:
    """A compute threshold/target in FLOP, or None: ``units.parse_compute`` (text needs a unit, as in
    ``estimate``; a Python number is FLOP)."""
    return None if value is None else units.parse_compute(value, field)


def _quantile_list(quantiles: Any) -> list[float]:
    if quantiles is None:
        return []
    if isinstance(quantiles, (str, bytes)) or not isinstance(quantiles, (list, tuple, np.ndarray)):
        raise InputError("quantiles", f"give a list of numbers in [0, 1], got {shown(quantiles)}")
    if len(quantiles) == 0:
        raise InputError("quantiles", "empty list")
    for q in quantiles:
        if isinstance(q, bool) or not isinstance(q, SCALAR_TYPES) or not 0 <= q <= 1:
            raise InputError("quantiles", f"quantiles must be numbers in [0, 1], got {shown(q)}")
    return [float(q) for q in quantiles]


def _only_in(mode: str, given: Mapping[str, Any], wanted: str, hint: str) -> None:
    """Refuse settings that ``mode`` would ignore."""
    for field_, v in given.items():
        if v is not None and mode != wanted:
            raise InputError(
                field_, f"only used in {wanted} mode ({hint}); this sweep is in {mode} mode"
            )


def _pue(value: Any) -> float:
    """Power usage effectiveness: facility power over IT power, at least 1."""
    pue = require_positive("pue", _real(value, "pue"))
    if pue < 1:
        raise InputError("pue", f"power usage effectiveness is at least 1, got {pue:g}")
    return pue


def _real(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, SCALAR_TYPES):
        raise InputError(field, f"must be a number, got {shown(value)}")
    return float(value)


@dataclass(frozen=True)
class SweepRequest:
    """``sweep()``'s arguments, checked: the mode, the axes (uncertain ones at their medians, their
    spread in ``bands``), the kernel backend and each mode's settings (computes in FLOP)."""

    mode: str
    factors: dict[str, Any]
    bands: BandSpec
    backend: Any  #: a kernels Backend
    out: str | Path | None = None
    overwrite: bool = False
    precision: str | None = None
    max_points: int | None = None
    chunk_points: int = CHUNK_POINTS
    threshold: float | None = None  #: reduce (FLOP)
    quantiles: tuple[float, ...] = ()
    group_by: str | None = None
    target: float | None = None  #: inverse (FLOP)
    solve: str | None = None
    pue: float | None = None  #: inverse (default 1) and materialise (energy column when given)
    price_per_hour: float | None = None
    cost: bool = False  #: cost_usd: at price_per_hour, else each device's reference price
    client: Any = None  #: a distributed.Client or scheduler text (see cluster.connect)
    parts: int | None = None  #: partitions of a cluster run (None: a multiple of the workers)

    def guard(self, default: int, what: str) -> Callable[[int], None]:
        """The grid-size guard (``max_points``, else ``default`` points) for ``build_grid``."""
        return lambda n: _guard(n, self.max_points, default, what)

    def memory_or_file(self, what: str) -> tuple[int, str]:
        """The default size limit and what it is for: a file, or ``what`` in memory."""
        if self.out is not None:
            return MAX_POINTS_STREAM, "a file"
        return MAX_POINTS_MEMORY, f"{what} (write to a file with out=)"


def _bands(method_error, p_above, samples, seed, force_mc, backend: str) -> BandSpec:
    """The band settings, checked (the uncertain axes are added by ``split_uncertain``)."""
    if method_error is not None and (
        isinstance(method_error, bool) or not isinstance(method_error, (str, int, float))
    ):
        raise InputError("method_error", f"give a factor such as '3x', got {shown(method_error)}")
    if p_above is not None and not isinstance(p_above, str):
        p_above = [str(t) if isinstance(t, str) else t for t in axis_items(p_above, "p_above")]
    thresholds = tuple(parse_thresholds(p_above, "p_above")) if p_above is not None else ()
    if p_above is not None and not thresholds:
        raise InputError("p_above", "empty list")
    return BandSpec(
        method_error=None
        if method_error is None
        else parse_factor(str(method_error), "method_error"),
        samples=samples,
        seed=seed,
        force_mc=force_mc,
        backend=backend,
        thresholds=thresholds,
    )


def parse_request(
    factors: Mapping[str, Any],
    *,
    mode: Any = None,
    out: Any = None,
    overwrite: Any = False,
    backend: Any = "auto",
    threshold: Any = None,
    quantiles: Any = None,
    group_by: Any = None,
    target: Any = None,
    solve: Any = None,
    pue: Any = None,
    price_per_hour: Any = None,
    cost: Any = False,
    precision: Any = None,
    max_points: Any = None,
    chunk_points: Any = CHUNK_POINTS,
    method_error: Any = None,
    samples: Any = None,
    seed: Any = 0,
    p_above: Any = None,
    force_mc: Any = False,
    client: Any = None,
    parts: Any = None,
) -> SweepRequest:
    """``sweep()``'s arguments (``factors``: the axes) checked into a SweepRequest; InputError
    naming the parameter otherwise."""
    overwrite, force_mc = parse_flag(overwrite, "overwrite"), parse_flag(force_mc, "force_mc")
    cost = parse_flag(cost, "cost")
    mode, backend = _text(mode, "mode"), _text(backend, "backend")
    precision, group_by, solve = (
        _text(precision, "precision"),
        _text(group_by, "group_by"),
        _text(solve, "solve"),
    )
    limit = _limit(max_points)
    chunk_points = _whole(chunk_points, "chunk_points")
    samples = None if samples is None else _whole(samples, "samples")
    seed = _whole(seed, "seed", 0)
    if backend is None:
        raise InputError("backend", "is empty")
    bands = _bands(method_error, p_above, samples, seed, force_mc, backend)
    facs = split_uncertain(factors, bands)
    be = get_backend(backend, work=planned_points(facs))  # validated whatever the mode
    qs = _quantile_list(quantiles)
    mode = _mode(mode, threshold, qs, group_by, target)
    if bands.active and mode == "reduce":
        raise InputError(
            "mode",
            "uncertain factors give every point a band in materialise or inverse mode, not in"
            " reduce mode; give fixed values or lists instead",
        )
    if bands.thresholds and mode == "inverse":
        raise InputError("p_above", "only used in materialise mode (a probability above a FLOP)")
    if bands.thresholds and not bands.active:
        raise InputError(
            "p_above",
            "needs an uncertain factor (an axis given as a range such as '0.25 to 0.4')"
            " or method_error",
        )
    _only_in(
        mode,
        {"threshold": threshold, "quantiles": quantiles, "group_by": group_by},
        "reduce",
        "threshold, quantiles or group_by",
    )
    _only_in(mode, {"target": target, "solve": solve}, "inverse", "give target")
    for field_, v in {"pue": pue, "price_per_hour": price_per_hour, "cost": cost or None}.items():
        if v is not None and mode == "reduce":  # columns of materialise and inverse mode
            raise InputError(
                field_, "only used in materialise or inverse mode; this sweep is in reduce mode"
            )
    thr = compute_amount(threshold, "threshold")
    _cluster_settings(client, parts)
    if out is not None:
        if not isinstance(out, (str, Path)):
            raise InputError("out", f"give a file name, got {type(out).__name__} {shown(out)}")
        if client is not None and mode != "reduce":  # a dataset directory of Parquet parts
            arrow_io.check_dataset(out, overwrite)
        else:
            arrow_io.check_output(out, overwrite)
    if mode == "inverse" and target is None:
        raise InputError("target", "inverse mode needs a target compute, e.g. 1e25FLOP")
    return SweepRequest(
        mode,
        facs,
        bands,
        be,
        out,
        overwrite,
        precision,
        limit,
        chunk_points,
        thr,
        tuple(qs),
        group_by,
        compute_amount(target, "target"),
        solve,
        None if pue is None else _pue(pue),
        None
        if price_per_hour is None
        else require_positive("price_per_hour", _real(price_per_hour, "price_per_hour")),
        cost or price_per_hour is not None,
        client,
        None if parts is None else _whole(parts, "parts"),
    )


def _cluster_settings(client: Any, parts: Any) -> None:
    """``client``: None, scheduler text (checked now, before any work) or a Client (checked when
    connecting); ``parts`` only with a client."""
    if isinstance(client, str):
        parse_scheduler(client, "client")
    if parts is not None:
        if client is None:
            raise InputError("parts", "only used on a cluster (give client)")
        _whole(parts, "parts")
