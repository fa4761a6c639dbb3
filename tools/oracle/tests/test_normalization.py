"""The normalization entries on hand-derived cases: LayerNormalization, BatchNormalization,
Normalization, UnitNormalization, in Keras 3 and tf_keras."""

import numpy as np
import pytest

from .util import assert_close, run

X4 = [[1.0, 2.0, 3.0, 6.0]]      # mean 3, deviations -2 -1 0 3: variance (4+1+0+9)/4 = 3.5
GAMMA4 = [1.0, 2.0, -1.0, 0.5]
BETA4 = [0.0, 1.0, 0.0, -1.0]


@pytest.mark.parametrize("keras", [2, 3])
def test_layer_norm_last_axis(keras):
    # epsilon 0.5: rsqrt(3.5 + 0.5) = 0.5; (x - 3) * 0.5 = [-1, -0.5, 0, 1.5]
    # * gamma = [-1, -1, 0, 0.75]; + beta = [-1, 0, 0, -0.25]
    # (tf_keras: the fused formula, the same numbers.)
    outs, masks = run("LayerNormalization", {"epsilon": 0.5}, [GAMMA4, BETA4], [X4],
                      mask=[[True]], keras=keras)
    assert_close(outs[0], [[-1.0, 0.0, 0.0, -0.25]])
    assert masks[0].tolist() == [[True]]


def test_layer_norm_unscaled_uncentered():
    # center=False, scale=False: no weights; (x - 3) * 0.5
    outs, _ = run("LayerNormalization", {"epsilon": 0.5, "center": False, "scale": False}, [],
                  [X4])
    assert_close(outs[0], [[-1.0, -0.5, 0.0, 1.5]])


def test_layer_norm_rms_scaling_uses_the_variance():
    # Keras 3 rms_scaling: x * rsqrt(var + eps) * gamma, no centering, no beta:
    # var 3.5 + 0.5 -> 0.5; x * 0.5 = [0.5, 1, 1.5, 3]; * gamma = [0.5, 2, -1.5, 1.5]
    # (the mean square, (1+4+9+36)/4 = 12.5, would give rsqrt(13) instead)
    outs, _ = run("LayerNormalization", {"epsilon": 0.5, "rms_scaling": True}, [GAMMA4], [X4])
    assert_close(outs[0], [[0.5, 2.0, -1.5, 1.5]])


def test_layer_norm_keras3_mixed_sign_axes_keep_flat_order():
    # axis [1, -1] over x (1, 2, 2) = [[1, 3], [5, 7]]: mean 4, variance (9+1+1+9)/4 = 5;
    # eps 4: rsqrt(9) = 1/3; normalized [[-1, -1/3], [1/3, 1]].
    # gamma is saved with shape (2, 2) from sorted([1, -1]) = [-1, 1] and reshaped in flat
    # order: [[1, 2], [3, 4]] multiplies element-wise as [1, 2, 3, 4] (not transposed:
    # that would give [1, 3, 2, 4]).
    outs, _ = run("LayerNormalization", {"axis": [-1, 1], "epsilon": 4.0, "center": False},
                  [[[1.0, 2.0], [3.0, 4.0]]], [[[[1.0, 3.0], [5.0, 7.0]]]])
    assert_close(outs[0], [[[-1.0, -2.0 / 3.0], [1.0, 4.0]]])


def test_layer_norm_time_axis():
    # axis 1 of x (1, 2, 2) = [[1, 2], [3, 6]]: per feature over the two steps,
    # column 0: mean 2, var 1; column 1: mean 4, var 4; eps 0: [[-1, -1], [1, 1]];
    # gamma [2, 3] (one per step), beta [0, 1]: step 0 * 2, step 1 * 3 + 1
    outs, _ = run("LayerNormalization", {"axis": 1, "epsilon": 0.0}, [[2.0, 3.0], [0.0, 1.0]],
                  [[[[1.0, 2.0], [3.0, 6.0]]]])
    assert_close(outs[0], [[[-2.0, -2.0], [4.0, 4.0]]])


@pytest.mark.parametrize("keras", [2, 3])
def test_batch_norm_moving_statistics(keras):
    # x [2, -1]; moving mean [1, 1], moving variance [3, 0], eps 1: rsqrt [0.5, 1];
    # gamma [2, -1], beta [0.5, 0]: [(2-1)*0.5*2 + 0.5, (-1-1)*1*(-1) + 0] = [1.5, 2]
    outs, masks = run("BatchNormalization", {"epsilon": 1.0},
                      [[2.0, -1.0], [0.5, 0.0], [1.0, 1.0], [3.0, 0.0]], [[[2.0, -1.0]]],
                      mask=[[True]], keras=keras)
    assert_close(outs[0], [[1.5, 2.0]])
    assert masks[0].tolist() == [[True]]


def test_batch_norm_non_last_axis_without_gamma_beta():
    # axis 1 of x (1, 2, 2) = [[1, 2], [3, 4]]: one channel per step; moving mean [0, 2],
    # variance [3, 0], eps 1: rsqrt [0.5, 1]: [[0.5, 1], [1, 2]]
    outs, _ = run("BatchNormalization", {"axis": 1, "epsilon": 1.0, "center": False,
                                         "scale": False},
                  [[0.0, 2.0], [3.0, 0.0]], [[[[1.0, 2.0], [3.0, 4.0]]]])
    assert_close(outs[0], [[[0.5, 1.0], [1.0, 2.0]]])


def test_batch_norm_keras2_several_axes():
    # tf_keras axis [1, 2]: statistics of shape (1, 2, 2), one per element; mean [[1, 2],
    # [3, 4]], variance 0, eps 1 (rsqrt 1), no gamma / beta: x - mean
    outs, _ = run("BatchNormalization", {"axis": [1, 2], "epsilon": 1.0, "center": False,
                                         "scale": False},
                  [[[[1.0, 2.0], [3.0, 4.0]]], [[[0.0, 0.0], [0.0, 0.0]]]],
                  [[[[5.0, 5.0], [5.0, 5.0]]]], keras=2)
    assert_close(outs[0], [[[4.0, 3.0], [2.0, 1.0]]])


def test_normalization_config_stats_broadcast_and_invert():
    # axis (1, 2) of x (1, 2, 2) = [[3, 2], [5, 0]]; mean [1, 2] and variance [4, 1] of shape
    # (2,) broadcast over the steps (trailing axis): [[(3-1)/2, (2-2)/1], [(5-1)/2, (0-2)/1]]
    cfg = {"axis": [1, 2], "mean": [1.0, 2.0], "variance": [4.0, 1.0]}
    x = [[[3.0, 2.0], [5.0, 0.0]]]
    outs, masks = run("Normalization", cfg, [], [x], mask=[[True, False]])
    assert_close(outs[0], [[[1.0, 0.0], [2.0, -2.0]]])
    assert masks[0].tolist() == [[True, False]]
    # invert: mean + x * sqrt(variance): [[1 + 3*2, 2 + 2*1], [1 + 5*2, 2 + 0]]
    outs, _ = run("Normalization", dict(cfg, invert=True), [], [x])
    assert_close(outs[0], [[[7.0, 4.0], [11.0, 2.0]]])


def test_normalization_adapted_weights_and_tiny_variance():
    # axis -1, weights [mean, variance, count]; variance 0: sqrt is raised to 1e-7, so
    # (1 - 0) / 1e-7 = 1e7; variance 4: (5 - 1) / 2 = 2
    outs, _ = run("Normalization", {"axis": [-1], "mean": None, "variance": None},
                  [[0.0, 1.0], [0.0, 4.0], 7], [[[1.0, 5.0]]])
    assert_close(np.asarray(outs[0]) / [1e7, 1.0], [[1.0, 2.0]])


def test_normalization_axis_none_scalars():
    # axis None (saved as []): one mean 2 and variance 9 for everything: (x - 2) / 3
    outs, _ = run("Normalization", {"axis": [], "mean": 2.0, "variance": 9.0}, [],
                  [[[5.0, -1.0], [2.0, 8.0]]])
    assert_close(outs[0], [[1.0, -1.0], [0.0, 2.0]])


def test_normalization_keras3_rounds_config_stats_to_float32():
    # Keras 3 makes a float32 tensor of the config's mean: float32(0.1) is
    # 0.100000001490116119384765625, and the float64 x = 0.1 is
    # 0.1000000000000000055511151231257827..., so x - mean = -1.4901161138336505e-09
    # (variance 1). tf_keras keeps the float64 number: 0.
    cfg = {"axis": [-1], "mean": [0.1], "variance": [1.0]}
    outs, _ = run("Normalization", cfg, [], [[[0.1]]], keras=3)
    assert_close(np.asarray(outs[0]) * 1e9, [[-1.4901161138336505]])
    outs, masks = run("Normalization", cfg, [], [[[0.1]]], mask=[[True]], keras=2)
    assert_close(outs[0], [[0.0]])
    assert masks == [None]          # tf_keras's Normalization does not support masking


@pytest.mark.parametrize("keras", [2, 3])
def test_unit_normalization(keras):
    # [3, 4] / 5; a zero vector stays 0 in both versions
    outs, masks = run("UnitNormalization", {"axis": -1}, [], [[[3.0, 4.0], [0.0, 0.0]]],
                      mask=[[True, False]], keras=keras)
    assert_close(outs[0], [[0.6, 0.8], [0.0, 0.0]])
    assert masks[0].tolist() == [[True, False]]


def test_unit_normalization_tiny_vector_differs():
    # [3e-7, 4e-7]: sum of squares 2.5e-13 < 1e-12. Keras 3: x * min(rsqrt(2.5e-13), 1e12)
    # = x * 2e6 = [0.6, 0.8]. tf_keras: x * rsqrt(max(2.5e-13, 1e-12)) = x * 1e6 = [0.3, 0.4].
    x = [[3e-7, 4e-7]]
    assert_close(run("UnitNormalization", {}, [], [x], keras=3)[0][0], [[0.6, 0.8]])
    assert_close(run("UnitNormalization", {}, [], [x], keras=2)[0][0], [[0.3, 0.4]])


def test_unit_normalization_several_axes():
    # axis [1, 2] of x (1, 2, 2) = [[1, 1], [1, 1]]: norm 2, every element 1/2
    outs, _ = run("UnitNormalization", {"axis": [1, 2]}, [], [[[[1.0, 1.0], [1.0, 1.0]]]])
    assert_close(outs[0], [[[0.5, 0.5], [0.5, 0.5]]])
