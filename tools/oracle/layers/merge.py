"""Merge layers: several tensors of one shape into one (Concatenate: along an axis).

Their output mask is None: no fixture merges masked tensors yet (Keras would AND the masks)."""

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


@layer(*_ELEMENTWISE)
def elementwise(call):
    return [_ELEMENTWISE[call.class_name](call.inputs)], [None]


@layer("Concatenate")
def concatenate(call):
    return [np.concatenate(call.inputs, axis=call.config.get("axis", -1))], [None]
