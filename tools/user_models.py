#!/usr/bin/env python3
"""The models of the issues' "tried as a new user would", exported by hand and checked the way
a user checks them:

    model.save(...)  ->  rnncheck-ref MODEL -o ref.h5  ->  rnncheck compare MODEL ref.h5 --atol 1e-5 --rtol 1e-5

Each model is written with Keras 3 (`.keras`) and with tf.keras (`.h5`), in ordinary user code
(default initializers, random BatchNormalization statistics so that they matter), into a
scratch folder; the reference comes from the shipped writer (python/rnncheck_ref, run in this
process so that TensorFlow starts once) and the comparison from the rnncheck binary given.

    tools/user_models.py --rnncheck .build/release/rnncheck [--keep DIR] [--only NAME ...]

Exit status 0 when every model passes, 1 when one does not (each failure printed with
rnncheck's report).
"""

import argparse
import os
import warnings
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))


def _bn_stats(model, rng):
    """Random moving statistics in every BatchNormalization (nested ones included), as a
    trained model has them; default ones (0 and 1) would hide a missing normalization."""
    for layer in _all_layers(model):
        if type(layer).__name__ == "BatchNormalization":
            w = layer.get_weights()
            n = len(w)
            mean = rng.normal(0, 0.3, w[-2].shape).astype("float32")
            var = rng.uniform(0.5, 1.5, w[-1].shape).astype("float32")
            layer.set_weights(w[:n - 2] + [mean, var])


def _all_layers(model):
    for layer in model.layers:
        yield layer
        inner = getattr(layer, "layer", None)
        if inner is not None:
            yield inner
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


# Each builder takes (K, v): K the Keras module (keras or tf_keras), v 3 or 2; returns
# (model, writer arguments).

def autoencoder(K, v):
    """Issue 11: LSTM autoencoder with RepeatVector."""
    L = K.layers
    x = K.Input((10, 3))
    h = L.LSTM(8)(x)
    h = L.RepeatVector(10)(h)
    h = L.LSTM(8, return_sequences=True)(h)
    return K.Model(x, L.TimeDistributed(L.Dense(3))(h)), []


def bilstm_pooling(K, v):
    """Issue 11: BiLSTM classifier with concatenated global max and average pooling."""
    L = K.layers
    x = K.Input((None, 4))
    h = L.Bidirectional(L.LSTM(6, return_sequences=True))(x)
    p = L.Concatenate()([L.GlobalMaxPooling1D()(h), L.GlobalAveragePooling1D()(h)])
    return K.Model(x, L.Dense(3, activation="softmax")(p)), ["--time", "9"]


def lstm_layernorm(K, v):
    """Issue 11: an LSTM - LayerNormalization - LSTM stack."""
    return K.Sequential([
        K.Input((None, 5)), K.layers.LSTM(8, return_sequences=True),
        K.layers.LayerNormalization(), K.layers.LSTM(4)]), ["--time", "7"]


def siamese(K, v):
    """Issue 11: a siamese LSTM with a shared nested encoder."""
    L = K.layers
    encoder = K.Sequential([K.Input((None, 3)), L.LSTM(6), L.Dense(4)], name="encoder")
    a, b = K.Input((None, 3)), K.Input((None, 3))
    d = L.Subtract()([encoder(a), encoder(b)])
    return K.Model([a, b], L.Dense(1, activation="sigmoid")(L.Multiply()([d, d]))), ["--time", "6"]


def masked_embedding_gap(K, v):
    """Issue 11: a masked Embedding -> LSTM -> GlobalAveragePooling1D model."""
    L = K.layers
    ids = K.Input((None,), dtype="int32")
    h = L.Embedding(20, 6, mask_zero=True)(ids)
    h = L.LSTM(5, return_sequences=True)(h)
    return K.Model(ids, L.GlobalAveragePooling1D()(h)), ["--time", "8", "--pad", "0.4"]


def mean_and_last(K, v):
    """Issue 12: keras.ops.mean over time concatenated with h[:, -1, :]; tf.keras twin with
    tf.reduce_mean, tf.concat and slicing."""
    x = K.Input((None, 4))
    h = K.layers.LSTM(6, return_sequences=True)(x)
    if v == 3:
        import keras
        y = keras.ops.concatenate([keras.ops.mean(h, axis=1), h[:, -1, :]], axis=-1)
    else:
        import tensorflow as tf
        y = tf.concat([tf.reduce_mean(h, axis=1), h[:, -1, :]], axis=-1)
    return K.Model(x, K.layers.Dense(2)(y)), ["--time", "7"]


def mask_from_op(K, v):
    """Issue 12: recurrent layers whose mask comes from not_equal on a separate input."""
    L = K.layers
    x = K.Input((6, 3))
    tokens = K.Input((6,), dtype="int32")
    if v == 3:
        import keras
        mask = keras.ops.not_equal(tokens, 0)
    else:
        import tensorflow as tf
        mask = tf.math.not_equal(tokens, 0)
    a = L.LSTM(4)(x, mask=mask)
    b = L.GRU(4)(x, mask=mask)
    c = L.SimpleRNN(4)(x, mask=mask)
    d = L.Bidirectional(L.LSTM(3))(x, mask=mask)
    return K.Model([x, tokens], [a, b, c, d]), ["--vocab", "3"]


def conv_pool_lstm(K, v):
    """Issue 13: a Conv1D -> MaxPooling1D -> LSTM classifier."""
    L = K.layers
    return K.Sequential([
        K.Input((40, 6)), L.Conv1D(8, 5, activation="relu"), L.MaxPooling1D(2),
        L.LSTM(8), L.Dense(3, activation="softmax")]), []


def causal_dilated_gru(K, v):
    """Issue 13: a causal dilated Conv1D stack -> GRU."""
    L = K.layers
    return K.Sequential([
        K.Input((None, 4)), L.Conv1D(6, 3, padding="causal", dilation_rate=1, activation="relu"),
        L.Conv1D(6, 3, padding="causal", dilation_rate=2, activation="relu"),
        L.Conv1D(6, 3, padding="causal", dilation_rate=4), L.GRU(5)]), ["--time", "20"]


def bilstm_attention(K, v):
    """Issue 13: a BiLSTM + Attention classifier."""
    L = K.layers
    x = K.Input((None, 4))
    h = L.Bidirectional(L.LSTM(5, return_sequences=True))(x)
    a = L.Attention(use_scale=True)([h, h])
    return K.Model(x, L.Dense(2, activation="softmax")(L.GlobalAveragePooling1D()(a))), ["--time", "9"]


def encoder_decoder_additive(K, v):
    """Issue 13: an encoder-decoder with AdditiveAttention."""
    L = K.layers
    src, tgt = K.Input((None, 4)), K.Input((None, 3))
    enc, h, c = L.LSTM(6, return_sequences=True, return_state=True)(src)
    dec = L.LSTM(6, return_sequences=True)(tgt, initial_state=[h, c])
    ctx = L.AdditiveAttention()([dec, enc])
    y = L.Dense(5)(L.Concatenate()([dec, ctx]))
    return K.Model([src, tgt], y), ["--batch", "3"]


def embedding_lstm_mha(K, v):
    """Issue 13: Embedding(mask_zero) -> LSTM -> MultiHeadAttention."""
    L = K.layers
    ids = K.Input((None,), dtype="int32")
    h = L.Embedding(30, 8, mask_zero=True)(ids)
    h = L.LSTM(8, return_sequences=True)(h)
    a = L.MultiHeadAttention(num_heads=2, key_dim=4)(h, h)
    return K.Model(ids, L.Dense(2)(L.Add()([h, a]))), ["--time", "7", "--pad", "0.3"]


def next_frame(K, v):
    """Issue 14: Keras's next-frame-prediction model, small."""
    L = K.layers
    x = K.Input((None, 8, 8, 1))
    h = L.ConvLSTM2D(6, (5, 5), padding="same", return_sequences=True, activation="relu")(x)
    h = L.BatchNormalization()(h)
    h = L.ConvLSTM2D(6, (3, 3), padding="same", return_sequences=True, activation="relu")(h)
    h = L.BatchNormalization()(h)
    h = L.ConvLSTM2D(6, (1, 1), padding="same", return_sequences=True, activation="relu")(h)
    y = L.Conv3D(1, (3, 3, 3), activation="sigmoid", padding="same")(h)
    return K.Model(x, y), ["--time", "4", "--batch", "2"]


def convlstm1d_regressor(K, v):
    """Issue 14: a ConvLSTM1D -> Flatten -> Dense regressor."""
    L = K.layers
    return K.Sequential([
        K.Input((5, 10, 2)), L.ConvLSTM1D(4, 3), L.Flatten(), L.Dense(1)]), []


def convlstm2d_strided_state(K, v):
    """Issue 14: a ConvLSTM2D with strides=2, valid padding and return_state."""
    L = K.layers
    x = K.Input((4, 9, 9, 2))
    y, h, c = L.ConvLSTM2D(3, (3, 3), strides=2, padding="valid", return_state=True)(x)
    return K.Model(x, [y, h, c]), []


def video_classifier(K, v):
    """Issue 14: a TimeDistributed(Conv2D) -> LSTM video classifier."""
    L = K.layers
    return K.Sequential([
        K.Input((5, 12, 12, 3)),
        L.TimeDistributed(L.Conv2D(4, 3, activation="relu")),
        L.TimeDistributed(L.MaxPooling2D(2)),
        L.TimeDistributed(L.Flatten()),
        L.LSTM(8), L.Dense(4, activation="softmax")]), []


MODELS = [autoencoder, bilstm_pooling, lstm_layernorm, siamese, masked_embedding_gap,
          mean_and_last, mask_from_op, conv_pool_lstm, causal_dilated_gru, bilstm_attention,
          encoder_decoder_additive, embedding_lstm_mha, next_frame, convlstm1d_regressor,
          convlstm2d_strided_state, video_classifier]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rnncheck", required=True, help="the rnncheck binary")
    ap.add_argument("--keep", help="write the models and references here (default: a temporary folder)")
    ap.add_argument("--only", nargs="*", help="model names to run (default: all)")
    args = ap.parse_args()

    warnings.filterwarnings("ignore")     # tf.keras's "HDF5 is legacy" on every save
    import keras
    import tf_keras
    from rnncheck_ref import cli

    folder = args.keep or tempfile.mkdtemp(prefix="rnncheck-user-models-")
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(7)
    failures, count = [], 0
    for build in MODELS:
        if args.only and build.__name__ not in args.only:
            continue
        for K, v, ext in ((keras, 3, "keras"), (tf_keras, 2, "h5")):
            name = f"{build.__name__}_k{v}"
            K.utils.set_random_seed(int(rng.integers(1 << 30)))
            model, writer_args = build(K, v)
            _bn_stats(model, rng)
            path = os.path.join(folder, f"{name}.{ext}")
            model.save(path)
            ref = os.path.join(folder, f"{name}_ref.h5")
            if cli.main([path, "-o", ref, "-q", "--seed", "5"] + writer_args) != 0:
                failures.append((name, "rnncheck-ref failed"))
                continue
            res = subprocess.run([args.rnncheck, "compare", path, ref, "--atol", "1e-5", "--rtol", "1e-5"],
                                 capture_output=True, text=True)
            count += 1
            verdict = "PASS" if res.returncode == 0 else f"FAIL (exit {res.returncode})"
            print(f"{name:34s} {verdict}", flush=True)
            if res.returncode != 0:
                failures.append((name, res.stdout + res.stderr))
    for name, text in failures:
        print(f"\n--- {name}\n{text}")
    print(f"\n{count - len(failures)} of {count} user models pass rnncheck compare at 1e-5"
          + ("" if args.keep else f" (scratch folder {folder})"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
