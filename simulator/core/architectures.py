"""Forward-pass cost from layer shapes, in multiply-adds (MAC) per example (or per token/timestep).

Counts follow the source: one MAC per weight use; biases, activations and pooling are ignored.
"""

from __future__ import annotations

from computesim.errors import InputError


def _pos_int(field: str, v: int) -> int:
    if isinstance(v, bool) or int(v) != v or v < 1:
        raise InputError(field, f"must be a positive integer, got {v!r}")
    return int(v)


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Output length of a convolution along one axis: floor((size + 2 pad - kernel) / stride) + 1."""
    out = (size + 2 * padding - kernel) // stride + 1
    if out < 1:
        raise InputError(
            "kernel", f"kernel {kernel} with stride {stride} does not fit input {size}"
        )
    return out


def conv2d_macs(
    in_hw: tuple[int, int],
    in_channels: int,
    out_channels: int,
    kernel: int | tuple[int, int],
    stride: int = 1,
    padding: int = 0,
) -> int:
    """MACs of one 2-D convolution: out_h x out_w x in_ch x out_ch x k_h x k_w."""
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    oh = conv_output_size(_pos_int("height", in_hw[0]), _pos_int("kernel", kh), stride, padding)
    ow = conv_output_size(_pos_int("width", in_hw[1]), _pos_int("kernel", kw), stride, padding)
    return (
        oh
        * ow
        * _pos_int("in_channels", in_channels)
        * _pos_int("out_channels", out_channels)
        * kh
        * kw
    )


def dense_macs(in_features: int, out_features: int) -> int:
    """MACs of a fully connected layer: in x out."""
    return _pos_int("in_features", in_features) * _pos_int("out_features", out_features)


def rnn_macs_per_timestep(
    hidden: int,
    rnn_layers: int,
    matrices_per_layer: int,
    dense_layers: int = 0,
    multiplier: int = 1,
) -> int:
    """MACs per timestep of a stack of recurrent layers with square hidden x hidden matrices.

    hidden^2 x (rnn_layers x matrices_per_layer + dense_layers) x multiplier. DeepSpeech2 in the
    source: 1280^2 x (7 x 4 + 2) x 2 (the x2 "for doubling parameters", bidirectional).
    An LSTM layer has 8 such matrices (4 gates x input and recurrent), a GRU 6.
    """
    return (
        _pos_int("hidden", hidden) ** 2
        * (
            _pos_int("rnn_layers", rnn_layers) * _pos_int("matrices_per_layer", matrices_per_layer)
            + int(dense_layers)
        )
        * _pos_int("multiplier", multiplier)
    )


def transformer_macs_per_token(params: float) -> float:
    """Forward MACs per token of a dense transformer: one per parameter (2N FLOP; x3 gives 6ND)."""
    if not params > 0:
        raise InputError("params", f"must be positive, got {params!r}")
    return float(params)


def dqn_forward_macs() -> int:
    """The source's DQN (84x84x3 input; 16 8x8 s4; 32 4x4 s2; 256 fc): 2,555,904 MACs."""
    first = conv2d_macs((84, 84), 3, 16, 8, stride=4)  # 20 x 20 x 3 x 16 x 8 x 8
    second = conv2d_macs((20, 20), 16, 32, 4, stride=2)  # 9 x 9 x 16 x 32 x 4 x 4
    third = dense_macs(9 * 9 * 32, 256)  # 9 x 9 x 32 x 256
    return first + second + third


def deepspeech2_macs_per_timestep() -> int:
    """The source's DeepSpeech2 timestep: 1280^2 x (7 x 4 + 2) x 2 = 98.3 M."""
    return rnn_macs_per_timestep(
        1280, rnn_layers=7, matrices_per_layer=4, dense_layers=2, multiplier=2
    )
