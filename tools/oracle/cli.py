"""The command line of tools/verify_fixtures_numpy.py."""

import argparse
import glob
import os
from typing import List, Sequence

import h5py
import numpy as np

from .graph import evaluate
from .model_files import fixture_inputs, load

F64_LIMIT = 1e-12    # numpy float64 vs Keras float64 (/reference_float64)
F32_LIMIT = 1e-5     # numpy float64 vs Keras float32, for a fixture without /reference_float64

DEFAULT_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "fixtures")

USAGE = """Cross-check fixtures with an independent float64 NumPy evaluation of the stored model.

Reads only the fixture: /model/file (and /model/config) and /input_*, recomputes every output
in float64 with plain NumPy, and compares with /reference_float64/output_* (Keras float64;
should agree to ~1e-15) and /output_* (Keras float32; ~1e-7). This checks the fixture
generator, not rnncheck. Needs only h5py and numpy.

Exit status 1 if any float64 difference exceeds 1e-12 or a model cannot be evaluated; a
fixture without /reference_float64 is compared with its float32 outputs (limit 1e-5), or
fails with --strict."""


def evaluate_fixture(f: h5py.File) -> List[np.ndarray]:
    """The fixture's outputs recomputed in float64 from its model and inputs."""
    return evaluate(load(f), fixture_inputs(f))


def check(f: h5py.File, strict: bool):
    """(message, passed, max |numpy64 - keras32|, max |numpy64 - keras64| or None)."""
    try:
        outs = evaluate_fixture(f)
    except Exception as e:
        return f"cannot evaluate: {type(e).__name__}: {e}", False, None, None
    n = sum(1 for k in f if k.startswith("output_"))
    if n != len(outs):
        return f"{n} outputs stored, {len(outs)} computed", False, None, None
    stored = [f[f"output_{i}"] for i in range(n)]
    if any(np.shape(o) != s.shape for o, s in zip(outs, stored)):
        return (f"shape mismatch: computed {[np.shape(o) for o in outs]}, stored "
                f"{[s.shape for s in stored]}"), False, None, None
    d32 = max(float(np.max(np.abs(o - s[()]))) for o, s in zip(outs, stored))
    msg = f"numpy64 vs keras32 {d32:.2e}"
    if "reference_float64" not in f:
        ok = d32 <= F32_LIMIT and not strict
        return msg + "   (no float64 reference)" + ("" if ok else "   *** FAIL ***"), ok, d32, None
    d64 = max(float(np.max(np.abs(o - f[f"reference_float64/output_{i}"][()])))
              for i, o in enumerate(outs))
    ok = d64 <= F64_LIMIT
    return msg + f"   numpy64 vs keras64 {d64:.2e}" + ("" if ok else "   *** FAIL ***"), ok, \
        d32, d64


def main(argv: Sequence[str] = None) -> int:
    ap = argparse.ArgumentParser(description=USAGE,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="*", default=[DEFAULT_DIR],
                    help="directories of fixtures (default: the repository's fixtures/)")
    ap.add_argument("--strict", action="store_true",
                    help="fail a fixture that has no /reference_float64")
    args = ap.parse_args(argv)

    paths = sorted(p for d in args.dirs for p in glob.glob(os.path.join(d, "*.h5")))
    failed = 0
    worst32 = worst64 = 0.0
    for path in paths:
        with h5py.File(path, "r") as f:
            msg, ok, d32, d64 = check(f, args.strict)
        print(f"{os.path.basename(path)[:-3]:34s} {msg}")
        failed += not ok
        worst32 = max(worst32, d32 or 0.0)
        worst64 = max(worst64, d64 or 0.0)
    print(f"\n{len(paths)} fixtures; worst numpy64 vs keras64 {worst64:.3g}; worst numpy64 vs "
          f"keras32 {worst32:.3g}; failures: {failed}")
    return 1 if failed else 0
