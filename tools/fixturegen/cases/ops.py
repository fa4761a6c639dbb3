"""Ops inside graphs: Keras 3 op nodes (`keras.ops.*` and the Python operators on KerasTensors)
and their tf.keras twins, TFOpLambda / SlicingOpLambda layers written by calling `tf.*`
functions and operators on KerasTensors; masks computed by ops and passed as `mask=`; a mask
dropped at an op; two everyday models (mean over time next to the last step).

Every case is a pair: `ops_<what>` (Keras 3, .keras) and `k2_ops_<what>` (tf.keras, full-model
.h5). Op nodes cannot be given names: Keras names them from the class (Keras 3: `add`,
`add_1`, ...; tf.keras: `tf.math.add`, `tf.__operators__.add_1`, ...), counting from zero after
each case's clear_session, so the names in a fixture are those of its own file. Outputs that are
booleans or integers are cast to float32 (fixture outputs are float32) and named
`<op>/float32`; a case whose outputs are all 0/1 has no float64 reference (its values are exact
in any precision)."""

import numpy as np

from ..builders import B, D, K2W, RB, T, U, bias_kw, check_equal, finish, is_keras3, randn, \
    rnn_names
from ..case import Built, Case
from .masking import MB, MT, PAD, _check_mask_semantics, check_zero_where_masked, \
    mask_from_rows, pad_inputs


def op_name(t):
    """The name of the op (Keras 3) or op layer (tf.keras) that produced KerasTensor t."""
    history = t._keras_history
    return (getattr(history, "operation", None) or history.layer).name


def named(t, what="output"):
    return f"{op_name(t)}/{what}"


def as_float(K, t):
    """(t as float32, its output name `<op>/float32`): for boolean and integer op results."""
    if is_keras3(K):
        return K.ops.cast(t, "float32"), named(t, "float32")
    import tensorflow as tf
    return tf.cast(t, tf.float32), named(t, "float32")


def model_of(K, rng, pairs, outputs, names=None):
    """Functional model 'model' on the (Input, array) pairs; outputs named from their ops
    unless names are given. tf.keras models get numpy weights (finish)."""
    model = K.Model([p[0] for p in pairs], outputs, name="model")
    finish(K, model, rng)
    return Built(model, [p[1] for p in pairs], names or [named(o) for o in outputs])


def positive(rng, *shape, low=0.5, high=2.0):
    return rng.uniform(low, high, shape).astype(np.float32)


def steps(rng, *shape):
    """Values in {-1, -0.5, 0, 0.5, 1}: comparisons meet ties and exact zeros."""
    return (rng.integers(-2, 3, size=shape) * 0.5).astype(np.float32)


def tokens(rng, *shape):
    return rng.integers(0, 10, size=shape).astype(np.int32)


# --------------------------------------------------------------------------------------------
# Arithmetic: tensors or constants on either side, int and float constants, broadcasting
# --------------------------------------------------------------------------------------------

def twin(inputs, keras3, tf_keras, cast=0):
    """The builder of a case pair: Inputs (name, shape without the batch, draw, dtype) created
    in order and drawn in order as draw(rng, B, *shape); outputs keras3(keras.ops, *inputs) in
    Keras 3 and tf_keras(tf, *inputs) in tf.keras, the first `cast` of them (True: all)
    booleans or integers cast to float32."""
    def build(K, rng):
        xs = [K.Input(shape, name=name, dtype=dtype) for name, shape, _, dtype in inputs]
        pairs = [(x, draw(rng, B, *shape)) for x, (_, shape, draw, _) in zip(xs, inputs)]
        if is_keras3(K):
            outs = list(keras3(K.ops, *xs))
        else:
            import tensorflow as tf
            outs = list(tf_keras(tf, *xs))
        n = len(outs) if cast is True else cast
        casts = [as_float(K, o) for o in outs[:n]]
        return model_of(K, rng, pairs, [c[0] for c in casts] + outs[n:],
                        [c[1] for c in casts] + [named(o) for o in outs[n:]])
    return build


def inp(name, shape, draw=randn, dtype="float32"):
    return (name, shape, draw, dtype)


def doubled(rng, *shape):
    return randn(rng, *shape) * np.float32(2)


def with_zeros(rng, *shape):
    """Standard normal times 2.5, step 1 of row 0 exactly 0 (a cast to bool gives False)."""
    x = randn(rng, *shape) * np.float32(2.5)
    x[0, 1] = 0.0
    return x


X = inp("x", (T, D))


def no_keras3(o, *xs):
    raise AssertionError("a tf.keras-only case has no Keras 3 model")


# --------------------------------------------------------------------------------------------
# Arithmetic: tensors or constants on either side, int and float constants, broadcasting
# --------------------------------------------------------------------------------------------

build_add_sub = twin(
    [X, inp("y", (1, D))],
    lambda o, x, y: [o.add(x, 1.0), o.add(2, x), o.subtract(x, y), 2.5 - x, x + y],
    lambda tf, x, y: [x + 0.1, tf.add(x, 2.0), tf.subtract(x, y), x - 0.3, x + y])

build_mul_div = twin(
    [X, inp("y", (T, 1), positive)],
    lambda o, x, y: [o.multiply(x, 3), o.multiply(0.5, x), x * y, o.divide(x, y),
                     o.true_divide(1, y), x / 4],
    lambda tf, x, y: [x * 3, tf.math.multiply(x, 0.5), x * y, tf.math.divide(x, y),
                      tf.math.truediv(y, x), x / 4])

build_power_negative = twin(
    [X, inp("y", (T, D), positive)],
    lambda o, x, y: [o.power(x, 2), o.power(y, 0.5), o.power(2.0, x), y ** x, o.negative(x), -y],
    lambda tf, x, y: [x ** 2, tf.math.pow(y, 0.5), tf.math.pow(y, x), tf.math.negative(x), -y])

# tf.keras only: a constant first argument, written ['_CONSTANT_VALUE', -1, value, kwargs]
# with the tensor in the kwargs.
build_constant_first = twin(
    [X, inp("y", (T, D), positive)], no_keras3,
    lambda tf, x, y: [tf.add(2.0, x), 2.5 - x, 1.5 + x, 0.5 * x, tf.math.truediv(1.0, y),
                      2.0 ** x, tf.math.maximum(0.0, x), tf.math.minimum(0.1, y)])

# int32 tokens with int and float constants: int op int stays int, int op float and true
# division give floats.
build_int_const = twin(
    [inp("t", (T,), tokens, "int32")],
    lambda o, t: [o.add(t, 1), o.multiply(t, 0.5), o.true_divide(t, 4), o.subtract(3, t)],
    lambda tf, t: [t + 1, tf.math.truediv(t, 4), 3 - t, tf.math.multiply(t, 2)],
    cast=True)


# --------------------------------------------------------------------------------------------
# Element-wise functions, softmax
# --------------------------------------------------------------------------------------------

def positive_wide(rng, *shape):
    return positive(rng, *shape, low=0.2, high=3.0)


build_unary_math = twin(
    [X, inp("y", (T, D), positive_wide)],
    lambda o, x, y: [o.abs(x), o.square(x), o.sqrt(y), o.exp(x), o.log(y), abs(x)],
    lambda tf, x, y: [tf.abs(x), tf.square(x), tf.sqrt(y), tf.exp(x), tf.math.log(y), abs(x)])

build_unary_act = twin(
    [inp("x", (T, D), doubled)],
    lambda o, x: [o.tanh(x), o.sigmoid(x), o.relu(x)],
    lambda tf, x: [tf.tanh(x), tf.sigmoid(x), tf.nn.relu(x)])

build_softmax = twin(
    [inp("x", (T, D), doubled)],
    lambda o, x: [o.softmax(x), o.softmax(x, axis=1), o.log_softmax(x), o.log_softmax(x, axis=-2)],
    lambda tf, x: [tf.nn.softmax(x), tf.nn.softmax(x, axis=1), tf.nn.log_softmax(x),
                   tf.math.log_softmax(x, axis=-2)])


# --------------------------------------------------------------------------------------------
# Reductions
# --------------------------------------------------------------------------------------------

build_reduce = twin(
    [X],
    lambda o, x: [o.mean(x, axis=1), o.mean(x, axis=[1, 2]), o.sum(x, axis=-1, keepdims=True),
                  o.sum(x, axis=(1, 2))],
    lambda tf, x: [tf.reduce_mean(x, axis=1), tf.reduce_mean(x, [1, 2]),
                   tf.reduce_sum(x, -1, keepdims=True), tf.math.reduce_sum(x, axis=(1, 2))])

build_max_min = twin(
    [X],
    lambda o, x: [o.max(x, axis=1), o.min(x, axis=[-2, -1], keepdims=True), o.max(x, axis=-1)],
    lambda tf, x: [tf.reduce_max(x, axis=1), tf.reduce_min(x, axis=[-2, -1], keepdims=True),
                   tf.math.reduce_max(x, axis=-1)])

build_any_all = twin(
    [inp("a", (T, D), steps)],
    lambda o, a: [o.any(o.greater(a, 0.5), axis=-1),
                  o.all(o.greater(a, -1), axis=1, keepdims=True),
                  o.any(o.less(a, -0.5), axis=[1, 2])],
    lambda tf, a: [tf.reduce_any(a > 0.5, axis=-1), tf.reduce_all(a > -1, axis=1, keepdims=True),
                   tf.reduce_any(a < -0.5, axis=[1, 2])],
    cast=True)


# --------------------------------------------------------------------------------------------
# Joining and reshaping
# --------------------------------------------------------------------------------------------

build_concat_stack = twin(
    [X, inp("z", (T, 2)), inp("w", (3, D)), inp("v", (T, D))],
    lambda o, x, z, w, v: [o.concatenate([x, z], axis=-1), o.concatenate([x, w], axis=1),
                           o.stack([x, v], axis=1), o.stack([x, v, x], axis=-1)],
    lambda tf, x, z, w, v: [tf.concat([x, z], axis=-1), tf.concat([x, w], 1),
                            tf.stack([x, v], axis=1), tf.stack([x, v, x], axis=-1)])

build_expand_squeeze = twin(
    [X, inp("s", (1, D, 1))],
    lambda o, x, s: [o.expand_dims(x, 1), o.expand_dims(x, -1), o.squeeze(s, axis=1),
                     o.squeeze(s, axis=-1), o.squeeze(s)],
    lambda tf, x, s: [tf.expand_dims(x, 1), tf.expand_dims(x, -1), tf.squeeze(s, axis=1),
                      tf.squeeze(s, -1), tf.squeeze(s)])

build_reshape_transpose = twin(
    [X, inp("q", (2, T, D))],
    lambda o, x, q: [o.reshape(x, (-1, T * D)), o.reshape(x, (-1, D, T)),
                     o.transpose(x, (0, 2, 1)), o.transpose(q, (0, 3, 1, 2)),
                     o.reshape(q, (-1, 2, T * D))],
    lambda tf, x, q: [tf.reshape(x, (-1, T * D)), tf.reshape(x, [-1, D, T]),
                      tf.transpose(x, [0, 2, 1]), tf.transpose(q, perm=[0, 3, 1, 2]),
                      tf.linalg.matrix_transpose(q)])


def _matmul_keras3(o, x, w, v):
    xt = o.transpose(x, (0, 2, 1))
    return [o.matmul(x, w), o.matmul(x, xt), xt @ v]


build_matmul = twin(
    [X, inp("w", (D, 4)), inp("v", (T, 4))], _matmul_keras3,
    lambda tf, x, w, v: [tf.matmul(x, w), tf.linalg.matmul(x, x, transpose_b=True),
                         tf.linalg.matmul(x, v, transpose_a=True)])


# --------------------------------------------------------------------------------------------
# Slicing: start / stop / step, negative indices and steps, integer indices, None, Ellipsis
# (the same Python in both: KerasTensor.__getitem__)
# --------------------------------------------------------------------------------------------

def _slices(_, x):
    return [x[:, 1:4:2], x[:, ::-1], x[:, 4:0:-2], x[:, -10:2], x[:, -3:-1, ::2]]


def _indices(_, x):
    return [x[:, -1, :], x[:, 2], x[..., None, 1:3], x[:, None], x[..., -1], x[:, 1, None, ...]]


build_getitem_slices = twin([X], _slices, _slices)
build_getitem_index = twin([X], _indices, _indices)


# --------------------------------------------------------------------------------------------
# Comparisons, logic, cast, where, clip, maximum / minimum
# --------------------------------------------------------------------------------------------

build_compare = twin(
    [inp("a", (T, D), steps), inp("b", (T, D), steps)],
    lambda o, a, b: [o.equal(a, b), o.not_equal(a, 0), a > b, o.less(a, 0.5),
                     o.logical_and(o.greater(a, 0), b < 0.5),
                     o.logical_or(o.equal(a, b), b > 0.5)],
    lambda tf, a, b: [tf.math.equal(a, b), tf.math.not_equal(a, 0), a > b, tf.math.less(a, 0.5),
                      tf.math.logical_and(tf.math.greater(a, 0), b < 0.5),
                      tf.math.logical_or(tf.math.equal(a, b), b > 0.5)],
    cast=True)

build_cast = twin(
    [inp("x", (T, D), with_zeros), inp("t", (T,), tokens, "int32")],
    lambda o, x, t: [o.cast(x, "int32"), o.cast(x, "bool"), o.cast(t, "float32")],
    lambda tf, x, t: [tf.cast(x, tf.int32), tf.cast(x, tf.bool), tf.cast(t, "float32")],
    cast=2)

build_where_clip = twin(
    [X, inp("y", (T, D))],
    lambda o, x, y: [o.where(o.greater(x, 0), x, 0.5), o.where(o.less(y, 0), x, y),
                     o.clip(x, -0.5, 0.5), o.maximum(x, y), o.minimum(x, 0.1), o.maximum(0, y)],
    lambda tf, x, y: [tf.where(x > 0, x, 0.5), tf.where(tf.math.less(y, 0), x, y),
                      tf.clip_by_value(x, -0.5, 0.5), tf.math.maximum(x, y),
                      tf.math.minimum(x, 0.1)])


# --------------------------------------------------------------------------------------------
# Masks computed by ops, a mask dropped at an op
# --------------------------------------------------------------------------------------------

def mask_input_builder(kind):
    """x (MB, MT, D), NOT zero at masked steps, and m (MB, MT) float32 with real zeros
    (padding PAD['mixed']) and nonzero values elsewhere; mask = not_equal(m, 0) as an op,
    passed as rnn(x, mask=mask). kind: LSTM / GRU / SimpleRNN (return_sequences and
    return_state) or Bidirectional (around LSTM, return_sequences)."""
    def build(K, rng):
        mask = mask_from_rows(PAD["mixed"])
        x, m = K.Input((MT, D), name="x"), K.Input((MT,), name="m")
        if is_keras3(K):
            computed = K.ops.not_equal(m, 0)
        else:
            import tensorflow as tf
            computed = tf.math.not_equal(m, 0)
        if kind == "Bidirectional":
            layer = K.layers.Bidirectional(
                K.layers.LSTM(U, return_sequences=True, name="lstm", **bias_kw(K)), name="bi")
            names = ["bi/output"]
        else:
            layer = getattr(K.layers, kind)(U, return_sequences=True, return_state=True,
                                            name="rnn", **bias_kw(K))
            names = rnn_names("rnn", kind, True)
        model = K.Model([x, m], layer(x, mask=computed), name="model")
        finish(K, model, rng)
        mv = rng.integers(1, 10, size=(MB, MT)).astype(np.float32)
        mv[~mask] = 0.0
        built = Built(model, [randn(rng, MB, MT, D), mv], names)
        built.checks.append(check_zero_where_masked(
            "Bidirectional sequence output is 0 at masked steps", 0, mask)
            if kind == "Bidirectional" else _check_mask_semantics(mask, True, True, False))
        return built
    return build


def build_mask_dropped(K, rng):
    """Masking 'mask' -> multiply by 2.0 (an op) -> LSTM 'rnn': the op's output carries no
    mask, so the LSTM runs unmasked."""
    mask = mask_from_rows(PAD["mixed"])
    x = K.Input((MT, D), name="x")
    h = K.layers.Masking(0.0, name="mask")(x)
    h = K.ops.multiply(h, 2.0) if is_keras3(K) else h * 2.0
    lstm = K.layers.LSTM(U, return_sequences=True, name="rnn", **bias_kw(K))
    model = K.Model(x, lstm(h), name="model")
    finish(K, model, rng)
    xs = [pad_inputs(randn(rng, MB, MT, D), mask)]
    doubled = xs[0] * np.float32(2)
    plain = K.Sequential([K.Input((MT, D), name="x_ref"),
                          K.layers.LSTM(U, return_sequences=True, name="plain")], name="plain")
    masked = K.Sequential([K.Input((MT, D), name="x_masked"), K.layers.Masking(0.0, name="m2"),
                           K.layers.LSTM(U, return_sequences=True, name="masked")], name="masked")
    plain.set_weights(model.get_weights())
    masked.set_weights(model.get_weights())
    unmasked = np.asarray(plain(doubled, training=False))
    with_mask = np.asarray(masked(doubled, training=False))

    def differs(outs):
        d = float(np.max(np.abs(outs[0] - with_mask)))
        return d > 1e-3, f"max|output - masked LSTM's| = {d:.3g}"
    return Built(model, xs, ["rnn/output"], checks=[
        check_equal("equals the unmasked LSTM on 2x (the op dropped the mask)", [unmasked]),
        ("differs from an LSTM that gets the mask", differs)])


# --------------------------------------------------------------------------------------------
# Everyday models
# --------------------------------------------------------------------------------------------

def build_mean_last(K, rng):
    """LSTM 'rnn' sequences h -> concatenate([mean of h over time, h[:, -1, :]]) -> Dense
    'head'."""
    x = K.Input((T, D), name="x")
    h = K.layers.LSTM(U, return_sequences=True, name="rnn", **bias_kw(K))(x)
    if is_keras3(K):
        feats = K.ops.concatenate([K.ops.mean(h, axis=1), h[:, -1, :]], axis=-1)
    else:
        import tensorflow as tf
        feats = tf.concat([tf.reduce_mean(h, axis=1), h[:, -1, :]], axis=-1)
    head = K.layers.Dense(2, name="head", **bias_kw(K))(feats)
    return model_of(K, rng, [(x, randn(rng, B, T, D))], [feats, head])


def build_config(K, rng):
    """An LSTM 'rnn' followed by the ops whose config fields tests/OpsConfigTests mutates."""
    x = K.Input((T, D), name="x")
    h = K.layers.LSTM(U, return_sequences=True, name="rnn", **bias_kw(K))(x)
    if is_keras3(K):
        o = K.ops
        outs = [o.mean(h, axis=1), o.reshape(h, (-1, T * U)), h[:, 1:4:2, 0],
                o.squeeze(o.expand_dims(h, 1), axis=1), o.softmax(h, axis=1),
                o.concatenate([h, x], axis=-1), o.transpose(h, (0, 2, 1)), o.clip(h, -0.25, 0.25)]
    else:
        import tensorflow as tf
        outs = [tf.reduce_mean(h, axis=1), tf.reshape(h, (-1, T * U)), h[:, 1:4:2, 0],
                tf.squeeze(tf.expand_dims(h, 1), axis=1), tf.nn.softmax(h, axis=1),
                tf.concat([h, x], axis=-1), tf.transpose(h, [0, 2, 1]),
                tf.clip_by_value(h, -0.25, 0.25)]
    return model_of(K, rng, [(x, randn(rng, B, T, D))], outs)


# --------------------------------------------------------------------------------------------

K3_ = "Keras 3 op nodes"
TF_ = "tf.keras TFOpLambda / SlicingOpLambda layers"


def _pair(name, k3_what, k2_what, build, **kw):
    """The Keras 3 case `ops_<name>` and its tf.keras twin `k2_ops_<name>`."""
    yield Case(f"ops_{name}", f"{K3_}: {k3_what}", build, **kw)
    yield Case(f"k2_ops_{name}", f"{TF_}: {k2_what}", build, fmt="keras2-h5", **kw)


# No float64 reference: the outputs are 0/1 or small integers and halves (exact in any
# precision), or elements of the float32 inputs, picked or moved (slicing, reshaping, max, where)
# and so already float32 values: writer.run_float64 rightly refuses a clone whose outputs look
# like float32 values.
EXACT = dict(float64=False)


def cases():
    x = f"x ({B},{T},{D}) standard normal"
    yield from _pair(
        "add_sub",
        f"{x}, y ({B},1,{D}); outputs add(x, 1.0), add(2, x) (int constant on the left), "
        f"subtract(x, y) (broadcast over time), 2.5 - x (operator: Subtract(2.5, x)), x + y.",
        f"{x}, y ({B},1,{D}); outputs x + 0.1 (__operators__.add), tf.add(x, 2.0) (math.add), "
        f"tf.subtract(x, y) (a tensor in kwargs), x - 0.3 (math.subtract), x + y.",
        build_add_sub)
    yield from _pair(
        "mul_div",
        f"{x}, y ({B},{T},1) U(0.5, 2); outputs multiply(x, 3), multiply(0.5, x), x * y "
        f"(broadcast over features), divide(x, y), true_divide(1, y), x / 4 (TrueDivide).",
        f"{x}, y ({B},{T},1) U(0.5, 2); outputs x * 3 (math.multiply), tf.math.multiply(x, "
        f"0.5), x * y, tf.math.divide(x, y) (math.truediv), tf.math.truediv(y, x), x / 4.",
        build_mul_div)
    yield from _pair(
        "power_negative",
        f"{x}, y ({B},{T},{D}) U(0.5, 2); outputs power(x, 2) (negative bases), power(y, 0.5), "
        f"power(2.0, x), y ** x, negative(x), -y.",
        f"{x}, y ({B},{T},{D}) U(0.5, 2); outputs x ** 2 (math.pow), tf.math.pow(y, 0.5), "
        f"tf.math.pow(y, x), tf.math.negative(x), -y.",
        build_power_negative)
    yield Case(
        "k2_ops_constant_first",
        f"{TF_}: {x}, y ({B},{T},{D}) U(0.5, 2); outputs tf.add(2.0, x) (math.add), 2.5 - x "
        f"(math.subtract), 1.5 + x (__operators__.add), 0.5 * x (math.multiply), "
        f"tf.math.truediv(1.0, y), 2.0 ** x (math.pow), tf.math.maximum(0.0, x), "
        f"tf.math.minimum(0.1, y): each node is ['_CONSTANT_VALUE', -1, value, kwargs] with "
        f"the tensor in kwargs. No float64 reference: tf.keras turns the constant into a "
        f"float32 tensor even in a float64 model, so the float64 clone fails.",
        build_constant_first, fmt="keras2-h5", float64=False)
    yield from _pair(
        "int_const",
        f"int32 t ({B},{T}) in 0..9; add(t, 1) (int), multiply(t, 0.5) (float), "
        f"true_divide(t, 4) (float), subtract(3, t) (int), each cast to float32.",
        f"int32 t ({B},{T}) in 0..9; t + 1 (int32), tf.math.truediv(t, 4) (float64 in TF), "
        f"3 - t (int32, _CONSTANT_VALUE), tf.math.multiply(t, 2), each cast to float32.",
        build_int_const, **EXACT)
    yield from _pair(
        "unary_math",
        f"{x}, y ({B},{T},{D}) U(0.2, 3); outputs abs(x), square(x), sqrt(y), exp(x), log(y), "
        f"abs(x) by the Python builtin (Absolute).",
        f"{x}, y ({B},{T},{D}) U(0.2, 3); outputs tf.abs(x), tf.square(x), tf.sqrt(y), "
        f"tf.exp(x), tf.math.log(y), abs(x) (math.abs).",
        build_unary_math)
    yield from _pair(
        "unary_act",
        f"x ({B},{T},{D}) standard normal times 2; outputs tanh(x), sigmoid(x), relu(x).",
        f"x ({B},{T},{D}) standard normal times 2; outputs tf.tanh(x), tf.sigmoid(x), "
        f"tf.nn.relu(x).",
        build_unary_act)
    yield from _pair(
        "softmax",
        f"x ({B},{T},{D}) standard normal times 2; outputs softmax(x) (axis -1), softmax(x, "
        f"axis=1), log_softmax(x), log_softmax(x, axis=-2).",
        f"x ({B},{T},{D}) standard normal times 2; outputs tf.nn.softmax(x) (no axis), "
        f"tf.nn.softmax(x, axis=1), tf.nn.log_softmax(x), tf.math.log_softmax(x, axis=-2).",
        build_softmax)
    yield from _pair(
        "reduce",
        f"{x}; outputs mean(x, axis=1), mean(x, axis=[1, 2]), sum(x, axis=-1, keepdims=True), "
        f"sum(x, axis=(1, 2)).",
        f"{x}; outputs tf.reduce_mean(x, axis=1) (math.reduce_mean), tf.reduce_mean(x, [1, 2]), "
        f"tf.reduce_sum(x, -1, keepdims=True), tf.math.reduce_sum(x, axis=(1, 2)).",
        build_reduce)
    yield from _pair(
        "max_min",
        f"{x}; outputs max(x, axis=1), min(x, axis=[-2, -1], keepdims=True), max(x, axis=-1).",
        f"{x}; outputs tf.reduce_max(x, axis=1), tf.reduce_min(x, axis=[-2, -1], "
        f"keepdims=True), tf.math.reduce_max(x, axis=-1).",
        build_max_min, **EXACT)
    a = f"a ({B},{T},{D}) in {{-1, -0.5, 0, 0.5, 1}}"
    yield from _pair(
        "any_all",
        f"{a}; any(greater(a, 0.5), axis=-1), all(greater(a, -1), axis=1, keepdims=True), "
        f"any(less(a, -0.5), axis=[1, 2]), each cast to float32.",
        f"{a}; tf.reduce_any(a > 0.5, axis=-1), tf.reduce_all(a > -1, axis=1, keepdims=True), "
        f"tf.reduce_any(a < -0.5, axis=[1, 2]), each cast to float32.",
        build_any_all, **EXACT)
    yield from _pair(
        "concat_stack",
        f"{x}, z ({B},{T},2), w ({B},3,{D}), v ({B},{T},{D}); outputs concatenate([x, z], "
        f"axis=-1), concatenate([x, w], axis=1), stack([x, v], axis=1), stack([x, v, x], "
        f"axis=-1).",
        f"{x}, z ({B},{T},2), w ({B},3,{D}), v ({B},{T},{D}); outputs tf.concat([x, z], "
        f"axis=-1), tf.concat([x, w], 1), tf.stack([x, v], axis=1), tf.stack([x, v, x], "
        f"axis=-1) (a list first argument: one entry per tensor).",
        build_concat_stack, **EXACT)
    yield from _pair(
        "expand_squeeze",
        f"{x}, s ({B},1,{D},1); outputs expand_dims(x, 1), expand_dims(x, -1), squeeze(s, "
        f"axis=1), squeeze(s, axis=-1), squeeze(s) (every axis of extent 1).",
        f"{x}, s ({B},1,{D},1); outputs tf.expand_dims(x, 1), tf.expand_dims(x, -1), "
        f"tf.squeeze(s, axis=1) (compat.v1.squeeze), tf.squeeze(s, -1), tf.squeeze(s).",
        build_expand_squeeze, **EXACT)
    yield from _pair(
        "reshape_transpose",
        f"{x}, q ({B},2,{T},{D}); outputs reshape(x, (-1, {T * D})), reshape(x, (-1, {D}, "
        f"{T})), transpose(x, (0, 2, 1)), transpose(q, (0, 3, 1, 2)), reshape(q, (-1, 2, "
        f"{T * D})).",
        f"{x}, q ({B},2,{T},{D}); outputs tf.reshape(x, (-1, {T * D})), tf.reshape(x, [-1, {D}, "
        f"{T}]), tf.transpose(x, [0, 2, 1]) (compat.v1.transpose), tf.transpose(q, perm=[0, 3, "
        f"1, 2]), tf.linalg.matrix_transpose(q) (the last two axes).",
        build_reshape_transpose, **EXACT)
    yield from _pair(
        "matmul",
        f"{x}, w ({B},{D},4), v ({B},{T},4); xt = transpose(x, (0, 2, 1)); outputs matmul(x, "
        f"w), matmul(x, xt), xt @ v (operator: Matmul).",
        f"{x}, w ({B},{D},4), v ({B},{T},4); outputs tf.matmul(x, w) (linalg.matmul, b in "
        f"kwargs), tf.linalg.matmul(x, x, transpose_b=True), tf.linalg.matmul(x, v, "
        f"transpose_a=True).",
        build_matmul)
    yield from _pair(
        "getitem_slices",
        f"{x}; GetItem outputs x[:, 1:4:2], x[:, ::-1], x[:, 4:0:-2], x[:, -10:2] (start "
        f"clamped), x[:, -3:-1, ::2].",
        f"{x}; SlicingOpLambda (__operators__.getitem, slice_spec) outputs x[:, 1:4:2], "
        f"x[:, ::-1], x[:, 4:0:-2], x[:, -10:2], x[:, -3:-1, ::2].",
        build_getitem_slices, **EXACT)
    yield from _pair(
        "getitem_index",
        f"{x}; GetItem outputs x[:, -1, :], x[:, 2], x[..., None, 1:3], x[:, None], x[..., -1], "
        f"x[:, 1, None, ...].",
        f"{x}; SlicingOpLambda outputs x[:, -1, :], x[:, 2], x[..., None, 1:3], x[:, None], "
        f"x[..., -1], x[:, 1, None, ...].",
        build_getitem_index, **EXACT)
    b = f"b ({B},{T},{D}) likewise"
    yield from _pair(
        "compare",
        f"{a}, {b}; equal(a, b), not_equal(a, 0), a > b (Greater), less(a, 0.5), "
        f"logical_and(greater(a, 0), b < 0.5), logical_or(equal(a, b), b > 0.5), each cast to "
        f"float32.",
        f"{a}, {b}; tf.math.equal(a, b), tf.math.not_equal(a, 0), a > b (math.greater), "
        f"tf.math.less(a, 0.5), tf.math.logical_and(tf.math.greater(a, 0), b < 0.5), "
        f"tf.math.logical_or(tf.math.equal(a, b), b > 0.5), each cast to float32.",
        build_compare, **EXACT)
    yield from _pair(
        "cast",
        f"x ({B},{T},{D}) standard normal times 2.5 with x[0, 1] = 0, int32 t ({B},{T}); "
        f"cast(x, 'int32') (toward zero), cast(x, 'bool'), both cast to float32, and cast(t, "
        f"'float32').",
        f"x ({B},{T},{D}) standard normal times 2.5 with x[0, 1] = 0, int32 t ({B},{T}); "
        f"tf.cast(x, tf.int32), tf.cast(x, tf.bool), both cast to float32, and tf.cast(t, "
        f"'float32').",
        build_cast, **EXACT)
    yield from _pair(
        "where_clip",
        f"{x}, y likewise; outputs where(greater(x, 0), x, 0.5), where(less(y, 0), x, y), "
        f"clip(x, -0.5, 0.5), maximum(x, y), minimum(x, 0.1), maximum(0, y).",
        f"{x}, y likewise; outputs tf.where(x > 0, x, 0.5), tf.where(tf.math.less(y, 0), x, y) "
        f"(tensors in kwargs), tf.clip_by_value(x, -0.5, 0.5), tf.math.maximum(x, y), "
        f"tf.math.minimum(x, 0.1).",
        build_where_clip, **EXACT)

    pads = "/".join(PAD["mixed"])
    sep = (f"x ({MB},{MT},{D}) (NOT zero at masked steps) and m ({MB},{MT}) float32, 0 where "
           f"{pads} has a 0 and 1..9 elsewhere")
    for kind, label, layer in (("LSTM", "lstm", f"LSTM({U}, return_sequences=True, "
                                                 f"return_state=True) 'rnn'"),
                               ("GRU", "gru", f"GRU({U}, return_sequences=True, "
                                              f"return_state=True) 'rnn'"),
                               ("SimpleRNN", "simple_rnn", f"SimpleRNN({U}, return_sequences="
                                                           f"True, return_state=True) 'rnn'"),
                               ("Bidirectional", "bidi", f"Bidirectional(LSTM({U}, "
                                                         f"return_sequences=True) 'lstm') "
                                                         f"'bi' (masked steps 0)")):
        yield from _pair(
            f"mask_not_equal_{label}",
            f"{sep}; {layer} called as layer(x, mask=ops.not_equal(m, 0)) (a NotEqual op "
            f"node, then kwargs.mask); {RB}.",
            f"{sep}; {layer} called as layer(x, mask=tf.math.not_equal(m, 0)) (a TFOpLambda "
            f"tensor in the node's kwargs); {K2W}.",
            mask_input_builder(kind))
    yield from _pair(
        "mask_dropped",
        f"x ({MB},{MT},{D}) padded {pads}; Masking(0.0) 'mask' -> ops.multiply(h, 2.0) -> "
        f"LSTM({U}, return_sequences=True) 'rnn': the op's output carries no mask, so the LSTM "
        f"runs unmasked (equal to the unmasked LSTM on 2x bit for bit); {RB}.",
        f"x ({MB},{MT},{D}) padded {pads}; Masking(0.0) 'mask' -> h * 2.0 (math.multiply) -> "
        f"LSTM({U}, return_sequences=True) 'rnn': tf.keras op layers do not support masking, "
        f"so the LSTM runs unmasked; {K2W}.",
        build_mask_dropped)
    yield from _pair(
        "mean_last",
        f"{x}; LSTM({U}, return_sequences=True) 'rnn' -> h; concatenate([ops.mean(h, axis=1), "
        f"h[:, -1, :]], axis=-1) -> Dense(2) 'head'; outputs the concatenation and the head; "
        f"{RB} (Dense too).",
        f"{x}; LSTM({U}, return_sequences=True) 'rnn' -> h; tf.concat([tf.reduce_mean(h, "
        f"axis=1), h[:, -1, :]], axis=-1) -> Dense(2) 'head'; outputs the concatenation and "
        f"the head; {K2W}.",
        build_mean_last)
    yield Case(
        "ops_config",
        f"{K3_} in keras3-weights (model.weights.h5 + model.to_json()), for the hostile-config "
        f"tests: {x} -> LSTM({U}, return_sequences=True) 'rnn' -> h; outputs mean(h, axis=1), "
        f"reshape(h, (-1, {T * U})), h[:, 1:4:2, 0], squeeze(expand_dims(h, 1), axis=1), "
        f"softmax(h, axis=1), concatenate([h, x], axis=-1), transpose(h, (0, 2, 1)), clip(h, "
        f"-0.25, 0.25); {RB}.",
        build_config, fmt="keras3-weights")
    yield Case(
        "k2_ops_config",
        f"{TF_} in keras2-weights (model_weights.h5 + model.to_json()), for the hostile-config "
        f"tests: {x} -> LSTM({U}, return_sequences=True) 'rnn' -> h; outputs "
        f"tf.reduce_mean(h, axis=1), tf.reshape(h, (-1, {T * U})), h[:, 1:4:2, 0], "
        f"tf.squeeze(tf.expand_dims(h, 1), axis=1), tf.nn.softmax(h, axis=1), tf.concat([h, x], "
        f"axis=-1), tf.transpose(h, [0, 2, 1]), tf.clip_by_value(h, -0.25, 0.25); {K2W}.",
        build_config, fmt="keras2-weights")
