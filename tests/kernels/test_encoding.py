"""One owner for every contract constant: the Monte Carlo encoding (family codes, parameter
widths, table grid) is defined in ``kernels/encoding.py`` only, ``PFS_DAY`` in ``core/units.py``
only; every other module imports them."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from computesim.kernels import encoding

ROOT = Path(__file__).resolve().parents[2]
OWNED = {
    "LOGNORMAL": "kernels/encoding.py",
    "LOGUNIFORM": "kernels/encoding.py",
    "UNIFORM": "kernels/encoding.py",
    "TRUNCNORMAL": "kernels/encoding.py",
    "TRIANGULAR": "kernels/encoding.py",
    "TABLE": "kernels/encoding.py",
    "NPAR": "kernels/encoding.py",
    "NPAR_LUT": "kernels/encoding.py",
    "LUT_TAIL": "kernels/encoding.py",
    "LUT_INTERVALS": "kernels/encoding.py",
    "LUT_SPACING": "kernels/encoding.py",
    "LUT_PAD": "kernels/encoding.py",
    "TAIL2": "kernels/encoding.py",
    "TAIL2_SPACING": "kernels/encoding.py",
    "PFS_DAY": "simulator/core/units.py",
}


def _targets(node: ast.AST):
    """Names bound by an assignment target (tuples unpacked)."""
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, (ast.Tuple, ast.List)):
        for elt in node.elts:
            yield from _targets(elt)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)


def module_level_names(tree: ast.Module):
    """Names assigned at module level (also inside module-level if/try/with blocks, not in
    functions or classes)."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Assign):
            for t in node.targets:
                yield from _targets(t)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            yield from _targets(node.target)
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                stack.extend(getattr(node, field, []))
        elif isinstance(node, ast.ExceptHandler):
            stack.extend(node.body)


def definitions(roots=("kernels", "simulator")) -> dict[str, list[str]]:
    """Each owned name -> the modules (paths relative to the repository) that assign it."""
    found = defaultdict(list)
    for root in roots:
        for path in sorted((ROOT / root).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for name in set(module_level_names(tree)) & OWNED.keys():
                found[name].append(path.relative_to(ROOT).as_posix())
    return dict(found)


def test_each_contract_constant_has_one_owner():
    assert definitions() == {name: [owner] for name, owner in OWNED.items()}


def test_a_second_definition_is_caught():
    tree = ast.parse(
        "if True:\n    A, (NPAR, b) = 1, (2, 3)\nx: int = 0\ndef f():\n    TABLE = 1\n"
    )
    assert set(module_level_names(tree)) == {"A", "NPAR", "b", "x"}


def test_the_encoding_is_consistent():
    codes = [
        encoding.LOGNORMAL,
        encoding.LOGUNIFORM,
        encoding.UNIFORM,
        encoding.TRUNCNORMAL,
        encoding.TRIANGULAR,
        encoding.TABLE,
    ]
    assert codes == list(range(len(codes)))
    assert encoding.NPAR_LUT == encoding.NPAR + 3
    assert encoding.LUT_SPACING == 2.0**-12  # an exact grid: the numba kernel reads word bits
    assert (encoding.LUT_TAIL - encoding.TAIL2) / encoding.TAIL2_SPACING == 960
