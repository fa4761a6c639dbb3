"""The activation-layer entries on hand-derived cases: ReLU, LeakyReLU, ThresholdedReLU, PReLU,
ELU and Softmax (with masks), in Keras 3 and tf_keras."""

import pytest

from .util import assert_close, run

X = [[-2.0, -0.5, 0.0, 0.5, 1.0, 3.0, 7.0]]


@pytest.mark.parametrize("keras", [2, 3])
@pytest.mark.parametrize("cfg, want", [
    ({}, [0, 0, 0, 0.5, 1, 3, 7]),
    ({"max_value": 1.5}, [0, 0, 0, 0.5, 1, 1.5, 1.5]),
    # only a slope: leaky_relu, x > 0 ? x : 0.5 x
    ({"negative_slope": 0.5}, [-1, -0.25, 0, 0.5, 1, 3, 7]),
    # threshold 1, slope 0.5: (x > 1 ? x : 0) - 0.5 relu(1 - x):
    # -2 -> -1.5, -0.5 -> -0.75, 0 -> -0.5, 0.5 -> -0.25, 1 -> 0 (not > 1), 3, 7
    ({"threshold": 1.0, "negative_slope": 0.5}, [-1.5, -0.75, -0.5, -0.25, 0, 3, 7]),
    # max_value 6: the relu6 op, then - 0.25 relu(-x): -0.5, -0.125, ..., 7 -> 6
    ({"max_value": 6.0, "negative_slope": 0.25}, [-0.5, -0.125, 0, 0.5, 1, 3, 6]),
    # threshold 2 above max_value 1: x > 2 ? x : 0, then clipped to 1
    ({"threshold": 2.0, "max_value": 1.0}, [0, 0, 0, 0, 0, 1, 1]),
])
def test_relu(keras, cfg, want):
    outs, masks = run("ReLU", cfg, [], [X], mask=[[True]], keras=keras)
    assert_close(outs[0], [want])
    assert masks[0].tolist() == [[True]]


def test_relu_keras3_compares_with_a_float32_threshold():
    # Keras 3 casts threshold through a float32 tensor: float32(0.1) = 0.10000000149011612.
    # x = 0.10000000149011612 is not above it (0); x = 0.1000000016 is (kept as is).
    # Compared with the float64 0.1, the first would be kept.
    outs, _ = run("ReLU", {"threshold": 0.1}, [], [[[0.10000000149011612, 0.1000000016]]])
    assert_close(outs[0], [[0.0, 0.1000000016]])


def test_leaky_relu_keras3_default_slope_is_a_float32():
    # LeakyReLU() is 0.3 (the function leaky_relu's default is 0.2); TensorFlow's LeakyRelu
    # takes it as a float32 attribute: float32(0.3) = 0.300000011920928955078125, so
    # -2 -> -0.60000002384185791015625
    outs, _ = run("LeakyReLU", {}, [], [[[-2.0, 4.0]]])
    assert_close(outs[0], [[-0.6000000238418579, 4.0]])
    # a given `alpha` wins over negative_slope (0.25 = float32 exactly): -4 -> -1
    outs, _ = run("LeakyReLU", {"negative_slope": 0.5, "alpha": 0.25}, [], [[[-4.0]]])
    assert_close(outs[0], [[-1.0]])


def test_leaky_relu_keras2_alpha():
    # tf_keras: alpha -0.5 is allowed: -2 -> 1; alpha 0 is a plain relu: -2 -> 0
    assert_close(run("LeakyReLU", {"alpha": -0.5}, [], [[[-2.0, 3.0]]], keras=2)[0][0],
                 [[1.0, 3.0]])
    assert_close(run("LeakyReLU", {"alpha": 0.0}, [], [[[-2.0, 3.0]]], keras=2)[0][0],
                 [[0.0, 3.0]])


def test_thresholded_relu():
    # x * (x > theta), theta 1: 1 itself gives 0
    outs, masks = run("ThresholdedReLU", {"theta": 1.0}, [], [[[-2.0, 0.5, 1.0, 1.5]]],
                      mask=[[False]], keras=2)
    assert_close(outs[0], [[0.0, 0.0, 0.0, 1.5]])
    assert masks[0].tolist() == [[False]]


def test_prelu_shared_axis():
    # x (1, 2, 2) = [[-2, 3], [-4, -1]], alpha (1, 2) = [[0.5, -1]] shared over axis 1:
    # negatives times their feature's alpha: [[-1, 3], [-2, 1]]
    outs, _ = run("PReLU", {"shared_axes": [1]}, [[[0.5, -1.0]]], [[[[-2.0, 3.0], [-4.0, -1.0]]]])
    assert_close(outs[0], [[[-1.0, 3.0], [-2.0, 1.0]]])


@pytest.mark.parametrize("keras", [2, 3])
def test_elu(keras):
    # x = [-ln 2, 0, 1]: expm1(-ln 2) = -0.5; alpha 2: [-1, 0, 1]; alpha 1: [-0.5, 0, 1]
    x = [[[-0.6931471805599453, 0.0, 1.0]]]
    assert_close(run("ELU", {"alpha": 2.0}, [], x, keras=keras)[0][0], [[-1.0, 0.0, 1.0]])
    assert_close(run("ELU", {}, [], x, keras=keras)[0][0], [[-0.5, 0.0, 1.0]])


LN2, LN3, LN4 = 0.6931471805599453, 1.0986122886681098, 1.3862943611198906


@pytest.mark.parametrize("keras", [2, 3])
def test_softmax_axes(keras):
    # [0, ln 2, ln 3] -> [1, 2, 3] / 6
    assert_close(run("Softmax", {}, [], [[[0.0, LN2, LN3]]], keras=keras)[0][0],
                 [[1 / 6, 2 / 6, 3 / 6]])
    # axis 1 of (1, 2, 1) [[0], [ln 3]] -> [1, 3] / 4
    assert_close(run("Softmax", {"axis": 1}, [], [[[[0.0], [LN3]]]], keras=keras)[0][0],
                 [[[0.25], [0.75]]])
    # axis [1, 2] of (1, 2, 2) [[0, ln 2], [ln 3, ln 4]] -> [[1, 2], [3, 4]] / 10
    assert_close(run("Softmax", {"axis": [1, 2]}, [], [[[[0.0, LN2], [LN3, LN4]]]],
                     keras=keras)[0][0], [[[0.1, 0.2], [0.3, 0.4]]])


def test_softmax_mask_keras3_where_then_zero():
    # row 0: [0, ln 2, 5] with the last masked -> [1, 2] / 3 and 0; row 1 fully masked:
    # every input -1e9 gives 1/3 each, then zeroed
    outs, masks = run("Softmax", {}, [], [[[0.0, LN2, 5.0], [1.0, 2.0, 3.0]]],
                      mask=[[True, True, False], [False, False, False]])
    assert_close(outs[0], [[1 / 3, 2 / 3, 0.0], [0.0, 0.0, 0.0]])
    assert masks[0].tolist() == [[True, True, False], [False, False, False]]


def test_softmax_mask_keras2_adds_minus_1e9():
    # row 0 as for Keras 3 (exp(5 - 1e9 - ...) is 0); row 1 fully masked: [0, 1, 2] - 1e9 is
    # exact in float64, so it is softmax([0, 1, 2]) = [1, e, e^2] / (1 + e + e^2), not zeros
    outs, _ = run("Softmax", {}, [], [[[0.0, LN2, 5.0], [0.0, 1.0, 2.0]]],
                  mask=[[True, True, False], [False, False, False]], keras=2)
    assert_close(outs[0], [[1 / 3, 2 / 3, 0.0],
                           [0.09003057317038046, 0.24472847105479767, 0.6652409557748219]])
    # robust_masking: where(mask, x, -1e9): the fully masked row is uniform
    outs, _ = run("Softmax", {"robust_masking": True}, [], [[[0.0, 1.0, 2.0]]],
                  mask=[[False, False, False]], keras=2)
    assert_close(outs[0], [[1 / 3, 1 / 3, 1 / 3]])


def test_softmax_mask_broadcasts():
    # a (1, 1, 3) mask over x (1, 2, 3): the same positions masked at both steps
    x = [[[0.0, 5.0, LN2], [LN3, 7.0, 0.0]]]
    outs, _ = run("Softmax", {}, [], [x], mask=[[[True, False, True]]])
    assert_close(outs[0], [[[1 / 3, 0.0, 2 / 3], [0.75, 0.0, 0.25]]])
    # a (2,) mask aligns with the last axis (NumPy: trailing axes first), not with the steps:
    # over x (1, 2, 2) it masks the second feature at both steps, leaving 1 and 0
    outs, _ = run("Softmax", {}, [], [[[[0.0, 5.0], [1.0, 7.0]]]], mask=[True, False])
    assert_close(outs[0], [[[1.0, 0.0], [1.0, 0.0]]])
