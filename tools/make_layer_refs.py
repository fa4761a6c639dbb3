#!/usr/bin/env python3
"""Write the Keras models and rnncheck-ref references (with /layers) that the Swift tests of
per-layer comparison, `rnncheck diff` and the error budget read.

    PYTHONPATH=python .venv-tools/bin/python tools/make_layer_refs.py

The outputs are committed (`swift test` runs without Python); re-run this only to change them,
and keep the Swift tests in step. Everything goes to Tests/RNNCheckCLITests/Resources/layers/:

  graph.keras        Keras 3 functional model, x (6, 3):
                       enc   nested Sequential [Dense(5, tanh) 'proj']
                       shared  Dense(5), called twice: 'shared' on enc, 'shared#1' on mid
                       mid   Dense(5, relu) on shared
                       add   Add([shared, shared#1])
                       rnn   LSTM(4, return_sequences, return_state): 3 outputs
                       head  Dense(2) on rnn's state_h
                     outputs [head, rnn sequence]
  graph_ref.h5       rnncheck-ref graph.keras --layers --float64 (batch 2, time 6, seed 1)
  graph_altered.keras  graph.keras with mid's kernel[1, 2] increased by 0.01: the one weight
                     a per-layer comparison must name as the first divergence ('mid')
  two_input.h5       tf.keras functional model, a (5, 3) and b (4,): LSTM(4) 'rnn' on a,
                     Dense(4) 'side' on b, Concatenate 'cat', Dense(2) 'head'
  two_input_ref.h5   rnncheck-ref two_input.h5 --layers --float64 (batch 3, seed 2)
  dict_input.keras   Keras 3 functional model with dict inputs {"tokens": int (7,),
                     "feats": (5,)}: Embedding(11, 3, mask_zero) 'emb', GRU(4) 'gru' on it,
                     Dense(4, tanh) 'side' on feats, Concatenate 'cat', Dense(1) 'out'
  dict_input_ref.h5  rnncheck-ref dict_input.keras --layers --pad 0.3 (batch 2, seed 3)
"""

import os
import sys

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "RNNCheckCLITests", "Resources", "layers")


def graph_model(keras):
    keras.utils.set_random_seed(11)
    x = keras.Input((6, 3), name="x")
    enc = keras.Sequential([keras.Input((6, 3)), keras.layers.Dense(5, activation="tanh", name="proj")],
                           name="enc")
    shared = keras.layers.Dense(5, name="shared")
    h = enc(x)
    s0 = shared(h)
    m = keras.layers.Dense(5, activation="relu", name="mid")(s0)
    s1 = shared(m)
    a = keras.layers.Add(name="add")([s0, s1])
    seq, state_h, _ = keras.layers.LSTM(4, return_sequences=True, return_state=True, name="rnn")(a)
    out = keras.layers.Dense(2, name="head")(state_h)
    model = keras.Model(x, [out, seq], name="graph")
    # Biases non-zero, so that a relu does not hide small differences.
    rng = np.random.default_rng(11)
    model.set_weights([w if w.ndim > 1 else rng.uniform(-0.3, 0.3, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    return model


def two_input_model(tf_keras):
    tf_keras.utils.set_random_seed(12)
    a = tf_keras.Input((5, 3), name="a")
    b = tf_keras.Input((4,), name="b")
    r = tf_keras.layers.LSTM(4, name="rnn")(a)
    s = tf_keras.layers.Dense(4, activation="tanh", name="side")(b)
    c = tf_keras.layers.Concatenate(name="cat")([r, s])
    return tf_keras.Model([a, b], tf_keras.layers.Dense(2, name="head")(c), name="two_input")


def dict_input_model(keras):
    keras.utils.set_random_seed(13)
    tokens = keras.Input((7,), dtype="int32", name="tokens")
    feats = keras.Input((5,), name="feats")
    e = keras.layers.Embedding(11, 3, mask_zero=True, name="emb")(tokens)
    g = keras.layers.GRU(4, name="gru")(e)
    s = keras.layers.Dense(4, activation="tanh", name="side")(feats)
    c = keras.layers.Concatenate(name="cat")([g, s])
    out = keras.layers.Dense(1, name="out")(c)
    return keras.Model({"tokens": tokens, "feats": feats}, out, name="dict_input")


def reference(*argv):
    from rnncheck_ref import cli
    code = cli.main(list(argv) + ["--quiet"])
    if code != 0:
        raise SystemExit(f"rnncheck-ref {' '.join(argv)} exited {code}")
    print(f"wrote {argv[argv.index('-o') + 1]}")


def main():
    import keras
    import tf_keras

    os.makedirs(OUT, exist_ok=True)
    p = lambda name: os.path.join(OUT, name)  # noqa: E731

    model = graph_model(keras)
    model.save(p("graph.keras"))
    reference(p("graph.keras"), "-o", p("graph_ref.h5"), "--layers", "--float64", "--time", "6",
              "--seed", "1", "--name", "graph")
    kernel = model.get_layer("mid").kernel
    altered = np.array(kernel.numpy())
    altered[1, 2] += 0.01
    kernel.assign(altered)
    model.save(p("graph_altered.keras"))
    print(f"wrote {p('graph_altered.keras')}")

    two = two_input_model(tf_keras)
    two.save(p("two_input.h5"), save_format="h5")
    reference(p("two_input.h5"), "-o", p("two_input_ref.h5"), "--layers", "--float64", "--batch", "3",
              "--seed", "2", "--name", "two_input")

    d = dict_input_model(keras)
    d.save(p("dict_input.keras"))
    reference(p("dict_input.keras"), "-o", p("dict_input_ref.h5"), "--layers", "--pad", "0.3",
              "--seed", "3", "--name", "dict_input")
    return 0


if __name__ == "__main__":
    sys.exit(main())
