"""Hypothesis strategies for sweep axis specs and scenario files (tests/sweeps/test_sweep_properties.py)."""

from __future__ import annotations

import json
import math

from hypothesis import strategies as st

#: Positive finite values whose products over a few axes stay well inside float64.
positive = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)
counts = st.integers(min_value=1, max_value=40)


@st.composite
def ranges(draw, log: bool | None = None):
    """(spec text, low, high, n, log) of a valid range axis."""
    lo, hi = sorted((draw(positive), draw(positive)))
    n = draw(counts)
    if n > 1 and lo == hi:
        hi = lo * 2
    if n == 1:
        hi = lo
    log = draw(st.booleans()) if log is None else log
    return f"{lo!r}:{hi!r}:{n}{'log' if log else ''}", lo, hi, n, log


#: Text that looks like axis specs, valid or not.
spec_text = st.text(alphabet="0123456789.:,-+eElogn xaf%", max_size=30)
#: Anything a Python caller might pass as an axis.
any_spec = st.one_of(
    spec_text,
    positive,
    st.floats(),
    st.integers(),
    st.booleans(),
    st.none(),
    st.binary(max_size=4),
    st.lists(
        st.one_of(positive, st.floats(), st.integers(), st.text(max_size=5), st.booleans()),
        max_size=4,
    ),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.tuples(positive, positive),
)

toml_scalar = st.one_of(
    st.booleans(),
    st.integers(min_value=-3, max_value=2000),
    st.floats(min_value=-2, max_value=1e4),
    st.sampled_from([float("nan"), float("inf"), 0.5, 1e25]),
    st.text(max_size=8),
    st.sampled_from(
        [
            "1e25FLOP",
            "100 pfs-days",
            "5",
            "device",
            "count",
            "days",
            "reference",
            "numba",
            "bogus",
            "materialize",
            "reduce",
            "inverse",
            "out.arrow",
            "out.parquet",
            "out.txt",
            "no",
            "K80",
            "K40,Xeon E5-2680 v2",
            "1,8",
            "1:10:3",
            "1:100:3log",
            "0.2:0.5:3",
            "0.25 to 0.4",
            "3x",
        ]
    ),
)
toml_value = st.one_of(toml_scalar, st.lists(toml_scalar, max_size=3))

AXIS_KEYS = [
    "device",
    "tflops",
    "count",
    "days",
    "hours",
    "utilization",
    "macs",
    "examples",
    "epochs",
    "multiplier",
    "bogus_axis",
]
SECTION_KEYS = {
    "sweep": [
        "mode",
        "out",
        "backend",
        "overwrite",
        "max_points",
        "precision",
        "chunk_points",
        "nope",
    ],
    "reduce": ["threshold", "quantiles", "group_by"],
    "inverse": ["target", "solve", "pue", "price_per_hour"],
}


@st.composite
def scenarios(draw):
    """A scenario as a dict of TOML tables, valid or not."""
    doc = {}
    if draw(st.integers(0, 9)):  # usually an [axes] table of up to 3 axes
        keys = draw(st.lists(st.sampled_from(AXIS_KEYS), max_size=3, unique=True))
        doc["axes"] = {k: draw(toml_value) for k in keys}
    for section, keys in SECTION_KEYS.items():
        if draw(st.booleans()):
            chosen = draw(st.lists(st.sampled_from(keys), max_size=2, unique=True))
            doc[section] = {k: draw(toml_value) for k in chosen}
    if draw(st.integers(0, 19)) == 0:
        doc["axes_as_value"] = 3
    return doc


def _toml(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if v != v else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)  # JSON escapes are valid TOML basic-string escapes
    return "[" + ", ".join(_toml(x) for x in v) + "]"


def to_toml(doc: dict) -> str:
    """TOML text of a dict of tables (and top-level scalars)."""
    lines = [f"{k} = {_toml(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    for name, body in doc.items():
        if isinstance(body, dict):
            lines.append(f"[{name}]")
            lines += [f"{k} = {_toml(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"


@st.composite
def valid_scenarios(draw):
    """A scenario that should run: a small method-2 grid, in any of the three modes."""
    axes = {
        "device": draw(st.sampled_from(["K80", ["K40", "Xeon E5-2680 v2"], "TPU v3,K80"])),
        "count": draw(st.lists(st.integers(1, 64), min_size=1, max_size=3)),
    }
    if draw(st.booleans()):
        axes["utilization"] = draw(st.sampled_from(["0.2:0.5:3", 0.4, [0.1, 1], "0.25 to 0.4"]))
    mode = draw(st.sampled_from(["materialize", "reduce", "inverse"]))
    doc = {"axes": axes}
    if mode != "inverse":
        axes["days"] = draw(st.sampled_from(["1:100:4log", 3, [1.5, 2]]))
    if mode == "reduce":
        if isinstance(axes.get("utilization"), str) and " to " in axes["utilization"]:
            axes["utilization"] = 0.3
        doc["reduce"] = {"threshold": "1e20 FLOP", "quantiles": [0.05, 0.5], "group_by": "device"}
    elif mode == "inverse":
        axes.pop("utilization", None)
        doc["inverse"] = {"target": "1e22FLOP", "pue": 1.1}
    if draw(st.booleans()):
        doc["sweep"] = {
            "out": draw(st.sampled_from(["r.arrow", "r.parquet"])),
            "overwrite": draw(st.booleans()),
            "backend": draw(st.sampled_from(["reference", "numba"])),
            "chunk_points": draw(counts),
        }
    return doc
