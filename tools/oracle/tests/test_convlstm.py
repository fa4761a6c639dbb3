"""ConvLSTM entries on cases small enough to work out by hand: the gate order i, f, c, o along the
kernels' last axis, TensorFlow's "same" padding of the input convolution (the extra zero after),
the recurrent convolution, go_backwards, initial states, per-position masks, tf_keras ignoring
zero_output_for_mask, the masks Keras cannot run, and Bidirectional around a ConvLSTM1D.

Linear activation and recurrent_activation keep every number exact: a step is
z = conv(x, kernel) + conv(h, recurrent_kernel) + bias; i, f, g, o = z split in four;
c = f * c + i * g; h = o * c."""

import math

import pytest

from .util import assert_close, run

LINEAR = dict(activation="linear", recurrent_activation="linear")


def kernel(*gates_per_tap):
    """A ConvLSTM1D kernel of one channel and one filter, (taps, 1, 4): one [i, f, c, o] per
    tap."""
    return [[list(map(float, gates))] for gates in gates_per_tap]


def frames(*steps):
    """x (1, time, positions, 1) from one list of position values per step."""
    return [[[[float(v)] for v in step] for step in steps]]


def test_input_convolution_same_padding_and_gate_order():
    # kernel_size 2, same: TensorFlow pads 1 zero AFTER, so z[p] = x[p] W[0] + x[p + 1] W[1].
    # Taps (i, f, c, o): W[0] = (1, 0, 1, 0), W[1] = (2, 0, 0, 1); bias (0, 0.5, 0, 0);
    # x = [1, 3]: z_i = [1 + 6, 3 + 0] = [7, 3], z_f = 0.5, z_c = [1, 3], z_o = [3, 0].
    # One step from zero states: c = f * 0 + i * g = [7, 9]; h = o * c = [21, 0].
    cfg = dict(filters=1, kernel_size=[2], padding="same", return_state=True, **LINEAR)
    recurrent = kernel((0, 0, 0, 0), (0, 0, 0, 0))
    outs, masks = run("ConvLSTM1D", cfg, [kernel((1, 0, 1, 0), (2, 0, 0, 1)), recurrent,
                                          [0.0, 0.5, 0.0, 0.0]], [frames([1, 3])])
    assert_close(outs[0], [[[21.0], [0.0]]])
    assert_close(outs[2], [[[7.0], [9.0]]])           # state_c
    assert masks == [None, None, None]


def test_recurrence_and_go_backwards():
    # kernel_size 1, one position: kernel (1, 1, 1, 1), recurrent (0.5, 0, 1, 2), no bias.
    # t0, x = 1: z = (1, 1, 1, 1) -> c = 1, h = 1.
    # t1, x = 2: z = (2 + 0.5, 2, 2 + 1, 2 + 2) -> c = 2 * 1 + 2.5 * 3 = 9.5, h = 4 * 9.5 = 38.
    cfg = dict(filters=1, kernel_size=[1], use_bias=False, return_sequences=True,
               return_state=True, **LINEAR)
    w = [kernel((1, 1, 1, 1)), kernel((0.5, 0, 1, 2))]
    outs, _ = run("ConvLSTM1D", cfg, w, [frames([1], [2])])
    assert_close(outs[0], [[[[1.0]], [[38.0]]]])
    assert_close(outs[1], [[[38.0]]])
    assert_close(outs[2], [[[9.5]]])
    # go_backwards: x = 2 first: z = 2 -> c = 4, h = 8; then x = 1: z = (1 + 4, 1, 1 + 8,
    # 1 + 16) -> c = 1 * 4 + 5 * 9 = 49, h = 17 * 49 = 833; outputs in processing order.
    outs, _ = run("ConvLSTM1D", dict(cfg, go_backwards=True), w, [frames([1], [2])])
    assert_close(outs[0], [[[[8.0]], [[833.0]]]])


def test_initial_state_and_the_recurrent_convolution_is_same_padded():
    # kernel_size 2 for both kernels, valid input convolution over 3 positions -> 2 state
    # positions; the recurrent convolution is "same" over those 2: rz[p] = h[p] R[0] +
    # h[p + 1] R[1]. Input kernel 0 (z_x = 0), R[0] = (0, 0, 1, 1), R[1] = (1, 0, 0, 10),
    # h0 = [1, 2], c0 = [3, 4]: z_i = [2, 0], z_f = 0, z_c = [1, 2], z_o = [1 + 20, 2].
    # c = 0 * c0 + i * g = [2, 0]; h = o * c = [42, 0].
    cfg = dict(filters=1, kernel_size=[2], use_bias=False, return_state=True, **LINEAR)
    w = [kernel((0, 0, 0, 0), (0, 0, 0, 0)), kernel((0, 0, 1, 1), (1, 0, 0, 10))]
    outs, _ = run("ConvLSTM1D", cfg, w, [frames([5, 6, 7])],
                  initial_state=[[[[1.0], [2.0]]], [[[3.0], [4.0]]]])
    assert_close(outs[0], [[[42.0], [0.0]]])
    assert_close(outs[2], [[[2.0], [0.0]]])


# Two positions, each with the weights of test_recurrence_and_go_backwards (kernel_size 1),
# x = [1, 1] then [2, 2]; position 1 masked at step 1.
PER_POSITION = dict(filters=1, kernel_size=[1], use_bias=False, return_sequences=True, **LINEAR)
W1 = [kernel((1, 1, 1, 1)), kernel((0.5, 0, 1, 2))]
X2 = frames([1, 1], [2, 2])
MASK2 = [[[True, True], [True, False]]]


def test_a_per_position_mask_holds_only_that_position():
    # Position 0 runs as before: [1, 38]; position 1 keeps its state and repeats its output 1.
    outs, masks = run("ConvLSTM1D", PER_POSITION, W1, [X2], mask=MASK2)
    assert_close(outs[0], [[[[1.0], [1.0]], [[38.0], [1.0]]]])
    assert masks[0].tolist() == MASK2      # the sequence output keeps the mask


def test_zero_output_for_mask_in_keras3_ignored_by_tf_keras():
    cfg = dict(PER_POSITION, zero_output_for_mask=True)
    outs, _ = run("ConvLSTM1D", cfg, W1, [X2], mask=MASK2, keras=3)
    assert_close(outs[0], [[[[1.0], [1.0]], [[38.0], [0.0]]]])
    # tf_keras's ConvRNN never passes zero_output_for_mask on: the output repeats.
    outs, _ = run("ConvLSTM1D", cfg, W1, [X2], mask=MASK2, keras=2)
    assert_close(outs[0], [[[[1.0], [1.0]], [[38.0], [1.0]]]])


def test_unroll_zeroes_in_original_order():
    # Keras 3 unroll=True, zero_output_for_mask, go_backwards, a (batch, time) mask [1, 0].
    # Processing order: x = 2 (masked: the previous output, zeros, and zero states carried),
    # then x = 1 (kept: from zero states z = 1 -> h = 1); the sequence [0, 1] is then zeroed
    # with the ORIGINAL-order mask [1, 0]: [0, 0].
    cfg = dict(PER_POSITION, zero_output_for_mask=True, go_backwards=True, unroll=True)
    outs, _ = run("ConvLSTM1D", cfg, W1, [frames([1], [2])], mask=[[True, False]])
    assert_close(outs[0], [[[[0.0]], [[0.0]]]])
    # Without unroll: [0 (masked), 1].
    outs, _ = run("ConvLSTM1D", dict(cfg, unroll=False), W1, [frames([1], [2])],
                  mask=[[True, False]])
    assert_close(outs[0], [[[[0.0]], [[1.0]]]])


def test_masks_keras_cannot_run_are_refused():
    # A mask over 3 positions for a state of 2 (valid kernel 2 over 3 positions).
    cfg = dict(filters=1, kernel_size=[2], use_bias=False, **LINEAR)
    w = [kernel((1, 1, 1, 1), (1, 1, 1, 1)), kernel((0, 0, 0, 0), (0, 0, 0, 0))]
    with pytest.raises(ValueError, match="does not fit"):
        run("ConvLSTM1D", cfg, w, [frames([1, 2, 3])], mask=[[[True, True, False]]])
    # A per-position mask with unroll.
    with pytest.raises(ValueError, match="unroll"):
        run("ConvLSTM1D", dict(PER_POSITION, unroll=True), W1, [X2], mask=MASK2)


def test_bidirectional_convlstm1d_concat():
    # Forward [1, 38] (test_recurrence_and_go_backwards), backward [8, 833] in processing
    # order, flipped back to [833, 8]; concat per step: [[1, 833], [38, 8]].
    inner = dict(name="inner", filters=1, kernel_size=[1], use_bias=False,
                 return_sequences=True, **LINEAR)
    cfg = dict(merge_mode="concat", layer=dict(class_name="ConvLSTM1D", config=inner))
    outs, _ = run("Bidirectional", cfg, W1 + W1, [frames([1], [2])], keras=2)
    assert_close(outs[0], [[[[1.0, 833.0]], [[38.0, 8.0]]]])


def test_recurrent_activation_default_by_version():
    # One step from zero states, kernel_size 1, z = x * (1, 1, 1, 1) with x = 1, linear
    # activation; recurrent_activation not in the config: sigmoid (Keras 3) or tf_keras's
    # hard_sigmoid clip(0.2 z + 0.5) = 0.7. c = i * g = r(1) * 1, h = o * c = r(1) ** 2.
    cfg = dict(filters=1, kernel_size=[1], use_bias=False, activation="linear")
    w = [kernel((1, 1, 1, 1)), kernel((0, 0, 0, 0))]
    outs, _ = run("ConvLSTM1D", cfg, w, [frames([1])], keras=2)
    assert_close(outs[0], [[[0.49]]])
    outs, _ = run("ConvLSTM1D", cfg, w, [frames([1])], keras=3)
    assert_close(outs[0], [[[(1 / (1 + math.exp(-1))) ** 2]]])


def test_legacy_weight_count_of_convlstm_and_spatial_layers():
    # A nested legacy HDF5 model lists each ConvLSTM's kernel, recurrent kernel and bias (two
    # arrays without a bias); padding, cropping and upsampling hold none.
    from ..model_files import legacy_weight_count
    assert legacy_weight_count({"class_name": "ConvLSTM2D", "config": {"name": "c"}}) == (3, 0)
    assert legacy_weight_count({"class_name": "ConvLSTM3D", "config": {"name": "c", "use_bias": False}}) == (2, 0)
    for cls in ("ZeroPadding2D", "Cropping3D", "UpSampling2D"):
        assert legacy_weight_count({"class_name": cls, "config": {"name": "s"}}) == (0, 0)
