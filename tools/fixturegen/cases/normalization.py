"""Normalization layers: LayerNormalization (axis int and lists, non-last and non-contiguous
axes, epsilon, center, scale, Keras 3's rms_scaling; tf_keras's fused and unfused paths),
BatchNormalization at inference (moving statistics, axis -1 / non-last / several axes,
center and scale off, a 4-D input on tf_keras's fused kernel), Normalization (adapted weights,
statistics in the config, axis None / int / list, invert) and UnitNormalization; masks passing
through them into an LSTM, and where Keras 2 and 3 differ.

Every weight of these layers is drawn from the case's numpy Generator (set_weights), so that
moving statistics, gamma and beta are far from their initial 0 / 1: a mix-up between them
cannot hide. The layers are checked on inputs x * 3 + 1 (a mean far from 0)."""

import numpy as np

from ..builders import B, D, K2W, RB, T, U, bias_kw, is_keras3, np_weights, randn
from ..case import Built, Case
from .masking import MB, MT, PAD, mask_from_rows, pad_inputs

# Descriptions: how the weights of the layers of this family are drawn.
NW = ("norm weights from numpy: gamma +-U(0.5, 1.5), beta U(-0.5, 0.5), moving_mean U(-1, 1), "
      "moving_variance U(0.2, 2), PReLU alpha U(-0.5, 1)")
TD = (5, 4, 3)          # a 4-D input (batch, 5, 4, 3) for non-contiguous axes and 4-D layers

RECURRENT = ("LSTM", "GRU", "SimpleRNN", "Dense")


def _weight_key(w):
    """'gamma' from Keras 3's 'gamma' or tf_keras's 'ln/gamma:0'."""
    return w.name.split("/")[-1].split(":")[0]


def draw_layer_weights(layer, rng):
    """Numpy draws for the weights of a normalization or activation layer, by weight name.
    Normalization's adapted mean / variance / count are left as adapt() made them."""
    new = []
    for w in layer.weights:
        shape = tuple(int(s) for s in w.shape)
        key = _weight_key(w)
        if key == "gamma":
            a = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
        elif key == "beta":
            a = rng.uniform(-0.5, 0.5, shape)
        elif key == "moving_mean":
            a = rng.uniform(-1.0, 1.0, shape)
        elif key == "moving_variance":
            a = rng.uniform(0.2, 2.0, shape)
        elif key == "alpha":
            a = rng.uniform(-0.5, 1.0, shape)
        elif key in ("mean", "variance", "count"):
            a = None
        else:
            raise ValueError(f"no draw for weight {w.name} of {layer.name}")
        new.append(a)
    if any(a is not None for a in new):
        layer.set_weights([w.numpy() if a is None else a.astype(np.float32)
                           for w, a in zip(layer.weights, new)])


def setup(K, model, rng):
    """Weights for every layer in model order: recurrent and Dense layers keep Keras 3's seeded
    initializers (tf_keras: np_weights, as builders.finish does); every other layer with
    weights gets draw_layer_weights."""
    for layer in model.layers:
        if type(layer).__name__ in RECURRENT:
            if not is_keras3(K):
                np_weights(layer, rng)
        elif layer.weights:
            draw_layer_weights(layer, rng)
    return model


def branches(makers, *, shape=(T, D), batch=B, inputs=None, pre=0):
    """A functional model: input 'x' of `shape`, and one output per (name, make) in makers,
    each the layer make(K, name, rng) called on x. Inputs: x * 3 + 1 from standard normals, or
    inputs(rng) when given. With pre=n, every branch is also made again as '<name>_pre' and
    called on Dense(n) 'pre' of x (outputs after all the others): an element-wise layer on x
    alone returns float32 numbers even in float64, which would not show that the float64
    clone computes in float64."""
    def build(K, rng):
        x = K.Input(shape, name="x")
        layers = [make(K, name, rng) for name, make in makers]
        outs = [layer(x) for layer in layers]
        names = [f"{name}/output" for name, _ in makers]
        if pre:
            h = K.layers.Dense(pre, name="pre", **bias_kw(K))(x)
            outs += [make(K, f"{name}_pre", rng)(h) for name, make in makers]
            names += [f"{name}_pre/output" for name, _ in makers]
        model = K.Model(x, outs, name="model")
        setup(K, model, rng)
        xs = inputs(rng) if inputs else [randn(rng, batch, *shape) * np.float32(3) + np.float32(1)]
        return Built(model, xs, names)
    return build


def cls(name, **kw):
    """A maker: the Keras class `name` with options kw, named as its branch."""
    return lambda K, layer_name, rng: getattr(K.layers, name)(name=layer_name, **kw)


def stack(name, make):
    """Sequential LSTM(4, return_sequences=True) 'enc' -> make(K, name, rng) -> LSTM(3) 'dec'
    on x (2, 5, 3)."""
    def build(K, rng):
        layers = [K.Input((T, D), name="x"),
                  K.layers.LSTM(U, return_sequences=True, name="enc", **bias_kw(K)),
                  make(K, name, rng),
                  K.layers.LSTM(3, name="dec", **bias_kw(K))]
        model = setup(K, K.Sequential(layers, name="model"), rng)
        return Built(model, [randn(rng, B, T, D)], [f"{layers[-1].name}/output"])
    return build


def mask_chain(middles, *, sequential, pad="mixed", reached=True):
    """Masking 'mask' -> each (name, make) of middles -> LSTM(4, return_sequences=True) 'rnn'
    on x (3, 6, 3) * 2 with whole padded steps 0.0; checks that the mask reaches the LSTM (or,
    with reached=False, that it does not)."""
    def build(K, rng):
        mask = mask_from_rows(PAD[pad])
        x = K.Input((MT, D), name="x")
        layers = [K.layers.Masking(0.0, name="mask")] + [make(K, name, rng)
                                                         for name, make in middles] + [
            K.layers.LSTM(U, return_sequences=True, name="rnn", **bias_kw(K))]
        if sequential:
            model = K.Sequential([x] + layers, name="model")
        else:
            h = x
            for layer in layers:
                h = layer(h)
            model = K.Model(x, h, name="model")
        setup(K, model, rng)
        xs = [pad_inputs(randn(rng, MB, MT, D) * np.float32(2), mask)]
        return Built(model, xs, ["rnn/output"], checks=[check_mask_reached(mask, reached)])
    return build


def check_mask_reached(mask, reached):
    """A Built.checks entry on a return_sequences LSTM output: at masked steps after a real
    step the output repeats the previous one (the mask reached the LSTM), or does not."""
    def fn(outs):
        o = outs[0]
        worst = 0.0
        for b in range(mask.shape[0]):
            for t in range(1, mask.shape[1]):
                if not mask[b, t] and mask[b, :t].any():
                    worst = max(worst, float(np.max(np.abs(o[b, t] - o[b, t - 1]))))
        ok = worst == 0.0 if reached else worst > 1e-3
        return ok, f"max|output(t) - output(t-1)| at masked steps = {worst:.3g}"
    label = ("the mask reaches the LSTM" if reached
             else "the mask does not reach the LSTM")
    return (label, fn)


def adapted(axis, *, invert=False, shape=(T, D)):
    """A maker: Normalization(axis, invert) adapted on 64 samples U(-2, 6) drawn from the
    case's Generator."""
    def make(K, layer_name, rng):
        layer = K.layers.Normalization(axis=axis, invert=invert, name=layer_name)
        layer.adapt(rng.uniform(-2.0, 6.0, (64,) + shape).astype(np.float32))
        return layer
    return make


def tiny_rows(rng):
    """x (2, 5, 3) of standard normals, with row [0, 1] scaled to 1e-8 (sum of squares below
    1e-12) and row [1, 2] all 0."""
    x = randn(rng, B, T, D)
    x[0, 1] *= np.float32(1e-8)
    x[1, 2] = 0.0
    return [x]


def build_batch_norm_trained(K, rng):
    """LSTM -> BatchNormalization(momentum=0.5) -> Dense(2), fit for 1 epoch (16 samples,
    batch 8): the moving statistics are what training left."""
    model = K.Sequential([
        K.Input((T, D), name="x"),
        K.layers.LSTM(U, return_sequences=True, name="enc", **bias_kw(K)),
        K.layers.BatchNormalization(momentum=0.5, name="bn"),
        K.layers.Dense(2, name="head", **bias_kw(K)),
    ], name="model")
    setup(K, model, rng)
    model.compile(optimizer=K.optimizers.Adam(learning_rate=0.01), loss="mse")
    model.fit(randn(rng, 16, T, D) * np.float32(2), randn(rng, 16, T, 2), batch_size=8,
              epochs=1, shuffle=False, verbose=0)
    return Built(model, [randn(rng, B, T, D)], ["head/output"])


def cases():
    shape, shape4 = f"x ({B},{T},{D})", f"x ({B},{','.join(map(str, TD))})"
    mshape = f"x ({MB},{MT},{D}) padded {'/'.join(PAD['mixed'])}"
    xin = "x*3+1 from standard normals"

    # ---------------------------------------------------------------- LayerNormalization
    yield Case("layer_norm_lstm_stack",
               f"Sequential LSTM({U}, return_sequences=True) 'enc' -> LayerNormalization 'ln' "
               f"-> LSTM(3) 'dec' on {shape}; {RB}; {NW}.",
               stack("ln", cls("LayerNormalization")))
    yield Case("layer_norm_options",
               f"Functional LayerNormalization branches on {shape} ({xin}), one output each: "
               f"'ln' (defaults: axis -1, epsilon 1e-3), 'ln_eps_small' (epsilon=1e-6), "
               f"'ln_eps_big' (epsilon=0.5), 'ln_no_center' (center=False), 'ln_no_scale' "
               f"(scale=False), 'ln_plain' (center=False, scale=False); {NW}.",
               branches([("ln", cls("LayerNormalization")),
                         ("ln_eps_small", cls("LayerNormalization", epsilon=1e-6)),
                         ("ln_eps_big", cls("LayerNormalization", epsilon=0.5)),
                         ("ln_no_center", cls("LayerNormalization", center=False)),
                         ("ln_no_scale", cls("LayerNormalization", scale=False)),
                         ("ln_plain", cls("LayerNormalization", center=False, scale=False))]))
    yield Case("layer_norm_axes",
               f"Functional LayerNormalization branches on a 4-D {shape4} ({xin}): 'ln_time' "
               f"(axis=1, not the last), 'ln_trailing' (axis=[2, 3]), 'ln_gap' (axis=[1, 3], "
               f"not contiguous), 'ln_all' (axis=[1, 2, 3]), 'ln_neg' (axis=-2); {NW}.",
               branches([("ln_time", cls("LayerNormalization", axis=1)),
                         ("ln_trailing", cls("LayerNormalization", axis=[2, 3])),
                         ("ln_gap", cls("LayerNormalization", axis=[1, 3])),
                         ("ln_all", cls("LayerNormalization", axis=[1, 2, 3])),
                         ("ln_neg", cls("LayerNormalization", axis=-2))], shape=TD))
    yield Case("layer_norm_axis_mixed_sign",
               f"Keras 3 quirk: LayerNormalization(axis=[1, -1]) 'ln' on {shape} ({xin}). "
               f"build() sorts the raw list to [-1, 1], so gamma and beta have shape "
               f"({D}, {T}) (the config then says axis [-1, 1]); the op reshapes them to "
               f"(1, {T}, {D}) in flat order, not transposed; {NW}.",
               branches([("ln", cls("LayerNormalization", axis=[1, -1]))]))
    yield Case("layer_norm_rms_scaling",
               f"Keras 3 LayerNormalization(rms_scaling=True) branches on {shape} ({xin}): "
               f"'ln_rms' (scale=True), 'ln_rms_no_scale' (scale=False: gamma is still made), "
               f"'ln_rms_center' (center=True: beta is not made), 'ln_rms_time' (axis=1). "
               f"Keras 3 scales by rsqrt(variance + epsilon) (the variance, not the mean "
               f"square) and never centers; {NW}.",
               branches([("ln_rms", cls("LayerNormalization", rms_scaling=True)),
                         ("ln_rms_no_scale", cls("LayerNormalization", rms_scaling=True,
                                                 scale=False)),
                         ("ln_rms_center", cls("LayerNormalization", rms_scaling=True,
                                               center=True)),
                         ("ln_rms_time", cls("LayerNormalization", rms_scaling=True,
                                             axis=1))]))
    yield Case("norm_mask_lstm",
               f"Functional Masking 'mask' -> UnitNormalization 'unit' -> LayerNormalization "
               f"'ln' -> LSTM({U}, return_sequences=True) 'rnn' on {mshape} (x*2): both keep "
               f"the mask, which reaches the LSTM (config.json: kwargs.mask on the LSTM); {RB}; "
               f"{NW}.",
               mask_chain([("unit", cls("UnitNormalization")), ("ln", cls("LayerNormalization"))],
                          sequential=False))
    yield Case("k2_layer_norm_lstm_stack",
               f"tf_keras: Sequential LSTM({U}, return_sequences=True) 'enc' -> "
               f"LayerNormalization 'ln' -> LSTM(3) 'dec' on {shape} (axis -1, epsilon 1e-3: "
               f"tf_keras's fused path); {K2W}; {NW}.",
               stack("ln", cls("LayerNormalization")), fmt="keras2-h5")
    yield Case("k2_layer_norm_fused",
               f"tf_keras LayerNormalization branches that take its fused_batch_norm path "
               f"(trailing contiguous axes, epsilon >= 1.001e-5) on {shape} ({xin}): 'ln' "
               f"(axis -1), 'ln_trailing' (axis [1, 2]), 'ln_eps_edge' (epsilon=1.001e-5), "
               f"'ln_no_center' (center=False), 'ln_plain' (center=False, scale=False); {NW}.",
               branches([("ln", cls("LayerNormalization")),
                         ("ln_trailing", cls("LayerNormalization", axis=[1, 2])),
                         ("ln_eps_edge", cls("LayerNormalization", epsilon=1.001e-5)),
                         ("ln_no_center", cls("LayerNormalization", center=False)),
                         ("ln_plain", cls("LayerNormalization", center=False, scale=False))]),
               fmt="keras2-h5")
    yield Case("k2_layer_norm_unfused",
               f"tf_keras LayerNormalization branches that take tf.nn.batch_normalization "
               f"(not the fused kernel) on a 4-D {shape4} ({xin}): 'ln_eps_small' "
               f"(epsilon=1e-6 < 1.001e-5), 'ln_time' (axis=1), 'ln_gap' (axis=[1, 3]), "
               f"'ln_mid' (axis=2); {NW}.",
               branches([("ln_eps_small", cls("LayerNormalization", epsilon=1e-6)),
                         ("ln_time", cls("LayerNormalization", axis=1)),
                         ("ln_gap", cls("LayerNormalization", axis=[1, 3])),
                         ("ln_mid", cls("LayerNormalization", axis=2))], shape=TD),
               fmt="keras2-h5")
    yield Case("k2_layer_norm_axis_order",
               f"tf_keras quirk: LayerNormalization(axis=[2, 1]) 'ln' on {shape} ({xin}): "
               f"tf_keras keeps the axes in the order given, so gamma and beta have shape "
               f"({D}, {T}), reshaped to (1, {T}, {D}) in flat order; {NW}.",
               branches([("ln", cls("LayerNormalization", axis=[2, 1]))]), fmt="keras2-h5")
    yield Case("k2_norm_mask_lstm",
               f"tf_keras: Sequential Masking 'mask' -> UnitNormalization 'unit' -> "
               f"LayerNormalization 'ln' -> LSTM({U}, return_sequences=True) 'rnn' on {mshape} "
               f"(x*2): the mask reaches the LSTM; {K2W}; {NW}.",
               mask_chain([("unit", cls("UnitNormalization")), ("ln", cls("LayerNormalization"))],
                          sequential=True),
               fmt="keras2-h5")
    yield Case("layer_norm_legacy_h5",
               f"Keras 3 model.save('model.h5') (legacy HDF5): Sequential LSTM({U}, "
               f"return_sequences=True) 'enc' -> LayerNormalization(center=False) 'ln' -> LSTM(3) "
               f"'dec' on {shape} (Keras 3.15 cannot reload its own legacy .h5 of a "
               f"LayerNormalization with an axis list: it rebuilds gamma as (4,)); {RB}; {NW}.",
               stack("ln", cls("LayerNormalization", center=False)),
               fmt="keras3-legacy-h5")

    # ---------------------------------------------------------------- BatchNormalization
    yield Case("batch_norm_lstm",
               f"Sequential LSTM({U}, return_sequences=True) 'enc' -> BatchNormalization 'bn' "
               f"-> LSTM(3) 'dec' on {shape}, at inference (moving statistics); {RB}; {NW}.",
               stack("bn", cls("BatchNormalization")))
    yield Case("batch_norm_options",
               f"Functional BatchNormalization branches at inference on {shape} ({xin}): 'bn' "
               f"(axis -1), 'bn_time' (axis=1: the channels are the {T} steps), 'bn_plain' "
               f"(center=False, scale=False), 'bn_eps' (epsilon=0.25); {NW}.",
               branches([("bn", cls("BatchNormalization")),
                         ("bn_time", cls("BatchNormalization", axis=1)),
                         ("bn_plain", cls("BatchNormalization", center=False, scale=False)),
                         ("bn_eps", cls("BatchNormalization", epsilon=0.25))]))
    yield Case("batch_norm_mask_lstm",
               f"Functional Masking 'mask' -> BatchNormalization 'bn' -> LSTM({U}, "
               f"return_sequences=True) 'rnn' on {mshape} (x*2): BatchNormalization's call "
               f"takes the mask (config.json: kwargs.mask), ignores it at inference and keeps "
               f"it; {RB}; {NW}.",
               mask_chain([("bn", cls("BatchNormalization"))], sequential=False))
    yield Case("batch_norm_trained",
               f"Sequential LSTM({U}, return_sequences=True) 'enc' -> BatchNormalization("
               f"momentum=0.5) 'bn' -> Dense(2) 'head', compiled (Adam 0.01, mse) and fit for 1 "
               f"epoch on 16 samples x*2 (batch 8): the moving statistics are what training "
               f"left; run on fresh {shape}; {RB}; {NW} (before training).",
               build_batch_norm_trained)
    yield Case("k2_batch_norm_lstm",
               f"tf_keras: Sequential LSTM({U}, return_sequences=True) 'enc' -> "
               f"BatchNormalization 'bn' -> LSTM(3) 'dec' on {shape}; {K2W}; {NW}.",
               stack("bn", cls("BatchNormalization")), fmt="keras2-h5")
    yield Case("k2_batch_norm_options",
               f"tf_keras BatchNormalization branches at inference on {shape} ({xin}): 'bn' "
               f"(axis -1), 'bn_time' (axis=1), 'bn_plain' (center=False, scale=False), "
               f"'bn_multi' (axis=[1, 2]: tf_keras only; weights of shape (1, {T}, {D})); {NW}.",
               branches([("bn", cls("BatchNormalization")),
                         ("bn_time", cls("BatchNormalization", axis=1)),
                         ("bn_plain", cls("BatchNormalization", center=False, scale=False)),
                         ("bn_multi", cls("BatchNormalization", axis=[1, 2]))]),
               fmt="keras2-h5")
    yield Case("k2_batch_norm_4d_fused",
               f"tf_keras BatchNormalization on a 4-D {shape4} ({xin}), where tf_keras uses "
               f"the fused kernel: 'bn' (axis -1, NHWC), 'bn_first' (axis=1, NCHW), 'bn_small_"
               f"eps' (epsilon=1e-6); {NW}.",
               branches([("bn", cls("BatchNormalization")),
                         ("bn_first", cls("BatchNormalization", axis=1)),
                         ("bn_small_eps", cls("BatchNormalization", epsilon=1e-6))], shape=TD),
               fmt="keras2-h5")
    yield Case("k2_batch_norm_weights",
               f"tf_keras save_weights('model_weights.h5') (legacy weights-only HDF5) + "
               f"model.to_json(): Sequential LSTM({U}, return_sequences=True) 'enc' -> "
               f"BatchNormalization(center=False) 'bn' -> LSTM(3) 'dec' on {shape}; {K2W}; "
               f"{NW}.",
               stack("bn", cls("BatchNormalization", center=False)), fmt="keras2-weights")

    # ---------------------------------------------------------------- Normalization
    yield Case("normalization_adapted",
               f"Functional Normalization branches on {shape} ({xin}), each adapted on its "
               f"own 64 samples U(-2, 6): 'norm' (axis -1: mean/variance ({D},)), 'norm_none' "
               f"(axis=None: scalars), 'norm_list' (axis=(1, 2): ({T}, {D})). The weights are "
               f"mean, variance and an int64 count.",
               branches([("norm", adapted(-1)), ("norm_none", adapted(None)),
                         ("norm_list", adapted((1, 2)))]))
    yield Case("normalization_config_stats",
               f"Functional Normalization branches with mean and variance in the config (no "
               f"weights) on {shape} ({xin}): 'norm' (axis -1, lists of {D}), 'norm_none' "
               f"(axis=None, mean 2.5, variance 3.7), 'norm_scalar' (axis -1, scalars "
               f"broadcast), 'norm_bcast' (axis=(1, 2) with mean and variance of shape ({D},): "
               f"broadcast over the {T} steps), 'norm_tiny_var' (variance 1e-20 and 0: "
               f"sqrt(variance) below 1e-7 is raised to 1e-7).",
               branches([("norm", cls("Normalization", mean=[0.3, -1.2, 2.1],
                                      variance=[1.7, 0.35, 8.6])),
                         ("norm_none", cls("Normalization", axis=None, mean=2.5, variance=3.7)),
                         ("norm_scalar", cls("Normalization", mean=1.1, variance=2.2)),
                         ("norm_bcast", cls("Normalization", axis=(1, 2), mean=[1.3, 0.2, -1.1],
                                            variance=[4.1, 0.9, 0.6])),
                         ("norm_tiny_var", cls("Normalization", mean=[0.0, 1.0, 0.0],
                                               variance=[1e-20, 0.0, 1.0]))]))
    yield Case("normalization_invert",
               f"Functional Normalization(invert=True) branches on {shape} ({xin}): "
               f"'norm_inv' (adapted on 64 samples U(-2, 6), axis -1), 'norm_inv_stats' "
               f"(mean [0.3, -1.2, 2.1], variance [1.7, 0.35, 8.6] in the config): "
               f"mean + x * max(sqrt(variance), 1e-7).",
               branches([("norm_inv", adapted(-1, invert=True)),
                         ("norm_inv_stats", cls("Normalization", invert=True,
                                                mean=[0.3, -1.2, 2.1],
                                                variance=[1.7, 0.35, 8.6]))]))
    yield Case("normalization_mask_lstm",
               f"Functional Masking 'mask' -> Normalization(mean [0.3, -1.2, 2.1], variance "
               f"[1.7, 0.35, 8.6]) 'norm' -> LSTM({U}, return_sequences=True) 'rnn' on "
               f"{mshape} (x*2): Keras 3's Normalization keeps the mask, which reaches the "
               f"LSTM; {RB}.",
               mask_chain([("norm", cls("Normalization", mean=[0.3, -1.2, 2.1],
                                        variance=[1.7, 0.35, 8.6]))], sequential=False))
    yield Case("k2_normalization_adapted",
               f"tf_keras Normalization branches on {shape} ({xin}), each adapted on its own "
               f"64 samples U(-2, 6): 'norm' (axis -1), 'norm_none' (axis=None), 'norm_list' "
               f"(axis=(1, 2)), 'norm_inv' (axis -1, invert=True).",
               branches([("norm", adapted(-1)), ("norm_none", adapted(None)),
                         ("norm_list", adapted((1, 2))), ("norm_inv", adapted(-1, invert=True))]),
               fmt="keras2-h5")
    yield Case("k2_normalization_config_stats",
               f"tf_keras Normalization branches with mean and variance in the config on "
               f"{shape} ({xin}): 'norm' (axis -1, lists), 'norm_none' (axis=None, scalars), "
               f"'norm_bcast' (axis=(1, 2), mean/variance of shape ({D},) broadcast over the "
               f"steps), 'norm_inv_stats' (invert=True).",
               branches([("norm", cls("Normalization", mean=[0.3, -1.2, 2.1],
                                      variance=[1.7, 0.35, 8.6])),
                         ("norm_none", cls("Normalization", axis=None, mean=2.5, variance=3.7)),
                         ("norm_bcast", cls("Normalization", axis=(1, 2), mean=[1.3, 0.2, -1.1],
                                            variance=[4.1, 0.9, 0.6])),
                         ("norm_inv_stats", cls("Normalization", invert=True,
                                                mean=[0.3, -1.2, 2.1],
                                                variance=[1.7, 0.35, 8.6]))]),
               fmt="keras2-h5")
    yield Case("k2_normalization_drops_mask",
               f"tf_keras quirk: Sequential Masking 'mask' -> Normalization(mean [0.3, -1.2, "
               f"2.1], variance [1.7, 0.35, 8.6]) 'norm' -> LSTM({U}, return_sequences=True) "
               f"'rnn' on {mshape} (x*2). tf_keras's Normalization does not support masking "
               f"(it sets no supports_masking), so the mask is dropped and the LSTM runs over "
               f"the padded steps (Keras 3 keeps it: normalization_mask_lstm); {K2W}.",
               mask_chain([("norm", cls("Normalization", mean=[0.3, -1.2, 2.1],
                                        variance=[1.7, 0.35, 8.6]))], sequential=True,
                          reached=False), fmt="keras2-h5")

    # ---------------------------------------------------------------- UnitNormalization
    yield Case("unit_norm_axes",
               f"Functional UnitNormalization branches on a 4-D {shape4} ({xin}): 'unit' "
               f"(axis -1), 'unit_time' (axis=1), 'unit_pair' (axis=[1, 3]), 'unit_all' "
               f"(axis=[1, 2, 3]).",
               branches([("unit", cls("UnitNormalization")),
                         ("unit_time", cls("UnitNormalization", axis=1)),
                         ("unit_pair", cls("UnitNormalization", axis=[1, 3])),
                         ("unit_all", cls("UnitNormalization", axis=[1, 2, 3]))], shape=TD))
    yield Case("unit_norm_tiny_rows",
               f"Keras 3 UnitNormalization 'unit' (axis -1) on {shape} of standard normals "
               f"with row [0, 1] scaled by 1e-8 and row [1, 2] all 0: Keras 3 computes "
               f"x * min(rsqrt(sum x^2), 1e12), so the tiny row becomes a unit vector "
               f"(tf_keras: k2_unit_norm_tiny_rows) and the zero row stays 0.",
               branches([("unit", cls("UnitNormalization"))], inputs=tiny_rows))
    yield Case("k2_unit_norm_tiny_rows",
               f"The inputs of unit_norm_tiny_rows through tf_keras UnitNormalization 'unit' "
               f"(axis -1): tf.math.l2_normalize computes x * rsqrt(max(sum x^2, 1e-12)), so "
               f"the tiny row (sum of squares ~1e-16) is only multiplied by 1e6 and is not a "
               f"unit vector.",
               branches([("unit", cls("UnitNormalization"))], inputs=tiny_rows),
               fmt="keras2-h5", seed_name="unit_norm_tiny_rows")
    yield Case("k2_unit_norm_axes",
               f"tf_keras UnitNormalization branches on a 4-D {shape4} ({xin}): 'unit' (axis "
               f"-1), 'unit_time' (axis=1), 'unit_pair' (axis=[1, 3]).",
               branches([("unit", cls("UnitNormalization")),
                         ("unit_time", cls("UnitNormalization", axis=1)),
                         ("unit_pair", cls("UnitNormalization", axis=[1, 3]))], shape=TD),
               fmt="keras2-h5")

