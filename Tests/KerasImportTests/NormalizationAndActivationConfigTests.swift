import Foundation
import HDF5
import KerasImport
import RNNEngine
import XCTest
import _TestSupport

/// Hostile configs for the normalization and activation layers: real Keras weights+config
/// fixtures (`norm_act_chain_weights`: Keras 3 `.weights.h5` + `model.to_json()`;
/// `k2_norm_act_chain_weights`: tf.keras weights-only `.h5` + its JSON), each loaded with one
/// layer's config changed. Every refusal must be an error that names the layer and the field.
final class NormalizationAndActivationConfigTests: XCTestCase {
    static let keras3 = "norm_act_chain_weights"
    static let keras2 = "k2_norm_act_chain_weights"

    /// Stands for a number JSON cannot write (`NaN`, `Infinity`), put into the text afterwards.
    static let nan = "__NaN__", infinity = "__Infinity__"

    /// The fixture's model file bytes and config text.
    static func source(_ fixture: String) throws -> (bytes: [UInt8], config: String) {
        let path = TestPaths.fixture(fixture).path
        let raw = try RawFixture(path: path)
        let file = try HDF5.File.open(path)
        let config = try XCTUnwrap(try file.root.group("model").dataset("config").readStrings().first)
        return (raw.modelBytes, config)
    }

    /// Loads `fixture` with `edit` applied to the top-level model JSON.
    func load(_ fixture: String, editModel edit: (inout [String: Any]) throws -> Void) throws -> LoadedModel {
        let (bytes, text) = try Self.source(fixture)
        var top = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        try edit(&top)
        var json = String(decoding: try JSONSerialization.data(withJSONObject: top), as: UTF8.self)
        json = json.replacingOccurrences(of: "\"\(Self.nan)\"", with: "NaN").replacingOccurrences(of: "\"\(Self.infinity)\"", with: "Infinity")
        return try KerasModelLoader.load(bytes: bytes, name: "\(fixture).h5", config: (Data(json.utf8), "config.json"))
    }

    /// Loads `fixture` with `edit` applied to the config of the layer named `layer`.
    func load(_ fixture: String, layer: String, _ edit: @escaping (inout [String: Any]) -> Void) throws -> LoadedModel {
        try load(fixture) { top in
            var config = try XCTUnwrap(top["config"] as? [String: Any])
            var layers = try XCTUnwrap(config["layers"] as? [[String: Any]])
            let index = try XCTUnwrap(layers.firstIndex { ($0["config"] as? [String: Any])?["name"] as? String == layer }, "no layer \(layer)")
            var layerConfig = try XCTUnwrap(layers[index]["config"] as? [String: Any])
            edit(&layerConfig)
            layers[index]["config"] = layerConfig
            config["layers"] = layers
            top["config"] = config
        }
    }

    /// Asserts the load fails with a message that names `layer` and contains every part.
    func assertRefused(_ body: @autoclosure () throws -> LoadedModel, layer: String, _ parts: String...,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            for part in ["'\(layer)'"] + parts {
                XCTAssertTrue(message.contains(part), "«\(message)» lacks «\(part)»", file: file, line: line)
            }
        }
    }

    /// `assertRefused` on the layer's config with `key` set to `value` (nil: removed).
    func assertRefused(_ fixture: String, layer: String, _ key: String, _ value: Any?, mentions parts: String...,
                       file: StaticString = #filePath, line: UInt = #line) {
        let body = { try self.load(fixture, layer: layer) { $0[key] = value } }
        XCTAssertThrowsError(try body(), "\(layer).\(key) = \(String(describing: value))", file: file, line: line) { error in
            let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            for part in ["'\(layer)'", key] + parts {
                XCTAssertTrue(message.contains(part), "\(key) = \(String(describing: value)): «\(message)» lacks «\(part)»", file: file, line: line)
            }
        }
    }

    // MARK: The fixtures load as they are

    func testUnchangedFixturesLoad() throws {
        for fixture in [Self.keras3, Self.keras2] {
            let loaded = try load(fixture) { _ in }
            XCTAssertEqual(loaded.format, fixture == Self.keras3 ? .keras3Weights : .legacyWeights)
            XCTAssertEqual(loaded.model.nodes.count, fixture == Self.keras3 ? 10 : 11)
        }
    }

    // MARK: LayerNormalization

    func testLayerNormalizationRefusesHostileOptions() {
        let f = Self.keras3
        for bad: Any in [Self.nan, Self.infinity, -1e-3, 1e300, "small", [1e-3]] {
            assertRefused(f, layer: "ln", "epsilon", bad)
        }
        assertRefused(f, layer: "ln", "epsilon", NSNull(), mentions: "null")
        for bad: Any in [5, -4, 0, [1, 1], [2, -1], "last", 1.5, [Self.nan]] {
            assertRefused(f, layer: "ln", "axis", bad)
        }
        for key in ["center", "scale", "rms_scaling"] {
            assertRefused(f, layer: "ln", key, "yes", mentions: "true or false")
        }
        // Keras 2 has no rms_scaling.
        assertRefused(Self.keras2, layer: "ln", "rms_scaling", false, mentions: "not supported")
    }

    func testLayerNormalizationWeightsOfTheWrongShape() {
        // axis [1, 2] needs gamma (5, 3); the file's is (3,).
        assertRefused(try load(Self.keras3, layer: "ln") { $0["axis"] = [1, 2] }, layer: "ln", "gamma", "(5, 3)")
        // rms_scaling drops beta: the file's beta is then one array too many.
        assertRefused(try load(Self.keras3, layer: "ln") { $0["rms_scaling"] = true }, layer: "ln", "unexpected weight")
    }

    // MARK: BatchNormalization

    func testBatchNormalizationRefusesHostileOptions() {
        let f = Self.keras3
        for bad: Any in [Self.nan, -0.5, "eps", 1e40] {
            assertRefused(f, layer: "bn", "epsilon", bad)
        }
        // Keras 3 takes int(axis): a list is refused; tf.keras takes lists.
        assertRefused(f, layer: "bn", "axis", [2], mentions: "one whole number")
        for bad: Any in [3, 0, -3, "channels"] {
            assertRefused(f, layer: "bn", "axis", bad)
        }
        assertRefused(f, layer: "bn", "renorm", true, mentions: "not supported")
        assertRefused(f, layer: "bn", "center", 1, mentions: "true or false")
        assertRefused(f, layer: "bn", "fused", true, mentions: "not supported")
        assertRefused(Self.keras2, layer: "bn", "virtual_batch_size", 2, mentions: "not supported")
        // axis 1: 5 channels, the file's statistics have 3.
        assertRefused(try load(f, layer: "bn") { $0["axis"] = 1 }, layer: "bn", "gamma", "(5,)")
        // tf.keras with two axes wants (1, 5, 3).
        assertRefused(try load(Self.keras2, layer: "bn") { $0["axis"] = [1, 2] }, layer: "bn", "gamma", "(1, 5, 3)")
    }

    // MARK: Normalization

    func testNormalizationRefusesHostileStatistics() {
        let f = Self.keras3
        let stats: (Any, Any) -> (inout [String: Any]) -> Void = { mean, variance in { $0["mean"] = mean; $0["variance"] = variance } }
        assertRefused(try load(f, layer: "norm", stats([1, 2, 3], [1, -2, 3])), layer: "norm", "variance", "negative")
        assertRefused(try load(f, layer: "norm", stats([1, 2, Self.nan], [1, 2, 3])), layer: "norm", "mean", "finite")
        assertRefused(try load(f, layer: "norm", stats("zero", [1, 2, 3])), layer: "norm", "mean", "a string")
        assertRefused(try load(f, layer: "norm", stats([[1, 2], [3]], [1, 2, 3])), layer: "norm", "mean", "ragged")
        assertRefused(try load(f, layer: "norm", stats([1, 2, 3, 4], [1, 2, 3, 4])), layer: "norm", "mean", "does not broadcast")
        assertRefused(try load(f, layer: "norm", stats([1, 2, 3], [1, 2])), layer: "norm", "variance", "the same")
        assertRefused(try load(f, layer: "norm", stats([[[1, 2, 3]]], [[[1, 2, 3]]])), layer: "norm", "mean", "rank")
        assertRefused(try load(f, layer: "norm", stats([1, 2, 3], NSNull())), layer: "norm", "variance", "not")
        assertRefused(f, layer: "norm", "invert", "no", mentions: "true or false")
        for bad: Any in [3, 0, [1, 1], "time"] {
            assertRefused(f, layer: "norm", "axis", bad)
        }
        // Adapted weights: axis [1, 2] wants mean (5, 3); the file's is (3,).
        assertRefused(try load(f, layer: "norm") { $0["axis"] = [1, 2] }, layer: "norm", "mean", "(5, 3)")
    }

    func testNormalizationStatisticsForAHugeInputAreRefusedWithoutAllocating() {
        // Normalization first, on an input of 100000 x 100000 steps and features, statistics
        // in the config broadcast over both: 10^10 values would be needed.
        assertRefused(try load(Self.keras3) { top in
            var config = try XCTUnwrap(top["config"] as? [String: Any])
            var layers = try XCTUnwrap(config["layers"] as? [[String: Any]])
            layers.removeAll { ["ln", "bn"].contains(($0["config"] as? [String: Any])?["name"] as? String) }
            var input = try XCTUnwrap(layers[0]["config"] as? [String: Any])
            input["batch_shape"] = [NSNull(), 100_000, 100_000]
            layers[0]["config"] = input
            var norm = try XCTUnwrap(layers[1]["config"] as? [String: Any])
            norm["axis"] = [1, 2]
            norm["mean"] = 0.5
            norm["variance"] = 2.0
            layers[1]["config"] = norm
            config["layers"] = layers
            config["build_input_shape"] = [NSNull(), 100_000, 100_000]
            top["config"] = config
        }, layer: "norm", "100000", "statistics")
    }

    // MARK: UnitNormalization

    func testUnitNormalizationRefusesBadAxes() {
        for bad: Any in [3, -3, 0, [2, -1], "features", 2.5] {
            assertRefused(Self.keras3, layer: "unit", "axis", bad)
        }
        assertRefused(Self.keras3, layer: "unit", "epsilon", 1e-12, mentions: "not supported")
    }

    // MARK: ReLU, LeakyReLU, ThresholdedReLU

    func testReLURefusesHostileOptions() {
        let f = Self.keras3
        for key in ["max_value", "negative_slope", "threshold"] {
            for bad: Any in [-1, Self.nan, Self.infinity, 1e39, "high"] {
                assertRefused(f, layer: "relu", key, bad)
            }
        }
        // A None slope or threshold is refused by Keras; a None max_value means no clipping.
        assertRefused(f, layer: "relu", "negative_slope", NSNull(), mentions: "null")
        assertRefused(f, layer: "relu", "threshold", NSNull(), mentions: "null")
        XCTAssertNoThrow(try load(f, layer: "relu") { $0["max_value"] = NSNull() })
    }

    func testLeakyReLURefusesHostileSlopes() {
        // Keras 3: negative_slope (or the deprecated alpha) not negative.
        for key in ["negative_slope", "alpha"] {
            for bad: Any in [-0.1, Self.nan, "steep", 1e300] {
                assertRefused(Self.keras3, layer: "leaky", key, bad)
            }
        }
        // tf.keras: alpha only (negative allowed), and no negative_slope.
        XCTAssertNoThrow(try load(Self.keras2, layer: "leaky") { $0["alpha"] = -0.5 })
        assertRefused(Self.keras2, layer: "leaky", "alpha", Self.infinity)
        assertRefused(Self.keras2, layer: "leaky", "alpha", NSNull(), mentions: "null")
        assertRefused(Self.keras2, layer: "leaky", "negative_slope", 0.2, mentions: "not supported")
    }

    func testThresholdedReLU() {
        for bad: Any in [-1, Self.nan, "theta", 1e39] {
            assertRefused(Self.keras2, layer: "thr", "theta", bad)
        }
        // Keras 3 has no ThresholdedReLU.
        assertRefused(try load(Self.keras3) { top in
            var config = try XCTUnwrap(top["config"] as? [String: Any])
            var layers = try XCTUnwrap(config["layers"] as? [[String: Any]])
            let index = try XCTUnwrap(layers.firstIndex { $0["class_name"] as? String == "ELU" })
            layers[index]["class_name"] = "ThresholdedReLU"
            layers[index]["config"] = ["name": "elu", "theta": 1.0]
            config["layers"] = layers
            top["config"] = config
        }, layer: "elu", "ThresholdedReLU", "Keras 2")
    }

    // MARK: PReLU, ELU

    func testPReLURefusesBadSharedAxesAndAlpha() {
        for bad: Any in [3, 0, -1, [1, 5], "time", 1.5] {
            assertRefused(Self.keras3, layer: "prelu", "shared_axes", bad)
        }
        // No shared axis: alpha (5, 3) wanted, the file's is (1, 3).
        assertRefused(try load(Self.keras3, layer: "prelu") { $0["shared_axes"] = NSNull() }, layer: "prelu", "alpha", "(5, 3)")
    }

    func testELURefusesHostileAlpha() {
        for bad: Any in [Self.nan, Self.infinity, "one", 1e39, [1.0]] {
            assertRefused(Self.keras3, layer: "elu", "alpha", bad)
        }
        XCTAssertNoThrow(try load(Self.keras3, layer: "elu") { $0["alpha"] = -0.5 }, "neither Keras refuses a negative alpha")
    }

    // MARK: Softmax

    func testSoftmaxRefusesBadAxesAndOptions() {
        for bad: Any in [3, -4, 0, [1, 1], [2, -1], "last", 0.5] {
            assertRefused(Self.keras3, layer: "sm", "axis", bad)
        }
        assertRefused(Self.keras3, layer: "sm", "axis", [Any](), mentions: "at least one")
        // robust_masking is tf.keras's.
        assertRefused(Self.keras3, layer: "sm", "robust_masking", true, mentions: "not supported")
        assertRefused(Self.keras2, layer: "sm", "robust_masking", "yes", mentions: "true or false")
    }

    // MARK: What the loaded layers are

    func testLoadedLayersCarryKerasSemantics() throws {
        let k3 = try load(Self.keras3) { _ in }.model
        let k2 = try load(Self.keras2) { _ in }.model
        func layer<L>(_ model: Model<Double>, _ name: String, as _: L.Type) throws -> L {
            try XCTUnwrap(model.nodes.first { $0.name == name }?.layer as? L, name)
        }
        XCTAssertFalse(try layer(k3, "ln", as: LayerNormalizationLayer<Double>.self).fused)
        XCTAssertTrue(try layer(k2, "ln", as: LayerNormalizationLayer<Double>.self).fused, "tf.keras's fused kernel on axis -1, eps 1e-3")
        XCTAssertEqual(try layer(k3, "norm", as: NormalizationLayer<Double>.self).maskRule, .keep)
        XCTAssertEqual(try layer(k2, "norm", as: NormalizationLayer<Double>.self).maskRule, .drop, "tf.keras's Normalization drops masks")
        XCTAssertEqual(try layer(k3, "sm", as: SoftmaxLayer<Double>.self).masking, .whereThenZero)
        XCTAssertEqual(try layer(k2, "sm", as: SoftmaxLayer<Double>.self).masking, .robust)
        let relu = try layer(k3, "relu", as: ReLULayer<Double>.self)
        XCTAssertEqual(relu.cut, Double(Float(0.2)), "Keras 3 compares with a float32 threshold")
        XCTAssertEqual(relu.threshold, 0.2)
        XCTAssertEqual(try layer(k2, "thr", as: ReLULayer<Double>.self).cut, Double(Float(0.05)))
    }
}
