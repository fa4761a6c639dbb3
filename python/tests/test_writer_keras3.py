"""rnncheck-ref on Keras 3 models: the file's layout, generated inputs, names, --layers,
--float64. Every expected value is computed here, by calling the model or with numpy."""

import warnings

import numpy as np

import ref_models
from conftest import call


def test_single_input_model(folder, write_ref):
    path = ref_models.single_input_k3(folder)
    ref = write_ref(path)
    assert ref.attrs["rnncheck_fixture"] == 1 and ref.attrs["name"] == "ref"
    assert "single.keras" in ref.attrs["description"]
    assert len(ref.inputs) == 1 and ref.inputs[0].shape == (2, 8, 3)      # --batch 2, --time 8
    assert ref.inputs[0].dtype == np.float32 and ref.input_attrs[0]["name"] == "x"
    want = call(ref_models.load(path), ref.inputs[0])
    assert len(ref.outputs) == 1 and ref.outputs[0].dtype == np.float32
    np.testing.assert_array_equal(ref.outputs[0], want[0])
    assert ref.output_names == ["head/output"]
    with open(path, "rb") as f:
        assert ref.model_bytes == f.read()
    assert ref.model == {"format": "keras3", "filename": "single.keras"}
    assert ref.config is None and ref.float64 is None and ref.layers is None
    p = ref.provenance
    assert p["backend"] == "tensorflow" and p["keras_version"].startswith("3.")
    assert p["onednn"] == "off" and p["device"] == "CPU" and p["seed"] == 0
    for key in ("tensorflow_version", "device_name", "python_version", "numpy_version",
                "h5py_version", "command", "created"):
        assert p[key], key
    assert p["command"].startswith("rnncheck-ref ") and "single.keras" in p["command"]


def test_batch_time_seed(folder, write_ref):
    path = ref_models.single_input_k3(folder)
    a = write_ref(path, "--batch", 3, "--time", 5, "--seed", 7, out="a.h5")
    b = write_ref(path, "--batch", 3, "--time", 5, "--seed", 7, out="b.h5")
    c = write_ref(path, "--batch", 3, "--time", 5, "--seed", 8, out="c.h5")
    assert a.inputs[0].shape == (3, 5, 3)
    np.testing.assert_array_equal(a.inputs[0], b.inputs[0])
    assert not np.array_equal(a.inputs[0], c.inputs[0])
    assert a.provenance["seed"] == 7


def test_dict_input_model_in_sorted_key_order(folder, write_ref):
    path = ref_models.dict_input_k3(folder)
    ref = write_ref(path)
    # keras.tree.flatten order: inputs aux, seq; outputs score, state.
    assert [a["name"] for a in ref.input_attrs] == ["aux", "seq"]
    assert [a["key"] for a in ref.input_attrs] == ["aux", "seq"]
    assert ref.inputs[0].shape == (2, 2) and ref.inputs[1].shape == (2, 5, 3)
    model = ref_models.load(path)
    want = model({"aux": ref.inputs[0], "seq": ref.inputs[1]}, training=False)
    np.testing.assert_array_equal(ref.outputs[0], np.asarray(want["score"]))
    np.testing.assert_array_equal(ref.outputs[1], np.asarray(want["state"]))
    assert ref.output_names == ["score_head/output", "gru/output"]


def test_token_ids_within_each_embedding_and_padding(folder, write_ref):
    path = ref_models.tokens_k3(folder)
    ref = write_ref(path, "--batch", 3, "--time", 8, "--pad", 0.5, "--seed", 3)
    ids, fids, x = ref.inputs
    assert ids.dtype == np.int32 and ids.shape == (3, 8)
    assert fids.dtype == np.float32 and fids.shape == (3, 4)       # a float Input holding ids
    assert x.dtype == np.float32 and x.shape == (3, 8, 2)
    # mask_zero: real ids in [1, 6), padding 0 at the end: rows padded 0, 2, 4 steps.
    for row, n in enumerate([0, 2, 4]):
        assert (ids[row, 8 - n:] == 0).all() and (ids[row, :8 - n] >= 1).all()
        assert (x[row, 8 - n:] == -1.0).all() and (x[row, :8 - n] != -1.0).all()
    assert ids.max() < 6
    assert (fids == np.round(fids)).all() and fids.min() >= 0 and fids.max() < 9
    assert len(np.unique(fids)) > 3                                 # not padded: no mask
    want = call(ref_models.load(path), [ids, fids, x])
    for got, w in zip(ref.outputs, want):
        np.testing.assert_array_equal(got, w)


def test_no_padding_without_pad(folder, write_ref):
    ref = write_ref(ref_models.tokens_k3(folder), "--batch", 4, "--time", 30)
    ids, _, x = ref.inputs
    assert (ids >= 1).all() and (x != -1.0).all()


def test_layers_shared_layer_and_op_node(folder, write_ref):
    path = ref_models.shared_k3(folder)
    ref = write_ref(path, "--layers", "--pad", 0.5, "--time", 6)
    layers = ref.layers
    assert layers["order"] == ["mask", "shared", "not_equal", "shared#1", "any", "rnn", "add"]
    assert sorted(layers["nodes"]) == sorted(layers["order"])      # no InputLayer
    model = ref_models.load(path)
    x = ref.inputs[0]
    shared = model.get_layer("shared")
    first = ref_models.dense(x, shared)
    node = layers["nodes"]
    assert node["shared"]["attrs"] == {"layer": "shared", "class_name": "Dense"}
    assert node["shared#1"]["attrs"] == {"layer": "shared", "class_name": "Dense"}
    np.testing.assert_allclose(node["shared"]["outputs"][0], first, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(node["shared#1"]["outputs"][0], ref_models.dense(first, shared),
                               rtol=1e-5, atol=1e-6)
    assert node["shared#1"]["names"] == ["shared/output"]
    # The op node of Masking's mask: x != 0 per feature, stored as uint8.
    np.testing.assert_array_equal(node["not_equal"]["outputs"][0], (x != 0).astype(np.uint8))
    np.testing.assert_array_equal(node["any"]["outputs"][0], (x != 0).any(-1).astype(np.uint8))
    assert node["rnn"]["names"] == ["rnn/output", "rnn/state_h", "rnn/state_c"]
    assert [o.shape for o in node["rnn"]["outputs"]] == [(2, 6, 4), (2, 4), (2, 4)]
    want = call(model, x)
    np.testing.assert_array_equal(node["add"]["outputs"][0], want[0])
    np.testing.assert_array_equal(node["rnn"]["outputs"][1], want[1])
    assert node["add"]["attrs"]["class_name"] == "Add" and node["add"]["names"] == ["add/output"]
    assert ref.output_names == ["add/output", "rnn/state_h", "rnn/state_c"]


def test_float64(folder, write_ref):
    path = ref_models.shared_k3(folder)
    ref = write_ref(path, "--float64", "--layers")
    assert len(ref.float64) == len(ref.outputs) == 3
    for f32, f64 in zip(ref.outputs, ref.float64):
        assert f64.dtype == np.float64 and f64.shape == f32.shape
        np.testing.assert_allclose(f64, f32, rtol=1e-5, atol=1e-6)
        # Really computed in float64: most values are not float32 numbers.
        assert np.mean(f64 != f64.astype(np.float32)) > 0.9
    l64 = ref.layers_float64
    assert l64["order"] == ref.layers["order"]
    for name, node in ref.layers["nodes"].items():
        for a, b in zip(node["outputs"], l64["nodes"][name]["outputs"]):
            assert b.dtype == (np.float64 if a.dtype == np.float32 else a.dtype)
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_sequential_model(folder, write_ref):
    path = ref_models.sequential_k3(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)      # e.g. Keras: inputs of the wrong structure
        ref = write_ref(path, "--layers", "--time", 3)
    model = ref_models.load(path)
    np.testing.assert_array_equal(ref.outputs[0], call(model, ref.inputs[0])[0])
    assert ref.output_names == ["d/output"]
    assert ref.layers["order"] == ["g", "d"]
    np.testing.assert_allclose(ref.layers["nodes"]["d"]["outputs"][0],
                               ref_models.dense(ref.layers["nodes"]["g"]["outputs"][0],
                                                model.get_layer("d")), rtol=1e-5, atol=1e-6)


def test_model_used_as_a_layer(folder, write_ref):
    """A nested model is one node; its outputs are named as rnncheck names them:
    "<outer node>/<the inner model's output name>"."""
    path = ref_models.nested_k3(folder)
    ref = write_ref(path, "--layers")
    assert ref.output_names == ["inner/d/output", "rnn/output"]
    assert ref.layers["order"] == ["inner", "rnn"]
    assert ref.layers["nodes"]["inner"]["attrs"]["class_name"] == "Sequential"
    want = call(ref_models.load(path), ref.inputs[0])
    np.testing.assert_array_equal(ref.layers["nodes"]["inner"]["outputs"][0], want[0])
    np.testing.assert_array_equal(ref.outputs[1], want[1])


def test_float64_with_an_output_that_is_an_embedding_lookup(folder, write_ref):
    """'flat' passes Embedding weights on unchanged: its float64 values are float32 numbers,
    and the clone still counts as float64 by its other outputs."""
    ref = write_ref(ref_models.tokens_k3(folder), "--float64")
    np.testing.assert_array_equal(ref.float64[1], ref.outputs[1].astype(np.float64))
    assert np.mean(ref.float64[2] != ref.float64[2].astype(np.float32)) > 0.9
