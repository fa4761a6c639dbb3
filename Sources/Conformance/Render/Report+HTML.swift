extension Report {
    /// The report as one self-contained HTML page (inline CSS and SVG; no script, no network).
    ///
    /// At the top, the verdict, counts and a table of every case. Then per case: status,
    /// description, the tolerance applied and why, the provenance (Keras and TensorFlow
    /// versions, seed, command, ...), and per output: the numbers, the error budget (bars on a
    /// log axis), and when the run kept detail (`DiffOptions(detail: true)`): an |error|
    /// heatmap over time × unit for the batch row of the worst element (log colour scale, the
    /// worst element outlined), the largest |error| at each timestep (log axis, with `atol` and
    /// Keras's own float32 error as reference lines), a histogram of errors in float32 ulps, and
    /// the worst elements with both values. Cases that did not pass come first and are open;
    /// the others keep their order and are folded.
    ///
    /// The page is also well-formed XML (no named entities but XML's five; every element closed).
    public func html() -> String {
        let tally = ReportTally(self)
        var h = HTMLBuilder()
        h.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>")
        h.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>")
        h.raw("<title>rnncheck report: \(passed ? "PASSED" : "FAILED")</title>")
        h.raw("<style>\(HTMLBuilder.css)</style></head><body>\n")

        // Summary.
        h.raw("<header class=\"summary \(passed ? "ok" : "bad")\"><h1>rnncheck report <span class=\"verdict\">\(passed ? "PASSED" : "FAILED")</span></h1>")
        h.raw("<p class=\"counts\">\(Escape.html(tally.sentence)). \(tally.outputsPassed) of \(tally.outputs) outputs within tolerance")
        h.raw(tally.outputsFailed > 0 ? ", <strong>\(tally.outputsFailed) out of tolerance</strong>" : "")
        h.raw(tally.outputsKnown > 0 ? ", \(tally.outputsKnown) known deviation\(tally.outputsKnown == 1 ? "" : "s")" : "")
        h.raw(".</p>")
        h.raw("<p class=\"legend\">Errors are |rnncheck float32 − Keras float32| per element (in a diff, |A − B|). An element "
            + "passes when |actual − expected| ≤ atol + rtol·|expected|. The error budget measures both float32 results against "
            + "Keras's float64 run when the reference holds one; otherwise Keras's own error is unknown and only rnncheck's "
            + "float32-vs-float64 distance is shown.</p></header>\n")
        h.raw("<table class=\"cases\"><thead><tr><th>Status</th><th>Case</th><th>Outputs within tolerance</th>"
            + "<th class=\"num\">Max abs</th><th class=\"num\">Max ulp</th><th>Tolerance</th><th>Error budget</th></tr></thead><tbody>")
        // Failures first, then unusable cases, known deviations, passes; run order within each.
        let rank: [CaseStatus: Int] = [.failed: 0, .error: 1, .known: 2, .passed: 3]
        let order = cases.indices.sorted { (rank[CaseStatus(cases[$0])] ?? 3, $0) < (rank[CaseStatus(cases[$1])] ?? 3, $1) }
        for i in order {
            let c = cases[i]
            let status = CaseStatus(c)
            let finite = c.outputs.filter { $0.problem == nil }
            let maxAbs = finite.map(\.maxAbsError).reduce(0.0) { $0.isNaN || $1.isNaN ? .nan : max($0, $1) }
            let budget = Self.budgetCell(c.outputs.compactMap(\.budget))
            h.raw("<tr class=\"\(status.cssClass)\"><td>\(status.badge)</td><td><a href=\"#case-\(i)\">\(Escape.html(c.name))</a></td>")
            h.raw("<td>\(c.error == nil ? "\(c.outputs.filter(\.passed).count) / \(c.outputs.count)" : "unusable")</td>")
            h.raw("<td class=\"num\">\(finite.isEmpty ? "–" : fmt(maxAbs))</td><td class=\"num\">\(finite.isEmpty ? "–" : String(finite.map(\.maxUlp).max() ?? 0))</td>")
            h.raw("<td>\(c.tolerance.map { "atol \(fmt($0.atol)), rtol \(fmt($0.rtol))" } ?? "–")</td><td>\(budget)</td></tr>\n")
        }
        h.raw("</tbody></table>\n")

        for i in order { caseSection(cases[i], index: i, into: &h) }
        h.raw("<footer>Written by rnncheck. Self-contained: no scripts, fonts or styles are loaded from anywhere.</footer>\n")
        h.raw("</body></html>\n")
        return h.text
    }

    private func caseSection(_ c: CaseResult, index: Int, into h: inout HTMLBuilder) {
        let status = CaseStatus(c)
        let open = status != .passed || cases.count <= 3
        h.raw("<section class=\"case \(status.cssClass)\" id=\"case-\(index)\"><details\(open ? " open=\"open\"" : "")>")
        h.raw("<summary>\(status.badge) <span class=\"case-name\">\(Escape.html(c.name))</span>")
        h.raw(" <span class=\"muted\">\(c.outputs.count) output\(c.outputs.count == 1 ? "" : "s")</span></summary>\n")
        h.raw("<div class=\"case-body\">")
        if let description = c.description { h.raw("<p class=\"description\">\(Escape.html(description))</p>") }
        if let error = c.error { h.raw("<p class=\"message error\"><strong>Unusable:</strong> \(Escape.html(error))</p>") }
        if let problem = c.problem { h.raw("<p class=\"message fail\"><strong>Problem:</strong> \(Escape.html(problem))</p>") }
        if let expected = c.expectedFailure { h.raw("<p class=\"message known\"><strong>Known deviation:</strong> \(Escape.html(expected))</p>") }
        h.raw("<dl class=\"facts\">")
        if let file = c.file { h.raw("<dt>File</dt><dd><code>\(Escape.html(file))</code></dd>") }
        if let t = c.tolerance {
            h.raw("<dt>Tolerance</dt><dd>atol \(fmt(t.atol)), rtol \(fmt(t.rtol)) <span class=\"muted\">— \(Escape.html(t.source))</span></dd>")
        }
        h.raw("</dl>")
        if let provenance = c.provenance, !provenance.isEmpty {
            h.raw("<table class=\"provenance\"><caption>Provenance</caption><tbody>")
            for (key, value) in provenance.sorted(by: { $0.key < $1.key }) {
                h.raw("<tr><th>\(Escape.html(key))</th><td><code>\(Escape.html(value))</code></td></tr>")
            }
            h.raw("</tbody></table>")
        }
        if let notes = c.notes, !notes.isEmpty {
            h.raw("<ul class=\"notes\">")
            for note in notes { h.raw("<li>\(Escape.html(note))</li>") }
            h.raw("</ul>")
        }
        for (k, o) in c.outputs.enumerated() { outputSection(o, of: c, id: "case-\(index)-output-\(k)", into: &h) }
        for (k, comparison) in (c.layers ?? []).enumerated() {
            layerSection(comparison, of: c, id: "case-\(index)-layers-\(k)", into: &h)
        }
        h.raw("</div></details></section>\n")
    }

    /// The summary table's budget cell: the most serious verdict of the case's outputs.
    static func budgetCell(_ budgets: [ErrorBudget]) -> String {
        guard !budgets.isEmpty else { return "–" }
        let severity: [ErrorBudget.Verdict] = [.referenceSuspect, .outOfTolerance, .exceedsKerasRounding, .kerasErrorUnknown, .withinKerasRounding]
        let worst = severity.first { v in budgets.contains { $0.verdict == v } } ?? .withinKerasRounding
        let b = budgets.first { $0.verdict == worst }!
        return "<span class=\"\(budgetClass(b.verdict))\">\(Escape.html(budgetWord(b)))</span>"
    }

    /// The CSS class of a budget verdict: green only for within Keras's rounding.
    static func budgetClass(_ v: ErrorBudget.Verdict) -> String {
        switch v {
        case .withinKerasRounding: return "good"
        case .exceedsKerasRounding: return "warn"
        case .kerasErrorUnknown: return "muted"
        case .outOfTolerance, .referenceSuspect: return "bad"
        }
    }

    /// One layer comparison: summary, first divergence, the chart of error along the graph,
    /// the table of node outputs, and the unmatched nodes.
    private func layerSection(_ comparison: LayerComparison, of c: CaseResult, id: String, into h: inout HTMLBuilder) {
        h.raw("<div class=\"layers\" id=\"\(id)\"><h3>Layers <span class=\"muted\">(\(Escape.html(comparison.precision)), graph order)</span></h3>")
        h.raw("<p>\(Escape.html(comparison.summary)).</p>")
        if let d = comparison.firstDivergence {
            h.raw("<p class=\"message fail\"><strong>First divergence:</strong> \(Escape.html(d.explanation))</p>")
        }
        h.raw("<figure><figcaption>Largest |error| of each layer along the graph</figcaption>")
        h.raw(SVGPlot.layerErrors(comparison, atol: c.tolerance?.atol, labels: c.labels))
        h.raw("</figure>")
        h.raw("<table class=\"layer-table\"><thead><tr><th>Status</th><th>Node</th><th>Class</th><th>Output</th>"
            + "<th class=\"num\">Max abs</th><th class=\"num\">Mean</th><th class=\"num\">Median</th><th class=\"num\">P99</th>"
            + "<th class=\"num\">Input error</th><th class=\"num\">Growth</th><th>Note</th></tr></thead><tbody>")
        for r in layerRows(comparison) {
            let bad = r[0] != "ok"
            h.raw("<tr\(bad ? " class=\"fail\"" : "")><td>\(bad ? "<span class=\"badge fail\">FAIL</span>" : "<span class=\"badge pass\">ok</span>")</td>")
            h.raw("<td><code>\(Escape.html(r[1]))</code></td><td>\(Escape.html(r[2]))</td><td><code>\(Escape.html(r[3]))</code></td>")
            for cell in r[4...9] { h.raw("<td class=\"num\">\(Escape.html(cell))</td>") }
            h.raw("<td>\(Escape.html(r[10]))</td></tr>")
        }
        h.raw("</tbody></table>")
        if !comparison.unmatched.isEmpty {
            h.raw("<ul class=\"unmatched\">")
            for u in comparison.unmatched { h.raw("<li><strong>Unmatched:</strong> \(Escape.html(u))</li>") }
            h.raw("</ul>")
        }
        h.raw("</div>\n")
    }

    private func outputSection(_ o: OutputDiff, of c: CaseResult, id: String, into h: inout HTMLBuilder) {
        let status = OutputStatus(o, in: c)
        let css = status == .passed ? "pass" : (status == .failed ? "fail" : "known")
        h.raw("<div class=\"output \(css)\" id=\"\(id)\"><h3><span class=\"badge \(css)\">\(status.label)</span> ")
        h.raw("<code>\(Escape.html(o.name))</code> <span class=\"muted\">\(Escape.html(shapeText(o.shape)))</span></h3>")
        if case .known(let reason) = status { h.raw("<p class=\"message known\">Known deviation: \(Escape.html(reason))</p>") }
        if let problem = o.problem {
            h.raw("<p class=\"message fail\">\(Escape.html(problem))</p></div>\n")
            return
        }
        h.raw("<table class=\"numbers\"><thead><tr><th>Max abs</th><th>Mean</th><th>Median</th><th>P99</th><th>Max rel</th><th>Max ulp</th><th>Out of tolerance</th>"
            + "<th>Worst element</th><th>\(Escape.html(c.labels.actual))</th><th>\(Escape.html(c.labels.expected))</th></tr></thead><tbody><tr>")
        h.raw("<td>\(fmt(o.maxAbsError))</td><td>\(fmtOptional(o.meanAbsError))</td><td>\(fmtOptional(o.medianAbsError))</td>")
        h.raw("<td>\(fmtOptional(o.p99AbsError))</td><td>\(fmt(o.maxRelError))</td><td>\(o.maxUlp)</td>")
        h.raw("<td class=\"\(o.mismatched > 0 ? "bad" : "")\">\(o.mismatched) of \(o.count)</td>")
        h.raw("<td>\(o.worstIndex.map { Escape.html(Report.describe(index: $0)) } ?? "–")</td>")
        h.raw("<td class=\"value\">\(fmtValue(o.worstActual))</td><td class=\"value\">\(fmtValue(o.worstExpected))</td></tr></tbody></table>")
        if let t = o.tolerance {
            h.raw("<p class=\"muted\">Tolerance for this output: atol \(fmt(t.atol)), rtol \(fmt(t.rtol)) — \(Escape.html(t.source))</p>")
        }
        if let b = o.budget {
            h.raw("<div class=\"budget-block\"><p class=\"budget-text\"><strong>Error budget</strong> (against \(Escape.html(b.reference))): ")
            h.raw("<span class=\"\(Self.budgetClass(b.verdict))\">\(Escape.html(b.explanation))</span>")
            if let agreement = b.float64Agreement, !b.explanation.contains("float64 run differs") {
                h.raw(" " + Escape.html(agreementText(agreement)))
            }
            h.raw("</p>\(SVGPlot.budgetBars(b, observed: o.maxAbsError, atol: o.tolerance?.atol ?? c.tolerance?.atol))</div>")
        }
        if let d = o.detail {
            h.raw("<div class=\"figures\">")
            if let map = d.heatmap, o.shape.count == 3 {
                let worst: (Int, Int)? = o.worstIndex.flatMap { $0.count == 3 && $0[0] == (d.heatmapBatch ?? $0[0]) ? ($0[1], $0[2]) : nil }
                h.raw("<figure><figcaption>|error| over time × unit, batch row \(d.heatmapBatch ?? 0)")
                if let cell = d.heatmapCellSize, cell.contains(where: { $0 > 1 }) || map.count > SVGPlot.maxTimeCells || (map.first?.count ?? 0) > SVGPlot.maxUnitCells {
                    h.raw(" <span class=\"muted\">(max-pooled)</span>")
                }
                h.raw(worst == nil ? "" : "; worst element outlined")
                h.raw("</figcaption>")
                h.raw(SVGPlot.heatmap(map: map, cellSize: d.heatmapCellSize ?? [1, 1], steps: o.shape[1], units: o.shape[2],
                                      worst: worst, atol: c.tolerance?.atol))
                h.raw("</figure>")
            }
            if let overTime = d.errorOverTime {
                h.raw("<figure><figcaption>Largest |error| at each time step (all batch rows and units)</figcaption>")
                h.raw(SVGPlot.errorOverTime(overTime, atol: o.tolerance?.atol ?? c.tolerance?.atol, kerasError: o.budget?.kerasMaxAbs))
                h.raw("</figure>")
            }
            h.raw("<figure><figcaption>Elements by error in float32 ulps <span class=\"muted\">(orange: more than 2 ulp)</span></figcaption>")
            h.raw(SVGPlot.ulpHistogram(counts: d.ulpHistogram, labels: d.ulpBuckets))
            h.raw("</figure></div>")
            if !d.worstElements.isEmpty {
                h.raw("<table class=\"worst\"><caption>Worst elements</caption><thead><tr><th>Index</th><th>\(Escape.html(c.labels.actual))</th><th>\(Escape.html(c.labels.expected))</th>"
                    + "<th>|error|</th><th>ulps</th></tr></thead><tbody>")
                for w in d.worstElements {
                    h.raw("<tr><td>\(Escape.html(Report.describe(index: w.index)))</td><td class=\"value\">\(fmtValue(w.rnncheck))</td>")
                    h.raw("<td class=\"value\">\(fmtValue(w.keras))</td><td class=\"num\">\(fmt(w.absError))</td><td class=\"num\">\(w.ulps)</td></tr>")
                }
                h.raw("</tbody></table>")
            }
        }
        h.raw("</div>\n")
    }
}

extension CaseStatus {
    var cssClass: String {
        switch self {
        case .passed: return "pass"
        case .failed: return "fail"
        case .error: return "error"
        case .known: return "known"
        }
    }

    var badge: String { "<span class=\"badge \(cssClass)\">\(rawValue)</span>" }
}

/// Accumulates the page.
struct HTMLBuilder {
    var text = ""

    mutating func raw(_ s: String) { text += s }

    static let css = """
    :root{--pass:#1a7f37;--fail:#cf222e;--error:#bc4c00;--known:#7d6608;--muted:#666;--line:#d8dee4}
    *{box-sizing:border-box}
    body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;font-size:14px;color:#1f2328;margin:0 auto;padding:16px 24px;max-width:1360px;background:#fff}
    h1{font-size:22px;margin:0 0 6px}
    h3{font-size:15px;margin:14px 0 6px}
    code{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
    .summary{border:1px solid var(--line);border-left:6px solid var(--pass);padding:10px 16px;border-radius:6px;margin-bottom:14px}
    .summary.bad{border-left-color:var(--fail)}
    .verdict{font-size:15px;padding:2px 10px;border-radius:12px;color:#fff;background:var(--pass);vertical-align:middle}
    .summary.bad .verdict{background:var(--fail)}
    .counts{font-size:15px;margin:6px 0}
    .legend,.muted,footer{color:var(--muted)}
    .legend{font-size:12.5px;margin:4px 0}
    table{border-collapse:collapse;margin:6px 0 10px}
    th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
    th{background:#f6f8fa;font-weight:600}
    caption{text-align:left;font-weight:600;padding:4px 0}
    td.num,th.num,td.value{text-align:right;font-variant-numeric:tabular-nums}
    td.value{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
    table.cases tr.fail td,table.cases tr.error td{background:#fff5f5}
    .badge{display:inline-block;min-width:50px;text-align:center;font-size:11px;font-weight:700;letter-spacing:.04em;padding:2px 6px;border-radius:4px;color:#fff;background:var(--pass)}
    .badge.fail{background:var(--fail)}.badge.error{background:var(--error)}.badge.known{background:var(--known)}
    section.case{border:1px solid var(--line);border-radius:6px;margin:10px 0}
    section.case.fail,section.case.error{border-color:#f0a8ae}
    summary{cursor:pointer;padding:8px 12px;font-size:16px;background:#f6f8fa;border-radius:6px}
    .case-name{font-weight:600}
    .case-body{padding:4px 16px 10px}
    .description{margin:8px 0}
    .message{padding:6px 10px;border-radius:4px;margin:6px 0}
    .message.error{background:#fff1e5;border:1px solid var(--error)}
    .message.fail{background:#ffebe9;border:1px solid var(--fail)}
    .message.known{background:#fff8c5;border:1px solid var(--known)}
    dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0}
    dl.facts dt{font-weight:600}
    dl.facts dd{margin:0}
    table.provenance{font-size:12.5px}
    table.provenance th{font-weight:500}
    .output{border-top:1px solid var(--line);margin-top:10px;padding-top:2px}
    .bad{color:var(--fail)}.good{color:var(--pass)}.warn{color:var(--error)}
    table.layer-table{font-size:12.5px}
    table.layer-table tr.fail td{background:#fff5f5}
    ul.unmatched,ul.notes{margin:4px 0 8px;padding-left:20px}
    td.bad{font-weight:700}
    .budget-block{display:flex;flex-wrap:wrap;align-items:center;gap:4px 16px}
    .budget-text{margin:4px 0;max-width:560px}
    .figures{display:flex;flex-wrap:wrap;gap:8px 24px;align-items:flex-start}
    figure{margin:6px 0}
    figcaption{font-size:12.5px;font-weight:600;margin-bottom:2px}
    svg{display:block;overflow:visible}
    footer{margin-top:24px;font-size:12px}
    """
}
