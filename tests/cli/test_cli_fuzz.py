"""Command-line fuzz test: 10,000 seeded argument lists over every subcommand, run in-process.

Each case must exit 0 or 2, raise nothing, print exactly one ``computesim: error:`` line on exit 2
and leave no file (nor hidden temp file) behind on failure. The generator is tests/support/cli_fuzz.py;
run it standalone (``python tests/support/cli_fuzz.py N SEED``) to list every distinct failure.
"""

from __future__ import annotations

import argparse
import collections
import random

import cli_fuzz
import pytest

N_CASES = 10_000
SEED = 11


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return cli_fuzz.make_workspace(tmp_path_factory.mktemp("fuzz"))


def test_fuzz_every_subcommand(workspace):
    failures, codes, _slow = cli_fuzz.fuzz(SEED, N_CASES, workspace)
    report = "\n".join(f.report() for f in failures[:10])
    if failures:
        pytest.fail(
            f"{len(failures)} distinct failures in {N_CASES} cases (exit codes {codes}); "
            f"first {min(10, len(failures))}:\n{report}",
            pytrace=False,
        )
    assert codes.get("0", 0) > N_CASES // 10 and codes.get("2", 0) > N_CASES // 10, codes


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    from computesim.cli import build_parser

    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_grammar_covers_every_subcommand_and_flag():
    """A flag added to the CLI without a place in the fuzz grammar fails here."""
    subs = _subparsers()
    assert set(subs) == set(cli_fuzz.COMMANDS)
    for name, parser in subs.items():
        flags = {o for o in parser._option_string_actions if o.startswith("--") and o != "--help"}
        missing = flags - set(cli_fuzz.COMMANDS[name][0])
        assert not missing, f"{name}: flags not fuzzed: {sorted(missing)}"


def test_cases_are_deterministic_and_spread(workspace):
    start = workspace.counter
    # 1000 cases: the rarest command (weight 0.01 of 1.05) is missed with P = 0.007%, not 0.8%
    first = list(cli_fuzz.cases(SEED, 1000, workspace))
    workspace.counter = start  # fresh output names restart from the same number
    again = list(cli_fuzz.cases(SEED, 1000, workspace))
    assert len(first) == 1000 and first == again
    commands = collections.Counter(a[0] for a in first if a and a[0] in cli_fuzz.COMMANDS)
    assert set(commands) == set(cli_fuzz.COMMANDS)
    assert list(cli_fuzz.cases(SEED + 1, 50, workspace)) != first[:50]


def test_checks_catch_each_kind_of_failure(workspace):
    """The runner's checks are not vacuous: each broken promise is reported."""
    tb = 'Traceback (most recent call last):\n  File "/x/simulator/units.py", line 3, in f\nValueError: bad'
    assert cli_fuzz._check(None, tb, "", "")[0].startswith("traceback")
    assert cli_fuzz._check(1, None, "", "")[0].startswith("exit code")
    assert cli_fuzz._check(2, None, "", "")[0].startswith("stderr lines")
    assert cli_fuzz._check(2, None, "", "computesim: error: a: b\nmore\n")[0].startswith(
        "stderr lines"
    )
    assert cli_fuzz._check(2, None, "", "oops\n")[0].startswith("stderr form")
    assert cli_fuzz._check(2, None, "", "computesim: error: x: " + "9" * 2000 + "\n")[0].startswith(
        "stderr length"
    )
    assert cli_fuzz._check(2, None, "", "computesim: error: --days: must be positive\n") == []
    assert cli_fuzz._check(0, None, "ok\n", "computesim: backend auto -> numba\n") == []
    log_then_error = (
        "computesim: backend auto -> numba\ncomputesim: error: --days: must be positive\n"
    )
    assert cli_fuzz._check(2, None, "", log_then_error)[0].startswith(
        "stderr lines"
    )  # without -v: one line
    assert cli_fuzz._check(2, None, "", log_then_error, verbose=True) == []
    assert cli_fuzz._verbose(["-v", "sweep", "--days", "1"]) and not cli_fuzz._verbose(
        ["sweep", "-v"]
    )
    before = cli_fuzz.snapshot(workspace.root)
    tmp = workspace.root / "out" / ".r.parquet.123.tmp"
    tmp.write_bytes(b"x")
    problems = cli_fuzz._check_files(2, before, cli_fuzz.snapshot(workspace.root), workspace)
    assert any(p.startswith("temp file left") for p in problems)
    assert any(p.startswith("files changed on failure") for p in problems)
    assert not tmp.exists()  # the workspace is restored for the next case


def test_runner_reports_an_escaped_exception(workspace, monkeypatch):
    from computesim.cli import profiles

    def boom(args):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(profiles, "run", boom)
    o = cli_fuzz.run_case(["profiles"], workspace)
    assert o.problems and o.signature().startswith("ZeroDivisionError at ")


@pytest.mark.parametrize("value", ["9" * 100_000, "5\n6", "5\u2028 to 6", "\x1b[31m5"])
def test_error_line_is_one_short_line(cli, value):
    r = cli("estimate", "--tflops", "1", "--days", "1", "--seed", value)
    lines = r.err.splitlines()
    assert r.code == 2 and len(lines) == 1 and lines[0].startswith("computesim: error: --seed: ")
    assert len(lines[0]) < 1000


def test_misspelt_flag_is_named_with_a_suggestion(cli):
    r = cli("estimate", "--device", "K80", "--count", "60", "--dayz", "3")
    assert r.code == 2 and "unrecognized argument '--dayz'; did you mean --days?" in r.err
    assert "invalid choice" not in r.err
    r = cli("sweep", "--device", "K80", "--dayz=3")
    assert r.code == 2 and r.err.startswith("computesim: error: sweep: ") and "--days?" in r.err


def test_misspelling_rng_is_seeded():
    assert cli_fuzz.misspell(random.Random(1), "--days") == cli_fuzz.misspell(
        random.Random(1), "--days"
    )


def test_profiles_empty_device_is_an_error(cli):
    r = cli("profiles", "")
    assert r.code == 2 and r.out == "" and r.err.startswith("computesim: error: device: ")
