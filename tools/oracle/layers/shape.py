"""Shape layers: Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D, Cropping1D,
UpSampling1D. They move elements without computing, and none supports masking in Keras 2 or 3
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
