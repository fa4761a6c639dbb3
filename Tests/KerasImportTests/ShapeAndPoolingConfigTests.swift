import Foundation
import HDF5
import KerasImport
import RNNEngine
import XCTest
import _TestSupport

/// Hostile configs for the shape and pooling layers: sizes that are zero, negative, fractional,
/// huge or of the wrong type, shapes that do not fit, axes out of range. Each must end in an
/// `ImportError` that names the layer and the option, before anything large is allocated.
///
/// The configs are those of two real Keras 3 weights-only fixtures (`shape_layers_weights`,
/// `pooling_layers_weights`: the weights file in `/model/file`, `model.to_json()` in
/// `/model/config`), with one layer's option changed.
final class ShapeAndPoolingConfigTests: XCTestCase {
    /// A `keras3-weights` fixture's weights file and its config as a JSON object.
    struct WeightsFixture {
        let name: String
        let weights: [UInt8]
        let config: [String: Any]

        init(_ name: String) throws {
            self.name = name
            let model = try HDF5.File.open(TestPaths.fixture(name).path).root.group("model")
            weights = try model.dataset("file").read(as: UInt8.self)
            let text = try XCTUnwrap(try model.dataset("config").readStrings().first)
            config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        }

        /// Loads the model with `options` of layer `layer` replaced (`NSNull()` for null, nil to
        /// remove the option).
        func load(layer: String, _ options: [String: Any?]) throws -> LoadedModel {
            var top = config
            var model = try XCTUnwrap(top["config"] as? [String: Any])
            var layers = try XCTUnwrap(model["layers"] as? [[String: Any]])
            let index = try XCTUnwrap(layers.firstIndex { ($0["config"] as? [String: Any])?["name"] as? String == layer },
                                      "\(name) has no layer '\(layer)'")
            var layerConfig = try XCTUnwrap(layers[index]["config"] as? [String: Any])
            for (key, value) in options { layerConfig[key] = value }
            layers[index]["config"] = layerConfig
            model["layers"] = layers
            top["config"] = model
            let json = try JSONSerialization.data(withJSONObject: top)
            return try KerasModelLoader.load(bytes: weights, name: "\(name).weights.h5", config: (json, "\(name).json"))
        }
    }

    func shapeFixture() throws -> WeightsFixture { try WeightsFixture("shape_layers_weights") }
    func poolingFixture() throws -> WeightsFixture { try WeightsFixture("pooling_layers_weights") }

    /// Asserts that loading with `options` of `layer` changed fails with an `ImportError` whose
    /// text names the layer, the option (`key`, the first of `options` unless given, as a word)
    /// and `mentions`.
    func assertRefused(
        _ fixture: WeightsFixture, layer: String, _ options: [String: Any?], key: String? = nil,
        mentions: [String] = [], file: StaticString = #filePath, line: UInt = #line
    ) {
        let key = key ?? options.keys.sorted()[0]
        do {
            _ = try fixture.load(layer: layer, options)
            XCTFail("\(layer).\(options) was accepted", file: file, line: line)
        } catch let error as ImportError {
            let text = error.errorDescription ?? ""
            for word in ["layer '\(layer)'", " \(key) "] + mentions {
                XCTAssertTrue(text.contains(word), "\(layer).\(options): '\(word)' not in: \(text)", file: file, line: line)
            }
        } catch {
            XCTFail("\(layer).\(options): not an ImportError: \(error)", file: file, line: line)
        }
    }

    func testUnchangedConfigsLoad() throws {
        XCTAssertEqual(try shapeFixture().load(layer: "repeat", [:]).model.outputs.map(\.name), ["head/output"])
        XCTAssertEqual(try poolingFixture().load(layer: "max1d", [:]).model.outputs.count, 3)
    }

    // MARK: Shape layers

    func testRepeatVector() throws {
        let shape = try shapeFixture()
        for n: Any? in [0, -1, 2.5, 1e12, 1e20, "3", true, [3], NSNull(), nil] {
            assertRefused(shape, layer: "repeat", ["n": n], mentions: ["1 to 16777216"])
        }
    }

    func testReshape() throws {
        let shape = try shapeFixture()
        // 36 elements per row.
        assertRefused(shape, layer: "reshape", ["target_shape": [5, -1]], mentions: ["36 elements"])
        assertRefused(shape, layer: "reshape", ["target_shape": [7, 5]], mentions: ["36 elements"])
        for target: Any in [[0, 36], [-2, 6], [-1, -1], [2.5, 6], [1e12, 6], "6,6", 36, [[6], [6]]] {
            assertRefused(shape, layer: "reshape", ["target_shape": target], mentions: ["at most one -1"])
        }
        // Each size within the limit, the product past Int.max: refused, not trapped.
        assertRefused(shape, layer: "reshape", ["target_shape": [1 << 24, 1 << 24, 1 << 24, 1 << 24]],
                      mentions: ["too many elements"])
    }

    func testPermute() throws {
        let shape = try shapeFixture()
        for dims: Any in [[1, 3], [2, 2], [0, 1], [-1, 1], [], [1.5, 2], "21", 2] {
            assertRefused(shape, layer: "perm", ["dims": dims], mentions: ["permutation"])
        }
        // A permutation, of the wrong rank for the (12, 3) input.
        assertRefused(shape, layer: "perm", ["dims": [1, 2, 3]], mentions: ["rank 4"])
    }

    func testZeroPadding1D() throws {
        let shape = try shapeFixture()
        for padding: Any in [-1, [1, -2], 1e9, [1, 2, 3], 0.5, "2", NSNull()] {
            assertRefused(shape, layer: "pad", ["padding": padding], mentions: ["0 to 16777216"])
        }
        for format: Any in ["channels_middle", 3] {
            assertRefused(shape, layer: "pad", ["data_format": format], mentions: ["channels_first"])
        }
    }

    func testCropping1D() throws {
        let shape = try shapeFixture()
        for cropping: Any in [-1, [1, -2], 1e9, [1.5, 0], [1, 2, 3], "1"] {
            assertRefused(shape, layer: "crop", ["cropping": cropping], mentions: ["0 to 16777216"])
        }
        // The input has 6 steps: cropping 6 or more leaves nothing.
        for cropping: Any in [[6, 0], [3, 3], 3, [0, 7]] {
            assertRefused(shape, layer: "crop", ["cropping": cropping], mentions: ["6 steps"])
        }
    }

    func testUpSampling1D() throws {
        let shape = try shapeFixture()
        for size: Any in [0, -2, 1e9, 2.5, "2", [2], NSNull()] {
            assertRefused(shape, layer: "up", ["size": size], mentions: ["1 to 16777216"])
        }
    }

    func testFlatten() throws {
        let shape = try shapeFixture()
        for format: Any in ["channels_middle", 1, true] {
            assertRefused(shape, layer: "flat", ["data_format": format], mentions: ["channels_last"])
        }
    }

    /// Sizes within the limits whose product is too large to run: the model loads, and running
    /// it is refused before the output is allocated.
    func testHugeOutputIsRefusedBeforeAllocating() throws {
        // (6 steps x 2^24) x 3 features per row: 2 x 3 x 2^24 x 6 doubles = 4.8 GB > 1 GiB.
        let loaded = try shapeFixture().load(layer: "up", ["size": 1 << 24])
        XCTAssertThrowsError(try loaded.model.predict([Tensor<Double>(shape: [2, 6, 3], repeating: 0)])) { error in
            let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            XCTAssertTrue(text.contains("layer 'up'") && text.contains("limit"), text)
        }
    }

    /// Shapes far past what a config can ask for directly (chains of layers can): every size
    /// computation is refused with a sentence instead of trapping on overflow.
    func testShapeArithmeticNeverTraps() {
        let big = 1 << 31
        let cases: [(any Layer<Double>, SymbolicShape)] = [
            (FlattenLayer<Double>(), [big, big, big]),
            (ReshapeLayer<Double>(targetShape: [-1, 2]), [big, big, big]),
            (ReshapeLayer<Double>(targetShape: [1 << 24, 1 << 24, 1 << 24, 1 << 24]), [4]),
            (StepsLayer<Double>(.repeatEach(1 << 24)), [Int.max / 2, 3]),
            (StepsLayer<Double>(.pad(before: 1 << 24, after: 1 << 24)), [Int.max - 1, 3]),
        ]
        for (layer, input) in cases {
            XCTAssertThrowsError(try layer.outputShapes(for: [input]), "\(layer.summary) on \(input)") { error in
                XCTAssertTrue("\(error)".contains("count"), "\(error)")
            }
        }
        // A same-padded window over nearly Int.max steps: ceil(n / stride) without n + stride - 1.
        let pool = PoolingLayer<Double>(mode: .max, poolSize: [1 << 24], strides: [1 << 24], padding: .same)
        XCTAssertEqual(try pool.outputShapes(for: [[Int.max - 1, 3]]), [[Int.max / (1 << 24) + 1, 3]])
    }

    // MARK: Pooling layers

    func testPoolingSizes() throws {
        let pooling = try poolingFixture()
        for pool: Any in [0, [-2], [2.5], [1e12], "2", [2, 2], NSNull()] {
            assertRefused(pooling, layer: "max1d", ["pool_size": pool], mentions: ["1 to 16777216"])
        }
        for strides: Any in [[0], [-1], [1.5], [1e12], "2", [[1]]] {
            assertRefused(pooling, layer: "max1d", ["strides": strides], mentions: ["1 to 16777216"])
        }
        for pool: Any in [[2, 0], [2, 2, 2], [[2], [2]], [1e9, 1e9]] {
            assertRefused(pooling, layer: "max2d", ["pool_size": pool], mentions: ["one or 2 whole numbers"])
        }
        assertRefused(pooling, layer: "avg2d", ["strides": [1, -1]], mentions: ["one or 2 whole numbers"])
    }

    func testPoolLargerThanInput() throws {
        let pooling = try poolingFixture()
        // 8 steps (max1d), then 4 (avg1d); 4 x 4 (max2d).
        assertRefused(pooling, layer: "max1d", ["pool_size": [9]], mentions: ["(batch, 8, 3)", "'valid'"])
        assertRefused(pooling, layer: "avg1d", ["pool_size": [5], "padding": "valid"], key: "pool_size",
                      mentions: ["(batch, 4, 3)"])
        assertRefused(pooling, layer: "max2d", ["pool_size": [5, 5]], mentions: ["(batch, 4, 4, 2)"])
    }

    func testPoolingPaddingAndFormat() throws {
        let pooling = try poolingFixture()
        for padding: Any in ["causal", "full", 1, ["same"]] {
            assertRefused(pooling, layer: "max1d", ["padding": padding], mentions: ["\"valid\" or \"same\""])
        }
        assertRefused(pooling, layer: "max1d", ["data_format": "nwc"], mentions: ["channels_first"])
        assertRefused(pooling, layer: "gap1d", ["data_format": "channels_middle"], mentions: ["channels_first"])
    }

    func testGlobalPoolingKeepdims() throws {
        let pooling = try poolingFixture()
        for (layer, value) in [("gap1d", "yes"), ("gap1d", 1), ("gmp1d", "no"), ("gap2d", "true"), ("gmp2d", [true])] as [(String, Any)] {
            assertRefused(pooling, layer: layer, ["keepdims": value], mentions: ["true or false"])
        }
    }
}
