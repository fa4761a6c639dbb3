import Foundation

/// Inline SVG figures for the HTML report: error heatmap, error over time, ulp histogram and
/// error-budget bars. No external resources; sizes in CSS pixels.
enum SVGPlot {
    // MARK: - Scales

    /// A base-10 logarithmic axis over whole decades `10^lo ... 10^hi`.
    struct LogAxis {
        var lo: Int
        var hi: Int

        /// The decades spanning the finite positive `values`, at most `maxDecades` wide (the top
        /// kept); `nil` when there is no finite positive value.
        init?(values: [Double], maxDecades: Int = 8) {
            let positive = values.filter { $0 > 0 && $0.isFinite }
            guard let smallest = positive.min(), let largest = positive.max() else { return nil }
            hi = Int(ceil(log10(largest) - 1e-9))
            lo = Int(floor(log10(smallest) + 1e-9))
            if hi <= lo { lo = hi - 1 }
            if hi - lo > maxDecades { lo = hi - maxDecades }
        }

        /// 0 at `10^lo`, 1 at `10^hi`, clamped; 0 for zero and negative values.
        func fraction(_ v: Double) -> Double {
            guard v > 0 else { return 0 }
            guard v.isFinite else { return 1 }
            return min(1, max(0, (log10(v) - Double(lo)) / Double(hi - lo)))
        }

        /// Decade exponents to label: every one, or every other when there are many.
        var ticks: [Int] {
            let step = hi - lo > 6 ? 2 : 1
            return stride(from: hi, through: lo, by: -step).reversed()
        }
    }

    /// "1e-7", "0.01" style label of `10^e`.
    static func decade(_ e: Int) -> String {
        switch e {
        case 0: return "1"
        case 1: return "10"
        case -1: return "0.1"
        case -2: return "0.01"
        default: return "1e\(e)"
        }
    }

    /// Up to about `maxTicks` round values in `0..<count` (steps of 1, 2, 5 × 10^k).
    static func niceTicks(count: Int, maxTicks: Int = 6) -> [Int] {
        guard count > 1 else { return [0] }
        var step = 1
        let candidates = [1, 2, 5]
        outer: for magnitude in 0..<12 {
            let scale = Int(pow(10, Double(magnitude)))
            for c in candidates where (count - 1) / (c * scale) + 1 <= maxTicks {
                step = c * scale
                break outer
            }
        }
        return Array(stride(from: 0, to: count, by: step))
    }

    // MARK: - Colours

    /// Viridis at 11 points (perceptually uniform, readable in grey and by most colour-blind readers).
    static let viridis: [(Double, Double, Double)] = [
        (0x44, 0x01, 0x54), (0x48, 0x24, 0x75), (0x41, 0x44, 0x87), (0x35, 0x5f, 0x8d), (0x2a, 0x78, 0x8e),
        (0x21, 0x91, 0x8c), (0x22, 0xa8, 0x84), (0x44, 0xbf, 0x70), (0x7a, 0xd1, 0x51), (0xbd, 0xdf, 0x26),
        (0xfd, 0xe7, 0x25),
    ]
    /// Colour levels of the heatmap: 4 per decade over 8 decades.
    static let levels = 32
    static let zeroColour = "#f2f2f2"
    static let nonFiniteColour = "#ff00aa"
    static let markColour = "#e8112d"

    /// The viridis colour at `f` in 0...1 as `#rrggbb`.
    static func colour(_ f: Double) -> String {
        let x = min(1, max(0, f)) * Double(viridis.count - 1)
        let i = min(viridis.count - 2, Int(x))
        let t = x - Double(i)
        let (a, b) = (viridis[i], viridis[i + 1])
        func mix(_ p: Double, _ q: Double) -> Int { Int((p + (q - p) * t).rounded()) }
        return String(format: "#%02x%02x%02x", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// The colour of quantised level `k` of `levels`.
    static func levelColour(_ k: Int) -> String { colour((Double(k) + 0.5) / Double(levels)) }

    static func level(_ f: Double) -> Int { min(levels - 1, max(0, Int(f * Double(levels)))) }

    /// A number for an SVG attribute: at most 1 decimal (a tenth of a CSS pixel), no trailing zero.
    static func n(_ x: Double) -> String {
        let r = (x * 10).rounded() / 10
        if r == r.rounded() { return String(Int(r)) }
        return String(format: "%.1f", r)
    }

    /// Text defaults, set once on each figure's `<svg>` and inherited by its `<text>` elements
    /// (every shape sets its own fill), which keeps the page small.
    static let textDefaults = "font-size=\"11\" fill=\"#333\""

    // MARK: - Heatmap

    /// Cells drawn at most (time × unit); larger heatmaps are max-pooled further.
    static let maxTimeCells = 160
    static let maxUnitCells = 64
    /// Up to this many drawn cells, each is a `<rect>` with a tooltip; beyond, one path per colour.
    static let maxTooltipCells = 2048

    /// An |error| heatmap over time (x) × unit (y) for one batch row, log colour scale.
    ///
    /// - Parameters:
    ///   - map: rows are time, columns units (as `ErrorDetail.heatmap`).
    ///   - cellSize: timesteps and units per `map` cell.
    ///   - steps: the number of timesteps; `units`: the number of units.
    ///   - worst: the (time, unit) of the worst element, marked with a red outline.
    ///   - atol: marked on the colour legend.
    static func heatmap(map: [[Double]], cellSize: [Int], steps: Int, units: Int, worst: (Int, Int)?, atol: Double?) -> String {
        let rows = map.count, cols = map.first?.count ?? 0
        guard rows > 0, cols > 0 else { return "" }
        // Pool further to at most maxTimeCells × maxUnitCells, taking the max (non-finite wins).
        let ft = (rows + maxTimeCells - 1) / maxTimeCells, fu = (cols + maxUnitCells - 1) / maxUnitCells
        let tp = (rows + ft - 1) / ft, up = (cols + fu - 1) / fu
        var grid = [[Double]](repeating: [Double](repeating: 0, count: up), count: tp)
        var nonFinite = false
        for t in 0..<rows {
            for u in 0..<cols {
                let v = map[t][u].isNaN ? .infinity : map[t][u]
                if !v.isFinite { nonFinite = true }
                grid[t / ft][u / fu] = max(grid[t / ft][u / fu], v)
            }
        }
        let stepsPerCell = max(1, (cellSize.first ?? 1) * ft), unitsPerCell = max(1, (cellSize.last ?? 1) * fu)
        let axis = LogAxis(values: grid.flatMap { $0 } + (atol.map { [$0] } ?? []))

        let cellW = min(40, max(3, 520 / Double(tp))), cellH = min(24, max(3, 220 / Double(up)))
        let w = cellW * Double(tp), h = cellH * Double(up)
        let left = 52.0, top = 10.0, legendX = left + w + 22, legendH = max(h, 110)
        let width = legendX + 110, height = top + max(h + 44, legendH + (nonFinite ? 58 : 44))

        var s = "<svg class=\"heatmap\" role=\"img\" \(textDefaults) width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\">"
        s += "<title>|rnncheck − Keras| over time × unit</title>"
        // The cells, in cell units.
        s += "<svg x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(w))\" height=\"\(n(h))\" viewBox=\"0 0 \(tp) \(up)\" preserveAspectRatio=\"none\" shape-rendering=\"crispEdges\">"
        s += "<rect class=\"zero\" width=\"\(tp)\" height=\"\(up)\" fill=\"\(zeroColour)\"/>"
        func cellColour(_ v: Double) -> String? {
            if v == 0 { return nil }
            if !v.isFinite { return nonFiniteColour }
            return levelColour(level(axis?.fraction(v) ?? 0))
        }
        if tp * up <= maxTooltipCells {
            for t in 0..<tp {
                for u in 0..<up {
                    guard let fill = cellColour(grid[t][u]) else { continue }
                    let t0 = t * stepsPerCell, u0 = u * unitsPerCell
                    let tText = stepsPerCell == 1 ? "time \(t0)" : "time \(t0)–\(min(steps, t0 + stepsPerCell) - 1)"
                    let uText = unitsPerCell == 1 ? "unit \(u0)" : "unit \(u0)–\(min(units, u0 + unitsPerCell) - 1)"
                    s += "<rect x=\"\(t)\" y=\"\(u)\" width=\"1\" height=\"1\" fill=\"\(fill)\"><title>\(tText), \(uText): \(fmt(grid[t][u]))</title></rect>"
                }
            }
        } else {
            // One stroked path per colour; each run of equal colour along time is one segment.
            var runs: [String: String] = [:]
            for u in 0..<up {
                var t = 0
                while t < tp {
                    guard let fill = cellColour(grid[t][u]) else { t += 1; continue }
                    var end = t + 1
                    while end < tp, cellColour(grid[end][u]) == fill { end += 1 }
                    runs[fill, default: ""] += "M\(t) \(u).5h\(end - t)"
                    t = end
                }
            }
            for (fill, d) in runs.sorted(by: { $0.key < $1.key }) {
                s += "<path fill=\"none\" stroke=\"\(fill)\" stroke-width=\"1\" d=\"\(d)\"/>"
            }
        }
        if let (wt, wu) = worst {
            let ct = min(tp - 1, wt / stepsPerCell), cu = min(up - 1, wu / unitsPerCell)
            s += "<rect class=\"worst\" x=\"\(ct)\" y=\"\(cu)\" width=\"1\" height=\"1\" fill=\"none\" stroke=\"\(markColour)\" stroke-width=\"2.5\" vector-effect=\"non-scaling-stroke\"><title>worst element: time \(wt), unit \(wu)</title></rect>"
        }
        s += "</svg>"
        s += "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(w))\" height=\"\(n(h))\" fill=\"none\" stroke=\"#888\" stroke-width=\"0.5\"/>"
        // Axes: time along x, unit along y (unit 0 at the top).
        for v in niceTicks(count: steps) {
            let x = left + (Double(min(tp - 1, v / stepsPerCell)) + 0.5) * cellW
            s += "<line x1=\"\(n(x))\" y1=\"\(n(top + h))\" x2=\"\(n(x))\" y2=\"\(n(top + h + 4))\" stroke=\"#555\"/>"
            s += "<text x=\"\(n(x))\" y=\"\(n(top + h + 15))\" text-anchor=\"middle\">\(v)</text>"
        }
        s += "<text x=\"\(n(left + w / 2))\" y=\"\(n(top + h + 31))\" text-anchor=\"middle\">time step</text>"
        for v in niceTicks(count: units, maxTicks: max(2, min(8, Int(h / 18)))) {
            let y = top + (Double(min(up - 1, v / unitsPerCell)) + 0.5) * cellH
            s += "<line x1=\"\(n(left - 4))\" y1=\"\(n(y))\" x2=\"\(n(left))\" y2=\"\(n(y))\" stroke=\"#555\"/>"
            s += "<text x=\"\(n(left - 6))\" y=\"\(n(y + 4))\" text-anchor=\"end\">\(v)</text>"
        }
        s += "<text transform=\"translate(14 \(n(top + h / 2))) rotate(-90)\" text-anchor=\"middle\">unit</text>"
        // Legend: the quantised colours bottom (small) to top (large), decade ticks, atol.
        if let axis {
            let barW = 14.0, levelH = legendH / Double(levels)
            for k in 0..<levels {
                let y = top + legendH - Double(k + 1) * levelH
                s += "<rect x=\"\(n(legendX))\" y=\"\(n(y))\" width=\"\(n(barW))\" height=\"\(n(levelH + 0.3))\" fill=\"\(levelColour(k))\"/>"
            }
            for e in axis.ticks {
                let y = top + legendH * (1 - Double(e - axis.lo) / Double(axis.hi - axis.lo))
                s += "<line x1=\"\(n(legendX + barW))\" y1=\"\(n(y))\" x2=\"\(n(legendX + barW + 4))\" y2=\"\(n(y))\" stroke=\"#555\"/>"
                s += "<text x=\"\(n(legendX + barW + 6))\" y=\"\(n(y + 4))\">\(decade(e))</text>"
            }
            if let atol, atol > 0 {
                let y = top + legendH * (1 - axis.fraction(atol))
                s += "<line x1=\"\(n(legendX - 3))\" y1=\"\(n(y))\" x2=\"\(n(legendX + barW + 3))\" y2=\"\(n(y))\" stroke=\"\(markColour)\" stroke-width=\"1.5\"/>"
                s += "<text x=\"\(n(legendX + barW + 38))\" y=\"\(n(y + 4))\" font-size=\"10\" fill=\"\(markColour)\">← atol</text>"
            }
        }
        var swatchY = top + legendH + 10
        s += "<rect x=\"\(n(legendX))\" y=\"\(n(swatchY))\" width=\"14\" height=\"10\" fill=\"\(zeroColour)\" stroke=\"#888\" stroke-width=\"0.5\"/>"
        s += "<text x=\"\(n(legendX + 20))\" y=\"\(n(swatchY + 9))\">0 (exact)</text>"
        if nonFinite {
            swatchY += 14
            s += "<rect x=\"\(n(legendX))\" y=\"\(n(swatchY))\" width=\"14\" height=\"10\" fill=\"\(nonFiniteColour)\"/>"
            s += "<text x=\"\(n(legendX + 20))\" y=\"\(n(swatchY + 9))\">NaN / inf</text>"
        }
        s += "<text x=\"\(n(legendX))\" y=\"\(n(swatchY + 24))\" font-size=\"10\" fill=\"#555\">|error|, log scale</text>"
        s += "</svg>"
        return s
    }

    // MARK: - Error over time

    /// The largest |error| at each timestep as a polyline on a log y axis, with `atol` and
    /// Keras's own float32 error (`kerasError`) as horizontal reference lines.
    static func errorOverTime(_ values: [Double], atol: Double?, kerasError: Double?) -> String {
        guard !values.isEmpty else { return "" }
        // At most 1000 points: max-pool longer series.
        let f = (values.count + 999) / 1000
        let points: [Double] = stride(from: 0, to: values.count, by: f).map { i in
            values[i..<min(values.count, i + f)].map { $0.isNaN ? .infinity : $0 }.max() ?? 0
        }
        let references = [atol, kerasError].compactMap { $0 }.filter { $0 > 0 }
        let left = 56.0, top = 12.0, w = 480.0, h = 170.0
        let width = left + w + 130, height = top + h + 44
        var s = "<svg class=\"error-over-time\" role=\"img\" \(textDefaults) width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\">"
        s += "<title>largest |rnncheck − Keras| at each time step</title>"
        s += "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(w))\" height=\"\(n(h))\" fill=\"#fcfcfc\" stroke=\"#888\" stroke-width=\"0.5\"/>"
        guard let axis = LogAxis(values: points + references) else {
            s += "<text x=\"\(n(left + w / 2))\" y=\"\(n(top + h / 2))\" text-anchor=\"middle\">every element exact (error 0)</text></svg>"
            return s
        }
        func x(_ i: Int) -> Double { points.count == 1 ? left + w / 2 : left + w * Double(i) / Double(points.count - 1) }
        func y(_ v: Double) -> Double { top + h * (1 - axis.fraction(v)) }
        for e in axis.lo...axis.hi {
            let yy = y(pow(10, Double(e)))
            s += "<line x1=\"\(n(left))\" y1=\"\(n(yy))\" x2=\"\(n(left + w))\" y2=\"\(n(yy))\" stroke=\"#e4e4e4\"/>"
        }
        for e in axis.ticks {
            let yy = y(pow(10, Double(e)))
            s += "<text x=\"\(n(left - 6))\" y=\"\(n(yy + 4))\" text-anchor=\"end\">\(decade(e))</text>"
        }
        for v in niceTicks(count: values.count) {
            let xx = points.count == 1 ? left + w / 2 : left + w * Double(v) / Double(max(1, values.count - 1))
            s += "<line x1=\"\(n(xx))\" y1=\"\(n(top + h))\" x2=\"\(n(xx))\" y2=\"\(n(top + h + 4))\" stroke=\"#555\"/>"
            s += "<text x=\"\(n(xx))\" y=\"\(n(top + h + 15))\" text-anchor=\"middle\">\(v)</text>"
        }
        s += "<text x=\"\(n(left + w / 2))\" y=\"\(n(top + h + 31))\" text-anchor=\"middle\">time step</text>"
        s += "<text transform=\"translate(14 \(n(top + h / 2))) rotate(-90)\" text-anchor=\"middle\">max |error|</text>"
        func reference(_ v: Double?, label: String, colour: String, dash: String) {
            guard let v, v > 0 else { return }
            let yy = y(v)
            s += "<line x1=\"\(n(left))\" y1=\"\(n(yy))\" x2=\"\(n(left + w))\" y2=\"\(n(yy))\" stroke=\"\(colour)\" stroke-width=\"1.5\" stroke-dasharray=\"\(dash)\"/>"
            s += "<text x=\"\(n(left + w + 6))\" y=\"\(n(yy + 4))\" font-size=\"10\" fill=\"\(colour)\">\(Escape.html(label))</text>"
        }
        reference(atol, label: "atol \(fmt(atol ?? 0))", colour: markColour, dash: "6 3")
        reference(kerasError, label: "Keras f32 vs f64", colour: "#666", dash: "2 3")
        let coordinates = points.indices.map { "\(n(x($0))),\(n(y(points[$0])))" }.joined(separator: " ")
        s += "<polyline fill=\"none\" stroke=\"#2a788e\" stroke-width=\"1.6\" stroke-linejoin=\"round\" points=\"\(coordinates)\"/>"
        if points.count <= 60 {
            for i in points.indices {
                s += "<circle cx=\"\(n(x(i)))\" cy=\"\(n(y(points[i])))\" r=\"2.5\" fill=\"#2a788e\"><title>time \(i * f): \(fmt(points[i]))</title></circle>"
            }
        }
        if points.contains(0) {
            s += "<text x=\"\(n(left + 4))\" y=\"\(n(top + h - 4))\" font-size=\"10\" fill=\"#777\">0 (exact) drawn on the bottom edge</text>"
        }
        s += "</svg>"
        return s
    }

    // MARK: - Ulp histogram

    /// Element counts by float32 ulp distance, as bars on a log count axis, labelled with the
    /// bucket labels; buckets past the last non-empty one are left out (NaN shown when non-empty).
    static func ulpHistogram(counts: [Int], labels: [String]) -> String {
        guard !counts.isEmpty, counts.count == labels.count else { return "" }
        let nanIndex = labels.last == "NaN" ? counts.count - 1 : nil
        let finite = nanIndex.map { Array(counts.indices.prefix($0)) } ?? Array(counts.indices)
        let last = max(2, finite.last(where: { counts[$0] > 0 }) ?? 0)
        var shown = Array(finite.prefix(last + 1))
        if let nanIndex, counts[nanIndex] > 0 { shown.append(nanIndex) }
        let maxCount = counts.max() ?? 0
        let left = 26 + 7 * Double(String(maxCount).count), top = 18.0, h = 150.0
        let barW = min(36, max(14, 440 / Double(shown.count)))
        let w = barW * Double(shown.count)
        let width = left + w + 20, height = top + h + 78
        var s = "<svg class=\"ulp-histogram\" role=\"img\" \(textDefaults) width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\">"
        s += "<title>elements by float32 ulp distance</title>"
        let scale = log10(Double(maxCount) + 1)
        func barHeight(_ c: Int) -> Double { c == 0 || scale == 0 ? 0 : max(2, h * log10(Double(c) + 1) / scale) }
        // Count gridlines at powers of ten.
        var p = 1
        while p <= maxCount {
            let yy = top + h - barHeight(p)
            s += "<line x1=\"\(n(left))\" y1=\"\(n(yy))\" x2=\"\(n(left + w))\" y2=\"\(n(yy))\" stroke=\"#e4e4e4\"/>"
            s += "<text x=\"\(n(left - 6))\" y=\"\(n(yy + 4))\" text-anchor=\"end\">\(p)</text>"
            p *= 10
        }
        for (k, i) in shown.enumerated() {
            let x = left + Double(k) * barW
            let bh = barHeight(counts[i])
            let fill = i == nanIndex ? markColour : (i <= 2 ? "#2a788e" : "#e07b39")
            if counts[i] > 0 {
                s += "<rect x=\"\(n(x + 1.5))\" y=\"\(n(top + h - bh))\" width=\"\(n(barW - 3))\" height=\"\(n(bh))\" fill=\"\(fill)\"><title>\(Escape.html(labels[i])) ulp: \(counts[i]) element\(counts[i] == 1 ? "" : "s")</title></rect>"
                s += "<text x=\"\(n(x + barW / 2))\" y=\"\(n(top + h - bh - 3))\" text-anchor=\"middle\" font-size=\"9\" fill=\"#333\">\(counts[i])</text>"
            }
            s += "<text transform=\"translate(\(n(x + barW / 2 + 3)) \(n(top + h + 8))) rotate(-50)\" text-anchor=\"end\" font-size=\"10\" fill=\"#333\">\(Escape.html(labels[i]))</text>"
        }
        s += "<line x1=\"\(n(left))\" y1=\"\(n(top + h))\" x2=\"\(n(left + w))\" y2=\"\(n(top + h))\" stroke=\"#555\"/>"
        s += "<text x=\"\(n(left + w / 2))\" y=\"\(n(height - 4))\" text-anchor=\"middle\">|rnncheck − Keras| in float32 ulps</text>"
        s += "<text transform=\"translate(12 \(n(top + h / 2))) rotate(-90)\" text-anchor=\"middle\">elements (log)</text>"
        s += "</svg>"
        return s
    }

    // MARK: - Error budget

    /// The error budget as horizontal bars on a log axis: Keras float32 against Keras float64
    /// ("unknown" when the reference has no Keras float64 outputs), rnncheck float32 against the
    /// budget's float64 reference, rnncheck against Keras in float32, and the float64 agreement;
    /// `atol` marked.
    static func budgetBars(_ b: ErrorBudget, observed: Double, atol: Double?) -> String {
        let against = b.kerasErrorKnown ? "Keras" : "rnncheck"
        var bars: [(String, Double?, String)] = [
            ("Keras f32 vs Keras f64", b.kerasMaxAbs, "#888"),
            ("rnncheck f32 vs \(against) f64", b.rnncheckMaxAbs, "#2a788e"),
            ("rnncheck f32 vs Keras f32", observed, "#e07b39"),
        ]
        if let agreement = b.float64Agreement { bars.append(("rnncheck f64 vs Keras f64", agreement, "#6a4c93")) }
        let left = 190.0, top = 14.0, rowH = 18.0, w = 300.0
        let h = rowH * Double(bars.count)
        let width = left + w + 80, height = top + h + 22
        var s = "<svg class=\"budget\" role=\"img\" \(textDefaults) width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\">"
        s += "<title>error budget: max |error| against float64, log scale</title>"
        guard let axis = LogAxis(values: bars.compactMap(\.1) + (atol.map { [$0] } ?? []), maxDecades: 10) else {
            s += "<text x=\"4\" y=\"16\">all errors 0 (exact)</text></svg>"
            return s
        }
        for e in axis.ticks {
            let x = left + w * Double(e - axis.lo) / Double(axis.hi - axis.lo)
            s += "<line x1=\"\(n(x))\" y1=\"\(n(top))\" x2=\"\(n(x))\" y2=\"\(n(top + h))\" stroke=\"#e4e4e4\"/>"
            s += "<text x=\"\(n(x))\" y=\"\(n(top + h + 14))\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">\(decade(e))</text>"
        }
        for (k, bar) in bars.enumerated() {
            let y = top + Double(k) * rowH
            s += "<text x=\"\(n(left - 6))\" y=\"\(n(y + 13))\" text-anchor=\"end\">\(Escape.html(bar.0))</text>"
            guard let value = bar.1 else {
                s += "<text x=\"\(n(left + 4))\" y=\"\(n(y + 13))\" font-size=\"10\" fill=\"#666\">unknown (no Keras float64 outputs in the reference)</text>"
                continue
            }
            let bw = w * axis.fraction(value)
            s += "<rect x=\"\(n(left))\" y=\"\(n(y + 3))\" width=\"\(n(max(value > 0 ? 1 : 0, bw)))\" height=\"\(n(rowH - 6))\" fill=\"\(bar.2)\"/>"
            s += "<text x=\"\(n(left + max(0, bw) + 4))\" y=\"\(n(y + 13))\" font-size=\"10\" fill=\"#333\">\(fmt(value))</text>"
        }
        if let atol, atol > 0 {
            let x = left + w * axis.fraction(atol)
            s += "<line x1=\"\(n(x))\" y1=\"\(n(top - 2))\" x2=\"\(n(x))\" y2=\"\(n(top + h + 2))\" stroke=\"\(markColour)\" stroke-width=\"1.5\" stroke-dasharray=\"4 2\"/>"
            s += "<text x=\"\(n(x))\" y=\"\(n(top - 5))\" text-anchor=\"middle\" font-size=\"10\" fill=\"\(markColour)\">atol \(fmt(atol))</text>"
        }
        s += "</svg>"
        return s
    }

    // MARK: - Error along the graph

    /// One point per node in graph order: its largest |error| (red when out of tolerance) and
    /// its median |error| on a log axis, the expected side's own float32 error per node when
    /// known (grey), `atol` as a dashed line, and the first divergence marked by a vertical
    /// line. Node names label the x axis.
    static func layerErrors(_ comparison: LayerComparison, atol: Double?, labels: Sides) -> String {
        let layers = comparison.layers
        guard !layers.isEmpty else { return "" }
        let medians: [Double] = layers.map { l in l.outputs.compactMap(\.medianAbsError).max() ?? 0 }
        let own = layers.map { $0.expectedFloat32Error }
        let values = layers.map(\.maxAbsError).map { $0.isNaN ? .infinity : $0 }
        let left = 56.0, top = 14.0, h = 180.0
        let step = min(48, max(10, 640 / Double(layers.count)))
        let w = step * Double(layers.count)
        let labelRoom = 8 + 6.2 * Double(min(28, layers.map(\.node.count).max() ?? 4))
        let width = left + w + 150, height = top + h + labelRoom + 34
        var s = "<svg class=\"layer-errors\" role=\"img\" \(textDefaults) width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\">"
        s += "<title>largest |\(Escape.html(labels.actual)) − \(Escape.html(labels.expected))| of each layer, in graph order</title>"
        s += "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(w))\" height=\"\(n(h))\" fill=\"#fcfcfc\" stroke=\"#888\" stroke-width=\"0.5\"/>"
        let references = [atol].compactMap { $0 }.filter { $0 > 0 }
        guard let axis = LogAxis(values: values + medians + own.compactMap { $0 } + references, maxDecades: 12) else {
            s += "<text x=\"\(n(left + w / 2))\" y=\"\(n(top + h / 2))\" text-anchor=\"middle\">every layer exact (error 0)</text></svg>"
            return s
        }
        func x(_ i: Int) -> Double { left + step * (Double(i) + 0.5) }
        func y(_ v: Double) -> Double { top + h * (1 - axis.fraction(v)) }
        for e in axis.lo...axis.hi {
            let yy = y(pow(10, Double(e)))
            s += "<line x1=\"\(n(left))\" y1=\"\(n(yy))\" x2=\"\(n(left + w))\" y2=\"\(n(yy))\" stroke=\"#e4e4e4\"/>"
        }
        for e in axis.ticks {
            s += "<text x=\"\(n(left - 6))\" y=\"\(n(y(pow(10, Double(e))) + 4))\" text-anchor=\"end\">\(decade(e))</text>"
        }
        s += "<text transform=\"translate(14 \(n(top + h / 2))) rotate(-90)\" text-anchor=\"middle\">|error|</text>"
        if let d = comparison.firstDivergence, let i = layers.firstIndex(where: { $0.node == d.node }) {
            s += "<line x1=\"\(n(x(i)))\" y1=\"\(n(top))\" x2=\"\(n(x(i)))\" y2=\"\(n(top + h))\" stroke=\"\(markColour)\" stroke-width=\"1\" stroke-dasharray=\"3 3\"/>"
            s += "<text x=\"\(n(x(i) + 4))\" y=\"\(n(top + 11))\" font-size=\"10\" fill=\"\(markColour)\">first divergence (\(d.cause.rawValue))</text>"
        }
        if let atol, atol > 0 {
            let yy = y(atol)
            s += "<line x1=\"\(n(left))\" y1=\"\(n(yy))\" x2=\"\(n(left + w))\" y2=\"\(n(yy))\" stroke=\"\(markColour)\" stroke-width=\"1.5\" stroke-dasharray=\"6 3\"/>"
            s += "<text x=\"\(n(left + w + 6))\" y=\"\(n(yy + 4))\" font-size=\"10\" fill=\"\(markColour)\">atol \(fmt(atol))</text>"
        }
        // Keras's own float32 error per node, when known.
        for (i, e) in own.enumerated() {
            guard let e, e > 0 else { continue }
            s += "<line x1=\"\(n(x(i) - step * 0.35))\" y1=\"\(n(y(e)))\" x2=\"\(n(x(i) + step * 0.35))\" y2=\"\(n(y(e)))\" stroke=\"#888\" stroke-width=\"2\"><title>\(Escape.html(layers[i].node)): \(Escape.html(labels.expected)) float32 vs float64 \(fmt(e))</title></line>"
        }
        let line = values.indices.map { "\(n(x($0))),\(n(y(values[$0])))" }.joined(separator: " ")
        s += "<polyline fill=\"none\" stroke=\"#2a788e\" stroke-width=\"1.4\" points=\"\(line)\"/>"
        let medianLine = medians.indices.map { "\(n(x($0))),\(n(y(medians[$0])))" }.joined(separator: " ")
        s += "<polyline fill=\"none\" stroke=\"#9ecae1\" stroke-width=\"1.2\" stroke-dasharray=\"4 2\" points=\"\(medianLine)\"/>"
        for (i, layer) in layers.enumerated() {
            let fill = layer.passed ? "#2a788e" : markColour
            s += "<circle cx=\"\(n(x(i)))\" cy=\"\(n(y(values[i])))\" r=\"3.5\" fill=\"\(fill)\"><title>\(Escape.html(layer.node)) (\(Escape.html(layer.className))): max \(fmt(layer.maxAbsError)), median \(fmt(medians[i]))\(layer.passed ? "" : ", out of tolerance")</title></circle>"
            let label = layer.node.count > 28 ? String(layer.node.prefix(27)) + "…" : layer.node
            s += "<text transform=\"translate(\(n(x(i) + 3)) \(n(top + h + 8))) rotate(-50)\" text-anchor=\"end\" font-size=\"10\" fill=\"\(layer.passed ? "#333" : markColour)\">\(Escape.html(label))</text>"
        }
        let ly = height - 10
        s += "<circle cx=\"\(n(left + 4))\" cy=\"\(n(ly - 3))\" r=\"3.5\" fill=\"#2a788e\"/><text x=\"\(n(left + 12))\" y=\"\(n(ly))\">max</text>"
        s += "<line x1=\"\(n(left + 48))\" y1=\"\(n(ly - 3))\" x2=\"\(n(left + 64))\" y2=\"\(n(ly - 3))\" stroke=\"#9ecae1\" stroke-width=\"1.2\" stroke-dasharray=\"4 2\"/><text x=\"\(n(left + 68))\" y=\"\(n(ly))\">median</text>"
        s += "<circle cx=\"\(n(left + 124))\" cy=\"\(n(ly - 3))\" r=\"3.5\" fill=\"\(markColour)\"/><text x=\"\(n(left + 132))\" y=\"\(n(ly))\">out of tolerance</text>"
        if own.contains(where: { $0 != nil }) {
            s += "<line x1=\"\(n(left + 238))\" y1=\"\(n(ly - 3))\" x2=\"\(n(left + 254))\" y2=\"\(n(ly - 3))\" stroke=\"#888\" stroke-width=\"2\"/><text x=\"\(n(left + 258))\" y=\"\(n(ly))\">\(Escape.html(labels.expected)) f32 vs f64</text>"
        }
        s += "</svg>"
        return s
    }
}
