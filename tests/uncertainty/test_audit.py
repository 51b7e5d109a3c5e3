"""Threshold audit: the exact count distribution against brute-force enumeration."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest

from computesim.uncertainty.audit import audit, count_interval, count_pmf


def _brute(ps):
    out = [0.0] * (len(ps) + 1)
    for bits in itertools.product((0, 1), repeat=len(ps)):
        w = 1.0
        for b, p in zip(bits, ps):
            w *= p if b else 1 - p
        out[sum(bits)] += w
    return out


@pytest.mark.parametrize("seed", range(8))
def test_count_pmf_matches_enumeration(seed):
    rng = random.Random(seed)
    n = rng.randint(0, 11)
    ps = [rng.choice([0.0, 1.0, rng.random(), rng.random()]) for _ in range(n)]
    got, want = count_pmf(ps), _brute(ps)
    assert len(got) == len(want)
    assert max(abs(a - b) for a, b in zip(got, want)) < 1e-12
    assert abs(sum(got) - 1) < 1e-12


def test_interval_against_enumerated_cdf():
    ps = [0.1, 0.5, 0.9, 0.3, 0.7, 0.99, 0.01]
    pmf = _brute(ps)
    lo, hi = count_interval(pmf)
    cdf = [sum(pmf[: k + 1]) for k in range(len(pmf))]
    assert cdf[lo] >= 0.05 and (lo == 0 or cdf[lo - 1] < 0.05)
    assert cdf[hi] >= 0.95 and (hi == 0 or cdf[hi - 1] < 0.95)


def test_audit_rows_years_and_missing():
    a = audit(1e25, [0.02, 0.5, 0.97, None, 1.0], list("abcde"), [2023, 2023, 2024, 2024, None])
    assert a.expected == pytest.approx(2.49)
    assert [u["name"] for u in a.uncertain] == ["b"] and a.certain_above == 2
    assert set(a.by_year) == {"2023", "2024", "unknown"}
    assert a.by_year["2023"]["expected"] == pytest.approx(0.52)
    d = a.to_dict()
    assert d["interval_90"] == list(count_interval(_brute([0.02, 0.5, 0.97, 1.0])))
    with pytest.raises(ValueError):
        count_pmf([1.5])


@pytest.mark.parametrize("n, seed", [(1, 0), (2, 1), (7, 2), (3001, 3), (20_000, 4)])
def test_pairwise_pmf_matches_the_sequential_one(n, seed):
    """The pairwise tree against one convolution step per row: same pmf to rounding (both trim
    entries below 1e-18), same 90% intervals; rows with p = 0 or 1 among them."""
    from computesim.uncertainty.audit import count_pmf_sequential

    rng = np.random.default_rng(seed)
    ps = 1 / (1 + np.exp(-rng.normal(0, 8, n)))
    ps[rng.random(n) < 0.1] = rng.choice([0.0, 1.0])
    got, want = np.array(count_pmf(ps)), np.array(count_pmf_sequential(ps))
    assert got.shape == want.shape and np.abs(got - want).max() < 1e-12
    assert count_interval(got) == count_interval(want)
    assert math.isclose(got.sum(), 1.0, rel_tol=1e-12)


def _ps(rng, n, certain=0.1):
    ps = 1 / (1 + np.exp(-rng.normal(0, 8, n)))
    ps[rng.random(n) < certain] = rng.choice([0.0, 1.0])
    return ps


@pytest.mark.parametrize("seed", range(4))
def test_grouped_pmfs_match_each_groups_sequential_one(seed):
    """Every group's tree built at once (groups of very different sizes, one empty of
    uncertain rows, one all certain) against one convolution step per row, group by group."""
    from computesim.uncertainty.audit import _group_pmfs, count_pmf_sequential

    rng = np.random.default_rng(seed)
    sizes = [3000, 1, 0, 517, 64, 65, 200]
    ps = np.concatenate([_ps(rng, n) for n in sizes] + [np.ones(5), np.zeros(3)])
    group = np.repeat(np.arange(len(sizes) + 2), sizes + [5, 3])
    perm = rng.permutation(len(ps))  # rows of a group need not be together
    got = _group_pmfs(ps[perm], group[perm], len(sizes) + 2)
    for k, (pmf, off) in enumerate(got):
        g = ps[group == k]
        want = np.array(count_pmf_sequential(g))
        full = np.zeros(len(g) + 1)
        full[off : off + len(pmf)] = pmf
        assert np.abs(full - want).max() < 1e-12, k
        assert count_interval(pmf, offset=off) == count_interval(want)


def test_audit_total_is_the_product_of_the_years():
    """The audit's total interval (the years' pmfs multiplied) against the sequential pmf of
    all rows; the uncertain list, its length known before its records are built."""
    from computesim.uncertainty.audit import Records, count_pmf_sequential

    rng = np.random.default_rng(7)
    n = 4000
    ps = _ps(rng, n)
    years = rng.integers(1990, 2025, n)
    years[rng.random(n) < 0.05] = -1
    a = audit(1e25, ps, [f"m{i}" for i in range(n)], years)
    assert a.interval == count_interval(count_pmf_sequential(ps))
    assert a.expected == pytest.approx(ps.sum(), rel=1e-12)
    unc = np.flatnonzero((ps > 0.05) & (ps < 0.95))
    assert isinstance(a.uncertain, Records) and len(a.uncertain) == len(unc)
    want = sorted(
        ({"row": int(i) + 1, "name": f"m{i}", "p_above": float(ps[i])} for i in unc),
        key=lambda u: -u["p_above"],
    )
    assert a.uncertain[:3] == want[:3] and a.uncertain[5] == want[5]
    assert list(a.uncertain) == want and a.to_dict()["uncertain"] == want
    for key, y in a.by_year.items():
        g = ps[years == (int(key) if key != "unknown" else -1)]
        assert y["interval_90"] == list(count_interval(count_pmf_sequential(g))), key


def test_audit_of_no_rows_and_of_certain_rows():
    a = audit(1e25, [None, None], ["a", "b"], [2020, None])
    assert (a.expected, a.interval, len(a.uncertain), a.by_year) == (0.0, (0, 0), 0, {})
    b = audit(1e25, [1.0, 1.0, 0.0], ["a", "b", "c"], [2020, 2021, 2021])
    assert b.interval == (2, 2) and b.certain_above == 2 and list(b.uncertain) == []
    assert b.by_year == {
        "2020": {"expected": 1.0, "interval_90": [1, 1]},
        "2021": {"expected": 1.0, "interval_90": [1, 1]},
    }


def test_audit_pickles_with_its_uncertain_rows():
    """The uncertain rows are a lazy Records (a closure over the call's arrays): a pickled audit
    (multiprocessing, Dask) comes back with them as a plain list, equal to the original."""
    import pickle

    a = audit(1e25, [0.5, 0.3, 1.0, 0.99], ["a", "b", "c", "d"], [2020, 2021, 2021, 2022])
    b = pickle.loads(pickle.dumps(a))
    assert b.uncertain == list(a.uncertain) and [r["name"] for r in b.uncertain] == ["a", "b"]
    assert b.to_dict() == a.to_dict()
