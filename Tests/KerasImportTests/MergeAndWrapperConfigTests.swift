import Foundation
import HDF5
import KerasImport
import RNNEngine
import XCTest
import _TestSupport

/// Hostile and altered configs for Dot, TimeDistributed and models used as layers: real Keras 3
/// weights + config fixtures (`keras3-weights`) whose config JSON is changed before loading.
/// Every refusal must name the layer and what is wrong with it.
final class MergeAndWrapperConfigTests: XCTestCase {
    typealias JSON = [String: Any]

    /// The `.weights.h5` bytes and the parsed config of a `keras3-weights` fixture.
    func parts(_ fixture: String) throws -> (bytes: [UInt8], config: JSON) {
        let file = try HDF5.File.open(TestPaths.fixture(fixture).path)
        let model = try file.root.group("model")
        let bytes = try model.dataset("file").read(as: UInt8.self)
        let text = try XCTUnwrap(try model.dataset("config").readStrings().first)
        let config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? JSON)
        return (bytes, config)
    }

    func load(_ bytes: [UInt8], _ config: JSON) throws -> LoadedModel {
        let data = try JSONSerialization.data(withJSONObject: config)
        return try KerasModelLoader.load(bytes: bytes, name: "model.weights.h5", config: (data, "config.json"))
    }

    /// Changes the entry of the layer `name` (at any depth of nested models) with `change`.
    static func update(_ name: String, in model: inout JSON, _ change: (inout JSON) -> Void) -> Bool {
        guard var config = model["config"] as? JSON, var layers = config["layers"] as? [JSON] else { return false }
        var found = false
        for k in layers.indices {
            let layerName = layers[k]["name"] as? String ?? (layers[k]["config"] as? JSON)?["name"] as? String
            if layerName == name {
                change(&layers[k])
                found = true
            } else if ["Functional", "Sequential"].contains(layers[k]["class_name"] as? String) {
                found = update(name, in: &layers[k], change) || found
            }
        }
        config["layers"] = layers
        model["config"] = config
        return found
    }

    /// Sets `config.<key>` of layer `name`.
    static func setOption(_ key: String, _ value: Any, of name: String, in model: inout JSON) -> Bool {
        update(name, in: &model) { layer in
            var config = layer["config"] as? JSON ?? [:]
            config[key] = value
            layer["config"] = config
        }
    }

    /// A Keras 3 node argument: the tensor `[layer, node, index]`.
    static func tensor(_ layer: String, _ node: Int = 0, _ index: Int = 0) -> JSON {
        ["class_name": "__keras_tensor__", "config": ["shape": [], "dtype": "float32", "keras_history": [layer, node, index]]]
    }

    /// Makes call 0 of layer `name` take `args` instead.
    static func setArguments(_ args: [Any], of name: String, in model: inout JSON) -> Bool {
        update(name, in: &model) { layer in
            var nodes = layer["inbound_nodes"] as? [JSON] ?? []
            nodes[0]["args"] = args
            layer["inbound_nodes"] = nodes
        }
    }

    /// Loading the altered config fails with a message holding every one of `fragments`.
    func assertRefused(_ fixture: String, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                       _ alter: (inout JSON) -> Bool) throws {
        var (bytes, config) = try parts(fixture)
        XCTAssertTrue(alter(&config), "the alteration found nothing to change", file: file, line: line)
        XCTAssertThrowsError(try load(bytes, config), file: file, line: line) { error in
            let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            for fragment in fragments {
                XCTAssertTrue(text.contains(fragment), "'\(fragment)' not in: \(text)", file: file, line: line)
            }
        }
    }

    // MARK: The fixtures load unchanged

    func testUnchangedFixturesLoad() throws {
        for name in ["td_weights", "nested_siamese_weights", "nested_deep_weights"] {
            let (bytes, config) = try parts(name)
            XCTAssertNoThrow(try load(bytes, config), name)
        }
    }

    func testNestedWeightsAreFoundUnderTheModelsKeys() throws {
        let (bytes, config) = try parts("nested_deep_weights")
        let loaded = try load(bytes, config)
        let sources = loaded.weightSources.values.flatMap { $0 }
        // Keras 3: the model 'middle' is layers/functional, 'innermost' inside it functional too,
        // 'mid_seq' its sequential; keys restart inside every model.
        XCTAssertTrue(sources.contains("/layers/functional/layers/functional/layers/dense/vars/0"), "\(sources)")
        XCTAssertTrue(sources.contains("/layers/functional/layers/sequential/layers/gru/cell/vars/2"), "\(sources)")
        XCTAssertTrue(sources.contains("/layers/functional/layers/lstm/cell/vars/1"), "\(sources)")
    }

    // MARK: Dot

    func testDotAxesOutOfRange() throws {
        try assertRefused("td_weights", ["'scores'", "axes (5, 2)", "rank 3"]) { Self.setOption("axes", [5, 2], of: "scores", in: &$0) }
        try assertRefused("td_weights", ["'scores'", "axes (-1, 7)"]) { Self.setOption("axes", [-1, 7], of: "scores", in: &$0) }
    }

    func testDotAxesOverTheBatchAxis() throws {
        try assertRefused("td_weights", ["'scores'", "axes (0, 0)", "batch"]) { Self.setOption("axes", 0, of: "scores", in: &$0) }
        // -3 is axis 0 of a rank-3 input (Python's modulo), the batch again.
        try assertRefused("td_weights", ["'scores'", "batch"]) { Self.setOption("axes", -3, of: "scores", in: &$0) }
    }

    func testDotAxesOfTheWrongType() throws {
        let cases: [(Any, String)] = [
            ("two", "got a string"), ([2, 2, 2], "got [2, 2, 2]"), ([1.5, 2], "got [1.5, 2]"),
            ([[2], [2]], "got [a list, a list]"), ([Int](), "got []"), (NSNull(), "got null"), (1000, "got 1000"),
        ]
        for (value, shown) in cases {
            try assertRefused("td_weights", ["'scores' (Dot): axes must be", shown, "config.layers"]) {
                Self.setOption("axes", value, of: "scores", in: &$0)
            }
        }
    }

    func testDotAxesThatDisagree() throws {
        // axes (1, 2) sums the 4 steps of td with its 4 units: equal extents, so it loads; (2, 1)
        // likewise. Summing 4 units with 5 would be refused: make the second input x-wide.
        var (bytes, config) = try parts("td_weights")
        XCTAssertTrue(Self.setOption("axes", [1, 2], of: "scores", in: &config))
        XCTAssertNoThrow(try load(bytes, config))
        try assertRefused("td_weights", ["'scores'", "Dot sums axis"]) {
            Self.setOption("axes", [3, 2], of: "scores", in: &$0) && Self.setArguments([[Self.tensor("x"), Self.tensor("td")]], of: "scores", in: &$0)
        }
    }

    // MARK: TimeDistributed

    func testTimeDistributedAroundAnUnknownClass() throws {
        try assertRefused("td_weights", ["'td'", "TimeDistributed around layer class 'Conv4D'"]) {
            Self.update("td", in: &$0) { layer in
                var config = layer["config"] as? JSON ?? [:]
                var inner = config["layer"] as? JSON ?? [:]
                inner["class_name"] = "Conv4D"
                config["layer"] = inner
                layer["config"] = config
            }
        }
    }

    func testTimeDistributedWithoutItsLayer() throws {
        try assertRefused("td_weights", ["config.layers", "layer"]) {
            Self.update("td", in: &$0) { layer in
                var config = layer["config"] as? JSON ?? [:]
                config["layer"] = nil
                layer["config"] = config
            }
        }
    }

    func testTimeDistributedOnAOneDimensionalInput() throws {
        try assertRefused("td_weights", ["TimeDistributed 'td' needs a (time, ...) input", "(batch, 4)"]) {
            Self.setOption("batch_shape", [NSNull(), 4], of: "x", in: &$0)
        }
    }

    // MARK: Models used as layers

    func testNestedModelWithACycle() throws {
        // Inside 'encoder': enc_lstm now reads enc_dense, which reads enc_pool, which reads enc_lstm.
        try assertRefused("nested_siamese_weights", ["'enc_lstm'", "model 'encoder'", "cycle"]) {
            Self.setArguments([Self.tensor("enc_dense")], of: "enc_lstm", in: &$0)
        }
    }

    func testNestedModelReferringToAMissingLayer() throws {
        try assertRefused("nested_siamese_weights", ["'enc_gone'", "model 'encoder' does not have", "config.layers"]) {
            Self.setArguments([Self.tensor("enc_gone")], of: "enc_pool", in: &$0)
        }
    }

    func testNestedModelReferringToALayerOfTheOuterModel() throws {
        // 'a' is an input of the outer model: the encoder's graph cannot reach it.
        try assertRefused("nested_siamese_weights", ["'a'", "model 'encoder' does not have"]) {
            Self.setArguments([Self.tensor("a")], of: "enc_lstm", in: &$0)
        }
    }

    func testNestedModelOutputThatDoesNotExist() throws {
        // Keras 3 numbers a functional model's calls from 1 in output_layers: the encoder is
        // called twice, so call 3 does not exist.
        try assertRefused("nested_siamese_weights", ["'encoder' call 3", "model 'model' does not have"]) { model in
            guard var config = model["config"] as? JSON else { return false }
            config["output_layers"] = [["score", 0, 0], ["encoder", 3, 0]]
            model["config"] = config
            return true
        }
    }

    func testNestedModelWithAMissingWeight() throws {
        // The encoder's LSTM is renamed: its weights are still found by key (Keras 3), so it
        // loads; a missing Dense makes the file's dense weights left over.
        try assertRefused("nested_siamese_weights", ["/layers/functional/layers/dense"]) { model in
            Self.update("encoder", in: &model) { encoder in
                var config = encoder["config"] as? JSON ?? [:]
                var layers = config["layers"] as? [JSON] ?? []
                layers.removeAll { $0["name"] as? String == "enc_dense" }
                config["layers"] = layers
                config["output_layers"] = [["enc_pool", 0, 0]]
                encoder["config"] = config
            }
        }
    }
}
