"""Bands on a Dask cluster (issue 15): rows split by row ranges and one band's samples split by
sample ranges give the one-machine numbers, bit for bit, at 1, 3 and 7 partitions; a worker
killed mid-run changes nothing; workers compile each kernel once, on one thread."""

from __future__ import annotations

import gc
import json
import math
import os

import pytest

pytest.importorskip("distributed")

from computesim.cluster import connect
from computesim.core.distributions import LogNormal, LogUniform, Pert, Triangular
from computesim.kernels import mc_numba
from computesim.uncertainty import distributed
from computesim.uncertainty.band import LogModel, mc_band
from computesim.uncertainty.table import bands_table

PARTS = (1, 3, 7)
MODEL = LogModel(
    50.0,
    ("a", "b", "c"),
    (LogUniform(1.0, 5.0), Triangular(1.0, 2.0, 3.0), LogNormal(0.0, 0.5)),
    (1.0, 1.0, 2.0),
)
CORRELATED = MODEL.correlated({("a", "c"): 0.5})
ROWS = [
    LogModel(
        40.0 + i,
        ("a", "b"),
        (LogUniform(1.0, 2.0 + i), Pert(1.0, 2.0 + i % 3, 4.0)),
        (1.0, 1.0 + i / 10),
    )
    for i in range(11)
]
THRESHOLD = [math.exp(51.0)]


def _one(model, n, exact=False):
    return mc_band(model, n, 7, THRESHOLD, backend="numba", exact_selection=exact).to_dict()


@pytest.mark.parametrize(
    "model,n,exact",
    [
        (MODEL, 1_000, False),  # small: one task, the one-machine selection
        (MODEL, 300_000, False),  # histogram pass, then exact order statistics by rounds of counts
        (MODEL, 200_000, True),  # exact selection: chunk sums and rounds of counts
        (CORRELATED, 100_000, False),  # correlated inputs: the exact path
        (MODEL, 1_200_000, False),  # beyond STORE_MAX: the binned quantiles, one pass
    ],
    ids=["small", "histogram-exact", "exact", "correlated", "binned"],
)
def test_big_band_split_by_samples_is_the_one_machine_band(dask_client, model, n, exact):
    one = _one(model, n, exact)
    for parts in PARTS:
        got = mc_band(
            model, n, 7, THRESHOLD, exact_selection=exact, client=dask_client, parts=parts
        )
        assert got.to_dict() == one, parts  # quantiles, moments, SEs, p_above: every bit


@pytest.mark.parametrize("gather", [1 << 20, 2])
def test_exact_order_statistics_are_order_statistics(dask_client, monkeypatch, gather):
    """The rounds of counts find the exact order statistics of the samples themselves (with a
    small GATHER_MAX, through several rounds of counts before the values are gathered)."""
    monkeypatch.setattr(distributed, "GATHER_MAX", gather)  # read where the rounds are planned
    import numpy as np

    fam, coef, par, tab, chol = MODEL.kernel_arrays()
    model = (fam, coef, par, tab, chol, MODEL.const)
    n = 150_000
    x = np.sort(mc_numba.sample_log(5, 0, n, *model))
    ranks = [0, 1, 7_499, 75_000, 149_998, 149_999]
    for parts in PARTS:
        ranges = distributed._chunk_ranges(n, 1 << 16, parts)
        assert distributed._exact_order(dask_client, ranges, 5, model, ranks) == x[ranks].tolist()


def test_rows_split_by_row_ranges_are_the_one_machine_rows(dask_client):
    one = bands_table(ROWS, None, 4_000, 3, THRESHOLD, backend="numba")
    for parts in PARTS:
        got = bands_table(ROWS, None, 4_000, 3, THRESHOLD, client=dask_client, parts=parts)
        assert got.equals(one), parts


@pytest.mark.parametrize("backend", ["numba", "reference"])
def test_first_row_keys_a_slice_of_rows_as_in_the_whole_batch(backend):
    """Row r draws with counter word 3 = r: rows [4, 7) called with first_row=4 draw what the whole
    batch draws for them, and without it (rows 0, 1, 2) something else."""
    import numpy as np

    from computesim.kernels import get_backend
    from computesim.uncertainty.table import _pooled

    fam, coef, par, pool, index = _pooled(ROWS)
    const = np.array([m.const for m in ROWS])
    mc = get_backend(backend).mc
    args = ([50, 500, 950], [40.0], const)
    whole = mc.bands_batch(2, 1000, fam, coef, par, pool, const, *args, tab_index=index)
    rows = slice(4, 7)
    sub = (fam[rows], coef[rows], par[rows], pool, const[rows], args[0], args[1], const[rows])
    part = mc.bands_batch(2, 1000, *sub, tab_index=index[rows], first_row=4)
    moved = mc.bands_batch(2, 1000, *sub, tab_index=index[rows])
    for f in range(6):
        assert np.array_equal(part[f], whole[f][rows])
    assert not np.array_equal(moved.order, whole.order[rows])


def test_workers_compile_each_kernel_once_on_one_thread(dask_client):
    for _ in range(2):
        mc_band(MODEL, 200_000, 1, client=dask_client, parts=5)

    def seen():
        import numba

        from computesim.kernels import mc_numba as k

        return numba.get_num_threads(), len(k._fused.signatures), len(k._moments.signatures)

    state = dask_client.run(seen)
    assert len(state) == 2
    for threads, fused, moments in state.values():
        assert threads == 1 and fused == 1 and moments <= 1


def _dies_once(marker, fn):
    """``fn`` as a task that kills its worker process the first time a task after the first runs."""

    def task(start, stop, *args, **kwargs):
        if start > 0 and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)
        return fn(start, stop, *args, **kwargs)

    return task


# a killed worker leaves its connections to be closed by the garbage collector: not this test's
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_worker_killed_mid_run_changes_nothing(tmp_path, monkeypatch):
    one_rows = bands_table(ROWS, None, 3_000, 3, THRESHOLD, backend="numba")
    one_band = _one(MODEL, 400_000)
    with connect("local:2") as client:  # its own cluster: the shared one keeps its workers
        rows_marker, hist_marker = tmp_path / "rows", tmp_path / "hist"
        monkeypatch.setattr(
            distributed, "_rows_task", _dies_once(str(rows_marker), distributed._rows_task)
        )
        monkeypatch.setattr(
            distributed, "_hist_task", _dies_once(str(hist_marker), distributed._hist_task)
        )
        rows = bands_table(ROWS, None, 3_000, 3, THRESHOLD, client=client, parts=3)
        band = mc_band(MODEL, 400_000, 7, THRESHOLD, client=client, parts=4).to_dict()
    assert rows_marker.exists() and hist_marker.exists()  # a worker did die, twice
    assert rows.equals(one_rows) and band == one_band
    gc.collect()  # the dead workers' sockets, here under this test's warning filters


SYSTEMS = (
    "system,method,days,tflops,count,utilization,forward_macs,examples,epochs\n"
    "AlexNet,hardware,5 to 6,1.54 to 1.58,2,0.25 to 0.4,,,\n"
    'X,hardware,"uniform(4, 6)",1.58,1,,,,\n'
    "Y,ops,,,,,0.75e9,1.2e6,90\n"
    'Z,hardware,"pert(3, 4, 9)","triangular(1, 2, 3)",8,,,,\n'
)


def test_cli_bands_with_and_without_scheduler_identical(cli, tmp_path):
    src = tmp_path / "systems.csv"
    src.write_text(SYSTEMS, encoding="utf-8")
    argv = ["bands", src, "--samples", "20000", "--threshold", "1e18FLOP", "--json"]
    argv += ["--method-error", "2x", "--seed", "11"]
    here = cli(*argv, "--backend", "numba")
    there = cli(*argv, "--scheduler", "local:2")
    assert here.code == there.code == 0, there.err
    rows = here.json()
    assert sum(not r["exact"] for r in rows) >= 2 and there.json() == rows


def test_cli_estimate_samples_on_a_cluster_identical(cli, dask_client):
    """--scheduler ADDRESS: a running cluster's scheduler (here the module's)."""
    argv = ["estimate", "hardware", "--days", "pert(3, 4, 9)", "--tflops", "1.58"]
    argv += ["--count", "8", "--samples", "2e6", "--threshold", "1e19FLOP", "--json"]
    here = cli(*argv, "--backend", "numba")
    there = cli(*argv, "--scheduler", dask_client.scheduler.address)
    assert here.code == there.code == 0, there.err
    a, b = here.json(), there.json()
    assert a == b and a["samples"] == 2_000_000
    json.dumps(b, allow_nan=False)


@pytest.mark.parametrize(
    "argv",
    [
        ["--samples", "2e10"],  # beyond one machine: only with --scheduler
        ["--samples", "1e15", "--scheduler", "local:1"],
        ["--scheduler", "local:0"],
        ["--scheduler", ""],
    ],
)
def test_cli_estimate_scheduler_bad_input_one_line(cli, argv):
    res = cli("estimate", "hardware", "--days", "pert(3, 4, 9)", "--tflops", "1.58", *argv)
    assert res.code == 2 and res.err.count("\n") == 1
    assert ("--samples" if "--samples" in argv else "--scheduler") in res.err


def test_cli_estimate_scheduler_only_where_a_band_is_drawn(cli, monkeypatch):
    """No band: --scheduler is refused (checked even then); a closed-form band starts no cluster."""
    res = cli(
        "estimate", "--device", "V100", "--count", "8", "--days", "10", "--scheduler", "local:0"
    )
    assert res.code == 2 and "--scheduler: local:N needs at least one worker" in res.err
    res = cli(
        "estimate", "--device", "V100", "--count", "8", "--days", "10", "--scheduler", "local"
    )
    assert res.code == 2 and "--scheduler: draws a Monte Carlo band" in res.err

    def no_cluster(*a, **k):
        raise AssertionError("a cluster was started for a closed-form band")

    monkeypatch.setattr("computesim.cli.estimate.connect", no_cluster)
    argv = ["--device", "V100", "--count", "8", "--days", "10 to 20", "--json"]
    here, there = cli("estimate", *argv), cli("estimate", *argv, "--scheduler", "local:2")
    assert here.code == there.code == 0 and here.out == there.out


def test_without_dask_a_cluster_is_one_error(cli, monkeypatch):
    monkeypatch.setattr("computesim.cluster.client.dask_available", lambda: False)
    argv = ["hardware", "--days", "pert(3, 4, 9)", "--tflops", "1.58", "--scheduler", "local:2"]
    res = cli("estimate", *argv)
    assert res.code == 2 and "--scheduler" in res.err and "computesim[dask]" in res.err


def test_sample_throughput_for_the_bench(dask_client):
    from computesim.uncertainty.throughput import sample_throughput

    r = sample_throughput(dask_client, 3_000_000)
    assert r["workers"] == 2 and r["parts"] == 8 and r["samples"] == 3_000_000
    assert r["samples_per_s"] == pytest.approx(r["samples"] / r["seconds"]) and r["seconds"] > 0
    json.dumps(r, allow_nan=False)


def test_tasks_draw_long_ranges_in_slices_with_the_same_sums(monkeypatch):
    """A task's range drawn in slices of SLICE_SAMPLES (memory) sums and counts as in one piece."""
    import numpy as np

    fam, coef, par, tab, chol = MODEL.kernel_arrays()
    model = (fam, coef, par, tab, chol, MODEL.const)
    step, ask = 1000, [(50.0, 52.0, False), (50.5, 50.6, True)]
    whole = distributed._moments_task(3000, 20_500, 9, model, step, [51.0], 50.0)
    counts = distributed._refine_task(3000, 20_500, 9, model, ask)
    monkeypatch.setattr(distributed, "SLICE_SAMPLES", 4000)
    assert distributed._slices(3000, 20_500, step)[:2] == [(3000, 7000), (7000, 11000)]
    sliced = distributed._moments_task(3000, 20_500, 9, model, step, [51.0], 50.0)
    assert np.array_equal(whole[0], sliced[0]) and np.array_equal(whole[1], sliced[1])
    again = distributed._refine_task(3000, 20_500, 9, model, ask)
    assert np.array_equal(counts[0][0], again[0][0]) and counts[0][1] == again[0][1]
    assert counts[0][0].sum() > 0 and np.array_equal(np.sort(counts[1]), np.sort(again[1]))


@pytest.mark.parametrize("parts", [0, -1, 2.5, True])
def test_bad_parts_is_one_input_error(dask_client, parts):
    from computesim.errors import InputError

    with pytest.raises(InputError, match=r"^parts: "):
        mc_band(MODEL, 100_000, client=dask_client, parts=parts)


def test_a_cluster_draws_with_numba_only(dask_client):
    from computesim.errors import InputError

    with pytest.raises(InputError, match=r"^backend: a cluster draws with numba"):
        mc_band(MODEL, 100_000, client=dask_client, backend="reference")
