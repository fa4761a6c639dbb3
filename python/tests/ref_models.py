"""Small models for the tests, each built with explicit names and a fixed seed, saved to a
folder; every function returns the saved file's path."""

import os

import numpy as np


def single_input_k3(folder):
    """Keras 3: x (None, None, 3) -> LSTM(4, sequences) 'rnn' -> Dense(2) 'head'."""
    import keras
    keras.backend.clear_session()     # op nodes get counter names: start the counters anew
    keras.utils.set_random_seed(11)
    x = keras.Input((None, 3), name="x")
    h = keras.layers.LSTM(4, return_sequences=True, name="rnn")(x)
    y = keras.layers.Dense(2, name="head")(h)
    path = os.path.join(folder, "single.keras")
    keras.Model(x, y, name="single").save(path)
    return path


def dict_input_k3(folder):
    """Keras 3: inputs {"seq": (None, 5, 3), "aux": (None, 2)}, outputs {"score", "state"}."""
    import keras
    keras.backend.clear_session()     # op nodes get counter names: start the counters anew
    keras.utils.set_random_seed(12)
    seq = keras.Input((5, 3), name="seq")
    aux = keras.Input((2,), name="aux")
    h = keras.layers.GRU(4, name="gru")(seq)
    y = keras.layers.Dense(1, name="score_head")(keras.layers.Concatenate(name="cat")([h, aux]))
    path = os.path.join(folder, "dict.keras")
    keras.Model({"seq": seq, "aux": aux}, {"state": h, "score": y}, name="dict_io").save(path)
    return path


def tokens_k3(folder):
    """Keras 3: int32 ids (None, None) -> Embedding(6, mask_zero) 'emb' -> LSTM(3) 'rnn';
    float32 ids (None, 4) -> Embedding(9) 'emb_b' -> Flatten 'flat'; x (None, None, 2) ->
    Masking(-1.0) 'mask' -> GRU(3) 'gru'. Outputs: rnn, flat, gru."""
    import keras
    keras.backend.clear_session()     # op nodes get counter names: start the counters anew
    keras.utils.set_random_seed(13)
    ids = keras.Input((None,), dtype="int32", name="ids")
    fids = keras.Input((4,), name="fids")
    x = keras.Input((None, 2), name="x")
    a = keras.layers.LSTM(3, name="rnn")(keras.layers.Embedding(6, 3, mask_zero=True, name="emb")(ids))
    b = keras.layers.Flatten(name="flat")(keras.layers.Embedding(9, 2, name="emb_b")(fids))
    c = keras.layers.GRU(3, name="gru")(keras.layers.Masking(-1.0, name="mask")(x))
    path = os.path.join(folder, "tokens.keras")
    keras.Model([ids, fids, x], [a, b, c], name="tokens").save(path)
    return path


def shared_k3(folder):
    """Keras 3: x (None, None, 3) -> Masking 'mask' -> Dense(3) 'shared' twice ->
    LSTM(4, sequences, state) 'rnn' -> keras.ops.add(., 1.0) (op node 'add').
    Outputs: [add, rnn state_h, rnn state_c]."""
    import keras
    keras.backend.clear_session()     # op nodes get counter names: start the counters anew
    keras.utils.set_random_seed(14)
    x = keras.Input((None, 3), name="x")
    d = keras.layers.Dense(3, name="shared")
    h = d(d(keras.layers.Masking(name="mask")(x)))
    seq, sh, sc = keras.layers.LSTM(4, return_sequences=True, return_state=True, name="rnn")(h)
    path = os.path.join(folder, "shared.keras")
    keras.Model(x, [keras.ops.add(seq, 1.0), sh, sc], name="shared_model").save(path)
    return path


def two_input_tf_keras(folder):
    """tf_keras: x1 (None, 5, 3) -> LSTM(4) 'rnn'; x2 (None, None, 2) -> Dense(3) 'shared'
    twice -> GRU(3) 'gru'; Concatenate 'cat' -> Dense(2) 'head'. Outputs: [head, gru]."""
    import tf_keras
    tf_keras.backend.clear_session()
    tf_keras.utils.set_random_seed(15)
    x1 = tf_keras.Input((5, 3), name="x1")
    x2 = tf_keras.Input((None, 2), name="x2")
    d = tf_keras.layers.Dense(2, name="shared")
    g = tf_keras.layers.GRU(3, name="gru")(d(d(x2)))
    y = tf_keras.layers.Dense(2, name="head")(
        tf_keras.layers.Concatenate(name="cat")([tf_keras.layers.LSTM(4, name="rnn")(x1), g]))
    path = os.path.join(folder, "two.h5")
    tf_keras.Model([x1, x2], [y, g], name="two").save(path, save_format="h5")
    return path


def load(path):
    """The saved model, loaded by the Keras that wrote it (test side)."""
    if path.endswith(".h5"):
        import tf_keras
        return tf_keras.models.load_model(path, compile=False)
    import keras
    return keras.saving.load_model(path, compile=False)


def dense(x, layer):
    """A Dense layer's output computed with numpy from its weights (linear activation)."""
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
    return x.astype(np.float64) @ kernel + bias


def _gru_dense(keras, name, input_name):
    """Sequential: Input (None, None, 3) -> GRU(4, sequences) 'g' -> Dense(2) 'd'."""
    return keras.Sequential([keras.Input((None, 3), name=input_name),
                             keras.layers.GRU(4, return_sequences=True, name="g"),
                             keras.layers.Dense(2, name="d")], name=name)


def sequential_k3(folder):
    """Keras 3 Sequential 'seq': Input 'inp' (None, None, 3) -> GRU(4, sequences) 'g' ->
    Dense(2) 'd'."""
    import keras
    keras.backend.clear_session()
    keras.utils.set_random_seed(17)
    path = os.path.join(folder, "seq.keras")
    _gru_dense(keras, "seq", "inp").save(path)
    return path


def nested_k3(folder):
    """Keras 3: x (None, None, 3) -> Sequential 'inner' [GRU(4, sequences) 'g', Dense(2) 'd']
    used as a layer -> LSTM(3) 'rnn'. Outputs: [inner's output, rnn]."""
    import keras
    keras.backend.clear_session()
    keras.utils.set_random_seed(18)
    x = keras.Input((None, 3), name="x")
    h = _gru_dense(keras, "inner", "inner_in")(x)
    path = os.path.join(folder, "nested.keras")
    keras.Model(x, [h, keras.layers.LSTM(3, name="rnn")(h)], name="outer").save(path)
    return path
