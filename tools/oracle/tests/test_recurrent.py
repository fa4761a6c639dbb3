"""Recurrent entries on one-unit, one-feature layers whose every number is derived by hand.

Most cases use activation="linear" and Keras 3's hard_sigmoid (z/6 + 1/2, clipped to [0, 1])
as recurrent_activation, so that every value is an exact decimal; one LSTM case uses the
default tanh / sigmoid and spells each step out with math.tanh and math.exp.
"""

import math

import pytest

from .util import assert_close, run, seq

# LSTM(1), gates in Keras's order i, f, c, o. Pre-activation of gate k at a step:
#   z_k = x * kernel[k] + h * recurrent[k] + bias[k]
LSTM_LINEAR = {"name": "rnn", "units": 1, "activation": "linear",
               "recurrent_activation": "hard_sigmoid", "return_sequences": True,
               "return_state": True}
LSTM_WEIGHTS = [[[0.6, 1.2, 2.0, -0.6]],     # kernel (1, 4)
                [[0.3, 0.0, 0.5, 0.6]],      # recurrent kernel (1, 4)
                [0.0, 1.5, 0.25, -1.5]]      # bias (4,)
# Over x = [1, 2] from h = c = 0:
# step 1, x = 1, h = 0:
#   z_i = 0.6               i = 0.6/6 + 0.5 = 0.6
#   z_f = 1.2 + 1.5 = 2.7   f = 2.7/6 + 0.5 = 0.95
#   z_c = 2.0 + 0.25        g = 2.25 (linear)
#   z_o = -0.6 - 1.5 = -2.1 o = -2.1/6 + 0.5 = 0.15
#   c1 = f*0 + i*g = 0.6 * 2.25 = 1.35;  h1 = o * c1 = 0.15 * 1.35 = 0.2025
# step 2, x = 2, h = 0.2025:
#   z_i = 1.2 + 0.3*0.2025 = 1.26075         i = 1.26075/6 + 0.5 = 0.710125
#   z_f = 2.4 + 0 + 1.5 = 3.9                f = 3.9/6 + 0.5 = 1.15 -> clipped to 1
#   z_c = 4.0 + 0.5*0.2025 + 0.25 = 4.35125  g = 4.35125
#   z_o = -1.2 + 0.6*0.2025 - 1.5 = -2.5785  o = -2.5785/6 + 0.5 = 0.07025
#   c2 = 1 * 1.35 + 0.710125 * 4.35125 = 1.35 + 3.08993140625 = 4.43993140625
#   h2 = 0.07025 * 4.43993140625 = 0.3119051812890625
H1, C1 = 0.2025, 1.35
H2, C2 = 0.3119051812890625, 4.43993140625


def test_lstm_linear_hard_sigmoid():
    outs, masks = run("LSTM", LSTM_LINEAR, LSTM_WEIGHTS, [seq(1, 2)])
    sequence, h, c = outs
    assert_close(sequence, [[[H1], [H2]]])
    assert_close(h, [[H2]])
    assert_close(c, [[C2]])
    assert masks == [None, None, None]


def test_lstm_return_flags():
    outs, _ = run("LSTM", dict(LSTM_LINEAR, return_sequences=False, return_state=False),
                  LSTM_WEIGHTS, [seq(1, 2)])
    assert len(outs) == 1
    assert_close(outs[0], [[H2]])


def test_lstm_initial_state():
    # Starting from (h, c) = (H1, C1) on x = [2] is step 2 above.
    outs, _ = run("LSTM", LSTM_LINEAR, LSTM_WEIGHTS, [seq(2)],
                  initial_state=[[[H1]], [[C1]]])
    assert_close(outs[1], [[H2]])
    assert_close(outs[2], [[C2]])


def test_lstm_mask_carries_both_states():
    # x = [0, 1, pad, 2] with mask [F, T, F, T]: before the first real step the output is 0
    # and the states stay 0; step 2 is step 1 above; at the padded step h and c are carried
    # and the output repeats h1; the last step is step 2 above only if c was carried too.
    outs, masks = run("LSTM", LSTM_LINEAR, LSTM_WEIGHTS, [seq(0, 1, 7, 2)],
                      mask=[[False, True, False, True]])
    assert_close(outs[0], [[[0.0], [H1], [H1], [H2]]])
    assert_close(outs[2], [[C2]])
    assert masks[0].tolist() == [[False, True, False, True]]     # the sequence keeps the mask


def test_lstm_zero_output_for_mask():
    cfg = dict(LSTM_LINEAR, zero_output_for_mask=True)
    outs, _ = run("LSTM", cfg, LSTM_WEIGHTS, [seq(1, 7, 2)],
                  mask=[[True, False, True]])
    assert_close(outs[0], [[[H1], [0.0], [H2]]])


def test_lstm_keras2_hard_sigmoid():
    # Keras 2: hard_sigmoid(z) = clip(0.2 z + 0.5, 0, 1). Step 1 on x = 1 (h = c = 0):
    #   i = 0.2*0.6 + 0.5 = 0.62; f: 0.2*2.7 + 0.5 = 1.04 -> 1; g = 2.25;
    #   o = 0.2*(-2.1) + 0.5 = 0.08; c = 0.62 * 2.25 = 1.395; h = 0.08 * 1.395 = 0.1116
    outs, _ = run("LSTM", LSTM_LINEAR, LSTM_WEIGHTS, [seq(1)], keras=2)
    assert_close(outs[1], [[0.1116]])
    assert_close(outs[2], [[1.395]])


def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def test_lstm_default_activations():
    # tanh and sigmoid (the defaults: no activation keys in the config), x = [0.5, -1]:
    # kernel [0.4, -0.3, 0.8, 0.2], recurrent [0.1, 0.2, -0.5, 0.3], bias [0, 1, 0, 0].
    cfg = {"name": "rnn", "units": 1, "return_sequences": True}
    weights = [[[0.4, -0.3, 0.8, 0.2]], [[0.1, 0.2, -0.5, 0.3]], [0.0, 1.0, 0.0, 0.0]]
    # step 1: z = [0.2, -0.15 + 1, 0.4, 0.1]
    i1, g1, o1 = _sigmoid(0.2), math.tanh(0.4), _sigmoid(0.1)
    c1 = i1 * g1                              # f1 * c0 = 0: c0 = 0
    h1 = o1 * math.tanh(c1)
    # step 2: z = [-0.4 + 0.1 h1, 0.3 + 0.2 h1 + 1, -0.8 - 0.5 h1, -0.2 + 0.3 h1]
    i2, f2 = _sigmoid(-0.4 + 0.1 * h1), _sigmoid(1.3 + 0.2 * h1)
    g2, o2 = math.tanh(-0.8 - 0.5 * h1), _sigmoid(-0.2 + 0.3 * h1)
    c2 = f2 * c1 + i2 * g2
    h2 = o2 * math.tanh(c2)
    outs, _ = run("LSTM", cfg, weights, [seq(0.5, -1)])
    assert_close(outs[0], [[[h1], [h2]]])


# GRU(1), gates in Keras's order z, r, h; linear activation, Keras 3 hard_sigmoid.
GRU_LINEAR = {"name": "rnn", "units": 1, "activation": "linear",
              "recurrent_activation": "hard_sigmoid", "return_sequences": True,
              "return_state": True}
GRU_KERNEL, GRU_RECURRENT = [[0.6, -0.6, 1.0]], [[1.2, 0.6, 2.0]]


def test_gru_reset_after():
    # reset_after=True: bias (2, 3) = [input bias, recurrent bias];
    #   mx = x*kernel + b_in, mh = h*recurrent + b_rec,
    #   z = hs(mx_z + mh_z), r = hs(mx_r + mh_r), hh = mx_h + r * mh_h, h' = z h + (1 - z) hh
    # b_in = [0, 0, 0.5], b_rec = [0, 0, 1].
    # step 1, x = 1, h = 0: mx = [0.6, -0.6, 1.5], mh = [0, 0, 1]
    #   z = 0.6/6 + 0.5 = 0.6; r = -0.6/6 + 0.5 = 0.4; hh = 1.5 + 0.4*1 = 1.9
    #   h1 = 0.4 * 1.9 = 0.76
    # step 2, x = 2: mx = [1.2, -1.2, 2.5], mh = [0.912, 0.456, 2*0.76 + 1 = 2.52]
    #   z = 2.112/6 + 0.5 = 0.852; r = -0.744/6 + 0.5 = 0.376; hh = 2.5 + 0.376*2.52 = 3.44752
    #   h2 = 0.852*0.76 + 0.148*3.44752 = 0.64752 + 0.51023296 = 1.15775296
    cfg = dict(GRU_LINEAR, reset_after=True)
    outs, _ = run("GRU", cfg, [GRU_KERNEL, GRU_RECURRENT, [[0.0, 0.0, 0.5], [0.0, 0.0, 1.0]]],
                  [seq(1, 2)])
    assert_close(outs[0], [[[0.76], [1.15775296]]])
    assert_close(outs[1], [[1.15775296]])


def test_gru_reset_before():
    # reset_after=False: bias (3,); the reset gate multiplies h before the recurrent kernel:
    #   z = hs(mx_z + h*rec_z), r = hs(mx_r + h*rec_r), hh = mx_h + (r h)*rec_h
    # bias [0, 0, 0.5].
    # step 1, x = 1, h = 0: z = 0.6, r = 0.4, hh = 1.5 + 0 = 1.5; h1 = 0.4 * 1.5 = 0.6
    # step 2, x = 2, h = 0.6: mx = [1.2, -1.2, 2.5]
    #   z = (1.2 + 0.72)/6 + 0.5 = 0.82; r = (-1.2 + 0.36)/6 + 0.5 = 0.36
    #   hh = 2.5 + (0.36*0.6)*2 = 2.932; h2 = 0.82*0.6 + 0.18*2.932 = 0.492 + 0.52776 = 1.01976
    cfg = dict(GRU_LINEAR, reset_after=False)
    outs, _ = run("GRU", cfg, [GRU_KERNEL, GRU_RECURRENT, [0.0, 0.0, 0.5]],
                  [seq(1, 2)])
    assert_close(outs[0], [[[0.6], [1.01976]]])


def test_gru_reset_before_resets_h_before_the_kernel():
    # With one unit r*(h @ R) equals (r*h) @ R; two units tell them apart. GRU(2),
    # reset_after=False, zero bias, one step on x = 1 from h0 = [1, 2].
    # Columns: z1 z2 | r1 r2 | h1 h2.
    #   z = hs([1, 2] @ 0) = [0.5, 0.5]
    #   r = hs([1*3 + 2*0, 1*(-3) + 2*0]) = hs([3, -3]) = [1, 0]
    #   hh = x*[0.5, 0.5] + (r*h) @ [[1, 2], [3, 4]] = [0.5, 0.5] + [1, 0] @ [[1, 2], [3, 4]]
    #      = [0.5, 0.5] + [1, 2] = [1.5, 2.5]      (r*(h @ R) would give [7.5, 0.5])
    #   h1 = 0.5*[1, 2] + 0.5*[1.5, 2.5] = [1.25, 2.25]
    cfg = dict(GRU_LINEAR, units=2, reset_after=False)
    weights = [[[0.0, 0.0, 0.0, 0.0, 0.5, 0.5]],
               [[0.0, 0.0, 3.0, -3.0, 1.0, 2.0],
                [0.0, 0.0, 0.0, 0.0, 3.0, 4.0]],
               [0.0] * 6]
    outs, _ = run("GRU", cfg, weights, [seq(1)], initial_state=[[[1.0, 2.0]]])
    assert_close(outs[1], [[1.25, 2.25]])


# SimpleRNN(1, relu): h' = relu(x*0.5 + 0.25 + h*2)
RNN_RELU = {"name": "rnn", "units": 1, "activation": "relu", "return_sequences": True,
            "return_state": True}
RNN_WEIGHTS = [[[0.5]], [[2.0]], [0.25]]


def test_simple_rnn():
    # x = [1, -4, 3]: h1 = relu(0.5 + 0.25) = 0.75; h2 = relu(-2 + 0.25 + 1.5) = relu(-0.25) = 0
    # h3 = relu(1.5 + 0.25 + 0) = 1.75
    outs, _ = run("SimpleRNN", RNN_RELU, RNN_WEIGHTS, [seq(1, -4, 3)])
    assert_close(outs[0], [[[0.75], [0.0], [1.75]]])
    assert_close(outs[1], [[1.75]])


def test_simple_rnn_go_backwards():
    # Processing order [3, -4, 1]: h1 = relu(1.5 + 0.25) = 1.75;
    # h2 = relu(-2 + 0.25 + 3.5) = 1.75; h3 = relu(0.5 + 0.25 + 3.5) = 4.25.
    # The sequence comes out in processing order.
    cfg = dict(RNN_RELU, go_backwards=True)
    outs, _ = run("SimpleRNN", cfg, RNN_WEIGHTS, [seq(1, -4, 3)])
    assert_close(outs[0], [[[1.75], [1.75], [4.25]]])
    assert_close(outs[1], [[4.25]])


def test_rnn_with_stacked_cells():
    # RNN(StackedRNNCells([SimpleRNNCell relu (as above), SimpleRNNCell linear, no bias,
    # kernel 1, recurrent 1])): the second cell sums the first cell's outputs.
    # x = [1, -4, 3]: first cell 0.75, 0, 1.75 (as in test_simple_rnn); second 0.75, 0.75, 2.5.
    # Outputs: [sequence of the last cell, first cell's h, second cell's h].
    cells = [{"class_name": "SimpleRNNCell", "config": {"units": 1, "activation": "relu"}},
             {"class_name": "SimpleRNNCell", "config": {"units": 1, "activation": "linear",
                                                        "use_bias": False}}]
    cfg = {"name": "rnn", "return_sequences": True, "return_state": True,
           "cell": {"class_name": "StackedRNNCells", "config": {"cells": cells}}}
    outs, _ = run("RNN", cfg, RNN_WEIGHTS + [[[1.0]], [[1.0]]], [seq(1, -4, 3)])
    assert_close(outs[0], [[[0.75], [0.75], [2.5]]])
    assert_close(outs[1], [[1.75]])
    assert_close(outs[2], [[2.5]])


# Bidirectional(SimpleRNN(1, linear)): forward h' = x + 0.5 h; backward h' = 2x + 1 (its
# recurrent kernel is 0). On x = [1, 2]:
#   forward: h1 = 1, h2 = 2 + 0.5 = 2.5                -> sequence [1, 2.5], state 2.5
#   backward, processing [2, 1]: h1 = 5, h2 = 2 + 1 = 3 -> sequence in time order [3, 5],
#   state 3
BIDI_WEIGHTS = [[[1.0]], [[0.5]], [0.0], [[2.0]], [[0.0]], [1.0]]


def _bidi_config(merge_mode, return_sequences, explicit_backward=True):
    inner = {"class_name": "SimpleRNN",
             "config": {"name": "inner", "units": 1, "activation": "linear",
                        "return_sequences": return_sequences, "return_state": True}}
    back = dict(inner, config=dict(inner["config"], name="inner_back", go_backwards=True))
    cfg = {"name": "bi", "layer": inner, "merge_mode": merge_mode}
    if explicit_backward:
        cfg["backward_layer"] = back
    return cfg


@pytest.mark.parametrize("merge_mode, sequence, last", [
    ("concat", [[1, 3], [2.5, 5]], [2.5, 3]),
    ("sum", [[4], [7.5]], [5.5]),
    ("mul", [[3], [12.5]], [7.5]),
    ("ave", [[2], [3.75]], [2.75]),
])
def test_bidirectional_merge_modes(merge_mode, sequence, last):
    x = seq(1, 2)
    outs, _ = run("Bidirectional", _bidi_config(merge_mode, True), BIDI_WEIGHTS, [x])
    assert_close(outs[0], [sequence])
    assert_close(outs[1], [[2.5]])       # forward state
    assert_close(outs[2], [[3.0]])       # backward state
    outs, _ = run("Bidirectional", _bidi_config(merge_mode, False), BIDI_WEIGHTS, [x])
    assert_close(outs[0], [last])


def test_bidirectional_merge_none():
    outs, _ = run("Bidirectional", _bidi_config(None, True), BIDI_WEIGHTS, [seq(1, 2)])
    assert len(outs) == 4
    assert_close(outs[0], [[[1.0], [2.5]]])
    assert_close(outs[1], [[[3.0], [5.0]]])


def test_bidirectional_implicit_backward_layer():
    # Keras 2 configs have no backward_layer: the backward copy is `layer` with go_backwards
    # flipped, here given the backward weights.
    outs, _ = run("Bidirectional", _bidi_config("concat", True, explicit_backward=False),
                  BIDI_WEIGHTS, [seq(1, 2)])
    assert_close(outs[0], [[[1.0, 3.0], [2.5, 5.0]]])


def test_bidirectional_initial_state():
    # Forward from h = 2: h1 = 1 + 1 = 2, h2 = 2 + 1 = 3. Backward ignores its state
    # (recurrent kernel 0): [3, 5] as before.
    outs, _ = run("Bidirectional", _bidi_config("concat", True), BIDI_WEIGHTS,
                  [seq(1, 2)], initial_state=[[[2.0]], [[-9.0]]])
    assert_close(outs[0], [[[2.0, 3.0], [3.0, 5.0]]])


def test_bidirectional_mask_zeroes_masked_steps():
    # x = [1, 2, pad], mask [T, T, F]. Bidirectional forces zero_output_for_mask.
    #   forward: 1, 2.5, then 0 at the padded step (state 2.5 carried)
    #   backward, processing [pad, 2, 1]: 0 (state stays 0), 5, 3 -> time order [3, 5, 0]
    outs, masks = run("Bidirectional", _bidi_config("concat", True), BIDI_WEIGHTS,
                      [seq(1, 2, 9)], mask=[[True, True, False]])
    assert_close(outs[0], [[[1.0, 3.0], [2.5, 5.0], [0.0, 0.0]]])
    assert_close(outs[1], [[2.5]])
    assert_close(outs[2], [[3.0]])
    assert masks[0].tolist() == [[True, True, False]]


def test_bidirectional_unroll_quirk():
    # unroll=True: Keras's unrolled loop carries the previous output at masked steps, then
    # zeroes the processing-order sequence with the mask in ORIGINAL time order. Backward,
    # processing [pad, 2, 1]: outputs [0 (previous = zeros), 5, 3]; zeroed with the
    # original-order mask [T, T, F] -> [0, 5, 0]; in time order [0, 5, 0] (not [3, 5, 0]).
    # The forward half is unchanged.
    cfg = _bidi_config("concat", True)
    for side in ("layer", "backward_layer"):
        cfg[side] = dict(cfg[side], config=dict(cfg[side]["config"], unroll=True))
    outs, _ = run("Bidirectional", cfg, BIDI_WEIGHTS, [seq(1, 2, 9)],
                  mask=[[True, True, False]])
    assert_close(outs[0], [[[1.0, 0.0], [2.5, 5.0], [0.0, 0.0]]])
