"""Synthetic datasets with a known truth, for checking the trend fits and drawing the docs' figures."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np


def three_eras_csv(path: Path, seed: int = 7) -> Path:
    """Synthetic systems like the paper's: 1950-2010 doubling every 20 months, 6 months after
    2010 (scatter 0.6 OOM), and 16 systems from September 2015 2 OOM above, doubling every 10."""
    l2 = math.log10(2)
    rng = np.random.default_rng(seed)
    t = np.sort(np.r_[rng.uniform(1950, 2010, 45), rng.uniform(2010, 2022, 90)])
    y = 12 + 12 * l2 / 20 * (t - 1950) + 12 * l2 * (1 / 6 - 1 / 20) * np.maximum(t - 2010, 0)
    y += rng.normal(0, 0.6, t.size)
    tl = rng.uniform(2015.7, 2022, 16)
    start = 12 + 12 * l2 / 20 * 65.7 + 12 * l2 * (1 / 6 - 1 / 20) * 5.7 + 2.0  # log10 FLOP
    yl = start + 12 * l2 / 10 * (tl - 2015.7) + rng.normal(0, 0.3, 16)
    lines = ["System,Publication date,Training compute (FLOP)"]
    for i, (a, b) in enumerate(zip(np.r_[t, tl], np.r_[y, yl])):
        d = dt.date(int(a), 1, 1) + dt.timedelta(days=int((a - int(a)) * 365))
        lines.append(f"{'L' if i >= t.size else 'S'}{i},{d},{10**b:.4e}")
    path.write_text("\n".join(lines) + "\n")
    return path
