"""Calling one oracle entry directly, the way the graph walker does."""

import numpy as np

from .. import layers  # noqa: F401  (registers every entry)
from ..activations import BY_KERAS
from ..registry import LayerCall, call_layer


def arr(v):
    return np.asarray(v, dtype=np.float64)


def bools(m):
    """A mask (nested lists of booleans) as a bool array; None stays None."""
    return None if m is None else np.asarray(m, bool)


def make_call(class_name, config, weights=(), inputs=(), mask=None, initial_state=None,
              keras=3, input_masks=None, kwargs=None, kwarg_masks=None):
    """The LayerCall the graph walker would make; weights and inputs as nested lists, masks as
    nested lists of booleans; kwargs values as given (tensors as nested lists are arrays)."""
    return LayerCall(
        class_name=class_name, config=config, weights=[arr(w) for w in weights],
        inputs=[arr(x) for x in inputs],
        mask=[bools(m) for m in mask] if isinstance(mask, tuple) else bools(mask),
        initial_state=None if initial_state is None else [arr(s) for s in initial_state],
        activations=BY_KERAS[keras], keras_major=keras,
        input_masks=[bools(m) for m in (input_masks or [None] * len(inputs))],
        kwargs={k: (arr(v) if isinstance(v, list) else v) for k, v in (kwargs or {}).items()},
        kwarg_masks={k: bools(m) for k, m in (kwarg_masks or {}).items()})


def run(class_name, config, weights=(), inputs=(), mask=None, initial_state=None, keras=3,
        **extra):
    """(outputs, masks) of one call of class_name with config (see make_call)."""
    return call_layer(make_call(class_name, config, weights, inputs, mask, initial_state, keras,
                                **extra))


def assert_close(got, want):
    """Equal to 1e-12: the hand-derived values are exact decimals, the oracle's are float64."""
    np.testing.assert_allclose(np.asarray(got), arr(want), rtol=0, atol=1e-12)


def seq(*values):
    """A batch of one sequence of one feature: seq(1, 2) is [[[1.0], [2.0]]] (1, 2, 1)."""
    return [[[float(v)] for v in values]]
