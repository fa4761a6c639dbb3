import CHDF5

/// Something that carries attributes: `Group` and `Dataset`.
public protocol AttributeHolder: AnyObject {
    /// The file the object is in.
    var file: File { get }
    /// The path the object was opened by, e.g. "/layers/lstm/cell/vars".
    var objectPath: String { get }
    /// Attribute names in creation order when the object tracks it (h5py's `track_order=True`, and
    /// every object made by `File.create`), else in name order (as h5py lists them).
    func attributeNames() throws -> [String]
    func hasAttribute(_ name: String) throws -> Bool
    /// The attribute's value; `.notFound` if there is none of that name.
    func attribute(_ name: String) throws -> AttributeValue
    /// Writes the attribute, replacing one of the same name.
    /// Strings are written as variable-length UTF-8, integers as int64, floats as float64.
    func setAttribute(_ name: String, _ value: AttributeValue) throws
}

/// The attribute operations, shared by `Group` and `Dataset`. Call with the library lock held.
struct AttributeAccess {
    /// The open object; borrowed, never closed here.
    let id: hid_t
    let file: String
    let objectPath: String

    private func fail(_ function: String, _ object: String? = nil) -> HDF5Error {
        .callFailed(function: function, file: file, object: object ?? objectPath, detail: errorStackText())
    }

    func names() throws -> [String] {
        let plist = H5Iget_type(id) == H5I_DATASET ? H5Dget_create_plist(id) : H5Gget_create_plist(id)
        guard plist >= 0 else { throw fail("H5Gget_create_plist") }
        defer { _ = H5Pclose(plist) }
        var flags: UInt32 = 0
        guard H5Pget_attr_creation_order(plist, &flags) >= 0 else { throw fail("H5Pget_attr_creation_order") }
        let tracked = flags & UInt32(H5P_CRT_ORDER_TRACKED) != 0

        final class Names { var items: [String] = [] }
        let names = Names()
        var position: hsize_t = 0
        let status = withExtendedLifetime(names) {
            H5Aiterate2(id, tracked ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME, H5_ITER_INC,
                        &position, { _, name, _, context in
                guard let name, let context else { return -1 }
                Unmanaged<Names>.fromOpaque(context).takeUnretainedValue().items.append(String(cString: name))
                return 0
            }, Unmanaged.passUnretained(names).toOpaque())
        }
        guard status >= 0 else { throw fail("H5Aiterate2") }
        return names.items
    }

    func has(_ name: String) throws -> Bool {
        let exists = H5Aexists(id, name)
        guard exists >= 0 else { throw fail("H5Aexists", attributeObjectName(objectPath, name)) }
        return exists > 0
    }

    func value(_ name: String) throws -> AttributeValue {
        let object = attributeObjectName(objectPath, name)
        guard try has(name) else { throw HDF5Error.notFound(file: file, object: object) }
        let attribute = H5Aopen(id, name, chdf5_p_default())
        guard attribute >= 0 else { throw fail("H5Aopen", object) }
        defer { _ = H5Aclose(attribute) }
        let source = DataSource(id: attribute, kind: .attribute, file: file, object: object)

        let shape = try source.shape()
        guard shape.count <= 1 else {
            throw HDF5Error.wrongType(file: file, object: object, expected: "a scalar or 1-D attribute",
                                      actual: "an array of shape \(shape)")
        }
        let isScalar = shape.isEmpty
        guard let count = elementCount(shape) else {
            throw HDF5Error.tooLarge(file: file, object: object, bytes: Int.max, limit: HDF5Library.maxReadBytes)
        }
        let typeClass = try source.typeClass()
        switch typeClass {
        case H5T_STRING:
            let strings = try source.readStrings(count: count)
            if isScalar {
                guard let first = strings.first else { throw fail("H5Aread", object) }
                return .string(first)
            }
            return .strings(strings)
        case H5T_INTEGER:
            let values = try source.readNumbers(as: Int64.self, count: count)
            if isScalar {
                guard let first = values.first else { throw fail("H5Aread", object) }
                return .int(first)
            }
            return .ints(values)
        case H5T_FLOAT:
            let values = try source.readNumbers(as: Double.self, count: count)
            if isScalar {
                guard let first = values.first else { throw fail("H5Aread", object) }
                return .double(first)
            }
            return .doubles(values)
        default:
            throw HDF5Error.wrongType(file: file, object: object, expected: "string, integer or float",
                                      actual: try source.elementType().description)
        }
    }

    func set(_ name: String, _ value: AttributeValue) throws {
        let object = attributeObjectName(objectPath, name)
        if try has(name) {
            guard H5Adelete(id, name) >= 0 else { throw fail("H5Adelete", object) }
        }
        switch value {
        case .string(let string):
            try writeStrings([string], scalar: true, name: name, object: object)
        case .strings(let strings):
            try writeStrings(strings, scalar: false, name: name, object: object)
        case .int(let number):
            try writeNumbers([number], scalar: true, name: name, object: object)
        case .ints(let numbers):
            try writeNumbers(numbers, scalar: false, name: name, object: object)
        case .double(let number):
            try writeNumbers([number], scalar: true, name: name, object: object)
        case .doubles(let numbers):
            try writeNumbers(numbers, scalar: false, name: name, object: object)
        }
    }

    private func writeNumbers<T: HDF5Scalar>(_ values: [T], scalar: Bool, name: String, object: String) throws {
        guard let layout = ScalarLayout.of(T.self) else { throw fail("ScalarLayout", object) }
        let space = try makeDataspace(scalar ? [] : [values.count], file: file, object: object)
        defer { _ = H5Sclose(space) }
        let attribute = H5Acreate2(id, name, layout.fileType, space, chdf5_p_default(), chdf5_p_default())
        guard attribute >= 0 else { throw fail("H5Acreate2", object) }
        defer { _ = H5Aclose(attribute) }
        if values.isEmpty { return }
        let status = values.withUnsafeBytes { raw in H5Awrite(attribute, layout.memoryType, raw.baseAddress) }
        guard status >= 0 else { throw fail("H5Awrite", object) }
    }

    private func writeStrings(_ strings: [String], scalar: Bool, name: String, object: String) throws {
        let type = try makeUTF8StringType(file: file, object: object)
        defer { _ = H5Tclose(type) }
        let space = try makeDataspace(scalar ? [] : [strings.count], file: file, object: object)
        defer { _ = H5Sclose(space) }
        let attribute = H5Acreate2(id, name, type, space, chdf5_p_default(), chdf5_p_default())
        guard attribute >= 0 else { throw fail("H5Acreate2", object) }
        defer { _ = H5Aclose(attribute) }
        if strings.isEmpty { return }
        try withCStringPointers(strings, file: file, object: object) { pointers in
            guard H5Awrite(attribute, type, pointers) >= 0 else { throw fail("H5Awrite", object) }
        }
    }
}

// MARK: - Writing helpers

/// A new dataspace of `shape` (`[]` = scalar); the caller closes it.
func makeDataspace(_ shape: [Int], file: String, object: String) throws -> hid_t {
    let space: hid_t
    if shape.isEmpty {
        space = H5Screate(H5S_SCALAR)
    } else {
        let dims = shape.map { hsize_t($0) }
        space = H5Screate_simple(Int32(dims.count), dims, nil)
    }
    guard space >= 0 else {
        throw HDF5Error.callFailed(function: "H5Screate", file: file, object: object, detail: errorStackText())
    }
    return space
}

/// A new variable-length UTF-8 string type; the caller closes it.
func makeUTF8StringType(file: String, object: String) throws -> hid_t {
    func fail(_ function: String) -> HDF5Error {
        .callFailed(function: function, file: file, object: object, detail: errorStackText())
    }
    let type = H5Tcopy(chdf5_t_c_s1())
    guard type >= 0 else { throw fail("H5Tcopy") }
    guard H5Tset_size(type, chdf5_t_variable()) >= 0 else {
        _ = H5Tclose(type)
        throw fail("H5Tset_size")
    }
    guard H5Tset_cset(type, H5T_CSET_UTF8) >= 0 else {
        _ = H5Tclose(type)
        throw fail("H5Tset_cset")
    }
    return type
}

/// Calls `body` with an array of C string pointers to `strings`, for writing variable-length
/// strings. A string containing a NUL character cannot be stored and is refused.
func withCStringPointers(_ strings: [String], file: String, object: String,
                         _ body: (UnsafeRawPointer) throws -> Void) throws {
    var bytes: [CChar] = []
    var offsets: [Int] = []
    for (index, string) in strings.enumerated() {
        guard !string.utf8.contains(0) else {
            throw HDF5Error.callFailed(function: "write", file: file, object: object,
                                       detail: "string \(index) contains a NUL character, which HDF5 strings cannot hold")
        }
        offsets.append(bytes.count)
        bytes.append(contentsOf: string.utf8.map { CChar(bitPattern: $0) })
        bytes.append(0)
    }
    try bytes.withUnsafeBufferPointer { buffer in
        guard let base = buffer.baseAddress else {
            throw HDF5Error.callFailed(function: "write", file: file, object: object, detail: "no strings to write")
        }
        let pointers: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
        try pointers.withUnsafeBytes { raw in
            guard let start = raw.baseAddress else {
                throw HDF5Error.callFailed(function: "write", file: file, object: object, detail: "no strings to write")
            }
            try body(start)
        }
    }
}

/// A new object creation property list of `plistClass` (file, group or dataset creation) that
/// tracks and indexes attribute creation order; the caller closes it.
func makeCreationPlist(_ plistClass: hid_t, file: String, object: String) throws -> hid_t {
    let plist = H5Pcreate(plistClass)
    guard plist >= 0 else {
        throw HDF5Error.callFailed(function: "H5Pcreate", file: file, object: object, detail: errorStackText())
    }
    guard H5Pset_attr_creation_order(plist, UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED)) >= 0 else {
        let error = HDF5Error.callFailed(function: "H5Pset_attr_creation_order", file: file, object: object,
                                         detail: errorStackText())
        _ = H5Pclose(plist)
        throw error
    }
    return plist
}
