"""The per-class registry: Keras class name -> the function that evaluates one call of it.

An entry is a function `entry(call: LayerCall) -> (outputs, masks)`: the layer's outputs in
Keras's order (float64 arrays, or bool for mask ops) and one mask per output (a bool array over
the output's leading axes, or None), which the graph walker hands on to the layers that
consume those outputs. Register it with @layer("ClassName", ...) in a module of
tools/oracle/layers/.
"""

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

Result = Tuple[List[np.ndarray], List[Optional[np.ndarray]]]


@dataclass
class LayerCall:
    """One call of one layer, as the graph walker hands it to the layer's entry."""
    class_name: str                        # the Keras class name ("LSTM", "Dense", ...)
    config: dict                           # the layer's "config" object from the model JSON
    weights: List[np.ndarray]              # float64, in Keras's get_weights() order
    inputs: list                           # the positional inputs (all of a merge layer's)
    mask: Optional[np.ndarray]             # bool (batch, time): the mask this call applies
    initial_state: Optional[list]          # the call's initial_state argument, resolved
    activations: Dict[str, Callable]       # activation name -> float64 function (per Keras)
    keras_major: int = 3                   # 3 (Keras 3) or 2 (tf_keras): where semantics differ
    # Per positional input, the mask it carries into the call (merge layers and models used
    # as layers need every input's); None: the graph walker gives [mask, None, ...].
    input_masks: Optional[list] = None

    @property
    def masks(self):
        """The mask of each positional input (None where unmasked)."""
        if self.input_masks is not None:
            return list(self.input_masks)
        return [self.mask] + [None] * (len(self.inputs) - 1)

    @property
    def x(self):
        """The first positional input."""
        return self.inputs[0]

    def activation(self, key="activation", default="linear"):
        """The float64 function for the activation named by config[key]."""
        return self.activations[self.config.get(key, default)]


LAYERS: Dict[str, Callable[[LayerCall], Result]] = {}


def layer(*class_names):
    """Decorator: register the function as the entry of these Keras class names."""
    def register(fn):
        for name in class_names:
            if name in LAYERS:
                raise ValueError(f"two oracle entries for {name}: {LAYERS[name].__name__} "
                                 f"and {fn.__name__}")
            LAYERS[name] = fn
        return fn
    return register


def call_layer(call: LayerCall) -> Result:
    """Evaluate the call with its class's entry; NotImplementedError names a class that has
    none."""
    entry = LAYERS.get(call.class_name)
    if entry is None:
        raise NotImplementedError(f"no oracle entry for layer class {call.class_name}")
    return entry(call)
