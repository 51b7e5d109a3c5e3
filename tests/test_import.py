"""``import computesim`` stays light: no kernels compiled, no heavy optional libraries."""

import subprocess
import sys

HEAVY = ["numba", "pyarrow", "cupy", "matplotlib", "scipy", "numpy"]


def test_import_is_light():
    code = (
        f"import sys, computesim; heavy = {HEAVY!r}; "
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_lazy_public_names():
    import computesim

    assert callable(computesim.estimate_hardware) and "estimate_ops" in dir(computesim)
