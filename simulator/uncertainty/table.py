"""Bands for many estimates at once: a table of systems, the worked examples, and sweep grid points.

``bands_table`` gives every row its own band: rows whose uncertain inputs are all lognormal are
exact (unless forced), the others go through one batched Monte Carlo kernel (row r uses Philox
counter word 3 = r, so a row's numbers do not depend on the other rows). ``read_systems`` reads a
CSV or Arrow table of systems, one per row, with the inputs of ``computesim estimate`` as text
("5 to 6 days"). ``grid_bands`` gives sweep grid points a band from shared uncertain factors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from computesim.core import units
from computesim.core.examples import ExampleResult
from computesim.core.methods import HARDWARE_INPUTS, OPS_INPUTS, estimate_hardware, estimate_ops
from computesim.data.table import MAX_CELL, load
from computesim.errors import InputError
from computesim.kernels import get_backend
from computesim.kernels.encoding import NPAR, NPAR_LUT
from computesim.uncertainty.band import (
    MAX_SAMPLES,
    PROBS,
    Band,
    LogModel,
    band,
    exact_band,
    model_of,
    qname,
)

HW_COLUMNS, OPS_COLUMNS = HARDWARE_INPUTS, OPS_INPUTS  #: a systems table's input columns
DEFAULT_BAND_SAMPLES = 10_000


def _ranks(n: int) -> tuple[list[int], dict[float, tuple[int, int, float]]]:
    need = {}
    for p in PROBS:
        h = p * (n - 1)
        lo = int(math.floor(h))
        need[p] = (lo, min(lo + 1, n - 1), h - lo)
    return sorted({r for lo, hi, _ in need.values() for r in (lo, hi)}), need


def _pad(models: Sequence[LogModel]):
    """Kernel arrays of all rows padded to the same number of variables (power 0 for padding)."""
    import numpy as np

    k = max([1] + [len(m.names) for m in models])
    arrays = [m.kernel_arrays() for m in models]
    t = max(a[3].shape[1] for a in arrays)
    fam = np.ones((len(models), k), np.int64)
    coef = np.zeros((len(models), k))
    par = np.zeros((len(models), k, NPAR))
    tab = np.zeros((len(models), k, t))
    for r, (f, c, p, tb, _) in enumerate(arrays):
        fam[r, : len(f)], coef[r, : len(c)], par[r, : len(f)], tab[r, : len(f), : tb.shape[1]] = (
            f,
            c,
            p,
            tb,
        )
    return fam, coef, par, tab


MAX_TABLES = 256  #: lookup tables built per bands_table call (for the most used distributions)


@dataclass(frozen=True)
class _Distinct:
    """The rows' variables by distinct distribution: ``dists`` in order of first use (equal
    distributions are one), ``ids[r, v]`` indexes it (``len(dists)`` where row r has fewer
    variables), ``coef[r, v]`` (0 there), ``const[r]``. Rows sharing their distribution objects
    are looked up once (by the objects' ids), so the cost is one dictionary look-up a row."""

    dists: list[Any]
    ids: Any
    coef: Any
    const: Any

    @classmethod
    def of(cls, models: Sequence[LogModel]) -> _Distinct:
        import numpy as np

        k = max([1] + [len(m.dists) for m in models])
        by_objects: dict[tuple[int, ...], int] = {}  # a row's distribution objects -> its pattern
        by_value: dict[Any, int] = {}
        dists: list[Any] = []
        patterns: list[list[int]] = []
        rows = np.empty(len(models), np.int64)
        for r, m in enumerate(models):
            key = tuple(map(id, m.dists))
            p = by_objects.get(key)
            if p is None:
                ids = []
                for d in m.dists:
                    u = by_value.setdefault(d, len(dists))
                    if u == len(dists):
                        dists.append(d)
                    ids.append(u)
                p = by_objects[key] = len(patterns)
                patterns.append(ids)
            rows[r] = p
        table = np.full((len(patterns), k), len(dists), np.int64)
        for p, ids in enumerate(patterns):
            table[p, : len(ids)] = ids
        pad = [(0.0,) * (k - j) for j in range(k + 1)]
        coef = np.array([tuple(m.coefs) + pad[len(m.coefs)] for m in models], np.float64)
        const = np.array([m.const for m in models], np.float64)
        return cls(dists, table[rows].reshape(len(models), k), coef.reshape(len(models), k), const)

    def log_point(self):
        """Per row: const + the sum of coef x ln(median) over its variables, added in their order
        (the same numbers as ``sum`` over each model's variables)."""
        import numpy as np

        lm = np.array([math.log(d.median) for d in self.dists] + [0.0])[self.ids]
        s = np.zeros(len(self.const))
        for v in range(self.ids.shape[1]):
            s += self.coef[:, v] * lm[:, v]
        return self.const + s

    def exact(self):
        """Per row: every variable with a nonzero power is lognormal (``LogModel.exact``)."""
        import numpy as np

        ln = np.array([d.is_lognormal for d in self.dists] + [True], bool)[self.ids]
        return np.all(ln | (self.coef == 0), axis=1)


def _pooled(models: Sequence[LogModel], distinct: _Distinct | None = None):
    """(fam, coef, par, pool, tab_index) of all rows with their tables shared: one lookup table per
    distinct distribution (``tables.accelerate``), rows index into the pool (padding: power 0).
    ``distinct``: ``_Distinct.of(models)`` when already computed."""
    import numpy as np

    from computesim.kernels.tables import accelerate  # imports NumPy at import time

    dd = _Distinct.of(models) if distinct is None else distinct
    ids, nu = dd.ids, len(dd.dists)
    used = np.bincount(ids[ids < nu], minlength=nu)
    specs = [d.kernel_spec() for d in dd.dists]
    width = max([2] + [len(t) for _, _, t in specs if t is not None])
    ufam = np.array(
        [f for f, _, _ in specs] + [1], np.int64
    )  # the last entry pads (loguniform, power 0)
    upar = np.zeros((nu + 1, NPAR_LUT))
    utab = np.zeros((nu + 1, width))
    for i, (_, p, t) in enumerate(specs):
        upar[i, :6] = p
        if t is not None:
            utab[i, : len(t)] = t
    top = np.argsort(-used, kind="stable")[:MAX_TABLES]
    if len(top):
        tp, tt, _ = accelerate(ufam[top], upar[top], utab[top])
        upar[top] = tp
        pool = np.zeros((nu + 1, tt.shape[1]))
        pool[:, :width] = utab
        pool[top] = tt
    else:
        pool = utab
    return ufam[ids], dd.coef.copy(), upar[ids], pool, ids


def bands_table(
    models: Sequence[LogModel],
    labels: Sequence[dict[str, Any]] | None = None,
    samples: int = DEFAULT_BAND_SAMPLES,
    seed: int = 0,
    thresholds: Sequence[float] = (),
    force_mc: bool = False,
    backend: str = "auto",
    client: Any = None,
    parts: int | None = None,
):
    """A pyarrow Table with one band per model: label columns, then ``point_pfs_days``, ``p5_pfs_days`` ..
    ``p95_pfs_days``, ``mean_pfs_days``, ``spread_factor``, ``exact``, ``samples`` and one
    ``p_above_<FLOP>`` column per threshold (FLOP as in "1e+25").

    ``client``: a ``distributed.Client`` or scheduler text (``local[:N]``, an address): the Monte
    Carlo rows are split into ``parts`` ranges (default: 4 a worker) run on its workers, each row's
    band the same as here (``uncertainty.distributed.batch_rows``)."""
    import numpy as np
    import pyarrow as pa

    if (
        isinstance(samples, bool)
        or not isinstance(samples, (int, np.integer))
        or not 1 <= samples <= MAX_SAMPLES
    ):
        raise InputError(
            "samples", f"must be a whole number from 1 to {MAX_SAMPLES:.0e}, got {samples!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        raise InputError("seed", f"must be a whole number in 0 .. 2**64 - 1, got {seed!r}")
    if any(m.corr is not None for m in models):
        raise InputError("correlate", "correlated inputs are not supported in batched bands")
    n_rows = len(models)
    q = np.empty((n_rows, len(PROBS)))
    mean = np.empty(n_rows)
    above = np.empty((n_rows, len(thresholds)))
    dd = _Distinct.of(models)
    log_point = dd.log_point()
    exact = dd.exact() & (not force_mc)
    for r in np.flatnonzero(exact).tolist():
        b = exact_band(models[r], thresholds)
        q[r] = [b.quantiles[p] for p in PROBS]
        mean[r] = b.mean
        above[r] = [b.p_above[t] for t in thresholds]
    mc = np.flatnonzero(~exact)
    if len(mc):
        every = len(mc) == n_rows  # else the pool is of the Monte Carlo rows' distributions only
        sub = models if every else [models[r] for r in mc.tolist()]
        fam, coef, par, pool, index = _pooled(sub, dd if every else None)
        const, shift = dd.const[mc], log_point[mc]
        ranks, need = _ranks(samples)
        lth = [math.log(t) for t in thresholds]
        if client is None:
            res = get_backend(backend).mc.bands_batch(
                seed, samples, fam, coef, par, pool, const, ranks, lth, shift, tab_index=index
            )
        else:
            from computesim.uncertainty.distributed import batch_rows  # Dask: only when asked

            res = batch_rows(
                client,
                parts,
                backend,
                seed,
                samples,
                (fam, coef, par, pool, const, ranks, lth, shift, index),
            )
        col = {rk: i for i, rk in enumerate(ranks)}
        for j, p in enumerate(PROBS):
            lo, hi, frac = need[p]
            q[mc, j] = np.exp(
                res.order[:, col[lo]] + frac * (res.order[:, col[hi]] - res.order[:, col[lo]])
            )
        mean[mc] = res.sum_exp / samples * np.exp(shift)
        above[mc] = res.above / samples
    pfs = 1 / units.PFS_DAY
    cols: dict[str, Any] = {}
    if labels:
        for key in labels[0]:
            cols[key] = pa.array([lab.get(key) for lab in labels])
    cols["point_pfs_days"] = pa.array(np.array([math.exp(x) for x in log_point.tolist()]) * pfs)
    for j, p in enumerate(PROBS):
        cols[f"{qname(p)}_pfs_days"] = pa.array(q[:, j] * pfs)
    cols["mean_pfs_days"] = pa.array(mean * pfs)
    cols["spread_factor"] = pa.array(q[:, PROBS.index(0.95)] / q[:, PROBS.index(0.5)])
    cols["exact"] = pa.array(exact)
    cols["samples"] = pa.array(np.where(exact, 0, samples), pa.int64())
    for j, t in enumerate(thresholds):
        cols[f"p_above_{t:g}"] = pa.array(above[:, j])
    cols["upper_bound"] = pa.array([m.upper_bound for m in models])
    return pa.table(cols)


def _text_columns(table) -> list[dict[str, str | None]]:
    rows = table.to_pylist()
    out = [
        {
            k: (None if v is None or (isinstance(v, float) and v != v) or v == "" else str(v))
            for k, v in r.items()
        }
        for r in rows
    ]
    for i, r in enumerate(out):
        for k, v in r.items():
            if v is not None and len(v) > MAX_CELL:
                raise InputError(
                    f"row {i + 1} column {k}",
                    f"cell of {len(v)} characters (at most {MAX_CELL}): {v[:20]!r}...",
                )
    return out


def read_systems(path: str) -> list[dict[str, str | None]]:
    """Rows of a table of systems (any file ``data.table.load`` reads: CSV, Parquet, Arrow);
    every value as text (ranges kept as written). A table without rows is an InputError."""
    try:
        table, _ = load(path)
    except InputError as exc:
        raise InputError("INPUT", exc.problem) from None
    if table.num_rows == 0:
        raise InputError("INPUT", f"{path}: no systems (a header but no rows)")
    return _text_columns(table)


#: The parameters estimate's messages name that are columns of a systems table.
_INPUT_COLUMNS = frozenset((*HW_COLUMNS, *OPS_COLUMNS, "method"))


def models_of_rows(rows: Sequence[dict[str, str | None]], method_error: float | None = None):
    """(models, labels) of system rows: ``method`` column "hardware" or "ops" (or guessed from the
    columns given), inputs in the columns HW_COLUMNS / OPS_COLUMNS, optional ``system``."""
    known = {"system", "method", *HW_COLUMNS, *OPS_COLUMNS}
    if rows and not known & set(rows[0]):
        raise InputError(
            "INPUT",
            f"no known column (expected system, method and inputs such as days, tflops, count, "
            f"forward_macs); columns are: {', '.join(list(rows[0])[:10])[:200]}",
        )
    models, labels = [], []
    for i, row in enumerate(rows):

        def g(k: str, row: dict[str, str | None] = row) -> str | None:
            return row.get(k)

        method = g("method") or (
            "hardware" if any(g(c) for c in ("days", "tflops", "device")) else "ops"
        )
        where = f"row {i + 1}"
        try:
            if method == "hardware":
                days = g("days")
                if not days:
                    raise InputError("days", "required for the hardware method")
                est = estimate_hardware(
                    device=g("device"),
                    count=g("count") or 1,
                    days=days,
                    tflops=g("tflops"),
                    utilization=g("utilization"),
                    precision=g("precision"),
                )
            elif method == "ops":
                est = estimate_ops(
                    forward_macs=g("forward_macs"),
                    forward_flop=g("forward_flop"),
                    params=g("params"),
                    tokens=g("tokens"),
                    examples=g("examples"),
                    epochs=g("epochs") or 1,
                    batch_size=g("batch_size"),
                    multiplier=g("multiplier") or 1,
                )
            else:
                raise InputError("method", f"expected hardware or ops, got {method!r}")
        except InputError as exc:
            column = exc.field in _INPUT_COLUMNS
            raise InputError(
                f"{where} column {exc.field}" if column else f"{where} {exc.field}", exc.problem
            ) from None
        models.append(model_of(est, method_error))
        labels.append({"system": g("system") or where, "method": method})
    return models, labels


@dataclass(frozen=True)
class SharedBand:
    """The band of U, the product shared by every point of a sweep grid (see ``grid_bands``),
    computed once; ``at`` gives any points their bands from it without recomputing it."""

    band: Band
    thresholds: tuple[float, ...] = ()
    log_normal: tuple[float, float] | None = None  #: (mu, sigma) of log U, when exact
    sorted_logs: Any = None  #: sorted draws of log U, when Monte Carlo and thresholds are asked

    def at(self, log_offsets) -> dict[str, Any]:
        """Bands (FLOP) of points whose computes are exp(log_offsets) x U: "p5".."p95", "mean",
        "p_above_<FLOP>" and "exact"."""
        import numpy as np

        off = np.asarray(log_offsets, dtype=np.float64)
        b = self.band
        scale = np.exp(off)
        out: dict[str, Any] = {qname(p): scale * b.quantiles[p] for p in PROBS}
        out["mean"] = scale * b.mean
        out["exact"] = b.exact
        for t in self.thresholds:
            if self.log_normal is not None:
                mu, s = self.log_normal
                erfc = np.vectorize(math.erfc, otypes=[float])
                z = (
                    (math.log(t) - off - mu) / s
                    if s > 0
                    else np.where(math.log(t) - off < mu, -np.inf, np.inf)
                )
                out[f"p_above_{t:g}"] = 0.5 * erfc(z / math.sqrt(2))
            else:
                logs = self.sorted_logs
                out[f"p_above_{t:g}"] = 1.0 - np.searchsorted(
                    logs, math.log(t) - off, side="right"
                ) / len(logs)
        return out


def shared_band(
    model: LogModel,
    samples: int | None = None,
    seed: int = 0,
    thresholds: Sequence[float] = (),
    force_mc: bool = False,
    backend: str = "auto",
) -> SharedBand:
    """U's band for ``grid_bands`` (``model``: U, its constant included), computed once."""
    import numpy as np

    b = band(model, samples, seed, (), force_mc, backend)
    if not thresholds:
        return SharedBand(b)
    if b.exact:
        return SharedBand(b, tuple(thresholds), log_normal=model.log_normal_params())
    fam, coef, par, tab, chol = model.kernel_arrays()
    logs = get_backend(backend).mc.sample_log(
        seed, 0, b.samples, fam, coef, par, tab, chol, model.const
    )
    return SharedBand(b, tuple(thresholds), sorted_logs=np.sort(logs))


def grid_bands(
    log_offsets,
    model: LogModel,
    samples: int | None = None,
    seed: int = 0,
    thresholds: Sequence[float] = (),
    force_mc: bool = False,
    backend: str = "auto",
) -> dict[str, Any]:
    """Bands for sweep grid points sharing the same uncertain factors.

    Point g's compute is exp(log_offsets[g]) x U, where U is the product ``model`` describes (its
    constant included; use const=0 for the uncertain part alone). Quantiles and the mean of every
    point are those of U shifted by its offset (one band computed once, no samples written); the
    threshold probabilities are evaluated per point from U's distribution: closed form when exact,
    else the empirical distribution of the same ``samples`` draws. Returns arrays (FLOP) keyed
    "p5".."p95", "mean" and "p_above_<FLOP>", plus "exact". For many chunks of one grid, compute
    ``shared_band`` once and call its ``at`` per chunk.
    """
    return shared_band(model, samples, seed, thresholds, force_mc, backend).at(log_offsets)


# --- the worked examples with bands ------------------------------------------------------------------
def example_model(result: ExampleResult, method_error: float = 2.0) -> tuple[LogModel, str]:
    """A worked example's LogModel with the stated precision of its inputs
    (``ExampleResult.with_stated_precision``), and those assumptions as text.

    Plus a method error with 90% interval /f to xf (default 2x: the source's "within 2-3x").
    All ranges are lognormal 90% intervals, so every band is exact.
    """
    est, notes = result.with_stated_precision()
    notes.append(f"method error /{method_error:g} to x{method_error:g}")
    return model_of(est, method_error), "; ".join(notes)
