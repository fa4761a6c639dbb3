"""Non-recurrent entries (core, merge, wrappers, Keras 3 op nodes) on hand-derived cases."""

import math

import numpy as np
import pytest

from ..registry import LayerCall, call_layer, layer
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


def test_time_distributed_dense():
    # Dense(1) with kernel 2, bias 1 on every step: 2x + 1. Keeps the mask.
    cfg = {"layer": {"class_name": "Dense", "config": {"activation": "linear"}}}
    outs, masks = run("TimeDistributed", cfg, [[[2.0]], [1.0]],
                      [[[[1.0], [2.0], [3.0]], [[0.0], [-1.0], [0.5]]]],
                      mask=[[True, True, False], [True, False, True]])
    assert_close(outs[0], [[[3.0], [5.0], [7.0]], [[1.0], [-1.0], [2.0]]])
    assert masks[0].tolist() == [[True, True, False], [True, False, True]]


def test_op_nodes():
    x = np.array([[[0.0, 0.0], [0.0, 2.0]]])
    call = LayerCall("ops.NotEqual", {}, [], [x, 0.0], None, None, {})
    (ne,), _ = call_layer(call)
    assert ne.tolist() == [[[False, False], [False, True]]]
    (anyv,), _ = call_layer(LayerCall("ops.Any", {"axis": -1}, [], [ne], None, None, {}))
    assert anyv.tolist() == [[False, True]]
    (cast,), _ = call_layer(LayerCall("ops.Cast", {"dtype": "bool"}, [], [np.array([[0.0, 1.0]])],
                                      None, None, {}))
    assert cast.dtype == bool and cast.tolist() == [[False, True]]


def test_unknown_class_is_named():
    with pytest.raises(NotImplementedError, match="NoSuchLayer"):
        run("NoSuchLayer", {}, [], [[[1.0]]])


def test_registering_a_class_twice_fails():
    with pytest.raises(ValueError, match="two oracle entries for Dense"):
        layer("Dense")(lambda call: None)
