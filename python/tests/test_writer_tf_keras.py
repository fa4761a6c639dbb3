"""rnncheck-ref on a tf.keras (Keras 2) .h5 model with two inputs."""

import numpy as np
import pytest

import ref_models
from conftest import call


@pytest.fixture(scope="module")
def two_input(tmp_path_factory):
    return ref_models.two_input_tf_keras(str(tmp_path_factory.mktemp("models")))


def test_two_input_tf_keras_model(two_input, write_ref):
    ref = write_ref(two_input, "--time", 4, "--float64")
    assert ref.model == {"format": "keras2-h5", "filename": "two.h5"}
    assert ref.provenance["keras_version"].startswith("2.")
    assert [a["name"] for a in ref.input_attrs] == ["x1", "x2"]
    assert ref.inputs[0].shape == (2, 5, 3) and ref.inputs[1].shape == (2, 4, 2)
    want = call(ref_models.load(two_input), ref.inputs)
    for got, w in zip(ref.outputs, want):
        np.testing.assert_array_equal(got, w)
    assert ref.output_names == ["head/output", "gru/output"]
    for f32, f64 in zip(ref.outputs, ref.float64):
        assert f64.dtype == np.float64
        np.testing.assert_allclose(f64, f32, rtol=1e-5, atol=1e-6)


def test_tf_keras_layers(two_input, write_ref):
    ref = write_ref(two_input, "--layers")
    nodes = ref.layers["nodes"]
    assert set(nodes) == {"shared", "shared#1", "gru", "rnn", "cat", "head"}
    order = ref.layers["order"]
    assert order.index("shared") < order.index("shared#1") < order.index("gru") < order.index("cat")
    shared = ref_models.load(two_input).get_layer("shared")
    first = ref_models.dense(ref.inputs[1], shared)
    np.testing.assert_allclose(nodes["shared#1"]["outputs"][0], ref_models.dense(first, shared),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(nodes["head"]["outputs"][0], ref.outputs[0])
