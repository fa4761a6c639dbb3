"""TimeDistributed around Dense on 4-D input, LSTM (4-D input), Embedding(mask_zero), a nested
Sequential and GlobalAveragePooling1D, and masks arriving at it. The versions differ:

* Keras 3 (`keras/src/layers/rnn/time_distributed.py`) runs `layer.call` on each timestep
  with that step's slice of the mask (when the inner call takes one) and keeps the mask it
  received (default `compute_mask`): `TimeDistributed(Embedding(mask_zero=True))` makes no
  mask.
* tf.keras (`tf_keras/src/layers/rnn/time_distributed.py`, reshape path: the batch size is
  not fixed) calls the inner layer on (batch*time, ...) with the mask reshaped the same way,
  and asks the inner layer's `compute_mask`: the Embedding's (batch, time, width) mask comes
  out; when the inner layer gives none (LSTM without sequences, GlobalAveragePooling1D), the
  mask it received is reduced with `any` over the axes after time.

A padded element is the whole feature vector 0.0 under Masking."""

import numpy as np

from ..builders import K2W, RB, U, bias_kw, finish, is_keras3, randn
from ..case import Built, Case

TB, TT, TW, TD = 3, 4, 5, 3   # batch, time, inner steps (width), features


def _pad4(rng, zero):
    """(TB, TT, TW, TD) standard normals with the (b, t, w) vectors in `zero` set to 0.0."""
    x = randn(rng, TB, TT, TW, TD)
    for b, t, w in zero:
        x[b, t, w] = 0.0
    return x


# Every (b, t) keeps a real element (a fully masked group would make the masked mean 0/0);
# td_masking_4d_lstm adds a whole zero step, (0, 2).
ZERO_4D = [(0, 1, 3), (0, 1, 4), (1, 0, 0), (1, 2, 1), (1, 2, 2), (1, 2, 3), (1, 2, 4),
           (2, 3, 0), (2, 3, 4)]


def build_td_dense_4d(K, rng):
    x = K.Input((TT, TW, TD), name="x")
    td = K.layers.TimeDistributed(K.layers.Dense(3, activation="tanh", name="dense", **bias_kw(K)),
                                  name="td")(x)
    model = K.Model(x, td, name="model")
    finish(K, model, rng)
    return Built(model, [randn(rng, 2, TT, TW, TD)], ["td/output"])


def build_td_lstm(K, rng):
    x = K.Input((TT, TW, TD), name="x")
    last = K.layers.TimeDistributed(K.layers.LSTM(U, name="lstm", **bias_kw(K)), name="td")(x)
    seq = K.layers.TimeDistributed(
        K.layers.LSTM(3, return_sequences=True, name="lstm_seq", **bias_kw(K)), name="td_seq")(x)
    after = K.layers.LSTM(2, name="after", **bias_kw(K))(last)
    model = K.Model(x, [last, seq, after], name="model")
    finish(K, model, rng)
    return Built(model, [randn(rng, 2, TT, TW, TD)], ["td/output", "td_seq/output", "after/output"])


def build_td_embedding_mask(K, rng):
    """int tokens (TB, TT, TW) -> TD(Embedding(mask_zero)) -> TD(LSTM) -> LSTM."""
    tokens = K.Input((TT, TW), dtype="int32", name="tokens")
    e = K.layers.TimeDistributed(K.layers.Embedding(10, 3, mask_zero=True, name="emb"), name="tde")(tokens)
    h = K.layers.TimeDistributed(K.layers.LSTM(U, name="lstm", **bias_kw(K)), name="tdl")(e)
    final = K.layers.LSTM(3, name="final", **bias_kw(K))(h)
    model = K.Model(tokens, [h, final], name="model")
    finish(K, model, rng)
    ids = rng.integers(1, 10, size=(TB, TT, TW)).astype(np.int32)
    ids[0, 1, 3:] = 0          # padded at the end of a step
    ids[1, 2, :] = 0           # a whole step padded: tf.keras masks it for 'final'
    ids[2, 0, :2] = 0          # padded at the start
    ids[2, 3, :] = 0
    return Built(model, [ids], ["tdl/output", "final/output"])


def build_td_sequential(K, rng):
    inner = K.Sequential([K.Input((TD,), name="step"),
                          K.layers.Dense(4, activation="relu", name="sd1", **bias_kw(K)),
                          K.layers.Dense(2, name="sd2", **bias_kw(K))], name="inner")
    x = K.Input((6, TD), name="x")
    td = K.layers.TimeDistributed(inner, name="td")(x)
    model = K.Model(x, td, name="model")
    finish(K, model, rng)
    return Built(model, [randn(rng, 2, 6, TD)], ["td/output"])


def masked_4d_builder(make_inner, zero):
    """Masking on x (TB, TT, TW, TD) with the (b, t, w) vectors in `zero` set to 0.0 ->
    TimeDistributed(make_inner(K)) 'td'. tf.keras: an LSTM(2) 'after' consumes the mask reduced
    over the width (Keras 3 keeps the (b, t, w) mask, which no LSTM could take)."""
    def build(K, rng):
        x = K.Input((TT, TW, TD), name="x")
        td = K.layers.TimeDistributed(make_inner(K), name="td")(K.layers.Masking(name="mask")(x))
        outs, names = [td], ["td/output"]
        if not is_keras3(K):
            outs.append(K.layers.LSTM(2, name="after")(td))
            names.append("after/output")
        model = K.Model(x, outs, name="model")
        finish(K, model, rng)
        return Built(model, [_pad4(rng, zero)], names)
    return build


def build_td_mask_dense(K, rng):
    """Masking -> TD(Dense) -> LSTM: the mask passes through TimeDistributed."""
    x = K.Input((6, TD), name="x")
    td = K.layers.TimeDistributed(K.layers.Dense(U, name="dense", **bias_kw(K)), name="td")(
        K.layers.Masking(name="mask")(x))
    dec = K.layers.LSTM(3, name="dec", **bias_kw(K))(td)
    model = K.Model(x, [td, dec], name="model")
    finish(K, model, rng)
    v = randn(rng, TB, 6, TD)
    v[0, 4:] = 0.0
    v[1, 1:3] = 0.0
    v[2, 0] = 0.0
    return Built(model, [v], ["td/output", "dec/output"])


def build_td_weights(K, rng):
    """TimeDistributed(LSTM) -> Dot of its steps' states, and TimeDistributed(Dense), saved as
    weights + config (the Swift config tests mutate this config)."""
    x = K.Input((TT, TW, TD), name="x")
    td = K.layers.TimeDistributed(K.layers.LSTM(U, name="lstm", **bias_kw(K)), name="td")(x)
    scores = K.layers.Dot(axes=(2, 2), name="scores")([td, td])
    dense = K.layers.TimeDistributed(K.layers.Dense(2, name="dense", **bias_kw(K)), name="td_dense")(td)
    model = K.Model(x, [scores, dense], name="model")
    finish(K, model, rng)
    return Built(model, [randn(rng, 2, TT, TW, TD)], ["scores/output", "td_dense/output"])


def cases():
    x4 = f"x ({TB},{TT},{TW},{TD})"
    for fmt, prefix, kw in (("keras3", "", RB), ("keras2-h5", "k2_", K2W)):
        k2 = prefix == "k2_"
        who = "tf_keras: " if k2 else ""
        yield Case(f"{prefix}td_dense_4d",
                   f"{who}Functional x (2,{TT},{TW},{TD}) -> TimeDistributed(Dense(3, tanh) 'dense') "
                   f"'td': Dense on (2*{TT},{TW},{TD}); {kw}.",
                   build_td_dense_4d, fmt=fmt)
        yield Case(f"{prefix}td_lstm",
                   f"{who}Functional x (2,{TT},{TW},{TD}) -> TimeDistributed(LSTM({U}) 'lstm') 'td' -> "
                   f"LSTM(2) 'after'; TimeDistributed(LSTM(3, return_sequences=True)) 'td_seq'; "
                   f"outputs [td, td_seq, after]; {kw}.",
                   build_td_lstm, fmt=fmt)
        rule = ("tf.keras: the Embedding's (b, t, w) mask masks the inner LSTM, and 'final' gets "
                "it reduced with any" if k2 else
                "Keras 3: no mask comes out of TimeDistributed(Embedding), nothing is masked")
        yield Case(f"{prefix}td_embedding_mask",
                   f"{who}Functional int32 tokens ({TB},{TT},{TW}) in [1,10) with zeros -> "
                   f"TimeDistributed(Embedding(10, 3, mask_zero=True)) 'tde' -> "
                   f"TimeDistributed(LSTM({U})) 'tdl' -> LSTM(3) 'final' ({rule}); {kw}.",
                   build_td_embedding_mask, fmt=fmt)
        yield Case(f"{prefix}td_sequential",
                   f"{who}Functional x (2,6,{TD}) -> TimeDistributed(Sequential 'inner' [Input "
                   f"({TD},), Dense(4, relu) 'sd1', Dense(2) 'sd2']) 'td'; {kw}.",
                   build_td_sequential, fmt=fmt)
        after = (" -> LSTM(2) 'after' (tf.keras: mask reduced with any over the width)" if k2 else
                 " (Keras 3 keeps the (b, t, w) mask, which no LSTM after could take)")
        yield Case(f"{prefix}td_gap_mask",
                   f"{who}Functional {x4} with zero vectors -> Masking 'mask' -> "
                   f"TimeDistributed(GlobalAveragePooling1D) 'td': the masked mean over the width"
                   f"{after}; {kw}.",
                   masked_4d_builder(lambda K: K.layers.GlobalAveragePooling1D(name="gap"), ZERO_4D),
                   fmt=fmt)
        yield Case(f"{prefix}td_mask_dense",
                   f"{who}Functional x ({TB},6,{TD}) padded (end, middle, start) -> Masking -> "
                   f"TimeDistributed(Dense({U})) 'td' -> LSTM(3) 'dec' consuming the mask "
                   f"TimeDistributed passes on; {kw}.",
                   build_td_mask_dense, fmt=fmt)
        yield Case(f"{prefix}td_masking_4d_lstm",
                   f"{who}Functional {x4} with zero vectors and one whole zero step -> Masking -> "
                   f"TimeDistributed(LSTM({U})) 'td' (each step's LSTM masked over the width)"
                   f"{after}; {kw}.",
                   masked_4d_builder(lambda K: K.layers.LSTM(U, name="lstm", **bias_kw(K)),
                                     ZERO_4D + [(0, 2, w) for w in range(TW)]), fmt=fmt)
    yield Case("td_weights",
               f"keras3-weights (model.weights.h5 + config): x (2,{TT},{TW},{TD}) -> "
               f"TimeDistributed(LSTM({U}) 'lstm') 'td' -> Dot(axes=(2, 2)) 'scores' [td, td]; "
               f"TimeDistributed(Dense(2) 'dense') 'td_dense' on td; outputs [scores, td_dense]; {RB}.",
               build_td_weights, fmt="keras3-weights")
