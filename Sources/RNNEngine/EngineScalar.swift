import RealModule

/// The floating-point types the engine computes in: `Float` (what Keras computes in) and
/// `Double` (to measure how far Keras's own float32 result is from exact arithmetic).
public protocol EngineScalar: BinaryFloatingPoint, Real, Sendable
where Self.RawSignificand: FixedWidthInteger {
    /// A short name for reports: `"float32"` or `"float64"`.
    static var dtypeName: String { get }
}

extension Float: EngineScalar {
    public static var dtypeName: String { "float32" }
}

extension Double: EngineScalar {
    public static var dtypeName: String { "float64" }
}
