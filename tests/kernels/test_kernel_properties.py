"""Property tests (Hypothesis): every kernel backend against the NumPy reference on random inputs.

Sweeps: random grid shapes, chunkings and group axes, on reference, numba and cuda (the CUDA
simulator, which conftest.py enables without a GPU; tiny grids there). Monte Carlo: random small
models (random families, parameters and powers), with and without lookup tables, under the
contract of ``computesim.kernels`` (bit for bit on pure arithmetic, ``sample_tolerance`` through log).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from computesim.core.units import PFS_DAY
from computesim.kernels import (
    available_backends,
    get_backend,
)
from computesim.kernels import (
    mc_reference as ref,
)
from computesim.kernels import (
    sweep_reference as sref,
)
from computesim.kernels.tables import accelerate

pytest.importorskip("computesim.kernels.mc_numba")
SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
CUDA = "cuda" in available_backends()


@st.composite
def grids(draw, max_side: int = 6, max_dims: int = 4):
    """(axes, const): 1..max_dims positive axes of 1..max_side values (ties allowed)."""
    shape = draw(st.lists(st.integers(1, max_side), min_size=1, max_size=max_dims))
    vals = st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 1e-3, 7.25, 1e3])
    axes = [
        np.array(draw(st.lists(vals | st.floats(1e-3, 1e3), min_size=n, max_size=n))) for n in shape
    ]
    return axes, draw(st.floats(1e-3, 1e30))


def _mat(mod, axes, const, start, n, code_axis):
    out = (
        np.empty(n),
        np.empty(n),
        np.empty((len(axes), n)),
        np.empty(n if code_axis >= 0 else 0, np.int32),
    )
    mod.materialize(axes, const, start, *out, code_axis, PFS_DAY)
    return out


def _check_sweep(name: str, axes, const, data) -> None:
    be = get_backend(name).sweep
    total = int(np.prod([len(a) for a in axes]))
    code_axis = data.draw(st.integers(-1, len(axes) - 1))
    cuts = sorted(set(data.draw(st.lists(st.integers(0, total), max_size=3))) | {0, total})
    want = _mat(sref, axes, const, 0, total, code_axis)
    for s, e in itertools.pairwise(cuts):  # a random chunking: every chunk the reference's bytes
        got = _mat(be, axes, const, s, e - s, code_axis)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w[..., s:e])
    g = data.draw(st.integers(-1, len(axes) - 1))
    t = float(want[0][data.draw(st.integers(0, total - 1))])  # a grid value: ties on the threshold
    np.testing.assert_array_equal(
        be.count_at_least(axes, const, t, g), sref.count_at_least(axes, const, t, g)
    )
    for x, y in zip(be.extremes(axes, const, g), sref.extremes(axes, const, g)):
        np.testing.assert_array_equal(x, y)
    qs = data.draw(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=3))
    np.testing.assert_allclose(
        be.quantiles(axes, const, qs, g), sref.quantiles(axes, const, qs, g), rtol=1e-12
    )


@pytest.mark.parametrize("split", [False, True], ids=["walk", "split"])
@settings(max_examples=20, **SETTINGS)
@given(grid=grids(), data=st.data())
def test_sweep_numba_equals_reference(split, grid, data):
    """Both of numba's reductions: the plane walk and the two-set split (forced)."""
    from computesim.kernels import sweep_split

    old, sweep_split.FORCE = sweep_split.FORCE, split
    try:
        _check_sweep("numba", *grid, data)
    finally:
        sweep_split.FORCE = old


@settings(max_examples=15, **SETTINGS)
@given(grid=grids(), data=st.data())
def test_sweep_reference_against_broadcast(grid, data):
    """The oracle itself against a plain broadcast product in the canonical order."""
    axes, const = grid
    flop = _mat(sref, axes, const, 0, int(np.prod([len(a) for a in axes])), -1)[0]
    direct = np.array(const)
    for a, ax in enumerate(axes):
        direct = direct[..., None] * ax if a else direct * ax
    np.testing.assert_array_equal(flop, direct.ravel())


@pytest.mark.cuda
@pytest.mark.skipif(
    not CUDA, reason="cuda backend unavailable (NUMBA_ENABLE_CUDASIM=1 for the simulator)"
)
@settings(max_examples=4, **SETTINGS)
@given(grid=grids(max_side=3, max_dims=3), data=st.data())
def test_sweep_cuda_equals_reference(grid, data):
    _check_sweep("cuda", *grid, data)


# --- Monte Carlo ------------------------------------------------------------------------------


def _dists():
    from computesim.core.distributions import (
        LogNormal,
        LogUniform,
        Normal,
        Pert,
        Triangular,
        Uniform,
    )

    pos = st.floats(0.05, 50.0)
    return st.one_of(
        st.builds(LogNormal, st.floats(-5.0, 5.0), st.floats(0.01, 2.0)),
        st.builds(lambda a, r: LogUniform(a, a * r), pos, st.floats(1.01, 1e4)),
        st.builds(lambda a, r: Uniform(a, a + r), st.floats(0.0, 50.0), st.floats(0.01, 100.0)),
        st.builds(Normal, st.floats(0.1, 10.0), st.floats(0.05, 5.0)),
        st.builds(
            lambda a, m, r: Triangular(a, a + m * a * (r - 1), a * r),
            pos,
            st.floats(0.0, 1.0),
            st.floats(1.1, 50.0),
        ),
        st.sampled_from(
            [Pert(1.0, 2.0, 6.0), Pert(0.5, 0.6, 0.9)]
        ),  # tables are costly: two of them
    )


@st.composite
def models(draw, max_vars: int = 6):
    """(fam, coef, par, tab, const) of a random independent model, with lookup tables or not."""
    from computesim.uncertainty.band import LogModel

    k = draw(st.integers(1, max_vars))
    dists = tuple(draw(_dists()) for _ in range(k))
    coefs = tuple(draw(st.sampled_from([1.0, -1.0, 2.0, 0.5, 0.0, -3.0])) for _ in range(k))
    const = draw(st.floats(-50.0, 50.0))
    fam, coef, par, tab, _ = LogModel(
        const, tuple(f"v{i}" for i in range(k)), dists, coefs
    ).kernel_arrays()
    if draw(st.booleans()):
        par, tab, _ = accelerate(fam, par, tab, coef)
    return fam, coef, par, tab, const


_EMPTY = np.zeros((0, 0))


@settings(max_examples=30, **SETTINGS)
@given(
    model=models(),
    seed=st.integers(0, 2**64 - 1),
    start=st.sampled_from([0, 17, 2**32 - 300]),
    n=st.integers(1, 700),
    row=st.integers(0, 3),
)
def test_mc_numba_samples_within_contract(model, seed, start, n, row):
    from computesim.kernels import mc_numba

    fam, coef, par, tab, const = model
    a = ref.sample_log(seed, start, n, fam, coef, par, tab, _EMPTY, const, row)
    b = mc_numba.sample_log(seed, start, n, fam, coef, par, tab, _EMPTY, const, row)
    tol = ref.sample_tolerance(seed, start, n, fam, coef, par, tab, const, row)
    assert np.all(np.abs(a - b) <= tol)
    assert np.array_equal(a[tol == 0], b[tol == 0])  # pure arithmetic: bit for bit
    split = n // 3  # any chunking: the same bytes
    parts = np.concatenate(
        [
            mc_numba.sample_log(seed, start, split, fam, coef, par, tab, _EMPTY, const, row),
            mc_numba.sample_log(
                seed, start + split, n - split, fam, coef, par, tab, _EMPTY, const, row
            ),
        ]
    )
    assert np.array_equal(parts, b)


@settings(max_examples=20, **SETTINGS)
@given(model=models(max_vars=4), seed=st.integers(0, 2**32), n=st.integers(2, 3000), data=st.data())
def test_mc_numba_reduce_within_contract(model, seed, n, data):
    """Order statistics are exact: within the samples' bound of the reference's (1-Lipschitz)."""
    from computesim.kernels import mc_numba

    fam, coef, par, tab, const = model
    ranks = sorted(set(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=5))))
    a = ref.reduce(seed, 0, n, fam, coef, par, tab, _EMPTY, const, ranks, [const], const)
    b = mc_numba.reduce(seed, 0, n, fam, coef, par, tab, _EMPTY, const, ranks, [const], const)
    tol = ref.sample_tolerance(seed, 0, n, fam, coef, par, tab, const).max()
    assert np.all(np.abs(a.order - b.order) <= tol) and b.error == 0
    logs = ref.sample_log(seed, 0, n, fam, coef, par, tab, _EMPTY, const)
    near = np.count_nonzero(np.abs(logs - const) <= tol)  # samples that may cross the threshold
    assert abs(int(a.above[0]) - int(b.above[0])) <= near
    assert b.sum_x == pytest.approx(a.sum_x, rel=1e-9, abs=1e-9 * n * (1 + abs(const)))


@pytest.mark.cuda
@pytest.mark.skipif(
    not CUDA, reason="cuda backend unavailable (NUMBA_ENABLE_CUDASIM=1 for the simulator)"
)
@settings(max_examples=3, **SETTINGS)
@given(model=models(max_vars=3), seed=st.integers(0, 2**64 - 1), n=st.integers(1, 40))
def test_mc_cuda_samples_within_contract(model, seed, n):
    fam, coef, par, tab, const = model
    a = ref.sample_log(seed, 0, n, fam, coef, par, tab, _EMPTY, const)
    b = get_backend("cuda").mc.sample_log(seed, 0, n, fam, coef, par, tab, _EMPTY, const)
    assert np.all(np.abs(a - b) <= ref.sample_tolerance(seed, 0, n, fam, coef, par, tab, const))
