import Conformance
import XCTest
import _TestSupport

final class SuiteTests: XCTestCase {
    func testShardsTogetherRunEveryFixtureExactlyOnce() throws {
        let all = try Runner.fixturePaths([TestPaths.fixtures.path])
        for n in [1, 2, 3, 7, all.count + 2] {
            var seen: [String] = []
            for k in 1...n {
                seen += SuiteSelection(shard: (k, n)).select(all)
            }
            XCTAssertEqual(seen.sorted(), all.sorted(), "\(n) shards")
            XCTAssertEqual(Set(seen).count, seen.count, "\(n) shards ran a fixture twice")
        }
    }

    func testShardParsing() {
        XCTAssertEqual(SuiteSelection.parseShard("2/4")?.index, 2)
        XCTAssertNil(SuiteSelection.parseShard("0/4"))
        XCTAssertNil(SuiteSelection.parseShard("5/4"))
        XCTAssertNil(SuiteSelection.parseShard("x"))
    }

    func testFilterGlob() throws {
        let all = try Runner.fixturePaths([TestPaths.fixtures.path])
        let chosen = SuiteSelection(filters: ["seed_*"]).select(all).map { URL(fileURLWithPath: $0).lastPathComponent }
        XCTAssertEqual(chosen, ["seed_bidi_last.h5", "seed_bidi_seq.h5", "seed_lstm_const.h5"])
    }

    func testReportOrderDoesNotDependOnThreads() throws {
        let selection = SuiteSelection(filters: ["bidi_*"])
        let one = Runner.verify(paths: [TestPaths.fixtures.path], tolerance: nil, selection: selection, jobs: 1)
        let two = Runner.verify(paths: [TestPaths.fixtures.path], tolerance: nil, selection: selection, jobs: 2)
        XCTAssertEqual(one.cases.map(\.name), two.cases.map(\.name))
        XCTAssertEqual(one.cases.map(\.name), one.cases.map(\.name).sorted())
        // Everything but the wall-clock times.
        func timeless(_ report: Report) -> Report {
            var r = report
            for i in r.cases.indices { r.cases[i].seconds = nil }
            return r
        }
        XCTAssertEqual(try timeless(one).json(), try timeless(two).json(), "results must be identical whatever the thread count")
    }

    func testExpectedFailureIsAKnownDeviationAndGoesStaleWhenFixed() throws {
        let dir = try TemporaryDirectory()
        var raw = try RawFixture(path: TestPaths.fixture("lstm_seqF_stateT").path)
        raw.outputs[1].values[0] += 0.01  // rnn/state_h, (batch 0, unit 0)
        try raw.write(to: dir.path("drift.h5"))
        let plain = Runner.verify(paths: [dir.path("drift.h5")], tolerance: nil)
        XCTAssertEqual(plain.exitCode, 1)

        let list = ExpectedFailures(entries: [.init(fixture: "lstm_seqF_stateT", output: "rnn/state_h", reason: "known drift")])
        let known = Runner.verify(paths: [dir.path("drift.h5")], tolerance: nil, expectedFailures: list)
        XCTAssertEqual(known.exitCode, 0)
        XCTAssertEqual(known.cases.first?.expectedFailure, "known drift")
        XCTAssertEqual(known.cases.first?.outputs[1].knownDeviation, "known drift")
        XCTAssertTrue(known.text().contains("XFAIL lstm_seqF_stateT"))

        // the real fixture passes: the entry is stale and fails the run
        let stale = Runner.verify(paths: [TestPaths.fixture("lstm_seqF_stateT").path], tolerance: nil, expectedFailures: list)
        XCTAssertEqual(stale.exitCode, 1)
        XCTAssertTrue(stale.cases.first?.problem?.contains("now passes") ?? false)
    }

    func testExpectedFailuresFileFormat() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("xfail.txt")
        try "# comment\nlstm_long rnn/output  drift in long sequences # trailing\n\n".write(toFile: path, atomically: true, encoding: .utf8)
        let list = try ExpectedFailures.read(path: path)
        XCTAssertEqual(list.entries, [.init(fixture: "lstm_long", output: "rnn/output", reason: "drift in long sequences")])
        try "lstm_long rnn/output\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ExpectedFailures.read(path: path)) { error in
            XCTAssertTrue((error as? ConformanceError)?.errorDescription?.contains("line 1") ?? false, "\(error)")
        }
    }

    func testErrorBudgetIsReportedForEveryOutput() throws {
        let report = Runner.verify(paths: [TestPaths.fixture("lstm_long").path], tolerance: nil)
        let output = try XCTUnwrap(report.cases.first?.outputs.first)
        let budget = try XCTUnwrap(output.budget)
        XCTAssertEqual(budget.reference, "keras float64")
        // both float32 results are within a few 1e-7 of float64, and the float64 engines agree far closer
        XCTAssertLessThan(try XCTUnwrap(budget.kerasMaxAbs), 1e-6)
        XCTAssertLessThan(budget.rnncheckMaxAbs, 1e-6)
        XCTAssertLessThan(try XCTUnwrap(budget.float64Agreement), 1e-12)
        XCTAssertEqual(budget.verdict, .withinKerasRounding)
        XCTAssertTrue(report.text().contains("error budget: within Keras's own rounding: Keras's float32 is "), report.text())
        XCTAssertTrue(try report.json().contains("\"error_budget\""))
    }
}
