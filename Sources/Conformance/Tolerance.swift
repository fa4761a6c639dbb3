/// When an element counts as matching: `|actual − expected| ≤ atol + rtol·|expected|`
/// (numpy `isclose` semantics), optionally also within `maxUlp` units in the last place.
///
/// NaN never matches unless both sides are NaN and `nanEqual` is set; equal infinities match.
/// Like every approximate comparison this is not transitive: never use it for `Equatable`.
public struct Tolerance: Sendable, Equatable, Codable {
    public var atol: Double
    public var rtol: Double
    /// When set, an element must also be within this many float32 ulps.
    public var maxUlp: Int64?
    public var nanEqual: Bool

    public init(atol: Double, rtol: Double, maxUlp: Int64? = nil, nanEqual: Bool = false) {
        self.atol = atol
        self.rtol = rtol
        self.maxUlp = maxUlp
        self.nanEqual = nanEqual
    }

    /// The defaults, from measured Keras float32 error; see README "Tolerances".
    public static let `default` = Tolerance(atol: 1e-6, rtol: 1e-5)

    /// Whether `actual` matches `expected`.
    @inlinable
    public func accepts(actual: Double, expected: Double, ulps: Int64) -> Bool {
        if actual.isNaN || expected.isNaN { return nanEqual && actual.isNaN && expected.isNaN }
        if actual.isInfinite || expected.isInfinite { return actual == expected }
        guard abs(actual - expected) <= atol + rtol * abs(expected) else { return false }
        if let maxUlp, ulps > maxUlp { return false }
        return true
    }
}

/// Distances in units in the last place.
public enum ULP {
    /// The number of float32 values between `a` and `b` (0 when equal, including +0 and −0).
    /// NaN gives `Int64.max`.
    public static func distance(_ a: Float, _ b: Float) -> Int64 {
        if a.isNaN || b.isNaN { return Int64.max }
        return abs(ordered(a) - ordered(b))
    }

    /// The number of float64 values between `a` and `b`, saturating at `Int64.max`.
    public static func distance(_ a: Double, _ b: Double) -> Int64 {
        if a.isNaN || b.isNaN { return Int64.max }
        let (x, y) = (ordered(a), ordered(b))
        let (d, overflow) = x.subtractingReportingOverflow(y)
        return overflow || d == Int64.min ? Int64.max : abs(d)
    }

    static func ordered(_ x: Float) -> Int64 {
        let bits = Int64(Int32(bitPattern: x.bitPattern))
        return bits < 0 ? Int64(Int32.min) - bits : bits
    }

    static func ordered(_ x: Double) -> Int64 {
        let bits = Int64(bitPattern: x.bitPattern)
        return bits < 0 ? Int64.min - bits : bits
    }
}
