"""Machinery shared by the side-by-side benchmarks (`bench_compare.py`: single recurrent layers;
`bench_models.py`: whole models): the benchmark venv, one worker process per engine and thread
count, `rnncheck bench` / `rnncheck run`, and the interleaved rounds.

A benchmark script provides `load(engine, threads, workdir, name) -> (call, y)`: `call()` runs
one forward pass and returns the output in Keras's layout (at least on its first call), `y` is
Keras's output. The script's `--worker ENGINE --threads N --workdir DIR` runs `serve`, and the
coordinator talks to those workers through `Worker` and `interleave`.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-bench"
REQUIREMENTS = Path(__file__).resolve().parent / "requirements-bench.txt"
NAMES = {"keras": "Keras/TF", "onnxrt": "ONNX RT", "torch": "PyTorch", "rnncheck": "rnncheck"}


def ensure_venv(script: str):
    """Re-runs `script` inside .venv-bench (made from requirements-bench.txt when missing)."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    py = VENV / "bin" / "python"
    if not py.exists():
        print(f"creating {VENV} ...", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
        subprocess.check_call([str(py), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)])
    os.execv(str(py), [str(py), script] + sys.argv[1:])


def serve(engine: str, threads: int, load):
    """A worker's main loop. Reads JSON commands on stdin, `{"shape": NAME, "calls": n,
    "warmup": w}`, and answers with the per-call times in ms and the max abs difference of the
    engine's first output from Keras's. The thread settings are made before any engine is
    imported (TensorFlow fixes its pools at start)."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import numpy as np
    if engine == "keras":
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    if engine == "torch":
        import torch
        torch.set_num_threads(threads)
        torch.set_num_interop_threads(1)
    if engine == "onnxrt":
        import onnxruntime  # noqa: F401  (imported before the first command, like the others)
    runners = {}
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        name = cmd["shape"]
        if name not in runners:
            call, y = load(engine, threads, name)
            out = call()  # the first call returns the output, in Keras's layout
            runners[name] = (call, float(np.max(np.abs(np.asarray(out, dtype=np.float64) - y))))
        call, err = runners[name]
        for _ in range(cmd.get("warmup", 1)):
            call()
        times = []
        for _ in range(cmd["calls"]):
            t0 = time.perf_counter()
            call()
            times.append((time.perf_counter() - t0) * 1e3)
        print(json.dumps({"times": times, "max_abs_diff": err}), flush=True)


def ort_session(path: Path, threads: int):
    """An ONNX Runtime CPU session with `threads` intra-op threads, sequential, all graph
    optimizations."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


class Worker:
    """One engine at one thread count in its own process (`script --worker ENGINE`)."""

    def __init__(self, script, engine, threads, workdir):
        self.engine = engine
        self.p = subprocess.Popen([sys.executable, str(script), "--worker", engine, "--threads", str(threads),
                                   "--workdir", str(workdir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, bufsize=1)
        line = self.p.stdout.readline()
        if not line:
            raise SystemExit(f"worker {engine} failed to start")

    def ask(self, **cmd):
        self.p.stdin.write(json.dumps(cmd) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise SystemExit(f"worker {self.engine} died")
        return json.loads(line)

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def find_rnncheck(binary):
    """The rnncheck binary: the one given, else .build-perf or .build release, else built."""
    if binary is not None:
        return binary
    for cand in (ROOT / ".build-perf/release/rnncheck", ROOT / ".build/release/rnncheck"):
        if cand.exists():
            return str(cand)
    subprocess.check_call(["swift", "build", "-c", "release", "--product", "rnncheck"], cwd=ROOT)
    return str(ROOT / ".build/release/rnncheck")


def rnncheck_times(binary, workdir, name, threads, calls, warmup, env=None):
    out = subprocess.run([binary, "bench", str(workdir / f"{name}.keras"), str(workdir / f"{name}.h5"),
                          "--threads", str(threads), "--warmup", str(warmup), "--repeat", str(calls),
                          "--format", "json"], capture_output=True, text=True,
                         env=None if env is None else {**os.environ, **env})
    if out.returncode != 0:
        raise SystemExit(f"rnncheck bench failed on {name}: {out.stderr}")
    return json.loads(out.stdout)


def rnncheck_check(binary, workdir, name, env=None):
    """Runs the model with `rnncheck run` and compares with Keras's output (max abs difference).
    The allocation estimate takes an unknown time axis as long as the longest input axis (64 for
    the ConvLSTM model), hence a larger --max-read-bytes.
    (`rnncheck compare` would also run the float64 reference path, slow at these sizes.)"""
    import h5py
    import numpy as np
    out_path = workdir / f"{name}.rnncheck-out.h5"
    out_path.unlink(missing_ok=True)
    out = subprocess.run([binary, "run", str(workdir / f"{name}.keras"), str(workdir / f"{name}.h5"),
                          "-o", str(out_path), "--max-read-bytes", str(16 << 30)], capture_output=True, text=True,
                         env=None if env is None else {**os.environ, **env})
    if out.returncode != 0:
        return False, out.stderr.strip()
    with h5py.File(out_path, "r") as a, h5py.File(workdir / f"{name}.h5", "r") as b:
        y, k = a["output_0"][...], b["output_0"][...]
    err = float(np.max(np.abs(y - k)))
    return err <= 1e-4 + 1e-4 * float(np.max(np.abs(k))), f"max abs difference from Keras {err:.2e}"


def versions(binary):
    import importlib.metadata as md
    v = {p: md.version(p) for p in ("tensorflow-cpu", "keras", "torch", "onnxruntime", "numpy")}
    v["rnncheck"] = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    return v


def interleave(script, binary, workdir, names, engines, thread_counts, rounds, budget, min_calls=3,
               probe_calls=3, rnncheck_variants=None):
    """Times every engine on every model, interleaved: per thread count, one worker process per
    engine; each round asks every (model, engine) for a block of calls, alternating the engine
    order between rounds (the first block of `probe_calls` sets the calls per block: `budget`
    seconds, at least `min_calls`). `rnncheck_variants` ({label: (binary or None, env or None)}) times
    rnncheck several times per round, each variant as engine `rnncheck[label]`: A/B of two builds
    or of an engine switch, under the same load. Returns ({(name, threads, engine): [ms]}, {(name, engine): max abs diff})."""
    results, diffs = {}, {}
    variants = rnncheck_variants or {}
    timed = [e for e in engines if e != "rnncheck"]
    if "rnncheck" in engines:
        timed += [f"rnncheck[{v}]" for v in variants] if variants else ["rnncheck"]

    def block(workers, name, e, n, calls, warmup):
        if e.startswith("rnncheck"):
            exe, env = variants.get(e[len("rnncheck["):-1], (None, None)) if e != "rnncheck" else (None, None)
            return rnncheck_times(exe or binary, workdir, name, n, calls, warmup, env=env)["times_ms"], None
        r = workers[e].ask(shape=name, calls=calls, warmup=warmup)
        return r["times"], r["max_abs_diff"]

    for n in thread_counts:
        workers = {e: Worker(script, e, n, workdir) for e in engines if e != "rnncheck"}
        try:
            calls = {}  # calls per block, from a first timing
            for s in names:
                for e in timed:
                    times, diff = block(workers, s, e, n, probe_calls, 1)
                    if diff is not None:
                        diffs[(s, e)] = diff
                    calls[(s, e)] = max(min_calls, min(200, int(budget * 1e3 / max(statistics.median(times), 1e-3))))
            for rnd in range(rounds):
                for s in names:
                    for e in (timed if rnd % 2 == 0 else list(reversed(timed))):
                        times, _ = block(workers, s, e, n, calls[(s, e)], 2 if e.startswith("rnncheck") else 1)
                        results.setdefault((s, n, e), []).extend(times)
                print(f"threads {n}: round {rnd + 1}/{rounds} done", file=sys.stderr, flush=True)
        finally:
            for w in workers.values():
                w.close()
    return results, diffs


def quantile(xs, q):
    """The q-quantile (0.1: p10) of at least one value."""
    if len(xs) < 2:
        return xs[0]
    return statistics.quantiles(xs, n=10)[0 if q == 0.1 else -1]


def print_table(header, rows):
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    print("| " + " | ".join(hd.ljust(w) for hd, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
