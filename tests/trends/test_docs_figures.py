"""The documentation figures are what a run of the commands beside them draws (docs/make_figures.py
regenerates them): the caption stored in each committed PNG equals a fresh run's, and the README's
trend transcript is the command of the figure below it."""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _make_figures():
    spec = importlib.util.spec_from_file_location("make_figures", DOCS / "make_figures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _caption(path: Path) -> str:
    from PIL import Image

    with Image.open(path) as im:
        return im.text["Description"]


@pytest.mark.parametrize("name", list(_make_figures().FIGURES))
def test_committed_figure_matches_a_run(tmp_path, name):
    pytest.importorskip("matplotlib")
    mf = _make_figures()
    out = tmp_path / name
    assert mf.draw(name, out, tmp_path) == 0
    assert _caption(DOCS / name) == _caption(out), "rerun: python docs/make_figures.py"


def test_readme_trend_transcript_is_the_figures_command():
    pytest.importorskip("matplotlib")
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(
        r"^\$ computesim (trend [^\n]*)\n(.*?)```.*?!\[[^\]]*\]\(docs/([^)]+)\)", text, re.S | re.M
    )
    assert m, "README's trend transcript and its figure"
    argv, shown, image = shlex.split(m.group(1)), m.group(2), m.group(3)
    i = argv.index("--plot")
    assert argv[:i] + argv[i + 2 :] == _make_figures().FIGURES[image]
    caption = _caption(DOCS / image)
    for ci in re.findall(r"\b\d+(?:\.\d+)?-\d+(?:\.\d+)?\b", shown):  # each printed interval
        assert f"CI {ci} months" in caption, (ci, caption)


def test_readme_synthetic_counts_match_a_run(tmp_path):
    from computesim.data.datasets import read_csv_points
    from computesim.trends.analysis import analyse
    from computesim.trends.large_scale import LargeRule
    from computesim.trends.synthetic import three_eras_csv

    path = three_eras_csv(tmp_path / "three_eras.csv")
    r = analyse(read_csv_points(path).table, large=LargeRule(start=2015 + 8 / 12), n_boot=200)
    flagged = set(r.large.systems)
    planted = {s for s in read_csv_points(path).table.column("system").to_pylist() if s[0] == "L"}
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = f"{len(flagged & planted)} of the {len(planted)} planted systems ({len(flagged - planted)} others flagged)"
    assert shown in " ".join(text.split()), shown
