"""Calling one oracle entry directly, the way the graph walker does."""

import numpy as np

from .. import layers  # noqa: F401  (registers every entry)
from ..activations import BY_KERAS
from ..registry import LayerCall, call_layer


def arr(v):
    return np.asarray(v, dtype=np.float64)


def run(class_name, config, weights=(), inputs=(), mask=None, initial_state=None, keras=3,
        masks=None):
    """(outputs, masks) of one call of class_name with config; weights and inputs as nested
    lists, mask as a (batch, time) list of booleans; masks: the mask each input carries (merge
    layers), None for [mask, None, ...]."""
    def as_mask(m):
        return None if m is None else np.asarray(m, bool)
    return call_layer(LayerCall(
        class_name=class_name, config=config, weights=[arr(w) for w in weights],
        inputs=[arr(x) for x in inputs], mask=as_mask(mask),
        initial_state=None if initial_state is None else [arr(s) for s in initial_state],
        activations=BY_KERAS[keras], keras_major=keras,
        input_masks=None if masks is None else [as_mask(m) for m in masks]))


def assert_close(got, want):
    """Equal to 1e-12: the hand-derived values are exact decimals, the oracle's are float64."""
    np.testing.assert_allclose(np.asarray(got), arr(want), rtol=0, atol=1e-12)


def seq(*values):
    """A batch of one sequence of one feature: seq(1, 2) is [[[1.0], [2.0]]] (1, 2, 1)."""
    return [[[float(v)] for v in values]]
