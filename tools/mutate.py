#!/usr/bin/env python3
"""Fault injection: does the fixture suite catch a wrong engine?

    python tools/mutate.py [--only SUBSTRING] [--keep-going]

Applies each deliberate engine fault below to the source, one at a time, rebuilds rnncheck
(debug, for quick incremental builds; scratch path .build-mutants), runs `rnncheck verify fixtures`, and records whether the
suite caught it (any exit code but 0). The source is restored after every fault, whatever happens.
Prints one line per fault and the score. Every fault must be caught; the last run's output is in
docs/fault-injection.md.

A fault is a list of (file, old text, new text) edits to the reference engine (Sources/RNNEngine:
Cells, Recurrent, Model, Kernels, Activation), and the suite runs with RNNCHECK_FAST=0 so that
every fixture goes through it. The float32 fast path (Sources/RNNEngine/Fast, CRNNKernels) is not
mutated here: it is held to the same fixtures directly and to the reference engine by
FastPathTests, so a fault there is caught by the suite this script shows to be sharp.
"""

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRATCH = os.path.join(ROOT, ".build-mutants")

FAULTS = [
    ("LSTM gate order swapped (i <-> o)", [
        ("Sources/RNNEngine/Cells.swift",
         "let i = recurrentActivation(z[zr + j])",
         "let i = recurrentActivation(z[zr + 3 * u + j])"),
        ("Sources/RNNEngine/Cells.swift",
         "let o = recurrentActivation(z[zr + 3 * u + j])",
         "let o = recurrentActivation(z[zr + j])"),
    ]),
    ("LSTM bias dropped", [
        ("Sources/RNNEngine/Cells.swift",
         "if let bias { value = value + bias[j] }",
         "if let bias { value = value + 0 * bias[j] }"),
    ]),
    ("LSTM forget and input gates exchanged", [
        ("Sources/RNNEngine/Cells.swift",
         "let cNew = f * c[r * u + j] + i * candidate",
         "let cNew = i * c[r * u + j] + f * candidate"),
    ]),
    ("wrong activation (LSTM candidate uses the recurrent activation)", [
        ("Sources/RNNEngine/Cells.swift",
         "let candidate = activation(z[zr + 2 * u + j])",
         "let candidate = recurrentActivation(z[zr + 2 * u + j])"),
    ]),
    ("hard_sigmoid of the other Keras version (Keras 3 files get clip(0.2x+0.5))", [
        ("Sources/RNNEngine/Activation.swift",
         "case .hardSigmoid: return Self.clipRelu6(x + 3) / 6",
         "case .hardSigmoid: return Swift.min(Swift.max(x * S(0.2) + S(0.5), 0), 1)"),
    ]),
    ("Bidirectional backward output not flipped back", [
        ("Sources/RNNEngine/Recurrent.swift",
         "if returnSequences && !backwardFlipped { yRev = Self.flipTime(yRev) }",
         "if returnSequences && backwardFlipped { yRev = Self.flipTime(yRev) }"),
    ]),
    ("states returned in the wrong order (c before h)", [
        ("Sources/RNNEngine/Model.swift",
         "let outs = layer.returnState ? [output] + result.states : [output]",
         "let outs = layer.returnState ? [output] + result.states.reversed() : [output]"),
        ("Sources/RNNEngine/Recurrent.swift",
         "let finalStates = f.states + b.states",
         "let finalStates = f.states.reversed() + b.states.reversed()"),
    ]),
    ("mask ignored", [
        ("Sources/RNNEngine/Model.swift",
         "case .implicit: mask = args.first?.mask",
         "case .implicit: mask = nil"),
        ("Sources/RNNEngine/Model.swift",
         "case .explicit(let ref): mask = try Self.mask(from: values[ref.node][ref.output].tensor, layer: node.name)",
         "case .explicit(let ref): _ = ref; mask = nil"),
    ]),
    ("off-by-one in go_backwards (starts at the last step + 1, wrapping)", [
        ("Sources/RNNEngine/Recurrent.swift",
         "let t = goBackwards ? time - 1 - k : k",
         "let t = goBackwards ? (time - k) % time : k"),
    ]),
    ("float32 accumulated in float16", [
        ("Sources/RNNEngine/Kernels.swift",
         "for j in 0..<n { row[j] += aip * bRow[j] }",
         "for j in 0..<n { row[j] = S(Float(Float16(Float(row[j] + aip * bRow[j])))) }"),
    ]),
]


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)


def build():
    r = run(["swift", "build", "--product", "rnncheck", "--scratch-path", SCRATCH])
    return r.returncode == 0, r.stdout + r.stderr


def verify():
    binary = os.path.join(SCRATCH, "debug", "rnncheck")
    r = run([binary, "verify", "fixtures", "--no-isolate", "--no-error-budget", "--format", "json"],
            env={**os.environ, "RNNCHECK_FAST": "0"})
    try:
        report = json.loads(r.stdout)
        failing = [c["name"] for c in report["cases"] if not c["passed"]]
    except Exception:
        failing = ["(no report)"]
    return r.returncode, failing


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=None)
    args = ap.parse_args()

    ok, log = build()
    if not ok:
        sys.exit("the unmutated engine does not build:\n" + log[-3000:])
    code, failing = verify()
    if code != 0:
        sys.exit(f"the unmutated engine does not pass the suite (exit {code}): {failing[:10]}")
    print(f"baseline: every fixture passes", flush=True)

    results = []
    for name, edits in FAULTS:
        if args.only and args.only not in name:
            continue
        originals = {}
        try:
            for path, old, new in edits:
                full = os.path.join(ROOT, path)
                text = originals.get(full) or open(full).read()
                originals.setdefault(full, text)
                current = open(full).read()
                if current.count(old) != 1:
                    raise RuntimeError(f"{path}: the text to mutate occurs {current.count(old)} times: {old!r}")
                open(full, "w").write(current.replace(old, new))
            t0 = time.time()
            ok, log = build()
            if not ok:
                results.append((name, "BUILD FAILED", []))
                print(f"{name}: the mutant does not build\n{log[-1500:]}", flush=True)
                continue
            code, failing = verify()
            caught = code != 0
            results.append((name, "caught" if caught else "MISSED", failing))
            print(f"{'caught' if caught else 'MISSED':7s} {name}: {len(failing)} fixture(s) fail"
                  f" ({', '.join(failing[:4])}{', ...' if len(failing) > 4 else ''}) [{time.time() - t0:.0f} s]", flush=True)
        except RuntimeError as e:
            results.append((name, "NOT APPLIED", []))
            print(f"NOT APPLIED {name}: {e}", flush=True)
        finally:
            for full, text in originals.items():
                open(full, "w").write(text)
    caught = sum(1 for _, s, _ in results if s == "caught")
    print(f"\nfaults caught: {caught} of {len(results)}")
    build()  # leave the scratch build unmutated
    sys.exit(0 if caught == len(results) else 1)


if __name__ == "__main__":
    main()
