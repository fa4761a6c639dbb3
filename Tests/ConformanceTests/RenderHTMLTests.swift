import Conformance
import Foundation
import XCTest
import _TestSupport

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `Report.html()`: one self-contained page with heatmaps, curves and histograms.
final class RenderHTMLTests: XCTestCase {
    func testPageIsSelfContained() throws {
        let html = try RenderSamples.samples().report.html()
        for forbidden in ["http://", "https://", "<script", "<link", "@import", "url(", "<img", "<iframe"] {
            XCTAssertFalse(html.contains(forbidden), "the page contains \(forbidden)")
        }
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("<style>"))
    }

    func testEverySequenceOutputHasHeatmapCurveHistogramAndWorstElements() throws {
        let samples = try RenderSamples.samples()
        let report = samples.report
        let doc = try XMLCheck.parse(report.html())
        let outputs = report.cases.flatMap(\.outputs)
        let sequences = outputs.filter { $0.shape.count == 3 }
        XCTAssertGreaterThanOrEqual(sequences.count, 3)
        XCTAssertEqual(try XMLCheck.elements(doc, "//svg[@class='heatmap']").count, sequences.count)
        XCTAssertEqual(try XMLCheck.elements(doc, "//svg[@class='error-over-time']").count, sequences.count)
        XCTAssertEqual(try XMLCheck.elements(doc, "//svg[@class='ulp-histogram']").count, outputs.count)
        XCTAssertEqual(try XMLCheck.elements(doc, "//table[@class='worst']").count, outputs.count)
        XCTAssertEqual(try XMLCheck.elements(doc, "//svg[@class='budget']").count, outputs.count)
        // Every heatmap draws cells and a colour legend with decade labels.
        for heatmap in try XMLCheck.elements(doc, "//svg[@class='heatmap']") {
            // The cells live in a nested <svg> in cell units; the legend has one rect per colour level.
            let cells = try XMLCheck.elements(heatmap, "svg/rect[not(@class)]").count + (try XMLCheck.elements(heatmap, "svg/path").count)
            XCTAssertGreaterThan(cells, 0, "no heatmap cell drawn")
            XCTAssertEqual(try XMLCheck.elements(heatmap, "rect[@width='14' and @fill!='#f2f2f2']").count, 32, "colour legend")
            XCTAssertTrue(try XMLCheck.elements(heatmap, ".//text").contains { $0.stringValue == "time step" })
            XCTAssertTrue(try XMLCheck.elements(heatmap, ".//text").contains { $0.stringValue == "unit" })
        }
        // Each output's histogram has one bar per non-empty bucket, titled with its count.
        for (i, c) in report.cases.enumerated() {
            for (k, output) in c.outputs.enumerated() {
                let histograms = try XMLCheck.elements(doc, "//div[@id='case-\(i)-output-\(k)']//svg[@class='ulp-histogram']")
                XCTAssertEqual(histograms.count, 1, "\(c.name) \(output.name)")
                try checkHistogram(try XCTUnwrap(histograms.first), output)
            }
        }
    }

    private func checkHistogram(_ histogram: XMLElement, _ output: OutputDiff) throws {
        let detail = try XCTUnwrap(output.detail)
        let bars = try XMLCheck.elements(histogram, ".//rect")
        XCTAssertEqual(bars.count, detail.ulpHistogram.filter { $0 > 0 }.count)
        XCTAssertEqual(bars.compactMap { $0.stringValue }.joined(separator: ";"),
                       zip(detail.ulpBuckets, detail.ulpHistogram).filter { $0.1 > 0 }
                           .map { "\($0.0) ulp: \($0.1) element\($0.1 == 1 ? "" : "s")" }.joined(separator: ";"))
    }

    func testPerturbedElementIsMarkedAndListed() throws {
        let samples = try RenderSamples.samples()
        let doc = try XMLCheck.parse(Report(cases: [samples.perturbed]).html())
        let worst = try XMLCheck.elements(doc, "//svg[@class='heatmap']//rect[@class='worst']")
        XCTAssertEqual(worst.count, 1)
        let index = samples.perturbedIndex
        XCTAssertEqual(worst.first?.stringValue, "worst element: time \(index[1]), unit \(index[2])")
        let firstRow = try XCTUnwrap(try XMLCheck.elements(doc, "//table[@class='worst']/tbody/tr").first)
        XCTAssertEqual(try XMLCheck.elements(firstRow, "td").first?.stringValue, Report.describe(index: index))
        let failing = try XCTUnwrap(samples.perturbed.outputs.first { !$0.passed })
        XCTAssertEqual(try XMLCheck.elements(firstRow, "td").dropFirst(2).first?.stringValue,
                       String(format: "%.9g", try XCTUnwrap(failing.worstExpected)))
        // The failing case is open; the verdict says FAILED.
        XCTAssertEqual(try XMLCheck.elements(doc, "//section[@id='case-0']/details[@open]").count, 1)
        XCTAssertTrue(try XMLCheck.elements(doc, "//span[@class='verdict']").first?.stringValue == "FAILED")
    }

    func testOutputsWithoutDetailShowJustTheNumbers() throws {
        let c = Runner.verify(fixtureAt: TestPaths.fixture("lstm_seqT_stateT").path, tolerance: nil)
        XCTAssertNil(c.outputs.first?.detail)
        let doc = try XMLCheck.parse(Report(cases: [c]).html())
        XCTAssertEqual(try XMLCheck.elements(doc, "//svg[@class='heatmap']").count, 0)
        XCTAssertEqual(try XMLCheck.elements(doc, "//svg[@class='ulp-histogram']").count, 0)
        XCTAssertEqual(try XMLCheck.elements(doc, "//table[@class='numbers']").count, c.outputs.count)
    }

    func testNamesAreEscaped() throws {
        var c = try RenderSamples.samples().states
        c.name = "<script>alert('x')</script>"
        c.description = "a & b < c"
        c.provenance = ["command": "python make.py --name \"x\" > out"]
        let html = Report(cases: [c]).html()
        XCTAssertFalse(html.contains("<script>"))
        let doc = try XMLCheck.parse(html)
        XCTAssertEqual(try XMLCheck.elements(doc, "//span[@class='case-name']").first?.stringValue, c.name)
        XCTAssertEqual(try XMLCheck.elements(doc, "//p[@class='description']").first?.stringValue, "a & b < c")
    }

    /// A 256 × 256 heatmap of distinct errors (the largest ErrorDetail keeps) stays small.
    func testLargestHeatmapStaysSmall() throws {
        let c = try RenderSamples.syntheticLargeCase()
        let html = Report(cases: [c]).html()
        XCTAssertLessThan(html.utf8.count, 300_000, "one 256 × 256 heatmap should not take \(html.utf8.count) bytes")
        let doc = try XMLCheck.parse(html)
        let heatmap = try XCTUnwrap(try XMLCheck.elements(doc, "//svg[@class='heatmap']").first)
        XCTAssertGreaterThan(try XMLCheck.elements(heatmap, ".//path").count, 10, "big heatmaps are drawn as one path per colour")
        XCTAssertEqual(try XMLCheck.elements(heatmap, ".//rect[@class='worst']").count, 1)
    }
}
