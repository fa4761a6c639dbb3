#!/usr/bin/env python3
"""Write the small Keras files that the Swift tests of Lambda and custom layers read.

    .venv-tools/bin/python tools/make_test_models.py

The outputs are committed (`swift test` runs without Python); re-run this only to change them,
and keep the Swift tests in step.

Tests/RNNCheckCLITests/Resources/ (rnncheck must refuse these, exit 2):
  lambda.keras, lambda.h5   Keras 3 / tf.keras: x (5, 3) -> Lambda(lambda t: t * 2.0) 'double'
                            -> Dense(2) 'head'
  custom.keras, custom.h5   Keras 3 / tf.keras: x (5, 3) -> Scale 'scale' (registered as
                            demo>Scale, see below) -> Dense(2) 'head'
  lambda_ref.h5, custom_ref.h5
                            input_0 (1, 5, 3) and Keras's output_0 for those models (the
                            weights are set so that both Keras versions compute the same)

Tests/KerasImportTests/Resources/ (fixture format 1, fixtures/README.md):
  custom_scale_k3.h5, custom_scale_k2.h5
                            Keras 3 .keras / tf.keras .h5: x (2, 5, 3) -> Scale(factor=0.5)
                            'scale' -> LSTM(4, return_sequences=True) 'rnn'; outputs the
                            Scale's and the LSTM's. CustomLayerTests registers a Swift Scale
                            and matches Keras's outputs.

Scale is a layer class registered with register_keras_serializable(package="demo"): one weight
`w` of shape (features,), config option `factor`, call(x) = x * w * factor.
"""

import os
import shlex
import sys

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from fixturegen.builders import randn  # noqa: E402  (tools/ is on sys.path)
from fixturegen.case import DEFAULT_BASE_SEED, Built, Case  # noqa: E402
from fixturegen.formats import keras_module  # noqa: E402
from rnncheck_ref.keras_run import run_model  # noqa: E402
from fixturegen.writer import generator_sha256, make_fixture  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "Tests", "RNNCheckCLITests", "Resources")
IMPORT = os.path.join(ROOT, "Tests", "KerasImportTests", "Resources")

_SCALE = {}


def scale_class(K):
    """The demo>Scale layer class for Keras package K, defined and registered once."""
    if K.__name__ not in _SCALE:
        @K.saving.register_keras_serializable(package="demo")
        class Scale(K.layers.Layer):
            def __init__(self, factor=1.0, **kwargs):
                super().__init__(**kwargs)
                self.factor = factor

            def build(self, input_shape):
                self.w = self.add_weight(name="w", shape=(input_shape[-1],), initializer="ones")

            def call(self, x):
                return x * self.w * self.factor

            def get_config(self):
                return {**super().get_config(), "factor": self.factor}

        _SCALE[K.__name__] = Scale
    return _SCALE[K.__name__]


def build_custom_scale(K, rng):
    x = K.Input((5, 3), name="x")
    s = scale_class(K)(factor=0.5, name="scale")(x)
    h = K.layers.LSTM(4, return_sequences=True, name="rnn")(s)
    model = K.Model(x, [s, h], name="model")
    # Every weight from numpy (tf.keras initializers repeat their draws): w U(0.5, 2), the
    # LSTM's kernels U(-0.5, 0.5), bias U(-0.5, 0.5).
    model.set_weights([rng.uniform(0.5, 2.0, w.shape).astype(np.float32) if i == 0 else
                       rng.uniform(-0.5, 0.5, w.shape).astype(np.float32)
                       for i, w in enumerate(model.weights)])
    return Built(model, [randn(rng, 2, 5, 3)], ["scale/output", "rnn/output"])


DESCRIPTION = ("{who}: x (2,5,3) -> Scale(factor=0.5) 'scale' (a custom layer registered as "
               "demo>Scale: one weight w (3,), call(x) = x * w * factor) -> LSTM(4, "
               "return_sequences=True) 'rnn'; outputs the Scale's and the LSTM's. Written by "
               "tools/make_test_models.py for Tests/KerasImportTests/CustomLayerTests.swift.")


def small_model(K, kind):
    """x (5, 3) -> Lambda 'double' or Scale 'scale' -> Dense(2) 'head', with fixed weights."""
    x = K.Input((5, 3), name="x")
    if kind == "lambda":
        h = K.layers.Lambda(lambda t: t * 2.0, name="double")(x)
    else:
        h = scale_class(K)(factor=2.0, name="scale")(x)
    model = K.Model(x, K.layers.Dense(2, name="head")(h), name="model")
    weights = {"w": np.array([1.0, 0.5, 0.25], np.float32),
               "kernel": np.array([[1, -1], [0.5, 0.5], [-0.25, 1]], np.float32),
               "bias": np.array([0.1, -0.1], np.float32)}
    model.set_weights([weights[w.name.split("/")[-1].split(":")[0]] for w in model.weights])
    return model


def write_small_models():
    x = (np.arange(15, dtype=np.float32).reshape(1, 5, 3) - 7) / 4
    for kind in ("lambda", "custom"):
        outputs = []
        for fmt, suffix in (("keras3", ".keras"), ("keras2-h5", ".h5")):
            K = keras_module(fmt)
            K.backend.clear_session()
            model = small_model(K, kind)
            path = os.path.join(CLI, kind + suffix)
            if suffix == ".h5":
                model.save(path, save_format="h5")
            else:
                model.save(path)
            outputs.append(run_model(K, model, [x])[0])
            print(f"wrote {path} ({os.path.getsize(path)} bytes)")
        assert np.array_equal(outputs[0], outputs[1]), (kind, outputs)
        ref = os.path.join(CLI, f"{kind}_ref.h5")
        with h5py.File(ref, "w", libver="earliest") as f:
            f["input_0"] = x
            f["output_0"] = outputs[0]
        print(f"wrote {ref}")


def main():
    os.makedirs(CLI, exist_ok=True)
    os.makedirs(IMPORT, exist_ok=True)
    write_small_models()
    command = shlex.join(["python"] + sys.argv)
    sha = generator_sha256()
    problems = []
    for name, fmt, who in (("custom_scale_k3", "keras3", "Keras 3"),
                           ("custom_scale_k2", "keras2-h5", "tf.keras")):
        case = Case(name, DESCRIPTION.format(who=who), build_custom_scale, fmt=fmt)
        problems += make_fixture(case, IMPORT, DEFAULT_BASE_SEED, command, sha)
        print(f"wrote {os.path.join(IMPORT, name + '.h5')}")
    for p in problems:
        print("PROBLEM: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
