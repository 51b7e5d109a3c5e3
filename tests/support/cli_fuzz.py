"""Command-line fuzzing for ``computesim``: seeded argument lists for every subcommand, and a runner.

``generate(rng, ws)`` builds one argument list from a grammar of flags per subcommand, each flag
with good, edge and bad values (negative, zero, NaN, inf, '', huge numbers, 100k-character
strings, unknown units and devices, backwards ranges, distributions with bad parameters, odd
unicode, paths that are directories, missing or under a file), plus duplicated, misspelt and
dangling flags. ``run_case`` calls ``computesim.cli.main(argv)`` in-process with stdout/stderr
captured and checks the README's promise: exit 0 or 2, no traceback, exactly one stderr line on
exit 2, and no file left behind (nor hidden temp file) in the workspace on failure.

Expensive work is bounded by the grammar itself: grids stay small (or far over ``--max-points``),
Monte Carlo sample counts stay <= 1e5 (or far over the 1e10 limit), the CUDA backend is not
offered (the CUDA simulator is slow), ``bench`` never runs a workload and ``warmup`` compiles nothing (``stub_bench``).

Standalone: ``python tests/support/cli_fuzz.py [N] [SEED] [HUGE_LEN]`` prints the distinct failures.
"""

from __future__ import annotations

import collections
import contextlib
import io
import os
import random
import shutil
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HUGE_LEN = 100_000  #: length of the "huge" strings (the README's 100k-character field)

# ---------------------------------------------------------------- value pools (strings, as argv holds)

EDGE_NUMBERS = [
    "0",
    "-0",
    "-1",
    "-3",
    "-1e-300",
    "nan",
    "NaN",
    "-nan",
    "inf",
    "-inf",
    "Infinity",
    "1e308",
    "1e309",
    "1e-320",
    "5e-324",
    "",
    " ",
    "1e400",
    "0x10",
    "1_000",
    "1,000",
    "1,,0",
    ",,,",
    ",",
    "\u0663",
    "\uff11\uff12",
    "5\u00a0",
    "\u202e5",
    "5\x00",
    "\udcff",
    "\U0001f642",
    "--",
    "-",
    "e",
    "1e",
    ".",
    "1..2",
    "18446744073709551616",
    "-18446744073709551616",
    "9" * 400,
    "1/3",
    "(1)",
    "True",
    "None",
    "[1]",
    "{}",
    "5 5",
    "0.0000",
    "1e-300",
    "2.5e-310",
    "5\n6",
    "5\u2028",
    "\x1b[31m5",
    "5\r",
    "\t5",
]
DISTS = [
    "5 to 6",
    "lognormal(5, 6)",
    "loguniform(2, 8)",
    "uniform(4, 6)",
    "normal(5, 0.5)",
    "triangular(4, 5, 6)",
    "pert(4, 5, 6)",
    "4.5 to 7",
]
BAD_DISTS = [
    "6 to 5",
    "5 to 5",
    "0 to 5",
    "-1 to 5",
    "uniform(2, 1)",
    "normal(1, -1)",
    "normal(1, 0)",
    "normal(-5, 1)",
    "triangular(3, 2, 1)",
    "triangular(1, 5, 3)",
    "pert(1, 1, 1)",
    "loguniform(0, 1)",
    "loguniform(-1, 1)",
    "uniform(",
    "uniform(1)",
    "uniform(1,2,3)",
    "beta(1, 2)",
    "to",
    "5 to",
    "to 5",
    "1e-300 to 1e300",
    "nan to 5",
    "5 to inf",
    "uniform(nan, 1)",
    "normal(inf, 1)",
    "lognormal(1, 1e308)",
    "pert(0, 0, 0)",
    "5 to 6 to 7",
    "uniform(1, 2) days",
    "uniform(1 day, 2 h)",
    "loguniform(1e-320, 1)",
    "triangular(1e300, 1e301, 1e302)",
    "5 tot 6",
    "uniform()",
    "normal(,)",
]
FRACTIONS = [
    "0.33",
    "0.4",
    "0.17",
    "1",
    "0.25 to 0.4",
    "uniform(0.2, 0.5)",
    "normal(0.4, 0.05)",
    "40%",
]
BAD_FRACTIONS = [
    "1.5",
    "0",
    "-0.2",
    "0.8 to 0.99",
    "normal(0.95, 0.1)",
    "loguniform(0.5, 1.5)",
    "uniform(0.1, 1.8)",
    "pert(0.9, 1, 1.2)",
    "150%",
    "0.3 FLOP",
]
DAYS = ["30", "5.5", "12,000 h", "2 weeks", "1 day", "36 hours", "5 d", "1e-3", "0.5 days"] + DISTS
BAD_DAYS = [
    "3 parsecs",
    "5 FLOP",
    "1e25FLOP",
    "5 TFLOP/s",
    "5 lightyears",
    "1e300",
    "1e300 weeks",
    "5 days days",
    "12,000,00 h",
    "1 fortnight",
]
TFLOPS = [
    "8.5",
    "1.58",
    "1.58 TFLOP/s",
    "1.54 to 1.58 TFLOPS",
    "1e12 FLOP/s",
    "range",
    "125 TFLOPS",
    "0.5",
]
BAD_TFLOPS = ["5 GMAC", "3 W", "1e300", "1 FLOP", "ranges", "range(1, 2)", "8.5 days", "1e-30"]
COUNTS = ["1", "2", "60", "1e3", "1,000", "8"]
BAD_COUNTS = ["1.5", "0", "-2", "1e300", "two", "1 GPU"]
MACS = ["0.75e9", "0.75 GMAC", "1.5 GFLOP", "2e9", "1 to 2 GMAC", "7.2e8"]
BAD_MACS = ["1 TFLOP/s", "1.5 G", "5 days", "GMAC", "1e300 GMAC"]
SMALL = ["1", "2", "90", "1e3", "1.2e6", "5 to 10", "300e9", "175e9"]
COMPUTE = [
    "1e25FLOP",
    "0.1pfs-days",
    "1e25 FLOP",
    "1e17",
    "5e17FLOP",
    "1e25FLOP,1e26FLOP",
    "100pfs-days",
]
BAD_COMPUTE = [
    "5",
    ",,,",
    "1e25 parsecs",
    "FLOP",
    "-1e25FLOP",
    "0FLOP",
    "nanFLOP",
    "1e25 FLOP/s",
    "1e25FLOP,,x",
]
DEVICES = ["K80", "GTX 580", "Xeon E5-2680 v2", "TPU v3", "A100", "h100", "titan x", "V100", "K40"]
BAD_DEVICES = [
    "GTX 508",
    "K80,K40",
    "nonexistent",
    "K 8 0",
    "\u212a80",
    "GPU",
    "K80 " * 50,
    "TPU v9",
]
DEVICE_LISTS = ["K40,K80", "K80,Xeon E5-2680 v2", "K80", "V100,A100,H100", "TPU v3,K80"]
BAD_DEVICE_LISTS = ["K80,,K40", "K80,bogus", ",", "K80,K80"]
PRECISIONS = ["fp32", "fp16", "bf16", "tf32", "fp64", "int8"]
BAD_PRECISIONS = ["fp33", "FP32 ", "half", "fp8"]
AXES = ["1,8,64", "1:100:5log", "0.2:0.5:4", "1:10:3", "2", "1,2,3,4", "10:20:2", "1e3:1e4:3log"]
BAD_AXES = [
    "100:1:5",
    "1:10:0",
    "1:10:-3",
    "1:10:100000000000",
    "1:10:1e20",
    "1:10",
    "1:10:5:6",
    "0:10:3log",
    "-1:10:3log",
    "1,nan",
    "1e400",
    "1:inf:3",
    "::",
    "1:10:3lin",
    "1:10:2.5",
    "1,,2",
    "1:1:5",
]
FACTORS = ["2x", "3x", "1.5", "10x"]
BAD_FACTORS = ["0x", "1x", "0.5x", "-2x", "x", "nanx", "infx", "3y", "1e300x"]
BACKENDS = ["auto", "numba", "reference"]
BAD_BACKENDS = ["bogus", "", "NUMBA", "cuda2", "gpu"]
SEEDS = ["0", "1", "42", "123456789"]
BAD_SEEDS = ["-1", "1.5", "18446744073709551616", "1e30", "x", "2**64"]
SAMPLES = ["100", "1000", "2000", "1e4", "1"]
BAD_SAMPLES = ["0", "-5", "1.5", "1e11", "1e30", "10000000001", "x", "inf", "nan"]
QUANTILES = ["0.05,0.5,0.95", "0.5", "0,1", "0.1,0.9"]
BAD_QUANTILES = ["", ",,", "1.5", "-0.1", "nan", "0.5,x", "0.5 0.9"]
DATES = ["2012", "2018", "2015-06-01", "2016-06", "01/06/2016", "2020"]
BAD_DATES = [
    "9999",
    "0",
    "-1",
    "2012-13-01",
    "1/1",
    "yesterday",
    "99999999",
    "1e10",
    "2018-02-30",
    "0001",
]
TREND_FLOATS = ["0.95", "2", "16", "1e12", "1e20", "3.06"]
CORRELATES = ["peak:utilization=-0.3", "time:utilization=0.5", "days:utilization=0.2"]
BAD_CORRELATES = [
    "peak:utilization",
    "a=b",
    "peak:utilization=2",
    "peak:utilization=nan",
    "x:y=0.1",
    ":=",
    "peak:peak=0.5",
]
EXTRAS = ["more_data=31.6", "x=2", "runs=1 to 2"]
BAD_EXTRAS = ["=3", "noequals", "x=", "x=-1", "x=nan", "x=5 days"]


def huge(rng: random.Random) -> str:
    """A HUGE_LEN-character value: digits, letters, a range or a distribution around them."""
    n = HUGE_LEN
    return rng.choice(
        [
            "9" * n,
            "x" * n,
            "1 to " + "9" * n,
            "uniform(1, " + "1" * n + ")",
            "1" + "0" * n,
            "5 " + "d" * n,
            "1," * (n // 2),
            "\u00e9" * n,
            " " * n + "5",
        ]
    )


# ---------------------------------------------------------------- the workspace (files the paths name)


@dataclass
class Workspace:
    """A folder of input files and output targets for the generated paths."""

    root: Path
    files: dict[str, Path] = field(default_factory=dict)
    counter: int = 0

    def fresh(self, ext: str) -> str:
        """A new output name under root/out."""
        self.counter += 1
        return str(self.root / "out" / f"r{self.counter}{ext}")

    def __getitem__(self, name: str) -> str:
        return str(self.files[name])


SYSTEMS_CSV = (
    "system,method,device,count,days,utilization,tflops,forward_macs,examples,epochs\n"
    "A,hardware,K80,8,5 to 6,,,,,\nB,ops,,,,,,0.75e9,1.2e6,90\n"
    'C,hardware,,2,5.5,0.25 to 0.4,1.58,,,\nD,hardware,GTX 580,2,"uniform(5, 6)",,,,,\n'
)
TREND_CSV = (
    "System,Publication date,Training compute (FLOP)\nA,2012-06-01,1e17\nB,2013-06-01,3e17\n"
    "C,2014-06-01,2e18\nD,2015-06-01,1e19\nE,2016-06-01,5e19\nF,2017-06-01,4e20\nG,2018-06-01,2e21\n"
)


def _profile_text(root: Path) -> str:
    k80 = (Path(__file__).resolve().parents[2] / "hardware_profiles" / "k80.toml").read_text(
        encoding="utf-8"
    )
    return k80.replace('name = "Tesla K80"', 'name = "Fuzz GPU"').replace(
        'aliases = ["K80", "Tesla K80", "NVIDIA Tesla K80"]', 'aliases = ["FZ1"]'
    )


def make_workspace(root: Path) -> Workspace:
    """Create the input files (good and bad) and the output folders under ``root``."""
    ws = Workspace(root)
    (root / "out").mkdir(parents=True, exist_ok=True)
    (root / "adir").mkdir(exist_ok=True)
    prof = _profile_text(root)
    texts = {
        "systems.csv": SYSTEMS_CSV,
        "systems_bad.csv": "system,method,days,tflops\nA,hardware,-3 days,1\nB,hardware,6 to 5,2\n",
        "systems_header.csv": "system,method,days,tflops\n",
        "systems_empty.csv": "",
        "systems_semicolon.csv": "system;method;days;tflops\nA;hardware;5;1\n",
        "systems_method.csv": "system,method,days,tflops\nA,bogus,5,1\n",
        "systems_nan.csv": "system,method,days,tflops,utilization\nA,hardware,nan,1,\nB,hardware,5,inf,2\n",
        "systems_bigcell.csv": "system,method,days,tflops\nA,hardware," + "9" * 2000 + ",1\n",
        "systems_ragged.csv": 'system,method,days\nA,hardware,5,1,2,3\n"unclosed,\n',
        "trend.csv": TREND_CSV,
        "trend_bad.csv": "System,Publication date,Training compute (FLOP)\nA,never,x\nB,2013-13-45,-1\n",
        "trend_nodate.csv": "name,compute\nA,1e20\n",
        "trend_one.csv": "System,Publication date,Training compute (FLOP)\nA,2012-06-01,1e17\n",
        "trend_same.csv": "System,Publication date,Training compute (FLOP)\nA,2012-06-01,1e17\nB,2012-06-01,1e18\n",
        "trend_extreme.csv": "System,Publication date,Training compute (FLOP)\nA,0001-01-01,1e-300\nB,9999-12-31,1e300\n",
        "binary.csv": "\x00\x01\x02\xff\xfe",
        "scenario.toml": '[axes]\ndevice = ["K40", "K80"]\ncount = [1, 8]\ndays = "1:100:3log"\n',
        "scenario_reduce.toml": '[axes]\ncount = [1, 8]\ndays = "1:10:3"\ntflops = [1, 2]\n'
        '[reduce]\nthreshold = "1e20 FLOP"\n',
        "scenario_inverse.toml": '[axes]\ndevice = ["K80"]\ncount = [8]\n[inverse]\ntarget = "1e22 FLOP"\n',
        "scenario_chunk0.toml": "[sweep]\nchunk_points = 0\n[axes]\ncount = [1, 2]\ndays = 1\ntflops = 1\n",
        "scenario_maxlots.toml": '[sweep]\nmax_points = "lots"\n[axes]\ncount = [1, 2]\ndays = 1\ntflops = 1\n',
        "scenario_quant.toml": "[reduce]\nquantiles = 0.5\n[axes]\ncount = [1, 2]\ndays = 1\ntflops = 1\n",
        "scenario_device5.toml": "[axes]\ndevice = 5\ndays = 1\n",
        "scenario_out5.toml": "[sweep]\nout = 5\n[axes]\ncount = [1, 2]\ndays = 1\ntflops = 1\n",
        "scenario_overwrite_no.toml": '[sweep]\noverwrite = "no"\nout = "existing.parquet"\n'
        "[axes]\ncount = [1, 2]\ndays = 1\ntflops = 1\n",
        "scenario_unknown.toml": "[axes]\nbogus = [1]\n",
        "scenario_noaxes.toml": '[sweep]\nmode = "reduce"\n',
        "scenario_broken.toml": "[axes\ncount = [1, 2\n",
        "scenario_types.toml": '[axes]\ncount = [true, "x", 1.5]\ndays = {a = 1}\n',
        "profile.toml": prof,
        "config.json": '{"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, '
        '"intermediate_size": 128, "vocab_size": 100, "num_local_experts": 4, '
        '"num_experts_per_tok": 2}',
        "config_bad.json": '{"hidden_size": 64, "num_hidden_layers": "two"}',
        "config_broken.json": '{"hidden_size": ',
        "profile_negative.toml": prof.replace("tflop_per_s = 8.5", "tflop_per_s = -8.5"),
        "profile_unknown.toml": prof + "\nbogus_key = 1\n",
        "profile_nosource.toml": prof.replace("[sources]", "[sources_x]"),
        "profile_broken.toml": "name = \n",
        "profile_dup.toml": (
            Path(__file__).resolve().parents[2] / "hardware_profiles" / "k40.toml"
        ).read_text(),
    }
    for name, text in texts.items():
        p = root / name
        p.write_bytes(
            text.encode("utf-8", "surrogatepass")
            if name != "binary.csv"
            else text.encode("latin-1")
        )
        ws.files[name] = p
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"x": [1.0]}), root / "existing.parquet")
    ws.files["existing.parquet"] = root / "existing.parquet"
    ws.files["adir"] = root / "adir"
    return ws


def out_path(
    rng: random.Random, ws: Workspace, exts: tuple[str, ...] = (".parquet", ".arrow")
) -> str:
    """An output path: mostly a fresh good one, else existing, a directory, missing parent, ..."""
    r = rng.random()
    if r < 0.55:
        return ws.fresh(rng.choice(exts))
    return rng.choice(
        [
            ws["existing.parquet"],
            ws["adir"],
            ws["adir"] + "/",
            ws.fresh(".csv"),
            ws.fresh(".txt"),
            ws.fresh(""),
            ws["systems.csv"] + "/x.parquet",
            str(ws.root / "missing" / "sub" / "x.arrow"),
            "",
            ".parquet",
            "/proc/computesim_fuzz.parquet",
            str(ws.root / "out" / ("n" * 300 + ".parquet")),
            str(ws.root / "out" / "r\u00e9sultat\U0001f642.arrow"),
            str(ws.root / "out" / "x.PARQUET"),
            str(ws.root / "out" / "x.parquet.arrow"),
            ws.fresh(rng.choice(exts)).replace("/out/", "/out/./"),
            "/dev/null",
            "/dev/full",
            str(ws.root / "out" / ("y" * (HUGE_LEN // 100)) / "x.arrow"),
        ]
    )


def input_path(rng: random.Random, ws: Workspace, good: list[str], bad: list[str]) -> str:
    """An input file path: mostly a good one, else bad files, a directory, a missing file."""
    if rng.random() < 0.55:
        return ws[rng.choice(good)]
    return rng.choice(
        [ws[b] for b in bad]
        + [
            ws["adir"],
            str(ws.root / "missing.csv"),
            "",
            "-",
            ws["existing.parquet"],
            ws["binary.csv"],
            "/dev/null",
        ]
    )


# ---------------------------------------------------------------- the grammar

Pick = Callable[[random.Random, Workspace], str]


def pool(good: list[str], bad: list[str], edge: bool = True) -> Pick:
    """A value: good (75%), bad for this field (16%), a generic edge number (8%), huge (1%)."""

    def pick(rng: random.Random, ws: Workspace) -> str:
        r = rng.random()
        if r < 0.75:
            return rng.choice(good)
        if r < 0.91 or not edge:
            return rng.choice(bad or good)
        if r < 0.99:
            return rng.choice(EDGE_NUMBERS)
        return huge(rng)

    return pick


def fixed(*values: str) -> Pick:
    return lambda rng, ws: rng.choice(values)


def outs(*exts: str) -> Pick:
    return lambda rng, ws: out_path(rng, ws, exts or (".parquet", ".arrow"))


def inputs(good: list[str], bad: list[str]) -> Pick:
    return lambda rng, ws: input_path(rng, ws, good, bad)


FLAG = None  #: a flag without a value (store_true)
PROFILE = inputs(
    ["profile.toml"],
    [
        "profile_negative.toml",
        "profile_unknown.toml",
        "profile_nosource.toml",
        "profile_broken.toml",
        "profile_dup.toml",
    ],
)
NUM = pool(SMALL, ["-1", "0", "nan"])
CONFIG = inputs(["config.json"], ["config_bad.json", "config_broken.json", "profile.toml"])
WHOLE = pool(["1", "2", "8", "64"], ["0", "-1", "1.5", "nan"])

#: --scheduler values that fail before any cluster starts (a valid one starts Dask workers: see
#: tests/uncertainty/test_distributed_bands.py)
BAD_SCHEDULERS = ["local:0", "local:two", "", "local:-1", " "]
ESTIMATE = {
    "--device": pool(DEVICES, BAD_DEVICES),
    "--count": pool(COUNTS, BAD_COUNTS),
    "--days": pool(DAYS, BAD_DAYS + BAD_DISTS),
    "--utilization": pool(FRACTIONS, BAD_FRACTIONS),
    "--tflops": pool(TFLOPS, BAD_TFLOPS),
    "--precision": pool(PRECISIONS, BAD_PRECISIONS),
    "--profile-file": PROFILE,
    "--forward-macs": pool(MACS, BAD_MACS),
    "--forward-flop": pool(["1.5e9", "3 GFLOP"], ["1 GMAC/s"]),
    "--params": NUM,
    "--tokens": NUM,
    "--examples": NUM,
    "--epochs": NUM,
    "--batch-size": NUM,
    "--multiplier": NUM,
    "--active-params": NUM,
    "--config": CONFIG,
    "--experts": WHOLE,
    "--experts-per-token": WHOLE,
    "--expert-params": NUM,
    "--shared-experts": WHOLE,
    "--shared-expert-params": NUM,
    "--layers": WHOLE,
    "--width": WHOLE,
    "--context": WHOLE,
    "--causal": FLAG,
    "--recompute": pool(["none", "selective", "full"], ["", "half", "FULL"]),
    "--trainable-params": NUM,
    "--original-compute": pool(["1e24 FLOP", "1e23 to 1e24 FLOP"], ["< 1e20 FLOP", "1e24", "x"]),
    "--stage-compute": pool(
        ["pretraining=1e24 FLOP", "post-training=1e21 to 1e22 FLOP", "fine-tuning=100 pfs-days"],
        ["pretrain=1e24 FLOP", "1e24 FLOP", "pretraining=< 1e24 FLOP", "pretraining=x", "="],
    ),
    "--stage": pool(["pretraining", "fine-tuning", "post-training"], ["", "finetune", "FT"]),
    "--energy": FLAG,
    "--emissions": FLAG,
    "--cost": FLAG,
    "--power-w": pool(["400", "300 to 500"], ["0", "-1", "400 W/h"]),
    "--power-ratio": pool(["0.7", "0.6 to 0.9"], ["0", "-1"]),
    "--pue": pool(["1.1", "1.1 to 1.3"], ["0.5", "0", "nan"]),
    "--carbon-intensity": pool(["400 g/kWh", "0.3 to 0.5 kg/kWh"], ["400", "g/kWh", "1 W"]),
    "--price-per-hour": pool(["2.5", "2 to 3"], ["0", "-2"]),
    "--purchase-usd": pool(["25000"], ["0", "x"]),
    "--lifetime-years": pool(["4", "3 to 5"], ["0"]),
    "--overhead": pool(["1.5"], ["0"]),
    "--extra": pool(EXTRAS, BAD_EXTRAS),
    "--samples": pool(SAMPLES, BAD_SAMPLES),
    "--seed": pool(SEEDS, BAD_SEEDS),
    "--force-mc": FLAG,
    "--threshold": pool(COMPUTE, BAD_COMPUTE),
    "--method-error": pool(FACTORS, BAD_FACTORS),
    "--correlate": pool(CORRELATES, BAD_CORRELATES),
    "--backend": pool(BACKENDS, BAD_BACKENDS),
    "--scheduler": pool(BAD_SCHEDULERS, BAD_SCHEDULERS, edge=False),
    "--json": FLAG,
}
EXAMPLES = {
    "--json": FLAG,
    "--out": outs(),
    "--overwrite": FLAG,
    "--reported": FLAG,
    "--modern": FLAG,
    "--bands": FLAG,
    "--method-error": pool(FACTORS, BAD_FACTORS),
}
PROFILES = {"--profile-file": PROFILE, "--json": FLAG}
SWEEP = {
    "--device": pool(DEVICE_LISTS, BAD_DEVICE_LISTS + BAD_DEVICES),
    "--tflops": pool(AXES, BAD_AXES + BAD_TFLOPS),
    "--count": pool(AXES, BAD_AXES),
    "--days": pool(AXES + ["5 to 6"], BAD_AXES + BAD_DAYS),
    "--hours": pool(AXES, BAD_AXES),
    "--utilization": pool(
        ["0.2:0.5:4", "0.33", "0.25 to 0.4", "0.1,0.2"], BAD_FRACTIONS + BAD_AXES
    ),
    "--precision": pool(PRECISIONS, BAD_PRECISIONS),
    "--macs": pool(AXES, BAD_AXES + BAD_MACS),
    "--examples": pool(AXES, BAD_AXES),
    "--epochs": pool(AXES, BAD_AXES),
    "--networks": pool(AXES, BAD_AXES),
    "--multiplier": pool(AXES, BAD_AXES),
    "--mode": pool(["materialize", "reduce", "inverse"], ["materialise", ""]),
    "--threshold": pool(COMPUTE[:3], BAD_COMPUTE),
    "--quantiles": pool(QUANTILES, BAD_QUANTILES),
    "--group-by": pool(["device", "count", "days"], ["", "bogus", "flop"]),
    "--target": pool(COMPUTE[:3], BAD_COMPUTE),
    "--solve": pool(["days", "count"], ["hours", ""]),
    "--pue": pool(["1.1", "1"], ["0", "-1", "nan", "0.5"]),
    "--price-per-hour": pool(["2", "0.5"], ["-2", "nan"]),
    "--cost": FLAG,
    "--method-error": pool(FACTORS, BAD_FACTORS),
    "--p-above": pool(COMPUTE[:3], BAD_COMPUTE),
    "--samples": pool(SAMPLES[:3], BAD_SAMPLES),
    "--seed": pool(SEEDS, BAD_SEEDS),
    "--force-mc": FLAG,
    "--out": outs(),
    "--overwrite": FLAG,
    "--json": FLAG,
    "--backend": pool(BACKENDS, BAD_BACKENDS),
    "--max-points": pool(["1000", "1e5", "50"], ["nan", "-1", "0", "inf", "x"]),
    "--no-progress": FLAG,
    # stub_bench runs a cluster sweep in-process (InlineClient): no Dask workers are started
    "--scheduler": pool(["local:2", "local", "tcp://127.0.0.1:8786"], ["local:0", "local:x", ""]),
    "--parts": pool(["1", "3", "7"], ["0", "-1", "1.5", "nan"]),
}
SCENARIOS = inputs(
    ["scenario.toml", "scenario_reduce.toml", "scenario_inverse.toml"],
    [
        "scenario_chunk0.toml",
        "scenario_maxlots.toml",
        "scenario_quant.toml",
        "scenario_device5.toml",
        "scenario_out5.toml",
        "scenario_overwrite_no.toml",
        "scenario_unknown.toml",
        "scenario_noaxes.toml",
        "scenario_broken.toml",
        "scenario_types.toml",
    ],
)
BANDS = {
    "--layout": pool(["epoch-ai-models", "epoch-pcd", "computesim-systems"], ["bogus", ""]),
    "--col": pool(["name=system", "flop=", "date=date"], ["bogus=x", "=", "name", "flop=nope"]),
    "--confidence-factors": pool(
        ["Confident=3,Likely=10", "Speculative=30"], ["Confident=0", "x", "Likely=-1", "=3"]
    ),
    "--unknown-confidence": pool(["widest", "exclude"], ["bogus", ""]),
    "--bounds-level": pool(["0.9", "0.8"], ["0", "1", "1.5", "nan", "x"]),
    "--out": outs(),
    "--plot": lambda rng, ws: (
        out_path(rng, ws, (".png", ".svg"))
        if rng.random() < 0.5
        else rng.choice([ws.fresh(".jpg"), ws["adir"], ws.fresh(""), ws["existing.parquet"]])
    ),
    "--plot-probability": lambda rng, ws: (
        out_path(rng, ws, (".png", ".pdf"))
        if rng.random() < 0.5
        else rng.choice([ws.fresh(".gif"), ws["adir"], ws.fresh(""), ws["existing.parquet"]])
    ),
    "--overwrite": FLAG,
    "--samples": pool(SAMPLES, BAD_SAMPLES),
    "--seed": pool(SEEDS, BAD_SEEDS),
    "--force-mc": FLAG,
    "--method-error": pool(FACTORS, BAD_FACTORS),
    "--threshold": pool(COMPUTE, BAD_COMPUTE),
    "--backend": pool(BACKENDS, BAD_BACKENDS),
    "--scheduler": pool(BAD_SCHEDULERS, BAD_SCHEDULERS, edge=False),
    "--json": FLAG,
}
SYSTEMS = inputs(
    ["systems.csv"],
    [
        "systems_bad.csv",
        "systems_header.csv",
        "systems_empty.csv",
        "systems_semicolon.csv",
        "systems_method.csv",
        "systems_nan.csv",
        "systems_bigcell.csv",
        "systems_ragged.csv",
        "binary.csv",
    ],
)
#: the flags trend and efficiency share: the data, its columns and window, the bootstrap
FIT_FLAGS = {
    "--examples": FLAG,
    "--date-col": pool(["Publication date"], ["bogus", ""]),
    "--compute-col": pool(["Training compute (FLOP)"], ["bogus", ""]),
    "--name-col": pool(["System"], ["bogus"]),
    "--compute-unit": pool(["flop", "pfs-days"], ["FLOP", ""]),
    "--from": pool(DATES, BAD_DATES),
    "--to": pool(DATES, BAD_DATES),
    "--bootstrap": pool(["100", "200"], ["0", "-1", "1", "x", "1e3", "99"]),
    "--seed": pool(SEEDS, BAD_SEEDS),
    "--ci": pool(["0.95", "0.9"], ["0", "1", "1.5", "nan", "-0.5"]),
    "--json": FLAG,
}
TREND = {
    **FIT_FLAGS,
    "--breaks": pool(["2015", "2014,2016", "auto"], BAD_DATES + [",,", "2015,2015", "Auto!"]),
    "--large": pool(["1", "0.5", "zscore", "residual"], ["-1", "nan", "inf", "x"]),
    "--large-z": pool(["0.72", "1"], ["-1", "nan", "inf", "x"]),
    "--large-window": pool(["2", "1.5"], ["0", "-1", "nan", "inf"]),
    "--large-oom": pool(["1", "0.5"], ["0", "-1", "nan", "inf"]),
    "--large-evidence": pool(["2", "0", "10"], ["nan", "inf", "x"]),
    "--large-from": pool([*DATES, "window"], BAD_DATES),
    "--max-breaks": pool(["0", "1", "2"], ["3", "-1", "x"]),
    "--include-bounds": FLAG,
    "--propagate": FLAG,
    "--noise-factor": pool(["2", "3"], ["0", "1", "-2", "nan", "inf", "0.5"]),
    "--project": pool(DATES + ["2030"], BAD_DATES),
    "--threshold": pool(["1e26", "1e25 FLOP", "1e30"], BAD_COMPUTE),
    "--flop-per-dollar": pool(["1e17"], ["0", "-1", "nan", "inf"]),
    "--gpu-hour-usd": pool(["3.06"], ["0", "-1", "nan"]),
    "--price-year": pool(DATES, BAD_DATES),
    "--price-doubling-months": pool(["18", "12"], ["0", "-18", "nan", "inf"]),
    "--budget": pool(TREND_FLOATS, ["0", "-1", "nan", "inf", "1e400"]),
    "--cost-years": pool(["2018,2020"], BAD_DATES),
    "--efficiency-halving-months": pool(["16"], ["0", "-16", "nan", "inf"]),
    "--efficiency-ref": pool(DATES, BAD_DATES),
    "--efficiency-data": lambda rng, ws: TRENDS_DATA(rng, ws),
    "--effective": FLAG,
    "--plot": lambda rng, ws: (
        out_path(rng, ws, (".png", ".svg"))
        if rng.random() < 0.5
        else rng.choice([ws.fresh(".jpg"), ws["adir"], ws.fresh(""), ws["existing.parquet"]])
    ),
    "--out": outs(),
    "--overwrite": FLAG,
}
TRENDS_DATA = inputs(
    ["trend.csv"],
    [
        "trend_bad.csv",
        "trend_nodate.csv",
        "trend_one.csv",
        "trend_same.csv",
        "trend_extreme.csv",
        "systems.csv",
    ],
)
EFFICIENCY = FIT_FLAGS
BENCH = {
    "--quick": FLAG,
    "--compare": lambda rng, ws: rng.choice(
        [ws["existing.parquet"], ws.fresh(".arrow"), ws["adir"], ws["binary.csv"], ""]
    ),
    "--json": FLAG,
    "--out": outs(),
    "--backend": pool(["numba", "reference"], ["bogus", "cuda2"]),
    "--only": pool(["sweep", "mc", "point"], ["", "nothing"]),
    "--threads": pool(["all", "1", "1,all"], ["0", "-1", "x", "", "999"]),
    "--scaling": FLAG,
    "--max-size": pool(["1e3", "1e4"], ["0", "-1", "nan", "inf", "1e30"]),
    "--plot": lambda rng, ws: rng.choice(
        [
            ws.fresh(".png"),
            ws.fresh(".jpg"),
            ws["adir"] + "/x.png",
            str(ws.root / "missing" / "x.png"),
            "",
        ]
    ),
    "--gpu-check": FLAG,
    "--no-tests": FLAG,
    "--timings": FLAG,
}

#: subcommand -> (flags, positional pickers with their probability, relative weight)
COMMANDS: dict[str, tuple[dict, list[tuple[Pick, float]], float]] = {
    "estimate": (
        ESTIMATE,
        [(pool(["hardware", "ops", "auto"], ["3", "hw", "HARDWARE", ""]), 0.4)],
        0.34,
    ),
    "examples": (EXAMPLES, [], 0.08),
    "profiles": (PROFILES, [(pool(DEVICES, BAD_DEVICES), 0.5)], 0.08),
    "sweep": (SWEEP, [(SCENARIOS, 0.15)], 0.26),
    "bands": (BANDS, [(SYSTEMS, 0.97)], 0.1),
    "trend": (TREND, [(TRENDS_DATA, 0.5)], 0.1),
    "efficiency": (EFFICIENCY, [(TRENDS_DATA, 0.5)], 0.04),
    "bench": (BENCH, [], 0.04),
    "warmup": ({"--json": FLAG}, [], 0.01),
}


def misspell(rng: random.Random, flag: str) -> str:
    """--days -> --dayz, --day, --dyas, ---days, -days, --DAYS, --days=."""
    body = flag[2:]
    i = rng.randrange(len(body))
    return rng.choice(
        [
            "--" + body[:-1] + "z",
            "--" + body[:-1],
            "--" + body[:i] + body[i + 1 :],
            "--" + body[:i] + body[i : i + 2][::-1] + body[i + 2 :],
            "---" + body,
            "-" + body,
            flag.upper(),
            flag + "=",
            "--" + body.replace("-", "_"),
            "\u2014" + body,
        ]
    )


#: flag sets that make a complete command (taken 70% of the time, then 0-3 random flags added)
RECIPES = {
    "estimate": [
        ["--device", "--count", "--days"],
        ["--tflops", "--days"],
        ["--forward-macs", "--examples"],
        ["--params", "--tokens"],
        ["--params", "--active-params", "--tokens"],
        ["--config", "--tokens", "--context"],
        ["--device", "--count", "--days", "--energy", "--emissions", "--carbon-intensity"],
        ["--device", "--days", "--cost", "--price-per-hour"],
        ["--device", "--days", "--forward-macs", "--examples", "--epochs"],
        ["--device", "--days", "--utilization", "--samples"],
        ["--tflops", "--days", "--threshold"],
    ],
    "sweep": [
        ["--device", "--count", "--days"],
        ["--tflops", "--days"],
        ["--macs", "--examples", "--epochs"],
        ["--device", "--count", "--target"],
        ["--device", "--days", "--threshold"],
        ["--tflops", "--days", "--quantiles"],
        ["--device", "--count", "--days", "--utilization"],
        ["--device", "--count", "--days", "--cost"],
    ],
    "trend": [
        ["--examples"],
        ["--examples", "--from", "--to"],
        ["--examples", "--breaks"],
        ["--examples", "--project", "--threshold"],
    ],
}


def _flags(rng: random.Random, ws: Workspace, flags: dict, recipes: list[list[str]]) -> list[str]:
    names = list(flags)
    if recipes and rng.random() < 0.7:
        base = rng.choice(recipes)
        chosen = base + rng.sample(
            [n for n in names if n not in base],
            min(len(names) - len(base), int(rng.expovariate(1 / 1.2))),
        )
    else:
        chosen = rng.sample(names, min(len(names), int(rng.expovariate(1 / 3)) + 1))
    if rng.random() < 0.1:  # duplicated flag
        chosen.append(rng.choice(chosen))
    out: list[str] = []
    for name in chosen:
        pick = flags[name]
        if rng.random() < 0.04:
            name = misspell(rng, name)
        out.append(name)
        if pick is not None:
            value = pick(rng, ws)
            if rng.random() < 0.15 and not value.startswith("-"):
                out[-1] = f"{name}={value}"
            else:
                out.append(value)
    if rng.random() < 0.03 and out:  # a dangling flag without its value
        out.append(rng.choice([n for n in names if flags[n] is not None] or names))
    return out


def _bounded(cmd: str, argv: list[str], rng: random.Random) -> list[str]:
    """Bound the expensive cases: sweep grids under --max-points, trend bootstraps small."""
    if cmd == "sweep" and "--max-points" not in " ".join(argv) and rng.random() < 0.8:
        argv += ["--max-points", "1e5"]
    if cmd in ("trend", "efficiency") and "--bootstrap" not in " ".join(argv):
        argv += ["--bootstrap", "100"]
    return argv


def generate(rng: random.Random, ws: Workspace) -> list[str]:
    """One argument list (without the program name)."""
    r = rng.random()
    if r < 0.01:
        return rng.choice(
            [[], ["--version"], ["-h"], ["estimat"], ["--bogus"], ["-v"], ["\u00e9"], ["", ""]]
        )
    names = list(COMMANDS)
    cmd = rng.choices(names, weights=[COMMANDS[n][2] for n in names])[0]
    flags, positionals, _ = COMMANDS[cmd]
    argv = [cmd]
    for pick, p in positionals:
        if rng.random() < p:
            argv.append(pick(rng, ws))
    argv += _flags(rng, ws, flags, RECIPES.get(cmd, []))
    if rng.random() < 0.03:  # a stray positional
        argv.append(rng.choice(["3", "extra", "", "-", "--"]))
    if rng.random() < 0.05:
        argv.insert(0, "-v")
    if rng.random() < 0.02:
        argv.append(rng.choice(["-h", "--help"]))
    return _bounded(cmd, argv, rng)


def cases(seed: int, n: int, ws: Workspace) -> Iterator[list[str]]:
    """``n`` argument lists, deterministic for ``seed``."""
    rng = random.Random(seed)
    for _ in range(n):
        yield generate(rng, ws)


# ---------------------------------------------------------------- the runner and its checks


@dataclass
class Outcome:
    argv: list[str]
    code: int | None
    out: str
    err: str
    tb: str | None
    seconds: float
    problems: list[str]

    def signature(self) -> str:
        """Deduplication key: exception type + innermost computesim frame, else the problem kind."""
        if self.tb:
            return self.tb.strip().splitlines()[-1].split(":")[0] + " at " + _where(self.tb)
        return f"{self.problems[0].split(':')[0]} ({self.argv[0] if self.argv else ''})"

    def report(self, width: int = 300) -> str:
        argv = " ".join(_short(a) for a in self.argv)
        head = self.tb.strip().splitlines()[-1] if self.tb else "; ".join(self.problems)
        return (
            f"{self.signature()}\n    argv: {argv}\n    exit {self.code}: {_short(head, width)}"
            + (f"\n    at: {_where(self.tb)}" if self.tb else "")
        )


def _short(s: str, n: int = 80) -> str:
    s = repr(s) if (not s or any(c.isspace() for c in s) or not s.isprintable()) else s
    return s if len(s) <= n else s[:n] + f"...<{len(s)} chars>"


def _where(tb: str) -> str:
    frames = [ln.strip() for ln in tb.splitlines() if ln.strip().startswith("File ")]
    ours = [
        f
        for f in frames
        if "/simulator/" in f or "/kernels/" in f or "/hardware_profiles/" in f or "computesim" in f
    ] or frames
    f = ours[-1] if ours else "?"
    try:
        path, line, func = (
            f.split('"')[1],
            f.split("line ")[1].split(",")[0],
            f.rsplit(" in ", 1)[1],
        )
        return f"{'/'.join(Path(path).parts[-2:])}:{line} {func}"
    except IndexError:
        return f


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """path -> (size, mtime_ns) of every file under root."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            with contextlib.suppress(OSError):
                st = os.lstat(p)
                out[p] = (st.st_size, st.st_mtime_ns)
    return out


class InlineClient:
    """A stand-in for ``distributed.Client``: runs each submitted task at once, in this process."""

    def nthreads(self) -> dict:
        return {"inline": 1}

    def submit(self, fn, *args, pure=True, retries=0, **kwargs):
        try:
            return (True, fn(*args, **kwargs))
        except Exception as exc:  # raised by gather, as Dask does
            return (False, exc)

    def gather(self, futures):
        for ok, value in futures:
            if not ok:
                raise value
        return [value for _, value in futures]

    def cancel(self, futures) -> None:
        pass


@contextlib.contextmanager
def inline_connect(scheduler, field: str = "scheduler") -> Iterator[InlineClient]:
    """``cluster.connect`` without a cluster: the scheduler text is checked, tasks run inline."""
    from computesim.cluster import parse_scheduler

    if isinstance(scheduler, str):
        parse_scheduler(scheduler, field)
    yield InlineClient()


@contextlib.contextmanager
def stub_bench() -> Iterator[None]:
    """``bench`` validates its arguments but runs no workload (rows: []; ``--gpu-check`` neither
    tests nor times); ``warmup`` compiles nothing (steps: []); a sweep's ``--scheduler`` runs its
    tasks inline (``InlineClient``)."""
    from computesim.benchmarks import gpu, suite, warmup
    from computesim.sweeps import engine

    saved_connect = engine.connect
    engine.connect = inline_connect

    saved = {k: getattr(suite, k) for k in ("run_suite", "run_scaling", "append")}
    saved_warm, saved_gpu = warmup.warm, gpu.check
    gpu.check = lambda *a, **k: {"device": "stub", "tests": {"ran": False}, "rows": []}
    suite.run_suite = lambda *a, **k: []
    suite.run_scaling = lambda *a, **k: []
    suite.append = lambda rows, path: 0
    warmup.warm = lambda *a, **k: []
    try:
        import computesim.benchmarks.plot as bplot

        saved_plot = bplot.plot_scaling
        bplot.plot_scaling = lambda rows, path: None
    except ImportError:
        bplot = None
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(suite, k, v)
        warmup.warm, gpu.check = saved_warm, saved_gpu
        engine.connect = saved_connect
        if bplot is not None:
            bplot.plot_scaling = saved_plot


@contextlib.contextmanager
def cached_parser() -> Iterator[None]:
    """Build the argparse tree once (``main`` builds it per call: ~5 ms, most of a failing case)."""
    import functools

    from computesim import cli

    saved = cli.build_parser
    cli.build_parser = functools.lru_cache(maxsize=1)(saved)
    try:
        yield
    finally:
        cli.build_parser = saved


def _touches_files(argv: list[str], ws: Workspace) -> bool:
    root = str(ws.root)
    return any(root in a or a.startswith(("--out", "--plot", "/")) for a in argv)


def run_case(argv: list[str], ws: Workspace) -> Outcome:
    """Run ``main(argv)`` in-process and check exit code, stderr and the files left."""
    from computesim.cli import main

    files = _touches_files(argv, ws)
    before = snapshot(ws.root) if files else {}
    out, err = io.StringIO(), io.StringIO()
    code, tb = None, None
    t0 = time.perf_counter()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("error")
        try:
            code = main(list(argv))
        except SystemExit as exc:  # --help / --version
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            tb = traceback.format_exc()
    seconds = time.perf_counter() - t0
    problems = _check(code, tb, out.getvalue(), err.getvalue(), verbose=_verbose(argv))
    if files:
        problems += _check_files(code, before, snapshot(ws.root), ws)
    return Outcome(list(argv), code, out.getvalue(), err.getvalue(), tb, seconds, problems)


def _verbose(argv: list[str]) -> bool:
    """-v / --verbose before the subcommand: log lines on stderr are asked for."""
    from computesim.cli import COMMANDS

    head = [a for a in argv[: next((i for i, a in enumerate(argv) if a in COMMANDS), len(argv))]]
    return "-v" in head or "--verbose" in head


def _check(
    code: int | None, tb: str | None, out: str, err: str, verbose: bool = False
) -> list[str]:
    """Exit 0 or 2 and no traceback; on 2 one stderr line (with -v: log lines, then the error line last)."""
    if tb is not None:
        return ["traceback: " + tb.strip().splitlines()[-1]]
    if code not in (0, 2):
        return [f"exit code: {code}"]
    if "Traceback" in err or "Traceback" in out:
        return ["traceback text printed"]
    if code == 2:
        lines = err.splitlines()
        if verbose and lines and all(x.startswith("computesim: ") for x in lines):
            lines = lines[-1:]
        if len(lines) != 1:
            return [f"stderr lines: {len(lines)} on exit 2: {err[:300]!r}"]
        if not lines[0].startswith("computesim: error: "):
            return [f"stderr form: {lines[0][:200]!r}"]
        if len(lines[0]) > 1000:
            return [f"stderr length: {len(lines[0])} characters (a huge value echoed back)"]
    return []


def _check_files(code: int | None, before: dict, after: dict, ws: Workspace) -> list[str]:
    """On failure nothing changes; on success no hidden temp file; then the workspace is restored."""
    problems = []
    new = sorted(set(after) - set(before))
    changed = sorted(p for p in before if p in after and after[p] != before[p])
    gone = sorted(set(before) - set(after))
    temps = [p for p in new if Path(p).name.startswith(".") and Path(p).name.endswith(".tmp")]
    if temps:
        problems.append(f"temp file left: {Path(temps[0]).name}")
    if code != 0 and (new or changed or gone):
        problems.append(
            f"files changed on failure: new {[Path(p).name[:60] for p in new][:3]}, "
            f"changed {[Path(p).name for p in changed][:3]}, gone {[Path(p).name for p in gone][:3]}"
        )
    for p in new:
        with contextlib.suppress(OSError):
            os.unlink(p)
    if changed or gone:  # restore the inputs (an --overwrite replaced existing.parquet, say)
        restore_inputs(ws)
    return problems


def restore_inputs(ws: Workspace) -> None:
    keep = ws.counter
    fresh = make_workspace(ws.root)
    ws.files, ws.counter = fresh.files, keep
    for p in (ws.root / "adir").iterdir():
        shutil.rmtree(p) if p.is_dir() else p.unlink()


def subcommand(argv: list[str]) -> str:
    """The subcommand a case runs ("-" when none is given)."""
    from computesim.cli import COMMANDS

    return next((a for a in argv if a in COMMANDS), "-")


def tally_case(tally: dict[str, dict[str, float]], o: Outcome) -> None:
    """Add ``o`` to per-subcommand counts: cases, exit codes, tracebacks, files left, slowest."""
    row = tally.setdefault(subcommand(o.argv), collections.Counter())
    row["cases"] += 1
    row[f"exit {o.code}"] += 1
    row["tracebacks"] += o.tb is not None
    row["files left"] += any(p.startswith(("temp file", "files changed")) for p in o.problems)
    row["other problems"] += bool(o.problems) and o.tb is None
    row["slowest s"] = max(row["slowest s"], o.seconds)


def fuzz(
    seed: int, n: int, ws: Workspace, tally: dict | None = None
) -> tuple[list[Outcome], dict[str, int], list[Outcome]]:
    """Run ``n`` cases: (first failure of each distinct signature, counts by exit code, slowest 5);
    per-subcommand counts go into ``tally`` if given."""
    failures: dict[str, Outcome] = {}
    codes: dict[str, int] = {}
    slow: list[Outcome] = []
    with stub_bench(), cached_parser():
        for argv in cases(seed, n, ws):
            o = run_case(argv, ws)
            codes[str(o.code)] = codes.get(str(o.code), 0) + 1
            if tally is not None:
                tally_case(tally, o)
            if o.problems:
                failures.setdefault(o.signature(), o)
            slow = sorted(slow + [o], key=lambda x: -x.seconds)[:5]
    return list(failures.values()), codes, slow


def main(argv: list[str]) -> int:
    import tempfile

    global HUGE_LEN
    n = int(argv[0]) if argv else 10_000
    seed = int(argv[1]) if len(argv) > 1 else 0
    HUGE_LEN = int(argv[2]) if len(argv) > 2 else HUGE_LEN
    with tempfile.TemporaryDirectory() as tmp:
        ws = make_workspace(Path(tmp))
        t0 = time.perf_counter()
        tally: dict = {}
        failures, codes, slow = fuzz(seed, n, ws, tally)
        print(
            f"{n} cases, seed {seed}, {time.perf_counter() - t0:.1f} s; exit codes {codes}; "
            f"{len(failures)} distinct failures"
        )
        cols = [
            "cases",
            "exit 0",
            "exit 2",
            "tracebacks",
            "files left",
            "other problems",
            "slowest s",
        ]
        print("| subcommand | " + " | ".join(cols) + " |")
        print("|---" * (len(cols) + 1) + "|")
        for name, row in sorted(tally.items()):
            print(
                f"| {name} | "
                + " | ".join(
                    f"{row[c]:.2f}" if c == "slowest s" else str(int(row[c])) for c in cols
                )
                + " |"
            )
        for f in failures:
            print(f.report())
            if f.tb:
                print("    " + "\n    ".join(f.tb.strip().splitlines()[-8:]))
        print("slowest:")
        for o in slow:
            print(f"  {o.seconds:.2f} s  exit {o.code}  {' '.join(_short(a, 60) for a in o.argv)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
