"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax and tf_keras's ThresholdedReLU, from
keras/src/layers/activations/*.py and keras/src/activations/activations.py (ReLU.static_call)
for Keras 3, tf_keras/src/layers/activation/*.py and tf_keras/src/backend.py (relu, elu) for
Keras 2. Every one keeps the mask it receives."""

import numpy as np

from ..registry import layer
from .normalization import axis_list, is_keras2


def f32(v):
    """TensorFlow's LeakyRelu takes its slope as a float32 op attribute, also for float64
    tensors (the float64 reference carries that rounding)."""
    return float(np.float32(v))


def leaky(x, slope):
    """tf.nn.leaky_relu: x where x > 0, else slope * x."""
    return np.where(x > 0, x, f32(slope) * x)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras 3's ReLU.static_call and tf_keras's backend.relu (the same steps): the leaky_relu
    op when only a slope is given; else x where x > threshold (else 0), or relu6 when
    max_value is 6, or relu; clipped to [0, max_value]; minus slope * relu(-x + threshold).
    Keras 3 compares with threshold and clips at max_value after ops.cast(), which makes a
    float32 tensor of the Python number first (also in a float64 model); -x + threshold and
    the slope use the number itself. tf_keras's config holds float32 numbers already."""
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return leaky(x, negative_slope)
        negative = np.maximum(-x + threshold, 0.0) if threshold != 0 else np.maximum(-x, 0.0)
    clip = max_value is not None
    if threshold != 0:
        x = np.where(x > f32(threshold), x, 0.0)
    elif max_value == 6:
        x = np.clip(x, 0.0, 6.0)
        clip = False
    else:
        x = np.maximum(x, 0.0)
    if clip:
        x = np.clip(x, 0.0, f32(max_value))
    if negative_slope != 0.0:
        x = x - negative_slope * negative
    return x


@layer("ReLU")
def relu_layer(call):
    cfg = call.config
    return [relu(call.x, cfg.get("negative_slope", 0.0), cfg.get("max_value"),
                 cfg.get("threshold", 0.0))], [call.previous_mask]


@layer("LeakyReLU")
def leaky_relu_layer(call):
    """Keras 3: negative_slope (default 0.3; `alpha` if given wins). tf_keras: alpha (default
    0.3) through backend.relu, whose plain relu path takes alpha 0."""
    cfg = call.config
    slope = cfg.get("alpha", cfg.get("negative_slope", 0.3))
    return [relu(call.x, slope) if is_keras2(call) else leaky(call.x, slope)], [call.previous_mask]


@layer("ThresholdedReLU")
def thresholded_relu(call):
    """tf_keras: x * cast(x > theta) (theta default 1.0)."""
    x = call.x
    return [x * (x > call.config.get("theta", 1.0))], [call.previous_mask]


@layer("PReLU")
def prelu(call):
    """relu(x) - alpha * relu(-x); alpha has the input's shape without the batch axis, with 1
    on each of shared_axes."""
    x, alpha = call.x, call.weights[0]
    return [np.maximum(x, 0.0) + (-alpha * np.maximum(-x, 0.0))], [call.previous_mask]


@layer("ELU")
def elu(call):
    """tf.nn.elu (expm1(x) where x < 0), then where(x > 0, res, alpha * res) unless alpha is 1."""
    x, alpha = call.x, call.config.get("alpha", 1.0)
    res = np.where(x < 0, np.expm1(np.minimum(x, 0.0)), x)
    return [res if alpha == 1 else np.where(x > 0, res, alpha * res)], [call.previous_mask]


def softmax(x, axes):
    """tf.nn.softmax over one axis; over several, exp(x - reduce_logsumexp(x)) as the layer
    computes it (reduce_logsumexp shifts by the max where it is finite, else by 0)."""
    if len(axes) == 1:
        e = np.exp(x - x.max(axis=axes[0], keepdims=True))
        return e / e.sum(axis=axes[0], keepdims=True)
    raw_max = x.max(axis=tuple(axes), keepdims=True)
    shift = np.where(np.isfinite(raw_max), raw_max, 0.0)
    lse = np.log(np.sum(np.exp(x - shift), axis=tuple(axes), keepdims=True)) + shift
    return np.exp(x - lse)


@layer("Softmax")
def softmax_layer(call):
    """With a mask (broadcast to the input as numpy does): Keras 3 puts -1e9 where it is False,
    and zeroes those positions after the softmax; tf_keras adds (1 - mask) * -1e9 and does not
    zero (robust_masking: where(mask, x, -1e9), no zeroing)."""
    cfg, x = call.config, call.x
    axes = [a % x.ndim for a in axis_list(cfg.get("axis", -1))]
    mask = call.mask
    if mask is not None:
        mask = np.broadcast_to(mask, x.shape)
        if is_keras2(call) and not cfg.get("robust_masking", False):
            x = x + (1.0 - mask) * -1e9
        else:
            x = np.where(mask, x, -1e9)
    y = softmax(x, axes)
    if mask is not None and not is_keras2(call):
        y = np.where(mask, y, 0.0)
    return [y], [call.previous_mask]
