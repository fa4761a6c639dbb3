"""Pooling entries on cases small enough to work out by hand: TensorFlow's valid and same
windows, averages over the elements a window covers, channels_first, the global poolings and
GlobalAveragePooling1D's masked mean in Keras 3 (where) and Keras 2 (multiply)."""

import math

import numpy as np
import pytest

from .util import assert_close, run, seq


def pool(cls, pool_size, strides, padding, x, **config):
    outs, masks = run(cls, dict(pool_size=pool_size, strides=strides, padding=padding, **config),
                      inputs=[x])
    assert masks == [None]
    return outs[0]


def test_max_pool_valid_default_strides_drops_the_tail():
    # pool 2, strides None (= 2), 5 steps: windows [0, 2), [2, 4); step 4 is left out.
    assert_close(pool("MaxPooling1D", [2], None, "valid", seq(1, 3, 2, 5, 4)), seq(3, 5))


def test_max_pool_valid_stride_larger_than_pool():
    # pool 2, strides 3, 7 steps: (7 - 2) // 3 + 1 = 2 windows [0, 2), [3, 5).
    assert_close(pool("MaxPooling1D", [2], [3], "valid", seq(1, 2, 3, 4, 5, 6, 7)), seq(2, 5))


def test_average_pool_same_divides_by_the_covered_steps():
    # pool 3, strides 1, 4 steps: 4 windows, padding (3 - 1) + 3 - 4 = 2, 1 before:
    # [-1, 2) -> (1 + 2) / 2 = 1.5; [0, 3) -> 2; [1, 4) -> 3; [2, 5) -> (3 + 4) / 2 = 3.5.
    assert_close(pool("AveragePooling1D", [3], [1], "same", seq(1, 2, 3, 4)),
                 seq(1.5, 2, 3, 3.5))


def test_average_pool_same_stride3():
    # pool 4, strides 3, 8 steps: ceil(8 / 3) = 3 windows, padding 2 * 3 + 4 - 8 = 2, 1 before:
    # [-1, 3) -> (1 + 2 + 3) / 3 = 2; [2, 6) -> (3 + 4 + 5 + 6) / 4 = 4.5; [5, 9) -> 7.
    assert_close(pool("AveragePooling1D", [4], [3], "same", seq(1, 2, 3, 4, 5, 6, 7, 8)),
                 seq(2, 4.5, 7))


def test_max_pool_same_larger_than_input_ignores_padding():
    # pool 10, strides None (= 10), 3 steps: one window, 7 padded steps (3 before); every
    # value is negative, so a padded 0 taking part would show.
    assert_close(pool("MaxPooling1D", [10], None, "same", seq(-1, -5, -2)), seq(-1))


def test_average_pool_channels_first():
    # (1, 2 features, 4 steps), pool 2 valid along the last axis.
    x = [[[1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0, 40.0]]]
    assert_close(pool("AveragePooling1D", [2], [2], "valid", x, data_format="channels_first"),
                 [[[1.5, 3.5], [15.0, 35.0]]])


def test_valid_pool_larger_than_input_is_refused():
    with pytest.raises(ValueError):
        pool("MaxPooling1D", [4], [1], "valid", seq(1, 2, 3))


@pytest.mark.parametrize("cls, want", [
    # 3x3 image 1..9 row-major, pool (2, 2), strides (2, 2), same: 2 windows per axis, padding
    # 2 + 2 - 3 = 1 after: rows [0, 2), [2, 3), columns the same.
    ("MaxPooling2D", [[5.0, 6.0], [8.0, 9.0]]),
    ("AveragePooling2D", [[(1 + 2 + 4 + 5) / 4, (3 + 6) / 2], [(7 + 8) / 2, 9.0]]),
])
def test_2d_same(cls, want):
    x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    out = pool(cls, [2, 2], [2, 2], "same", x)
    assert_close(out[0, :, :, 0], want)


X = [[[1.0, 2.0], [3.0, -1.0], [5.0, 0.0]]]          # (1, 3 steps, 2 features)


def test_global_pooling1d():
    outs, masks = run("GlobalMaxPooling1D", {}, inputs=[X])
    assert_close(outs[0], [[5.0, 2.0]])
    assert masks == [None]
    outs, _ = run("GlobalAveragePooling1D", {"keepdims": True}, inputs=[X])
    assert_close(outs[0], [[[3.0, 1.0 / 3.0]]])                 # (1 + 3 + 5) / 3, 1 / 3
    # channels_first: the 3 are features, the 2 steps: means 1.5, 1, 2.5.
    outs, _ = run("GlobalAveragePooling1D", {"data_format": "channels_first"}, inputs=[X])
    assert_close(outs[0], [[1.5, 1.0, 2.5]])
    outs, _ = run("GlobalMaxPooling1D", {"data_format": "channels_first", "keepdims": True},
                  inputs=[X])
    assert_close(outs[0], [[[2.0], [3.0], [5.0]]])


def test_global_max_pooling1d_ignores_the_mask():
    # Keras drops the mask here: the masked 9 still wins.
    outs, masks = run("GlobalMaxPooling1D", {}, inputs=[seq(1, 9, 3)],
                      mask=[[True, False, True]])
    assert_close(outs[0], [[9.0]])
    assert masks == [None]


def test_masked_mean():
    # row 0: 1, (2), 3 -> (1 + 3) / 2 = 2; row 1: (4), (5), 6 -> 6. No output mask.
    x = [[[1.0], [2.0], [3.0]], [[4.0], [5.0], [6.0]]]
    outs, masks = run("GlobalAveragePooling1D", {}, inputs=[x],
                      mask=[[True, False, True], [False, False, True]])
    assert_close(outs[0], [[2.0], [6.0]])
    assert masks == [None]


def test_masked_mean_channels_first():
    # (1, 2 features, 3 steps), mask on the steps (the last axis): 1, 2 | 4, 5 kept.
    outs, _ = run("GlobalAveragePooling1D", {"data_format": "channels_first"},
                  inputs=[[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]], mask=[[True, True, False]])
    assert_close(outs[0], [[1.5, 4.5]])


@pytest.mark.parametrize("keras", [2, 3])
def test_fully_masked_row_is_nan(keras):
    # 0 / 0 in both versions; the other row is untouched.
    outs, _ = run("GlobalAveragePooling1D", {}, inputs=[[[[1.0], [2.0]], [[3.0], [5.0]]]],
                  mask=[[False, False], [True, True]], keras=keras)
    assert math.isnan(outs[0][0, 0]) and outs[0][1, 0] == 4.0


@pytest.mark.parametrize("keras, want", [(3, 2.0), (2, math.nan)])
def test_inf_at_a_masked_step(keras, want):
    # Keras 3: where(mask, x, 0) drops the inf: (1 + 3) / 2 = 2. Keras 2: inf * 0 = NaN.
    outs, _ = run("GlobalAveragePooling1D", {}, inputs=[seq(1, math.inf, 3)],
                  mask=[[True, False, True]], keras=keras)
    got = outs[0][0, 0]
    assert (math.isnan(got) and math.isnan(want)) or got == want


def test_global_average_pooling2d():
    # (1, 2, 2, 1) 1..4 -> 2.5; channels_first (1, 1, 2, 2) the same numbers.
    outs, _ = run("GlobalAveragePooling2D", {}, inputs=[[[[[1.0], [2.0]], [[3.0], [4.0]]]]])
    assert_close(outs[0], [[2.5]])
    outs, _ = run("GlobalAveragePooling2D", {"data_format": "channels_first", "keepdims": True},
                  inputs=[[[[[1.0, 2.0], [3.0, 4.0]]]]])
    assert_close(outs[0], [[[[2.5]]]])
