"""Core layers: Dense, Embedding, Masking, Activation, and the layers that are the identity at
inference (dropout, noise, activity regularization)."""

import numpy as np

from ..registry import layer


@layer("Dense")
def dense(call):
    """x @ kernel (+ bias), then the activation; on the last axis of any rank. Keeps the mask
    (the one it was called with, else the one its input carries)."""
    y = call.x @ call.weights[0] + (call.weights[1] if call.config.get("use_bias", True) else 0.0)
    return [call.activation()(y)], [call.previous_mask]


@layer("Embedding")
def embedding(call):
    """Rows of the table for integer ids; with mask_zero, id 0 is masked."""
    ids = np.asarray(call.x).astype(np.int64)
    return [call.weights[0][ids]], [ids != 0 if call.config.get("mask_zero", False) else None]


@layer("Masking")
def masking(call):
    """A step is masked when every feature equals mask_value; masked steps become 0: Keras 3
    with ``where(mask, x, 0)`` (keras/src/layers/core/masking.py), tf.keras by multiplying with
    the mask (tf_keras/src/layers/core/masking.py), which turns an infinity into NaN."""
    m = np.any(call.x != call.config.get("mask_value", 0.0), axis=-1)
    if call.keras_major >= 3:
        return [np.where(m[..., None], call.x, 0.0)], [m]
    return [call.x * m[..., None]], [m]


@layer("Activation")
def activation(call):
    return [call.activation()(call.x)], [call.previous_mask]


@layer("Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
       "ActivityRegularization")
def identity(call):
    """Layers that only act in training: the identity at inference."""
    return [call.x], [call.previous_mask]
