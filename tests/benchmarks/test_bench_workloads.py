"""The benchmark workloads' own checks: right answers pass, wrong ones fail. Sweep and Monte Carlo
workloads are tested once their kernel families have landed (skipped before)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest


def test_core_checks_reject_wrong_results():
    from computesim.benchmarks import workloads

    case = workloads()["point estimate (exact)"].build(3, "python")
    case.check(case.run())
    with pytest.raises(AssertionError):
        case.check([1.0, 1.0, 1.0])


@pytest.fixture
def sweeps():
    pytest.importorskip("computesim.kernels.sweep_reference")
    from computesim.benchmarks import sweeps

    return sweeps


def test_grid_is_the_cards_4d_sweep_of_the_asked_size(sweeps):
    for size in (10, 10**3, 10**5, 10**7, 10**9):
        axes = sweeps.grid(size)
        assert len(axes) == 4 and int(np.prod([len(a) for a in axes])) == size
        assert all(np.all(np.diff(a) > 0) for a in axes)  # strictly increasing: exact extremes


def test_exact_count_matches_brute_force(sweeps):
    axes = sweeps.grid(10**4)
    full = sweeps.canonical(axes, np.arange(10**4))
    for thr in np.quantile(full, [0, 0.1, 0.5, 0.77, 1.0]).tolist() + [
        full[123],
        np.nextafter(full[4567], 0),
    ]:
        assert sweeps.count_at_least_exact(axes, thr) == int(np.sum(full >= thr))


def test_exact_count_with_tied_and_boundary_products(sweeps):
    """Prefixes with ties (1 x 4 = 2 x 2), thresholds at exact products and one ulp either side:
    the count over the sorted prefixes equals brute force, with or without the prefix passed."""
    axes = [
        np.array([1.0, 2.0]),
        np.array([2.0, 4.0, 8.0]),
        np.array([0.3, 0.7]),
        np.array([0.1, 0.2, 0.9]),
    ]
    n = int(np.prod([len(a) for a in axes]))
    full = sweeps.canonical(axes, np.arange(n))
    pre = sweeps.sorted_prefix(axes)
    assert len(np.unique(pre)) < len(pre)  # ties present
    for v in np.unique(full).tolist():
        for thr in (np.nextafter(v, 0), v, np.nextafter(v, np.inf)):
            want = int(np.sum(full >= thr))
            assert sweeps.count_at_least_exact(axes, thr) == want
            assert sweeps.count_at_least_exact(axes, thr, pre) == want
    assert sweeps.count_at_least_exact(axes, 0.0, pre) == n
    assert sweeps.count_at_least_exact(axes, np.inf, pre) == 0


def _corrupt_reduced(out, part):
    count, (mn, amn, mx, amx), q = out
    if part == "count":
        count = count + 1
    elif part == "argmax":
        amx = amx - 1
    elif part == "min":
        mn = np.nextafter(mn, 0)
    else:
        q = q.copy()
        q[0, 1] *= 1.01
    return count, (mn, amn, mx, amx), q


@pytest.mark.parametrize("name", ["materialized sweep", "reduced sweep"])
@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_sweep_checks_pass_and_fail(sweeps, name, backend):
    from computesim.benchmarks import workloads

    case = workloads()[name].build(10**4, backend)
    out = case.run()
    case.check(out)
    if name == "materialized sweep":
        out[0][-1] = np.nextafter(out[0][-1], 0)  # one ulp off at the last point
        bad = [out]
    else:
        bad = [_corrupt_reduced(out, p) for p in ("count", "argmax", "min", "median")]
    for b in bad:
        with pytest.raises(AssertionError):
            case.check(b)


@pytest.mark.parametrize("name", ["arrow write", "parquet write"])
@pytest.mark.parametrize("backend", ["reference", "pyarrow", "stream"])
def test_write_workloads_write_the_sweep(sweeps, name, backend):
    from computesim.benchmarks import workloads

    case = workloads()[name].build(10**3, backend)
    try:
        path = case.run()
        case.check(path)
        if backend != "reference":
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # truncated: must fail
            with pytest.raises((pa.ArrowException, OSError, AssertionError)):
                case.check(path)
    finally:
        case.close()


@pytest.fixture
def mc():
    pytest.importorskip("computesim.kernels.mc_reference")
    from computesim.benchmarks import montecarlo

    return montecarlo


def test_quantile_check_has_power(mc):
    """Order statistics of exact normal draws pass; shifted by about 2x the tolerance, they fail."""
    n = 10**5
    sd = float(np.sqrt(np.sum(mc.SIGMA**2)))
    x = np.sort(np.random.default_rng(1).normal(np.sum(mc.MU), sd, n))
    z = mc._check_order(x[mc.ranks(n)], n, float(np.sum(mc.MU)))
    assert np.all(np.abs(z) < mc.Z_TOL)
    shift = 2 * mc.Z_TOL * sd / np.sqrt(n) * 1.3  # ~14.5 standard errors of the median
    z = mc._check_order(x[mc.ranks(n)] + shift, n, float(np.sum(mc.MU)))
    assert np.abs(z[1]) > mc.Z_TOL


@pytest.mark.parametrize(
    "name", ["monte carlo quantiles", "bands", "point estimate (10^4 samples)"]
)
def test_mc_workloads_check_on_reference(mc, name):
    from computesim.benchmarks import workloads

    case = workloads()[name].build(10**4, "reference")
    case.check(case.run())


def test_parquet_writes_float_columns_plain_and_reads_back_equal(tmp_path):
    """arrow_io.write_table skips dictionary encoding of float columns (a bench finding); data unchanged."""
    import pyarrow.parquet as pq

    from computesim.benchmarks.sweeps import sweep_table
    from computesim.io.arrow import write_table

    t = sweep_table(5000)
    path = write_table(t, tmp_path / "t.parquet")
    back = pq.read_table(path)
    assert back.select(t.column_names).equals(t.cast(back.select(t.column_names).schema))
    cols = pq.ParquetFile(path).metadata.row_group(0)
    enc = {cols.column(i).path_in_schema: cols.column(i).encodings for i in range(cols.num_columns)}
    assert not any("DICTIONARY" in e for e in enc["flop"]) and any(
        "DICTIONARY" in e for e in enc["device"]
    )


def test_mixed_check_has_power(mc):
    """The mixed-family check passes the NumPy way and fails quantiles shifted by 1% in FLOP."""
    from computesim.benchmarks import workloads

    case = workloads()["monte carlo mixed vs numpy.random"].build(10**4, "numpy")
    good = case.run()
    case.check(good)
    with pytest.raises(AssertionError):
        case.check(good + np.log(1.05))
