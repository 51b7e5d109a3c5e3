"""Writing figures: the one set of plot formats, the path check, and the atomic save with a caption.

Takes a matplotlib Figure but imports no matplotlib (the callers own the drawing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from computesim.io.arrow import atomic_path, check_output

PLOT_FORMATS = (".png", ".svg", ".pdf")


def check_plot_path(path: str | Path, overwrite: bool = False, field: str = "plot") -> Path:
    """Validate a plot path before any work (``check_output`` with the plot formats)."""
    return check_output(path, overwrite, field, PLOT_FORMATS)


def save_figure(
    fig: Any,
    path: str | Path,
    overwrite: bool = False,
    field: str = "plot",
    caption: list[str] | None = None,
    right: float = 0.97,
) -> Path:
    """Save ``fig`` to ``path`` atomically (a temporary name, renamed when complete).

    ``caption`` lines go under the axes in monospace and, in a PNG, into its Description too;
    ``right`` is the axes' right edge (figure fraction), less when a secondary axis needs room.
    """
    final = Path(path)
    meta = None
    if caption:
        text = "\n".join(caption)
        fig.text(0.01, 0.01, text, fontsize=8, va="bottom", ha="left", family="monospace")
        fig.subplots_adjust(bottom=0.10 + 0.024 * len(caption), left=0.08, right=right, top=0.94)
        meta = {"Description": text} if final.suffix.lower() == ".png" else None
    with atomic_path(final, overwrite, field, PLOT_FORMATS, keep_suffix=True) as tmp:
        fig.savefig(tmp, format=final.suffix.lstrip(".").lower(), dpi=110, metadata=meta)
    return final
