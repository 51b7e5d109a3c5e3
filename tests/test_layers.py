"""The layout is the architecture (ARCHITECTURE.md): each layer imports only layers below it, no
module imports itself back through others, and the kernels import nothing of the estimator.

The import graph is read from the source (every ``import``, at the top or inside a function).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Layers from the bottom up; a module may import its own layer and the layers before it.
LAYERS = (
    "kernels",
    "computesim",
    "errors",
    "io",
    "cluster",
    "hardware_profiles",
    "core",
    "data",
    "uncertainty",
    ("sweeps", "trends"),
    "benchmarks",
    ("cli", "__main__"),
)
FOLDERS = {
    "simulator": "computesim",
    "kernels": "computesim.kernels",
    "hardware_profiles": "computesim.hardware_profiles",
}


def _rank(module: str) -> int:
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else "computesim"
    for i, layer in enumerate(LAYERS):
        if name == layer or (isinstance(layer, tuple) and name in layer):
            return i
    raise AssertionError(f"{module}: in no layer of LAYERS (add it to ARCHITECTURE.md and LAYERS)")


def _modules() -> dict[str, Path]:
    out = {}
    for folder, package in FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT / folder).with_suffix("").parts
            rel = rel[:-1] if rel[-1] == "__init__" else rel
            out[".".join((package, *rel))] = path
    return out


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The computesim modules ``module`` imports (relative imports resolved)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1]
                    + ([base] if base else [])
                )
            for (
                alias
            ) in node.names:  # "from pkg import module" names a module; else the package itself
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m.split(".")[0] == "computesim" and m in known}


def graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: _imports(m, p, set(mods)) - {m} for m, p in mods.items()}


def test_every_import_goes_down_the_layers():
    bad = [
        f"{m} (layer {_rank(m)}) imports {t} (layer {_rank(t)})"
        for m, targets in graph().items()
        for t in sorted(targets)
        if _rank(t) > _rank(m)
    ]
    assert not bad, "\n".join(bad)


def test_kernels_import_nothing_of_the_estimator():
    bad = [
        f"{m} imports {t}"
        for m, targets in graph().items()
        if m.startswith("computesim.kernels")
        for t in targets
        if not t.startswith("computesim.kernels")
    ]
    assert not bad, "\n".join(bad)


def test_no_import_cycle():
    g = graph()
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for t in sorted(g[m]):
            if state.get(t) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(t) :] + [t]))
            if t not in state:
                visit(t, path + [t])
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m, [m])


def test_the_checker_sees_a_violation():
    """The graph is real: a known downward import is found, and an upward one would be ranked as such."""
    g = graph()
    assert "computesim.errors" in g["computesim.core.methods"]
    assert (
        _rank("computesim.cli.sweep")
        > _rank("computesim.sweeps.engine")
        > _rank("computesim.core.units")
    )
