"""The command line of tools/make_fixtures.py."""

import argparse
import fnmatch
import os
import shlex
import sys
from typing import Dict, List, Optional, Sequence

from .case import DEFAULT_BASE_SEED, Case
from .cases import FAMILIES, all_cases
from .writer import generator_sha256, make_fixture

DEFAULT_OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "fixtures")

USAGE = """Generate rnncheck fixtures (format v1, see fixtures/README.md) with real Keras.

Each case builds a model with Keras, runs it on random float32 inputs and writes one
self-contained HDF5 file: the inputs, Keras's float32 outputs, the model file exactly as Keras
saved it, Keras's float64 outputs for the same weights and inputs, and provenance. Cases are
defined per layer family in tools/fixturegen/cases/ (see tools/README.md)."""


def _split(text: Optional[str]) -> List[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def select(cases: Dict[str, Case], families: Optional[str], patterns: Optional[str]) -> List[str]:
    """Names of the cases in any of the comma-separated families (all when None) whose name
    matches any of the comma-separated fnmatch patterns (all when None), in registry order."""
    fams, pats = _split(families), _split(patterns)
    return [n for n, c in cases.items()
            if (not fams or c.family in fams)
            and (not pats or any(fnmatch.fnmatchcase(n, p) for p in pats))]


def main(argv: Sequence[str] = None) -> int:
    ap = argparse.ArgumentParser(description=USAGE,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", help="comma-separated layer families (default: all): "
                                     + ", ".join(FAMILIES))
    ap.add_argument("--only", help="comma-separated fnmatch globs over case names")
    ap.add_argument("--list", action="store_true", help="list the selected cases and exit")
    ap.add_argument("--seed", type=int, default=DEFAULT_BASE_SEED,
                    help=f"base seed (default {DEFAULT_BASE_SEED})")
    ap.add_argument("--out", default=DEFAULT_OUT,
                    help="output directory (default: the repository's fixtures/)")
    args = ap.parse_args(argv)

    unknown = [f for f in _split(args.family) if f not in FAMILIES]
    if unknown:
        ap.error(f"unknown family {', '.join(unknown)}; families: {', '.join(FAMILIES)}")
    cases = all_cases()
    names = select(cases, args.family, args.only)
    if args.list:
        for n in names:
            c = cases[n]
            print(f"{n:30s} [{c.family}, {c.fmt}] {c.description}")
        return 0
    if not names:
        print(f"no case matches --family {args.family!r} --only {args.only!r}", file=sys.stderr)
        return 2

    os.makedirs(args.out, exist_ok=True)
    command = shlex.join(["python"] + list(sys.argv))
    generator_sha = generator_sha256()
    problems = []
    for n in names:
        print(f"{n}  (seed {cases[n].seed(args.seed)})", flush=True)
        problems += make_fixture(cases[n], args.out, args.seed, command, generator_sha)
    print(f"wrote {len(names)} fixture(s) to {args.out}")
    if problems:
        print("\n*** PROBLEMS ***", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    return 0
