"""The worked examples of "AI and Compute" (OpenAI, 2018) as inputs, and the reported bounds.

Each row holds only the inputs as printed; compute is always computed from them. The printed
result is kept as the reference the computed value is compared with (``printed_pfs_days``).
Readings the source leaves open are stated next to the row (``reading``), and so is what is
uncertain about its inputs (``uncertain``, with the rules every hardware row shares:
``ExampleResult.with_stated_precision``), from which ``computesim examples --bands`` draws bands.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from computesim.core import architectures as arch
from computesim.core import units
from computesim.core.distributions import LogNormal
from computesim.core.methods import (
    Comparison,
    Estimate,
    Factor,
    compare,
    estimate_hardware,
    estimate_ops,
    reported,
)

#: The source's stated accuracy: estimates are good to within 2-3x.
TOLERANCE = 3.0
#: The source's default utilization guess, and the range it stands for.
DEFAULT_UTILIZATION, DEFAULT_UTILIZATION_RANGE = 0.33, (0.2, 0.5)


@dataclass(frozen=True)
class Uncertain:
    """A factor of a worked example known only within a range: a lognormal 90% interval
    [low, high] in the factor's canonical units (s, FLOP/s, fraction), and the assumption as text."""

    factor: str
    low: float
    high: float
    note: str

    def value(self) -> LogNormal:
        return LogNormal.from_interval(self.low, self.high)


#: Peak ranges by device: the source prints both figures for the GTX 580 (TFLOP/s).
PEAK_RANGES = {
    "GTX 580": Uncertain(
        "peak", 1.54e12, 1.58e12, "peak 1.54 to 1.58 TFLOPS (both figures of the source)"
    )
}


@dataclass(frozen=True)
class WorkedExample:
    """One printed calculation: the system, its method, the inputs, and what the source printed."""

    system: str
    method: str  # "ops" (method 1) or "hardware" (method 2)
    published: dt.date
    build: Callable[[], Estimate]
    printed_pfs_days: float
    printed_pf: float
    inputs_as_printed: str
    reading: str = ""
    reference: str = ""
    uncertain: tuple[Uncertain, ...] = ()  #: ranges stated for this row (else the shared rules)

    def estimate(self) -> Estimate:
        return self.build()


@dataclass(frozen=True)
class ExampleResult:
    """A worked example computed from its inputs, against the printed figure."""

    example: WorkedExample
    estimate: Estimate
    comparison: Comparison | None = None

    @property
    def ratio_to_printed(self) -> float:
        """computed / printed (pfs-days)."""
        return self.estimate.pfs_days / self.example.printed_pfs_days

    @property
    def within_tolerance(self) -> bool:
        r = self.ratio_to_printed
        return max(r, 1 / r) <= TOLERANCE

    @property
    def flagged(self) -> bool:
        """Printed figure more than 25% from what its own inputs multiply to."""
        return abs(math.log(self.ratio_to_printed)) > math.log(1.25)

    def with_stated_precision(self) -> tuple[Estimate, list[str]]:
        """The estimate with its inputs' stated precision as lognormal 90% intervals, and one note
        per uncertain factor.

        Hardware rows: the row's own ``uncertain`` ranges first; else days as printed +- half a day
        (whole days as reported), the device's peak range (``PEAK_RANGES``), utilization 0.33 as
        0.2 to 0.5 (the source's default guess), a stated utilization u as 0.7u to min(1.3u, 0.95).
        Other inputs, and operation counts, as printed.
        """
        est = self.estimate
        if est.method != "hardware":
            return est, []
        own = {u.factor: u for u in self.example.uncertain}
        factors, notes = [], []
        for f in est.factors:
            u = own.get(f.name) or _shared_rule(f, str(est.inputs.get("device", "")))
            if u is not None:
                f = Factor(f.name, u.value(), f.unit, f.note)
                notes.append(u.note)
            factors.append(f)
        return Estimate(est.method, tuple(factors), est.inputs, est.label), notes

    def to_dict(self) -> dict[str, Any]:
        ex = self.example
        out = self.estimate.to_dict() | {
            "system": ex.system,
            "published": ex.published.isoformat(),
            "inputs_as_printed": ex.inputs_as_printed,
            "printed_pfs_days": ex.printed_pfs_days,
            "printed_pf": ex.printed_pf,
            "ratio_to_printed": self.ratio_to_printed,
            "within_tolerance": self.within_tolerance,
            "flagged": self.flagged,
            "reading": ex.reading,
            "reference": ex.reference,
        }
        if self.comparison is not None:
            out["methods_ratio"] = self.comparison.ratio
            out["methods_agree"] = self.comparison.agree
        return out


def _shared_rule(f: Factor, device: str) -> Uncertain | None:
    """The range every hardware row assumes for factor ``f`` (None: as printed)."""
    if f.name == "time":
        days = f.value.point / units.SECONDS_PER_DAY
        return _days(days - 0.5, days + 0.5, "rounded to whole days")
    if f.name == "peak":
        return next((u for name, u in PEAK_RANGES.items() if name in device), None)
    if f.name == "utilization":
        u = f.value.point
        lo, hi = (
            DEFAULT_UTILIZATION_RANGE
            if abs(u - DEFAULT_UTILIZATION) < 1e-9
            else (0.7 * u, min(1.3 * u, 0.95))
        )
        return Uncertain("utilization", lo, hi, f"utilization {lo:.2g} to {hi:.2g}")
    return None


def _days(lo: float, hi: float, why: str) -> Uncertain:
    """Training time between ``lo`` and ``hi`` days."""
    return Uncertain(
        "time",
        lo * units.SECONDS_PER_DAY,
        hi * units.SECONDS_PER_DAY,
        f"days {lo:g} to {hi:g} ({why})",
    )


def _hw(
    label: str,
    device: str,
    count: float,
    tflops: float,
    days: float,
    util: float = 0.33,
    **extra: float,
) -> Callable[[], Estimate]:
    return lambda: estimate_hardware(
        device=device,
        count=count,
        tflops=tflops,
        days=days,
        utilization=util,
        extra=extra or None,
        label=label,
    )


def _ops(label: str, **kw: Any) -> Callable[[], Estimate]:
    return lambda: estimate_ops(label=label, **kw)


D = dt.date
WORKED_EXAMPLES: tuple[WorkedExample, ...] = (
    WorkedExample(
        "ResNet-151",
        "ops",
        D(2015, 12, 10),
        _ops("ResNet-151", forward_macs=11.4e9, examples=1.2e6, epochs=128),
        0.117,
        10_000,
        "11.4e9 add-mult x 2 x 3 x 1.2e6 images x 128 epochs",
        reading="The source's heading cites 'Going deeper with convolutions'; the figures are ResNet's "
        "(He et al. 2015, arXiv:1512.03385), dated by that paper.",
        reference="arXiv:1512.03385",
    ),
    WorkedExample(
        "AlexNet",
        "ops",
        D(2012, 9, 30),
        _ops("AlexNet", forward_macs=0.75e9, examples=1.2e6, epochs=90),
        0.0054,
        470,
        "1.2e6 images x 90 epochs x 0.75 GFLOP x 2 x 3",
        reading="The printed '0.75 GFLOPS' is multiplied by 2 FLOP/add-multiply, so it is read as 0.75 G "
        "multiply-adds per image.",
        reference="NeurIPS 2012 (Krizhevsky et al.)",
    ),
    WorkedExample(
        "AlexNet",
        "hardware",
        D(2012, 9, 30),
        _hw("AlexNet", "GTX 580", 2, 1.58, 5.5),
        0.0058,
        500,
        "2 GTX 580 x 1.58 TFLOPS x 5.5 days x 0.33",
        reading="'five to six days' taken as 5.5 days, as printed.",
        reference="NeurIPS 2012",
        uncertain=(_days(5.0, 6.0, "the paper's 'five to six days'"),),
    ),
    WorkedExample(
        "Dropout",
        "hardware",
        D(2012, 7, 3),
        _hw("Dropout", "GTX 580", 1, 1.54, 4),
        0.0021,
        184,
        "1 GTX 580 x 1.54 TFLOPS x 4 days x 0.33",
        reference="arXiv:1207.0580",
    ),
    WorkedExample(
        "Visualizing & Understanding CNNs",
        "hardware",
        D(2013, 11, 12),
        _hw("Visualizing & Understanding CNNs", "GTX 580", 1, 1.54, 12),
        0.0062,
        532,
        "1 GTX 580 x 1.54 TFLOPS x 12 days x 0.33",
        reference="arXiv:1311.2901",
    ),
    WorkedExample(
        "DQN",
        "ops",
        D(2013, 12, 19),
        _ops("DQN", forward_macs=arch.dqn_forward_macs(), examples=5e6, batch_size=32, epochs=1),
        2.7e-5,
        2.3,
        "layers 20x20x3x16x8x8 + 9x9x16x32x4x4 + 9x9x32x256 ~ 2.55M add-mult; 2.5M x 5M updates x 32 x 2 x 3",
        reading="Forward cost computed from the layer shapes (2,555,904 multiply-adds); the source's "
        "product line rounds it to 2.5 M (2.2% lower).",
        reference="arXiv:1312.5602",
    ),
    WorkedExample(
        "Seq2Seq",
        "ops",
        D(2014, 9, 10),
        _ops("Seq2Seq", forward_macs=0.380e9, examples=348e6 + 304e6, epochs=7.5),
        0.085,
        7_300,
        "(348M + 304M) words x 0.380 GF x 2 x 3 x 7.5 epochs",
        reading="The inputs multiply to about 0.129 pfs-days, not the printed 0.085 (1.5x): flagged, "
        "computed as written.",
        reference="arXiv:1409.3215",
    ),
    WorkedExample(
        "Seq2Seq",
        "hardware",
        D(2014, 9, 10),
        _hw("Seq2Seq", "K20", 8, 3.5, 10),
        0.093,
        8_100,
        "8 K20 x 3.5 TFLOPS x 10 days x 0.33",
        reference="arXiv:1409.3215",
    ),
    WorkedExample(
        "VGG",
        "ops",
        D(2014, 9, 4),
        _ops("VGG", forward_macs=16e9, examples=1.2e6, epochs=74),
        0.098,
        8_524,
        "1.2e6 images x 74 epochs x 16 GFLOP x 2 x 3",
        reading="'16 GFLOPS' multiplied by 2 FLOP/add-multiply: read as 16 G multiply-adds per image.",
        reference="arXiv:1409.1556",
    ),
    WorkedExample(
        "VGG",
        "hardware",
        D(2014, 9, 4),
        _hw("VGG", "Titan Black", 4, 5.1, 15),
        0.12,
        10_000,
        "4 Titan Black x 5.1 TFLOPS x 15 days x 0.33",
        reference="arXiv:1409.1556",
    ),
    WorkedExample(
        "DeepSpeech2",
        "ops",
        D(2015, 12, 8),
        _ops(
            "DeepSpeech2",
            forward_macs=arch.deepspeech2_macs_per_timestep(),
            examples=12_000 * 3_600 * 50,
            epochs=20,
        ),
        0.30,
        26_000,
        "timestep = 1280^2 x (7 RNN layers x 4 matrices + 2 DNN layers) x 2 = 98 MFLOP; "
        "20 epochs x 12,000 h x 3,600 s/h x 50 samples/s x 98 MFLOP x 3 x 2",
        reading="The x2 in the timestep line is the source's 'doubling parameters' for the bidirectional "
        "RNNs, so the 98 M are multiply-adds per timestep; the product line's x2 is FLOP per "
        "multiply-add, not a double count. Computed as written: 0.294 pfs-days (0.147 if the "
        "second x2 were a double count).",
        reference="arXiv:1512.02595",
    ),
    WorkedExample(
        "DeepSpeech2",
        "hardware",
        D(2015, 12, 8),
        _hw("DeepSpeech2", "Titan X", 16, 6, 5, util=0.50),
        0.25,
        21_000,
        "16 Titan X x 6 TFLOPS x 5 days x 0.50",
        reading="Utilization 0.50 as the source assumes for this run (better information than 0.33).",
        reference="arXiv:1512.02595",
    ),
    WorkedExample(
        "Xception",
        "hardware",
        D(2016, 10, 7),
        _hw("Xception", "K80", 60, 8.5, 30),
        5.0,
        4.5e5,
        "60 K80 x 8.5 TFLOPS x 30 days x 0.33",
        reference="arXiv:1610.02357",
    ),
    WorkedExample(
        "Neural Architecture Search",
        "ops",
        D(2016, 11, 5),
        _ops(
            "Neural Architecture Search",
            forward_macs=10.0e9,
            examples=50_000,
            epochs=50,
            multiplier=12_800,
        ),
        22,
        1.9e6,
        "50 epochs x 50,000 images x 10.0 GFLOP x 12,800 networks x 2 x 3",
        reading="'10.0 GFLOPs' multiplied by 2 FLOP/add-multiply: read as multiply-adds.",
        reference="arXiv:1611.01578",
    ),
    WorkedExample(
        "Neural Architecture Search",
        "hardware",
        D(2016, 11, 5),
        _hw("Neural Architecture Search", "K40", 800, 4.2, 28),
        31,
        2.8e6,
        "800 K40 x 4.2 TFLOPS x 28 days x 0.33",
        reference="arXiv:1611.01578, arXiv:1707.07012",
    ),
    WorkedExample(
        "Neural Machine Translation",
        "hardware",
        D(2016, 9, 26),
        _hw(
            "Neural Machine Translation",
            "K80",
            96,
            8.5,
            9,
            more_data_fewer_epochs=math.sqrt(10 * 100),
        ),
        79,
        6.9e6,
        "96 K80 x 8.5 TFLOPS x 9 days x 0.33 x sqrt(10 x 100)",
        reading="sqrt(10 x 100): the production model saw 2-3 orders of magnitude more data for 1 epoch "
        "instead of 10.",
        reference="arXiv:1609.08144",
    ),
)


@dataclass(frozen=True)
class ReportedResult:
    """A modest-compute result the source reports as a figure or an upper bound (not in its fit)."""

    system: str
    published: dt.date
    compute: str  # as printed: "0.089 pfs-days" or "< 0.0007 pfs-days"
    reference: str = ""

    def estimate(self) -> Estimate:
        return reported(self.compute, self.system)


REPORTED_RESULTS: tuple[ReportedResult, ...] = (
    ReportedResult(
        "Attention is all you need", D(2017, 6, 12), "0.089 pfs-days", "arXiv:1706.03762"
    ),
    ReportedResult("Adam Optimizer", D(2014, 12, 22), "< 0.0007 pfs-days", "arXiv:1412.6980"),
    ReportedResult(
        "Learning to Align and Translate", D(2014, 9, 1), "0.018 pfs-days", "arXiv:1409.0473"
    ),
    ReportedResult("GANs", D(2014, 6, 10), "< 0.006 pfs-days", "arXiv:1406.2661"),
    ReportedResult("Word2Vec", D(2013, 10, 16), "< 0.00045 pfs-days", "arXiv:1310.4546"),
    ReportedResult(
        "Variational Auto Encoders", D(2013, 12, 20), "< 0.0000055 pfs-days", "arXiv:1312.6114"
    ),
)


def run_examples() -> list[ExampleResult]:
    """Compute every worked example; rows of systems with both methods carry their comparison.

    >>> results = run_examples()
    >>> len(results), sum(r.within_tolerance for r in results)  # all within the source's 3x
    (16, 16)
    """
    estimates = [ex.estimate() for ex in WORKED_EXAMPLES]
    by_system: dict[str, dict[str, Estimate]] = {}
    for ex, est in zip(WORKED_EXAMPLES, estimates):
        by_system.setdefault(ex.system, {})[ex.method] = est
    out = []
    for ex, est in zip(WORKED_EXAMPLES, estimates):
        pair = by_system[ex.system]
        cmp = compare(pair["ops"], pair["hardware"]) if len(pair) == 2 else None
        out.append(ExampleResult(ex, est, cmp))
    return out
