import CHDF5

/// A dataset or an attribute: the two things whose elements can be read.
/// Shared by `Dataset` and the attribute code so that both follow the same checks.
struct DataSource {
    enum Kind { case dataset, attribute }
    /// The open dataset or attribute; borrowed, never closed here.
    let id: hid_t
    let kind: Kind
    let file: String
    /// The name errors use: the dataset path or `<object>@<attribute>`.
    let object: String

    private var noun: String { kind == .dataset ? "H5D" : "H5A" }

    func fail(_ function: String) -> HDF5Error {
        .callFailed(function: function, file: file, object: object, detail: errorStackText())
    }

    /// A new type identifier for the stored type; the caller closes it.
    func openType() throws -> hid_t {
        let type = kind == .dataset ? H5Dget_type(id) : H5Aget_type(id)
        guard type >= 0 else { throw fail(noun + "get_type") }
        return type
    }

    /// A new dataspace identifier; the caller closes it.
    func openSpace() throws -> hid_t {
        let space = kind == .dataset ? H5Dget_space(id) : H5Aget_space(id)
        guard space >= 0 else { throw fail(noun + "get_space") }
        return space
    }

    /// Reads every element into `buffer`, converted to `memoryType`.
    func read(memoryType: hid_t, into buffer: UnsafeMutableRawPointer) throws {
        let status = kind == .dataset
            ? H5Dread(id, memoryType, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), buffer)
            : H5Aread(id, memoryType, buffer)
        guard status >= 0 else { throw fail(noun + "read") }
    }

    /// The shape (`[]` for a scalar, `[0]` for a null dataspace) and whether the dataspace is scalar.
    func shape() throws -> [Int] {
        let space = try openSpace()
        defer { _ = H5Sclose(space) }
        return try dataspaceShape(space, file: file, object: object)
    }

    /// The element type, described.
    func elementType() throws -> ElementType {
        let type = try openType()
        defer { _ = H5Tclose(type) }
        return try describeType(type, file: file, object: object)
    }

    /// The stored type class (`H5T_FLOAT`, `H5T_STRING`, ...).
    func typeClass() throws -> H5T_class_t {
        let type = try openType()
        defer { _ = H5Tclose(type) }
        let typeClass = H5Tget_class(type)
        guard typeClass != H5T_NO_CLASS else { throw fail("H5Tget_class") }
        return typeClass
    }

    /// For a dataset, what its stored form would make libhdf5 allocate (`StoredData`).
    private func checkStored(count: Int, declaredBytes: Int) throws {
        guard kind == .dataset else { return }
        try StoredData(id: id, file: file, object: object).check(shape: try shape(), count: count, declaredBytes: declaredBytes)
    }

    // MARK: Numbers

    /// Every element converted by libhdf5 to `T`. Refuses non-numeric types and reads over the limit.
    func readNumbers<T: HDF5Scalar>(as _: T.Type, count: Int) throws -> [T] {
        let actual = try elementType()
        guard let layout = ScalarLayout.of(T.self) else {
            throw HDF5Error.wrongType(file: file, object: object, expected: "a libhdf5 number type", actual: "Swift type \(T.self)")
        }
        let typeClass = try typeClass()
        guard typeClass == H5T_FLOAT || typeClass == H5T_INTEGER else {
            throw HDF5Error.wrongType(file: file, object: object, expected: layout.elementType.description, actual: actual.description)
        }
        let type = try openType()
        let storedSize = H5Tget_size(type)
        _ = H5Tclose(type)
        guard storedSize > 0 else { throw fail("H5Tget_size") }
        // libhdf5 converts in place in the destination buffer, through buffers as large as the larger type.
        try checkReadSize(count: count, elementSize: max(layout.size, Int(storedSize)), file: file, object: object)
        try checkStored(count: count, declaredBytes: count * max(layout.size, Int(storedSize)))
        if count == 0 { return [] }
        var thrown: HDF5Error?
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = 0
            guard let base = buffer.baseAddress else { return }
            do {
                try read(memoryType: layout.memoryType, into: UnsafeMutableRawPointer(base))
                initialized = count
            } catch {
                thrown = error as? HDF5Error ?? fail(noun + "read")
            }
        }
        if let thrown { throw thrown }
        guard values.count == count else { throw fail("allocating \(count) elements") }
        return values
    }

    /// Every element of an h5py boolean (an 8-bit FALSE/TRUE enum), read in the file's own type.
    func readBooleans(count: Int) throws -> [Bool] {
        guard try elementType() == .bool else {
            throw HDF5Error.wrongType(file: file, object: object, expected: "bool", actual: try elementType().description)
        }
        let type = try openType()
        defer { _ = H5Tclose(type) }
        guard H5Tget_size(type) == 1 else { throw fail("H5Tget_size") }
        try checkReadSize(count: count, elementSize: 1, file: file, object: object)
        try checkStored(count: count, declaredBytes: count)
        if count == 0 { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            try read(memoryType: type, into: base)
        }
        return bytes.map { $0 != 0 }
    }

    // MARK: Strings

    /// Every element of a string dataset or attribute, variable- or fixed-length, ASCII or UTF-8.
    func readStrings(count: Int) throws -> [String] {
        let actual = try elementType()
        guard actual == .string else {
            throw HDF5Error.wrongType(file: file, object: object, expected: "string", actual: actual.description)
        }
        let type = try openType()
        defer { _ = H5Tclose(type) }
        let isVariable = H5Tis_variable_str(type)
        guard isVariable >= 0 else { throw fail("H5Tis_variable_str") }
        return isVariable > 0
            ? try readVariableStrings(storedType: type, count: count)
            : try readFixedStrings(storedType: type, count: count)
    }

    private func readVariableStrings(storedType: hid_t, count: Int) throws -> [String] {
        try checkReadSize(count: count, elementSize: MemoryLayout<UnsafeMutablePointer<CChar>?>.size, file: file, object: object)
        try checkStored(count: count, declaredBytes: count * MemoryLayout<UnsafeMutablePointer<CChar>?>.size)
        if count == 0 { return [] }
        let cset = H5Tget_cset(storedType)
        guard cset != H5T_CSET_ERROR else { throw fail("H5Tget_cset") }
        let memoryType = H5Tcopy(chdf5_t_c_s1())
        guard memoryType >= 0 else { throw fail("H5Tcopy") }
        defer { _ = H5Tclose(memoryType) }
        guard H5Tset_size(memoryType, chdf5_t_variable()) >= 0 else { throw fail("H5Tset_size") }
        guard H5Tset_cset(memoryType, cset) >= 0 else { throw fail("H5Tset_cset") }
        let space = try openSpace()
        defer { _ = H5Sclose(space) }
        let spaceClass = H5Sget_simple_extent_type(space)
        guard spaceClass != H5S_NO_CLASS else { throw fail("H5Sget_simple_extent_type") }
        // The strings themselves are allocated by libhdf5: check their total size first. (Not for
        // a scalar: H5Dvlen_get_buf_size crashes on scalar dataspaces in libhdf5 1.10.8. One
        // string's size is bounded by the file's size.)
        if kind == .dataset && spaceClass == H5S_SIMPLE {
            var total: hsize_t = 0
            guard H5Dvlen_get_buf_size(id, memoryType, space, &total) >= 0 else { throw fail("H5Dvlen_get_buf_size") }
            let pointers = count.multipliedReportingOverflow(by: MemoryLayout<UnsafeMutablePointer<CChar>?>.size)
            let limit = HDF5Library.maxReadBytes
            if pointers.overflow || total > hsize_t(Int.max) {
                throw HDF5Error.tooLarge(file: file, object: object, bytes: Int.max, limit: limit)
            }
            let (bytes, overflow) = pointers.partialValue.addingReportingOverflow(Int(total))
            if overflow || bytes > limit {
                throw HDF5Error.tooLarge(file: file, object: object, bytes: overflow ? Int.max : bytes, limit: limit)
            }
        }
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        try pointers.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { throw fail(noun + "read") }
            try read(memoryType: memoryType, into: base)
        }
        let strings = pointers.map { pointer in pointer.map { String(cString: $0) } ?? "" }
        let reclaimed = pointers.withUnsafeMutableBytes { raw in
            chdf5_vlen_reclaim(memoryType, space, chdf5_p_default(), raw.baseAddress)
        }
        guard reclaimed >= 0 else { throw fail("H5Dvlen_reclaim") }
        return strings
    }

    private func readFixedStrings(storedType: hid_t, count: Int) throws -> [String] {
        let size = H5Tget_size(storedType)
        guard size > 0 else { throw fail("H5Tget_size") }
        let width = size
        try checkReadSize(count: count, elementSize: width, file: file, object: object)
        try checkStored(count: count, declaredBytes: count * width)
        if count == 0 { return [] }
        let padding = H5Tget_strpad(storedType)
        guard padding != H5T_STR_ERROR else { throw fail("H5Tget_strpad") }
        let memoryType = H5Tcopy(storedType)
        guard memoryType >= 0 else { throw fail("H5Tcopy") }
        defer { _ = H5Tclose(memoryType) }
        var bytes = [UInt8](repeating: 0, count: count * width)
        try bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { throw fail(noun + "read") }
            try read(memoryType: memoryType, into: base)
        }
        return (0..<count).map { index in
            var element = bytes[(index * width)..<((index + 1) * width)]
            if padding == H5T_STR_SPACEPAD {
                while element.last == 0x20 { element.removeLast() }
            } else if let end = element.firstIndex(of: 0) {
                element = element[..<end]
            }
            return String(decoding: element, as: UTF8.self)
        }
    }
}

// MARK: - Dataspaces and types

/// The shape of a dataspace: `[]` for a scalar, `[0]` for a null (empty) dataspace.
/// Dimensions over `Int.max` are clamped to `Int.max` (their element count is then `.tooLarge`).
func dataspaceShape(_ space: hid_t, file: String, object: String) throws -> [Int] {
    let spaceClass = H5Sget_simple_extent_type(space)
    switch spaceClass {
    case H5S_SCALAR:
        return []
    case H5S_NULL:
        return [0]
    case H5S_SIMPLE:
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else {
            throw HDF5Error.callFailed(function: "H5Sget_simple_extent_ndims", file: file, object: object, detail: errorStackText())
        }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        if rank > 0 {
            guard H5Sget_simple_extent_dims(space, &dims, nil) == rank else {
                throw HDF5Error.callFailed(function: "H5Sget_simple_extent_dims", file: file, object: object, detail: errorStackText())
            }
        }
        return dims.map { Int(clamping: $0) }
    default:
        throw HDF5Error.callFailed(function: "H5Sget_simple_extent_type", file: file, object: object, detail: errorStackText())
    }
}

/// Describes a stored type as an `ElementType`.
func describeType(_ type: hid_t, file: String, object: String) throws -> ElementType {
    func fail(_ function: String) -> HDF5Error {
        .callFailed(function: function, file: file, object: object, detail: errorStackText())
    }
    let typeClass = H5Tget_class(type)
    switch typeClass {
    case H5T_FLOAT:
        let size = H5Tget_size(type)
        guard size > 0 else { throw fail("H5Tget_size") }
        switch size {
        case 2: return .float16
        case 4: return .float32
        case 8: return .float64
        default: return .other("float\(size * 8)")
        }
    case H5T_INTEGER:
        let size = H5Tget_size(type)
        guard size > 0 else { throw fail("H5Tget_size") }
        let sign = H5Tget_sign(type)
        guard sign != H5T_SGN_ERROR else { throw fail("H5Tget_sign") }
        let signed = sign != H5T_SGN_NONE
        switch (size, signed) {
        case (1, true): return .int8
        case (2, true): return .int16
        case (4, true): return .int32
        case (8, true): return .int64
        case (1, false): return .uint8
        case (2, false): return .uint16
        case (4, false): return .uint32
        case (8, false): return .uint64
        default: return .other("\(signed ? "int" : "uint")\(size * 8)")
        }
    case H5T_STRING:
        return .string
    case H5T_ENUM:
        return try isBoolEnum(type, fail: fail) ? .bool : .other("enum")
    case H5T_COMPOUND: return .other("compound")
    case H5T_ARRAY: return .other("array")
    case H5T_VLEN: return .other("variable-length sequence")
    case H5T_OPAQUE: return .other("opaque")
    case H5T_REFERENCE: return .other("reference")
    case H5T_BITFIELD: return .other("bitfield")
    case H5T_TIME: return .other("time")
    case H5T_NO_CLASS: throw fail("H5Tget_class")
    default: return .other("type class \(typeClass.rawValue)")
    }
}

/// h5py writes `bool` as an enum with exactly the members FALSE and TRUE.
private func isBoolEnum(_ type: hid_t, fail: (String) -> HDF5Error) throws -> Bool {
    let members = H5Tget_nmembers(type)
    guard members >= 0 else { throw fail("H5Tget_nmembers") }
    guard members == 2 else { return false }
    var names: [String] = []
    for index in 0..<UInt32(members) {
        guard let name = H5Tget_member_name(type, index) else { throw fail("H5Tget_member_name") }
        names.append(String(cString: name))
        guard H5free_memory(name) >= 0 else { throw fail("H5free_memory") }
    }
    return names == ["FALSE", "TRUE"]
}
