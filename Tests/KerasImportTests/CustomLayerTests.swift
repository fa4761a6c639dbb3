import Conformance
import Foundation
import KerasImport
import RNNEngine
import XCTest
import _TestSupport

/// `demo>Scale` as tools/make_test_models.py defines it in Python: one weight `w` (features,),
/// the option `factor`, `call(x) = x * w * factor` (in that order, as Keras multiplies).
struct Scale<Scalar: EngineScalar>: Layer {
    var w: [Scalar]
    var factor: Scalar

    /// A custom Keras layer supports no masking unless it says so.
    var maskRule: MaskRule { .drop }
    var parameterCount: Int { w.count }

    func outputShapes(for inputs: [SymbolicShape]) throws -> [SymbolicShape] {
        let x = try Shapes.single(inputs, "Scale")
        guard x.last == w.count else {
            throw EngineError.invalidInput("Scale has \(w.count) weights, its input \(Shapes.describe(x)) has other features")
        }
        return [x]
    }

    func evaluate(_ call: inout LayerCall<Scalar>) throws -> [Value<Scalar>] {
        var x = try call.single("Scale")
        guard x.tensor.shape.last == w.count else {
            throw EngineError.shapeMismatch(what: "Scale input", expected: "(..., \(w.count))", actual: x.tensor.shape)
        }
        for i in x.tensor.scalars.indices {
            x.tensor.scalars[i] = x.tensor.scalars[i] * w[i % w.count] * factor
        }
        x.mask = nil
        return [x]
    }

    func converted<T: EngineScalar>(to: T.Type) -> any Layer<T> {
        Scale<T>(w: w.map { T($0) }, factor: T(factor))
    }

    var summary: String { "factor=\(factor)" }
}

/// What the registration says when a file's Scale is not what the Swift layer expects.
struct ScaleConfigError: Error, LocalizedError {
    var errorDescription: String?
}

/// An application registers its own implementation of a custom layer class; the model then
/// loads and matches Keras. The fixtures (Tests/KerasImportTests/Resources, written by
/// tools/make_test_models.py) hold x -> Scale(factor=0.5) 'scale' -> LSTM(4) 'rnn', saved by
/// real Keras 3 (.keras) and tf.keras (.h5), with Keras's outputs.
final class CustomLayerTests: XCTestCase {
    static let scale = CustomLayer { context in
        guard let factor = context.config["factor"] as? Double else {
            throw ScaleConfigError(errorDescription: "layer '\(context.layerName)': Scale needs a numeric 'factor'")
        }
        let weights = try context.weights()
        guard weights.count == 1, weights[0].rank == 1 else {
            throw ScaleConfigError(errorDescription: "layer '\(context.layerName)': Scale has one weight vector, found \(weights.count) weight(s)")
        }
        return Scale<Double>(w: weights[0].scalars, factor: factor)
    }

    static func fixture(_ name: String) throws -> Fixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/\(name).h5")
        return try Fixture.read(path: url.path)
    }

    func checkMatchesKeras(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try Self.fixture(name)
        let loaded = try KerasModelLoader.load(bytes: fixture.modelBytes, name: fixture.modelFilename, config: nil,
                                               customLayers: ["demo>Scale": Self.scale])
        let node = try XCTUnwrap(loaded.model.nodes.first { $0.name == "scale" }, file: file, line: line)
        let layer = try XCTUnwrap(node.layer as? Scale<Double>, file: file, line: line)
        XCTAssertEqual(layer.factor, 0.5, file: file, line: line)
        XCTAssertEqual(layer.w.count, 3, file: file, line: line)
        // float32, as Keras computes, against Keras's outputs at the default tolerances
        let result = try Runner.compare(model: loaded.model, reference: fixture.reference, tolerance: .default,
                                        name: name, file: fixture.path, kerasFloat64: fixture.referenceFloat64)
        XCTAssertEqual(result.outputs.map(\.name), ["scale/output", "rnn/output"], file: file, line: line)
        for output in result.outputs {
            XCTAssertTrue(output.passed, "\(output.name): max abs \(output.maxAbsError), \(output.mismatched) out of tolerance",
                          file: file, line: line)
        }
        XCTAssertTrue(result.passed, file: file, line: line)
    }

    func testKeras3ArchiveWithRegisteredScaleMatchesKeras() throws {
        try checkMatchesKeras("custom_scale_k3")
    }

    func testTFKerasH5WithRegisteredScaleMatchesKeras() throws {
        try checkMatchesKeras("custom_scale_k2")
    }

    func testUnregisteredScaleIsRefusedByItsRegisteredName() throws {
        for name in ["custom_scale_k3", "custom_scale_k2"] {
            let fixture = try Self.fixture(name)
            XCTAssertThrowsError(try KerasModelLoader.load(bytes: fixture.modelBytes, name: fixture.modelFilename)) { error in
                let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
                XCTAssertTrue(message.contains("layer 'scale': it is the custom layer class 'demo>Scale'"), message)
                XCTAssertTrue(message.contains("KerasModelLoader.load(customLayers:)"), message)
            }
        }
    }

    func testAnImplementationsErrorReachesTheCaller() throws {
        let fixture = try Self.fixture("custom_scale_k3")
        let strict = CustomLayer { context in
            throw ScaleConfigError(errorDescription: "layer '\(context.layerName)' (\(context.registeredName)): refused by the test")
        }
        XCTAssertThrowsError(try KerasModelLoader.load(bytes: fixture.modelBytes, name: fixture.modelFilename,
                                                       customLayers: ["demo>Scale": strict])) { error in
            XCTAssertEqual((error as? LocalizedError)?.errorDescription, "layer 'scale' (demo>Scale): refused by the test")
        }
    }
}
