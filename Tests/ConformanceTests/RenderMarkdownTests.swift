import Conformance
import Foundation
import XCTest
import _TestSupport

/// `Report.markdown()`: tables GitHub can render, failures with their worst index.
final class RenderMarkdownTests: XCTestCase {
    func testTablesHaveConsistentColumnCountsEvenWithPipesInNames() throws {
        var samples = try RenderSamples.samples()
        samples.states.name = "pipe|in|name"
        samples.states.problem = "a | problem | with pipes"
        samples.states.passed = false
        samples.states.outputs[0].name = "layer|output"
        let markdown = samples.report.markdown()
        let tables = MarkdownCheck.tables(markdown)
        XCTAssertGreaterThanOrEqual(tables.count, 2, "the outputs table and the perturbed output's worst elements")
        for table in tables {
            XCTAssertGreaterThanOrEqual(table.count, 3, table.joined(separator: "\n"))
            let width = MarkdownCheck.cells(table[0]).count
            XCTAssertTrue(MarkdownCheck.isDelimiterRow(table[1]), table[1])
            XCTAssertEqual(MarkdownCheck.cells(table[1]).count, width, table[1])
            for row in table.dropFirst(2) {
                XCTAssertEqual(MarkdownCheck.cells(row).count, width, row)
            }
        }
        let outputs = try XCTUnwrap(tables.first { MarkdownCheck.cells($0[0]).first == "Case" })
        // One row per output, one for the case-level problem.
        XCTAssertEqual(outputs.count - 2, samples.report.cases.map(\.outputs.count).reduce(0, +) + 1)
        XCTAssertTrue(markdown.contains("pipe\\|in\\|name"))
    }

    func testFailingOutputShowsItsWorstIndexAndValues() throws {
        let samples = try RenderSamples.samples()
        let markdown = samples.report.markdown()
        XCTAssertTrue(markdown.hasPrefix("## rnncheck: FAILED\n"), String(markdown.prefix(80)))
        XCTAssertTrue(markdown.contains("### Failures"))
        let failing = try XCTUnwrap(samples.perturbed.outputs.first { !$0.passed })
        let worst = "Worst at \(Report.describe(index: samples.perturbedIndex)): rnncheck "
        XCTAssertTrue(markdown.contains(worst), markdown)
        XCTAssertTrue(markdown.contains(String(format: "%.9g", try XCTUnwrap(failing.worstExpected))))
        let rows = MarkdownCheck.tables(markdown).flatMap { $0 }.map(MarkdownCheck.cells)
        let statuses = rows.compactMap { $0.count == 14 ? $0[13] : nil }
        XCTAssertEqual(statuses.filter { $0 == "FAIL" }.count, 1)
        XCTAssertEqual(statuses.filter { $0 == "PASS" }.count, samples.report.cases.map(\.outputs.count).reduce(0, +) - 1)
        // The error budget columns carry numbers for every output ("unknown" for Keras's own
        // error where the fixture has no Keras float64 outputs: lstm_long), and the failing
        // output never the green verdict.
        for row in rows where row.count == 14 && (row[13] == "PASS" || row[13] == "FAIL") {
            XCTAssertTrue(row[10].hasSuffix("ulp)") || (row[10] == "unknown" && row[0].hasPrefix("`lstm_long")), row.joined(separator: " | "))
            XCTAssertTrue(row[11].contains("ulp)"), row.joined(separator: " | "))
            if row[13] == "FAIL" { XCTAssertEqual(row[12], "reference suspect", row.joined(separator: " | ")) }
        }
    }

    func testRowLimitKeepsOnlyOutputsThatDidNotPass() throws {
        let report = try RenderSamples.samples().report
        let outputs = report.cases.map(\.outputs.count).reduce(0, +)
        let limited = report.markdown(rowLimit: 1)
        let table = try XCTUnwrap(MarkdownCheck.tables(limited).first { MarkdownCheck.cells($0[0]).first == "Case" })
        XCTAssertEqual(table.count, 3, table.joined(separator: "\n"))
        XCTAssertEqual(MarkdownCheck.cells(table[2]).last, "FAIL")
        XCTAssertTrue(limited.contains("\(outputs - 1) passing outputs are not listed."))
        XCTAssertTrue(limited.contains("### Outputs that did not pass"))
        XCTAssertEqual(report.markdown(rowLimit: outputs), report.markdown())
    }

    func testPassingReportHasNoFailureSection() throws {
        let samples = try RenderSamples.samples()
        let markdown = Report(cases: [samples.long, samples.states]).markdown()
        XCTAssertTrue(markdown.hasPrefix("## rnncheck: PASSED\n"))
        XCTAssertFalse(markdown.contains("### Failures"))
        XCTAssertFalse(markdown.contains("FAIL |"))
    }
}
