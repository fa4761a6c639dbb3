"""A Keras model's graph as rnncheck sees it: inputs, nodes, and the names of outputs.

Works on Keras 3 models (functional and Sequential) and on tf_keras (Keras 2) graph models,
through the attributes both keep on their nodes: `_nodes_by_depth`, a node's operation and
`parent_nodes`, a layer's `_inbound_nodes`, a tensor's `_keras_history`.
"""

from dataclasses import dataclass, field
from typing import List, Optional

from .errors import UserError


def flatten(obj) -> list:
    """Nested lists, tuples and dicts flattened as keras.tree.flatten does: dicts in sorted
    key order."""
    if isinstance(obj, dict):
        return [x for k in sorted(obj) for x in flatten(obj[k])]
    if isinstance(obj, (list, tuple)):
        return [x for v in obj for x in flatten(v)]
    return [obj]


def _graph(model):
    """The object that holds the model's nodes: Keras 3 keeps a Sequential's graph in a
    functional model of its own."""
    functional = getattr(model, "_functional", None)
    if functional is not None:
        return functional
    if not hasattr(model, "_nodes_by_depth"):
        raise UserError(f"model '{model.name}' ({type(model).__name__}) is not a graph of layers "
                        f"(a subclassed model, or a Sequential model without an input shape): "
                        f"rnncheck reads functional and Sequential models; build it with "
                        f"keras.Input(...) first")
    return model


def input_structure(model):
    """The model's inputs as it was built with them: a tensor, a list, or a dict. (A Keras 3
    Sequential model has no `input` of its own: its functional graph has.)"""
    functional = getattr(model, "_functional", None)
    try:
        return (functional or model).input
    except (AttributeError, ValueError):
        return model.inputs


def model_inputs(model) -> list:
    """The model's input tensors in model input order (a dict's in sorted key order)."""
    return flatten(input_structure(model))


def model_outputs(model) -> list:
    """The model's output tensors in model output order (a dict's in sorted key order)."""
    functional = getattr(model, "_functional", None)
    try:
        return flatten((functional or model).output)
    except (AttributeError, ValueError):
        return flatten(model.outputs)


def input_keys(model) -> Optional[List[str]]:
    """A dict-input model's keys in model input order, else None."""
    structure = input_structure(model)
    return sorted(structure) if isinstance(structure, dict) else None


def _operation(node):
    op = getattr(node, "operation", None)     # keras 3
    return op if op is not None else node.layer


def _output_tensors(node) -> list:
    tensors = getattr(node, "output_tensors", None)
    if tensors is None:
        tensors = node.outputs
    return flatten(tensors)


@dataclass
class Node:
    """One call of one layer (or Keras 3 op) in the model's graph."""
    name: str             # "<layer>" for the layer's first call in this model, "<layer>#<i>" for call i
    layer: object         # the layer or op
    call: int             # i: the call's index among this model's calls of the layer
    tensors: list         # its output tensors, flattened
    parents: list = field(default_factory=list)     # the Nodes whose outputs it reads
    knode: object = None  # Keras's own node

    @property
    def class_name(self) -> str:
        return type(self.layer).__name__

    @property
    def is_input(self) -> bool:
        return self.class_name == "InputLayer"


def nodes(model) -> List[Node]:
    """Every node of the model's graph, InputLayers included, in graph order: by Keras's node
    depth from the inputs (so a node comes after every node it reads), then by the layer's
    place in the model's config, then by call. Node names are rnncheck's: a layer's first call
    in this model is its name, call i (i >= 1) is "<name>#<i>"."""
    g = _graph(model)
    knodes = [n for d in sorted(g._nodes_by_depth, reverse=True) for n in g._nodes_by_depth[d]]
    in_model = {id(n) for n in knodes}
    ops = getattr(g, "operations", None) or getattr(g, "layers", [])
    config_place = {id(op): i for i, op in enumerate(ops)}
    depth = {id(n): d for d, ns in g._nodes_by_depth.items() for n in ns}
    knodes.sort(key=lambda n: (-depth[id(n)], config_place.get(id(_operation(n)), len(ops)),
                               _operation(n)._inbound_nodes.index(n)))
    made = {}
    result = []
    for kn in knodes:
        op = _operation(kn)
        calls = [c for c in op._inbound_nodes if id(c) in in_model]
        call = next(i for i, c in enumerate(calls) if c is kn)
        node = Node(op.name if call == 0 else f"{op.name}#{call}", op, call, _output_tensors(kn),
                    knode=kn)
        node.parents = [made[id(p)] for p in kn.parent_nodes if id(p) in made]
        made[id(kn)] = node
        result.append(node)
    return result


# -- names of outputs, as rnncheck gives them ---------------------------------------------

_RNN_CLASSES = {"LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}


def _state_names(cell) -> List[str]:
    """A recurrent cell's state names in Keras's order: h, c (LSTM); h (GRU, SimpleRNN);
    "<k>_h", "<k>_c", ... per cell of StackedRNNCells."""
    cls = type(cell).__name__
    if cls == "StackedRNNCells":
        return [f"{k}_{s}" for k, c in enumerate(cell.cells) for s in _state_names(c)]
    if "LSTM" in cls:
        return ["h", "c"]
    if "GRU" in cls or "SimpleRNN" in cls:
        return ["h"]
    size = getattr(cell, "state_size", 1)
    return [str(k) for k in range(len(size) if isinstance(size, (list, tuple)) else 1)]


def output_what(layer, k: int) -> str:
    """What output k of a layer is called: "output", "state_h", "forward_c", ... (see
    fixtures/README.md); "output_<k>" for the further outputs of other layers. A model used
    as a layer names its outputs as that model does."""
    cls = type(layer).__name__
    if cls in _RNN_CLASSES and hasattr(layer, "cell"):
        return "output" if k == 0 else "state_" + _state_names(layer.cell)[k - 1]
    if cls == "Bidirectional":
        seq = 2 if layer.merge_mode is None else 1
        if k < seq:
            return ("forward_output", "backward_output")[k] if seq == 2 else "output"
        forward = _state_names(layer.forward_layer.cell)
        backward = _state_names(layer.backward_layer.cell)
        j = k - seq
        return "forward_" + forward[j] if j < len(forward) else "backward_" + backward[j - len(forward)]
    if "Attention" in cls and k == 1:
        return "attention_scores"
    if hasattr(layer, "_nodes_by_depth") or hasattr(layer, "_functional"):
        return output_names(layer)[k]
    return "output" if k == 0 else f"output_{k}"


def output_names(model) -> List[str]:
    """"<layer>/<what>" for each model output, in model output order."""
    names = []
    for t in model_outputs(model):
        layer, _, k = t._keras_history
        names.append(f"{layer.name}/{output_what(layer, k)}")
    return names
