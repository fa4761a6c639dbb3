"""Activation layers: ReLU (max_value, negative_slope, threshold and their combinations, each
of Keras's code paths), LeakyReLU (Keras 3 negative_slope, Keras 2 alpha, the 0.3 default),
PReLU (alpha weights, shared_axes), ELU (alpha), Softmax (axis int and list, masks: Keras 3's
where() and tf_keras's additive -1e9, robust_masking, a broadcast mask), tf_keras's
ThresholdedReLU (theta); masks passing through them into an LSTM; and one model of every layer
of this family and the normalization family in the weights+config formats.

Inputs are standard normals times 2 with exact boundary values planted (0, the thresholds,
the max_values), so that a `>` written as `>=` shows."""

import numpy as np

from ..builders import B, D, K2W, RB, T, U, bias_kw, is_keras3, randn
from ..case import Built, Case
from .masking import MB, MT, PAD, mask_from_rows, pad_inputs
from .normalization import NW, adapted, branches, cls, mask_chain, setup, stack

# Exact values planted in x[b, t] (the rest is standard normals * 2).
BOUNDARIES = {(0, 0): [0.5, 0.0, 1.5], (0, 1): [6.0, 1.0, -0.5], (0, 2): [0.4, 2.0, 1.2],
              (1, 0): [7.0, -3.0, 0.5], (1, 1): [0.1, -0.0, 0.2]}
PLANTED = "x[0,0]=[0.5,0,1.5], x[0,1]=[6,1,-0.5], x[0,2]=[0.4,2,1.2], x[1,0]=[7,-3,0.5], " \
          "x[1,1]=[0.1,-0,0.2]"


PRE = 8                 # Dense(PRE) 'pre': every element-wise branch is also made on pre(x)
PRE_TEXT = (f"; every branch is made again as '<name>_pre' on Dense({PRE}) 'pre' of x (outputs "
            f"after the others)")


def boundary_inputs(rng):
    x = randn(rng, B, T, D) * np.float32(2)
    for (b, t), v in BOUNDARIES.items():
        x[b, t] = v
    return [x]


def scaled3(rng):
    return [randn(rng, B, T, D) * np.float32(3)]


RELU_BRANCHES = [
    ("relu", cls("ReLU")),
    ("relu_max", cls("ReLU", max_value=1.5)),
    ("relu6", cls("ReLU", max_value=6.0)),
    ("relu_slope", cls("ReLU", negative_slope=0.1)),
    ("relu_thr", cls("ReLU", threshold=0.5)),
    ("relu_thr_slope", cls("ReLU", threshold=0.5, negative_slope=0.2)),
    ("relu_max_slope", cls("ReLU", max_value=1.2, negative_slope=0.3)),
    ("relu_all", cls("ReLU", max_value=2.0, negative_slope=0.25, threshold=0.4)),
    ("relu_thr_over_max", cls("ReLU", threshold=1.0, max_value=0.5)),
    ("relu6_slope", cls("ReLU", max_value=6.0, negative_slope=0.1)),
    ("relu_max0", cls("ReLU", max_value=0.0)),
]
RELU_TEXT = ("'relu' (defaults), 'relu_max' (max_value=1.5), 'relu6' (max_value=6: the relu6 "
             "op), 'relu_slope' (negative_slope=0.1 alone: the leaky_relu op), 'relu_thr' "
             "(threshold=0.5), 'relu_thr_slope' (threshold=0.5, negative_slope=0.2), "
             "'relu_max_slope' (max_value=1.2, negative_slope=0.3), 'relu_all' (max_value=2, "
             "negative_slope=0.25, threshold=0.4), 'relu_thr_over_max' (threshold=1, "
             "max_value=0.5), 'relu6_slope' (max_value=6, negative_slope=0.1), 'relu_max0' "
             "(max_value=0)")

PRELU_BRANCHES = [
    ("prelu", cls("PReLU")),
    ("prelu_time", cls("PReLU", shared_axes=[1])),
    ("prelu_feat", cls("PReLU", shared_axes=2)),
    ("prelu_all", cls("PReLU", shared_axes=[1, 2])),
]
PRELU_TEXT = (f"'prelu' (alpha ({T}, {D})), 'prelu_time' (shared_axes=[1]: alpha (1, {D})), "
              f"'prelu_feat' (shared_axes=2, an int: alpha ({T}, 1)), 'prelu_all' "
              f"(shared_axes=[1, 2]: alpha (1, 1))")

ELU_BRANCHES = [
    ("elu", cls("ELU")),
    ("elu_half", cls("ELU", alpha=0.5)),
    ("elu_neg", cls("ELU", alpha=-0.7)),
    ("elu_big", cls("ELU", alpha=3.0)),
]
ELU_TEXT = ("'elu' (alpha 1: tf.nn.elu alone), 'elu_half' (alpha=0.5), 'elu_neg' (alpha=-0.7, "
            "which neither Keras refuses), 'elu_big' (alpha=3)")

SOFTMAX_BRANCHES = [
    ("sm", cls("Softmax")),
    ("sm_time", cls("Softmax", axis=1)),
    ("sm_both", cls("Softmax", axis=[1, 2])),
    ("sm_list1", cls("Softmax", axis=[-1])),
    ("sm_rev", cls("Softmax", axis=[2, 1])),
]
SOFTMAX_TEXT = ("'sm' (axis -1), 'sm_time' (axis=1), 'sm_both' (axis=[1, 2]: "
                "exp(x - logsumexp(x))), 'sm_list1' (axis=[-1]: a one-element list is the "
                "plain softmax), 'sm_rev' (axis=[2, 1])")


def build_lstm_softmax(K, rng):
    model = K.Sequential([K.Input((T, D), name="x"),
                          K.layers.LSTM(U, return_sequences=True, name="rnn", **bias_kw(K)),
                          K.layers.Softmax(name="sm")], name="model")
    setup(K, model, rng)
    return Built(model, [randn(rng, B, T, D)], ["sm/output"])


def check_rows(label, idx, rows, want):
    """A Built.checks entry: outs[idx][rows] all equal `want` (exactly)."""
    def fn(outs):
        got = outs[idx][rows]
        d = float(np.max(np.abs(got - np.float32(want))))
        return d == 0.0, f"max|output - {want:.6g}| on rows {rows} = {d:.3g}"
    return (label, fn)


def attention_scores(K, x, masking):
    """[Masking 'mask' ->] LSTM(4, return_sequences=True) 'rnn' -> Dense(1) 'score': one
    score per step, (batch, steps, 1)."""
    h = K.layers.Masking(0.0, name="mask")(x) if masking else x
    h = K.layers.LSTM(U, return_sequences=True, name="rnn", **bias_kw(K))(h)
    return K.layers.Dense(1, name="score", **bias_kw(K))(h)


def build_softmax_mask_where(K, rng):
    """Keras 3: the padding mask computed from x by ops (NotEqual, Any with keepdims), passed
    as mask= to a Softmax over the steps."""
    mask = mask_from_rows(PAD["full_row"])
    x = K.Input((MT, D), name="x")
    keep = K.ops.any(K.ops.not_equal(x, 0.0), axis=-1, keepdims=True)
    y = K.layers.Softmax(axis=1, name="sm")(attention_scores(K, x, True), mask=keep)
    model = setup(K, K.Model(x, y, name="model"), rng)
    xs = [pad_inputs(randn(rng, MB, MT, D) * np.float32(2), mask)]
    return Built(model, xs, ["sm/output"],
                 checks=[check_rows("the fully masked row is 0 (Keras 3 zeroes masked "
                                    "positions after the softmax)", 0, 1, 0.0)])


def softmax_mask_input(robust):
    """tf_keras: the mask is a second model input m (batch, steps, 1) of 0.0 / 1.0."""
    def build(K, rng):
        mask = mask_from_rows(PAD["full_row"])
        x = K.Input((MT, D), name="x")
        m = K.Input((MT, 1), name="m")
        kw = {"robust_masking": True} if robust else {}
        y = K.layers.Softmax(axis=1, name="sm", **kw)(attention_scores(K, x, False), mask=m)
        model = setup(K, K.Model([x, m], y, name="model"), rng)
        xs = [randn(rng, MB, MT, D) * np.float32(2), mask.astype(np.float32)[..., None]]
        return Built(model, xs, ["sm/output"],
                     checks=[check_rows(f"the fully masked row is uniform 1/{MT} in float32",
                                        0, 1, np.float32(1) / np.float32(MT))])
    return build


BCAST_MASK = np.array([[[1, 1, 0, 1]], [[0, 0, 0, 0]], [[1, 0, 1, 1]]], dtype=np.float32)


def build_softmax_mask_broadcast(K, rng):
    """A (batch, 1, units) mask input broadcast over the steps of the LSTM's sequence."""
    x = K.Input((MT, D), name="x")
    m = K.Input((1, U), name="m")
    h = K.layers.LSTM(U, return_sequences=True, name="rnn", **bias_kw(K))(x)
    mask = K.ops.cast(m, "bool") if is_keras3(K) else m
    y = K.layers.Softmax(name="sm")(h, mask=mask)
    model = setup(K, K.Model([x, m], y, name="model"), rng)
    xs = [randn(rng, MB, MT, D), BCAST_MASK.copy()]
    return Built(model, xs, ["sm/output"])


def chain(middles, *, shape=(T, D)):
    """Sequential: input 'x' (2, 5, 3) -> each (name, make) of middles in turn; output the
    last layer's. Inputs x*3+1."""
    def build(K, rng):
        layers = [make(K, name, rng) for name, make in middles]
        model = setup(K, K.Sequential([K.Input(shape, name="x")] + layers, name="model"), rng)
        xs = [randn(rng, B, *shape) * np.float32(3) + np.float32(1)]
        return Built(model, xs, [f"{middles[-1][0]}/output"])
    return build


CHAIN = [("ln", cls("LayerNormalization")),
         ("bn", cls("BatchNormalization")),
         ("norm", adapted(-1)),
         ("unit", cls("UnitNormalization")),
         ("relu", cls("ReLU", max_value=2.0, negative_slope=0.1, threshold=0.2)),
         ("leaky", cls("LeakyReLU", negative_slope=0.2)),
         ("prelu", cls("PReLU", shared_axes=[1])),
         ("elu", cls("ELU", alpha=0.8)),
         ("sm", cls("Softmax"))]
CHAIN_TEXT = ("LayerNormalization 'ln' -> BatchNormalization 'bn' -> Normalization 'norm' "
              "(axis -1, adapted on 64 samples U(-2, 6)) -> UnitNormalization 'unit' -> "
              "ReLU(max_value=2, negative_slope=0.1, threshold=0.2) 'relu' -> "
              "LeakyReLU(0.2) 'leaky' -> PReLU(shared_axes=[1]) 'prelu' -> ELU(0.8) 'elu'")
K2_CHAIN = [(n, m) if n != "leaky" else ("leaky", cls("LeakyReLU", alpha=0.2))
            for n, m in CHAIN[:-1]] + [("thr", cls("ThresholdedReLU", theta=0.05)),
                                       ("sm", cls("Softmax", robust_masking=True))]


def cases():
    shape = f"x ({B},{T},{D})"
    mshape = f"x ({MB},{MT},{D}) padded {'/'.join(PAD['mixed'])}"

    # ---------------------------------------------------------------- ReLU
    yield Case("relu_options",
               f"Functional ReLU branches on {shape} (standard normals * 2 with {PLANTED}), "
               f"one output each: {RELU_TEXT}{PRE_TEXT}.",
               branches(RELU_BRANCHES, inputs=boundary_inputs, pre=PRE))
    yield Case("k2_relu_options",
               f"tf_keras: the ReLU branches of relu_options on the same inputs: "
               f"{RELU_TEXT}{PRE_TEXT}.",
               branches(RELU_BRANCHES, inputs=boundary_inputs, pre=PRE), fmt="keras2-h5",
               seed_name="relu_options")

    # ---------------------------------------------------------------- LeakyReLU
    yield Case("leaky_relu_layer",
               f"Keras 3 LeakyReLU branches on {shape} (standard normals * 2 with {PLANTED}): "
               f"'leaky' (default negative_slope 0.3), 'leaky_005' (negative_slope=0.05), "
               f"'leaky_0' (negative_slope=0), 'leaky_alpha' (the deprecated alpha=0.1, saved "
               f"as negative_slope), and 'act_leaky' Activation('leaky_relu') (slope 0.2: the "
               f"function's default differs from the layer's){PRE_TEXT}.",
               branches([("leaky", cls("LeakyReLU")),
                         ("leaky_005", cls("LeakyReLU", negative_slope=0.05)),
                         ("leaky_0", cls("LeakyReLU", negative_slope=0.0)),
                         ("leaky_alpha", cls("LeakyReLU", alpha=0.1)),
                         ("act_leaky", cls("Activation", activation="leaky_relu"))],
                        inputs=boundary_inputs, pre=PRE))
    yield Case("k2_leaky_relu_layer",
               f"tf_keras LeakyReLU branches on {shape} (standard normals * 2 with {PLANTED}): "
               f"'leaky' (default alpha 0.3), 'leaky_01' (alpha=0.1), 'leaky_neg' "
               f"(alpha=-0.5, which tf_keras accepts), 'leaky_0' (alpha=0: backend.relu "
               f"takes its plain relu path){PRE_TEXT}.",
               branches([("leaky", cls("LeakyReLU")),
                         ("leaky_01", cls("LeakyReLU", alpha=0.1)),
                         ("leaky_neg", cls("LeakyReLU", alpha=-0.5)),
                         ("leaky_0", cls("LeakyReLU", alpha=0.0))],
                        inputs=boundary_inputs, pre=PRE),
               fmt="keras2-h5")

    # ---------------------------------------------------------------- PReLU
    yield Case("prelu_shared_axes",
               f"Functional PReLU branches on {shape} (standard normals * 2 with {PLANTED}): "
               f"{PRELU_TEXT}{PRE_TEXT}; {NW}.",
               branches(PRELU_BRANCHES, inputs=boundary_inputs, pre=PRE))
    yield Case("k2_prelu_shared_axes",
               f"tf_keras: the PReLU branches of prelu_shared_axes: {PRELU_TEXT}{PRE_TEXT}; "
               f"{NW}.",
               branches(PRELU_BRANCHES, inputs=boundary_inputs, pre=PRE), fmt="keras2-h5")
    yield Case("prelu_legacy_h5",
               f"Keras 3 model.save('model.h5') (legacy HDF5): Sequential LSTM({U}, "
               f"return_sequences=True) 'enc' -> PReLU(shared_axes=[1]) 'prelu' -> LSTM(3) "
               f"'dec' on {shape}; {RB}; {NW}.",
               stack("prelu", cls("PReLU", shared_axes=[1])), fmt="keras3-legacy-h5")
    yield Case("k2_prelu_weights_v3",
               f"tf_keras save_weights('model.weights.h5') (its Keras-3-style layout) + "
               f"model.to_json(): Sequential LSTM({U}, return_sequences=True) 'enc' -> "
               f"PReLU 'prelu' (alpha ({T}, {U})) -> LSTM(3) 'dec' on {shape}; {K2W}; {NW}.",
               stack("prelu", cls("PReLU")), fmt="keras2-weights-v3")

    # ---------------------------------------------------------------- ELU
    yield Case("elu_layer",
               f"Functional ELU branches on {shape} (standard normals * 2 with {PLANTED}): "
               f"{ELU_TEXT}{PRE_TEXT}.",
               branches(ELU_BRANCHES, inputs=boundary_inputs, pre=PRE))
    yield Case("k2_elu_layer",
               f"tf_keras: the ELU branches of elu_layer: {ELU_TEXT}{PRE_TEXT}.",
               branches(ELU_BRANCHES, inputs=boundary_inputs, pre=PRE), fmt="keras2-h5")

    # ---------------------------------------------------------------- ThresholdedReLU
    yield Case("k2_thresholded_relu",
               f"tf_keras ThresholdedReLU branches on {shape} (standard normals * 2 with "
               f"{PLANTED}): 'thr' (default theta 1.0), 'thr_half' (theta=0.5), 'thr_0' "
               f"(theta=0): x where x > theta, else 0{PRE_TEXT}.",
               branches([("thr", cls("ThresholdedReLU")),
                         ("thr_half", cls("ThresholdedReLU", theta=0.5)),
                         ("thr_0", cls("ThresholdedReLU", theta=0.0))],
                        inputs=boundary_inputs, pre=PRE),
               fmt="keras2-h5")

    # ---------------------------------------------------------------- Softmax
    yield Case("softmax_axes",
               f"Functional Softmax branches on {shape} (standard normals * 3): "
               f"{SOFTMAX_TEXT}.",
               branches(SOFTMAX_BRANCHES, inputs=scaled3))
    yield Case("k2_softmax_axes",
               f"tf_keras: the Softmax branches of softmax_axes on the same inputs: "
               f"{SOFTMAX_TEXT}.",
               branches(SOFTMAX_BRANCHES, inputs=scaled3), fmt="keras2-h5",
               seed_name="softmax_axes")
    yield Case("lstm_softmax",
               f"Sequential LSTM({U}, return_sequences=True) 'rnn' -> Softmax 'sm' on {shape}; "
               f"{RB}.",
               build_lstm_softmax)
    yield Case("k2_lstm_softmax",
               f"tf_keras: Sequential LSTM({U}, return_sequences=True) 'rnn' -> Softmax 'sm' "
               f"on {shape}; {K2W}.",
               build_lstm_softmax, fmt="keras2-h5")
    yield Case("softmax_mask_where",
               f"Keras 3: x ({MB},{MT},{D}) padded {'/'.join(PAD['full_row'])} (x*2, row 1 all "
               f"padding) -> Masking 'mask' -> LSTM({U}, return_sequences=True) 'rnn' -> "
               f"Dense(1) 'score' -> Softmax(axis=1) 'sm' over the steps, called with "
               f"mask=ops.any(ops.not_equal(x, 0), axis=-1, keepdims=True) ({MB}, {MT}, 1) "
               f"(NotEqual and Any op nodes; the mask Masking propagates, ({MB}, {MT}), cannot "
               f"broadcast to the scores, so it must be given). Keras 3 puts -1e9 where the "
               f"mask is False (where) and zeroes those positions after the softmax: the fully "
               f"masked row is 0; {RB}.",
               build_softmax_mask_where)
    yield Case("k2_softmax_mask_adder",
               f"tf_keras: x ({MB},{MT},{D}) (x*2, no padding) -> LSTM({U}, return_sequences="
               f"True) 'rnn' -> Dense(1) 'score' -> Softmax(axis=1)(scores, mask=m) 'sm', m a "
               f"second input ({MB},{MT},1) of 0/1 = {'/'.join(PAD['full_row'])}. tf_keras adds "
               f"(1 - m) * -1e9 and does not zero afterwards: in float32 every score of the "
               f"fully masked row rounds to -1e9, so the row is uniform 1/{MT} (in float64 it "
               f"is the unmasked softmax); {K2W}.",
               softmax_mask_input(False), fmt="keras2-h5")
    yield Case("k2_softmax_robust_masking",
               f"tf_keras: as k2_softmax_mask_adder with Softmax(axis=1, robust_masking=True): "
               f"where(m, x, -1e9), no zeroing; the fully masked row is uniform 1/{MT} in both "
               f"precisions; {K2W}.",
               softmax_mask_input(True), fmt="keras2-h5")
    yield Case("softmax_mask_broadcast",
               f"Keras 3: x ({MB},{MT},{D}) -> LSTM({U}, return_sequences=True) 'rnn' -> "
               f"Softmax 'sm' called with mask=ops.cast(m, 'bool'), m a second input ({MB}, 1, "
               f"{U}) = [[1,1,0,1]], [[0,0,0,0]], [[1,0,1,1]]: the mask broadcasts over the "
               f"steps; row 1 is fully masked, hence 0; {RB}.",
               build_softmax_mask_broadcast)
    yield Case("k2_softmax_mask_broadcast",
               f"tf_keras: the model of softmax_mask_broadcast with m (float 0/1) passed as "
               f"mask=m: (1 - m) * -1e9 broadcast over the steps; row 1 is uniform 1/{U} in "
               f"float32; {K2W}.",
               build_softmax_mask_broadcast, fmt="keras2-h5")

    # ---------------------------------------------------------------- masks through them
    yield Case("act_layers_mask_lstm",
               f"Functional Masking 'mask' -> ReLU(threshold=0.1, negative_slope=0.2) 'relu' "
               f"-> LeakyReLU 'leaky' -> PReLU 'prelu' -> ELU(0.5) 'elu' -> LSTM({U}, "
               f"return_sequences=True) 'rnn' on {mshape} (x*2): each keeps the mask, which "
               f"reaches the LSTM; {RB}; {NW}.",
               mask_chain([("relu", cls("ReLU", threshold=0.1, negative_slope=0.2)),
                           ("leaky", cls("LeakyReLU")), ("prelu", cls("PReLU")),
                           ("elu", cls("ELU", alpha=0.5))], sequential=False))
    yield Case("k2_act_layers_mask_lstm",
               f"tf_keras: Sequential Masking 'mask' -> ReLU(threshold=0.1, negative_slope="
               f"0.2) 'relu' -> LeakyReLU 'leaky' -> PReLU 'prelu' -> ELU(0.5) 'elu' -> "
               f"ThresholdedReLU(0.1) 'thr' -> LSTM({U}, return_sequences=True) 'rnn' on "
               f"{mshape} (x*2): each keeps the mask; {K2W}; {NW}.",
               mask_chain([("relu", cls("ReLU", threshold=0.1, negative_slope=0.2)),
                           ("leaky", cls("LeakyReLU")), ("prelu", cls("PReLU")),
                           ("elu", cls("ELU", alpha=0.5)),
                           ("thr", cls("ThresholdedReLU", theta=0.1))], sequential=True),
               fmt="keras2-h5")

    # ---------------------------------------------------------------- both families, weights+config
    yield Case("norm_act_chain_weights",
               f"Keras 3 save_weights('model.weights.h5') + model.to_json(): Sequential on "
               f"{shape} (x*3+1): {CHAIN_TEXT} -> Softmax 'sm'; {NW}.",
               chain(CHAIN), fmt="keras3-weights")
    yield Case("k2_norm_act_chain_weights",
               f"tf_keras save_weights('model_weights.h5') + model.to_json(): Sequential on "
               f"{shape} (x*3+1): the chain of norm_act_chain_weights with LeakyReLU(alpha=0.2), "
               f"then ThresholdedReLU(0.05) 'thr' -> Softmax(robust_masking=True) 'sm'; {NW}.",
               chain(K2_CHAIN), fmt="keras2-weights")
