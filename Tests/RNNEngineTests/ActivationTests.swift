import Foundation
import RNNEngine
import XCTest

/// Activation values from Keras's documented formulas, evaluated by hand.
final class ActivationTests: XCTestCase {
    func testHardSigmoidDefinitionsDiffer() {
        // Keras 3: relu6(x + 3) / 6; Keras 2: clip(0.2 x + 0.5, 0, 1)
        XCTAssertEqual(Activation.hardSigmoid(2.7), 5.7 / 6, accuracy: 1e-15)
        XCTAssertEqual(Activation.hardSigmoidKeras2(2.7), 1.0)
        XCTAssertEqual(Activation.hardSigmoid(-2.7), 0.3 / 6, accuracy: 1e-15)
        XCTAssertEqual(Activation.hardSigmoidKeras2(-2.7), 0.0)
        XCTAssertEqual(Activation.hardSigmoidKeras2(1.0), 0.7, accuracy: 1e-15)
    }

    func testClosedForms() {
        XCTAssertEqual(Activation.sigmoid(0.0), 0.5)
        XCTAssertEqual(Activation.tanh(0.5), tanh(0.5), accuracy: 1e-16)
        XCTAssertEqual(Activation.relu(-2.0), 0)
        XCTAssertEqual(Activation.relu6(7.0), 6)
        XCTAssertEqual(Activation.elu(-1.0), exp(-1.0) - 1, accuracy: 1e-15)
        XCTAssertEqual(Activation.selu(1.0), 1.0507009873554805, accuracy: 1e-15)
        XCTAssertEqual(Activation.selu(-1.0), 1.0507009873554805 * 1.6732632423543772 * (exp(-1.0) - 1), accuracy: 1e-15)
        XCTAssertEqual(Activation.softplus(0.0), log(2.0), accuracy: 1e-15)
        XCTAssertEqual(Activation.softsign(1.0), 0.5)
        XCTAssertEqual(Activation.silu(1.0), 1 / (1 + exp(-1.0)), accuracy: 1e-15)
        XCTAssertEqual(Activation.gelu(approximate: false)(1.0), 0.8413447460685429, accuracy: 1e-15)
        XCTAssertEqual(Activation.mish(1.0), tanh(log(1 + exp(1.0))), accuracy: 1e-15)
        XCTAssertEqual(Activation.logSigmoid(0.0), -log(2.0), accuracy: 1e-15)
        XCTAssertEqual(Activation.hardSilu(1.0), 1.0 * 4 / 6, accuracy: 1e-15)
        XCTAssertEqual(Activation.leakyRelu(negativeSlope: 0.2)(-2.0), -0.4, accuracy: 1e-15)
        XCTAssertEqual(Activation.hardTanh(-3.0), -1)
        XCTAssertEqual(Activation.linear(3.25), 3.25)
        XCTAssertEqual(Activation.exponential(1.0), M_E, accuracy: 1e-15)
    }

    func testSoftmaxRows() {
        var x: [Double] = [0, log(3.0), 1, 1]
        Activation.softmax.apply(to: &x, rowLength: 2)
        XCTAssertEqual(x[0], 0.25, accuracy: 1e-15)
        XCTAssertEqual(x[1], 0.75, accuracy: 1e-15)
        XCTAssertEqual(x[2], 0.5, accuracy: 1e-15)
    }
}
