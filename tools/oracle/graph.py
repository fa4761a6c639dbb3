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
* Keras 2 (tf_keras) nodes hold the call's first argument in its structure, each tensor as
  [layer, node, index, kwargs] (a constant as ['_CONSTANT_VALUE', -1, value, kwargs]), the
  kwargs repeated on each (tf_keras `Node.serialize` / `functional.process_node`, which keeps
  the last). A layer gets the flattened tensors; masks propagate implicitly from the first
  input unless the kwargs hold `mask`; an RNN's initial states are its extra inputs. tf.keras
  op layers (TFOpLambda, SlicingOpLambda) keep the structure: a single tensor is the entry
  itself rather than a list of one, and the function gets the first argument and the kwargs.
* Keras 3 op nodes (`module` keras.src.ops.*) are evaluated by the op table, with the node's
  args and kwargs (constants as written); ops carry no masks.

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
from .model_files import ModelFile, is_op_node, layer_name
from .registry import LayerCall, call_layer, call_op

CONSTANT = "_CONSTANT_VALUE"
OP_LAYERS = ("TFOpLambda", "SlicingOpLambda")


def _bool(mask):
    """A mask argument as bool arrays: one mask, or a list of them (Attention's [q, v] masks)."""
    if mask is None:
        return None
    if isinstance(mask, list):
        return [_bool(m) for m in mask]
    return np.asarray(mask, bool)


def _call(L, weights, inputs, mask, initial_state, keras_major, args=None, input_masks=None,
          kwargs=None, kwarg_masks=None):
    """Evaluate layer config L on inputs; returns (outputs, masks, whether the call clears its
    input tensors' masks). Keras 3 op nodes go to the op table."""
    call = LayerCall(
        class_name=L["class_name"], config=L["config"], weights=weights, inputs=inputs,
        mask=_bool(mask), initial_state=initial_state, activations=BY_KERAS[keras_major],
        keras_major=keras_major, args=args,
        input_masks=[_bool(m) for m in (input_masks or [None] * len(inputs))],
        kwargs=kwargs or {}, kwarg_masks={k: _bool(m) for k, m in (kwarg_masks or {}).items()})
    outs, masks = (call_op if is_op_node(L) else call_layer)(call)
    return outs, masks, call.clears_input_masks


def _is_k2_tensor(v):
    """tf_keras's test for serialized node data (`convert_inner_node_data`): a list of 3 or 4
    items whose first is a string."""
    return isinstance(v, list) and len(v) in (3, 4) and isinstance(v[0], str)


def _flatten(v):
    """tf.nest.flatten over lists and dicts (sorted keys)."""
    if isinstance(v, list):
        return [a for item in v for a in _flatten(item)]
    if isinstance(v, dict):
        return [a for k in sorted(v) for a in _flatten(v[k])]
    return [v]


def evaluate(model: ModelFile, inputs: list) -> List[np.ndarray]:
    """The model's outputs, in model output order, for inputs in model input order."""
    layers_cfg = model.config["config"]["layers"]
    if model.config["class_name"] == "Sequential":
        x, m = inputs[0], None
        for L in layers_cfg:
            if L["class_name"] == "InputLayer":
                continue
            outs, masks, _ = _call(L, model.weights.get(layer_name(L), []), [x], m, None,
                                   model.keras_major, input_masks=[m])
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
        """A Keras 3 node argument -> (value, mask, history); lists element-wise; constants
        as-is (mask and history None)."""
        if isinstance(obj, dict) and obj.get("class_name") == "__keras_tensor__":
            h = tuple(obj["config"]["keras_history"])
            return tensors[h], tmasks[h], h
        if isinstance(obj, list):
            parts = [resolve(o) for o in obj]
            return [p[0] for p in parts], [p[1] for p in parts], [p[2] for p in parts]
        return obj, None, None

    def k2_value(v):
        """A Keras 2 keyword argument -> (value, mask, history): node data [layer, node, index]
        is that tensor."""
        if _is_k2_tensor(v):
            h = tuple(v[:3])
            return tensors[h], tmasks[h], h
        if isinstance(v, list):
            parts = [k2_value(item) for item in v]
            return [p[0] for p in parts], [p[1] for p in parts], [p[2] for p in parts]
        if isinstance(v, dict):
            parts = {k: k2_value(item) for k, item in v.items()}
            return {k: p[0] for k, p in parts.items()}, None, None
        return v, None, None

    def k2_call(node):
        """A Keras 2 node -> (first argument in its structure, resolved kwargs, the masks and
        histories of its tensors in flattened order), as functional.process_node rebuilds the
        call (the kwargs of the last entry)."""
        kwargs, masks, hists = {}, [], []

        def unpack(data):
            nonlocal kwargs
            if _is_k2_tensor(data):
                if len(data) == 4:
                    kwargs = {k: k2_value(v) for k, v in data[3].items()}
                if data[0] == CONSTANT:
                    masks.append(None)
                    hists.append(None)
                    return data[2]
                masks.append(tmasks[tuple(data[:3])])
                hists.append(tuple(data[:3]))
                return tensors[tuple(data[:3])]
            if isinstance(data, list):
                return [unpack(item) for item in data]
            return {k: unpack(data[k]) for k in sorted(data)}

        first = unpack(node)
        return first, kwargs, masks, hists

    for L in layers_cfg:
        if L["class_name"] == "InputLayer":
            continue
        name = layer_name(L)
        op = is_op_node(L) or L["class_name"] in OP_LAYERS
        for ni, node in enumerate(L["inbound_nodes"]):
            if isinstance(node, dict):              # Keras 3
                resolved = [resolve(a) for a in node["args"]]
                args = [a[0] for a in resolved]
                kw = {k: resolve(v) for k, v in node.get("kwargs", {}).items()}
                # A layer called on one list [a, b, ...] (merge layers, Attention).
                if len(resolved) == 1 and isinstance(args[0], list):
                    vals, vmasks, hists = resolved[0]
                else:
                    vals, vmasks, hists = args, [a[1] for a in resolved], [a[2] for a in resolved]
                mask = kw.get("mask", (None,))[0]
            else:                                   # Keras 2
                first, kw, vmasks, hists = k2_call(node)
                args, vals = [first], _flatten(first)
                # an explicit mask=None is no mask
                mask = kw["mask"][0] if "mask" in kw else (vmasks[0] if vmasks else None)
            kwargs = {k: v[0] for k, v in kw.items()}
            if op:                                  # ops take no mask and carry none
                outs, omasks, clears = _call(L, [], vals, None, None, model.keras_major, args,
                                             kwargs=kwargs)
            else:
                layer_kw = {k: v for k, v in kw.items() if k not in ("mask", "initial_state")}
                outs, omasks, clears = _call(
                    L, model.weights.get(name, []), vals, mask, kwargs.get("initial_state"),
                    model.keras_major, input_masks=vmasks,
                    kwargs={k: v[0] for k, v in layer_kw.items()},
                    kwarg_masks={k: v[1] for k, v in layer_kw.items() if v[2] is not None})
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
