import Foundation
import HDF5
import KerasImport
import RNNEngine
import XCTest
import _TestSupport

/// Hostile configs for ConvLSTM1D/2D/3D, Bidirectional around them, and the 2-D / 3-D spatial,
/// pooling and convolution layers inside TimeDistributed: the configs of real Keras
/// weights-only fixtures (`k3w_convlstm_chain`: Keras 3 `.weights.h5` + `model.to_json()`;
/// `k2w_convlstm_chain`: tf.keras weights-only `.h5` + its JSON) with one option of one layer
/// (or of the layer a wrapper holds) replaced. Each must end in an error that names the layer and
/// the option, before anything the option sizes is allocated.
final class ConvLSTMAndSpatialConfigTests: XCTestCase {
    static let keras3 = "k3w_convlstm_chain"
    static let keras2 = "k2w_convlstm_chain"

    /// Values no size option may take: zero, negative, fractional, huge, of the wrong type.
    static var badSizes: [Any] { [0, -3, 2.5, 1e12, Int(1) << 40, "4", true, NSNull(), [4, 4, 4, 4]] }

    static func source(_ fixture: String) throws -> (bytes: [UInt8], config: [String: Any]) {
        let model = try HDF5.File.open(TestPaths.fixture(fixture).path).root.group("model")
        let text = try XCTUnwrap(try model.dataset("config").readStrings().first)
        let config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        return (try model.dataset("file").read(as: UInt8.self), config)
    }

    /// Loads `fixture` with `changes` applied to the config of layer `layer`, or of the layer it
    /// wraps (`inner`: TimeDistributed's and Bidirectional's `layer`); a nil value removes the key.
    func load(_ fixture: String, layer: String, inner: Bool = false, _ changes: [String: Any?]) throws -> LoadedModel {
        let (bytes, original) = try Self.source(fixture)
        var top = original
        var model = try XCTUnwrap(top["config"] as? [String: Any])
        var layers = try XCTUnwrap(model["layers"] as? [[String: Any]])
        let index = try XCTUnwrap(layers.firstIndex { ($0["config"] as? [String: Any])?["name"] as? String == layer }, "no layer \(layer)")
        var config = try XCTUnwrap(layers[index]["config"] as? [String: Any])
        if inner {
            var wrapped = try XCTUnwrap(config["layer"] as? [String: Any])
            var innerConfig = try XCTUnwrap(wrapped["config"] as? [String: Any])
            for (key, value) in changes { innerConfig[key] = value }
            wrapped["config"] = innerConfig
            config["layer"] = wrapped
        } else {
            for (key, value) in changes { config[key] = value }
        }
        layers[index]["config"] = config
        model["layers"] = layers
        top["config"] = model
        let json = try JSONSerialization.data(withJSONObject: top)
        return try KerasModelLoader.load(bytes: bytes, name: "\(fixture).h5", config: (json, "config.json"))
    }

    /// Loading with `key = value` on `layer` (or the layer it wraps) fails, within 5 s, with an
    /// error naming the layer, `key` and every one of `mentions`.
    /// `named: false` where the error names what is wrong elsewhere (a weight whose shape the
    /// option changes) rather than the option.
    func assertRefused(in fixture: String = keras3, _ layer: String, inner: Bool = false, _ key: String, _ value: Any?,
                       also: [String: Any?] = [:], mentions: [String] = [], named: Bool = true,
                       file: StaticString = #filePath, line: UInt = #line) {
        let start = Date()
        var changes = also
        changes[key] = value
        XCTAssertThrowsError(try load(fixture, layer: layer, inner: inner, changes), "\(layer).\(key) = \(String(describing: value))",
                             file: file, line: line) { error in
            let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            for part in (named ? ["'\(layer)", key] : []) + mentions {
                XCTAssertTrue(text.contains(part), "\(layer).\(key) = \(String(describing: value)): «\(text)» lacks «\(part)»",
                              file: file, line: line)
            }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "\(layer).\(key): refused slowly", file: file, line: line)
    }

    func testUnchangedFixturesLoad() throws {
        for fixture in [Self.keras3, Self.keras2] {
            XCTAssertEqual(try load(fixture, layer: "clstm2d", [:]).model.outputs.map(\.name), ["head/output"], fixture)
        }
    }

    // MARK: ConvLSTM

    func testConvLSTMSizes() {
        for value in Self.badSizes {
            for layer in ["clstm1d", "clstm2d", "clstm3d"] {
                for key in ["filters", "kernel_size", "strides", "dilation_rate"] {
                    assertRefused(layer, key, value)
                }
            }
            assertRefused("bi", inner: true, "filters", value)
            assertRefused("bi", inner: true, "kernel_size", value)
        }
        // Lists of the wrong length.
        assertRefused("clstm2d", "kernel_size", [3, 3, 3])
        assertRefused("clstm3d", "strides", [1, 1])
        assertRefused("clstm1d", "dilation_rate", [1, 1])
    }

    func testConvLSTMKernelLargerThanItsFrames() {
        // clstm1d: valid padding over 8 steps; clstm2d over 6 x 6 frames once padding is valid.
        assertRefused("clstm1d", "kernel_size", [9], mentions: ["more than the frames' 8"])
        assertRefused("clstm1d", "dilation_rate", [4], mentions: ["spans 9 steps"])
        assertRefused("clstm2d", "kernel_size", [7, 3], also: ["padding": "valid"], mentions: ["more than the frames' 6"])
        // 'bi' gets 5 x 5 frames from 'conv2d'.
        assertRefused("bi", inner: true, "kernel_size", [6, 6], mentions: ["more than the frames' 5"])
    }

    func testConvLSTMOptionsKerasCannotRun() {
        assertRefused("clstm2d", "strides", [2, 2], also: ["dilation_rate": [2, 2]], mentions: ["dilation_rate", "which Keras refuses"])
        for padding: Any in ["causal", "full", 1, ["same"]] {
            assertRefused("clstm2d", "padding", padding, mentions: ["\"valid\" or \"same\""])
        }
        assertRefused("clstm2d", "data_format", "channels_first", mentions: ["TensorFlow cannot run it on the CPU"])
        assertRefused("clstm3d", "data_format", "channels_middle")
        assertRefused("clstm2d", "activation", "swishy")
        assertRefused("clstm2d", "recurrent_activation", "softmax")
        for key in ["return_sequences", "return_state", "go_backwards", "use_bias", "unroll", "zero_output_for_mask"] {
            assertRefused("clstm1d", key, "yes")
        }
        assertRefused("clstm2d", "time_major", true)
        assertRefused("clstm2d", "peephole", true)
        // tf.keras's ConvRNN refuses unroll=True when it is built.
        assertRefused(in: Self.keras2, "clstm2d", "unroll", true, mentions: ["tf.keras cannot build it"])
        assertRefused("bi", "merge_mode", "max")
        assertRefused("bi", inner: true, "go_backwards", "no")
    }

    func testConvLSTMWeightsDisagreeingWithTheConfig() {
        // 3 filters: the kernel (3, 3, 2, 8) on file is not (3, 3, 2, 12); a kernel_size of 2 is not 3.
        // The error names the layer and the weight the option sizes.
        assertRefused("clstm2d", "filters", 3, mentions: ["'clstm2d'", "(kernel)", "expected (3, 3, 2, 12)"], named: false)
        assertRefused("clstm3d", "kernel_size", [2, 2, 3], mentions: ["'clstm3d'", "(kernel)", "expected (2, 2, 3, 1, 8)"], named: false)
        // Without a bias, the bias on file belongs to no layer: the error names it by its path.
        assertRefused("clstm1d", "use_bias", false, mentions: ["unexpected weight /layers/conv_lstm1d/cell/vars/2"], named: false)
    }

    // MARK: 2-D and 3-D layers inside TimeDistributed

    func testPaddingAndCroppingSizes() {
        // Out of range: the error gives the range.
        for value: Any in [-1, [1, -2], 1e9] {
            assertRefused("pad2d", inner: true, "padding", value, mentions: ["0 to 16777216"])
            assertRefused("pad3d", inner: true, "padding", value, mentions: ["0 to 16777216"])
            assertRefused("crop2d", inner: true, "cropping", value, mentions: ["0 to 16777216"])
            assertRefused("crop3d", inner: true, "cropping", value, mentions: ["0 to 16777216"])
        }
        // Of the wrong type or length.
        for value: Any in [0.5, "2", true, [[1, 2, 3], [1, 1]]] {
            for (layer, key) in [("pad2d", "padding"), ("pad3d", "padding"), ("crop2d", "cropping"), ("crop3d", "cropping")] {
                assertRefused(layer, inner: true, key, value)
            }
        }
        assertRefused("pad2d", inner: true, "padding", [1, 2, 3])
        assertRefused("crop2d", inner: true, "cropping", [1, 2, 3])
        assertRefused("pad3d", inner: true, "padding", [1, 2, 3, 4])
        // crop2d gets 8 x 8 frames, crop3d 6 x 6 x 6: cropping all of an axis leaves nothing.
        assertRefused("crop2d", inner: true, "cropping", [[4, 4], [0, 0]], mentions: ["not smaller than the extent 8"])
        assertRefused("crop3d", inner: true, "cropping", [0, 0, 3], mentions: ["not smaller than the extent 6"])
    }

    func testUpSamplingSizesAndInterpolations() {
        for value: Any in [0, -2, 1e12, 2.5, "2", [2, 2, 2], [2, 0], NSNull(), false] {
            assertRefused("up2d", inner: true, "size", value, mentions: ["1 to 16777216"])
        }
        for value: Any in [0, [1, 2], [1, -2, 1], 1e12] {
            assertRefused("up3d", inner: true, "size", value, mentions: ["1 to 16777216"])
        }
        for how in ["bicubic", "lanczos3", "lanczos5", "area", "gaussian"] {
            assertRefused("up2d", inner: true, "interpolation", how, mentions: ["'\(how)'"])
        }
        assertRefused("up2d", inner: true, "interpolation", 1)
        assertRefused("up3d", inner: true, "interpolation", "bilinear")
    }

    func testPoolingAndConvolution2D3D() {
        for value: Any in [0, [-2, 2], 2.5, 1e12, "2", [2, 2, 2, 2]] {
            assertRefused("pool2d", inner: true, "pool_size", value)
            assertRefused("pool3d", inner: true, "pool_size", value)
            assertRefused("pool3d", inner: true, "strides", value)
        }
        // pool3d gets (5, 10, 4) frames, conv2d 7 x 7, conv3d (2, 5, 2).
        assertRefused("pool3d", inner: true, "pool_size", [6, 2, 2])
        assertRefused("conv2d", inner: true, "kernel_size", [8, 8], mentions: ["more than the input's 7"])
        assertRefused("conv3d", inner: true, "kernel_size", [3, 2, 2], mentions: ["more than the input's 2"])
        for value in Self.badSizes {
            assertRefused("conv2d", inner: true, "filters", value)
            assertRefused("conv3d", inner: true, "groups", value)
        }
        assertRefused("conv3d", inner: true, "groups", 3, mentions: ["must divide"])
    }

    /// Sizes each within its limit whose product is too large to run: the model loads (up2d's
    /// output only reaches pooling, convolutions and a global pooling, so no weight changes
    /// shape), and a run is refused before the output is allocated.
    func testHugeUpSamplingIsRefusedBeforeAllocating() throws {
        let loaded = try load(Self.keras3, layer: "up2d", inner: true, ["size": [1 << 12, 1 << 12]])
        let inputs = [Tensor<Double>(shape: [1, 3, 6, 6, 2], repeating: 0.5), Tensor<Double>(shape: [1, 3, 8, 2], repeating: 0.5),
                      Tensor<Double>(shape: [1, 2, 4, 4, 4, 1], repeating: 0.5)]
        XCTAssertThrowsError(try loaded.model.predict(inputs)) { error in
            let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            XCTAssertTrue(text.contains("up2d") && text.contains("limit"), text)
        }
    }
}
