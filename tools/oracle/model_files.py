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


def _keyed(class_names):
    """Keras 3 saving keys: snake_case(class name), then _1, _2, ... in order."""
    keys, counts = [], {}
    for cls in class_names:
        s = snake(cls)
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


def _k3_layer_weights(g, L):
    """The layer's weights, in get_weights() order, from its Keras-3-layout group: vars/
    for most layers; cell/ for recurrent layers; the wrapped layers' groups for wrappers."""
    cls, cfg = L["class_name"], L["config"]
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
    the group of a model used as a layer becomes that model's {layer name: ...} dict."""
    res = {}
    for name in root.attrs["layer_names"]:
        g = root[_text(name)]
        wn = g.attrs["weight_names"]
        res[_text(name)] = ([g[_text(n)][()].astype(np.float64) for n in wn]
                            if wn.dtype.kind in "OSU" else [])
    for L in config["config"]["layers"]:
        if layer_name(L) in res:
            res[layer_name(L)] = _shape_legacy(res[layer_name(L)], L)
    return res


# Classes without weights that may sit inside a model used as a layer.
_WEIGHTLESS = {
    "InputLayer", "Masking", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
    "Concatenate", "Dot", "Activation", "Dropout", "SpatialDropout1D", "GaussianNoise",
    "GaussianDropout", "AlphaDropout", "GlobalMaxPooling1D", "GlobalAveragePooling1D",
}


def legacy_weight_count(L):
    """How many arrays layer config L lists in a Keras 2 weights group (its `weights`:
    kernel, recurrent kernel, bias per cell; a wrapper's inner layers'; a model's layers' in
    turn)."""
    cls, cfg = L["class_name"], L["config"]
    bias = 1 if cfg.get("use_bias", True) else 0
    if cls in ("LSTM", "GRU", "SimpleRNN"):
        return 2 + bias
    if cls == "RNN":
        cell = cfg["cell"]
        cells = cell["config"]["cells"] if cell["class_name"] == "StackedRNNCells" else [cell]
        return sum(2 + (1 if c["config"].get("use_bias", True) else 0) for c in cells)
    if cls == "Bidirectional":
        return legacy_weight_count(cfg["layer"]) + legacy_weight_count(cfg.get("backward_layer") or cfg["layer"])
    if cls == "Dense":
        return 1 + bias
    if cls == "Embedding":
        return 1
    if cls == "TimeDistributed":
        return legacy_weight_count(cfg["layer"])
    if cls in MODEL_CLASSES:
        return sum(legacy_weight_count(inner) for inner in cfg["layers"])
    if cls in _WEIGHTLESS:
        return 0
    raise NotImplementedError(f"weight count of a {cls} inside a model used as a layer")


def _shape_legacy(arrays, L):
    """A Keras 2 group's arrays for layer L: a list, or for a model (or TimeDistributed around
    one) a {layer name: ...} dict, split in order (tf.keras saves and loads a model's weights
    by position: its layers' weights in turn)."""
    cls = L["class_name"]
    if cls == "TimeDistributed":
        return _shape_legacy(arrays, L["config"]["layer"])
    if cls not in MODEL_CLASSES:
        return arrays
    res, k = {}, 0
    for inner in L["config"]["layers"]:
        n = legacy_weight_count(inner)
        res[layer_name(inner)] = _shape_legacy(arrays[k:k + n], inner)
        k += n
    if k != len(arrays):
        raise ValueError(f"model '{layer_name(L)}': {len(arrays)} weight arrays, {k} used")
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
