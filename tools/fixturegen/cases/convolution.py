"""Convolutions: Conv1D (padding valid / same / causal, strides, dilation_rate, groups, use_bias,
activation), SeparableConv1D, DepthwiseConv1D, Conv1DTranspose (strides, padding,
output_padding), a few Conv2D / Conv3D / DepthwiseConv2D / SeparableConv2D / Conv2DTranspose /
Conv3DTranspose cases, a mask that a convolution drops (Masking -> Conv1D -> LSTM: the LSTM runs
unmasked), and two everyday models (Conv1D -> MaxPooling1D -> LSTM classifier; a causal dilated
Conv1D stack -> GRU). Keras 3 and tf_keras (k2_), and a few weights-only files.

What TensorFlow cannot run on the CPU has no case: channels_first convolutions and
Conv1DTranspose with dilation_rate > 1 ("Current CPU implementations do not yet support
dilation rates larger than 1"); Keras 3 also refuses causal padding for DepthwiseConv1D and
SeparableConv1D (tf_keras runs the separable one: k2_separable_conv1d_causal). Both refuse strides
> 1 with dilation_rate > 1, except Keras 3's depthwise and separable convolutions
(depthwise_conv1d_strided_dilated, separable_conv1d_strided_dilated).

Inputs are standard normals, batch 2; every weight is drawn with numpy (np_weights)."""

import numpy as np

from ..builders import NPW, np_weights, randn
from ..case import Built, Case

CB = 2   # batch


def _args(kwargs):
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


def one_layer(cls, kwargs, shape):
    """Functional x (CB, *shape) -> cls(**kwargs) 'conv'; weights from numpy."""
    def build(K, rng):
        x = K.Input(shape, name="x")
        layer = getattr(K.layers, cls)(name="conv", **kwargs)
        model = K.Model(x, layer(x), name="model")
        np_weights(model, rng)
        return Built(model, [randn(rng, CB, *shape)], ["conv/output"])
    return build


# (name, Keras class, keyword arguments, input shape without batch, also in tf_keras)
SINGLE = [
    ("conv1d_valid", "Conv1D", dict(filters=4, kernel_size=3), (8, 3), True),
    ("conv1d_same_strides", "Conv1D",
     dict(filters=4, kernel_size=3, strides=2, padding="same", activation="tanh"), (7, 3), True),
    ("conv1d_same_even_kernel", "Conv1D", dict(filters=3, kernel_size=4, padding="same"),
     (6, 3), False),
    ("conv1d_valid_strides3", "Conv1D", dict(filters=3, kernel_size=2, strides=3), (8, 3),
     False),
    ("conv1d_causal", "Conv1D", dict(filters=3, kernel_size=3, padding="causal"), (6, 3), True),
    ("conv1d_causal_dilated", "Conv1D",
     dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2, activation="relu"),
     (8, 2), True),
    ("conv1d_dilated_valid", "Conv1D", dict(filters=2, kernel_size=2, dilation_rate=3),
     (8, 3), False),
    ("conv1d_dilated_same", "Conv1D",
     dict(filters=2, kernel_size=3, dilation_rate=2, padding="same"), (7, 3), False),
    ("conv1d_groups", "Conv1D", dict(filters=6, kernel_size=3, groups=2), (8, 4), True),
    ("conv1d_groups_same_strides", "Conv1D",
     dict(filters=4, kernel_size=2, groups=4, strides=2, padding="same", use_bias=False),
     (7, 4), False),
    ("conv1d_groups_causal_dilated", "Conv1D",
     dict(filters=6, kernel_size=2, groups=3, padding="causal", dilation_rate=2), (6, 3),
     False),
    ("conv1d_nobias_gelu", "Conv1D",
     dict(filters=5, kernel_size=2, use_bias=False, activation="gelu"), (6, 3), True),
    ("conv1d_kernel1", "Conv1D", dict(filters=4, kernel_size=1, activation="sigmoid"), (5, 3),
     False),
    ("conv1d_kernel_eq_input", "Conv1D", dict(filters=2, kernel_size=5), (5, 3), False),
    ("separable_conv1d", "SeparableConv1D",
     dict(filters=5, kernel_size=3, depth_multiplier=2, activation="relu"), (8, 3), True),
    ("separable_conv1d_same_strides", "SeparableConv1D",
     dict(filters=4, kernel_size=3, strides=2, padding="same"), (7, 3), False),
    ("separable_conv1d_dilated_nobias", "SeparableConv1D",
     dict(filters=3, kernel_size=2, dilation_rate=2, depth_multiplier=3, use_bias=False),
     (7, 2), True),
    ("depthwise_conv1d", "DepthwiseConv1D",
     dict(kernel_size=3, depth_multiplier=2, activation="tanh"), (8, 3), True),
    ("depthwise_conv1d_same_strides", "DepthwiseConv1D",
     dict(kernel_size=3, strides=2, padding="same"), (7, 3), True),
    ("depthwise_conv1d_dilated_nobias", "DepthwiseConv1D",
     dict(kernel_size=2, dilation_rate=2, depth_multiplier=3, use_bias=False), (6, 2), False),
    ("depthwise_conv1d_strided_dilated", "DepthwiseConv1D",
     dict(kernel_size=3, strides=2, dilation_rate=2), (9, 2), False),
    ("separable_conv1d_strided_dilated", "SeparableConv1D",
     dict(filters=3, kernel_size=2, strides=2, dilation_rate=2, padding="same"), (9, 2), False),
    ("conv1d_transpose_valid", "Conv1DTranspose", dict(filters=3, kernel_size=3), (5, 2), True),
    ("conv1d_transpose_strides", "Conv1DTranspose",
     dict(filters=3, kernel_size=3, strides=2, activation="relu"), (5, 2), True),
    ("conv1d_transpose_same", "Conv1DTranspose",
     dict(filters=2, kernel_size=3, strides=2, padding="same"), (4, 3), True),
    ("conv1d_transpose_same_even", "Conv1DTranspose",
     dict(filters=2, kernel_size=4, strides=3, padding="same"), (4, 2), False),
    ("conv1d_transpose_output_padding", "Conv1DTranspose",
     dict(filters=3, kernel_size=3, strides=2, padding="same", output_padding=1), (4, 2), True),
    ("conv1d_transpose_valid_output_padding", "Conv1DTranspose",
     dict(filters=2, kernel_size=3, strides=3, output_padding=2, use_bias=False), (4, 2),
     False),
    ("conv1d_transpose_kernel_lt_strides", "Conv1DTranspose",
     dict(filters=2, kernel_size=2, strides=3), (4, 2), False),
    ("conv2d", "Conv2D",
     dict(filters=3, kernel_size=(3, 2), strides=(2, 1), padding="same", activation="relu"),
     (5, 6, 2), True),
    ("conv2d_dilated_groups", "Conv2D",
     dict(filters=4, kernel_size=2, dilation_rate=(2, 1), groups=2), (5, 4, 4), False),
    ("conv3d", "Conv3D", dict(filters=2, kernel_size=(2, 2, 1), strides=(1, 2, 1)),
     (4, 4, 3, 2), False),
    ("depthwise_conv2d", "DepthwiseConv2D",
     dict(kernel_size=(2, 3), depth_multiplier=2, padding="same"), (4, 5, 2), True),
    ("separable_conv2d", "SeparableConv2D",
     dict(filters=3, kernel_size=2, strides=2, depth_multiplier=2), (4, 5, 2), True),
    ("conv2d_transpose", "Conv2DTranspose",
     dict(filters=2, kernel_size=3, strides=(2, 1), padding="same",
          output_padding=(1, 0)), (3, 4, 2), True),
    ("conv3d_transpose", "Conv3DTranspose",
     dict(filters=2, kernel_size=2, strides=(2, 1, 1)), (2, 3, 2, 2), False),
]

# Masking -> Conv1D -> LSTM: rows of 6 steps, 1 = real, 0 = padded (all features 0.0).
MASK_ROWS = ["111100", "110000", "111111"]


def _mask(rows):
    return np.array([[c == "1" for c in r] for r in rows], dtype=bool)


def check_lstm_unmasked(mask):
    """The LSTM after the convolution got no mask: at padded steps t > 0 its sequence output
    moves (a masked LSTM would repeat its previous output there)."""
    def fn(outs):
        o = outs[0]
        moved = max(float(np.max(np.abs(o[b, t] - o[b, t - 1])))
                    for b in range(mask.shape[0]) for t in range(1, mask.shape[1])
                    if not mask[b, t])
        return moved > 1e-3, f"max|out[t] - out[t-1]| over padded steps = {moved:.3g}"
    return ("the LSTM runs over the padded steps (the Conv1D dropped the mask)", fn)


def build_mask_dropped(K, rng):
    mask = _mask(MASK_ROWS)
    x = K.Input((6, 3), name="x")
    h = K.layers.Masking(0.0, name="mask")(x)
    h = K.layers.Conv1D(4, 3, padding="same", name="conv")(h)
    y = K.layers.LSTM(4, return_sequences=True, name="rnn")(h)
    model = K.Model(x, y, name="model")
    np_weights(model, rng)
    xs = randn(rng, 3, 6, 3)
    xs[~mask] = 0.0
    return Built(model, [xs], ["rnn/output"], checks=[check_lstm_unmasked(mask)])


def build_conv_pool_lstm(K, rng):
    x = K.Input((8, 3), name="x")
    h = K.layers.Conv1D(6, 3, padding="same", activation="relu", name="conv")(x)
    h = K.layers.MaxPooling1D(2, name="pool")(h)
    h = K.layers.LSTM(5, name="rnn")(h)
    y = K.layers.Dense(3, activation="softmax", name="head")(h)
    model = K.Model(x, y, name="model")
    np_weights(model, rng)
    return Built(model, [randn(rng, CB, 8, 3)], ["head/output"])


def build_causal_stack_gru(K, rng):
    x = K.Input((8, 2), name="x")
    h = x
    for i, d in enumerate((1, 2, 4)):
        h = K.layers.Conv1D(4, 2, padding="causal", dilation_rate=d, activation="relu",
                            name=f"tcn{i}")(h)
    y = K.layers.GRU(3, name="rnn")(h)
    model = K.Model(x, y, name="model")
    np_weights(model, rng)
    return Built(model, [randn(rng, CB, 8, 2)], ["rnn/output"])


def build_conv_chain(K, rng):
    """One model with one of each 1-D convolution, for the weights-only formats (and the
    importer's hostile-config tests, which mutate its config)."""
    x = K.Input((8, 3), name="x")
    h = K.layers.Conv1D(4, 3, padding="same", name="conv")(x)
    h = K.layers.SeparableConv1D(4, 2, depth_multiplier=2, name="sep")(h)
    h = K.layers.DepthwiseConv1D(2, depth_multiplier=1, name="dw")(h)
    y = K.layers.Conv1DTranspose(2, 3, strides=2, name="tr")(h)
    model = K.Model(x, y, name="model")
    np_weights(model, rng)
    return Built(model, [randn(rng, CB, 8, 3)], ["tr/output"])


CHAIN = ("x (2,8,3) -> Conv1D(4, 3, same) 'conv' -> SeparableConv1D(4, 2, depth_multiplier=2) "
         "'sep' -> DepthwiseConv1D(2) 'dw' -> Conv1DTranspose(2, 3, strides=2) 'tr'")


def cases():
    for name, cls, kwargs, shape, k2 in SINGLE:
        what = f"functional {cls}({_args(kwargs)}) 'conv' on x {(CB,) + shape}; {NPW}."
        yield Case(name, f"Keras 3: {what}", one_layer(cls, kwargs, shape))
        if k2:
            yield Case(f"k2_{name}", f"tf_keras: {what}", one_layer(cls, kwargs, shape),
                       fmt="keras2-h5")
    causal = dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2)
    yield Case("k2_separable_conv1d_causal",
               f"tf_keras: functional SeparableConv1D({_args(causal)}) 'conv' on x (2, 7, 2) "
               f"(Keras 3 cannot run causal padding in separable convolutions); {NPW}.",
               one_layer("SeparableConv1D", causal, (7, 2)), fmt="keras2-h5")
    masked = (f"x (3,6,3) padded {'/'.join(MASK_ROWS)} (padded steps all 0.0) -> Masking(0.0) "
              f"'mask' -> Conv1D(4, 3, same) 'conv' -> LSTM(4, return_sequences=True) 'rnn': "
              f"convolutions drop masks, so the LSTM runs over the padded steps; {NPW}.")
    yield Case("conv_mask_dropped", f"Keras 3: {masked}", build_mask_dropped)
    yield Case("k2_conv_mask_dropped", f"tf_keras: {masked}", build_mask_dropped,
               fmt="keras2-h5")
    pool = ("x (2,8,3) -> Conv1D(6, 3, same, relu) 'conv' -> MaxPooling1D(2) 'pool' -> LSTM(5) "
            f"'rnn' -> Dense(3, softmax) 'head'; {NPW}.")
    yield Case("conv_pool_lstm", f"Keras 3 classifier: {pool}", build_conv_pool_lstm)
    yield Case("k2_conv_pool_lstm", f"tf_keras classifier: {pool}", build_conv_pool_lstm,
               fmt="keras2-h5")
    tcn = ("x (2,8,2) -> Conv1D(4, 2, causal, relu) with dilation_rate 1, 2, 4 'tcn0'..'tcn2' "
           f"-> GRU(3) 'rnn'; {NPW}.")
    yield Case("conv_causal_stack_gru", f"Keras 3: {tcn}", build_causal_stack_gru)
    yield Case("k2_conv_causal_stack_gru", f"tf_keras: {tcn}", build_causal_stack_gru,
               fmt="keras2-h5")
    yield Case("k3w_conv_chain",
               f"Keras 3 save_weights('model.weights.h5') + model.to_json() in /model/config: "
               f"{CHAIN}; {NPW}.", build_conv_chain, fmt="keras3-weights")
    yield Case("k2w_conv_chain",
               f"tf_keras save_weights('model_weights.h5') (legacy Keras 2 weights-only HDF5) + "
               f"model.to_json() in /model/config: {CHAIN}; {NPW}.", build_conv_chain,
               fmt="keras2-weights")
    yield Case("k3h5_conv_chain",
               f"Keras 3 model.save('model.h5') (legacy HDF5): {CHAIN}; {NPW}.",
               build_conv_chain, fmt="keras3-legacy-h5")
