#!/usr/bin/env python3
"""Fault injection: does the fixture suite catch a wrong engine?

    python tools/mutate.py [--only SUBSTRING] [--fast | --all]

Applies each deliberate engine fault below to the source, one at a time, rebuilds rnncheck
(debug, for quick incremental builds; scratch path .build-mutants), runs `rnncheck verify fixtures`, and records whether the
suite caught it (any exit code but 0). The source is restored after every fault, whatever happens.
Prints one line per fault and the score. Every fault must be caught; the last run's output is in
docs/fault-injection.md.

A fault is a list of (file, old text, new text) edits to the reference engine (Sources/RNNEngine:
Cells, Recurrent, Model, Kernels, Activation), and the suite runs with RNNCHECK_FAST=0 so that
every fixture goes through it.

--fast: the faults in FAST_FAULTS instead, in the fast path (Sources/RNNEngine/Fast) and its C
kernels (Sources/CRNNKernels/rnn_kernels.h), with the fast path on (the default), so that the
fixtures that reach it run the mutated code. Each fault is first run against the fast-path
fixtures (fixtures/fastpath_*.h5; a failure there is a failure of `verify fixtures`), and only
if they pass against the whole folder. No unit test runs: the Keras fixtures alone must catch
every fault. Several need two or more cores (the multi-thread branches); the last run's output
is in docs/fault-injection.md. --all: both lists.
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
        ("Sources/RNNEngine/Layers/Recurrent.swift",
         "if returnSequences && !backwardFlipped { yRev = Self.flipTime(yRev) }",
         "if returnSequences && backwardFlipped { yRev = Self.flipTime(yRev) }"),
    ]),
    ("states returned in the wrong order (c before h)", [
        ("Sources/RNNEngine/Layers/Recurrent.swift",
         "return [Value(output, mask: outputMask)] + (returnState ? result.states.map { Value($0) } : [])",
         "return [Value(output, mask: outputMask)] + (returnState ? result.states.reversed().map { Value($0) } : [])"),
        ("Sources/RNNEngine/Layers/Recurrent.swift",
         "let finalStates = f.states + b.states",
         "let finalStates = f.states.reversed() + b.states.reversed()"),
    ]),
    ("mask ignored", [
        ("Sources/RNNEngine/Model.swift",
         "case .carried(let k): return args[k].mask",
         "case .carried(let k): _ = k; return nil"),
        ("Sources/RNNEngine/Model.swift",
         "case .tensor(let r): return Mask(values[r.node][r.output].tensor)",
         "case .tensor(let r): _ = r; return nil"),
    ]),
    ("off-by-one in go_backwards (starts at the last step + 1, wrapping)", [
        ("Sources/RNNEngine/Layers/Recurrent.swift",
         "let t = goBackwards ? time - 1 - k : k",
         "let t = goBackwards ? (time - k) % time : k"),
    ]),
    ("float32 accumulated in float16", [
        ("Sources/RNNEngine/Kernels.swift",
         "for j in 0..<n { row[j] += aip * bRow[j] }",
         "for j in 0..<n { row[j] = S(Float(Float16(Float(row[j] + aip * bRow[j])))) }"),
    ]),
]

FR = "Sources/RNNEngine/Fast/FastRun.swift"
FL = "Sources/RNNEngine/Fast/FastLayers.swift"
PK = "Sources/RNNEngine/Fast/Packed.swift"
KH = "Sources/CRNNKernels/rnn_kernels.h"
LK = "Sources/CRNNKernels/layer_kernels.h"
GM = "Sources/RNNEngine/Fast/GEMM.swift"

# Faults in the fast path and its kernels (--fast). Each names the branch it breaks; the
# fixture that reaches that branch is in docs/fault-injection.md.
FAST_FAULTS = [
    ("projection tiled along the batch (batch >= 4) ignores go_backwards (issue 16's example)", [
        (FR, "let k = k0 + s\n                                let t = backwards ? time - 1 - k : k",
             "let k = k0 + s\n                                let t = k"),
    ]),
    ("projection along time (batch < 4) ignores go_backwards", [
        (FR, "let t = backwards ? time - 1 - k : k\n                                        let lda = backwards ? -features : features",
             "let t = k\n                                        let lda = features"),
    ]),
    ("fused LSTM input product (batch >= 4) ignores go_backwards", [
        (FR, "x + (r0 * time + t) * features, time * features,\n                                           packed: wx,",
             "x + (r0 * time + k) * features, time * features,\n                                           packed: wx,"),
    ]),
    ("every projection time block projects the first block's steps", [
        (FR, "let k0 = block * blockSteps", "let k0 = 0 * block * blockSteps"),
    ]),
    ("row tiles drop the rows left over by an uneven split", [
        (FR, "return (count, n / count, n % count)", "return (count, n / count, 0)"),
    ]),
    ("a chunk of panels ends one panel early when panels do not split evenly", [
        (FR, "(i * total / n, (i + 1) * total / n)", "(i * total / n, (i + 1) * (total / n))"),
    ]),
    ("masked steps do not carry the LSTM cell state", [
        (FR, "for j in pu0..<pu1 { cNew[row + j] = cPrev[row + j] }", "for _ in pu0..<pu1 { }"),
    ]),
    ("zero_output_for_mask ignored", [
        (FR, "outNew[row + j] = zeroOutput[n] ? 0 : outPrev[row + j]", "outNew[row + j] = outPrev[row + j]"),
    ]),
    ("masking applied to the first panel of a chunk only", [
        (FR, "let pu0 = p0 * pu, pu1 = p1 * pu", "let pu0 = p0 * pu, pu1 = p0 * pu + pu"),
    ]),
    ("a backward direction's sequence written in processing order (not flipped)", [
        (FR, "let tt = seq.flip ? time - 1 - k : k", "let tt = k"),
    ]),
    ("initial states copied without the panel padding", [
        (FR, "dst[b * p.paddedUnits + j] = src[b * p.units + j]", "dst[b * p.units + j] = src[b * p.units + j]"),
    ]),
    ("final states read from the wrong buffer for an odd number of steps", [
        (FR, "let final = time & 1", "let final = 0 & time"),
    ]),
    ("projection tiled along the batch drops the input bias", [
        (FR, "if let bias { S.addRow(isa, mr, pw, z, ld, bias) }", "if let bias { _ = bias }"),
    ]),
    ("one-row kernel: the second panel of a pair multiplied by the first panel's weights", [
        (FR, "S.row2p(isa, hPrev, packed: w, w + u * pw,", "S.row2p(isa, hPrev, packed: w, w,"),
    ]),
    ("one-row overlapped projection: the last slice of each tile drops its last input feature", [
        (FR, "((slice + 1) * features) >> 3, zp, ld)", "(((slice + 1) * features) >> 3) - (slice == 7 ? 1 : 0), zp, ld)"),
    ]),
    ("one-row overlapped projection: SimpleRNN's projection bias never added", [
        (FR, "if slice == 7, let bias = p.projectionBias {", "if slice == 8, let bias = p.projectionBias {"),
    ]),
    ("one-row overlapped projection: the next block's x rows read forwards when the layer runs backwards", [
        (FR, "let xStride = goesBackwards[n] ? -features : features", "let xStride = features"),
    ]),
    ("AVX-512 two-strip row product (AMD): the second strip of a pair read from the first", [
        (KH, "        c1 = _mm512_fmadd_ps(av, _mm512_loadu_ps(b1 + q * 16), c1);\n    }\n    _mm512_storeu_ps(z0, c0);",
             "        c1 = _mm512_fmadd_ps(av, _mm512_loadu_ps(b0 + q * 16), c1);\n    }\n    _mm512_storeu_ps(z0, c0);"),
    ], {"RNNCHECK_ROW": "2s"}),   # the two-strip form is Zen 4's default only
    ("AVX-512 row product with projection: a projection k step skipped where the row loop interleaves it", [
        (KH, "            rk_proj8x2_step512(e, x, lda, w0, w1, pq);\n            pq++;", "            rk_proj8x2_step512(e, x, lda, w0, w1, pq);\n            pq += 2;"),
    ], {"RNNCHECK_ROW": "2s"}),
    ("Bidirectional (concat) forward direction started from the backward initial state", [
        (FL, "\n                    [forward.fastDirection(pf, initialState: forwardState, sequence: tf),",
             "\n                    [forward.fastDirection(pf, initialState: backwardState, sequence: tf),"),
    ]),
    ("LSTM gates fused (tanh, sigmoid) whatever the recurrent activation", [
        (PK, "activation: c.activation, recurrentActivation: c.recurrentActivation,\n"
             "                              fusedGates: c.activation == .tanh && c.recurrentActivation == .sigmoid)",
             "activation: c.activation, recurrentActivation: c.recurrentActivation,\n"
             "                              fusedGates: c.activation == .tanh)"),
    ]),
    ("AVX2 tile: a 5-row strip computed by the 4-row kernel", [
        (KH, "case 5: rk_tile256_5x2(", "case 5: rk_tile256_4x2("),
    ]),
    ("AVX2 1- and 2-row tiles: packed weight strips read at the row-major offset (strip stride ignored)", [
        (KH, "bv[w] = _mm256_loadu_ps(b + q * ldb + (w / 2) * bs + 8 * (w % 2));",
             "bv[w] = _mm256_loadu_ps(b + q * ldb + 8 * w);"),
    ]),
    ("packed matrix (Dense, attention, convolution): strips written at the panel's row stride", [
        (GM, "let dst = buffer.pointer + p * k * 64 + S.stripOffset(row: q, column: s * sw, k: k)",
             "let dst = buffer.pointer + p * k * 64 + s * sw + q * 64"),
    ]),
    # The portable C gates run only where no vector gates do: these two are verified with the
    # portable kernels forced (RNNCHECK_ISA=0); their AVX2 twins below run on the CPU as found.
    ("portable C LSTM gates: input and forget gates exchanged in the cell update", [
        (KH, "float fc = f * cPrev[(long)r * ldh + j], ig = i * g;",
             "float fc = i * cPrev[(long)r * ldh + j], ig = f * g;"),
    ], {"RNNCHECK_ISA": "0"}),
    ("portable C GRU gates: candidate's recurrent bias added after the reset gate (reset_after misread)", [
        (KH, "mh = mh + rbias[32 + j]; }", "}"),
        (KH, "float rm = rr * mh;", "float rm = rr * mh + (rbias ? rbias[32 + j] : 0.0f);"),
    ], {"RNNCHECK_ISA": "0"}),
    ("AVX2 LSTM gates: input and forget gates exchanged in the cell update", [
        (KH, "c[2 * q + j] = _mm256_add_ps(_mm256_mul_ps(f, _mm256_loadu_ps(cPrev + (long)q * ldh + 8 * j)), _mm256_mul_ps(i, g));",
             "c[2 * q + j] = _mm256_add_ps(_mm256_mul_ps(i, _mm256_loadu_ps(cPrev + (long)q * ldh + 8 * j)), _mm256_mul_ps(f, g));"),
    ]),
    ("AVX2 LSTM gates: the second lockstep group's tanh lanes on the output gate, not the cell input", [
        (KH, "rk_act256_group(4, h == 0 ? 0u : 0x3u, v); /* [i i f f], then [c c o o] */",
             "rk_act256_group(4, h == 0 ? 0u : 0xcu, v); /* [i i f f], then [c c o o] */"),
    ]),
    ("AVX2 GRU gates: candidate's recurrent bias added after the reset gate (reset_after misread)", [
        (KH, "            if (rbias) mh = _mm256_add_ps(mh, _mm256_loadu_ps(rbias + 32 + 8 * j));\n", "\n"),
        (KH, "hh[2 * q + j] = _mm256_add_ps(_mm256_loadu_ps(xw + (long)q * ldxw + 32 + 8 * j), _mm256_mul_ps(zr[q][2 + j], mh));",
             "hh[2 * q + j] = _mm256_add_ps(_mm256_loadu_ps(xw + (long)q * ldxw + 32 + 8 * j), rbias ? _mm256_add_ps("
             "_mm256_mul_ps(zr[q][2 + j], mh), _mm256_loadu_ps(rbias + 32 + 8 * j)) : _mm256_mul_ps(zr[q][2 + j], mh));"),
    ]),
    ("AVX2 GRU gates: the second of two rows in a lockstep pair takes the first row's hPrev", [
        (KH, "__m256 ha = _mm256_mul_ps(z, _mm256_loadu_ps(hPrev + (long)q * ldh + 8 * j));",
             "__m256 ha = _mm256_mul_ps(z, _mm256_loadu_ps(hPrev + 8 * j));"),
    ]),
    ("AVX2 ConvLSTM gates (filters a multiple of 8): input and forget gates exchanged in the cell update", [
        (LK, "__m256 c = _mm256_add_ps(_mm256_mul_ps(fg, _mm256_loadu_ps(cp + j)), _mm256_mul_ps(i, rl_act256(act, zc)));",
             "__m256 c = _mm256_add_ps(_mm256_mul_ps(i, _mm256_loadu_ps(cp + j)), _mm256_mul_ps(fg, rl_act256(act, zc)));"),
    ]),
    ("AVX2 activation codes: relu taken as linear", [
        (LK, "case RL_ACT_RELU: return _mm256_max_ps(x, _mm256_setzero_ps()); /* x > 0 ? x : 0 (NaN -> 0) */",
             "case RL_ACT_RELU: return x;"),
    ]),
    ("C exp: range reduction without the low part of ln 2", [
        (KH, "    r = fmaf(-fx, RK_LN2_LO, r);\n", "\n"),
    ]),
]


def cpu_flags():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def kernel_env(name):
    """The environment that makes this machine run the kernel a fault is in: an AVX-512 CPU
    runs the AVX-512 kernels by default, so an AVX2 fault is verified with RNNCHECK_ISA=1."""
    if name.startswith("AVX2 ") and "avx512f" in cpu_flags():
        return {"RNNCHECK_ISA": "1"}
    return {}


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)


def invalidate_kernels():
    """After an edit of a CRNNKernels header: the build does not see it by itself (the Swift
    files that call the header's static inline functions compile them from a cached Clang
    module, which is validated once per build session), so drop the cached module and touch
    the files that import it."""
    import glob
    pcms = glob.glob(os.path.join(SCRATCH, "**", "CRNNKernels-*.pcm"), recursive=True)
    for pcm in {os.path.realpath(p) for p in pcms}:   # debug/ is a link: each is found twice
        if os.path.exists(pcm):
            os.remove(pcm)
    for path in glob.glob(os.path.join(ROOT, "Sources", "**", "*.swift"), recursive=True):
        if "import CRNNKernels" in open(path).read():
            os.utime(path)


def build():
    r = run(["swift", "build", "--product", "rnncheck", "--scratch-path", SCRATCH])
    return r.returncode == 0, r.stdout + r.stderr


def verify(paths=("fixtures",), fast=False, extra_env=None):
    """Runs the suite: the reference engine (RNNCHECK_FAST=0, no isolation, no error budget:
    quick), or with `fast` as users run it (fast path, each case in a child process, so that
    a mutant that crashes fails its cases only, and the error budget)."""
    binary = os.path.join(SCRATCH, "debug", "rnncheck")
    if fast:
        env = {k: v for k, v in os.environ.items() if k != "RNNCHECK_FAST"}
        env.update(extra_env or {})
        r = run([binary, "verify", *paths, "--case-timeout", "120", "--format", "json"], env=env)
    else:
        r = run([binary, "verify", *paths, "--no-isolate", "--no-error-budget", "--format", "json"],
                env={**os.environ, "RNNCHECK_FAST": "0"})
    try:
        report = json.loads(r.stdout)
        failing = [c["name"] for c in report["cases"] if not c["passed"]]
    except Exception:
        failing = ["(no report)"]
    return r.returncode, failing


FASTPATH_FIXTURES = ("fixtures/fastpath_b16.h5", "fixtures/fastpath_b1.h5", "fixtures/fastpath_b1_overlap.h5")


def verify_fast(extra_env=None):
    """A fast-path fault: the fast-path fixtures first (quick); if they pass, the whole folder.
    Returns (exit code, failing cases, which run decided)."""
    code, failing = verify(FASTPATH_FIXTURES, fast=True, extra_env=extra_env)
    if code != 0:
        return code, failing, "fastpath fixtures"
    code, failing = verify(("fixtures",), fast=True, extra_env=extra_env)
    return code, failing, "whole folder"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=None, help="comma-separated substrings of fault names")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--fast", action="store_true", help="the fast-path and kernel faults")
    group.add_argument("--all", action="store_true", help="both lists")
    args = ap.parse_args()

    faults = [(n, e, False, {}) for n, e in FAULTS] if not args.fast else []
    if args.fast or args.all:
        faults += [(f[0], f[1], True, {**kernel_env(f[0]), **(f[2] if len(f) > 2 else {})}) for f in FAST_FAULTS]

    invalidate_kernels()   # the scratch build may hold a kernels module from an interrupted run
    ok, log = build()
    if not ok:
        sys.exit("the unmutated engine does not build:\n" + log[-3000:])
    for fast in sorted({f for _, _, f, _ in faults}):
        code, failing = verify(fast=fast)
        if code != 0:
            sys.exit(f"the unmutated engine does not pass the suite (exit {code}, "
                     f"{'fast path' if fast else 'reference path'}): {failing[:10]}")
    print(f"baseline: every fixture passes", flush=True)

    results = []
    for name, edits, fast, extra_env in faults:
        if args.only and not any(part in name for part in args.only.split(",")):
            continue
        if name.startswith("AVX-512 ") and "avx512f" not in cpu_flags():
            results.append((name, "NOT RUN", []))
            print(f"NOT RUN {name}: this CPU has no AVX-512, so the mutated kernel never runs", flush=True)
            continue
        kernels = any(path.endswith(".h") for path, _, _ in edits)
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
            if kernels:
                invalidate_kernels()
            t0 = time.time()
            ok, log = build()
            if not ok:
                results.append((name, "BUILD FAILED", []))
                print(f"{name}: the mutant does not build\n{log[-1500:]}", flush=True)
                continue
            if fast:
                code, failing, where = verify_fast(extra_env)
                where += "".join(f", {k}={v}" for k, v in extra_env.items())
            else:
                (code, failing), where = verify(), "whole folder"
            caught = code != 0
            results.append((name, "caught" if caught else "MISSED", failing))
            print(f"{'caught' if caught else 'MISSED':7s} {name}: {len(failing)} fixture(s) fail"
                  f" ({', '.join(failing[:4])}{', ...' if len(failing) > 4 else ''}; run: {where})"
                  f" [{time.time() - t0:.0f} s]", flush=True)
        except RuntimeError as e:
            results.append((name, "NOT APPLIED", []))
            print(f"NOT APPLIED {name}: {e}", flush=True)
        finally:
            for full, text in originals.items():
                open(full, "w").write(text)
            if kernels:
                invalidate_kernels()
    caught = sum(1 for _, s, _ in results if s == "caught")
    ran = [r for r in results if r[1] != "NOT RUN"]
    not_run = len(results) - len(ran)
    print(f"\nfaults caught: {caught} of {len(ran)}" + (f" ({not_run} not run on this CPU)" if not_run else ""))
    build()  # leave the scratch build unmutated
    sys.exit(0 if caught == len(ran) else 1)


if __name__ == "__main__":
    main()
