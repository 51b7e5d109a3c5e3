"""Every backend module of a kernel family (the reference included) has the functions of its
family's Protocol (``kernels/protocols.py``) with the Protocol's parameters, in the same order, with
the same defaults (a backend may add trailing parameters, with defaults)."""

from __future__ import annotations

import importlib
import inspect

import pytest

from computesim.kernels.protocols import FAMILIES

BACKENDS = ("reference", "numba", "cuda")


def _params(fn) -> list[inspect.Parameter]:
    params = list(inspect.signature(inspect.unwrap(fn)).parameters.values())
    return params[1:] if params and params[0].name == "self" else params  # a Protocol's method


def _shown(p: inspect.Parameter) -> str:
    return p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}"


def drift(want_fn, got_fn) -> str | None:
    """Why ``got_fn``'s signature breaks ``want_fn``'s contract (names, order, defaults), or None."""
    want, got = _params(want_fn), _params(got_fn)
    if [p.name for p in got[: len(want)]] != [p.name for p in want]:
        return f"parameters {[p.name for p in got]} do not start with {[p.name for p in want]}"
    moved = [
        f"{_shown(g)} (contract: {_shown(w)})"
        for w, g in zip(want, got)
        if w.default is not g.default and w.default != g.default
    ]
    if moved:
        return f"defaults differ: {', '.join(moved)}"
    extra = [p.name for p in got[len(want) :] if p.default is inspect.Parameter.empty]
    return f"extra parameters without a default: {extra}" if extra else None


def _contract(protocol: type) -> list[str]:
    return [n for n, v in vars(protocol).items() if inspect.isfunction(v) and not n.startswith("_")]


def test_contracts_are_the_documented_functions():
    assert _contract(FAMILIES["sweep"]) == [
        "materialize",
        "count_le",
        "count_at_least",
        "extremes",
        "quantiles",
    ]
    assert _contract(FAMILIES["mc"]) == ["sample_log", "summarize", "reduce", "bands_batch"]


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_has_the_contract_signatures(family, backend):
    protocol = FAMILIES[family]
    mod = importlib.import_module(f"computesim.kernels.{family}_{backend}")
    problems = {
        name: "missing"
        if not hasattr(mod, name)
        else drift(getattr(protocol, name), getattr(mod, name))
        for name in _contract(protocol)
    }
    assert not {k: v for k, v in problems.items() if v}, f"{family}_{backend}: {problems}"


def test_drift_is_caught():
    def reference(axes, const, start, flop, pfs, cols, codes, code_axis, per, bins=None):
        """A contract function."""

    def dropped(axes, const, start, flop, pfs, cols, codes, code_axis):
        """`per` forgotten."""

    def renamed(axes, const, begin, flop, pfs, cols, codes, code_axis, per, bins=None):
        """`start` renamed."""

    def redefaulted(axes, const, start, flop, pfs, cols, codes, code_axis, per, bins=1 << 17):
        """`bins` given another default."""

    def extended(axes, const, start, flop, pfs, cols, codes, code_axis, per, bins=None, tune=3):
        """A trailing tuning knob with a default: allowed."""

    assert drift(reference, dropped) and drift(reference, renamed)
    assert drift(reference, redefaulted) == "defaults differ: bins=131072 (contract: bins=None)"
    assert drift(reference, extended) is None
