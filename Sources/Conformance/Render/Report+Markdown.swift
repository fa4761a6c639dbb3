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

        md += listSection(title: "Notes", items: cases.flatMap { c in
            (c.notes ?? []).map { "\(Escape.markdownCode(c.name, inTable: false)): \(Escape.markdown($0))" }
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
            header: ["Case", "Output", "Shape", "Max abs", "Mean", "Median", "P99", "Max rel", "Max ulp", "Out of tolerance",
                     "Keras f32 vs f64", "rnncheck f32 vs f64", "Error budget", "Status"],
            alignments: [.left, .left, .left, .right, .right, .right, .right, .right, .right, .right, .right, .right, .left, .left],
            rows: rows
        ).lines
        md.append("")
        if omitted > 0 {
            md.append("\(omitted) passing output\(omitted == 1 ? " is" : "s are") not listed.")
            md.append("")
        }
        md += layerSection()
        md.append("Error budget: the largest |float32 − float64| over the output. Keras's own float32 error (Keras f32 vs f64) is "
            + "known only when the reference holds Keras's float64 outputs (`rnncheck-ref --float64`); rnncheck's float32 is then "
            + "measured against Keras's float64 run too, and otherwise against its own float64 run. A failing output never gets "
            + "the \"within Keras's rounding\" verdict.")
        return md.joined(separator: "\n") + "\n"
    }

    /// Per case with layer comparisons: the summary, the first divergence in words, a table of
    /// every node output in graph order, and the unmatched nodes.
    private func layerSection() -> [String] {
        var md: [String] = []
        for c in cases {
            for comparison in c.layers ?? [] {
                md.append("### Layers of \(Escape.markdownCode(c.name, inTable: false)) (\(Escape.markdown(comparison.precision)))")
                md.append("")
                md.append(Escape.markdown(comparison.summary) + ".")
                md.append("")
                if let d = comparison.firstDivergence {
                    md.append("**First divergence:** " + Escape.markdown(d.explanation))
                    md.append("")
                }
                md += MarkdownTable(
                    header: ["Status", "Node", "Class", "Output", "Max abs", "Mean", "Median", "P99", "Input error", "Growth", "Note"],
                    alignments: [.left, .left, .left, .left, .right, .right, .right, .right, .right, .right, .left],
                    rows: layerRows(comparison).map { r in
                        r.enumerated().map { k, cell in
                            (k == 1 || k == 3) && !cell.isEmpty ? Escape.markdownCode(cell) : Escape.markdown(cell)
                        }
                    }
                ).lines
                md.append("")
                if !comparison.unmatched.isEmpty {
                    md += comparison.unmatched.map { "- Unmatched: " + Escape.markdown($0) }
                    md.append("")
                }
            }
        }
        return md
    }

    private func outputRows() -> [[String]] {
        var rows: [[String]] = []
        for c in cases {
            let name = Escape.markdownCode(c.name)
            if c.error != nil {
                rows.append([name] + Array(repeating: "–", count: 12) + [CaseStatus.error.rawValue])
            }
            if let problem = c.problem {
                rows.append([name, Escape.markdownCode(JUnitCase.caseLevelName)] + Array(repeating: "–", count: 7)
                    + [Escape.markdown(problem), "–", "–", "–", CaseStatus.failed.rawValue])
            }
            for o in c.outputs {
                let numbers: [String]
                if o.problem == nil {
                    numbers = [fmt(o.maxAbsError), fmtOptional(o.meanAbsError), fmtOptional(o.medianAbsError),
                               fmtOptional(o.p99AbsError), fmt(o.maxRelError), String(o.maxUlp), "\(o.mismatched) / \(o.count)"]
                } else {
                    numbers = ["–", "–", "–", "–", "–", "–", Escape.markdown(o.problem ?? "")]
                }
                rows.append([name, Escape.markdownCode(o.name), Escape.markdown(shapeText(o.shape))] + numbers
                    + budgetCells(o.budget) + [OutputStatus(o, in: c).label])
            }
        }
        return rows
    }

    /// The budget's three cells: Keras f32 vs f64 ("unknown" without Keras's float64 outputs),
    /// rnncheck f32 vs f64, and the verdict in words.
    private func budgetCells(_ b: ErrorBudget?) -> [String] {
        guard let b else { return ["–", "–", "–"] }
        let keras = b.kerasMaxAbs.map { "\(fmt($0)) (\(b.kerasMaxUlp ?? 0) ulp)" } ?? "unknown"
        return [keras, "\(fmt(b.rnncheckMaxAbs)) (\(b.rnncheckMaxUlp) ulp)", Escape.markdown(budgetWord(b))]
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
                    md.append("- **\(o.mismatched) of \(o.count)** elements out of tolerance: " + Escape.markdown(statisticsText(o)) + ".")
                }
                if let worst = worstText(o, labels: c.labels) {
                    md.append("- Worst at " + Escape.markdown(worst) + ".")
                }
                md.append("- Tolerance: " + Escape.markdown(o.tolerance.map { "atol \(fmt($0.atol)), rtol \(fmt($0.rtol)) (\($0.source))" }
                    ?? toleranceText(c.tolerance)) + ".")
                if let b = o.budget { md.append("- E" + Escape.markdown(String(budgetText(b).dropFirst()))) }
                if let d = c.layers?.first?.firstDivergence { md.append("- First divergence: " + Escape.markdown(d.explanation)) }
                md.append("")
                if let detail = o.detail, !detail.worstElements.isEmpty {
                    md += MarkdownTable(
                        header: ["Index", Escape.markdown(c.labels.actual), Escape.markdown(c.labels.expected), "abs error", "ulps"],
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
