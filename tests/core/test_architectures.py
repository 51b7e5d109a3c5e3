import pytest

from computesim.core import architectures as arch
from computesim.errors import InputError


def test_dqn_layers_match_the_source():
    # Source: 20*20*3*16*8*8 = 1.23M, 9*9*16*32*4*4 = 0.66M, 9*9*32*256 = 0.66M; total ~2.55M add-multiplies.
    assert arch.conv2d_macs((84, 84), 3, 16, 8, stride=4) == 20 * 20 * 3 * 16 * 8 * 8
    assert arch.conv2d_macs((20, 20), 16, 32, 4, stride=2) == 9 * 9 * 16 * 32 * 4 * 4
    total = arch.dqn_forward_macs()
    assert total == 2_555_904
    assert total == pytest.approx(2.55e6, rel=0.005)


def test_deepspeech2_timestep_matches_98_mflop():
    per_step = arch.deepspeech2_macs_per_timestep()
    assert per_step == 1280**2 * (7 * 4 + 2) * 2
    assert per_step == pytest.approx(98e6, rel=0.005)


def test_conv_output_size_with_padding():
    assert arch.conv_output_size(224, 3, 1, 1) == 224
    assert arch.conv_output_size(227, 11, 4) == 55


def test_lstm_counts_eight_matrices():
    assert arch.rnn_macs_per_timestep(512, rnn_layers=2, matrices_per_layer=8) == 512**2 * 16


def test_transformer_is_one_mac_per_param_per_token():
    assert arch.transformer_macs_per_token(175e9) == 175e9


@pytest.mark.parametrize(
    "call",
    [
        lambda: arch.dense_macs(0, 3),
        lambda: arch.conv2d_macs((4, 4), 3, 8, 5),
        lambda: arch.rnn_macs_per_timestep(1.5, 1, 4),
        lambda: arch.transformer_macs_per_token(-1),
    ],
)
def test_bad_shapes(call):
    with pytest.raises(InputError):
        call()
