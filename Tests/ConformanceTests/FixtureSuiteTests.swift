import Conformance
import HDF5
import XCTest
import _TestSupport

/// Every shipped fixture (written by real Keras) must pass, and an altered one must not.
final class FixtureSuiteTests: XCTestCase {
    func testEveryShippedFixturePasses() throws {
        let files = try TestPaths.fixtureFiles()
        XCTAssertGreaterThanOrEqual(files.count, 30)
        let report = Runner.verify(paths: [TestPaths.fixtures.path], tolerance: nil)
        XCTAssertEqual(report.cases.count, files.count)
        for c in report.cases where !c.passed {
            XCTFail("\(c.name): \(c.error ?? c.problem ?? c.outputs.filter { !$0.passed }.map(\.name).joined(separator: ", "))")
        }
        XCTAssertEqual(report.exitCode, 0)
    }

    func testPerturbedExpectedValueIsCaughtAtItsIndex() throws {
        let dir = try TemporaryDirectory()
        var raw = try RawFixture(path: TestPaths.fixture("bidi_concat_seqT_stateT").path)
        // output 0 is (2, 5, 8): perturb (batch 1, time 3, unit 6)
        XCTAssertEqual(raw.outputs[0].shape, [2, 5, 8])
        let flat = (1 * 5 + 3) * 8 + 6
        raw.outputs[0].values[flat] += 1e-3
        let path = dir.path("perturbed.h5")
        try raw.write(to: path)
        let result = Runner.verify(fixtureAt: path, tolerance: nil)
        XCTAssertFalse(result.passed)
        XCTAssertNil(result.error)
        let failing = result.outputs.filter { !$0.passed }
        XCTAssertEqual(failing.count, 1)
        XCTAssertEqual(failing.first?.worstIndex, [1, 3, 6])
        XCTAssertEqual(failing.first?.mismatched, 1)
    }

    func testMissingOutputDatasetIsUnusable() throws {
        let dir = try TemporaryDirectory()
        var raw = try RawFixture(path: TestPaths.fixture("lstm_seqT_stateT").path)
        raw.outputs.remove(at: 0)
        raw.outputs.removeAll()
        let path = dir.path("no-outputs.h5")
        try raw.write(to: path)
        let result = Runner.verify(fixtureAt: path, tolerance: nil)
        XCTAssertEqual(result.error, "\(path): /output_0: missing dataset (Keras's outputs are stored as output_0, output_1, ...)")
    }

    func testWrongInputWidthIsUnusable() throws {
        let dir = try TemporaryDirectory()
        var raw = try RawFixture(path: TestPaths.fixture("lstm_seqT_stateT").path)
        // (2, 5, 3) -> (2, 5, 2)
        raw.inputs[0] = (shape: [2, 5, 2], values: Array(raw.inputs[0].values.prefix(20)))
        let path = dir.path("wrong-width.h5")
        try raw.write(to: path)
        let result = Runner.verify(fixtureAt: path, tolerance: nil)
        let error = try XCTUnwrap(result.error)
        XCTAssertTrue(error.hasPrefix(path), error)
        XCTAssertTrue(error.contains("(2, 5, 2)"), error)
        XCTAssertEqual(Report(cases: [result]).exitCode, 2)
    }

    func testFixtureToleranceOverrideIsReported() throws {
        let result = Runner.verify(fixtureAt: TestPaths.fixture("lstm_seqF_stateF").path, tolerance: Tolerance(atol: 0.5, rtol: 0))
        XCTAssertEqual(result.tolerance?.source, "command line")
        XCTAssertEqual(result.tolerance?.atol, 0.5)
    }

    func testNonHDF5FileIsUnusable() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("junk.h5")
        try Data("this is not HDF5".utf8).write(to: URL(fileURLWithPath: path))
        let result = Runner.verify(fixtureAt: path, tolerance: nil)
        XCTAssertTrue(result.error?.contains(path) ?? false, "\(String(describing: result.error))")
    }
}
