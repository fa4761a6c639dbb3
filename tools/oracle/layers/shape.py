"""Shape layers: Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D/2D/3D,
Cropping1D/2D/3D, UpSampling1D/2D/3D. They move elements without computing, and none supports masking in Keras 2 or 3
(no compute_mask, supports_masking False): the mask that arrives is dropped.

From keras/src/layers/reshaping/*.py (Keras 3) and tf_keras/src/layers/reshaping/*.py; where
the two differ it is in what a config may hold (tf_keras's ZeroPadding1D has no data_format),
not in what a config computes."""

import numpy as np

from ..registry import layer


def _pair(value, default):
    """Keras's standardize_tuple(value, 2): an int n is (n, n)."""
    if value is None:
        value = default
    return (value, value) if isinstance(value, int) else tuple(value)


@layer("Flatten")
def flatten(call):
    """channels_first (rank > 1): axis 1 moved last, (0, 2, ..., r-1, 1); then (batch, -1).
    A (batch,) input becomes (batch, 1)."""
    x = call.x
    if call.config.get("data_format") == "channels_first" and x.ndim > 1:
        x = np.transpose(x, (0, *range(2, x.ndim), 1))
    return [x.reshape(x.shape[0], -1)], [None]


@layer("Reshape")
def reshape(call):
    """(batch, *target_shape), one -1 inferred from the element count."""
    return [call.x.reshape((call.x.shape[0], *call.config["target_shape"]))], [None]


@layer("Permute")
def permute(call):
    """transpose(x, (0, *dims)); dims count from 1."""
    return [np.transpose(call.x, (0, *call.config["dims"]))], [None]


@layer("RepeatVector")
def repeat_vector(call):
    """(batch, features) -> (batch, n, features)."""
    return [np.repeat(call.x[:, None, :], call.config["n"], axis=1)], [None]


@layer("ZeroPadding1D")
def zero_padding1d(call):
    """Zeros before and after the steps axis: 1 (channels_last) or 2 (channels_first,
    Keras 3 only); padding defaults to 1."""
    before, after = _pair(call.config.get("padding"), 1)
    axis = 2 if call.config.get("data_format") == "channels_first" else 1
    widths = [(0, 0)] * call.x.ndim
    widths[axis] = (before, after)
    return [np.pad(call.x, widths)], [None]


@layer("Cropping1D")
def cropping1d(call):
    """x[:, before : steps - after, :]; Keras refuses before + after >= steps."""
    before, after = _pair(call.config.get("cropping"), 1)
    steps = call.x.shape[1]
    if before + after >= steps:
        raise ValueError(f"Cropping1D cropping {(before, after)} leaves nothing of {steps} steps")
    return [call.x[:, before:steps - after, :]], [None]


@layer("UpSampling1D")
def up_sampling1d(call):
    """Each step repeated `size` times (default 2), in place: [a, b] -> [a, a, b, b]."""
    return [np.repeat(call.x, call.config.get("size", 2), axis=1)], [None]


def _spatial_pairs(value, dims, default):
    """Keras's padding / cropping of a 2-D or 3-D layer as (before, after) per spatial axis:
    an int for every side, one int per axis (both sides), or a pair per axis."""
    if value is None:
        value = default
    if isinstance(value, int):
        return [(value, value)] * dims
    return [(v, v) if isinstance(v, int) else tuple(v) for v in value]


def _spatial_last(call):
    """The input with its channels last, and the function that puts them back (channels_first:
    axis 1 is the channels)."""
    x = call.x
    if call.config.get("data_format") == "channels_first":
        back = (0, x.ndim - 1, *range(1, x.ndim - 1))
        return np.moveaxis(x, 1, -1), lambda y: np.transpose(y, back)
    return x, lambda y: y


@layer("ZeroPadding2D", "ZeroPadding3D")
def zero_padding(call):
    """Zeros before and after each spatial axis (padding defaults to 1 everywhere)."""
    x, back = _spatial_last(call)
    pads = _spatial_pairs(call.config.get("padding"), x.ndim - 2, 1)
    return [back(np.pad(x, [(0, 0)] + pads + [(0, 0)]))], [None]


@layer("Cropping2D", "Cropping3D")
def cropping(call):
    """x[:, before : n - after, ...] on each spatial axis (cropping defaults to 0); Keras refuses
    a cropping that leaves nothing."""
    x, back = _spatial_last(call)
    crops = _spatial_pairs(call.config.get("cropping"), x.ndim - 2, 0)
    index = [slice(None)]
    for (before, after), n in zip(crops, x.shape[1:-1]):
        if before + after >= n:
            raise ValueError(f"{call.class_name} cropping {(before, after)} leaves nothing of {n}")
        index.append(slice(before, n - after))
    return [back(x[tuple(index) + (slice(None),)])], [None]


def _bilinear_weights(n, scale):
    """TensorFlow's ResizeBilinear interpolation weights for one axis of n grown scale times
    (half-pixel centers, no antialias), in float32 as its kernel computes them: output i reads
    the input at in = (i + 0.5) * (n / (n * scale)) - 0.5, between max(floor(in), 0) and
    min(ceil(in), n - 1), weighted by in - floor(in)."""
    f = np.float32
    ratio = f(n) / f(n * scale)
    pos = (np.arange(n * scale, dtype=f) + f(0.5)) * ratio - f(0.5)
    lo_f = np.floor(pos)
    lo = np.maximum(lo_f.astype(int), 0)
    hi = np.minimum(np.ceil(pos).astype(int), n - 1)
    return lo, hi, (pos - lo_f).astype(f)


def _bilinear(y, size):
    """tf.image.resize(method="bilinear") of (batch, rows, cols, channels) by whole factors.
    TensorFlow's ResizeBilinear kernel always computes in float32 (also for a float64 model,
    whose float64 reference therefore carries float32 roundings here):
    top = tl + (tr - tl) * x_lerp, bottom = bl + (br - bl) * x_lerp, top + (bottom - top) * y_lerp."""
    y = y.astype(np.float32)
    ylo, yhi, yl = _bilinear_weights(y.shape[1], size[0])
    xlo, xhi, xl = _bilinear_weights(y.shape[2], size[1])
    xl = xl[None, None, :, None]
    yl = yl[None, :, None, None]
    top_rows, bottom_rows = y[:, ylo], y[:, yhi]
    top = top_rows[:, :, xlo] + (top_rows[:, :, xhi] - top_rows[:, :, xlo]) * xl
    bottom = bottom_rows[:, :, xlo] + (bottom_rows[:, :, xhi] - bottom_rows[:, :, xlo]) * xl
    return (top + (bottom - top) * yl).astype(np.float64)


@layer("UpSampling2D", "UpSampling3D")
def up_sampling(call):
    """Each spatial axis scaled by its size (default 2): nearest repeats each element in place
    (ops.repeat; tf_keras's nearest-neighbour resize is the same for whole factors); bilinear
    (UpSampling2D) resizes as tf.image.resize, in float32 like TensorFlow's kernel."""
    x, back = _spatial_last(call)
    dims = x.ndim - 2
    size = call.config.get("size", 2)
    size = (size,) * dims if isinstance(size, int) else tuple(size)
    how = call.config.get("interpolation", "nearest")
    if how == "bilinear" and dims == 2:
        return [back(_bilinear(x, size))], [None]
    if how != "nearest":
        raise NotImplementedError(f"{call.class_name} interpolation {how!r}")
    y = x
    for d in range(dims):
        y = np.repeat(y, size[d], axis=1 + d)
    return [back(y)], [None]
