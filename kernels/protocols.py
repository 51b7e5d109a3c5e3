"""The backend contract: the functions every backend module of a kernel family provides.

A backend module ``<family>_<backend>.py`` implements its family's Protocol below (a module
satisfies a Protocol structurally: the same function names, parameters, order and defaults).
``<family>_reference`` is the documented oracle; tests/kernels/test_backend_conformance.py checks
every backend's signatures and defaults against these Protocols, and mypy checks the modules
against them (the ``TYPE_CHECKING`` block at the end). Array arguments are C-order NumPy arrays
(or CuPy arrays on the cuda backend where noted); float64 unless said otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # NumPy only for the annotations: importing this module stays light
    import numpy as np
    from numpy.typing import ArrayLike

    from .host import BatchSummary, Summary


class SweepFamily(Protocol):
    """Grid sweeps (``sweep_*``): the canonical product of a constant and one value per axis, and
    its reductions without materialising the grid. ``group_axis``: an axis index, or -1 for none
    (G = 1); arguments are flat C-order indices. See ``sweep_reference``."""

    def materialize(
        self,
        axes: Sequence[np.ndarray],
        const: float,
        start: int,
        flop: np.ndarray,
        pfs: np.ndarray,
        cols: np.ndarray,
        codes: np.ndarray,
        code_axis: int,
        per: float,
    ) -> None:
        """Fill points [start, start + len(flop)): flop, pfs = flop / ``per``, cols[a] (axis a's
        value), codes (int32 index on ``code_axis``, ignored when < 0)."""
        ...

    def count_le(
        self, axes: Sequence[np.ndarray], const: float, thresholds: ArrayLike, group_axis: int
    ) -> np.ndarray:
        """int64 (G, R): points with flop <= thresholds[g, r] in group g."""
        ...

    def count_at_least(
        self, axes: Sequence[np.ndarray], const: float, threshold: float, group_axis: int
    ) -> np.ndarray:
        """int64 (G,): points with flop >= threshold per group."""
        ...

    def extremes(
        self, axes: Sequence[np.ndarray], const: float, group_axis: int
    ) -> tuple[np.ndarray, ...]:
        """(min, argmin, max, argmax) per group, each (G,); first occurrences in C order."""
        ...

    def quantiles(
        self, axes: Sequence[np.ndarray], const: float, qs: Sequence[float], group_axis: int
    ) -> np.ndarray:
        """float64 (G, len(qs)): numpy's linear quantiles of the products per group."""
        ...


class McFamily(Protocol):
    """Monte Carlo (``mc_*``): sample the log of a product of independent (or Gaussian-copula
    correlated) variables, encoded as in ``encoding``, and reduce it. See ``mc_reference``."""

    def sample_log(
        self,
        seed: int,
        start: int,
        n: int,
        fam: ArrayLike,
        coef: ArrayLike,
        par: ArrayLike,
        tab: ArrayLike,
        chol: np.ndarray,
        const: float,
        row: int = 0,
    ) -> np.ndarray:
        """log(product) for samples start..start+n-1 (float64[n])."""
        ...

    def summarize(
        self, logs: ArrayLike, ranks: ArrayLike, log_thresholds: ArrayLike, shift: float
    ) -> Summary:
        """Exact order statistics at ``ranks`` and the sums of the log-samples ``logs``."""
        ...

    def reduce(
        self,
        seed: int,
        start: int,
        n: int,
        fam: ArrayLike,
        coef: ArrayLike,
        par: ArrayLike,
        tab: ArrayLike,
        chol: np.ndarray,
        const: float,
        ranks: ArrayLike,
        log_thresholds: ArrayLike,
        shift: float,
        bins: int | None = None,
        exact: bool = False,
        log_range: tuple[float, float] | None = None,
    ) -> Summary:
        """Sample n log-products and reduce them.

        A backend may bin the samples instead of selecting exactly: ``bins`` caps its histogram
        (None: the backend's own choice, e.g. ``mc_numba.HIST_BINS``), ``log_range`` (lo, hi) is
        where the order statistics are expected; its error bounds are ``Summary.error`` and
        ``Summary.mean_error``. ``exact=True`` asks for exact order statistics whatever the cost.
        Backends that always select exactly (reference, cuda) ignore all three."""
        ...

    def bands_batch(
        self,
        seed: int,
        n: int,
        fam: ArrayLike,
        coef: ArrayLike,
        par: ArrayLike,
        tab: ArrayLike,
        const: ArrayLike,
        ranks: ArrayLike,
        log_thresholds: ArrayLike,
        shift: ArrayLike,
        tab_index: ArrayLike | None = None,
        first_row: int = 0,
    ) -> BatchSummary:
        """Row r: n samples of row r's model (Philox counter word 3 = ``first_row`` + r), exact
        order statistics; ``tab`` (rows, k, T), or with ``tab_index`` (rows, k) a shared pool
        (P, T). ``first_row``: the rows' place in a larger batch (a partition of its rows draws
        exactly what the whole batch draws for them)."""
        ...


#: The Protocol of each family, by the family's name in ``<family>_<backend>.py``.
FAMILIES: dict[str, type] = {"sweep": SweepFamily, "mc": McFamily}

if TYPE_CHECKING:  # mypy checks each backend module against its family's Protocol
    from . import mc_cuda, mc_numba, mc_reference, sweep_cuda, sweep_numba, sweep_reference

    _sweep_reference: SweepFamily = sweep_reference
    _sweep_numba: SweepFamily = sweep_numba
    _sweep_cuda: SweepFamily = sweep_cuda
    _mc_reference: McFamily = mc_reference
    _mc_numba: McFamily = mc_numba
    _mc_cuda: McFamily = mc_cuda
