"""Sweep workloads (kernel family "sweep", issue 4's benchmarks), defined once for ``computesim
bench`` and bench/bench_sweep.py alike.

The grid is the card's 4-D hardware sweep, ``--device K40,K80 --count ... --days 1:365:Nlog
--utilization 0.2:0.5:N``: devices (peak TFLOP/s, with device codes) x count x days x utilization.

* "materialized sweep": every point's flop, pfs-days, 4 axis columns and device code written to
  memory (52 B/point, every byte counted), checked against the canonical product.
* "reduced sweep": count at or above a threshold, min/max with their arguments, 3 quantiles, nothing
  materialised; checked by exact counting (and against the NumPy reference on small grids).
* "arrow write" / "parquet write": the materialised sweep on disk: "reference" writes its raw
  column bytes (no format: the baseline), "pyarrow" writes the table (``arrow_io.write_table``),
  "stream" streams it chunk by chunk from the Numba kernel (``arrow_stream.write_batches``, what
  ``computesim sweep --out`` does, materialisation included).

Importing this module fails until ``computesim.kernels.sweep_reference`` exists.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np

from computesim.core.units import PFS_DAY
from computesim.io.arrow import write_table
from computesim.io.stream import write_batches
from computesim.kernels import (
    available_backends,
    get_backend,
    sweep_reference,  # noqa: F401
)
from computesim.sweeps.axes import AXES
from computesim.sweeps.grid import Axis, Grid
from computesim.sweeps.modes import materialize_batches, materialize_table

from .registry import Case, Workload, capped, register

CONST = 1e12 * 86400.0  #: FLOP per (TFLOP/s x device x day x unit utilization)
PEAKS = (4.2, 8.5)  #: K40, K80 peak TFLOP/s (the source's figures), ascending
DEVICES = ("K40", "K80")
QS = (0.05, 0.5, 0.95)
CHECK_POINTS = 4096  #: points compared one by one with the canonical product
REF_CHECK_MAX = 10**6  #: grids up to this size are also compared with the NumPy reference backend


def grid(size: int) -> list[np.ndarray]:
    """Four strictly increasing axes (device peaks, count, days, utilization); exactly ``size``
    points when ``size`` is a power of ten >= 10."""
    dev = np.array(PEAKS[: 2 if size >= 2 else 1])
    rest = max(1, size // len(dev))
    util = min(rest, 100)
    days = max(1, min(rest // util, 1000))
    count = max(1, rest // (util * days))
    return [
        dev,
        np.arange(1.0, count + 1),
        np.geomspace(1.0, 365.0, days),
        np.linspace(0.2, 0.5, util),
    ]


def _shape(axes) -> list[int]:
    return [len(a) for a in axes]


def canonical(axes: list[np.ndarray], flat: np.ndarray | list[int]) -> np.ndarray:
    """The canonical product ((const * a0) * a1) * ... at flat C-order indices, independently."""
    idx = np.unravel_index(np.asarray(flat, np.int64), _shape(axes))
    out = np.full(len(np.atleast_1d(flat)), CONST)
    for a, i in zip(axes, idx):
        out = out * a[i]
    return out


def _prefix(axes: list[np.ndarray]) -> np.ndarray:
    """Products of all but the last axis, in C order, rounded as the kernels round them."""
    pre = np.array([CONST])
    for a in axes[:-1]:
        pre = (pre[:, None] * a[None, :]).ravel()
    return pre


def sorted_prefix(axes: list[np.ndarray]) -> np.ndarray:
    """``_prefix(axes)`` sorted: what ``count_at_least_exact`` searches (sort once, count often)."""
    return np.sort(_prefix(axes))


def count_at_least_exact(
    axes: list[np.ndarray], threshold: float, pre: np.ndarray | None = None
) -> int:
    """Points with canonical product >= threshold: for each value v of the last axis, the points
    ``prefix * v`` at or above it, by a search in the sorted prefixes (``pre``: ``sorted_prefix``,
    computed here if not given). A rounded product is monotone in ``prefix`` for a fixed v, so the
    search's start (from ``threshold / v``, which rounds) is moved to the exact first index with
    ``prefix * v >= threshold``. One sort of the prefixes (10^7 at 10^9 points, ~1 s) serves every
    threshold; each count then costs len(last axis) searches (was a 10^7-element pass, ~1.5 s)."""
    pre = sorted_prefix(axes) if pre is None else pre
    m, total = len(pre), 0
    for v in axes[-1].tolist():
        i = int(np.searchsorted(pre, threshold / v, side="left"))
        while i > 0 and pre[i - 1] * v >= threshold:
            i -= 1
        while i < m and pre[i] * v < threshold:
            i += 1
        assert (i == m or pre[i] * v >= threshold) and (i == 0 or pre[i - 1] * v < threshold)
        total += m - i
    return total


def _backend(name: str):

    return get_backend(name).sweep


def _outputs(n: int, k: int):
    out = np.empty(n), np.empty(n), np.empty((k, n)), np.empty(n, np.int32)
    for a in out:
        a.fill(0)  # fault the pages in outside the timing
    return out


def _materialized(size: int, backend: str) -> Case:
    axes = grid(capped(size, backend))
    n = math.prod(_shape(axes))
    kern = _backend(backend)
    out = _outputs(n, len(axes))

    def run():
        kern.materialize(axes, CONST, 0, *out, 0, PFS_DAY)
        return out

    def check(got):
        f, p, c, k = got
        at = np.unique(np.r_[np.linspace(0, n - 1, CHECK_POINTS).astype(np.int64), n - 1])
        assert np.array_equal(f[at], canonical(axes, at)), "flop differs from the canonical product"
        assert np.array_equal(p[at], f[at] / PFS_DAY), "pfs-days != flop / PFS_DAY"
        idx = np.unravel_index(at, _shape(axes))
        for a in range(len(axes)):
            assert np.array_equal(c[a, at], axes[a][idx[a]]), f"axis column {a}"
        assert np.array_equal(k[at], idx[0]), "device codes"

    return Case(run, check, items=n, bytes_out=sum(a.nbytes for a in out))


def reduce_all(kern, axes: list[np.ndarray], threshold: float):
    """Count >= threshold, (min, argmin, max, argmax), quantiles QS: one reduction of the grid."""
    return (
        kern.count_at_least(axes, CONST, threshold, -1),
        kern.extremes(axes, CONST, -1),
        kern.quantiles(axes, CONST, list(QS), -1),
    )


def _check_quantile(axes, n: int, q: float, p: float, pre: np.ndarray) -> None:
    """q lies between the order statistics that np.quantile (linear) interpolates: by counting."""
    lo = math.floor(p * (n - 1))
    at_most = n - count_at_least_exact(axes, np.nextafter(q * (1 + 1e-12), np.inf), pre)
    below = n - count_at_least_exact(axes, q * (1 - 1e-12), pre)
    assert at_most >= lo + 1 and below <= lo + 1, (
        f"quantile {p}: {q!r} is not order statistic {lo}..{lo + 1}"
    )


def check_reduced(axes: list[np.ndarray], threshold: float, got, backend: str) -> None:
    """Exact count, exact extremes (the product is monotone in every increasing axis), quantiles by
    counting; on small grids also equal to the NumPy reference (exact; quantiles rtol 1e-12)."""
    count, (mn, amn, mx, amx), q = got
    n = math.prod(_shape(axes))
    pre = sorted_prefix(axes)
    assert np.asarray(count).tolist() == [count_at_least_exact(axes, threshold, pre)], count
    assert np.asarray(mn).tolist() == canonical(axes, [0]).tolist() and np.asarray(
        amn
    ).tolist() == [0], (mn, amn)
    assert np.asarray(mx).tolist() == canonical(axes, [n - 1]).tolist(), mx
    assert 0 <= int(amx[0]) < n and canonical(axes, [int(amx[0])])[0] == mx[0], amx
    q = np.asarray(q)
    assert q.shape == (1, len(QS)) and np.all(np.diff(q[0]) >= 0), q
    for p, v in zip(QS, q[0]):
        _check_quantile(axes, n, float(v), p, pre)
    if backend != "reference" and n <= REF_CHECK_MAX:
        want = reduce_all(_backend("reference"), axes, threshold)
        assert np.array_equal(count, want[0]) and all(
            np.array_equal(a, b) for a, b in zip(got[1], want[1])
        )
        np.testing.assert_allclose(q, want[2], rtol=1e-12)


def _reduced(size: int, backend: str) -> Case:
    axes = grid(capped(size, backend))
    n = math.prod(_shape(axes))
    kern = _backend(backend)
    thr = float(canonical(axes, [n // 3])[0])

    return Case(
        lambda: reduce_all(kern, axes, thr),
        lambda got: check_reduced(axes, thr, got, backend),
        items=n,
    )


def sweep_grid(size: int):
    """The 4-D grid as a ``computesim.sweeps.grid.Grid`` (device column labelled K40, K80)."""

    a = grid(size)
    axes = [
        Axis("device", a[0], AXES["device"], DEVICES[: len(a[0])]),
        Axis("count", a[1], AXES["count"]),
        Axis("days", a[2], AXES["days"]),
        Axis("utilization", a[3], AXES["utilization"]),
    ]
    return Grid("hardware", axes, CONST)


def sweep_table(size: int):
    """The materialised 4-D sweep of about ``size`` rows as a pyarrow Table: device, peak, count,
    days, utilization, flop, pfs_days (the table the Arrow/Parquet write workloads write)."""
    return materialize_table(sweep_grid(size), get_backend("numba"))


def _writer(fmt: str):
    def build(size: int, backend: str) -> Case:
        import pyarrow as pa

        tmp = tempfile.TemporaryDirectory(prefix="computesim-bench-")
        path = Path(tmp.name) / f"results.{fmt}"
        g = sweep_grid(size)
        table = sweep_table(size)
        run = {"reference": _raw_bytes, "pyarrow": _table_write, "stream": _stream_write}[backend](
            table, g, path
        )

        def check(p):
            if backend == "reference":
                assert p.stat().st_size >= table.nbytes - table.num_rows // 8 - 64, p.stat().st_size
                return
            back = _read(p, fmt)
            assert back.num_rows == table.num_rows and back.schema.names == table.schema.names
            assert back.select(["flop", "pfs_days"]).equals(table.select(["flop", "pfs_days"]))
            tail = table.num_rows - 3
            assert back["device"].slice(tail).to_pylist() == table["device"].slice(tail).to_pylist()
            assert isinstance(back["device"].type, pa.DictionaryType)

        return Case(run, check, items=table.num_rows, bytes_out=table.nbytes, close=tmp.cleanup)

    return build


def _read(path: Path, fmt: str):
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    if fmt == "parquet":
        return pq.read_table(path)
    with ipc.open_file(str(path)) as f:
        return f.read_all()


def _raw_bytes(table, g, path):
    cols = [c.combine_chunks() for c in table.columns]

    def run():
        with open(path, "wb") as f:
            for c in cols:
                for buf in c.buffers():
                    if buf is not None:
                        f.write(buf)
        return path

    return run


def _table_write(table, g, path):

    return lambda: write_table(table, path, {"kind": "bench"}, overwrite=True)


def _stream_write(table, g, path):

    be = get_backend("numba")
    return lambda: write_batches(
        path, table.schema, materialize_batches(g, be), {"kind": "bench"}, overwrite=True
    )


def _kernel_backends() -> tuple[str, ...]:

    return ("reference", "numba") + (("cuda",) if "cuda" in available_backends() else ())


_BACKENDS = _kernel_backends()
register(
    Workload(
        "materialized sweep",
        "points/s",
        "bandwidth",
        _BACKENDS,
        _materialized,
        {"quick": 10**7, "full": 10**8},
        scaling=10**8,
        reference_max=10**8,
        description="device x count x days x utilization grid: flop, pfs-days, 4 axis columns, "
        "device codes (52 B/point)",
    )
)
register(
    Workload(
        "reduced sweep",
        "points/s",
        "compute",
        _BACKENDS,
        _reduced,
        {"quick": [10**7, 10**9], "full": [10**8, 10**10]},
        scaling=10**10,
        reference_max=10**8,
        description="count >= threshold, min/max with arguments, 3 quantiles of the grid; "
        "nothing materialised",
    )
)
for _fmt, _what in (("arrow", "Arrow IPC"), ("parquet", "Parquet (zstd)")):
    register(
        Workload(
            f"{_fmt} write",
            "rows/s",
            "bandwidth",
            ("reference", "pyarrow", "stream"),
            _writer(_fmt),
            {"quick": 10**6, "full": 10**7},
            scaling=10**7,
            reference_max=10**7,
            threaded=False,
            description=f"the materialised sweep written atomically as {_what}: a table (pyarrow) or "
            "streamed from the Numba kernel (stream); reference: the raw column bytes",
        )
    )
