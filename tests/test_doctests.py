"""The public API's docstring examples run as doctests, and every public name has one."""

from __future__ import annotations

import doctest
import importlib
import inspect
from pathlib import Path

import pytest

import computesim

ROOT = Path(__file__).resolve().parents[1]
#: package directory -> module prefix (the installed layout, see pyproject's package-dir)
TREES = {"simulator": "computesim", "kernels": "computesim.kernels"}
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules_with_examples() -> list[str]:
    names = []
    for tree, prefix in TREES.items():
        for path in sorted((ROOT / tree).rglob("*.py")):
            if ">>>" not in path.read_text(encoding="utf-8"):
                continue
            parts = path.relative_to(ROOT / tree).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            names.append(".".join((prefix, *parts)))
    return names


@pytest.mark.parametrize("module", _modules_with_examples())
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=FLAGS, verbose=False)
    assert result.failed == 0


PUBLIC = [n for n in computesim.__all__ if n not in ("__version__", "InputError")]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_names_have_examples(name):
    doc = inspect.getdoc(getattr(computesim, name)) or ""
    assert ">>>" in doc, f"computesim.{name} has no runnable example in its docstring"
