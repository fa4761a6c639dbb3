import Conformance
import Foundation
import KerasImport
import RNNEngine
import XCTest
import _TestSupport

// The Swift code of Sources/KerasImport/KerasImport.docc (the landing page and "Load and run a
// Keras model"), compiled and run on shipped fixtures.

final class LoadingTests: XCTestCase {
    /// lstm_seqF_stateF: Sequential x (5, 3) -> LSTM(4) 'rnn', written by Keras 3.15.1.
    func testLoadAndRun() throws {
        let files = try fixtureAsUserFiles("lstm_seqF_stateF")
        try inDirectory(files.url) {
            // snippet: load-float32
            let model = try Model<Float>(kerasFile: "model.keras")   // float32, computed as Keras computes
            print(model.inputs.count, model.outputs.map(\.name))      // 1 ["rnn/output"]
            // snippet end
            XCTAssertEqual(model.inputs.count, 1)
            XCTAssertEqual(model.outputs.map(\.name), ["rnn/output"])

            // snippet: load-details
            let loaded = try KerasModelLoader.load(path: "model.keras")
            print(loaded.format.rawValue, loaded.kerasVersion ?? "not recorded")   // Keras 3 .keras archive 3.15.1
            for note in loaded.notes { print(note) }                  // the semantics chosen, what was ignored
            let float32 = loaded.model.converted(to: Float.self)      // what Model<Float>(kerasFile:) returns
            // snippet end
            XCTAssertEqual(loaded.format, .kerasArchive)
            XCTAssertEqual(loaded.kerasVersion, "3.15.1")
            XCTAssertFalse(loaded.notes.isEmpty)

            // snippet: load-double
            let float64 = try Model<Double>(kerasFile: "model.keras")   // the same model computing in float64
            // snippet end

            // The three give the same numbers: Model<Float>(kerasFile:) is the loader plus
            // conversion, and the float64 run is within float32 rounding of the float32 one.
            let reference = try RawFixture(path: files.path("ref.h5"))
            let x = Tensor<Float>(shape: reference.inputs[0].shape, scalars: reference.inputs[0].values)
            let y = try model.predict([x])[0]
            XCTAssertEqual(y, try float32.predict([x])[0])
            let y64 = try float64.predict([x.converted(to: Double.self)])[0]
            for (a, b) in zip(y.scalars, y64.scalars) { XCTAssertEqual(Double(a), b, accuracy: 1e-6) }
        }
    }

    func testErrorsNameTheFile() throws {
        let directory = try TemporaryDirectory()
        try inDirectory(directory.url) {
            // snippet: load-errors
            do {
                let model = try Model<Float>(kerasFile: "missing.keras")
                print(model.name)
            } catch {
                print(error.localizedDescription)   // missing.keras: no such file
            }
            // snippet end
            XCTAssertThrowsError(try Model<Float>(kerasFile: "missing.keras")) { error in
                XCTAssertEqual(error.localizedDescription, "missing.keras: no such file")
            }
        }
    }

    /// k3_weights_only: a Keras 3 .weights.h5 file and its config.json, checked against Keras.
    func testWeightsWithConfig() throws {
        let fixture = try Fixture.read(path: TestPaths.fixture("k3_weights_only").path)
        let directory = try TemporaryDirectory()
        try Data(fixture.modelBytes).write(to: directory.url.appendingPathComponent("model.weights.h5"))
        try XCTUnwrap(fixture.modelConfig).write(toFile: directory.path("config.json"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: fixture.path, toPath: directory.path("ref.h5"))
        try inDirectory(directory.url) {
            // snippet: load-weights-config
            let model = try Model<Float>(kerasFile: "model.weights.h5", configPath: "config.json")
            // snippet end
            let outputs = try model.predict(fixture.reference.inputs.map { $0.converted(to: Float.self) })
            for (output, expected) in zip(outputs, fixture.reference.outputs) {
                let diff = Differ.compare(name: expected.name, actual: output, expected: expected.tensor, tolerance: .default)
                XCTAssertTrue(diff.passed, "\(expected.name): max abs error \(diff.maxAbsError)")
            }
            XCTAssertEqual(outputs.count, fixture.reference.outputs.count)
        }
    }

    /// mask_embedding: tokens (batch, 6) -> Embedding(10, 5, mask_zero=True) -> LSTM(4) -> Dense(3, softmax).
    func testTokenIDs() throws {
        let files = try fixtureAsUserFiles("mask_embedding")
        try inDirectory(files.url) {
            // snippet: layout-ids
            let tokens = try Tensor<Float>(ids: [[5, 3, 8, 0, 0, 0],    // two sequences padded with 0 at the end:
                                                 [7, 2, 9, 4, 1, 0]])   // Embedding(mask_zero=True) masks the zeros
            let model = try Model<Float>(kerasFile: "model.keras")     // tokens (6,) -> Embedding -> LSTM -> Dense(3, softmax)
            let probabilities = try model.predict([tokens])[0]         // shape [2, 3]
            // snippet end
            XCTAssertEqual(tokens.shape, [2, 6])
            XCTAssertEqual(tokens.scalars, [5, 3, 8, 0, 0, 0, 7, 2, 9, 4, 1, 0])
            XCTAssertEqual(probabilities.shape, [2, 3])
            // softmax: each row sums to 1.
            for b in 0..<2 {
                XCTAssertEqual(Double((0..<3).map { probabilities[b, $0] }.reduce(0, +)), 1, accuracy: 1e-6)
            }
            // What "masks the zeros" means: a masked step leaves the LSTM's state as it was, so a
            // 0 in the middle of a sequence changes nothing.
            let gap = try model.predict([try Tensor<Float>(ids: [[5, 0, 3, 0, 8, 0]])])[0]
            for k in 0..<3 { XCTAssertEqual(gap[0, k], probabilities[0, k], accuracy: 1e-7) }
        }
    }
}
