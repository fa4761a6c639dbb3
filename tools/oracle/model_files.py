"""Reading a fixture's model: the six /model/@format values -> ModelFile, and its inputs.

"keras3" (.keras archive), "keras3-weights" (Keras 3 weights-only .weights.h5 + config.json
text), "keras3-legacy-h5" (Keras 3 model.save("m.h5")), "keras2-h5" (tf_keras full-model .h5),
"keras2-weights" (tf_keras legacy save_weights .h5 + model JSON) and "keras2-weights-v3"
(tf_keras save_weights to *.weights.h5: Keras-3-style layout + Keras 2 model JSON).
"""

import io
import json
import re
import zipfile
from dataclasses import dataclass
from typing import Dict, List

import h5py
import numpy as np


@dataclass
class ModelFile:
    config: dict                          # the top-level model JSON: {"class_name", "config"}
    weights: Dict[str, List[np.ndarray]]  # layer name -> float64 arrays, get_weights() order
    keras_major: int                      # 2 (written by tf_keras) or 3 (by Keras 3)


def layer_name(L):
    return L.get("name") or L["config"]["name"]


def is_op_node(L):
    """Keras 3 functional configs hold ops (NotEqual, Any, Cast) as pseudo-layers; they have
    no weights and are not in model.layers."""
    return ".ops." in (L.get("module") or "")


def snake(name):
    """Keras weight-file group key for a class name (LSTM -> lstm, InputLayer -> input_layer)."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


# Classes Keras exports under another name than their Python class, whose name the weight keys
# come from (keras.layers.GroupQueryAttention is GroupedQueryAttention).
PYTHON_CLASS = {"GroupQueryAttention": "GroupedQueryAttention"}


def _keyed(class_names):
    """Keras 3 saving keys: snake_case(Python class name), then _1, _2, ... in order."""
    keys, counts = [], {}
    for cls in class_names:
        s = snake(PYTHON_CLASS.get(cls, cls))
        n = counts.get(s, 0)
        counts[s] = n + 1
        keys.append(s if n == 0 else f"{s}_{n}")
    return keys


def _read_vars(g):
    return [g[k][()].astype(np.float64) for k in sorted(g.keys(), key=int)]


def _k3_cell_vars(cellg, cell_cfg):
    if cell_cfg["class_name"] == "StackedRNNCells":
        subs = cell_cfg["config"]["cells"]
        res = []
        for key in _keyed([c["class_name"] for c in subs]):
            res += _read_vars(cellg["cells"][key]["vars"])
        return res
    return _read_vars(cellg["vars"])


# MultiHeadAttention and GroupQueryAttention keep each projection in a sub-layer; their oracle
# entry takes the weights in this order, each (kernel, bias) or (kernel,) without use_bias.
ATTENTION_CLASSES = ("MultiHeadAttention", "GroupQueryAttention", "GroupedQueryAttention")
ATTENTION_PARTS = ("query", "key", "value", "attention_output", "gate")
# The Keras 3 group of each part: MultiHeadAttention's `query_dense`, ... but `_gate_dense`;
# GroupQueryAttention's `_query_dense`, ...
_K3_ATTENTION_GROUPS = {"query": "query_dense", "key": "key_dense", "value": "value_dense",
                        "attention_output": "output_dense", "gate": "gate_dense"}


def _k3_attention_vars(g):
    res = []
    for part in ATTENTION_PARTS:
        group = _K3_ATTENTION_GROUPS[part]
        for key in (group, "_" + group):
            if key in g:
                res += _read_vars(g[key]["vars"])
                break
    return res


def _attention_order(names, arrays):
    """Legacy HDF5 weights of an attention layer (names like 'mha/query/kernel:0') in the
    ATTENTION_PARTS order."""
    def part(name):
        pieces = _text(name).split(":")[0].split("/")
        return ATTENTION_PARTS.index(pieces[-2])
    order = sorted(range(len(arrays)), key=lambda i: (part(names[i]), i))
    return [arrays[i] for i in order]


def _k3_layer_weights(g, L):
    """The layer's weights, in get_weights() order, from its Keras-3-layout group: vars/
    for most layers; cell/ for recurrent layers; the wrapped layers' groups for wrappers;
    the projections' groups of attention layers (ATTENTION_PARTS order)."""
    cls, cfg = L["class_name"], L["config"]
    if cls in ATTENTION_CLASSES:
        return _k3_attention_vars(g)
    if cls == "RNN":
        return _k3_cell_vars(g["cell"], cfg["cell"])
    if cls in ("LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"):
        return _read_vars(g["cell/vars"])
    if cls == "Bidirectional":
        inner = cfg["layer"]
        back = cfg.get("backward_layer") or inner
        return (_k3_layer_weights(g["forward_layer"], inner)
                + _k3_layer_weights(g["backward_layer"], back))
    if cls == "TimeDistributed":
        return _k3_layer_weights(g["layer"], cfg["layer"])
    return _read_vars(g["vars"]) if "vars" in g else []


def _k3_layout_weights(wf, layers, sequential):
    """{layer name: [arrays]} from a Keras-3-style weights file (layers/<key>/...)."""
    real = [L for L in layers if not is_op_node(L)
            and not (sequential and L["class_name"] == "InputLayer")]
    return {layer_name(L): _k3_layer_weights(wf["layers"][key], L)
            for L, key in zip(real, _keyed([L["class_name"] for L in real]))}


def _text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def _legacy_weights(root, config):
    """{layer name: [arrays]} from a legacy HDF5 weights group (@layer_names, @weight_names);
    attention layers' weights in the ATTENTION_PARTS order."""
    classes = {layer_name(L): L["class_name"] for L in config["config"]["layers"]}
    res = {}
    for name in root.attrs["layer_names"]:
        g = root[_text(name)]
        wn = g.attrs["weight_names"]
        arrays = ([g[_text(n)][()].astype(np.float64) for n in wn]
                  if wn.dtype.kind in "OSU" else [])
        if classes.get(_text(name)) in ATTENTION_CLASSES:
            arrays = _attention_order(list(wn), arrays)
        res[_text(name)] = arrays
    return res


def load(f: h5py.File) -> ModelFile:
    """The model stored in fixture f (/model/file, /model/@format, /model/config)."""
    fmt = f["model"].attrs["format"]
    raw = f["model/file"][()].tobytes()
    config_text = _text(f["model/config"][()]) if "config" in f["model"] else None
    keras_major = 2 if fmt.startswith("keras2") else 3
    if fmt in ("keras3-legacy-h5", "keras2-h5"):
        wf = h5py.File(io.BytesIO(raw), "r")
        config = json.loads(wf.attrs["model_config"])
        return ModelFile(config, _legacy_weights(wf["model_weights"], config), keras_major)
    if fmt == "keras2-weights":
        config = json.loads(config_text)
        return ModelFile(config, _legacy_weights(h5py.File(io.BytesIO(raw), "r"), config),
                         keras_major)
    if fmt == "keras3":
        z = zipfile.ZipFile(io.BytesIO(raw))
        top = json.loads(z.read("config.json"))
        wf = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    elif fmt in ("keras3-weights", "keras2-weights-v3"):
        top = json.loads(config_text)
        wf = h5py.File(io.BytesIO(raw), "r")
    else:
        raise NotImplementedError(f"model format {fmt}")
    weights = _k3_layout_weights(wf, top["config"]["layers"], top["class_name"] == "Sequential")
    return ModelFile(top, weights, keras_major)


def fixture_inputs(f: h5py.File) -> list:
    """/input_0, /input_1, ...: float inputs as float64, token ids as they are."""
    inputs = []
    while f"input_{len(inputs)}" in f:
        v = f[f"input_{len(inputs)}"][()]
        inputs.append(v.astype(np.float64) if v.dtype.kind == "f" else v)
    return inputs
