"""Merge layers: several tensors of one shape into one (Concatenate: along an axis).

Output masks, from keras/src/layers/merging/{base_merge,concatenate}.py and tf_keras's copies:
the element-wise merges give None when any input (Keras 3) / every input (Keras 2) carries
none, else the OR (Keras 3) / AND of the inputs' masks (Keras 2). Concatenate gives None when
no input carries a mask; otherwise each input contributes its mask (all True without one) and
the masks, concatenated along the axis, are reduced over the last axis with any (Keras 3) /
all (Keras 2)."""

import functools

import numpy as np

from ..registry import layer

_ELEMENTWISE = {
    "Add": sum,
    "Subtract": lambda xs: xs[0] - xs[1],
    "Multiply": lambda xs: functools.reduce(np.multiply, xs),
    "Average": lambda xs: sum(xs) / len(xs),
    "Maximum": lambda xs: functools.reduce(np.maximum, xs),
    "Minimum": lambda xs: functools.reduce(np.minimum, xs),
}


def _masks(call):
    return call.input_masks or [None] * len(call.inputs)


@layer(*_ELEMENTWISE)
def elementwise(call):
    masks = _masks(call)
    if call.keras_major >= 3:
        mask = None if any(m is None for m in masks) else functools.reduce(np.logical_or, masks)
    else:
        given = [m for m in masks if m is not None]
        mask = functools.reduce(np.logical_and, given) if given else None
    return [_ELEMENTWISE[call.class_name](call.inputs)], [mask]


@layer("Concatenate")
def concatenate(call):
    axis = call.config.get("axis", -1)
    out = np.concatenate(call.inputs, axis=axis)
    masks = _masks(call)
    if all(m is None for m in masks):
        return [out], [None]
    parts = []
    for x, m in zip(call.inputs, masks):
        if m is None:
            parts.append(np.ones(x.shape, bool))
        elif m.ndim < x.ndim:
            m = m[..., None]
            parts.append(m | np.zeros(x.shape, bool) if call.keras_major >= 3 else m)
        else:
            parts.append(m)
    joined = np.concatenate(parts, axis=axis)
    return [out], [joined.any(axis=-1) if call.keras_major >= 3 else joined.all(axis=-1)]
