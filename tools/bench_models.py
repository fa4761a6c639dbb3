#!/usr/bin/env python3
"""Times Keras/TensorFlow, ONNX Runtime, PyTorch CPU and rnncheck on whole models around
recurrent layers — a CNN-LSTM, an LSTM + MultiHeadAttention block, Keras's next-frame-prediction
ConvLSTM model — with the same weights and inputs, interleaved in one run, with 1 and 2 threads;
prints one table of medians and ratios (and writes it as JSON with --json).

Usage:
    python3 tools/bench_models.py                        # makes .venv-bench, then runs
    python3 tools/bench_models.py --models cnn_lstm,lstm_mha --threads 1,2 --rounds 5
    python3 tools/bench_models.py --rnncheck .build/release/rnncheck --json models.json
    python3 tools/bench_models.py --ab 'new=;old=/tmp/rnncheck-old'  # two rnncheck builds, A/B
    python3 tools/bench_models.py --ab 'on=;off=:RNNCHECK_FAST=0'   # an engine switch, A/B

The machinery (worker processes, interleaved rounds, `rnncheck bench`) is bench_compare.py's,
in bench_common.py. Every engine takes the input in Keras's layout, and every layout change a
peer needs is inside its timed call (they are a few hundred microseconds at most).

Engines:
  keras    the Keras 3 model called through tf.function (graph mode; TF's default oneDNN settings).
  torch    hand-written torch.nn modules holding the same weights (nn.Conv1d, nn.LSTM,
           nn.MultiheadAttention, nn.LayerNorm; ConvLSTM from nn.Conv2d, the input convolution of
           every frame at once, then one recurrent convolution per step), torch.inference_mode().
  onnxrt   ONNX Runtime on the torch modules exported with torch.onnx.export (TorchScript
           exporter: nn.LSTM becomes the ONNX LSTM operator; ConvLSTM's steps are unrolled).
  rnncheck `rnncheck bench MODEL INPUTS --threads N --format json` on the saved .keras file.
Outputs of every engine are checked against Keras before timing.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (NAMES, ROOT, ensure_venv, find_rnncheck, interleave, ort_session, print_table,  # noqa: E402
                          quantile, rnncheck_check, serve, versions)

# name: (input shape with batch, description)
MODELS = {
    "cnn_lstm": ((32, 200, 16), "Conv1D(64,5,relu) > MaxPool1D(2) > LSTM(128) > Dense(10)"),
    "lstm_mha": ((16, 128, 64), "LSTM(128,seq) > MHA(4x32, self) > Add > LayerNorm"),
    "convlstm": ((4, 10, 64, 64, 1), "next-frame: 3x ConvLSTM2D(64; 5x5,3x3,1x1) + BN > Conv3D(1,3x3x3)"),
}


def flops(name):
    """Multiply-adds x 2 of the products (convolutions, matrix products); the rest not counted."""
    if name == "cnn_lstm":
        b, t, d = MODELS[name][0]
        conv = 2 * b * (t - 4) * 5 * d * 64
        lstm = 2 * b * ((t - 4) // 2) * (64 + 128) * 4 * 128
        return conv + lstm + 2 * b * 128 * 10
    if name == "lstm_mha":
        b, t, d = MODELS[name][0]
        lstm = 2 * b * t * (d + 128) * 4 * 128
        proj = 2 * b * t * 128 * 128 * 4  # q, k, v, output
        attn = 2 * 2 * b * t * t * 128  # scores and weighted values over 4 heads of 32
        return lstm + proj + attn
    b, t, hh, ww, c = MODELS[name][0]
    pos = b * t * hh * ww
    layers = [(5, c), (3, 64), (1, 64)]
    total = sum(2 * pos * k * k * (cin + 64) * 256 for k, cin in layers)
    return total + 2 * pos * 27 * 64


# --------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------

def keras_model(name):
    import keras
    shape = MODELS[name][0]
    if name == "cnn_lstm":
        x = keras.Input(shape[1:], name="x")
        y = keras.layers.Conv1D(64, 5, activation="relu", name="conv")(x)
        y = keras.layers.MaxPooling1D(2, name="pool")(y)
        y = keras.layers.LSTM(128, name="lstm")(y)
        y = keras.layers.Dense(10, name="dense")(y)
    elif name == "lstm_mha":
        x = keras.Input(shape[1:], name="x")
        s = keras.layers.LSTM(128, return_sequences=True, name="lstm")(x)
        a = keras.layers.MultiHeadAttention(num_heads=4, key_dim=32, name="mha")(s, s)
        y = keras.layers.Add(name="add")([s, a])
        y = keras.layers.LayerNormalization(name="ln")(y)
    else:
        # keras-io examples/vision/conv_lstm.py, with frames of 64x64x1 (time axis unknown, as there)
        x = keras.Input((None,) + shape[2:], name="x")
        y = keras.layers.ConvLSTM2D(64, (5, 5), padding="same", return_sequences=True, activation="relu", name="cl1")(x)
        y = keras.layers.BatchNormalization(name="bn1")(y)
        y = keras.layers.ConvLSTM2D(64, (3, 3), padding="same", return_sequences=True, activation="relu", name="cl2")(y)
        y = keras.layers.BatchNormalization(name="bn2")(y)
        y = keras.layers.ConvLSTM2D(64, (1, 1), padding="same", return_sequences=True, activation="relu", name="cl3")(y)
        y = keras.layers.Conv3D(1, (3, 3, 3), activation="sigmoid", padding="same", name="head")(y)
    return keras.Model(x, y, name=f"bench_{name}")


def build_keras(name, workdir: Path):
    """Builds the Keras model with seeded weights (BatchNormalization's moving statistics and
    scales drawn too, so that they do something), saves NAME.keras, NAME.h5 (input_0 and Keras's
    output_0) and NAME.npz (every weight by its Keras path)."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import h5py
    import keras
    import numpy as np
    keras.utils.set_random_seed(1234 + sum(map(ord, name)))
    rng = np.random.default_rng(4321 + sum(map(ord, name)))
    model = keras_model(name)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.moving_mean.shape[0]
            layer.set_weights([rng.uniform(0.8, 1.2, n), rng.normal(0, 0.1, n), rng.normal(0, 0.1, n),
                               rng.uniform(0.5, 1.5, n)])
    shape = MODELS[name][0]
    x = (rng.random(shape) if name == "convlstm" else rng.standard_normal(shape)).astype(np.float32)
    y = np.asarray(model(x, training=False))
    workdir.mkdir(parents=True, exist_ok=True)
    model.save(workdir / f"{name}.keras")
    with h5py.File(workdir / f"{name}.h5", "w") as f:
        f.create_dataset("input_0", data=x)
        f.create_dataset("output_0", data=y)
    np.savez(workdir / f"{name}.npz", **{w.path.replace("/", "__"): np.asarray(w) for w in model.weights})
    return model, x, y


def weights(workdir, name):
    import numpy as np
    with np.load(workdir / f"{name}.npz") as z:
        return {k.replace("__", "/"): z[k] for k in z.files}


def torch_model(workdir, name):
    """The same model as hand-written torch modules holding the Keras weights; takes and returns
    tensors in Keras's layout."""
    import numpy as np
    import torch
    from torch import nn
    w = weights(workdir, name)

    def t(a):
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))

    def set_lstm(lstm, prefix):  # Keras gates i f c o == torch i f g o
        with torch.no_grad():
            lstm.weight_ih_l0.copy_(t(w[prefix + "/kernel"].T))
            lstm.weight_hh_l0.copy_(t(w[prefix + "/recurrent_kernel"].T))
            lstm.bias_ih_l0.copy_(t(w[prefix + "/bias"]))
            lstm.bias_hh_l0.zero_()

    if name == "cnn_lstm":
        class CnnLstm(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv1d(16, 64, 5)
                self.pool = nn.MaxPool1d(2)
                self.lstm = nn.LSTM(64, 128, batch_first=True)
                self.dense = nn.Linear(128, 10)

            def forward(self, x):  # (B, T, 16)
                y = torch.relu(self.conv(x.transpose(1, 2)))
                y = self.pool(y).transpose(1, 2)
                _, (h, _) = self.lstm(y)
                return self.dense(h[0])
        net = CnnLstm()
        with torch.no_grad():
            net.conv.weight.copy_(t(w["conv/kernel"].transpose(2, 1, 0)))  # (k, in, out) -> (out, in, k)
            net.conv.bias.copy_(t(w["conv/bias"]))
            net.dense.weight.copy_(t(w["dense/kernel"].T))
            net.dense.bias.copy_(t(w["dense/bias"]))
        set_lstm(net.lstm, "lstm/lstm_cell")
        return net.eval()

    if name == "lstm_mha":
        class LstmMha(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(64, 128, batch_first=True)
                self.mha = nn.MultiheadAttention(128, 4, batch_first=True)
                self.ln = nn.LayerNorm(128, eps=1e-3)

            def forward(self, x):
                s, _ = self.lstm(x)
                a, _ = self.mha(s, s, s, need_weights=False)
                return self.ln(s + a)
        net = LstmMha()
        set_lstm(net.lstm, "lstm/lstm_cell")
        with torch.no_grad():
            # Keras (in, heads, key_dim) kernels -> torch (heads·key_dim, in) rows
            net.mha.in_proj_weight.copy_(t(np.concatenate([w[f"mha/{p}/kernel"].reshape(128, 128).T for p in ("query", "key", "value")])))
            net.mha.in_proj_bias.copy_(t(np.concatenate([w[f"mha/{p}/bias"].reshape(128) for p in ("query", "key", "value")])))
            net.mha.out_proj.weight.copy_(t(w["mha/attention_output/kernel"].reshape(128, 128).T))
            net.mha.out_proj.bias.copy_(t(w["mha/attention_output/bias"]))
            net.ln.weight.copy_(t(w["ln/gamma"]))
            net.ln.bias.copy_(t(w["ln/beta"]))
        return net.eval()

    class ConvLSTM2d(nn.Module):
        """Keras's ConvLSTM2D(padding="same", activation="relu", return_sequences=True):
        z = (conv(x_t, W) + b) + conv(h, U), gates i f c o, i f o sigmoid."""

        def __init__(self, cin, f, k, prefix):
            super().__init__()
            self.f = f
            self.cx = nn.Conv2d(cin, 4 * f, k, padding=k // 2)
            self.ch = nn.Conv2d(f, 4 * f, k, padding=k // 2, bias=False)
            with torch.no_grad():  # Keras (kh, kw, in, out) -> torch (out, in, kh, kw)
                self.cx.weight.copy_(t(w[prefix + "/kernel"].transpose(3, 2, 0, 1)))
                self.cx.bias.copy_(t(w[prefix + "/bias"]))
                self.ch.weight.copy_(t(w[prefix + "/recurrent_kernel"].transpose(3, 2, 0, 1)))

        def forward(self, x):  # (B, T, C, H, W) -> (B, T, f, H, W)
            b, steps, c, hh, ww = x.shape
            zx = self.cx(x.reshape(b * steps, c, hh, ww)).reshape(b, steps, 4 * self.f, hh, ww)
            h = x.new_zeros((b, self.f, hh, ww))
            cs = x.new_zeros((b, self.f, hh, ww))
            out = []
            for s in range(steps):
                z = zx[:, s] + self.ch(h)
                i, f, g, o = z.chunk(4, dim=1)
                cs = torch.sigmoid(f) * cs + torch.sigmoid(i) * torch.relu(g)
                h = torch.sigmoid(o) * torch.relu(cs)
                out.append(h)
            return torch.stack(out, dim=1)

    class BatchNorm(nn.Module):
        def __init__(self, prefix):
            super().__init__()
            self.bn = nn.BatchNorm2d(64, eps=1e-3)
            with torch.no_grad():
                self.bn.weight.copy_(t(w[prefix + "/gamma"]))
                self.bn.bias.copy_(t(w[prefix + "/beta"]))
                self.bn.running_mean.copy_(t(w[prefix + "/moving_mean"]))
                self.bn.running_var.copy_(t(w[prefix + "/moving_variance"]))

        def forward(self, x):
            b, steps = x.shape[:2]
            return self.bn(x.reshape((b * steps,) + x.shape[2:])).reshape(x.shape)

    class NextFrame(nn.Module):
        def __init__(self):
            super().__init__()
            self.cl1 = ConvLSTM2d(1, 64, 5, "cl1/conv_lstm_cell")
            self.bn1 = BatchNorm("bn1")
            self.cl2 = ConvLSTM2d(64, 64, 3, "cl2/conv_lstm_cell")
            self.bn2 = BatchNorm("bn2")
            self.cl3 = ConvLSTM2d(64, 64, 1, "cl3/conv_lstm_cell")
            self.head = nn.Conv3d(64, 1, 3, padding=1)
            with torch.no_grad():  # Keras (kt, kh, kw, in, out) -> torch (out, in, kt, kh, kw)
                self.head.weight.copy_(t(w["head/kernel"].transpose(4, 3, 0, 1, 2)))
                self.head.bias.copy_(t(w["head/bias"]))

        def forward(self, x):  # (B, T, H, W, 1)
            y = x.permute(0, 1, 4, 2, 3)
            y = self.bn1(self.cl1(y))
            y = self.bn2(self.cl2(y))
            y = self.cl3(y)
            y = torch.sigmoid(self.head(y.transpose(1, 2)))  # (B, 1, T, H, W)
            return y.permute(0, 2, 3, 4, 1)
    return NextFrame().eval()


def export_onnx(workdir, name):
    """torch.onnx.export of the torch modules (the TorchScript exporter, opset 17). Traced with
    gradients on: under no_grad nn.MultiheadAttention takes its fused fast path, which has no
    ONNX form."""
    import numpy as np
    import torch
    net = torch_model(workdir, name)
    x = torch.from_numpy(np.zeros(MODELS[name][0], dtype=np.float32))
    torch.onnx.export(net, (x,), str(workdir / f"{name}.onnx"), input_names=["x"], output_names=["y"],
                      opset_version=17, dynamo=False)


# --------------------------------------------------------------------------------------------
# workers
# --------------------------------------------------------------------------------------------

def load(engine, threads, workdir: Path, name):
    """(call, Keras's output) for one engine on one model (see bench_common.serve)."""
    import h5py
    import numpy as np
    with h5py.File(workdir / f"{name}.h5", "r") as f:
        x = f["input_0"][...]
        y = f["output_0"][...]
    if engine == "keras":
        import keras
        import tensorflow as tf
        model = keras.models.load_model(workdir / f"{name}.keras")
        fn = tf.function(lambda a: model(a, training=False))
        xt = tf.constant(x)
        return (lambda: fn(xt).numpy()), y
    if engine == "torch":
        import torch
        net = torch_model(workdir, name)
        xt = torch.from_numpy(x)

        def call():
            with torch.inference_mode():
                return net(xt).numpy()
        return call, y
    if engine == "onnxrt":
        sess = ort_session(workdir / f"{name}.onnx", threads)
        io = sess.io_binding()  # no per-call name lookup or output allocation in Python
        io.bind_cpu_input("x", x)
        io.bind_output("y")
        sess.run_with_iobinding(io)
        first = [io.copy_outputs_to_cpu()[0]]

        def call():
            sess.run_with_iobinding(io)
            return first.pop() if first else None
        return call, y
    raise SystemExit(f"unknown engine {engine}")


def parse_ab(text):
    """'new=;old=/tmp/rnncheck-old;off=:RNNCHECK_X=0,RNNCHECK_Y=1' -> {label: (binary or None,
    env or None)}: each variant is `label=[BINARY][:VAR=value,...]`."""
    out = {}
    for part in text.split(";"):
        label, _, rest = part.partition("=")
        exe, _, env = rest.partition(":")
        out[label] = (exe or None, dict(kv.split("=", 1) for kv in env.split(",") if kv) or None)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--engines", default="keras,onnxrt,torch,rnncheck")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--budget", type=float, default=1.0, help="seconds per engine per round (sets calls per block)")
    ap.add_argument("--min-calls", type=int, default=2, help="calls per block at least")
    ap.add_argument("--rnncheck", default=None, help="the rnncheck binary (default: .build-perf or .build release)")
    ap.add_argument("--ab", default=None, help="time several rnncheck variants: 'label=[BINARY][:VAR=v,...];label2=...'")
    ap.add_argument("--workdir", default=str(ROOT / ".build-bench"))
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--prepare", action="store_true", help="only write the models and inputs (.keras, .h5, .onnx)")
    ap.add_argument("--reuse", action="store_true", help="keep the models and inputs already in --workdir")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    workdir = Path(args.workdir)
    if args.worker:
        serve(args.worker, int(args.threads), lambda e, n, name: load(e, n, workdir, name))
        return
    ensure_venv(__file__)

    binary = find_rnncheck(args.rnncheck)
    names = args.models.split(",")
    thread_counts = [int(v) for v in args.threads.split(",")]
    engines = args.engines.split(",")
    variants = parse_ab(args.ab) if args.ab else None

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for s in names:
        have = all((workdir / f"{s}.{ext}").exists() for ext in ("keras", "h5", "npz", "onnx"))
        if not (args.reuse and have):
            build_keras(s, workdir)
            export_onnx(workdir, s)
        if "rnncheck" in engines:
            for label, (exe, env) in (variants or {"": (None, None)}).items():
                ok, line = rnncheck_check(exe or binary, workdir, s, env=env)
                print(f"{s}: rnncheck{f'[{label}]' if label else ''} vs Keras: {line}", file=sys.stderr)
                if not ok:
                    raise SystemExit(f"rnncheck does not match Keras on {s}")
    if args.prepare:
        return
    vers = versions(binary)
    results, diffs = interleave(__file__, binary, workdir, names, engines, thread_counts, args.rounds, args.budget,
                                min_calls=args.min_calls, probe_calls=1, rnncheck_variants=variants)
    timed = sorted({e for (_, _, e) in results}, key=lambda e: (["keras", "onnxrt", "torch"] + [e]).index(e))
    peers = [e for e in timed if not e.startswith("rnncheck")]
    ours = [e for e in timed if e.startswith("rnncheck")]

    header = (["model", "thr"] + [NAMES.get(e, e) + " ms" for e in timed]
              + [f"{o} / {NAMES[p]}" for o in ours for p in peers] + [f"{o} / fastest peer (p10)" for o in ours])
    if len(ours) == 2:
        header.append(f"{ours[0]} / {ours[1]}")
    rows = []
    out_json = {"versions": vers, "rounds": args.rounds, "results": []}
    for s in names:
        shape, desc = MODELS[s]
        for n in thread_counts:
            med = {e: statistics.median(results[(s, n, e)]) for e in timed}
            p10 = {e: quantile(results[(s, n, e)], 0.1) for e in timed}
            row = [f"{s} {shape}", str(n)] + [f"{med[e]:.4g}" for e in timed]
            row += [f"{med[o] / med[p]:.2f}x" for o in ours for p in peers]
            for o in ours:
                if peers:
                    best = min(peers, key=lambda p: med[p])
                    row.append(f"{med[o] / med[best]:.2f}x ({p10[o] / min(p10[p] for p in peers):.2f}x)")
                else:
                    row.append("-")
            if len(ours) == 2:
                row.append(f"{med[ours[0]] / med[ours[1]]:.3f}x")
            rows.append(row)
            out_json["results"].append({
                "model": s, "input": shape, "description": desc, "threads": n, "gflop": flops(s) / 1e9,
                "median_ms": med, "p10_ms": p10, "p90_ms": {e: quantile(results[(s, n, e)], 0.9) for e in timed},
                "calls": {e: len(results[(s, n, e)]) for e in timed},
                "max_abs_diff_vs_keras": {e: diffs.get((s, e)) for e in peers},
            })
    print_table(header, rows)
    print()
    for s in names:
        print(f"{s}: {MODELS[s][1]}, {flops(s) / 1e9:.2f} GFLOP; max abs difference from Keras: "
              + ", ".join(f"{NAMES[e]} {diffs[(s, e)]:.1e}" for e in peers if (s, e) in diffs))
    print("versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    print("ratios: rnncheck's median / the peer's (< 1: rnncheck faster); in brackets the same by p10 "
          "(the fastest tenth of each engine's calls).")
    if args.json:
        Path(args.json).write_text(json.dumps(out_json, indent=2))


if __name__ == "__main__":
    main()
