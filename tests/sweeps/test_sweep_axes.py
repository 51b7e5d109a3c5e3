"""One axis table: the CLI's flags, the scenario keys and the band kinds are the table's."""

from __future__ import annotations

import argparse
import inspect

import computesim
from computesim.cli import build_parser
from computesim.sweeps import axes, scenario
from computesim.sweeps.grid import AXES as ENGINE_AXES


def _sweep_parser() -> argparse.ArgumentParser:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices["sweep"]


def test_cli_flags_are_the_tables():
    flags = {o for o in _sweep_parser()._option_string_actions if o.startswith("--")}
    cli_only = {"--help", "--json", "--no-progress"}
    assert flags - cli_only == set(axes.FLAGS.values())
    assert {a.flag for a in axes.AXIS_TABLE} <= flags


def test_scenario_keys_are_the_tables():
    assert scenario.SECTIONS["axes"] == {a.name for a in axes.AXIS_TABLE}
    keys = set().union(*scenario.SECTIONS.values())
    assert keys == set(axes.AXES) | {o.name for o in axes.OPTIONS if o.section}
    assert set(scenario.CHECKS) == keys


def test_api_keywords_are_the_tables():
    params = inspect.signature(computesim.sweep).parameters
    named = {n for n, p in params.items() if p.kind is p.KEYWORD_ONLY}
    assert named == {o.name for o in axes.OPTIONS}
    assert ENGINE_AXES is axes.AXES and list(axes.AXES) == [a.name for a in axes.AXIS_TABLE]


def test_parameter_and_flag_round_trip():
    for name, flag in axes.FLAGS.items():
        assert axes.parameter_of(flag) == name == axes.parameter_of(name)
    assert axes.parameter_of("scenario.toml: days") is None
