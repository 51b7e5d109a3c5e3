"""Shared fixtures: run the CLI in-process and capture exit code, stdout and stderr."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from computesim.cli import main


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def cli(capsys):
    """``cli("estimate", "--json", ...)`` -> CliResult."""

    def run(*argv: str) -> CliResult:
        code = main([str(a) for a in argv])
        cap = capsys.readouterr()
        return CliResult(code, cap.out, cap.err)

    return run


@pytest.fixture(scope="module")
def dask_client():
    """A module's LocalCluster: 2 single-threaded worker processes, no dashboard (issue 15)."""
    pytest.importorskip("distributed")
    from computesim.cluster import connect

    with connect("local:2") as client:
        yield client
