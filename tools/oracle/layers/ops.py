"""Keras 3 op nodes: functional configs record the ops that compute masks (NotEqual, Any,
Cast, ConvertToTensor, LogicalOr) as pseudo-layers with no weights."""

import numpy as np

from ..registry import layer


@layer("NotEqual")
def not_equal(call):
    return [np.not_equal(call.inputs[0], call.inputs[1])], [None]


@layer("LogicalOr")
def logical_or(call):
    """Merge layers' compute_mask ORs their inputs' masks (Keras 3)."""
    return [np.logical_or(call.inputs[0], call.inputs[1])], [None]


@layer("Any")
def any_(call):
    cfg = call.config
    return [np.any(call.x, axis=cfg.get("axis"), keepdims=cfg.get("keepdims", False))], [None]


@layer("Cast")
def cast(call):
    return [np.asarray(call.x).astype(np.dtype(call.config["dtype"]))], [None]


@layer("ConvertToTensor")
def convert_to_tensor(call):
    """ops.convert_to_tensor (Attention's compute_mask returns one): the value, cast when the
    node names a dtype."""
    dtype = call.config.get("dtype")
    x = np.asarray(call.x)
    return [x if dtype is None else x.astype(np.dtype(dtype))], [None]
