import Conformance
import Foundation
import KerasImport
import RNNEngine
import XCTest
import _TestSupport

// The Swift code of Sources/RNNEngine/RNNEngine.docc/Streaming.md, run on Resources/model.keras
// and checked against Keras's own stateful run (Resources/steps.h5, tools/make_docs_models.py):
// x (None, 3) -> LSTM(4, stateful=True, return_sequences=True) -> Dense(2).

// snippet: streaming-follow
/// The model's output after each reading of a stream, computed one time step per call.
func follow(_ readings: [[Float]], with model: Model<Float>) throws -> [[Float]] {
    var state = StreamingState<Float>()                        // every recurrent layer starts from zero
    var outputs: [[Float]] = []
    for reading in readings {                                  // one time step: 3 features
        let step = try Tensor<Float>([[reading]])              // (batch 1, time 1, features 3)
        let y = try model.predict([step], carrying: &state)    // y[0]: (1, 1, 2)
        outputs.append(y[0].scalars)
    }
    return outputs
}
// snippet end

final class StreamingArticleTests: XCTestCase {
    /// Keras's outputs, as (shape, values).
    func kerasSteps() throws -> RawFixture {
        try RawFixture.readPlain(path: resources.appendingPathComponent("steps.h5").path)
    }

    func assertMatchesKeras(_ actual: [Float], _ expected: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        let diff = Differ.compare(name: what, actual: Tensor(actual), expected: Tensor(expected.map(Double.init)), tolerance: .default)
        XCTAssertTrue(diff.passed, "\(what): max abs error \(diff.maxAbsError) at \(diff.worstIndex ?? [])", file: file, line: line)
    }

    func testOneStepAtATimeMatchesKerasStateful() throws {
        let keras = try kerasSteps()
        let x = keras.inputs[0]   // (1, 6, 3)
        let readings = (0..<x.shape[1]).map { t in Array(x.values[t * 3 ..< t * 3 + 3]) }
        let model = try inDirectory(resources) { try Model<Float>(kerasFile: "model.keras") }
        let outputs = try follow(readings, with: model)
        XCTAssertEqual(outputs.count, 6)
        assertMatchesKeras(outputs.flatMap { $0 }, keras.outputs[0].values, "one step per call")
    }

    func testChunksAndReset() throws {
        let keras = try kerasSteps()
        let x = keras.inputs[0]
        let chunk1 = Tensor<Float>(shape: [1, 4, 3], scalars: Array(x.values[0 ..< 12]))
        let chunk2 = Tensor<Float>(shape: [1, 2, 3], scalars: Array(x.values[12 ..< 18]))
        let other = Tensor<Float>(shape: keras.inputs[1].shape, scalars: keras.inputs[1].values)
        let (first, second, fresh) = try inDirectory(resources) { () throws -> ([Tensor<Float>], [Tensor<Float>], [Tensor<Float>]) in
            // snippet: streaming-chunks
            let model = try Model<Float>(kerasFile: "model.keras")
            var state = StreamingState<Float>()
            let first = try model.predict([chunk1], carrying: &state)    // chunk1: steps 0 to 3, (1, 4, 3)
            let second = try model.predict([chunk2], carrying: &state)   // chunk2: steps 4 and 5, continuing from step 3
            state.reset()                                                // a new stream: Keras's reset_states()
            let fresh = try model.predict([other], carrying: &state)     // starts from zero state again
            // snippet end
            return (first, second, fresh)
        }
        XCTAssertEqual(first[0].shape, [1, 4, 2])
        XCTAssertEqual(second[0].shape, [1, 2, 2])
        assertMatchesKeras(first[0].scalars + second[0].scalars, keras.outputs[0].values, "chunks of 4 and 2 steps")
        assertMatchesKeras(fresh[0].scalars, keras.outputs[1].values, "after reset")
    }

    /// The carried state belongs to the batch it was made with: another batch size is an error
    /// naming the layer, not a crash.
    func testAnotherBatchSizeIsRefused() throws {
        let model = try inDirectory(resources) { try Model<Float>(kerasFile: "model.keras") }
        var state = StreamingState<Float>()
        _ = try model.predict([Tensor(shape: [1, 1, 3], repeating: 0.5)], carrying: &state)
        XCTAssertThrowsError(try model.predict([Tensor(shape: [2, 1, 3], repeating: 0.5)], carrying: &state)) { error in
            XCTAssertTrue(error.localizedDescription.contains("rnn"), error.localizedDescription)
        }
    }
}
