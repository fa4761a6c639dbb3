import RNNEngine
import XCTest

final class StreamingTests: XCTestCase {
    /// Input -> SimpleRNN(1, linear, W = 1, U = 0.5): h_t = x_t + 0.5 h_{t-1}.
    func model() throws -> Model<Double> {
        let rnn = RecurrentLayer<Double>(
            cell: .simpleRNN(SimpleRNNCell(units: 1, inputDim: 1, kernel: [1], recurrentKernel: [0.5], bias: nil, activation: .linear)),
            returnSequences: true)
        return try Model(
            name: "m",
            nodes: [Node(name: "x", className: "InputLayer", layer: InputLayer<Double>(shape: [nil, 1])),
                    Node(name: "rnn", className: "SimpleRNN", layer: rnn, inputs: [TensorRef(node: 0)])],
            inputs: [0], outputs: [ModelOutput(ref: TensorRef(node: 1), name: "rnn/output")])
    }

    func testChunksContinueFromCarriedState() throws {
        let m = try model()
        var state = StreamingState<Double>()
        // whole sequence [1, 2, 3]: [1, 2.5, 4.25]; in chunks [1, 2] then [3]: the same
        let first = try m.predict([Tensor(shape: [1, 2, 1], scalars: [1, 2])], carrying: &state)
        XCTAssertEqual(first[0].scalars, [1, 2.5])
        let second = try m.predict([Tensor(shape: [1, 1, 1], scalars: [3])], carrying: &state)
        XCTAssertEqual(second[0].scalars, [4.25])
        state.reset()
        let fresh = try m.predict([Tensor(shape: [1, 1, 1], scalars: [3])], carrying: &state)
        XCTAssertEqual(fresh[0].scalars, [3])
    }

    func testPlainPredictAlwaysStartsFromZero() throws {
        let m = try model()
        _ = try m.predict([Tensor(shape: [1, 2, 1], scalars: [1, 2])])
        XCTAssertEqual(try m.predict([Tensor(shape: [1, 1, 1], scalars: [3])])[0].scalars, [3])
    }

    func testModelRejectsForwardReferences() {
        XCTAssertThrowsError(try Model<Double>(
            name: "bad",
            nodes: [Node(name: "d", className: "Dropout", layer: IdentityLayer<Double>(), inputs: [TensorRef(node: 1)]),
                    Node(name: "x", className: "InputLayer", layer: InputLayer<Double>(shape: [1]))],
            inputs: [1], outputs: [ModelOutput(ref: TensorRef(node: 0), name: "d")]))
    }
}
