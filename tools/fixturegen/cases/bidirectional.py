"""Bidirectional around LSTM, GRU and SimpleRNN: every merge_mode x return flag, an explicit
backward_layer, initial_state, and tf_keras's Bidirectional."""

from ..builders import B, D, K2W, RB, RB_FORGET, T, U, bias_kw, bidi_builder, bidi_names, \
    randn, tf
from ..case import Built, Case


def build_bidi_initial_state(K, rng):
    x = K.Input((T, D), name="x")
    states = [K.Input((U,), name=n) for n in ("fh", "fc", "bh", "bc")]
    bi = K.layers.Bidirectional(
        K.layers.LSTM(U, return_sequences=True, return_state=True, name="lstm", **bias_kw(K)),
        name="bi")
    model = K.Model([x] + states, bi(x, initial_state=states), name="model")
    inputs = [randn(rng, B, T, D)] + [randn(rng, B, U) for _ in range(4)]
    return Built(model, inputs, bidi_names("bi", "LSTM", "concat", True))


def cases():
    shape = f"x ({B},{T},{D})"
    for mm in ("concat", "sum", "mul", "ave", None):
        for seq in (False, True):
            for st in (False, True):
                yield Case(f"bidi_{mm or 'none'}_seq{tf(seq)}_state{tf(st)}",
                           f"Functional Bidirectional(LSTM({U}) 'lstm') 'bi', merge_mode="
                           f"{mm!r}, return_sequences={seq}, return_state={st}, on {shape}; "
                           f"{RB_FORGET}.",
                           bidi_builder("LSTM", inner="lstm", merge_mode=mm,
                                        return_sequences=seq, return_state=st))
    # Keras 3 always makes the implicit backward copy go_backwards=True, so
    # Bidirectional(LSTM(go_backwards=True)) raises ValueError there (tf_keras flips it
    # instead). An explicit backward_layer with go_backwards=False is the Keras 3 way.
    yield Case("bidi_go_backwards",
               f"Sequential Bidirectional(LSTM({U}, go_backwards=True, return_sequences=True) "
               f"'lstm', backward_layer=LSTM({U}, go_backwards=False, return_sequences=True) "
               f"'lstm_back') 'bi', merge_mode='concat', on {shape}; {RB_FORGET}.",
               bidi_builder("LSTM", inner="lstm", return_state=False, go_backwards=True,
                            backward={"name": "lstm_back", "go_backwards": False},
                            sequential=True))
    yield Case("bidi_initial_state",
               f"Functional Bidirectional(LSTM({U}, return_sequences=True, return_state=True) "
               f"'lstm') 'bi' called as bi(x, initial_state=[fh, fc, bh, bc]), merge_mode="
               f"'concat'; inputs {shape} and four ({B},{U}) states, random normal; "
               f"{RB_FORGET}.",
               build_bidi_initial_state)
    for kind, tag in (("GRU", "gru"), ("SimpleRNN", "simple_rnn")):
        for mm in ("concat", None):
            yield Case(f"bidi_{tag}_{mm or 'none'}_seqT_stateT",
                       f"Functional Bidirectional({kind}({U}) 'inner') 'bi', merge_mode="
                       f"{mm!r}, return_sequences=True, return_state=True (one state per "
                       f"direction), on {shape}; {RB}.",
                       bidi_builder(kind, merge_mode=mm))
    yield Case("bidi_gru_backward_layer",
               f"Functional Bidirectional(GRU({U}, tanh) 'inner', backward_layer=GRU({U}, "
               f"go_backwards=True, activation='relu') 'inner_back') 'bi', merge_mode="
               f"'concat', return_sequences=True, return_state=True, on {shape}; {RB}.",
               bidi_builder("GRU", backward={"name": "inner_back", "go_backwards": True,
                                             "activation": "relu"}))

    k2 = dict(fmt="keras2-h5")
    yield Case("k2_bidi_lstm_concat",
               f"tf_keras: Sequential Bidirectional(LSTM({U}, return_sequences=True) 'inner', "
               f"concat) 'bi' on {shape}; {K2W}.",
               bidi_builder("LSTM", return_state=False, sequential=True), **k2)
    yield Case("k2_bidi_gru_none_state",
               f"tf_keras: functional Bidirectional(GRU({U}, return_sequences=True, "
               f"return_state=True) 'inner', merge_mode=None) 'bi' on {shape}: "
               f"[forward_output, backward_output, forward_h, backward_h]; {K2W}.",
               bidi_builder("GRU", merge_mode=None), **k2)
    yield Case("k2_bidi_lstm_initial_state",
               f"tf_keras: functional Bidirectional(LSTM({U}, return_sequences=True, "
               f"return_state=True) 'inner') 'bi', concat, called as bi(x, initial_state=[h0f, "
               f"c0f, h0b, c0b]) on {shape} (tf_keras writes the node's kwargs as "
               f"initial_state=None, constants=None and the states as extra inbound tensors); "
               f"{K2W}.",
               bidi_builder("LSTM", initial_state=True), **k2)
    yield Case("k2_bidi_backward_layer",
               f"tf_keras: functional Bidirectional(LSTM({U}) 'inner', backward_layer=LSTM({U}, "
               f"go_backwards=True, activation='relu') 'inner_back') 'bi', concat, "
               f"return_sequences=True, return_state=True, on {shape}; {K2W}.",
               bidi_builder("LSTM", backward={"name": "inner_back", "go_backwards": True,
                                              "activation": "relu"}), **k2)
