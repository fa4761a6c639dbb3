"""Attention layers: Attention (use_scale, score_mode dot / concat, a separate key, the
use_causal_mask call argument, query and value masks, return_attention_scores),
AdditiveAttention, MultiHeadAttention (num_heads, key_dim, value_dim, output_shape int and
tuple, use_bias, attention_axes on 4-D inputs, an attention_mask input, use_causal_mask,
return_attention_scores, dropout at inference, use_gate and sliding_window in Keras 3) and
Keras 3's GroupQueryAttention; three everyday models; Keras 3 and tf_keras (k2_); a few
weights-only files.

The masks Keras applies at run time are the point of most cases. A Keras 3 config records no
mask on an attention node: the layer takes the masks its input tensors carry when it runs.
Padding that masks whole query rows makes each code path visible:

* Keras 3 MultiHeadAttention / GroupQueryAttention with dropout 0, no scores returned and 3-D
  inputs run ops.dot_product_attention: masked logits become -0.7 * 3.38953e38, so a fully
  masked row attends uniformly to every step.
* Otherwise (dropout > 0, return_attention_scores, 4-D inputs) a Softmax layer: masked logits
  become -1e9 and the masked weights are then set to 0 (a fully masked row gives zeros).
* tf_keras adds -1e9 to masked logits (a fully masked row is shifted, not masked), or with
  softmax_robust_masking=True sets them to -1e9.
* Keras 3 MultiHeadAttention clears the mask of its input tensors after using it, so a later
  reader of those tensors sees none (mha_clears_input_masks).

Padded steps are all 0.0 (Masking(0.0) in front) or token 0 (Embedding(mask_zero=True)).
Inputs are standard normals, batch 3; every weight is drawn with numpy (np_weights)."""

from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from ..builders import NPW, np_weights, randn
from ..case import Built, Case

AB = 3   # batch

# Padding patterns, one row per batch element: 1 = real step, 0 = padding.
Q_ROWS = ["11111", "11100", "00000"]          # query (5 steps): the third row fully padded
V_ROWS = ["111111", "110000", "011110"]       # value (6 steps)
X_ROWS = ["11111", "11100", "00000"]          # self-attention (5 steps)
V_FULL_ROWS = ["111111", "110000", "000000"]  # value, the third row fully padded
TOK_ROWS = ["111111", "111100", "110000"]     # token ids (6 steps)


def rows_mask(rows):
    return np.array([[c == "1" for c in r] for r in rows], dtype=bool)


@dataclass
class In:
    """One model input: float32 standard normals (zeroed where `pad` says, and then put through
    Masking(0.0) '<name>_mask'), int32 token ids 1..9 (0 where `pad` says), or fixed 0/1 bits
    (an attention_mask, int32; or a mask as float32 with bits_dtype)."""
    name: str
    shape: Tuple[int, ...]
    pad: Optional[list] = None
    kind: str = "float"          # "float", "tokens" or "bits"
    bits: Optional[list] = None
    bits_dtype: str = "int32"

    @property
    def dtype(self):
        return {"float": "float32", "tokens": "int32"}.get(self.kind, self.bits_dtype)

    def data(self, rng):
        if self.kind == "bits":
            return np.array(self.bits, dtype=self.bits_dtype)
        if self.kind == "tokens":
            ids = rng.integers(1, 10, size=(AB,) + self.shape).astype(np.int32)
            if self.pad:
                ids[~rows_mask(self.pad)] = 0
            return ids
        x = randn(rng, AB, *self.shape)
        if self.pad:
            x[~rows_mask(self.pad)] = 0.0
        return x


def graph(inputs, body):
    """Functional model over `inputs` (In); body(K, *tensors) -> [(output name, tensor)]."""
    def build(K, rng):
        tensors, ins = [], []
        for spec in inputs:
            i = K.Input(spec.shape, dtype=spec.dtype, name=spec.name)
            ins.append(i)
            masked = spec.kind == "float" and spec.pad
            tensors.append(K.layers.Masking(0.0, name=f"{spec.name}_mask")(i) if masked else i)
        outs = body(K, *tensors)
        model = K.Model(ins, [t for _, t in outs], name="model")
        np_weights(model, rng)
        return Built(model, [spec.data(rng) for spec in inputs], [n for n, _ in outs])
    return build


def both(name, description, build, k2=True, **kw):
    """The Keras 3 case and, when k2, its tf_keras twin k2_<name>."""
    yield Case(name, f"Keras 3: {description}; {NPW}.", build, **kw)
    if k2:
        yield Case(f"k2_{name}", f"tf_keras: {description}; {NPW}.", build, fmt="keras2-h5",
                   **kw)


def _args(kwargs):
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


# --------------------------------------------------------------------------------------------
# Attention and AdditiveAttention
# --------------------------------------------------------------------------------------------

def dense_attention(cls, layer_kw, inputs, call_kw=None, key=False):
    """cls(**layer_kw) 'att' called on [q, v(, k)] with call_kw; outputs the result (and the
    scores when return_attention_scores)."""
    call_kw = call_kw or {}

    def body(K, *t):
        layer = getattr(K.layers, cls)(name="att", **layer_kw)
        args = list(t[:3] if key else t[:2])
        out = layer(args, **call_kw)
        if call_kw.get("return_attention_scores"):
            return [("att/output", out[0]), ("att/attention_scores", out[1])]
        return [("att/output", out)]
    return graph(inputs, body)


QV = [In("q", (5, 4)), In("v", (6, 4))]
QV_MASKED = [In("q", (5, 4), Q_ROWS), In("v", (6, 4), V_ROWS)]
QVK = [In("q", (5, 4)), In("v", (6, 3)), In("k", (6, 4))]
X = [In("x", (5, 4))]
X_MASKED = [In("x", (5, 4), X_ROWS)]


def self_attention(cls, layer_kw, inputs, call_kw=None):
    """cls(**layer_kw) 'att' on [x, x]."""
    call_kw = call_kw or {}

    def body(K, x):
        layer = getattr(K.layers, cls)(name="att", **layer_kw)
        out = layer([x, x], **call_kw)
        if call_kw.get("return_attention_scores"):
            return [("att/output", out[0]), ("att/attention_scores", out[1])]
        return [("att/output", out)]
    return graph(inputs, body)


def build_explicit_masks(K, rng):
    """Attention called with mask=[query_mask, value_mask] cast from separate float inputs."""
    def body(K, q, v, qm, vm):
        att = K.layers.Attention(name="att")
        return [("att/output", att([q, v], mask=[K.ops.cast(qm, "bool"),
                                                   K.ops.cast(vm, "bool")]))]
    ins = [In("q", (5, 4)), In("v", (6, 4)),
           In("qm", (5,), kind="bits", bits=rows_mask(Q_ROWS).tolist(), bits_dtype="float32"),
           In("vm", (6,), kind="bits", bits=rows_mask(V_ROWS).tolist(), bits_dtype="float32")]
    return graph(ins, body)(K, rng)


def dense_cases():
    qv, qvm = "q (3,5,4), v (3,6,4)", (f"q (3,5,4) padded {'/'.join(Q_ROWS)} and v (3,6,4) "
                                       f"padded {'/'.join(V_ROWS)}, each through Masking(0.0)")
    yield from both("att_dot", f"Attention() 'att' on [q, v], {qv}",
                    dense_attention("Attention", {}, QV))
    yield from both("att_scale", f"Attention(use_scale=True) 'att' on [q, v], {qv}",
                    dense_attention("Attention", dict(use_scale=True), QV))
    yield from both("att_concat", f"Attention(score_mode='concat') 'att' on [q, v], {qv}",
                    dense_attention("Attention", dict(score_mode="concat"), QV))
    yield from both("att_concat_scale",
                    f"Attention(score_mode='concat', use_scale=True) 'att' on [q, v], {qv}",
                    dense_attention("Attention", dict(score_mode="concat", use_scale=True), QV))
    yield from both("att_key", "Attention(use_scale=True) 'att' on [q, v, k], q (3,5,4), "
                    "v (3,6,3), k (3,6,4): scores from the key, values from v",
                    dense_attention("Attention", dict(use_scale=True), QVK, key=True))
    yield from both("att_causal", "Attention() 'att' on [x, x] called with "
                    "use_causal_mask=True, x (3,5,4)",
                    self_attention("Attention", {}, X, dict(use_causal_mask=True)))
    yield from both("att_masked_scores",
                    f"Attention() 'att' on [q, v] with return_attention_scores=True, {qvm}: "
                    f"masked query steps give 0, masked value steps weigh 0",
                    dense_attention("Attention", {}, QV_MASKED,
                                    dict(return_attention_scores=True)))
    yield from both("att_value_row_fully_masked",
                    f"Attention() 'att' on [q, v, k] with return_attention_scores=True, q (3,5,4), "
                    f"v (3,6,3) padded {'/'.join(V_FULL_ROWS)} through Masking(0.0), k (3,6,4) "
                    f"not padded: every score of the third row becomes s - 1e9, which rounds to "
                    f"-1e9 in float32 (uniform weights) but keeps s in float64",
                    dense_attention("Attention", {}, [In("q", (5, 4)), In("v", (6, 3), V_FULL_ROWS),
                                                      In("k", (6, 4))],
                                    dict(return_attention_scores=True), key=True))
    yield from both("att_masked_causal_concat",
                    f"Attention(score_mode='concat') 'att' on [x, x] with "
                    f"use_causal_mask=True and return_attention_scores=True, x (3,5,4) padded "
                    f"{'/'.join(X_ROWS)} through Masking(0.0)",
                    self_attention("Attention", dict(score_mode="concat"), X_MASKED,
                                   dict(use_causal_mask=True, return_attention_scores=True)))
    yield Case("att_explicit_masks",
               f"Keras 3: Attention() 'att' on [q, v] called with mask=[cast(qm, bool), "
               f"cast(vm, bool)] from float 0/1 inputs qm (3,5) {'/'.join(Q_ROWS)} and vm (3,6) "
               f"{'/'.join(V_ROWS)}; {qv} (not zero where masked); {NPW}.",
               build_explicit_masks)
    yield from both("additive_att", f"AdditiveAttention() 'att' (use_scale=True) on [q, v], {qv}",
                    dense_attention("AdditiveAttention", {}, QV))
    yield from both("additive_att_noscale_key",
                    "AdditiveAttention(use_scale=False) 'att' on [q, v, k], q (3,5,4), v (3,6,3), "
                    "k (3,6,4)",
                    dense_attention("AdditiveAttention", dict(use_scale=False), QVK, key=True))
    yield from both("additive_att_masked_scores",
                    f"AdditiveAttention() 'att' on [q, v] with return_attention_scores=True, "
                    f"{qvm}",
                    dense_attention("AdditiveAttention", {}, QV_MASKED,
                                    dict(return_attention_scores=True)))
    yield from both("additive_att_masked_causal",
                    f"AdditiveAttention() 'att' on [x, x] with use_causal_mask=True, x (3,5,4) "
                    f"padded {'/'.join(X_ROWS)} through Masking(0.0)",
                    self_attention("AdditiveAttention", {}, X_MASKED,
                                   dict(use_causal_mask=True)))


# --------------------------------------------------------------------------------------------
# MultiHeadAttention and GroupQueryAttention
# --------------------------------------------------------------------------------------------

def mha(layer_kw, inputs, call_kw=None, *, cls="MultiHeadAttention", key=False,
        attention_mask=False, self_attention=False):
    """cls(**layer_kw) 'mha' on (query, value[, key=k][, attention_mask=am]) with call_kw;
    self_attention: on (x, x). Outputs the result (and the scores when returned)."""
    call_kw = call_kw or {}

    def body(K, *t):
        layer = getattr(K.layers, cls)(name="mha", **layer_kw)
        q, rest = t[0], list(t[1:])
        v = q if self_attention else rest.pop(0)
        kw = dict(call_kw)
        if key:
            kw["key"] = rest.pop(0)
        if attention_mask:
            kw["attention_mask"] = rest.pop(0)
        out = layer(q, v, **kw)
        if call_kw.get("return_attention_scores"):
            return [("mha/output", out[0]), ("mha/attention_scores", out[1])]
        return [("mha/output", out)]
    return graph(inputs, body)


# attention_mask (3, 5, 6): row 0 banded, row 1 with a fully masked query step (2), row 2 all 1.
AM_BITS = [
    [[1, 1, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0], [0, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 0],
     [0, 0, 0, 1, 1, 1]],
    [[1, 0, 1, 0, 1, 0], [0, 1, 0, 1, 0, 1], [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1],
     [0, 0, 0, 0, 0, 1]],
    [[1] * 6] * 5,
]
QVA = [In("q", (5, 4)), In("v", (6, 4)), In("am", (5, 6), kind="bits", bits=AM_BITS)]
QVKC = [In("q", (5, 4)), In("v", (6, 3)), In("k", (6, 5))]
X4 = [In("x", (3, 4, 5))]


def mha_cases():
    x, xm = "x (3,5,4)", f"x (3,5,4) padded {'/'.join(X_ROWS)} through Masking(0.0)"
    yield from both("mha_self", f"MultiHeadAttention(num_heads=2, key_dim=3) 'mha' on (x, x), {x}",
                    mha(dict(num_heads=2, key_dim=3), X, self_attention=True))
    yield from both("mha_cross_key",
                    "MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4) 'mha' on (q, v, "
                    "key=k), q (3,5,4), v (3,6,3), k (3,6,5)",
                    mha(dict(num_heads=3, key_dim=2, value_dim=4), QVKC, key=True))
    yield from both("mha_output_shape_int",
                    f"MultiHeadAttention(num_heads=2, key_dim=2, output_shape=6) 'mha' on (x, x), "
                    f"{x}", mha(dict(num_heads=2, key_dim=2, output_shape=6), X,
                                self_attention=True))
    yield from both("mha_output_shape_tuple",
                    f"MultiHeadAttention(num_heads=2, key_dim=2, output_shape=(2, 3)) 'mha' on "
                    f"(x, x), {x}: output (3,5,2,3)",
                    mha(dict(num_heads=2, key_dim=2, output_shape=(2, 3)), X,
                        self_attention=True))
    yield from both("mha_nobias",
                    f"MultiHeadAttention(num_heads=2, key_dim=3, use_bias=False) 'mha' on (x, x), "
                    f"{x}", mha(dict(num_heads=2, key_dim=3, use_bias=False), X,
                                self_attention=True))
    yield from both("mha_axes_last",
                    "MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(2,)) 'mha' on "
                    "(x, x), x (3,3,4,5): attention over axis 2 only, axis 1 a batch axis",
                    mha(dict(num_heads=2, key_dim=2, attention_axes=(2,)), X4,
                        self_attention=True))
    yield from both("mha_axes_both_scores",
                    "MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(1, 2)) 'mha' on "
                    "(x, x) with return_attention_scores=True, x (3,3,4,5): one softmax over "
                    "both axes (exp(s - logsumexp(s)))",
                    mha(dict(num_heads=2, key_dim=2, attention_axes=(1, 2)), X4,
                        dict(return_attention_scores=True), self_attention=True))
    yield from both("mha_attention_mask",
                    "MultiHeadAttention(num_heads=2, key_dim=3) 'mha' on (q, v, "
                    "attention_mask=am), q (3,5,4), v (3,6,4), am int32 (3,5,6) 0/1 with a fully "
                    "masked query step in row 1",
                    mha(dict(num_heads=2, key_dim=3), QVA, attention_mask=True))
    yield from both("mha_causal",
                    f"MultiHeadAttention(num_heads=2, key_dim=3) 'mha' on (x, x) with "
                    f"use_causal_mask=True and no other mask, {x}",
                    mha(dict(num_heads=2, key_dim=3), X, dict(use_causal_mask=True),
                        self_attention=True))
    yield from both("mha_masked",
                    f"MultiHeadAttention(num_heads=2, key_dim=3) 'mha' on (x, x), {xm}: Keras 3 "
                    f"ops.dot_product_attention gives the fully padded row uniform weights; "
                    f"tf_keras adds -1e9",
                    mha(dict(num_heads=2, key_dim=3), X_MASKED, self_attention=True))
    yield from both("mha_masked_causal",
                    f"MultiHeadAttention(num_heads=2, key_dim=3) 'mha' on (x, x) with "
                    f"use_causal_mask=True, {xm}",
                    mha(dict(num_heads=2, key_dim=3), X_MASKED, dict(use_causal_mask=True),
                        self_attention=True))
    yield from both("mha_masked_scores",
                    f"MultiHeadAttention(num_heads=2, key_dim=3) 'mha' on (q, v) with "
                    f"return_attention_scores=True, q (3,5,4) padded {'/'.join(Q_ROWS)}, v (3,6,4) "
                    f"padded {'/'.join(V_ROWS)}, each through Masking(0.0): Keras 3 takes its "
                    f"Softmax layer (-1e9, then masked weights 0)",
                    mha(dict(num_heads=2, key_dim=3), QV_MASKED,
                        dict(return_attention_scores=True)))
    yield from both("mha_dropout_masked",
                    f"MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.25) 'mha' on (x, x) at "
                    f"inference, {xm}: Keras 3 takes its Softmax layer (dropout > 0)",
                    mha(dict(num_heads=2, key_dim=3, dropout=0.25), X_MASKED,
                        self_attention=True))
    yield Case("k2_mha_robust_masking",
               f"tf_keras: MultiHeadAttention(num_heads=2, key_dim=3, "
               f"softmax_robust_masking=True) 'mha' on (x, x), {xm}: masked logits set to -1e9; "
               f"{NPW}.",
               mha(dict(num_heads=2, key_dim=3, softmax_robust_masking=True), X_MASKED,
                   self_attention=True), fmt="keras2-h5")
    yield Case("mha_gate",
               f"Keras 3: MultiHeadAttention(num_heads=2, key_dim=3, use_gate=True) 'mha' on "
               f"(x, x), {xm}; {NPW}.",
               mha(dict(num_heads=2, key_dim=3, use_gate=True), X_MASKED, self_attention=True))
    yield Case("mha_sliding_window",
               f"Keras 3: MultiHeadAttention(num_heads=2, key_dim=3, sliding_window=2) 'mha' on "
               f"(x, x), {x}; {NPW}.",
               mha(dict(num_heads=2, key_dim=3, sliding_window=2), X, self_attention=True))
    yield Case("mha_sliding_window_causal_scores",
               f"Keras 3: MultiHeadAttention(num_heads=2, key_dim=2, value_dim=3, "
               f"sliding_window=3) 'mha' on (x, x) with use_causal_mask=True and "
               f"return_attention_scores=True, {xm}; {NPW}.",
               mha(dict(num_heads=2, key_dim=2, value_dim=3, sliding_window=3), X_MASKED,
                   dict(use_causal_mask=True, return_attention_scores=True),
                   self_attention=True))
    gqa = dict(head_dim=2, num_query_heads=4, num_key_value_heads=2)
    yield Case("gqa_masked",
               f"Keras 3: GroupQueryAttention({_args(gqa)}) 'mha' on (x, x), {xm}: "
               f"ops.dot_product_attention; {NPW}.",
               mha(gqa, X_MASKED, cls="GroupQueryAttention", self_attention=True))
    yield Case("gqa_key_scores",
               f"Keras 3: GroupQueryAttention({_args(gqa)}) 'mha' on (q, v, key=k) with "
               f"return_attention_scores=True, q (3,5,4), v (3,6,4), k (3,6,3); {NPW}.",
               mha(gqa, [In("q", (5, 4)), In("v", (6, 4)), In("k", (6, 3))],
                   dict(return_attention_scores=True), cls="GroupQueryAttention", key=True))
    gate = dict(head_dim=3, num_query_heads=2, num_key_value_heads=1, use_gate=True,
                sliding_window=2)
    yield Case("gqa_gate_sliding_causal",
               f"Keras 3: GroupQueryAttention({_args(gate)}) 'mha' on (x, x) with "
               f"use_causal_mask=True, {x}; {NPW}.",
               mha(gate, X, dict(use_causal_mask=True), cls="GroupQueryAttention",
                   self_attention=True))
    drop = dict(gqa, dropout=0.5)
    yield Case("gqa_dropout_masked",
               f"Keras 3: GroupQueryAttention({_args(drop)}) 'mha' on (q, v) at inference, "
               f"q (3,5,4) padded {'/'.join(Q_ROWS)}, v (3,6,4) padded {'/'.join(V_ROWS)}, each "
               f"through Masking(0.0): its Softmax layer; {NPW}.",
               mha(drop, QV_MASKED, cls="GroupQueryAttention"))


def build_mha_clears(K, rng):
    """Embedding(mask_zero) -> MHA 'mha1' -> Add -> LayerNormalization -> MHA 'mha2'."""
    def body(K, tok):
        e = K.layers.Embedding(10, 4, mask_zero=True, name="emb")(tok)
        a = K.layers.MultiHeadAttention(2, 2, name="mha1")(e, e)
        s = K.layers.Add(name="add")([e, a])
        n = K.layers.LayerNormalization(name="ln")(s)
        o = K.layers.MultiHeadAttention(2, 2, name="mha2")(n, n)
        return [("ln/output", n), ("mha2/output", o)]
    return graph([In("tok", (6,), TOK_ROWS, kind="tokens")], body)(K, rng)


# --------------------------------------------------------------------------------------------
# Everyday models
# --------------------------------------------------------------------------------------------

def build_bilstm_attention(K, rng):
    def body(K, tok):
        e = K.layers.Embedding(12, 4, mask_zero=True, name="emb")(tok)
        h = K.layers.Bidirectional(K.layers.LSTM(3, return_sequences=True, name="lstm"),
                                   name="bi")(e)
        a = K.layers.Attention(name="att")([h, h])
        p = K.layers.GlobalAveragePooling1D(name="pool")(a)
        return [("head/output", K.layers.Dense(3, activation="softmax", name="head")(p))]
    return graph([In("tok", (6,), TOK_ROWS, kind="tokens")], body)(K, rng)


def build_encoder_decoder(K, rng):
    def body(K, enc_x, dec_x):
        enc_seq, h, c = K.layers.LSTM(4, return_sequences=True, return_state=True,
                                      name="enc")(enc_x)
        dec_seq = K.layers.LSTM(4, return_sequences=True, name="dec")(dec_x,
                                                                      initial_state=[h, c])
        ctx = K.layers.AdditiveAttention(name="att")([dec_seq, enc_seq])
        cat = K.layers.Concatenate(name="cat")([dec_seq, ctx])
        return [("head/output", K.layers.Dense(3, activation="softmax", name="head")(cat))]
    ins = [In("enc_x", (6, 3), ["111111", "111100", "110000"]), In("dec_x", (5, 2))]
    return graph(ins, body)(K, rng)


def build_embed_lstm_mha(K, rng):
    def body(K, tok):
        e = K.layers.Embedding(10, 4, mask_zero=True, name="emb")(tok)
        h = K.layers.LSTM(4, return_sequences=True, name="rnn")(e)
        a = K.layers.MultiHeadAttention(2, 2, name="mha")(h, h)
        s = K.layers.Add(name="add")([h, a])
        n = K.layers.LayerNormalization(name="ln")(s)
        p = K.layers.GlobalAveragePooling1D(name="pool")(n)
        return [("ln/output", n),
                ("head/output", K.layers.Dense(3, activation="softmax", name="head")(p))]
    return graph([In("tok", (6,), TOK_ROWS, kind="tokens")], body)(K, rng)


def build_attention_mix(K, rng, grouped=True):
    """Attention, AdditiveAttention, MultiHeadAttention (and GroupQueryAttention) on q, v, k."""
    def body(K, q, v, k):
        outs = [("att/output", K.layers.Attention(use_scale=True, score_mode="concat",
                                                  name="att")([q, v, k])),
                ("add_att/output", K.layers.AdditiveAttention(name="add_att")([q, v])),
                # On k alone: Keras 3's MultiHeadAttention clears the masks of the tensors it
                # reads, and Keras runs same-depth layers in an order of its own (see
                # mha_clears_input_masks), so it must not share the masked q and v.
                ("mha/output", K.layers.MultiHeadAttention(2, 3, value_dim=2, name="mha")(k, k))]
        if grouped:
            outs.append(("gqa/output", K.layers.GroupQueryAttention(
                2, 4, 2, name="gqa")(q, v, key=k)))
        return outs
    return graph([In("q", (5, 4), Q_ROWS), In("v", (6, 4), V_ROWS), In("k", (6, 4))],
                 body)(K, rng)


def build_attention_mix_k2(K, rng):
    return build_attention_mix(K, rng, grouped=False)


MIX = (f"q (3,5,4) padded {'/'.join(Q_ROWS)} and v (3,6,4) padded {'/'.join(V_ROWS)} "
       f"through Masking(0.0), k (3,6,4); outputs Attention(use_scale=True, "
       f"score_mode='concat') 'att' on [q, v, k], AdditiveAttention() 'add_att' on [q, v], "
       f"MultiHeadAttention(2, 3, value_dim=2) 'mha' on (k, k)")


def cases():
    yield from dense_cases()
    yield from mha_cases()
    yield Case("mha_clears_input_masks",
               f"Keras 3: tokens (3,6) {'/'.join(TOK_ROWS)} -> Embedding(10, 4, mask_zero=True) "
               f"'emb' -> MultiHeadAttention(2, 2) 'mha1' on (e, e) -> Add 'add' [e, mha1] -> "
               f"LayerNormalization 'ln' -> MultiHeadAttention(2, 2) 'mha2' on (ln, ln); outputs "
               f"ln and mha2. mha1 clears the masks of e, so Add's output has none and mha2 "
               f"attends to the padded steps; {NPW}.", build_mha_clears)
    yield Case("k2_mha_keeps_input_masks",
               f"tf_keras: the model of mha_clears_input_masks; tf_keras keeps the masks, so "
               f"mha2 is masked; {NPW}.", build_mha_clears, fmt="keras2-h5")
    yield from both("bilstm_attention_classifier",
                    f"tokens (3,6) {'/'.join(TOK_ROWS)} -> Embedding(12, 4, mask_zero=True) 'emb' "
                    f"-> Bidirectional(LSTM(3, return_sequences=True) 'lstm') 'bi' -> "
                    f"Attention() 'att' on [h, h] -> GlobalAveragePooling1D 'pool' (masked "
                    f"mean) -> Dense(3, softmax) 'head'", build_bilstm_attention)
    yield from both("encoder_decoder_additive",
                    "enc_x (3,6,3) padded 111111/111100/110000 through Masking(0.0) -> "
                    "LSTM(4, return_sequences=True, return_state=True) 'enc'; dec_x (3,5,2) -> "
                    "LSTM(4, return_sequences=True) 'dec' with initial_state=[h, c] of 'enc'; "
                    "AdditiveAttention() 'att' on [dec, enc] -> Concatenate 'cat' [dec, att] -> "
                    "Dense(3, softmax) 'head'", build_encoder_decoder)
    yield from both("embed_lstm_mha",
                    f"tokens (3,6) {'/'.join(TOK_ROWS)} -> Embedding(10, 4, mask_zero=True) 'emb' "
                    f"-> LSTM(4, return_sequences=True) 'rnn' -> MultiHeadAttention(2, 2) 'mha' "
                    f"on (h, h) -> Add 'add' [h, mha] -> LayerNormalization 'ln' -> "
                    f"GlobalAveragePooling1D 'pool' -> Dense(3, softmax) 'head'; outputs ln and "
                    f"head", build_embed_lstm_mha)
    yield Case("k3w_attention_mix",
               f"Keras 3 save_weights('model.weights.h5') + model.to_json() in /model/config: "
               f"{MIX}, GroupQueryAttention(2, 4, 2) 'gqa' on (q, v, key=k) (sub-layers under "
               f"_query_dense/vars ...); {NPW}.", build_attention_mix, fmt="keras3-weights")
    yield Case("k3h5_attention_mix",
               f"Keras 3 model.save('model.h5') (legacy HDF5): {MIX}, GroupQueryAttention(2, 4, "
               f"2) 'gqa' on (q, v, key=k); {NPW}.", build_attention_mix, fmt="keras3-legacy-h5")
    yield Case("k2w_attention_mix",
               f"tf_keras save_weights('model_weights.h5') (legacy weights-only HDF5, every "
               f"MultiHeadAttention weight in one group) + model.to_json(): {MIX}; {NPW}.",
               build_attention_mix_k2, fmt="keras2-weights")
    yield Case("k2v3_attention_mix",
               f"tf_keras save_weights('model.weights.h5') (its Keras-3-style layout) + "
               f"model.to_json(): {MIX}; {NPW}.", build_attention_mix_k2,
               fmt="keras2-weights-v3")
