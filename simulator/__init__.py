"""computesim: estimate the compute used to train ML systems, by counting operations or from
hardware time, with exact arithmetic, honest uncertainty and fast sweeps.

``import computesim`` stays light: NumPy, pyarrow, Numba and CuPy load only when first needed.

    >>> import computesim
    >>> computesim.estimate_hardware(device="GTX 580", count=2, days=5.5).pfs_days  # AlexNet
    0.0057354
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public names, imported on first use: NAME -> "module:attribute".
_LAZY = {
    "estimate_hardware": "computesim.core.methods:estimate_hardware",
    "estimate_ops": "computesim.core.methods:estimate_ops",
    "estimate_transformer": "computesim.core.transformer_ops:estimate_transformer",
    "TransformerShape": "computesim.core.transformer:TransformerShape",
    "energy": "computesim.core.cost:energy",
    "emissions": "computesim.core.cost:emissions",
    "cost": "computesim.core.cost:cost",
    "reference_price": "computesim.core.cost:reference_price",
    "compare": "computesim.core.methods:compare",
    "reported": "computesim.core.methods:reported",
    "Estimate": "computesim.core.methods:Estimate",
    "run_examples": "computesim.core.examples:run_examples",
    "cumulative_band": "computesim.core.stages:cumulative_band",
    "run_modern_examples": "computesim.core.modern_examples:run_modern_examples",
    "trend_report": "computesim.trends.report:trend_report",
    "TrendReport": "computesim.trends.report:TrendReport",
    "LargeRule": "computesim.trends.large_scale:LargeRule",
    "find_eras": "computesim.trends.eras:find_eras",
    "fit_efficiency": "computesim.trends.efficiency:fit_efficiency",
    "mixture_fit": "computesim.trends.mixture:mixture_fit",
    "find_profile": "computesim.hardware_profiles:find_profile",
    "precision_of": "computesim.hardware_profiles.formats:precision_of",
    "get_backend": "computesim.kernels:get_backend",
    "InputError": "computesim.errors:InputError",
    "sweep": "computesim.sweeps.engine:sweep",
    "read_table": "computesim.data.table:read_table",
    "bands": "computesim.uncertainty.rows:bands",
    "band": "computesim.uncertainty.band:band",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name].split(":")
    except KeyError:
        raise AttributeError(f"module 'computesim' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
