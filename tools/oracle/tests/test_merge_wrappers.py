"""Hand-derived cases for the merge layers' masks (Keras 3 and tf.keras), Dot, the global
pooling layers, TimeDistributed's output mask, models used as layers (masks in and out, node
numbering, weights) and dict inputs."""

import numpy as np
import pytest

from ..graph import evaluate
from ..model_files import ModelFile, _shape_legacy
from .test_graph import functional, input_layer, k2_node, k3_node, tensor
from .util import arr, assert_close, run, seq

# Two (1, 3) masks that differ: OR = [T, T, F], AND = [T, F, F].
M1, M2 = [[True, True, False]], [[True, False, False]]


@pytest.mark.parametrize("keras, masks, want", [
    (3, [M1, M2], [[True, True, False]]),     # Keras 3: OR when every input has a mask
    (2, [M1, M2], [[True, False, False]]),    # tf.keras: AND
    (3, [M1, None], None),                    # Keras 3: not every input has one -> none
    (2, [None, M2], M2),                      # tf.keras: the AND of the masks present
])
def test_add_mask(keras, masks, want):
    _, (mask,) = run("Add", {}, inputs=[seq(1, 2, 3), seq(1, 1, 1)], keras=keras, input_masks=masks)
    if want is None:
        assert mask is None
    else:
        np.testing.assert_array_equal(mask, want)


# x1 = [1, 5, 2] masked at step 1, x2 = [3, 4, 9] masked at step 2 (M1' = [T, F, T],
# M2' = [T, T, F]). Keras 3 Maximum leaves masked elements out:
#   step 0: max(1, 3) = 3
#   step 1: x1 masked -> x2's 4 (the plain max would be 5)
#   step 2: x2 masked -> x1's 2 (the plain max would be 9)
# tf.keras: the plain maximum [3, 5, 9]. Output mask: Keras 3 OR [T, T, T], tf.keras AND
# [T, F, F].
X1, X2 = seq(1, 5, 2), seq(3, 4, 9)
MA, MB = [[True, False, True]], [[True, True, False]]


@pytest.mark.parametrize("keras, want", [(3, seq(3, 4, 2)), (2, seq(3, 5, 9))])
def test_maximum_masked_elements(keras, want):
    (y,), (mask,) = run("Maximum", {}, inputs=[X1, X2], keras=keras, input_masks=[MA, MB])
    assert_close(y, want)
    np.testing.assert_array_equal(mask, [[True, True, True]] if keras == 3 else [[True, False, False]])


def test_minimum_both_masked_takes_the_first():
    # One step, x1 = 7, x2 = -1, both masked: output = x1 = 7; x = where(F, x2, 7) = 7;
    # output = where(F, 7, 7) = 7; min(7, 7) = 7. The plain minimum is -1.
    (y,), (mask,) = run("Minimum", {}, inputs=[seq(7), seq(-1)], keras=3, input_masks=[[[False]], [[False]]])
    assert_close(y, seq(7))
    np.testing.assert_array_equal(mask, [[False]])
    (y2,), _ = run("Minimum", {}, inputs=[seq(7), seq(-1)], keras=2, input_masks=[[[False]], [[False]]])
    assert_close(y2, seq(-1))


def test_minimum_unmasked_first():
    # x1 = [1, 5, 2] unmasked, x2 = [3, 4, 9] masked at step 2 (MB): output_mask starts None, so
    # only x2 is replaced: x = where(MB, x2, x1) = [3, 4, 2]; min(x1, x) = [1, 4, 2]; no mask.
    (y,), (mask,) = run("Minimum", {}, inputs=[X1, X2], keras=3, input_masks=[None, MB])
    assert_close(y, seq(1, 4, 2))
    assert mask is None


# Multiply, x1 = [2, 3, 4] masked [T, F, F], x2 = [5, 6, 7] masked [T, T, F]. Keras 3: a masked
# element counts as 1, and with every input masked the product is 0 where all are masked:
#   step 0: 2 * 5 = 10; step 1: 1 * 6 = 6; step 2: both masked -> 0.
# With x2 unmasked: 10, 1 * 6 = 6, 1 * 7 = 7 (no zeroing). tf.keras: 10, 18, 28.
@pytest.mark.parametrize("keras, masks, want", [
    (3, [[[True, False, False]], [[True, True, False]]], seq(10, 6, 0)),
    (3, [[[True, False, False]], None], seq(10, 6, 7)),
    (2, [[[True, False, False]], [[True, True, False]]], seq(10, 18, 28)),
])
def test_multiply_masked_elements(keras, masks, want):
    (y,), _ = run("Multiply", {}, inputs=[seq(2, 3, 4), seq(5, 6, 7)], keras=keras, input_masks=masks)
    assert_close(y, want)


def test_lower_rank_input_is_expanded_at_axis_1():
    # v (1, 2) = [1, 2] + s (1, 3, 2): v becomes (1, 1, 2) and is added to every step.
    s = [[[0, 0], [10, 20], [100, 200]]]
    (y,), _ = run("Add", {}, inputs=[[[1, 2]], s])
    assert_close(y, [[[1, 2], [11, 22], [101, 202]]])


# Concatenate a (1, 2, 1) masked [T, F] with b (1, 2, 2) unmasked along the features:
#   Keras 3: any over [[T], [F]] widened to (1, 2, 1) joined with ones (1, 2, 2) -> [T, T]
#   tf.keras: all -> [T, F]
@pytest.mark.parametrize("keras, want", [(3, [[True, True]]), (2, [[True, False]])])
def test_concatenate_mask_features(keras, want):
    (y,), (mask,) = run("Concatenate", {"axis": -1}, inputs=[[[[1], [2]]], [[[3, 4], [5, 6]]]],
                        keras=keras, input_masks=[[[True, False]], None])
    assert_close(y, [[[1, 3, 4], [2, 5, 6]]])
    np.testing.assert_array_equal(mask, want)


def test_concatenate_masks_along_time():
    # a (1, 2, 1) masked [T, F] and b (1, 1, 1) masked [F] along time: [T, F, F] in both.
    for keras in (3, 2):
        (y,), (mask,) = run("Concatenate", {"axis": 1}, inputs=[seq(1, 2), seq(3)], keras=keras,
                            input_masks=[[[True, False]], [[False]]])
        assert_close(y, seq(1, 2, 3))
        np.testing.assert_array_equal(mask, [[True, False, False]])


def test_concatenate_keras3_unmasked_input_along_time():
    # Keras 3 joins [mask, ones]: a (1, 2, 2) masked [F, T], b (1, 1, 2) unmasked -> [F, T, T].
    # tf.keras cannot (a (1, 2, 1) mask against (1, 1, 2) ones).
    (_,), (mask,) = run("Concatenate", {"axis": 1}, inputs=[[[[1, 1], [2, 2]]], [[[3, 3]]]],
                        keras=3, input_masks=[[[False, True]], None])
    np.testing.assert_array_equal(mask, [[False, True, True]])
    with pytest.raises(ValueError):
        run("Concatenate", {"axis": 1}, inputs=[[[[1, 1], [2, 2]]], [[[3, 3]]]], keras=2,
            input_masks=[[[False, True]], None])


# Dot. x = [1, 2], y = [3, 4]: x . y = 3 + 8 = 11, as (1, 1). Normalized: 11 / (|x| |y|) =
# 11 / (sqrt(5) * 5) = 0.9838699100999074.
@pytest.mark.parametrize("axes", [1, -1, [1, 1], [-1, -1]])
def test_dot_2d(axes):
    (y,), (mask,) = run("Dot", {"axes": axes}, inputs=[[[1, 2]], [[3, 4]]])
    assert_close(y, [[11]])
    assert mask is None


@pytest.mark.parametrize("keras", [3, 2])
def test_dot_normalize(keras):
    (y,), _ = run("Dot", {"axes": 1, "normalize": True}, inputs=[[[1, 2]], [[3, 4]]], keras=keras)
    assert_close(y, [[0.9838699100999074]])


def test_dot_3d_scores_and_2d_with_3d():
    # q (1, 2, 2) = [[1, 0], [0, 2]], k (1, 3, 2) = [[1, 1], [2, 0], [0, 3]], axes (2, 2):
    #   scores[i, j] = q_i . k_j: row 0 [1, 2, 0], row 1 [2, 0, 6]
    q, k = [[[1, 0], [0, 2]]], [[[1, 1], [2, 0], [0, 3]]]
    (y,), _ = run("Dot", {"axes": [2, 2]}, inputs=[q, k])
    assert_close(y, [[[1, 2, 0], [2, 0, 6]]])
    # axes (1, 1) on q and k would sum over 2 and 3 steps: refused by the shapes (matmul).
    # v (1, 2) = [1, 2] with k, axes (1, 2): [1 + 2, 2 + 0, 0 + 6] = [3, 2, 6]
    (y,), _ = run("Dot", {"axes": [1, 2]}, inputs=[[[1, 2]], k])
    assert_close(y, [[3, 2, 6]])
    # k with v, axes (2, 1): the same numbers, k's axes first
    (y,), _ = run("Dot", {"axes": [2, 1]}, inputs=[k, [[1, 2]]])
    assert_close(y, [[3, 2, 6]])
    # axes (1, 1) on q and q: q^T q = [[1, 0], [0, 4]]
    (y,), _ = run("Dot", {"axes": [1, 1]}, inputs=[q, q])
    assert_close(y, [[[1, 0], [0, 4]]])


def test_dot_over_the_batch_axis_fails():
    with pytest.raises(ValueError):
        run("Dot", {"axes": [0, 1]}, inputs=[[[1, 2]], [[3, 4]]])


def test_global_pooling_1d():
    # x = [1, 2, 6] masked [T, F, T]: the masked mean (1 + 6) / 2 = 3.5 (unmasked: 3);
    # max pooling ignores the mask: 6.
    (y,), (m,) = run("GlobalAveragePooling1D", {}, inputs=[seq(1, 2, 6)], mask=[[True, False, True]])
    assert_close(y, [[3.5]])
    assert m is None
    (y,), _ = run("GlobalAveragePooling1D", {}, inputs=[seq(1, 2, 6)])
    assert_close(y, [[3.0]])
    (y,), _ = run("GlobalMaxPooling1D", {}, inputs=[seq(1, 2, 6)], mask=[[True, False, False]])
    assert_close(y, [[6.0]])


# TimeDistributed(GlobalAveragePooling1D) on x (1, 2, 2, 1) = [[1, 3], [5, 7]] with a (1, 2, 2)
# mask [[T, F], [T, T]]: step 0 -> 1 (3 masked), step 1 -> (5 + 7) / 2 = 6. Output mask:
# Keras 3 keeps the (1, 2, 2) mask; tf.keras gets None from the pooling and reduces the mask
# with any over the width: [T, T].
TD_GAP = {"layer": {"class_name": "GlobalAveragePooling1D", "config": {"name": "gap"}}}
TD_X = [[[[1], [3]], [[5], [7]]]]
TD_M = [[[True, False], [True, True]]]


@pytest.mark.parametrize("keras, want_mask", [(3, TD_M), (2, [[True, True]])])
def test_time_distributed_mask(keras, want_mask):
    (y,), (mask,) = run("TimeDistributed", TD_GAP, inputs=[TD_X], mask=TD_M, keras=keras)
    assert_close(y, [[[1], [6]]])
    np.testing.assert_array_equal(mask, want_mask)


@pytest.mark.parametrize("keras, want_mask", [(3, None), (2, [[[True, False], [False, False]]])])
def test_time_distributed_embedding_mask(keras, want_mask):
    # Tokens (1, 2, 2) = [[3, 0], [0, 0]]: tf.keras takes the Embedding's mask (ids != 0) as
    # (1, 2, 2); Keras 3 calls Embedding.call, which makes none, and keeps the None it got.
    cfg = {"layer": {"class_name": "Embedding", "config": {"name": "emb", "mask_zero": True}}}
    (y,), (mask,) = run("TimeDistributed", cfg, weights=[[[0.0], [1.0], [2.0], [3.0]]],
                        inputs=[[[[3, 0], [0, 0]]]], keras=keras)
    assert_close(y, [[[[3], [0]], [[0], [0]]]])
    if want_mask is None:
        assert mask is None
    else:
        np.testing.assert_array_equal(mask, want_mask)


# A model used as a layer. Outer: x -> Masking 'mask' -> 'enc' (inner: InputLayer 'i' ->
# Dense 'd' with kernel [[2]], bias [1]) -> GlobalAveragePooling1D 'gap'. On x = [1, 0, 3]:
# Masking -> [1, 0, 3] masked [T, F, T]; d -> [3, 1, 7], still masked [T, F, T] (Dense keeps
# the mask, and it comes out of the model); gap -> (3 + 7) / 2 = 5 (unmasked: 11 / 3).
INNER_D = {"class_name": "Dense", "name": "d", "config": {"name": "d", "activation": "linear"}}
MASKING = {"class_name": "Masking", "name": "mask", "config": {"name": "mask", "mask_value": 0.0}}
GAP = {"class_name": "GlobalAveragePooling1D", "name": "gap", "config": {"name": "gap"}}
ENC_WEIGHTS = {"enc": {"d": [arr([[2.0]]), arr([1.0])]}}


def _encoder(keras, inbound):
    if keras == 3:
        inner = functional([input_layer("i"), dict(INNER_D, inbound_nodes=[k3_node(tensor("i"))])],
                           ["i", 0, 0], ["d", 0, 0])
    else:
        inner = functional([input_layer("i"), dict(INNER_D, inbound_nodes=[k2_node(("i", 0, 0))])],
                           [["i", 0, 0]], [["d", 0, 0]])
    return dict(inner, name="enc", inbound_nodes=inbound)


@pytest.mark.parametrize("keras", [3, 2])
def test_mask_into_and_out_of_a_model(keras):
    if keras == 3:
        # The config records no mask for 'gap' (Keras 3 writes none after a model); at run
        # time it is the one the model's output carries. 'enc' is node 0 in arguments.
        layers = [input_layer("x"), dict(MASKING, inbound_nodes=[k3_node(tensor("x"))]),
                  _encoder(3, [k3_node(tensor("mask"), mask=None)]),
                  dict(GAP, inbound_nodes=[k3_node(tensor("enc", 0), mask=None)])]
        outputs = [["gap", 0, 0], ["enc", 1, 0]]     # a functional model's call 0 is written 1
    else:
        # tf.keras numbers the model's calls from 1 everywhere.
        layers = [input_layer("x"), dict(MASKING, inbound_nodes=[k2_node(("x", 0, 0))]),
                  _encoder(2, [k2_node(("mask", 0, 0))]),
                  dict(GAP, inbound_nodes=[k2_node(("enc", 1, 0))])]
        outputs = [["gap", 0, 0], ["enc", 1, 0]]
    outs = evaluate(ModelFile(functional(layers, [["x", 0, 0]], outputs), ENC_WEIGHTS, keras),
                    [arr(seq(1, 0, 3))])
    assert_close(outs[0], [[5.0]])
    assert_close(outs[1], seq(3, 1, 7))


def test_dict_inputs_flatten_in_sorted_key_order():
    # Inputs {'zeta', 'alpha'} written in that order; the model's input order is sorted:
    # [alpha, zeta]. Subtract [zeta, alpha] on alpha = 2, zeta = 5: 5 - 2 = 3 (creation
    # order would give 2 - 5 = -3). Outputs {'sum', 'diff'} come out as [diff, sum].
    sub = {"class_name": "Subtract", "name": "diff", "config": {"name": "diff"},
           "inbound_nodes": [k3_node([tensor("zeta"), tensor("alpha")])]}
    add = {"class_name": "Add", "name": "sum", "config": {"name": "sum"},
           "inbound_nodes": [k3_node([tensor("zeta"), tensor("alpha")])]}
    cfg = functional([input_layer("zeta"), input_layer("alpha"), sub, add],
                     {"zeta": ["zeta", 0, 0], "alpha": ["alpha", 0, 0]},
                     {"sum": ["sum", 0, 0], "diff": ["diff", 0, 0]})
    outs = evaluate(ModelFile(cfg, {}, 3), [arr([[2.0]]), arr([[5.0]])])
    assert_close(outs[0], [[3.0]])
    assert_close(outs[1], [[7.0]])


def test_keras2_weights_of_a_model_are_split_in_order():
    # A Sequential [InputLayer, LSTM (3 arrays), Dense without bias (1), a functional model
    # with a Dense (2)] lists 6 arrays in one group: 3 for the LSTM, 1, then 2 for the inner
    # model's Dense, whose name is not a prefix in tf.keras.
    arrays = [arr([k]) for k in range(6)]
    inner = {"class_name": "Functional", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "config": {"name": "i"}},
        {"class_name": "Dense", "config": {"name": "dd"}}]}}
    seq_cfg = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"name": "i"}},
        {"class_name": "LSTM", "config": {"name": "l"}},
        {"class_name": "Dense", "config": {"name": "d", "use_bias": False}},
        dict(inner, name="m")]}}
    names = [f"w{k}" for k in range(6)]
    got = _shape_legacy(arrays, names, seq_cfg)
    assert [a[0] for a in got["l"]] == [0, 1, 2]
    assert [a[0] for a in got["d"]] == [3]
    assert [a[0] for a in got["m"]["dd"]] == [4, 5]
    with pytest.raises(ValueError):
        _shape_legacy(arrays[:5], names[:5], seq_cfg)


def test_legacy_weights_of_a_model_list_trainable_arrays_first():
    # tf.keras and Keras 3 write a model's group as trainable_weights + non_trainable_weights
    # (seen in both for Sequential[Dense d1, BatchNormalization bn, Dense d2]: d1/kernel,
    # d1/bias, bn/gamma, bn/beta, d2/kernel, d2/bias, bn/moving_mean, bn/moving_variance).
    # A frozen layer's arrays are all non-trainable.
    written = ["d1/k", "d1/b", "bn/gamma", "bn/beta", "d2/k", "d2/b", "bn/mean", "bn/var",
               "frozen/k"]
    arrays = [arr([k]) for k in range(len(written))]
    cfg = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Dense", "config": {"name": "d1"}},
        {"class_name": "BatchNormalization", "config": {"name": "bn"}},
        {"class_name": "Dense", "config": {"name": "frozen", "use_bias": False,
                                            "trainable": False}},
        {"class_name": "Dense", "config": {"name": "d2"}}]}}
    got = _shape_legacy(arrays, written, cfg)
    assert [a[0] for a in got["d1"]] == [0, 1]
    assert [a[0] for a in got["bn"]] == [2, 3, 6, 7]          # gamma, beta, mean, variance
    assert [a[0] for a in got["d2"]] == [4, 5]
    assert [a[0] for a in got["frozen"]] == [8]


def test_legacy_weight_count_names_an_unknown_class():
    cfg = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "NoSuchLayer", "config": {"name": "odd"}}]}}
    with pytest.raises(NotImplementedError, match="NoSuchLayer.*'odd'"):
        _shape_legacy([], [], cfg)


@pytest.mark.parametrize("keras", [3, 2])
def test_model_called_with_a_dict(keras):
    # 'inner' has dict inputs {'zeta', 'alpha'} -> Subtract [zeta, alpha]; the outer model calls
    # it with {'zeta': oz, 'alpha': oa}, written in that order. Both sides flatten by sorted
    # key: [alpha, zeta] = [oa, oz]. oz = 5, oa = 2: 5 - 2 = 3 (creation order: -3).
    sub = {"class_name": "Subtract", "name": "diff", "config": {"name": "diff"}}
    if keras == 3:
        sub["inbound_nodes"] = [k3_node([tensor("zeta"), tensor("alpha")])]
        call = k3_node({"zeta": tensor("oz"), "alpha": tensor("oa")},
                       mask={"zeta": None, "alpha": None})
        out = ["inner", 1, 0]                    # Keras 3: a functional model's call 0 is 1
    else:
        sub["inbound_nodes"] = [k2_node(("zeta", 0, 0), ("alpha", 0, 0))]
        call = {"zeta": ["oz", 0, 0, {}], "alpha": ["oa", 0, 0, {}]}    # the node is the dict
        out = ["inner", 1, 0]                    # tf.keras: every call of it counts from 1
    inner = functional([input_layer("zeta"), input_layer("alpha"), sub],
                       {"zeta": ["zeta", 0, 0], "alpha": ["alpha", 0, 0]}, ["diff", 0, 0])
    cfg = functional([input_layer("oz"), input_layer("oa"), dict(inner, name="inner", inbound_nodes=[call])],
                     [["oz", 0, 0], ["oa", 0, 0]], [out])
    outs = evaluate(ModelFile(cfg, {"inner": {}}, keras), [arr([[5.0]]), arr([[2.0]])])
    assert_close(outs[0], [[3.0]])
