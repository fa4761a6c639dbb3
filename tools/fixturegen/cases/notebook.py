"""Known values: the seed notebook /work/shared/seeds/000_190bb7a0b4683a1d.txt (tf.keras, 2024)
built a Bidirectional(LSTM(3)) with constant weights on a fixed input and printed its outputs;
these cases rebuild it and fail when Keras stops matching the printed numbers."""

import numpy as np

from ..builders import bidi_names, rnn_names
from ..case import Built, Case

SEED_X = np.array([[[0.1, 4.2, 1.5, 1.1, 2.8], [1.0, 3.1, 2.5, 0.7, 1.1],
                    [0.3, 2.1, 1.5, 2.1, 0.1], [2.2, 1.4, 0.5, 0.9, 1.1]]], dtype=np.float32)
_NB = "notebook 000_190bb7a0b4683a1d"
_NB_ATOL = 1e-6   # the notebook prints 7-8 significant digits
SEED_LAST_MERGED = [[0.6303138] * 3 + [0.7038734] * 3]
SEED_SEQ_MERGED = [[[0.35906473] * 3 + [0.7038734] * 3,
                    [0.55111325] * 3 + [0.58863586] * 3,
                    [0.59115744] * 3 + [0.3951699] * 3,
                    [0.6303138] * 3 + [0.21942244] * 3]]
SEED_FH = [[0.6303138] * 3]
SEED_BH = [[0.7038734] * 3]


def _const_lstm(K, **kw):
    return K.layers.LSTM(3, kernel_initializer=K.initializers.Constant(0.1),
                         bias_initializer=K.initializers.Constant(0.0),
                         recurrent_initializer=K.initializers.Constant(0.1), **kw)


def seed_bidi_builder(return_sequences):
    def build(K, rng):
        x = K.Input((4, 5), name="x")
        bi = K.layers.Bidirectional(
            _const_lstm(K, return_sequences=return_sequences, return_state=True, name="lstm"),
            name="bi")
        model = K.Model(x, bi(x), name="model")
        merged = SEED_SEQ_MERGED if return_sequences else SEED_LAST_MERGED
        expected = {0: (merged, _NB_ATOL, _NB), 1: (SEED_FH, _NB_ATOL, _NB),
                    3: (SEED_BH, _NB_ATOL, _NB)}
        return Built(model, [SEED_X.copy()], bidi_names("bi", "LSTM", "concat", True), expected)
    return build


def build_seed_lstm_const(K, rng):
    x = K.Input((4, 5), name="x")
    layer = _const_lstm(K, return_sequences=True, return_state=True, name="lstm")
    model = K.Model(x, layer(x), name="model")
    return Built(model, [SEED_X.copy()], rnn_names("lstm", "LSTM", True))


def cases():
    for seq, tag in ((False, "last"), (True, "seq")):
        yield Case(f"seed_bidi_{tag}",
                   f"The seed notebook's Bidirectional(LSTM(3, return_sequences={seq}, "
                   f"return_state=True)) 'bi' with kernel and recurrent Constant(0.1), bias "
                   f"Constant(0) (forget slice 1.0), on its (1,4,5) train_X.",
                   seed_bidi_builder(seq))
    yield Case("seed_lstm_const",
               "Functional LSTM(3, return_sequences=True, return_state=True) 'lstm' with kernel "
               "and recurrent Constant(0.1), bias Constant(0) (forget slice 1.0), on the seed "
               "notebook's (1,4,5) train_X.",
               build_seed_lstm_const)
