"""Walking a model's graph: which layer is called on which values, with which mask.

Sequential models run their layers in order; a layer's mask is the one its predecessor
produced (implicit propagation). Functional models run every inbound node of every layer in
config order (Keras writes them topologically sorted) and resolve each argument to the value
(and mask) a node produced earlier. Every value carries the mask its layer gave it (Keras's
`_keras_mask`):

* Keras 3 nodes are {"args": [...], "kwargs": {...}} with tensors written as
  {"class_name": "__keras_tensor__", "config": {"keras_history": [layer, node, index]}}.
  Keras 3 records the mask a layer was called with as kwargs.mask (Masking and
  Embedding(mask_zero) appear as NotEqual / Any op nodes feeding it), and that is the mask
  the call gets. Without one (or with null), `Layer.__call__` fills the mask argument from
  the masks the tensor carries when the call has exactly one tensor argument (step 6 of
  `Layer.__call__`): a layer called with initial_state runs unmasked, as in Keras 3, while a
  layer after a model used as a layer gets the mask that model's output carries although the
  config records none.
* Keras 2 (tf_keras) nodes are lists [[layer, node, index, kwargs], ...] (for a dict
  argument, the node is a dict of them); masks propagate implicitly from the inputs, and an RNN's initial states
  are its extra inputs.

A dict of inputs or outputs is flattened in sorted key order, as keras.tree.flatten and
tf.nest.flatten do. A model used as a layer (class Functional, Sequential or Model) is run by
`run` on its own config and weights, with the masks its call receives.

Node numbering: Keras 3 numbers a functional model's calls from 1 in input_layers and
output_layers (`functional_from_config.get_tensor` subtracts 1) and from 0 in node arguments;
tf.keras numbers the calls of a functional model, or of a Sequential model that starts with an
InputLayer, from 1 everywhere (`_should_skip_first_node`: call 0 is the model's own
construction, which the config leaves out).
"""

from typing import List

import numpy as np

from . import layers  # noqa: F401  (registers every entry in LAYERS)
from .activations import BY_KERAS
from .model_files import ModelFile, is_op_node, layer_name
from .registry import LayerCall, call_layer

MODEL_CLASSES = ("Functional", "Sequential", "Model")


def _call(L, weights, inputs, mask, initial_state, keras_major, input_masks=None):
    """Evaluate layer config L on inputs; returns (outputs, masks) as its entry does. An op
    node's entry is registered as "ops.<ClassName>" (Keras 3 has a Concatenate op and a
    Concatenate layer)."""
    cls = ("ops." if is_op_node(L) else "") + L["class_name"]
    return call_layer(LayerCall(
        class_name=cls, config=L["config"], weights=weights, inputs=inputs,
        mask=None if mask is None else np.asarray(mask, bool), initial_state=initial_state,
        activations=BY_KERAS[keras_major], keras_major=keras_major,
        input_masks=input_masks if input_masks is not None else [mask] + [None] * (len(inputs) - 1)))


def flatten(v):
    """keras.tree.flatten of a structure of leaves (lists in order, dicts by sorted key)."""
    if isinstance(v, dict):
        return [leaf for k in sorted(v) for leaf in flatten(v[k])]
    if isinstance(v, (list, tuple)):
        return [leaf for item in v for leaf in flatten(item)]
    return [v]


def _histories(v):
    """input_layers / output_layers: a triple [layer, node, index], or a (nested) list or dict
    of them, flattened."""
    if isinstance(v, dict):
        return [h for k in sorted(v) for h in _histories(v[k])]
    if isinstance(v[0], str):
        return [v]
    return [h for item in v for h in _histories(item)]


def skips_first_node(L):
    """tf.keras `_should_skip_first_node`: a functional model, or a Sequential model whose
    first layer is an InputLayer."""
    if L["class_name"] in ("Functional", "Model"):
        return True
    if L["class_name"] == "Sequential":
        inner = L["config"]["layers"]
        return bool(inner) and inner[0]["class_name"] == "InputLayer"
    return False


def evaluate(model: ModelFile, inputs: list) -> List[np.ndarray]:
    """The model's outputs, in model output order, for inputs in model input order."""
    outs, _ = run(model.config, model.weights, model.keras_major, inputs, [None] * len(inputs))
    return outs


def run(config, weights, keras_major, inputs, input_masks):
    """(outputs, their masks) of the model {"class_name", "config"} with weights {layer name:
    arrays, or a dict for a model used as a layer}, on inputs carrying input_masks."""
    layers_cfg = config["config"]["layers"]
    if config["class_name"] == "Sequential":
        x, m = inputs[0], input_masks[0]
        for L in layers_cfg:
            if L["class_name"] == "InputLayer":
                continue
            outs, masks = _call(L, weights.get(layer_name(L), []), [x], m, None, keras_major, [m])
            x, m = outs[0], masks[0]
        return [x], [m]

    # (layer name, node index as the config writes it, output index) -> value and its mask.
    tensors, tmasks = {}, {}
    offsets = {layer_name(L): 1 for L in layers_cfg if keras_major < 3 and skips_first_node(L)}
    classes = {layer_name(L): L["class_name"] for L in layers_cfg}

    def io_key(h):
        """input_layers / output_layers entry -> key (Keras 3 numbers a functional model's
        calls from 1 there)."""
        name, node, index = h
        if keras_major >= 3 and classes.get(name) in ("Functional", "Model"):
            node -= 1
        return (name, node, index)

    for h, v, m in zip(_histories(config["config"]["input_layers"]), inputs, input_masks):
        tensors[io_key(h)] = v
        tmasks[io_key(h)] = m

    def resolve(obj):
        """A Keras 3 node argument -> (value, mask) with lists and dicts kept; constants as-is."""
        if isinstance(obj, dict) and obj.get("class_name") == "__keras_tensor__":
            h = tuple(obj["config"]["keras_history"])
            return tensors[h], tmasks[h]
        if isinstance(obj, list):
            pairs = [resolve(o) for o in obj]
            return [p[0] for p in pairs], [p[1] for p in pairs]
        if isinstance(obj, dict):
            pairs = {k: resolve(v) for k, v in obj.items()}
            return {k: p[0] for k, p in pairs.items()}, {k: p[1] for k, p in pairs.items()}
        return obj, None

    def has_tensor(obj):
        if isinstance(obj, dict) and obj.get("class_name") == "__keras_tensor__":
            return True
        if isinstance(obj, dict):
            return any(has_tensor(v) for v in obj.values())
        return isinstance(obj, list) and any(has_tensor(v) for v in obj)

    for L in layers_cfg:
        if L["class_name"] == "InputLayer":
            continue
        name = layer_name(L)
        for ni, node in enumerate(L["inbound_nodes"]):
            if isinstance(node, dict) and "args" in node:     # Keras 3
                args = [resolve(a) for a in node["args"]]
                kwargs = node.get("kwargs", {})
                if len(args) == 1 and isinstance(args[0][0], (list, dict)):
                    # A merge layer or a model called on [a, b, ...] or {"k": a, ...}.
                    vals, carried = flatten(args[0][0]), flatten(args[0][1])
                else:
                    vals, carried = [a[0] for a in args], [a[1] for a in args]
                n_tensor_args = sum(has_tensor(a) for a in node["args"]) + sum(
                    has_tensor(v) for k, v in kwargs.items() if k != "mask")
                given = kwargs.get("mask")
                if given is not None:
                    explicit = flatten(resolve(given)[0])
                    masks_in = [e if e is not None else c for e, c in zip(explicit, carried)]
                elif n_tensor_args == 1:
                    masks_in = carried
                else:
                    masks_in = [None] * len(vals)
                mask = masks_in[0] if masks_in else None
                initial_state = resolve(kwargs.get("initial_state"))[0]
            else:                                   # Keras 2
                if isinstance(node, dict):          # a dict argument: {key: entry}
                    entries = [node[k] for k in sorted(node)]
                else:
                    entries = node
                keys = [(n, i, t) for n, i, t, *_ in entries]
                vals = [tensors[k] for k in keys]
                masks_in = [tmasks[k] for k in keys]
                mask = masks_in[0]
                initial_state = None
            outs, omasks = _call(L, weights.get(name, []), vals, mask, initial_state, keras_major,
                                 masks_in)
            for k, (o, m) in enumerate(zip(outs, omasks)):
                tensors[(name, ni + offsets.get(name, 0), k)] = o
                tmasks[(name, ni + offsets.get(name, 0), k)] = m
    keys = [io_key(h) for h in _histories(config["config"]["output_layers"])]
    return [tensors[k] for k in keys], [tmasks[k] for k in keys]
