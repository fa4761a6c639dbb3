import Foundation
import HDF5
import RNNEngine

/// Model inputs and Keras's outputs: the root datasets `input_0, input_1, ...` and
/// `output_0, output_1, ...` of an HDF5 file (a `compare` reference, or a fixture).
public struct ReferenceData: Sendable {
    public var inputs: [Tensor<Double>]
    /// Keras's outputs; names from each dataset's `@name` attribute, or `output_<i>`.
    public var outputs: [(name: String, tensor: Tensor<Double>)]

    /// Reads `input_*` and `output_*` from `group`; `outputsRequired` is false for `run`.
    public static func read(from group: Group, file: String, outputsRequired: Bool = true) throws -> ReferenceData {
        let names = try group.childNames()
        let inputs = try numbered("input_", in: group, names: names, file: file)
        guard !inputs.isEmpty else {
            throw ConformanceError.unusable(file: file, object: "/input_0", reason: "missing dataset (model inputs are stored as input_0, input_1, ...)")
        }
        let outputs = try numbered("output_", in: group, names: names, file: file)
        if outputsRequired && outputs.isEmpty {
            throw ConformanceError.unusable(file: file, object: "/output_0", reason: "missing dataset (Keras's outputs are stored as output_0, output_1, ...)")
        }
        return ReferenceData(
            inputs: inputs.map(\.1),
            outputs: try outputs.map { name, tensor in
                let ds = try group.dataset(name)
                let label = try ds.hasAttribute("name") ? (try ds.attribute("name").stringValue ?? name) : name
                return (label, tensor)
            })
    }

    /// Reads `<prefix>0, <prefix>1, ...` as float64 tensors; a gap in the numbering is an error.
    static func numbered(_ prefix: String, in group: Group, names: [String], file: String) throws -> [(String, Tensor<Double>)] {
        var indices: [Int] = []
        for name in names where name.hasPrefix(prefix) {
            guard let n = Int(name.dropFirst(prefix.count)), n >= 0, "\(prefix)\(n)" == name else {
                throw ConformanceError.unusable(file: file, object: "/\(name)", reason: "unexpected dataset name (expected \(prefix)<n>)")
            }
            indices.append(n)
        }
        indices.sort()
        for (position, n) in indices.enumerated() where n != position {
            throw ConformanceError.unusable(file: file, object: "/\(prefix)\(position)", reason: "missing dataset (found \(prefix)\(n) but not \(prefix)\(position))")
        }
        return try indices.map { n in
            let name = "\(prefix)\(n)"
            switch try group.kind(of: name) {
            case .dataset: break
            // An external or user-defined link: opening it gives the HDF5 layer's refusal.
            case .other: _ = try group.dataset(name)
            default: throw ConformanceError.unusable(file: file, object: "/\(name)", reason: "is not a dataset")
            }
            let ds = try group.dataset(name)
            switch ds.elementType {
            case .float32, .float64, .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64, .bool: break
            default:
                throw ConformanceError.unusable(file: file, object: "/\(name)", reason: "holds \(ds.elementType) values, expected numbers")
            }
            if ds.elementType == .bool {
                return (name, Tensor(shape: ds.shape, scalars: try ds.readBooleans().map { $0 ? 1 : 0 }))
            }
            return (name, Tensor(shape: ds.shape, scalars: try ds.read(as: Double.self)))
        }
    }
}
