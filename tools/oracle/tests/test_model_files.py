"""Reading the six model-file formats from small fixtures written here with h5py."""

import io
import json
import zipfile

import h5py
import numpy as np
import pytest

from ..model_files import fixture_inputs, load, snake
from .util import assert_close

# Sequential: InputLayer 'x' -> Dense(1) 'head' with kernel [[2]] and bias [1].
CONFIG = {"class_name": "Sequential", "config": {"name": "model", "layers": [
    {"class_name": "InputLayer", "config": {"name": "x"}},
    {"class_name": "Dense", "config": {"name": "head", "activation": "linear"}}]}}
KERNEL, BIAS = [[2.0]], [1.0]


def h5_bytes(fill):
    """The bytes of an HDF5 file that fill(file) writes."""
    buf = io.BytesIO()
    with h5py.File(buf, "w") as w:
        fill(w)
    return buf.getvalue()


def keras3_layout(w, groups=(("dense", [KERNEL, BIAS]),)):
    """Keras 3 weights layout: layers/<key>/vars/0, 1, ... (Sequential: no input layer)."""
    for key, arrays in groups:
        for i, a in enumerate(arrays):
            w[f"layers/{key}/vars/{i}"] = np.asarray(a, np.float32)


def _legacy_root(g):
    """Legacy HDF5 weights: @layer_names, then per layer @weight_names and those datasets.
    By name, bias:0 sorts before kernel:0: reading in name order, not @weight_names order,
    would swap them."""
    g["head/head/bias:0"] = np.asarray(BIAS, np.float32)
    g["head/head/kernel:0"] = np.asarray(KERNEL, np.float32)
    g.attrs["layer_names"] = [b"head"]
    g["head"].attrs["weight_names"] = [b"head/kernel:0", b"head/bias:0"]


def _full_model(w):
    w.attrs["model_config"] = json.dumps(CONFIG)
    _legacy_root(w.create_group("model_weights"))


def _archive():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("config.json", json.dumps(CONFIG))
        z.writestr("model.weights.h5", h5_bytes(keras3_layout))
    return buf.getvalue()


def fixture(fmt, model_bytes, config_text=None):
    """An in-memory fixture holding a model file, and input_0 = [[3]]."""
    f = h5py.File(io.BytesIO(), "w")
    f["input_0"] = np.array([[3.0]], np.float32)
    g = f.create_group("model")
    g.attrs["format"] = fmt
    g["file"] = np.frombuffer(model_bytes, np.uint8)
    if config_text is not None:
        g.create_dataset("config", data=config_text, dtype=h5py.string_dtype("utf-8"))
    return f


@pytest.mark.parametrize("fmt, keras_major", [
    ("keras3", 3), ("keras3-weights", 3), ("keras3-legacy-h5", 3),
    ("keras2-h5", 2), ("keras2-weights", 2), ("keras2-weights-v3", 2),
])
def test_every_format(fmt, keras_major):
    model_bytes, config_text = {
        "keras3": (_archive(), None),
        "keras3-weights": (h5_bytes(keras3_layout), json.dumps(CONFIG)),
        "keras2-weights-v3": (h5_bytes(keras3_layout), json.dumps(CONFIG)),
        "keras3-legacy-h5": (h5_bytes(_full_model), None),
        "keras2-h5": (h5_bytes(_full_model), None),
        "keras2-weights": (h5_bytes(_legacy_root), json.dumps(CONFIG)),
    }[fmt]
    f = fixture(fmt, model_bytes, config_text)
    model = load(f)
    assert model.keras_major == keras_major
    assert model.config == CONFIG
    assert list(model.weights) == ["head"]
    kernel, bias = model.weights["head"]          # get_weights() order, whatever the layout
    assert kernel.dtype == np.float64
    assert_close(kernel, KERNEL)
    assert_close(bias, BIAS)
    inputs = fixture_inputs(f)
    assert inputs[0].dtype == np.float64 and inputs[0].tolist() == [[3.0]]


def test_keras3_keys_count_classes_skip_op_nodes():
    # Functional: InputLayer has a group, op nodes do not; a class's second layer is key _1.
    layers = [{"class_name": "InputLayer", "config": {"name": "x"}},
              {"class_name": "NotEqual", "module": "keras.src.ops.numpy",
               "config": {"name": "not_equal"}},
              {"class_name": "Dense", "config": {"name": "a"}},
              {"class_name": "Dense", "config": {"name": "b"}}]
    config = {"class_name": "Functional", "config": {"name": "model", "layers": layers}}

    def fill(w):
        w.create_group("layers/input_layer/vars")
        keras3_layout(w, (("dense", [[[1.0]]]), ("dense_1", [[[2.0]]])))
    weights = load(fixture("keras3-weights", h5_bytes(fill), json.dumps(config))).weights
    assert sorted(weights) == ["a", "b", "x"]
    assert_close(weights["a"][0], [[1.0]])
    assert_close(weights["b"][0], [[2.0]])


def test_keras3_nested_groups():
    # Bidirectional: forward_layer/ then backward_layer/ (each cell/vars); TimeDistributed:
    # layer/vars; RNN(StackedRNNCells): cell/cells/<class key>/vars.
    lstm = {"class_name": "LSTM", "config": {"name": "l"}}
    cells = [{"class_name": "LSTMCell", "config": {}}, {"class_name": "LSTMCell", "config": {}}]
    layers = [{"class_name": "Bidirectional", "config": {"name": "bi", "layer": lstm}},
              {"class_name": "TimeDistributed",
               "config": {"name": "td", "layer": {"class_name": "Dense", "config": {}}}},
              {"class_name": "RNN", "config": {"name": "rnn", "cell": {
                  "class_name": "StackedRNNCells", "config": {"cells": cells}}}}]
    config = {"class_name": "Sequential", "config": {"name": "model", "layers": layers}}

    def fill(w):
        w["layers/bidirectional/forward_layer/cell/vars/0"] = [1.0]
        w["layers/bidirectional/backward_layer/cell/vars/0"] = [2.0]
        w["layers/time_distributed/layer/vars/0"] = [3.0]
        w["layers/rnn/cell/cells/lstm_cell/vars/0"] = [4.0]
        w["layers/rnn/cell/cells/lstm_cell_1/vars/0"] = [5.0]
    weights = load(fixture("keras3-weights", h5_bytes(fill), json.dumps(config))).weights
    assert [float(a[0]) for a in weights["bi"]] == [1.0, 2.0]
    assert [float(a[0]) for a in weights["td"]] == [3.0]
    assert [float(a[0]) for a in weights["rnn"]] == [4.0, 5.0]


@pytest.mark.parametrize("cls, key", [("LSTM", "lstm"), ("SimpleRNN", "simple_rnn"),
                                      ("GRUCell", "gru_cell"), ("InputLayer", "input_layer"),
                                      ("TimeDistributed", "time_distributed")])
def test_snake(cls, key):
    assert snake(cls) == key
