import RNNEngine
import XCTest

/// The numbers printed in `shared/seeds/000_190bb7a0b4683a1d.txt`: real Keras outputs of a
/// Bidirectional(LSTM(3)) with constant initializers (kernel 0.1, recurrent 0.1, bias 0 — and
/// `unit_forget_bias=True`, which sets the forget slice of the bias to 1.0).
final class SeedNotebookTests: XCTestCase {
    static let trainX: [Double] = [
        0.1, 4.2, 1.5, 1.1, 2.8,
        1.0, 3.1, 2.5, 0.7, 1.1,
        0.3, 2.1, 1.5, 2.1, 0.1,
        2.2, 1.4, 0.5, 0.9, 1.1,
    ]

    static func constantLSTM<S: EngineScalar>(_: S.Type, returnSequences: Bool, goBackwards: Bool) -> RecurrentLayer<S> {
        let u = 3
        var bias = [S](repeating: 0, count: 4 * u)
        for j in u..<(2 * u) { bias[j] = 1 }  // unit_forget_bias
        // Keras builds Constant(0.1) in float32; the float64 engine sees the same float32 value.
        let tenth = S(Float(0.1))
        let cell = LSTMCell<S>(
            units: u, inputDim: 5,
            kernel: [S](repeating: tenth, count: 5 * 4 * u),
            recurrentKernel: [S](repeating: tenth, count: u * 4 * u),
            bias: bias)
        return RecurrentLayer(cell: .lstm(cell), returnSequences: returnSequences, returnState: true, goBackwards: goBackwards)
    }

    static func bidirectional<S: EngineScalar>(_: S.Type, returnSequences: Bool) -> BidirectionalLayer<S> {
        BidirectionalLayer(
            forward: constantLSTM(S.self, returnSequences: returnSequences, goBackwards: false),
            backward: constantLSTM(S.self, returnSequences: returnSequences, goBackwards: true),
            mergeMode: .concat)
    }

    static func input<S: EngineScalar>(_: S.Type) -> Tensor<S> {
        Tensor(shape: [1, 4, 5], scalars: trainX.map { S(Float($0)) })
    }

    func checkLastOutput<S: EngineScalar>(_: S.Type) throws {
        let outputs = try Self.bidirectional(S.self, returnSequences: false)(Self.input(S.self))
        XCTAssertEqual(outputs.count, 5, "merged, forward h, forward c, backward h, backward c")
        assertClose(outputs[0], [0.6303138, 0.6303138, 0.6303138, 0.7038734, 0.7038734, 0.7038734], shape: [1, 6])
        assertClose(outputs[1], [0.6303138, 0.6303138, 0.6303138], shape: [1, 3])
        assertClose(outputs[3], [0.7038734, 0.7038734, 0.7038734], shape: [1, 3])
    }

    func checkSequences<S: EngineScalar>(_: S.Type) throws {
        let outputs = try Self.bidirectional(S.self, returnSequences: true)(Self.input(S.self))
        let expected: [[Double]] = [
            [0.35906473, 0.35906473, 0.35906473, 0.7038734, 0.7038734, 0.7038734],
            [0.55111325, 0.55111325, 0.55111325, 0.58863586, 0.58863586, 0.58863586],
            [0.59115744, 0.59115744, 0.59115744, 0.3951699, 0.3951699, 0.3951699],
            [0.6303138, 0.6303138, 0.6303138, 0.21942244, 0.21942244, 0.21942244],
        ]
        assertClose(outputs[0], expected.flatMap { $0 }, shape: [1, 4, 6])
        assertClose(outputs[1], [0.6303138, 0.6303138, 0.6303138], shape: [1, 3])
        assertClose(outputs[3], [0.7038734, 0.7038734, 0.7038734], shape: [1, 3])
    }

    func testBidirectionalLastFloat() throws { try checkLastOutput(Float.self) }
    func testBidirectionalLastDouble() throws { try checkLastOutput(Double.self) }
    func testBidirectionalSequencesFloat() throws { try checkSequences(Float.self) }
    func testBidirectionalSequencesDouble() throws { try checkSequences(Double.self) }

    func assertClose<S: EngineScalar>(
        _ actual: Tensor<S>, _ expected: [Double], shape: [Int], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.shape, shape, file: file, line: line)
        guard actual.count == expected.count else { return }
        for (a, e) in zip(actual.scalars, expected) {
            // The notebook prints float32 values to 7-8 significant digits.
            XCTAssertEqual(Double(a), e, accuracy: 1.5e-7, file: file, line: line)
        }
    }
}
