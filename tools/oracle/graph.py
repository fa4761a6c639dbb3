"""Walking a model's graph: which layer is called on which values, with which mask.

Sequential models run their layers in order; a layer's mask is the one its predecessor
produced (implicit propagation). Functional models run every inbound node of every layer in
config order (Keras writes them topologically sorted) and resolve each argument to the value
(and mask) a node produced earlier:

* Keras 3 nodes are {"args": [...], "kwargs": {...}} with tensors written as
  {"class_name": "__keras_tensor__", "config": {"keras_history": [layer, node, index]}}.
  Keras 3 records the mask a layer was called with as kwargs.mask (Masking and
  Embedding(mask_zero) appear as NotEqual / Any op nodes feeding it), and that is the mask
  the call gets. Without one (or with null), `Layer.__call__` fills the mask argument from
  the masks the tensor carries when the call has exactly one tensor argument (step 6 of
  `Layer.__call__`): a layer called with initial_state runs unmasked, as in Keras 3, while a
  layer after a model used as a layer gets the mask that model's output carries although the
  config records none.
* Keras 2 (tf_keras) nodes hold the call's first argument in its structure, each tensor as
  [layer, node, index, kwargs] (a constant as ['_CONSTANT_VALUE', -1, value, kwargs]), the
  kwargs repeated on each (tf_keras `Node.serialize` / `functional.process_node`, which keeps
  the last); a dict argument is a dict of them. A layer gets the flattened tensors; masks
  propagate implicitly from the inputs unless the kwargs hold `mask`; an RNN's initial states
  are its extra inputs. tf.keras op layers (TFOpLambda, SlicingOpLambda) keep the structure: a
  single tensor is the entry itself rather than a list of one, and the function gets the first
  argument and the kwargs.
* Keras 3 op nodes (`module` keras.src.ops.*) are evaluated by the op table, with the node's
  args and kwargs (constants as written); ops carry no masks.

A dict of inputs or outputs is flattened in sorted key order, as keras.tree.flatten and
tf.nest.flatten do. A model used as a layer (class Functional, Sequential or Model) is run by
`run` on its own config and weights, with the masks its call receives.

Node numbering: Keras 3 numbers a functional model's calls from 1 in input_layers and
output_layers (`functional_from_config.get_tensor` subtracts 1) and from 0 in node arguments;
tf.keras numbers the calls of a functional model, or of a Sequential model that starts with an
InputLayer, from 1 everywhere (`_should_skip_first_node`: call 0 is the model's own
construction, which the config leaves out).

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
    """A mask argument as bool arrays: one mask, or a list of them (Attention's [q, v] masks,
    a merge layer's or a model's inputs)."""
    if mask is None:
        return None
    if isinstance(mask, list):
        return [_bool(m) for m in mask]
    if isinstance(mask, dict):
        return {k: _bool(m) for k, m in mask.items()}
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


def flatten(v):
    """keras.tree.flatten / tf.nest.flatten of a structure of leaves (lists and tuples in
    order, dicts by sorted key)."""
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


def _is_k3_tensor(obj):
    return isinstance(obj, dict) and obj.get("class_name") == "__keras_tensor__"


def _has_tensor(obj):
    """Whether a Keras 3 node argument is or holds a tensor."""
    if _is_k3_tensor(obj):
        return True
    if isinstance(obj, dict):
        return any(_has_tensor(v) for v in obj.values())
    return isinstance(obj, list) and any(_has_tensor(v) for v in obj)


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
            outs, masks, _ = _call(L, weights.get(layer_name(L), []), [x], m, None, keras_major,
                                   input_masks=[m])
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
        """A Keras 3 node argument -> (value, mask, history); lists element-wise, dicts holding
        tensors key-wise; constants as-is (mask and history None)."""
        if _is_k3_tensor(obj):
            h = tuple(obj["config"]["keras_history"])
            return tensors[h], tmasks[h], h
        if isinstance(obj, list):
            parts = [resolve(o) for o in obj]
            return [p[0] for p in parts], [p[1] for p in parts], [p[2] for p in parts]
        if isinstance(obj, dict) and _has_tensor(obj):
            parts = {k: resolve(v) for k, v in obj.items()}
            return ({k: p[0] for k, p in parts.items()}, {k: p[1] for k, p in parts.items()},
                    {k: p[2] for k, p in parts.items()})
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
            if isinstance(node, dict) and "args" in node:     # Keras 3
                resolved = [resolve(a) for a in node["args"]]
                args = [a[0] for a in resolved]
                raw_kwargs = node.get("kwargs", {})
                kw = {k: resolve(v) for k, v in raw_kwargs.items()}
                # A layer or model called on one list [a, b, ...] or dict {"k": a, ...} (merge
                # layers, Attention, a model with several inputs).
                if len(resolved) == 1 and isinstance(args[0], (list, dict)):
                    vals, vmasks, hists = (flatten(part) for part in resolved[0])
                else:
                    vals, vmasks, hists = args, [a[1] for a in resolved], [a[2] for a in resolved]
                mask = kw.get("mask", (None,))[0]
                if mask is None:
                    # Layer.__call__ step 6: with exactly one tensor argument, the masks it
                    # carries (in its structure, flattened).
                    tensor_args = ([a for a, raw in zip(resolved, node["args"]) if _has_tensor(raw)]
                                   + [kw[k] for k, raw in raw_kwargs.items()
                                      if k != "mask" and _has_tensor(raw)])
                    if len(tensor_args) == 1:
                        carried = tensor_args[0][1]
                        mask = flatten(carried) if isinstance(carried, (list, dict)) else carried
                elif isinstance(mask, dict):
                    mask = flatten(mask)
            else:                                   # Keras 2
                first, kw, vmasks, hists = k2_call(node)
                args, vals = [first], flatten(first)
                # an explicit mask=None is no mask
                mask = kw["mask"][0] if "mask" in kw else (vmasks[0] if vmasks else None)
            kwargs = {k: v[0] for k, v in kw.items()}
            if op:                                  # ops take no mask and carry none
                outs, omasks, clears = _call(L, [], vals, None, None, keras_major, args,
                                             kwargs=kwargs)
            else:
                layer_kw = {k: v for k, v in kw.items() if k not in ("mask", "initial_state")}
                outs, omasks, clears = _call(
                    L, weights.get(name, []), vals, mask, kwargs.get("initial_state"),
                    keras_major, input_masks=vmasks,
                    kwargs={k: v[0] for k, v in layer_kw.items()},
                    kwarg_masks={k: v[1] for k, v in layer_kw.items() if v[2] is not None})
            for k, (o, m) in enumerate(zip(outs, omasks)):
                tensors[(name, ni + offsets.get(name, 0), k)] = o
                tmasks[(name, ni + offsets.get(name, 0), k)] = m
            if clears:
                # Keras 3 MultiHeadAttention: set_keras_mask(query / value / key, None). The
                # data tensors lose their masks; mask arguments (attention_mask, *_mask) keep
                # theirs.
                data = list(hists) + [v[2] for k, v in kw.items()
                                      if v[2] is not None and not k.endswith("mask")]
                for h in data:
                    if isinstance(h, tuple):
                        tmasks[h] = None
    keys = [io_key(h) for h in _histories(config["config"]["output_layers"])]
    return [tensors[k] for k in keys], [tmasks[k] for k in keys]
