"""Trend plots (matplotlib, the ``plot`` extra; Agg backend, imported only when a plot is made).

Log-scale compute (FLOP, with pfs-days on the right) against date; each point with its band (the
two methods' values where both exist, else the assumed x/÷ noise when propagated); upper bounds as
downward arrows; each fitted line with its bootstrap band; a caption with the doubling times
(also stored in a PNG's "Description" text, so a figure can be checked against a run). Eras found
from the data: their break intervals shaded; large-scale systems ringed, with the regular-scale
and large-scale trends and their bands.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from computesim.core import units
from computesim.io.figures import check_plot_path, save_figure
from computesim.trends.analysis import TrendFits
from computesim.trends.fit import decimal_year

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")


def _to_pfs_days(flop: ArrayLike) -> np.ndarray:
    return np.asarray(flop, float) / units.PFS_DAY


def _to_flop(pfs_days: ArrayLike) -> np.ndarray:
    return np.asarray(pfs_days, float) * units.PFS_DAY


def _fmt_months(m: float | None) -> str:
    return "inf" if m is None or not math.isfinite(m) else f"{m:.3g}"  # as the CLI prints


def _rate(m: float) -> str:
    """'doubling every 4.5 months' or, for a falling trend, 'halving every 5.0 months'."""
    return f"doubling every {_fmt_months(m)}" if m > 0 else f"halving every {_fmt_months(-m)}"


def _caption_line(name: str, d: dict[str, Any]) -> str:
    """One caption line: rate, its interval (doubling months when the growth interval excludes 1x), n."""
    glo, ghi = d["growth_per_year_ci"]
    pct = int(round(d["ci_level"] * 100))
    if glo > 1:
        lo, hi = d["doubling_months_ci"]
        ci = f"{pct}% CI {_fmt_months(lo)}-{_fmt_months(hi)} months"
    else:
        ci = f"{pct}% CI {glo:.2g}-{ghi:.3g}x/year: includes no growth"
    return f"{name}: {_rate(d['doubling_months'])} months ({ci}), {d['growth_per_year']:.2g}x/year, n={d['n_points']}"


def _draw_fit(ax, fit, color: str, label: str, dashed: bool = False) -> None:
    t = np.linspace(float(fit.t.min()), float(fit.t.max()), 100)
    lo, hi = fit.band(t)
    ax.fill_between(t, 10**lo, 10**hi, color=color, alpha=0.15, linewidth=0)
    ax.plot(
        t,
        10 ** fit.predict(t),
        color=color,
        lw=2.5 if dashed else 2,
        ls="--" if dashed else "-",
        label=label,
        zorder=5 if dashed else 2,
    )


def _draw_points(ax, table, t: np.ndarray, noise_factor: float | None) -> None:
    flop = np.asarray(table.column("flop").to_pylist(), float)
    bound = np.asarray(table.column("bound").to_pylist(), object)
    lo = np.array([np.nan if v is None else v for v in table.column("flop_low").to_pylist()], float)
    hi = np.array(
        [np.nan if v is None else v for v in table.column("flop_high").to_pylist()], float
    )
    pt = bound != "upper"
    band = pt & ~np.isnan(lo)
    if noise_factor:
        lo = np.where(pt & np.isnan(lo), flop / noise_factor, lo)
        hi = np.where(pt & np.isnan(hi), flop * noise_factor, hi)
    has = pt & ~np.isnan(lo)
    yerr = np.vstack([flop - np.where(has, lo, flop), np.where(has, hi, flop) - flop])
    ax.errorbar(
        t[pt],
        flop[pt],
        yerr=yerr[:, pt],
        fmt="o",
        color="black",
        ms=5,
        ecolor="0.55",
        elinewidth=1.2,
        capsize=2,
        label="data point"
        + (
            f" (bar: band, else x/÷{noise_factor:g})"
            if noise_factor
            else " (bar: band)"
            if band.any()
            else ""
        ),
        zorder=3,
    )
    if (~pt).any():
        ub = ~pt
        ax.errorbar(
            t[ub],
            flop[ub],
            yerr=flop[ub] * 0.75,
            uplims=True,
            fmt="_",
            color="0.35",
            ms=8,
            label="upper bound (not fitted)",
            zorder=3,
        )
    names = table.column("system").to_pylist()
    if len(names) <= 40:
        for x, y, n in zip(t, flop, names):
            ax.annotate(
                n, (x, y), xytext=(4, 3), textcoords="offset points", fontsize=7, color="0.25"
            )


def plot_trend(
    path: str | Path,
    table,
    report: TrendFits,
    *,
    title: str = "Training compute over time",
    noise_factor: float | None = None,
    overwrite: bool = False,
    extra_caption: str = "",
) -> Path:
    """Draw the points and the fits of ``report`` (a ``fit.TrendFits``) to ``path`` (.png/.svg/.pdf)."""
    import matplotlib  # heavy, and only for plots: loaded when one is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    final = check_plot_path(path, overwrite, "path")
    t = decimal_year(table.column("date").to_numpy(zero_copy_only=False))
    fig, ax = plt.subplots(figsize=(10, 6.2))
    try:
        ax.set_yscale("log")
        _draw_points(ax, table, t, noise_factor)
        fits = report.eras or [report.overall]
        lines = []
        for i, f in enumerate(fits):
            d = f.summary()
            name = f.label if report.eras else "fit"
            _draw_fit(ax, f, _COLORS[i % len(_COLORS)], f"{name}: {_rate(d['doubling_months'])} mo")
            lines.append(_caption_line(name, d))
        if report.eras:
            o = report.overall
            tt = np.linspace(float(o.t.min()), float(o.t.max()), 2)
            ax.plot(
                tt,
                10 ** o.predict(tt),
                color="0.4",
                ls="--",
                lw=1,
                label=f"whole window: {_rate(o.doubling_months)} mo",
            )
            lines.insert(0, _caption_line("whole window", o.summary()))
            for b in [e.start for e in report.eras[1:]]:
                ax.axvline(b, color="0.6", ls=":", lw=1)
        if report.found is not None:
            for lo, hi in report.found.breaks_ci:
                ax.axvspan(lo, hi, color="0.5", alpha=0.12, lw=0)
            lines.append(
                f"eras found: {report.found.chosen.name} (BIC); breaks "
                + ", ".join(
                    f"{b:.1f} ({report.found.level:.0%} CI {lo:.1f}-{hi:.1f})"
                    for b, (lo, hi) in zip(report.found.breaks, report.found.breaks_ci)
                )
            )
        ls = report.large
        if ls is not None:
            if report.data is not None:
                m = ls.mask
                ax.scatter(
                    report.data.t[m],
                    10 ** report.data.y[m],
                    s=90,
                    facecolors="none",
                    edgecolors="#ff7f0e",
                    linewidths=1.8,
                    label=f"large-scale ({ls.n_points} of {ls.n_candidates})",
                    zorder=4,
                )
            for name, lf, color in (
                ("regular-scale", ls.regular, "#17becf"),
                ("large-scale", ls.large, "#ff7f0e"),
            ):
                if lf is not None:
                    _draw_fit(ax, lf, color, f"{name}: {_rate(lf.doubling_months)} mo", dashed=True)
                    lines.append(_caption_line(name, lf.summary()))
            off = ls.offset()
            lines.append(
                f"large-scale rule: {ls.rule.describe()}"
                + (
                    f"; offset {off['oom']:.2f} OOM (CI {off['oom_ci'][0]:.2f}-{off['oom_ci'][1]:.2f})"
                    if off
                    else ""
                )
            )
        if report.n_bounds_excluded:
            lines.append(
                f"{report.n_bounds_excluded} upper bounds drawn as arrows, excluded from the fits; "
                "bands: bootstrap over points"
            )
        if extra_caption:
            lines.append(extra_caption)
        flop = np.asarray(table.column("flop").to_pylist(), float)
        ax.set_ylim(
            flop.min() / 30, flop.max() * 30
        )  # bands of sparse eras may run far off: clip to the data
        span = float(np.ptp(t)) or 1.0
        ax.set_xlim(float(t.min()) - 0.04 * span, float(t.max()) + 0.18 * span)
        ax.set_xlabel("publication date (year)")
        ax.set_ylabel("training compute (FLOP)")
        sec = ax.secondary_yaxis("right", functions=(_to_pfs_days, _to_flop))
        sec.set_ylabel("petaflop/s-days")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
        ax.set_title(title)
        save_figure(fig, final, overwrite, "path", lines, right=0.9)
    finally:
        plt.close(fig)
    return final
