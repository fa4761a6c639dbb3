"""Normalization layers: LayerNormalization, BatchNormalization (inference), Normalization and
UnitNormalization, from keras/src/layers/normalization/*.py and keras/src/ops/nn.py
(_layer_normalization, normalize) for Keras 3, and tf_keras/src/layers/normalization/*.py,
tf_keras/src/layers/preprocessing/normalization.py for Keras 2."""

import numpy as np

from ..activations import BY_KERAS
from ..registry import layer


def is_keras2(call):
    """Whether the file was written by tf_keras (the walker hands each call the activation
    table of the file's Keras version)."""
    return call.activations is BY_KERAS[2]


def axis_list(value):
    """A config `axis`: an int, a list of them, or None / [] (no axis)."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def broadcast_shape(ndim, shape, axes):
    """[1, ..., extent at each axis, ...]: where a parameter over `axes` is reshaped to."""
    out = [1] * ndim
    for a in axes:
        out[a] = shape[a]
    return out


def rsqrt(v):
    return 1.0 / np.sqrt(v)


def batch_normalization(x, mean, variance, offset, scale, epsilon):
    """tf.nn.batch_normalization: inv = rsqrt(variance + epsilon) (* scale);
    x * inv + (offset - mean * inv)."""
    inv = rsqrt(variance + epsilon)
    if scale is not None:
        inv = inv * scale
    return x * inv + (offset - mean * inv if offset is not None else -mean * inv)


@layer("LayerNormalization")
def layer_normalization(call):
    """Keras 3: gamma / beta have the extents of sorted(axis) (Python's sort of the raw list,
    so [1, -1] gives (last, 1)); the op reshapes them to the broadcast shape in flat order.
    mean/variance over the axes; inv = rsqrt(var + eps) * gamma; x * inv + (beta - mean * inv);
    rms_scaling: x * rsqrt(var + eps) * gamma, never centered. tf_keras: the axes in config
    order (made positive); the fused kernel (trailing contiguous axes, eps >= 1.001e-5, float32)
    computes (x - mean) * rsqrt(var + eps) * gamma + beta, otherwise tf.nn.batch_normalization.
    Keeps the mask."""
    cfg, x = call.config, call.x
    ndim = x.ndim
    raw = axis_list(cfg.get("axis", -1))
    axes = sorted(a % ndim for a in raw)
    eps = cfg.get("epsilon", 1e-3)
    rms = cfg.get("rms_scaling", False)
    weights = list(call.weights)
    gamma = weights.pop(0) if cfg.get("scale", True) or rms else None
    beta = weights.pop(0) if cfg.get("center", True) and not rms else None
    shape = broadcast_shape(ndim, x.shape, axes)
    gamma = None if gamma is None else gamma.reshape(shape)
    beta = None if beta is None else beta.reshape(shape)
    mean = x.mean(axis=tuple(axes), keepdims=True)
    var = ((x - mean) ** 2).mean(axis=tuple(axes), keepdims=True)
    if rms:
        y = x * rsqrt(var + eps)
        return [y if gamma is None else y * gamma], [call.previous_mask]
    fused = (is_keras2(call) and axes == list(range(ndim - len(axes), ndim)) and eps >= 1.001e-5
             and cfg.get("dtype", "float32") == "float32")
    if fused:
        y = (x - mean) * rsqrt(var + eps)
        if gamma is not None:
            y = y * gamma
        return [y if beta is None else y + beta], [call.previous_mask]
    return [batch_normalization(x, mean, var, beta, gamma, eps)], [call.previous_mask]


@layer("BatchNormalization")
def batch_norm(call):
    """At inference: tf.nn.batch_normalization with the moving statistics. Weights: gamma (if
    scale), beta (if center), moving_mean, moving_variance, each of the axis extent (tf_keras
    with several axes: the input's rank with 1 on the other axes). Keeps the mask."""
    cfg, x = call.config, call.x
    axes = sorted(a % x.ndim for a in axis_list(cfg.get("axis", -1)))
    weights = list(call.weights)
    gamma = weights.pop(0) if cfg.get("scale", True) else None
    beta = weights.pop(0) if cfg.get("center", True) else None
    mean, var = weights
    shape = broadcast_shape(x.ndim, x.shape, axes)

    def b(v):
        return None if v is None else v.reshape(shape)
    return [batch_normalization(x, b(mean), b(var), b(beta), b(gamma),
                                cfg.get("epsilon", 1e-3))], [call.previous_mask]


@layer("Normalization")
def normalization(call):
    """(x - mean) / max(sqrt(variance), 1e-7), or with invert mean + x * max(...). mean and
    variance have the extents of the kept axes (sorted, made positive): the weights
    [mean, variance, count], or the config's values broadcast to them as numpy does (trailing
    axes first; Keras 3 rounds them to float32 first). Keras 3 keeps the mask; tf_keras's layer
    does not support masking and drops it."""
    cfg, x = call.config, call.x
    keep = sorted(a % x.ndim for a in axis_list(cfg.get("axis", -1)))
    kept = [x.shape[a] for a in keep]
    if cfg.get("mean") is not None:
        # Keras 3 makes tensors of the config's numbers with convert_to_tensor, float32 (also
        # in a float64 model), then casts them; tf_keras multiplies them by np.ones (float64).
        dtype = np.float64 if is_keras2(call) else np.float32
        mean = np.asarray(cfg["mean"], dtype).astype(np.float64) * np.ones(kept)
        var = np.asarray(cfg["variance"], dtype).astype(np.float64) * np.ones(kept)
    else:
        mean, var = call.weights[0], call.weights[1]
    shape = broadcast_shape(x.ndim, x.shape, keep)
    mean, var = mean.reshape(shape), var.reshape(shape)
    scale = np.maximum(np.sqrt(var), 1e-7)
    y = mean + x * scale if cfg.get("invert", False) else (x - mean) / scale
    return [y], [None if is_keras2(call) else call.previous_mask]


@layer("UnitNormalization")
def unit_normalization(call):
    """Keras 3 (ops.normalize, order 2): x * min(rsqrt(sum x^2), 1 / 1e-12). tf_keras
    (tf.math.l2_normalize): x * rsqrt(max(sum x^2, 1e-12)). Keeps the mask."""
    x = call.x
    axes = tuple(sorted(a % x.ndim for a in axis_list(call.config.get("axis", -1))))
    squares = np.sum(x * x, axis=axes, keepdims=True)
    if is_keras2(call):
        inv = rsqrt(np.maximum(squares, 1e-12))
    else:
        with np.errstate(divide="ignore"):
            inv = np.minimum(rsqrt(squares), 1.0 / 1e-12)
    return [x * inv], [call.previous_mask]
