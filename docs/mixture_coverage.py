"""Coverage of the two-line mixture's slope intervals, and what the z rule does without a cluster:
``nice -n 10 python docs/mixture_coverage.py [--seeds 400] [--boot 500]`` prints the tables that
docs/trends.md shows (statistics: the figures do not depend on the host).

Designs (``computesim.trends.synthetic``):

- ``paper-like``: ``three_eras(seed)``, candidates from 2015-09-01 selected by the paper's z rule;
  truth: the planted large-scale line doubling every 10 months (16 systems).
- ``small cluster``: ``small_cluster(seed)``, 8 systems 3 OOM above 40 (the lines barely overlap,
  so the mixture fit is a line through the 8: the small-sample case on its own).
- ``no cluster``: ``three_eras(seed)`` without its planted systems: the share the z rule flags
  and the cluster evidence (delta BIC, two lines vs one) the output states.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from computesim.trends.large_scale import NO_CLUSTER_BIC, LargeRule, large_scale, select
from computesim.trends.mixture import _lines, best_em, boot_interval, bootstrap, em, slope_se
from computesim.trends.synthetic import (
    L2,
    LARGE_DOUBLING_MONTHS,
    SMALL_CLUSTER_DOUBLING_MONTHS,
    fit_data,
    small_cluster,
    three_eras,
)

LEVELS = (0.90, 0.95)
#: (label, EM from the best start?, interval): the old method first, the new one last
METHODS = (
    ("old: rule's start, percentile", False, "percentile"),
    ("rule's start, studentized", False, "studentized"),
    ("new: best start, percentile", True, "percentile"),
    ("best start, studentized", True, "studentized"),
)
START, END = 2015 + 8 / 12, 2022.01  #: candidates: 2015-09-01 (the paper's) to the data's end


def hits(t, y, selected, truth, n_boot, seed) -> tuple[np.ndarray, np.ndarray]:
    """(method, level) -> 1 where the large-scale slope interval covers ``truth``; and each
    start's slope estimate minus the truth."""
    fits = {best: (best_em if best else em)(t, y, selected) for best in (False, True)}
    boots = {
        best: bootstrap(t, y, r[0], n_boot, np.random.default_rng(seed))
        for best, (r, _, _) in fits.items()
    }
    out = np.zeros((len(METHODS), len(LEVELS)))
    for i, (_, best, kind) in enumerate(METHODS):
        r, b1, _ = fits[best]
        s1 = _lines(t[None, :], y[None, :], r)[5]  # the scatter floor the fit's SE uses
        se = float(slope_se(t[None, :], y[None, :], r, s1)[0])
        bb1, sb1, _, _ = boots[best]
        for j, level in enumerate(LEVELS):
            lo, hi = boot_interval(float(b1[0]), se, bb1, sb1, level, kind)
            out[i, j] = lo < truth < hi
    return out, np.array([fits[False][1][0] - truth, fits[True][1][0] - truth])


def design(name: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Candidates' (t, y), the rule's selection among them, the true large-scale slope."""
    if name == "paper-like":
        t, y, _ = three_eras(seed)
        data, (lo, hi), months = fit_data(t, y), (START, END), LARGE_DOUBLING_MONTHS
    else:
        t, y, _ = small_cluster(seed)
        data, (lo, hi), months = (
            fit_data(t, y),
            (-math.inf, math.inf),
            SMALL_CLUSTER_DOUBLING_MONTHS,
        )
    cand, large = select(data, LargeRule(), lo, hi)
    return data.t[cand], data.y[cand], large[cand], 12 * L2 / months


def coverage(seeds: int, n_boot: int) -> list[str]:
    rows = [
        f"| design ({seeds} seeds, {n_boot} resamples) | EM start, interval | 90% | 95% |",
        "|---|---|---|---|",
    ]
    bias_rows = []
    for name in ("paper-like", "small cluster"):
        total, err = np.zeros((len(METHODS), len(LEVELS))), []
        for s in range(seeds):
            t, y, sel, truth = design(name, s)
            h, e = hits(t, y, sel, truth, n_boot, s)
            total, _ = total + h, err.append(e / truth)
        cov = total / seeds
        for i, (label, _, _) in enumerate(METHODS):
            cells = [f"{c:.1%} +- {math.sqrt(c * (1 - c) / seeds):.1%}" for c in cov[i]]
            rows.append(f"| {name} | {label} | {cells[0]} | {cells[1]} |")
        e = np.array(err)
        m, se = e.mean(axis=0), e.std(axis=0, ddof=1) / math.sqrt(seeds)
        bias_rows.append(f"| {name} | {m[0]:+.1%} +- {se[0]:.1%} | {m[1]:+.1%} +- {se[1]:.1%} |")
    return [
        *rows,
        "",
        "| design: large-scale slope, mean error (SE) | rule's start | best start |",
        "|---|---|---|",
        *bias_rows,
    ]


def no_cluster(seeds: int) -> list[str]:
    share, dbic, trusted, trusted_planted = [], [], 0, 0
    for s in range(seeds):
        t, y, planted = three_eras(s)
        ls = large_scale(fit_data(t[~planted], y[~planted]), LargeRule(), START, END, n_boot=100)
        share.append(ls.n_points / ls.n_candidates)
        dbic.append(ls.delta_bic if ls.delta_bic is not None else math.nan)
        trusted += ls.evidence()["trust_large_scale_fit"]
        ls = large_scale(fit_data(t, y), LargeRule(), START, END, n_boot=100)
        trusted_planted += ls.evidence()["trust_large_scale_fit"]
    sh, db = np.array(share), np.array(dbic)
    return [
        f"| {seeds} seeds of three_eras | figure |",
        "|---|---|",
        f"| one trend: share flagged by the z rule, mean (SE) | {sh.mean():.1%} ({sh.std(ddof=1) / math.sqrt(seeds):.1%}) |",
        f"| one trend: share flagged, largest | {sh.max():.1%} |",
        f"| one trend: delta BIC (two lines vs one), largest | {np.nanmax(db):.1f} |",
        f"| one trend: delta BIC below {NO_CLUSTER_BIC:g} (output: no evidence of a cluster) | {int((db < NO_CLUSTER_BIC).sum())} of {seeds} |",
        f"| one trend: large-scale fit marked as trusted | {trusted} of {seeds} |",
        f"| planted cluster: large-scale fit marked as trusted | {trusted_planted} of {seeds} |",
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=400)
    ap.add_argument("--boot", type=int, default=500)
    ap.add_argument("--only", choices=("coverage", "no-cluster"))
    ap.add_argument("--write", action="store_true", help="replace the tables in docs/trends.md")
    a = ap.parse_args(argv)
    for part, make in (
        ("coverage", lambda: coverage(a.seeds, a.boot)),
        ("no-cluster", lambda: no_cluster(a.seeds)),
    ):
        if a.only not in (None, part):
            continue
        block = "\n".join(make())
        print(block, end="\n\n")
        if a.write:
            write(
                part,
                block,
                f"python docs/mixture_coverage.py --only {part} --seeds {a.seeds} --boot {a.boot}",
            )
    return 0


def write(part: str, block: str, command: str) -> None:
    """Put ``block`` between docs/trends.md's markers for ``part``."""
    path = Path(__file__).resolve().parent / "trends.md"
    text = path.read_text(encoding="utf-8")
    begin, end = f"<!-- {part}: begin -->", f"<!-- {part}: end -->"
    head, rest = text.split(begin)
    _, tail = rest.split(end)
    body = f"\n\nWritten by `{command} --write`:\n\n{block}\n\n"
    path.write_text(head + begin + body + end + tail, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
