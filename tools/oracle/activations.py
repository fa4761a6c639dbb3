"""Element-wise activations by the names Keras saves, in float64.

BY_KERAS = {2: ..., 3: ...}: the table for a file written by tf_keras (Keras 2) or Keras 3.
They differ only in hard_sigmoid: Keras 3's is relu6(x + 3) / 6, Keras 2's clip(0.2x + 0.5).
"""

import math

import numpy as np


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(0.0, x)


_erfc = np.vectorize(math.erfc, otypes=[np.float64])
# TensorFlow evaluates two constants in float32 even for float64 tensors, and the float64
# reference (Keras itself) carries that: tf.nn.gelu(approximate=False) is
# 0.5 * x * erfc(-x * cast(0.7071067811865476)) with the Python constant turned into a float32
# tensor first, and LeakyRelu's alpha is a float32 op attribute. (5e-9 in float64; nothing in
# float32.)
_GELU_C = float(np.float32(0.7071067811865476))
_LEAKY_ALPHA = float(np.float32(0.2))
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _hard_sigmoid3(x):
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)          # Keras 3: relu6(x + 3) / 6


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


KERAS3 = {
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "hard_sigmoid": _hard_sigmoid3,
    "relu": lambda x: np.maximum(x, 0.0),
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "linear": lambda x: x,
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "selu": lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0.0))),
    "softplus": _softplus,
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * _erfc(-x * _GELU_C),          # approximate=False (exact)
    "exponential": np.exp,
    "leaky_relu": lambda x: np.where(x >= 0, x, _LEAKY_ALPHA * x),   # negative_slope 0.2
    "hard_silu": lambda x: x * _hard_sigmoid3(x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "log_sigmoid": lambda x: -_softplus(-x),
    "hard_tanh": lambda x: np.clip(x, -1.0, 1.0),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0.0)),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0.0),
    "sparse_plus": lambda x: np.where(x <= -1, 0.0, np.where(x < 1, 0.25 * (x + 1) ** 2, x)),
    "sparse_sigmoid": lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, 1.0, 0.5 * (x + 1))),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4.0)) / 2.0,
    "celu": lambda x: np.maximum(x, 0.0) + np.expm1(np.minimum(x, 0.0)),
    "softmax": _softmax,
}
KERAS3["swish"] = KERAS3["silu"]
KERAS3["hard_swish"] = KERAS3["hard_silu"]
KERAS2 = dict(KERAS3, hard_sigmoid=lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0))

BY_KERAS = {2: KERAS2, 3: KERAS3}
