#!/usr/bin/env python3
"""Cross-check fixtures with an independent float64 NumPy evaluation of the stored model.

    python tools/verify_fixtures_numpy.py [fixtures/ ...] [--strict]

Reads only the fixture: /model/file (and /model/config) and /input_*, recomputes every output
in float64 with plain NumPy, and compares with /reference_float64/output_* (Keras float64;
should agree to ~1e-15) and /output_* (Keras float32; ~1e-7). This checks the fixture
generator, not rnncheck. Needs only h5py and numpy.

Model files: "keras3" (.keras archive), "keras3-weights" (Keras 3 weights-only .weights.h5 +
config.json text), "keras3-legacy-h5" (Keras 3 model.save("m.h5")), "keras2-h5" (tf_keras
full-model .h5), "keras2-weights" (tf_keras legacy save_weights .h5 + model JSON) and
"keras2-weights-v3" (tf_keras save_weights to *.weights.h5, Keras-3-style layout + Keras 2
model JSON). Keras 2 files use the Keras 2 hard_sigmoid, clip(0.2x + 0.5, 0, 1).

Layers: LSTM, GRU (reset_after True/False), SimpleRNN, RNN(LSTMCell | GRUCell |
SimpleRNNCell | StackedRNNCells), Bidirectional around any of them (every merge_mode, explicit
backward_layer), with initial_state, go_backwards, masks (Masking, Embedding(mask_zero), an
explicit `mask=` tensor; implicit propagation in Sequential and Keras 2 models, the recorded
`kwargs.mask` in Keras 3 functional models), Embedding, Dense (on 2-D and 3-D),
TimeDistributed(Dense), Dropout / SpatialDropout1D / GaussianNoise (identity), Activation,
Concatenate / Add / Average / Multiply, and the NotEqual / Any / Cast op nodes; every
element-wise activation Keras 3 accepts by name.

Exit status 1 if any float64 difference exceeds 1e-12 or a model cannot be evaluated
(fixtures without /reference_float64 are compared with the float32 outputs only, limit 1e-5).
"""

import glob
import io
import json
import math
import os
import re
import sys
import zipfile

import h5py
import numpy as np

F64_LIMIT = 1e-12
F32_LIMIT = 1e-5     # only used when a fixture has no /reference_float64


# --------------------------------------------------------------------------------------------
# Activations (float64)
# --------------------------------------------------------------------------------------------

def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(0.0, x)


_erfc = np.vectorize(math.erfc, otypes=[np.float64])
# TensorFlow evaluates two constants in float32 even for float64 tensors, and the float64
# reference (Keras itself) carries that: tf.nn.gelu(approximate=False) is
# 0.5 * x * erfc(-x * cast(0.7071067811865476)) with the Python constant turned into a float32
# tensor first, and LeakyRelu's alpha is a float32 op attribute. (5e-9 in float64; nothing in
# float32.)
_GELU_C = float(np.float32(0.7071067811865476))
_LEAKY_ALPHA = float(np.float32(0.2))
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _hard_sigmoid3(x):
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)          # Keras 3: relu6(x + 3) / 6


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


ACT3 = {
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "hard_sigmoid": _hard_sigmoid3,
    "relu": lambda x: np.maximum(x, 0.0),
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "linear": lambda x: x,
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "selu": lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0.0))),
    "softplus": _softplus,
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * _erfc(-x * _GELU_C),          # approximate=False (exact)
    "exponential": np.exp,
    "leaky_relu": lambda x: np.where(x >= 0, x, _LEAKY_ALPHA * x),   # negative_slope 0.2
    "hard_silu": lambda x: x * _hard_sigmoid3(x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "log_sigmoid": lambda x: -_softplus(-x),
    "hard_tanh": lambda x: np.clip(x, -1.0, 1.0),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0.0)),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0.0),
    "sparse_plus": lambda x: np.where(x <= -1, 0.0, np.where(x < 1, 0.25 * (x + 1) ** 2, x)),
    "sparse_sigmoid": lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, 1.0, 0.5 * (x + 1))),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4.0)) / 2.0,
    "celu": lambda x: np.maximum(x, 0.0) + np.expm1(np.minimum(x, 0.0)),
    "softmax": _softmax,
}
ACT3["swish"] = ACT3["silu"]
ACT3["hard_swish"] = ACT3["hard_silu"]
ACT2 = dict(ACT3, hard_sigmoid=lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0))   # Keras 2


# --------------------------------------------------------------------------------------------
# Recurrent cells
# --------------------------------------------------------------------------------------------

class Cell:
    """One recurrent cell: its config, weights [kernel, recurrent_kernel, (bias)], step()."""

    def __init__(self, kind, cfg, W, act):
        self.kind, self.cfg, self.u = kind, cfg, cfg["units"]
        self.kernel, self.rec = W[0], W[1]
        self.bias = W[2] if cfg.get("use_bias", True) else None
        self.act = act[cfg.get("activation", "tanh")]
        self.ract = act[cfg.get("recurrent_activation", "sigmoid")]
        self.nstates = 2 if kind == "LSTM" else 1
        if len(W) != (3 if self.bias is not None else 2):
            raise ValueError(f"{kind}: {len(W)} weight arrays")

    def zero_states(self, batch):
        return [np.zeros((batch, self.u)) for _ in range(self.nstates)]

    def step(self, x, states):
        u = self.u
        h = states[0]
        if self.kind == "LSTM":
            z = x @ self.kernel + h @ self.rec + (0.0 if self.bias is None else self.bias)
            i, f = self.ract(z[:, :u]), self.ract(z[:, u:2 * u])
            g, o = self.act(z[:, 2 * u:3 * u]), self.ract(z[:, 3 * u:])
            c = f * states[1] + i * g
            h = o * self.act(c)
            return h, [h, c]
        if self.kind == "GRU":
            if self.cfg.get("reset_after", True):
                b = self.bias if self.bias is not None else np.zeros((2, 3 * u))
                mx, mh = x @ self.kernel + b[0], h @ self.rec + b[1]
                z = self.ract(mx[:, :u] + mh[:, :u])
                r = self.ract(mx[:, u:2 * u] + mh[:, u:2 * u])
                hh = self.act(mx[:, 2 * u:] + r * mh[:, 2 * u:])
            else:
                b = self.bias if self.bias is not None else np.zeros(3 * u)
                mx = x @ self.kernel + b
                z = self.ract(mx[:, :u] + h @ self.rec[:, :u])
                r = self.ract(mx[:, u:2 * u] + h @ self.rec[:, u:2 * u])
                hh = self.act(mx[:, 2 * u:] + (r * h) @ self.rec[:, 2 * u:])
            h = z * h + (1.0 - z) * hh
            return h, [h]
        if self.kind == "SimpleRNN":
            h = self.act(x @ self.kernel + (0.0 if self.bias is None else self.bias)
                         + h @ self.rec)
            return h, [h]
        raise NotImplementedError(self.kind)


class Stacked:
    """StackedRNNCells: the cells run one after the other at every step."""

    def __init__(self, cells):
        self.cells = cells
        self.nstates = sum(c.nstates for c in cells)

    def zero_states(self, batch):
        return [s for c in self.cells for s in c.zero_states(batch)]

    def step(self, x, states):
        new, k = [], 0
        for c in self.cells:
            x, s = c.step(x, states[k:k + c.nstates])
            new += s
            k += c.nstates
        return x, new


def run_rnn(cell, cfg, x, mask=None, init=None, zero_output_for_mask=None):
    """The Keras RNN loop. Returns [output] + final states (when return_state).

    go_backwards: reverse x (and the mask); the sequence output stays in processing order.
    mask (B, T) bool: at a masked step the states are carried and the output is the previous
    output (zeros before the first valid step), or 0 with zero_output_for_mask.
    Keras quirk reproduced here: with unroll=True, zero_output_for_mask and a mask, Keras's
    unrolled loop carries the previous output at masked steps and afterwards zeroes the
    processing-order sequence with the mask in ORIGINAL time order (wrong with go_backwards);
    the last output is zeroed if the last processed step is masked."""
    if zero_output_for_mask is None:
        zero_output_for_mask = cfg.get("zero_output_for_mask", False)
    unroll_quirk = mask is not None and zero_output_for_mask and cfg.get("unroll", False)
    orig_mask = mask
    if unroll_quirk:
        zero_output_for_mask = False
    batch = x.shape[0]
    states = [np.asarray(s, np.float64) for s in init] if init is not None \
        else cell.zero_states(batch)
    if cfg.get("go_backwards", False):
        x = x[:, ::-1]
        mask = None if mask is None else mask[:, ::-1]
    prev = None
    seq = []
    for t in range(x.shape[1]):
        out, new = cell.step(x[:, t], states)
        if prev is None:
            prev = np.zeros_like(out)
        if mask is not None:
            m = mask[:, t][:, None]
            new = [np.where(m, n, s) for n, s in zip(new, states)]
            out = np.where(m, out, 0.0 if zero_output_for_mask else prev)
        states, prev = new, out
        seq.append(out)
    if unroll_quirk:
        last = np.where(mask[:, -1][:, None], seq[-1], 0.0)
        seq = [np.where(orig_mask[:, t][:, None], o, 0.0) for t, o in enumerate(seq)]
        seq[-1] = seq[-1] if cfg.get("return_sequences", False) else last
    output = np.stack(seq, 1) if cfg.get("return_sequences", False) else seq[-1]
    return [output] + states if cfg.get("return_state", False) else [output]


# --------------------------------------------------------------------------------------------
# Model files: config + per-layer weight lists
# --------------------------------------------------------------------------------------------

RNN_CLASSES = {"LSTM", "GRU", "SimpleRNN", "RNN"}
CELL_KIND = {"LSTMCell": "LSTM", "GRUCell": "GRU", "SimpleRNNCell": "SimpleRNN"}


def snake(name):
    """Keras weight-file group key for a class name (LSTM -> lstm, InputLayer -> input_layer)."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def read_vars(g):
    return [g[k][()].astype(np.float64) for k in sorted(g.keys(), key=int)]


def is_op_node(L):
    """Keras 3 functional configs hold ops (NotEqual, Any, Cast) as pseudo-layers; they have
    no weights and are not in model.layers."""
    return ".ops." in (L.get("module") or "")


def _keyed(items):
    """Keras 3 saving keys: snake_case(class name), then _1, _2, ... in order."""
    keys, counts = [], {}
    for cls in items:
        s = snake(cls)
        n = counts.get(s, 0)
        counts[s] = n + 1
        keys.append(s if n == 0 else f"{s}_{n}")
    return keys


def k3_cell_vars(cellg, cell_cfg):
    if cell_cfg["class_name"] == "StackedRNNCells":
        subs = cell_cfg["config"]["cells"]
        res = []
        for key in _keyed([c["class_name"] for c in subs]):
            res += read_vars(cellg["cells"][key]["vars"])
        return res
    return read_vars(cellg["vars"])


def k3_layer_weights(g, L):
    """The layer's weights, in get_weights() order, from a Keras-3-layout group."""
    cls, cfg = L["class_name"], L["config"]
    if cls == "RNN":
        return k3_cell_vars(g["cell"], cfg["cell"])
    if cls in RNN_CLASSES:
        return read_vars(g["cell/vars"])
    if cls == "Bidirectional":
        inner = cfg["layer"]
        back = cfg.get("backward_layer") or inner
        return (k3_layer_weights(g["forward_layer"], inner)
                + k3_layer_weights(g["backward_layer"], back))
    if cls == "TimeDistributed":
        return k3_layer_weights(g["layer"], cfg["layer"])
    return read_vars(g["vars"]) if "vars" in g else []


def k3_layout_weights(wf, layers, sequential):
    """{layer name: [arrays]} from a Keras-3-style weights file (layers/<key>/...)."""
    real = [L for L in layers if not is_op_node(L)
            and not (sequential and L["class_name"] == "InputLayer")]
    res = {}
    for L, key in zip(real, _keyed([L["class_name"] for L in real])):
        res[layer_name(L)] = k3_layer_weights(wf["layers"][key], L)
    return res


def legacy_weights(root):
    """{layer name: [arrays]} from a legacy HDF5 weights group (@layer_names, @weight_names)."""
    res = {}
    for name in root.attrs["layer_names"]:
        name = name.decode() if isinstance(name, bytes) else str(name)
        g = root[name]
        wn = g.attrs["weight_names"]
        res[name] = [g[n.decode() if isinstance(n, bytes) else str(n)][()].astype(np.float64)
                     for n in wn] if wn.dtype.kind in "OSU" else []
    return res


def layer_name(L):
    return L.get("name") or L["config"]["name"]


def load(f):
    """(top-level model config dict, {layer name: [weights]}, family "k3" | "k2")."""
    fmt = f["model"].attrs["format"]
    raw = f["model/file"][()].tobytes()
    cfg_text = f["model/config"][()] if "config" in f["model"] else None
    if isinstance(cfg_text, bytes):
        cfg_text = cfg_text.decode()
    if fmt == "keras3":
        z = zipfile.ZipFile(io.BytesIO(raw))
        top = json.loads(z.read("config.json"))
        wf = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    elif fmt in ("keras3-weights", "keras2-weights-v3"):
        top = json.loads(cfg_text)
        wf = h5py.File(io.BytesIO(raw), "r")
    elif fmt in ("keras3-legacy-h5", "keras2-h5"):
        wf = h5py.File(io.BytesIO(raw), "r")
        top = json.loads(wf.attrs["model_config"])
        return top, legacy_weights(wf["model_weights"]), "k3" if fmt.startswith("keras3") else "k2"
    elif fmt == "keras2-weights":
        wf = h5py.File(io.BytesIO(raw), "r")
        return json.loads(cfg_text), legacy_weights(wf), "k2"
    else:
        raise NotImplementedError(f"model format {fmt}")
    layers = top["config"]["layers"]
    family = "k2" if fmt.startswith("keras2") else "k3"
    return top, k3_layout_weights(wf, layers, top["class_name"] == "Sequential"), family


# --------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------

def make_cell(cls, cfg, W, act):
    """(cell, number of weight arrays used) for an RNN layer or cell config."""
    if cls in CELL_KIND or cls in ("LSTM", "GRU", "SimpleRNN"):
        kind = CELL_KIND.get(cls, cls)
        n = 3 if cfg.get("use_bias", True) else 2
        return Cell(kind, cfg, W[:n], act), n
    if cls == "StackedRNNCells":
        cells, k = [], 0
        for c in cfg["cells"]:
            cell, n = make_cell(c["class_name"], c["config"], W[k:], act)
            cells.append(cell)
            k += n
        return Stacked(cells), k
    raise NotImplementedError(cls)


def rnn_layer(cls, cfg, W, x, mask, init, act, zero_output_for_mask=None):
    if cls == "RNN":
        cell, n = make_cell(cfg["cell"]["class_name"], cfg["cell"]["config"], W, act)
    else:
        cell, n = make_cell(cls, cfg, W, act)
    if n != len(W):
        raise ValueError(f"{cfg['name']}: {len(W)} weight arrays, {n} used")
    return run_rnn(cell, cfg, x, mask, init, zero_output_for_mask)


def n_weights(sub):
    cfg = sub["config"]
    if sub["class_name"] == "RNN":
        cells = (cfg["cell"]["config"]["cells"] if cfg["cell"]["class_name"] == "StackedRNNCells"
                 else [cfg["cell"]])
        return sum(3 if c["config"].get("use_bias", True) else 2 for c in cells)
    return 3 if cfg.get("use_bias", True) else 2


def bidirectional(cfg, W, x, mask, init, act):
    fwd = cfg["layer"]
    if cfg.get("backward_layer"):
        bwd = cfg["backward_layer"]
    else:   # Keras 2 configs leave out the implicit backward copy
        bwd = dict(fwd, config=dict(fwd["config"],
                                    go_backwards=not fwd["config"].get("go_backwards", False)))
    nf = n_weights(fwd)
    seq = fwd["config"].get("return_sequences", False)
    half = None if init is None else len(init) // 2
    # Bidirectional forces zero_output_for_mask = return_sequences on both directions.
    fo = rnn_layer(fwd["class_name"], fwd["config"], W[:nf], x, mask,
                   None if init is None else init[:half], act, seq)
    bo = rnn_layer(bwd["class_name"], bwd["config"], W[nf:], x, mask,
                   None if init is None else init[half:], act, seq)
    y, y_rev = fo[0], bo[0]
    if seq:
        y_rev = y_rev[:, ::-1]
    merged = {
        "concat": lambda: [np.concatenate([y, y_rev], -1)],
        "sum": lambda: [y + y_rev],
        "mul": lambda: [y * y_rev],
        "ave": lambda: [(y + y_rev) / 2],
        None: lambda: [y, y_rev],
    }[cfg["merge_mode"]]()
    return merged + fo[1:] + bo[1:] if fwd["config"].get("return_state", False) else merged


def dense(cfg, W, x, act):
    y = x @ W[0] + (W[1] if cfg.get("use_bias", True) else 0.0)
    return act[cfg.get("activation", "linear")](y)


IDENTITY = {"Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout",
            "AlphaDropout", "ActivityRegularization"}
MERGE = {"Concatenate", "Add", "Average", "Multiply", "Subtract", "Maximum", "Minimum"}


def apply_layer(L, W, inputs, masks, kwargs, act, explicit_mask):
    """Run one layer. inputs: the positional tensor(s) (list); masks: their implicit masks;
    kwargs: resolved keyword tensors (mask, initial_state). Returns (outputs, output masks)."""
    cls, cfg = L["class_name"], L["config"]
    x = inputs[0]
    in_mask = kwargs.get("mask") if explicit_mask else (masks[0] if masks else None)
    if in_mask is not None:
        in_mask = np.asarray(in_mask, bool)
    init = kwargs.get("initial_state")
    if init is None and len(inputs) > 1 and cls in RNN_CLASSES | {"Bidirectional"}:
        init = inputs[1:]                      # Keras 2: states are extra node inputs
    if cls in RNN_CLASSES:
        outs = rnn_layer(cls, cfg, W, x, in_mask, init, act)
        seq = cfg.get("return_sequences", False)
        return outs, [in_mask if seq else None] + [None] * (len(outs) - 1)
    if cls == "Bidirectional":
        outs = bidirectional(cfg, W, x, in_mask, init, act)
        seq = cfg["layer"]["config"].get("return_sequences", False)
        nmerged = 2 if cfg["merge_mode"] is None else 1
        return outs, [in_mask if seq else None] * nmerged + [None] * (len(outs) - nmerged)
    if cls == "Masking":
        mv = cfg.get("mask_value", 0.0)
        m = np.any(x != mv, axis=-1)
        return [x * m[..., None]], [m]
    if cls == "Embedding":
        ids = np.asarray(x).astype(np.int64)
        return [W[0][ids]], [ids != 0 if cfg.get("mask_zero", False) else None]
    if cls == "Dense":
        return [dense(cfg, W, x, act)], [in_mask]
    if cls == "TimeDistributed":
        inner = cfg["layer"]
        if inner["class_name"] != "Dense":
            raise NotImplementedError(f"TimeDistributed({inner['class_name']})")
        return [dense(inner["config"], W, x, act)], [in_mask]
    if cls in IDENTITY:
        return [x], [in_mask]
    if cls == "Activation":
        return [act[cfg["activation"]](x)], [in_mask]
    if cls in MERGE:
        xs = x if isinstance(x, list) else inputs
        if cls == "Concatenate":
            y = np.concatenate(xs, axis=cfg.get("axis", -1))
        elif cls == "Add":
            y = sum(xs)
        elif cls == "Average":
            y = sum(xs) / len(xs)
        elif cls == "Multiply":
            y = xs[0]
            for v in xs[1:]:
                y = y * v
        else:
            raise NotImplementedError(cls)
        return [y], [None]
    # Keras 3 op nodes
    if cls == "NotEqual":
        return [np.not_equal(x, inputs[1])], [None]
    if cls == "Any":
        return [np.any(x, axis=cfg.get("axis"), keepdims=cfg.get("keepdims", False))], [None]
    if cls == "Cast":
        return [np.asarray(x).astype(np.dtype(cfg["dtype"]))], [None]
    raise NotImplementedError(cls)


# --------------------------------------------------------------------------------------------
# Graph evaluation
# --------------------------------------------------------------------------------------------

def evaluate(f):
    top, weights, family = load(f)
    act = ACT2 if family == "k2" else ACT3
    inputs = []
    while f"input_{len(inputs)}" in f:
        v = f[f"input_{len(inputs)}"][()]
        inputs.append(v.astype(np.float64) if v.dtype.kind == "f" else v)
    layers = top["config"]["layers"]
    if top["class_name"] == "Sequential":
        x, m = inputs[0], None
        for L in layers:
            if L["class_name"] == "InputLayer":
                continue
            outs, masks = apply_layer(L, weights.get(layer_name(L), []), [x], [m], {}, act,
                                      explicit_mask=False)
            x, m = outs[0], masks[0]
        return [x]

    # Functional. Keras 3 records masks explicitly (kwargs.mask); Keras 2 propagates them.
    explicit = family == "k3"

    def triples(v):
        return [v] if isinstance(v[0], str) else v

    tensors, tmasks = {}, {}
    for (name, ni, ti), v in zip(triples(top["config"]["input_layers"]), inputs):
        tensors[(name, ni, ti)] = v
        tmasks[(name, ni, ti)] = None

    def resolve(obj):
        """Keras 3 node arguments: keras tensors -> values (nested), others as-is."""
        if isinstance(obj, dict) and obj.get("class_name") == "__keras_tensor__":
            h = obj["config"]["keras_history"]
            return tensors[tuple(h)], tmasks[tuple(h)]
        if isinstance(obj, list):
            pairs = [resolve(o) for o in obj]
            return [p[0] for p in pairs], [p[1] for p in pairs]
        return obj, None

    for L in layers:
        if L["class_name"] == "InputLayer":
            continue
        name = layer_name(L)
        for ni, node in enumerate(L["inbound_nodes"]):
            if isinstance(node, dict):              # Keras 3
                args = [resolve(a) for a in node["args"]]
                vals = [a[0] for a in args]
                msks = [a[1] for a in args]
                if isinstance(vals[0], list) and L["class_name"] in MERGE:
                    vals, msks = vals[0], msks[0]
                kw = {}
                for k, v in node.get("kwargs", {}).items():
                    if k in ("mask", "initial_state"):
                        kw[k] = resolve(v)[0]
            else:                                   # Keras 2: [[name, node, tensor, kwargs]]
                vals = [tensors[(n, i, t)] for n, i, t, *_ in node]
                msks = [tmasks[(n, i, t)] for n, i, t, *_ in node]
                kw = {}
            outs, omasks = apply_layer(L, weights.get(name, []), vals, msks, kw, act, explicit)
            for k, (o, m) in enumerate(zip(outs, omasks)):
                tensors[(name, ni, k)] = o
                tmasks[(name, ni, k)] = m
    return [tensors[(n, i, k)] for n, i, k in triples(top["config"]["output_layers"])]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    dirs = args or [os.path.join(os.path.dirname(__file__), "..", "fixtures")]
    failed = 0
    worst64 = worst32 = 0.0
    paths = sorted(p for d in dirs for p in glob.glob(os.path.join(d, "*.h5")))
    for path in paths:
        stem = os.path.basename(path)[:-3]
        with h5py.File(path, "r") as f:
            try:
                outs = evaluate(f)
            except Exception as e:
                print(f"{stem:34s} cannot evaluate: {type(e).__name__}: {e}")
                failed += 1
                continue
            n = sum(1 for k in f if k.startswith("output_"))
            if n != len(outs):
                print(f"{stem:34s} {n} outputs stored, {len(outs)} computed")
                failed += 1
                continue
            shapes_ok = all(np.shape(o) == f[f"output_{i}"].shape for i, o in enumerate(outs))
            if not shapes_ok:
                print(f"{stem:34s} shape mismatch: computed "
                      f"{[np.shape(o) for o in outs]}, stored "
                      f"{[f[f'output_{i}'].shape for i in range(n)]}")
                failed += 1
                continue
            d32 = max(float(np.max(np.abs(o - f[f"output_{i}"][()]))) for i, o in enumerate(outs))
            msg = f"{stem:34s} numpy64 vs keras32 {d32:.2e}"
            worst32 = max(worst32, d32)
            if "reference_float64" in f:
                d64 = max(float(np.max(np.abs(o - f[f"reference_float64/output_{i}"][()])))
                          for i, o in enumerate(outs))
                msg += f"   numpy64 vs keras64 {d64:.2e}"
                worst64 = max(worst64, d64)
                if d64 > F64_LIMIT:
                    msg += "   *** FAIL ***"
                    failed += 1
            else:
                msg += "   (no float64 reference)"
                if d32 > F32_LIMIT:
                    msg += "   *** FAIL ***"
                    failed += 1
            print(msg)
    print(f"\n{len(paths)} fixtures; worst numpy64 vs keras64 {worst64:.3g}; worst numpy64 vs "
          f"keras32 {worst32:.3g}; failures: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
