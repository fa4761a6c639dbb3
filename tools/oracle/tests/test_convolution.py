"""Convolution entries on cases small enough to work out by hand: TensorFlow's valid / same /
causal windows with strides and dilation, grouped and depthwise kernels, separable
convolutions, transposed convolutions (output extent, the same padding, output_padding), 2-D
kernels, and the mask a convolution drops. Kernel taps are powers of ten so that every
product shows where it came from."""

import math

import pytest

from .util import assert_close, run, seq


def taps(*values):
    """A 1-D kernel of one input channel and one filter: shape (k, 1, 1)."""
    return [[[float(v)]] for v in values]


def conv(cls, config, weights, x, **kw):
    outs, masks = run(cls, config, weights, [x], **kw)
    assert masks == [None]          # convolutions drop masks
    return outs[0]


def test_conv1d_valid_bias_and_activation():
    # taps [1, 10], bias 0.5: [1 + 20, 2 + 30, 3 + 40] + 0.5; relu keeps them.
    y = conv("Conv1D", dict(kernel_size=[2], activation="relu"), [taps(1, 10), [0.5]],
             seq(1, 2, 3, 4))
    assert_close(y, seq(21.5, 32.5, 43.5))
    # tanh, bias -32: tanh([21, 32, 43] - 32) (strides default 1, padding default valid).
    y = conv("Conv1D", dict(kernel_size=[2], activation="tanh"), [taps(1, 10), [-32.0]],
             seq(1, 2, 3, 4))
    assert_close(y, seq(math.tanh(-11.0), 0.0, math.tanh(11.0)))


def test_conv1d_same_even_kernel_stride2_pads_one_before_two_after():
    # taps [1, 10, 100, 1000], 5 steps, stride 2: ceil(5 / 2) = 3 outputs; padding
    # (3 - 1) * 2 + 4 - 5 = 3, 1 before, 2 after: [0, 1, 2, 3, 4, 5, 0, 0]; windows at 0, 2, 4:
    # 0 + 10 + 200 + 3000, 2 + 30 + 400 + 5000, 4 + 50 + 0 + 0.
    y = conv("Conv1D", dict(kernel_size=[4], strides=[2], padding="same", use_bias=False),
             [taps(1, 10, 100, 1000)], seq(1, 2, 3, 4, 5))
    assert_close(y, seq(3210, 5432, 54))


def test_conv1d_causal_dilated_pads_span_minus_one_before():
    # taps [1, 10], dilation 2: span 3, 2 zeros before: out[t] = x[t - 2] + 10 x[t].
    y = conv("Conv1D", dict(kernel_size=[2], dilation_rate=[2], padding="causal",
                            use_bias=False), [taps(1, 10)], seq(1, 2, 3, 4))
    assert_close(y, seq(10, 20, 31, 42))


def test_conv1d_valid_dilated_strided():
    # taps [1, 10], dilation 3 (span 4), stride 2 over 7 steps: (7 - 4) // 2 + 1 = 2 windows at
    # 0 and 2: x[0] + 10 x[3] = 1 + 40, x[2] + 10 x[5] = 3 + 60.
    y = conv("Conv1D", dict(kernel_size=[2], dilation_rate=[3], strides=[2], use_bias=False),
             [taps(1, 10)], seq(1, 2, 3, 4, 5, 6, 7))
    assert_close(y, seq(41, 63))


def test_conv1d_groups_read_their_own_channels():
    # 4 channels [1, 2, 3, 4], groups 2, 4 filters: group 0 (filters 0, 1) reads channels 0, 1
    # through [[1, 0], [0, 1]]; group 1 (filters 2, 3) reads channels 2, 3 through 100·I.
    kernel = [[[1.0, 0.0, 100.0, 0.0], [0.0, 1.0, 0.0, 100.0]]]      # (1, 2, 4)
    y = conv("Conv1D", dict(kernel_size=[1], groups=2, use_bias=False), [kernel],
             [[[1.0, 2.0, 3.0, 4.0]]])
    assert_close(y, [[[1.0, 2.0, 300.0, 400.0]]])


def test_depthwise_output_channel_is_input_times_multiplier_plus_j():
    # channels [1, 2], multiplier 2, kernel[0] = [[1, 10], [100, 1000]]: output channel
    # c·2 + j = x[c]·k[c, j]: [1, 10, 200, 2000]; bias [0, 0, 0, 0.5].
    y = conv("DepthwiseConv1D", dict(kernel_size=[1], depth_multiplier=2),
             [[[[1.0, 10.0], [100.0, 1000.0]]], [0.0, 0.0, 0.0, 0.5]], [[[1.0, 2.0]]])
    assert_close(y, [[[1.0, 10.0, 200.0, 2000.5]]])


def test_depthwise_same_stride():
    # one channel, taps [1, 10, 100], same, stride 2 over 4 steps: 2 outputs, padding
    # (2 - 1) * 2 + 3 - 4 = 1, 0 before: windows [1, 2, 3], [3, 4, 0]: 321, 43.
    y = conv("DepthwiseConv1D", dict(kernel_size=[3], strides=[2], padding="same",
                                     use_bias=False), [taps(1, 10, 100)], seq(1, 2, 3, 4))
    assert_close(y, seq(321, 43))


def test_separable_is_depthwise_then_pointwise_with_bias():
    # depthwise as above -> [1, 10, 200, 2000]; pointwise kernel (1, 4, 1) of ones, bias 0.5.
    y = conv("SeparableConv1D", dict(kernel_size=[1], depth_multiplier=2, activation="linear"),
             [[[[1.0, 10.0], [100.0, 1000.0]]], [[[1.0], [1.0], [1.0], [1.0]]], [0.5]],
             [[[1.0, 2.0]]])
    assert_close(y, [[[2211.5]]])


def test_transpose_valid_stride2():
    # x = [1, 2], taps [1, 10, 100], stride 2: (2 - 1) * 2 + max(3, 2) = 5 outputs; x[0] adds
    # [1, 10, 100] at 0..2, x[1] adds [2, 20, 200] at 2..4.
    y = conv("Conv1DTranspose", dict(kernel_size=[3], strides=[2]), [taps(1, 10, 100), [0.0]],
             seq(1, 2))
    assert_close(y, seq(1, 10, 102, 20, 200))


def test_transpose_kernel_shorter_than_stride():
    # taps [1, 10], stride 3: (2 - 1) * 3 + max(2, 3) = 6 outputs; position 2 and 5 get nothing
    # but the bias 0.5.
    y = conv("Conv1DTranspose", dict(kernel_size=[2], strides=[3]), [taps(1, 10), [0.5]],
             seq(1, 2))
    assert_close(y, seq(1.5, 10.5, 0.5, 2.5, 20.5, 0.5))


def test_transpose_same_pads_before():
    # taps [1, 10, 100, 1000], stride 2, same: 2 * 2 = 4 outputs; the forward convolution over
    # them pads (2 - 1) * 2 + 4 - 4 = 2, 1 before: x[p] adds tap t at 2p - 1 + t:
    # x[0]: taps 1..3 at 0..2 -> [10, 100, 1000]; x[1] = 2: taps 0..2 at 1..3 -> [2, 20, 200].
    y = conv("Conv1DTranspose", dict(kernel_size=[4], strides=[2], padding="same",
                                     use_bias=False), [taps(1, 10, 100, 1000)], seq(1, 2))
    assert_close(y, seq(10, 102, 1020, 200))


def test_transpose_output_padding():
    # valid, taps [1, 10], stride 3, output_padding 2: (2 - 1) * 3 + 2 + 2 = 7 outputs (one
    # more than without it).
    y = conv("Conv1DTranspose", dict(kernel_size=[2], strides=[3], output_padding=[2],
                                     use_bias=False), [taps(1, 10)], seq(1, 2))
    assert_close(y, seq(1, 10, 0, 2, 20, 0, 0))
    # same, taps [1, 10, 100], stride 2, output_padding 1: (2 - 1) * 2 + 3 % 2 + 1 = 4 outputs,
    # padding (2 - 1) * 2 + 3 - 4 = 1, 0 before: [1, 10, 100 + 2, 20].
    y = conv("Conv1DTranspose", dict(kernel_size=[3], strides=[2], padding="same",
                                     output_padding=[1], use_bias=False), [taps(1, 10, 100)],
             seq(1, 2))
    assert_close(y, seq(1, 10, 102, 20))


def test_conv2d_valid_and_transpose2d():
    # x (1, 2, 2, 1) = [[1, 2], [3, 4]], kernel (2, 2, 1, 1) = [[1, 10], [100, 1000]]:
    # one output 1 + 20 + 300 + 4000.
    kernel = [[[[1.0]], [[10.0]]], [[[100.0]], [[1000.0]]]]
    y = conv("Conv2D", dict(kernel_size=[2, 2], use_bias=False), [kernel],
             [[[[1.0], [2.0]], [[3.0], [4.0]]]])
    assert_close(y, [[[[4321.0]]]])
    # Transposed, stride (1, 1), valid, x (1, 1, 1, 1) = 2: the kernel times 2, (2, 2) output.
    y = conv("Conv2DTranspose", dict(kernel_size=[2, 2], use_bias=False), [kernel], [[[[2.0]]]])
    assert_close(y, [[[[2.0], [20.0]], [[200.0], [2000.0]]]])


def test_mask_dropped_and_channels_first_refused():
    y = conv("Conv1D", dict(kernel_size=[1], use_bias=False), [taps(2)], seq(1, 2),
             mask=[[True, False]])
    assert_close(y, seq(2, 4))
    with pytest.raises(NotImplementedError, match="channels_first"):
        run("Conv1D", dict(kernel_size=[1], data_format="channels_first"), [taps(2)],
            [seq(1, 2)])
