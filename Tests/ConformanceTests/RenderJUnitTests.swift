import Conformance
import Foundation
import XCTest
import _TestSupport

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `Report.junitXML()`: one test case per fixture output, counts that match, valid XML.
final class RenderJUnitTests: XCTestCase {
    func testOneTestcasePerOutputAndOneFailureForThePerturbedOutput() throws {
        let samples = try RenderSamples.samples()
        let report = samples.report
        let outputs = report.cases.map(\.outputs.count).reduce(0, +)
        XCTAssertGreaterThanOrEqual(outputs, 5)

        let doc = try XMLCheck.parse(report.junitXML())
        let root = try XCTUnwrap(doc.rootElement())
        XCTAssertEqual(root.name, "testsuites")
        let suites = try XMLCheck.elements(root, "testsuite")
        XCTAssertEqual(suites.count, 1)
        let suite = try XCTUnwrap(suites.first)
        XCTAssertEqual(XMLCheck.attribute(suite, "name"), "rnncheck")
        XCTAssertEqual(XMLCheck.attribute(suite, "tests"), String(outputs))
        XCTAssertEqual(XMLCheck.attribute(suite, "failures"), "1")
        XCTAssertEqual(XMLCheck.attribute(suite, "errors"), "0")
        XCTAssertEqual(XMLCheck.attribute(suite, "skipped"), "0")
        XCTAssertEqual(XMLCheck.attribute(root, "tests"), String(outputs))

        let testcases = try XMLCheck.elements(suite, "testcase")
        XCTAssertEqual(testcases.count, outputs)
        let names = testcases.map { "\(XMLCheck.attribute($0, "classname") ?? "")/\(XMLCheck.attribute($0, "name") ?? "")" }
        let expected = report.cases.flatMap { c in c.outputs.map { "\(c.name)/\($0.name)" } }
        XCTAssertEqual(names, expected)

        let failing = testcases.filter { !((try? XMLCheck.elements($0, "failure")) ?? []).isEmpty }
        XCTAssertEqual(failing.count, 1)
        let failingCase = try XCTUnwrap(failing.first)
        XCTAssertEqual(XMLCheck.attribute(failingCase, "classname"), "lstm_long_perturbed")
        let failingOutput = try XCTUnwrap(samples.perturbed.outputs.first { !$0.passed })
        XCTAssertEqual(XMLCheck.attribute(failingCase, "name"), failingOutput.name)
        let failure = try XCTUnwrap(try XMLCheck.elements(failingCase, "failure").first)
        let message = try XCTUnwrap(XMLCheck.attribute(failure, "message"))
        XCTAssertTrue(message.contains(Report.describe(index: samples.perturbedIndex)), message)
        XCTAssertTrue(message.contains("1 of \(failingOutput.count) elements out of tolerance"), message)
        XCTAssertTrue(message.contains("max ulp \(failingOutput.maxUlp)"), message)
        XCTAssertTrue(message.contains("atol"), message)
        XCTAssertEqual(XMLCheck.attribute(failure, "type"), "OutOfTolerance")
        // The worst elements and the error budget travel in the failure's text.
        XCTAssertTrue(failure.stringValue?.contains("worst elements") ?? false)
        XCTAssertTrue(failure.stringValue?.contains("error budget") ?? false)
    }

    func testUnusableCaseIsOneErrorTestcaseAndControlCharactersAreReplaced() throws {
        struct Broken: Error, CustomStringConvertible {
            var description: String { "bad byte \u{1}\u{1B}[0m <tag> & \"quote\" 'apostrophe'\nsecond line" }
        }
        let report = Report(cases: [.failed(name: "junk<&>", file: "/tmp/junk.h5", error: Broken())])
        let xml = report.junitXML()
        XCTAssertFalse(xml.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" && $0 != "\r" })
        let doc = try XMLCheck.parse(xml)
        let suite = try XCTUnwrap(try XMLCheck.elements(try XCTUnwrap(doc.rootElement()), "testsuite").first)
        XCTAssertEqual(XMLCheck.attribute(suite, "tests"), "1")
        XCTAssertEqual(XMLCheck.attribute(suite, "errors"), "1")
        XCTAssertEqual(XMLCheck.attribute(suite, "failures"), "0")
        let testcase = try XCTUnwrap(try XMLCheck.elements(suite, "testcase").first)
        XCTAssertEqual(XMLCheck.attribute(testcase, "classname"), "junk<&>")
        let error = try XCTUnwrap(try XMLCheck.elements(testcase, "error").first)
        XCTAssertEqual(XMLCheck.attribute(error, "message"),
                       "bad byte \\u{1}\\u{1B}[0m <tag> & \"quote\" 'apostrophe'\nsecond line")
    }

    func testOutputCountMismatchIsACaseLevelFailure() throws {
        var c = try RenderSamples.samples().states
        c.problem = "the model has 3 output(s), the reference has 4"
        c.passed = false
        let doc = try XMLCheck.parse(Report(cases: [c]).junitXML())
        let suite = try XCTUnwrap(try XMLCheck.elements(try XCTUnwrap(doc.rootElement()), "testsuite").first)
        XCTAssertEqual(XMLCheck.attribute(suite, "tests"), String(c.outputs.count + 1))
        XCTAssertEqual(XMLCheck.attribute(suite, "failures"), "1")
        let failures = try XMLCheck.elements(suite, "testcase/failure")
        XCTAssertEqual(failures.count, 1)
        XCTAssertEqual(failures.first.flatMap { XMLCheck.attribute($0, "message") }, c.problem)
        XCTAssertEqual((failures.first?.parent as? XMLElement).flatMap { XMLCheck.attribute($0, "name") }, "(case)")
    }

    func testKnownDeviationIsSkippedNotFailed() throws {
        var c = try RenderSamples.samples().perturbed
        let i = try XCTUnwrap(c.outputs.firstIndex { !$0.passed })
        c.outputs[i].knownDeviation = "rounding of a perturbed value"
        c.expectedFailure = "rounding of a perturbed value"
        c.passed = true
        let doc = try XMLCheck.parse(Report(cases: [c]).junitXML())
        let suite = try XCTUnwrap(try XMLCheck.elements(try XCTUnwrap(doc.rootElement()), "testsuite").first)
        XCTAssertEqual(XMLCheck.attribute(suite, "failures"), "0")
        XCTAssertEqual(XMLCheck.attribute(suite, "skipped"), "1")
        let skipped = try XMLCheck.elements(suite, "testcase/skipped")
        XCTAssertEqual(skipped.count, 1)
        XCTAssertEqual(skipped.first.flatMap { XMLCheck.attribute($0, "message") }, "known deviation: rounding of a perturbed value")
    }

    func testCaseLevelExpectedFailureSkipsItsFailingOutputs() throws {
        var c = try RenderSamples.samples().perturbed
        c.expectedFailure = "listed for the whole case"
        let doc = try XMLCheck.parse(Report(cases: [c]).junitXML())
        let suite = try XCTUnwrap(try XMLCheck.elements(try XCTUnwrap(doc.rootElement()), "testsuite").first)
        XCTAssertEqual(XMLCheck.attribute(suite, "failures"), "0")
        XCTAssertEqual(XMLCheck.attribute(suite, "skipped"), "1")
        XCTAssertEqual(XMLCheck.attribute(suite, "tests"), String(c.outputs.count))
    }

    func testEveryFormatRendersThroughRendered() throws {
        let report = try RenderSamples.samples().report
        XCTAssertEqual(ReportFormat.allCases.map(\.rawValue), ["text", "json", "junit", "markdown", "html"])
        XCTAssertEqual(try report.rendered(.text), report.text())
        XCTAssertEqual(try report.rendered(.json), try report.json())
        XCTAssertEqual(try report.rendered(.junit), report.junitXML())
        XCTAssertEqual(try report.rendered(.markdown), report.markdown())
        XCTAssertEqual(try report.rendered(.html), report.html())
        XCTAssertEqual(ReportFormat(rawValue: "junit")?.fileExtension, "xml")
    }
}
