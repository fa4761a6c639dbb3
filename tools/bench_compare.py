#!/usr/bin/env python3
"""Times Keras/TensorFlow, ONNX Runtime, PyTorch CPU and rnncheck on the same recurrent models,
weights and inputs, interleaved in one run, with 1 and 2 threads; prints one table of medians
and ratios (and writes it as JSON with --json).

Usage:
    python3 tools/bench_compare.py                      # makes .venv-bench, then runs
    python3 tools/bench_compare.py --shapes S1,S2 --threads 1,2 --rounds 5
    python3 tools/bench_compare.py --rnncheck .build/release/rnncheck --json bench.json

Everything runs on the CPU in float32, forward only. Each engine with each thread count lives
in its own worker process (TensorFlow fixes its thread pools at start), configured once; the
coordinator asks the workers in turn, round after round, so a change in machine load hits every
engine alike. rnncheck is timed by `rnncheck bench` (in-process timing, model loaded once per
round). Each timed call is one forward pass on the whole batch; the median is over every call
of every round.

Engines:
  keras    Keras 3 model called through tf.function (graph mode; TF's default oneDNN settings).
  onnxrt   ONNX Runtime, an ONNX graph with the ONNX LSTM / GRU / RNN operator holding the same
           weights (built with onnx.helper: the standard operator that ORT runs with its fused
           CPU kernels).
  torch    torch.nn.LSTM / GRU / RNN with the same weights, under torch.inference_mode().
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

# name: (kind, B, T, D, H, bidirectional, return_sequences, description)
SHAPES = {
    "S1": ("lstm", 1, 100, 64, 128, False, False, "latency LSTM, last output"),
    "S2": ("lstm", 32, 100, 128, 256, False, False, "LSTM, last output"),
    "S3": ("lstm", 64, 200, 256, 512, False, False, "LSTM, last output"),
    "S4": ("lstm", 32, 100, 128, 256, True, True, "Bidirectional LSTM, concat, sequences"),
    "G2": ("gru", 32, 100, 128, 256, False, False, "GRU (reset_after), last output"),
    "R2": ("rnn", 32, 100, 128, 256, False, False, "SimpleRNN tanh, last output"),
    "L1": ("lstm", 1, 200, 128, 256, False, True, "latency LSTM H=256, sequences"),
    "S5": ("lstm", 8, 50, 64, 128, False, False, "small batch LSTM, last output"),
}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
GFLOPS_PER_CORE = 102.0  # measured float32 GEMM ceiling per core (issue 5)
L2_GBPS_PER_CORE = 109.0  # B = 1 step: recurrent weights streamed from L2 (2.4 us per 256 KiB)


def flops(shape):
    kind, b, t, d, h, bi, _, _ = SHAPES[shape]
    return 2 * b * t * (d + h) * GATES[kind] * h * (2 if bi else 1)


def floor_ms(shape, threads):
    """The issue's floor: GEMM at 102 GFLOP/s per core; for B = 1 the recurrent step is bound by
    streaming its weights from L2, split across the cores."""
    kind, b, t, d, h, bi, _, _ = SHAPES[shape]
    dirs = 2 if bi else 1
    g = GATES[kind]
    if b == 1:
        proj = 2 * t * d * g * h * dirs / (GFLOPS_PER_CORE * 1e9 * threads)
        step = t * dirs * (h * g * h * 4) / (L2_GBPS_PER_CORE * 1e9 * threads)
        return (proj + step) * 1e3
    return flops(shape) / (GFLOPS_PER_CORE * 1e9 * threads) * 1e3


# --------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------

def build_keras(shape, workdir: Path):
    """Builds the Keras model with seeded weights, saves model.keras and inputs.h5 (input_0 and
    Keras's output_0). Returns (model, x, y)."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import h5py
    import keras
    import numpy as np

    kind, b, t, d, h, bi, seq, _ = SHAPES[shape]
    rng = np.random.default_rng(1234 + sum(map(ord, shape)))
    layer_cls = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "rnn": keras.layers.SimpleRNN}[kind]
    inp = keras.Input(shape=(t, d), name="x")
    layer = layer_cls(h, return_sequences=seq, name="rnn")
    out = keras.layers.Bidirectional(layer, merge_mode="concat", name="bi")(inp) if bi else layer(inp)
    model = keras.Model(inp, out, name=f"bench_{shape}")
    g = GATES[kind]
    weights = []
    for w in model.weights:
        shp = tuple(w.shape)
        if len(shp) == 2 and shp[0] == d:
            v = rng.uniform(-1, 1, shp) * np.sqrt(6.0 / (d + g * h))
        elif len(shp) == 2 and shp[0] == h:
            v = rng.uniform(-1, 1, shp) * np.sqrt(6.0 / (h + g * h))
        else:
            v = rng.uniform(-0.5, 0.5, shp)
        weights.append(v.astype(np.float32))
    model.set_weights(weights)
    x = rng.standard_normal((b, t, d)).astype(np.float32)
    y = np.asarray(model(x, training=False))
    workdir.mkdir(parents=True, exist_ok=True)
    model.save(workdir / f"{shape}.keras")
    with h5py.File(workdir / f"{shape}.h5", "w") as f:
        f.create_dataset("input_0", data=x)
        f.create_dataset("output_0", data=y)
    np.savez(workdir / f"{shape}.npz", *[np.asarray(w) for w in model.get_weights()])
    return model, x, y


def layer_weights(workdir, shape):
    """[(kernel, recurrent_kernel, bias)] per direction (forward, backward), numpy float32."""
    kind, b, t, d, h, bi, seq, _ = SHAPES[shape]
    import numpy as np
    with np.load(workdir / f"{shape}.npz") as z:
        ws = [z[f"arr_{i}"] for i in range(len(z.files))]
    per = 3
    return [tuple(ws[i * per:(i + 1) * per]) for i in range(2 if bi else 1)]


def torch_model(workdir, shape):
    import numpy as np
    import torch
    kind, b, t, d, h, bi, seq, _ = SHAPES[shape]
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind]
    net = cls(d, h, batch_first=True, bidirectional=bi)
    for n, (k, rk, bias) in enumerate(layer_weights(workdir, shape)):
        sfx = "_reverse" if n == 1 else ""
        if kind == "lstm":   # Keras i f c o == torch i f g o
            wi, wh, bi_, bh = k.T, rk.T, bias, np.zeros_like(bias)
        elif kind == "gru":  # Keras z r h, torch r z n; reset_after: bias (2, 3H)
            def zr(a):  # reorder rows z r h -> r z h
                hh = a.shape[0] // 3
                return np.concatenate([a[hh:2 * hh], a[:hh], a[2 * hh:]])
            wi, wh, bi_, bh = zr(k.T), zr(rk.T), zr(bias[0]), zr(bias[1])
        else:
            wi, wh, bi_, bh = k.T, rk.T, bias, np.zeros_like(bias)
        with torch.no_grad():
            getattr(net, "weight_ih_l0" + sfx).copy_(torch.from_numpy(np.ascontiguousarray(wi)))
            getattr(net, "weight_hh_l0" + sfx).copy_(torch.from_numpy(np.ascontiguousarray(wh)))
            getattr(net, "bias_ih_l0" + sfx).copy_(torch.from_numpy(np.ascontiguousarray(bi_)))
            getattr(net, "bias_hh_l0" + sfx).copy_(torch.from_numpy(np.ascontiguousarray(bh)))
    net.eval()

    class Wrap(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            out, _ = self.net(x)
            return out if seq else out[:, -1, :]
    return Wrap(net).eval()


def onnx_model(workdir, shape, path: Path):
    """An ONNX graph of one LSTM / GRU / RNN node, in the operator's own layout (time-major input;
    Y (T, dirs, B, H) for sequences, else only Y_h): ORT's fastest form. The layout changes to and
    from Keras's are done outside the timed call (a Transpose node in the graph cost S1 ~10%)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    kind, b, t, d, h, bi, seq, _ = SHAPES[shape]
    dirs = 2 if bi else 1
    W, R, B = [], [], []
    for k, rk, bias in layer_weights(workdir, shape):
        if kind == "lstm":  # Keras i f c o -> ONNX i o f c
            def ifco_to_iofc(a):
                q = a.shape[0] // 4
                return np.concatenate([a[:q], a[3 * q:], a[q:2 * q], a[2 * q:3 * q]])
            W.append(ifco_to_iofc(k.T)); R.append(ifco_to_iofc(rk.T))
            B.append(np.concatenate([ifco_to_iofc(bias), np.zeros_like(bias)]))
        elif kind == "gru":  # z r h in both; linear_before_reset = reset_after
            W.append(k.T); R.append(rk.T); B.append(np.concatenate([bias[0], bias[1]]))
        else:
            W.append(k.T); R.append(rk.T); B.append(np.concatenate([bias, np.zeros_like(bias)]))
    inits = [numpy_helper.from_array(np.stack(a).astype(np.float32), n) for a, n in ((W, "W"), (R, "R"), (B, "B"))]
    op = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}[kind]
    attrs = dict(hidden_size=h, direction="bidirectional" if bi else "forward")
    if kind == "gru":
        attrs["linear_before_reset"] = 1
    if seq:
        nodes = [helper.make_node(op, ["xt", "W", "R", "B"], ["y"], **attrs)]
        out_shape = [t, dirs, b, h]
    else:
        nodes = [helper.make_node(op, ["xt", "W", "R", "B"], ["", "y"], **attrs)]
        out_shape = [dirs, b, h]
    graph = helper.make_graph(nodes, f"bench_{shape}",
                              [helper.make_tensor_value_info("xt", TensorProto.FLOAT, [t, b, d])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


# --------------------------------------------------------------------------------------------
# workers
# --------------------------------------------------------------------------------------------

def load(engine, threads, workdir: Path, shape):
    """(call, Keras's output) for one engine on one shape (see bench_common.serve)."""
    import h5py
    import numpy as np
    with h5py.File(workdir / f"{shape}.h5", "r") as f:
        x = f["input_0"][...]
        y = f["output_0"][...]
    if engine == "keras":
        import tensorflow as tf
        import keras
        model = keras.models.load_model(workdir / f"{shape}.keras")
        fn = tf.function(lambda a: model(a, training=False))
        xt = tf.constant(x)
        return (lambda: fn(xt).numpy()), y
    if engine == "torch":
        import torch
        net = torch_model(workdir, shape)
        xt = torch.from_numpy(x)

        def call():
            with torch.inference_mode():
                return net(xt).numpy()
        return call, y
    if engine == "onnxrt":
        sess = ort_session(workdir / f"{shape}.onnx", threads)
        # the operator's own layout, converted outside the timed call; I/O binding (no
        # per-call name lookup or output allocation in Python)
        xt = np.ascontiguousarray(x.transpose(1, 0, 2))
        io = sess.io_binding()
        io.bind_cpu_input("xt", xt)
        io.bind_output("y")
        sess.run_with_iobinding(io)
        y_onnx = io.copy_outputs_to_cpu()[0]
        if y_onnx.ndim == 4:  # (T, dirs, B, H) -> (B, T, dirs * H)
            y_onnx = y_onnx.transpose(2, 0, 1, 3).reshape(y.shape)
        else:  # (dirs, B, H) with dirs = 1
            y_onnx = y_onnx.reshape(y.shape)
        first = [y_onnx]

        def call():
            sess.run_with_iobinding(io)
            return first.pop() if first else None
        return call, y
    raise SystemExit(f"unknown engine {engine}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shapes", default="S1,S2,S3,S4,G2,R2,L1,S5")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--engines", default="keras,onnxrt,torch,rnncheck")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--budget", type=float, default=0.4, help="seconds per engine per round (sets calls per block)")
    ap.add_argument("--rnncheck", default=None, help="the rnncheck binary (default: .build-perf or .build release)")
    ap.add_argument("--workdir", default=str(ROOT / ".build-bench"))
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--prepare", action="store_true", help="only write the models and inputs (.keras, .h5, .onnx)")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    workdir = Path(args.workdir)
    if args.worker:
        serve(args.worker, int(args.threads), lambda e, n, shape: load(e, n, workdir, shape))
        return
    ensure_venv(__file__)

    binary = find_rnncheck(args.rnncheck)
    shapes = args.shapes.split(",")
    thread_counts = [int(v) for v in args.threads.split(",")]
    engines = args.engines.split(",")

    # Models and inputs, made by Keras; the ONNX graphs from the same weights.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for s in shapes:
        model, x, y = build_keras(s, workdir)
        onnx_model(workdir, s, workdir / f"{s}.onnx")
        if "rnncheck" in engines:
            ok, line = rnncheck_check(binary, workdir, s)
            print(f"{s}: rnncheck vs Keras: {line}", file=sys.stderr)
            if not ok:
                raise SystemExit(f"rnncheck does not match Keras on {s}")

    if args.prepare:
        return
    vers = versions(binary)
    results, diffs = interleave(__file__, binary, workdir, shapes, engines, thread_counts, args.rounds, args.budget)

    # Table.
    header = (["shape (B,T,D,H)", "thr"] + [NAMES[e] + " ms" for e in engines]
              + ["floor ms", "rnncheck / best peer", "same, p10", "rnncheck vs Keras", "floor share"])
    rows = []
    out_json = {"versions": vers, "rounds": args.rounds, "results": []}
    for s in shapes:
        kind, b, t, d, h, bi, seq, desc = SHAPES[s]
        for n in thread_counts:
            med = {e: statistics.median(results[(s, n, e)]) for e in engines}
            p10 = {e: quantile(results[(s, n, e)], 0.1) for e in engines}
            peers = [med[e] for e in ("onnxrt", "torch") if e in med]
            peers10 = [p10[e] for e in ("onnxrt", "torch") if e in p10]
            fl = floor_ms(s, n)
            row = [f"{s} ({b},{t},{d},{h}) {desc}", str(n)] + [f"{med[e]:.3f}" for e in engines] + [f"{fl:.3f}"]
            if "rnncheck" in med:
                best = min(peers) if peers else float("nan")
                row += [f"{med['rnncheck'] / best:.2f}x" if peers else "-",
                        f"{p10['rnncheck'] / min(peers10):.2f}x" if peers10 else "-",
                        f"{med['keras'] / med['rnncheck']:.1f}x faster" if "keras" in med else "-",
                        f"{fl / med['rnncheck'] * 100:.0f}%"]
            else:
                row += ["-", "-", "-", "-"]
            rows.append(row)
            out_json["results"].append({
                "shape": s, "B": b, "T": t, "D": d, "H": h, "kind": kind, "bidirectional": bi,
                "return_sequences": seq, "threads": n, "flops": flops(s), "floor_ms": fl,
                "median_ms": med, "p10_ms": p10,
                "p90_ms": {e: quantile(results[(s, n, e)], 0.9) for e in engines},
                "calls": {e: len(results[(s, n, e)]) for e in engines},
                "max_abs_diff_vs_keras": {e: diffs.get((s, e)) for e in engines if e != "rnncheck"},
            })
    print_table(header, rows)
    print()
    print("versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    print("ratios: 'rnncheck / best peer' < 1 means rnncheck is faster than the faster of ONNX Runtime and PyTorch;"
          " 'same, p10' compares the fastest tenth of each engine's calls (on a shared host, closest to an"
          " unloaded machine); floor share = floor / rnncheck's median.")
    if args.json:
        Path(args.json).write_text(json.dumps(out_json, indent=2))


if __name__ == "__main__":
    main()
