"""computesim: estimate the compute used to train ML systems, by counting operations or from
hardware time, with exact arithmetic, honest uncertainty and fast sweeps.

``import computesim`` stays light: NumPy, pyarrow, Numba and CuPy load only when first needed.
"""
from __future__ import annotations

__version__ = "0.1.0"

#: Public names loaded on first use (keeps ``import computesim`` light): NAME -> "module:attr".
_LAZY = {
    "sweep": "computesim.sweep:sweep",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        mod, _, attr = _LAZY[name].partition(":")
        return getattr(importlib.import_module(mod), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
