#!/usr/bin/env python3
"""Times the whole job a user runs against the forward pass alone, interleaved in one run.

    python3 tools/bench_job.py MODEL REFERENCE [--rounds 5] [--rnncheck PATH] [--threads N]

Per round, in turn: `rnncheck bench` (its median forward over 5 warm calls), `rnncheck compare`
(with the error budget: a float32 and a float64 run), `compare --no-error-budget` and `rnncheck
run -o` (to a temporary file), each a fresh process with its default options (isolation on), as
a user runs them. Prints each command's wall times, its median divided by the median of the
bench medians, and its peak resident memory (wait4's ru_maxrss: the largest of the process and
the children it waited for, so an isolated command's worker counts). On a shared host only the
ratios of one run mean anything.

REFERENCE is a file with input_0, ... and output_0, ... (as `compare` takes; `bench` and `run`
read its inputs). docs/performance.md uses S3 of tools/bench_compare.py (.build-bench/S3.keras
and .build-bench/S3.h5, written by `bench_compare.py --shapes S3`).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import find_rnncheck  # noqa: E402


def timed(argv, env):
    """(wall seconds, peak RSS in MiB, stdout) of one process."""
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if p.returncode not in (0, 1):   # 1: out of tolerance, still a finished job
        sys.exit(f"{' '.join(argv)} exited {p.returncode}")
    return wall, usage.ru_maxrss / 1024, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("reference")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--rnncheck", default=None)
    ap.add_argument("--threads", type=int, default=None, help="RNNCHECK_THREADS for every command (default: all cores)")
    args = ap.parse_args()
    binary = str(find_rnncheck(args.rnncheck))
    env = dict(os.environ)
    if args.threads:
        env["RNNCHECK_THREADS"] = str(args.threads)
    out = Path(tempfile.mkdtemp(prefix="rnncheck-bench-job-")) / "out.h5"
    jobs = {
        "bench (median of 5 warm forwards)": [binary, "bench", args.model, args.reference, "--repeat", "5", "--warmup", "1",
                                               "--format", "json"],
        "compare (error budget: float32 + float64 runs)": [binary, "compare", args.model, args.reference],
        "compare --no-error-budget": [binary, "compare", args.model, args.reference, "--no-error-budget"],
        "run -o": [binary, "run", args.model, args.reference, "-o", str(out)],
    }
    walls = {k: [] for k in jobs}
    peaks = {k: [] for k in jobs}
    medians = []
    for r in range(args.rounds):
        for name, argv in jobs.items():
            if out.exists():
                out.unlink()
            wall, peak, stdout = timed(argv, env)
            if name.startswith("bench"):
                medians.append(json.loads(stdout)["median_ms"] / 1000)
                wall = medians[-1]
            walls[name].append(wall)
            peaks[name].append(peak)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    base = statistics.median(medians)
    print(f"| {Path(args.model).name} | wall, {args.rounds} rounds (s) | median ÷ bench median | peak RSS (MiB) |")
    print("|---|---|---|---|")
    for name in jobs:
        m = statistics.median(walls[name])
        print(f"| `{name}` | {', '.join(f'{w:.2f}' for w in walls[name])} | {m / base:.2f}× | {max(peaks[name]):.1f} |")
    if out.exists():
        out.unlink()
    out.parent.rmdir()


if __name__ == "__main__":
    main()
