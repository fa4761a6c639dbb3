import RNNEngine
import XCTest

/// ConvLSTM masks, hand-derived on a 1 x 1 kernel (every pixel its own LSTM of one unit).
///
/// Weights: input kernel [w_i, w_f, w_c, w_o] = [0, 0, 1, 0], recurrent kernel 0, no bias;
/// recurrent activation sigmoid, so i = f = o = σ(0) = 0.5; activation linear. Per pixel:
/// c' = 0.5·c + 0.5·x, h' = 0.5·c'. Over x = 2 then 4 (zero states): c1 = 1, h1 = 0.5;
/// c2 = 0.5 + 2 = 2.5, h2 = 1.25. A masked step keeps (h, c) and repeats the previous output
/// (Keras's tf.where broadcasts a (batch, time, rows, cols) mask over the filters), or gives 0
/// with zero_output_for_mask.
final class ConvLSTMMaskTests: XCTestCase {
    func layer(kernel: Int = 1, padding: Padding = .same, returnSequences: Bool = true, zeroOutputForMask: Bool = false) -> ConvLSTMLayer<Double> {
        let k = kernel * kernel
        let input = ConvolutionLayer<Double>(geometry: ConvGeometry(kernel: [kernel, kernel], strides: [1, 1], dilation: [1, 1], padding: padding),
                                             inputChannels: 1, filters: 4, kernel: (0..<k).flatMap { _ in [0.0, 0, 1, 0] }, bias: nil)
        let recurrent = ConvolutionLayer<Double>(geometry: ConvGeometry(kernel: [1, 1], strides: [1, 1], dilation: [1, 1], padding: .same),
                                                 inputChannels: 1, filters: 4, kernel: [0, 0, 0, 0], bias: nil)
        return ConvLSTMLayer(input: input, recurrent: recurrent, activation: .linear, recurrentActivation: .sigmoid,
                             returnSequences: returnSequences, returnState: true, zeroOutputForMask: zeroOutputForMask)
    }

    /// x (1, 2, 1, 2, 1): both pixels see 2 then 4.
    let x = Tensor<Double>(shape: [1, 2, 1, 2, 1], scalars: [2, 2, 4, 4])

    func testAMaskedPixelHoldsWhileItsNeighbourRuns() throws {
        // (batch, time, rows, cols): pixel 1 masked at step 2.
        let mask = Mask(shape: [1, 2, 1, 2], values: [true, true, true, false])
        var call = LayerCall(inputs: [Value(x, mask: mask)])
        let out = try layer().evaluate(&call).map(\.tensor)
        XCTAssertEqual(out[0].shape, [1, 2, 1, 2, 1])
        XCTAssertEqual(out[0].scalars, [0.5, 0.5, 1.25, 0.5])   // pixel 1 repeats h1
        XCTAssertEqual(out[1].scalars, [1.25, 0.5])              // h
        XCTAssertEqual(out[2].scalars, [2.5, 1])                  // c

        var zeroCall = LayerCall(inputs: [Value(x, mask: mask)])
        let zeroed = try layer(zeroOutputForMask: true).evaluate(&zeroCall).map(\.tensor)
        XCTAssertEqual(zeroed[0].scalars, [0.5, 0.5, 1.25, 0])
        XCTAssertEqual(zeroed[1].scalars, [1.25, 0.5])
    }

    func testAFrameMaskHoldsTheWholeFrame() throws {
        // (batch, time): step 1 masked for every pixel; step 2 starts from zero states:
        // c = 0.5·4 = 2, h = 1.
        var call = LayerCall(inputs: [Value(x, mask: Mask(shape: [1, 2], values: [false, true]))])
        let out = try layer().evaluate(&call).map(\.tensor)
        XCTAssertEqual(out[0].scalars, [0, 0, 1, 1])
        XCTAssertEqual(out[2].scalars, [2, 2])
    }

    func testAPixelMaskOnASmallerStateGridIsRefused() {
        // A 2 x 2 valid kernel on 2 x 2 frames leaves a 1 x 1 state grid; TensorFlow cannot
        // broadcast a (1, 2, 2, 2) mask over it, and Keras fails.
        let frames = Tensor<Double>(shape: [1, 2, 2, 2, 1], repeating: 1)
        var call = LayerCall(inputs: [Value(frames, mask: Mask(shape: [1, 2, 2, 2], values: [Bool](repeating: true, count: 8)))])
        XCTAssertThrowsError(try layer(kernel: 2, padding: .valid).evaluate(&call)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("cannot apply a mask of shape (1, 2, 2, 2)") && text.contains("(1, 1, 1, 1)"), text)
        }
    }
}

/// UpSampling2D(interpolation="bilinear"), hand-derived: tf.image.resize with half-pixel centers.
final class BilinearUpSamplingTests: XCTestCase {
    func testHalfPixelCentersInFloat32() throws {
        // Width 2 -> 4: output i reads (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped to
        // [0, 1]: x0, 0.75 x0 + 0.25 x1, 0.25 x0 + 0.75 x1, x1. With [0, 1]: 0, 0.25, 0.75, 1.
        // Height 1 -> 2: both rows read row 0.
        let layer = SpatialResizeLayer<Double>(.bilinear([2, 2]))
        var call = LayerCall(inputs: [Value(Tensor<Double>(shape: [1, 1, 2, 1], scalars: [0, 1]))])
        let y = try layer.evaluate(&call)[0].tensor
        XCTAssertEqual(y.shape, [1, 2, 4, 1])
        XCTAssertEqual(y.scalars, [0, 0.25, 0.75, 1, 0, 0.25, 0.75, 1])
        // TensorFlow's kernel computes in float32 also for float64 tensors: 0.1 comes out as
        // float32(0.1), which is how Keras's float64 references hold it.
        var tenths = LayerCall(inputs: [Value(Tensor<Double>(shape: [1, 1, 2, 1], scalars: [0.1, 0.1]))])
        XCTAssertEqual(try layer.evaluate(&tenths)[0].tensor.scalars, [Double](repeating: Double(Float(0.1)), count: 8))
    }
}
