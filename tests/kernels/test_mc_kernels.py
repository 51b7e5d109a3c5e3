"""The "mc" kernels: Philox known answers, every backend against the NumPy reference, determinism."""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from computesim.kernels import get_backend, philox
from computesim.kernels import mc_reference as ref
from computesim.kernels.encoding import LUT_TAIL
from computesim.kernels.tables import accelerate

numba_mc = pytest.importorskip("computesim.kernels.mc_numba")


def test_philox_known_answers():
    """Random123 kat_vectors for philox4x32_10."""
    u = np.uint64
    cases = [
        ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
        ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
        (
            (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
            (0xA4093822, 0x299F31D0),
            (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
        ),
    ]
    for ctr, key, want in cases:
        assert tuple(int(w) for w in philox.philox4x32(*map(u, ctr), *map(u, key))) == want
        ks = philox.round_keys(key[0] | key[1] << 32)
        assert tuple(int(w) for w in philox.build().philox4x32_keyed(*map(u, ctr), ks)) == want


def test_ndtri_matches_scipy():
    special = pytest.importorskip("scipy.special")
    p = np.concatenate(
        [np.logspace(-300, -1, 200), np.linspace(0.01, 0.99, 500), 1 - np.logspace(-16, -1, 100)]
    )
    assert np.allclose(philox.ndtri_np(p), special.ndtri(p), rtol=1e-14, atol=1e-14)
    assert [philox.ndtri(x) for x in p[::37]] == pytest.approx(special.ndtri(p[::37]), rel=1e-14)


def test_uniforms_are_uniform():
    stats = pytest.importorskip("scipy.stats")
    u = philox.uniforms_np(12345, 0, 200_000, 0)
    assert u.min() > 0 and u.max() < 1
    for j in range(4):
        assert stats.kstest(u[:, j], "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < 5 / np.sqrt(len(u))  # 5 standard errors


def model(corr=False):
    """Every family, powers 1, -1, 2 and 0.5, an unused variable (power 0): 6 variables, 2 Philox blocks."""
    from computesim.core.distributions import (
        LogNormal,
        LogUniform,
        Normal,
        Pert,
        Triangular,
        Uniform,
    )
    from computesim.uncertainty.band import LogModel

    dists = (
        LogNormal(0.3, 0.4),
        LogUniform(1.0, 20.0),
        Uniform(0.2, 0.5),
        Normal(1.0, 0.6),
        Triangular(1.0, 2.0, 5.0),
        Pert(1.0, 2.0, 6.0),
    )
    m = LogModel(2.0, ("a", "b", "c", "d", "e", "f"), dists, (1.0, -1.0, 2.0, 0.5, 1.0, 0.0))
    if corr:
        m = m.correlated({("a", "c"): 0.6, ("b", "e"): -0.4})
    return m


@pytest.mark.parametrize("corr", [False, True])
def test_numba_samples_equal_reference(corr):
    fam, coef, par, tab, chol = model(corr).kernel_arrays()
    for start, n, row in ((0, 5000, 0), (2**33 - 7, 3000, 5)):
        a = ref.sample_log(9, start, n, fam, coef, par, tab, chol, 2.0, row)
        b = numba_mc.sample_log(9, start, n, fam, coef, par, tab, chol, 2.0, row)
        if corr:  # the copula path: z by einsum vs a loop, and the log/ndtri differences
            assert np.allclose(a, b, rtol=0, atol=1e-12)
        else:
            assert np.all(
                np.abs(a - b) <= ref.sample_tolerance(9, start, n, fam, coef, par, tab, 2.0, row)
            )


def test_results_do_not_depend_on_chunks_or_threads():
    import numba

    fam, coef, par, tab, chol = model().kernel_arrays()
    whole = numba_mc.sample_log(3, 0, 30_000, fam, coef, par, tab, chol, 0.0)
    parts = np.concatenate(
        [
            numba_mc.sample_log(3, s, m, fam, coef, par, tab, chol, 0.0)
            for s, m in ((0, 7), (7, 12_000), (12_007, 17_993))
        ]
    )
    assert np.array_equal(whole, parts)
    n = numba_mc.SMALL + 30_001  # the fused histogram path
    ranks = [10, 15_000, 29_000]
    base = numba_mc.reduce(3, 0, n, fam, coef, par, tab, chol, 0.0, ranks, [1.0], 0.0)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = numba_mc.reduce(3, 0, n, fam, coef, par, tab, chol, 0.0, ranks, [1.0], 0.0)
    finally:
        numba.set_num_threads(old)
    assert np.array_equal(base.order, one.order) and np.array_equal(base.above, one.above)
    assert one.sum_x == pytest.approx(base.sum_x, rel=1e-12)


def test_numba_reduce_against_exact_selection(monkeypatch):
    """Stored (n <= STORE_MAX): exact order statistics of numba's own samples. Histogram path
    (STORE_MAX 0): within the stated binning error. Numba's samples are the reference's within
    ``sample_tolerance`` (NumPy's SIMD log vs the C library's)."""
    fam, coef, par, tab, chol = model().kernel_arrays()
    n = 200_001
    ranks = [0, 1, 10_000, 100_000, 100_001, 190_000, n - 1]
    logs = numba_mc.sample_log(4, 0, n, fam, coef, par, tab, chol, 2.0)
    gap = np.abs(logs - ref.sample_log(4, 0, n, fam, coef, par, tab, chol, 2.0))
    assert np.all(gap <= ref.sample_tolerance(4, 0, n, fam, coef, par, tab, 2.0))
    want = ref.summarize(logs, ranks, [2.0, 3.0], 2.5)
    stored = numba_mc.reduce(4, 0, n, fam, coef, par, tab, chol, 2.0, ranks, [2.0, 3.0], 2.5)
    assert np.array_equal(stored.order, want.order) and stored.error == 0
    assert 0 < stored.mean_error < 1e-3 and stored.sum_exp == pytest.approx(
        want.sum_exp, rel=stored.mean_error
    )
    monkeypatch.setattr(numba_mc, "STORE_MAX", 0)
    got = numba_mc.reduce(4, 0, n, fam, coef, par, tab, chol, 2.0, ranks, [2.0, 3.0], 2.5)
    assert 0 < got.error < 1e-3
    tight = numba_mc.reduce(
        4, 0, n, fam, coef, par, tab, chol, 2.0, ranks, [2.0, 3.0], 2.5, log_range=(2.0, 3.0)
    )
    assert np.array_equal(
        tight.order, want.order
    )  # ranks outside the window: exact selection instead
    mid = numba_mc.reduce(
        4, 0, n, fam, coef, par, tab, chol, 2.0, ranks[2:-2], [], 2.5, log_range=(-5.0, 9.0)
    )
    assert np.all(np.abs(mid.order - want.order[2:-2]) <= mid.error) and mid.error < got.error
    assert mid.sum_exp == pytest.approx(want.sum_exp, rel=mid.mean_error)
    assert np.all(np.abs(got.order - want.order) <= got.error)  # the stated binning error
    assert np.array_equal(got.above, want.above)
    assert got.sum_x == pytest.approx(want.sum_x, rel=1e-12) and got.sum_x2 == pytest.approx(
        want.sum_x2, rel=1e-12
    )
    assert got.sum_exp == pytest.approx(want.sum_exp, rel=got.mean_error)
    exact = numba_mc.reduce(
        4, 0, n, fam, coef, par, tab, chol, 2.0, ranks, [2.0, 3.0], 2.5, exact=True
    )
    assert np.array_equal(exact.order, want.order) and exact.error == 0
    assert exact.sum_exp == pytest.approx(want.sum_exp, rel=1e-12)
    small = numba_mc.reduce(
        4, 0, 5000, fam, coef, par, tab, chol, 2.0, [0, 7, 2500, 4999], [2.0], 2.5
    )
    want = ref.reduce(4, 0, 5000, fam, coef, par, tab, chol, 2.0, [0, 7, 2500, 4999], [2.0], 2.5)
    assert np.allclose(small.order, want.order, rtol=0, atol=1e-12)
    assert np.min(np.abs(ref.sample_log(4, 0, 5000, fam, coef, par, tab, chol, 2.0) - 2.0)) > 1e-12
    assert np.array_equal(small.above, want.above)  # no sample within the bound of the threshold
    assert small.sum_exp == pytest.approx(want.sum_exp, rel=1e-12)


def test_fused_results_do_not_depend_on_threads(monkeypatch):
    """Both fused paths (stored and histogram-only): every field bit for bit at 1 and 2 threads."""
    import numba

    fam, coef, par, tab, chol = model().kernel_arrays()
    n = numba_mc.SMALL + 3 * numba_mc._CHUNK + 123
    args = (5, 0, n, fam, coef, par, tab, chol, 2.0, [3, 5000, n // 2, n - 9], [2.0], 2.5)
    for store in (numba_mc.STORE_MAX, 0):
        monkeypatch.setattr(numba_mc, "STORE_MAX", store)
        runs = []
        old = numba.get_num_threads()
        try:
            for t in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
                numba.set_num_threads(t)
                runs.append(numba_mc.reduce(*args))
                runs.append(numba_mc.summarize(numba_mc.sample_log(*args[:9]), *args[9:]))
        finally:
            numba.set_num_threads(old)
        for r in runs[2:]:
            a = runs[0] if r is runs[2] else runs[1]
            assert all(np.array_equal(x, y) for x, y in zip(a, r)), (a, r)


def test_histogram_counts_are_int64():
    """A bin may pass 2**31 within MAX_SAMPLES: the fused pass counts in int64 (int32 wrapped)."""
    hist = np.zeros((1, 4), np.int64)
    hist[0, 1] = 2**31 + 5  # as after that many samples
    order, sums = np.empty(1), np.zeros(2)
    numba_mc._from_hist(hist, 0.0, 1.0, 0.0, np.array([2**31 + 4], np.int64), order, sums)
    assert 1.0 < order[0] < 2.0
    seen = []
    fused = numba_mc._fused

    def spy(*a):
        seen.append(a[14].dtype)  # hist
        return fused(*a)

    fam, coef, par, tab, chol = model().kernel_arrays()
    numba_mc._fused = spy
    try:
        numba_mc.reduce(1, 0, numba_mc.SMALL + 1, fam, coef, par, tab, chol, 0.0, [5], [], 0.0)
    finally:
        numba_mc._fused = fused
    assert seen == [np.int64]


def test_multiselect_equals_sort():
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 17, 100, 5000):
        for rep in range(10):
            x = rng.standard_normal(n) if rep % 2 else rng.integers(0, 4, n).astype(float)
            ranks = np.unique(rng.integers(0, n, 6))
            b = x.copy()
            numba_mc._multiselect(b, ranks)
            assert np.array_equal(b[ranks], np.sort(x)[ranks])


def test_batch_equals_reference():
    from computesim.uncertainty.table import _pad

    models = [model(), model()]
    fam, coef, par, tab = _pad(models)
    const = np.array([2.0, -1.0])
    ranks = [0, 50, 999, 1000, 1999]
    a = ref.bands_batch(1, 2000, fam, coef, par, tab, const, ranks, [2.0], np.array([2.0, -1.0]))
    b = numba_mc.bands_batch(
        1, 2000, fam, coef, par, tab, const, ranks, [2.0], np.array([2.0, -1.0])
    )
    assert np.allclose(a.order, b.order, rtol=0, atol=1e-12)
    for r in range(2):  # counts equal across backends: no sample within the contract's bound of 2.0
        logs = ref.sample_log(
            1, 0, 2000, fam[r], coef[r], par[r], tab[r], np.zeros((0, 0)), const[r], row=r
        )
        assert np.min(np.abs(logs - 2.0)) > 1e-12
    assert np.array_equal(a.above, b.above)
    assert np.allclose(a.sum_exp, b.sum_exp, rtol=1e-12)
    assert not np.allclose(a.order[0] - 2.0, a.order[1] + 1.0)  # rows draw independent numbers


def test_numba_table_samples_equal_reference():
    """Lookup tables (every family but loguniform): numba reads the interval off the word's bits."""
    fam, coef, par, tab, chol = model().kernel_arrays()
    par, tab, errs = accelerate(fam, par, tab, coef)
    assert np.count_nonzero(par[:, 6]) >= 4 and np.all(par[par[:, 6] > 0, 7] == 4096.0)
    for start, n, row in ((0, 20_000, 0), (2**32 - 5000, 10_000, 7)):
        a = ref.sample_log(5, start, n, fam, coef, par, tab, chol, 2.0, row)
        b = numba_mc.sample_log(5, start, n, fam, coef, par, tab, chol, 2.0, row)
        assert np.all(
            np.abs(a - b) <= ref.sample_tolerance(5, start, n, fam, coef, par, tab, 2.0, row)
        )
    exact = ref.sample_log(5, 0, 20_000, *model().kernel_arrays(), 2.0)
    gap = np.abs(ref.sample_log(5, 0, 20_000, fam, coef, par, tab, chol, 2.0) - exact)
    assert gap.max() <= np.abs(coef) @ errs * (1 + 1e-9)  # the stated table error holds
    # a non-default grid takes the float path: same numbers as the reference
    par2, tab2, _ = accelerate(fam, *model().kernel_arrays()[2:4], coef, intervals=1000, tail=0.01)
    a = ref.sample_log(5, 0, 5000, fam, coef, par2, tab2, chol, 2.0)
    assert np.allclose(
        a, numba_mc.sample_log(5, 0, 5000, fam, coef, par2, tab2, chol, 2.0), rtol=0, atol=1e-12
    )


def test_batch_exp_within_one_ulp():
    """The batched bands' exp (plain arithmetic, vectorized): within 1 ulp of libm's over the
    whole range, 0 below it, inf above, nan for nan."""
    from numba import njit

    @njit
    def exps(x):
        out = np.empty_like(x)
        for i in range(x.shape[0]):
            out[i] = numba_mc._exp(x[i])
        return out

    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-40, 40, 200_000), rng.uniform(-708, 709.7, 200_000)])
    x = np.concatenate([x, [0.0, 1.0, -1.0, 0.5 * np.log(2), -0.5 * np.log(2), 709.78, -708.3]])
    got, want = exps(x), np.array([math.exp(v) for v in x.tolist()])
    assert np.all(np.abs(got - want) <= np.spacing(want))
    edge = exps(np.array([-746.0, -1e300, -np.inf, 709.79, 1e300, np.inf, np.nan]))
    assert np.array_equal(edge[:3], np.zeros(3)) and np.all(np.isinf(edge[3:6]))
    assert np.isnan(edge[6])
    tiny = exps(np.array([-740.0, -745.1]))  # subnormal results: the last bits may round twice
    assert np.all(np.abs(tiny - [math.exp(-740.0), math.exp(-745.1)]) <= 2 * 5e-324)


def test_select_into_equals_sort():
    rng = np.random.default_rng(1)
    for n in (1, 2, 5, 100, 10_000):
        for kind in range(4):
            x = [
                rng.standard_normal(n),
                rng.integers(0, 3, n).astype(float),
                np.exp(3 * rng.standard_normal(n)),
                np.full(n, 2.5),
            ][kind]
            ranks = np.unique(np.concatenate([[0, n - 1], rng.integers(0, n, 8)]))
            order = np.empty((1, len(ranks)))
            nb = 1024
            numba_mc._select_into(
                x.copy(),
                n,
                ranks,
                x.min(),
                x.max(),
                np.empty(nb, np.int64),
                np.empty(nb, np.int64),
                np.empty(n),
                order,
                0,
                np.empty(n, np.uint32),
            )
            assert np.array_equal(order[0], np.sort(x)[ranks])


def _mixed_rows():
    from computesim.core.distributions import LogNormal, LogUniform, Pert, Triangular, Uniform
    from computesim.uncertainty.band import LogModel

    a, b, c = Uniform(4.0, 6.0), LogNormal(0.1, 0.3), Triangular(1.0, 2.0, 5.0)
    return [
        LogModel(1.0, ("t", "u"), (a, b), (1.0, 1.0)),
        LogModel(2.0, ("x",), (c,), (2.0,)),
        LogModel(
            0.5, ("t", "p", "l"), (a, Pert(1.0, 2.0, 6.0), LogUniform(1.0, 9.0)), (1.0, -1.0, 0.5)
        ),
        LogModel(3.0, ("u", "x"), (b, c), (1.0, 1.0)),
    ]


def test_batch_with_shared_tables():
    """Pooled tables (one per distinct distribution): numba = reference = private per-row copies."""
    from computesim.uncertainty.table import _pooled

    rows = _mixed_rows()
    fam, coef, par, pool, index = _pooled(rows)
    assert pool.shape[0] == 6 and np.all(
        index[1, 1:] == 5
    )  # 5 distinct distributions, then the padding
    const = np.array([m.const for m in rows])
    ranks = [0, 10, 1500, 2999]
    a = ref.bands_batch(2, 3000, fam, coef, par, pool, const, ranks, [2.0], const, tab_index=index)
    b = numba_mc.bands_batch(
        2, 3000, fam, coef, par, pool, const, ranks, [2.0], const, tab_index=index
    )
    c = numba_mc.bands_batch(2, 3000, fam, coef, par, pool[index], const, ranks, [2.0], const)
    assert np.allclose(a.order, b.order, rtol=0, atol=1e-12) and np.array_equal(a.above, b.above)
    assert np.allclose(a.sum_exp, b.sum_exp, rtol=1e-12)
    assert np.array_equal(b.order, c.order) and np.array_equal(b.sum_x, c.sum_x)
    one = ref.sample_log(
        2, 0, 3000, fam[3], coef[3], par[3], pool[index[3]], np.zeros((0, 0)), 3.0, row=3
    )
    assert np.allclose(np.sort(one)[ranks], b.order[3], rtol=0, atol=1e-12)


_CUDA_SCRIPT = r"""
import json, numpy as np, sys
sys.path.insert(0, %r)
from test_mc_kernels import model
from computesim.kernels import get_backend, mc_reference as ref
from computesim.kernels.tables import accelerate
cu = get_backend("cuda").mc
out = {}
for corr in (False, True):
    fam, coef, par, tab, chol = model(corr).kernel_arrays()
    a = ref.sample_log(9, 2**32 - 100, 300, fam, coef, par, tab, chol, 2.0, 3)
    b = cu.sample_log(9, 2**32 - 100, 300, fam, coef, par, tab, chol, 2.0, 3)
    out[str(corr)] = float(np.max(np.abs(a - b)))
par2, tab2, _ = accelerate(fam, par, tab, coef)
a = ref.sample_log(9, 2**32 - 100, 300, fam, coef, par2, tab2, chol, 2.0, 3)
out["tables"] = float(np.max(np.abs(a - cu.sample_log(9, 2**32 - 100, 300, fam, coef, par2, tab2, chol, 2.0, 3))))
from test_mc_kernels import _mixed_rows
from computesim.uncertainty.table import _pooled
f2, c2, p2, pool, index = _pooled(_mixed_rows())
k = np.zeros(4)
x = ref.bands_batch(2, 200, f2, c2, p2, pool, k, [0, 100, 199], [], k, tab_index=index)
y = cu.bands_batch(2, 200, f2, c2, p2, pool, k, [0, 100, 199], [], k, tab_index=index)
out["batch"] = float(np.max(np.abs(x.order - y.order)))
s = cu.reduce(9, 0, 500, fam, coef, par, tab, chol, 2.0, [0, 250, 499], [2.0], 2.0)
r = ref.reduce(9, 0, 500, fam, coef, par, tab, chol, 2.0, [0, 250, 499], [2.0], 2.0)
out["reduce"] = float(np.max(np.abs(s.order - r.order)))
print(json.dumps(out))
"""


@pytest.mark.cuda
def test_cuda_simulator_samples_equal_reference():
    pytest.importorskip("numba.cuda")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    script = _CUDA_SCRIPT % os.path.dirname(__file__)
    res = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr[-2000:]
    diffs = json.loads(res.stdout.strip().splitlines()[-1])
    assert all(v <= 1e-12 for v in diffs.values()), diffs


def test_unknown_backend_is_input_error():
    from computesim.errors import InputError

    with pytest.raises(InputError):
        get_backend("tpu")


def _jit(f):
    from numba import njit

    return njit(cache=True)(f)


@_jit
def lookup(w, fam, par, tab, v, x, tails):
    """numba's bit-field table lookup of words w for variable v, tails included."""
    nt = numba_mc._lut(w, w.shape[0], par[v, 6], par[v, 7], int(par[v, 8]), tab[v], x, tails)
    numba_mc._tails(w, tails, nt, fam[v], par, v, tab, x)
    return nt


@_jit
def scalar(w, fam, par, tab, v, x):
    """numba's scalar draw_log_fast at the words' uniforms."""
    for j in range(w.shape[0]):
        x[j] = numba_mc._draw_log(fam[v], (w[j] + 0.5) * 2.0**-32, par, v, tab)


@_jit
def exact(fam, u, par, v, tab, x):
    """numba's exact transform (no table) at uniforms u."""
    for j in range(u.shape[0]):
        x[j] = numba_mc._draw_exact(fam, u[j], par, v, tab)


def test_table_bit_paths_at_boundary_words():
    """The bit-field lookups (main table, then the tail tiers or the exact transform) at every
    boundary word: bit for bit numba's own scalar ``draw_log_fast`` (same C library); bit for bit the
    NumPy reference on table hits (pure arithmetic), within ``draw_tolerance`` where the exact
    transform runs (NumPy's SIMD log vs the C library's); an unpadded table takes the float path."""
    fam, coef, par, tab, _chol = model().kernel_arrays()
    par, tab, _ = accelerate(fam, par, tab, coef)
    edges = [
        0,
        1,
        2**22 - 1,
        2**22,
        2**26 - 1,
        2**26,
        2**26 + 1,
        2**31,
        2**32 - 2**26 - 1,
        2**32 - 2**26,
        2**32 - 2**22 - 1,
        2**32 - 2**22,
        2**32 - 1,
    ]
    words = np.array(edges + list(np.random.default_rng(3).integers(0, 2**32, 20_000)), np.uint32)
    u = (words + 0.5) * 2.0**-32

    tabled = [v for v in range(len(fam)) if par[v, 6] > 0]
    assert tabled and all(par[v, 9] > 0 for v in tabled)
    for v in tabled:
        x, tails = np.empty(len(words)), np.empty(len(words) + 1, np.int64)
        nt = lookup(words, fam, par, tab, v, x, tails)
        assert nt == np.count_nonzero((u < LUT_TAIL) | (u >= 1 - LUT_TAIL))
        one = np.empty(len(words))
        scalar(words, fam, par, tab, v, one)
        assert np.array_equal(x, one)  # same backend: bit for bit
        want = ref.draw_log_np(int(fam[v]), u, par[v], tab[v])
        tol = ref.draw_tolerance(int(fam[v]), u, par[v], tab[v])
        assert np.all(np.abs(x - want) <= tol)
        hit = tol == 0
        assert hit.mean() > 0.99 and np.array_equal(x[hit], want[hit])  # table hits: bit for bit
        # the same table without its padding (offset 0): the float path, the same numbers
        o = int(par[v, 8])
        par2, tab2 = par.copy(), np.zeros_like(tab)
        tab2[v, : tab.shape[1] - o] = tab[v, o:]
        par2[v, 8], par2[v, 11] = 0.0, par[v, 11] - o
        x2 = np.empty(len(words))
        lookup(words, fam, par2, tab2, v, x2, tails)
        assert np.array_equal(x2, x)


def test_draw_tolerance_is_tight_and_holds():
    """The stated cross-backend bound holds for numba's exact transforms and is not vacuous: about
    eps-sized (or 0) except a truncated normal near its truncation point."""
    fam, _coef, par, tab, _chol = model().kernel_arrays()
    u = (
        np.concatenate(
            [
                np.random.default_rng(5).integers(0, 2**32, 200_000),
                np.arange(2**12),
                2**32 - 1 - np.arange(2**12),
            ]
        ).astype(np.uint32)
        + 0.5
    ) * 2.0**-32

    for v in range(len(fam)):
        x = np.empty(len(u))
        exact(fam[v], u, par, v, tab, x)
        want = ref.draw_log_np(int(fam[v]), u, par[v], tab[v])
        tol = ref.draw_tolerance(int(fam[v]), u, par[v], tab[v])
        assert np.all(np.abs(x - want) <= tol), v
        if fam[v] != 3:
            assert np.all(tol <= 1e-13)


def test_quantiles_from_histogram():
    rng = np.random.default_rng(4)
    hist = rng.integers(0, 5, (3, 1000)).astype(np.int32)
    hist[:, 100:120] = 0
    h = hist.sum(axis=0)
    cum = np.cumsum(h)
    ranks = np.array([0, 5, 777, int(cum[-1]) // 2, int(cum[-1]) - 1])
    lo, width, shift = -2.0, 0.01, 0.5
    order, sums = np.empty(len(ranks)), np.zeros(2)
    numba_mc._from_hist(hist, lo, width, shift, ranks, order, sums)
    b = np.searchsorted(cum, ranks, side="right")
    assert np.allclose(
        order, lo + width * (b + (ranks - (cum[b] - h[b]) + 0.5) / h[b]), rtol=0, atol=1e-12
    )
    e = np.exp(lo + width * (np.arange(1000) + 0.5) - shift)
    assert sums == pytest.approx([np.sum(h * e), np.sum(h * e * e)], rel=1e-12)


def test_fma_exps_within_two_ulp():
    """``mc_numba._exps`` (compiled with FMA contraction) stays within 2 ulp of NumPy's exp over
    the whole range, at the points where k = round(x / ln 2) is a near tie, and saturates like it."""
    from computesim.kernels import mc_numba

    rng = np.random.default_rng(11)
    ties = (np.arange(-1070, 1020) + 0.5) * math.log(2)
    x = np.concatenate(
        [
            rng.uniform(-740, 705, 200_000),
            rng.normal(0, 3, 100_000),
            ties,
            np.nextafter(ties, np.inf),
            np.nextafter(ties, -np.inf),
        ]
    )
    x = x[(x > -700) & (x < 705)]
    got = np.empty_like(x)
    mc_numba._exps(x, len(x), 0.0, got)
    want = np.exp(x)
    assert np.max(np.abs(got - want) / want) <= 4 * np.finfo(float).eps
    edge = np.array([-800.0, 800.0, 0.0])
    out = np.empty(3)
    mc_numba._exps(edge, 3, 0.0, out)
    assert out[0] == 0.0 and out[1] == np.inf and out[2] == 1.0
