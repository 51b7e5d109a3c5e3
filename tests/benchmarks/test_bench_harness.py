"""The suite's harness (issue 14, item 5: a shorter ``bench --quick``): references timed at a smaller
size where a workload says so, two repeats of a slow call, and the ``--timings`` lines."""

from __future__ import annotations

import time

import pytest

from computesim.benchmarks import suite
from computesim.benchmarks.registry import Case, Workload
from computesim.benchmarks.runner import measure


def _workload(**kw) -> Workload:
    return Workload(
        "toy",
        "items/s",
        None,
        ("numba", "reference"),
        lambda size, backend: Case(lambda: size, lambda got: None, items=size),
        **kw,
    )


def test_reference_is_timed_once_at_its_smaller_size():
    w = _workload(sizes={"quick": [10**6, 10**7]}, reference_sizes={"quick": 10**5})
    jobs = [(b, s) for _, b, s, _ in suite._jobs([w], "quick", None, None, [2])]
    assert jobs == [("numba", 10**6), ("reference", 10**5), ("numba", 10**7)]
    # other modes keep the workload's own sizes
    jobs = [(b, s) for _, b, s, _ in suite._jobs([w], "full", {"toy": [10**6]}, None, [2])]
    assert jobs == [("numba", 10**6), ("reference", 10**6)]


def test_rows_compared_with_a_smaller_reference_say_which(monkeypatch):
    from computesim.cli.bench import text

    w = _workload(sizes={"quick": 10**6}, reference_sizes={"quick": 10**5})
    monkeypatch.setattr(suite, "workloads", lambda: {"toy": w})
    monkeypatch.setattr(suite, "_set_threads", lambda n: None)
    rows = suite.run("quick", threads=[1])
    by = {r["backend"]: r for r in rows}
    assert by["reference"]["size"] == 10**5 and by["numba"]["size"] == 10**6
    assert by["numba"]["reference_size"] == 10**5 and by["reference"]["reference_size"] is None
    want = by["numba"]["throughput"] / by["reference"]["throughput"]
    assert by["numba"]["vs_reference"] == pytest.approx(want)
    shown = text(rows)
    assert shown.count(" @1e+05") == 1 and "(@N: at size N)" in shown


def test_a_slow_first_call_is_timed_twice():
    def case() -> Case:
        return Case(lambda: time.sleep(0.02), lambda got: None, items=1)

    assert measure(case(), min_time=0, max_repeats=9, min_repeats=3, slow_s=0.01).repeats == 2
    assert measure(case(), min_time=0, max_repeats=9, min_repeats=3, slow_s=1.0).repeats == 3
    # whole-process medians ask for more repeats explicitly: kept
    assert measure(case(), min_time=0, max_repeats=9, min_repeats=5, slow_s=0.01).repeats == 5


def test_timings_print_one_line_per_job_and_limit(capsys):
    rows = suite.run("tiny", only=["import computesim"], timings=True)
    err = capsys.readouterr().err.splitlines()
    assert len(rows) == 1
    job = [e for e in err if e.startswith("bench: import computesim / python / 1e+00 / ")]
    assert len(job) == 1 and " s (build " in job[0] and "first call" in job[0]
    assert [e for e in err if e.startswith("bench: limit startup (1 thr): ")]
    suite.run("tiny", only=["import computesim"])
    assert capsys.readouterr().err == ""
