"""The built-in hardware profiles: they load, they hold the devices the source needs, and the
figures agree with the datasheet arithmetic (cores x clock x FLOP per cycle)."""

from __future__ import annotations

import re

import pytest

from computesim.hardware_profiles import PRECISIONS, builtin_profiles, find_profile

REQUIRED = (
    "gtx580",
    "k20",
    "k40",
    "k80",
    "titan_black",
    "titan_x_maxwell",
    "tpu_v1",
    "tpu_v2",
    "tpu_v3",
    "tpu_v4",
    "v100",
    "a100",
    "h100",
    "h200",
    "h100_pcie",
    "mi300x",
    # the chips the public datasets use most (issue 16)
    "a100_40gb",
    "a100_pcie",
    "a100_pcie_40gb",
    "a800",
    "h800",
    "h100_nvl",
    "v100_pcie",
    "p100",
    "p100_pcie",
    "titan_v",
    "titan_xp",
    "gtx1080ti",
    "rtx3090",
    "rtx4090",
    "rtx_a6000",
    "tpu_v5e",
    "tpu_v5p",
    "tpu_v6e",
    "mi250x",
    "b200",
)


def _by_key():
    return {p.key: p for p in builtin_profiles()}


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


def test_every_builtin_profile_loads():
    profs = builtin_profiles()
    assert len(profs) >= len(REQUIRED) + 1
    keys = [p.key for p in profs]
    assert len(keys) == len(set(keys))
    dates = [p.release_date for p in profs]
    assert dates == sorted(dates)


@pytest.mark.parametrize("key", REQUIRED)
def test_required_profile_exists(key):
    assert key in _by_key()


def test_a_cpu_profile_exists_with_the_source_cpu_utilization():
    cpus = [p for p in builtin_profiles() if p.kind == "cpu"]
    assert cpus, "need at least one kind = 'cpu' profile"
    for p in cpus:
        assert p.default_utilization == pytest.approx(0.17)
        assert "fp32" in p.peaks


def test_gpu_and_tpu_default_utilization():
    for p in builtin_profiles():
        if p.kind in ("gpu", "tpu"):
            assert p.default_utilization == pytest.approx(0.33), p.key


@pytest.mark.parametrize("p", builtin_profiles(), ids=lambda p: p.key)
def test_profile_is_complete_and_coherent(p):
    for fig in ("release_date", "memory_gib", "memory_bandwidth_gb_per_s", "tdp_w"):
        assert p.sources[fig].strip(), fig
    assert p.memory_gib > 0 and p.memory_bandwidth_gb_per_s > 0
    if p.tdp_w is None:  # only where the maker publishes none, and the source says so
        assert "not published" in p.sources["tdp_w"].lower(), p.key
    else:
        assert p.tdp_w > 0
    assert p.peaks and set(p.peaks) <= set(PRECISIONS)
    assert p.name and p.vendor
    for prec, pk in p.peaks.items():
        assert pk.low_flop_per_s <= pk.flop_per_s <= pk.high_flop_per_s, prec
        assert pk.clock in ("base", "boost", "single"), prec
        assert pk.source.strip(), prec
        if pk.sparse_flop_per_s is not None:
            assert pk.sparse_flop_per_s > pk.flop_per_s, prec
        if prec in ("int8", "int4"):
            assert re.search(r"TOPS|tera-op", pk.source + pk.why), (
                f"{prec}: say that it means tera-ops"
            )
    if p.per == "board":
        assert p.chips_per_board >= 2


@pytest.mark.parametrize(
    "alias, key",
    [
        ("K80", "k80"),
        ("Tesla K80", "k80"),
        ("Titan X", "titan_x_maxwell"),
        ("TitanX", "titan_x_maxwell"),
        ("GTX Titan Black", "titan_black"),
        ("TPU v3", "tpu_v3"),
        ("H100", "h100"),
        ("A100", "a100"),
        ("V100", "v100"),
        ("K40", "k40"),
        ("K20", "k20"),
        ("GTX 580", "gtx580"),
        ("TPU v1", "tpu_v1"),
        ("TPU v2", "tpu_v2"),
        ("TPU v4", "tpu_v4"),
        ("H200", "h200"),
        ("H100 PCIe", "h100_pcie"),
        ("H100-PCIe-80GB", "h100_pcie"),
        ("MI300X", "mi300x"),
        ("AMD Instinct MI300X", "mi300x"),
        ("tesla-k80", "k80"),
        ("tpuv3", "tpu_v3"),
        ("A100 40GB", "a100_40gb"),
        ("A100-SXM4-40GB", "a100_40gb"),
        ("A100 PCIe", "a100_pcie"),
        ("A100-PCIE-40GB", "a100_pcie_40gb"),
        ("A800", "a800"),
        ("H800", "h800"),
        ("H100 NVL", "h100_nvl"),
        ("Tesla V100-PCIE-16GB", "v100_pcie"),
        ("P100", "p100"),
        ("Tesla P100-PCIE-16GB", "p100_pcie"),
        ("Titan V", "titan_v"),
        ("Titan Xp", "titan_xp"),
        ("GTX 1080 Ti", "gtx1080ti"),
        ("RTX 3090", "rtx3090"),
        ("NVIDIA GeForce RTX 4090", "rtx4090"),
        ("RTX A6000", "rtx_a6000"),
        ("TPU v5e", "tpu_v5e"),
        ("TPU v5p", "tpu_v5p"),
        ("Trillium", "tpu_v6e"),
        ("TPU v6e", "tpu_v6e"),
        ("MI250X", "mi250x"),
        ("B200", "b200"),
    ],
)
def test_aliases_resolve(alias, key):
    assert find_profile(alias).key == key


def test_no_alias_collides_between_devices():
    owner: dict[str, str] = {}
    for p in builtin_profiles():
        for n in {_norm(x) for x in (p.key, p.name, *p.aliases)}:
            assert n, f"{p.key}: empty name"
            assert owner.setdefault(n, p.key) == p.key, f"{n!r} names both {owner[n]} and {p.key}"


def test_k80_range_and_default():
    k80 = find_profile("K80")
    fp32 = k80.peak("fp32")
    assert k80.per == "board" and k80.chips_per_board == 2
    assert fp32.low_flop_per_s == pytest.approx(5.6e12)
    assert fp32.high_flop_per_s == pytest.approx(8.74e12)
    assert fp32.flop_per_s == pytest.approx(8.5e12)


def test_gtx580_range_holds_both_source_figures():
    fp32 = find_profile("GTX 580").peak("fp32")
    for v in (1.54e12, 1.58e12):
        assert fp32.low_flop_per_s <= v <= fp32.high_flop_per_s
    assert fp32.flop_per_s == pytest.approx(1.58e12)


def test_source_defaults():
    """The fp32 defaults the source (AI and Compute, 2018) uses, so its rows can be reproduced."""
    want = {
        "k20": 3.5e12,
        "k40": 4.2e12,
        "k80": 8.5e12,
        "titan_black": 5.1e12,
        "titan_x_maxwell": 6.0e12,
        "gtx580": 1.58e12,
    }
    by = _by_key()
    for key, v in want.items():
        assert by[key].peak("fp32").flop_per_s == pytest.approx(v), key


MHZ = 1e6
# (key, precision, which figure, units x clock x FLOP per unit per cycle)
ARITHMETIC = [
    ("gtx580", "fp32", "high", 512 * 1544 * MHZ * 2),
    ("k20", "fp32", "high", 2496 * 706 * MHZ * 2),
    ("k40", "fp32", "high", 2880 * 875 * MHZ * 2),
    ("k80", "fp32", "high", 2 * 2496 * 875 * MHZ * 2),
    ("k80", "fp32", "low", 2 * 2496 * 560 * MHZ * 2),
    ("titan_black", "fp32", "high", 2880 * 980 * MHZ * 2),
    ("titan_x_maxwell", "fp32", "high", 3072 * 1075 * MHZ * 2),
    ("v100", "fp32", "default", 5120 * 1530 * MHZ * 2),
    ("v100", "fp16", "default", 640 * 64 * 1530 * MHZ * 2),
    ("a100", "fp32", "default", 6912 * 1410 * MHZ * 2),
    ("a100", "bf16", "default", 432 * 256 * 1410 * MHZ * 2),
    ("h100", "fp32", "default", 16896 * 1980 * MHZ * 2),
    # 132 SMs x 4 Tensor Cores x 512 dense bf16 FMA per clock x 2 FLOP x 1830 MHz (whitepaper)
    ("h100", "bf16", "default", 132 * 4 * 512 * 2 * 1830 * MHZ),
    ("h100", "tf32", "default", 132 * 4 * 256 * 2 * 1830 * MHZ),
    ("h100", "fp8", "default", 132 * 4 * 1024 * 2 * 1830 * MHZ),
    ("a100", "tf32", "default", 432 * 128 * 1410 * MHZ * 2),
    ("h200", "fp32", "default", 16896 * 1980 * MHZ * 2),
    ("h100_pcie", "fp32", "default", 14592 * 1755 * MHZ * 2),
    ("h100_pcie", "fp64", "default", 7296 * 1755 * MHZ * 2),
    # 114 SMs x 4 Tensor Cores x 512 dense bf16 FMA x 2 FLOP at the ~1620 MHz the datasheet implies
    ("h100_pcie", "bf16", "default", 114 * 4 * 512 * 2 * 1620 * MHZ),
    # 304 CUs x FLOP per CU per clock x 2100 MHz (AMD CDNA 3 white paper)
    ("mi300x", "fp64", "default", 304 * 128 * 2100 * MHZ),
    ("mi300x", "fp32", "default", 304 * 256 * 2100 * MHZ),
    ("mi300x", "tf32", "default", 304 * 1024 * 2100 * MHZ),
    ("mi300x", "bf16", "default", 304 * 2048 * 2100 * MHZ),
    ("mi300x", "fp8", "default", 304 * 4096 * 2100 * MHZ),
    ("tpu_v1", "int8", "default", 256 * 256 * 700 * MHZ * 2),
    ("tpu_v2", "bf16", "default", 2 * 128 * 128 * 700 * MHZ * 2),
    ("tpu_v3", "bf16", "default", 2 * 2 * 128 * 128 * 940 * MHZ * 2),
    ("tpu_v4", "bf16", "default", 2 * 4 * 128 * 128 * 1050 * MHZ * 2),
    ("xeon_e5_2680_v2", "fp32", "default", 10 * 2800 * MHZ * 16),
    # A100 variants: the same GA100 configuration and clocks as the SXM4 80GB part
    ("a100_40gb", "bf16", "default", 432 * 256 * 1410 * MHZ * 2),
    ("a100_pcie", "bf16", "default", 432 * 256 * 1410 * MHZ * 2),
    ("a100_pcie_40gb", "fp32", "default", 6912 * 1410 * MHZ * 2),
    ("a800", "bf16", "default", 432 * 256 * 1410 * MHZ * 2),
    # H800: H100 SXM5's tensor rate (132 SMs x 4 x 512 dense bf16 FMA x 2 x 1830 MHz)
    ("h800", "bf16", "default", 132 * 4 * 512 * 2 * 1830 * MHZ),
    ("h800", "fp32", "default", 16896 * 1980 * MHZ * 2),
    # V100 PCIe at 1370 MHz boost; P100 at 1480 (SXM2) / 1303 (PCIe) MHz
    ("v100_pcie", "fp32", "default", 5120 * 1370 * MHZ * 2),
    ("v100_pcie", "fp16", "default", 640 * 64 * 2 * 1370 * MHZ),
    ("p100", "fp32", "default", 3584 * 1480 * MHZ * 2),
    ("p100", "fp16", "default", 3584 * 1480 * MHZ * 4),
    ("p100", "fp64", "default", 1792 * 1480 * MHZ * 2),
    ("p100_pcie", "fp32", "default", 3584 * 1303 * MHZ * 2),
    # Titan V (1455 MHz boost), Titan Xp and GTX 1080 Ti (1582 MHz boost)
    ("titan_v", "fp32", "default", 5120 * 1455 * MHZ * 2),
    ("titan_v", "fp16", "high", 640 * 64 * 2 * 1455 * MHZ),
    ("titan_xp", "fp32", "default", 3840 * 1582 * MHZ * 2),
    ("gtx1080ti", "fp32", "default", 3584 * 1582 * MHZ * 2),
    # GeForce Ampere/Ada: fp32-accumulate tensor rate is 64 dense FMA per Tensor Core per clock
    ("rtx3090", "fp32", "default", 10496 * 1695 * MHZ * 2),
    ("rtx3090", "bf16", "default", 328 * 64 * 2 * 1695 * MHZ),
    ("rtx4090", "fp32", "default", 16384 * 2520 * MHZ * 2),
    ("rtx4090", "bf16", "default", 512 * 64 * 2 * 2520 * MHZ),
    # RTX A6000: full-rate fp32 accumulate, 128 dense FMA per Tensor Core per clock
    ("rtx_a6000", "fp32", "default", 10752 * 1800 * MHZ * 2),
    ("rtx_a6000", "bf16", "default", 336 * 128 * 2 * 1800 * MHZ),
    # MI250X module: 220 CUs x FLOP per CU per clock x 1700 MHz (AMD CDNA 2 white paper)
    ("mi250x", "fp64", "default", 220 * 128 * 1700 * MHZ),
    ("mi250x", "bf16", "default", 220 * 1024 * 1700 * MHZ),
    ("mi250x", "fp32", "high", 220 * 256 * 1700 * MHZ),
]


@pytest.mark.parametrize(
    "key, prec, which, computed", ARITHMETIC, ids=[f"{k}-{p}-{w}" for k, p, w, _ in ARITHMETIC]
)
def test_peak_matches_arithmetic(key, prec, which, computed):
    pk = _by_key()[key].peak(prec)
    got = {"default": pk.flop_per_s, "low": pk.low_flop_per_s, "high": pk.high_flop_per_s}[which]
    assert got == pytest.approx(computed, rel=0.005)


def test_sparse_is_never_the_default_and_is_twice_dense():
    for p in builtin_profiles():
        for prec, pk in p.peaks.items():
            if pk.sparse_flop_per_s is not None:
                assert pk.sparse_flop_per_s == pytest.approx(2 * pk.flop_per_s, rel=0.001), (
                    p.key,
                    prec,
                )


def test_h200_has_h100_compute_and_more_memory():
    h100, h200 = find_profile("H100"), find_profile("H200")
    assert {k: v.flop_per_s for k, v in h100.peaks.items()} == {
        k: v.flop_per_s for k, v in h200.peaks.items()
    }
    assert h200.memory_gib == 141 and h200.memory_bandwidth_gb_per_s == 4800


def test_tpu_v1_is_int8_only():
    assert set(find_profile("TPU v1").peaks) == {"int8"}


#: What training on each chip typically used: fp32 before tensor units, dense tensor bf16/fp16 after.
TRAINING_PRECISION = {
    "gtx580": "fp32",
    "k20": "fp32",
    "k40": "fp32",
    "k80": "fp32",
    "titan_black": "fp32",
    "titan_x_maxwell": "fp32",
    "xeon_e5_2680_v2": "fp32",
    "v100": "fp16",
    "a100": "bf16",
    "h100": "bf16",
    "h200": "bf16",
    "tpu_v2": "bf16",
    "tpu_v3": "bf16",
    "tpu_v4": "bf16",
    "p100": "fp32",
    "p100_pcie": "fp32",
    "titan_xp": "fp32",
    "gtx1080ti": "fp32",
    "v100_pcie": "fp16",
    "titan_v": "fp16",
    "a100_40gb": "bf16",
    "a100_pcie": "bf16",
    "a100_pcie_40gb": "bf16",
    "a800": "bf16",
    "h800": "bf16",
    "h100_nvl": "bf16",
    "rtx3090": "bf16",
    "rtx4090": "bf16",
    "rtx_a6000": "bf16",
    "mi250x": "bf16",
    "b200": "bf16",
    "tpu_v5e": "bf16",
    "tpu_v5p": "bf16",
    "tpu_v6e": "bf16",
}


@pytest.mark.parametrize("key, prec", sorted(TRAINING_PRECISION.items()))
def test_default_precision_is_the_training_format(key, prec):
    p = _by_key()[key]
    assert p.default_precision == prec
    if prec != "fp32":  # a stated choice carries its source
        assert p.sources["default_precision"].strip()


def test_datasheet_figures_dense_and_sparse():
    """The dense peaks the issue quotes (NVIDIA datasheets / whitepapers), sparse only as extra."""
    h100 = find_profile("H100")
    want = {
        ("A100", "fp32"): (19.5, None),
        ("A100", "tf32"): (156, 312),
        ("A100", "bf16"): (312, 624),
        ("H100", "fp32"): (67, None),
        ("H100", "tf32"): (494.7, 989.4),
        ("H100", "bf16"): (989.4, 1978.9),
        ("H100", "fp8"): (1978.9, 3957.8),
    }
    for (name, prec), (dense, sparse) in want.items():
        p = find_profile(name)
        pk = p.peak(prec)
        assert pk.flop_per_s == pytest.approx(dense * 1e12, rel=1e-4), (p.key, prec)
        got = None if pk.sparse_flop_per_s is None else pk.sparse_flop_per_s / 1e12
        assert got == (None if sparse is None else pytest.approx(sparse, rel=1e-4)), (p.key, prec)
    assert h100.peak().flop_per_s == pytest.approx(989.4e12, rel=1e-4)
    d = h100.to_dict()
    assert d["sparse_peak_flop_per_s"]["bf16"] == pytest.approx(1978.9e12, rel=1e-4)
    assert d["peak_flop_per_s"]["bf16"] == pytest.approx(989.4e12, rel=1e-4)


def test_new_datasheet_figures_dense_and_sparse():
    """Dense peaks of the chips added for issue 16, as their makers print them (sparse only as the
    labelled extra): NVIDIA datasheets / whitepapers, Google Cloud TPU docs, AMD data sheets."""
    want = {  # (device, precision): (dense TFLOP/s, sparse TFLOP/s or None)
        ("H800", "bf16"): (989.4, 1978.9),
        ("H800", "fp64"): (1, None),
        ("H100 NVL", "bf16"): (835.5, 1671),
        ("H100 NVL", "fp8"): (1670.5, 3341),
        ("A800", "bf16"): (312, 624),
        ("A100 PCIe", "tf32"): (156, 312),
        ("RTX 3090", "bf16"): (71.2, 142.4),
        ("RTX 4090", "fp8"): (330.3, 660.6),
        ("RTX A6000", "bf16"): (154.8, 309.7),
        ("V100 PCIe", "fp16"): (112, None),
        ("P100", "fp16"): (21.2, None),
        ("TPU v5e", "bf16"): (197, None),
        ("TPU v5p", "bf16"): (459, None),
        ("TPU v6e", "bf16"): (918, None),
        ("MI250X", "bf16"): (383, None),
        ("B200", "bf16"): (2250, 4500),
        ("B200", "fp8"): (4500, 9000),
        ("B200", "fp4"): (9000, 18000),
    }
    for (name, prec), (dense, sparse) in want.items():
        pk = find_profile(name).peak(prec)
        assert pk.flop_per_s == pytest.approx(dense * 1e12, rel=1e-4), (name, prec)
        got = None if pk.sparse_flop_per_s is None else pk.sparse_flop_per_s / 1e12
        assert got == (None if sparse is None else pytest.approx(sparse, rel=1e-4)), (name, prec)


def test_variants_share_their_parent_compute():
    """A800 = A100 SXM4 and A100 40GB/PCIe = A100 in compute; H800 = H100 SXM5 except fp64."""
    a100 = {k: v.flop_per_s for k, v in find_profile("A100").peaks.items()}
    for name in ("A800", "A100 40GB", "A100 PCIe", "A100-PCIE-40GB"):
        assert {k: v.flop_per_s for k, v in find_profile(name).peaks.items()} == a100, name
    h100, h800 = find_profile("H100").peaks, find_profile("H800").peaks
    assert set(h100) == set(h800)
    for k in h100:
        if k != "fp64":
            assert h800[k].flop_per_s == h100[k].flop_per_s, k
    assert h800["fp64"].flop_per_s < h100["fp64"].flop_per_s / 30


def test_geforce_tensor_default_is_the_fp32_accumulate_rate():
    """GeForce Tensor Cores accumulate fp32 at half the fp16-accumulate rate; training uses the
    former, so the default is half of the fp16 range's top."""
    for name in ("RTX 3090", "RTX 4090"):
        pk = find_profile(name).peak("fp16")
        assert pk.high_flop_per_s == pytest.approx(2 * pk.flop_per_s, rel=0.002), name


def test_unpublished_tdp_is_none_and_energy_asks_for_power():
    from computesim.core.cost import energy
    from computesim.core.methods import estimate_hardware
    from computesim.errors import InputError

    for name in ("TPU v5e", "TPU v5p", "TPU v6e"):
        assert find_profile(name).tdp_w is None
    hw = estimate_hardware(device="TPU v5p", count=64, days="10 h")
    with pytest.raises(InputError, match="power_w"):
        energy(hw)
    assert energy(hw, power_w=500).value == pytest.approx(64 * 500 * 10 / 1000)


@pytest.mark.parametrize(
    "spelling, key",
    [
        ("NVIDIA A100 SXM4 80 GB", "a100"),
        ("NVIDIA A100 SXM4 40 GB", "a100_40gb"),
        ("NVIDIA H100 SXM5 80GB", "h100"),
        ("NVIDIA Tesla V100 SXM2 32 GB", "v100"),
        ("NVIDIA H800 SXM5", "h800"),
        ("NVIDIA Tesla P100", "p100"),
        ("NVIDIA GeForce GTX 1080 Ti", "gtx1080ti"),
        ("Google TPU v5p", "tpu_v5p"),
    ],
)
def test_dataset_spellings_with_maker_and_brand_words_resolve(spelling, key):
    assert find_profile(spelling).key == key


def test_a_brandless_spelling_naming_two_devices_is_not_guessed():
    """Without maker words only one device may match; 'NVIDIA A800 PCIe 40 GB' is no profile."""
    from computesim.errors import InputError

    with pytest.raises(InputError, match="did you mean"):
        find_profile("NVIDIA A800 PCIe 40 GB")
