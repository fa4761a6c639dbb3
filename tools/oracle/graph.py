"""Walking a model's graph: which layer is called on which values, with which mask.

Sequential models run their layers in order; a layer's mask is the one its predecessor
produced (implicit propagation). Functional models run every inbound node of every layer in
config order (Keras writes them topologically sorted) and resolve each argument to the value
(and mask) a node produced earlier:

* Keras 3 nodes are {"args": [...], "kwargs": {...}} with tensors written as
  {"class_name": "__keras_tensor__", "config": {"keras_history": [layer, node, index]}}.
  Keras 3 records the mask a layer was called with as kwargs.mask (Masking and
  Embedding(mask_zero) appear as NotEqual / Any op nodes feeding it), so a layer applies
  exactly that mask, never one propagated implicitly: a layer called with initial_state and
  no kwargs.mask runs unmasked, as in Keras 3.
* Keras 2 (tf_keras) nodes are lists [[layer, node, index, kwargs], ...]; masks propagate
  implicitly from the first input, and an RNN's initial states are its extra inputs.
"""

from typing import List

import numpy as np

from . import layers  # noqa: F401  (registers every entry in LAYERS)
from .activations import BY_KERAS
from .model_files import ModelFile, layer_name
from .registry import LayerCall, call_layer


def _call(L, weights, inputs, mask, initial_state, keras_major):
    """Evaluate layer config L on inputs; returns (outputs, masks) as its entry does."""
    return call_layer(LayerCall(
        class_name=L["class_name"], config=L["config"], weights=weights, inputs=inputs,
        mask=None if mask is None else np.asarray(mask, bool), initial_state=initial_state,
        activations=BY_KERAS[keras_major], keras_major=keras_major))


def evaluate(model: ModelFile, inputs: list) -> List[np.ndarray]:
    """The model's outputs, in model output order, for inputs in model input order."""
    layers_cfg = model.config["config"]["layers"]
    if model.config["class_name"] == "Sequential":
        x, m = inputs[0], None
        for L in layers_cfg:
            if L["class_name"] == "InputLayer":
                continue
            outs, masks = _call(L, model.weights.get(layer_name(L), []), [x], m, None,
                                model.keras_major)
            x, m = outs[0], masks[0]
        return [x]

    def triples(v):
        return [v] if isinstance(v[0], str) else v

    # (layer name, node index, output index) -> value, and -> the mask that value carries.
    tensors, tmasks = {}, {}
    for history, v in zip(triples(model.config["config"]["input_layers"]), inputs):
        tensors[tuple(history)] = v
        tmasks[tuple(history)] = None

    def resolve(obj):
        """A Keras 3 node argument -> (value, mask); lists element-wise; constants as-is."""
        if isinstance(obj, dict) and obj.get("class_name") == "__keras_tensor__":
            h = tuple(obj["config"]["keras_history"])
            return tensors[h], tmasks[h]
        if isinstance(obj, list):
            pairs = [resolve(o) for o in obj]
            return [p[0] for p in pairs], [p[1] for p in pairs]
        return obj, None

    for L in layers_cfg:
        if L["class_name"] == "InputLayer":
            continue
        name = layer_name(L)
        for ni, node in enumerate(L["inbound_nodes"]):
            if isinstance(node, dict):              # Keras 3
                args = [resolve(a) for a in node["args"]]
                vals = [a[0] for a in args]
                if len(vals) == 1 and isinstance(vals[0], list):
                    vals = vals[0]                  # a merge layer called on [a, b, ...]
                kwargs = node.get("kwargs", {})
                mask = resolve(kwargs.get("mask"))[0]
                initial_state = resolve(kwargs.get("initial_state"))[0]
            else:                                   # Keras 2
                vals = [tensors[(n, i, t)] for n, i, t, *_ in node]
                mask = tmasks[tuple(node[0][:3])]
                initial_state = None
            outs, omasks = _call(L, model.weights.get(name, []), vals, mask, initial_state,
                                 model.keras_major)
            for k, (o, m) in enumerate(zip(outs, omasks)):
                tensors[(name, ni, k)] = o
                tmasks[(name, ni, k)] = m
    return [tensors[tuple(h)] for h in triples(model.config["config"]["output_layers"])]
