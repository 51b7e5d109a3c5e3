"""computesim examples --modern: both methods, ratios, bands, sources; JSON contract."""

import pytest


def test_modern_json_rows(cli):
    rows = cli("examples", "--modern", "--json").json()
    by = {r["system"]: r for r in rows}
    assert {"GPT-3 175B", "Chinchilla 70B", "Llama 2 70B", "Llama 3.1 405B"} <= set(by)
    gpt3 = by["GPT-3 175B"]
    assert gpt3["ops"]["flop"] == pytest.approx(3.15e23, rel=1e-12)
    assert gpt3["printed_flop"] == 3.14e23 and gpt3["hardware"] is None
    assert gpt3["ops_to_printed"] == pytest.approx(3.15 / 3.14)
    llama = by["Llama 2 70B"]
    assert llama["methods_ratio"] == pytest.approx(
        1_720_320 * 3600 * 312e12 * 0.33 / (6 * 70e9 * 2e12), rel=1e-12
    )
    assert llama["emissions"]["printed_t_co2e"] == 291.42
    assert llama["emissions"]["ratio_to_printed"] == pytest.approx(1, abs=1e-4)
    for r in rows:
        assert r["within_tolerance"] is True and "arXiv:" in r["reference"]
        ops_band = r["ops_band"]
        q = ops_band["quantiles_pfs_days"]
        # 6ND with a 2x method error: the 90% band is the point /2 to x2, exactly
        assert q["p5"] * 8.64e19 == pytest.approx(r["ops"]["flop"] / 2, rel=1e-9)
        assert q["p95"] * 8.64e19 == pytest.approx(r["ops"]["flop"] * 2, rel=1e-9)
        if r["hardware"] is not None:
            hb = r["hardware_band"]
            assert "utilization 0.2 to 0.5" in hb["assumptions"]
            assert hb["spread_factor"] > ops_band["spread_factor"]


def test_modern_text_shows_methods_ratio_and_sources(cli):
    r = cli("examples", "--modern")
    assert r.code == 0
    assert "m2/m1" in r.out and "0.759" in r.out and "291.42" in r.out
    assert "arXiv:2005.14165" in r.out and "arXiv:2307.09288" in r.out


def test_modern_method_error_narrows_the_band(cli):
    rows = cli("examples", "--modern", "--method-error", "1.5", "--json").json()
    q = rows[0]["ops_band"]["quantiles_pfs_days"]
    assert q["p95"] / q["p50"] == pytest.approx(1.5, rel=1e-9)


@pytest.mark.parametrize("flag", [["--out", "x.arrow"], ["--reported"]])
def test_modern_refuses_out_and_reported(cli, tmp_path, flag):
    args = [a if a != "x.arrow" else str(tmp_path / a) for a in flag]
    r = cli("examples", "--modern", *args)
    assert r.code == 2 and flag[0] in r.err and len(r.err.strip().splitlines()) == 1
    assert not (tmp_path / "x.arrow").exists()
