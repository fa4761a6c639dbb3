import Conformance
import Foundation
import KerasImport
import RNNEngine
import XCTest
import _TestSupport

// The Swift code of Sources/Conformance/Conformance.docc, compiled and run: a user's test
// checking a model (Resources/model.keras) against the reference rnncheck-ref wrote for it
// (Resources/ref.h5, tools/make_docs_models.py).

// snippet: checking-xctest
final class ModelMatchesKerasTests: XCTestCase {
    let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources")

    func testModelMatchesKeras() {
        let report = Runner.compare(modelPath: resources.appendingPathComponent("model.keras").path,
                                    referencePath: resources.appendingPathComponent("ref.h5").path)
        XCTAssertTrue(report.passed, report.text())   // on failure: which output, which element, both values
    }
}
// snippet end

final class CheckingTests: XCTestCase {
    let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources")

    func testOptionsAndArrays() throws {
        let modelPath = resources.appendingPathComponent("model.keras").path
        let referencePath = resources.appendingPathComponent("ref.h5").path
        let directory = try TemporaryDirectory()
        let report = try inDirectory(directory.url) { () throws -> Report in
            // snippet: checking-tolerance
            let report = Runner.compare(modelPath: modelPath, referencePath: referencePath,
                                        tolerance: Tolerance(atol: 1e-5, rtol: 1e-4),     // looser than the default 1e-6, 1e-5
                                        options: DiffOptions(errorBudget: false))        // skip the float64 run
            for output in report.cases[0].outputs {
                print(output.name, output.maxAbsError, output.maxUlp, output.passed)
            }
            try report.json().write(toFile: "report.json", atomically: true, encoding: .utf8)   // or junitXML(), markdown(), html()
            // snippet end
            return report
        }
        XCTAssertTrue(report.passed, report.text())
        XCTAssertNil(report.cases[0].outputs[0].budget)
        XCTAssertEqual(report.cases[0].tolerance?.atol, 1e-5)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.path("report.json")))

        // An in-memory check, on the numbers Keras printed for one input (tools/make_docs_models.py
        // writes them to steps.h5 as output_2, for input_2 = [[[0.5, -1.0, 2.0]]]).
        let model = try Model<Float>(kerasFile: modelPath)
        let outputs = try model.predict([try Tensor<Float>([[[0.5, -1.0, 2.0]]])])
        // snippet: checking-differ
        let keras = try Tensor<Double>([[[-0.111873701, -0.479823351]]])   // Keras's output, as Python printed it
        let diff = Differ.compare(name: "head/output", actual: outputs[0], expected: keras, tolerance: .default)
        XCTAssertTrue(diff.passed, "max abs error \(diff.maxAbsError) at \(diff.worstIndex ?? [])")
        // snippet end
        let steps = try RawFixture.readPlain(path: resources.appendingPathComponent("steps.h5").path)
        XCTAssertEqual(steps.inputs[2].values, [0.5, -1.0, 2.0])
        XCTAssertEqual(keras.scalars.map(Float.init), steps.outputs[2].values, "the article quotes Keras's output_2 of steps.h5")

        // The same check fails, and says where, when Keras's numbers are moved by 1e-3.
        let moved = Tensor<Double>(shape: keras.shape, scalars: [keras.scalars[0], keras.scalars[1] + 1e-3])
        let failing = Differ.compare(name: "head/output", actual: outputs[0], expected: moved, tolerance: .default)
        XCTAssertFalse(failing.passed)
        XCTAssertEqual(failing.worstIndex, [0, 0, 1])
        XCTAssertEqual(failing.mismatched, 1)
    }
}
