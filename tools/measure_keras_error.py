#!/usr/bin/env python3
"""How far Keras's float32 outputs are from Keras's float64 outputs, per fixture output.

    python tools/measure_keras_error.py [fixtures/] [--markdown]

For every /output_i that has a /reference_float64/output_i it prints
  max_abs = max |keras_float32 - keras_float64|
  max_rel = max |keras_float32 - keras_float64| / |keras_float64|, over elements with
            |keras_float64| >= REL_FLOOR (tiny references would only measure noise)
  atol@rtol=1e-5 = the smallest atol such that |a - b| <= atol + 1e-5 * |b| holds everywhere
This is the error of Keras itself, i.e. the noise floor that any float32 reimplementation has
to be compared with. Needs only h5py and numpy.
"""

import argparse
import glob
import os
import sys

import h5py
import numpy as np

REL_FLOOR = 1e-3
RTOL_FOR_ATOL = 1e-5


def measure(path):
    rows = []
    with h5py.File(path, "r") as f:
        ref = f.get("reference_float64")
        i = 0
        while f"output_{i}" in f:
            d = f[f"output_{i}"]
            name = d.attrs.get("name", "")
            if ref is None or f"output_{i}" not in ref:
                rows.append((i, name, d.shape, None, None, None))
            else:
                a = d[()].astype(np.float64)
                b = ref[f"output_{i}"][()]
                diff = np.abs(a - b)
                mabs = float(diff.max()) if diff.size else 0.0
                big = np.abs(b) >= REL_FLOOR
                mrel = float((diff[big] / np.abs(b[big])).max()) if big.any() else 0.0
                need = float(np.maximum(diff - RTOL_FOR_ATOL * np.abs(b), 0).max()) if diff.size else 0.0
                rows.append((i, name, d.shape, mabs, mrel, need))
            i += 1
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", nargs="?", default=os.path.join(os.path.dirname(__file__), "..", "fixtures"))
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    files = sorted(glob.glob(os.path.join(args.dir, "*.h5")))
    if not files:
        print(f"no fixtures in {args.dir}", file=sys.stderr)
        return 2

    def fmt(v):
        return "-" if v is None else f"{v:.2e}"

    if args.markdown:
        print(f"| fixture | output | shape | max abs | max rel (|ref|>={REL_FLOOR:g}) | atol needed @ rtol={RTOL_FOR_ATOL:g} |")
        print("|---|---|---|---|---|---|")
    else:
        print(f"{'fixture':26s} {'output':28s} {'shape':14s} {'max_abs':>9s} {'max_rel':>9s} {'atol@rtol':>9s}")
    worst_abs = (0.0, "")
    worst_rel = (0.0, "")
    missing = 0
    for path in files:
        stem = os.path.splitext(os.path.basename(path))[0]
        for i, name, shape, mabs, mrel, need in measure(path):
            label = f"output_{i} {name}"
            if mabs is None:
                missing += 1
            else:
                if mabs > worst_abs[0]:
                    worst_abs = (mabs, f"{stem} {label}")
                if mrel > worst_rel[0]:
                    worst_rel = (mrel, f"{stem} {label}")
            if args.markdown:
                print(f"| {stem} | {label} | {tuple(shape)} | {fmt(mabs)} | {fmt(mrel)} | {fmt(need)} |")
            else:
                print(f"{stem:26s} {label:28s} {str(tuple(shape)):14s} {fmt(mabs):>9s} {fmt(mrel):>9s} {fmt(need):>9s}")
    print()
    print(f"{len(files)} fixtures; worst max_abs {worst_abs[0]:.3g} ({worst_abs[1]}); "
          f"worst max_rel {worst_rel[0]:.3g} ({worst_rel[1]}); outputs without float64 reference: {missing}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
