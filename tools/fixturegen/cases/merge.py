"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum and Concatenate on tensors
of rank 2 to 4, with broadcasting and inputs of different ranks (Keras inserts axes after the
batch axis); Dot with int and pair axes, negative axes, normalize=True, 2-D, 3-D and 4-D
inputs; the everyday BiLSTM classifier with pooled features concatenated; and the masks, where
the Keras versions differ:

* Keras 3 (`keras/src/layers/merging/base_merge.py`, `Merge.compute_mask`): the OR of the
  masks when every input has one, else no mask; Maximum and Minimum also leave an input's
  masked elements out of the result (`_apply_merge_op_and_or_mask`).
* tf.keras (`tf_keras/src/layers/merging/base_merge.py`): the AND of the masks present.
* Concatenate: each mask widened to its input (an unmasked input counts as all true),
  joined along the axis and reduced over the last axis with `any` (Keras 3) or `all`
  (tf.keras, which only adds the axis: along time it refuses an unmasked input).

Masked cases use batch 3 and 6 steps; a padded step is the whole vector 0.0 under Masking.
Keras 3 records the mask a later layer consumes as op nodes (LogicalOr, ExpandDims,
ZerosLike, OnesLike, Concatenate, Any)."""

import numpy as np

from ..builders import B, D, K2W, RB, U, bias_kw, finish, is_keras3, randn
from ..case import Built, Case
from .masking import mask_from_rows, pad_inputs

MB, MT = 3, 6

# Padding patterns (1 = real step): the two inputs' masks differ in every row, so OR and AND
# give different masks, and both leave some step masked.
PAD_A = ["111100", "110111", "111111"]
PAD_B = ["111110", "100011", "011111"]
PAD_C = ["101111", "111000", "111110"]
# PAD_A | PAD_B = 111110 110111 111111 ; PAD_A & PAD_B = 111100 100011 011111


def _masked(K, rng, name, rows, steps=MT, dim=D):
    """A (MB, steps, dim) input `name` padded as rows, and the Masking 'mask_<name>' on it."""
    x = K.Input((steps, dim), name=name)
    value = pad_inputs(randn(rng, MB, steps, dim), mask_from_rows(rows))
    return x, K.layers.Masking(name=f"mask_{name}")(x), value


def _seq(K, name, units, x):
    return K.layers.LSTM(units, return_sequences=True, name=name, **bias_kw(K))(x)


def _proj(K, x, units, name):
    """Dense(units) 'proj_<name>': merges of raw float32 inputs are often exact, and then the
    float64 clone's outputs are float32 values (no float64 reference could be written)."""
    return K.layers.Dense(units, name=f"proj_{name}", **bias_kw(K))(x)


def _dec(K, name, x, units=3):
    """An LSTM that consumes the mask its input carries."""
    return K.layers.LSTM(units, name=name, **bias_kw(K))(x)


def check_masked_extremum(label, idx, a, b, ma, mb, op, keras3):
    """outs[idx] is Maximum/Minimum([outs[a], outs[b]]) with masks ma, mb (None: unmasked):
    Keras 3 leaves masked elements out (both masked: the first input's value); tf.keras is
    the plain element-wise op."""
    def fn(outs):
        x, y = outs[a], outs[b]
        if keras3:
            ea = np.ones(x.shape[:2], bool) if ma is None else ma
            eb = np.ones(y.shape[:2], bool) if mb is None else mb
            y = np.where(eb[..., None], y, x)
            if ma is not None:
                x = np.where(ea[..., None], x, y)
        want = op(x, y)
        d = float(np.max(np.abs(outs[idx] - want)))
        return d == 0.0, f"max|diff| from the rule = {d:.3g}"
    return (label, fn)


def check_masked_product(label, idx, a, b, ma, mb, keras3):
    """outs[idx] is Multiply([outs[a], outs[b]]): Keras 3 counts a masked element as 1 and,
    when both inputs have masks, gives 0 where both are masked; tf.keras multiplies."""
    def fn(outs):
        x, y = outs[a], outs[b]
        want = x * y
        if keras3:
            x = x if ma is None else np.where(ma[..., None], x, 1.0)
            y = y if mb is None else np.where(mb[..., None], y, 1.0)
            want = x * y
            if ma is not None and mb is not None:
                want = np.where((ma | mb)[..., None], want, 0.0)
        d = float(np.max(np.abs(outs[idx] - want)))
        return d == 0.0, f"max|diff| from the rule = {d:.3g}"
    return (label, fn)


# --------------------------------------------------------------------------------------------
# Element-wise merges, broadcasting, ranks
# --------------------------------------------------------------------------------------------

ELEMENTWISE = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")


def _six_merges(K, p, q, r):
    """Add, Multiply, Average, Maximum, Minimum on [p, q, r]; Subtract on [p, q]."""
    outs = []
    for cls in ELEMENTWISE:
        args = [p, q] if cls == "Subtract" else [p, q, r]
        outs.append(getattr(K.layers, cls)(name=cls.lower())(args))
    return outs, [f"{c.lower()}/output" for c in ELEMENTWISE]


def elementwise_builder(rank):
    """rank 2: three inputs (B, 4); rank 3: LSTM and GRU sequences of x and an input (B,5,4);
    rank 4: three inputs (B, 2, 3, 4)."""
    def build(K, rng):
        if rank == 3:
            x = K.Input((5, D), name="x")
            r = K.Input((5, U), name="r")
            p = _seq(K, "lstm", U, x)
            q = K.layers.GRU(U, return_sequences=True, name="gru", **bias_kw(K))(x)
            ins, values = [x, r], [randn(rng, B, 5, D), randn(rng, B, 5, U)]
        else:
            shape = (U,) if rank == 2 else (2, 3, U)
            ins = [K.Input(shape, name=n) for n in ("p", "q", "r")]
            p, q, r = (_proj(K, i, U, n) for i, n in zip(ins, ("p", "q", "r")))
            values = [randn(rng, B, *shape) for _ in ins]
        outs, names = _six_merges(K, p, q, r)
        model = K.Model(ins, outs, name="model")
        finish(K, model, rng)
        return Built(model, values, names)
    return build


def build_merge_broadcast(K, rng):
    """Extents of 1 broadcast: p (B,5,4), q (B,1,4), r (B,5,1)."""
    ins = [K.Input((5, U), name="p"), K.Input((1, U), name="q"), K.Input((5, 1), name="r")]
    p, q, r = (_proj(K, i, w, n) for i, w, n in zip(ins, (U, U, 1), ("p", "q", "r")))
    outs = [K.layers.Add(name="add")([p, q]), K.layers.Multiply(name="multiply")([p, r]),
            K.layers.Maximum(name="maximum")([q, r]), K.layers.Subtract(name="subtract")([r, q]),
            K.layers.Average(name="average")([p, q, r]), K.layers.Minimum(name="minimum")([r, p, q])]
    model = K.Model(ins, outs, name="model")
    finish(K, model, rng)
    return Built(model, [randn(rng, B, 5, U), randn(rng, B, 1, U), randn(rng, B, 5, 1)],
                 [f"{n}/output" for n in ("add", "multiply", "maximum", "subtract", "average",
                                          "minimum")])


def build_merge_ranks(K, rng):
    """Inputs of different ranks: v (B,4), s (B,5,4), w (B,2,3,4), u (B,3,4). Keras expands
    the lower-rank inputs at axis 1 until the ranks agree, then broadcasts."""
    ins = [K.Input(shape, name=n) for n, shape in (("v", (U,)), ("s", (5, U)), ("w", (2, 3, U)),
                                                  ("u", (3, U)))]
    v, s, w, u = (_proj(K, i, U, n) for i, n in zip(ins, "vswu"))
    outs = [K.layers.Add(name="add")([s, v]), K.layers.Subtract(name="subtract")([v, s]),
            K.layers.Maximum(name="maximum")([w, v]), K.layers.Multiply(name="multiply")([w, u, v]),
            K.layers.Average(name="average")([u, w]), K.layers.Minimum(name="minimum")([v, u])]
    model = K.Model(ins, outs, name="model")
    finish(K, model, rng)
    return Built(model, [randn(rng, B, U), randn(rng, B, 5, U), randn(rng, B, 2, 3, U),
                         randn(rng, B, 3, U)],
                 [f"{n}/output" for n in ("add", "subtract", "maximum", "multiply", "average",
                                          "minimum")])


CONCAT_INPUTS = {"s": (5, U), "t": (5, 2), "r": (3, U), "w": (2, 3, U), "w2": (2, 1, U),
                 "w3": (1, 3, U), "a": (U,), "b": (3,), "c": (2,)}


def build_concat_axes(K, rng):
    ins = {n: K.Input(shape, name=n) for n, shape in CONCAT_INPUTS.items()}
    i = {n: _proj(K, x, CONCAT_INPUTS[n][-1], n) for n, x in ins.items()}
    outs = [K.layers.Concatenate(name="cat_feat")([i["s"], i["t"]]),
            K.layers.Concatenate(axis=1, name="cat_time")([i["s"], i["r"]]),
            K.layers.Concatenate(axis=-2, name="cat_4d_neg")([i["w"], i["w2"]]),
            K.layers.Concatenate(axis=1, name="cat_4d_1")([i["w"], i["w3"]]),
            K.layers.Concatenate(axis=2, name="cat_3d_2")([i["t"], i["s"]]),
            K.layers.Concatenate(name="cat_2d")([i["a"], i["b"], i["c"]])]
    model = K.Model(list(ins.values()), outs, name="model")
    finish(K, model, rng)
    return Built(model, [randn(rng, B, *shape) for shape in CONCAT_INPUTS.values()],
                 [f"{n}/output" for n in ("cat_feat", "cat_time", "cat_4d_neg", "cat_4d_1",
                                          "cat_3d_2", "cat_2d")])


# --------------------------------------------------------------------------------------------
# Dot
# --------------------------------------------------------------------------------------------

def build_dot_2d(K, rng):
    p, q = K.Input((U,), name="p"), K.Input((U,), name="q")
    outs = [K.layers.Dot(axes=1, name="dot")([p, q]),
            K.layers.Dot(axes=-1, normalize=True, name="cos")([p, q]),
            K.layers.Dot(axes=[1, 1], name="dot_pair")([q, p])]
    model = K.Model([p, q], outs, name="model")
    return Built(model, [randn(rng, B, U), randn(rng, B, U)],
                 ["dot/output", "cos/output", "dot_pair/output"])


def build_dot_3d_attention(K, rng):
    """Attention-like scores: queries from an LSTM over x (B,5,3), keys k (B,6,4)."""
    x, k = K.Input((5, D), name="x"), K.Input((6, U), name="k")
    q = _seq(K, "enc", U, x)
    scores = K.layers.Dot(axes=[2, 2], name="scores")([q, k])
    attn = K.layers.Activation("softmax", name="attn")(scores)
    outs = [scores,
            K.layers.Dot(axes=[2, 1], name="context")([attn, k]),
            K.layers.Dot(axes=(-1, -1), normalize=True, name="cos")([q, k]),
            K.layers.Dot(axes=[1, 1], name="gram")([q, x]),
            K.layers.Dot(axes=2, name="dot_int")([q, k]),
            K.layers.Dot(axes=-2, name="dot_neg_int")([q, x])]
    model = K.Model([x, k], outs, name="model")
    finish(K, model, rng)
    return Built(model, [randn(rng, B, 5, D), randn(rng, B, 6, U)],
                 [f"{n}/output" for n in ("scores", "context", "cos", "gram", "dot_int",
                                          "dot_neg_int")])


def build_dot_ranks(K, rng):
    """2-D with 3-D both ways, normalized, and 4-D with 3-D: v (B,4), s (B,6,4), s2 (B,4,5),
    w (B,2,3,4)."""
    v, s = K.Input((U,), name="v"), K.Input((6, U), name="s")
    s2, w = K.Input((U, 5), name="s2"), K.Input((2, 3, U), name="w")
    outs = [K.layers.Dot(axes=(1, 2), name="vs")([v, s]),
            K.layers.Dot(axes=(2, 1), name="sv")([s, v]),
            K.layers.Dot(axes=(-1, -1), normalize=True, name="cos")([v, s]),
            K.layers.Dot(axes=(1, 1), name="v_s2")([v, s2]),
            K.layers.Dot(axes=(3, 1), name="w_s2")([w, s2]),
            K.layers.Dot(axes=(-1, 2), normalize=True, name="w_s_cos")([w, s])]
    model = K.Model([v, s, s2, w], outs, name="model")
    return Built(model, [randn(rng, B, U), randn(rng, B, 6, U), randn(rng, B, U, 5),
                         randn(rng, B, 2, 3, U)],
                 [f"{n}/output" for n in ("vs", "sv", "cos", "v_s2", "w_s2", "w_s_cos")])


# --------------------------------------------------------------------------------------------
# Masks
# --------------------------------------------------------------------------------------------

def build_merge_mask_two(K, rng):
    """Two masked inputs whose masks differ: Add, Multiply and Subtract, each consumed by an
    LSTM."""
    x1, m1, v1 = _masked(K, rng, "x1", PAD_A)
    x2, m2, v2 = _masked(K, rng, "x2", PAD_B)
    a, b = _seq(K, "la", U, m1), _seq(K, "lb", U, m2)
    add = K.layers.Add(name="add")([a, b])
    mul = K.layers.Multiply(name="multiply")([a, b])
    outs = [a, b, add, mul, _dec(K, "dec_add", add), _dec(K, "dec_mul", mul),
            _dec(K, "dec_sub", K.layers.Subtract(name="subtract")([a, b]))]
    model = K.Model([x1, x2], outs, name="model")
    finish(K, model, rng)
    return Built(model, [v1, v2], ["la/output", "lb/output", "add/output", "multiply/output",
                                   "dec_add/output", "dec_mul/output", "dec_sub/output"],
                 checks=[check_masked_product("multiply follows the masked rule", 3, 0, 1,
                                              mask_from_rows(PAD_A), mask_from_rows(PAD_B),
                                              is_keras3(K))])


def build_merge_mask_maxmin(K, rng):
    """Maximum and Minimum of masked sequences (the LSTM outputs repeat at masked steps, so
    leaving masked elements out changes the values), and an LSTM consuming Maximum's mask."""
    keras3 = is_keras3(K)
    x1, m1, v1 = _masked(K, rng, "x1", PAD_A)
    x2, m2, v2 = _masked(K, rng, "x2", PAD_B)
    x3, m3, v3 = _masked(K, rng, "x3", PAD_C)
    a, b, c = _seq(K, "la", U, m1), _seq(K, "lb", U, m2), _seq(K, "lc", U, m3)
    mx = K.layers.Maximum(name="maximum")([a, b])
    outs = [a, b, mx, K.layers.Minimum(name="minimum")([a, b]),
            K.layers.Minimum(name="minimum3")([a, b, c]), _dec(K, "dec_max", mx)]
    model = K.Model([x1, x2, x3], outs, name="model")
    finish(K, model, rng)
    ma, mb = mask_from_rows(PAD_A), mask_from_rows(PAD_B)
    return Built(model, [v1, v2, v3],
                 ["la/output", "lb/output", "maximum/output", "minimum/output",
                  "minimum3/output", "dec_max/output"],
                 checks=[check_masked_extremum("maximum follows the masked rule", 2, 0, 1, ma, mb,
                                               np.maximum, keras3),
                         check_masked_extremum("minimum follows the masked rule", 3, 0, 1, ma, mb,
                                               np.minimum, keras3)])


def build_merge_mask_one_unmasked(K, rng):
    """One masked and one unmasked input: Keras 3 gives no mask (an LSTM after runs every
    step), tf.keras the one mask present; Maximum and Minimum with the masked input first and
    second."""
    keras3 = is_keras3(K)
    x1, m1, v1 = _masked(K, rng, "x1", PAD_A)
    x2 = K.Input((MT, D), name="x2")
    a, b = _seq(K, "la", U, m1), _seq(K, "lb", U, x2)
    add = K.layers.Add(name="add")([a, b])
    outs = [a, b, _dec(K, "dec_add", add), K.layers.Maximum(name="maximum")([a, b]),
            K.layers.Minimum(name="minimum")([b, a]), K.layers.Multiply(name="multiply")([a, b])]
    model = K.Model([x1, x2], outs, name="model")
    finish(K, model, rng)
    ma = mask_from_rows(PAD_A)
    return Built(model, [v1, randn(rng, MB, MT, D)],
                 ["la/output", "lb/output", "dec_add/output", "maximum/output",
                  "minimum/output", "multiply/output"],
                 checks=[check_masked_extremum("maximum follows the masked rule", 3, 0, 1, ma, None,
                                               np.maximum, keras3),
                         check_masked_extremum("minimum follows the masked rule", 4, 1, 0, None, ma,
                                               np.minimum, keras3),
                         check_masked_product("multiply follows the masked rule", 5, 0, 1, ma, None,
                                              keras3)])


def build_concat_mask_feature(K, rng):
    x1, m1, v1 = _masked(K, rng, "x1", PAD_A)
    x2, m2, v2 = _masked(K, rng, "x2", PAD_B)
    cat = K.layers.Concatenate(name="cat")([_seq(K, "la", U, m1), _seq(K, "lb", 3, m2)])
    model = K.Model([x1, x2], [cat, _dec(K, "dec", cat)], name="model")
    finish(K, model, rng)
    return Built(model, [v1, v2], ["cat/output", "dec/output"])


def build_concat_mask_time(K, rng):
    """Concatenate along time: (3,6,4) and (3,4,4), both masked: the masks are joined."""
    x1, m1, v1 = _masked(K, rng, "x1", PAD_A)
    x2, m2, v2 = _masked(K, rng, "x2", ["1100", "0111", "1110"], steps=4)
    cat = K.layers.Concatenate(axis=1, name="cat")([_seq(K, "la", U, m1), _seq(K, "lb", U, m2)])
    model = K.Model([x1, x2], [cat, _dec(K, "dec", cat)], name="model")
    finish(K, model, rng)
    return Built(model, [v1, v2], ["cat/output", "dec/output"])


def build_concat_mask_one_unmasked(K, rng):
    """A masked and an unmasked input joined along the features (Keras 3: any over [mask,
    ones] = all true; tf.keras: all = the mask) and, in Keras 3 only, along time ([mask,
    ones]; tf.keras cannot join a (3,6,1) mask with (3,4,4) ones)."""
    keras3 = is_keras3(K)
    x1, m1, v1 = _masked(K, rng, "x1", PAD_A)
    x2 = K.Input((MT, D), name="x2")
    a = _seq(K, "la", U, m1)
    cat = K.layers.Concatenate(name="cat")([a, _seq(K, "lu", 3, x2)])
    outs, names = [cat, _dec(K, "dec", cat)], ["cat/output", "dec/output"]
    ins, values = [x1, x2], [v1, randn(rng, MB, MT, D)]
    if keras3:
        x3 = K.Input((4, D), name="x3")
        cat_t = K.layers.Concatenate(axis=1, name="cat_time")([a, _seq(K, "lt", U, x3)])
        outs.append(_dec(K, "dec_time", cat_t))
        names.append("dec_time/output")
        ins.append(x3)
        values.append(randn(rng, MB, 4, D))
    model = K.Model(ins, outs, name="model")
    finish(K, model, rng)
    return Built(model, values, names)


def build_bilstm_pool_classifier(K, rng):
    """The everyday text classifier: tokens -> Embedding(mask_zero) -> BiLSTM sequences ->
    [GlobalMaxPooling1D, GlobalAveragePooling1D (masked mean)] -> Concatenate -> softmax."""
    tokens = K.Input((7,), dtype="int32", name="tokens")
    e = K.layers.Embedding(20, 5, mask_zero=True, name="emb")(tokens)
    h = K.layers.Bidirectional(K.layers.LSTM(U, return_sequences=True, name="lstm", **bias_kw(K)),
                               name="bi")(e)
    cat = K.layers.Concatenate(name="cat")([K.layers.GlobalMaxPooling1D(name="gmp")(h),
                                           K.layers.GlobalAveragePooling1D(name="gap")(h)])
    head = K.layers.Dense(3, activation="softmax", name="head", **bias_kw(K))(cat)
    model = K.Model(tokens, [cat, head], name="model")
    finish(K, model, rng)
    ids = rng.integers(1, 20, size=(MB, 7)).astype(np.int32)
    ids[0, 5:] = 0
    ids[1, 2:] = 0
    ids[2, 0] = 0
    return Built(model, [ids], ["cat/output", "head/output"])


PROJ = "each input first through Dense 'proj_<name>' of its last extent"


def cases():
    masks = (f"x1/x2 ({MB},{MT},{D}) under Masking, padded {'/'.join(PAD_A)} and "
             f"{'/'.join(PAD_B)}")
    for fmt, prefix, kw in (("keras3", "", RB), ("keras2-h5", "k2_", K2W)):
        k2 = prefix == "k2_"
        who = "tf_keras: " if k2 else ""
        if not k2:
            yield Case("merge_elementwise_2d",
                       f"Functional p, q, r ({B},{U}), {PROJ}; outputs Add, Subtract (p, q), Multiply, "
                       f"Average, Maximum, Minimum (p, q, r); {RB} (Dense).",
                       elementwise_builder(2))
            yield Case("merge_elementwise_4d",
                       f"Functional p, q, r ({B},2,3,{U}), {PROJ}; outputs Add, Subtract (p, q), Multiply, "
                       f"Average, Maximum, Minimum (p, q, r); {RB} (Dense).",
                       elementwise_builder(4))
            yield Case("merge_broadcast",
                       f"Functional p ({B},5,{U}), q ({B},1,{U}), r ({B},5,1): extents of 1 "
                       f"broadcast ({PROJ}); Add [p,q], Multiply [p,r], Maximum [q,r], Subtract [r,q], "
                       f"Average [p,q,r], Minimum [r,p,q]; {RB} (Dense).",
                       build_merge_broadcast)
        yield Case(f"{prefix}merge_elementwise_3d",
                   f"{who}Functional x ({B},5,{D}) -> LSTM({U}, sequences) 'lstm' = p and "
                   f"GRU({U}, sequences) 'gru' = q, input r ({B},5,{U}); outputs Add, Subtract "
                   f"(p, q), Multiply, Average, Maximum, Minimum (p, q, r); {kw}.",
                   elementwise_builder(3), fmt=fmt)
        yield Case(f"{prefix}merge_ranks",
                   f"{who}Functional v ({B},{U}), s ({B},5,{U}), w ({B},2,3,{U}), u ({B},3,{U}): "
                   f"inputs of different ranks ({PROJ}), expanded at axis 1 then broadcast; Add [s,v], "
                   f"Subtract [v,s], Maximum [w,v], Multiply [w,u,v], Average [u,w], Minimum [v,u]; {kw}.",
                   build_merge_ranks, fmt=fmt)
        yield Case(f"{prefix}concat_axes",
                   f"{who}Functional Concatenate along -1 (3-D), 1 (time), -2 and 1 (4-D), 2 (3-D) "
                   f"and -1 (three 2-D inputs), {PROJ}; {kw}.",
                   build_concat_axes, fmt=fmt)
        yield Case(f"{prefix}dot_2d",
                   f"{who}Functional p, q ({B},{U}): Dot(axes=1) 'dot', Dot(axes=-1, "
                   f"normalize=True) 'cos', Dot(axes=[1, 1]) 'dot_pair' on [q, p]; outputs (B, 1).",
                   build_dot_2d, fmt=fmt)
        yield Case(f"{prefix}dot_3d_attention",
                   f"{who}Functional x ({B},5,{D}) -> LSTM({U}, sequences) 'enc' = q, keys k "
                   f"({B},6,{U}): Dot(axes=[2,2]) 'scores' -> softmax 'attn' -> Dot(axes=[2,1]) "
                   f"'context' with k; Dot(axes=(-1,-1), normalize=True) 'cos'; Dot(axes=[1,1]) "
                   f"'gram' [q, x]; Dot(axes=2) 'dot_int'; Dot(axes=-2) 'dot_neg_int' [q, x]; {kw}.",
                   build_dot_3d_attention, fmt=fmt)
        yield Case(f"{prefix}dot_ranks",
                   f"{who}Functional v ({B},{U}), s ({B},6,{U}), s2 ({B},{U},5), w ({B},2,3,{U}): "
                   f"Dot axes (1,2) [v,s], (2,1) [s,v], (-1,-1) normalized [v,s], (1,1) [v,s2], "
                   f"(3,1) [w,s2], (-1,2) normalized [w,s].",
                   build_dot_ranks, fmt=fmt)
        rule = ("tf.keras ANDs the masks" if k2 else "Keras 3 ORs the masks (op nodes LogicalOr)")
        mul = ("" if k2 else "; Keras 3 Multiply counts a masked element as 1 and gives 0 where "
               "both are masked")
        yield Case(f"{prefix}merge_mask_two",
                   f"{who}Functional {masks}: LSTM({U}, sequences) 'la', 'lb' -> Add 'add', "
                   f"Multiply, Subtract, each -> LSTM(3) 'dec_*' consuming the merged mask: "
                   f"{rule}{mul}; outputs [la, lb, add, multiply, dec_add, dec_mul, dec_sub]; {kw}.",
                   build_merge_mask_two, fmt=fmt)
        rule = ("tf.keras: plain element-wise, masks ANDed" if k2 else
                "Keras 3 leaves each input's masked elements out (both masked: the first's), "
                "masks ORed")
        yield Case(f"{prefix}merge_mask_maxmin",
                   f"{who}Functional {masks} and x3 padded {'/'.join(PAD_C)}: LSTM({U}, "
                   f"sequences) 'la', 'lb', 'lc'; Maximum, Minimum [la, lb], Minimum [la, lb, lc], "
                   f"LSTM(3) 'dec_max' on Maximum: {rule}; {kw}.",
                   build_merge_mask_maxmin, fmt=fmt)
        rule = ("tf.keras: the one mask present" if k2 else
                "Keras 3: no mask (not every input has one)")
        yield Case(f"{prefix}merge_mask_one_unmasked",
                   f"{who}Functional x1 ({MB},{MT},{D}) under Masking padded {'/'.join(PAD_A)} "
                   f"-> LSTM 'la'; x2 unmasked -> LSTM 'lb'; Add -> LSTM(3) 'dec_add' ({rule}); "
                   f"Maximum [la, lb], Minimum [lb, la], Multiply [la, lb] (Keras 3: la's masked "
                   f"elements count as 1); {kw}.",
                   build_merge_mask_one_unmasked, fmt=fmt)
        rule = "all (AND)" if k2 else "any (OR)"
        yield Case(f"{prefix}concat_mask_feature",
                   f"{who}Functional {masks}: LSTM({U}) 'la', LSTM(3) 'lb' (sequences) -> "
                   f"Concatenate 'cat' -> LSTM(3) 'dec': masks widened, joined, reduced with "
                   f"{rule}; {kw}.",
                   build_concat_mask_feature, fmt=fmt)
        yield Case(f"{prefix}concat_mask_time",
                   f"{who}Functional x1 ({MB},{MT},{D}) padded {'/'.join(PAD_A)}, x2 ({MB},4,{D}) "
                   f"padded 1100/0111/1110, both under Masking -> LSTM({U}, sequences) -> "
                   f"Concatenate(axis=1) 'cat' -> LSTM(3) 'dec': the masks joined along time; {kw}.",
                   build_concat_mask_time, fmt=fmt)
        rule = ("features: all -> the mask" if k2 else
                "features: any over [mask, ones] = all true; time (x3 (3,4,3) -> LSTM 'lt'): "
                "[mask, ones] -> LSTM(3) 'dec_time'")
        yield Case(f"{prefix}concat_mask_one_unmasked",
                   f"{who}Functional x1 ({MB},{MT},{D}) under Masking padded {'/'.join(PAD_A)} -> "
                   f"LSTM 'la'; x2 unmasked -> LSTM(3) 'lu'; Concatenate 'cat' -> LSTM(3) 'dec' "
                   f"({rule}); {kw}.",
                   build_concat_mask_one_unmasked, fmt=fmt)
        yield Case(f"{prefix}bilstm_pool_classifier",
                   f"{who}Functional int32 tokens ({MB},7), zero-padded -> Embedding(20, 5, "
                   f"mask_zero=True) -> Bidirectional(LSTM({U}, sequences)) 'bi' -> "
                   f"GlobalMaxPooling1D 'gmp' (ignores the mask) and GlobalAveragePooling1D 'gap' "
                   f"(masked mean) -> Concatenate 'cat' -> Dense(3, softmax) 'head'; {kw}.",
                   build_bilstm_pool_classifier, fmt=fmt)
