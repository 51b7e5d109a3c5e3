"""``benchmarks.warmup``: the bytecode step (issue 14, item 4) writes a current .pyc for every
module of the package, even where PYTHONDONTWRITEBYTECODE keeps imports from writing them."""

import importlib.util
import os

from computesim.benchmarks import warmup


def test_package_dirs_hold_the_three_parts():
    dirs = warmup.package_dirs()
    assert all((d / "__init__.py").is_file() for d in dirs)
    assert {"methods", "mc_numba", "formats"} <= {p.stem for d in dirs for p in d.rglob("*.py")}
    assert not any(o != d and o in d.parents for d in dirs for o in dirs)  # none nested


def test_bytecode_writes_a_current_pyc_for_each_module(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    for f in (pkg / "__init__.py", pkg / "a.py", pkg / "sub" / "__init__.py", pkg / "sub" / "b.py"):
        f.write_text("X = 1\n")
    monkeypatch.setattr(warmup, "package_dirs", lambda: [pkg])
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    step = warmup.bytecode()
    assert step["workload"] == "python bytecode" and step["size"] == 4 and step["ok"]
    for src in pkg.rglob("*.py"):
        pyc = importlib.util.cache_from_source(str(src))
        assert os.path.getmtime(pyc) >= os.path.getmtime(src)
    # a folder that cannot be written: reported, not raised
    (pkg / "c.py").write_text("X = 2\n")
    (pkg / "__pycache__").chmod(0o500)
    try:
        if os.access(pkg / "__pycache__", os.W_OK):  # root: permissions not enforced
            return
        assert warmup.bytecode()["ok"] is False
    finally:
        (pkg / "__pycache__").chmod(0o700)
