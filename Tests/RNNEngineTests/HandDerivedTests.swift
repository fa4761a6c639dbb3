import Foundation
import RNNEngine
import XCTest

/// Small cases whose expected values are derived by hand, step by step, in the test itself.
final class HandDerivedTests: XCTestCase {
    func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

    /// SimpleRNN(1), linear activation, W = 1, U = 0.5, no bias: h_t = x_t + 0.5 h_{t-1}.
    func linearRNN(goBackwards: Bool = false, returnSequences: Bool = true, zeroOutputForMask: Bool = false) -> RecurrentLayer<Double> {
        RecurrentLayer(
            cell: .simpleRNN(SimpleRNNCell(units: 1, inputDim: 1, kernel: [1], recurrentKernel: [0.5], bias: nil, activation: .linear)),
            returnSequences: returnSequences, returnState: true, goBackwards: goBackwards, zeroOutputForMask: zeroOutputForMask)
    }

    let x123 = Tensor<Double>(shape: [1, 3, 1], scalars: [1, 2, 3])

    func testForwardRecurrence() throws {
        // h1 = 1; h2 = 2 + 0.5 = 2.5; h3 = 3 + 1.25 = 4.25
        let out = try linearRNN()(x123)
        XCTAssertEqual(out[0].scalars, [1, 2.5, 4.25])
        XCTAssertEqual(out[1].scalars, [4.25])
    }

    func testGoBackwardsReturnsProcessingOrder() throws {
        // reads 3, 2, 1: h = 3; 2 + 1.5 = 3.5; 1 + 1.75 = 2.75; the sequence stays in processing order.
        let out = try linearRNN(goBackwards: true)(x123)
        XCTAssertEqual(out[0].scalars, [3, 3.5, 2.75])
        XCTAssertEqual(out[1].scalars, [2.75])
    }

    func testMaskCarriesStateAndRepeatsOutput() throws {
        // step 2 masked: h stays 1 and the output repeats 1; step 3: 3 + 0.5 = 3.5
        let mask = Mask(batch: 1, time: 3, values: [true, false, true])
        let out = try linearRNN()(x123, mask: mask)
        XCTAssertEqual(out[0].scalars, [1, 1, 3.5])
        XCTAssertEqual(out[1].scalars, [3.5])
        let zeroed = try linearRNN(zeroOutputForMask: true)(x123, mask: mask)
        XCTAssertEqual(zeroed[0].scalars, [1, 0, 3.5])
    }

    func testTrailingPaddingKeepsLastValidState() throws {
        // steps 2 and 3 masked: the state after step 1 (h = 1) is final, the last output repeats it.
        let mask = Mask(batch: 1, time: 3, values: [true, false, false])
        let out = try linearRNN(returnSequences: false)(x123, mask: mask)
        XCTAssertEqual(out[0].scalars, [1])
        XCTAssertEqual(out[1].scalars, [1])
    }

    func testInitialState() throws {
        // h0 = 2: h1 = 1 + 1 = 2; h2 = 2 + 1 = 3; h3 = 3 + 1.5 = 4.5
        let out = try linearRNN()(x123, initialState: [Tensor(shape: [1, 1], scalars: [2])])
        XCTAssertEqual(out[0].scalars, [2, 3, 4.5])
    }

    func testBidirectionalMergeModes() throws {
        // forward [1, 2.5, 4.25]; backward in processing order [3, 3.5, 2.75], flipped back: [2.75, 3.5, 3]
        func bi(_ mode: MergeMode?) -> BidirectionalLayer<Double> {
            BidirectionalLayer(forward: linearRNN(), backward: linearRNN(goBackwards: true), mergeMode: mode)
        }
        XCTAssertEqual(try bi(.concat)(x123)[0].scalars, [1, 2.75, 2.5, 3.5, 4.25, 3])
        XCTAssertEqual(try bi(.concat)(x123)[0].shape, [1, 3, 2])
        XCTAssertEqual(try bi(.sum)(x123)[0].scalars, [3.75, 6, 7.25])
        XCTAssertEqual(try bi(.mul)(x123)[0].scalars, [2.75, 8.75, 12.75])
        XCTAssertEqual(try bi(.ave)(x123)[0].scalars, [1.875, 3, 3.625])
        let none = try bi(nil)(x123)
        XCTAssertEqual(none.count, 4, "forward, backward, forward h, backward h")
        XCTAssertEqual(none[0].scalars, [1, 2.5, 4.25])
        XCTAssertEqual(none[1].scalars, [2.75, 3.5, 3])
        XCTAssertEqual(none[2].scalars, [4.25], "forward state")
        XCTAssertEqual(none[3].scalars, [2.75], "backward state: after reading x[0]")
    }

    func testBidirectionalLastOutputIsNotFlipped() throws {
        // return_sequences=False: backward last output is its final state (after reading x[0]).
        let layer = BidirectionalLayer(
            forward: linearRNN(returnSequences: false), backward: linearRNN(goBackwards: true, returnSequences: false), mergeMode: .concat)
        XCTAssertEqual(try layer(x123)[0].scalars, [4.25, 2.75])
    }

    func testLSTMOneStepByHand() throws {
        // units 1, one input feature, gate order i, f, c, o.
        let kernel = [0.5, -0.25, 1.0, 0.75]
        let recurrent = [0.2, 0.3, -0.4, 0.1]
        let bias = [0.1, 1.0, -0.2, 0.3]
        let cell = LSTMCell<Double>(units: 1, inputDim: 1, kernel: kernel, recurrentKernel: recurrent, bias: bias)
        let layer = RecurrentLayer(cell: .lstm(cell), returnSequences: true, returnState: true)
        let out = try layer(Tensor(shape: [1, 2, 1], scalars: [2, -1]))
        // step 1 from h = c = 0, x = 2
        let i1 = sigmoid(0.5 * 2 + 0.1), f1 = sigmoid(-0.25 * 2 + 1.0)
        let g1 = tanh(1.0 * 2 - 0.2), o1 = sigmoid(0.75 * 2 + 0.3)
        let c1 = f1 * 0 + i1 * g1
        let h1 = o1 * tanh(c1)
        // step 2, x = -1
        let i2 = sigmoid(0.5 * -1 + 0.2 * h1 + 0.1), f2 = sigmoid(-0.25 * -1 + 0.3 * h1 + 1.0)
        let g2 = tanh(1.0 * -1 - 0.4 * h1 - 0.2), o2 = sigmoid(0.75 * -1 + 0.1 * h1 + 0.3)
        let c2 = f2 * c1 + i2 * g2
        let h2 = o2 * tanh(c2)
        XCTAssertEqual(out[0].scalars[0], h1, accuracy: 1e-15)
        XCTAssertEqual(out[0].scalars[1], h2, accuracy: 1e-15)
        XCTAssertEqual(out[1].scalars[0], h2, accuracy: 1e-15)
        XCTAssertEqual(out[2].scalars[0], c2, accuracy: 1e-15)
    }

    func testLSTMWithoutBiasAndCustomActivations() throws {
        // relu candidate/output and Keras 3 hard_sigmoid gates, x = 1.5, zero state.
        let cell = LSTMCell<Double>(units: 1, inputDim: 1, kernel: [1, 1, 2, -1], recurrentKernel: [0, 0, 0, 0],
                                    bias: nil, activation: .relu, recurrentActivation: .hardSigmoid)
        let out = try RecurrentLayer(cell: .lstm(cell), returnState: true)(Tensor(shape: [1, 1, 1], scalars: [1.5]))
        let i = (1.5 + 3) / 6, o = (-1.5 + 3) / 6
        let c = i * 3.0  // relu(2 * 1.5)
        XCTAssertEqual(out[2].scalars[0], c, accuracy: 1e-15)
        XCTAssertEqual(out[0].scalars[0], o * c, accuracy: 1e-15)
    }

    func testGRUResetAfterByHand() throws {
        // units 1: z, r, h gates; x = 1, h0 = 0.5
        let kernel = [0.3, -0.6, 0.9], recurrent = [0.4, 0.2, -0.7]
        let inBias = [0.1, 0.2, 0.3], recBias = [-0.1, 0.05, 0.25]
        let cell = GRUCell<Double>(units: 1, inputDim: 1, kernel: kernel, recurrentKernel: recurrent,
                                   inputBias: inBias, recurrentBias: recBias, resetAfter: true)
        let out = try RecurrentLayer(cell: .gru(cell))(Tensor(shape: [1, 1, 1], scalars: [1]),
                                                      initialState: [Tensor(shape: [1, 1], scalars: [0.5])])
        let z = sigmoid((0.3 + 0.1) + (0.4 * 0.5 - 0.1))
        let r = sigmoid((-0.6 + 0.2) + (0.2 * 0.5 + 0.05))
        let hh = tanh((0.9 + 0.3) + r * (-0.7 * 0.5 + 0.25))
        XCTAssertEqual(out[0].scalars[0], z * 0.5 + (1 - z) * hh, accuracy: 1e-15)
    }

    func testGRUResetBeforeByHand() throws {
        let kernel = [0.3, -0.6, 0.9], recurrent = [0.4, 0.2, -0.7], bias = [0.1, 0.2, 0.3]
        let cell = GRUCell<Double>(units: 1, inputDim: 1, kernel: kernel, recurrentKernel: recurrent,
                                   inputBias: bias, recurrentBias: nil, resetAfter: false)
        let out = try RecurrentLayer(cell: .gru(cell))(Tensor(shape: [1, 1, 1], scalars: [1]),
                                                      initialState: [Tensor(shape: [1, 1], scalars: [0.5])])
        let z = sigmoid((0.3 + 0.1) + 0.4 * 0.5)
        let r = sigmoid((-0.6 + 0.2) + 0.2 * 0.5)
        let hh = tanh((0.9 + 0.3) + (r * 0.5) * -0.7)
        XCTAssertEqual(out[0].scalars[0], z * 0.5 + (1 - z) * hh, accuracy: 1e-15)
    }

    func testShapeErrorsAreThrown() {
        let layer = linearRNN()
        XCTAssertThrowsError(try layer(Tensor(shape: [1, 3, 2], repeating: 0))) { error in
            XCTAssertTrue((error as? EngineError)?.errorDescription?.contains("(1, 3, 2)") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try layer(Tensor(shape: [3, 1], repeating: 0)))
        XCTAssertThrowsError(try layer(x123, initialState: [Tensor(shape: [2, 1], repeating: 0)]))
    }
}
