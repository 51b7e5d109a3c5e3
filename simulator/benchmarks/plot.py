"""Scaling plot: throughput against size per workload, one line per (backend, threads), the limit
as a dashed line. Needs matplotlib (the ``plot`` extra), imported here only."""

from __future__ import annotations

from pathlib import Path

from computesim.io.figures import save_figure


def plot_scaling(rows: list[dict], path: str | Path) -> Path:
    """Write the scaling plot of ``rows`` to ``path`` (.png, .svg, .pdf) through the one atomic
    writer (``arrow_io.atomic_path``; an existing file is replaced: results accumulate); returns it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r["workload"] for r in rows))
    cols = min(3, len(names)) or 1
    nrows = (len(names) + cols - 1) // cols or 1
    fig, axes = plt.subplots(nrows, cols, figsize=(5 * cols, 3.6 * nrows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        mine = [r for r in rows if r["workload"] == name]
        for key in dict.fromkeys((r["backend"], r["threads"]) for r in mine):
            pts = sorted(
                (r["size"], r["throughput"]) for r in mine if (r["backend"], r["threads"]) == key
            )
            ax.plot(*zip(*pts), marker="o", label=f"{key[0]}, {key[1]} thr")
        for th in sorted({r["threads"] for r in mine if r["limit_value"]}):
            r = next(x for x in mine if x["threads"] == th and x["limit_value"])
            per = r["bytes_per_item"] if r["limit"] == "bandwidth" else 1.0
            ax.axhline(r["limit_value"] / per, ls="--", lw=1, color="grey")
            ax.annotate(
                f"{r['limit']} limit, {th} thr",
                (0.02, 0.02 + 0.06 * (th > 1)),
                xycoords="axes fraction",
                fontsize=7,
                color="grey",
            )
        ax.set(xscale="log", yscale="log", title=name, xlabel="size", ylabel=mine[0]["unit"])
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    machine = rows[0] if rows else {}
    fig.suptitle(
        f"computesim bench --scaling: {machine.get('cpu_model')}, {machine.get('cpu_cores')} cores, "
        f"{machine.get('date')}",
        fontsize=9,
    )
    fig.tight_layout()
    try:
        path = save_figure(fig, path, overwrite=True)
    finally:
        plt.close(fig)
    return path
