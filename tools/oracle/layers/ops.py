"""Keras 3 op nodes: functional configs record the ops that compute masks (NotEqual, Any,
Cast) as pseudo-layers with no weights."""

import numpy as np

from ..registry import layer


@layer("NotEqual")
def not_equal(call):
    return [np.not_equal(call.inputs[0], call.inputs[1])], [None]


@layer("Any")
def any_(call):
    cfg = call.config
    return [np.any(call.x, axis=cfg.get("axis"), keepdims=cfg.get("keepdims", False))], [None]


@layer("Cast")
def cast(call):
    return [np.asarray(call.x).astype(np.dtype(call.config["dtype"]))], [None]
