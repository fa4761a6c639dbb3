extension Report {
    /// The report as GitHub-flavoured Markdown, for a pull-request comment or a CI job summary.
    ///
    /// A headline with the verdict and counts; the tolerances applied; a section per failing
    /// output (numbers, worst index with both values, the worst elements when the run kept
    /// detail), unusable cases and known deviations; then one table of every output: case,
    /// output, shape, max abs / rel / ulp error, elements out of tolerance, the error budget
    /// (Keras float32 and rnncheck float32 against float64) and a status word (`PASS`, `FAIL`,
    /// `KNOWN`, `ERROR`). Cells escape `|`; names are code spans.
    public func markdown() -> String { markdown(rowLimit: nil) }

    /// The Markdown report with at most `rowLimit` rows in the table of outputs: when there are
    /// more, passing outputs are left out of the table (and counted in a note below it); rows
    /// that did not pass are always listed. For places with a size limit, such as a GitHub
    /// pull-request comment (65,536 characters).
    public func markdown(rowLimit: Int?) -> String {
        let tally = ReportTally(self)
        var md: [String] = []
        md.append("## rnncheck: \(passed ? "PASSED" : "FAILED")")
        md.append("")
        md.append("**\(Escape.markdown(tally.sentence)).** \(tally.outputsPassed) of \(tally.outputs) outputs within tolerance"
            + (tally.outputsKnown > 0 ? ", \(tally.outputsKnown) known deviation\(tally.outputsKnown == 1 ? "" : "s")" : "") + ".")
        md.append("")
        var tolerances: [String: Int] = [:]
        for c in cases where c.tolerance != nil { tolerances[toleranceText(c.tolerance), default: 0] += 1 }
        if !tolerances.isEmpty {
            let parts = tolerances.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
                .map { tolerances.count == 1 ? $0.key : "\($0.key) for \($0.value) case\($0.value == 1 ? "" : "s")" }
            md.append("Tolerance: " + Escape.markdown(parts.joined(separator: "; ")) + ".")
            md.append("")
        }

        md += failureSection()
        md += listSection(title: "Unusable inputs", items: cases.compactMap { c in
            c.error.map { "\(Escape.markdownCode(c.name, inTable: false)): \(Escape.markdown($0))" }
        })
        md += listSection(title: "Known deviations", items: cases.flatMap { c in
            c.outputs.compactMap { o -> String? in
                guard case .known(let reason) = OutputStatus(o, in: c) else { return nil }
                return "\(Escape.markdownCode(c.name, inTable: false)) / \(Escape.markdownCode(o.name, inTable: false)): "
                    + Escape.markdown(reason) + " (" + Escape.markdown(numbersText(o)) + ")"
            }
        })

        var rows = outputRows()
        var omitted = 0
        if let rowLimit, rows.count > rowLimit {
            let kept = rows.filter { $0.last != OutputStatus.passed.label }
            omitted = rows.count - kept.count
            rows = kept
        }
        md.append(omitted == 0 ? "### All outputs" : "### Outputs that did not pass")
        md.append("")
        md += MarkdownTable(
            header: ["Case", "Output", "Shape", "Max abs", "Max rel", "Max ulp", "Out of tolerance",
                     "Keras f32 vs f64", "rnncheck f32 vs f64", "Status"],
            alignments: [.left, .left, .left, .right, .right, .right, .right, .right, .right, .left],
            rows: rows
        ).lines
        md.append("")
        if omitted > 0 {
            md.append("\(omitted) passing output\(omitted == 1 ? " is" : "s are") not listed.")
            md.append("")
        }
        md.append("Error budget: the largest |float32 − float64| over the output, for Keras's float32 run and for "
            + "rnncheck's, against the same float64 reference (Keras's own float64 run when the fixture has one).")
        return md.joined(separator: "\n") + "\n"
    }

    private func outputRows() -> [[String]] {
        var rows: [[String]] = []
        for c in cases {
            let name = Escape.markdownCode(c.name)
            if c.error != nil {
                rows.append([name, "–", "–", "–", "–", "–", "–", "–", "–", CaseStatus.error.rawValue])
            }
            if let problem = c.problem {
                rows.append([name, Escape.markdownCode(JUnitCase.caseLevelName), "–", "–", "–", "–",
                             Escape.markdown(problem), "–", "–", CaseStatus.failed.rawValue])
            }
            for o in c.outputs {
                let budget = o.budget
                let numbers: [String] = o.problem == nil
                    ? [fmt(o.maxAbsError), fmt(o.maxRelError), String(o.maxUlp), "\(o.mismatched) / \(o.count)"]
                    : ["–", "–", "–", Escape.markdown(o.problem ?? "")]
                rows.append([name, Escape.markdownCode(o.name), Escape.markdown(shapeText(o.shape))] + numbers + [
                    budget.map { "\(fmt($0.kerasMaxAbs)) (\($0.kerasMaxUlp) ulp)" } ?? "–",
                    budget.map { "\(fmt($0.rnncheckMaxAbs)) (\($0.rnncheckMaxUlp) ulp)" + ($0.withinKerasRounding ? "" : " over 2× Keras") } ?? "–",
                    OutputStatus(o, in: c).label,
                ])
            }
        }
        return rows
    }

    private func failureSection() -> [String] {
        var md: [String] = []
        for c in cases where CaseStatus(c) == .failed {
            let caseCode = Escape.markdownCode(c.name, inTable: false)
            if let problem = c.problem {
                md.append("#### \(caseCode)")
                md.append("")
                md.append(Escape.markdown(problem))
                md.append("")
            }
            for o in c.outputs where OutputStatus(o, in: c) == .failed {
                md.append("#### \(caseCode) / \(Escape.markdownCode(o.name, inTable: false)) \(Escape.markdown(shapeText(o.shape)))")
                md.append("")
                if let problem = o.problem {
                    md.append("- " + Escape.markdown(problem) + ".")
                } else {
                    md.append("- **\(o.mismatched) of \(o.count)** elements out of tolerance: "
                        + "max abs \(fmt(o.maxAbsError)), max rel \(fmt(o.maxRelError)), max ulp \(o.maxUlp).")
                }
                if let worst = worstText(o) {
                    md.append("- Worst at " + Escape.markdown(worst) + ".")
                }
                md.append("- Tolerance: " + Escape.markdown(toleranceText(c.tolerance)) + ".")
                if let b = o.budget { md.append("- E" + Escape.markdown(String(budgetText(b).dropFirst())) + ".") }
                md.append("")
                if let detail = o.detail, !detail.worstElements.isEmpty {
                    md += MarkdownTable(
                        header: ["Index", "rnncheck", "Keras", "abs error", "ulps"],
                        alignments: [.left, .right, .right, .right, .right],
                        rows: detail.worstElements.map {
                            [Escape.markdown(Report.describe(index: $0.index)), fmtValue($0.rnncheck), fmtValue($0.keras),
                             fmt($0.absError), String($0.ulps)]
                        }
                    ).lines
                    md.append("")
                }
            }
        }
        return md.isEmpty ? [] : ["### Failures", ""] + md
    }

    private func listSection(title: String, items: [String]) -> [String] {
        items.isEmpty ? [] : ["### \(title)", ""] + items.map { "- " + $0 } + [""]
    }
}

/// A GitHub-flavoured Markdown table; cells must already be escaped.
struct MarkdownTable {
    enum Alignment { case left, right }

    var header: [String]
    var alignments: [Alignment]
    var rows: [[String]]

    var lines: [String] {
        var out = [row(header), "|" + alignments.map { $0 == .right ? " ---: |" : " --- |" }.joined()]
        for r in rows { out.append(row(r)) }
        return out
    }

    private func row(_ cells: [String]) -> String {
        precondition(cells.count == header.count, "a Markdown row has \(cells.count) cells, the header \(header.count)")
        return "| " + cells.map { $0.isEmpty ? " " : $0 }.joined(separator: " | ") + " |"
    }
}
