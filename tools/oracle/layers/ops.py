"""Keras 3 op nodes: functional configs record the ops that compute masks as pseudo-layers with
no weights: NotEqual, Any and Cast (Masking, Embedding(mask_zero), an explicit mask), and the
ops of the merge layers' compute_mask (LogicalOr; for Concatenate ExpandDims, ZerosLike,
OnesLike, Concatenate and Any). They are registered as "ops.<ClassName>": the graph walker
calls op nodes by that name, so that the Concatenate op and the Concatenate layer differ."""

import numpy as np

from ..registry import layer


@layer("ops.NotEqual")
def not_equal(call):
    return [np.not_equal(call.inputs[0], call.inputs[1])], [None]


@layer("ops.Any")
def any_(call):
    cfg = call.config
    return [np.any(call.x, axis=cfg.get("axis"), keepdims=cfg.get("keepdims", False))], [None]


@layer("ops.Cast")
def cast(call):
    return [np.asarray(call.x).astype(np.dtype(call.config["dtype"]))], [None]


@layer("ops.LogicalOr")
def logical_or(call):
    return [np.logical_or(call.inputs[0], call.inputs[1])], [None]


@layer("ops.ExpandDims")
def expand_dims(call):
    return [np.expand_dims(call.x, call.config["axis"])], [None]


def _like(call, value):
    dtype = call.config.get("dtype")
    x = np.asarray(call.x)
    return [np.full(x.shape, value, dtype=np.dtype(dtype) if dtype else x.dtype)], [None]


@layer("ops.ZerosLike")
def zeros_like(call):
    return _like(call, 0)


@layer("ops.OnesLike")
def ones_like(call):
    return _like(call, 1)


@layer("ops.Concatenate")
def concatenate_op(call):
    return [np.concatenate(call.inputs, axis=call.config.get("axis", 0))], [None]
