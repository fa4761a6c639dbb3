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
func worstText(_ o: OutputDiff, labels: Sides = .rnncheckKeras) -> String? {
    guard let index = o.worstIndex else { return nil }
    return "\(Report.describe(index: index)): \(labels.actual) \(fmtValue(o.worstActual)), \(labels.expected) \(fmtValue(o.worstExpected))"
}

/// "max abs 1.2e-07 (mean 3.0e-08, median 2.1e-08, p99 1.1e-07), max rel 2.0e-06, max ulp 3".
func statisticsText(_ o: OutputDiff) -> String {
    var s = "max abs \(fmt(o.maxAbsError))"
    if let mean = o.meanAbsError, let median = o.medianAbsError, let p99 = o.p99AbsError {
        s += " (mean \(fmt(mean)), median \(fmt(median)), p99 \(fmt(p99)))"
    }
    return s + ", max rel \(fmt(o.maxRelError)), max ulp \(o.maxUlp)"
}

/// The numbers of one output on one line.
func numbersText(_ o: OutputDiff) -> String {
    if let problem = o.problem { return problem }
    return "\(statisticsText(o)), out of tolerance \(o.mismatched) of \(o.count)"
}

/// The error budget in words: its verdict, and how closely the float64 runs agree.
func budgetText(_ b: ErrorBudget) -> String {
    var s = "error budget: \(b.explanation)"
    if let agreement = b.float64Agreement, !b.explanation.contains("float64 run differs") { s += " " + agreementText(agreement) }
    return s
}

/// How closely the float64 runs of rnncheck and Keras agree, in a sentence.
func agreementText(_ agreement: Double) -> String {
    agreement <= 1e-9 ? "The float64 runs of rnncheck and Keras agree to \(fmt(agreement))."
        : "The float64 runs of rnncheck and Keras differ by up to \(fmt(agreement))."
}

/// Short words for a budget verdict, for table cells.
func budgetWord(_ b: ErrorBudget) -> String {
    switch b.verdict {
    case .withinKerasRounding: return "within Keras's rounding"
    case .exceedsKerasRounding: return "over 2× Keras's rounding"
    case .kerasErrorUnknown: return "Keras's error unknown"
    case .outOfTolerance: return "out of tolerance"
    case .referenceSuspect: return "reference suspect"
    }
}

/// "3.1e-05" for a value, "–" for none.
func fmtOptional(_ x: Double?) -> String { x.map(fmt) ?? "–" }

/// An error growth: "×12.3", "new" (the inputs were exact: the error arose in the node), "–"
/// (unknown, or no error at all).
func growthText(_ g: Double?) -> String {
    guard let g else { return "–" }
    if g.isInfinite { return "new" }
    if g.isNaN { return "NaN" }
    return "×" + String(format: "%.3g", g)
}

/// The table of a layer comparison, one row per node output in graph order: status, node,
/// class, output, max / mean / median / p99 abs error, the node's input error and growth
/// (first row of a node only), and a note ("first divergence", a problem).
func layerRows(_ comparison: LayerComparison) -> [[String]] {
    var rows: [[String]] = []
    for layer in comparison.layers {
        let first = comparison.firstDivergence?.node == layer.node
        if layer.outputs.isEmpty {
            rows.append([layer.passed ? "ok" : "FAIL", layer.node, layer.className, "–", "–", "–", "–", "–",
                         fmtOptional(layer.inputError), growthText(layer.errorGrowth), layer.problem ?? ""])
            continue
        }
        for (k, o) in layer.outputs.enumerated() {
            let what = o.name.hasPrefix(layer.layer + "/") ? String(o.name.dropFirst(layer.layer.count + 1)) : o.name
            var note = ""
            if k == 0 {
                note = [first ? "first divergence" : nil, layer.problem].compactMap { $0 }.joined(separator: "; ")
            }
            if let problem = o.problem { note = [note, problem].filter { !$0.isEmpty }.joined(separator: "; ") }
            rows.append([
                o.passed ? "ok" : "FAIL", k == 0 ? layer.node : "", k == 0 ? layer.className : "", what,
                fmt(o.maxAbsError), fmtOptional(o.meanAbsError), fmtOptional(o.medianAbsError), fmtOptional(o.p99AbsError),
                k == 0 ? fmtOptional(layer.inputError) : "", k == 0 ? growthText(layer.errorGrowth) : "", note,
            ])
        }
    }
    return rows
}
