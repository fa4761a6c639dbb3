#!/usr/bin/env python3
"""Write the Keras files that the documentation's examples run on (Tests/DocumentationTests).

    .venv-tools/bin/python tools/make_docs_models.py

The outputs are committed (`swift test` runs without Python); re-run this only to change them,
and keep the documentation and Tests/DocumentationTests in step.

Tests/DocumentationTests/Resources/:
  model.keras   Keras 3: Input(batch_shape=(1, None, 3)) 'x' -> LSTM(4, stateful=True,
                return_sequences=True) 'rnn' -> Dense(2) 'head': a model saved for streaming
                (any number of steps per call; Keras carries the LSTM's state between calls)
  ref.h5        `rnncheck-ref model.keras -o ref.h5 --batch 1 --time 8 --seed 0`, exactly as the article
                "Check against Keras in your tests" tells a user to write it
  steps.h5      input_0 (1, 6, 3) and output_0 (1, 6, 2): Keras's outputs when the stateful
                model is called on one time step at a time (six calls, states carried), then
                after reset_states() on input_1 (1, 2, 3): output_1 (1, 2, 2); and from zero
                state on input_2 = [[[0.5, -1.0, 2.0]]]: output_2 (1, 1, 2), which the article
                "Check against Keras in your tests" quotes (printed here to 9 digits)
"""

import os
import subprocess
import sys

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "DocumentationTests", "Resources")
SEED = 20240617


def build(rng):
    x = keras.Input(batch_shape=(1, None, 3), name="x")
    h = keras.layers.LSTM(4, stateful=True, return_sequences=True, name="rnn")(x)
    y = keras.layers.Dense(2, name="head")(h)
    model = keras.Model(x, y, name="streaming")
    # Every weight from numpy: kernels and biases U(-0.5, 0.5).
    model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in model.weights])
    return model


def reset(model):
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_states()


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(SEED)
    model = build(rng)
    path = os.path.join(OUT, "model.keras")
    model.save(path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")

    # One step per call, the stateful LSTM carrying its state from call to call.
    steps = rng.standard_normal((1, 6, 3)).astype(np.float32)
    reset(model)
    outputs = [np.asarray(model(steps[:, t:t + 1], training=False)) for t in range(steps.shape[1])]
    stepwise = np.concatenate(outputs, axis=1)
    # After reset_states() the next call starts from zero state again.
    again = rng.standard_normal((1, 2, 3)).astype(np.float32)
    reset(model)
    after_reset = np.asarray(model(again, training=False))
    # Keras's own check: one call on the whole sequence from zero state gives the same outputs
    # (to float32 rounding: the per-step and whole-sequence kernels may round differently).
    reset(model)
    whole = np.asarray(model(steps, training=False))
    # One step from zero state, quoted in the article (float32 needs 9 significant digits).
    probe = np.array([[[0.5, -1.0, 2.0]]], np.float32)
    reset(model)
    probed = np.asarray(model(probe, training=False))
    print("output for [[[0.5, -1.0, 2.0]]]:", [f"{v:.9g}" for v in probed.ravel()])
    assert np.allclose(whole, stepwise, atol=1e-6, rtol=0), np.abs(whole - stepwise).max()
    steps_path = os.path.join(OUT, "steps.h5")
    with h5py.File(steps_path, "w", libver="earliest") as f:
        f["input_0"] = steps
        f["output_0"] = stepwise
        f["input_1"] = again
        f["output_1"] = after_reset
        f["input_2"] = probe
        f["output_2"] = probed
        f.attrs["keras_version"] = keras.__version__
        f.attrs["description"] = ("Keras's outputs of model.keras called on one time step of input_0 at a time "
                                  "(states carried), then after reset_states() on input_1 in one call; "
                                  "output_2: input_2 in one call from zero state")
    print(f"wrote {steps_path}")

    ref_path = os.path.join(OUT, "ref.h5")
    subprocess.run([sys.executable, "-m", "rnncheck_ref", "model.keras", "-o", "ref.h5", "--batch", "1", "--time", "8", "--seed", "0"],
                   check=True, cwd=OUT)
    print(f"wrote {ref_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
