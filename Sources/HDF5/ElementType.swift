import CHDF5

/// The element type of a dataset or attribute as stored in the file.
public enum ElementType: Equatable, CustomStringConvertible, Sendable {
    case float32, float64, float16
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    /// h5py's boolean: an 8-bit enum with the members FALSE and TRUE.
    case bool
    /// Variable- or fixed-length string, ASCII or UTF-8.
    case string
    /// Anything else, described in words, e.g. "compound", "enum", "float24".
    case other(String)

    public var description: String {
        switch self {
        case .float32: return "float32"
        case .float64: return "float64"
        case .float16: return "float16"
        case .int8: return "int8"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .uint8: return "uint8"
        case .uint16: return "uint16"
        case .uint32: return "uint32"
        case .uint64: return "uint64"
        case .bool: return "bool"
        case .string: return "string"
        case .other(let text): return text
        }
    }
}

/// A Swift number type that datasets can be read as and written from:
/// `Float`, `Double`, `Int8`, `Int16`, `Int32`, `Int64`, `UInt8`, `UInt16`, `UInt32`, `UInt64`.
///
/// The protocol has no requirements; conforming another type to it makes `read` and `write`
/// throw `.wrongType` for that type.
public protocol HDF5Scalar {}

extension Float: HDF5Scalar {}
extension Double: HDF5Scalar {}
extension Int8: HDF5Scalar {}
extension Int16: HDF5Scalar {}
extension Int32: HDF5Scalar {}
extension Int64: HDF5Scalar {}
extension UInt8: HDF5Scalar {}
extension UInt16: HDF5Scalar {}
extension UInt32: HDF5Scalar {}
extension UInt64: HDF5Scalar {}

/// How one `HDF5Scalar` type is seen by libhdf5.
struct ScalarLayout {
    /// The native (memory) type, owned by libhdf5: never close it.
    let memoryType: hid_t
    /// The little-endian type written to files, owned by libhdf5: never close it.
    let fileType: hid_t
    let elementType: ElementType
    let size: Int

    /// The layout of `T`, or nil for a type this module does not know.
    /// Call with the library lock held (the type identifiers need an initialised library).
    static func of<T: HDF5Scalar>(_: T.Type) -> ScalarLayout? {
        switch ObjectIdentifier(T.self) {
        case ObjectIdentifier(Float.self):
            return ScalarLayout(memoryType: chdf5_t_native_float(), fileType: chdf5_t_ieee_f32le(), elementType: .float32, size: 4)
        case ObjectIdentifier(Double.self):
            return ScalarLayout(memoryType: chdf5_t_native_double(), fileType: chdf5_t_ieee_f64le(), elementType: .float64, size: 8)
        case ObjectIdentifier(Int8.self):
            return ScalarLayout(memoryType: chdf5_t_native_int8(), fileType: chdf5_t_std_i8le(), elementType: .int8, size: 1)
        case ObjectIdentifier(Int16.self):
            return ScalarLayout(memoryType: chdf5_t_native_int16(), fileType: chdf5_t_std_i16le(), elementType: .int16, size: 2)
        case ObjectIdentifier(Int32.self):
            return ScalarLayout(memoryType: chdf5_t_native_int32(), fileType: chdf5_t_std_i32le(), elementType: .int32, size: 4)
        case ObjectIdentifier(Int64.self):
            return ScalarLayout(memoryType: chdf5_t_native_int64(), fileType: chdf5_t_std_i64le(), elementType: .int64, size: 8)
        case ObjectIdentifier(UInt8.self):
            return ScalarLayout(memoryType: chdf5_t_native_uint8(), fileType: chdf5_t_std_u8le(), elementType: .uint8, size: 1)
        case ObjectIdentifier(UInt16.self):
            return ScalarLayout(memoryType: chdf5_t_native_uint16(), fileType: chdf5_t_std_u16le(), elementType: .uint16, size: 2)
        case ObjectIdentifier(UInt32.self):
            return ScalarLayout(memoryType: chdf5_t_native_uint32(), fileType: chdf5_t_std_u32le(), elementType: .uint32, size: 4)
        case ObjectIdentifier(UInt64.self):
            return ScalarLayout(memoryType: chdf5_t_native_uint64(), fileType: chdf5_t_std_u64le(), elementType: .uint64, size: 8)
        default:
            return nil
        }
    }
}
