import RNNEngine

/// How one output compares with its expected values.
public struct OutputDiff: Sendable, Codable, Equatable {
    public var name: String
    /// The shape rnncheck produced.
    public var shape: [Int]
    /// The shape Keras produced.
    public var expectedShape: [Int]
    public var maxAbsError: Double
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

    enum CodingKeys: String, CodingKey {
        case name, shape, expectedShape = "expected_shape", maxAbsError = "max_abs_error",
             maxRelError = "max_rel_error", maxUlp = "max_ulp", mismatched, count,
             worstIndex = "worst_index", worstActual = "worst_actual", worstExpected = "worst_expected",
             passed, problem
    }
}

/// Element-wise comparison of rnncheck's outputs with Keras's.
public enum Differ {
    /// Compares one output.
    public static func compare(
        name: String, actual: Tensor<Float>, expected: Tensor<Double>, tolerance: Tolerance
    ) -> OutputDiff {
        var diff = OutputDiff(
            name: name, shape: actual.shape, expectedShape: expected.shape, maxAbsError: 0, maxRelError: 0,
            maxUlp: 0, mismatched: 0, count: expected.count, worstIndex: nil, worstActual: nil,
            worstExpected: nil, passed: false, problem: nil)
        guard actual.shape == expected.shape else {
            diff.problem = "shape \(shapeText(actual.shape)) differs from Keras's \(shapeText(expected.shape))"
            diff.mismatched = max(actual.count, expected.count)
            return diff
        }
        var worst = -1
        var worstScore: (Int, Int, Double) = (-1, -1, -1)
        for i in 0..<expected.count {
            let a = Double(actual.scalars[i])
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
            diff.worstActual = Double(actual.scalars[worst])
            diff.worstExpected = expected.scalars[worst]
        }
        diff.passed = diff.mismatched == 0
        return diff
    }
}

func shapeText(_ shape: [Int]) -> String {
    "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
}
