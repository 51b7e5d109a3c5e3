"""Start-up (issue 14, item 4): a command imports only its own module, and no JIT or plotting
library on the small-work paths; the numbers are those of the full parser."""

import json
import subprocess
import sys

import pytest

from computesim import cli

ESTIMATE = ["estimate", "--device", "K80", "--count", "60", "--days", "30"]
UNCERTAIN = [*ESTIMATE, "--utilization", "uniform(0.25, 0.4)", "--json"]
SWEEP = ["sweep", "--device", "K40,K80", "--count", "1,8,64", "--days", "1:100:10log", "--json"]


@pytest.mark.parametrize(
    ("argv", "want"),
    [
        (["estimate", "--json"], ("estimate",)),
        (["-v", "sweep", "--days", "1"], ("sweep",)),
        (["--verbose", "bench", "--quick"], ("bench",)),
        (["--help"], ()),
        ([], ()),
        (["estimat"], ()),  # unknown: the full parser names the choices
        (["--", "estimate"], ()),
        (["-h", "sweep"], ()),  # top-level help first: every command listed
        (["-v", "--help", "sweep"], ()),
        (["sweep", "-h"], ("sweep",)),  # the command's own help
    ],
)
def test_named_command(argv, want):
    assert cli.named_command(argv) == want


def _modules_after(argv: list[str]) -> tuple[set[str], str]:
    code = (
        "import contextlib, io, json, sys, computesim.cli as c\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out): rc = c.main(sys.argv[1:])\n"
        "print(json.dumps({'rc': rc, 'out': out.getvalue(), 'modules': sorted(sys.modules)}))"
    )
    p = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True
    )
    got = json.loads(p.stdout)
    assert got["rc"] == 0, p.stderr
    return set(got["modules"]), got["out"]


@pytest.mark.parametrize("argv", [UNCERTAIN, SWEEP], ids=["uncertain estimate", "small sweep"])
def test_small_work_imports_no_jit_nor_other_commands(argv):
    mods, out = _modules_after(argv)
    own = f"computesim.cli.{argv[0]}"
    assert own in mods
    others = {f"computesim.cli.{c}" for c in cli.COMMANDS} - {own}
    assert not others & mods
    heavy = {"numba", "scipy", "matplotlib", "computesim.benchmarks"}
    assert not {m.split(".")[0] for m in mods} & heavy and "computesim.benchmarks" not in mods
    # the same result as with every subcommand registered (the parser before issue 14's change)
    full = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, computesim.cli as c; c.named_command = lambda a: (); "
            "sys.exit(c.main(sys.argv[1:]))",
            *argv,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(full.stdout) == json.loads(out)


def test_sweep_to_arrow_loads_no_parquet(tmp_path):
    """A 10^5-point sweep to an Arrow file: pyarrow.parquet (its filesystems, ssl) stays unloaded."""
    import pyarrow.ipc as ipc

    from computesim.benchmarks.core import START_ARGV

    out = tmp_path / "s.arrow"
    argv = [a.replace("{tmp}/sweep.arrow", str(out)) for a in START_ARGV["sweep 10^5 points"]]
    mods, text = _modules_after(argv)
    assert "wrote 100000 rows" in text
    assert not {"pyarrow.parquet", "ssl", "numba", "scipy"} & mods
    with ipc.open_file(out) as f:
        assert f.read_all().num_rows == 10**5


def test_unknown_command_still_lists_every_command(cli):
    res = cli("estimat")
    assert res.code == 2 and all(c in res.err for c in ("estimate", "sweep", "warmup"))
