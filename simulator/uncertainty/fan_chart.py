"""Fan chart of a dataset's bands (matplotlib, the ``plot`` extra; Agg, imported only to draw).

Every row with a band and a date: its 90% interval (p5 to p95) as a thin bar, its 50% interval
(p25 to p75) as a thick one, its median as a dot, coloured by where the band came from (bounds,
confidence level, re-derived from hardware or 6 N D); log-scale FLOP against publication date.
Each audit threshold is a dashed line labelled with the expected number of rows above it and its
90% interval. The caption (also the PNG's "Description" text) gives the counts behind the figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from computesim.io.figures import check_plot_path, save_figure
from computesim.uncertainty.rows import RowBands

_COLORS = {"bounds": "#1f77b4", "confidence": "#7f7f7f", "hardware": "#d62728", "ops": "#2ca02c"}


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
    rows = [r for r in cols.to_pylist() if r["date"] is not None and r["p50_flop"] is not None]
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
