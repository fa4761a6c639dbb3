/// The value of an attribute: a scalar or a 1-D array of strings, integers or floats.
public enum AttributeValue: Equatable, Sendable {
    /// Scalar string (variable- or fixed-length; UTF-8 or ASCII).
    case string(String)
    /// 1-D string array (variable-length or fixed-length `S` strings).
    case strings([String])
    /// Scalar integer of any width or signedness, converted to `Int64`
    /// (libhdf5 clamps a `uint64` above `Int64.max`).
    case int(Int64)
    /// 1-D integer array.
    case ints([Int64])
    /// Scalar float32 or float64.
    case double(Double)
    /// 1-D float array, including Keras's empty (0,) float64 array.
    case doubles([Double])

    /// The string of `.string`, else nil.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The strings of `.strings`, or `[]` for an empty `.doubles` (Keras writes an empty
    /// `weight_names` as a float64 array of shape (0,)), else nil.
    public var stringsValue: [String]? {
        switch self {
        case .strings(let values): return values
        case .doubles(let values) where values.isEmpty: return []
        default: return nil
        }
    }

    /// The integer of `.int`, else nil.
    public var intValue: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// The number of `.double` or `.int`, else nil.
    public var doubleValue: Double? {
        switch self {
        case .double(let value): return value
        case .int(let value): return Double(value)
        default: return nil
        }
    }
}
