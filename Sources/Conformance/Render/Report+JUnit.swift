extension Report {
    /// The report as JUnit XML, for the test tabs of GitHub Actions, GitLab and Jenkins.
    ///
    /// One `<testsuites>` holding one `<testsuite name="rnncheck">`; in it one
    /// `<testcase classname="<case>" name="<output>" time="<seconds>">` per fixture output
    /// (`classname`: the case name without a file extension, other dots made `_`, since JUnit
    /// readers split a classname at dots into package and class; `time`: the case's wall-clock
    /// time shared equally by its test cases, so that they add up to the suite's `time`):
    ///
    /// - an output out of tolerance has a `<failure>` whose `message` gives max abs / rel / ulp
    ///   error, how many elements are out of tolerance, the worst index with both values and the
    ///   tolerance (`type="OutOfTolerance"`; `"ShapeMismatch"` when the shapes differ);
    /// - an output covered by an expected-failures entry is `<skipped message="known deviation: …">`;
    /// - a case that could not run at all is one test case named `(case)` with an `<error>`;
    /// - a case-level problem (a different number of outputs, a stale expected-failures entry) is
    ///   one more test case named `(case)` with a `<failure>`;
    /// - a case with layer comparisons has one more test case per comparison, named
    ///   `(layers)` (`(layers float64)` for a diff's second), which passes (the layers are
    ///   diagnostic: the outputs decide) and lists every layer, the first divergence and the
    ///   unmatched nodes in `<system-out>`; a failing output's failure text names the first divergence.
    ///
    /// Every test case carries its numbers and error budget in `<system-out>`; failures and
    /// errors carry the case's provenance too, and provenance values shared by all cases (Keras
    /// version, ...) are `<properties>` of the suite. The document
    /// validates against the Jenkins/Ant JUnit schema (`tools/junit.xsd` is a strict subset);
    /// characters XML 1.0 forbids are replaced by a visible `\u{..}`.
    public func junitXML() -> String {
        var testcases: [JUnitCase] = []
        for c in cases { testcases += JUnitCase.cases(for: c) }
        let failures = testcases.filter { if case .failure = $0.outcome { return true } else { return false } }.count
        let errors = testcases.filter { if case .error = $0.outcome { return true } else { return false } }.count
        let skipped = testcases.filter { if case .skipped = $0.outcome { return true } else { return false } }.count
        let seconds = cases.compactMap(\.seconds).reduce(0, +)
        let counts = "tests=\"\(testcases.count)\" failures=\"\(failures)\" errors=\"\(errors)\" time=\"\(JUnitCase.seconds(seconds))\""

        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"rnncheck\" \(counts)>\n"
        xml += "  <testsuite name=\"rnncheck\" \(counts) skipped=\"\(skipped)\">\n"
        xml += "    <properties>\n"
        for (name, value) in suiteProperties() {
            xml += "      <property name=\"\(Escape.xml(name, attribute: true))\" value=\"\(Escape.xml(value, attribute: true))\"/>\n"
        }
        xml += "    </properties>\n"
        for t in testcases { xml += t.xml(indent: "    ") }
        xml += "  </testsuite>\n"
        xml += "</testsuites>\n"
        return xml
    }

    /// `rnncheck.*` summary values, then `provenance.<key>` for every provenance value that all
    /// cases with provenance share.
    func suiteProperties() -> [(String, String)] {
        let tally = ReportTally(self)
        var props: [(String, String)] = [
            ("rnncheck.passed", passed ? "true" : "false"),
            ("rnncheck.exit_code", String(exitCode)),
            ("rnncheck.summary", tally.sentence),
        ]
        let provenances = cases.compactMap(\.provenance).filter { !$0.isEmpty }
        if let first = provenances.first {
            for key in first.keys.sorted() where provenances.allSatisfy({ $0[key] == first[key] }) {
                props.append(("provenance.\(key)", first[key] ?? ""))
            }
        }
        return props
    }
}

/// One `<testcase>` of the JUnit report.
struct JUnitCase {
    enum Outcome {
        case passed
        case failure(type: String, message: String, body: String)
        case error(message: String, body: String)
        case skipped(message: String)
    }

    var classname: String
    var name: String
    var outcome: Outcome
    var systemOut: String
    var time: Double = 0

    init(classname: String, name: String, outcome: Outcome, systemOut: String) {
        self.classname = Self.classname(classname)
        self.name = name
        self.outcome = outcome
        self.systemOut = systemOut
    }

    static let caseLevelName = "(case)"

    /// A case name as a JUnit classname: without a model or reference file extension, and with
    /// other dots made `_` (readers split a classname at dots into package and class).
    static func classname(_ name: String) -> String {
        var base = name
        for ext in [".weights.h5", ".keras", ".h5", ".hdf5", ".json"] where base.lowercased().hasSuffix(ext) && base.count > ext.count {
            base = String(base.dropLast(ext.count))
            break
        }
        return base.replacingOccurrences(of: ".", with: "_")
    }

    /// Seconds as the schema's `[0-9]+(\.[0-9]+)?`.
    static func seconds(_ t: Double) -> String {
        String(format: "%.3f", t.isFinite && t > 0 ? t : 0)
    }

    /// The test cases of one rnncheck case.
    static func cases(for c: CaseResult) -> [JUnitCase] {
        var out: [JUnitCase] = []
        let caseLines = caseInfo(c)
        let provenance = provenanceLines(c)
        if let error = c.error {
            out.append(JUnitCase(classname: c.name, name: caseLevelName,
                                 outcome: .error(message: error, body: (["unusable: " + error] + caseLines + provenance).joined(separator: "\n")),
                                 systemOut: caseLines.joined(separator: "\n")))
        }
        if let problem = c.problem {
            out.append(JUnitCase(classname: c.name, name: caseLevelName,
                                 outcome: .failure(type: "CaseProblem", message: problem,
                                                   body: ([problem] + caseLines + provenance).joined(separator: "\n")),
                                 systemOut: caseLines.joined(separator: "\n")))
        }
        let divergence = (c.layers ?? []).compactMap(\.firstDivergence).first.map { "first divergence: " + $0.explanation }
        for o in c.outputs { out.append(output(o, of: c, caseLines: caseLines + (divergence.map { [$0] } ?? []))) }
        for comparison in c.layers ?? [] {
            let name = comparison.precision == "float32" ? "(layers)" : "(layers \(comparison.precision))"
            let lines = Report.layerLines(comparison, labels: c.labels).map { $0.hasPrefix("      ") ? String($0.dropFirst(6)) : $0 }
            out.append(JUnitCase(classname: c.name, name: name, outcome: .passed, systemOut: (lines + caseLines).joined(separator: "\n")))
        }
        if out.isEmpty {
            // Nothing was compared and nothing says why: keep the case visible.
            let outcome: Outcome = c.passed ? .passed
                : .failure(type: "NoOutputs", message: "no output was compared", body: caseLines.joined(separator: "\n"))
            out.append(JUnitCase(classname: c.name, name: caseLevelName, outcome: outcome, systemOut: caseLines.joined(separator: "\n")))
        }
        let share = (c.seconds ?? 0) / Double(out.count)
        for k in out.indices { out[k].time = share }
        return out
    }

    static func output(_ o: OutputDiff, of c: CaseResult, caseLines: [String]) -> JUnitCase {
        var lines = ["shape \(shapeText(o.shape)) (\(c.labels.expected) \(shapeText(o.expectedShape)))", numbersText(o)]
        if let worst = worstText(o, labels: c.labels) { lines.append("worst at " + worst) }
        lines.append("tolerance " + (o.tolerance.map { "atol \(fmt($0.atol)), rtol \(fmt($0.rtol)) (\($0.source))" } ?? toleranceText(c.tolerance)))
        if let b = o.budget { lines.append(budgetText(b)) }
        if let detail = o.detail, !o.passed {
            lines.append("worst elements (index: \(c.labels.actual), \(c.labels.expected), |error|, ulps):")
            for w in detail.worstElements {
                lines.append("  \(Report.describe(index: w.index)): \(fmtValue(w.rnncheck)), \(fmtValue(w.keras)), \(fmt(w.absError)), \(w.ulps)")
            }
        }
        lines += caseLines
        let outcome: Outcome
        switch OutputStatus(o, in: c) {
        case .passed:
            outcome = .passed
        case .known(let reason):
            outcome = .skipped(message: "known deviation: \(reason)")
        case .failed:
            var message: String
            if let problem = o.problem {
                message = problem
            } else {
                message = "\(o.mismatched) of \(o.count) elements out of tolerance: \(statisticsText(o))"
                if let worst = worstText(o, labels: c.labels) { message += "; worst at " + worst }
            }
            message += "; tolerance " + (o.tolerance.map { "atol \(fmt($0.atol)), rtol \(fmt($0.rtol)) (\($0.source))" } ?? toleranceText(c.tolerance))
            outcome = .failure(type: o.problem == nil ? "OutOfTolerance" : "ShapeMismatch", message: message,
                               body: (lines + provenanceLines(c)).joined(separator: "\n"))
        }
        return JUnitCase(classname: c.name, name: o.name, outcome: outcome, systemOut: lines.joined(separator: "\n"))
    }

    /// File and description of a case, one per line.
    static func caseInfo(_ c: CaseResult) -> [String] {
        var lines: [String] = []
        if let file = c.file { lines.append("file: \(file)") }
        if let description = c.description { lines.append("description: \(description)") }
        if let expected = c.expectedFailure { lines.append("expected failure: \(expected)") }
        for note in c.notes ?? [] { lines.append("note: \(note)") }
        return lines
    }

    /// The provenance of a case, one value per line (in failure and error texts only).
    static func provenanceLines(_ c: CaseResult) -> [String] {
        (c.provenance ?? [:]).sorted(by: { $0.key < $1.key }).map { "provenance \($0.key): \($0.value)" }
    }

    func xml(indent: String) -> String {
        let head = "\(indent)<testcase classname=\"\(Escape.xml(classname, attribute: true))\" name=\"\(Escape.xml(name, attribute: true))\" time=\"\(Self.seconds(time))\""
        var children = ""
        let inner = indent + "  "
        switch outcome {
        case .passed:
            break
        case let .failure(type, message, body):
            children += "\(inner)<failure type=\"\(Escape.xml(type, attribute: true))\" message=\"\(Escape.xml(message, attribute: true))\">\(Escape.xml(body))</failure>\n"
        case let .error(message, body):
            children += "\(inner)<error type=\"Unusable\" message=\"\(Escape.xml(message, attribute: true))\">\(Escape.xml(body))</error>\n"
        case let .skipped(message):
            children += "\(inner)<skipped message=\"\(Escape.xml(message, attribute: true))\"/>\n"
        }
        if !systemOut.isEmpty {
            children += "\(inner)<system-out>\(Escape.xml(systemOut))</system-out>\n"
        }
        return children.isEmpty ? head + "/>\n" : head + ">\n" + children + "\(indent)</testcase>\n"
    }
}
