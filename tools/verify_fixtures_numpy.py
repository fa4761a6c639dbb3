#!/usr/bin/env python3
"""Cross-check fixtures with an independent float64 NumPy evaluation of the stored model.

    python tools/verify_fixtures_numpy.py [fixtures/]

Reads only the fixture: /model/file (config.json + model.weights.h5 of a "keras3" archive) and
/input_*, recomputes every output in float64 with plain NumPy, and compares with
/reference_float64/output_* (Keras float64; should agree to ~1e-15) and /output_* (Keras
float32; ~1e-7). This checks the fixture generator, not rnncheck. Supports what the current
fixtures use: LSTM and Bidirectional(LSTM) in Sequential or functional models, including
initial_state, go_backwards, every merge_mode and an explicit backward_layer. No masking.
Exit status 1 if any float64 difference exceeds 1e-12 or a model cannot be evaluated.
Needs only h5py and numpy.
"""

import glob
import io
import json
import os
import re
import sys
import zipfile

import h5py
import numpy as np

ACT = {
    "tanh": np.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "relu": lambda x: np.maximum(x, 0.0),
    "linear": lambda x: x,
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),   # Keras 3 definition
}
F64_LIMIT = 1e-12


def snake(name):
    """Keras 3 weight-file group key for a class name (LSTM -> lstm, InputLayer -> input_layer)."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def lstm(cfg, W, x, init=None):
    u = cfg["units"]
    kernel, rec = W[0], W[1]
    bias = W[2] if cfg["use_bias"] else np.zeros(4 * u)
    act, ract = ACT[cfg["activation"]], ACT[cfg["recurrent_activation"]]
    h = np.zeros((x.shape[0], u)) if init is None else init[0]
    c = np.zeros((x.shape[0], u)) if init is None else init[1]
    xs = x[:, ::-1] if cfg["go_backwards"] else x
    seq = []
    for t in range(xs.shape[1]):
        z = xs[:, t] @ kernel + h @ rec + bias
        i, f, g, o = ract(z[:, :u]), ract(z[:, u:2 * u]), act(z[:, 2 * u:3 * u]), ract(z[:, 3 * u:])
        c = f * c + i * g
        h = o * act(c)
        seq.append(h)
    out = np.stack(seq, 1) if cfg["return_sequences"] else h   # processing order
    return [out, h, c] if cfg["return_state"] else [out]


def bidirectional(cfg, Wf, Wb, x, init=None):
    fc, bc = cfg["layer"]["config"], cfg["backward_layer"]["config"]
    fo = lstm(fc, Wf, x, None if init is None else init[:2])
    bo = lstm(bc, Wb, x, None if init is None else init[2:])
    y, y_rev = fo[0], bo[0]
    if fc["return_sequences"]:
        y_rev = y_rev[:, ::-1]
    merged = {
        "concat": lambda: [np.concatenate([y, y_rev], -1)],
        "sum": lambda: [y + y_rev],
        "mul": lambda: [y * y_rev],
        "ave": lambda: [(y + y_rev) / 2],
        None: lambda: [y, y_rev],
    }[cfg["merge_mode"]]()
    return merged + fo[1:] + bo[1:] if fc["return_state"] else merged


def read_vars(g):
    return [g[k][()].astype(np.float64) for k in sorted(g.keys(), key=int)]


def evaluate(f):
    if f["model"].attrs["format"] != "keras3":
        raise NotImplementedError(f"model format {f['model'].attrs['format']}")
    z = zipfile.ZipFile(io.BytesIO(f["model/file"][()].tobytes()))
    top = json.loads(z.read("config.json"))
    wf = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    inputs = []
    while f"input_{len(inputs)}" in f:
        inputs.append(f[f"input_{len(inputs)}"][()].astype(np.float64))
    layers = top["config"]["layers"]
    sequential = top["class_name"] == "Sequential"

    keys, counts = {}, {}
    for L in layers:
        if sequential and L["class_name"] == "InputLayer":
            continue   # not in Sequential.layers, so no weight group
        s = snake(L["class_name"])
        n = counts.get(s, 0)
        counts[s] = n + 1
        keys[L["config"]["name"]] = s if n == 0 else f"{s}_{n}"

    def apply(L, x, init):
        g = wf["layers"][keys[L["config"]["name"]]]
        if L["class_name"] == "LSTM":
            return lstm(L["config"], read_vars(g["cell/vars"]), x, init)
        if L["class_name"] == "Bidirectional":
            return bidirectional(L["config"], read_vars(g["forward_layer/cell/vars"]),
                                 read_vars(g["backward_layer/cell/vars"]), x, init)
        raise NotImplementedError(L["class_name"])

    if sequential:
        x = inputs[0]
        for L in layers:
            if L["class_name"] != "InputLayer":
                x = apply(L, x, None)[0]
        return [x]

    def triples(v):
        return [v] if isinstance(v[0], str) else v

    tensors = {}
    for (name, _, _), v in zip(triples(top["config"]["input_layers"]), inputs):
        tensors[(name, 0)] = v

    def ref(t):
        hist = t["config"]["keras_history"]
        return tensors[(hist[0], hist[2])]

    for L in layers:
        if L["class_name"] == "InputLayer":
            continue
        node = L["inbound_nodes"][0]
        init = node["kwargs"].get("initial_state")
        outs = apply(L, ref(node["args"][0]), [ref(t) for t in init] if init else None)
        for k, o in enumerate(outs):
            tensors[(L["config"]["name"], k)] = o
    return [tensors[(n, k)] for n, _, k in triples(top["config"]["output_layers"])]


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "fixtures")
    failed = 0
    worst64 = worst32 = 0.0
    for path in sorted(glob.glob(os.path.join(d, "*.h5"))):
        stem = os.path.basename(path)[:-3]
        with h5py.File(path, "r") as f:
            try:
                outs = evaluate(f)
            except Exception as e:
                print(f"{stem:28s} cannot evaluate: {type(e).__name__}: {e}")
                failed += 1
                continue
            n = sum(1 for k in f if k.startswith("output_"))
            if n != len(outs):
                print(f"{stem:28s} {n} outputs stored, {len(outs)} computed")
                failed += 1
                continue
            d32 = max(float(np.max(np.abs(o - f[f"output_{i}"][()]))) for i, o in enumerate(outs))
            msg = f"{stem:28s} numpy64 vs keras32 {d32:.2e}"
            if "reference_float64" in f:
                d64 = max(float(np.max(np.abs(o - f[f"reference_float64/output_{i}"][()])))
                          for i, o in enumerate(outs))
                msg += f"   numpy64 vs keras64 {d64:.2e}"
                worst64 = max(worst64, d64)
                if d64 > F64_LIMIT:
                    msg += "   *** FAIL ***"
                    failed += 1
            worst32 = max(worst32, d32)
            print(msg)
    print(f"\nworst numpy64 vs keras64 {worst64:.3g}; worst numpy64 vs keras32 {worst32:.3g}; "
          f"failures: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
