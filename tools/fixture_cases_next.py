"""The "next" case group of tools/make_fixtures.py: GRU, SimpleRNN, masking, stacks, activations, Keras 2 files.

    python tools/make_fixtures.py --group next [--only GLOB[,GLOB...]]    # -> fixtures/

GRU, SimpleRNN, Bidirectional around them, the generic RNN(cell) forms, masking, stacks with
Embedding / Dense / TimeDistributed / merge layers, every element-wise activation, and files
written by tf_keras 2.x (Keras 2 HDF5) and by Keras 3's weights-only and legacy-HDF5 writers.
make_fixtures.py calls register(module) with itself, so the builders here use its Built,
randn, rand_bias and add_case.

Conventions (as in make_fixtures.py): every layer, input and model has an explicit name;
Keras 3 biases use rand_bias (slices differ); tf_keras models get all their weights from
numpy (np_weights) because tf_keras initializers repeat their draws.
"""

import math

import numpy as np

mf = None   # the make_fixtures module, set by register()

B, T, D, U = 2, 5, 3, 4
GROUP = "next"

_RB = ("default kernel and recurrent initializers, biases RandomUniform(-0.5, 0.5) with a "
       "SeedGenerator seed")
_K2W = ("all weights drawn with numpy after building (tf_keras initializers repeat their "
        "draws): kernels Glorot-uniform, biases U(-0.5, 0.5)")


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

def randn(rng, *shape):
    return mf.randn(rng, *shape)


def _is_k3(K):
    return hasattr(K, "random") and hasattr(K.random, "SeedGenerator")


def bias_kw(K):
    """Keras 3: a bias initializer whose slices differ. tf_keras: nothing (np_weights later)."""
    return {"bias_initializer": mf.rand_bias(K)} if _is_k3(K) else {}


def np_weights(model, rng):
    """Replace every weight of a (tf_keras) model with numpy draws: biases U(-0.5, 0.5),
    embeddings U(-1, 1), other matrices Glorot-uniform. Deterministic in rng alone."""
    new = []
    for w in model.weights:
        shape = tuple(int(s) for s in w.shape)
        name = w.name
        if "bias" in name:
            a = rng.uniform(-0.5, 0.5, shape)
        elif "embeddings" in name:
            a = rng.uniform(-1.0, 1.0, shape)
        else:
            lim = math.sqrt(6.0 / (shape[0] + shape[-1]))
            a = rng.uniform(-lim, lim, shape)
        new.append(a.astype(np.float32))
    model.set_weights(new)


def finish(K, model, rng):
    """Per-format weight set-up after building."""
    if not _is_k3(K):
        np_weights(model, rng)
    return model


def state_names(kind):
    return ["state_h", "state_c"] if kind == "LSTM" else ["state_h"]


def rnn_names(layer, kind, return_state):
    return [f"{layer}/output"] + ([f"{layer}/{s}" for s in state_names(kind)]
                                  if return_state else [])


def bidi_names(layer, kind, merge_mode, return_state):
    names = ([f"{layer}/forward_output", f"{layer}/backward_output"] if merge_mode is None
             else [f"{layer}/output"])
    if return_state:
        sfx = ["h", "c"] if kind == "LSTM" else ["h"]
        names += [f"{layer}/forward_{s}" for s in sfx] + [f"{layer}/backward_{s}" for s in sfx]
    return names


def flat(K, out):
    """Nested RNN outputs (stacked cells) as one flat list."""
    if hasattr(K, "tree"):
        return K.tree.flatten(out)
    import tensorflow as tf
    return tf.nest.flatten(out)


def pad_inputs(x, mask):
    """Zero whole timesteps where mask (B, T) is False (Masking's mask_value is 0.0)."""
    x = x.copy()
    x[~mask] = 0.0
    return x


def mask_from_rows(rows):
    return np.array([[c == "1" for c in r] for r in rows], dtype=bool)


# Padding patterns (B=3, T=6): 1 = real step, 0 = padding (the whole step is 0.0).
PAD = {
    "end": ["111111", "111100", "110000"],
    "middle": ["110011", "101111", "111101"],
    "start": ["111111", "001111", "000011"],
    "full_row": ["111111", "000000", "111000"],
    "mixed": ["111100", "011011", "001111"],
    "end_middle": ["111100", "101101", "111111"],
    "asym": ["111100", "110111", "011111"],     # no row is its own mirror image
}


def check_equal(label, ref, idx=None, atol=0.0):
    """A Built.checks entry: outs (or outs[idx]) equal ref, bit for bit when atol == 0."""
    def fn(outs):
        got = outs if idx is None else [outs[i] for i in idx]
        d = max(float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))
                for a, b in zip(got, ref))
        same = all(np.array_equal(a, b) for a, b in zip(got, ref))
        return (d <= atol), (f"max|diff|={d:.3g}" + (" (bit-identical)" if same else ""))
    return (label, fn)


def check_zero_where_masked(label, idx, mask):
    def fn(outs):
        o = outs[idx]
        bad = float(np.max(np.abs(o[~mask]))) if (~mask).any() else 0.0
        return bad == 0.0, f"max|output| at masked steps = {bad:.3g}"
    return (label, fn)


# --------------------------------------------------------------------------------------------
# Plain recurrent layers: LSTM / GRU / SimpleRNN
# --------------------------------------------------------------------------------------------

def rnn_builder(kind, *, batch=B, steps=T, dim=D, units=U, return_sequences=False,
                return_state=False, sequential=None, input_scale=1.0, initial_state=False,
                checks=None, **kw):
    """One `kind` layer named 'rnn' on input 'x' (plus state inputs h0 [c0] with
    initial_state). Sequential when it has a single output unless sequential=False."""
    if sequential is None:
        sequential = not return_state and not initial_state

    def build(K, rng):
        lkw = dict(kw)
        if lkw.get("use_bias", True) and "bias_initializer" not in lkw:
            lkw.update(bias_kw(K))
        layer = getattr(K.layers, kind)(units, return_sequences=return_sequences,
                                        return_state=return_state, name="rnn", **lkw)
        x = K.Input((steps, dim), name="x")
        xs = [(randn(rng, batch, steps, dim) * np.float32(input_scale)).astype(np.float32)]
        if sequential:
            model = K.Sequential([x, layer], name="model")
        elif initial_state:
            st = [K.Input((units,), name=n) for n in (["h0", "c0"] if kind == "LSTM" else ["h0"])]
            model = K.Model([x] + st, layer(x, initial_state=st), name="model")
            xs += [randn(rng, batch, units) for _ in st]
        else:
            model = K.Model(x, layer(x), name="model")
        finish(K, model, rng)
        built = mf.Built(model, xs, rnn_names("rnn", kind, return_state))
        if checks:
            built.checks += checks(K, model, xs)
        return built
    return build


def _gate_range_check(kind, gates, lo, hi):
    """Check that the recurrent-activation pre-activations of `gates` (indices into the gate
    order) reach below lo and above hi, computed by a small float64 numpy forward pass of the
    saved weights (Keras 3 hard_sigmoid, relu activation as in the case)."""
    def fn_factory(K, model, xs):
        W = [np.asarray(w, np.float64) for w in model.get_weights()]
        x = xs[0].astype(np.float64)
        pre = _preacts(kind, W, x, "relu", lambda z: np.clip(z / 6 + 0.5, 0, 1))
        sel = np.concatenate([pre[..., g] for g in gates], -1)
        mn, mx = float(sel.min()), float(sel.max())

        def fn(outs):
            return (mn < lo and mx > hi), f"gate pre-activations span [{mn:.2f}, {mx:.2f}]"
        return [(f"recurrent-activation pre-activations reach <{lo} and >{hi}", fn)]
    return fn_factory


def _preacts(kind, W, x, act_name, ract):
    """Recurrent-activation pre-activations per step, (B, T, ngates, u), numpy float64."""
    act = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh}[act_name]
    kernel, rec, bias = W[0], W[1], (W[2] if len(W) > 2 else None)
    u = rec.shape[0]
    h = np.zeros((x.shape[0], u))
    c = np.zeros_like(h)
    res = []
    for t in range(x.shape[1]):
        if kind == "LSTM":
            z = x[:, t] @ kernel + h @ rec + (0 if bias is None else bias)
            zs = z.reshape(-1, 4, u)
            i, f, o = ract(zs[:, 0]), ract(zs[:, 1]), ract(zs[:, 3])
            c = f * c + i * act(zs[:, 2])
            h = o * act(c)
            res.append(zs[:, [0, 1, 3]])
        else:   # GRU reset_after=True
            bx, bh = (bias[0], bias[1]) if bias is not None else (0, 0)
            mx_ = (x[:, t] @ kernel + bx).reshape(-1, 3, u)
            mh = (h @ rec + bh).reshape(-1, 3, u)
            zr = mx_[:, :2] + mh[:, :2]
            z, r = ract(zr[:, 0]), ract(zr[:, 1])
            hh = act(mx_[:, 2] + r * mh[:, 2])
            h = z * h + (1 - z) * hh
            res.append(zr)
    return np.stack(res, 1)


def bidi_builder(kind, *, merge_mode="concat", return_sequences=True, return_state=True,
                 backward_kw=None, sequential=False, units=U, batch=B, steps=T, dim=D,
                 initial_state=False):
    """Bidirectional 'bi' around `kind` 'inner'. backward_kw: also pass an explicit
    backward_layer of the same kind named 'inner_back' with go_backwards=True and these
    extra arguments. initial_state: the model also takes the forward then backward initial
    states as inputs h0f (, c0f), h0b (, c0b), passed as bi(x, initial_state=[...])."""
    def build(K, rng):
        def make(name, **extra):
            return getattr(K.layers, kind)(units, return_sequences=return_sequences,
                                           return_state=return_state, name=name,
                                           **bias_kw(K), **extra)
        inner = make("inner")
        back = make("inner_back", go_backwards=True, **backward_kw) if backward_kw else None
        bi = K.layers.Bidirectional(inner, merge_mode=merge_mode, backward_layer=back, name="bi")
        x = K.Input((steps, dim), name="x")
        if initial_state:
            per = ["h0", "c0"] if kind == "LSTM" else ["h0"]
            states = [K.Input((units,), name=f"{n}{d}") for d in ("f", "b") for n in per]
            model = K.Model([x] + states, bi(x, initial_state=states), name="model")
            finish(K, model, rng)
            return mf.Built(model, [randn(rng, batch, steps, dim)] + [randn(rng, batch, units) for _ in states],
                            bidi_names("bi", kind, merge_mode, return_state))
        model = (K.Sequential([x, bi], name="model") if sequential
                 else K.Model(x, bi(x), name="model"))
        finish(K, model, rng)
        return mf.Built(model, [randn(rng, batch, steps, dim)],
                        bidi_names("bi", kind, merge_mode, return_state))
    return build


# --------------------------------------------------------------------------------------------
# Generic forms: RNN(cell), StackedRNNCells, stateful, unroll, dropout
# --------------------------------------------------------------------------------------------

def rnn_cell_builder(cell_kind):
    def build(K, rng):
        cell = getattr(K.layers, cell_kind)(U, name="cell", **bias_kw(K))
        layer = K.layers.RNN(cell, return_sequences=True, return_state=True, name="rnn")
        x = K.Input((T, D), name="x")
        model = K.Model(x, layer(x), name="model")
        kind = cell_kind.replace("Cell", "")
        return mf.Built(model, [randn(rng, B, T, D)], rnn_names("rnn", kind, True))
    return build


def build_rnn_stacked_cells(K, rng):
    cells = [K.layers.LSTMCell(4, name="cell_a", **bias_kw(K)),
             K.layers.GRUCell(3, name="cell_b", **bias_kw(K))]
    layer = K.layers.RNN(K.layers.StackedRNNCells(cells, name="stack"),
                         return_sequences=True, return_state=True, name="rnn")
    x = K.Input((T, D), name="x")
    model = K.Model(x, flat(K, layer(x)), name="model")
    return mf.Built(model, [randn(rng, B, T, D)],
                    ["rnn/output", "rnn/state_0_h", "rnn/state_0_c", "rnn/state_1_h"])


def _same_weights_outputs(K, make_layer, weights, xs):
    """Outputs of a model around a freshly made layer given `weights` (for checks)."""
    x = K.Input((T, D), name="x_ref")
    layer = make_layer()
    m = K.Model(x, layer(x), name="ref_model")
    m.set_weights(weights)
    out = m(xs[0], training=False)
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def build_lstm_stateful(K, rng):
    layer = K.layers.LSTM(U, stateful=True, return_sequences=True, return_state=True,
                          name="rnn", **bias_kw(K))
    x = K.Input((T, D), batch_size=B, name="x")
    model = K.Model(x, layer(x), name="model")
    xs = [randn(rng, B, T, D)]
    ref = _same_weights_outputs(
        K, lambda: K.layers.LSTM(U, return_sequences=True, return_state=True, name="plain"),
        model.get_weights(), xs)
    return mf.Built(model, xs, rnn_names("rnn", "LSTM", True),
                    checks=[check_equal("equals stateful=False with the same weights", ref)])


def build_lstm_unroll(K, rng):
    layer = K.layers.LSTM(U, unroll=True, return_sequences=True, return_state=True,
                          name="rnn", **bias_kw(K))
    x = K.Input((T, D), name="x")
    model = K.Model(x, layer(x), name="model")
    xs = [randn(rng, B, T, D)]
    ref = _same_weights_outputs(
        K, lambda: K.layers.LSTM(U, return_sequences=True, return_state=True, name="plain"),
        model.get_weights(), xs)
    return mf.Built(model, xs, rnn_names("rnn", "LSTM", True),
                    checks=[check_equal("within 1e-6 of unroll=False with the same weights",
                                        ref, atol=1e-6)])


def build_lstm_dropout(K, rng):
    layer = K.layers.LSTM(U, dropout=0.3, recurrent_dropout=0.2, return_sequences=True,
                          return_state=True, name="rnn", **bias_kw(K))
    x = K.Input((T, D), name="x")
    model = K.Model(x, layer(x), name="model")
    xs = [randn(rng, B, T, D)]
    ref = _same_weights_outputs(
        K, lambda: K.layers.LSTM(U, return_sequences=True, return_state=True, name="plain"),
        model.get_weights(), xs)
    return mf.Built(model, xs, rnn_names("rnn", "LSTM", True),
                    checks=[check_equal("within 1e-6 of dropout=0 with the same weights "
                                        "(recurrent_dropout selects implementation=1)",
                                        ref, atol=1e-6)])


# --------------------------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------------------------

MB, MT = 3, 6   # masking cases: batch 3, 6 steps


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
        built = mf.Built(model, xs, rnn_names("rnn", kind, return_state))
        built.checks.append(_check_mask_semantics(kind, mask, return_sequences,
                                                  return_state, kw.get("go_backwards", False)))
        return built
    return build


def _check_mask_semantics(kind, mask, seq, state, go_backwards):
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


def mask_bidi_builder(pad, *, return_sequences, return_state, sequential, unroll=False):
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
        built = mf.Built(model, xs, bidi_names("bi", "LSTM", "concat", return_state))
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
    return mf.Built(model, [ids], ["head/output"])


def build_mask_functional_explicit(K, rng):
    mask = mask_from_rows(PAD["mixed"])
    x = K.Input((MT, D), name="x")
    h = K.layers.Masking(0.0, name="mask")(x)
    h = K.layers.LSTM(U, return_sequences=True, name="rnn", **bias_kw(K))(h)
    y = K.layers.TimeDistributed(K.layers.Dense(2, name="dense", **bias_kw(K)), name="td")(h)
    model = K.Model(x, y, name="model")
    return mf.Built(model, [pad_inputs(randn(rng, MB, MT, D), mask)], ["td/output"])


def build_mask_separate_input(K, rng):
    mask = mask_from_rows(PAD["mixed"])
    x = K.Input((MT, D), name="x")
    m = K.Input((MT,), name="m")                    # float32 0/1
    layer = K.layers.LSTM(U, return_sequences=True, return_state=True, name="rnn",
                          **bias_kw(K))
    model = K.Model([x, m], layer(x, mask=K.ops.cast(m, "bool")), name="model")
    xs = [randn(rng, MB, MT, D), mask.astype(np.float32)]   # x is NOT zero at masked steps
    built = mf.Built(model, xs, rnn_names("rnn", "LSTM", True))
    built.checks.append(_check_mask_semantics("LSTM", mask, True, True, False))
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
    if _is_k3(K):
        checks = [check_equal("equals the unmasked LSTM (Keras 3 drops the mask when "
                              "initial_state is given)", ref)]
    else:
        def differs(outs):
            d = max(float(np.max(np.abs(a - b))) for a, b in zip(outs, ref))
            return d > 1e-3, f"max|masked - unmasked| = {d:.3g}"
        checks = [_check_mask_semantics("LSTM", mask, True, True, False),
                  ("differs from the unmasked LSTM (tf_keras keeps the mask)", differs)]
    return mf.Built(model, xs, rnn_names("rnn", "LSTM", True), checks=checks)


# --------------------------------------------------------------------------------------------
# Stacks and heads
# --------------------------------------------------------------------------------------------

def build_stack_embed_lstm_gru_dense(K, rng):
    model = K.Sequential([
        K.Input((T,), dtype="int32", name="tokens"),
        K.layers.Embedding(12, 5, name="emb"),
        K.layers.LSTM(4, return_sequences=True, name="enc", **bias_kw(K)),
        K.layers.GRU(3, name="dec", **bias_kw(K)),
        K.layers.Dense(3, activation="softmax", name="head", **bias_kw(K)),
    ], name="model")
    finish(K, model, rng)
    return mf.Built(model, [rng.integers(0, 12, size=(B, T)).astype(np.int32)], ["head/output"])


def build_stack_td_dense(K, rng):
    model = K.Sequential([
        K.Input((T, D), name="x"),
        K.layers.LSTM(U, return_sequences=True, name="rnn", **bias_kw(K)),
        K.layers.TimeDistributed(K.layers.Dense(2, activation="tanh", name="dense",
                                                **bias_kw(K)), name="td"),
    ], name="model")
    return mf.Built(model, [randn(rng, B, T, D)], ["td/output"])


def build_dense_3d(K, rng):
    model = K.Sequential([
        K.Input((T, D), name="x"),
        K.layers.LSTM(U, return_sequences=True, name="rnn", **bias_kw(K)),
        K.layers.Dense(5, activation="gelu", name="dense", **bias_kw(K)),
    ], name="model")
    return mf.Built(model, [randn(rng, B, T, D)], ["dense/output"])


def build_merge_layers(K, rng):
    x = K.Input((T, D), name="x")
    a = K.layers.LSTM(U, name="lstm_a", **bias_kw(K))(x)
    b = K.layers.LSTM(U, name="lstm_b", **bias_kw(K))(x)
    outs = [K.layers.Concatenate(name="concat")([a, b]), K.layers.Add(name="add")([a, b]),
            K.layers.Average(name="average")([a, b]), K.layers.Multiply(name="multiply")([a, b])]
    model = K.Model(x, outs, name="model")
    return mf.Built(model, [randn(rng, B, T, D)],
                    ["concat/output", "add/output", "average/output", "multiply/output"])


def build_dropout_family(K, rng):
    model = K.Sequential([
        K.Input((T, D), name="x"),
        K.layers.LSTM(U, return_sequences=True, name="enc", **bias_kw(K)),
        K.layers.Dropout(0.5, name="drop"),
        K.layers.SpatialDropout1D(0.3, name="sdrop"),
        K.layers.GaussianNoise(0.1, name="noise"),
        K.layers.Activation("swish", name="act"),
        K.layers.GRU(3, return_sequences=True, name="dec", **bias_kw(K)),
    ], name="model")
    return mf.Built(model, [randn(rng, B, T, D)], ["dec/output"])


def build_multi_io(K, rng):
    x1 = K.Input((T, D), name="x1")
    x2 = K.Input((T + 1, 2), name="x2")
    a = K.layers.LSTM(U, name="lstm", **bias_kw(K))(x1)
    b = K.layers.GRU(3, name="gru", **bias_kw(K))(x2)
    y1 = K.layers.Dense(2, name="head_a", **bias_kw(K))(K.layers.Concatenate(name="cat")([a, b]))
    y2 = K.layers.Dense(1, activation="sigmoid", name="head_b", **bias_kw(K))(a)
    model = K.Model([x1, x2], [y1, y2], name="model")
    finish(K, model, rng)
    return mf.Built(model, [randn(rng, B, T, D), randn(rng, B, T + 1, 2)],
                    ["head_a/output", "head_b/output"])


# --------------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------------

ACTIVATIONS = ["tanh", "sigmoid", "hard_sigmoid", "relu", "relu6", "linear", "elu", "selu",
               "softplus", "softsign", "silu", "gelu", "exponential", "leaky_relu",
               "hard_silu", "mish", "log_sigmoid", "hard_tanh", "tanh_shrink", "soft_shrink",
               "hard_shrink", "sparse_plus", "sparse_sigmoid", "squareplus", "celu"]


# Input scale per activation (default 2): the shrink functions are 0 on [-0.5, 0.5], and
# with scale 2 soft_shrink kept almost every output at exactly 0.
ACT_SCALE = {"soft_shrink": 5.0, "hard_shrink": 3.0}


def act_builder(name):
    def build(K, rng):
        kw = dict(activation=name, return_sequences=True, return_state=True, name="rnn",
                  **bias_kw(K))
        scale = ACT_SCALE.get(name, 2.0)
        if name == "exponential":
            # exp() is applied to the cell state too: keep every pre-activation small.
            kw["kernel_initializer"] = K.initializers.RandomUniform(
                -0.3, 0.3, seed=K.random.SeedGenerator(int(rng.integers(1, 2 ** 31))))
            kw["recurrent_initializer"] = K.initializers.RandomUniform(
                -0.3, 0.3, seed=K.random.SeedGenerator(int(rng.integers(1, 2 ** 31))))
            scale = 1.0
        layer = K.layers.LSTM(U, **kw)
        x = K.Input((4, D), name="x")
        model = K.Model(x, layer(x), name="model")
        return mf.Built(model, [(randn(rng, B, 4, D) * np.float32(scale)).astype(np.float32)],
                        rnn_names("rnn", "LSTM", True))
    return build


HSB_UNITS = 4


def build_hard_sigmoid_band(K, rng):
    """LSTM whose i, f, o pre-activations all lie in [2.5, 3], where Keras 3's
    hard_sigmoid (relu6(x+3)/6 = x/6+0.5, 0.917..1) and Keras 2's (clip(0.2x+0.5) = 1) differ.
    Weights and inputs come from rng only, so the Keras 3 and tf_keras cases (same seed_name)
    hold the same numbers."""
    u = HSB_UNITS
    kernel = rng.uniform(-0.05, 0.05, (D, 4 * u))
    rec = rng.uniform(-0.02, 0.02, (u, 4 * u))
    bias = rng.uniform(2.65, 2.85, 4 * u)
    bias[2 * u:3 * u] = rng.uniform(-0.5, 0.5, u)          # candidate: anything
    kernel[:, 2 * u:3 * u] = rng.uniform(-0.8, 0.8, (D, u))
    rec[:, 2 * u:3 * u] = rng.uniform(-0.5, 0.5, (u, u))
    x = rng.uniform(-1.0, 1.0, (B, T, D))
    layer = K.layers.LSTM(u, recurrent_activation="hard_sigmoid", return_sequences=True,
                          return_state=True, name="rnn")
    xin = K.Input((T, D), name="x")
    model = K.Model(xin, layer(xin), name="model")
    W = [kernel.astype(np.float32), rec.astype(np.float32), bias.astype(np.float32)]
    model.set_weights(W)
    xs = [x.astype(np.float32)]
    if _is_k3(K):
        def hard_sigmoid(z):
            return np.clip(z / 6 + 0.5, 0, 1)
    else:
        def hard_sigmoid(z):
            return np.clip(0.2 * z + 0.5, 0, 1)
    pre = _preacts("LSTM", [w.astype(np.float64) for w in W], xs[0].astype(np.float64), "tanh",
                   hard_sigmoid)
    mn, mx = float(pre.min()), float(pre.max())

    def fn(outs):
        return 2.5 <= mn and mx <= 3.0, f"i, f, o pre-activations in [{mn:.3f}, {mx:.3f}]"
    return mf.Built(model, xs, rnn_names("rnn", "LSTM", True),
                    checks=[("gate pre-activations inside the [2.5, 3] band", fn)])


# --------------------------------------------------------------------------------------------
# tf_keras (Keras 2) and the other file formats
# --------------------------------------------------------------------------------------------

def build_k2_stack(K, rng):
    model = K.Sequential([
        K.Input((T, D), name="x"),
        K.layers.LSTM(4, return_sequences=True, name="enc"),
        K.layers.GRU(3, name="dec"),
        K.layers.Dense(2, name="head"),
    ], name="model")
    finish(K, model, rng)
    return mf.Built(model, [randn(rng, B, T, D)], ["head/output"])


def build_trained(K, rng):
    """LSTM -> GRU -> Dense, compile(Adam) + fit for one epoch on random data (so the file
    holds optimizer state), then run on fresh inputs."""
    model = K.Sequential([
        K.Input((T, D), name="x"),
        K.layers.LSTM(4, return_sequences=True, name="enc", **bias_kw(K)),
        K.layers.GRU(3, name="dec", **bias_kw(K)),
        K.layers.Dense(2, name="head", **bias_kw(K)),
    ], name="model")
    finish(K, model, rng)
    model.compile(optimizer=K.optimizers.Adam(learning_rate=0.01), loss="mse")
    xt = randn(rng, 16, T, D)
    yt = randn(rng, 16, 2)
    model.fit(xt, yt, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return mf.Built(model, [randn(rng, B, T, D)], ["head/output"])


def build_weights_only(K, rng):
    x = K.Input((T, D), name="x")
    seq, h, c = K.layers.LSTM(U, return_sequences=True, return_state=True, name="rnn",
                              **bias_kw(K))(x)
    y = K.layers.Dense(2, name="head", **bias_kw(K))(h)
    model = K.Model(x, [seq, y], name="model")
    finish(K, model, rng)
    return mf.Built(model, [randn(rng, B, T, D)], ["rnn/output", "head/output"])


def build_legacy_seq(K, rng):
    model = K.Sequential([
        K.Input((T, D), name="x"),
        K.layers.LSTM(4, return_sequences=True, name="enc", **bias_kw(K)),
        K.layers.GRU(3, name="dec", **bias_kw(K)),
        K.layers.Dense(2, name="head", **bias_kw(K)),
    ], name="model")
    return mf.Built(model, [randn(rng, B, T, D)], ["head/output"])


# --------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------

def _tf(v):
    return "T" if v else "F"


def register(module):
    global mf
    mf = module

    def add(name, desc, build, **kw):
        mf.add_case(name, desc, build, group=GROUP, **kw)

    shape = f"x ({B},{T},{D})"

    # ---- GRU
    for seq, st in ((False, False), (True, True)):
        kind = "Functional" if st else "Sequential"
        add(f"gru_reset_after_seq{_tf(seq)}_state{_tf(st)}",
            f"{kind} GRU({U}) 'rnn' (reset_after=True, bias (2,{3 * U})), return_sequences="
            f"{seq}, return_state={st}, on {shape}; {_RB}.",
            rnn_builder("GRU", return_sequences=seq, return_state=st))
    add("gru_reset_before_seqT_stateT",
        f"Functional GRU({U}) 'rnn', reset_after=False (bias ({3 * U},)), return_sequences=True, "
        f"return_state=True, on {shape}; {_RB}.",
        rnn_builder("GRU", return_sequences=True, return_state=True, reset_after=False))
    add("gru_go_backwards",
        f"Functional GRU({U}) 'rnn', go_backwards=True, return_sequences=True, return_state="
        f"True, on {shape}; the sequence is in processing (reversed) order; {_RB}.",
        rnn_builder("GRU", return_sequences=True, return_state=True, go_backwards=True))
    add("gru_initial_state",
        f"Functional GRU({U}) 'rnn' called as rnn(x, initial_state=[h0]), return_sequences="
        f"True, return_state=True; inputs {shape} and h0 ({B},{U}) random normal; {_RB}.",
        rnn_builder("GRU", return_sequences=True, return_state=True, initial_state=True))
    for ra in (True, False):
        add(f"gru_no_bias_reset_{'after' if ra else 'before'}",
            f"Functional GRU({U}) 'rnn', use_bias=False, reset_after={ra} (2 weight arrays), "
            f"return_sequences=True, return_state=True, on {shape}.",
            rnn_builder("GRU", return_sequences=True, return_state=True, use_bias=False,
                        reset_after=ra))
    add("gru_activations",
        f"Functional GRU({U}) 'rnn', activation='relu', recurrent_activation='hard_sigmoid' "
        f"(Keras 3: relu6(x+3)/6), return_sequences=True, return_state=True, on x (3,7,{D}) "
        f"scaled by 4 so that the z and r pre-activations pass both hard_sigmoid knees (+-3; "
        f"they span about [-6.8, 3.8]); "
        f"{_RB}.",
        rnn_builder("GRU", batch=3, steps=7, return_sequences=True, return_state=True,
                    activation="relu", recurrent_activation="hard_sigmoid", input_scale=4.0,
                    checks=_gate_range_check("GRU", [0, 1], -3.0, 3.0)))

    # ---- SimpleRNN
    for seq, st in ((False, False), (True, True)):
        kind = "Functional" if st else "Sequential"
        add(f"simple_rnn_seq{_tf(seq)}_state{_tf(st)}",
            f"{kind} SimpleRNN({U}) 'rnn', return_sequences={seq}, return_state={st}, on "
            f"{shape}; {_RB}.",
            rnn_builder("SimpleRNN", return_sequences=seq, return_state=st))
    add("simple_rnn_go_backwards",
        f"Functional SimpleRNN({U}) 'rnn', go_backwards=True, return_sequences=True, "
        f"return_state=True, on {shape}; {_RB}.",
        rnn_builder("SimpleRNN", return_sequences=True, return_state=True, go_backwards=True))
    add("simple_rnn_initial_state",
        f"Functional SimpleRNN({U}) 'rnn' called as rnn(x, initial_state=[h0]), "
        f"return_sequences=True, return_state=True; inputs {shape}, h0 ({B},{U}); {_RB}.",
        rnn_builder("SimpleRNN", return_sequences=True, return_state=True, initial_state=True))
    add("simple_rnn_no_bias",
        f"Functional SimpleRNN({U}) 'rnn', use_bias=False, return_sequences=True, "
        f"return_state=True, on {shape}.",
        rnn_builder("SimpleRNN", return_sequences=True, return_state=True, use_bias=False))
    add("simple_rnn_relu",
        f"Functional SimpleRNN({U}) 'rnn', activation='relu', return_sequences=True, "
        f"return_state=True, on {shape}; {_RB}.",
        rnn_builder("SimpleRNN", return_sequences=True, return_state=True, activation="relu"))

    # ---- Bidirectional around GRU / SimpleRNN
    for kind, tag in (("GRU", "gru"), ("SimpleRNN", "simple_rnn")):
        for mm in ("concat", None):
            add(f"bidi_{tag}_{mm or 'none'}_seqT_stateT",
                f"Functional Bidirectional({kind}({U}) 'inner') 'bi', merge_mode={mm!r}, "
                f"return_sequences=True, return_state=True (one state per direction), on "
                f"{shape}; {_RB}.",
                bidi_builder(kind, merge_mode=mm))
    add("bidi_gru_backward_layer",
        f"Functional Bidirectional(GRU({U}, tanh) 'inner', backward_layer=GRU({U}, "
        f"go_backwards=True, activation='relu') 'inner_back') 'bi', merge_mode='concat', "
        f"return_sequences=True, return_state=True, on {shape}; {_RB}.",
        bidi_builder("GRU", backward_kw={"activation": "relu"}))

    # ---- Generic forms
    for cell, tag in (("LSTMCell", "lstmcell"), ("GRUCell", "grucell"),
                      ("SimpleRNNCell", "simplecell")):
        add(f"rnn_{tag}",
            f"Functional RNN({cell}({U}) 'cell') 'rnn', return_sequences=True, return_state="
            f"True, on {shape}; {_RB}.",
            rnn_cell_builder(cell))
    add("rnn_stacked_cells",
        f"Functional RNN(StackedRNNCells([LSTMCell(4) 'cell_a', GRUCell(3) 'cell_b']) 'stack') "
        f"'rnn', return_sequences=True, return_state=True, outputs flattened: [output (the "
        f"last cell's), cell_a h, cell_a c, cell_b h], on {shape}; {_RB}.",
        build_rnn_stacked_cells)
    add("lstm_stateful",
        f"Functional LSTM({U}, stateful=True) 'rnn' on Input(batch_size={B}) x ({B},{T},{D}), "
        f"return_sequences=True, return_state=True; one call from the zero state (equals "
        f"stateful=False); {_RB}.",
        build_lstm_stateful)
    add("lstm_unroll",
        f"Functional LSTM({U}, unroll=True) 'rnn', return_sequences=True, return_state=True, "
        f"on {shape}; {_RB}.",
        build_lstm_unroll)
    add("lstm_dropout",
        f"Functional LSTM({U}, dropout=0.3, recurrent_dropout=0.2) 'rnn', return_sequences="
        f"True, return_state=True, on {shape}; at inference the dropouts are the identity; "
        f"{_RB}.",
        build_lstm_dropout)

    # ---- Masking
    pads = {k: "/".join(v) for k, v in PAD.items()}
    mshape = f"x ({MB},{MT},{D})"
    for pad, case, what in (("end", "mask_lstm_end_padding", "end padding"),
                            ("middle", "mask_lstm_middle_gap", "gaps in the middle"),
                            ("start", "mask_lstm_start_padding", "leading padding"),
                            ("full_row", "mask_lstm_full_row", "row 1 fully masked")):
        add(case,
            f"Sequential Masking(0.0) 'mask' -> LSTM({U}, return_sequences=True) 'rnn' on "
            f"{mshape} with {what}: whole steps are 0.0 where the pattern {pads[pad]} has a 0; "
            f"{_RB}.",
            mask_rnn_builder("LSTM", pad))
    add("mask_lstm_last",
        f"Functional Masking 'mask' -> LSTM({U}, return_sequences=False, return_state=True) "
        f"'rnn' on {mshape} padded {pads['mixed']}: the output and states are those of the "
        f"last valid step; {_RB}.",
        mask_rnn_builder("LSTM", "mixed", return_sequences=False, return_state=True))
    add("mask_lstm_go_backwards",
        f"Functional Masking 'mask' -> LSTM({U}, go_backwards=True, return_sequences=True, "
        f"return_state=True) 'rnn' on {mshape} padded {pads['mixed']}; {_RB}.",
        mask_rnn_builder("LSTM", "mixed", return_state=True, go_backwards=True))
    add("mask_gru_seq",
        f"Functional Masking 'mask' -> GRU({U}, return_sequences=True, return_state=True) "
        f"'rnn' on {mshape} padded {pads['mixed']}; {_RB}.",
        mask_rnn_builder("GRU", "mixed", return_state=True))
    add("mask_bidi_seq",
        f"Sequential Masking 'mask' -> Bidirectional(LSTM({U}, return_sequences=True) 'lstm', "
        f"concat) 'bi' on {mshape} padded {pads['end_middle']} (end and middle): "
        f"Bidirectional sets zero_output_for_mask, so masked steps output 0; {_RB}.",
        mask_bidi_builder("end_middle", return_sequences=True, return_state=False,
                          sequential=True))
    add("mask_bidi_last_state",
        f"Functional Masking 'mask' -> Bidirectional(LSTM({U}, return_state=True) 'lstm', "
        f"concat) 'bi' on {mshape} padded {pads['mixed']}; {_RB}.",
        mask_bidi_builder("mixed", return_sequences=False, return_state=True,
                          sequential=False))
    add("mask_bidi_unroll",
        f"Sequential Masking 'mask' -> Bidirectional(LSTM({U}, return_sequences=True, "
        f"unroll=True) 'lstm', concat) 'bi' on {mshape} padded {pads['asym']}. Keras "
        f"quirk: with unroll, go_backwards, a mask and zero_output_for_mask, the backward "
        f"sequence (in processing order, masked steps carrying the previous output) is zeroed "
        f"with the mask in original time order, so in the backward half some valid steps "
        f"come out 0 and some masked steps do not; the forward half is as without unroll; "
        f"{_RB}.",
        mask_bidi_builder("asym", return_sequences=True, return_state=False,
                          sequential=True, unroll=True))
    add("mask_embedding",
        f"Functional int32 tokens ({MB},{MT}) -> Embedding(10, 5, mask_zero=True) 'emb' -> "
        f"LSTM({U}) 'rnn' -> Dense(3, softmax) 'head'; token 0 (padding {pads['end_middle']}) "
        f"is masked; config.json has a NotEqual op node; {_RB} (Dense too).",
        build_mask_embedding)
    add("mask_functional_explicit",
        f"Functional Masking 'mask' -> LSTM({U}, return_sequences=True) 'rnn' -> "
        f"TimeDistributed(Dense(2) 'dense') 'td' on {mshape} padded {pads['mixed']}; "
        f"config.json has NotEqual and Any op nodes and kwargs.mask on 'rnn' and 'td'; {_RB}.",
        build_mask_functional_explicit)
    add("mask_separate_input",
        f"Functional inputs {mshape} (NOT zero at masked steps) and m ({MB},{MT}) float32 "
        f"0/1 ({pads['mixed']}); LSTM({U}, return_sequences=True, return_state=True) 'rnn' "
        f"called as rnn(x, mask=ops.cast(m, 'bool')) (a Cast op node); {_RB}.",
        build_mask_separate_input)
    add("mask_initial_state",
        f"Functional {mshape} padded {pads['mixed']}, h0, c0 ({MB},{U}); Masking 'mask' -> "
        f"LSTM({U}, return_sequences=True, return_state=True) 'rnn' called with "
        f"initial_state=[h0, c0]. Keras 3 drops the mask here: the outputs equal the "
        f"unmasked LSTM's; {_RB}.",
        build_mask_initial_state)

    # ---- Stacks and heads
    add("stack_embed_lstm_gru_dense",
        f"Sequential int32 tokens ({B},{T}) in [0,12) -> Embedding(12, 5) 'emb' (no mask) -> "
        f"LSTM(4, return_sequences=True) 'enc' -> GRU(3) 'dec' -> Dense(3, softmax) 'head'; "
        f"{_RB} (Dense too).",
        build_stack_embed_lstm_gru_dense)
    add("stack_td_dense",
        f"Sequential LSTM({U}, return_sequences=True) 'rnn' -> TimeDistributed(Dense(2, "
        f"activation='tanh') 'dense') 'td' on {shape}; {_RB} (Dense too).",
        build_stack_td_dense)
    add("dense_3d",
        f"Sequential LSTM({U}, return_sequences=True) 'rnn' -> Dense(5, activation='gelu') "
        f"'dense' applied to the 3-D sequence (exact erf gelu), on {shape}; {_RB} (Dense too).",
        build_dense_3d)
    add("merge_layers",
        f"Functional LSTM({U}) 'lstm_a' and LSTM({U}) 'lstm_b' on the same {shape}, merged "
        f"four ways: outputs Concatenate 'concat', Add 'add', Average 'average', Multiply "
        f"'multiply'; {_RB}.",
        build_merge_layers)
    add("dropout_family",
        f"Sequential LSTM({U}, return_sequences=True) 'enc' -> Dropout(0.5) 'drop' -> "
        f"SpatialDropout1D(0.3) 'sdrop' -> GaussianNoise(0.1) 'noise' -> Activation('swish') "
        f"'act' (saved as 'silu') -> GRU(3, return_sequences=True) 'dec' on {shape}; the "
        f"dropout and noise layers are the identity at inference; {_RB}.",
        build_dropout_family)
    add("multi_io",
        f"Functional two inputs x1 ({B},{T},{D}) and x2 ({B},{T + 1},2): LSTM({U}) 'lstm' "
        f"on x1, GRU(3) 'gru' on x2, Concatenate 'cat' -> Dense(2) 'head_a'; Dense(1, "
        f"sigmoid) 'head_b' on the LSTM output. Outputs [head_a, head_b]; {_RB}.",
        build_multi_io)

    # ---- Activations
    for name in ACTIVATIONS:
        extra = ("; kernel and recurrent kernel RandomUniform(-0.3, 0.3), x unscaled, so "
                 "that exp stays small" if name == "exponential"
                 else f"; x scaled by {ACT_SCALE.get(name, 2.0):g}")
        add(f"act_{name}",
            f"Functional LSTM({U}, activation={name!r}) 'rnn' (recurrent_activation sigmoid), "
            f"return_sequences=True, return_state=True, on x ({B},4,{D}){extra}; {_RB}.",
            act_builder(name))
    band = (f"Functional LSTM({HSB_UNITS}, recurrent_activation='hard_sigmoid') 'rnn', "
            f"return_sequences=True, return_state=True, on x ({B},{T},{D}) U(-1,1); weights "
            f"set from numpy so that every i, f, o pre-activation lies in [2.5, 3], where "
            f"Keras 3's hard_sigmoid relu6(x+3)/6 (0.92..1) and Keras 2's clip(0.2x+0.5, 0, 1) "
            f"(= 1) differ. Same weights and inputs in hard_sigmoid_band and "
            f"k2_hard_sigmoid_band")
    add("hard_sigmoid_band", band + " (this one: Keras 3).", build_hard_sigmoid_band,
        seed_name="hard_sigmoid_band")

    # ---- tf_keras 2.x (format keras2-h5) and other file formats
    k2 = dict(fmt="keras2-h5")
    add("k2_lstm_seqT_stateT",
        f"tf_keras: functional LSTM({U}) 'rnn', return_sequences=True, return_state=True, on "
        f"{shape}; {_K2W}.",
        rnn_builder("LSTM", return_sequences=True, return_state=True), **k2)
    for ra in (True, False):
        add(f"k2_gru_reset_{'after' if ra else 'before'}",
            f"tf_keras: functional GRU({U}, reset_after={ra}) 'rnn', return_sequences=True, "
            f"return_state=True, on {shape}; {_K2W}.",
            rnn_builder("GRU", return_sequences=True, return_state=True, reset_after=ra), **k2)
    add("k2_simple_rnn",
        f"tf_keras: functional SimpleRNN({U}) 'rnn', return_sequences=True, return_state=True, "
        f"on {shape}; {_K2W}.",
        rnn_builder("SimpleRNN", return_sequences=True, return_state=True), **k2)
    add("k2_bidi_lstm_concat",
        f"tf_keras: Sequential Bidirectional(LSTM({U}, return_sequences=True) 'inner', "
        f"concat) 'bi' on {shape}; {_K2W}.",
        bidi_builder("LSTM", return_state=False, sequential=True), **k2)
    add("k2_bidi_gru_none_state",
        f"tf_keras: functional Bidirectional(GRU({U}, return_sequences=True, return_state=True) "
        f"'inner', merge_mode=None) 'bi' on {shape}: [forward_output, backward_output, "
        f"forward_h, backward_h]; {_K2W}.",
        bidi_builder("GRU", merge_mode=None), **k2)
    add("k2_bidi_lstm_initial_state",
        f"tf_keras: functional Bidirectional(LSTM({U}, return_sequences=True, return_state=True) "
        f"'inner') 'bi', concat, called as bi(x, initial_state=[h0f, c0f, h0b, c0b]) on {shape} "
        f"(tf_keras writes the node's kwargs as initial_state=None, constants=None and the states "
        f"as extra inbound tensors); {_K2W}.",
        bidi_builder("LSTM", initial_state=True), **k2)
    add("k2_bidi_backward_layer",
        f"tf_keras: functional Bidirectional(LSTM({U}) 'inner', backward_layer=LSTM({U}, "
        f"go_backwards=True, activation='relu') 'inner_back') 'bi', concat, return_sequences="
        f"True, return_state=True, on {shape}; {_K2W}.",
        bidi_builder("LSTM", backward_kw={"activation": "relu"}), **k2)
    add("k2_mask_lstm",
        f"tf_keras: Sequential Masking(0.0) 'mask' -> LSTM({U}, return_sequences=True) 'rnn' "
        f"on {mshape} padded {pads['mixed']}; {_K2W}.",
        mask_rnn_builder("LSTM", "mixed"), **k2)
    add("k2_mask_initial_state",
        f"tf_keras: the model of mask_initial_state ({mshape} padded {pads['mixed']}, h0, c0; "
        f"Masking 'mask' -> LSTM({U}, return_sequences=True, return_state=True) 'rnn' with "
        f"initial_state=[h0, c0]). tf_keras applies the mask here, unlike Keras 3; {_K2W}.",
        build_mask_initial_state, **k2)
    add("k2_mask_bidi_seq",
        f"tf_keras: Sequential Masking 'mask' -> Bidirectional(LSTM({U}, return_sequences=True) "
        f"'lstm', concat) 'bi' on {mshape} padded {pads['end_middle']}: masked steps output 0; "
        f"{_K2W}.",
        mask_bidi_builder("end_middle", return_sequences=True, return_state=False,
                          sequential=True), **k2)
    add("k2_mask_bidi_unroll",
        f"tf_keras: the model of mask_bidi_unroll (Bidirectional(LSTM({U}, return_sequences="
        f"True, unroll=True)) over Masking, padding {pads['asym']}), with the same "
        f"unroll quirk; {_K2W}.",
        mask_bidi_builder("asym", return_sequences=True, return_state=False,
                          sequential=True, unroll=True), **k2)
    add("k2_embedding_mask",
        f"tf_keras: functional int32 tokens ({MB},{MT}) -> Embedding(10, 5, mask_zero=True) "
        f"'emb' -> LSTM({U}) 'rnn' -> Dense(3, softmax) 'head', padding "
        f"{pads['end_middle']}; {_K2W}.",
        build_mask_embedding, **k2)
    add("k2_stack",
        f"tf_keras: Sequential LSTM(4, return_sequences=True) 'enc' -> GRU(3) 'dec' -> "
        f"Dense(2) 'head' on {shape}; {_K2W}.",
        build_k2_stack, **k2)
    add("k2_hard_sigmoid_band", band + " (this one: tf_keras, Keras 2 hard_sigmoid).",
        build_hard_sigmoid_band, seed_name="hard_sigmoid_band", **k2)
    add("k2_trained",
        f"tf_keras: Sequential LSTM(4, seq) 'enc' -> GRU(3) 'dec' -> Dense(2) 'head', "
        f"compiled with Adam(0.01)/mse and fit for 1 epoch (16 samples, batch 8) before "
        f"saving, so the file has optimizer_weights and a training_config; run on fresh "
        f"{shape}; {_K2W} (before training).",
        build_trained, **k2)
    add("k2_weights_only",
        f"tf_keras: functional LSTM({U}, return_sequences=True, return_state=True) 'rnn' -> "
        f"Dense(2) 'head' on state_h; outputs [rnn sequence, head]. Saved with "
        f"save_weights('model_weights.h5') (legacy Keras 2 weights-only HDF5: root "
        f"@layer_names, <layer>/<weight_names>); /model/config holds model.to_json() (Keras 2 "
        f"JSON); {_K2W}.",
        build_weights_only, fmt="keras2-weights")
    add("k2_weights_only_v3",
        f"The same model as k2_weights_only saved by tf_keras with save_weights("
        f"'model.weights.h5'): that suffix makes tf_keras write its Keras-3-style layout "
        f"(layers/lstm/cell/vars/0.., layers/dense/vars/0.., no @name attributes), while "
        f"/model/config is still the Keras 2 model.to_json(); {_K2W}.",
        build_weights_only, fmt="keras2-weights-v3", seed_name="k2_weights_only")
    add("k3_legacy_h5",
        f"Keras 3 model.save('model.h5') (legacy HDF5): Sequential LSTM(4, seq) 'enc' -> "
        f"GRU(3) 'dec' -> Dense(2) 'head' on {shape}; weight names carry the model name "
        f"('model/enc/lstm_cell/kernel'); {_RB} (Dense too).",
        build_legacy_seq, fmt="keras3-legacy-h5")
    add("k3_legacy_h5_functional",
        f"Keras 3 model.save('model.h5') (legacy HDF5): functional Bidirectional(GRU({U}) "
        f"'inner', concat, return_sequences=True, return_state=True) 'bi' on {shape}; {_RB}.",
        bidi_builder("GRU"), fmt="keras3-legacy-h5")
    add("k3_trained",
        f"Keras 3: Sequential LSTM(4, seq) 'enc' -> GRU(3) 'dec' -> Dense(2) 'head', compiled "
        f"with Adam(0.01)/mse and fit for 1 epoch (16 samples, batch 8) before saving, so "
        f"model.weights.h5 also has optimizer/vars; run on fresh {shape}; {_RB} (before "
        f"training).",
        build_trained)
    add("k3_weights_only",
        f"Keras 3: functional LSTM({U}, return_sequences=True, return_state=True) 'rnn' -> "
        f"Dense(2) 'head' on state_h; outputs [rnn sequence, head]. Saved with "
        f"save_weights('model.weights.h5'); /model/config holds model.to_json() (the "
        f"config.json text); {_RB}.",
        build_weights_only, fmt="keras3-weights")
