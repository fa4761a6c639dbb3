"""Shape entries (Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D, Cropping1D,
UpSampling1D) on cases small enough to work out by hand. None of them keeps a mask."""

import numpy as np
import pytest

from .util import assert_close, run, seq

X3 = [[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]]          # (1, 3 steps, 2 features)


def test_flatten_rank3_both_formats():
    # channels_last: row-major (1, 3, 2) -> [1, 2, 3, 4, 5, 6].
    outs, masks = run("Flatten", {"data_format": "channels_last"}, inputs=[X3],
                      mask=[[True, False, True]])
    assert_close(outs[0], [[1, 2, 3, 4, 5, 6]])
    assert masks == [None]
    # channels_first: axis 1 (the 3) moved last: (1, 2, 3) = [[1, 3, 5], [2, 4, 6]].
    outs, _ = run("Flatten", {"data_format": "channels_first"}, inputs=[X3])
    assert_close(outs[0], [[1, 3, 5, 2, 4, 6]])


def test_flatten_rank4_channels_first_and_rank1():
    # x[0, c, h, w] = 4c + 2h + w; channels_first moves c last: order (h, w, c):
    # (0,0): 0, 4; (0,1): 1, 5; (1,0): 2, 6; (1,1): 3, 7.
    x = [[[[0.0, 1.0], [2.0, 3.0]], [[4.0, 5.0], [6.0, 7.0]]]]
    outs, _ = run("Flatten", {"data_format": "channels_first"}, inputs=[x])
    assert_close(outs[0], [[0, 4, 1, 5, 2, 6, 3, 7]])
    # (batch,) -> (batch, 1), either format.
    for fmt in ("channels_last", "channels_first"):
        outs, _ = run("Flatten", {"data_format": fmt}, inputs=[[5.0, 6.0]])
        assert_close(outs[0], [[5.0], [6.0]])


def test_reshape_infers_minus_one():
    # 6 elements into (-1, 2): (3, 2), row-major.
    outs, masks = run("Reshape", {"target_shape": [-1, 2]}, inputs=[[[1, 2, 3, 4, 5, 6]]])
    assert_close(outs[0], [[[1, 2], [3, 4], [5, 6]]])
    assert masks == [None]


def test_permute():
    # dims (2, 1) swaps steps and features: (1, 3, 2) -> (1, 2, 3).
    outs, masks = run("Permute", {"dims": [2, 1]}, inputs=[X3], mask=[[True, True, False]])
    assert_close(outs[0], [[[1, 3, 5], [2, 4, 6]]])
    assert masks == [None]


def test_repeat_vector():
    outs, masks = run("RepeatVector", {"n": 3}, inputs=[[[1.0, -2.0]]])
    assert_close(outs[0], [[[1, -2], [1, -2], [1, -2]]])
    assert masks == [None]


@pytest.mark.parametrize("padding, want", [
    (None, [0, 1, 2, 0]),          # default 1 each side
    (2, [0, 0, 1, 2, 0, 0]),
    ([0, 3], [1, 2, 0, 0, 0]),
])
def test_zero_padding1d(padding, want):
    config = {} if padding is None else {"padding": padding}
    outs, masks = run("ZeroPadding1D", config, inputs=[seq(1, 2)], mask=[[True, False]])
    assert_close(outs[0], seq(*want))
    assert masks == [None]


def test_zero_padding1d_channels_first_pads_the_last_axis():
    # (1, 2 features, 2 steps), padding (2, 1) on the steps (last) axis.
    outs, _ = run("ZeroPadding1D", {"padding": [2, 1], "data_format": "channels_first"},
                  inputs=[[[[1.0, 2.0], [3.0, 4.0]]]])
    assert_close(outs[0], [[[0, 0, 1, 2, 0], [0, 0, 3, 4, 0]]])


@pytest.mark.parametrize("cropping, want", [
    (None, [2, 3]),                # default (1, 1) of 1, 2, 3, 4
    ([1, 0], [2, 3, 4]),           # Keras's cropping[1] == 0 branch: x[:, 1:]
    ([0, 3], [1]),
    (2, []),                       # leaves nothing: refused
])
def test_cropping1d(cropping, want):
    config = {} if cropping is None else {"cropping": cropping}
    if not want:
        with pytest.raises(ValueError):
            run("Cropping1D", config, inputs=[seq(1, 2, 3, 4)])
        return
    outs, masks = run("Cropping1D", config, inputs=[seq(1, 2, 3, 4)])
    assert_close(outs[0], seq(*want))
    assert masks == [None]


def test_up_sampling1d():
    # Each step repeated in place (not the sequence tiled): 1, 2 -> 1, 1, 1, 2, 2, 2.
    outs, masks = run("UpSampling1D", {"size": 3}, inputs=[seq(1, 2)], mask=[[True, False]])
    assert_close(outs[0], seq(1, 1, 1, 2, 2, 2))
    assert masks == [None]
    outs, _ = run("UpSampling1D", {}, inputs=[seq(1, 2)])       # default size 2
    assert_close(outs[0], seq(1, 1, 2, 2))


# -- 2-D and 3-D: ZeroPadding, Cropping, UpSampling ------------------------------------------

def image(rows):
    """A (1, H, W, 1) image from rows of numbers."""
    return [[[[float(v)] for v in row] for row in rows]]


def test_zero_padding2d_pairs_and_channels_first():
    # ((1, 0), (0, 2)) on [[1, 2]]: a zero row before; two zero columns after.
    outs, masks = run("ZeroPadding2D", {"padding": [[1, 0], [0, 2]]}, inputs=[image([[1, 2]])])
    assert_close(outs[0], image([[0, 0, 0, 0], [1, 2, 0, 0]]))
    assert masks == [None]
    # Default 1 on every side; channels_first pads axes 2 and 3 of (1, 1 channel, 1, 1).
    outs, _ = run("ZeroPadding2D", {"data_format": "channels_first"}, inputs=[[[[[5.0]]]]])
    assert_close(outs[0], [[[[0, 0, 0], [0, 5, 0], [0, 0, 0]]]])


def test_cropping3d_and_what_leaves_nothing():
    # (1, 2, 3, 2, 1) holding 0..11 in order; ((0, 1), (1, 1), 0): depth 0, row 1, both columns.
    x = [[[[[float(d * 6 + r * 2 + c)] for c in range(2)] for r in range(3)] for d in range(2)]]
    outs, _ = run("Cropping3D", {"cropping": [[0, 1], [1, 1], [0, 0]]}, inputs=[x])
    assert_close(outs[0], [[[[[2.0], [3.0]]]]])
    with pytest.raises(ValueError):
        run("Cropping3D", {"cropping": [0, 2, 0]}, inputs=[x])     # 3 rows, 2 + 2 cropped


def test_up_sampling2d_nearest_repeats_in_place():
    outs, _ = run("UpSampling2D", {"size": [2, 3]}, inputs=[image([[1, 2]])])
    assert_close(outs[0], image([[1, 1, 1, 2, 2, 2], [1, 1, 1, 2, 2, 2]]))


def test_up_sampling2d_bilinear_half_pixel_centers():
    # Width 2 -> 4: output i reads (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped to
    # [0, 1]: x0, 0.75 x0 + 0.25 x1, 0.25 x0 + 0.75 x1, x1. With [0, 1]: 0, 0.25, 0.75, 1 (what
    # tf.image.resize gives); rows the same (a height of 1 stays the row).
    outs, _ = run("UpSampling2D", {"size": [1, 2], "interpolation": "bilinear"},
                  inputs=[image([[0, 1]])])
    assert_close(outs[0], image([[0, 0.25, 0.75, 1]]))
    # Size 3 on [0, 3]: (i + 0.5) / 3 - 0.5 = -1/3, 0, 1/3, 2/3, 1, 4/3 -> 0, 0, 1, 2, 3, 3,
    # up to the float32 roundings of TensorFlow's kernel (1/3 is not a float32).
    outs, _ = run("UpSampling2D", {"size": [1, 3], "interpolation": "bilinear"},
                  inputs=[image([[0, 3]])])
    np.testing.assert_allclose(outs[0], image([[0, 0, 1, 2, 3, 3]]), rtol=0, atol=1e-6)
    # The kernel computes in float32 even for float64 inputs: 0.1 comes out as float32(0.1).
    outs, _ = run("UpSampling2D", {"size": [1, 2], "interpolation": "bilinear"},
                  inputs=[image([[0.1, 0.1]])])
    assert_close(outs[0], image([[float(np.float32(0.1))] * 4]))


def test_up_sampling3d_and_interpolations_not_read():
    outs, _ = run("UpSampling3D", {"size": [2, 1, 1]}, inputs=[[[[[[1.0]]], [[[2.0]]]]]])
    assert_close(outs[0], [[[[[1.0]]], [[[1.0]]], [[[2.0]]], [[[2.0]]]]])
    with pytest.raises(NotImplementedError):
        run("UpSampling2D", {"interpolation": "bicubic"}, inputs=[image([[0, 1]])])
