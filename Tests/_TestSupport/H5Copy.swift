import Foundation
import HDF5

/// Copies an HDF5 file object by object with edits, so that tests can make altered copies of a
/// reference written by real Keras (a perturbed value, a renamed node, a NaN, a dropped group).
public enum H5Copy {
    /// What to change while copying; paths are absolute (`/layers/mid/output_0`).
    public struct Edits {
        /// Objects (groups or datasets) left out.
        public var skip: Set<String> = []
        /// New names for objects, by path (the last path component changes).
        public var rename: [String: String] = [:]
        /// Called with each numeric dataset's path and its values (as Double; written back in the
        /// dataset's own type).
        public var values: (String, inout [Double]) -> Void = { _, _ in }
        /// Called with each object's path and its attributes.
        public var attributes: (String, inout [String: AttributeValue]) -> Void = { _, _ in }

        public init() {}
    }

    public static func copy(_ source: String, to target: String, edits: Edits = Edits()) throws {
        let input = try HDF5.File.open(source)
        let output = try HDF5.File.create(target)
        try copyGroup(try input.root, into: try output.root, path: "", edits: edits)
        try output.close()
    }

    static func copyAttributes(from names: [String], read: (String) throws -> AttributeValue, path: String, edits: Edits,
                               write: (String, AttributeValue) throws -> Void) throws {
        var attributes: [String: AttributeValue] = [:]
        for name in names { attributes[name] = try read(name) }
        edits.attributes(path.isEmpty ? "/" : path, &attributes)
        for (name, value) in attributes.sorted(by: { $0.key < $1.key }) { try write(name, value) }
    }

    static func copyGroup(_ group: Group, into out: Group, path: String, edits: Edits) throws {
        try copyAttributes(from: try group.attributeNames(), read: group.attribute, path: path, edits: edits, write: out.setAttribute)
        for name in try group.childNames() {
            let childPath = path + "/" + name
            if edits.skip.contains(childPath) { continue }
            let newName = edits.rename[childPath] ?? name
            switch try group.kind(of: name) {
            case .group:
                try copyGroup(try group.group(name), into: try out.createGroup(newName), path: childPath, edits: edits)
            case .dataset:
                let ds = try group.dataset(name)
                let written: Dataset
                switch ds.elementType {
                case .string:
                    written = try out.write(newName, strings: try ds.readStrings(), shape: ds.shape)
                default:
                    var values = try ds.read(as: Double.self)
                    edits.values(childPath, &values)
                    switch ds.elementType {
                    case .float32: written = try out.write(newName, values.map { Float($0) }, shape: ds.shape)
                    case .int32: written = try out.write(newName, values.map { Int32($0) }, shape: ds.shape)
                    case .int64: written = try out.write(newName, values.map { Int64($0) }, shape: ds.shape)
                    case .uint8: written = try out.write(newName, values.map { UInt8($0) }, shape: ds.shape)
                    default: written = try out.write(newName, values, shape: ds.shape)
                    }
                }
                try copyAttributes(from: try ds.attributeNames(), read: ds.attribute, path: childPath, edits: edits,
                                   write: written.setAttribute)
            default:
                continue
            }
        }
    }
}
