"""Non-recurrent entries (core, merge, wrappers) on hand-derived cases; the op entries are in
test_ops.py."""

import math

import numpy as np
import pytest

from ..registry import layer
from .util import assert_close, run

# Dense(3): kernel rows are the input features, columns the units.
DENSE_WEIGHTS = [[[1.0, 0.0, -1.0],
                  [0.5, 1.0, 0.0]],
                 [0.0, -3.0, 1.0]]


def test_dense_2d_relu():
    # x = [1, 2]: [1 + 1 + 0, 0 + 2 - 3, -1 + 0 + 1] = [2, -1, 0] -> relu [2, 0, 0]
    outs, masks = run("Dense", {"activation": "relu"}, DENSE_WEIGHTS, [[[1.0, 2.0]]])
    assert_close(outs[0], [[2.0, 0.0, 0.0]])
    assert masks == [None]


def test_dense_3d_keeps_mask():
    # Applied on the last axis: x[0, 1] = [3, -1] -> [3 - 0.5, -1 - 3, -3 + 1] = [2.5, -4, -2]
    outs, masks = run("Dense", {"activation": "linear"}, DENSE_WEIGHTS,
                      [[[[1.0, 2.0], [3.0, -1.0]]]], mask=[[True, False]])
    assert_close(outs[0], [[[2.0, -1.0, 0.0], [2.5, -4.0, -2.0]]])
    assert masks[0].tolist() == [[True, False]]


def test_dense_no_bias_softmax():
    # use_bias=False, kernel column sums 0, ln 2, ln 3 on x = [1, 1]:
    # softmax([0, ln 2, ln 3]) = [1, 2, 3] / 6
    kernel = [[0.0, math.log(2.0), 0.0], [0.0, 0.0, math.log(3.0)]]
    outs, _ = run("Dense", {"activation": "softmax", "use_bias": False}, [kernel],
                  [[[1.0, 1.0]]])
    assert_close(outs[0], [[1 / 6, 2 / 6, 3 / 6]])


def test_embedding_mask_zero():
    table = [[0.0, 0.0], [1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    outs, masks = run("Embedding", {"mask_zero": True}, [table], [[[1, 0, 3]]])
    assert_close(outs[0], [[[1.0, 2.0], [0.0, 0.0], [5.0, 6.0]]])
    assert masks[0].tolist() == [[True, False, True]]
    _, masks = run("Embedding", {}, [table], [[[1, 0, 3]]])
    assert masks == [None]


def test_masking():
    # mask_value 5: a step is masked when every feature is 5, and then it becomes 0.
    outs, masks = run("Masking", {"mask_value": 5.0}, [], [[[[5.0, 5.0], [5.0, 1.0]]]])
    assert_close(outs[0], [[[0.0, 0.0], [5.0, 1.0]]])
    assert masks[0].tolist() == [[False, True]]


def test_activation_and_identity_layers():
    x = [[[-1.0, 2.0]]]
    outs, _ = run("Activation", {"activation": "relu"}, [], [x])
    assert_close(outs[0], [[[0.0, 2.0]]])
    for cls in ("Dropout", "SpatialDropout1D", "GaussianNoise"):
        outs, masks = run(cls, {"rate": 0.5}, [], [x], mask=[[True]])
        assert_close(outs[0], x)
        assert masks[0].tolist() == [[True]]


@pytest.mark.parametrize("cls, want", [
    ("Add", [4.0, 1.0]),            # [1, 2] + [3, -1]
    ("Subtract", [-2.0, 3.0]),
    ("Multiply", [3.0, -2.0]),
    ("Average", [2.0, 0.5]),
    ("Maximum", [3.0, 2.0]),
    ("Minimum", [1.0, -1.0]),
])
def test_elementwise_merge(cls, want):
    outs, masks = run(cls, {}, [], [[[1.0, 2.0]], [[3.0, -1.0]]])
    assert_close(outs[0], [want])
    assert masks == [None]


def test_merge_of_three():
    outs, _ = run("Multiply", {}, [], [[[2.0]], [[3.0]], [[4.0]]])
    assert_close(outs[0], [[24.0]])


def test_concatenate_axis():
    a, b = [[[1.0, 2.0]]], [[[3.0, 4.0]]]
    outs, _ = run("Concatenate", {"axis": -1}, [], [a, b])
    assert_close(outs[0], [[[1.0, 2.0, 3.0, 4.0]]])
    outs, _ = run("Concatenate", {"axis": 1}, [], [a, b])
    assert_close(outs[0], [[[1.0, 2.0], [3.0, 4.0]]])


# Masks of two (1, 2, ...) inputs: a [T, F], b [F, T].
MA, MB = [[True, False]], [[False, True]]


def test_elementwise_merge_masks_keras3_or_keras2_and():
    # Keras 3: OR of the masks, None as soon as one input has none; Keras 2: AND of the masks
    # that exist, None only when none has one.
    x = [[[1.0], [2.0]]]
    for keras, both, one in ((3, [[True, True]], None), (2, [[False, False]], MA)):
        _, masks = run("Add", {}, [], [x, x], keras=keras, input_masks=[MA, MB])
        assert masks[0].tolist() == both
        _, masks = run("Add", {}, [], [x, x], keras=keras, input_masks=[MA, None])
        assert (masks[0] if one is None else masks[0].tolist()) == one
        _, masks = run("Add", {}, [], [x, x], keras=keras)
        assert masks == [None]


def test_concatenate_masks_keras3_any_keras2_all():
    # An input without a mask counts as all True; the masks concatenated on the last axis are
    # reduced with any (Keras 3) or all (Keras 2).
    x = [[[1.0], [2.0]]]
    for keras, with_unmasked, both in ((3, [[True, True]], [[True, True]]),
                                       (2, MA, [[False, False]])):
        outs, masks = run("Concatenate", {"axis": -1}, [], [x, x], keras=keras,
                          input_masks=[MA, None])
        assert_close(outs[0], [[[1.0, 1.0], [2.0, 2.0]]])
        assert masks[0].tolist() == with_unmasked
        _, masks = run("Concatenate", {"axis": -1}, [], [x, x], keras=keras,
                       input_masks=[MA, MB])
        assert masks[0].tolist() == both


def test_layer_normalization():
    # x = [1, 2, 3]: mean 2, variance 2/3; epsilon 1/3 makes variance + epsilon = 1, so
    # y = (x - 2) * gamma + beta = [-1, 0, 1] * [1, 2, 3] + [0, 0, 1] = [-1, 0, 4].
    x = [[[1.0, 2.0, 3.0]]]
    cfg = {"axis": -1, "epsilon": 1 / 3}
    outs, masks = run("LayerNormalization", cfg, [[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]], [x],
                      input_masks=[[[True]]])
    assert_close(outs[0], [[[-1.0, 0.0, 4.0]]])
    assert masks[0].tolist() == [[True]]          # keeps the mask its input carries
    outs, _ = run("LayerNormalization", dict(cfg, center=False, scale=False), [], [x])
    assert_close(outs[0], [[[-1.0, 0.0, 1.0]]])
    # rms_scaling (Keras 3): x / sqrt(variance + epsilon) * gamma = [1, 4, 9].
    outs, _ = run("LayerNormalization", dict(cfg, rms_scaling=True), [[1.0, 2.0, 3.0]], [x])
    assert_close(outs[0], [[[1.0, 4.0, 9.0]]])


def test_time_distributed_dense():
    # Dense(1) with kernel 2, bias 1 on every step: 2x + 1. Keeps the mask.
    cfg = {"layer": {"class_name": "Dense", "config": {"activation": "linear"}}}
    outs, masks = run("TimeDistributed", cfg, [[[2.0]], [1.0]],
                      [[[[1.0], [2.0], [3.0]], [[0.0], [-1.0], [0.5]]]],
                      mask=[[True, True, False], [True, False, True]])
    assert_close(outs[0], [[[3.0], [5.0], [7.0]], [[1.0], [-1.0], [2.0]]])
    assert masks[0].tolist() == [[True, True, False], [True, False, True]]


def test_unknown_class_is_named():
    with pytest.raises(NotImplementedError, match="NoSuchLayer"):
        run("NoSuchLayer", {}, [], [[[1.0]]])


def test_registering_a_class_twice_fails():
    with pytest.raises(ValueError, match="two oracle entries for Dense"):
        layer("Dense")(lambda call: None)
