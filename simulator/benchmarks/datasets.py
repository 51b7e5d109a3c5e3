"""Dataset workloads: reading an Epoch-style CSV through the one reader, and a band for every row.

The table is synthetic (``epoch_csv``): Epoch AI's column names, every confidence level (a quarter
blank), bounds on one row in 7, a quoted notes cell spanning two lines on one row in 10, and a chip,
its number and hours on one row in 10 (each re-derived by method 2 beside its recorded value).
"dataset bands (exact)" runs the columnar ``dataset_bands`` and, as its reference backend, the
per-row ``dataset_bands_rowwise`` on the same table in the same run. "bands (mixed families)"
gives 10^4-sample Monte Carlo bands to rows whose inputs are not all lognormal (``bands_table``).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np

from computesim.core import units
from computesim.core.distributions import LogNormal, LogUniform, Triangular, Uniform
from computesim.data.table import read_table
from computesim.uncertainty.band import LogModel, mc_band
from computesim.uncertainty.rows import dataset_bands
from computesim.uncertainty.rows_reference import dataset_bands_rowwise
from computesim.uncertainty.table import bands_table

from .registry import Case, Workload, register

LEVELS = ("Confident", "Likely", "Speculative", "")
HEADER = (
    "Model,Publication date,Training compute (FLOP),Confidence,Training compute lower bound,"
    "Training compute upper bound,Training hardware,Hardware quantity,Training time (hours),"
    "Training compute notes"
)


def epoch_csv(n: int, seed: int = 0) -> tuple[str, np.ndarray]:
    """(CSV text of ``n`` rows in Epoch AI's layout, each row's compute in FLOP as written)."""
    rng = np.random.default_rng(seed)
    flop = np.array([float(f"{v:.6e}") for v in 10 ** rng.uniform(15, 26, n)])
    out = [HEADER]
    for i in range(n):
        b, hw = i % 7 == 0, i % 10 == 0
        note = '"6 x N x D,\nsee ""Table 1"""' if i % 10 == 3 else ""
        out.append(
            f"m{i},{2010 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d},{flop[i]:.6e},{LEVELS[i % 4]},"
            f"{flop[i] / 3 if b else ''},{flop[i] * 3 if b else ''},"
            f"{'NVIDIA A100 SXM4 80 GB,64,100' if hw else ',,'},{note}"
        )
    return "\n".join(out) + "\n", flop


def _file(n: int) -> tuple[Path, np.ndarray, tempfile.TemporaryDirectory]:
    tmp = tempfile.TemporaryDirectory(prefix="computesim-bench-data-")
    text, flop = epoch_csv(n)
    path = Path(tmp.name) / "models.csv"
    path.write_text(text, encoding="utf-8")
    return path, flop, tmp


def _read(size: int, backend: str) -> Case:
    """``read_table`` on a ``size``-row CSV: every row read, every compute value exact."""
    path, flop, tmp = _file(size)

    def check(ds):
        assert ds.n_rows == size and ds.recognised.layout == "epoch-ai-models"
        assert np.array_equal(ds.flop, flop)
        assert sum(d is not None for d in ds.dates) == size

    return Case(lambda: read_table(path), check, items=size, close=tmp.cleanup)


def _bands(size: int, backend: str) -> Case:
    """``dataset_bands`` with a 1e25 FLOP audit on the table read once: bounds and confidence
    rows (closed-form lognormal bands), hardware rows cross-checked by method 2. Backend
    "reference": the per-row ``dataset_bands_rowwise``."""
    path, flop, tmp = _file(size)
    ds = read_table(path)
    fn = dataset_bands_rowwise if backend == "reference" else dataset_bands

    def check(rb):
        t = rb.table
        assert t.num_rows == size and set(t.column("status").to_pylist()) == {"ok"}
        p50 = t.column("p50_flop").to_numpy()
        src = np.array(t.column("band_source").to_pylist())
        conf = src == "confidence"
        assert np.allclose(p50[conf], flop[conf], rtol=1e-12)
        bnd = src == "bounds"  # [x/3, x*3] as a 90% interval: the median x, p95 3x
        assert np.allclose(t.column("p95_flop").to_numpy()[bnd], 3 * flop[bnd], rtol=1e-9)
        assert rb.cross_checked()["hardware"] == len(range(0, size, 10))
        assert math.isclose(t.column("p95_flop")[1].as_py(), 10 * flop[1], rel_tol=1e-9)  # Likely
        # the audit and the lists (records built here, when read: not in the timed call)
        p = t.column("p_above_1e+25").to_numpy(zero_copy_only=False)
        (a,) = rb.audits
        assert math.isclose(a.expected, p.sum(), rel_tol=1e-9)
        assert a.interval[0] <= a.expected <= a.interval[1]
        assert len(a.uncertain) == np.count_nonzero((p > 0.05) & (p < 0.95))
        u = list(a.uncertain)
        assert all(0.05 < x["p_above"] < 0.95 for x in u) and u[0]["p_above"] >= u[-1]["p_above"]
        off = 0
        for m in ("hardware", "ops"):
            r = t.column(f"rederived_{m}_ratio").to_numpy(zero_copy_only=False)
            off += np.count_nonzero((r > 3) | (r < 1 / 3))
        assert len(rb.disagreements) == off > 0
        assert all(d["ratio"] > 3 or d["ratio"] < 1 / 3 for d in rb.disagreements)

    return Case(lambda: fn(ds, thresholds=[1e25]), check, items=size, close=tmp.cleanup)


MIXED_SAMPLES = 10_000  #: samples per row of "bands (mixed families)"
VARIANTS = 50  #: distinct day ranges among its rows (one lookup table each)


def mixed_models(rows: int) -> list[LogModel]:
    """``rows`` models of four inputs of mixed families: devices lognormal, peak loguniform,
    seconds uniform (one of ``VARIANTS`` ranges), utilization triangular; row r scaled by
    1 + r mod 97 (its constant)."""
    peak, util = LogUniform(1.5e12, 1.6e12), Triangular(0.25, 0.33, 0.4)
    dev = LogNormal(math.log(2.0), 0.1)
    days = [Uniform(86400 * (4 + 0.1 * v), 86400 * (6 + 0.1 * v)) for v in range(VARIANTS)]
    names = ("devices", "peak", "seconds", "utilization")
    return [
        LogModel(math.log(1 + r % 97), names, (dev, peak, days[r % VARIANTS], util), (1.0,) * 4)
        for r in range(rows)
    ]


def _mixed(size: int, backend: str) -> Case:
    """``bands_table`` over ``size`` mixed-family rows at 10^4 samples each: every row Monte
    Carlo; checked against one 4 x 10^5-sample band of the same model (rows of variant 0)."""
    models = mixed_models(size)
    base = mc_band(LogModel(0.0, *(getattr(models[0], k) for k in ("names", "dists", "coefs"))))

    def check(t):
        assert t.num_rows == size and not any(t.column("exact").to_pylist())
        rows = np.arange(0, size, VARIANTS)
        scale = 1 + rows % 97
        p50 = t.column("p50_pfs_days").to_numpy()[rows] / scale
        want = base.quantiles[0.5] / units.PFS_DAY
        # each row's p50: standard error ~0.2% (10^4 samples, log-sd ~0.1): their mean within 0.5%
        assert abs(p50.mean() / want - 1) < 0.005, (p50.mean(), want)
        assert np.all(np.abs(p50 / want - 1) < 0.03)

    return Case(
        lambda: bands_table(models, None, MIXED_SAMPLES, 0, [1e21], backend=backend),
        check,
        items=size,
    )


_SIZES = {"quick": 10**5, "full": 10**5}
register(
    Workload(
        "read dataset CSV",
        "rows/s",
        None,
        ("python",),
        _read,
        dict(_SIZES),
        scaling=10**6,
        reference=None,
        threaded=False,
        description="read_table on an Epoch-style CSV (quoted multi-line cells, bounds, chips)",
    )
)
register(
    Workload(
        "dataset bands (exact)",
        "rows/s",
        None,
        ("python", "reference"),
        _bands,
        dict(_SIZES),
        scaling=10**6,
        reference_max=10**5,
        reference="reference",
        # the per-row reference's rows/s is flat from 10^4 to 10^5 (1.05-1.17e5 both, 2026-12-02,
        # Intel Xeon): timed at 10^4 in quick mode (3.6 s -> 0.4 s)
        reference_sizes={"quick": 10**4},
        threaded=False,
        description="a band per row (bounds, confidence levels), method-2 cross-check, 1e25 audit"
        " (reference: the per-row path)",
    )
)
register(
    Workload(
        "bands (mixed families)",
        "rows/s",
        None,
        ("numba",),
        _mixed,
        {"quick": 10**4, "full": 10**5},
        scaling=10**5,
        reference=None,
        threaded=False,
        max_repeats=2,
        description="bands_table: rows of four mixed-family inputs, 10^4 samples each, one threshold",
    )
)
