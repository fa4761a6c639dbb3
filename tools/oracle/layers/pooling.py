"""Global pooling over time: GlobalMaxPooling1D and GlobalAveragePooling1D (channels_last).

GlobalAveragePooling1D takes a mask (`keras/src/layers/pooling/global_average_pooling1d.py`,
`tf_keras/.../global_average_pooling1d.py`): the mean over the unmasked steps (Keras 3
`where(mask, x, 0)`, tf.keras `x * mask`, then the sum over the mask's count). Max pooling
ignores the mask. Neither passes a mask on."""

import numpy as np

from ..registry import layer


def _check(call):
    if call.config.get("data_format", "channels_last") != "channels_last":
        raise NotImplementedError("channels_first global pooling")


@layer("GlobalMaxPooling1D")
def global_max_pooling_1d(call):
    _check(call)
    return [np.max(call.x, axis=1, keepdims=call.config.get("keepdims", False))], [None]


@layer("GlobalAveragePooling1D")
def global_average_pooling_1d(call):
    _check(call)
    keep = call.config.get("keepdims", False)
    if call.mask is None:
        return [np.mean(call.x, axis=1, keepdims=keep)], [None]
    m = np.asarray(call.mask, bool)[:, :, None]
    total = np.sum(np.where(m, call.x, 0.0), axis=1, keepdims=keep)
    return [total / np.sum(m.astype(np.float64), axis=1, keepdims=keep)], [None]
