#!/usr/bin/env python3
"""End to end: a model with one deliberately altered weight in a middle layer is reported with
that layer named as the first divergence.

    python tools/first_divergence.py --rnncheck .build/release/rnncheck [--keep DIR]

Builds a Keras 3 model in real Keras (LSTM 'enc' -> Dense 'mid' -> GRU 'dec' -> Dense 'head'),
saves it, writes its reference the way the README's "Check your own Keras model" does
(`rnncheck-ref model.keras -o ref.h5 --layers --float64`, run as `python -m rnncheck_ref` from
this interpreter), and checks with the given rnncheck binary that

  1. `rnncheck compare model.keras ref.h5` passes (exit 0) with every layer within tolerance;
  2. the same model with one weight of 'mid' changed by 0.01 (saved as altered.keras) fails
     against that reference (exit 1), 'enc' stays within tolerance, and 'mid' is the first
     divergence and created the error (JSON), in the text report's words too.

Exit status 0 when all holds, 1 otherwise (each failed check printed). Run in CI (.ci/run).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build(keras, np):
    keras.utils.set_random_seed(5)
    x = keras.Input((7, 3), name="x")
    h = keras.layers.LSTM(6, return_sequences=True, name="enc")(x)
    m = keras.layers.Dense(5, activation="tanh", name="mid")(h)
    d = keras.layers.GRU(4, name="dec")(m)
    y = keras.layers.Dense(2, name="head")(d)
    model = keras.Model(x, y, name="chain")
    # Non-zero biases, so that no weight is trivially without effect.
    rng = np.random.default_rng(5)
    model.set_weights([w if w.ndim > 1 else rng.uniform(-0.3, 0.3, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    return model


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rnncheck", default=os.path.join(ROOT, ".build", "release", "rnncheck"))
    ap.add_argument("--keep", help="write the files here and keep them (default: a temporary folder)")
    args = ap.parse_args(argv)

    import numpy as np
    import keras

    work = args.keep or tempfile.mkdtemp(prefix="rnncheck-divergence-")
    os.makedirs(work, exist_ok=True)
    failures = []

    def check(ok, what):
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            failures.append(what)

    try:
        model = build(keras, np)
        path = os.path.join(work, "model.keras")
        model.save(path)
        ref = os.path.join(work, "ref.h5")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, "python")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        subprocess.run([sys.executable, "-m", "rnncheck_ref", path, "-o", ref, "--layers", "--float64", "-q"],
                       check=True, env=env)

        weights = model.get_layer("mid").get_weights()
        weights[0][2, 1] += 0.01
        model.get_layer("mid").set_weights(weights)
        altered = os.path.join(work, "altered.keras")
        model.save(altered)

        def compare(model_path, *extra):
            r = subprocess.run([args.rnncheck, "compare", model_path, ref, *extra],
                               capture_output=True, text=True)
            return r.returncode, r.stdout, r.stderr

        code, out, err = compare(path, "--format", "json")
        check(code == 0, f"the unaltered model passes (exit {code}) {err.strip()[:300]}")
        report = json.loads(out) if out.strip() else {}
        case = (report.get("cases") or [{}])[0]
        layers = (case.get("layers") or [{}])[0]
        check(layers.get("out_of_tolerance") == 0 and len(layers.get("layers", [])) == 4,
              f"the unaltered model: 4 layers compared, none out of tolerance ({layers.get('out_of_tolerance')}, "
              f"{len(layers.get('layers', []))})")

        code, out, err = compare(altered, "--format", "json")
        check(code == 1, f"the altered model fails (exit {code}) {err.strip()[:300]}")
        report = json.loads(out) if out.strip() else {}
        case = (report.get("cases") or [{}])[0]
        layers = (case.get("layers") or [{}])[0]
        by_node = {n["node"]: n for n in layers.get("layers", [])}
        first = layers.get("first_divergence") or {}
        check(by_node.get("enc", {}).get("passed") is True, "'enc', before the altered layer, is within tolerance")
        check(first.get("node") == "mid", f"'mid' is the first divergence (got {first.get('node')!r})")
        check(first.get("cause") == "created", f"'mid' created the error (got {first.get('cause')!r})")

        code, out, err = compare(altered)
        check("first divergence: 'mid' (Dense), the error starts there" in out,
              "the text report names 'mid' as the first divergence")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("first divergence named: 'mid'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
