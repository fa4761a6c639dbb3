import Conformance
import Foundation
import KerasImport
import RNNEngine
import RNNModelFile
import XCTest
import _TestSupport

// The Swift code of README.md, compiled and run. SnippetTests checks that every ```swift block
// of the README is a copy of a `// snippet:` region here, so the two cannot drift apart.

// snippet: readme-custom-layer
/// demo>Scale: call(x) = x * w * factor, one weight w of shape (features,).
struct Scale<Scalar: EngineScalar>: Layer {
    var w: [Scalar]
    var factor: Scalar

    var maskRule: MaskRule { .drop }    // a custom Keras layer supports no masking unless it says so
    var parameterCount: Int { w.count }

    func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "Scale")
        guard x.last == w.count else { throw EngineError.invalidInput("Scale needs \(w.count) features") }
        return [x]
    }

    func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("Scale")
        for i in x.tensor.scalars.indices { x.tensor.scalars[i] = x.tensor.scalars[i] * w[i % w.count] * factor }
        x.mask = nil
        return [x]
    }

    func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> { Scale<T>(w: w.map { T($0) }, factor: T(factor)) }
    var summary: String { "factor=\(factor)" }
}
// snippet end

final class ReadmeTests: XCTestCase {
    /// "Use from Swift", on the shipped fixture lstm_seqF_stateF: Sequential LSTM(4) on x (5, 3).
    func testUseFromSwift() throws {
        let files = try fixtureAsUserFiles("lstm_seqF_stateF")
        let (outputs, report) = try inDirectory(files.url) { () throws -> ([Tensor<Float>], Report) in
            // snippet: readme-use-from-swift
            let model = try Model<Float>(kerasFile: "model.keras")   // float32, computed as Keras computes
            let x = try Tensor<Float>([[[0.1, -0.2, 0.3], [0.4, 0.5, -0.6], [0.7, -0.8, 0.9],
                                        [-1.0, 1.1, 1.2], [1.3, -1.4, 1.5]]])   // (batch 1, time 5, features 3)
            let outputs = try model.predict([x])                      // one tensor per model output
            print(outputs[0].shape, outputs[0].scalars)                // [1, 4] and 4 floats, row-major
            // snippet end

            // snippet: readme-compare
            let report = Runner.compare(modelPath: "model.keras", referencePath: "ref.h5")
            print(report.text())                                      // what `rnncheck compare` prints
            print(report.passed)                                      // true: every output within tolerance
            // snippet end
            return (outputs, report)
        }
        // What the README's comments say: LSTM(4) returning its last output, one batch row.
        XCTAssertEqual(outputs.count, 1)
        XCTAssertEqual(outputs[0].shape, [1, 4])
        // tanh output of an LSTM: every element strictly inside (-1, 1).
        XCTAssertTrue(outputs[0].scalars.allSatisfy { abs($0) < 1 })
        XCTAssertTrue(report.passed, report.text())
        XCTAssertEqual(report.cases.first?.outputs.map(\.name), ["rnn/output"])
    }

    /// "Custom layers": the README's Scale, registered for tf.keras's and Keras 3's saves of
    /// x (5, 3) -> Scale(factor=2) 'scale' -> Dense(2) 'head' (tools/make_test_models.py),
    /// matching Keras's outputs.
    func testCustomLayer() throws {
        let cli = TestPaths.repositoryRoot.appendingPathComponent("Tests/RNNCheckCLITests/Resources")
        let reference = try RawFixture.readPlain(path: cli.appendingPathComponent("custom_ref.h5").path)
        let inputs = reference.inputs.map { Tensor<Float>(shape: $0.shape, scalars: $0.values) }
        let keras = reference.outputs[0]
        for file in ["custom.keras", "custom.h5"] {
            let directory = try TemporaryDirectory()
            try FileManager.default.copyItem(atPath: cli.appendingPathComponent(file).path, toPath: directory.path("model.keras"))
            let outputs = try inDirectory(directory.url) { () throws -> [Tensor<Float>] in
                // snippet: readme-custom-layer
                let scale = CustomLayer { context in
                    let factor = context.config["factor"] as? Double ?? 1   // the config, as JSONSerialization reads it
                    let weights = try context.weights()                      // the layer's weights, in Keras's save order
                    return Scale<Double>(w: weights[0].scalars, factor: factor)
                }
                let model = try Model<Float>(kerasFile: "model.keras", customLayers: ["demo>Scale": scale])
                let outputs = try model.predict(inputs)   // inputs: [Tensor<Float>], one per model input
                // snippet end
                return outputs
            }
            XCTAssertEqual(outputs[0].shape, keras.shape, file)
            let diff = Differ.compare(name: file, actual: outputs[0], expected: Tensor(shape: keras.shape, scalars: keras.values.map(Double.init)),
                                      tolerance: .default)
            XCTAssertTrue(diff.passed, "\(file): max abs error \(diff.maxAbsError)")
        }
    }
}

/// "Models in apps": the README's reading of an exported `.rnn` file, on the shipped fixture
/// lstm_seqF_stateF (LSTM(4) on x (5, 3)), giving the bits the `.keras` file gives.
final class ReadmeModelFileTests: XCTestCase {
    func testReadAnExportedModel() throws {
        let files = try fixtureAsUserFiles("lstm_seqF_stateF")
        // What `rnncheck export model.keras -o model.rnn` writes.
        let loaded = try KerasModelLoader.load(path: files.path("model.keras"))
        try Data(try ModelFile.encodeVerified(loaded.model)).write(to: URL(fileURLWithPath: files.path("model.rnn")))
        let features: [Float] = [0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, -0.8, 0.9, -1.0, 1.1, 1.2, 1.3, -1.4, 1.5]
        let (exported, direct) = try inDirectory(files.url) { () throws -> ([Tensor<Float>], [Tensor<Float>]) in
            // snippet: readme-model-file
            let url = URL(fileURLWithPath: "model.rnn")   // in an app: Bundle.main.url(forResource: "model", withExtension: "rnn")!
            let file = try ModelFile(contentsOf: url)     // every size, checksum and weight shape checked as it is read
            let model = file.model.converted(to: Float.self)             // float32, computed as Keras computes
            let x = Tensor<Float>(shape: [1, 5, 3], scalars: features)   // (batch 1, time 5, features 3), row-major
            let outputs = try model.predict([x])                         // the same bits as the .keras file gives
            // snippet end
            let x2 = Tensor<Float>(shape: [1, 5, 3], scalars: features)
            return (outputs, try Model<Float>(kerasFile: "model.keras").predict([x2]))
        }
        XCTAssertEqual(exported.map(\.shape), [[1, 4]])
        XCTAssertEqual(exported.map { $0.scalars.map(\.bitPattern) }, direct.map { $0.scalars.map(\.bitPattern) })
    }
}
