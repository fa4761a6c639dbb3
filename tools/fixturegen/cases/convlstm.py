"""ConvLSTM1D / ConvLSTM2D / ConvLSTM3D and the 2-D / 3-D layers of the video models around them.

ConvLSTM: filters, kernel_size, strides, padding valid / same, dilation_rate, activation,
recurrent_activation (tf_keras defaults to hard_sigmoid, Keras 3 to sigmoid:
`convlstm2d_defaults` and `k2_convlstm2d_defaults` hold the same weights and inputs), use_bias,
return_sequences x return_state, go_backwards, initial_state, masks, Bidirectional in every
merge mode, and the quirks where the two Keras versions differ:

* Masking on a 5-D input gives a (batch, time, rows, cols) mask, and both Keras versions mask
  each position of the state on its own (`tf.where` broadcasts the mask over the filters): a
  masked pixel keeps its state and repeats its output while its neighbours run. With valid
  padding or strides the state grid differs from the mask's and Keras cannot run the model.
* tf_keras's ConvRNN never passes zero_output_for_mask to its loop: the option, and the
  zero_output_for_mask=return_sequences that Bidirectional forces, change nothing there.
* Keras 3 drops the mask of a layer called with initial_state; tf_keras applies it.
* Keras 3 accepts unroll=True (tf_keras refuses it): with a (batch, time) mask,
  zero_output_for_mask and go_backwards, the unrolled loop zeroes the processing-order
  outputs with the mask in original order (a per-position mask cannot run unrolled).

The 2-D / 3-D layers not covered by the convolution, pooling, shape and normalization families:
Conv2D / Conv3D options, MaxPooling3D / AveragePooling3D / GlobalMax / GlobalAverage 3D,
ZeroPadding2D/3D, Cropping2D/3D, UpSampling2D (nearest, bilinear) / 3D, BatchNormalization on 4-D
and 5-D tensors, Flatten / Reshape / Permute on 5-D tensors, TimeDistributed around each, a
CNN-LSTM video classifier and Keras's next-frame-prediction model (small).

Batch 2, inputs standard normals (pixels set to 0.0 where Masking masks them), every weight
drawn with numpy (`draw`): kernels Glorot-uniform over their first and last extents, biases
U(-0.5, 0.5), BatchNormalization gamma +-U(0.5, 1.5), beta U(-0.5, 0.5), moving_mean U(-1, 1),
moving_variance U(0.2, 2)."""

import math
from dataclasses import replace

import numpy as np

from ..builders import is_keras3, randn
from ..case import Built, Case

CB = 2   # batch

DRAW = ("every weight drawn with numpy: kernels Glorot-uniform over (first + last extent), "
        "biases U(-0.5, 0.5), BatchNormalization gamma +-U(0.5, 1.5), beta U(-0.5, 0.5), "
        "moving_mean U(-1, 1), moving_variance U(0.2, 2)")


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

def draw(model, rng):
    """Every weight of the model from rng, by its name, in model.weights order."""
    new = []
    for w in model.weights:
        shape = tuple(int(s) for s in w.shape)
        key = w.name.split("/")[-1].split(":")[0]
        if key == "gamma":
            a = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
        elif key in ("beta", "bias"):
            a = rng.uniform(-0.5, 0.5, shape)
        elif key == "moving_mean":
            a = rng.uniform(-1.0, 1.0, shape)
        elif key == "moving_variance":
            a = rng.uniform(0.2, 2.0, shape)
        else:
            lim = math.sqrt(6.0 / (shape[0] + shape[-1]))
            a = rng.uniform(-lim, lim, shape)
        new.append(a.astype(np.float32))
    model.set_weights(new)


def names_of(layer_name, return_state):
    return [f"{layer_name}/output"] + ([f"{layer_name}/state_h", f"{layer_name}/state_c"]
                                       if return_state else [])


def bidi_names(layer_name, merge_mode, return_state):
    names = ([f"{layer_name}/forward_output", f"{layer_name}/backward_output"]
             if merge_mode is None else [f"{layer_name}/output"])
    if return_state:
        names += [f"{layer_name}/{d}_{s}" for d in ("forward", "backward") for s in ("h", "c")]
    return names


def as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def model_of(K, inputs, outputs, names, data, rng, checks=()):
    """K.Model(inputs, outputs) with every weight drawn from rng after the inputs."""
    model = K.Model(inputs, outputs, name="model")
    draw(model, rng)
    return Built(model, data, names, checks=list(checks))


def branches(shape, makers, *, data=None):
    """Functional x (CB, *shape) -> one branch per (maker): maker(K, x) -> (tensors, names)."""
    def build(K, rng):
        x = K.Input(shape, name="x")
        xs = [randn(rng, CB, *shape)] if data is None else data(rng)
        outs, names = [], []
        for make in makers:
            t, n = make(K, x)
            outs += as_list(t)
            names += n
        return model_of(K, x, outs, names, xs, rng)
    return build


def conv_lstm(rank, name, **kw):
    """A maker: ConvLSTM<rank>D(**kw) 'name' on x."""
    def make(K, x):
        layer = getattr(K.layers, f"ConvLSTM{rank}D")(name=name, **kw)
        return layer(x), names_of(name, kw.get("return_state", False))
    return make


def bidi(rank, name, merge_mode="concat", backward=None, **kw):
    """A maker: Bidirectional(ConvLSTM<rank>D(**kw) '<name>_inner') 'name' on x."""
    def make(K, x):
        cls = getattr(K.layers, f"ConvLSTM{rank}D")
        back = cls(name=f"{name}_back", **backward) if backward else None
        layer = K.layers.Bidirectional(cls(name=f"{name}_inner", **kw), merge_mode=merge_mode,
                                       backward_layer=back, name=name)
        return layer(x), bidi_names(name, merge_mode, kw.get("return_state", False))
    return make


def layer_maker(name, cls, *args, td=False, **kw):
    """A maker: K.layers.<cls>(*args, **kw) 'name' on x (inside TimeDistributed 'name' when
    td)."""
    def make(K, x):
        inner = getattr(K.layers, cls)(*args, name=f"{name}_inner" if td else name, **kw)
        layer = K.layers.TimeDistributed(inner, name=name) if td else inner
        return layer(x), [f"{name}/output"]
    return make


def after(first, makers):
    """Makers applied to the output of `first` (a layer maker whose output is not an output)."""
    def wrap(make):
        def inner(K, x):
            return make(K, first(K, x))
        return inner
    return [wrap(m) for m in makers]


def keep_first(cls, *args, **kw):
    """fn(K, x) -> the tensor K.layers.<cls>(*args, **kw)(x), made once per x (the makers of
    `after` share it)."""
    made = []   # [(x, tensor)]: x held, so that it is the same object while cached

    def fn(K, x):
        if not made or made[0][0] is not x:
            made[:] = [(x, getattr(K.layers, cls)(*args, **kw)(x))]
        return made[0][1]
    return fn


def pixel_padded(rng, shape, holes):
    """x (CB, *shape) of standard normals with every channel of the listed
    (batch, step, position...) set to 0.0 (what Masking(0.0) masks); a position of None
    zeroes the whole frame."""
    x = randn(rng, CB, *shape)
    for b, t, pos in holes:
        if pos is None:
            x[b, t] = 0.0
        else:
            x[(b, t) + tuple(pos)] = 0.0
    return x


def mask_of(x):
    """The mask Masking(0.0) computes: any channel != 0, over the leading axes."""
    return np.any(x != 0.0, axis=-1)


def frame_mask(K, x):
    """A (batch, time) mask: frames with any non-zero element (Keras 3 NotEqual / Any op
    nodes; tf_keras tf.math.not_equal / tf.math.reduce_any TFOpLambda layers)."""
    axes = list(range(2, len(x.shape)))
    if is_keras3(K):
        return K.ops.any(K.ops.not_equal(x, 0.0), axis=axes)
    import tensorflow as tf
    return tf.math.reduce_any(tf.math.not_equal(x, 0.0), axis=axes)


# --------------------------------------------------------------------------------------------
# Checks at generation time (Built.checks): what Keras did with the masks
# --------------------------------------------------------------------------------------------

def check_positions_held(label, idx, mask, go_backwards=False):
    """outs[idx] (batch, time, positions..., filters) repeats its previous step at every masked
    position (processing order; zeros before the first kept step) and moves at some kept
    position after a masked one."""
    def fn(outs):
        o = np.asarray(outs[idx])
        m = mask[:, ::-1] if go_backwards else mask
        held, n = 0.0, 0
        for b in range(o.shape[0]):
            for t in range(o.shape[1]):
                prev = o[b, t - 1] if t else np.zeros_like(o[b, 0])
                d = np.abs(o[b, t] - prev).max(axis=-1)
                held = max(held, float(np.max(np.where(~m[b, t], d, 0.0))))
                n += int(np.sum(~m[b, t]))
        return held == 0.0 and n > 0, f"{n} masked positions, max |out - previous| there = {held:.3g}"
    return (label, fn)


def check_zero_where_masked(label, idx, mask, zero=True):
    """outs[idx] (batch, time, ...) is 0 at masked frames (zero=True) or not 0 there."""
    def fn(outs):
        o = np.asarray(outs[idx])
        at = np.abs(o[~mask]).max()
        return (at == 0.0) == zero, f"max |out| at masked frames = {at:.3g}"
    return (label, fn)


# --------------------------------------------------------------------------------------------
# ConvLSTM builders
# --------------------------------------------------------------------------------------------

def build_defaults(K, rng):
    """Sequential ConvLSTM2D(3, 3) with nothing else given: tf_keras's recurrent_activation
    default is hard_sigmoid, Keras 3's sigmoid (checked in the saved config)."""
    x = K.Input((4, 5, 5, 2), name="x")
    layer = K.layers.ConvLSTM2D(3, 3, name="clstm")
    model = K.Sequential([x, layer], name="model")
    data = [randn(rng, CB, 4, 5, 5, 2)]
    draw(model, rng)
    want = "sigmoid" if is_keras3(K) else "hard_sigmoid"

    def default_recorded(outs):
        got = layer.get_config()["recurrent_activation"]
        return got == want, f"recurrent_activation recorded as {got!r}"
    return Built(model, data, ["clstm/output"], checks=[("the default is recorded", default_recorded)])


SEQ_STATE = [conv_lstm(2, f"rs{int(s)}_st{int(t)}", filters=2, kernel_size=3, padding="same",
                       return_sequences=s, return_state=t)
             for s in (False, True) for t in (False, True)]

STRIDES = [
    conv_lstm(2, "s2_valid_state", filters=2, kernel_size=3, strides=2, return_state=True),
    conv_lstm(2, "s21_same_even", filters=3, kernel_size=2, strides=(2, 1), padding="same",
              return_sequences=True),
    conv_lstm(2, "s2_same", filters=2, kernel_size=3, strides=2, padding="same",
              return_state=True),
]

DILATION = [
    conv_lstm(2, "d2_same", filters=2, kernel_size=3, dilation_rate=2, padding="same",
              return_sequences=True),
    conv_lstm(2, "d21_valid", filters=3, kernel_size=(3, 2), dilation_rate=(2, 1),
              return_state=True),
]

ACTIVATIONS = [
    conv_lstm(2, "relu_hard", filters=2, kernel_size=3, padding="same", activation="relu",
              recurrent_activation="hard_sigmoid", return_sequences=True),
    conv_lstm(2, "linear_tanh", filters=2, kernel_size=2, activation=None,
              recurrent_activation="tanh", return_sequences=True),
    conv_lstm(2, "softsign_sigmoid", filters=2, kernel_size=3, padding="same",
              activation="softsign", recurrent_activation="sigmoid"),
    conv_lstm(2, "nobias", filters=3, kernel_size=2, padding="same", use_bias=False,
              unit_forget_bias=False, return_state=True),
]

# Filters a multiple of 8: the fast path's AVX2 gate pass (rl_convlstm_gates256), with each of
# the activations it has (tanh, sigmoid, relu, linear); every other ConvLSTM case has 2-4
# filters and takes the scalar loop.
FILTERS8 = [
    conv_lstm(2, "f8", filters=8, kernel_size=3, padding="same", return_sequences=True),
    conv_lstm(2, "f16_relu_tanh", filters=16, kernel_size=2, activation="relu",
              recurrent_activation="tanh", return_state=True),
    conv_lstm(2, "f8_linear", filters=8, kernel_size=1, activation=None, return_sequences=True),
]

BACKWARDS = [
    conv_lstm(2, "back_seq", filters=2, kernel_size=3, padding="same", go_backwards=True,
              return_sequences=True),
    conv_lstm(2, "back_state", filters=2, kernel_size=2, go_backwards=True, return_state=True),
]


def build_initial_state(K, rng):
    """x (2, 4, 5, 5, 2), h0 / c0 (2, 5, 5, 2) -> ConvLSTM2D(2, 3, same, return_sequences,
    return_state)(x, initial_state=[h0, c0]); h0s / c0s (2, 2, 2, 2) -> ConvLSTM2D(2, 3,
    strides 2, valid, return_state): states of the strided grid."""
    x = K.Input((4, 5, 5, 2), name="x")
    h0, c0 = K.Input((5, 5, 2), name="h0"), K.Input((5, 5, 2), name="c0")
    h0s, c0s = K.Input((2, 2, 2), name="h0s"), K.Input((2, 2, 2), name="c0s")
    a = K.layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True, return_state=True,
                            name="clstm")(x, initial_state=[h0, c0])
    b = K.layers.ConvLSTM2D(2, 3, strides=2, return_state=True,
                            name="strided")(x, initial_state=[h0s, c0s])
    data = [randn(rng, CB, 4, 5, 5, 2)] + [randn(rng, CB, 5, 5, 2) for _ in range(2)] \
        + [randn(rng, CB, 2, 2, 2) for _ in range(2)]
    return model_of(K, [x, h0, c0, h0s, c0s], list(a) + list(b),
                    names_of("clstm", True) + names_of("strided", True), data, rng)


CONV1D = [
    conv_lstm(1, "same_seq", filters=3, kernel_size=3, padding="same", return_sequences=True),
    conv_lstm(1, "s2_valid_state", filters=2, kernel_size=2, strides=2, return_state=True),
    conv_lstm(1, "d2_back", filters=2, kernel_size=3, dilation_rate=2, padding="same",
              go_backwards=True, return_sequences=True),
    bidi(1, "bi", merge_mode="sum", filters=2, kernel_size=3, return_sequences=True),
]

CONV3D = [
    conv_lstm(3, "same_seq", filters=2, kernel_size=2, padding="same", return_sequences=True),
    conv_lstm(3, "s211_valid_state", filters=2, kernel_size=(2, 2, 1), strides=(2, 1, 1),
              return_state=True),
    bidi(3, "bi", merge_mode="concat", filters=2, kernel_size=(1, 2, 2), padding="same"),
]


def build_conv1d_regressor(K, rng):
    """Sequential ConvLSTM1D(4, 3) -> Flatten -> Dense(1): a regressor on (6, 8, 2) series."""
    model = K.Sequential([K.Input((6, 8, 2), name="x"),
                          K.layers.ConvLSTM1D(4, 3, name="clstm"),
                          K.layers.Flatten(name="flat"),
                          K.layers.Dense(1, name="head")], name="model")
    data = [randn(rng, CB, 6, 8, 2)]
    draw(model, rng)
    return Built(model, data, ["head/output"])


# Masks. x (2, 4, 4, 4, 2): row 0 has frame 2 padded (a middle frame); row 1 has pixel
# (0, 0) padded at step 1, pixel (2, 3) at steps 2 and 3, and row 1 pixel (3, 3) at step 0.
PIXEL_HOLES = [(0, 2, None), (1, 1, (0, 0)), (1, 2, (2, 3)), (1, 3, (2, 3)), (1, 0, (3, 3))]
MSHAPE = (4, 4, 4, 2)


def build_mask_pixels(K, rng):
    """Masking(0.0) -> ConvLSTM2D(2, 3, same, return_sequences) 'c1' (a per-pixel mask) ->
    ConvLSTM2D(2, 2, same, return_sequences, return_state) 'c2' (c1 hands the mask on)."""
    xv = pixel_padded(rng, MSHAPE, PIXEL_HOLES)
    mask = mask_of(xv)
    x = K.Input(MSHAPE, name="x")
    m = K.layers.Masking(0.0, name="mask")(x)
    h1 = K.layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True, name="c1")(m)
    h2 = K.layers.ConvLSTM2D(2, 2, padding="same", return_sequences=True, return_state=True,
                             name="c2")(h1)
    return model_of(K, x, [h1] + list(h2), ["c1/output"] + names_of("c2", True), [xv], rng,
                    [check_positions_held("c1 holds each masked pixel", 0, mask),
                     check_positions_held("c2 gets c1's mask and holds the same pixels", 1, mask)])


def build_mask_frames(K, rng):
    """x -> NotEqual / Any (a (batch, time) mask of frames with data) -> ConvLSTM2D(2, 3,
    strides 2, valid, return_sequences, return_state)(x, mask=m) 'clstm' and ConvLSTM2D(2, 2,
    valid, go_backwards, return_sequences) 'back': a whole-frame mask works with any grid."""
    xv = pixel_padded(rng, (4, 5, 5, 2), [(0, 2, None), (0, 3, None), (1, 1, None)])
    mask = np.any(xv != 0.0, axis=(2, 3, 4))
    x = K.Input((4, 5, 5, 2), name="x")
    fm = frame_mask(K, x)
    a = K.layers.ConvLSTM2D(2, 3, strides=2, return_sequences=True, return_state=True,
                            name="clstm")(x, mask=fm)
    b = K.layers.ConvLSTM2D(2, 2, go_backwards=True, return_sequences=True, name="back")(x, mask=fm)
    pix = np.broadcast_to(mask[:, :, None, None], (2, 4, 2, 2))
    return model_of(K, x, list(a) + [b], names_of("clstm", True) + ["back/output"], [xv], rng,
                    [check_positions_held("masked frames hold", 0, pix),
                     check_positions_held("go_backwards: held in processing order", 3,
                                          np.broadcast_to(mask[:, :, None, None], (2, 4, 4, 4)),
                                          go_backwards=True)])


ZO_HOLES = [(0, 1, None), (0, 2, None), (1, 2, (1, 1)), (1, 3, (1, 1))]


def build_mask_zero_output(K, rng):
    """Masking(0.0) -> ConvLSTM2D(2, 3, same, return_sequences, zero_output_for_mask=True)
    'clstm' with frames 1 and 2 of row 0 padded (middle) and a pixel of row 1 at steps 2, 3:
    Keras 3 outputs 0 at the masked positions; tf_keras's ConvRNN ignores the option and repeats
    the previous output (checked)."""
    xv = pixel_padded(rng, MSHAPE, ZO_HOLES)
    mask = mask_of(xv)
    x = K.Input(MSHAPE, name="x")
    m = K.layers.Masking(0.0, name="mask")(x)
    y = K.layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True,
                            zero_output_for_mask=True, name="clstm")(m)
    pos = mask[..., None].repeat(2, -1)
    if is_keras3(K):
        def zero_at_masked(outs):
            at = float(np.abs(np.asarray(outs[0])[~pos]).max())
            return at == 0.0, f"max |out| at masked positions = {at:.3g}"
        check = ("Keras 3: zero at masked positions", zero_at_masked)
    else:
        check = check_positions_held("tf_keras: the option is ignored, masked positions repeat",
                                     0, mask)
    return model_of(K, x, y, ["clstm/output"], [xv], rng, [check])


def build_mask_initial_state(K, rng):
    """Masking(0.0) -> ConvLSTM2D(2, 3, same, return_sequences, return_state)(m,
    initial_state=[h0, c0]) 'clstm', frames 2, 3 of row 0 padded: Keras 3 drops the mask of a
    layer called with initial_state (the padded frames run), tf_keras applies it (checked)."""
    xv = pixel_padded(rng, MSHAPE, [(0, 2, None), (0, 3, None), (1, 1, (2, 2))])
    mask = mask_of(xv)
    x = K.Input(MSHAPE, name="x")
    h0, c0 = K.Input((4, 4, 2), name="h0"), K.Input((4, 4, 2), name="c0")
    m = K.layers.Masking(0.0, name="mask")(x)
    y = K.layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True, return_state=True,
                            name="clstm")(m, initial_state=[h0, c0])
    data = [xv, randn(rng, CB, 4, 4, 2), randn(rng, CB, 4, 4, 2)]
    if is_keras3(K):
        def runs(outs):
            o = np.asarray(outs[0])
            moved = float(np.abs(o[0, 3] - o[0, 2]).max())
            return moved > 1e-4, f"Keras 3: |out[3] - out[2]| of the padded row = {moved:.3g}"
        check = ("Keras 3 drops the mask", runs)
    else:
        check = check_positions_held("tf_keras applies the mask", 0, mask)
    return model_of(K, [x, h0, c0], list(y), names_of("clstm", True), data, rng, [check])


def build_mask_go_backwards(K, rng):
    """Masking(0.0) -> ConvLSTM2D(2, 3, same, go_backwards, return_sequences, return_state):
    per-pixel masks in processing (reversed) order."""
    xv = pixel_padded(rng, MSHAPE, PIXEL_HOLES)
    mask = mask_of(xv)
    x = K.Input(MSHAPE, name="x")
    m = K.layers.Masking(0.0, name="mask")(x)
    y = K.layers.ConvLSTM2D(2, 3, padding="same", go_backwards=True, return_sequences=True,
                            return_state=True, name="clstm")(m)
    return model_of(K, x, list(y), names_of("clstm", True), [xv], rng,
                    [check_positions_held("held in processing order", 0, mask, go_backwards=True)])


def build_unroll_mask_backwards(K, rng):
    """Keras 3: x -> a (batch, time) frame mask -> ConvLSTM2D(2, 2, same, unroll=True,
    zero_output_for_mask=True, go_backwards=True, return_sequences=True)(x, mask=m): the unrolled
    loop zeroes the processing-order outputs with the mask in original order."""
    xv = pixel_padded(rng, MSHAPE, [(0, 2, None), (0, 3, None), (1, 0, None)])
    mask = np.any(xv != 0.0, axis=(2, 3, 4))
    x = K.Input(MSHAPE, name="x")
    y = K.layers.ConvLSTM2D(2, 2, padding="same", unroll=True, zero_output_for_mask=True,
                            go_backwards=True, return_sequences=True, name="clstm")(x, mask=frame_mask(K, x))
    return model_of(K, x, y, ["clstm/output"], [xv], rng,
                    [check_zero_where_masked("zeroed where the ORIGINAL-order mask is 0", 0, mask)])


def build_mask_1d_3d(K, rng):
    """Masking(0.0) -> ConvLSTM1D(2, 3, same, return_sequences) on x1 (2, 4, 6, 2), and
    Masking(0.0) -> ConvLSTM3D(2, 2, same, return_sequences, return_state) on x3
    (2, 3, 3, 3, 3, 1): per-position masks of rank 3 and 5."""
    x1v = pixel_padded(rng, (4, 6, 2), [(0, 1, (2,)), (0, 2, (2,)), (1, 3, None)])
    x3v = randn(rng, CB, 3, 3, 3, 3, 1)
    x3v[0, 1, 0, 1, 2] = 0.0
    x3v[1, 2] = 0.0
    x3v[1, 0, 2, 2, 2] = 0.0
    x1, x3 = K.Input((4, 6, 2), name="x1"), K.Input((3, 3, 3, 3, 1), name="x3")
    a = K.layers.ConvLSTM1D(2, 3, padding="same", return_sequences=True,
                            name="c1d")(K.layers.Masking(0.0, name="mask1")(x1))
    b = K.layers.ConvLSTM3D(2, 2, padding="same", return_sequences=True, return_state=True,
                            name="c3d")(K.layers.Masking(0.0, name="mask3")(x3))
    return model_of(K, [x1, x3], [a] + list(b), ["c1d/output"] + names_of("c3d", True),
                    [x1v, x3v], rng,
                    [check_positions_held("1-D positions held", 0, mask_of(x1v)),
                     check_positions_held("3-D positions held", 1, mask_of(x3v))])


# Bidirectional: row 0 has frame 1 padded (middle), row 1 pixel (1, 2) at steps 2, 3.
BIDI_HOLES = [(0, 1, None), (1, 2, (1, 2)), (1, 3, (1, 2))]


def build_bidi_merge_modes(K, rng):
    """Masking(0.0) -> Bidirectional(ConvLSTM2D(2, 2, same, return_sequences)) in every merge
    mode: concat, sum, mul, ave, None. Keras 3 zeroes both directions at masked positions
    (Bidirectional forces zero_output_for_mask); tf_keras's ConvRNN ignores that, so the forward
    output repeats at masked positions (checked on merge_mode None)."""
    xv = pixel_padded(rng, MSHAPE, BIDI_HOLES)
    mask = mask_of(xv)
    x = K.Input(MSHAPE, name="x")
    m = K.layers.Masking(0.0, name="mask")(x)
    outs, names = [], []
    for mode in ("concat", "sum", "mul", "ave", None):
        name = f"bi_{mode or 'none'}"
        t, n = bidi(2, name, merge_mode=mode, filters=2, kernel_size=2, padding="same",
                    return_sequences=True)(K, m)
        outs += as_list(t)
        names += n
    fwd = len(names) - 2
    if is_keras3(K):
        def zero(outs):
            at = float(np.abs(np.asarray(outs[fwd])[~mask]).max())
            return at == 0.0, f"max |forward| at masked positions = {at:.3g}"
        check = ("Keras 3: zero at masked positions", zero)
    else:
        check = check_positions_held("tf_keras: the forward output repeats", fwd, mask)
    return model_of(K, x, outs, names, [xv], rng, [check])


def build_bidi_state(K, rng):
    """Bidirectional(ConvLSTM2D(2, 3, same, return_state)) 'bi' called with initial_state
    [h0f, c0f, h0b, c0b]; Bidirectional(ConvLSTM2D(2, 2, valid, return_sequences,
    return_state), backward_layer=ConvLSTM2D(2, 2, relu, go_backwards, ...), merge_mode='ave')
    'bi_back' (an explicit backward layer)."""
    x = K.Input((3, 4, 4, 2), name="x")
    st = [K.Input((4, 4, 2), name=n) for n in ("h0f", "c0f", "h0b", "c0b")]
    a = K.layers.Bidirectional(K.layers.ConvLSTM2D(2, 3, padding="same", return_state=True,
                                                   name="inner"), name="bi")(x, initial_state=st)
    fwd = K.layers.ConvLSTM2D(2, 2, return_sequences=True, return_state=True, name="bf")
    back = K.layers.ConvLSTM2D(2, 2, activation="relu", go_backwards=True, return_sequences=True,
                               return_state=True, name="bb")
    b = K.layers.Bidirectional(fwd, backward_layer=back, merge_mode="ave", name="bi_back")(x)
    data = [randn(rng, CB, 3, 4, 4, 2)] + [randn(rng, CB, 4, 4, 2) for _ in st]
    return model_of(K, [x] + st, list(a) + list(b),
                    bidi_names("bi", "concat", True) + bidi_names("bi_back", "ave", True), data, rng)


def build_bidi_unroll_mask(K, rng):
    """Keras 3: a (batch, time) frame mask -> Bidirectional(ConvLSTM2D(2, 2, same, unroll=True,
    return_sequences)): Bidirectional forces zero_output_for_mask, and the unrolled backward
    layer zeroes its outputs in the wrong time order."""
    xv = pixel_padded(rng, MSHAPE, [(0, 3, None), (1, 0, None), (1, 1, None)])
    x = K.Input(MSHAPE, name="x")
    layer = K.layers.Bidirectional(K.layers.ConvLSTM2D(2, 2, padding="same", unroll=True,
                                                       return_sequences=True, name="inner"),
                                   merge_mode=None, name="bi")
    y = layer(x, mask=frame_mask(K, x))
    return model_of(K, x, list(y), bidi_names("bi", None, False), [xv], rng)


def build_next_frame(K, rng):
    """Keras's next-frame-prediction example, small: Input((None, 6, 6, 1)) ->
    ConvLSTM2D(4, (5, 5), same, return_sequences, relu) -> BatchNormalization ->
    ConvLSTM2D(4, (3, 3), same, return_sequences, relu) -> BatchNormalization ->
    ConvLSTM2D(4, (1, 1), same, return_sequences, relu) -> Conv3D(1, (3, 3, 3), sigmoid, same);
    5 frames."""
    x = K.Input((None, 6, 6, 1), name="x")
    h = K.layers.ConvLSTM2D(4, (5, 5), padding="same", return_sequences=True, activation="relu",
                            name="clstm1")(x)
    h = K.layers.BatchNormalization(name="bn1")(h)
    h = K.layers.ConvLSTM2D(4, (3, 3), padding="same", return_sequences=True, activation="relu",
                            name="clstm2")(h)
    h = K.layers.BatchNormalization(name="bn2")(h)
    h = K.layers.ConvLSTM2D(4, (1, 1), padding="same", return_sequences=True, activation="relu",
                            name="clstm3")(h)
    y = K.layers.Conv3D(1, (3, 3, 3), activation="sigmoid", padding="same", name="head")(h)
    return model_of(K, x, y, ["head/output"], [randn(rng, CB, 5, 6, 6, 1)], rng)


def build_cnn_lstm_video(K, rng):
    """Sequential video classifier on (5, 8, 8, 1) clips: TimeDistributed(Conv2D(4, 3, relu))
    -> TimeDistributed(MaxPooling2D(2)) -> TimeDistributed(Flatten) -> LSTM(6) ->
    Dense(3, softmax)."""
    td = K.layers.TimeDistributed
    model = K.Sequential([
        K.Input((5, 8, 8, 1), name="x"),
        td(K.layers.Conv2D(4, 3, activation="relu", name="conv"), name="td_conv"),
        td(K.layers.MaxPooling2D(2, name="pool"), name="td_pool"),
        td(K.layers.Flatten(name="flat"), name="td_flat"),
        K.layers.LSTM(6, name="lstm"),
        K.layers.Dense(3, activation="softmax", name="head")], name="model")
    data = [randn(rng, CB, 5, 8, 8, 1)]
    draw(model, rng)
    return Built(model, data, ["head/output"])


# --------------------------------------------------------------------------------------------
# 2-D / 3-D layers
# --------------------------------------------------------------------------------------------

def L(name, cls, *args, **kw):
    return layer_maker(name, cls, *args, **kw)


CONV2D = [
    L("valid_nobias_tanh", "Conv2D", 3, (3, 2), use_bias=False, activation="tanh"),
    L("same_even", "Conv2D", 2, (2, 2), padding="same"),
    L("dilated_same", "Conv2D", 2, 3, dilation_rate=2, padding="same", activation="relu"),
    L("strides_valid", "Conv2D", 3, (2, 3), strides=(1, 2)),
    L("groups_same", "Conv2D", 4, 3, groups=2, padding="same"),
]

CONV3D_LAYERS = [
    L("same_strides", "Conv3D", 2, 2, strides=2, padding="same", activation="relu"),
    L("dilated_same", "Conv3D", 3, (2, 2, 1), dilation_rate=(1, 2, 1), padding="same"),
    L("groups_nobias", "Conv3D", 2, (1, 2, 2), groups=2, use_bias=False),
    L("valid_kernel_eq", "Conv3D", 2, (3, 5, 3)),
]


def proj(rank):
    """The Conv<rank>D(2, 1) 'proj' every 3-D-layer branch reads (so that the values moved
    are computed, in float64 for the float64 reference)."""
    return keep_first(f"Conv{rank}D", 2, 1, name="proj")


def pool3d(k3):
    ms = [L("max_default", "MaxPooling3D"),
          L("max_same", "MaxPooling3D", (2, 3, 2), strides=(1, 2, 1), padding="same"),
          L("avg_valid", "AveragePooling3D", (2, 2, 3), strides=(2, 1, 1)),
          L("avg_same", "AveragePooling3D", 3, strides=2, padding="same"),
          L("gmp3d", "GlobalMaxPooling3D"),
          L("gap3d", "GlobalAveragePooling3D"),
          L("gmp3d_keep", "GlobalMaxPooling3D", keepdims=True),
          L("gap3d_keep", "GlobalAveragePooling3D", keepdims=True),
          L("gap3d_cf", "GlobalAveragePooling3D", data_format="channels_first")]
    if k3:   # tf_keras runs 3-D pooling on NCDHW directly, which TensorFlow's CPU kernel refuses
        ms += [L("max_cf", "MaxPooling3D", 2, data_format="channels_first", padding="same"),
               L("avg_cf", "AveragePooling3D", (1, 2, 2), data_format="channels_first")]
    return after(proj(3), ms)


SPATIAL2D = after(proj(2), [
    L("pad_default", "ZeroPadding2D"),
    L("pad_pairs", "ZeroPadding2D", ((1, 2), (0, 3))),
    L("pad_cf", "ZeroPadding2D", (2, 1), data_format="channels_first"),
    L("crop_pairs", "Cropping2D", ((1, 0), (2, 1))),
    L("crop_int", "Cropping2D", 1),
    L("crop_cf", "Cropping2D", ((0, 1), (0, 1)), data_format="channels_first"),
    L("up_default", "UpSampling2D"),
    L("up_nearest", "UpSampling2D", (2, 3)),
    L("up_bilinear", "UpSampling2D", (2, 3), interpolation="bilinear"),
    L("up_bilinear3", "UpSampling2D", 3, interpolation="bilinear"),
    L("up_cf", "UpSampling2D", (3, 1), data_format="channels_first"),
])

SPATIAL3D = after(proj(3), [
    L("pad_default", "ZeroPadding3D"),
    L("pad_pairs", "ZeroPadding3D", ((1, 0), (0, 2), (1, 1))),
    L("pad_cf", "ZeroPadding3D", 1, data_format="channels_first"),
    L("crop_pairs", "Cropping3D", ((1, 0), (0, 1), (1, 0))),
    L("crop_int", "Cropping3D", (0, 1, 0)),
    L("up_default", "UpSampling3D"),
    L("up_size", "UpSampling3D", (1, 2, 3)),
    L("up_cf", "UpSampling3D", (2, 1, 1), data_format="channels_first"),
])


def build_batch_norm_4d_5d(K, rng):
    """BatchNormalization on x4 (2, 4, 3, 2) and x5 (2, 3, 4, 3, 2), inputs x * 3 + 1:
    axis -1, 1 (epsilon 0.01), 2 (center and scale off) on each; 5-D also axis 3."""
    x4, x5 = K.Input((4, 3, 2), name="x4"), K.Input((3, 4, 3, 2), name="x5")
    data = [randn(rng, CB, 4, 3, 2) * np.float32(3) + np.float32(1),
            randn(rng, CB, 3, 4, 3, 2) * np.float32(3) + np.float32(1)]
    outs, names = [], []
    for tag, x in (("4d", x4), ("5d", x5)):
        axes = [(-1, {}), (1, dict(epsilon=0.01)), (2, dict(center=False, scale=False))]
        if tag == "5d":
            axes.append((3, {}))
        for axis, kw in axes:
            name = f"bn{tag}_axis{axis if axis >= 0 else 'last'}"
            outs.append(K.layers.BatchNormalization(axis=axis, name=name, **kw)(x))
            names.append(f"{name}/output")
    return model_of(K, [x4, x5], outs, names, data, rng)


SHAPE5D = after(proj(3), [
    L("flat", "Flatten"),
    L("flat_cf", "Flatten", data_format="channels_first"),
    L("reshape", "Reshape", (4, 3, -1)),
    L("reshape_flat", "Reshape", (-1,)),
    L("permute", "Permute", (4, 1, 3, 2)),
    L("permute_id", "Permute", (1, 2, 3, 4)),
])


def td_spatial():
    """TimeDistributed around each 2-D layer."""
    return [L("td_conv_valid", "Conv2D", 2, 2, strides=2, td=True),
          L("td_depthwise", "DepthwiseConv2D", 2, depth_multiplier=2, padding="same", td=True),
          L("td_separable", "SeparableConv2D", 2, 2, td=True),
          L("td_transpose", "Conv2DTranspose", 2, 2, strides=2, td=True),
          L("td_max", "MaxPooling2D", td=True),
          L("td_avg_same", "AveragePooling2D", 3, strides=2, padding="same", td=True),
          L("td_gmp", "GlobalMaxPooling2D", td=True),
          L("td_gap", "GlobalAveragePooling2D", td=True),
          L("td_up_bilinear", "UpSampling2D", interpolation="bilinear", td=True),
          L("td_up_nearest", "UpSampling2D", (1, 2), td=True),
          L("td_pad", "ZeroPadding2D", ((0, 1), (2, 0)), td=True),
          L("td_crop", "Cropping2D", ((1, 1), (0, 2)), td=True),
          L("td_bn", "BatchNormalization", td=True),
          L("td_flatten", "Flatten", td=True),
          L("td_reshape", "Reshape", (5, -1), td=True),
          L("td_permute", "Permute", (3, 1, 2), td=True)]


def build_td_spatial(K, rng):
    """x (2, 3, 6, 5, 2) -> TimeDistributed(Conv2D(3, 3, same)) 'proj' -> one branch per
    TimeDistributed 2-D layer (see the output names)."""
    x = K.Input((3, 6, 5, 2), name="x")
    data = [randn(rng, CB, 3, 6, 5, 2)]
    h = K.layers.TimeDistributed(K.layers.Conv2D(3, 3, padding="same", name="proj_inner"),
                                 name="proj")(x)
    outs, names = [], []
    for make in td_spatial():
        t, n = make(K, h)
        outs.append(t)
        names += n
    return model_of(K, x, outs, names, data, rng)


def build_td_spatial3d(K, rng):
    """x (2, 2, 4, 4, 3, 2) -> TimeDistributed(Conv3D(3, 1)) 'proj' -> TimeDistributed around
    Conv3D, MaxPooling3D, AveragePooling3D(same), GlobalAveragePooling3D, UpSampling3D,
    ZeroPadding3D, Cropping3D."""
    x = K.Input((2, 4, 4, 3, 2), name="x")
    data = [randn(rng, CB, 2, 4, 4, 3, 2)]
    h = K.layers.TimeDistributed(K.layers.Conv3D(3, 1, name="proj_inner"), name="proj")(x)
    ms = [L("td_conv3d", "Conv3D", 2, 2, padding="same", td=True),
          L("td_max3d", "MaxPooling3D", td=True),
          L("td_avg3d_same", "AveragePooling3D", 2, strides=(1, 2, 2), padding="same", td=True),
          L("td_gap3d", "GlobalAveragePooling3D", td=True),
          L("td_up3d", "UpSampling3D", (1, 1, 2), td=True),
          L("td_pad3d", "ZeroPadding3D", (0, 1, 1), td=True),
          L("td_crop3d", "Cropping3D", ((1, 0), (0, 1), (1, 1)), td=True)]
    outs, names = [], []
    for make in ms:
        t, n = make(K, h)
        outs.append(t)
        names += n
    return model_of(K, x, outs, names, data, rng)


def build_chain(K, rng):
    """The model the hostile-config tests mutate: x2 (3, 6, 6, 2) -> ConvLSTM2D 'clstm2d'
    (2, 3, same, return_sequences) -> TimeDistributed ZeroPadding2D 'pad2d' / Cropping2D 'crop2d'
    / UpSampling2D 'up2d' / MaxPooling2D 'pool2d' / Conv2D 'conv2d' -> Bidirectional(ConvLSTM2D)
    'bi' -> GlobalAveragePooling2D; x1 (3, 8, 2) -> ConvLSTM1D 'clstm1d'; x3 (2, 4, 4, 4, 1)
    -> ConvLSTM3D 'clstm3d' (return_sequences) -> TimeDistributed ZeroPadding3D 'pad3d' /
    Cropping3D 'crop3d' / UpSampling3D 'up3d' / AveragePooling3D 'pool3d' / Conv3D 'conv3d' ->
    Flatten -> Dense 'head'."""
    td = K.layers.TimeDistributed
    x2, x1 = K.Input((3, 6, 6, 2), name="x2"), K.Input((3, 8, 2), name="x1")
    x3 = K.Input((2, 4, 4, 4, 1), name="x3")
    h = K.layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True, name="clstm2d")(x2)
    h = td(K.layers.ZeroPadding2D(1, name="pad2d_inner"), name="pad2d")(h)
    h = td(K.layers.Cropping2D(((1, 0), (0, 1)), name="crop2d_inner"), name="crop2d")(h)
    h = td(K.layers.UpSampling2D(2, name="up2d_inner"), name="up2d")(h)
    h = td(K.layers.MaxPooling2D(2, name="pool2d_inner"), name="pool2d")(h)
    h = td(K.layers.Conv2D(2, 3, name="conv2d_inner"), name="conv2d")(h)
    h = K.layers.Bidirectional(K.layers.ConvLSTM2D(2, 2, name="bi_inner"), name="bi")(h)
    a = K.layers.GlobalAveragePooling2D(name="gap2d")(h)
    b = K.layers.ConvLSTM1D(2, 3, name="clstm1d")(x1)
    g = K.layers.ConvLSTM3D(2, 2, padding="same", return_sequences=True, name="clstm3d")(x3)
    g = td(K.layers.ZeroPadding3D(1, name="pad3d_inner"), name="pad3d")(g)
    g = td(K.layers.Cropping3D(((1, 0), (0, 1), (1, 1)), name="crop3d_inner"), name="crop3d")(g)
    g = td(K.layers.UpSampling3D((1, 2, 1), name="up3d_inner"), name="up3d")(g)
    g = td(K.layers.AveragePooling3D(2, name="pool3d_inner"), name="pool3d")(g)
    g = td(K.layers.Conv3D(2, 2, name="conv3d_inner"), name="conv3d")(g)
    g = K.layers.Flatten(name="flat")(g)
    y = K.layers.Dense(2, name="head")(K.layers.Concatenate(name="cat")(
        [a, K.layers.Flatten(name="flat1")(b), g]))
    data = [randn(rng, CB, 3, 6, 6, 2), randn(rng, CB, 3, 8, 2), randn(rng, CB, 2, 4, 4, 4, 1)]
    return model_of(K, [x2, x1, x3], [y], ["head/output"], data, rng)


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------

def _both(name, what, build, *, k2=True, k2_what=None):
    yield Case(name, f"Keras 3: {what}; {DRAW}.", build)
    if k2:
        yield Case(f"k2_{name}", f"tf_keras: {k2_what or what}; {DRAW}.", build, fmt="keras2-h5")


# Cases Keras cannot run in float64 (no /reference_float64; the oracle checks them against the
# float32 outputs): TensorFlow has no float64 MaxPool3D / AvgPool3D kernel on the CPU, and
# tf_keras's bilinear UpSampling2D returns tf.image.resize's float32 result in a float64 model.
NO_FLOAT64 = {"pool3d", "k2_pool3d", "td_spatial3d", "k2_td_spatial3d", "k2_spatial2d",
              "k2_td_spatial", "k3w_convlstm_chain", "k2w_convlstm_chain", "k3h5_convlstm_chain"}


def cases():
    for case in _cases():
        yield replace(case, float64=False) if case.name in NO_FLOAT64 else case


def _cases():
    yield Case("convlstm2d_defaults",
               f"Keras 3: Sequential x (2,4,5,5,2) -> ConvLSTM2D(3, 3) 'clstm', every other option "
               f"left to its default (recurrent_activation sigmoid); {DRAW}.", build_defaults)
    yield Case("k2_convlstm2d_defaults",
               f"tf_keras: the same model, inputs and weights as convlstm2d_defaults (shared "
               f"seed); tf_keras's default recurrent_activation is hard_sigmoid, clip(0.2x + 0.5); "
               f"{DRAW}.", build_defaults, fmt="keras2-h5", seed_name="convlstm2d_defaults")
    yield from _both(
        "convlstm2d_seq_state",
        "x (2,4,4,4,2) -> ConvLSTM2D(2, 3, same) with return_sequences x return_state "
        "'rs0_st0', 'rs0_st1', 'rs1_st0', 'rs1_st1'", branches((4, 4, 4, 2), SEQ_STATE))
    yield from _both(
        "convlstm2d_strides",
        "x (2,3,5,5,2) -> ConvLSTM2D(2, 3, strides 2, valid, return_state) 's2_valid_state'; "
        "(3, 2, strides (2, 1), same, return_sequences) 's21_same_even' (padding 0 before, 1 "
        "after); (2, 3, strides 2, same, return_state) 's2_same'", branches((3, 5, 5, 2), STRIDES))
    yield from _both(
        "convlstm2d_dilation",
        "x (2,3,6,5,2) -> ConvLSTM2D(2, 3, dilation 2, same, return_sequences) 'd2_same'; "
        "(3, (3, 2), dilation (2, 1), valid, return_state) 'd21_valid' (the recurrent "
        "convolution is undilated)", branches((3, 6, 5, 2), DILATION))
    yield from _both(
        "convlstm2d_activations",
        "x (2,3,4,4,2) -> ConvLSTM2D(2, 3, same, relu, recurrent hard_sigmoid, "
        "return_sequences) 'relu_hard' (Keras's own hard_sigmoid of each version); (2, 2, "
        "activation None, recurrent tanh, return_sequences) 'linear_tanh'; (2, 3, same, "
        "softsign, sigmoid) 'softsign_sigmoid'; (3, 2, same, use_bias False, unit_forget_bias "
        "False, return_state) 'nobias'", branches((3, 4, 4, 2), ACTIVATIONS))
    yield from _both(
        "convlstm2d_filters8",
        "x (2,3,4,4,2) -> ConvLSTM2D(8, 3, same, return_sequences) 'f8'; (16, 2, relu, "
        "recurrent tanh, return_state) 'f16_relu_tanh'; (8, 1, activation None, "
        "return_sequences) 'f8_linear': filters a multiple of 8, the fast path's AVX2 gate pass "
        "with tanh, sigmoid, relu and linear", branches((3, 4, 4, 2), FILTERS8))
    yield from _both(
        "convlstm2d_go_backwards",
        "x (2,4,4,4,2) -> ConvLSTM2D(2, 3, same, go_backwards, return_sequences) 'back_seq' "
        "(outputs in processing order); (2, 2, valid, go_backwards, return_state) 'back_state'",
        branches((4, 4, 4, 2), BACKWARDS))
    yield from _both(
        "convlstm2d_initial_state",
        "x (2,4,5,5,2), h0 / c0 (2,5,5,2) -> ConvLSTM2D(2, 3, same, return_sequences, "
        "return_state)(x, initial_state=[h0, c0]) 'clstm'; h0s / c0s (2,2,2,2) -> ConvLSTM2D(2, 3, "
        "strides 2, valid, return_state) 'strided' (states of the strided grid)",
        build_initial_state)
    yield from _both(
        "convlstm1d_options",
        "x (2,5,8,2) -> ConvLSTM1D(3, 3, same, return_sequences) 'same_seq'; (2, 2, strides 2, "
        "valid, return_state) 's2_valid_state'; (2, 3, dilation 2, same, go_backwards, "
        "return_sequences) 'd2_back'; Bidirectional(ConvLSTM1D(2, 3, return_sequences), "
        "merge_mode='sum') 'bi'", branches((5, 8, 2), CONV1D))
    yield from _both(
        "convlstm1d_regressor",
        "Sequential x (2,6,8,2) -> ConvLSTM1D(4, 3) 'clstm' -> Flatten -> Dense(1) 'head'",
        build_conv1d_regressor)
    yield from _both(
        "convlstm3d_options",
        "x (2,3,4,4,3,1) -> ConvLSTM3D(2, 2, same, return_sequences) 'same_seq'; (2, (2, 2, 1), "
        "strides (2, 1, 1), valid, return_state) 's211_valid_state'; Bidirectional(ConvLSTM3D("
        "2, (1, 2, 2), same)) 'bi'", branches((3, 4, 4, 3, 1), CONV3D))
    yield from _both(
        "convlstm2d_mask_pixels",
        "x (2,4,4,4,2) with zeros at a whole middle frame of row 0 and at pixels of row 1 -> "
        "Masking(0.0) (a (batch, time, 4, 4) mask) -> ConvLSTM2D(2, 3, same, return_sequences) "
        "'c1' -> ConvLSTM2D(2, 2, same, return_sequences, return_state) 'c2': each masked pixel "
        "keeps its state and repeats its output (checked)", build_mask_pixels)
    yield from _both(
        "convlstm2d_mask_frames",
        "x (2,4,5,5,2), frames 2, 3 of row 0 and 1 of row 1 zero -> a (batch, time) mask from "
        "not_equal / any over the frame -> ConvLSTM2D(2, 3, strides 2, valid, return_sequences, "
        "return_state)(x, mask=m) 'clstm' and ConvLSTM2D(2, 2, go_backwards, "
        "return_sequences)(x, mask=m) 'back'", build_mask_frames)
    yield Case("convlstm2d_mask_zero_output",
               "Keras 3: x (2,4,4,4,2) -> Masking(0.0) -> ConvLSTM2D(2, 3, same, "
               "return_sequences, zero_output_for_mask=True) 'clstm', middle frames of row 0 and "
               f"a pixel of row 1 padded: 0 at every masked position (checked); {DRAW}.",
               build_mask_zero_output)
    yield Case("k2_convlstm2d_mask_zero_output_ignored",
               "tf_keras: the same model: tf_keras's ConvRNN never passes zero_output_for_mask "
               f"to its loop, masked positions repeat the previous output (checked); {DRAW}.",
               build_mask_zero_output, fmt="keras2-h5")
    yield Case("convlstm2d_mask_initial_state",
               "Keras 3: x (2,4,4,4,2), h0, c0 (2,4,4,2) -> Masking(0.0) -> ConvLSTM2D(2, 3, same, "
               "return_sequences, return_state)(m, initial_state=[h0, c0]) 'clstm': Keras 3 drops "
               f"the mask of a layer called with initial_state (checked); {DRAW}.",
               build_mask_initial_state)
    yield Case("k2_convlstm2d_mask_initial_state",
               "tf_keras: the same model: tf_keras applies the mask with initial_state "
               f"(checked); {DRAW}.", build_mask_initial_state, fmt="keras2-h5")
    yield from _both(
        "convlstm2d_mask_go_backwards",
        "x (2,4,4,4,2) with padded frames and pixels -> Masking(0.0) -> ConvLSTM2D(2, 3, same, "
        "go_backwards, return_sequences, return_state) 'clstm': masked pixels hold in "
        "processing order (checked)", build_mask_go_backwards)
    yield Case("convlstm2d_unroll_mask_backwards",
               "Keras 3 (tf_keras refuses unroll for ConvLSTM): x (2,4,4,4,2) -> a (batch, time) "
               "frame mask -> ConvLSTM2D(2, 2, same, unroll=True, zero_output_for_mask=True, "
               "go_backwards=True, return_sequences=True)(x, mask=m) 'clstm': the unrolled loop "
               "zeroes the processing-order outputs with the original-order mask (checked); "
               f"{DRAW}.", build_unroll_mask_backwards)
    yield from _both(
        "convlstm_mask_1d_3d",
        "x1 (2,4,6,2) -> Masking(0.0) -> ConvLSTM1D(2, 3, same, return_sequences) 'c1d'; x3 "
        "(2,3,3,3,3,1) -> Masking(0.0) -> ConvLSTM3D(2, 2, same, return_sequences, "
        "return_state) 'c3d': per-position masks of rank 3 and 5 (checked)", build_mask_1d_3d)
    yield Case("bidi_convlstm2d_merge_modes",
               "Keras 3: x (2,4,4,4,2) with a padded middle frame (row 0) and pixel (row 1) -> "
               "Masking(0.0) -> Bidirectional(ConvLSTM2D(2, 2, same, return_sequences)) with "
               "merge_mode concat, sum, mul, ave, None ('bi_concat', ..., 'bi_none'): both "
               f"directions 0 at masked positions (checked); {DRAW}.", build_bidi_merge_modes)
    yield Case("k2_bidi_convlstm2d_merge_modes",
               "tf_keras: the same model: Bidirectional forces zero_output_for_mask, which "
               "tf_keras's ConvRNN ignores, so the forward output repeats at masked positions "
               f"(checked); {DRAW}.", build_bidi_merge_modes, fmt="keras2-h5")
    yield from _both(
        "bidi_convlstm2d_state",
        "x (2,3,4,4,2), h0f, c0f, h0b, c0b (2,4,4,2) -> Bidirectional(ConvLSTM2D(2, 3, same, "
        "return_state))(x, initial_state=[...]) 'bi'; Bidirectional(ConvLSTM2D(2, 2, "
        "return_sequences, return_state), backward_layer=ConvLSTM2D(2, 2, relu, go_backwards, "
        "...), merge_mode='ave') 'bi_back'", build_bidi_state)
    yield Case("bidi_convlstm2d_unroll_mask",
               "Keras 3: x (2,4,4,4,2) -> a (batch, time) frame mask -> Bidirectional(ConvLSTM2D("
               "2, 2, same, unroll=True, return_sequences), merge_mode=None)(x, mask=m) 'bi': the "
               "forced zero_output_for_mask zeroes the unrolled backward outputs in original "
               f"time order; {DRAW}.", build_bidi_unroll_mask)
    yield from _both(
        "next_frame_prediction",
        "Keras's next-frame-prediction example, small: Input((None, 6, 6, 1)) -> "
        "ConvLSTM2D(4, 5, same, return_sequences, relu) 'clstm1' -> BatchNormalization 'bn1' -> "
        "ConvLSTM2D(4, 3, ...) 'clstm2' -> BatchNormalization 'bn2' -> ConvLSTM2D(4, 1, ...) "
        "'clstm3' -> Conv3D(1, 3, sigmoid, same) 'head'; 5 frames", build_next_frame)
    yield from _both(
        "cnn_lstm_video",
        "Sequential clips (2,5,8,8,1) -> TimeDistributed(Conv2D(4, 3, relu)) -> "
        "TimeDistributed(MaxPooling2D(2)) -> TimeDistributed(Flatten) -> LSTM(6) -> "
        "Dense(3, softmax) 'head'", build_cnn_lstm_video)
    yield from _both(
        "conv2d_options",
        "x (2,6,5,4) -> Conv2D(3, (3, 2), use_bias False, tanh) 'valid_nobias_tanh'; (2, 2, same) "
        "'same_even'; (2, 3, dilation 2, same, relu) 'dilated_same'; (3, (2, 3), strides (1, 2)) "
        "'strides_valid'; (4, 3, groups 2, same) 'groups_same'", branches((6, 5, 4), CONV2D))
    yield from _both(
        "conv3d_options",
        "x (2,4,5,3,4) -> Conv3D(2, 2, strides 2, same, relu) 'same_strides'; (3, (2, 2, 1), "
        "dilation (1, 2, 1), same) 'dilated_same'; (2, (1, 2, 2), groups 2, use_bias False) "
        "'groups_nobias'; (2, (3, 5, 3)) 'valid_kernel_eq' (a kernel as large as two axes)",
        branches((4, 5, 3, 4), CONV3D_LAYERS))
    yield Case("pool3d",
               "Keras 3: x (2,4,5,4,3) -> Conv3D(2, 1) 'proj' -> MaxPooling3D() 'max_default'; "
               "((2, 3, 2), strides (1, 2, 1), same) 'max_same'; AveragePooling3D((2, 2, 3), "
               "strides (2, 1, 1)) 'avg_valid'; (3, strides 2, same) 'avg_same'; "
               "GlobalMax/AveragePooling3D plain, keepdims, channels_first; MaxPooling3D(2, same, "
               f"channels_first) 'max_cf', AveragePooling3D((1, 2, 2), channels_first) 'avg_cf'; "
               f"{DRAW}.", branches((4, 5, 4, 3), pool3d(True)))
    yield Case("k2_pool3d",
               "tf_keras: the same branches except the channels_first 3-D poolings (tf_keras "
               f"pools NCDHW directly, which TensorFlow's CPU kernel refuses); {DRAW}.",
               branches((4, 5, 4, 3), pool3d(False)), fmt="keras2-h5")
    yield from _both(
        "spatial2d",
        "x (2,4,5,3) -> Conv2D(2, 1) 'proj' -> ZeroPadding2D() 'pad_default', (((1, 2), (0, 3))) "
        "'pad_pairs', ((2, 1), channels_first) 'pad_cf'; Cropping2D(((1, 0), (2, 1))) "
        "'crop_pairs', (1) 'crop_int', (((0, 1), (0, 1)), channels_first) 'crop_cf'; "
        "UpSampling2D() 'up_default', ((2, 3)) 'up_nearest', ((2, 3), bilinear) 'up_bilinear', "
        "(3, bilinear) 'up_bilinear3', ((3, 1), channels_first) 'up_cf'",
        branches((4, 5, 3), SPATIAL2D))
    yield from _both(
        "spatial3d",
        "x (2,3,4,3,2) -> Conv3D(2, 1) 'proj' -> ZeroPadding3D() 'pad_default', "
        "(((1, 0), (0, 2), (1, 1))) 'pad_pairs', (1, channels_first) 'pad_cf'; "
        "Cropping3D(((1, 0), (0, 1), (1, 0))) 'crop_pairs', ((0, 1, 0)) 'crop_int'; "
        "UpSampling3D() 'up_default', ((1, 2, 3)) 'up_size', ((2, 1, 1), channels_first) 'up_cf'",
        branches((3, 4, 3, 2), SPATIAL3D))
    yield from _both(
        "batch_norm_4d_5d",
        "x4 (2,4,3,2), x5 (2,3,4,3,2), both x * 3 + 1 -> BatchNormalization axis -1, 1 "
        "(epsilon 0.01), 2 (center and scale False) on each, and axis 3 on x5",
        build_batch_norm_4d_5d)
    yield from _both(
        "shape_5d",
        "x (2,3,4,2,3) -> Conv3D(2, 1) 'proj' -> Flatten 'flat', Flatten(channels_first) "
        "'flat_cf', Reshape((4, 3, -1)) 'reshape', Reshape((-1,)) 'reshape_flat', "
        "Permute((4, 1, 3, 2)) 'permute', Permute((1, 2, 3, 4)) 'permute_id'",
        branches((3, 4, 2, 3), SHAPE5D))
    yield from _both(
        "td_spatial",
        "x (2,3,6,5,2) -> TimeDistributed(Conv2D(3, 3, same)) 'proj' -> TimeDistributed around "
        "Conv2D(2, 2, strides 2), DepthwiseConv2D(2, multiplier 2, same), SeparableConv2D(2, 2), "
        "Conv2DTranspose(2, 2, strides 2), MaxPooling2D(), AveragePooling2D(3, strides 2, same), "
        "GlobalMaxPooling2D, GlobalAveragePooling2D, UpSampling2D(bilinear), UpSampling2D((1, 2)), "
        "ZeroPadding2D(((0, 1), (2, 0))), Cropping2D(((1, 1), (0, 2))), BatchNormalization, "
        "Flatten, Reshape((5, -1)), Permute((3, 1, 2))", build_td_spatial)
    yield from _both(
        "td_spatial3d",
        "x (2,2,4,4,3,2) -> TimeDistributed(Conv3D(3, 1)) 'proj' -> TimeDistributed around "
        "Conv3D(2, 2, same), MaxPooling3D(), AveragePooling3D(2, strides (1, 2, 2), same), "
        "GlobalAveragePooling3D, UpSampling3D((1, 1, 2)), ZeroPadding3D((0, 1, 1)), "
        "Cropping3D(((1, 0), (0, 1), (1, 1)))", build_td_spatial3d)
    chain = ("x2 (2,3,6,6,2) -> ConvLSTM2D 'clstm2d' -> TimeDistributed ZeroPadding2D 'pad2d', "
             "Cropping2D 'crop2d', UpSampling2D 'up2d', MaxPooling2D 'pool2d', Conv2D 'conv2d' -> "
             "Bidirectional(ConvLSTM2D) 'bi' -> GlobalAveragePooling2D; x1 (2,3,8,2) -> ConvLSTM1D "
             "'clstm1d'; x3 (2,2,4,4,4,1) -> ConvLSTM3D 'clstm3d' -> TimeDistributed ZeroPadding3D "
             "'pad3d', Cropping3D 'crop3d', UpSampling3D 'up3d', AveragePooling3D 'pool3d', "
             "Conv3D 'conv3d' -> Flatten; Concatenate -> Dense 'head'")
    yield Case("k3w_convlstm_chain",
               f"Keras 3 save_weights('model.weights.h5') + model.to_json() in /model/config: "
               f"{chain}; {DRAW}.", build_chain, fmt="keras3-weights")
    yield Case("k2w_convlstm_chain",
               f"tf_keras save_weights('model_weights.h5') (legacy Keras 2 weights-only HDF5) + "
               f"model.to_json() in /model/config: {chain}; {DRAW}.", build_chain,
               fmt="keras2-weights")
    yield Case("k3h5_convlstm_chain", f"Keras 3 model.save('model.h5') (legacy HDF5): {chain}; "
               f"{DRAW}.", build_chain, fmt="keras3-legacy-h5")
