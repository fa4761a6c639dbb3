"""Model files other than a plain Keras 3 .keras archive: Keras 3's weights-only and legacy
HDF5 writers, tf_keras's weights-only writers (both layouts), and files that carry optimizer
state from training."""

from ..builders import B, D, K2W, RB, T, U, bias_kw, bidi_builder, finish, randn
from ..case import Built, Case
from .stacks import build_lstm_gru_dense, lstm_gru_dense


def build_trained(K, rng):
    """LSTM -> GRU -> Dense, compile(Adam) + fit for one epoch on random data (so the file
    holds optimizer state), then run on fresh inputs."""
    model = lstm_gru_dense(K, rng)
    model.compile(optimizer=K.optimizers.Adam(learning_rate=0.01), loss="mse")
    xt = randn(rng, 16, T, D)
    yt = randn(rng, 16, 2)
    model.fit(xt, yt, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return Built(model, [randn(rng, B, T, D)], ["head/output"])


def build_weights_only(K, rng):
    x = K.Input((T, D), name="x")
    seq, h, c = K.layers.LSTM(U, return_sequences=True, return_state=True, name="rnn",
                              **bias_kw(K))(x)
    y = K.layers.Dense(2, name="head", **bias_kw(K))(h)
    model = K.Model(x, [seq, y], name="model")
    finish(K, model, rng)
    return Built(model, [randn(rng, B, T, D)], ["rnn/output", "head/output"])


def cases():
    shape = f"x ({B},{T},{D})"
    yield Case("k2_trained",
               f"tf_keras: Sequential LSTM(4, seq) 'enc' -> GRU(3) 'dec' -> Dense(2) 'head', "
               f"compiled with Adam(0.01)/mse and fit for 1 epoch (16 samples, batch 8) before "
               f"saving, so the file has optimizer_weights and a training_config; run on "
               f"fresh {shape}; {K2W} (before training).",
               build_trained, fmt="keras2-h5")
    yield Case("k2_weights_only",
               f"tf_keras: functional LSTM({U}, return_sequences=True, return_state=True) "
               f"'rnn' -> Dense(2) 'head' on state_h; outputs [rnn sequence, head]. Saved with "
               f"save_weights('model_weights.h5') (legacy Keras 2 weights-only HDF5: root "
               f"@layer_names, <layer>/<weight_names>); /model/config holds model.to_json() "
               f"(Keras 2 JSON); {K2W}.",
               build_weights_only, fmt="keras2-weights")
    yield Case("k2_weights_only_v3",
               f"The same model as k2_weights_only saved by tf_keras with save_weights("
               f"'model.weights.h5'): that suffix makes tf_keras write its Keras-3-style "
               f"layout (layers/lstm/cell/vars/0.., layers/dense/vars/0.., no @name "
               f"attributes), while /model/config is still the Keras 2 model.to_json(); "
               f"{K2W}.",
               build_weights_only, fmt="keras2-weights-v3", seed_name="k2_weights_only")
    yield Case("k3_legacy_h5",
               f"Keras 3 model.save('model.h5') (legacy HDF5): Sequential LSTM(4, seq) 'enc' -> "
               f"GRU(3) 'dec' -> Dense(2) 'head' on {shape}; weight names carry the model name "
               f"('model/enc/lstm_cell/kernel'); {RB} (Dense too).",
               build_lstm_gru_dense, fmt="keras3-legacy-h5")
    yield Case("k3_legacy_h5_functional",
               f"Keras 3 model.save('model.h5') (legacy HDF5): functional Bidirectional(GRU("
               f"{U}) 'inner', concat, return_sequences=True, return_state=True) 'bi' on "
               f"{shape}; {RB}.",
               bidi_builder("GRU"), fmt="keras3-legacy-h5")
    yield Case("k3_trained",
               f"Keras 3: Sequential LSTM(4, seq) 'enc' -> GRU(3) 'dec' -> Dense(2) 'head', "
               f"compiled with Adam(0.01)/mse and fit for 1 epoch (16 samples, batch 8) before "
               f"saving, so model.weights.h5 also has optimizer/vars; run on fresh {shape}; "
               f"{RB} (before training).",
               build_trained)
    yield Case("k3_weights_only",
               f"Keras 3: functional LSTM({U}, return_sequences=True, return_state=True) 'rnn' "
               f"-> Dense(2) 'head' on state_h; outputs [rnn sequence, head]. Saved with "
               f"save_weights('model.weights.h5'); /model/config holds model.to_json() (the "
               f"config.json text); {RB}.",
               build_weights_only, fmt="keras3-weights")
