import Foundation
import HDF5
import KerasImport
import RNNEngine
import XCTest
import _TestSupport

final class LoaderTests: XCTestCase {
    // MARK: Real Keras files (embedded in the shipped fixtures)

    func testLoadsSequentialStackFromRealKerasArchive() throws {
        let raw = try RawFixture(path: TestPaths.fixture("stack_lstm_bidi").path)
        let loaded = try KerasModelLoader.load(bytes: raw.modelBytes, name: "stack.keras")
        XCTAssertEqual(loaded.format, .kerasArchive)
        XCTAssertEqual(loaded.kerasVersion, "3.15.1")
        let kinds = loaded.model.nodes.map(\.className)
        XCTAssertEqual(kinds, ["InputLayer", "LSTM", "Bidirectional", "LSTM"])
        XCTAssertEqual(loaded.model.outputs.count, 1)
        // Keras 3 keys: lstm, bidirectional, lstm_1
        let sources = loaded.weightSources.values.flatMap { $0 }.sorted()
        XCTAssertTrue(sources.contains("/layers/lstm_1/cell/vars/2"), "\(sources)")
        XCTAssertTrue(sources.contains("/layers/bidirectional/backward_layer/cell/vars/0"), "\(sources)")
    }

    func testLoadsFunctionalModelWithInitialStateInputs() throws {
        let raw = try RawFixture(path: TestPaths.fixture("lstm_initial_state").path)
        let loaded = try KerasModelLoader.load(bytes: raw.modelBytes, name: "init.keras")
        XCTAssertEqual(loaded.model.inputs.count, 3, "x, h0, c0")
        XCTAssertEqual(loaded.model.outputs.map(\.name), ["rnn/output", "rnn/state_h", "rnn/state_c"])
        let rnn = try XCTUnwrap(loaded.model.nodes.first { $0.className == "LSTM" })
        XCTAssertEqual(rnn.initialState.count, 2)
    }

    func testBidirectionalMergeNoneHasSixOutputs() throws {
        let raw = try RawFixture(path: TestPaths.fixture("bidi_none_seqT_stateT").path)
        let loaded = try KerasModelLoader.load(bytes: raw.modelBytes, name: "none.keras")
        XCTAssertEqual(loaded.model.outputs.count, 6)
        XCTAssertEqual(raw.outputs.count, 6)
    }

    // MARK: Strictness, on a hand-written Keras 3 config and weights file

    /// A Sequential([Input((5, 3)), LSTM(4)]) config as Keras 3 writes it.
    static func config(units: Int = 4, extraOption: String = "", activation: String = "tanh",
                       className: String = "LSTM", dtype: String = "float32") -> String {
        """
        {"module": "keras", "class_name": "Sequential", "config": {"name": "seq", "trainable": true,
         "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
         "layers": [
          {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 5, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer"}, "registered_name": null},
          {"module": "keras.layers", "class_name": "\(className)", "config": {"name": "lstm", "trainable": true,
            "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "\(dtype)"}, "registered_name": null},
            "return_sequences": false, "return_state": false, "go_backwards": false, "stateful": false, "unroll": false,
            "zero_output_for_mask": false, "units": \(units), "activation": "\(activation)", "recurrent_activation": "sigmoid",
            "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
            "recurrent_initializer": {"module": "keras.initializers", "class_name": "Orthogonal", "config": {"seed": null, "gain": 1.0}, "registered_name": null},
            "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
            "unit_forget_bias": true, "kernel_regularizer": null, "recurrent_regularizer": null, "bias_regularizer": null,
            "activity_regularizer": null, "kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null,
            "dropout": 0.0, "recurrent_dropout": 0.0, "seed": null\(extraOption)},
           "registered_name": null, "build_config": {"input_shape": [null, 5, 3]}}
         ], "build_input_shape": [null, 5, 3]}, "registered_name": null}
        """
    }

    /// Writes `layers/lstm/cell/vars/{0,1,2}` with the given shapes (and optional extras).
    static func weights(at path: String, shapes: [[Int]], extra: [String] = []) throws {
        let file = try HDF5.File.create(path)
        let root = try file.root
        let vars = try root.createGroup("layers").createGroup("lstm").createGroup("cell").createGroup("vars")
        for (n, shape) in shapes.enumerated() {
            let count = shape.reduce(1, *)
            _ = try vars.write("\(n)", (0..<count).map { Float($0) / Float(count) }, shape: shape)
        }
        for name in extra { _ = try vars.write(name, [Float(1)], shape: [1]) }
        try file.close()
    }

    func load(config: String, shapes: [[Int]] = [[3, 16], [4, 16], [16]], extra: [String] = []) throws -> LoadedModel {
        let dir = try TemporaryDirectory()
        let weights = dir.path("m.weights.h5")
        try Self.weights(at: weights, shapes: shapes, extra: extra)
        let configPath = dir.path("config.json")
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        return try KerasModelLoader.load(path: weights, configPath: configPath)
    }

    func assertImportError(_ body: @autoclosure () throws -> LoadedModel, contains parts: [String],
                           file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            for part in parts {
                XCTAssertTrue(message.contains(part), "«\(message)» lacks «\(part)»", file: file, line: line)
            }
        }
    }

    func testWellFormedWeightsLoad() throws {
        let loaded = try load(config: Self.config())
        XCTAssertEqual(loaded.format, .keras3Weights)
        guard let layer = loaded.model.nodes[1].layer as? RecurrentLayer<Double>, case .lstm(let cell) = layer.cell else {
            return XCTFail("expected an LSTM node")
        }
        XCTAssertEqual(cell.units, 4)
        XCTAssertEqual(cell.inputDim, 3)
        // vars/0 element 5 was written as 5/48
        XCTAssertEqual(cell.kernel[5], Double(Float(5) / Float(48)))
    }

    func testMissingWeightIsNamed() {
        assertImportError(try load(config: Self.config(), shapes: [[3, 16], [4, 16]]),
                          contains: ["layer 'lstm'", "missing weight", "bias"])
    }

    func testExtraWeightIsNamed() {
        assertImportError(try load(config: Self.config(), extra: ["3"]), contains: ["/layers/lstm/cell/vars/3", "unexpected weight"])
    }

    func testMisshapedWeightIsNamed() {
        assertImportError(try load(config: Self.config(), shapes: [[3, 16], [4, 12], [16]]),
                          contains: ["/layers/lstm/cell/vars/1", "(4, 12)", "expected (4, 16)"])
    }

    func testConfigAndWeightsThatDisagreeOnUnits() {
        assertImportError(try load(config: Self.config(units: 5)), contains: ["/layers/lstm/cell/vars/0", "expected (3, 20)"])
    }

    func testUnknownLayerClassIsRefused() {
        assertImportError(try load(config: Self.config(className: "CuDNNLSTM")),
                          contains: ["layer 'lstm'", "layer class 'CuDNNLSTM'", "not supported"])
    }

    func testUnknownActivationIsRefused() {
        assertImportError(try load(config: Self.config(activation: "tanhh")), contains: ["activation 'tanhh'"])
    }

    func testUnknownOptionIsRefused() {
        assertImportError(try load(config: Self.config(extraOption: ", \"peephole\": true")), contains: ["option 'peephole'"])
    }

    func testMixedPrecisionIsRefused() {
        assertImportError(try load(config: Self.config(dtype: "mixed_float16")), contains: ["dtype policy 'mixed_float16'"])
    }

    func testTimeMajorIsRefused() {
        assertImportError(try load(config: Self.config(extraOption: ", \"time_major\": true")), contains: ["time_major=True"])
    }

    func testMalformedConfigNamesThePlace() {
        assertImportError(try load(config: "{\"class_name\": \"Sequential\", \"config\": {\"layers\": 3}}"),
                          contains: ["config.config.layers", "expected a list"])
        assertImportError(try load(config: "{\"class_name\": "), contains: ["not valid JSON"])
    }

    func testWeightsFileWithoutConfigIsExplained() throws {
        let dir = try TemporaryDirectory()
        let weights = dir.path("m.weights.h5")
        try Self.weights(at: weights, shapes: [[3, 16], [4, 16], [16]])
        assertImportError(try KerasModelLoader.load(path: weights), contains: [weights, "--config"])
    }

    func testNonModelFilesAreRefused() throws {
        let dir = try TemporaryDirectory()
        let junk = dir.path("junk.keras")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: junk))
        assertImportError(try KerasModelLoader.load(path: junk), contains: [junk, "not a Keras model file"])
        let empty = dir.path("empty.keras")
        try Data().write(to: URL(fileURLWithPath: empty))
        assertImportError(try KerasModelLoader.load(path: empty), contains: [empty, "empty"])
        assertImportError(try KerasModelLoader.load(path: dir.url.path), contains: ["directory"])
        assertImportError(try KerasModelLoader.load(path: dir.path("absent.keras")), contains: ["no such file"])
        // a truncated archive
        let raw = try RawFixture(path: TestPaths.fixture("lstm_seqF_stateF").path)
        let truncated = dir.path("truncated.keras")
        try Data(raw.modelBytes.prefix(raw.modelBytes.count / 2)).write(to: URL(fileURLWithPath: truncated))
        assertImportError(try KerasModelLoader.load(path: truncated), contains: [truncated])
    }

    func testSnakeCaseKeysMatchKeras() throws {
        // A stack with two LSTMs: the second is stored under layers/lstm_1 (see stack fixture above);
        // SimpleRNN -> simple_rnn, TimeDistributed -> time_distributed are Keras's to_snake_case.
        let raw = try RawFixture(path: TestPaths.fixture("stack_lstm_bidi").path)
        let loaded = try KerasModelLoader.load(bytes: raw.modelBytes, name: "stack.keras")
        XCTAssertEqual(loaded.weightSources["dec"]?.first, "/layers/lstm_1/cell/vars/0")
    }
}
