"""LayerNormalization.

From keras/src/ops/nn.py (_layer_normalization) and tf_keras/src/layers/normalization/
layer_normalization.py: mean and (biased) variance over `axis`, inv = gamma / sqrt(variance +
epsilon), output x·inv + (beta - mean·inv); with Keras 3's rms_scaling x / sqrt(variance +
epsilon)·gamma. Weights: gamma when scale or rms_scaling, beta when center and not
rms_scaling. Keeps the mask."""

import numpy as np

from ..registry import layer


@layer("LayerNormalization")
def layer_normalization(call):
    cfg, x = call.config, call.x
    axis = cfg.get("axis", -1)
    axes = tuple(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis))
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    rms = cfg.get("rms_scaling", False)
    w = iter(call.weights)
    gamma = next(w).reshape(shape) if cfg.get("scale", True) or rms else None
    beta = next(w).reshape(shape) if cfg.get("center", True) and not rms else None
    eps = cfg.get("epsilon", 1e-3)
    variance = np.var(x, axis=axes, keepdims=True)
    if rms:
        y = x / np.sqrt(variance + eps)
        return [y if gamma is None else y * gamma], [call.previous_mask]
    mean = np.mean(x, axis=axes, keepdims=True)
    inv = 1.0 / np.sqrt(variance + eps)
    if gamma is not None:
        inv = inv * gamma
    res = -mean * inv + (0.0 if beta is None else beta)
    return [x * inv + res], [call.previous_mask]
