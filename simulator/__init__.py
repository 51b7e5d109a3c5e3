"""computesim: estimate the compute used to train ML systems, by counting operations or from
hardware time, with exact arithmetic, honest uncertainty and fast sweeps.

``import computesim`` stays light: NumPy, pyarrow, Numba and CuPy load only when first needed.
"""
from __future__ import annotations

__version__ = "0.1.0"
