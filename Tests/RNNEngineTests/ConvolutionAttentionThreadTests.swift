@testable import RNNEngine
import XCTest

/// Convolutions and MultiHeadAttention on the float32 fast path: bit-identical outputs for 1, 2
/// and 3 threads, and within float32 rounding of the float64 reference path. The sizes are large
/// enough that the packed products split their work across threads (2·m·n·k ≥ 2^20).
final class ConvolutionAttentionThreadTests: XCTestCase {
    typealias Rng = FastPathTests.Rng

    override func tearDown() { ComputeThreads.count = ComputeThreads.defaultCount }

    /// Runs `layer` on `inputs` with 1, 2 and 3 threads; asserts the runs bit-identical and returns one.
    func threadRuns(_ layer: any Layer<Float>, _ inputs: [Value<Float>], _ what: String,
                    file: StaticString = #filePath, line: UInt = #line) throws -> [Tensor<Float>] {
        var runs: [[Tensor<Float>]] = []
        for threads in [1, 2, 3] {
            ComputeThreads.count = threads
            var call = LayerCall(inputs: inputs)
            runs.append(try layer.evaluate(&call).map(\.tensor))
        }
        for (k, run) in runs.enumerated().dropFirst() {
            XCTAssertEqual(run.map { $0.scalars.map(\.bitPattern) }, runs[0].map { $0.scalars.map(\.bitPattern) },
                           "\(what): 1 vs \(k + 1) threads", file: file, line: line)
        }
        return runs[0]
    }

    func double(_ v: Value<Float>) -> Value<Double> {
        Value(Tensor(shape: v.tensor.shape, scalars: v.tensor.scalars.map(Double.init)), kind: v.kind, mask: v.mask)
    }

    func reference(_ layer: any Layer<Float>, _ inputs: [Value<Float>]) throws -> [Tensor<Double>] {
        var call = LayerCall(inputs: inputs.map(double))
        return try layer.converted(to: Double.self).evaluate(&call).map(\.tensor)
    }

    /// The convolution with every weight and input replaced by its absolute value, in float64:
    /// per output, Σ|x·w| + |b|, the scale of its float32 rounding error.
    func magnitudes(_ layer: ConvolutionLayer<Float>, _ x: Value<Float>) throws -> Tensor<Double> {
        var positive = layer.convertedConvolution(to: Double.self)
        positive.kernel = positive.kernel.map(abs)
        positive.bias = positive.bias?.map(abs)
        var call = LayerCall(inputs: [Value(Tensor(shape: x.tensor.shape, scalars: x.tensor.scalars.map { Double(abs($0)) }))])
        return try positive.evaluate(&call)[0].tensor
    }

    func testConvolutionsAreThreadIndependentAndWithinFloat32Rounding() throws {
        var rng = Rng(state: 7)
        let (batch, time, channels, filters) = (2, 202, 32, 80)
        let x = Value(Tensor(shape: [batch, time, channels], scalars: rng.array(batch * time * channels)))
        for (groups, padding, dilation) in [(1, Padding.valid, 1), (2, .same, 1), (4, .causal, 2)] {
            let geometry = ConvGeometry(kernel: [3], strides: [1], dilation: [dilation], padding: padding)
            let conv = ConvolutionLayer<Float>(
                geometry: geometry, inputChannels: channels, filters: filters, groups: groups,
                kernel: rng.array(3 * channels / groups * filters, scale: 0.2), bias: rng.array(filters, scale: 0.5),
                className: "Conv1D")
            let what = "Conv1D groups=\(groups) padding=\(padding)"
            let fast = try threadRuns(conv, [x], what)[0]
            let exact = try reference(conv, [x])[0]
            let scale = try magnitudes(conv, x)
            // Each output is one chain of 3·channels/groups fused multiply-adds plus the bias:
            // its float32 error is at most (n + 1)·2⁻²⁴·Σ|x·w| (and the result's own rounding).
            let n = Double(3 * channels / groups + 2)
            XCTAssertEqual(fast.shape, exact.shape, what)
            for i in fast.scalars.indices {
                let bound = n * 0x1p-24 * scale.scalars[i] + 0x1p-24 * abs(exact.scalars[i])
                XCTAssertLessThanOrEqual(abs(Double(fast.scalars[i]) - exact.scalars[i]), bound, "\(what) element \(i)")
            }
        }
    }

    func testTransposedConvolutionIsThreadIndependent() throws {
        var rng = Rng(state: 11)
        let (batch, time, channels, filters) = (2, 300, 64, 40)
        let x = Value(Tensor(shape: [batch, time, channels], scalars: rng.array(batch * time * channels)))
        let layer = TransposedConvolutionLayer<Float>(
            geometry: ConvGeometry(kernel: [3], strides: [2], dilation: [1], padding: .same), outputPadding: nil,
            inputChannels: channels, filters: filters, kernel: rng.array(3 * filters * channels, scale: 0.2),
            bias: rng.array(filters, scale: 0.5), activation: .tanh, channelsFirst: false)
        let fast = try threadRuns(layer, [x], "Conv1DTranspose")[0]
        let exact = try reference(layer, [x])[0]
        let worst = zip(fast.scalars, exact.scalars).map { abs(Double($0) - $1) }.max() ?? 0
        // tanh of sums of up to 2·64 products of magnitude ≤ 0.2: errors of a few float32 ulps of 1.
        XCTAssertLessThan(worst, 64 * 0x1p-24, "Conv1DTranspose: fast vs reference")
    }

    func multiHeadAttention(_ rng: inout Rng, features: Int, heads: Int, keyDim: Int, masking: AttentionMasking)
        -> MultiHeadAttentionLayer<Float> {
        func projection(_ input: Int, _ output: Int) -> Projection<Float> {
            Projection(kernel: rng.array(input * output, scale: 1 / Float(input).squareRoot()),
                       bias: rng.array(output, scale: 0.1), inputSize: input, outputSize: output)
        }
        return MultiHeadAttentionLayer<Float>(
            query: projection(features, heads * keyDim), key: projection(features, heads * keyDim),
            value: projection(features, heads * keyDim), output: projection(heads * keyDim, features), gate: nil,
            heads: heads, keyValueHeads: heads, keyDim: keyDim, valueDim: keyDim, outputShape: [features],
            attentionAxes: nil, slidingWindow: nil, useCausalMask: false, returnScores: false, hasKey: false,
            hasAttentionMask: false, masking: masking, scaleLogits: masking == .dotProduct,
            scale: Double(Float(1 / Double(keyDim).squareRoot())), clearsInputMasks: true,
            queryMaskFromTensor: true, className: "MultiHeadAttention")
    }

    func testMultiHeadAttentionIsThreadIndependentAndWithinFloat32Rounding() throws {
        var rng = Rng(state: 3)
        let (batch, time, features) = (2, 128, 64)
        let x = Tensor(shape: [batch, time, features], scalars: rng.array(batch * time * features))
        // Padding at the end of the second row (a real mask path), none in the first.
        let mask = Mask(batch: batch, time: time, values: (0..<(batch * time)).map { $0 < time || $0 % time < 100 })
        for masking in [AttentionMasking.dotProduct, .softmaxLayer] {
            let layer = multiHeadAttention(&rng, features: features, heads: 4, keyDim: 32, masking: masking)
            let inputs = [Value(x, mask: mask), Value(x, mask: mask)]
            let fast = try threadRuns(layer, inputs, "MultiHeadAttention \(masking)")[0]
            let exact = try reference(layer, inputs)[0]
            let largest = exact.scalars.map(abs).max() ?? 1
            let worst = zip(fast.scalars, exact.scalars).map { abs(Double($0) - $1) }.max() ?? 0
            // Three chained products of 64 or 128 terms and a softmax over 128 steps: a few hundred
            // float32 ulps of the largest output at most.
            XCTAssertLessThan(worst, 512 * 0x1p-24 * largest, "MultiHeadAttention \(masking): fast vs reference")
            XCTAssertGreaterThan(worst, 0, "the float32 run should not be the float64 one")
        }
    }

    /// Conv2D/Conv3D on each of the three fast strategies (direct: ≥ 16 channels per group;
    /// im2col: few channels, strided; transposed: one filter, a Conv3D head), against the float64
    /// reference within the float32 rounding bound of one FMA chain.
    func testConvolutionStrategiesAreThreadIndependentAndWithinFloat32Rounding() throws {
        var rng = Rng(state: 19)
        let cases: [(String, [Int], Int, Int, [Int], [Int], Padding)] = [
            ("Conv2D direct", [2, 12, 13], 32, 32, [3, 3], [1, 1], .same),
            ("Conv2D im2col", [2, 40, 41], 3, 32, [3, 3], [2, 2], .valid),
            ("Conv3D transposed", [2, 6, 16, 17], 16, 1, [3, 3, 3], [1, 1, 1], .same),
        ]
        for (what, dims, channels, filters, kernel, strides, padding) in cases {
            let shape = dims + [channels]
            let x = Value(Tensor(shape: shape, scalars: rng.array(shape.reduce(1, *))))
            let taps = kernel.reduce(1, *)
            let conv = ConvolutionLayer<Float>(
                geometry: ConvGeometry(kernel: kernel, strides: strides, dilation: kernel.map { _ in 1 }, padding: padding),
                inputChannels: channels, filters: filters, kernel: rng.array(taps * channels * filters, scale: 0.2),
                bias: rng.array(filters, scale: 0.5), className: what)
            let fast = try threadRuns(conv, [x], what)[0]
            let exact = try reference(conv, [x])[0]
            let scale = try magnitudes(conv, x)
            let n = Double(taps * channels + 2)
            XCTAssertEqual(fast.shape, exact.shape, what)
            var worst = 0.0
            for i in fast.scalars.indices {
                let error = abs(Double(fast.scalars[i]) - exact.scalars[i])
                worst = max(worst, error)
                let bound = n * 0x1p-24 * scale.scalars[i] + 0x1p-24 * abs(exact.scalars[i])
                XCTAssertLessThanOrEqual(error, bound, "\(what) element \(i)")
            }
            XCTAssertGreaterThan(worst, 0, "\(what): the float32 run should not be the float64 one")
        }
    }

    /// ConvLSTM2D on its float32 step loop (padded state images, fused gates): the sequence and
    /// both states bit-identical for 1, 2 and 3 threads, and close to the float64 reference.
    func testConvLSTMIsThreadIndependentAndCloseToFloat64() throws {
        var rng = Rng(state: 23)
        let (batch, time, hh, ww, channels, f) = (2, 4, 10, 11, 2, 16)
        let x = Value(Tensor(shape: [batch, time, hh, ww, channels], scalars: rng.array(batch * time * hh * ww * channels)))
        for activation in [Activation.tanh, .relu] {
            let geometry = ConvGeometry(kernel: [3, 3], strides: [1, 1], dilation: [1, 1], padding: .same)
            let input = ConvolutionLayer<Float>(geometry: geometry, inputChannels: channels, filters: 4 * f,
                                                kernel: rng.array(9 * channels * 4 * f, scale: 0.3), bias: rng.array(4 * f, scale: 0.3))
            let recurrent = ConvolutionLayer<Float>(geometry: geometry, inputChannels: f, filters: 4 * f,
                                                    kernel: rng.array(9 * f * 4 * f, scale: 0.1), bias: nil)
            let layer = ConvLSTMLayer<Float>(input: input, recurrent: recurrent, activation: activation,
                                             returnSequences: true, returnState: true)
            let what = "ConvLSTM2D \(activation)"
            let fast = try threadRuns(layer, [x], what)
            let exact = try reference(layer, [x])
            XCTAssertEqual(fast.map(\.shape), exact.map(\.shape), what)
            for (a, b) in zip(fast, exact) {
                let worst = zip(a.scalars, b.scalars).map { abs(Double($0) - $1) }.max() ?? 0
                // 4 steps of chains of 18 and 144 products (terms ≤ 0.3) and the gates: float32
                // rounding gives errors of a few 1e-7, far under 1e-5.
                XCTAssertLessThan(worst, 1e-5, "\(what): fast vs reference")
                XCTAssertGreaterThan(worst, 0, "\(what): the float32 run should not be the float64 one")
            }
        }
    }
}
