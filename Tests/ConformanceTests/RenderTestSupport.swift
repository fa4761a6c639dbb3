import Conformance
import Foundation
import HDF5
import XCTest
import _TestSupport

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reports from real runs over shipped fixtures, shared by the renderer tests.
enum RenderSamples {
    struct Samples: Sendable {
        /// `lstm_long`, with detail: a passing sequence output.
        var long: CaseResult
        /// A copy of `lstm_long` with one expected value moved by 1e-3, named `lstm_long_perturbed`.
        var perturbed: CaseResult
        /// Where the perturbation is, as (batch, time, unit).
        var perturbedIndex: [Int]
        /// `lstm_seqT_stateT`, with detail: a sequence output and two (batch, unit) states.
        var states: CaseResult

        var report: Report { Report(cases: [long, perturbed, states]) }
    }

    /// Computed once: each run takes a while in a debug build.
    static let shared: Result<Samples, Error> = Result { try make() }

    static func samples() throws -> Samples { try shared.get() }

    private static func make() throws -> Samples {
        let options = DiffOptions(detail: true)
        let long = Runner.verify(fixtureAt: TestPaths.fixture("lstm_long").path, tolerance: nil, options: options)
        let dir = try TemporaryDirectory()
        var raw = try RawFixture(path: TestPaths.fixture("lstm_long").path)
        let shape = raw.outputs[0].shape
        guard shape.count == 3 else { throw SampleError("lstm_long's output 0 has shape \(shape), expected (batch, time, unit)") }
        let index = [shape[0] - 1, shape[1] / 2, shape[2] / 3]
        raw.outputs[0].values[(index[0] * shape[1] + index[1]) * shape[2] + index[2]] += 1e-3
        raw.attributes["name"] = .string("lstm_long_perturbed")
        let path = dir.path("lstm_long_perturbed.h5")
        try raw.write(to: path)
        let perturbed = Runner.verify(fixtureAt: path, tolerance: nil, options: options)
        let states = Runner.verify(fixtureAt: TestPaths.fixture("lstm_seqT_stateT").path, tolerance: nil, options: options)
        for c in [long, perturbed, states] where c.error != nil {
            throw SampleError("\(c.name) did not run: \(c.error ?? "")")
        }
        return Samples(long: long, perturbed: perturbed, perturbedIndex: index, states: states)
    }

    /// A made-up case with one (1, 1024, 512) output whose detail has the largest heatmap
    /// `ErrorDetail` keeps (256 × 256 cells of 4 steps × 2 units), errors from 1e-9 to 1e-1
    /// growing along time, exact zeros in a band of units, and one NaN cell.
    static func syntheticLargeCase() throws -> CaseResult {
        var generator = SplitMix(seed: 7)
        var map: [[Double]] = []
        for t in 0..<256 {
            map.append((0..<256).map { u in
                if (96..<112).contains(u) { return 0 }
                let growth = -9 + 6 * Double(t) / 255 + 2 * generator.unit()
                return pow(10, growth + (u % 64 == 5 ? 2 : 0))
            })
        }
        map[200][40] = .nan
        let buckets = ["0", "1", "2"] + (2...30).map { "\((1 << ($0 - 1)) + 1)–\(1 << $0)" } + ["> 2^30", "NaN"]
        let overTime = (0..<1024).map { t in pow(10, -8 + 6 * Double(t) / 1023 + generator.unit()) }
        let detail: [String: Any] = [
            "heatmap_batch": 0, "heatmap": map.map { $0.map { $0.isNaN ? "NaN" as Any : $0 as Any } },
            "heatmap_cell_size": [4, 2], "error_over_time": overTime,
            "ulp_histogram": buckets.indices.map { max(0, 400_000 >> ($0 * 2)) }, "ulp_buckets": buckets,
            "worst_elements": [["index": [0, 801, 11], "rnncheck": 0.5, "keras": 0.4, "abs_error": 0.1, "ulps": 1_677_722]],
        ]
        let output: [String: Any] = [
            "name": "big/output", "shape": [1, 1024, 512], "expected_shape": [1, 1024, 512], "max_abs_error": 0.1,
            "max_rel_error": 0.25, "max_ulp": 1_677_722, "mismatched": 5, "count": 1024 * 512, "worst_index": [0, 801, 11],
            "worst_actual": 0.5, "worst_expected": 0.4, "passed": false, "detail": detail,
        ]
        let json = try JSONSerialization.data(withJSONObject: [
            "name": "synthetic_large_heatmap", "passed": false, "outputs": [output],
            "description": "Made-up numbers, not a Keras run: the largest heatmap a report can hold.",
            "tolerance": ["atol": 1e-6, "rtol": 1e-5, "source": "default"],
        ])
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try decoder.decode(CaseResult.self, from: json)
    }

    struct SampleError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

/// XML helpers for the renderer tests.
enum XMLCheck {
    static func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> XMLDocument {
        do {
            return try XMLDocument(xmlString: text, options: [])
        } catch {
            XCTFail("not well-formed XML: \(error)", file: file, line: line)
            throw error
        }
    }

    static func elements(_ node: XMLNode, _ xpath: String) throws -> [XMLElement] {
        try node.nodes(forXPath: xpath).compactMap { $0 as? XMLElement }
    }

    static func attribute(_ element: XMLElement, _ name: String) -> String? {
        element.attribute(forName: name)?.stringValue
    }
}

/// Splits GitHub-flavoured Markdown into its tables (runs of lines starting with `|`) and counts
/// each row's cells: a `|` preceded by a backslash is text, not a separator.
enum MarkdownCheck {
    static func tables(_ markdown: String) -> [[String]] {
        var tables: [[String]] = []
        var current: [String] = []
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("|") { current.append(line) }
            else if !current.isEmpty { tables.append(current); current = [] }
        }
        if !current.isEmpty { tables.append(current) }
        return tables
    }

    static func cells(_ row: String) -> [String] {
        var cells: [String] = []
        var cell = ""
        var escaped = false
        for ch in row {
            if escaped { cell.append(ch); escaped = false; continue }
            if ch == "\\" { cell.append(ch); escaped = true; continue }
            if ch == "|" { cells.append(cell); cell = ""; continue }
            cell.append(ch)
        }
        cells.append(cell)
        // A row starts and ends with a pipe: drop the empty outsides.
        if cells.first?.trimmingCharacters(in: .whitespaces).isEmpty == true { cells.removeFirst() }
        if cells.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { cells.removeLast() }
        return cells.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func isDelimiterRow(_ row: String) -> Bool {
        cells(row).allSatisfy { $0.range(of: "^:?-{3,}:?$", options: .regularExpression) != nil }
    }
}

/// A small deterministic generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
