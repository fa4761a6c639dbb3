import Conformance
import Foundation
import HDF5
import XCTest
import _TestSupport

/// Writes every report format for the shipped fixtures plus three demonstration cases to
/// `$RNNCHECK_RENDER_OUT` (`report.html`, `.xml`, `.md`, `.txt`, `.json`), and a page with one
/// made-up largest-size heatmap (`synthetic-large-heatmap.html`), for `tools/render_check.sh`
/// to validate and screenshot. Skipped when the variable is not set.
final class RenderArtifactsTests: XCTestCase {
    func testWriteReportArtifacts() throws {
        guard let out = ProcessInfo.processInfo.environment["RNNCHECK_RENDER_OUT"], !out.isEmpty else {
            throw XCTSkip("set RNNCHECK_RENDER_OUT to a folder to write report.{html,xml,md,txt,json} there")
        }
        let fm = FileManager.default
        try fm.createDirectory(atPath: out, withIntermediateDirectories: true)
        let options = DiffOptions(detail: true)
        var report = Runner.verify(paths: [TestPaths.fixtures.path], tolerance: nil, options: options)
        XCTAssertGreaterThanOrEqual(report.cases.count, 30)

        let dir = try TemporaryDirectory()
        // 1. A failing case: one expected value of a long sequence moved by 1e-3, a few by 1e-5.
        var raw = try RawFixture(path: TestPaths.fixture("lstm_long").path)
        let shape = raw.outputs[0].shape
        XCTAssertEqual(shape.count, 3)
        func flat(_ b: Int, _ t: Int, _ u: Int) -> Int { (b * shape[1] + t) * shape[2] + u }
        raw.outputs[0].values[flat(shape[0] - 1, shape[1] / 2, shape[2] / 3)] += 1e-3
        for t in stride(from: shape[1] * 3 / 4, to: shape[1], by: max(1, shape[1] / 16)) {
            raw.outputs[0].values[flat(shape[0] - 1, t, shape[2] - 1)] -= 2e-5
        }
        raw.attributes["name"] = .string("demo_lstm_long_perturbed")
        let perturbed = dir.path("demo_lstm_long_perturbed.h5")
        try raw.write(to: perturbed)
        report.cases.append(Runner.verify(fixtureAt: perturbed, tolerance: nil, options: options))

        // 2. The same perturbation, listed as a known deviation.
        raw.attributes["name"] = .string("demo_known_deviation")
        let known = dir.path("demo_known_deviation.h5")
        try raw.write(to: known)
        let expected = ExpectedFailures(entries: [
            .init(fixture: "demo_known_deviation", output: "*", reason: "demonstration: a perturbed copy listed as a known deviation"),
        ])
        report.cases.append(expected.apply(to: Runner.verify(fixtureAt: known, tolerance: nil, options: options)))

        // 3. An unusable input.
        let junk = dir.path("demo_unusable.h5")
        try Data("this is not an HDF5 file\u{1}".utf8).write(to: URL(fileURLWithPath: junk))
        report.cases.append(Runner.verify(fixtureAt: junk, tolerance: nil, options: options))

        report = Report(cases: report.cases)
        for (format, name) in [(ReportFormat.html, "report.html"), (.junit, "report.xml"), (.markdown, "report.md"),
                               (.text, "report.txt"), (.json, "report.json")] {
            let text = try report.rendered(format)
            try Data(text.utf8).write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent(name)))
        }
        // Made-up numbers, kept apart: the largest heatmap a report can hold (drawn as paths).
        let synthetic = Report(cases: [try RenderSamples.syntheticLargeCase()]).html()
        try Data(synthetic.utf8).write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("synthetic-large-heatmap.html")))
        XCTAssertFalse(report.passed)
        XCTAssertEqual(report.cases.filter { $0.error != nil }.count, 1)
    }
}
