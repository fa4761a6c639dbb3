import RNNEngine

/// How one output compares with its expected values.
public struct OutputDiff: Sendable, Codable, Equatable {
    public var name: String
    /// The shape rnncheck produced.
    public var shape: [Int]
    /// The shape Keras produced.
    public var expectedShape: [Int]
    public var maxAbsError: Double
    /// The mean, median and 99th percentile of |actual − expected| over the elements
    /// (`ErrorStatistics`; an element with a NaN error counts as infinite). Nil when the shapes differ.
    public var meanAbsError: Double?
    public var medianAbsError: Double?
    public var p99AbsError: Double?
    public var maxRelError: Double
    /// In float32 ulps (the precision Keras computes in).
    public var maxUlp: Int64
    /// How many elements are out of tolerance.
    public var mismatched: Int
    /// How many elements were compared.
    public var count: Int
    /// The multi-index of the worst element: (batch, time, unit) for sequences, (batch, unit) for states.
    public var worstIndex: [Int]?
    /// rnncheck's and Keras's values at `worstIndex`.
    public var worstActual: Double?
    public var worstExpected: Double?
    public var passed: Bool
    /// Why the output could not be compared element-wise (a shape mismatch), if so.
    public var problem: String?
    /// Where the error sits (for visual reports); nil unless asked for.
    public var detail: ErrorDetail?
    /// How far Keras's and rnncheck's float32 results are from a float64 run.
    public var budget: ErrorBudget?
    /// Set when an expected-failures entry covers this failing output: its reason.
    public var knownDeviation: String?
    /// The tolerance applied to this output when it is not the case's (a per-output tolerance).
    public var tolerance: AppliedTolerance?

    enum CodingKeys: String, CodingKey {
        case name, shape, expectedShape = "expected_shape", maxAbsError = "max_abs_error",
             meanAbsError = "mean_abs_error", medianAbsError = "median_abs_error", p99AbsError = "p99_abs_error",
             tolerance, maxRelError = "max_rel_error", maxUlp = "max_ulp", mismatched, count,
             worstIndex = "worst_index", worstActual = "worst_actual", worstExpected = "worst_expected",
             passed, problem, detail, budget = "error_budget", knownDeviation = "known_deviation"
    }
}

/// Where the error of one output sits, for visual reports.
public struct ErrorDetail: Sendable, Codable, Equatable {
    /// For `(batch, time, unit)` outputs: the batch row holding the worst element.
    public var heatmapBatch: Int?
    /// |rnncheck − Keras| over time × unit for `heatmapBatch` (rows: time, columns: unit),
    /// max-pooled down to at most 256 × 256 cells.
    public var heatmap: [[Double]]?
    /// How many timesteps / units each heatmap cell covers.
    public var heatmapCellSize: [Int]?
    /// For sequence outputs: the largest |error| at each timestep, over batch and unit.
    public var errorOverTime: [Double]?
    /// Counts of elements by float32 ulp distance: 0, 1, 2, 3–4, 5–8, ..., then NaN last.
    public var ulpHistogram: [Int]
    /// Labels of `ulpHistogram`'s buckets.
    public var ulpBuckets: [String]
    /// The worst elements, largest error first.
    public var worstElements: [WorstElement]

    public struct WorstElement: Sendable, Codable, Equatable {
        public var index: [Int]
        public var rnncheck: Double
        public var keras: Double
        public var absError: Double
        public var ulps: Int64

        enum CodingKeys: String, CodingKey { case index, rnncheck, keras, absError = "abs_error", ulps }
    }

    enum CodingKeys: String, CodingKey {
        case heatmapBatch = "heatmap_batch", heatmap, heatmapCellSize = "heatmap_cell_size",
             errorOverTime = "error_over_time", ulpHistogram = "ulp_histogram", ulpBuckets = "ulp_buckets",
             worstElements = "worst_elements"
    }

    /// Bucket upper bounds: 0, 1, 2, 4, 8, ..., 2^30; then "more" and "NaN".
    static let bounds: [Int64] = [0, 1, 2] + (2...30).map { Int64(1) << Int64($0) }

    static func bucket(_ ulps: Int64, isNaN: Bool) -> Int {
        if isNaN { return bounds.count + 1 }
        for (i, b) in bounds.enumerated() where ulps <= b { return i }
        return bounds.count
    }

    static var labels: [String] {
        var out = ["0", "1", "2"]
        for e in 2...30 { out.append("\((Int64(1) << Int64(e - 1)) + 1)–\(Int64(1) << Int64(e))") }
        return out + ["> 2^30", "NaN"]
    }

    static func make(actual: Tensor<Float>, expected: Tensor<Double>, worstIndex: [Int]?, keep: Int = 10) -> ErrorDetail {
        var histogram = [Int](repeating: 0, count: bounds.count + 2)
        var errors = [Double](repeating: 0, count: expected.count)
        var ulps = [Int64](repeating: 0, count: expected.count)
        for i in 0..<expected.count {
            let a = Double(actual.scalars[i]), e = expected.scalars[i]
            let nan = a.isNaN || e.isNaN
            let u = ULP.distance(Float(a), Float(e))
            ulps[i] = u
            errors[i] = nan ? (a.isNaN && e.isNaN ? 0 : .infinity) : (a == e ? 0 : abs(a - e))
            histogram[bucket(u, isNaN: nan && !(a.isNaN && e.isNaN))] += 1
        }
        let order = errors.indices.sorted { errors[$0] > errors[$1] || (errors[$0] == errors[$1] && $0 < $1) }
        let worst = order.prefix(keep).map { i in
            WorstElement(index: expected.multiIndex(i), rnncheck: Double(actual.scalars[i]), keras: expected.scalars[i],
                         absError: errors[i], ulps: ulps[i])
        }
        var detail = ErrorDetail(heatmapBatch: nil, heatmap: nil, heatmapCellSize: nil, errorOverTime: nil,
                                 ulpHistogram: histogram, ulpBuckets: labels, worstElements: worst)
        if expected.rank == 3 {
            let (batch, time, units) = (expected.shape[0], expected.shape[1], expected.shape[2])
            let b = worstIndex?.first ?? 0
            let (rowStep, colStep) = ((time + 255) / 256, (units + 255) / 256)
            let rows = (time + rowStep - 1) / rowStep, cols = (units + colStep - 1) / colStep
            var map = [[Double]](repeating: [Double](repeating: 0, count: cols), count: rows)
            for t in 0..<time {
                for j in 0..<units {
                    let e = errors[(b * time + t) * units + j]
                    map[t / rowStep][j / colStep] = max(map[t / rowStep][j / colStep], e)
                }
            }
            var overTime = [Double](repeating: 0, count: time)
            for bb in 0..<batch {
                for t in 0..<time {
                    for j in 0..<units { overTime[t] = max(overTime[t], errors[(bb * time + t) * units + j]) }
                }
            }
            detail.heatmapBatch = b
            detail.heatmap = map
            detail.heatmapCellSize = [rowStep, colStep]
            detail.errorOverTime = overTime
        }
        return detail
    }
}

/// Element-wise comparison of rnncheck's outputs with Keras's.
public enum Differ {
    /// Compares one output.
    public static func compare(
        name: String, actual: Tensor<Float>, expected: Tensor<Double>, tolerance: Tolerance, detail: Bool = false
    ) -> OutputDiff {
        var diff = compare(name: name, values: actual.converted(to: Double.self), expected: expected, tolerance: tolerance)
        if detail, diff.problem == nil {
            diff.detail = ErrorDetail.make(actual: actual, expected: expected, worstIndex: diff.worstIndex)
        }
        return diff
    }

    /// Compares `values` of any precision (a float32 run widened exactly, or a float64 run);
    /// ulp distances are float32 ulps, the precision Keras computes in.
    /// `expectedName` names the expected side in a shape mismatch ("Keras's", "B's").
    public static func compare(name: String, values actual: Tensor<Double>, expected: Tensor<Double>, tolerance: Tolerance,
                               expectedName: String = "Keras's") -> OutputDiff {
        var diff = OutputDiff(
            name: name, shape: actual.shape, expectedShape: expected.shape, maxAbsError: 0, maxRelError: 0,
            maxUlp: 0, mismatched: 0, count: expected.count, worstIndex: nil, worstActual: nil,
            worstExpected: nil, passed: false, problem: nil, detail: nil, budget: nil, knownDeviation: nil)
        guard actual.shape == expected.shape else {
            diff.problem = "shape \(shapeText(actual.shape)) differs from \(expectedName) \(shapeText(expected.shape))"
            diff.mismatched = max(actual.count, expected.count)
            return diff
        }
        var worst = -1
        var worstScore: (Int, Int, Double) = (-1, -1, -1)
        var errors = [Double](repeating: 0, count: expected.count)
        for i in 0..<expected.count {
            let a = actual.scalars[i]
            let e = expected.scalars[i]
            let ulps = ULP.distance(Float(a), Float(e))
            let ok = tolerance.accepts(actual: a, expected: e, ulps: ulps)
            let absError: Double
            let relError: Double
            if a.isNaN || e.isNaN {
                absError = ok ? 0 : .nan
                relError = ok ? 0 : .nan
            } else if a == e {
                absError = 0
                relError = 0
            } else {
                absError = abs(a - e)
                relError = e == 0 ? .infinity : absError / abs(e)
            }
            errors[i] = absError
            if !ok { diff.mismatched += 1 }
            if absError.isNaN {
                diff.maxAbsError = .nan
                diff.maxRelError = .nan
            } else if !diff.maxAbsError.isNaN {
                diff.maxAbsError = max(diff.maxAbsError, absError)
                diff.maxRelError = max(diff.maxRelError, relError)
            }
            if !(a.isNaN && e.isNaN && ok) { diff.maxUlp = max(diff.maxUlp, ulps) }
            // The worst element: a failing one first, then the largest absolute error.
            let score = (ok ? 0 : 1, absError.isNaN ? 1 : 0, absError.isNaN ? 0 : absError)
            if score > worstScore {
                worstScore = score
                worst = i
            }
        }
        if worst >= 0 {
            diff.worstIndex = expected.multiIndex(worst)
            diff.worstActual = actual.scalars[worst]
            diff.worstExpected = expected.scalars[worst]
        }
        if let summary = ErrorStatistics.summary(errors) {
            diff.meanAbsError = summary.mean
            diff.medianAbsError = summary.median
            diff.p99AbsError = summary.p99
        }
        diff.passed = diff.mismatched == 0
        return diff
    }
}

func shapeText(_ shape: [Int]) -> String {
    "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
}
