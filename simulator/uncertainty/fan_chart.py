"""Fan chart of a dataset's bands (matplotlib, the ``plot`` extra; Agg, imported only to draw).

Every row with a band and a date: its 90% interval (p5 to p95) as a thin bar, its 50% interval
(p25 to p75) as a thick one, its median as a dot, coloured by where the band came from (bounds,
confidence level, re-derived from hardware or 6 N D); log-scale FLOP against publication date.
Each audit threshold is a dashed line labelled with the expected number of rows above it and its
90% interval; the trend (``trend_line``: least squares of log10 median on date) is a solid line
with its doubling time. The caption (also the PNG's "Description" text) gives the counts behind
the figure. ``plot_probability`` draws the threshold audit: each row's P(compute > threshold)
over time, and the expected number above each threshold by year with its 90% interval.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from computesim.errors import InputError
from computesim.io.figures import check_plot_path, save_figure
from computesim.uncertainty.audit import UNCERTAIN
from computesim.uncertainty.band import threshold_key
from computesim.uncertainty.rows import RowBands

_COLORS = {"bounds": "#1f77b4", "confidence": "#7f7f7f", "hardware": "#d62728", "ops": "#2ca02c"}


def _year(d: dt.date) -> float:
    """A date as a decimal year (2020-07-02 -> about 2020.5)."""
    start = dt.date(d.year, 1, 1)
    return d.year + (d - start).days / (dt.date(d.year + 1, 1, 1) - start).days


@dataclass(frozen=True)
class TrendLine:
    """log10(compute in FLOP) = intercept + slope x (decimal year): least squares over the rows'
    medians, each row weighted alike; ``doubling_months``: 12 log10(2) / slope."""

    slope: float  #: orders of magnitude per year
    intercept: float
    rows: int
    first: float  #: decimal years the fit spans
    last: float

    @property
    def doubling_months(self) -> float:
        return 12 * math.log10(2) / self.slope if self.slope > 0 else math.inf

    def at(self, year: float) -> float:
        """The line's compute (FLOP) at a decimal year."""
        return 10 ** (self.intercept + self.slope * year)


def trend_line(rb: RowBands) -> TrendLine | None:
    """The least-squares line of log10(median) on date over rows with a band and a date (None
    with fewer than 3 such rows or a single date). The full doubling-time fit, with each point
    redrawn from its band, is ``computesim trend --propagate``.

    >>> import pyarrow as pa
    >>> from computesim.data.table import read_table
    >>> from computesim.uncertainty.rows import dataset_bands
    >>> ds = read_table(
    ...     pa.table(
    ...         {
    ...             "Model": ["a", "b", "c"],
    ...             "Publication date": ["2018-01-01", "2019-01-01", "2020-01-01"],
    ...             "Training compute (FLOP)": [1e20, 1e21, 1e22],
    ...             "Confidence": ["Likely"] * 3,
    ...         }
    ...     )
    ... )
    >>> t = trend_line(dataset_bands(ds))
    >>> round(t.slope, 6), round(t.doubling_months, 2)
    (1.0, 3.61)
    """
    import numpy as np

    cols = rb.table.select(["date", "p50_flop"]).to_pylist()
    pts = [(_year(r["date"]), math.log10(r["p50_flop"])) for r in cols if _drawn(r)]
    if len(pts) < 3:
        return None
    x, y = np.array(pts).T
    if np.ptp(x) == 0:
        return None
    slope, intercept = np.polyfit(x, y, 1)
    return TrendLine(float(slope), float(intercept), len(pts), float(x.min()), float(x.max()))


def _drawn(r: dict[str, Any]) -> bool:
    return r["date"] is not None and r["p50_flop"] is not None and r["p50_flop"] > 0


def caption(rb: RowBands, shown: int) -> list[str]:
    """The figure's caption lines: rows drawn, by band source, and each threshold's count."""
    by = ", ".join(f"{v} {k}" for k, v in rb.counts().items())
    lines = [f"{shown} of {rb.table.num_rows} rows drawn (a band and a date); rows: {by}"]
    for a in rb.audits:
        lo, hi = a.interval
        lines.append(
            f"above {a.threshold_flop:g} FLOP: expected {a.expected:.2f} (90% interval {lo}-{hi}), "
            f"{len(a.uncertain)} uncertain"
        )
    t = trend_line(rb)
    if t is not None:
        lines.append(
            f"trend (least squares of log10 median on date, {t.rows} rows): "
            f"x{10**t.slope:.3g} a year, doubling every {t.doubling_months:.3g} months"
        )
    lines.append("bars: 90% (thin) and 50% (thick) intervals; dot: median")
    return lines


def plot_bands(
    path: str | Path,
    rb: RowBands,
    *,
    title: str = "Training compute: a band for every row",
    overwrite: bool = False,
) -> Path:
    """Draw every row's band over time with the audit's thresholds to ``path`` (.png/.svg/.pdf),
    written atomically (nothing is left at ``path`` on failure). Returns the path written."""
    import matplotlib  # heavy, and only for plots: loaded when one is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    final = check_plot_path(path, overwrite, "path")
    q = ["p5_flop", "p25_flop", "p50_flop", "p75_flop", "p95_flop"]
    cols = rb.table.select(["date", "band_source", *q])
    rows = [r for r in cols.to_pylist() if _drawn(r)]
    fig, ax = plt.subplots(figsize=(10, 6.2))
    try:
        ax.set_yscale("log")
        for src, color in _COLORS.items():
            sel = [r for r in rows if r["band_source"] == src]
            if not sel:
                continue
            _draw(ax, sel, color, f"{src} ({len(sel)})")
        for a in rb.audits:
            ax.axhline(a.threshold_flop, color="k", ls="--", lw=1)
            lo, hi = a.interval
            ax.annotate(
                f"{a.threshold_flop:g} FLOP: E[n above] {a.expected:.1f} ({lo}-{hi})",
                (0.01, a.threshold_flop),
                xycoords=("axes fraction", "data"),
                va="bottom",
                fontsize=8,
            )
        t = trend_line(rb)
        if t is not None:
            ends: Any = [  # dates: matplotlib's stubs want numbers, its date axis takes these
                dt.date(int(y), 1, 1) + dt.timedelta(days=365.25 * (y % 1))
                for y in (t.first, t.last)
            ]
            ax.plot(
                ends,
                [t.at(t.first), t.at(t.last)],
                color="k",
                lw=1.5,
                label=f"trend: doubling {t.doubling_months:.3g} months",
                zorder=4,
            )
        lines = caption(rb, len(rows))
        ax.set_xlabel("publication date")
        ax.set_ylabel("training compute (FLOP)")
        ax.grid(True, which="major", alpha=0.3)
        if rows:
            ax.legend(loc="upper left", fontsize=8, framealpha=0.9, title="band from")
        ax.set_title(title)
        save_figure(fig, final, overwrite, "path", lines)
    finally:
        plt.close(fig)
    return final


def _draw(ax: Any, rows: list[dict[str, Any]], color: str, label: str) -> None:
    d = [r["date"] for r in rows]
    ax.vlines(d, [r["p5_flop"] for r in rows], [r["p95_flop"] for r in rows], color=color, lw=0.8)
    ax.vlines(d, [r["p25_flop"] for r in rows], [r["p75_flop"] for r in rows], color=color, lw=2.4)
    ax.scatter(d, [r["p50_flop"] for r in rows], s=9, color=color, label=label, zorder=3)


def plot_probability(
    path: str | Path,
    rb: RowBands,
    *,
    title: str = "Training compute above thresholds",
    overwrite: bool = False,
) -> Path:
    """Draw the threshold audit to ``path`` (.png/.svg/.pdf), atomically: above, each row's
    P(compute > threshold) against its date (one colour per threshold; the shaded band
    0.05 < P < 0.95 marks uncertain classifications); below, the expected number of rows above
    each threshold by year, with its exact 90% interval. InputError(thresholds) without any."""
    if not rb.audits:
        raise InputError("thresholds", "the probability chart needs at least one threshold")
    import matplotlib  # heavy, and only for plots: loaded when one is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    final = check_plot_path(path, overwrite, "path")
    fig, (top, low) = plt.subplots(2, 1, figsize=(10, 8), sharex=False, height_ratios=(3, 2))
    try:
        lines = []
        top.axhspan(UNCERTAIN[0], UNCERTAIN[1], color="#f2f2f2", zorder=0)
        for k, a in enumerate(rb.audits):
            color = f"C{k}"
            name = f"p_above_{threshold_key(a.threshold_flop)}"
            pts = [
                (r["date"], r[name])
                for r in rb.table.select(["date", name]).to_pylist()
                if r["date"] is not None and r[name] is not None
            ]
            label = f"{a.threshold_flop:g} FLOP"
            if pts:
                d, p = zip(*pts)
                top.scatter(d, p, s=9, color=color, label=label, alpha=0.8)
            years = [y for y in a.by_year if y != "unknown"]
            if years:
                e = [a.by_year[y]["expected"] for y in years]
                lo = [a.by_year[y]["interval_90"][0] for y in years]
                hi = [a.by_year[y]["interval_90"][1] for y in years]
                x = [int(y) + 0.1 * (k - (len(rb.audits) - 1) / 2) for y in years]
                low.vlines(x, lo, hi, color=color, lw=2, alpha=0.6)  # a count: may miss E
                low.scatter(x, e, color=color, s=16, label=label, zorder=3)
            lo_, hi_ = a.interval
            lines.append(
                f"above {label}: expected {a.expected:.2f} rows (90% interval {lo_}-{hi_}), "
                f"{a.certain_above} with P >= {UNCERTAIN[1]:g}, {len(a.uncertain)} uncertain"
            )
        lines.append(
            f"shaded: {UNCERTAIN[0]:g} < P < {UNCERTAIN[1]:g} (uncertain); counts: exact "
            "Poisson-binomial 90% intervals, rows independent"
        )
        top.set_ylim(-0.03, 1.03)
        top.set_ylabel("P(compute > threshold)")
        top.set_xlabel("publication date")
        top.legend(loc="upper left", fontsize=8, title="threshold")
        top.set_title(title)
        low.set_xlabel("publication year")
        low.set_ylabel("expected rows above (90% interval)")
        low.grid(True, alpha=0.3)
        save_figure(fig, final, overwrite, "path", lines)
    finally:
        plt.close(fig)
    return final
