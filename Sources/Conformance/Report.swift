import Foundation

/// Which tolerance was applied to a case, and why.
public struct AppliedTolerance: Sendable, Codable, Equatable {
    public var atol: Double
    public var rtol: Double
    /// `"command line"`, `"default"`, or `"fixture: <reason>"`.
    public var source: String
}

/// The result of one fixture or one compare.
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
             expectedFailure = "expected_failure"
    }

    /// A case that could not be run.
    public static func failed(name: String, file: String?, error: Error) -> CaseResult {
        CaseResult(name: name, passed: false, error: (error as? LocalizedError)?.errorDescription ?? "\(error)",
                   outputs: [], file: file, tolerance: nil, problem: nil)
    }
}

/// Everything one `verify` or `compare` run found.
public struct Report: Sendable, Codable {
    public var passed: Bool
    public var cases: [CaseResult]

    public init(cases: [CaseResult]) {
        self.cases = cases
        self.passed = !cases.isEmpty && cases.allSatisfy(\.passed)
    }

    /// 0: everything within tolerance; 1: some output out of tolerance; 2: some input unusable.
    public var exitCode: Int32 {
        if cases.contains(where: { $0.error != nil }) { return 2 }
        return passed ? 0 : 1
    }

    /// The report as JSON (`{"passed", "cases": [...]}`); non-finite numbers as strings.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
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
                lines.append("      \(mark) \(o.name) \(shapeText(o.shape)): max abs \(fmt(o.maxAbsError)), max rel \(fmt(o.maxRelError)), max ulp \(o.maxUlp), out of tolerance \(o.mismatched)/\(o.count)")
                if let b = o.budget {
                    var line = "           error budget vs \(b.reference): Keras float32 \(fmt(b.kerasMaxAbs)) (\(b.kerasMaxUlp) ulp), rnncheck float32 \(fmt(b.rnncheckMaxAbs)) (\(b.rnncheckMaxUlp) ulp)"
                    if let agreement = b.float64Agreement { line += "; float64 engines agree to \(fmt(agreement))" }
                    lines.append(line + (b.withinKerasRounding ? "" : "  [rnncheck's error exceeds twice Keras's own]"))
                }
                if let reason = o.knownDeviation { lines.append("           known deviation: \(reason)") }
                if !o.passed, let index = o.worstIndex {
                    lines.append("           worst at \(Self.describe(index: index)): rnncheck \(fmt(o.worstActual ?? .nan)), Keras \(fmt(o.worstExpected ?? .nan))")
                }
            }
        }
        let passedCount = cases.filter(\.passed).count
        let known = cases.filter { $0.passed && $0.expectedFailure != nil }.count
        let errors = cases.filter { $0.error != nil }.count
        let failed = cases.count - passedCount - errors
        lines.append("")
        lines.append("\(passed ? "PASSED" : "FAILED"): \(passedCount) of \(cases.count) case(s) within tolerance"
            + (known > 0 ? " (\(known) with known deviations)" : "") + ", \(failed) out of tolerance, \(errors) unusable.")
        return Escape.terminal(lines.joined(separator: "\n")) + "\n"
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
