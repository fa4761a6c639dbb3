"""Shape layers: Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D, Cropping1D and
UpSampling1D, alone and in everyday models (LSTM autoencoder, Permute before an LSTM, Flatten
after a sequence), in Keras 3 and tf_keras; none of them supports masking, so a mask that
reaches one is dropped and the layers after it run every step.

Most cases put an LSTM or a Dense before the layer, so that the values moved are computed
(their float64 reference is then not just float32 inputs)."""

from ..builders import B, apply, check_masked_steps_run, dense, finish, format_cases, \
    functional, is_keras3, lstm, randn, spec_cases
from ..case import Built
from .masking import MB, PAD, mask_from_rows, pad_inputs


def build_flatten_after_lstm(K, rng):
    x = K.Input((5, 3), name="x")
    data = [randn(rng, B, 5, 3)]
    h = lstm(K, 4, "rnn", return_sequences=True)(x)
    flat, f = apply(K.layers.Flatten(name="flat"), h)
    return functional(K, rng, x, data, [(flat, f), apply(dense(K, 3, "head",
                                                               activation="softmax"), f)])


def build_flatten_ranks(K, rng):
    """Flatten channels_last and channels_first on inputs of rank 2, 3 and 4 (with batch),
    each after a Dense on the last axis; Keras 3 also on a rank-1 input (batch,)."""
    shapes = {2: (5,), 3: (4, 3), 4: (3, 2, 2)}
    ins, data, outs = [], [], []
    for rank, shape in shapes.items():
        x = K.Input(shape, name=f"x{rank}")
        ins.append(x)
        data.append(randn(rng, B, *shape))
        h = dense(K, shape[-1], f"proj{rank}")(x)
        outs.append(apply(K.layers.Flatten(name=f"flat{rank}"), h))
        outs.append(apply(K.layers.Flatten(data_format="channels_first",
                                           name=f"flat{rank}_cf"), h))
    if is_keras3(K):
        x = K.Input((), name="x1")
        ins.append(x)
        data.append(randn(rng, B))
        outs.append(apply(K.layers.Flatten(name="flat1"), x))
        outs.append(apply(K.layers.Flatten(data_format="channels_first", name="flat1_cf"), x))
    return functional(K, rng, ins, data, outs)


def build_reshape(K, rng):
    x = K.Input((6, 4), name="x")
    data = [randn(rng, B, 6, 4)]
    h = dense(K, 4, "proj")(x)
    r_infer, hi = apply(K.layers.Reshape((-1, 2), name="r_infer"), h)       # (12, 2)
    outs = [apply(lstm(K, 3, "rnn"), hi),
            apply(K.layers.Reshape((4, 3, 2), name="r_explicit"), h),
            apply(K.layers.Reshape((24,), name="r_flat"), h),
            apply(K.layers.Reshape((2, -1, 3), name="r_mid"), h)]           # (2, 4, 3)
    v = lstm(K, 6, "enc")(x)                                                # (6,)
    seq = K.layers.Reshape((3, -1), name="r_seq")(v)                        # (3, 2)
    outs.append(apply(lstm(K, 2, "dec", return_sequences=True), seq))
    return functional(K, rng, x, data, outs)


def build_permute_before_lstm(K, rng):
    """Features-first data (batch, features, steps) turned into steps-first for the LSTM."""
    model = K.Sequential([
        K.Input((3, 6), name="x"),
        K.layers.Permute((2, 1), name="perm"),
        lstm(K, 4, "rnn", return_sequences=True),
    ], name="model")
    finish(K, model, rng)
    return Built(model, [randn(rng, B, 3, 6)], ["rnn/output"])


def build_permute_4d(K, rng):
    x = K.Input((2, 3, 4), name="x")
    data = [randn(rng, B, 2, 3, 4)]
    h = dense(K, 4, "proj")(x)
    return functional(K, rng, x, data, [
        apply(K.layers.Permute((3, 1, 2), name="perm_312"), h),
        apply(K.layers.Permute((2, 3, 1), name="perm_231"), h),
        apply(K.layers.Permute((1, 2, 3), name="perm_id"), h)])


def build_lstm_autoencoder(K, rng):
    model = K.Sequential([
        K.Input((6, 3), name="x"),
        lstm(K, 4, "enc"),
        K.layers.RepeatVector(6, name="repeat"),
        lstm(K, 4, "dec", return_sequences=True),
        K.layers.TimeDistributed(dense(K, 3, "out"), name="td"),
    ], name="model")
    finish(K, model, rng)
    return Built(model, [randn(rng, B, 6, 3)], ["td/output"])


def build_repeat_vector(K, rng):
    x = K.Input((3,), name="x")
    data = [randn(rng, B, 3)]
    h = dense(K, 3, "proj", activation="tanh")(x)
    return functional(K, rng, x, data, [apply(K.layers.RepeatVector(4, name="repeat4"), h),
                                        apply(K.layers.RepeatVector(1, name="repeat1"), h)])


def build_zero_padding(K, rng):
    x = K.Input((4, 3), name="x")
    data = [randn(rng, B, 4, 3)]
    h = dense(K, 3, "proj")(x)
    pad_pair, p = apply(K.layers.ZeroPadding1D((0, 3), name="pad_pair"), h)
    outs = [apply(K.layers.ZeroPadding1D(name="pad_default"), h),
            apply(K.layers.ZeroPadding1D(2, name="pad_int"), h),
            (pad_pair, p),
            apply(lstm(K, 4, "rnn", return_sequences=True), p)]
    if is_keras3(K):     # tf_keras's ZeroPadding1D has no data_format
        outs.append(apply(K.layers.ZeroPadding1D((2, 1), data_format="channels_first",
                                                 name="pad_cf"), h))
    return functional(K, rng, x, data, outs)


def build_cropping(K, rng):
    x = K.Input((7, 3), name="x")
    data = [randn(rng, B, 7, 3)]
    h = dense(K, 3, "proj")(x)
    crop_end0, c = apply(K.layers.Cropping1D((3, 0), name="crop_end0"), h)
    return functional(K, rng, x, data, [
        apply(K.layers.Cropping1D(name="crop_default"), h),
        apply(K.layers.Cropping1D(2, name="crop_int"), h),
        (crop_end0, c),
        apply(K.layers.Cropping1D((0, 2), name="crop_start0"), h),
        apply(K.layers.Cropping1D((5, 1), name="crop_to_one"), h),
        apply(lstm(K, 4, "rnn", return_sequences=True), c)])


def build_upsampling(K, rng):
    x = K.Input((3, 2), name="x")
    data = [randn(rng, B, 3, 2)]
    h = dense(K, 2, "proj")(x)
    up3, u = apply(K.layers.UpSampling1D(3, name="up3"), h)
    return functional(K, rng, x, data, [
        apply(K.layers.UpSampling1D(name="up_default"), h),
        (up3, u),
        apply(K.layers.UpSampling1D(1, name="up1"), h),
        apply(lstm(K, 4, "rnn", return_sequences=True), u)])


def build_mask_dropped(K, rng):
    """Masking -> LSTM(seq) 'rnn', then every shape layer in a form that keeps the shape
    (so a kept mask would fit) followed by an LSTM(3, seq): Keras drops the mask at the shape
    layer, so each of those LSTMs runs the masked steps too. Flatten -> Dense too."""
    mask = mask_from_rows(PAD["full_row"])
    x = K.Input((6, 3), name="x")
    data = [pad_inputs(randn(rng, MB, 6, 3), mask)]
    h = lstm(K, 4, "rnn", return_sequences=True)(K.layers.Masking(0.0, name="mask")(x))
    shape_layers = [K.layers.Reshape((6, 4), name="reshape"),
                    K.layers.Permute((1, 2), name="permute"),
                    K.layers.ZeroPadding1D(0, name="pad"),
                    K.layers.Cropping1D(0, name="crop"),
                    K.layers.UpSampling1D(1, name="up")]
    outs = [apply(dense(K, 2, "flat_head"), K.layers.Flatten(name="flat")(h))]
    checks = []
    for layer in shape_layers:
        outs.append(apply(lstm(K, 3, f"after_{layer.name}", return_sequences=True), layer(h)))
        checks.append(check_masked_steps_run(f"after_{layer.name} runs the masked steps (mask "
                                             f"dropped at {layer.name})", len(outs) - 1, mask))
    return functional(K, rng, x, data, outs, checks)


def masked_lstm_sequential(K, rng, pad, tail):
    """Sequential x (MB, 6, 3) padded with PAD[pad] -> Masking 'mask' -> LSTM(4, seq) 'rnn' ->
    the layers tail(K) makes (after the LSTM, so that their seeds are drawn in that order).
    Returns (model, x, mask)."""
    mask = mask_from_rows(PAD[pad])
    model = K.Sequential([K.Input((6, 3), name="x"), K.layers.Masking(0.0, name="mask"),
                          lstm(K, 4, "rnn", return_sequences=True)], name="model")
    for layer in tail(K):
        model.add(layer)
    finish(K, model, rng)
    return model, pad_inputs(randn(rng, MB, 6, 3), mask), mask


def build_mask_dropped_sequential(K, rng):
    model, x, mask = masked_lstm_sequential(K, rng, "middle", lambda K: [
        K.layers.Reshape((6, 4), name="reshape"), lstm(K, 3, "after", return_sequences=True)])
    return Built(model, [x], ["after/output"],
                 checks=[check_masked_steps_run("'after' runs the masked steps", 0, mask)])


def build_mask_dropped_repeat_vector(K, rng):
    """Masking on (batch, features) rows gives a (batch,) mask; RepeatVector drops it, so the
    LSTM after it gets none (a kept (batch,) mask could not even apply to its steps)."""
    x = K.Input((4,), name="x")
    xs = randn(rng, MB, 4)
    xs[1] = 0.0                                   # row 1 is masked
    h = K.layers.Masking(0.0, name="mask")(x)
    r = K.layers.RepeatVector(3, name="repeat")(h)
    return functional(K, rng, x, [xs], [apply(lstm(K, 3, "rnn", return_sequences=True), r)])


def build_variable_length(K, rng):
    """Input((None, 4)): the steps are unknown when the model is built, so every shape is
    worked out at run time (Reshape's -1 included)."""
    x = K.Input((None, 4), name="x")
    data = [randn(rng, B, 5, 4)]
    h = dense(K, 4, "proj")(x)
    h = K.layers.ZeroPadding1D(1, name="pad")(h)                   # T + 2
    h = K.layers.Cropping1D((0, 1), name="crop")(h)                # T + 1
    up, u = apply(K.layers.UpSampling1D(2, name="up"), h)          # 2T + 2
    r = K.layers.Reshape((-1, 8), name="reshape")(u)               # (T + 1, 8)
    p = K.layers.Permute((2, 1), name="perm")(u)                   # (4, 2T + 2)
    p = K.layers.Permute((2, 1), name="perm_back")(p)              # (2T + 2, 4)
    return functional(K, rng, x, data, [(up, u),
                                        apply(lstm(K, 3, "rnn", return_sequences=True), r),
                                        apply(lstm(K, 3, "rnn_perm"), p)])


def build_all_shape_layers(K, rng):
    """One chain through all seven layers (the channels_last forms that both Keras versions
    have), for the weights-only and legacy formats."""
    model = K.Sequential([
        K.Input((6, 3), name="x"),
        dense(K, 3, "proj"),
        K.layers.Cropping1D((1, 0), name="crop"),          # (5, 3)
        K.layers.ZeroPadding1D((0, 1), name="pad"),         # (6, 3)
        K.layers.UpSampling1D(2, name="up"),                # (12, 3)
        K.layers.Permute((2, 1), name="perm"),              # (3, 12)
        K.layers.Reshape((-1, 6), name="reshape"),          # (6, 6)
        lstm(K, 4, "enc"),                                  # (4,)
        K.layers.RepeatVector(3, name="repeat"),            # (3, 4)
        K.layers.Flatten(name="flat"),                      # (12,)
        dense(K, 2, "head"),
    ], name="model")
    finish(K, model, rng)
    return Built(model, [randn(rng, B, 6, 3)], ["head/output"])


def cases():
    full_row = "/".join(PAD["full_row"])
    middle = "/".join(PAD["middle"])
    chain = ("Sequential x (2,6,3) -> Dense(3) 'proj' -> Cropping1D((1,0)) -> ZeroPadding1D((0,1)) "
             "-> UpSampling1D(2) -> Permute((2,1)) -> Reshape((-1,6)) -> LSTM(4) 'enc' -> "
             "RepeatVector(3) -> Flatten -> Dense(2) 'head'")
    specs = [
        ("flatten_after_lstm", build_flatten_after_lstm,
         "Functional x (2,5,3) -> LSTM(4, return_sequences=True) 'rnn' -> Flatten 'flat' -> "
         "Dense(3, softmax) 'head'; outputs [flat, head]"),
        ("flatten_ranks", build_flatten_ranks,
         "Functional inputs x2 (2,5), x3 (2,4,3), x4 (2,3,2,2), each -> Dense 'proj<r>' -> "
         "Flatten 'flat<r>' and Flatten(data_format='channels_first') 'flat<r>_cf' (axis 1 "
         "moved last before flattening; a no-op for rank 2); Keras 3 also x1 (2,) -> Flatten "
         "-> (2, 1)"),
        ("reshape_infer", build_reshape,
         "Functional x (2,6,4) -> Dense(4) 'proj' -> Reshape((-1,2)) -> LSTM(3) 'rnn'; "
         "Reshape((4,3,2)) 'r_explicit', Reshape((24,)) 'r_flat', Reshape((2,-1,3)) 'r_mid'; "
         "LSTM(6) 'enc' on x -> Reshape((3,-1)) -> LSTM(2, seq) 'dec'"),
        ("permute_before_lstm", build_permute_before_lstm,
         "Sequential x (2,3,6) features-first -> Permute((2,1)) 'perm' -> LSTM(4, seq) 'rnn'"),
        ("permute_4d", build_permute_4d,
         "Functional x (2,2,3,4) -> Dense(4) 'proj' -> Permute((3,1,2)), Permute((2,3,1)), "
         "Permute((1,2,3))"),
        ("lstm_autoencoder", build_lstm_autoencoder,
         "Sequential LSTM autoencoder: x (2,6,3) -> LSTM(4) 'enc' -> RepeatVector(6) 'repeat' "
         "-> LSTM(4, seq) 'dec' -> TimeDistributed(Dense(3) 'out') 'td'"),
        ("repeat_vector", build_repeat_vector,
         "Functional x (2,3) -> Dense(3, tanh) 'proj' -> RepeatVector(4) 'repeat4' and "
         "RepeatVector(1) 'repeat1'"),
        ("zero_padding1d", build_zero_padding,
         "Functional x (2,4,3) -> Dense(3) 'proj' -> ZeroPadding1D() (1 each side) "
         "'pad_default', ZeroPadding1D(2) 'pad_int', ZeroPadding1D((0,3)) 'pad_pair' -> "
         "LSTM(4, seq) 'rnn' (runs the padded zero steps); Keras 3 also "
         "ZeroPadding1D((2,1), data_format='channels_first') 'pad_cf' (pads the last axis: "
         "(4,3) -> (4,6))"),
        ("cropping1d", build_cropping,
         "Functional x (2,7,3) -> Dense(3) 'proj' -> Cropping1D() (1 each side) "
         "'crop_default', Cropping1D(2) 'crop_int', Cropping1D((3,0)) 'crop_end0' (Keras's "
         "cropping[1] == 0 branch) -> LSTM(4, seq) 'rnn', Cropping1D((0,2)) 'crop_start0', "
         "Cropping1D((5,1)) 'crop_to_one' (one step left)"),
        ("upsampling1d", build_upsampling,
         "Functional x (2,3,2) -> Dense(2) 'proj' -> UpSampling1D() (size 2) 'up_default', "
         "UpSampling1D(3) 'up3' -> LSTM(4, seq) 'rnn', UpSampling1D(1) 'up1'"),
        ("mask_dropped_by_shape_layers", build_mask_dropped,
         f"Functional x (3,6,3) padded {full_row} (row 1 fully masked) -> Masking 'mask' -> "
         f"LSTM(4, seq) 'rnn'; then Flatten 'flat' -> Dense(2) 'flat_head', and each of "
         f"Reshape((6,4)), Permute((1,2)), ZeroPadding1D(0), Cropping1D(0), UpSampling1D(1) "
         f"(shape kept, so a kept mask would fit) -> LSTM(3, seq) 'after_<layer>': Keras drops "
         f"the mask at every shape layer, so those LSTMs run the masked steps"),
        ("mask_dropped_sequential", build_mask_dropped_sequential,
         f"Sequential x (3,6,3) padded {middle} -> Masking 'mask' -> LSTM(4, seq) 'rnn' -> "
         f"Reshape((6,4)) 'reshape' -> LSTM(3, seq) 'after': the mask is dropped at Reshape"),
        ("mask_dropped_repeat_vector", build_mask_dropped_repeat_vector,
         "Functional x (3,4), row 1 all 0.0 -> Masking 'mask' (a (batch,) mask) -> "
         "RepeatVector(3) 'repeat' -> LSTM(3, seq) 'rnn': the mask is dropped at RepeatVector"),
        ("shape_variable_length", build_variable_length,
         "Functional x (2,5,4) on Input((None, 4)) (steps unknown when built) -> Dense(4) "
         "'proj' -> ZeroPadding1D(1) -> Cropping1D((0,1)) -> UpSampling1D(2) 'up' (12 steps) "
         "-> Reshape((-1,8)) -> LSTM(3, seq) 'rnn'; 'up' -> Permute((2,1)) -> Permute((2,1)) "
         "-> LSTM(3) 'rnn_perm'"),
    ]
    yield from spec_cases(specs, k2=("flatten_after_lstm", "flatten_ranks", "reshape_infer",
                                     "permute_before_lstm", "lstm_autoencoder", "zero_padding1d",
                                     "cropping1d", "upsampling1d", "mask_dropped_by_shape_layers",
                                     "mask_dropped_repeat_vector", "shape_variable_length"))
    yield from format_cases({"keras3-weights": "shape_layers_weights",
                             "keras3-legacy-h5": "k3_legacy_shape_layers",
                             "keras2-weights": "k2_shape_layers_weights"}, chain,
                            build_all_shape_layers)
