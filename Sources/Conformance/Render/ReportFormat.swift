import Foundation

/// The formats a ``Report`` renders to.
///
/// - `text`: plain text for a terminal or a CI log (``Report/text()``).
/// - `json`: everything the run measured, machine-readable (``Report/json()``).
/// - `junit`: JUnit XML, one test case per fixture output, for CI test tabs (``Report/junitXML()``).
/// - `markdown`: GitHub-flavoured Markdown for a pull-request comment or a job summary (``Report/markdown()``).
/// - `html`: one self-contained HTML page with heatmaps and plots (``Report/html()``).
public enum ReportFormat: String, Sendable, CaseIterable {
    case text, json, junit, markdown, html

    /// The usual file name extension of the format, without the dot.
    public var fileExtension: String {
        switch self {
        case .text: return "txt"
        case .json: return "json"
        case .junit: return "xml"
        case .markdown: return "md"
        case .html: return "html"
        }
    }
}

extension Report {
    /// The report in `format`.
    ///
    /// Only `.json` can throw (an encoding failure); the other formats always render.
    public func rendered(_ format: ReportFormat) throws -> String {
        switch format {
        case .text: return text()
        case .json: return try json()
        case .junit: return junitXML()
        case .markdown: return markdown()
        case .html: return html()
        }
    }
}

// MARK: - Statuses and counts shared by the renderers

/// How one output is reported.
enum OutputStatus: Equatable {
    case passed
    case failed
    /// Out of tolerance, but covered by an expected-failures entry (its reason).
    case known(String)

    var label: String {
        switch self {
        case .passed: return "PASS"
        case .failed: return "FAIL"
        case .known: return "KNOWN"
        }
    }

    /// An output's status. A failing output is a known deviation when its own
    /// `knownDeviation` is set, or when the case carries `expectedFailure` and no output of it
    /// is marked one by one (a case-level entry).
    init(_ o: OutputDiff, in c: CaseResult) {
        if o.passed { self = .passed; return }
        if let reason = o.knownDeviation { self = .known(reason); return }
        if let reason = c.expectedFailure, !c.outputs.contains(where: { $0.knownDeviation != nil }) {
            self = .known(reason)
            return
        }
        self = .failed
    }
}

/// How a case is reported.
enum CaseStatus: String {
    case passed = "PASS"
    case failed = "FAIL"
    case error = "ERROR"
    /// Every failure of the case is a known deviation.
    case known = "KNOWN"

    init(_ c: CaseResult) {
        if c.error != nil { self = .error; return }
        if c.problem != nil { self = .failed; return }
        let statuses = c.outputs.map { OutputStatus($0, in: c) }
        if statuses.contains(.failed) { self = .failed; return }
        if statuses.contains(where: { if case .known = $0 { return true } else { return false } }) {
            self = .known
            return
        }
        self = c.passed ? .passed : .failed
    }
}

/// Per-status case counts and per-output counts of a report.
struct ReportTally {
    var cases = 0, passed = 0, failed = 0, errors = 0, known = 0
    var outputs = 0, outputsPassed = 0, outputsFailed = 0, outputsKnown = 0

    init(_ report: Report) {
        for c in report.cases {
            cases += 1
            switch CaseStatus(c) {
            case .passed: passed += 1
            case .failed: failed += 1
            case .error: errors += 1
            case .known: known += 1
            }
            for o in c.outputs {
                outputs += 1
                switch OutputStatus(o, in: c) {
                case .passed: outputsPassed += 1
                case .failed: outputsFailed += 1
                case .known: outputsKnown += 1
                }
            }
        }
    }

    /// Whether nothing failed and nothing was unusable (known deviations allowed).
    var allGood: Bool { cases > 0 && failed == 0 && errors == 0 }

    /// "39 of 40 cases within tolerance (1 with known deviations), 1 out of tolerance, 0 unusable".
    var sentence: String {
        var s = "\(passed + known) of \(cases) case\(cases == 1 ? "" : "s") within tolerance"
        if known > 0 { s += " (\(known) with known deviations)" }
        return s + ", \(failed) out of tolerance, \(errors) unusable"
    }
}

// MARK: - Number formats shared by the renderers

/// A value as float32 shows it: enough digits to tell two float32 values apart.
func fmtValue(_ x: Double?) -> String {
    guard let x else { return "–" }
    if x.isNaN { return "NaN" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    return String(format: "%.9g", x)
}

/// The tolerance in words: "atol 1.000e-06, rtol 1.000e-05 (default)".
func toleranceText(_ t: AppliedTolerance?) -> String {
    guard let t else { return "–" }
    return "atol \(fmt(t.atol)), rtol \(fmt(t.rtol)) (\(t.source))"
}

/// The worst element in words: "(batch 1, time 3, unit 6): rnncheck 0.1234, Keras 0.1244".
func worstText(_ o: OutputDiff) -> String? {
    guard let index = o.worstIndex else { return nil }
    return "\(Report.describe(index: index)): rnncheck \(fmtValue(o.worstActual)), Keras \(fmtValue(o.worstExpected))"
}

/// The numbers of one output on one line.
func numbersText(_ o: OutputDiff) -> String {
    if let problem = o.problem { return problem }
    return "max abs \(fmt(o.maxAbsError)), max rel \(fmt(o.maxRelError)), max ulp \(o.maxUlp), out of tolerance \(o.mismatched) of \(o.count)"
}

/// The error budget on one line.
func budgetText(_ b: ErrorBudget) -> String {
    var s = "error budget vs \(b.reference): Keras float32 \(fmt(b.kerasMaxAbs)) (\(b.kerasMaxUlp) ulp), rnncheck float32 \(fmt(b.rnncheckMaxAbs)) (\(b.rnncheckMaxUlp) ulp)"
    if let agreement = b.float64Agreement { s += "; float64 engines agree to \(fmt(agreement))" }
    s += b.withinKerasRounding ? "; within Keras's own rounding" : "; exceeds twice Keras's own rounding error"
    return s
}
