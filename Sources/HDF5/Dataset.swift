import CHDF5

/// An open HDF5 dataset. Closes itself in `deinit`.
///
/// Opening refuses virtual datasets and datasets whose raw data is stored in external files,
/// so reading a dataset never reads another file of the machine.
public final class Dataset: AttributeHolder, @unchecked Sendable {
    public let file: File
    public let objectPath: String
    /// The dimensions; `[]` for a scalar, `[0]` for an empty (null) dataspace.
    public let shape: [Int]
    /// The stored element type.
    public let elementType: ElementType
    /// The product of `shape` (`Int.max` if that overflows; reading it is then `.tooLarge`).
    public let count: Int
    /// Owned: closed in `deinit`.
    let id: hid_t

    private init(file: File, id: hid_t, objectPath: String, shape: [Int], elementType: ElementType, count: Int) {
        self.file = file
        self.id = id
        self.objectPath = objectPath
        self.shape = shape
        self.elementType = elementType
        self.count = count
    }

    deinit {
        withLibraryLock { _ = H5Oclose(id) }
    }

    /// Wraps an open dataset identifier after checking its storage; closes `id` if it throws.
    /// Call with the library lock held.
    static func adopt(file: File, id: hid_t, objectPath: String) throws -> Dataset {
        var adopted = false
        defer { if !adopted { _ = H5Oclose(id) } }
        try checkStorage(id, file: file.path, object: objectPath)
        let source = DataSource(id: id, kind: .dataset, file: file.path, object: objectPath)
        let shape = try source.shape()
        let elementType = try source.elementType()
        let dataset = Dataset(file: file, id: id, objectPath: objectPath, shape: shape,
                              elementType: elementType, count: elementCount(shape) ?? Int.max)
        adopted = true
        return dataset
    }

    /// Refuses virtual datasets and external raw storage.
    private static func checkStorage(_ id: hid_t, file: String, object: String) throws {
        func fail(_ function: String) -> HDF5Error {
            .callFailed(function: function, file: file, object: object, detail: errorStackText())
        }
        let plist = H5Dget_create_plist(id)
        guard plist >= 0 else { throw fail("H5Dget_create_plist") }
        defer { _ = H5Pclose(plist) }
        let layout = H5Pget_layout(plist)
        guard layout != H5D_LAYOUT_ERROR else { throw fail("H5Pget_layout") }
        if layout == H5D_VIRTUAL {
            throw HDF5Error.refused(file: file, object: object, reason: "virtual dataset, which maps data from other files")
        }
        let externalFiles = H5Pget_external_count(plist)
        guard externalFiles >= 0 else { throw fail("H5Pget_external_count") }
        if externalFiles > 0 {
            var name = [CChar](repeating: 0, count: 4097)
            var offset = off_t(0)
            var size: hsize_t = 0
            guard H5Pget_external(plist, 0, name.count - 1, &name, &offset, &size) >= 0 else {
                throw fail("H5Pget_external")
            }
            let firstName = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw HDF5Error.refused(file: file, object: object,
                                    reason: "external raw storage in \(externalFiles) file(s), the first \"\(firstName)\"")
        }
    }

    private var source: DataSource {
        DataSource(id: id, kind: .dataset, file: file.path, object: objectPath)
    }

    /// Reads every element converted to T by libhdf5 (float32 -> Double exact, int -> Float, ...).
    /// Refuses string/compound/other types with .wrongType; refuses sizes over maxReadBytes with .tooLarge.
    public func read<T: HDF5Scalar>(as type: T.Type) throws -> [T] {
        try withLibrary(file: file.path) { try source.readNumbers(as: type, count: count) }
    }

    /// Every element of an h5py boolean dataset.
    public func readBooleans() throws -> [Bool] {
        try withLibrary(file: file.path) { try source.readBooleans(count: count) }
    }

    /// Every element of a string dataset (variable- or fixed-length), in row-major order;
    /// one element for a scalar.
    public func readStrings() throws -> [String] {
        try withLibrary(file: file.path) { try source.readStrings(count: count) }
    }

    // MARK: - Attributes

    private var attributes: AttributeAccess {
        AttributeAccess(id: id, file: file.path, objectPath: objectPath)
    }

    public func attributeNames() throws -> [String] {
        try withLibrary(file: file.path) { try attributes.names() }
    }

    public func hasAttribute(_ name: String) throws -> Bool {
        try withLibrary(file: file.path) { try attributes.has(name) }
    }

    public func attribute(_ name: String) throws -> AttributeValue {
        try withLibrary(file: file.path) { try attributes.value(name) }
    }

    public func setAttribute(_ name: String, _ value: AttributeValue) throws {
        try withLibrary(file: file.path) { try attributes.set(name, value) }
    }
}
