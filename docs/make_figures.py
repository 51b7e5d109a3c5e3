"""Regenerate the documentation figures from the commands the docs show: ``python docs/make_figures.py``.

Each figure is one ``computesim`` run (the same arguments as the transcript printed beside it in
README.md or docs/trends.md, plus ``--plot``), so its caption and the printed numbers agree;
``tests/trends/test_docs_figures.py`` checks the committed figures against a fresh run.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
SYNTHETIC = "three_eras_synthetic.csv"  #: written by ``three_eras_csv`` into the run's folder

#: image file in docs/ -> the computesim arguments that draw it (without --plot)
FIGURES = {
    "trend_examples_2012_2018.png": ["trend", "--examples", "--from", "2012", "--to", "2018"],
    "trend_three_eras_synthetic.png": [
        "trend",
        SYNTHETIC,
        "--breaks",
        "auto",
        "--large",
        "--large-from",
        "2015-09-01",
    ],
}


def three_eras_csv(folder: Path) -> Path:
    """Synthetic systems like the paper's: 1950-2010 doubling every 20 months, 6 months after
    2010 (scatter 0.6 OOM), and 16 systems from September 2015 2 OOM above, doubling every 10."""
    import numpy as np

    l2 = math.log10(2)
    rng = np.random.default_rng(7)
    t = np.sort(np.r_[rng.uniform(1950, 2010, 45), rng.uniform(2010, 2022, 90)])
    y = 12 + 12 * l2 / 20 * (t - 1950) + 12 * l2 * (1 / 6 - 1 / 20) * np.maximum(t - 2010, 0)
    y += rng.normal(0, 0.6, t.size)
    tl = rng.uniform(2015.7, 2022, 16)
    yl = 12 + 12 * l2 / 20 * 65.7 + 12 * l2 * (1 / 6 - 1 / 20) * 5.7 + 2.0
    yl = yl + 12 * l2 / 10 * (tl - 2015.7) + rng.normal(0, 0.3, 16)
    lines = ["System,Publication date,Training compute (FLOP)"]
    for i, (a, b) in enumerate(zip(np.r_[t, tl], np.r_[y, yl])):
        d = dt.date(int(a), 1, 1) + dt.timedelta(days=int((a - int(a)) * 365))
        lines.append(f"{'L' if i >= t.size else 'S'}{i},{d},{10**b:.4e}")
    path = folder / SYNTHETIC
    path.write_text("\n".join(lines) + "\n")
    return path


def draw(name: str, out: Path, folder: Path) -> int:
    """Draw figure ``name`` to ``out``, running in ``folder`` (where the synthetic data goes)."""
    import os

    from computesim.cli import main

    three_eras_csv(folder)
    here = Path.cwd()
    os.chdir(folder)
    try:
        return main([*FIGURES[name], "--plot", str(out.resolve()), "--overwrite"])
    finally:
        os.chdir(here)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        for name in FIGURES:
            if draw(name, DOCS / name, Path(tmp)) != 0:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
