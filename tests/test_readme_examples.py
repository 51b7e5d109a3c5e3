"""Every example in README.md runs and prints what the README shows, so the two cannot drift.

- the ```python blocks run as doctests;
- each ``$ computesim ...`` transcript in a ```text block is run and its output compared line by line;
- each inline ```computesim ...``` command without placeholders runs and exits 0; in those with
  placeholders (``[--flag]``, ``DATA.csv``), every ``--flag`` is one its subcommand accepts;
- the inline Python call ``computesim.sweep(...)`` returns the table it describes.
"""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
TEXT = README.read_text(encoding="utf-8")
DOCS = [README, *sorted((README.parent / "docs").glob("*.md"))]


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", TEXT, re.S)


def _transcripts() -> list[tuple[str, str]]:
    """(command, expected output) for each ``$ computesim`` line of the ```text blocks."""
    out = []
    for block in _blocks("text"):
        for part in re.split(r"^\$ computesim ", block, flags=re.M)[1:]:
            cmd, _, expected = part.partition("\n")
            out.append((cmd, expected.rstrip("\n")))
    return out


def _inline() -> list[str]:
    """The inline `computesim SUBCOMMAND ...` code spans of README.md and docs/."""
    spans = set()
    for path in DOCS:
        spans |= set(re.findall(r"`computesim ([a-z][^`]*)`", path.read_text(encoding="utf-8")))
    return sorted(spans)


PLACEHOLDER = re.compile(r"\[|\b[A-Z]{3,}\b|systems\.csv|scenario\.toml|DATA")


def test_python_blocks_run_as_doctests():
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    blocks = _blocks("python")
    assert blocks, "README has no ```python block"
    for i, block in enumerate(blocks):
        runner.run(parser.get_doctest(block, {}, f"README python block {i}", str(README), 0))
    assert runner.summarize(verbose=False).failed == 0


@pytest.mark.parametrize("cmd, expected", _transcripts(), ids=[c[:60] for c, _ in _transcripts()])
def test_transcript(cli, tmp_path, monkeypatch, cmd, expected):
    monkeypatch.chdir(tmp_path)  # transcripts that write files (--out, --plot) write them here
    r = cli(*shlex.split(cmd))
    assert r.code == 0, r.err
    got = r.out.rstrip("\n").splitlines()
    assert got[: len(expected.splitlines())] == expected.splitlines()


def _template(cmd: str) -> bool:
    """A command shown with placeholders, or a bare subcommand name that the text refers to."""
    return bool(PLACEHOLDER.search(cmd)) or cmd in ("trend", "bands", "sweep", "bench")


RUNNABLE = [c for c in _inline() if not _template(c)]
TEMPLATES = [c for c in _inline() if _template(c)]


@pytest.mark.parametrize("cmd", RUNNABLE)
def test_inline_command_runs(cli, tmp_path, monkeypatch, cmd):
    monkeypatch.chdir(tmp_path)
    if (
        cmd.split()[0] == "warmup"
    ):  # compiles everything (about a minute): tests/cli runs it for real
        monkeypatch.setattr("computesim.benchmarks.warmup.warm", lambda *a, **k: [])
    r = cli(*shlex.split(cmd))
    assert r.code == 0, r.err


@pytest.mark.parametrize("cmd", TEMPLATES)
def test_inline_template_flags_exist(capsys, cmd):
    from computesim.cli import main

    sub = cmd.split()[0]
    with pytest.raises(SystemExit) as done:
        main([sub, "--help"])
    assert done.value.code == 0
    known = set(re.findall(r"--[a-z][a-z-]*", capsys.readouterr().out))
    used = set(re.findall(r"--[a-z][a-z-]*", cmd))
    assert used <= known, f"{sub} has no {sorted(used - known)}"


def test_inline_python_sweep():
    import computesim

    span = re.search(r"`(computesim\.sweep\([^`]*\))`", TEXT)
    assert span, "README no longer shows computesim.sweep(...)"
    table = eval(span.group(1), {"computesim": computesim})
    assert table.num_rows == 2 * 3 * 10 and {"device", "count", "days"} <= set(table.column_names)
