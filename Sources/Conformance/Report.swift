import Foundation

/// Which tolerance was applied to a case (or one output), and why.
public struct AppliedTolerance: Sendable, Codable, Equatable {
    public var atol: Double
    public var rtol: Double
    /// `"command line"`, `"default"`, `"fixture sets ...: <reason>"`, or for one output
    /// `"atol from the command line for '<name>'"`, `"atol stored with the output"`.
    public var source: String

    public init(atol: Double, rtol: Double, source: String) {
        self.atol = atol
        self.rtol = rtol
        self.source = source
    }
}

/// The result of one fixture, one compare or one diff.
public struct CaseResult: Sendable, Codable {
    public var name: String
    public var passed: Bool
    /// Why the case could not be run at all (unusable input), if so.
    public var error: String?
    public var outputs: [OutputDiff]
    /// The file the case came from.
    public var file: String?
    public var tolerance: AppliedTolerance?
    /// A mismatch in the number of outputs, if any.
    public var problem: String?
    /// The fixture's description and provenance (Keras version, seed, command, ...).
    public var description: String?
    public var provenance: [String: String]?
    /// A known deviation: the expected-failures entry that covers this case, if any.
    public var expectedFailure: String?
    /// Every layer's outputs compared, when the reference has them (`diff`: float32 and float64).
    public var layers: [LayerComparison]?
    /// What the two sides are called (nil: rnncheck against Keras; `diff`: the two files).
    public var sides: Sides?
    /// Findings that are neither failures nor problems (`diff`: groups only one file has, ...).
    public var notes: [String]?
    /// Wall-clock seconds the case took (reading, running, comparing).
    public var seconds: Double?
    /// Names given with `--atol NAME=` / `--rtol NAME=` that matched no output or layer here.
    public var unusedToleranceNames: [String]?

    /// The two sides' names, rnncheck and Keras unless `sides` says otherwise.
    public var labels: Sides { sides ?? .rnncheckKeras }

    public init(
        name: String, passed: Bool, error: String?, outputs: [OutputDiff], file: String?,
        tolerance: AppliedTolerance?, problem: String?
    ) {
        self.name = name
        self.passed = passed
        self.error = error
        self.outputs = outputs
        self.file = file
        self.tolerance = tolerance
        self.problem = problem
    }

    enum CodingKeys: String, CodingKey {
        case name, passed, error, outputs, file, tolerance, problem, description, provenance,
             expectedFailure = "expected_failure", layers, sides, notes, seconds,
             unusedToleranceNames = "unused_tolerance_names"
    }

    /// A case that could not be run.
    public static func failed(name: String, file: String?, error: Error) -> CaseResult {
        CaseResult(name: name, passed: false, error: (error as? LocalizedError)?.errorDescription ?? "\(error)",
                   outputs: [], file: file, tolerance: nil, problem: nil)
    }
}

/// Everything one `verify`, `compare` or `diff` run found.
public struct Report: Sendable, Codable {
    /// The version of the JSON report's layout (docs/reports.md); reports without it are version 1.
    public static let schemaVersion = 2

    public var schemaVersion: Int
    public var passed: Bool
    public var cases: [CaseResult]

    public init(cases: [CaseResult]) {
        self.schemaVersion = Self.schemaVersion
        self.cases = cases
        self.passed = !cases.isEmpty && cases.allSatisfy(\.passed)
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", passed, cases
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
        passed = try c.decode(Bool.self, forKey: .passed)
        cases = try c.decode([CaseResult].self, forKey: .cases)
    }

    /// 0: everything within tolerance; 1: some output out of tolerance; 2: some input unusable.
    public var exitCode: Int32 {
        if cases.contains(where: { $0.error != nil }) { return 2 }
        return passed ? 0 : 1
    }

    /// The report as JSON (`{"schema_version", "passed", "cases": [...]}`); non-finite numbers as strings.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// Tolerance names given on the command line that matched no output or layer in any case
    /// that ran (a misspelt name would otherwise change nothing, silently).
    public var unusedToleranceNames: [String] {
        let ran = cases.filter { $0.error == nil }
        guard !ran.isEmpty else { return [] }
        var unused = ran[0].unusedToleranceNames ?? []
        for c in ran.dropFirst() { unused = unused.filter { (c.unusedToleranceNames ?? []).contains($0) } }
        return unused
    }

    /// A plain-text report for a terminal or a CI log.
    public func text() -> String {
        var lines: [String] = []
        for c in cases {
            let status = c.error != nil ? "ERROR" : (c.passed ? (c.expectedFailure != nil ? "XFAIL" : "PASS ") : "FAIL ")
            var head = "\(status) \(c.name)"
            if let t = c.tolerance { head += "  [atol \(fmt(t.atol)), rtol \(fmt(t.rtol)): \(t.source)]" }
            lines.append(head)
            if let error = c.error { lines.append("      \(error)") }
            if let problem = c.problem { lines.append("      \(problem)") }
            for o in c.outputs {
                if let problem = o.problem {
                    lines.append("      FAIL \(o.name): \(problem)")
                    continue
                }
                let mark = o.passed ? "ok  " : (o.knownDeviation != nil ? "xfail" : "FAIL")
                lines.append("      \(mark) \(o.name) \(shapeText(o.shape)): \(statisticsText(o)), out of tolerance \(o.mismatched)/\(o.count)")
                if let t = o.tolerance { lines.append("           tolerance atol \(fmt(t.atol)), rtol \(fmt(t.rtol)): \(t.source)") }
                if let b = o.budget { lines.append("           " + budgetText(b)) }
                if let reason = o.knownDeviation { lines.append("           known deviation: \(reason)") }
                if !o.passed, let index = o.worstIndex {
                    lines.append("           worst at \(Self.describe(index: index)): \(c.labels.actual) \(fmt(o.worstActual ?? .nan)), \(c.labels.expected) \(fmt(o.worstExpected ?? .nan))")
                }
            }
            for comparison in c.layers ?? [] { lines += Self.layerLines(comparison, labels: c.labels) }
            for note in c.notes ?? [] { lines.append("      note: \(note)") }
        }
        lines.append("")
        lines.append(summaryLine)
        return Escape.terminal(lines.joined(separator: "\n")) + "\n"
    }

    /// "PASSED: 3 of 3 case(s) within tolerance, 0 out of tolerance, 0 unusable."
    public var summaryLine: String {
        let passedCount = cases.filter(\.passed).count
        let known = cases.filter { $0.passed && $0.expectedFailure != nil }.count
        let errors = cases.filter { $0.error != nil }.count
        let failed = cases.count - passedCount - errors
        return "\(passed ? "PASSED" : "FAILED"): \(passedCount) of \(cases.count) case(s) within tolerance"
            + (known > 0 ? " (\(known) with known deviations)" : "") + ", \(failed) out of tolerance, \(errors) unusable."
    }

    /// The text report's lines for one layer comparison: a summary, a table in graph order,
    /// the first divergence in words, and every unmatched node.
    static func layerLines(_ comparison: LayerComparison, labels: Sides) -> [String] {
        var lines = ["      layers: " + comparison.summary]
        let rows = layerRows(comparison)
        let header = ["", "node", "class", "output", "max abs", "mean", "median", "p99", "input error", "growth", ""]
        var widths = header.map(\.count)
        for r in rows { for (k, cell) in r.enumerated() { widths[k] = max(widths[k], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { k, cell in
                k < 4 || k == cells.count - 1 ? cell.padding(toLength: widths[k], withPad: " ", startingAt: 0)
                      : String(repeating: " ", count: widths[k] - cell.count) + cell
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        lines.append("           " + line(header))
        for r in rows { lines.append("           " + line(r)) }
        if let d = comparison.firstDivergence { lines.append("           " + d.explanation) }
        for u in comparison.unmatched { lines.append("           unmatched: " + u) }
        if comparison.outOfTolerance > 0 && comparison.firstDivergence == nil {
            lines.append("           (no node could be named as the first divergence)")
        }
        return lines
    }

    /// `(batch 0, time 3, unit 2)` for a rank-3 index, `(batch 0, unit 2)` for rank 2.
    public static func describe(index: [Int]) -> String {
        switch index.count {
        case 3: return "(batch \(index[0]), time \(index[1]), unit \(index[2]))"
        case 2: return "(batch \(index[0]), unit \(index[1]))"
        default: return "(" + index.map(String.init).joined(separator: ", ") + ")"
        }
    }
}

func fmt(_ x: Double) -> String {
    if x.isNaN { return "NaN" }
    if x == 0 { return "0" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    return String(format: abs(x) < 1e-3 || abs(x) >= 1e5 ? "%.3e" : "%.7g", x)
}
