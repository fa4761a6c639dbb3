import CRNNKernels
import Foundation
@testable import RNNEngine
import XCTest

/// The float32 fast path against the reference path, and its determinism across thread counts.
/// (No timing here: speed lives in `rnncheck bench` and Benchmarks/.)
final class FastPathTests: XCTestCase {
    struct Rng {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
        }
        mutating func array(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in next() * scale } }
    }

    func cell(_ kind: String, d: Int, u: Int, rng: inout Rng, activation: Activation = .tanh) -> RecurrentCell<Float> {
        let s = 1 / Float(u).squareRoot()
        switch kind {
        case "lstm":
            return .lstm(LSTMCell(units: u, inputDim: d, kernel: rng.array(d * 4 * u, scale: s),
                                  recurrentKernel: rng.array(u * 4 * u, scale: s), bias: rng.array(4 * u, scale: 0.5),
                                  activation: activation))
        case "gru":
            return .gru(GRUCell(units: u, inputDim: d, kernel: rng.array(d * 3 * u, scale: s),
                                recurrentKernel: rng.array(u * 3 * u, scale: s), inputBias: rng.array(3 * u, scale: 0.5),
                                recurrentBias: rng.array(3 * u, scale: 0.5), resetAfter: true, activation: activation))
        default:
            return .simpleRNN(SimpleRNNCell(units: u, inputDim: d, kernel: rng.array(d * u, scale: s),
                                            recurrentKernel: rng.array(u * u, scale: s), bias: rng.array(u, scale: 0.5),
                                            activation: activation))
        }
    }

    func assertClose(_ a: Tensor<Float>, _ b: Tensor<Float>, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
        var worst: Float = 0
        // relative, with a floor of 1e-4 under which differences count as absolute: two float32
        // summation orders differ by a few ulps of the terms, not of a result that cancels to ~0
        for (x, y) in zip(a.scalars, b.scalars) { worst = max(worst, abs(x - y) / (1e-4 + abs(y))) }
        XCTAssertLessThan(worst, 2e-3, "\(what): fast and reference paths differ (worst scaled error \(worst))", file: file, line: line)
    }

    func bits(_ t: [Tensor<Float>]) -> [[UInt32]] { t.map { $0.scalars.map(\.bitPattern) } }

    override func tearDown() { ComputeThreads.count = ComputeThreads.defaultCount }

    /// Every cell, with and without mask / initial state / go_backwards / sequences, at sizes that
    /// take the threaded path (and units that are not a multiple of a panel), one row and many.
    func testFastMatchesReferenceAndIsDeterministic() throws {
        var rng = Rng(state: 42)
        for kind in ["lstm", "gru", "rnn"] {
            for (batch, units) in [(1, 80), (5, 40), (9, 20), (14, 36)] {
                let (time, d) = (7, 6)
                let c = cell(kind, d: d, u: units, rng: &rng)
                let x = Tensor(shape: [batch, time, d], scalars: rng.array(batch * time * d))
                let maskValues = (0..<(batch * time)).map { ($0 * 7 + 3) % 5 != 0 }
                for variant in 0..<4 {
                    let mask: Mask? = variant & 1 == 1 ? Mask(batch: batch, time: time, values: maskValues) : nil
                    let initial: [Tensor<Float>]? = variant & 2 == 2
                        ? c.stateWidths.map { Tensor(shape: [batch, $0], scalars: rng.array(batch * $0)) } : nil
                    let layer = RecurrentLayer(cell: c, returnSequences: true, returnState: true,
                                               goBackwards: variant == 3, zeroOutputForMask: variant == 1)
                    let reference = layer.genericRun(x, mask: mask, initialState: initial)
                    var runs: [[Tensor<Float>]] = []
                    for threads in [1, 2, 3] {
                        ComputeThreads.count = threads
                        let r = try layer.run(x, mask: mask, initialState: initial)
                        runs.append([r.sequence!, r.last] + r.states)
                    }
                    let what = "\(kind) B=\(batch) u=\(units) variant \(variant)"
                    assertClose(runs[0][0], reference.sequence!, what + " sequence")
                    assertClose(runs[0][1], reference.last, what + " last")
                    for (s, t) in zip(runs[0].dropFirst(2), reference.states) { assertClose(s, t, what + " state") }
                    XCTAssertEqual(bits(runs[0]), bits(runs[1]), what + ": 1 vs 2 threads")
                    XCTAssertEqual(bits(runs[0]), bits(runs[2]), what + ": 1 vs 3 threads")
                }
            }
        }
    }

    /// One row, steps of 16 and more: the steps carry the next block's input projection
    /// (`rk_row2s_proj`; AVX-512 interleaves it, other kernels compute the same sums in turn).
    /// With it forced on and off: the same bits as each other at 1, 2 and 3 threads, and close
    /// to the reference path, for LSTM and SimpleRNN (whose projection has a bias, added after
    /// the last slice), a partial panel (40 units), input widths that do not split in 8 (6, 37),
    /// a last partial block (21 steps) or none (16), masks, initial states and go_backwards.
    func testOneRowOverlappedProjectionMatchesReference() throws {
        var rng = Rng(state: 816)
        let saved = FastRecurrent.overlapProjection
        defer { FastRecurrent.overlapProjection = saved }
        for kind in ["lstm", "rnn"] {
            for (time, d, units) in [(16, 6, 40), (21, 37, 128), (40, 64, 64)] {
                let c = cell(kind, d: d, u: units, rng: &rng)
                let x = Tensor(shape: [1, time, d], scalars: rng.array(time * d))
                let maskValues = (0..<time).map { ($0 * 7 + 3) % 5 != 0 }
                for variant in 0..<4 {
                    let mask: Mask? = variant & 1 == 1 ? Mask(batch: 1, time: time, values: maskValues) : nil
                    let initial: [Tensor<Float>]? = variant & 2 == 2
                        ? c.stateWidths.map { Tensor(shape: [1, $0], scalars: rng.array($0)) } : nil
                    let layer = RecurrentLayer(cell: c, returnSequences: true, returnState: true,
                                               goBackwards: variant >= 2, zeroOutputForMask: variant == 1)
                    let reference = layer.genericRun(x, mask: mask, initialState: initial)
                    var runs: [[Tensor<Float>]] = []
                    for overlap in [true, false] {
                        FastRecurrent.overlapProjection = overlap
                        for threads in [1, 2, 3] {
                            ComputeThreads.count = threads
                            let r = try layer.run(x, mask: mask, initialState: initial)
                            runs.append([r.sequence!, r.last] + r.states)
                        }
                    }
                    let what = "\(kind) T=\(time) d=\(d) u=\(units) variant \(variant)"
                    assertClose(runs[0][0], reference.sequence!, what + " sequence (overlapped)")
                    assertClose(runs[0][1], reference.last, what + " last (overlapped)")
                    for (k, run) in runs.enumerated().dropFirst() {
                        XCTAssertEqual(bits(runs[0]), bits(run), what + ": overlapped at 1 thread vs run \(k) (overlap \(k < 3), \(k % 3 + 1) threads)")
                    }
                }
            }
        }
    }

    /// A Bidirectional LSTM at batch 1 over 21 steps: at two threads its directions run in
    /// lockstep (LSTM(80): 25.6k multiply-adds a step each), both carrying their own next-block
    /// projections, the backward one reading x from the end. Overlap on and off, 1 and 2 threads:
    /// the same bits; and close to the two directions on the reference path.
    func testOneRowOverlappedProjectionBidirectional() throws {
        var rng = Rng(state: 4242)
        let saved = FastRecurrent.overlapProjection
        defer { FastRecurrent.overlapProjection = saved }
        let (time, d, u) = (21, 37, 80)
        let x = Tensor(shape: [1, time, d], scalars: rng.array(time * d))
        let f = RecurrentLayer(cell: cell("lstm", d: d, u: u, rng: &rng), returnSequences: true, returnState: false)
        let b = RecurrentLayer(cell: cell("lstm", d: d, u: u, rng: &rng), returnSequences: true, returnState: false,
                               goBackwards: true)
        let bi = BidirectionalLayer(forward: f, backward: b, mergeMode: nil)
        var runs: [[Tensor<Float>]] = []
        for overlap in [true, false] {
            FastRecurrent.overlapProjection = overlap
            for threads in [1, 2] {
                ComputeThreads.count = threads
                runs.append(try bi(x, mask: nil))
            }
        }
        for (k, run) in runs.enumerated().dropFirst() {
            XCTAssertEqual(bits(runs[0]), bits(run), "overlapped at 1 thread vs run \(k) (overlap \(k < 2), \(k % 2 + 1) threads)")
        }
        let rf = f.genericRun(x, mask: nil, initialState: nil)
        let rb = b.genericRun(x, mask: nil, initialState: nil)
        assertClose(runs[1][0], rf.sequence!, "forward sequence (overlapped, 2 threads)")
        assertClose(runs[1][1], BidirectionalLayer<Float>.flipTime(rb.sequence!), "backward sequence (overlapped, 2 threads)")
    }

    /// Small steps run the directions in lockstep; steps of 1M+ multiply-adds per direction
    /// (B = 8, 192 units) run them one after the other, each on all threads.
    func testBidirectionalFastMatchesReference() throws {
        var rng = Rng(state: 7)
        let cases: [(Int, Int, Int, Int, [MergeMode?])] = [(4, 6, 5, 36, [.concat, .sum, .mul, .ave, nil]), (8, 3, 5, 192, [.concat, nil])]
        for (batch, time, d, u, modes) in cases {
            let x = Tensor(shape: [batch, time, d], scalars: rng.array(batch * time * d))
            let mask = Mask(batch: batch, time: time, values: (0..<(batch * time)).map { $0 % 4 != 1 })
            for mode in modes {
                for sequences in [true, false] {
                    let f = RecurrentLayer(cell: cell("lstm", d: d, u: u, rng: &rng), returnSequences: sequences, returnState: true)
                    let b = RecurrentLayer(cell: cell("lstm", d: d, u: u, rng: &rng), returnSequences: sequences, returnState: true,
                                           goBackwards: true)
                    let bi = BidirectionalLayer(forward: f, backward: b, mergeMode: mode)
                    // reference: each direction on the reference path, merged by hand as Keras does
                    let rf = f.genericRun(x, mask: mask, initialState: nil)
                    let rb = b.genericRun(x, mask: mask, initialState: nil)
                    ComputeThreads.count = 1
                    let one = try bi(x, mask: mask)
                    ComputeThreads.count = 2
                    let two = try bi(x, mask: mask)
                    XCTAssertEqual(bits(one), bits(two), "\(String(describing: mode)) sequences=\(sequences): 1 vs 2 threads")
                    let yf = sequences ? rf.sequence! : rf.last
                    let yb = sequences ? BidirectionalLayer<Float>.flipTime(rb.sequence!) : rb.last
                    let states = rf.states + rb.states
                    let expectedFirst: [Tensor<Float>]
                    switch mode {
                    case .concat?:
                        let (rows, n) = (yf.count / u, 2 * u)
                        var out = [Float](repeating: 0, count: rows * n)
                        for r in 0..<rows {
                            for j in 0..<u { out[r * n + j] = yf.scalars[r * u + j]; out[r * n + u + j] = yb.scalars[r * u + j] }
                        }
                        expectedFirst = [Tensor(shape: Array(yf.shape.dropLast()) + [n], scalars: out)]
                    case .sum?: expectedFirst = [Tensor(shape: yf.shape, scalars: zip(yf.scalars, yb.scalars).map { $0 + $1 })]
                    case .mul?: expectedFirst = [Tensor(shape: yf.shape, scalars: zip(yf.scalars, yb.scalars).map { $0 * $1 })]
                    case .ave?: expectedFirst = [Tensor(shape: yf.shape, scalars: zip(yf.scalars, yb.scalars).map { ($0 + $1) / 2 })]
                    case nil: expectedFirst = [yf, yb]
                    }
                    let expected = expectedFirst + states
                    XCTAssertEqual(one.count, expected.count)
                    for (n, (a, e)) in zip(one, expected).enumerated() { assertClose(a, e, "\(String(describing: mode)) output \(n)") }
                }
            }
        }
    }

    /// Non-default activations take the fast path's scalar gate code; weights changed after a
    /// run are re-packed.
    func testOtherActivationsAndRepacking() throws {
        var rng = Rng(state: 3)
        let (batch, time, d, u) = (3, 5, 4, 20)
        let x = Tensor(shape: [batch, time, d], scalars: rng.array(batch * time * d))
        for kind in ["lstm", "gru", "rnn"] {
            var layer = RecurrentLayer(cell: cell(kind, d: d, u: u, rng: &rng, activation: .relu), returnSequences: true)
            assertClose(try layer.run(x).sequence!, layer.genericRun(x, mask: nil, initialState: nil).sequence!, kind + " relu")
            layer.cell = cell(kind, d: d, u: u, rng: &rng)
            assertClose(try layer.run(x).sequence!, layer.genericRun(x, mask: nil, initialState: nil).sequence!, kind + " repacked")
        }
    }

    func testVectorMathAgainstLibm() {
        let xs = (0..<4096).map { Float($0 - 2048) / 100 } + [0, -0, 1e-7, -1e-7, 88, -88, 100, -100, .infinity, -.infinity]
        let n = xs.count / 16 * 16
        var s = [Float](repeating: 0, count: n), t = [Float](repeating: 0, count: n)
        rk_sigmoid_n(kernelISA, xs, &s, n)
        rk_tanh_n(kernelISA, xs, &t, n)
        for i in 0..<n {
            let x = Double(xs[i])
            XCTAssertEqual(Double(s[i]), 1 / (1 + Foundation.exp(-x)), accuracy: 3e-7 * max(1e-30, 1 / (1 + Foundation.exp(-x))) + 1e-37, "sigmoid(\(x))")
            XCTAssertEqual(Double(t[i]), Foundation.tanh(x), accuracy: 3e-7 * abs(Foundation.tanh(x)) + 1e-37, "tanh(\(x))")
        }
    }

    /// The float64 fast path (the error budget's run) against the float64 reference path: the
    /// same cells, sizes and variants as the float32 test. Both compute in float64, so they
    /// differ only by summation order and the activations' last bits (the fast path's own
    /// exp / tanh, within ~1 ulp of libm's): relative 1e-11 (absolute below 1e-3, where sums
    /// cancel) is ~50 float64 ulps, a generous bound that a wrong gate, step order or mask
    /// would exceed by far (float32 rounding alone is 1e-7). Deterministic across thread counts.
    /// The float64 LSTM whose weights exceed what one thread's L2 keeps from step to step
    /// (9 panels × (144 + 40) rows × 64 columns × 8 bytes = 848 KB > 768 KB): its tiles then also
    /// fetch the next panel (`rk_tile_pf_d`), a hint that must not change a bit. Against the
    /// reference path as above, at 1 thread (the prefetching walk) and 2 (halves below the
    /// threshold: no prefetch), forwards and backwards.
    func testFloat64PrefetchingWalkMatchesReference() throws {
        var rng = Rng(state: 99)
        let (batch, time, d, units) = (5, 3, 40, 144)
        let c = cell("lstm", d: d, u: units, rng: &rng).converted(to: Double.self)
        let x = Tensor(shape: [batch, time, d], scalars: rng.array(batch * time * d)).converted(to: Double.self)
        for backwards in [false, true] {
            let layer = RecurrentLayer(cell: c, returnSequences: true, returnState: true, goBackwards: backwards)
            let reference = layer.genericRun(x, mask: nil, initialState: nil)
            var sequences: [[UInt64]] = []
            for threads in [1, 2] {
                ComputeThreads.count = threads
                let r = try layer.run(x, mask: nil, initialState: nil)
                var worst = 0.0
                for (a, b) in zip(r.sequence!.scalars, reference.sequence!.scalars) { worst = max(worst, abs(a - b) / (1e-3 + abs(b))) }
                XCTAssertLessThan(worst, 1e-11, "float64 LSTM u=144 backwards=\(backwards), \(threads) thread(s): fast and reference differ (\(worst))")
                sequences.append(r.sequence!.scalars.map { $0.bitPattern })
            }
            XCTAssertEqual(sequences[0], sequences[1], "float64 LSTM u=144 backwards=\(backwards): 1 vs 2 threads")
        }
    }

    func testFloat64FastMatchesReferenceAndIsDeterministic() throws {
        var rng = Rng(state: 1234)
        func close(_ a: Tensor<Double>, _ b: Tensor<Double>, _ what: String) {
            XCTAssertEqual(a.shape, b.shape, what)
            var worst = 0.0
            for (x, y) in zip(a.scalars, b.scalars) { worst = max(worst, abs(x - y) / (1e-3 + abs(y))) }
            XCTAssertLessThan(worst, 1e-11, "\(what): float64 fast and reference paths differ (worst scaled error \(worst))")
        }
        func bits64(_ t: [Tensor<Double>]) -> [[UInt64]] { t.map { $0.scalars.map(\.bitPattern) } }
        for kind in ["lstm", "gru", "rnn"] {
            for (batch, units) in [(1, 80), (5, 40), (14, 36)] {
                let (time, d) = (7, 6)
                let c = cell(kind, d: d, u: units, rng: &rng).converted(to: Double.self)
                let x = Tensor(shape: [batch, time, d], scalars: rng.array(batch * time * d)).converted(to: Double.self)
                let maskValues = (0..<(batch * time)).map { ($0 * 7 + 3) % 5 != 0 }
                for variant in 0..<4 {
                    let mask: Mask? = variant & 1 == 1 ? Mask(batch: batch, time: time, values: maskValues) : nil
                    let initial: [Tensor<Double>]? = variant & 2 == 2
                        ? c.stateWidths.map { Tensor(shape: [batch, $0], scalars: rng.array(batch * $0)).converted(to: Double.self) } : nil
                    let layer = RecurrentLayer(cell: c, returnSequences: true, returnState: true,
                                               goBackwards: variant == 3, zeroOutputForMask: variant == 1)
                    let reference = layer.genericRun(x, mask: mask, initialState: initial)
                    var runs: [[Tensor<Double>]] = []
                    for threads in [1, 2, 3] {
                        ComputeThreads.count = threads
                        let r = try layer.run(x, mask: mask, initialState: initial)
                        runs.append([r.sequence!, r.last] + r.states)
                    }
                    let what = "float64 \(kind) B=\(batch) u=\(units) variant \(variant)"
                    close(runs[0][0], reference.sequence!, what + " sequence")
                    close(runs[0][1], reference.last, what + " last")
                    for (s, t) in zip(runs[0].dropFirst(2), reference.states) { close(s, t, what + " state") }
                    XCTAssertEqual(bits64(runs[0]), bits64(runs[1]), what + ": 1 vs 2 threads")
                    XCTAssertEqual(bits64(runs[0]), bits64(runs[2]), what + ": 1 vs 3 threads")
                }
            }
        }
    }

    /// The float64 activations: the vector path gives the scalar path's bits, and both are
    /// within 2 ulp of libm (relative 4.5e-16) across the range, with the special values right.
    func testFloat64VectorMathAgainstLibm() {
        var xs = (0..<8192).map { Double($0 - 4096) / 97.3 }
        xs += [0, -0.0, 1e-300, -1e-300, 5e-324, 0.625, -0.625, 22, -22.5, 709.78, -745, -800, 800, 1e-9,
               .infinity, -.infinity, .nan]
        let n = xs.count
        var s4 = [Double](repeating: 0, count: n), t4 = s4, s1 = s4, t1 = s4
        rk_sigmoid_n_d(kernelISA, xs, &s4, n)
        rk_tanh_n_d(kernelISA, xs, &t4, n)
        rk_sigmoid_n_d(0, xs, &s1, n)
        rk_tanh_n_d(0, xs, &t1, n)
        XCTAssertEqual(s4.map(\.bitPattern), s1.map(\.bitPattern), "sigmoid: vector and scalar bits")
        XCTAssertEqual(t4.map(\.bitPattern), t1.map(\.bitPattern), "tanh: vector and scalar bits")
        for i in 0..<n where xs[i].isFinite {
            let x = xs[i]
            let sig = 1 / (1 + Foundation.exp(-x)), th = Foundation.tanh(x)
            if sig > 1e-300 { XCTAssertEqual(s1[i], sig, accuracy: 4.5e-16 * sig, "sigmoid(\(x))") }
            XCTAssertEqual(t1[i], th, accuracy: 4.5e-16 * abs(th), "tanh(\(x))")
        }
        XCTAssertEqual(t1[n - 3], 1)
        XCTAssertEqual(t1[n - 2], -1)
        XCTAssertTrue(t1[n - 1].isNaN && s1[n - 1].isNaN)
        XCTAssertEqual(t1[1].sign, .minus, "tanh(-0) is -0")
    }
}
