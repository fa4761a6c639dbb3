"""Masking: Masking layers, Embedding(mask_zero), explicit mask tensors; padding at the end, in
the middle, at the start, fully masked rows; under LSTM, GRU and Bidirectional (including
Keras's unroll quirk); Keras 3 dropping the mask with initial_state; tf_keras's masking.

Masking cases use batch 3 and 6 steps; a padded step is the whole vector 0.0."""

import numpy as np

from ..builders import D, K2W, RB, U, bias_kw, bidi_names, check_equal, finish, is_keras3, \
    randn, rnn_names
from ..case import Built, Case

MB, MT = 3, 6   # batch, timesteps

# Padding patterns (MB rows of MT steps): 1 = real step, 0 = padding.
PAD = {
    "end": ["111111", "111100", "110000"],
    "middle": ["110011", "101111", "111101"],
    "start": ["111111", "001111", "000011"],
    "full_row": ["111111", "000000", "111000"],
    "mixed": ["111100", "011011", "001111"],
    "end_middle": ["111100", "101101", "111111"],
    "asym": ["111100", "110111", "011111"],     # no row is its own mirror image
}


def mask_from_rows(rows):
    return np.array([[c == "1" for c in r] for r in rows], dtype=bool)


def pad_inputs(x, mask):
    """Zero whole timesteps where mask (B, T) is False (Masking's mask_value is 0.0)."""
    x = x.copy()
    x[~mask] = 0.0
    return x


def check_zero_where_masked(label, idx, mask):
    def fn(outs):
        o = outs[idx]
        bad = float(np.max(np.abs(o[~mask]))) if (~mask).any() else 0.0
        return bad == 0.0, f"max|output| at masked steps = {bad:.3g}"
    return (label, fn)


def _check_mask_semantics(mask, seq, state, go_backwards):
    """What Keras's masking does, as seen in the outputs (plain layer,
    zero_output_for_mask=False): at a masked step the sequence output repeats the previous
    output (zeros before the first valid step) and the final state is the output at the
    last valid step in processing order."""
    def fn(outs):
        m = mask[:, ::-1] if go_backwards else mask
        if seq:
            o = outs[0]
            worst = 0.0
            for b in range(m.shape[0]):
                prev = np.zeros(o.shape[-1], np.float32)
                for t in range(m.shape[1]):
                    if not m[b, t]:
                        worst = max(worst, float(np.max(np.abs(o[b, t] - prev))))
                    prev = o[b, t]
            if state:
                worst = max(worst, float(np.max(np.abs(o[:, -1] - outs[1]))))
        else:
            worst = float(np.max(np.abs(outs[0] - outs[1]))) if state else 0.0
        return worst == 0.0, f"max|masked output - carried output| = {worst:.3g}"
    return ("masked steps carry the previous output / state", fn)


def mask_rnn_builder(kind, pad, *, return_sequences=True, return_state=False,
                     sequential=None, **kw):
    """Masking 'mask' -> `kind` 'rnn' on x (3, 6, 3) whose padded steps are all 0.0."""
    if sequential is None:
        sequential = not return_state

    def build(K, rng):
        mask = mask_from_rows(PAD[pad])
        layer = getattr(K.layers, kind)(U, return_sequences=return_sequences,
                                        return_state=return_state, name="rnn",
                                        **bias_kw(K), **kw)
        x = K.Input((MT, D), name="x")
        masking = K.layers.Masking(0.0, name="mask")
        if sequential:
            model = K.Sequential([x, masking, layer], name="model")
        else:
            model = K.Model(x, layer(masking(x)), name="model")
        finish(K, model, rng)
        xs = [pad_inputs(randn(rng, MB, MT, D), mask)]
        built = Built(model, xs, rnn_names("rnn", kind, return_state))
        built.checks.append(_check_mask_semantics(mask, return_sequences, return_state,
                                                  kw.get("go_backwards", False)))
        return built
    return build


def mask_bidi_builder(pad, *, return_sequences, return_state, sequential, unroll=False):
    """Masking 'mask' -> Bidirectional(LSTM 'lstm', concat) 'bi' on padded x (3, 6, 3)."""
    def build(K, rng):
        mask = mask_from_rows(PAD[pad])
        inner = K.layers.LSTM(U, return_sequences=return_sequences, return_state=return_state,
                              unroll=unroll, name="lstm", **bias_kw(K))
        bi = K.layers.Bidirectional(inner, merge_mode="concat", name="bi")
        x = K.Input((MT, D), name="x")
        masking = K.layers.Masking(0.0, name="mask")
        model = (K.Sequential([x, masking, bi], name="model") if sequential
                 else K.Model(x, bi(masking(x)), name="model"))
        finish(K, model, rng)
        xs = [pad_inputs(randn(rng, MB, MT, D), mask)]
        built = Built(model, xs, bidi_names("bi", "LSTM", "concat", return_state))
        if unroll:
            built.checks.append(_check_unroll_quirk(K, model, xs, mask))
        elif return_sequences:
            built.checks.append(check_zero_where_masked(
                "Bidirectional sequence output is 0 at masked steps", 0, mask))
        return built
    return build


def _check_unroll_quirk(K, model, xs, mask):
    """unroll=True + go_backwards + mask + zero_output_for_mask (the backward half of a
    Bidirectional with return_sequences): Keras's unrolled loop carries the previous output at
    masked steps and afterwards zeroes the (processing-order) sequence with the mask in
    ORIGINAL time order. Compare with the same weights and unroll=False."""
    ref_model = K.Sequential([
        K.Input((MT, D), name="x_ref"), K.layers.Masking(0.0, name="mask_ref"),
        K.layers.Bidirectional(K.layers.LSTM(U, return_sequences=True, name="lstm_ref"),
                               name="bi_ref")], name="ref_model")
    ref_model.set_weights(model.get_weights())
    ref = np.asarray(ref_model(xs[0], training=False))

    def fn(outs):
        o = outs[0]
        fwd = float(np.max(np.abs(o[..., :U] - ref[..., :U])))
        bwd = float(np.max(np.abs(o[..., U:] - ref[..., U:])))
        nz = float(np.max(np.abs(o[..., U:][~mask]))) if (~mask).any() else 0.0
        return (fwd <= 1e-6 and bwd > 1e-3), (
            f"vs unroll=False: forward half max|diff|={fwd:.3g}, backward half "
            f"max|diff|={bwd:.3g}; backward half at masked steps max|output|={nz:.3g}")
    return ("unroll=True differs from unroll=False in the backward half (Keras quirk)", fn)


def build_mask_embedding(K, rng):
    mask = mask_from_rows(PAD["end_middle"])
    tok = K.Input((MT,), dtype="int32", name="tokens")
    emb = K.layers.Embedding(10, 5, mask_zero=True, name="emb")
    lstm = K.layers.LSTM(U, name="rnn", **bias_kw(K))
    head = K.layers.Dense(3, activation="softmax", name="head", **bias_kw(K))
    model = K.Model(tok, head(lstm(emb(tok))), name="model")
    finish(K, model, rng)
    ids = rng.integers(1, 10, size=(MB, MT)).astype(np.int32)
    ids[~mask] = 0
    return Built(model, [ids], ["head/output"])


def build_mask_functional_explicit(K, rng):
    mask = mask_from_rows(PAD["mixed"])
    x = K.Input((MT, D), name="x")
    h = K.layers.Masking(0.0, name="mask")(x)
    h = K.layers.LSTM(U, return_sequences=True, name="rnn", **bias_kw(K))(h)
    y = K.layers.TimeDistributed(K.layers.Dense(2, name="dense", **bias_kw(K)), name="td")(h)
    model = K.Model(x, y, name="model")
    return Built(model, [pad_inputs(randn(rng, MB, MT, D), mask)], ["td/output"])


def build_mask_separate_input(K, rng):
    mask = mask_from_rows(PAD["mixed"])
    x = K.Input((MT, D), name="x")
    m = K.Input((MT,), name="m")                    # float32 0/1
    layer = K.layers.LSTM(U, return_sequences=True, return_state=True, name="rnn",
                          **bias_kw(K))
    model = K.Model([x, m], layer(x, mask=K.ops.cast(m, "bool")), name="model")
    xs = [randn(rng, MB, MT, D), mask.astype(np.float32)]   # x is NOT zero at masked steps
    built = Built(model, xs, rnn_names("rnn", "LSTM", True))
    built.checks.append(_check_mask_semantics(mask, True, True, False))
    return built


def build_mask_initial_state(K, rng):
    mask = mask_from_rows(PAD["mixed"])
    x = K.Input((MT, D), name="x")
    h0, c0 = K.Input((U,), name="h0"), K.Input((U,), name="c0")
    layer = K.layers.LSTM(U, return_sequences=True, return_state=True, name="rnn",
                          **bias_kw(K))
    xm = K.layers.Masking(0.0, name="mask")(x)
    model = K.Model([x, h0, c0], layer(xm, initial_state=[h0, c0]), name="model")
    finish(K, model, rng)
    xs = [pad_inputs(randn(rng, MB, MT, D), mask), randn(rng, MB, U), randn(rng, MB, U)]
    # The same layer called without Masking in front.
    xr = K.Input((MT, D), name="x_ref")
    hr, cr = K.Input((U,), name="h0_ref"), K.Input((U,), name="c0_ref")
    plain = K.layers.LSTM(U, return_sequences=True, return_state=True, name="plain")
    ref_model = K.Model([xr, hr, cr], plain(xr, initial_state=[hr, cr]), name="ref_model")
    ref_model.set_weights(model.get_weights())
    ref = [np.asarray(o) for o in ref_model(xs, training=False)]
    if is_keras3(K):
        checks = [check_equal("equals the unmasked LSTM (Keras 3 drops the mask when "
                              "initial_state is given)", ref)]
    else:
        def differs(outs):
            d = max(float(np.max(np.abs(a - b))) for a, b in zip(outs, ref))
            return d > 1e-3, f"max|masked - unmasked| = {d:.3g}"
        checks = [_check_mask_semantics(mask, True, True, False),
                  ("differs from the unmasked LSTM (tf_keras keeps the mask)", differs)]
    return Built(model, xs, rnn_names("rnn", "LSTM", True), checks=checks)


def build_masking_inf(K, rng):
    """Masking(mask_value=inf) -> Flatten: Keras 3 zeroes a masked step with where(), so a step
    of infinities becomes 0 (tf_keras multiplies by the mask: inf * 0 = NaN, not shipped)."""
    x = K.Input((3, 2), name="x")
    model = K.Sequential([x, K.layers.Masking(np.inf, name="mask"), K.layers.Flatten(name="flat")],
                         name="model")
    finish(K, model, rng)
    xs = randn(rng, 2, 3, 2)
    xs[0, 1] = np.inf
    return Built(model, [xs], ["flat/output"])


def cases():
    pads = {k: "/".join(v) for k, v in PAD.items()}
    yield Case("masking_inf_where",
               "Sequential Masking(mask_value=inf) 'mask' -> Flatten 'flat' on x (2,3,2) whose row 0 "
               "step 1 is all inf: Keras 3 zeroes masked steps with where(), so they give 0 (tf_keras "
               "would multiply: NaN).",
               build_masking_inf, float64=False)
    mshape = f"x ({MB},{MT},{D})"
    for pad, case, what in (("end", "mask_lstm_end_padding", "end padding"),
                            ("middle", "mask_lstm_middle_gap", "gaps in the middle"),
                            ("start", "mask_lstm_start_padding", "leading padding"),
                            ("full_row", "mask_lstm_full_row", "row 1 fully masked")):
        yield Case(case,
                   f"Sequential Masking(0.0) 'mask' -> LSTM({U}, return_sequences=True) 'rnn' "
                   f"on {mshape} with {what}: whole steps are 0.0 where the pattern "
                   f"{pads[pad]} has a 0; {RB}.",
                   mask_rnn_builder("LSTM", pad))
    yield Case("mask_lstm_last",
               f"Functional Masking 'mask' -> LSTM({U}, return_sequences=False, "
               f"return_state=True) 'rnn' on {mshape} padded {pads['mixed']}: the output and "
               f"states are those of the last valid step; {RB}.",
               mask_rnn_builder("LSTM", "mixed", return_sequences=False, return_state=True))
    yield Case("mask_lstm_go_backwards",
               f"Functional Masking 'mask' -> LSTM({U}, go_backwards=True, return_sequences="
               f"True, return_state=True) 'rnn' on {mshape} padded {pads['mixed']}; {RB}.",
               mask_rnn_builder("LSTM", "mixed", return_state=True, go_backwards=True))
    yield Case("mask_gru_seq",
               f"Functional Masking 'mask' -> GRU({U}, return_sequences=True, return_state="
               f"True) 'rnn' on {mshape} padded {pads['mixed']}; {RB}.",
               mask_rnn_builder("GRU", "mixed", return_state=True))
    yield Case("mask_bidi_seq",
               f"Sequential Masking 'mask' -> Bidirectional(LSTM({U}, return_sequences=True) "
               f"'lstm', concat) 'bi' on {mshape} padded {pads['end_middle']} (end and "
               f"middle): Bidirectional sets zero_output_for_mask, so masked steps output 0; "
               f"{RB}.",
               mask_bidi_builder("end_middle", return_sequences=True, return_state=False,
                                 sequential=True))
    yield Case("mask_bidi_last_state",
               f"Functional Masking 'mask' -> Bidirectional(LSTM({U}, return_state=True) "
               f"'lstm', concat) 'bi' on {mshape} padded {pads['mixed']}; {RB}.",
               mask_bidi_builder("mixed", return_sequences=False, return_state=True,
                                 sequential=False))
    yield Case("mask_bidi_unroll",
               f"Sequential Masking 'mask' -> Bidirectional(LSTM({U}, return_sequences=True, "
               f"unroll=True) 'lstm', concat) 'bi' on {mshape} padded {pads['asym']}. Keras "
               f"quirk: with unroll, go_backwards, a mask and zero_output_for_mask, the "
               f"backward sequence (in processing order, masked steps carrying the previous "
               f"output) is zeroed with the mask in original time order, so in the backward "
               f"half some valid steps come out 0 and some masked steps do not; the forward "
               f"half is as without unroll; {RB}.",
               mask_bidi_builder("asym", return_sequences=True, return_state=False,
                                 sequential=True, unroll=True))
    yield Case("mask_embedding",
               f"Functional int32 tokens ({MB},{MT}) -> Embedding(10, 5, mask_zero=True) "
               f"'emb' -> LSTM({U}) 'rnn' -> Dense(3, softmax) 'head'; token 0 (padding "
               f"{pads['end_middle']}) is masked; config.json has a NotEqual op node; {RB} "
               f"(Dense too).",
               build_mask_embedding)
    yield Case("mask_functional_explicit",
               f"Functional Masking 'mask' -> LSTM({U}, return_sequences=True) 'rnn' -> "
               f"TimeDistributed(Dense(2) 'dense') 'td' on {mshape} padded {pads['mixed']}; "
               f"config.json has NotEqual and Any op nodes and kwargs.mask on 'rnn' and "
               f"'td'; {RB}.",
               build_mask_functional_explicit)
    yield Case("mask_separate_input",
               f"Functional inputs {mshape} (NOT zero at masked steps) and m ({MB},{MT}) "
               f"float32 0/1 ({pads['mixed']}); LSTM({U}, return_sequences=True, "
               f"return_state=True) 'rnn' called as rnn(x, mask=ops.cast(m, 'bool')) (a Cast "
               f"op node); {RB}.",
               build_mask_separate_input)
    yield Case("mask_initial_state",
               f"Functional {mshape} padded {pads['mixed']}, h0, c0 ({MB},{U}); Masking "
               f"'mask' -> LSTM({U}, return_sequences=True, return_state=True) 'rnn' called "
               f"with initial_state=[h0, c0]. Keras 3 drops the mask here: the outputs equal "
               f"the unmasked LSTM's; {RB}.",
               build_mask_initial_state)

    k2 = dict(fmt="keras2-h5")
    yield Case("k2_mask_lstm",
               f"tf_keras: Sequential Masking(0.0) 'mask' -> LSTM({U}, return_sequences=True) "
               f"'rnn' on {mshape} padded {pads['mixed']}; {K2W}.",
               mask_rnn_builder("LSTM", "mixed"), **k2)
    yield Case("k2_mask_initial_state",
               f"tf_keras: the model of mask_initial_state ({mshape} padded {pads['mixed']}, "
               f"h0, c0; Masking 'mask' -> LSTM({U}, return_sequences=True, return_state=True) "
               f"'rnn' with initial_state=[h0, c0]). tf_keras applies the mask here, unlike "
               f"Keras 3; {K2W}.",
               build_mask_initial_state, **k2)
    yield Case("k2_mask_bidi_seq",
               f"tf_keras: Sequential Masking 'mask' -> Bidirectional(LSTM({U}, "
               f"return_sequences=True) 'lstm', concat) 'bi' on {mshape} padded "
               f"{pads['end_middle']}: masked steps output 0; {K2W}.",
               mask_bidi_builder("end_middle", return_sequences=True, return_state=False,
                                 sequential=True), **k2)
    yield Case("k2_mask_bidi_unroll",
               f"tf_keras: the model of mask_bidi_unroll (Bidirectional(LSTM({U}, "
               f"return_sequences=True, unroll=True)) over Masking, padding {pads['asym']}), "
               f"with the same unroll quirk; {K2W}.",
               mask_bidi_builder("asym", return_sequences=True, return_state=False,
                                 sequential=True, unroll=True), **k2)
    yield Case("k2_embedding_mask",
               f"tf_keras: functional int32 tokens ({MB},{MT}) -> Embedding(10, 5, "
               f"mask_zero=True) 'emb' -> LSTM({U}) 'rnn' -> Dense(3, softmax) 'head', "
               f"padding {pads['end_middle']}; {K2W}.",
               build_mask_embedding, **k2)
