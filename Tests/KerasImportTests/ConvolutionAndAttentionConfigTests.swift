import Foundation
import HDF5
import KerasImport
import XCTest
import _TestSupport

/// Hostile configs for the convolution and attention layers: real Keras weights-only fixtures
/// (`/model/file` the .weights.h5 bytes, `/model/config` the config JSON) with one option of one
/// layer replaced. Each must fail with an error naming the layer and the field, before anything
/// the option sizes is allocated.
final class ConvolutionAndAttentionConfigTests: XCTestCase {
    struct Fixture {
        var weights: [UInt8]
        var config: [String: Any]

        init(_ name: String) throws {
            let file = try HDF5.File.open(TestPaths.fixture(name).path)
            let model = try file.root.group("model")
            weights = try model.dataset("file").read(as: UInt8.self)
            let text = try XCTUnwrap(try model.dataset("config").readStrings().first)
            config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        }

        /// The config with options of layer `layer` set (a nil value removes the key).
        func replacing(_ layer: String, _ changes: [(key: String, value: Any?)]) throws -> Data {
            var top = config
            var inner = try XCTUnwrap(top["config"] as? [String: Any])
            var layers = try XCTUnwrap(inner["layers"] as? [[String: Any]])
            let index = try XCTUnwrap(layers.firstIndex { ($0["config"] as? [String: Any])?["name"] as? String == layer },
                                      "no layer \(layer)")
            var layerConfig = try XCTUnwrap(layers[index]["config"] as? [String: Any])
            for (key, value) in changes { layerConfig[key] = value }
            layers[index]["config"] = layerConfig
            inner["layers"] = layers
            top["config"] = inner
            return try JSONSerialization.data(withJSONObject: top)
        }
    }

    func load(_ fixture: Fixture, config: Data) throws -> LoadedModel {
        try KerasModelLoader.load(bytes: fixture.weights, name: "model.weights.h5", config: (config, "config.json"))
    }

    /// Loading with `layer.key = value` fails, quickly, with an error naming the layer and `mentions`.
    func assertRefused(_ fixture: Fixture, _ layer: String, _ key: String, _ value: Any?, mentions: [String]? = nil,
                       also: [(key: String, value: Any?)] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let data = try fixture.replacing(layer, [(key, value)] + also)
        let start = Date()
        XCTAssertThrowsError(try load(fixture, config: data), "\(layer).\(key) = \(String(describing: value))",
                             file: file, line: line) { error in
            let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            for part in ["'\(layer)'"] + (mentions ?? [key]) {
                XCTAssertTrue(text.contains(part), "\(layer).\(key) = \(String(describing: value)): '\(text)' does not mention \(part)",
                              file: file, line: line)
            }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "\(layer).\(key): refused slowly", file: file, line: line)
    }

    /// Values no size field may take: zero, negative, fractional, huge, and of the wrong type.
    static var badSizes: [Any] { [0, -3, 2.5, 1e12, Int(1) << 40, "4", true, NSNull(), [4, 4, 4, 4]] }

    func testUnmodifiedFixturesLoad() throws {
        for name in ["k3w_conv_chain", "k3w_attention_mix"] {
            let fixture = try Fixture(name)
            XCTAssertNoThrow(try load(fixture, config: try JSONSerialization.data(withJSONObject: fixture.config)), name)
        }
    }

    func testConvolutionSizes() throws {
        let chain = try Fixture("k3w_conv_chain")
        for value in Self.badSizes {
            for (layer, key) in [("conv", "filters"), ("conv", "kernel_size"), ("conv", "strides"), ("conv", "dilation_rate"),
                                 ("conv", "groups"), ("sep", "filters"), ("sep", "kernel_size"), ("sep", "depth_multiplier"),
                                 ("sep", "strides"), ("dw", "kernel_size"), ("dw", "depth_multiplier"), ("dw", "dilation_rate"),
                                 ("tr", "filters"), ("tr", "kernel_size"), ("tr", "strides"), ("tr", "output_padding")] {
                // None is output_padding's default, and 0 (smaller than the strides) is fine.
                if key == "output_padding", value is NSNull || (value as? Int) == 0 { continue }
                try assertRefused(chain, layer, key, value)
            }
        }
    }

    func testConvolutionGeometryKerasCannotRun() throws {
        let chain = try Fixture("k3w_conv_chain")
        // 'sep' (valid padding) gets 8 steps: a kernel of 9 (or 2 taps dilated by 8, spanning 9)
        // is larger.
        try assertRefused(chain, "sep", "kernel_size", [9])
        try assertRefused(chain, "sep", "dilation_rate", [8], mentions: ["kernel_size", "dilation_rate"])
        // 3 input channels, 4 filters: groups 2 divides neither; groups 3 does not divide the filters.
        try assertRefused(chain, "conv", "groups", 2)
        try assertRefused(chain, "conv", "groups", 3)
        try assertRefused(chain, "sep", "groups", 2)
        try assertRefused(chain, "conv", "padding", "causally")
        try assertRefused(chain, "dw", "padding", "causal")
        // Keras refuses strides > 1 together with dilation_rate > 1 in a convolution.
        try assertRefused(chain, "conv", "strides", [2], mentions: ["strides", "dilation_rate"],
                          also: [("dilation_rate", [2])])
        // output_padding must be smaller than the strides (2).
        try assertRefused(chain, "tr", "output_padding", [2])
        try assertRefused(chain, "tr", "output_padding", [5])
        try assertRefused(chain, "tr", "dilation_rate", [2])
        try assertRefused(chain, "conv", "activation", "swishy")
    }

    func testChannelsFirstIsRefusedByName() throws {
        let chain = try Fixture("k3w_conv_chain")
        for layer in ["conv", "sep", "dw", "tr"] {
            try assertRefused(chain, layer, "data_format", "channels_first",
                              mentions: ["channels_first", "TensorFlow cannot run it on the CPU"])
        }
        try assertRefused(chain, "conv", "data_format", "channels_middle")
    }

    func testAttentionSizes() throws {
        let mix = try Fixture("k3w_attention_mix")
        for value in Self.badSizes {
            for (layer, key) in [("mha", "num_heads"), ("mha", "key_dim"), ("mha", "value_dim"), ("mha", "output_shape"),
                                 ("mha", "sliding_window"), ("gqa", "num_query_heads"), ("gqa", "num_key_value_heads"),
                                 ("gqa", "head_dim"), ("gqa", "sliding_window")] {
                // None is the default of value_dim, output_shape and sliding_window; a list is an
                // output_shape Keras accepts.
                if value is NSNull, ["value_dim", "output_shape", "sliding_window"].contains(key) { continue }
                if key == "output_shape", value is [Int] { continue }
                try assertRefused(mix, layer, key, value)
            }
        }
        for shape: Any in [[0], [2, -1], [1 << 20], ["2"], [2.5]] {
            try assertRefused(mix, "mha", "output_shape", shape)
        }
    }

    func testAttentionOptionsKerasCannotRun() throws {
        let mix = try Fixture("k3w_attention_mix")
        // 4 query heads over 3 key/value heads.
        try assertRefused(mix, "gqa", "num_key_value_heads", 3)
        // The inputs are (batch, 6, 4): axes 1 only; 2 is the feature axis, -3 the batch.
        try assertRefused(mix, "mha", "attention_axes", [2])
        try assertRefused(mix, "mha", "attention_axes", [-3])
        try assertRefused(mix, "mha", "attention_axes", [1e9])
        try assertRefused(mix, "mha", "attention_axes", "1")
        try assertRefused(mix, "mha", "flash_attention", true)
        try assertRefused(mix, "mha", "dropout", "0.5")
        try assertRefused(mix, "att", "score_mode", "cosine")
        try assertRefused(mix, "att", "use_scale", "yes")
        try assertRefused(mix, "att", "causal", true)
        try assertRefused(mix, "add_att", "use_scale", 1)
        try assertRefused(mix, "add_att", "dropout", [0.5])
    }
}
