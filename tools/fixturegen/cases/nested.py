"""Models used as layers, and dict inputs and outputs.

* A Sequential or functional model called as a layer (a siamese encoder called twice, a model
  with two inputs and two outputs called twice, a model inside a model inside a model), with
  masks flowing into it (Masking outside, LSTM inside) and out of it (Masking inside, LSTM
  outside). Keras 3 numbers a nested functional model's calls from 1 in `output_layers`
  (`functional_from_config.get_tensor`) but from 0 in node arguments; tf.keras numbers them
  from 1 everywhere (`_should_skip_first_node`), Sequential models included when they start
  with an InputLayer. Keras 3 records no mask for a layer after a model whose output carries
  one, yet at run time the mask flows (`Layer.__call__` fills `mask` from the tensor).
  Weights: Keras 3 under the model's class-derived key (`layers/functional/layers/lstm/...`),
  tf.keras in the model's group, named after the inner layers (`enc_lstm/lstm_cell/...`;
  a model inside that adds no prefix).
* Dict inputs and outputs: Keras flattens a dict in sorted key order (`keras.tree.flatten`,
  `tf.nest.flatten`); the inputs here are created in another order, and the fixture's
  `input_i` / `output_i` follow the sorted one.
"""

import numpy as np

from ..builders import D, K2W, RB, U, bias_kw, finish, randn
from ..case import Built, Case

NB, NT = 2, 6


def _lstm(K, units, name, **kw):
    return K.layers.LSTM(units, name=name, **bias_kw(K), **kw)


def _dense(K, units, name, **kw):
    return K.layers.Dense(units, name=name, **bias_kw(K), **kw)


def _siamese_head(K, a, b, ea, eb, extra_outputs):
    """|siamese pair| -> score (Dense on [ea, eb, ea-eb, ea*eb]) and cosine similarity."""
    diff = K.layers.Subtract(name="diff")([ea, eb])
    prod = K.layers.Multiply(name="prod")([ea, eb])
    cat = K.layers.Concatenate(name="cat")([ea, eb, diff, prod])
    score = _dense(K, 1, "score", activation="sigmoid")(cat)
    cos = K.layers.Dot(axes=1, normalize=True, name="cos")([ea, eb])
    return K.Model([a, b], [score, cos] + extra_outputs, name="model")


def build_nested_siamese(K, rng):
    """A shared Sequential LSTM encoder called on a and b."""
    encoder = K.Sequential([K.Input((NT, D), name="enc_in"), _lstm(K, U, "enc_lstm")], name="encoder")
    a, b = K.Input((NT, D), name="a"), K.Input((NT, D), name="b")
    ea, eb = encoder(a), encoder(b)
    model = _siamese_head(K, a, b, ea, eb, [ea, eb])
    finish(K, model, rng)
    return Built(model, [randn(rng, NB, NT, D), randn(rng, NB, NT, D)],
                 ["score/output", "cos/output", "encoder/output", "encoder/output"])


def build_nested_siamese_functional(K, rng):
    """A shared functional encoder: LSTM sequences -> mean over time -> Dense."""
    x = K.Input((NT, D), name="enc_in")
    h = _lstm(K, U, "enc_lstm", return_sequences=True)(x)
    h = _dense(K, U, "enc_dense", activation="tanh")(K.layers.GlobalAveragePooling1D(name="enc_pool")(h))
    encoder = K.Model(x, h, name="encoder")
    a, b = K.Input((NT, D), name="a"), K.Input((NT, D), name="b")
    ea, eb = encoder(a), encoder(b)
    model = _siamese_head(K, a, b, ea, eb, [eb])
    finish(K, model, rng)
    return Built(model, [randn(rng, NB, NT, D), randn(rng, NB, NT, D)],
                 ["score/output", "cos/output", "encoder/output"])


def build_nested_two_io(K, rng):
    """A model with two inputs and two outputs, called twice."""
    p, q = K.Input((5, D), name="p"), K.Input((4, 2), name="q")
    hp = _lstm(K, U, "in_lstm")(p)
    cat = K.layers.Concatenate(name="in_cat")([hp, K.layers.GRU(3, name="in_gru", **bias_kw(K))(q)])
    inner = K.Model([p, q], [cat, _dense(K, 2, "in_dense")(hp)], name="inner")
    x1, x2, x3 = K.Input((5, D), name="x1"), K.Input((4, 2), name="x2"), K.Input((5, D), name="x3")
    o1, o2 = inner([x1, x2])
    o3, o4 = inner([x3, x2])
    head = _dense(K, 1, "head")(o1)
    add = K.layers.Add(name="add")([o2, o4])
    model = K.Model([x1, x2, x3], [head, add, o2, o3], name="model")
    finish(K, model, rng)
    return Built(model, [randn(rng, NB, 5, D), randn(rng, NB, 4, 2), randn(rng, NB, 5, D)],
                 ["head/output", "add/output", "inner/output_1", "inner/output"])


def build_nested_deep(K, rng):
    """innermost (Dense) and mid_seq (Sequential GRU) inside middle (LSTM), inside the model."""
    i0 = K.Input((NT, D), name="deep_in")
    innermost = K.Model(i0, _dense(K, U, "deep_dense", activation="tanh")(i0), name="innermost")
    mid_seq = K.Sequential([K.Input((NT, U), name="seq_in"),
                            K.layers.GRU(3, name="seq_gru", **bias_kw(K))], name="mid_seq")
    i1 = K.Input((NT, D), name="mid_in")
    middle = K.Model(i1, mid_seq(_lstm(K, U, "mid_lstm", return_sequences=True)(innermost(i1))),
                     name="middle")
    x = K.Input((NT, D), name="x")
    m = middle(x)
    model = K.Model(x, [_dense(K, 2, "head")(m), m], name="model")
    finish(K, model, rng)
    return Built(model, [randn(rng, NB, NT, D)], ["head/output", "middle/output"])


PAD = ["111100", "101111", "011111"]


def _padded(rng):
    x = randn(rng, 3, NT, D)
    for b, row in enumerate(PAD):
        for t, c in enumerate(row):
            if c == "0":
                x[b, t] = 0.0
    return x


def build_nested_mask_in(K, rng):
    """Masking outside, a Sequential of LSTMs inside: the call's mask reaches them."""
    encoder = K.Sequential([K.Input((NT, D), name="enc_in"),
                            _lstm(K, U, "enc_lstm", return_sequences=True),
                            _lstm(K, 3, "enc_last")], name="encoder")
    x = K.Input((NT, D), name="x")
    e = encoder(K.layers.Masking(name="mask")(x))
    model = K.Model(x, [e, _dense(K, 2, "head")(e)], name="model")
    finish(K, model, rng)
    return Built(model, [_padded(rng)], ["encoder/output", "head/output"])


def build_nested_mask_out(K, rng):
    """Masking inside a functional model, an LSTM outside consumes the mask coming out."""
    i = K.Input((NT, D), name="enc_in")
    encoder = K.Model(i, _lstm(K, U, "enc_lstm", return_sequences=True)(
        K.layers.Masking(name="inner_mask")(i)), name="encoder")
    x = K.Input((NT, D), name="x")
    e = encoder(x)
    model = K.Model(x, [e, _lstm(K, 3, "dec")(e)], name="model")
    finish(K, model, rng)
    return Built(model, [_padded(rng)], ["encoder/output", "dec/output"])


def build_nested_mask_through(K, rng):
    """Masking outside, a functional model (LSTM sequences -> Dense) inside, an LSTM after."""
    i = K.Input((NT, D), name="enc_in")
    encoder = K.Model(i, _dense(K, U, "enc_dense")(_lstm(K, U, "enc_lstm", return_sequences=True)(i)),
                      name="encoder")
    x = K.Input((NT, D), name="x")
    model = K.Model(x, _lstm(K, 3, "dec")(encoder(K.layers.Masking(name="mask")(x))), name="model")
    finish(K, model, rng)
    return Built(model, [_padded(rng)], ["dec/output"])


def build_nested_mask_chain(K, rng):
    """A mask made inside one model reaches the layers of another: 'encoder' (Masking ->
    LSTM sequences) then 'pair' with two inputs (LSTM on the first, Concatenate with the
    second). Keras 3 records the mask of pair's call as [None, None] (the encoder's symbolic
    output has none), yet at run time the first input carries the encoder's mask, and
    `Functional._standardize_inputs` keeps it on the input: pair's LSTM is masked."""
    i = K.Input((NT, D), name="enc_in")
    encoder = K.Model(i, _lstm(K, U, "enc_lstm", return_sequences=True)(
        K.layers.Masking(name="inner_mask")(i)), name="encoder")
    p, q = K.Input((NT, U), name="p"), K.Input((2,), name="q")
    pair = K.Model([p, q], K.layers.Concatenate(name="pcat")([_lstm(K, 3, "p_lstm")(p), q]), name="pair")
    x, y = K.Input((NT, D), name="x"), K.Input((2,), name="y")
    model = K.Model([x, y], pair([encoder(x), y]), name="model")
    finish(K, model, rng)
    return Built(model, [_padded(rng), randn(rng, 3, 2)], ["pair/output"])


def build_dict_io(K, rng):
    """Inputs {'zeta', 'alpha', 'mid'} created in that order, outputs {'score', 'emb'}."""
    z, a, m = K.Input((5, D), name="zeta"), K.Input((4, 2), name="alpha"), K.Input((3,), name="mid")
    emb = K.layers.Concatenate(name="emb")([_lstm(K, U, "lz")(z),
                                           K.layers.GRU(3, name="ga", **bias_kw(K))(a), m])
    score = _dense(K, 1, "score", activation="sigmoid")(emb)
    model = K.Model({"zeta": z, "alpha": a, "mid": m}, {"score": score, "emb": emb}, name="model")
    finish(K, model, rng)
    zeta, alpha, mid = randn(rng, NB, 5, D), randn(rng, NB, 4, 2), randn(rng, NB, 3)
    return Built(model, [alpha, mid, zeta], ["emb/output", "score/output"])


def build_dict_nested(K, rng):
    """A model with dict inputs {'zeta', 'alpha'} called as a layer with a dict."""
    z, a = K.Input((5, D), name="zeta"), K.Input((4, 2), name="alpha")
    inner = K.Model({"zeta": z, "alpha": a},
                    K.layers.Concatenate(name="icat")([_lstm(K, 3, "lz")(z),
                                                       K.layers.GRU(2, name="ga", **bias_kw(K))(a)]),
                    name="inner")
    oz, oa = K.Input((5, D), name="oz"), K.Input((4, 2), name="oa")
    h = inner({"zeta": oz, "alpha": oa})
    model = K.Model([oz, oa], [_dense(K, 2, "head")(h), h], name="model")
    finish(K, model, rng)
    return Built(model, [randn(rng, NB, 5, D), randn(rng, NB, 4, 2)], ["head/output", "inner/output"])


def cases():
    xs = f"a, b ({NB},{NT},{D})"
    pad = f"x (3,{NT},{D}) padded {'/'.join(PAD)}"
    formats = (("keras3", "", RB), ("keras2-h5", "k2_", K2W))
    for fmt, prefix, kw in formats:
        who = "tf_keras: " if prefix else ""
        yield Case(f"{prefix}nested_siamese",
                   f"{who}Siamese LSTM: Sequential 'encoder' [Input, LSTM({U}) 'enc_lstm'] called on "
                   f"{xs}; Subtract 'diff', Multiply 'prod', Concatenate 'cat' -> Dense(1, sigmoid) "
                   f"'score'; Dot(axes=1, normalize=True) 'cos'; outputs [score, cos, encoder(a), "
                   f"encoder(b)]; {kw}.",
                   build_nested_siamese, fmt=fmt)
        yield Case(f"{prefix}nested_siamese_functional",
                   f"{who}Siamese: functional 'encoder' [LSTM({U}, sequences) 'enc_lstm' -> "
                   f"GlobalAveragePooling1D -> Dense({U}, tanh) 'enc_dense'] called on {xs}; head as "
                   f"nested_siamese; outputs [score, cos, encoder(b)]; {kw}.",
                   build_nested_siamese_functional, fmt=fmt)
        yield Case(f"{prefix}nested_two_io",
                   f"{who}Functional 'inner' with inputs p (5,{D}), q (4,2) and outputs [Concatenate of "
                   f"LSTM({U}) and GRU(3), Dense(2) on the LSTM], called on [x1, x2] and [x3, x2]; "
                   f"Dense(1) 'head' on the first output, Add of the two second outputs; outputs "
                   f"[head, add, inner#0 output 1, inner#1 output 0]; {kw}.",
                   build_nested_two_io, fmt=fmt)
        yield Case(f"{prefix}nested_deep",
                   f"{who}Models inside models: functional 'innermost' (Dense({U}, tanh)) and Sequential "
                   f"'mid_seq' (GRU(3)) inside functional 'middle' (-> LSTM({U}, sequences) -> mid_seq), "
                   f"called on x ({NB},{NT},{D}) -> Dense(2) 'head'; outputs [head, middle]; {kw}.",
                   build_nested_deep, fmt=fmt)
        yield Case(f"{prefix}nested_mask_in",
                   f"{who}{pad} -> Masking -> Sequential 'encoder' [LSTM({U}, sequences), LSTM(3)]: the "
                   f"mask reaches the inner LSTMs; -> Dense(2) 'head'; {kw}.",
                   build_nested_mask_in, fmt=fmt)
        yield Case(f"{prefix}nested_mask_out",
                   f"{who}{pad} -> functional 'encoder' [Masking 'inner_mask' -> LSTM({U}, sequences)] "
                   f"-> LSTM(3) 'dec' consuming the mask that comes out of the model; {kw}.",
                   build_nested_mask_out, fmt=fmt)
        yield Case(f"{prefix}nested_mask_through",
                   f"{who}{pad} -> Masking -> functional 'encoder' [LSTM({U}, sequences) -> Dense({U})] "
                   f"-> LSTM(3) 'dec': the mask flows in and out; {kw}.",
                   build_nested_mask_through, fmt=fmt)
        yield Case(f"{prefix}nested_mask_chain",
                   f"{who}{pad} -> functional 'encoder' [Masking -> LSTM({U}, sequences)] and y (3,2) -> "
                   f"functional 'pair' [LSTM(3) on the first input, Concatenate with the second]: the "
                   f"mask made in one model masks the LSTM of the next (Keras 3 records pair's mask "
                   f"as [None, None]); {kw}.",
                   build_nested_mask_chain, fmt=fmt)
        yield Case(f"{prefix}dict_io",
                   f"{who}Functional with dict inputs {{'zeta' (5,{D}), 'alpha' (4,2), 'mid' (3,)}} "
                   f"(created in that order) and dict outputs {{'score', 'emb'}}: LSTM({U}) 'lz', "
                   f"GRU(3) 'ga', Concatenate 'emb' with mid, Dense(1, sigmoid) 'score'; inputs and "
                   f"outputs in sorted key order (alpha, mid, zeta; emb, score); {kw}.",
                   build_dict_io, fmt=fmt)
        yield Case(f"{prefix}dict_nested",
                   f"{who}Functional 'inner' with dict inputs {{'zeta', 'alpha'}} (LSTM(3), GRU(2), "
                   f"Concatenate) called as a layer with a dict of the outer inputs oz, oa -> "
                   f"Dense(2) 'head'; outputs [head, inner]; {kw}.",
                   build_dict_nested, fmt=fmt)
    yield Case("nested_siamese_weights",
               f"keras3-weights (model.weights.h5 + config): as nested_siamese_functional; {RB}.",
               build_nested_siamese_functional, fmt="keras3-weights")
    yield Case("nested_deep_weights",
               f"keras3-weights (model.weights.h5 + config): as nested_deep; {RB}.",
               build_nested_deep, fmt="keras3-weights")
    yield Case("k2_nested_siamese_weights",
               f"keras2-weights (legacy save_weights .h5 + model JSON): as k2_nested_siamese; {K2W}.",
               build_nested_siamese, fmt="keras2-weights")
    yield Case("k2_nested_deep_weights",
               f"keras2-weights (legacy save_weights .h5 + model JSON): as k2_nested_deep; {K2W}.",
               build_nested_deep, fmt="keras2-weights")
