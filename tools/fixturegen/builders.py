"""Builders and helpers that several case modules share.

Conventions every builder keeps: every layer, input and model has an explicit name; Keras 3
biases use rand_bias (so that their slices differ); tf_keras models get all their weights from
numpy (finish -> np_weights) because tf_keras initializers repeat their draws. A builder draws
from its numpy Generator in a fixed order, so a case's numbers depend on its seed alone.
"""

import math
import random

import numpy as np

from .case import Built, Case

# Default dimensions: batch, timesteps, input_dim, units (input_dim != units on purpose).
B, T, D, U = 2, 5, 3, 4

# Description fragments: how the weights of a case were drawn.
RB = ("default kernel and recurrent initializers, biases RandomUniform(-0.5, 0.5) with a "
      "SeedGenerator seed")
RB_FORGET = RB + " (forget slice 1.0 from unit_forget_bias)"
K2W = ("all weights drawn with numpy after building (tf_keras initializers repeat their "
       "draws): kernels Glorot-uniform, biases U(-0.5, 0.5)")
NPW = ("all weights drawn with numpy after building (np_weights): kernels Glorot-uniform over "
       "(first + last extent), biases U(-0.5, 0.5), scalars U(0.5, 1.5)")


def tf(v):
    """How case names spell a boolean option: T or F (lstm_seqT_stateF)."""
    return "T" if v else "F"


def randn(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def is_keras3(K):
    return hasattr(K, "random") and hasattr(K.random, "SeedGenerator")


def rand_bias(K):
    """RandomUniform(-0.5, 0.5) bias initializer whose slices are all different.

    A Keras 3 initializer seeded with an int or None returns the same values on every call,
    and LSTMCell with unit_forget_bias=True calls it twice, for (u,) and (2u,): the i and c
    bias slices would then be equal, which would hide an i/c bias mix-up. A SeedGenerator
    seed (drawn from Python's `random`, seeded by set_random_seed) advances on every call.
    tf_keras has no SeedGenerator; its unseeded initializers repeat values across calls too
    (it warns), which is why tf_keras cases take their weights from np_weights instead."""
    seed = K.random.SeedGenerator(random.randint(1, 2 ** 31 - 1))
    return K.initializers.RandomUniform(-0.5, 0.5, seed=seed)


def bias_kw(K):
    """Keras 3: a bias initializer whose slices differ. tf_keras: nothing (np_weights later)."""
    return {"bias_initializer": rand_bias(K)} if is_keras3(K) else {}


def np_weights(model, rng):
    """Replace every weight of a model with numpy draws: biases U(-0.5, 0.5), embeddings
    U(-1, 1), scalars (Attention's scale) U(0.5, 1.5), other arrays Glorot-uniform over their
    first and last extents. Deterministic in rng alone."""
    new = []
    for w in model.weights:
        shape = tuple(int(s) for s in w.shape)
        name = w.name
        if not shape:
            a = rng.uniform(0.5, 1.5, shape)
        elif "bias" in name:
            a = rng.uniform(-0.5, 0.5, shape)
        elif "embeddings" in name:
            a = rng.uniform(-1.0, 1.0, shape)
        else:
            lim = math.sqrt(6.0 / (shape[0] + shape[-1]))
            a = rng.uniform(-lim, lim, shape)
        new.append(a.astype(np.float32))
    model.set_weights(new)


def finish(K, model, rng):
    """Per-format weight set-up after building: tf_keras models get np_weights."""
    if not is_keras3(K):
        np_weights(model, rng)
    return model


# --------------------------------------------------------------------------------------------
# Output names
# --------------------------------------------------------------------------------------------

def state_names(kind):
    return ["state_h", "state_c"] if kind == "LSTM" else ["state_h"]


def rnn_names(layer, kind, return_state):
    """Output names of an LSTM / GRU / SimpleRNN layer: [output] (+ its states)."""
    return [f"{layer}/output"] + ([f"{layer}/{s}" for s in state_names(kind)]
                                  if return_state else [])


def bidi_names(layer, kind, merge_mode, return_state):
    """Output names of a Bidirectional layer around `kind`, in Keras's order."""
    names = ([f"{layer}/forward_output", f"{layer}/backward_output"] if merge_mode is None
             else [f"{layer}/output"])
    if return_state:
        sfx = ["h", "c"] if kind == "LSTM" else ["h"]
        names += [f"{layer}/forward_{s}" for s in sfx] + [f"{layer}/backward_{s}" for s in sfx]
    return names


# --------------------------------------------------------------------------------------------
# Checks (Built.checks entries)
# --------------------------------------------------------------------------------------------

def check_equal(label, ref, idx=None, atol=0.0):
    """A Built.checks entry: outs (or outs[idx]) equal ref, bit for bit when atol == 0."""
    def fn(outs):
        got = outs if idx is None else [outs[i] for i in idx]
        d = max(float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))
                for a, b in zip(got, ref))
        same = all(np.array_equal(a, b) for a, b in zip(got, ref))
        return (d <= atol), (f"max|diff|={d:.3g}" + (" (bit-identical)" if same else ""))
    return (label, fn)


def gate_preactivations(kind, W, x, act_name, ract):
    """Recurrent-activation pre-activations per step, (B, T, ngates, u), by a small float64
    numpy forward pass of weights W = [kernel, recurrent_kernel, (bias)] over x: LSTM's
    i, f, o gates, or GRU's (reset_after=True) z, r gates. act_name: "relu" or "tanh"."""
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


# --------------------------------------------------------------------------------------------
# One recurrent layer, and Bidirectional around one
# --------------------------------------------------------------------------------------------

def rnn_builder(kind, *, batch=B, steps=T, dim=D, units=U, return_sequences=False,
                return_state=False, sequential=None, input_scale=1.0, initial_state=False,
                checks=None, **kw):
    """One `kind` (LSTM / GRU / SimpleRNN) layer named 'rnn' on input 'x' (batch, steps,
    dim) of standard normals times input_scale; kw go to the layer. initial_state: the model
    also takes the initial states as inputs h0 (, c0), passed as rnn(x, initial_state=[...]).
    Sequential when it has a single input and output unless sequential=False. checks(K, model,
    inputs) -> extra Built.checks entries."""
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
        built = Built(model, xs, rnn_names("rnn", kind, return_state))
        if checks:
            built.checks += checks(K, model, xs)
        return built
    return build


def bidi_builder(kind, *, inner="inner", merge_mode="concat", return_sequences=True,
                 return_state=True, go_backwards=False, backward=None, sequential=False,
                 units=U, batch=B, steps=T, dim=D, initial_state=False):
    """Bidirectional 'bi' around a `kind` layer named `inner` (go_backwards as given) on
    input 'x' of standard normals. backward: keyword arguments (name included) of an explicit
    backward_layer of the same kind and return flags. initial_state: the model also takes
    the forward then backward initial states as inputs h0f (, c0f), h0b (, c0b), passed as
    bi(x, initial_state=[...])."""
    def build(K, rng):
        def make(**extra):
            return getattr(K.layers, kind)(units, return_sequences=return_sequences,
                                           return_state=return_state, **bias_kw(K), **extra)
        fwd = make(name=inner, go_backwards=go_backwards)
        back = make(**backward) if backward else None
        bi = K.layers.Bidirectional(fwd, merge_mode=merge_mode, backward_layer=back, name="bi")
        x = K.Input((steps, dim), name="x")
        names = bidi_names("bi", kind, merge_mode, return_state)
        if initial_state:
            per = ["h0", "c0"] if kind == "LSTM" else ["h0"]
            states = [K.Input((units,), name=f"{n}{d}") for d in ("f", "b") for n in per]
            model = K.Model([x] + states, bi(x, initial_state=states), name="model")
            finish(K, model, rng)
            return Built(model, [randn(rng, batch, steps, dim)]
                         + [randn(rng, batch, units) for _ in states], names)
        model = (K.Sequential([x, bi], name="model") if sequential
                 else K.Model(x, bi(x), name="model"))
        finish(K, model, rng)
        return Built(model, [randn(rng, batch, steps, dim)], names)
    return build


# --------------------------------------------------------------------------------------------
# Models around non-recurrent layers (shape, pooling)
# --------------------------------------------------------------------------------------------

def lstm(K, units, name, **kw):
    """LSTM(units) 'name' with the format's bias set-up (bias_kw)."""
    return K.layers.LSTM(units, name=name, **bias_kw(K), **kw)


def dense(K, units, name, **kw):
    """Dense(units) 'name' with the format's bias set-up (bias_kw)."""
    return K.layers.Dense(units, name=name, **bias_kw(K), **kw)


def functional(K, rng, inputs, data, outputs, checks=()):
    """Built for K.Model(inputs, [tensors], name="model"), outputs a list of (layer, tensor):
    output names are "<layer name>/output". data: the input arrays, drawn by the caller before
    this call (so that tf_keras weights come after them from rng)."""
    model = K.Model(inputs, [t for _, t in outputs], name="model")
    finish(K, model, rng)
    return Built(model, data, [f"{layer.name}/output" for layer, _ in outputs],
                 checks=list(checks))


def apply(layer, x, **kw):
    """(layer, layer(x)): a functional() output entry."""
    return layer, layer(x, **kw)


def check_masked_steps_run(label, idx, mask):
    """A Built.checks entry: a layer that did NOT get the mask ran the masked steps, i.e. at
    some masked step t > 0 outs[idx][b, t] differs from outs[idx][b, t-1] (a masked recurrent
    layer would repeat its previous output there)."""
    def fn(outs):
        o = outs[idx]
        steps = [(b, t) for b in range(mask.shape[0]) for t in range(1, mask.shape[1])
                 if not mask[b, t]]
        moved = max(float(np.max(np.abs(o[b, t] - o[b, t - 1]))) for b, t in steps)
        return moved > 1e-3, f"max|out[t] - out[t-1]| over masked steps = {moved:.3g}"
    return (label, fn)


# Descriptions of the non-default model-file formats (fixturegen.formats), for format_cases.
FORMAT_TEXT = {
    "keras3-weights": "Keras 3 save_weights + model.to_json() (keras3-weights)",
    "keras3-legacy-h5": "Keras 3 model.save('model.h5') (keras3-legacy-h5)",
    "keras2-weights": "tf_keras save_weights('model_weights.h5') + model.to_json() (keras2-weights)",
    "keras2-weights-v3": ("tf_keras save_weights('model.weights.h5') + model.to_json() "
                          "(keras2-weights-v3)"),
}


def spec_cases(specs, k2=(), k2_what=None):
    """Cases from (name, build, what) specs: each in Keras 3 ("<what>; RB (Dense too)."), then
    for the names in k2 the tf_keras version k2_<name> ("tf_keras: <what>; K2W.", keras2-h5),
    described by k2_what[name] instead where given."""
    for name, build, what in specs:
        yield Case(name, f"{what}; {RB} (Dense too).", build)
    for name, build, what in specs:
        if name in k2:
            what = (k2_what or {}).get(name, what)
            yield Case(f"k2_{name}", f"tf_keras: {what}; {K2W}.", build, fmt="keras2-h5")


def format_cases(names, chain, build):
    """One Case per {format: case name}: the model `chain` (its description) saved in that
    format (FORMAT_TEXT)."""
    for fmt, name in names.items():
        weights = K2W if fmt.startswith("keras2") else f"{RB} (Dense too)"
        yield Case(name, f"{FORMAT_TEXT[fmt]}: {chain}; {weights}.", build, fmt=fmt)
