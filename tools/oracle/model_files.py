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
    # layer name -> float64 arrays in get_weights() order; for a model used as a layer (and a
    # TimeDistributed around one) the inner model's own {layer name: ...} dict.
    weights: Dict[str, object]
    keras_major: int                      # 2 (written by tf_keras) or 3 (by Keras 3)


MODEL_CLASSES = ("Functional", "Sequential", "Model")


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
    if cls in ("LSTM", "GRU", "SimpleRNN"):
        return _read_vars(g["cell/vars"])
    if cls == "Bidirectional":
        inner = cfg["layer"]
        back = cfg.get("backward_layer") or inner
        return (_k3_layer_weights(g["forward_layer"], inner)
                + _k3_layer_weights(g["backward_layer"], back))
    if cls == "TimeDistributed":
        return _k3_layer_weights(g["layer"], cfg["layer"])
    if cls in MODEL_CLASSES:
        # A model used as a layer: its layers under layers/<key>, keyed within the model.
        return _k3_layout_weights(g, cfg["layers"], cls == "Sequential")
    return _read_vars(g["vars"]) if "vars" in g else []


def _k3_layout_weights(wf, layers, sequential):
    """{layer name: [arrays]} from a Keras-3-style weights file or model group (layers/<key>/...).
    Keras 3 saves a Sequential's layers without its InputLayer, a functional model's with."""
    real = [L for L in layers if not is_op_node(L)
            and not (sequential and L["class_name"] == "InputLayer")]
    return {layer_name(L): _k3_layer_weights(wf["layers"][key], L)
            for L, key in zip(real, _keyed([L["class_name"] for L in real]))}


def _text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def _legacy_weights(root, config):
    """{layer name: [arrays]} from a legacy HDF5 weights group (@layer_names, @weight_names);
    attention layers' weights in the ATTENTION_PARTS order; the group of a model used as a
    layer becomes that model's {layer name: ...} dict."""
    res = {}
    for name in root.attrs["layer_names"]:
        g = root[_text(name)]
        wn = g.attrs["weight_names"]
        names = [_text(n) for n in wn] if wn.dtype.kind in "OSU" else []
        arrays = [g[n][()].astype(np.float64) for n in names]
        res[_text(name)] = (arrays, names)
    for L in config["config"]["layers"]:
        if layer_name(L) in res:
            arrays, names = res[layer_name(L)]
            res[layer_name(L)] = _shape_legacy(arrays, names, L)
    for key, value in res.items():
        if isinstance(value, tuple):        # a group the config does not name
            res[key] = value[0]
    return res


# Classes without weights that may sit inside a model used as a layer.
_WEIGHTLESS = {
    "InputLayer", "Masking", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
    "Concatenate", "Dot", "Activation", "Dropout", "SpatialDropout1D", "GaussianNoise",
    "GaussianDropout", "AlphaDropout", "ActivityRegularization",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "Flatten", "Reshape", "Permute", "RepeatVector", "ZeroPadding1D", "Cropping1D",
    "UpSampling1D", "UnitNormalization", "ReLU", "LeakyReLU", "ThresholdedReLU", "ELU",
    "Softmax", "TFOpLambda", "SlicingOpLambda",
}


def legacy_weight_count(L):
    """(trainable, non-trainable): how many arrays layer config L holds in each of the two
    lists a legacy HDF5 weights group concatenates (`trainable_weights +
    non_trainable_weights`; for a model, each list runs over its layers in turn). Its own
    get_weights() order is its trainable arrays, then its non-trainable ones (kernel,
    recurrent kernel, bias per cell; gamma, beta, moving mean, moving variance; ...).
    NotImplementedError names a class this table does not know."""
    cls, cfg = L["class_name"], L["config"]
    bias = 1 if cfg.get("use_bias", True) else 0
    if cls in MODEL_CLASSES:
        counts = [legacy_weight_count(inner) for inner in cfg["layers"]]
        total = (sum(c[0] for c in counts), sum(c[1] for c in counts))
    elif cls in ("LSTM", "GRU", "SimpleRNN"):
        total = (2 + bias, 0)
    elif cls == "RNN":
        cell = cfg["cell"]
        cells = cell["config"]["cells"] if cell["class_name"] == "StackedRNNCells" else [cell]
        total = (sum(2 + (1 if c["config"].get("use_bias", True) else 0) for c in cells), 0)
    elif cls == "Bidirectional":
        fwd = legacy_weight_count(cfg["layer"])
        bwd = legacy_weight_count(cfg.get("backward_layer") or cfg["layer"])
        total = (fwd[0] + bwd[0], fwd[1] + bwd[1])
    elif cls == "TimeDistributed":
        total = legacy_weight_count(cfg["layer"])
    elif cls in ("Dense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
                 "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D"):
        total = (1 + bias, 0)
    elif cls in ("SeparableConv1D", "SeparableConv2D"):
        total = (2 + bias, 0)
    elif cls in ("Embedding", "PReLU"):
        total = (1, 0)
    elif cls == "LayerNormalization":
        total = (int(cfg.get("scale", True)) + int(cfg.get("center", True)), 0)
    elif cls == "BatchNormalization":
        total = (int(cfg.get("scale", True)) + int(cfg.get("center", True)), 2)
    elif cls == "Normalization":
        total = (0, 0 if cfg.get("mean") is not None else 3)    # mean, variance, count
    elif cls == "Attention":
        total = (int(cfg.get("use_scale", False))
                 + int(cfg.get("score_mode", "dot") == "concat"), 0)
    elif cls == "AdditiveAttention":
        total = (int(cfg.get("use_scale", True)), 0)
    elif cls == "MultiHeadAttention":
        total = ((4 + int(cfg.get("use_gate", False))) * (1 + bias), 0)
    elif cls in ("GroupQueryAttention", "GroupedQueryAttention"):
        total = (4 * (1 + bias), 0)
    elif cls in _WEIGHTLESS:
        total = (0, 0)
    else:
        raise NotImplementedError(f"weight count of a {cls} inside a model used as a layer "
                                  f"(layer '{layer_name(L)}'): tools/oracle/model_files.py "
                                  f"legacy_weight_count does not know the class")
    if not cfg.get("trainable", True):
        return (0, total[0] + total[1])
    return total


def _shape_legacy(arrays, names, L):
    """A legacy group's arrays (and their weight names) for layer L: a list in the order its
    entry takes, or for a model (or TimeDistributed around one) a {layer name: ...} dict. A
    model's group holds all its layers' trainable arrays in turn, then all their
    non-trainable ones; each layer gets its share of both."""
    cls = L["class_name"]
    if cls == "TimeDistributed":
        return _shape_legacy(arrays, names, L["config"]["layer"])
    if cls in ATTENTION_CLASSES:
        return _attention_order(names, arrays)
    if cls not in MODEL_CLASSES:
        return arrays
    n_trainable, n_frozen = legacy_weight_count(L)
    if n_trainable + n_frozen != len(arrays):
        raise ValueError(f"model '{layer_name(L)}': {len(arrays)} weight arrays in its group, "
                         f"its layers take {n_trainable + n_frozen}")
    res, t, f = {}, 0, n_trainable
    for inner in L["config"]["layers"]:
        nt, nf = legacy_weight_count(inner)
        take = list(range(t, t + nt)) + list(range(f, f + nf))
        res[layer_name(inner)] = _shape_legacy([arrays[i] for i in take],
                                               [names[i] for i in take], inner)
        t, f = t + nt, f + nf
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
