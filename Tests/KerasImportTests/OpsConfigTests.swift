import Conformance
import Foundation
import KerasImport
import XCTest
import _TestSupport

/// Hostile configs for ops: the fixtures `ops_config` (Keras 3 `.weights.h5` + config JSON) and
/// `k2_ops_config` (tf.keras weights `.h5` + model JSON) hold an LSTM and eight ops written by
/// real Keras; each test changes one thing in the JSON text and expects the load to fail with
/// a sentence that names the layer and the option or argument.
final class OpsConfigTests: XCTestCase {
    static func fixture(_ name: String) throws -> Fixture { try Fixture.read(path: TestPaths.fixture(name).path) }

    func load(_ name: String, config text: String) throws -> LoadedModel {
        let fixture = try Self.fixture(name)
        return try KerasModelLoader.load(bytes: fixture.modelBytes, name: fixture.modelFilename,
                                         config: (Data(text.utf8), "config.json"))
    }

    /// Loads fixture `name` with `old` (which must occur exactly once in its config) replaced by
    /// `new`, and expects an error whose sentence contains every one of `parts`.
    func assertRefused(_ name: String, _ old: String, _ new: String, mentions parts: [String],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let config = try XCTUnwrap(try Self.fixture(name).modelConfig, file: file, line: line)
        XCTAssertEqual(config.components(separatedBy: old).count, 2, "«\(old)» must occur once", file: file, line: line)
        XCTAssertThrowsError(try load(name, config: config.replacingOccurrences(of: old, with: new)), file: file, line: line) { error in
            let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            for part in parts {
                XCTAssertTrue(message.contains(part), "«\(message)» lacks «\(part)»", file: file, line: line)
            }
        }
    }

    func testUnchangedConfigsLoadAndMatchKeras() throws {
        for name in ["ops_config", "k2_ops_config"] {
            let fixture = try Self.fixture(name)
            let loaded = try load(name, config: try XCTUnwrap(fixture.modelConfig))
            let result = try Runner.compare(model: loaded.model, reference: fixture.reference, tolerance: .default,
                                            name: name, file: fixture.path)
            XCTAssertEqual(result.outputs.count, 8)
            XCTAssertTrue(result.passed, "\(name): \(result.outputs.filter { !$0.passed }.map(\.name))")
        }
    }

    // MARK: Keras 3 op nodes

    func testAxisOutOfRange() throws {
        try assertRefused("ops_config", #""name": "mean", "axis": 1"#, #""name": "mean", "axis": 5"#,
                          mentions: ["layer 'mean' (Mean)", "option 'axis'", "axis [5]"])
        try assertRefused("ops_config", #""name": "expand_dims", "axis": 1"#, #""name": "expand_dims", "axis": 7"#,
                          mentions: ["layer 'expand_dims' (ExpandDims)", "option 'axis'", "axis 7"])
        try assertRefused("ops_config", #""name": "expand_dims", "axis": 1"#, #""name": "expand_dims", "axis": -4"#,
                          mentions: ["layer 'expand_dims' (ExpandDims)", "option 'axis'", "before the batch axis"])
        try assertRefused("ops_config", #""name": "softmax", "axis": 1"#, #""name": "softmax", "axis": -4"#,
                          mentions: ["layer 'softmax' (Softmax)", "option 'axis'", "axis -4"])
        try assertRefused("ops_config", #""name": "concatenate", "axis": -1"#, #""name": "concatenate", "axis": 3"#,
                          mentions: ["layer 'concatenate' (Concatenate)", "option 'axis'", "axis 3"])
        try assertRefused("ops_config", #""name": "squeeze", "axis": 1"#, #""name": "squeeze", "axis": 9"#,
                          mentions: ["layer 'squeeze' (Squeeze)", "option 'axis'", "axis [9]"])
    }

    func testSqueezeOfAnAxisThatIsNotOne() throws {
        try assertRefused("ops_config", #""name": "squeeze", "axis": 1"#, #""name": "squeeze", "axis": 2"#,
                          mentions: ["layer 'squeeze' (Squeeze)", "option 'axis'", "squeeze axis 2 of (batch, 1, 5, 4) is not of extent 1"])
    }

    func testReshapeThatDoesNotDivide() throws {
        // h is (batch, 5, 4): 20 elements per batch row, which [-1, 7] cannot hold.
        try assertRefused("ops_config", #""newshape": [-1, 20]"#, #""newshape": [-1, 7]"#,
                          mentions: ["layer 'reshape' (Reshape)", "option 'newshape'", "[-1, 7]", "20 elements"])
        // [-1, 10] divides 2 * 20 but would make the batch axis twice as long.
        try assertRefused("ops_config", #""newshape": [-1, 20]"#, #""newshape": [-1, 10]"#,
                          mentions: ["layer 'reshape' (Reshape)", "option 'newshape'", "20 elements"])
        try assertRefused("ops_config", #""newshape": [-1, 20]"#, #""newshape": [2, -1]"#,
                          mentions: ["layer 'reshape' (Reshape)", "option 'newshape'", "does not keep the batch axis"])
        // sizes whose product overflows are refused, not trapped on
        try assertRefused("ops_config", #""newshape": [-1, 20]"#, #""newshape": [-1, 999999999999999, 999999999999999]"#,
                          mentions: ["layer 'reshape' (Reshape)", "option 'newshape'", "too large"])
    }

    func testTransposeAxesThatAreNotAPermutation() throws {
        try assertRefused("ops_config", #""name": "transpose", "axes": [0, 2, 1]"#, #""name": "transpose", "axes": [0, 2, 2]"#,
                          mentions: ["layer 'transpose' (Transpose)", "option 'axes'", "not a permutation"])
    }

    func testSliceStepOfZero() throws {
        try assertRefused("ops_config", #""start": 1, "stop": 4, "step": 2}}, 0]"#, #""start": 1, "stop": 4, "step": 0}}, 0]"#,
                          mentions: ["layer 'get_item' (GetItem)", "argument 'key'", "step cannot be zero"])
    }

    func testIndexOutOfRange() throws {
        // h[:, 1:4:2, 0] -> h[:, 1:4:2, 9]; axis 2 has 4 elements
        try assertRefused("ops_config", #""start": 1, "stop": 4, "step": 2}}, 0]"#, #""start": 1, "stop": 4, "step": 2}}, 9]"#,
                          mentions: ["layer 'get_item' (GetItem)", "argument 'key'", "index 9 is out of range for axis 2 of size 4"])
    }

    func testWronglyTypedOptions() throws {
        try assertRefused("ops_config", #""name": "mean", "axis": 1"#, #""name": "mean", "axis": "1""#,
                          mentions: ["layer 'mean' (Mean)", ".config.axis", "expected a number, found a string"])
        try assertRefused("ops_config", #""axis": 1, "keepdims": false"#, #""axis": 1, "keepdims": "no""#,
                          mentions: ["layer 'mean' (Mean)", ".config.keepdims", "found a string"])
        try assertRefused("ops_config", #""x_min": -0.25"#, #""x_min": [-0.25]"#,
                          mentions: ["layer 'clip' (Clip)", ".config.x_min", "expected a number, found a list"])
        try assertRefused("ops_config", #""name": "expand_dims", "axis": 1"#, #""name": "expand_dims", "axis": 1.5"#,
                          mentions: ["layer 'expand_dims' (ExpandDims)", ".config.axis", "expected a whole number, found 1.5"])
        try assertRefused("ops_config", #""step": 2}}, 0]"#, #""step": 2}}, "0"]"#,
                          mentions: ["layer 'get_item'", "index item a string"])
    }

    func testUnknownOptionAndUnknownOp() throws {
        try assertRefused("ops_config", #""name": "mean", "axis": 1"#, #""name": "mean", "where": true, "axis": 1"#,
                          mentions: ["layer 'mean'", "'where'"])
        try assertRefused("ops_config", #""class_name": "Mean""#, #""class_name": "Cumsum""#,
                          mentions: ["layer 'mean'", "op 'Cumsum'", "not supported by rnncheck"])
    }

    // MARK: tf.keras op layers

    func testTFKerasArgumentsOutOfRange() throws {
        try assertRefused("k2_ops_config", #""name": "tf.math.reduce_mean", "inbound_nodes": [["rnn", 0, 0, {"axis": 1}]]"#,
                          #""name": "tf.math.reduce_mean", "inbound_nodes": [["rnn", 0, 0, {"axis": -5}]]"#,
                          mentions: ["layer 'tf.math.reduce_mean' (TFOpLambda)", "argument 'axis'", "axis [-5]"])
        try assertRefused("k2_ops_config", #"{"shape": [-1, 20]}"#, #"{"shape": [-1, 6]}"#,
                          mentions: ["layer 'tf.reshape' (TFOpLambda)", "argument 'shape'", "20 elements"])
        try assertRefused("k2_ops_config", #""perm": [0, 2, 1]"#, #""perm": [0, 1, 1]"#,
                          mentions: ["layer 'tf.compat.v1.transpose' (TFOpLambda)", "argument 'perm'", "not a permutation"])
        try assertRefused("k2_ops_config", #""start": 1, "stop": 4, "step": 2}, 0]"#, #""start": 1, "stop": 4, "step": 0}, 0]"#,
                          mentions: ["layer 'tf.__operators__.getitem' (SlicingOpLambda)", "argument 'slice_spec'", "step cannot be zero"])
        try assertRefused("k2_ops_config", #""start": 1, "stop": 4, "step": 2}, 0]"#, #""start": 1, "stop": 4, "step": 2}, -5]"#,
                          mentions: ["layer 'tf.__operators__.getitem' (SlicingOpLambda)", "index -5 is out of range for axis 2 of size 4"])
    }

    func testTFKerasWronglyTypedArgumentAndUnknownFunction() throws {
        try assertRefused("k2_ops_config", #""name": "tf.math.reduce_mean", "inbound_nodes": [["rnn", 0, 0, {"axis": 1}]]"#,
                          #""name": "tf.math.reduce_mean", "inbound_nodes": [["rnn", 0, 0, {"axis": "time"}]]"#,
                          mentions: ["layer 'tf.math.reduce_mean' (TFOpLambda)", ".axis", "expected a number, found a string"])
        try assertRefused("k2_ops_config", #""clip_value_min": -0.25"#, #""clip_value_min": "low""#,
                          mentions: ["layer 'tf.clip_by_value' (TFOpLambda)", "clip_value_min", "found a string"])
        try assertRefused("k2_ops_config", #""function": "math.reduce_mean""#, #""function": "math.cumsum""#,
                          mentions: ["layer 'tf.math.reduce_mean'", "TFOpLambda function 'tf.math.cumsum'", "not supported by rnncheck"])
        try assertRefused("k2_ops_config", #""name": "tf.math.reduce_mean", "inbound_nodes": [["rnn", 0, 0, {"axis": 1}]]"#,
                          #""name": "tf.math.reduce_mean", "inbound_nodes": [["rnn", 0, 0, {"axis": 1, "keepdim": true}]]"#,
                          mentions: ["layer 'tf.math.reduce_mean'", "call argument 'keepdim'"])
    }
}
