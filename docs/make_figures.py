"""Regenerate the documentation figures from the commands the docs show: ``python docs/make_figures.py``.

Each figure is one ``computesim`` run (the same arguments as the transcript printed beside it in
README.md or docs/trends.md, plus ``--plot``), so its caption and the printed numbers agree;
``tests/trends/test_docs_figures.py`` checks the committed figures against a fresh run.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from computesim.trends.synthetic import three_eras_csv

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


def draw(name: str, out: Path, folder: Path) -> int:
    """Draw figure ``name`` to ``out``, running in ``folder`` (where the synthetic data goes)."""
    import os

    from computesim.cli import main

    three_eras_csv(folder / SYNTHETIC)
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
