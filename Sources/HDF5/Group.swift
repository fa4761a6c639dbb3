import CHDF5

/// What a name in a group refers to.
public enum ObjectKind: Equatable, Sendable {
    case group, dataset
    /// A named datatype, an external or user-defined link, or anything else not followed.
    case other
    /// No such link (or a dangling soft link, or a path through something that is not a group).
    case missing
}

/// An object's place in an open file (libhdf5's file number and object header address).
public struct ObjectIdentity: Hashable, Sendable {
    public let fileNumber: UInt64
    public let address: UInt64
}

/// An open HDF5 group. Closes itself in `deinit`.
///
/// Names passed to its methods may be relative paths ("a/b") or absolute ("/a/b"). Every link on
/// the way is examined first: hard links are followed, soft links are followed within the file,
/// and external and user-defined links are refused (`kind(of:)` reports them as `.other`).
public final class Group: AttributeHolder, @unchecked Sendable {
    public let file: File
    public let objectPath: String
    /// Owned: closed in `deinit`.
    let id: hid_t

    init(file: File, id: hid_t, objectPath: String) {
        self.file = file
        self.id = id
        self.objectPath = objectPath
    }

    deinit {
        withLibraryLock { _ = H5Oclose(id) }
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

    // MARK: - Children

    /// Link names in this group, in name order as libhdf5 lists them (H5_INDEX_NAME, H5_ITER_INC):
    /// "10" comes before "2".
    public func childNames() throws -> [String] {
        try withLibrary(file: file.path) {
            final class Names { var items: [String] = [] }
            let names = Names()
            var position: hsize_t = 0
            let status = withExtendedLifetime(names) {
                chdf5_literate(id, H5_INDEX_NAME, H5_ITER_INC, &position, { _, name, _, context in
                    guard let name, let context else { return -1 }
                    Unmanaged<Names>.fromOpaque(context).takeUnretainedValue().items.append(String(cString: name))
                    return 0
                }, Unmanaged.passUnretained(names).toOpaque())
            }
            guard status >= 0 else { throw fail("H5Literate", objectPath) }
            return names.items
        }
    }

    /// What `name` refers to, without following external links (reported as `.other`).
    /// Throws `.refused` for a soft link loop.
    public func kind(of name: String) throws -> ObjectKind {
        try withLibrary(file: file.path) {
            var resolver = PathResolver(file: file.path)
            switch try resolver.resolve(name, from: id, startPath: objectPath) {
            case .found(let object):
                defer { _ = H5Oclose(object) }
                switch H5Iget_type(object) {
                case H5I_GROUP: return .group
                case H5I_DATASET: return .dataset
                case H5I_BADID: throw fail("H5Iget_type", resolvedPath(base: objectPath, name: name))
                default: return .other
                }
            case .missing, .notAGroup:
                return .missing
            case .external, .userDefined:
                return .other
            }
        }
    }

    /// Where the group lives in its file: two handles with the same identity are the same group,
    /// however they were reached (hard links can make a group its own descendant).
    public var identity: ObjectIdentity {
        get throws {
            try withLibrary(file: file.path) {
                var fileNumber: UInt = 0
                var address: haddr_t = 0
                guard chdf5_object_identity(id, &fileNumber, &address) >= 0 else { throw fail("H5Oget_info", objectPath) }
                return ObjectIdentity(fileNumber: UInt64(fileNumber), address: UInt64(address))
            }
        }
    }

    /// The group at `name`: `.notFound`, `.wrongKind` or `.refused` otherwise.
    public func group(_ name: String) throws -> Group {
        try withLibrary(file: file.path) {
            let (object, path) = try open(name, expecting: "group")
            return Group(file: file, id: object, objectPath: path)
        }
    }

    /// The dataset at `name`: `.notFound`, `.wrongKind` or `.refused` otherwise. A virtual dataset
    /// and a dataset with external raw storage are `.refused`.
    public func dataset(_ name: String) throws -> Dataset {
        try withLibrary(file: file.path) {
            let (object, path) = try open(name, expecting: "dataset")
            return try Dataset.adopt(file: file, id: object, objectPath: path)
        }
    }

    // MARK: - Writing

    /// Creates an empty group. Its parent must exist.
    public func createGroup(_ name: String) throws -> Group {
        try withLibrary(file: file.path) {
            let path = resolvedPath(base: objectPath, name: name)
            let (parent, leaf) = try creationParent(name)
            defer { _ = H5Oclose(parent) }
            let creation = try makeCreationPlist(chdf5_p_group_create(), file: file.path, object: path)
            defer { _ = H5Pclose(creation) }
            let group = H5Gcreate2(parent, leaf, chdf5_p_default(), creation, chdf5_p_default())
            guard group >= 0 else { throw fail("H5Gcreate2", path) }
            return Group(file: file, id: group, objectPath: path)
        }
    }

    /// Writes a new dataset. `shape` product must equal values.count; shape [] = scalar.
    /// The file type is the little-endian form of `T` (float32 for `Float`, ...).
    public func write<T: HDF5Scalar>(_ name: String, _ values: [T], shape: [Int]) throws -> Dataset {
        try withLibrary(file: file.path) {
            let path = resolvedPath(base: objectPath, name: name)
            guard let layout = ScalarLayout.of(T.self) else {
                throw HDF5Error.wrongType(file: file.path, object: path, expected: "a libhdf5 number type",
                                          actual: "Swift type \(T.self)")
            }
            try checkShape(shape, count: values.count, path: path)
            let (parent, leaf) = try creationParent(name)
            defer { _ = H5Oclose(parent) }
            let space = try makeDataspace(shape, file: file.path, object: path)
            defer { _ = H5Sclose(space) }
            let creation = try makeCreationPlist(chdf5_p_dataset_create(), file: file.path, object: path)
            defer { _ = H5Pclose(creation) }
            let dataset = H5Dcreate2(parent, leaf, layout.fileType, space, chdf5_p_default(), creation, chdf5_p_default())
            guard dataset >= 0 else { throw fail("H5Dcreate2", path) }
            if !values.isEmpty {
                let status = values.withUnsafeBytes { raw in
                    H5Dwrite(dataset, layout.memoryType, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), raw.baseAddress)
                }
                guard status >= 0 else {
                    let error = fail("H5Dwrite", path)
                    _ = H5Dclose(dataset)
                    throw error
                }
            }
            return try Dataset.adopt(file: file, id: dataset, objectPath: path)
        }
    }

    /// Writes a new dataset of variable-length UTF-8 strings. shape [] = scalar.
    public func write(_ name: String, strings: [String], shape: [Int]) throws -> Dataset {
        try withLibrary(file: file.path) {
            let path = resolvedPath(base: objectPath, name: name)
            try checkShape(shape, count: strings.count, path: path)
            let (parent, leaf) = try creationParent(name)
            defer { _ = H5Oclose(parent) }
            let type = try makeUTF8StringType(file: file.path, object: path)
            defer { _ = H5Tclose(type) }
            let space = try makeDataspace(shape, file: file.path, object: path)
            defer { _ = H5Sclose(space) }
            let creation = try makeCreationPlist(chdf5_p_dataset_create(), file: file.path, object: path)
            defer { _ = H5Pclose(creation) }
            let dataset = H5Dcreate2(parent, leaf, type, space, chdf5_p_default(), creation, chdf5_p_default())
            guard dataset >= 0 else { throw fail("H5Dcreate2", path) }
            if !strings.isEmpty {
                do {
                    try withCStringPointers(strings, file: file.path, object: path) { pointers in
                        guard H5Dwrite(dataset, type, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), pointers) >= 0 else {
                            throw fail("H5Dwrite", path)
                        }
                    }
                } catch {
                    _ = H5Dclose(dataset)
                    throw error
                }
            }
            return try Dataset.adopt(file: file, id: dataset, objectPath: path)
        }
    }

    // MARK: - Helpers

    private func fail(_ function: String, _ object: String) -> HDF5Error {
        .callFailed(function: function, file: file.path, object: object, detail: errorStackText())
    }

    /// Opens `name`, which must be a `expecting` ("group" or "dataset"), and returns the owned
    /// identifier and the path it was opened by.
    private func open(_ name: String, expecting: String) throws -> (hid_t, String) {
        let path = resolvedPath(base: objectPath, name: name)
        var resolver = PathResolver(file: file.path)
        switch try resolver.resolve(name, from: id, startPath: objectPath) {
        case .found(let object):
            let type = H5Iget_type(object)
            let wanted = expecting == "group" ? H5I_GROUP : H5I_DATASET
            guard type == wanted else {
                let error: HDF5Error = type == H5I_BADID
                    ? fail("H5Iget_type", path)
                    : .wrongKind(file: file.path, object: path, expected: expecting, actual: kindName(type))
                _ = H5Oclose(object)
                throw error
            }
            return (object, path)
        case .missing:
            throw HDF5Error.notFound(file: file.path, object: path)
        case let .notAGroup(at, actual):
            throw HDF5Error.wrongKind(file: file.path, object: at, expected: "group", actual: actual)
        case let .external(at, target):
            throw HDF5Error.refused(file: file.path, object: at, reason: "external link to \(target)")
        case let .userDefined(at, linkClass):
            throw HDF5Error.refused(file: file.path, object: at, reason: "user-defined link of class \(linkClass)")
        }
    }

    /// The group that will hold `name` (owned by the caller) and the last component of `name`.
    private func creationParent(_ name: String) throws -> (hid_t, String) {
        var components = pathComponents(name)
        guard let leaf = components.popLast() else {
            throw HDF5Error.callFailed(function: "create", file: file.path, object: objectPath,
                                       detail: "the name \"\(name)\" is empty")
        }
        let parentName = (name.hasPrefix("/") ? "/" : "") + components.joined(separator: "/")
        let (parent, _) = try open(parentName, expecting: "group")
        return (parent, leaf)
    }

    private func checkShape(_ shape: [Int], count: Int, path: String) throws {
        guard let product = elementCount(shape), product == count else {
            throw HDF5Error.callFailed(function: "Group.write", file: file.path, object: path,
                                       detail: "shape \(shape) does not hold exactly the \(count) values given")
        }
    }
}
