"""Every backend module of a kernel family has the reference's functions with the reference's
parameters, in the same order (a backend may add trailing parameters, with defaults)."""

from __future__ import annotations

import importlib
import inspect

import pytest

#: The contract of each family: the functions its reference documents (kernels/<family>_reference.py).
CONTRACT = {
    "sweep": ("materialize", "count_le", "count_at_least", "extremes", "quantiles"),
    "mc": ("sample_log", "summarize", "reduce", "bands_batch"),
}
BACKENDS = ("numba", "cuda")


def _params(fn) -> list[inspect.Parameter]:
    return list(inspect.signature(inspect.unwrap(fn)).parameters.values())


def drift(ref, other) -> str | None:
    """Why ``other``'s signature breaks ``ref``'s contract, or None."""
    want, got = _params(ref), _params(other)
    if [p.name for p in got[: len(want)]] != [p.name for p in want]:
        return f"parameters {[p.name for p in got]} do not start with {[p.name for p in want]}"
    extra = [p.name for p in got[len(want) :] if p.default is inspect.Parameter.empty]
    return f"extra parameters without a default: {extra}" if extra else None


@pytest.mark.parametrize("family", sorted(CONTRACT))
@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_has_the_reference_signatures(family, backend):
    ref = importlib.import_module(f"computesim.kernels.{family}_reference")
    mod = importlib.import_module(f"computesim.kernels.{family}_{backend}")
    problems = {
        name: "missing" if not hasattr(mod, name) else drift(getattr(ref, name), getattr(mod, name))
        for name in CONTRACT[family]
    }
    assert not {k: v for k, v in problems.items() if v}, f"{family}_{backend}: {problems}"


def test_drift_is_caught():
    def reference(axes, const, start, flop, pfs, cols, codes, code_axis, per):
        """A contract function."""

    def dropped(axes, const, start, flop, pfs, cols, codes, code_axis):
        """`per` forgotten."""

    def renamed(axes, const, begin, flop, pfs, cols, codes, code_axis, per):
        """`start` renamed."""

    def extended(axes, const, start, flop, pfs, cols, codes, code_axis, per, tuning=3):
        """A trailing tuning knob with a default: allowed."""

    assert (
        drift(reference, dropped)
        and drift(reference, renamed)
        and drift(reference, extended) is None
    )
