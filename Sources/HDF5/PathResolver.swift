import CHDF5

/// Walks a path one link at a time, so that no libhdf5 call ever traverses a link this module
/// has not looked at first.
///
/// Hard links are opened; soft links are resolved by walking their target the same way (at most
/// `maxSoftLinks` of them per lookup, which also stops loops); external and user-defined links are
/// never followed.
struct PathResolver {
    enum Outcome {
        /// The object, opened with `H5Oopen`; the caller owns (closes) it.
        case found(hid_t)
        /// No link at `path` (or a dangling soft link on the way).
        case missing(path: String)
        /// `path` is needed as a group but is an object of another kind.
        case notAGroup(path: String, actual: String)
        /// `path` is an external link to `target` ("file:path").
        case external(path: String, target: String)
        /// `path` is a user-defined link of class `linkClass`.
        case userDefined(path: String, linkClass: Int32)
    }

    /// HDF5's own default limit on soft links in one lookup.
    static let maxSoftLinks = 16

    let file: String
    private var softLinksFollowed = 0

    init(file: String) { self.file = file }

    private func fail(_ function: String, _ object: String) -> HDF5Error {
        .callFailed(function: function, file: file, object: object, detail: errorStackText())
    }

    /// Looks up `name` (relative to the object `start`, which lives at `startPath`, or absolute).
    /// Call with the library lock held.
    mutating func resolve(_ name: String, from start: hid_t, startPath: String) throws -> Outcome {
        if name.hasPrefix("/") {
            let root = H5Oopen(start, "/", chdf5_p_default())
            guard root >= 0 else { throw fail("H5Oopen", "/") }
            defer { _ = H5Oclose(root) }
            return try walk(pathComponents(name)[...], from: root, startPath: "/")
        }
        return try walk(pathComponents(name)[...], from: start, startPath: startPath)
    }

    private mutating func walk(_ components: ArraySlice<String>, from start: hid_t, startPath: String) throws -> Outcome {
        // `current` is borrowed while it is `start`, owned afterwards.
        var current = start
        var owned = false
        defer { if owned { _ = H5Oclose(current) } }
        var path = startPath
        for component in components {
            let here = joinPath(path, component)
            let currentType = H5Iget_type(current)
            guard currentType != H5I_BADID else { throw fail("H5Iget_type", path) }
            guard currentType == H5I_GROUP else {
                return .notAGroup(path: path, actual: kindName(currentType))
            }
            let exists = H5Lexists(current, component, chdf5_p_default())
            guard exists >= 0 else { throw fail("H5Lexists", here) }
            guard exists > 0 else { return .missing(path: here) }
            var info = chdf5_link_info()
            guard chdf5_lget_info(current, component, &info, chdf5_p_default()) >= 0 else { throw fail("H5Lget_info", here) }

            let next: hid_t
            switch info.type {
            case H5L_TYPE_HARD:
                next = H5Oopen(current, component, chdf5_p_default())
                guard next >= 0 else { throw fail("H5Oopen", here) }
            case H5L_TYPE_SOFT:
                let value = try linkValue(current, component, size: info.u.val_size, path: here)
                let target = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
                softLinksFollowed += 1
                guard softLinksFollowed <= Self.maxSoftLinks else {
                    throw HDF5Error.refused(file: file, object: here,
                                            reason: "more than \(Self.maxSoftLinks) soft links in one lookup, probably a soft link loop")
                }
                let outcome = try resolve(target, from: current, startPath: path)
                guard case .found(let object) = outcome else {
                    if case .missing = outcome { return .missing(path: here) }
                    return outcome
                }
                next = object
            case H5L_TYPE_EXTERNAL:
                let value = try linkValue(current, component, size: info.u.val_size, path: here)
                return .external(path: here, target: try externalTarget(value, path: here))
            default:
                return .userDefined(path: here, linkClass: info.type.rawValue)
            }
            if owned { _ = H5Oclose(current) }
            current = next
            owned = true
            path = here
        }
        if owned {
            owned = false
            return .found(current)
        }
        // No components ("", "." or "/"): a new handle to the start object itself.
        let same = H5Oopen(current, ".", chdf5_p_default())
        guard same >= 0 else { throw fail("H5Oopen", path) }
        return .found(same)
    }

    /// The raw value of a soft or external link.
    private func linkValue(_ group: hid_t, _ name: String, size: Int, path: String) throws -> [UInt8] {
        var value = [UInt8](repeating: 0, count: size + 1)
        let status = value.withUnsafeMutableBytes { raw in
            H5Lget_val(group, name, raw.baseAddress, size, chdf5_p_default())
        }
        guard status >= 0 else { throw fail("H5Lget_val", path) }
        return value
    }

    /// "file:path" of an external link value.
    private func externalTarget(_ value: [UInt8], path: String) throws -> String {
        var target: String?
        // `value` ends with an extra NUL, so the unpacked C strings are always terminated.
        let status = value.withUnsafeBytes { raw -> herr_t in
            var flags: UInt32 = 0
            var targetFile: UnsafePointer<CChar>?
            var targetObject: UnsafePointer<CChar>?
            let status = H5Lunpack_elink_val(raw.baseAddress, raw.count - 1, &flags, &targetFile, &targetObject)
            if status >= 0, let targetFile, let targetObject {
                target = "\(String(cString: targetFile)):\(String(cString: targetObject))"
            }
            return status
        }
        guard status >= 0, let target else { throw fail("H5Lunpack_elink_val", path) }
        return target
    }
}

/// "group", "dataset", "named datatype" or "object", for messages.
func kindName(_ type: H5I_type_t) -> String {
    switch type {
    case H5I_GROUP: return "group"
    case H5I_DATASET: return "dataset"
    case H5I_DATATYPE: return "named datatype"
    default: return "object"
    }
}
