"""Pooling: MaxPooling{1,2,3}D, AveragePooling{1,2,3}D, GlobalMaxPooling{1,2,3}D,
GlobalAveragePooling{1,2,3}D.

From keras/src/layers/pooling/*.py and keras/src/backend/tensorflow/nn.py (Keras 3: ops.max_pool
/ ops.average_pool are tf.nn.max_pool / tf.nn.avg_pool, channels_first transposed to
channels_last and back) and tf_keras/src/layers/pooling/*.py (Keras 2: backend.pool2d /
tf.nn.*_pool). TensorFlow's windows: "valid" takes floor((n - k) / s) + 1 windows wholly
inside the input; "same" takes ceil(n / s) windows over an input padded with
max((out - 1) * s + k - n, 0) steps, the smaller half before; padded elements never take part
(a max ignores them, an average divides by the elements its window covers).

Only GlobalAveragePooling1D supports masking (Keras 2 and 3): sum over kept steps / number of
kept steps, and its output mask is None; the others drop the mask. Keras 3 zeroes masked steps
with ops.where, tf_keras multiplies by the mask (so inf or NaN at a masked step gives NaN); a
fully masked row is 0 / 0 = NaN in both."""

import itertools

import numpy as np

from ..registry import layer


def _tuple(value, n):
    return (value,) * n if isinstance(value, int) else tuple(value)


def _windows(n, k, s, padding):
    """[(start, stop)] of each window along one axis of n elements, clipped to the input."""
    if padding == "valid":
        count, before = ((n - k) // s + 1 if n >= k else 0), 0
    elif padding == "same":
        count = -(-n // s)
        before = max((count - 1) * s + k - n, 0) // 2
    else:
        raise ValueError(f"pooling padding {padding!r}")
    if count < 1:
        raise ValueError(f"pool {k} is larger than the {n} elements it gets (valid padding)")
    return [(max(i * s - before, 0), min(i * s - before + k, n)) for i in range(count)]


def _channels_last(call):
    """The input with its channels last, and the function that puts them back."""
    x = call.x
    if call.config.get("data_format") == "channels_first":
        back = (0, x.ndim - 1, *range(1, x.ndim - 1))
        return np.moveaxis(x, 1, -1), lambda y: np.transpose(y, back)
    return x, lambda y: y


@layer("MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
       "AveragePooling1D", "AveragePooling2D", "AveragePooling3D")
def pooling(call):
    x, restore = _channels_last(call)
    dims = x.ndim - 2
    cfg = call.config
    pool = _tuple(cfg.get("pool_size", 2), dims)
    strides = _tuple(cfg.get("strides") or pool, dims)
    padding = cfg.get("padding", "valid").lower()
    axes = [_windows(x.shape[1 + d], pool[d], strides[d], padding) for d in range(dims)]
    reduce = np.max if call.class_name.startswith("Max") else np.mean
    out = np.empty((x.shape[0], *(len(a) for a in axes), x.shape[-1]))
    for index in itertools.product(*(range(len(a)) for a in axes)):
        window = (slice(None),) + tuple(slice(*axes[d][i]) for d, i in enumerate(index))
        out[(slice(None), *index)] = reduce(x[window], axis=tuple(range(1, dims + 1)))
    return [restore(out)], [None]


@layer("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
       "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D")
def global_pooling(call):
    x = call.x
    first = call.config.get("data_format") == "channels_first"
    axes = tuple(range(2, x.ndim)) if first else tuple(range(1, x.ndim - 1))
    keep = call.config.get("keepdims", False)
    if call.class_name.startswith("GlobalMax"):
        return [np.max(x, axis=axes, keepdims=keep)], [None]
    if call.mask is None or call.class_name != "GlobalAveragePooling1D":
        return [np.mean(x, axis=axes, keepdims=keep)], [None]
    m = np.expand_dims(call.mask, 1 if first else 2)
    with np.errstate(invalid="ignore", divide="ignore"):    # inf * 0; a fully masked row 0 / 0
        kept = np.where(m, x, 0.0) if call.keras_major >= 3 else x * m.astype(np.float64)
        return [np.sum(kept, axis=axes, keepdims=keep)
                / np.sum(m.astype(np.float64), axis=axes, keepdims=keep)], [None]
