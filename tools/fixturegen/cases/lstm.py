"""LSTM: every return flag, go_backwards, initial_state, use_bias, activations, shapes,
stateful / unroll / dropout (which must not change the outputs), and tf_keras's LSTM."""

import numpy as np

from ..builders import B, D, K2W, RB, RB_FORGET, T, U, bias_kw, check_equal, randn, \
    rnn_builder, rnn_names, tf
from ..case import Built, Case


def _equal_to_plain_lstm_builder(label, atol, **options):
    """Functional LSTM 'rnn' with `options`, sequences + states, checked against a plain
    LSTM given the same weights (within atol; 0 = bit for bit)."""
    def build(K, rng):
        layer = K.layers.LSTM(U, return_sequences=True, return_state=True, name="rnn",
                              **options, **bias_kw(K))
        x = K.Input((T, D), batch_size=B if options.get("stateful") else None, name="x")
        model = K.Model(x, layer(x), name="model")
        xs = [randn(rng, B, T, D)]
        x_ref = K.Input((T, D), name="x_ref")
        plain = K.layers.LSTM(U, return_sequences=True, return_state=True, name="plain")
        ref_model = K.Model(x_ref, plain(x_ref), name="ref_model")
        ref_model.set_weights(model.get_weights())
        ref = [np.asarray(o) for o in ref_model(xs[0], training=False)]
        return Built(model, xs, rnn_names("rnn", "LSTM", True),
                     checks=[check_equal(label, ref, atol=atol)])
    return build


def cases():
    shape = f"x ({B},{T},{D})"
    for seq in (False, True):
        for st in (False, True):
            kind = "Functional" if st else "Sequential"
            yield Case(f"lstm_seq{tf(seq)}_state{tf(st)}",
                       f"{kind} LSTM({U}) 'rnn', return_sequences={seq}, return_state={st}, "
                       f"on {shape}; {RB_FORGET}.",
                       rnn_builder("LSTM", return_sequences=seq, return_state=st))
    yield Case("lstm_go_backwards",
               f"Functional LSTM({U}) 'rnn', go_backwards=True, return_sequences=True, "
               f"return_state=True, on {shape}; the sequence output is in processing "
               f"(reversed) order; {RB_FORGET}.",
               rnn_builder("LSTM", return_sequences=True, return_state=True,
                           go_backwards=True))
    yield Case("lstm_go_backwards_last",
               f"Functional LSTM({U}) 'rnn', go_backwards=True, return_sequences=False, "
               f"return_state=True, on {shape}; {RB_FORGET}.",
               rnn_builder("LSTM", return_sequences=False, return_state=True,
                           go_backwards=True))
    yield Case("lstm_initial_state",
               f"Functional LSTM({U}) 'rnn' called as rnn(x, initial_state=[h0, c0]), "
               f"return_sequences=True, return_state=True; inputs {shape}, "
               f"h0 and c0 ({B},{U}) random normal; {RB_FORGET}.",
               rnn_builder("LSTM", return_sequences=True, return_state=True,
                           initial_state=True))
    yield Case("lstm_no_bias",
               f"Functional LSTM({U}) 'rnn', use_bias=False (only kernel and "
               f"recurrent_kernel), return_sequences=True, return_state=True, on {shape}.",
               rnn_builder("LSTM", return_sequences=True, return_state=True, use_bias=False))
    yield Case("lstm_activations",
               f"Functional LSTM({U}) 'rnn', activation='relu', recurrent_activation="
               f"'hard_sigmoid' (Keras 3: relu6(x+3)/6), return_sequences=True, "
               f"return_state=True, on {shape} scaled by 4 so that both hard_sigmoid "
               f"clips are reached; {RB_FORGET}.",
               rnn_builder("LSTM", return_sequences=True, return_state=True,
                           activation="relu", recurrent_activation="hard_sigmoid",
                           input_scale=4.0))
    yield Case("lstm_linear",
               f"Functional LSTM({U}) 'rnn', activation='linear', recurrent_activation="
               f"'sigmoid', return_sequences=True, return_state=True, on {shape}; "
               f"{RB_FORGET}.",
               rnn_builder("LSTM", return_sequences=True, return_state=True,
                           activation="linear", recurrent_activation="sigmoid"))
    yield Case("lstm_forget_bias_random",
               f"Functional LSTM({U}) 'rnn', unit_forget_bias=False so that all four bias "
               f"slices (i, f, c, o) are RandomUniform(-0.5, 0.5), return_sequences=True, "
               f"return_state=True, on {shape}.",
               rnn_builder("LSTM", return_sequences=True, return_state=True,
                           unit_forget_bias=False))
    yield Case("lstm_b1_t1",
               f"Functional LSTM({U}) 'rnn', return_sequences=True, return_state=True, on a "
               f"single step of a single sample x (1,1,{D}); {RB_FORGET}.",
               rnn_builder("LSTM", batch=1, steps=1, return_sequences=True,
                           return_state=True))
    yield Case("lstm_long",
               f"Sequential LSTM({U}) 'rnn', return_sequences=True, on a long sequence "
               f"x (3,250,{D}); {RB_FORGET}.",
               rnn_builder("LSTM", batch=3, steps=250, return_sequences=True))
    yield Case("lstm_wide",
               "Functional LSTM(32) 'rnn', return_sequences=True, return_state=True, on "
               f"x (4,7,16); {RB_FORGET}.",
               rnn_builder("LSTM", batch=4, steps=7, dim=16, units=32,
                           return_sequences=True, return_state=True))
    yield Case("lstm_stateful",
               f"Functional LSTM({U}, stateful=True) 'rnn' on Input(batch_size={B}) {shape}, "
               f"return_sequences=True, return_state=True; one call from the zero state "
               f"(equals stateful=False); {RB}.",
               _equal_to_plain_lstm_builder("equals stateful=False with the same weights", 0.0,
                                            stateful=True))
    yield Case("lstm_unroll",
               f"Functional LSTM({U}, unroll=True) 'rnn', return_sequences=True, "
               f"return_state=True, on {shape}; {RB}.",
               _equal_to_plain_lstm_builder("within 1e-6 of unroll=False with the same weights",
                                            1e-6, unroll=True))
    yield Case("lstm_dropout",
               f"Functional LSTM({U}, dropout=0.3, recurrent_dropout=0.2) 'rnn', "
               f"return_sequences=True, return_state=True, on {shape}; at inference the "
               f"dropouts are the identity; {RB}.",
               _equal_to_plain_lstm_builder("within 1e-6 of dropout=0 with the same weights "
                                            "(recurrent_dropout selects implementation=1)",
                                            1e-6, dropout=0.3, recurrent_dropout=0.2))
    yield Case("k2_lstm_seqT_stateT",
               f"tf_keras: functional LSTM({U}) 'rnn', return_sequences=True, "
               f"return_state=True, on {shape}; {K2W}.",
               rnn_builder("LSTM", return_sequences=True, return_state=True),
               fmt="keras2-h5")
