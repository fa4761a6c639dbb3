#!/usr/bin/env python3
"""Check that two fixture directories hold the same numbers (regeneration is reproducible).

    python tools/compare_fixtures.py OLD_DIR NEW_DIR [--only GLOB[,GLOB...]]

For every fixture present in both directories (or matching --only), compares bit for bit:
/input_*, /output_*, /reference_float64/*, /tolerances, @name/@description/@format, and the
numeric content of the saved model: for a "keras3" archive every dataset of its
model.weights.h5 plus config.json with the `shared_object_id` values blanked; for an .h5 model
file every dataset (and the model_config attribute). Things that legitimately change on every
run (date_saved, zip timestamps, shared_object_id, @created, @command, @generator_sha256) are
ignored. Exit status 1 on any difference. Needs only h5py and numpy.
"""

import argparse
import fnmatch
import glob
import io
import os
import re
import sys
import zipfile

import h5py
import numpy as np


def _datasets(h5, prefix=""):
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out[prefix + name] = obj[()]
    h5.visititems(visit)
    return out


def _attrs(obj):
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in obj.attrs.items()}


def _blank_ids(text):
    return re.sub(r'"shared_object_id": *\d+', '"shared_object_id": 0', text)


def model_content(f):
    """Comparable content of /model/file (and /model/config)."""
    fmt = f["model"].attrs["format"]
    raw = f["model/file"][()].tobytes()
    content = {"format": fmt}
    if "config" in f["model"]:
        v = f["model/config"][()]
        content["config"] = _blank_ids(v.decode() if isinstance(v, bytes) else v)
    if raw[:2] == b"PK":
        z = zipfile.ZipFile(io.BytesIO(raw))
        content["members"] = sorted(z.namelist())
        content["config.json"] = _blank_ids(z.read("config.json").decode())
        with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as w:
            content.update(_datasets(w, "weights:"))
    else:
        with h5py.File(io.BytesIO(raw), "r") as w:
            content.update(_datasets(w, "h5:"))
            a = _attrs(w)
            for k in ("model_config", "training_config", "layer_names"):
                if k in a:
                    content["attr:" + k] = _blank_ids(a[k]) if isinstance(a[k], str) else a[k]
    return content


def fixture_content(path):
    with h5py.File(path, "r") as f:
        c = {"attr:name": f.attrs["name"], "attr:description": f.attrs["description"]}
        for k in f:
            if k.startswith(("input_", "output_")):
                c[k] = f[k][()]
                c[k + "@name"] = f[k].attrs.get("name")
        if "reference_float64" in f:
            c.update(_datasets(f["reference_float64"], "reference_float64/"))
        if "tolerances" in f:
            c["tolerances"] = _attrs(f["tolerances"])
        for k, v in model_content(f).items():
            c["model:" + k] = v
    return c


def same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()
    return a == b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--only", help="comma-separated fnmatch globs over case names")
    args = ap.parse_args()
    pats = [p for p in (args.only or "*").split(",") if p]
    names = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(args.new, "*.h5")))
    names = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in pats)]
    bad = 0
    for n in names:
        op = os.path.join(args.old, n + ".h5")
        if not os.path.exists(op):
            print(f"{n:32s} only in {args.new}")
            continue
        a, b = fixture_content(op), fixture_content(os.path.join(args.new, n + ".h5"))
        diffs = sorted(k for k in set(a) | set(b)
                       if k not in a or k not in b or not same(a[k], b[k]))
        if diffs:
            bad += 1
            print(f"{n:32s} DIFFERS: {', '.join(diffs[:8])}{' ...' if len(diffs) > 8 else ''}")
        else:
            print(f"{n:32s} identical ({len(a)} items)")
    print(f"\n{len(names)} compared, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
