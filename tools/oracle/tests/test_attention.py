"""Attention entries on cases small enough to work out by hand.

Dense attention: dot / scaled / concat / additive scores, value masks (s - 1e9), the causal
mask, query masks (Keras 3 `where`, Keras 2 a product), explicit mask arguments over carried
ones, returned scores.

MultiHeadAttention with identity projections (key_dim 4, so that 1/sqrt(key_dim) = 0.5 is exact
in float32 too) on two steps x0 = [a, 0, 0, 0], x1 = [0, b, 0, 0] with a = sqrt(2 ln 3),
b = sqrt(2): the scores 0.5·xi·xj are s00 = ln 3, s01 = s10 = 0, s11 = 1, so unmasked
row 0 = softmax(ln 3, 0) = (3/4, 1/4) -> [3a/4, b/4, 0, 0] and
row 1 = softmax(0, 1) = (1, e) / (1 + e) -> [a, b e, 0, 0] / (1 + e).
With the mask [True, False] carried by x (the query and the value of a self-attention), row 0
keeps only step 0 -> [a, 0, 0, 0] and row 1 is fully masked, which each code path shows
differently."""

import math

import numpy as np
import pytest

from .util import assert_close, make_call, run
from ..registry import call_layer

E = math.e
A, B = math.sqrt(2 * math.log(3)), math.sqrt(2.0)
X = [[[A, 0.0, 0.0, 0.0], [0.0, B, 0.0, 0.0]]]
ROW0 = [3 * A / 4, B / 4, 0.0, 0.0]
ROW1 = [A / (1 + E), B * E / (1 + E), 0.0, 0.0]
UNIFORM1 = [A / 2, B / 2, 0.0, 0.0]
ZERO = [0.0] * 4
MASK = [[True, False]]


def identity_weights(dim=4, heads=1, use_bias=True):
    """[Wq, bq, Wk, bk, Wv, bv, Wo, bo] with every projection the identity."""
    eye = np.eye(dim)
    proj = [eye[:, None, :].repeat(heads, axis=1)] + ([np.zeros((heads, dim))] if use_bias else [])
    out = [np.eye(dim)[None].repeat(heads, axis=0)] + ([np.zeros(dim)] if use_bias else [])
    return [w.tolist() for w in proj * 3 + out]


def mha(config, x=X, keras=3, masks=None, weights=None, cls="MultiHeadAttention", **kwargs):
    """Self-attention (x, x) with `masks` carried by x; returns (outputs, masks, call)."""
    config = dict(dict(num_heads=1, key_dim=4), **config)
    call = make_call(cls, config, weights or identity_weights(), [x, x], keras=keras,
                     input_masks=[masks, masks], kwargs=kwargs)
    outs, out_masks = call_layer(call)
    return outs, out_masks, call


# --------------------------------------------------------------------------------------------
# Attention, AdditiveAttention
# --------------------------------------------------------------------------------------------

# query [1, 0]; keys [0, 0] and [ln 3, 0]; values [4, 0] and [8, 4].
Q1, K1, V1 = [[[1.0, 0.0]]], [[[0.0, 0.0], [math.log(3), 0.0]]], [[[4.0, 0.0], [8.0, 4.0]]]


def test_dot_scores_with_a_separate_key():
    # scores [0, ln 3] -> (1/4, 3/4): 1/4 [4, 0] + 3/4 [8, 4] = [7, 3].
    outs, masks = run("Attention", {}, [], [Q1, V1, K1])
    assert_close(outs[0], [[[7.0, 3.0]]])
    assert masks == [None]


def test_scaled_dot_scores():
    # scale 2: scores [0, 2 ln 3] -> (1/10, 9/10): [0.4 + 7.2, 3.6].
    outs, _ = run("Attention", {"use_scale": True}, [2.0], [Q1, V1, K1])
    assert_close(outs[0], [[[7.6, 3.6]]])


def test_concat_scores_weight_times_sum_of_tanh():
    # one feature: q = 0, keys [0, atanh(1/2)], concat weight 2: scores 2 tanh(0) = 0,
    # 2 tanh(atanh(1/2)) = 1 -> weights (1, e) / (1 + e) on values [0, 1].
    q, k, v = [[[0.0]]], [[[0.0], [math.atanh(0.5)]]], [[[0.0], [1.0]]]
    outs, _ = run("Attention", {"score_mode": "concat"}, [2.0], [q, v, k],
                  kwargs={"return_attention_scores": True})
    assert_close(outs[0], [[[E / (1 + E)]]])
    assert_close(outs[1], [[[1 / (1 + E), E / (1 + E)]]])
    # With use_scale 2 inside the tanh: scores 2 tanh(2 atanh(1/2)) = 2 (4/5) = 8/5.
    outs, _ = run("Attention", {"score_mode": "concat", "use_scale": True}, [2.0, 2.0],
                  [q, v, k])
    p = math.exp(1.6) / (1 + math.exp(1.6))
    assert_close(outs[0], [[[p]]])


def test_additive_scores():
    # scale [2]: scores 2 tanh(0) = 0, 2 tanh(atanh(1/2)) = 1, as above; without use_scale
    # the scores are 0 and 1/2.
    q, k, v = [[[0.0]]], [[[0.0], [math.atanh(0.5)]]], [[[0.0], [1.0]]]
    outs, _ = run("AdditiveAttention", {}, [[2.0]], [q, v, k])
    assert_close(outs[0], [[[E / (1 + E)]]])
    outs, _ = run("AdditiveAttention", {"use_scale": False}, [], [q, v, k])
    h = math.exp(0.5)
    assert_close(outs[0], [[[h / (1 + h)]]])


# Two zero queries against three values 1, 2, 4 (key = value): every score is 0, so each row
# averages the values it may see.
Q0, V3 = [[[0.0], [0.0]]], [[[1.0], [2.0], [4.0]]]


def test_value_mask_causal_query_mask_and_scores():
    # value mask [T, T, F]; causal: row 0 sees step 0, row 1 steps 0..1; the query mask
    # [T, F] zeroes row 1 of the output (its scores stay).
    outs, masks = run("Attention", {}, [], [Q0, V3], input_masks=[[[True, False]],
                                                                  [[True, True, False]]],
                      kwargs={"use_causal_mask": True, "return_attention_scores": True})
    assert_close(outs[0], [[[1.0], [0.0]]])
    assert_close(outs[1], [[[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]])
    assert masks[0].tolist() == [[True, False]] and masks[1] is None


def test_fully_masked_value_row_weighs_every_step():
    # every value step masked: all scores become 0 - 1e9, equal, so the weights are uniform.
    outs, _ = run("Attention", {}, [], [Q0, V3], input_masks=[None, [[False, False, False]]])
    assert_close(outs[0], [[[7 / 3], [7 / 3]]])


def test_explicit_mask_argument_wins_over_carried_masks():
    # the carried value mask [F, F, T] is not used when the call passes mask=[None, [T, T, F]].
    outs, _ = run("Attention", {}, [], [Q0, V3], mask=(None, [[True, True, False]]),
                  input_masks=[None, [[False, False, True]]])
    assert_close(outs[0], [[[1.5], [1.5]]])


def test_query_mask_where_in_keras3_product_in_keras2():
    # an infinite value (zero keys): the masked query row is 0 in Keras 3 (where) and
    # inf * 0 = NaN in Keras 2 (multiplication by the mask).
    v, k = [[[math.inf], [2.0], [4.0]]], [[[0.0], [0.0], [0.0]]]
    outs, _ = run("Attention", {}, [], [Q0, v, k], input_masks=[[[True, False]], None, None])
    assert outs[0][0, 1, 0] == 0.0 and np.isinf(outs[0][0, 0, 0])
    outs, _ = run("Attention", {}, [], [Q0, v, k], input_masks=[[[True, False]], None, None],
                  keras=2)
    assert np.isnan(outs[0][0, 1, 0]) and np.isinf(outs[0][0, 0, 0])


# --------------------------------------------------------------------------------------------
# MultiHeadAttention, GroupQueryAttention
# --------------------------------------------------------------------------------------------

def test_unmasked_self_attention():
    outs, masks, call = mha({})
    assert_close(outs[0], [[ROW0, ROW1]])
    assert masks == [None]
    assert call.clears_input_masks              # Keras 3 MultiHeadAttention


def test_keras3_dot_product_path_fully_masked_row_is_uniform():
    outs, masks, call = mha({}, masks=MASK)
    assert_close(outs[0], [[[A, 0.0, 0.0, 0.0], UNIFORM1]])
    assert masks[0].tolist() == MASK
    assert call.clears_input_masks


def test_keras3_softmax_path_fully_masked_row_is_zero():
    # return_attention_scores (or dropout > 0) takes the Softmax layer: masked weights are 0.
    outs, masks, _ = mha({}, masks=MASK, return_attention_scores=True)
    assert_close(outs[0], [[[A, 0.0, 0.0, 0.0], ZERO]])
    assert_close(outs[1], [[[[1.0, 0.0], [0.0, 0.0]]]])
    assert masks[0].tolist() == MASK and masks[1] is None
    outs, _, _ = mha({"dropout": 0.5}, masks=MASK)
    assert_close(outs[0], [[[A, 0.0, 0.0, 0.0], ZERO]])


def test_keras2_adds_minus_1e9_or_sets_it_with_robust_masking():
    # additive: row 1 becomes [0 - 1e9, 1 - 1e9] = [-1e9, -999999999]: still (1, e) / (1 + e).
    outs, masks, call = mha({}, masks=MASK, keras=2)
    assert_close(outs[0], [[[A, 0.0, 0.0, 0.0], ROW1]])
    assert masks[0].tolist() == MASK
    assert not call.clears_input_masks
    # robust masking: both -1e9, uniform.
    outs, _, _ = mha({"softmax_robust_masking": True}, masks=MASK, keras=2)
    assert_close(outs[0], [[[A, 0.0, 0.0, 0.0], UNIFORM1]])


def test_attention_mask_and_causal():
    # attention_mask [[1, 1], [0, 0]] masks row 1 fully (dot path: uniform); causal alone
    # keeps row 0 to step 0 and leaves row 1 as unmasked.
    outs, _, _ = mha({}, attention_mask=[[[1, 1], [0, 0]]])
    assert_close(outs[0], [[ROW0, UNIFORM1]])
    outs, _, _ = mha({}, use_causal_mask=True)
    assert_close(outs[0], [[[A, 0.0, 0.0, 0.0], ROW1]])


def test_sliding_window_with_causal():
    # x2 = 0 added: window 2 and causal keep row 0: {0}, row 1: {0, 1}, row 2: {1, 2}; row 2's
    # scores are 0, so it averages v1 = [0, b, 0, 0] and v2 = 0.
    x = [X[0] + [[0.0] * 4]]
    outs, _, _ = mha({"sliding_window": 2}, x=x, use_causal_mask=True)
    assert_close(outs[0], [[[A, 0.0, 0.0, 0.0], ROW1, [0.0, B / 2, 0.0, 0.0]]])


def test_gate_and_output_shape():
    # use_gate with a zero gate projection: sigmoid(0) = 1/2 halves the heads' output.
    w = identity_weights() + [np.zeros((4, 1, 4)).tolist(), np.zeros((1, 4)).tolist()]
    outs, _, _ = mha({"use_gate": True}, weights=w)
    assert_close(outs[0], [[[v / 2 for v in ROW0], [v / 2 for v in ROW1]]])
    # output_shape (2, 2) with the output kernel eye(4) as (1, 4, 2, 2): rows reshaped.
    w = identity_weights()
    w[6] = np.eye(4).reshape(1, 4, 2, 2).tolist()
    w[7] = np.zeros((2, 2)).tolist()
    outs, _, _ = mha({"output_shape": [2, 2]}, weights=w)
    assert_close(outs[0], [[[ROW0[:2], ROW0[2:]], [ROW1[:2], ROW1[2:]]]])


def test_attention_axes_on_4d_inputs():
    # x (1, 2, 2, 4): row 0 of axis 1 is X, row 1 zeros. Axis 2 only: the rows are separate
    # sequences (row 1: zero values, uniform scores).
    x = [[X[0], [[0.0] * 4, [0.0] * 4]]]
    outs, _, _ = mha({"attention_axes": [2]}, x=x, return_attention_scores=True)
    assert_close(outs[0], [[[ROW0, ROW1], [ZERO, ZERO]]])
    assert outs[1].shape == (1, 2, 1, 2, 2)
    assert_close(outs[1][0, 1, 0], [[0.5, 0.5], [0.5, 0.5]])
    # Axes (1, 2): one softmax over all 4 positions [x0, x1, 0, 0]: query x0 scores
    # [ln 3, 0, 0, 0] -> (3, 1, 1, 1) / 6; x1: [0, 1, 0, 0] -> (1, e, 1, 1) / (3 + e); zero
    # queries: uniform 1/4.
    outs, _, _ = mha({"attention_axes": [1, 2]}, x=x, return_attention_scores=True)
    q0 = [A / 2, B / 6, 0.0, 0.0]
    q1 = [A / (3 + E), B * E / (3 + E), 0.0, 0.0]
    q2 = [A / 4, B / 4, 0.0, 0.0]
    assert_close(outs[0], [[[q0, q1], [q2, q2]]])
    assert outs[1].shape == (1, 1, 2, 2, 2, 2)
    assert_close(outs[1][0, 0, 0, 0], [[0.5, 1 / 6], [1 / 6, 1 / 6]])


def test_keras3_scale_is_float32_in_float64_too():
    # key_dim 3, one-hot x0 = [1, 0, 0], x1 = 0: row 0 scores [c, 0] -> output [p, 0, 0] with
    # p = 1 / (1 + exp(-c)); Keras 3 uses c = float32(1/sqrt(3)), tf_keras 1/sqrt(3).
    x = [[[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]]
    w = identity_weights(dim=3)
    for keras, c in ((3, 0.57735025882720947265625), (2, 1 / math.sqrt(3))):
        outs, _, _ = mha({"key_dim": 3}, x=x, weights=w, keras=keras)
        assert_close(outs[0][0, 0], [1 / (1 + math.exp(-c)), 0.0, 0.0])


def test_grouped_query_heads_share_the_key_value_head():
    # 2 query heads, 1 key/value head: query head 0 the identity, head 1 zero (uniform
    # weights: [a/2, b/2, 0, 0] on both rows); output kernel head 0 I, head 1 10 I.
    eye, zero = np.eye(4), np.zeros((4, 4))
    w = [np.stack([eye, zero], axis=1), np.zeros((2, 4)),
         eye[:, None, :], np.zeros((1, 4)), eye[:, None, :], np.zeros((1, 4)),
         np.stack([eye, 10 * eye]), np.zeros(4)]
    config = dict(head_dim=4, num_query_heads=2, num_key_value_heads=1)
    outs, masks, call = mha(config, weights=[a.tolist() for a in w], cls="GroupQueryAttention")
    ten = [10 * v for v in UNIFORM1]
    assert_close(outs[0], [[np.add(ROW0, ten), np.add(ROW1, ten)]])
    assert not call.clears_input_masks


def test_query_mask_argument_read_by_gqa_not_by_mha():
    # An explicit query_mask [T, F] with no carried masks: GroupQueryAttention masks row 1
    # (dot path: uniform); Keras 3 MultiHeadAttention reads the tensor's mask (none) instead.
    outs, _, _ = mha({}, query_mask=[[True, False]])
    assert_close(outs[0], [[ROW0, ROW1]])
    w = identity_weights()
    config = dict(head_dim=4, num_query_heads=1, num_key_value_heads=1)
    outs, _, _ = mha(config, weights=w, cls="GroupQueryAttention", query_mask=[[True, False]])
    assert_close(outs[0], [[ROW0, UNIFORM1]])


def test_masks_on_4d_inputs_refused():
    x = [[X[0], X[0]]]
    with pytest.raises(NotImplementedError):
        mha({"attention_axes": [2]}, x=x, masks=[[[True, True], [True, False]]])
