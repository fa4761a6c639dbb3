"""The per-class registry: Keras class name -> the function that evaluates one call of it.

An entry is a function `entry(call: LayerCall) -> (outputs, masks)`: the layer's outputs in
Keras's order (float64 arrays, or bool for mask ops) and one mask per output (a bool array over
the output's leading axes, or None), which the graph walker hands on to the layers that
consume those outputs. Register it with @layer("ClassName", ...) in a module of
tools/oracle/layers/.

An entry may also set `call.clears_input_masks`: Keras erases the masks its input tensors carry
once the call has read them (Keras 3 MultiHeadAttention: `set_keras_mask(query, None)`), so
every later reader of those tensors sees none.
"""

from dataclasses import dataclass, field
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
    keras_major: int = 3                   # 2 (the file was written by tf_keras) or 3
    # An op's call as its node records it, tensors replaced by their values: Keras 3 op nodes
    # (args of `call`) and tf.keras op layers (the first argument in its structure). None for
    # layers.
    args: Optional[list] = None
    # The masks Keras attaches to the input tensors (`_keras_mask`) when the call runs, one per
    # entry of `inputs` (None: no mask); what a layer reads when its config records no mask.
    input_masks: Optional[list] = None
    # The call's other arguments (Keras 3 node kwargs; tf_keras call kwargs), tensors resolved
    # to their values: {"value": array, "use_causal_mask": True, "mask": [...], ...}.
    kwargs: dict = field(default_factory=dict)
    # The masks the tensors among `kwargs` carry, by argument name.
    kwarg_masks: dict = field(default_factory=dict)
    # Set by the entry: Keras clears the masks of the call's input tensors.
    clears_input_masks: bool = False

    @property
    def x(self):
        """The first positional input."""
        return self.inputs[0]

    @property
    def masks(self):
        """The mask each positional input brings into the call (merge layers, models used as
        layers): where the call's mask argument gives one (one per input when it is a list,
        else the first input's), that one, else the mask the input carries (`input_masks`).
        Keras 3 `Functional.call` sets only the masks it is given on its inputs; tf.keras
        passes the carried masks as the call's mask when none is given."""
        n = len(self.inputs)
        carried = list(self.input_masks) if self.input_masks is not None else [None] * n
        carried += [None] * (n - len(carried))
        given = list(self.mask) if isinstance(self.mask, list) else [self.mask]
        given += [None] * (n - len(given))
        return [g if g is not None else c for g, c in zip(given, carried)]

    @property
    def previous_mask(self):
        """The mask Keras hands to compute_mask: the call's mask, else the one its first input
        carries. A layer that keeps masks gives its output this one."""
        if self.mask is not None:
            return self.mask
        return self.input_masks[0] if self.input_masks else None

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


# Keras 3 op classes (`module` keras.src.ops.*): a separate table, because several share a
# class name with a layer (Add, Concatenate, Softmax, ...) and are called differently.
OPS: Dict[str, Callable[[LayerCall], Result]] = {}


def op(*class_names):
    """Decorator: register fn(config, *args, **kwargs) -> value as the entry of these Keras 3
    op classes; it is called with the op's config and the node's arguments, as Keras calls
    `Operation.call`. Ops carry no masks."""
    def register(fn):
        def entry(call):
            return [fn(call.config, *call.args, **call.kwargs)], [None]
        for name in class_names:
            if name in OPS:
                raise ValueError(f"two oracle entries for op {name}")
            OPS[name] = entry
        return fn
    return register


def call_op(call: LayerCall) -> Result:
    """Evaluate a Keras 3 op node; NotImplementedError names an op that has no entry."""
    entry = OPS.get(call.class_name)
    if entry is None:
        raise NotImplementedError(f"no oracle entry for op {call.class_name}")
    return entry(call)


def call_layer(call: LayerCall) -> Result:
    """Evaluate the call with its class's entry; NotImplementedError names a class that has
    none."""
    entry = LAYERS.get(call.class_name)
    if entry is None:
        raise NotImplementedError(f"no oracle entry for layer class {call.class_name}")
    return entry(call)
