"""The 16 worked examples: computed from their inputs, compared with the printed figures."""

import math

import pytest

from computesim.core.examples import REPORTED_RESULTS, WORKED_EXAMPLES, run_examples

DAY = 86_400
PFS_DAY = 8.64e19

# The source's arithmetic, written out independently of the package (inputs as printed).
INDEPENDENT_PRODUCT_PFS_DAYS = {
    ("ResNet-151", "ops"): 11.4e9 * 2 * 3 * 1.2e6 * 128 / PFS_DAY,
    ("AlexNet", "ops"): 1.2e6 * 90 * 0.75e9 * 2 * 3 / PFS_DAY,
    ("AlexNet", "hardware"): 2 * 1.58e12 * 5.5 * DAY * 0.33 / PFS_DAY,
    ("Dropout", "hardware"): 1 * 1.54e12 * 4 * DAY * 0.33 / PFS_DAY,
    ("Visualizing & Understanding CNNs", "hardware"): 1 * 1.54e12 * 12 * DAY * 0.33 / PFS_DAY,
    ("DQN", "ops"): (20 * 20 * 3 * 16 * 8 * 8 + 9 * 9 * 16 * 32 * 4 * 4 + 9 * 9 * 32 * 256)
    * 5e6
    * 32
    * 2
    * 3
    / PFS_DAY,
    ("Seq2Seq", "ops"): (348e6 + 304e6) * 0.380e9 * 2 * 3 * 7.5 / PFS_DAY,
    ("Seq2Seq", "hardware"): 8 * 3.5e12 * 10 * DAY * 0.33 / PFS_DAY,
    ("VGG", "ops"): 1.2e6 * 74 * 16e9 * 2 * 3 / PFS_DAY,
    ("VGG", "hardware"): 4 * 5.1e12 * 15 * DAY * 0.33 / PFS_DAY,
    ("DeepSpeech2", "ops"): 20
    * 12_000
    * 3_600
    * 50
    * (1280**2 * (7 * 4 + 2) * 2)
    * 3
    * 2
    / PFS_DAY,
    ("DeepSpeech2", "hardware"): 16 * 6e12 * 5 * DAY * 0.50 / PFS_DAY,
    ("Xception", "hardware"): 60 * 8.5e12 * 30 * DAY * 0.33 / PFS_DAY,
    ("Neural Architecture Search", "ops"): 50 * 50_000 * 10.0e9 * 12_800 * 2 * 3 / PFS_DAY,
    ("Neural Architecture Search", "hardware"): 800 * 4.2e12 * 28 * DAY * 0.33 / PFS_DAY,
    ("Neural Machine Translation", "hardware"): 96
    * 8.5e12
    * 9
    * DAY
    * 0.33
    * math.sqrt(10 * 100)
    / PFS_DAY,
}


@pytest.fixture(scope="module")
def results():
    return run_examples()


def test_all_sixteen_rows(results):
    assert len(WORKED_EXAMPLES) == 16
    assert {(r.example.system, r.example.method) for r in results} == set(
        INDEPENDENT_PRODUCT_PFS_DAYS
    )


def test_each_row_is_the_product_of_its_inputs(results):
    for r in results:
        want = INDEPENDENT_PRODUCT_PFS_DAYS[(r.example.system, r.example.method)]
        assert r.estimate.pfs_days == pytest.approx(want, rel=1e-12), r.example.system


def test_printed_figures_within_three_x(results):
    for r in results:
        assert r.within_tolerance, (r.example.system, r.ratio_to_printed)


def test_seq2seq_method_one_is_flagged_not_hidden(results):
    seq = next(r for r in results if (r.example.system, r.example.method) == ("Seq2Seq", "ops"))
    assert seq.estimate.pfs_days == pytest.approx(0.129, abs=5e-4)
    assert seq.flagged and "0.085" in seq.example.reading
    others = [r for r in results if r is not seq]
    assert not any(r.flagged for r in others)


def test_alexnet_methods_agree_like_the_source(results):
    rows = [r for r in results if r.example.system == "AlexNet"]
    assert len(rows) == 2 and all(r.comparison is not None for r in rows)
    ratio = rows[0].comparison.ratio
    assert ratio == pytest.approx(
        (2 * 1.58e12 * 5.5 * DAY * 0.33) / (1.2e6 * 90 * 0.75e9 * 6), rel=1e-12
    )
    assert rows[0].comparison.agree


def test_both_method_systems_have_a_comparison(results):
    both = {"AlexNet", "Seq2Seq", "VGG", "DeepSpeech2", "Neural Architecture Search"}
    for r in results:
        assert (r.comparison is not None) == (r.example.system in both)


def test_dates_are_ordered_sensibly(results):
    assert all(2012 <= r.example.published.year <= 2016 for r in results)


def test_reported_results_keep_bounds_as_bounds():
    kinds = {b.system: b.estimate().is_upper_bound for b in REPORTED_RESULTS}
    assert kinds == {
        "Attention is all you need": False,
        "Adam Optimizer": True,
        "Learning to Align and Translate": False,
        "GANs": True,
        "Word2Vec": True,
        "Variational Auto Encoders": True,
    }
    adam = next(b for b in REPORTED_RESULTS if b.system == "Adam Optimizer").estimate()
    assert adam.pfs_days == pytest.approx(0.0007)
