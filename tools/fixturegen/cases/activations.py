"""Element-wise activations: every activation Keras 3 accepts by name, as an LSTM's
activation, and hard_sigmoid where Keras 2 and Keras 3 define it differently."""

import numpy as np

from ..builders import B, D, RB, T, U, bias_kw, gate_preactivations, is_keras3, randn, \
    rnn_names
from ..case import Built, Case

ACTIVATIONS = ["tanh", "sigmoid", "hard_sigmoid", "relu", "relu6", "linear", "elu", "selu",
               "softplus", "softsign", "silu", "gelu", "exponential", "leaky_relu",
               "hard_silu", "mish", "log_sigmoid", "hard_tanh", "tanh_shrink", "soft_shrink",
               "hard_shrink", "sparse_plus", "sparse_sigmoid", "squareplus", "celu"]

# Input scale per activation (default 2): the shrink functions are 0 on [-0.5, 0.5], and
# with scale 2 soft_shrink kept almost every output at exactly 0.
ACT_SCALE = {"soft_shrink": 5.0, "hard_shrink": 3.0}

HSB_UNITS = 4


def act_builder(name):
    """Functional LSTM(U, activation=name) 'rnn', sequences + states, on x (B, 4, D)."""
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
        return Built(model, [(randn(rng, B, 4, D) * np.float32(scale)).astype(np.float32)],
                     rnn_names("rnn", "LSTM", True))
    return build


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
    if is_keras3(K):
        def hard_sigmoid(z):
            return np.clip(z / 6 + 0.5, 0, 1)
    else:
        def hard_sigmoid(z):
            return np.clip(0.2 * z + 0.5, 0, 1)
    pre = gate_preactivations("LSTM", [w.astype(np.float64) for w in W],
                              xs[0].astype(np.float64), "tanh", hard_sigmoid)
    mn, mx = float(pre.min()), float(pre.max())

    def fn(outs):
        return 2.5 <= mn and mx <= 3.0, f"i, f, o pre-activations in [{mn:.3f}, {mx:.3f}]"
    return Built(model, xs, rnn_names("rnn", "LSTM", True),
                 checks=[("gate pre-activations inside the [2.5, 3] band", fn)])


def cases():
    for name in ACTIVATIONS:
        extra = ("; kernel and recurrent kernel RandomUniform(-0.3, 0.3), x unscaled, so "
                 "that exp stays small" if name == "exponential"
                 else f"; x scaled by {ACT_SCALE.get(name, 2.0):g}")
        yield Case(f"act_{name}",
                   f"Functional LSTM({U}, activation={name!r}) 'rnn' (recurrent_activation "
                   f"sigmoid), return_sequences=True, return_state=True, on x ({B},4,{D})"
                   f"{extra}; {RB}.",
                   act_builder(name))
    band = (f"Functional LSTM({HSB_UNITS}, recurrent_activation='hard_sigmoid') 'rnn', "
            f"return_sequences=True, return_state=True, on x ({B},{T},{D}) U(-1,1); weights "
            f"set from numpy so that every i, f, o pre-activation lies in [2.5, 3], where "
            f"Keras 3's hard_sigmoid relu6(x+3)/6 (0.92..1) and Keras 2's clip(0.2x+0.5, 0, "
            f"1) (= 1) differ. Same weights and inputs in hard_sigmoid_band and "
            f"k2_hard_sigmoid_band")
    yield Case("hard_sigmoid_band", band + " (this one: Keras 3).", build_hard_sigmoid_band,
               seed_name="hard_sigmoid_band")
    yield Case("k2_hard_sigmoid_band", band + " (this one: tf_keras, Keras 2 hard_sigmoid).",
               build_hard_sigmoid_band, fmt="keras2-h5", seed_name="hard_sigmoid_band")
