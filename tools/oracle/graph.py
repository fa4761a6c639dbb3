"""Walking a model's graph: which layer is called on which values, with which mask.

Sequential models run their layers in order; a layer's mask is the one its predecessor
produced (implicit propagation). Functional models run every inbound node of every layer in
config order (Keras writes them topologically sorted) and resolve each argument to the value
(and mask) a node produced earlier:

* Keras 3 nodes are {"args": [...], "kwargs": {...}} with tensors written as
  {"class_name": "__keras_tensor__", "config": {"keras_history": [layer, node, index]}}.
  Keras 3 records the mask a single-input layer was called with as kwargs.mask (Masking and
  Embedding(mask_zero) appear as NotEqual / Any op nodes feeding it), so such a layer applies
  exactly that mask, never one propagated implicitly: a layer called with initial_state and
  no kwargs.mask runs unmasked, as in Keras 3.
* Keras 2 (tf_keras) nodes are lists [[layer, node, index, kwargs], ...]; masks propagate
  implicitly from the first input, and an RNN's initial states are its extra inputs.

Every value also keeps the mask Keras attaches to it at run time (`_keras_mask`, what each
entry returns as its outputs' masks). Layers that read their masks when they run rather than
from the config (Attention's [query, value] masks, MultiHeadAttention's) get them as
`input_masks` / `kwarg_masks`; an entry that sets `clears_input_masks` (Keras 3
MultiHeadAttention) erases them from its input tensors for every later reader. "Later" is config
order here; Keras runs the nodes of one depth in the reverse of the outputs' depth-first order
(ops/function.py map_graph), which differs only for a layer that clears masks another layer of
the same depth reads.
"""

from typing import List

import numpy as np

from . import layers  # noqa: F401  (registers every entry in LAYERS)
from .activations import BY_KERAS
from .model_files import ModelFile, layer_name
from .registry import LayerCall, call_layer


def _bool(mask):
    """A mask argument as bool arrays: one mask, or a list of them (Attention's [q, v] masks)."""
    if mask is None:
        return None
    if isinstance(mask, list):
        return [_bool(m) for m in mask]
    return np.asarray(mask, bool)


def _call(L, weights, inputs, mask, initial_state, keras_major, input_masks=None, kwargs=None,
          kwarg_masks=None):
    """Evaluate layer config L on inputs; returns (outputs, masks, whether the call clears its
    input tensors' masks)."""
    call = LayerCall(
        class_name=L["class_name"], config=L["config"], weights=weights, inputs=inputs,
        mask=_bool(mask), initial_state=initial_state, activations=BY_KERAS[keras_major],
        keras_major=keras_major,
        input_masks=[_bool(m) for m in (input_masks or [None] * len(inputs))],
        kwargs=kwargs or {}, kwarg_masks={k: _bool(m) for k, m in (kwarg_masks or {}).items()})
    outs, masks = call_layer(call)
    return outs, masks, call.clears_input_masks


def evaluate(model: ModelFile, inputs: list) -> List[np.ndarray]:
    """The model's outputs, in model output order, for inputs in model input order."""
    layers_cfg = model.config["config"]["layers"]
    if model.config["class_name"] == "Sequential":
        x, m = inputs[0], None
        for L in layers_cfg:
            if L["class_name"] == "InputLayer":
                continue
            outs, masks, _ = _call(L, model.weights.get(layer_name(L), []), [x], m, None,
                                   model.keras_major, [m])
            x, m = outs[0], masks[0]
        return [x]

    def triples(v):
        return [v] if isinstance(v[0], str) else v

    # (layer name, node index, output index) -> value, and -> the mask that value carries.
    tensors, tmasks = {}, {}
    for history, v in zip(triples(model.config["config"]["input_layers"]), inputs):
        tensors[tuple(history)] = v
        tmasks[tuple(history)] = None
    layer_names = {layer_name(L) for L in layers_cfg}

    def resolve(obj):
        """A Keras 3 node argument -> (value, mask, history); lists element-wise; constants
        as-is (mask and history None)."""
        if isinstance(obj, dict) and obj.get("class_name") == "__keras_tensor__":
            h = tuple(obj["config"]["keras_history"])
            return tensors[h], tmasks[h], h
        if isinstance(obj, list):
            parts = [resolve(o) for o in obj]
            return [p[0] for p in parts], [p[1] for p in parts], [p[2] for p in parts]
        return obj, None, None

    def resolve2(obj):
        """A tf_keras call kwarg -> (value, mask, history): [layer, node, index] naming a layer
        of the model is a tensor."""
        if (isinstance(obj, list) and len(obj) == 3 and isinstance(obj[0], str)
                and obj[0] in layer_names and all(isinstance(i, int) for i in obj[1:])):
            h = tuple(obj)
            return tensors[h], tmasks[h], h
        if isinstance(obj, list):
            parts = [resolve2(o) for o in obj]
            return [p[0] for p in parts], [p[1] for p in parts], [p[2] for p in parts]
        return obj, None, None

    for L in layers_cfg:
        if L["class_name"] == "InputLayer":
            continue
        name = layer_name(L)
        for ni, node in enumerate(L["inbound_nodes"]):
            if isinstance(node, dict):              # Keras 3
                args = [resolve(a) for a in node["args"]]
                vals, vmasks, hists = ([a[i] for a in args] for i in range(3))
                if len(vals) == 1 and isinstance(vals[0], list):
                    # a layer called on a list [a, b, ...] (merge layers, Attention)
                    vals, vmasks, hists = vals[0], vmasks[0], hists[0]
                kw = {k: resolve(v) for k, v in node.get("kwargs", {}).items()}
                mask = kw.pop("mask", (None,))[0]
                initial_state = kw.pop("initial_state", (None,))[0]
            else:                                   # Keras 2
                hists = [tuple(entry[:3]) for entry in node]
                vals = [tensors[h] for h in hists]
                vmasks = [tmasks[h] for h in hists]
                kw = {k: resolve2(v) for k, v in (node[0][3] if len(node[0]) > 3 else {}).items()}
                given = kw.pop("mask", (None,))[0]
                mask = given if given is not None else vmasks[0]
                initial_state = None
            kwargs = {k: v[0] for k, v in kw.items()}
            kwarg_masks = {k: v[1] for k, v in kw.items() if v[2] is not None}
            outs, omasks, clears = _call(L, model.weights.get(name, []), vals, mask,
                                         initial_state, model.keras_major, vmasks, kwargs,
                                         kwarg_masks)
            for k, (o, m) in enumerate(zip(outs, omasks)):
                tensors[(name, ni, k)] = o
                tmasks[(name, ni, k)] = m
            if clears:
                # Keras 3 MultiHeadAttention: set_keras_mask(query / value / key, None). The
                # data tensors lose their masks; mask arguments (attention_mask, *_mask) keep
                # theirs.
                data = list(hists) + [v[2] for k, v in kw.items()
                                      if v[2] is not None and not k.endswith("mask")]
                for h in data:
                    if isinstance(h, tuple):
                        tmasks[h] = None
    return [tensors[tuple(h)] for h in triples(model.config["config"]["output_layers"])]
