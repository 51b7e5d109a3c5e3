"""``benchmarks.warmup``: the bytecode step (issue 14, item 4) writes a current .pyc for every
module of the package, even where PYTHONDONTWRITEBYTECODE keeps imports from writing them."""

import importlib.util
import os

from computesim.benchmarks import warmup
from computesim.benchmarks.registry import Case, Workload


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


def test_a_failing_folder_does_not_stop_the_others(tmp_path, monkeypatch):
    """A file that does not compile (fails as root too) makes ``ok`` False, and the folders after
    it are still compiled (``all`` over a generator stopped at the first failure)."""
    first, second = tmp_path / "p1", tmp_path / "p2"
    for d, text in ((first, "def (\n"), (second, "X = 1\n")):
        d.mkdir()
        (d / "__init__.py").write_text("")
        (d / "m.py").write_text(text)
    monkeypatch.setattr(warmup, "package_dirs", lambda: [first, second])
    assert warmup.bytecode()["ok"] is False
    assert os.path.exists(importlib.util.cache_from_source(str(second / "m.py")))


def test_cluster_workloads_warm_on_one_worker_at_the_smallest_size(monkeypatch):
    """A worker compiles its tasks' kernels for the argument types they arrive with: ``warm`` runs
    each cluster workload once on one worker (not two), at the smallest size, checked."""
    ran = []

    def build(name):
        def case(size, backend):
            ran.append((name, backend, size))
            return Case(lambda: size, lambda got: None, items=size)

        return case

    fake = {
        "kernel": Workload(
            "kernel", "x/s", None, ("numba", "reference"), build("kernel"), {"quick": 10**6}
        ),
        "cluster": Workload(
            "cluster", "x/s", None, ("2 workers", "1 worker"), build("cluster"), {"quick": 10**8}
        ),
    }
    monkeypatch.setattr(warmup, "workloads", lambda: fake)
    monkeypatch.setattr(warmup, "bytecode", lambda: {"workload": "python bytecode"})
    monkeypatch.setattr(warmup, "_limits", lambda: 0.0)
    monkeypatch.setattr(warmup, "_sweeps", lambda: 0.0)
    steps = warmup.warm(("numba",))
    want = [("kernel", "numba", s) for s in warmup.SIZES] + [
        ("cluster", "1 worker", min(warmup.SIZES))
    ]
    assert ran == want
    assert [(s["workload"], s["backend"], s["size"]) for s in steps[3:]] == want
