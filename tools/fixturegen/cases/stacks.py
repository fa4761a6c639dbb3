"""Recurrent layers in models: stacks, Embedding, Dense and TimeDistributed(Dense) heads, merge
layers, the dropout / noise layers and Activation, several inputs and outputs."""

import numpy as np

from ..builders import B, D, K2W, RB, RB_FORGET, T, U, bias_kw, finish, randn
from ..case import Built, Case


def build_stack_lstm_bidi(K, rng):
    model = K.Sequential([
        K.Input((T, D), name="x"),
        K.layers.LSTM(4, return_sequences=True, name="enc", **bias_kw(K)),
        K.layers.Bidirectional(
            K.layers.LSTM(3, return_sequences=True, name="mid_lstm", **bias_kw(K)),
            merge_mode="concat", name="mid"),
        K.layers.LSTM(5, name="dec", **bias_kw(K)),
    ], name="model")
    return Built(model, [randn(rng, B, T, D)], ["dec/output"])


def lstm_gru_dense(K, rng):
    """Sequential LSTM(4, return_sequences) 'enc' -> GRU(3) 'dec' -> Dense(2) 'head' on x,
    weights set up for the format (the model only: callers draw the inputs)."""
    model = K.Sequential([
        K.Input((T, D), name="x"),
        K.layers.LSTM(4, return_sequences=True, name="enc", **bias_kw(K)),
        K.layers.GRU(3, name="dec", **bias_kw(K)),
        K.layers.Dense(2, name="head", **bias_kw(K)),
    ], name="model")
    return finish(K, model, rng)


def build_lstm_gru_dense(K, rng):
    return Built(lstm_gru_dense(K, rng), [randn(rng, B, T, D)], ["head/output"])


def build_stack_embed_lstm_gru_dense(K, rng):
    model = K.Sequential([
        K.Input((T,), dtype="int32", name="tokens"),
        K.layers.Embedding(12, 5, name="emb"),
        K.layers.LSTM(4, return_sequences=True, name="enc", **bias_kw(K)),
        K.layers.GRU(3, name="dec", **bias_kw(K)),
        K.layers.Dense(3, activation="softmax", name="head", **bias_kw(K)),
    ], name="model")
    finish(K, model, rng)
    return Built(model, [rng.integers(0, 12, size=(B, T)).astype(np.int32)], ["head/output"])


def _lstm_then(K, rng, make_head):
    """Sequential LSTM(U, return_sequences) 'rnn' -> make_head() on x. The head is made
    after the LSTM, so that their bias seeds are drawn in that order."""
    lstm = K.layers.LSTM(U, return_sequences=True, name="rnn", **bias_kw(K))
    head = make_head()
    model = K.Sequential([K.Input((T, D), name="x"), lstm, head], name="model")
    return Built(model, [randn(rng, B, T, D)], [f"{head.name}/output"])


def build_stack_td_dense(K, rng):
    return _lstm_then(K, rng, lambda: K.layers.TimeDistributed(
        K.layers.Dense(2, activation="tanh", name="dense", **bias_kw(K)), name="td"))


def build_dense_3d(K, rng):
    return _lstm_then(K, rng, lambda: K.layers.Dense(5, activation="gelu", name="dense",
                                                     **bias_kw(K)))


def build_merge_layers(K, rng):
    x = K.Input((T, D), name="x")
    a = K.layers.LSTM(U, name="lstm_a", **bias_kw(K))(x)
    b = K.layers.LSTM(U, name="lstm_b", **bias_kw(K))(x)
    outs = [K.layers.Concatenate(name="concat")([a, b]), K.layers.Add(name="add")([a, b]),
            K.layers.Average(name="average")([a, b]), K.layers.Multiply(name="multiply")([a, b])]
    model = K.Model(x, outs, name="model")
    return Built(model, [randn(rng, B, T, D)],
                 ["concat/output", "add/output", "average/output", "multiply/output"])


def build_dropout_family(K, rng):
    model = K.Sequential([
        K.Input((T, D), name="x"),
        K.layers.LSTM(U, return_sequences=True, name="enc", **bias_kw(K)),
        K.layers.Dropout(0.5, name="drop"),
        K.layers.SpatialDropout1D(0.3, name="sdrop"),
        K.layers.GaussianNoise(0.1, name="noise"),
        K.layers.Activation("swish", name="act"),
        K.layers.GRU(3, return_sequences=True, name="dec", **bias_kw(K)),
    ], name="model")
    return Built(model, [randn(rng, B, T, D)], ["dec/output"])


def build_multi_io(K, rng):
    x1 = K.Input((T, D), name="x1")
    x2 = K.Input((T + 1, 2), name="x2")
    a = K.layers.LSTM(U, name="lstm", **bias_kw(K))(x1)
    b = K.layers.GRU(3, name="gru", **bias_kw(K))(x2)
    y1 = K.layers.Dense(2, name="head_a", **bias_kw(K))(K.layers.Concatenate(name="cat")([a, b]))
    y2 = K.layers.Dense(1, activation="sigmoid", name="head_b", **bias_kw(K))(a)
    model = K.Model([x1, x2], [y1, y2], name="model")
    finish(K, model, rng)
    return Built(model, [randn(rng, B, T, D), randn(rng, B, T + 1, 2)],
                 ["head_a/output", "head_b/output"])


def cases():
    shape = f"x ({B},{T},{D})"
    yield Case("stack_lstm_bidi",
               f"Sequential stack on {shape}: LSTM(4, return_sequences=True) 'enc' -> "
               "Bidirectional(LSTM(3, return_sequences=True) 'mid_lstm', merge_mode='concat') "
               f"'mid' -> LSTM(5) 'dec'; {RB_FORGET}.",
               build_stack_lstm_bidi)
    yield Case("stack_embed_lstm_gru_dense",
               f"Sequential int32 tokens ({B},{T}) in [0,12) -> Embedding(12, 5) 'emb' (no "
               f"mask) -> LSTM(4, return_sequences=True) 'enc' -> GRU(3) 'dec' -> Dense(3, "
               f"softmax) 'head'; {RB} (Dense too).",
               build_stack_embed_lstm_gru_dense)
    yield Case("stack_td_dense",
               f"Sequential LSTM({U}, return_sequences=True) 'rnn' -> TimeDistributed(Dense(2, "
               f"activation='tanh') 'dense') 'td' on {shape}; {RB} (Dense too).",
               build_stack_td_dense)
    yield Case("dense_3d",
               f"Sequential LSTM({U}, return_sequences=True) 'rnn' -> Dense(5, activation="
               f"'gelu') 'dense' applied to the 3-D sequence (exact erf gelu), on {shape}; "
               f"{RB} (Dense too).",
               build_dense_3d)
    yield Case("merge_layers",
               f"Functional LSTM({U}) 'lstm_a' and LSTM({U}) 'lstm_b' on the same {shape}, "
               f"merged four ways: outputs Concatenate 'concat', Add 'add', Average 'average', "
               f"Multiply 'multiply'; {RB}.",
               build_merge_layers)
    yield Case("dropout_family",
               f"Sequential LSTM({U}, return_sequences=True) 'enc' -> Dropout(0.5) 'drop' -> "
               f"SpatialDropout1D(0.3) 'sdrop' -> GaussianNoise(0.1) 'noise' -> "
               f"Activation('swish') 'act' (saved as 'silu') -> GRU(3, return_sequences=True) "
               f"'dec' on {shape}; the dropout and noise layers are the identity at "
               f"inference; {RB}.",
               build_dropout_family)
    yield Case("multi_io",
               f"Functional two inputs x1 ({B},{T},{D}) and x2 ({B},{T + 1},2): LSTM({U}) "
               f"'lstm' on x1, GRU(3) 'gru' on x2, Concatenate 'cat' -> Dense(2) 'head_a'; "
               f"Dense(1, sigmoid) 'head_b' on the LSTM output. Outputs [head_a, head_b]; "
               f"{RB}.",
               build_multi_io)
    yield Case("k2_stack",
               f"tf_keras: Sequential LSTM(4, return_sequences=True) 'enc' -> GRU(3) 'dec' -> "
               f"Dense(2) 'head' on {shape}; {K2W}.",
               build_lstm_gru_dense, fmt="keras2-h5")
