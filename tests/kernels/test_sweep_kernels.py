"""Every sweep backend against the NumPy reference (float64, rtol 1e-12; counts exact)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from computesim.core.units import PFS_DAY
from computesim.kernels import available_backends, get_backend
from computesim.kernels import sweep_reference as ref

RTOL = 1e-12
FAST = [b for b in ("numba", "cuda") if b in available_backends()]


@pytest.fixture(params=["reference", "numba", pytest.param("cuda", marks=pytest.mark.cuda)])
def be(request):
    if request.param not in available_backends():
        pytest.skip(f"{request.param} backend unavailable (set NUMBA_ENABLE_CUDASIM=1 for cuda)")
    return get_backend(request.param).sweep


@pytest.fixture(params=[False, True], ids=["walk", "split"])
def split(request, monkeypatch):
    """The numba backend's reductions by the plane walk, or forced onto the two-set split."""
    from computesim.kernels import sweep_split

    monkeypatch.setattr(sweep_split, "FORCE", request.param)
    return request.param


def grid(seed: int, shape):
    rng = np.random.default_rng(seed)
    return [np.exp(rng.uniform(-3, 3, n)) for n in shape], float(np.exp(rng.uniform(30, 40)))


def small(be, shape):
    """Keep CUDA-simulator launches tiny."""
    return (
        shape if be.__name__.endswith(("reference", "numba")) else tuple(min(s, 3) for s in shape)
    )


def run_mat(mod, axes, const, start, n, code_axis):
    k = len(axes)
    out = np.empty(n), np.empty(n), np.empty((k, n)), np.empty(n if code_axis >= 0 else 0, np.int32)
    mod.materialize(axes, const, start, *out, code_axis, PFS_DAY)
    return out


SHAPES = [(7,), (3, 5), (2, 3, 4), (3, 1, 4, 5), (2, 2, 3, 1, 3)]


@pytest.mark.parametrize("shape", SHAPES)
def test_materialize_matches_reference(be, shape):
    shape = small(be, shape)
    axes, const = grid(1, shape)
    n = int(np.prod(shape))
    want = run_mat(ref, axes, const, 0, n, len(shape) - 1)
    # direct broadcast formula as a second, independent oracle for the reference itself
    direct = const
    for a, ax in enumerate(axes):
        direct = direct * ax.reshape([-1 if i == a else 1 for i in range(len(shape))])
    np.testing.assert_allclose(want[0], np.ravel(direct), rtol=RTOL)
    for start, m in ((0, n), (1, n - 2), (n // 2, n - n // 2)):
        if m <= 0:
            continue
        for code_axis in range(len(shape)):
            got = run_mat(be, axes, const, start, m, code_axis)
            exp = run_mat(ref, axes, const, start, m, code_axis)
            np.testing.assert_allclose(got[0], exp[0], rtol=RTOL)
            np.testing.assert_allclose(got[1], exp[1], rtol=RTOL)
            np.testing.assert_array_equal(got[2], exp[2])
            np.testing.assert_array_equal(got[3], exp[3])


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_materialize_independent_of_chunk(chunk):
    axes, const = grid(2, (4, 6, 9))
    n = 4 * 6 * 9
    want = run_mat(get_backend("numba").sweep, axes, const, 0, n, 1)
    parts = [
        run_mat(get_backend("numba").sweep, axes, const, s, min(chunk, n - s), 1)
        for s in range(0, n, chunk)
    ]
    for i in range(4):
        np.testing.assert_array_equal(np.concatenate([p[i] for p in parts], axis=-1), want[i])


def test_independent_of_thread_count():
    import numba

    mod = get_backend("numba").sweep
    axes, const = grid(3, (5, 40, 300))
    n = 5 * 40 * 300
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run_mat(mod, axes, const, 0, n, 0), mod.count_at_least(axes, const, 1e35, 1)
        numba.set_num_threads(before)
        many = run_mat(mod, axes, const, 0, n, 0), mod.count_at_least(axes, const, 1e35, 1)
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one[0], many[0]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(one[1], many[1])


@pytest.mark.parametrize("shape", [(9,), (4, 7), (3, 5, 6), (2, 4, 3, 5)])
def test_reductions_match_reference(be, shape, split):
    shape = small(be, shape)
    axes, const = grid(4, shape)
    flop = run_mat(ref, axes, const, 0, int(np.prod(shape)), -1)[0]
    # thresholds: exactly on grid products (ties) and between them
    thresholds = [
        flop[0],
        flop[len(flop) // 2],
        np.quantile(flop, 0.3),
        flop.max() * 2,
        flop.min() / 2,
    ]
    for g in [-1, *range(len(shape))]:
        for t in thresholds:
            np.testing.assert_array_equal(
                be.count_at_least(axes, const, t, g), ref.count_at_least(axes, const, t, g)
            )
        for got, exp in zip(be.extremes(axes, const, g), ref.extremes(axes, const, g)):
            np.testing.assert_array_equal(got, exp)
        qs = [0.0, 0.05, 0.5, 0.9, 1.0]
        np.testing.assert_allclose(
            be.quantiles(axes, const, qs, g), ref.quantiles(axes, const, qs, g), rtol=RTOL
        )


@pytest.mark.parametrize("limit", [0, 50])
def test_quantiles_bisection_paths(monkeypatch, limit, split):
    """Force the bisection (limit 0: to convergence; 50: then gather the bracket) on a grid with ties."""
    mod = get_backend("numba").sweep
    monkeypatch.setattr(mod, "BAND_LIMIT", limit)
    monkeypatch.setattr(mod, "BAND_MIN", limit)
    axes = [np.array([1.0, 2, 4, 8, 3]), np.geomspace(0.1, 7, 13), np.array([3.0, 1.5, 6, 1.5])]
    qs = [0.0, 0.01, 0.33, 0.5, 0.99, 1.0]
    for g in (-1, 0, 2):
        np.testing.assert_allclose(
            mod.quantiles(axes, 2.5, qs, g), ref.quantiles(axes, 2.5, qs, g), rtol=RTOL
        )


def test_count_le_on_ties_is_exact(split):
    """Integer-valued axes give many equal products; counts must still agree exactly."""
    axes = [np.array([1.0, 2, 4, 8]), np.array([8.0, 4, 2, 1, 2]), np.array([3.0, 1.5, 6])]
    mod = get_backend("numba").sweep
    thr = np.array([[1.0, 3, 6, 12, 24, 48, 96, 192, 384]])
    np.testing.assert_array_equal(
        mod.count_le(axes, 1.0, thr, -1), ref.count_le(axes, 1.0, thr, -1)
    )


def test_reference_reductions_agree_with_numpy():
    """The oracle itself, against plain numpy on the materialised grid."""
    axes, const = grid(5, (3, 4, 5))
    f = run_mat(ref, axes, const, 0, 60, -1)[0]
    assert ref.count_at_least(axes, const, np.median(f), -1)[0] == np.sum(f >= np.median(f))
    mn, amn, mx, amx = ref.extremes(axes, const, -1)
    assert (mn[0], amn[0], mx[0], amx[0]) == (f.min(), f.argmin(), f.max(), f.argmax())
    np.testing.assert_allclose(
        ref.quantiles(axes, const, [0.25], -1)[0], np.quantile(f, [0.25]), rtol=RTOL
    )


@pytest.mark.cuda
def test_cuda_kernels_under_simulator():
    """The CUDA kernels in the simulator, in a fresh process (the env var must precede numba.cuda)."""
    pytest.importorskip("numba.cuda", reason="numba-cuda is not installed")
    code = textwrap.dedent("""
        import numpy as np
        from computesim.kernels import get_backend, sweep_reference as ref
        cu = get_backend("cuda").sweep
        rng = np.random.default_rng(0)
        axes = [np.exp(rng.uniform(-2, 2, n)) for n in (2, 3, 3)]
        k, n = 3, 18
        a = [np.empty(n), np.empty(n), np.empty((k, n)), np.empty(n, np.int32)]
        b = [np.empty(n), np.empty(n), np.empty((k, n)), np.empty(n, np.int32)]
        cu.materialize(axes, 7.0, 0, *a, 1, 8.64e19); ref.materialize(axes, 7.0, 0, *b, 1, 8.64e19)
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-12)
        t = float(np.median(b[0]))
        for g in (-1, 0, 2):
            assert (cu.count_at_least(axes, 7.0, t, g) == ref.count_at_least(axes, 7.0, t, g)).all()
            np.testing.assert_allclose(cu.quantiles(axes, 7.0, [0.1, 0.5], g), ref.quantiles(axes, 7.0, [0.1, 0.5], g), rtol=1e-12)
        print("cuda-ok")
    """)
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    r = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "cuda-ok" in r.stdout


@pytest.mark.parametrize("stream_min", [0, 1 << 62], ids=["streaming", "ordinary"])
@pytest.mark.parametrize("serial_max", [0, 1 << 62])
def test_numba_serial_and_parallel_paths_match_reference(monkeypatch, serial_max, stream_min):
    """Both compiled variants of materialize (threads or not), by streaming or ordinary stores,
    give the reference's exact bytes."""
    from computesim.kernels import sweep_numba

    monkeypatch.setattr(sweep_numba, "SERIAL_MAX", serial_max)
    monkeypatch.setattr(sweep_numba, "STREAM_MIN_BYTES", stream_min)
    shape = (3, 41, 7, 233)  # 200,613 points: several parallel blocks, odometer carries mid-block
    axes, const = grid(5, shape)
    n = int(np.prod(shape))
    for code_axis, start, m in ((1, 0, n), (3, 5, n - 9), (-1, 1, n - 1)):
        want = run_mat(ref, axes, const, start, m, code_axis)
        got = run_mat(sweep_numba, axes, const, start, m, code_axis)
        for w, g in zip(want, got):
            np.testing.assert_array_equal(g, w)


def _at(shape, dtype, offset):
    """A zeroed C-contiguous array ``offset`` items past a 64-byte line start."""
    size = int(np.prod(shape))
    raw = np.zeros(size + 64, dtype)
    first = (-raw.ctypes.data % 64) // raw.itemsize + offset
    return raw[first : first + size].reshape(shape)


@pytest.mark.parametrize(
    "shape", [(3, 41, 7, 233), (5, 7, 9, 3, 5), (2, 3000, 1), (40000, 8)], ids=str
)
def test_streaming_materialize_at_every_alignment(monkeypatch, shape):
    """The streaming path writes whole lines from each column's own alignment: columns that start
    anywhere in a line, flop and pfs-days aligned alike or not, runs of the last axis shorter
    than a line (lines across several runs) or of one point, and every code axis."""
    from computesim.kernels import sweep_numba

    monkeypatch.setattr(sweep_numba, "STREAM_MIN_BYTES", 0)
    axes, const = grid(11, shape)
    n, k = int(np.prod(shape)), len(shape)
    for code_axis, start, m, offsets in (
        (0, 0, n, (0, 0, 0, 0)),
        (k - 1, 3, n - 5, (3, 3, 5, 13)),
        (1, 1, n - 1, (7, 2, 1, 6)),
        (-1, 0, n, (1, 4, 0, 0)),
    ):
        want = run_mat(ref, axes, const, start, m, code_axis)
        got = (
            _at(m, np.float64, offsets[0]),
            _at(m, np.float64, offsets[1]),
            _at((k, m), np.float64, offsets[2]),
            _at(m if code_axis >= 0 else 0, np.int32, offsets[3]),
        )
        sweep_numba.materialize(axes, const, start, *got, code_axis, PFS_DAY)
        for w, g in zip(want, got):
            np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize(
    "value_dtype, code_dtype, code_axis",
    [
        (np.float32, np.int32, 1),  # float32 values: the ordinary path
        (np.float64, np.float64, 1),  # float codes: the ordinary path
        (np.float64, np.int16, 2),  # 2-byte codes: the ordinary path
        (np.float64, np.int8, -1),  # codes unused: streams whatever their dtype
        (np.float64, np.int64, 2),
    ],
)
def test_streaming_materialize_other_dtypes(monkeypatch, value_dtype, code_dtype, code_axis):
    """Outputs the line stores cannot take fall back to ordinary stores; results equal the
    reference's."""
    from computesim.kernels import sweep_numba

    monkeypatch.setattr(sweep_numba, "STREAM_MIN_BYTES", 0)
    shape = (3, 11, 37)
    axes, const = grid(4, shape)
    n = int(np.prod(shape))
    want = run_mat(ref, axes, const, 0, n, code_axis)
    got = np.empty(n, value_dtype), np.empty(n, value_dtype), np.empty((3, n), value_dtype)
    codes = np.zeros(n, code_dtype)
    sweep_numba.materialize(axes, const, 0, *got, codes, code_axis, PFS_DAY)
    for w, g in zip(want, got):
        np.testing.assert_array_equal(g, w.astype(value_dtype))
    if code_axis >= 0:
        np.testing.assert_array_equal(codes, want[3].astype(code_dtype))


def test_line_stores_write_whole_lines():
    """Each vector streaming store of ``kernels.stores`` writes one 64-byte line of the values it
    names, each rounded as the scalar expression would be, and nothing else."""
    from numba import njit

    from computesim.kernels import stores

    @njit
    def lines(f, c, x, p, d):
        stores.stream_line(f, (0, 0), x, 3)
        stores.stream_splat(f, (1, 0), p)
        stores.stream_split(f, (2, 0), p, d, 3)
        stores.stream_product(f, (3, 0), x, 1, p)
        stores.stream_quotient(f, (4, 0), x, 2, p, d)
        stores.stream_blend(f, (0, 8), x, 1, 5, p, d, 3, 7.0)
        stores.stream_count(c, 0, 7, 3)
        stores.stream_split(c, 16, 5, 9, 11)
        stores.fence()

    f, c = _at((5, 16), np.float64, 0), _at(48, np.int32, 0)
    x = np.exp(np.random.default_rng(3).uniform(-50, 50, 16))  # products and quotients inexact
    p, d = 1.2345678901234567e19, 8.64e19
    lines(f, c, x, p, d)
    want = np.zeros((5, 16))
    want[0, :8] = x[3:11]
    want[1, :8] = p
    want[2, :8] = [p, p, p, d, d, d, d, d]
    want[3, :8] = p * x[1:9]
    want[4, :8] = (p * x[2:10]) / d
    want[0, 8:] = np.r_[(p * x[1:4]) / 7.0, (d * x[8:13]) / 7.0]
    np.testing.assert_array_equal(f, want)
    np.testing.assert_array_equal(c[:16], 7 + 3 * np.arange(16))
    np.testing.assert_array_equal(c[16:32], [5] * 11 + [9] * 5)
    assert not c[32:].any()
    if stores.X86:  # one non-temporal vector store a line (VMOVNTPD/PS/DQ, any vector width)
        asm = "\n".join(lines.inspect_asm().values())
        assert len(re.findall(r"\bv?movnt(?:pd|ps|dq)\s+%[xyz]mm", asm)) >= 8


def test_streaming_stores_write_every_element():
    """``kernels.stores.stream`` writes arr[i] exactly (float and integer arrays, a strided view)."""
    from numba import njit

    from computesim.kernels import stores

    @njit
    def put_all(a, v):
        for i in range(a.shape[0]):
            stores.stream(a, i, v + i)
        stores.fence()

    for dtype in (np.float64, np.int32, np.int64):
        a = np.zeros(1001, dtype)
        put_all(a, 3)
        np.testing.assert_array_equal(a, (3 + np.arange(1001)).astype(dtype))
    b = np.zeros((4, 50))
    put_all(b[2], 1.5)  # a row of a 2-D array
    np.testing.assert_array_equal(b[2], 1.5 + np.arange(50))
    assert not b[[0, 1, 3]].any()
    c = np.zeros((50, 3))
    put_all(c[:, 1], 2.0)  # a strided column
    np.testing.assert_array_equal(c[:, 1], 2.0 + np.arange(50))
    assert not c[:, [0, 2]].any()
    if stores.X86:  # the stores really stream: LLVM's hint alone gives a plain store for a double
        asm = "\n".join(put_all.inspect_asm().values())
        assert "movnti" in asm and "sfence" in asm


def test_streaming_store_refuses_read_only_arrays():
    from numba import njit
    from numba.core.errors import TypingError

    from computesim.kernels import stores

    @njit
    def put(a):
        stores.stream(a, 0, 1.0)

    a = np.zeros(3)
    a.flags.writeable = False
    with pytest.raises(TypingError):
        put(a)


def test_serial_and_parallel_variants_are_cached_apart(tmp_path):
    """The threaded and the serial materialize kernels get their own cache entries: sharing one, the
    variant compiled first (the serial one, by any small call) was later loaded for the other, and
    every large call ran on one thread (found as a 2x slower bench after the test suite ran)."""
    code = textwrap.dedent("""
        import numpy as np
        from computesim.kernels import sweep_numba as m
        for n in (10, m.SERIAL_MAX + 1):  # the serial variant compiles first, then the threaded
            axes = [np.ones(2), np.ones(n // 2 + 1)]
            out = np.empty(n), np.empty(n), np.empty((2, n)), np.empty(0, np.int32)
            m.materialize(axes, 1.0, 0, *out, -1, 1.0)
    """)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    names = sorted(p.name.split("-")[0] for p in tmp_path.rglob("sweep_numba._materialize*.nbi"))
    assert names == ["sweep_numba._materialize", "sweep_numba._materialize_serial"], names


def test_extremes_first_occurrence_when_products_round_to_a_tie(be):
    """Distinct axis values whose products round to the same float: the argument is the first
    occurrence, as the reference's (numba took the larger axis value's later index; found by
    tests/kernels/test_kernel_properties.py)."""
    axes = [
        np.array([0.5, 0.5]),
        np.array([0.5, 131.71704609]),
        np.array([0.5, np.nextafter(1e3, 0), 1e3]),
    ]
    assert axes[1][1] * axes[2][1] == axes[1][1] * axes[2][2]  # the tie
    for g in (-1, 0, 2):
        for got, want in zip(be.extremes(axes, 1.0, g), ref.extremes(axes, 1.0, g)):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("group", [-1, 0])
def test_gather_reuses_the_counting_passes(monkeypatch, group, split):
    """The bracket gather writes each bracket's points in one pass, at positions taken from the
    per-block counts of the counting passes: no counting pass has a finite lower end, exactly one
    pass writes, and the result is still the reference's."""
    mod = get_backend("numba").sweep
    monkeypatch.setattr(mod, "BAND_LIMIT", 64)
    monkeypatch.setattr(mod, "BAND_MIN", 64)
    calls = []
    name = "_split_band" if split else "_band"
    real = getattr(mod, name)

    def spy(*args):
        lo, out = args[-5 if split else -6], args[-1]  # (..., lo, hi[, n_outer], nb, starts, out)
        calls.append((bool(np.isfinite(lo).any()), out.shape[0] > 0))
        return real(*args)

    monkeypatch.setattr(mod, name, spy)
    axes, const = grid(11, (7, 40, 30, 5))
    qs = [0.05, 0.5, 0.95]
    got = mod.quantiles(axes, const, qs, group)
    np.testing.assert_allclose(got, ref.quantiles(axes, const, qs, group), rtol=RTOL)
    assert [w for _, w in calls].count(True) == 1 and calls[-1][1]
    assert not any(finite for finite, writes in calls if not writes), calls


def test_split_is_chosen_where_it_pays():
    """The bench's 4-D grid at 10^9 points goes onto the split (sets of 10^4 and 10^5 products);
    a grid with a value out of range, or a zero, does not (the plane walk stays exact there)."""
    from computesim.benchmarks.sweeps import CONST
    from computesim.benchmarks.sweeps import grid as bench_grid
    from computesim.kernels import sweep_split
    from computesim.kernels.host import Plan

    axes = bench_grid(10**9)
    s = sweep_split.of(Plan(axes, CONST, -1))
    assert s is not None and sorted([len(s.qa), len(s.qb)]) == [10**4, 10**5]
    assert sweep_split.of(Plan([np.ones(3), np.arange(1.0, 9)], 1.0, -1)) is None  # walk cheaper
    wide = [np.array([1e-200, 1.0]), np.array([1e-200, 2.0]), np.arange(1.0, 5)]
    zero = [np.array([0.0, 1.0]), np.arange(1.0, 5), np.arange(1.0, 4)]
    for axes in (wide, zero):
        assert not sweep_split._in_range(Plan(axes, 1.0, -1))


@pytest.mark.parametrize("group", [-1, 0, 2])
def test_split_counts_exact_where_set_products_round_otherwise(monkeypatch, group):
    """Axes whose products round differently in the two sets than in the canonical order (thirds,
    tenths, primes): counting at every grid product, and just either side of it, gives the
    reference's counts exactly, and the quantiles its values."""
    from computesim.kernels import sweep_split

    monkeypatch.setattr(sweep_split, "FORCE", True)
    mod = get_backend("numba").sweep
    axes = [np.array([1 / 3, 0.1, 7.0]), np.arange(1.0, 12) / 3, np.array([0.3, 0.7, 1.1, 13.0])]
    axes.append(np.array([2.0, 3.0, 5.0, 7.0, 11.0]) / 10)
    const = 86400e12
    flop = run_mat(ref, axes, const, 0, int(np.prod([len(a) for a in axes])), -1)[0]
    plan = __import__("computesim.kernels.host", fromlist=["Plan"]).Plan(axes, const, group)
    s = sweep_split.of(plan)
    assert s is not None
    ts = np.unique(flop)
    thr = np.concatenate([ts, np.nextafter(ts, 0), np.nextafter(ts, np.inf)])
    thr = np.repeat(thr[None, :], plan.G, axis=0)
    want = ref.count_le(axes, const, thr, group)
    np.testing.assert_array_equal(mod.count_le(axes, const, thr, group), want)
    qs = np.linspace(0, 1, 21)
    np.testing.assert_allclose(
        mod.quantiles(axes, const, qs, group), ref.quantiles(axes, const, qs, group), rtol=RTOL
    )


def test_nan_threshold_counts_nothing(split):
    """No product is <= or >= NaN: both counts are 0, as the reference's (the walk counted every
    point <= NaN, and the split's count_at_least then gave the whole group)."""
    mod = get_backend("numba").sweep
    axes = [np.array([1.0, 2, 3]), np.array([0.5, 0.25]), np.geomspace(1, 9, 4)]
    for g in (-1, 0, 2):
        got = mod.count_at_least(axes, 1.0, np.nan, g)
        np.testing.assert_array_equal(got, ref.count_at_least(axes, 1.0, np.nan, g))
        assert not got.any()
        thr = np.full((1 if g < 0 else len(axes[g]), 1), np.nan)
        np.testing.assert_array_equal(
            mod.count_le(axes, 1.0, thr, g), ref.count_le(axes, 1.0, thr, g)
        )


def test_split_left_to_the_walk_where_b_is_all_ties(monkeypatch):
    """A constant axis makes B's products one long tie, each tie point an exact check in every
    count near it: the cost model leaves such grids to the plane walk (results are the same)."""
    from computesim.kernels import sweep_split
    from computesim.kernels.host import Plan

    rng = np.random.default_rng(0)
    tied = [np.array([1.0, 2]), rng.uniform(1, 2, 2000), np.full(500, 0.5), np.full(50, 3.0)]
    free = [
        np.array([1.0, 2]),
        rng.uniform(1, 2, 2000),
        rng.uniform(1, 2, 500),
        rng.uniform(1, 3, 50),
    ]
    assert sweep_split.of(Plan(tied, 1.0, 0)) is None
    assert sweep_split.of(Plan(free, 1.0, 0)) is not None
    assert sweep_split._longest_tie(np.array([1.0, 1.0, 1.0, 2.0, 3.0, 3.0]), 1e-15) == 3
    monkeypatch.setattr(sweep_split, "FORCE", True)  # forced, the split still gives exact counts
    assert sweep_split.of(Plan(tied, 1.0, 0)) is not None


def test_empty_axis_counts_zero(split):
    """A grid with an empty axis has no points: counts 0, as the reference's (was a division by
    zero in the plan)."""
    mod = get_backend("numba").sweep
    axes = [np.array([1.0, 2]), np.array([]), np.array([3.0, 4])]
    for g in (-1, 0):
        np.testing.assert_array_equal(
            mod.count_at_least(axes, 1.0, 2.0, g), ref.count_at_least(axes, 1.0, 2.0, g)
        )
