import Foundation
import XCTest
import _TestSupport

/// Outputs never replace an input, a link or a special file, and nothing compares zero elements.
/// (tools/hostile_sweep.py tries every attack family end to end; these are the quick ones.)
extension CLITests {
    func testAReportNeverOverwritesTheModel() throws {
        let dir = try TemporaryDirectory()
        let raw = try RawFixture(path: TestPaths.fixture("lstm_seqT_stateT").path)
        try raw.writeModel(to: dir.path("model.keras"))
        try raw.write(to: dir.path("ref.h5"), asFixture: false)
        let before = try Data(contentsOf: URL(fileURLWithPath: dir.path("model.keras")))
        let r = try rnncheck(["compare", dir.path("model.keras"), dir.path("ref.h5"), "--format", "json", "-o", dir.path("model.keras")])
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("is also an input of this run"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir.path("model.keras"))), before)
    }

    func testRunRefusesAFIFOAsItsOutput() throws {
        let dir = try TemporaryDirectory()
        let raw = try RawFixture(path: TestPaths.fixture("lstm_seqT_stateT").path)
        try raw.writeModel(to: dir.path("model.keras"))
        var inputsOnly = raw
        inputsOnly.outputs = []
        try inputsOnly.write(to: dir.path("in.h5"), asFixture: false)
        XCTAssertEqual(mkfifo(dir.path("out.h5"), 0o600), 0)
        let r = try rnncheck(["run", dir.path("model.keras"), dir.path("in.h5"), "-o", dir.path("out.h5")])
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("FIFO"), r.stderr)
        var info = stat()
        XCTAssertEqual(lstat(dir.path("out.h5"), &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted(), ["in.h5", "model.keras", "out.h5"])
    }

    func testABatchOfZeroIsAnErrorNotAPass() throws {
        let dir = try TemporaryDirectory()
        var raw = try RawFixture(path: TestPaths.fixture("lstm_seqT_stateT").path)
        raw.inputs = raw.inputs.map { ([0] + $0.shape.dropFirst(), []) }
        raw.outputs = raw.outputs.map { ($0.name, [0] + $0.shape.dropFirst(), []) }
        try raw.write(to: dir.path("empty.h5"))
        let r = try rnncheck(["verify", dir.path("empty.h5")])
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("/input_0: has no elements"), r.stderr)
    }
}
