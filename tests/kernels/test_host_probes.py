"""host.sample_probes: probes bracket the wanted order statistic; an empty group gets inert probes."""

from __future__ import annotations

import numpy as np

from computesim.kernels import host


def test_probes_bracket_the_rank_and_empty_groups_get_zero():
    rng = np.random.default_rng(3)
    pop = np.sort(rng.lognormal(0, 1, 10**5))
    sample = rng.choice(pop, 4096)
    groups = np.zeros(sample.size, np.int64)  # group 1 has no sampled value
    place = np.array([[100, 50_000, 99_000], [10, 20, 30]])
    probes = host.sample_probes(sample, groups, place, pop.size)
    lo, hi = probes[0, :, 0].view(np.float64), probes[0, :, 1].view(np.float64)
    assert np.all(lo <= pop[place[0]]) and np.all(pop[place[0]] <= hi)
    assert np.all(probes[1] == 0)
