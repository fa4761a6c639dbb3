"""Pooling: MaxPooling1D and AveragePooling1D (pool_size, strides incl. the default None = the
pool size, padding valid and same, channels_first), GlobalMaxPooling1D and
GlobalAveragePooling1D (keepdims, channels_first, and the masked mean), a few 2-D poolings;
everyday models (BiLSTM classifier with GlobalMax + GlobalAverage, masked Embedding -> LSTM ->
GlobalAveragePooling1D), in Keras 3 and tf_keras.

Masks: only GlobalAveragePooling1D takes one (a mean over the kept steps); the others drop it.
The masked mean is sum / count in both Keras versions, so a fully masked row is 0/0 = NaN;
Keras 3 zeroes masked steps with `where`, tf_keras multiplies by the mask, which differs only
when a masked step holds inf or NaN (inf * 0 = NaN). Shipped fixtures hold no NaN output (a
NaN never matches at the default tolerances), so the NaN rows are asserted by the builders'
checks at generation time, in the oracle's tests and in the Swift tests."""

import numpy as np

from ..builders import B, apply, check_masked_steps_run, dense, finish, format_cases, \
    functional, is_keras3, lstm, randn, spec_cases
from ..case import Built
from .masking import MB, PAD, mask_from_rows, pad_inputs
from .shape import masked_lstm_sequential


def build_maxpool1d_default(K, rng):
    x = K.Input((7, 3), name="x")
    data = [randn(rng, B, 7, 3)]
    h = lstm(K, 4, "rnn", return_sequences=True)(x)
    pool, p = apply(K.layers.MaxPooling1D(name="pool"), h)      # pool 2, strides None -> 2: 3
    return functional(K, rng, x, data, [(pool, p),
                                        apply(lstm(K, 3, "after", return_sequences=True), p)])


def pool1d_builder(kind):
    """x (2,8,3) -> Dense 'proj' -> `kind` Pooling1D with every option that changes a result."""
    def build(K, rng):
        layer = getattr(K.layers, f"{kind}Pooling1D")
        x = K.Input((8, 3), name="x")
        data = [randn(rng, B, 8, 3)]
        h = dense(K, 3, "proj")(x)
        hf = K.layers.Permute((2, 1), name="to_cf")(h)                 # (3, 8): features first
        pfx = kind.lower()[:3]
        outs = [
            apply(layer(2, name=f"{pfx}_default_strides"), h),                 # (4, 3)
            apply(layer(3, strides=2, name=f"{pfx}_valid_s2"), h),             # (3, 3)
            apply(layer(2, strides=3, name=f"{pfx}_valid_s3"), h),             # (3, 3): skips
            apply(layer(3, strides=1, padding="same", name=f"{pfx}_same_s1"), h),   # (8, 3)
            apply(layer(4, strides=3, padding="same", name=f"{pfx}_same_s3"), h),   # (3, 3)
            apply(layer(10, padding="same", name=f"{pfx}_same_big"), h),       # (1, 3)
            apply(layer(3, strides=2, padding="same", data_format="channels_first",
                        name=f"{pfx}_same_cf"), hf),                           # (3, 4)
            apply(layer(2, data_format="channels_first", name=f"{pfx}_valid_cf"), hf),
        ]
        return functional(K, rng, x, data, outs)
    return build


def build_global_pooling1d(K, rng):
    x = K.Input((6, 3), name="x")
    data = [randn(rng, B, 6, 3)]
    h = lstm(K, 4, "rnn", return_sequences=True)(x)                     # (6, 4)
    outs = []
    for kind in ("Max", "Average"):
        layer = getattr(K.layers, f"Global{kind}Pooling1D")
        pfx = f"g{kind.lower()[:3]}"
        outs += [apply(layer(name=pfx), h),                               # (4,)
                 apply(layer(keepdims=True, name=f"{pfx}_keep"), h),      # (1, 4)
                 apply(layer(data_format="channels_first", name=f"{pfx}_cf"), h),  # (6,)
                 apply(layer(data_format="channels_first", keepdims=True,
                             name=f"{pfx}_cf_keep"), h)]                  # (6, 1)
    return functional(K, rng, x, data, outs)


def build_bilstm_classifier(K, rng):
    x = K.Input((6, 3), name="x")
    data = [randn(rng, B, 6, 3)]
    h = K.layers.Bidirectional(lstm(K, 4, "lstm", return_sequences=True), name="bi")(x)
    cat, c = apply(K.layers.Concatenate(name="concat"),
                   [K.layers.GlobalMaxPooling1D(name="gmp")(h),
                    K.layers.GlobalAveragePooling1D(name="gap")(h)])
    return functional(K, rng, x, data, [(cat, c),
                                        apply(dense(K, 3, "head", activation="softmax"), c)])


def masked_tokens(K, rng, pad):
    """Input 'tokens' (MB, 6) int32 ids 1..9, 0 where PAD[pad] has a 0, and Embedding(10, 5,
    mask_zero=True) 'emb' on it: (input, ids, mask, embedded)."""
    mask = mask_from_rows(PAD[pad])
    tok = K.Input((6,), dtype="int32", name="tokens")
    ids = rng.integers(1, 10, size=(MB, 6)).astype(np.int32)
    ids[~mask] = 0
    return tok, ids, mask, K.layers.Embedding(10, 5, mask_zero=True, name="emb")(tok)


def build_bilstm_mask_classifier(K, rng):
    """Embedding(mask_zero) -> BiLSTM(seq): Bidirectional outputs 0 at masked steps;
    GlobalMaxPooling1D drops the mask, so its max includes those zeros; GlobalAveragePooling1D
    averages the kept steps only."""
    tok, ids, mask, e = masked_tokens(K, rng, "end_middle")
    h = K.layers.Bidirectional(lstm(K, 4, "lstm", return_sequences=True), name="bi")(e)
    gmp, m = apply(K.layers.GlobalMaxPooling1D(name="gmp"), h)
    gap, a = apply(K.layers.GlobalAveragePooling1D(name="gap"), h)
    c = K.layers.Concatenate(name="concat")([m, a])
    seq_model = K.Model(tok, h, name="seq_model")

    def check_gmp(outs):
        seq = np.asarray(seq_model(ids, training=False))
        want = np.max(seq, axis=1)                  # every step, the masked zeros included
        d = float(np.max(np.abs(outs[0] - want)))
        return d == 0.0, f"max|gmp - max over all steps (masked zeros included)| = {d:.3g}"
    built = functional(K, rng, tok, [ids], [(gmp, m), (gap, a),
                                             apply(dense(K, 3, "head", activation="softmax"), c)])
    built.checks.append(check_masked_mean("gap is the mean over the kept steps", seq_model,
                                          [ids], mask, 1))
    built.checks.append(("gmp takes the max over every step", check_gmp))
    return built


def check_masked_mean(label, seq_model, inputs, mask, idx):
    """A Built.checks entry: outs[idx] is the mean of seq_model's sequence over the steps the
    (batch, time) mask keeps, and not the plain mean."""
    def fn(outs):
        seq = np.asarray(seq_model(inputs[0] if len(inputs) == 1 else inputs, training=False),
                         np.float64)
        m = mask[..., None]
        want = np.sum(np.where(m, seq, 0.0), axis=1) / np.sum(m, axis=1)
        got = np.asarray(outs[idx], np.float64).reshape(want.shape)
        d = float(np.max(np.abs(got - want)))
        plain = float(np.max(np.abs(got - np.mean(seq, axis=1))))
        return d <= 1e-6 and plain > 1e-3, (f"max|gap - masked mean| = {d:.3g}, "
                                            f"max|gap - plain mean| = {plain:.3g}")
    return (label, fn)


def build_mask_embedding_lstm_gap(K, rng):
    tok, ids, mask, e = masked_tokens(K, rng, "mixed")
    h = lstm(K, 4, "rnn", return_sequences=True)(e)
    gap, g = apply(K.layers.GlobalAveragePooling1D(name="gap"), h)
    built = functional(K, rng, tok, [ids], [(gap, g), apply(dense(K, 2, "head"), g)])
    built.checks.append(check_masked_mean("gap is the mean over the kept steps",
                                          K.Model(tok, h, name="seq_model"), [ids], mask, 0))
    return built


def check_full_row_nan(K, model, x, row):
    """A Built.checks entry: run `model` on x with row `row` fully masked (all 0.0): Keras
    returns NaN (0/0) in that row of output 0 and the other rows unchanged."""
    xz = x.copy()
    xz[row] = 0.0

    def fn(outs):
        got = np.asarray(model(xz, training=False))
        others = [b for b in range(x.shape[0]) if b != row]
        same = np.array_equal(got[others], np.asarray(outs[0])[others])
        return bool(np.all(np.isnan(got[row])) and same), (
            f"row {row} fully masked: {np.array2string(got[row], precision=3)}, other rows "
            f"{'unchanged' if same else 'CHANGED'}")
    return ("a fully masked row gives NaN (0/0)", fn)


def build_mask_masking_lstm_gap(K, rng):
    model, x, mask = masked_lstm_sequential(K, rng, "start", lambda K: [
        K.layers.GlobalAveragePooling1D(keepdims=True, name="gap")])
    seq_model = K.Sequential([K.Input((6, 3), name="x_seq"), model.layers[0], model.layers[1]],
                             name="seq_model")
    return Built(model, [x], ["gap/output"], checks=[
        check_masked_mean("gap is the mean over the kept steps", seq_model, [x], mask, 0),
        check_full_row_nan(K, model, x, 1)])


def build_gap1d_mask_channels_first(K, rng):
    """Keras 3: an explicit mask on a channels_first GlobalAveragePooling1D (the mask is
    expanded on axis 1 and the steps are the last axis)."""
    mask = mask_from_rows(PAD["mixed"])
    x = K.Input((6, 3), name="x")
    m = K.Input((6,), name="m")
    data = [randn(rng, MB, 6, 3), mask.astype(np.float32)]
    h = lstm(K, 4, "rnn", return_sequences=True)(x)
    hf = K.layers.Permute((2, 1), name="to_cf")(h)                         # (4, 6)
    mb = K.ops.cast(m, "bool")
    return functional(K, rng, [x, m], data, [
        apply(K.layers.GlobalAveragePooling1D(data_format="channels_first", name="gap_cf"),
              hf, mask=mb),
        apply(K.layers.GlobalAveragePooling1D(data_format="channels_first", keepdims=True,
                                              name="gap_cf_keep"), hf, mask=mb)])


def nonfinite_steps(rng, mask, values):
    """x (batch, time, 2) of standard normals with masked steps set to values (cycled)."""
    x = randn(rng, *mask.shape, 2)
    k = 0
    for b, t in zip(*np.nonzero(~mask)):
        x[b, t] = values[k % len(values)]
        k += 1
    return x


def build_gap1d_masking_inf(K, rng):
    """Masking(mask_value=inf): a step that is all +inf is masked. Keras 3's Masking and
    GlobalAveragePooling1D both zero masked steps with `where`, so the mean is finite; tf_keras's
    both multiply by the mask, inf * 0 = NaN, and the rows with padding come out NaN (asserted
    by the check of k2_gap1d_masking_inf, whose shipped inputs are therefore finite)."""
    mask = mask_from_rows(PAD["end_middle"])
    model = K.Sequential([
        K.Input((6, 2), name="x"),
        K.layers.Masking(np.inf, name="mask"),
        K.layers.GlobalAveragePooling1D(name="gap"),
    ], name="model")
    x_inf = nonfinite_steps(rng, mask, [np.inf])
    want = np.array([np.mean(x_inf[b][mask[b]], axis=0) for b in range(MB)])

    def finite_mean(outs):
        d = float(np.max(np.abs(outs[0] - want)))
        return d <= 1e-6, f"max|gap - mean over kept steps| = {d:.3g} (finite)"

    def nan_rows(outs):
        got = np.asarray(model(x_inf, training=False))
        nan = np.all(np.isnan(got), axis=1)
        padded = ~np.all(mask, axis=1)
        return bool(np.array_equal(nan, padded)), f"NaN rows {nan.tolist()} (padded rows " \
                                                   f"{padded.tolist()})"
    finish(K, model, rng)
    if is_keras3(K):
        return Built(model, [x_inf], ["gap/output"], checks=[
            ("Keras 3: masked all-inf steps drop out of the mean", finite_mean)])
    return Built(model, [randn(rng, MB, 6, 2)], ["gap/output"], checks=[
        ("tf_keras: with all-inf masked steps the rows with padding are NaN", nan_rows)])


def build_gap1d_mask_nonfinite(K, rng):
    """Keras 3: an explicit mask, x holding +inf, -inf and NaN at the masked steps: `where`
    drops them, the mean stays finite."""
    mask = mask_from_rows(PAD["mixed"])
    x = K.Input((6, 2), name="x")
    m = K.Input((6,), name="m")
    data = [nonfinite_steps(rng, mask, [np.inf, -np.inf, np.nan]), mask.astype(np.float32)]
    return functional(K, rng, [x, m], data, [
        apply(K.layers.GlobalAveragePooling1D(name="gap"), x, mask=K.ops.cast(m, "bool"))])


def build_mask_lstm_pool_lstm(K, rng):
    """Masking -> LSTM(seq) 'rnn' -> pooling layers, which drop the mask: the LSTMs after them
    run every step; GlobalMaxPooling1D takes the max over the masked steps' carried outputs
    too."""
    mask = mask_from_rows(PAD["middle"])
    x = K.Input((6, 3), name="x")
    data = [pad_inputs(randn(rng, MB, 6, 3), mask)]
    h = lstm(K, 4, "rnn", return_sequences=True)(K.layers.Masking(0.0, name="mask")(x))
    outs = [apply(lstm(K, 3, "after_max2", return_sequences=True),
                  K.layers.MaxPooling1D(2, name="max2")(h)),
            apply(lstm(K, 3, "after_max1", return_sequences=True),
                  K.layers.MaxPooling1D(1, name="max1")(h)),
            apply(lstm(K, 3, "after_avg1", return_sequences=True),
                  K.layers.AveragePooling1D(1, name="avg1")(h)),
            apply(K.layers.GlobalMaxPooling1D(name="gmp"), h)]
    return functional(K, rng, x, data, outs, [
        check_masked_steps_run("after_max1 runs the masked steps (mask dropped at max1)", 1,
                               mask),
        check_masked_steps_run("after_avg1 runs the masked steps (mask dropped at avg1)", 2,
                               mask)])


def build_pool2d(K, rng):
    x = K.Input((5, 4, 3), name="x")
    data = [randn(rng, B, 5, 4, 3)]
    h = dense(K, 3, "proj")(x)
    hf = K.layers.Permute((3, 1, 2), name="to_cf")(h)                      # (3, 5, 4)
    outs = [
        apply(K.layers.MaxPooling2D(name="max_default"), h),               # (2, 2, 3)
        apply(K.layers.MaxPooling2D((3, 2), strides=(1, 2), padding="same",
                                    name="max_same"), h),                  # (5, 2, 3)
        apply(K.layers.AveragePooling2D((2, 3), strides=(2, 1), name="avg_valid"), h),  # (2,2,3)
        apply(K.layers.AveragePooling2D((3, 3), strides=(2, 2), padding="same",
                                        name="avg_same"), h)]              # (3, 2, 3)
    if is_keras3(K):    # tf_keras runs AvgPool on NCHW directly, which TF's CPU kernel refuses
        outs.append(apply(K.layers.AveragePooling2D((2, 2), padding="same",
                                                    data_format="channels_first",
                                                    name="avg_same_cf"), hf))   # (3, 3, 2)
    return functional(K, rng, x, data, outs + [
        apply(K.layers.GlobalAveragePooling2D(name="gap2d"), h),
        apply(K.layers.GlobalAveragePooling2D(keepdims=True, name="gap2d_keep"), h),
        apply(K.layers.GlobalAveragePooling2D(data_format="channels_first", name="gap2d_cf"),
              hf),
        apply(K.layers.GlobalMaxPooling2D(name="gmp2d"), h)])


def build_pool_variable_length(K, rng):
    """Input((None, 3)) with a mask: the steps are unknown when the model is built."""
    mask = mask_from_rows(PAD["end"])
    x = K.Input((None, 3), name="x")
    data = [pad_inputs(randn(rng, MB, 6, 3), mask)]
    h = lstm(K, 4, "rnn", return_sequences=True)(K.layers.Masking(0.0, name="mask")(x))
    gap, a = apply(K.layers.GlobalAveragePooling1D(name="gap"), h)          # masked mean
    p = K.layers.MaxPooling1D(2, name="max")(h)                             # 3 steps
    p = K.layers.AveragePooling1D(2, strides=1, padding="same", name="avg")(p)
    c = K.layers.Concatenate(name="concat")([K.layers.GlobalMaxPooling1D(name="gmp")(p), a])
    return functional(K, rng, x, data, [(gap, a), apply(dense(K, 2, "head"), c)])


def build_all_pooling_layers(K, rng):
    """Every 1-D and 2-D pooling class in one functional model, for the weights-only and
    legacy formats."""
    x = K.Input((8, 3), name="x")
    x2 = K.Input((4, 4, 2), name="x2")
    data = [randn(rng, B, 8, 3), randn(rng, B, 4, 4, 2)]
    h = dense(K, 3, "proj")(x)
    h = K.layers.MaxPooling1D(2, name="max1d")(h)                                  # (4, 3)
    h = K.layers.AveragePooling1D(3, strides=1, padding="same", name="avg1d")(h)   # (4, 3)
    h = lstm(K, 4, "rnn", return_sequences=True)(h)
    c = K.layers.Concatenate(name="concat")([K.layers.GlobalMaxPooling1D(name="gmp1d")(h),
                                             K.layers.GlobalAveragePooling1D(name="gap1d")(h)])
    g = dense(K, 2, "proj2d")(x2)
    g = K.layers.MaxPooling2D(2, strides=1, name="max2d")(g)                         # (3,3,2)
    g = K.layers.AveragePooling2D(2, padding="same", name="avg2d")(g)                # (2,2,2)
    return functional(K, rng, [x, x2], data, [
        apply(dense(K, 2, "head"), c),
        apply(K.layers.GlobalAveragePooling2D(name="gap2d"), g),
        apply(K.layers.GlobalMaxPooling2D(name="gmp2d"), g)])


def cases():
    pad = {k: "/".join(v) for k, v in PAD.items()}
    opts = ("pool 2 with strides None (= 2) 'POOL_default_strides'; 3, strides 2, valid "
            "'POOL_valid_s2'; 2, strides 3, valid (a step skipped between windows) "
            "'POOL_valid_s3'; 3, strides 1, same 'POOL_same_s1'; 4, strides 3, same (1 padded "
            "step each side) 'POOL_same_s3'; 10 (larger than the 8 steps), strides None, same "
            "'POOL_same_big' (one window); and after Permute((2,1)) 'to_cf' (3 features, 8 "
            "steps), channels_first 3, strides 2, same 'POOL_same_cf' and 2, valid "
            "'POOL_valid_cf'")
    chain = ("Functional x (2,8,3) -> Dense(3) 'proj' -> MaxPooling1D(2) -> "
             "AveragePooling1D(3, strides 1, same) -> LSTM(4, seq) 'rnn' -> [GlobalMaxPooling1D, "
             "GlobalAveragePooling1D] -> Concatenate -> Dense(2) 'head'; x2 (2,4,4,2) -> Dense(2) "
             "'proj2d' -> MaxPooling2D(2, strides 1) -> AveragePooling2D(2, same) -> "
             "GlobalAveragePooling2D 'gap2d' and GlobalMaxPooling2D 'gmp2d'")
    specs = [
        ("maxpool1d_default", build_maxpool1d_default,
         "Functional x (2,7,3) -> LSTM(4, seq) 'rnn' -> MaxPooling1D() 'pool' (pool 2, "
         "strides None = 2, valid: 7 steps -> 3, the last step dropped) -> LSTM(3, seq) "
         "'after'"),
        ("maxpool1d_options", pool1d_builder("Max"),
         "Functional x (2,8,3) -> Dense(3) 'proj' -> MaxPooling1D with "
         + opts.replace("POOL", "max")),
        ("avgpool1d_options", pool1d_builder("Average"),
         "Functional x (2,8,3) -> Dense(3) 'proj' -> AveragePooling1D with "
         + opts.replace("POOL", "ave") + "; with same padding the edge windows divide by the "
         "steps they cover"),
        ("global_pooling1d", build_global_pooling1d,
         "Functional x (2,6,3) -> LSTM(4, seq) 'rnn' -> GlobalMaxPooling1D and "
         "GlobalAveragePooling1D, each plain 'gmax'/'gave', keepdims '_keep', "
         "channels_first '_cf' (the 4 units are the steps) and channels_first + keepdims "
         "'_cf_keep'"),
        ("bilstm_gmp_gap_classifier", build_bilstm_classifier,
         "Functional BiLSTM classifier: x (2,6,3) -> Bidirectional(LSTM(4, seq) 'lstm') 'bi' "
         "-> [GlobalMaxPooling1D 'gmp', GlobalAveragePooling1D 'gap'] -> Concatenate 'concat' "
         "-> Dense(3, softmax) 'head'; outputs [concat, head]"),
        ("bilstm_mask_gmp_gap", build_bilstm_mask_classifier,
         f"Functional tokens (3,6) padded {pad['end_middle']} -> Embedding(10, 5, "
         f"mask_zero=True) 'emb' -> Bidirectional(LSTM(4, seq) 'lstm') 'bi' (0 at masked "
         f"steps) -> GlobalMaxPooling1D 'gmp' (drops the mask: the zeros count) and "
         f"GlobalAveragePooling1D 'gap' (mean over kept steps) -> Concatenate -> Dense(3, "
         f"softmax) 'head'; outputs [gmp, gap, head]"),
        ("mask_embedding_lstm_gap", build_mask_embedding_lstm_gap,
         f"Functional tokens (3,6) padded {pad['mixed']} -> Embedding(10, 5, mask_zero=True) "
         f"'emb' -> LSTM(4, seq) 'rnn' -> GlobalAveragePooling1D 'gap' (mean over the kept "
         f"steps) -> Dense(2) 'head'; outputs [gap, head]"),
        ("mask_masking_lstm_gap", build_mask_masking_lstm_gap,
         f"Sequential x (3,6,3) padded {pad['start']} (leading padding) -> Masking 'mask' -> "
         f"LSTM(4, seq) 'rnn' -> GlobalAveragePooling1D(keepdims=True) 'gap' (mean over the "
         f"kept steps); the generator also checks that a fully masked row gives NaN"),
        ("mask_lstm_pool_lstm", build_mask_lstm_pool_lstm,
         f"Functional x (3,6,3) padded {pad['middle']} -> Masking 'mask' -> LSTM(4, seq) "
         f"'rnn' -> MaxPooling1D(2) -> LSTM(3, seq) 'after_max2', MaxPooling1D(1) -> LSTM(3, "
         f"seq) 'after_max1', AveragePooling1D(1) -> LSTM(3, seq) 'after_avg1', "
         f"GlobalMaxPooling1D 'gmp': every pooling drops the mask, so the LSTMs run the "
         f"masked steps and gmp takes them too"),
        ("pool2d", build_pool2d,
         "Functional x (2,5,4,3) -> Dense(3) 'proj' -> MaxPooling2D() 'max_default', "
         "MaxPooling2D((3,2), strides (1,2), same) 'max_same', AveragePooling2D((2,3), strides "
         "(2,1), valid) 'avg_valid', AveragePooling2D((3,3), strides 2, same) 'avg_same' "
         "(edge windows average fewer elements), GlobalAveragePooling2D 'gap2d' and keepdims "
         "'gap2d_keep', GlobalMaxPooling2D 'gmp2d'; after Permute((3,1,2)) 'to_cf', "
         "GlobalAveragePooling2D(channels_first) 'gap2d_cf' and (Keras 3 only: tf_keras's "
         "AvgPool refuses NCHW on CPU) AveragePooling2D((2,2), same, channels_first) "
         "'avg_same_cf'"),
        ("gap1d_masking_inf", build_gap1d_masking_inf,
         f"Sequential x (3,6,2) -> Masking(mask_value=inf) 'mask' -> GlobalAveragePooling1D "
         f"'gap'; the steps where {pad['end_middle']} has a 0 are all +inf, so they are "
         f"masked; Keras 3's Masking sets them to 0 with where (tf_keras: inf * 0 = NaN) and "
         f"the mean over the kept steps is finite"),
        ("pool_variable_length", build_pool_variable_length,
         f"Functional x (3,6,3) on Input((None, 3)) (steps unknown when built) padded "
         f"{pad['end']} -> Masking 'mask' -> LSTM(4, seq) 'rnn' -> GlobalAveragePooling1D "
         f"'gap' (masked mean); 'rnn' -> MaxPooling1D(2) -> AveragePooling1D(2, strides 1, "
         f"same) -> GlobalMaxPooling1D 'gmp'; Concatenate([gmp, gap]) -> Dense(2) 'head'; "
         f"outputs [gap, head]"),
    ]
    k3_only = [
        ("gap1d_mask_channels_first", build_gap1d_mask_channels_first,
         f"Functional x (3,6,3), m (3,6) float 0/1 ({pad['mixed']}); LSTM(4, seq) 'rnn' -> "
         f"Permute((2,1)) 'to_cf' -> GlobalAveragePooling1D(data_format='channels_first') "
         f"'gap_cf' and with keepdims 'gap_cf_keep', called with mask=ops.cast(m, 'bool') "
         f"(a Cast op node): the mask applies along the last axis"),
        ("gap1d_mask_nonfinite", build_gap1d_mask_nonfinite,
         f"Functional x (3,6,2), m (3,6) float 0/1 ({pad['mixed']}); "
         f"GlobalAveragePooling1D 'gap' called with mask=ops.cast(m, 'bool'); x holds +inf, "
         f"-inf and NaN at the masked steps, which Keras 3's where drops: the output is "
         f"finite"),
    ]
    yield from spec_cases(specs + k3_only, k2=[name for name, _, _ in specs], k2_what={
        "gap1d_masking_inf": ("Sequential x (3,6,2) -> Masking(mask_value=inf) 'mask' -> "
                              "GlobalAveragePooling1D 'gap'. tf_keras's Masking and "
                              "GlobalAveragePooling1D multiply by the mask (inf * 0 = NaN): "
                              "with all-inf (masked) steps the rows with padding come out NaN "
                              "(asserted by the generator's check), so the shipped inputs are "
                              "finite standard normals and nothing is masked")})
    yield from format_cases({"keras3-weights": "pooling_layers_weights",
                             "keras3-legacy-h5": "k3_legacy_pooling_layers",
                             "keras2-weights-v3": "k2_pooling_layers_weights_v3"}, chain,
                            build_all_pooling_layers)
