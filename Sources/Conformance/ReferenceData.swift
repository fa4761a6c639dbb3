import Foundation
import HDF5
import RNNEngine

/// Model inputs and Keras's outputs: the root datasets `input_0, input_1, ...` and
/// `output_0, output_1, ...` of an HDF5 file (a `compare` reference, or a fixture).
public struct ReferenceData: Sendable {
    public var inputs: [Tensor<Double>]
    /// Keras's outputs; names from each dataset's `@name` attribute, or `output_<i>`.
    public var outputs: [(name: String, tensor: Tensor<Double>)]

    public init(inputs: [Tensor<Double>], outputs: [(name: String, tensor: Tensor<Double>)]) {
        self.inputs = inputs
        self.outputs = outputs
    }

    /// Reads `input_*` and `output_*` from `group`; `outputsRequired` is false for `run`.
    ///
    /// A dataset with no elements (a batch of 0, or any axis of length 0) is refused: a comparison
    /// of zero elements proves nothing. `inputBudget`, when given, sees the input shapes before
    /// any data is read, so that a caller can refuse inputs that would make the run allocate
    /// more than it allows.
    public static func read(from group: Group, file: String, outputsRequired: Bool = true,
                            inputBudget: (([[Int]]) throws -> Void)? = nil) throws -> ReferenceData {
        let (inputs, outputs) = try datasets(in: group, file: file, outputsRequired: outputsRequired, inputBudget: inputBudget)
        return ReferenceData(
            inputs: try inputs.map { try read($0.dataset, name: $0.name) },
            outputs: try outputs.map { name, ds in
                let label = try ds.hasAttribute("name") ? (try ds.attribute("name").stringValue ?? name) : name
                return (label, try read(ds, name: name))
            })
    }

    /// Reads only `input_*`, in float32, as `rnncheck run` takes them: a float32 dataset as
    /// stored, any other through float64 (as `read` gives it) rounded once to float32. Any
    /// `output_*` datasets are checked as `read` checks them, but not read.
    public static func readInputs32(from group: Group, file: String,
                                    inputBudget: (([[Int]]) throws -> Void)? = nil) throws -> [Tensor<Float>] {
        let (inputs, _) = try datasets(in: group, file: file, outputsRequired: false, inputBudget: inputBudget)
        return try inputs.map { name, ds in
            ds.elementType == .float32 ? Tensor(shape: ds.shape, scalars: try ds.read(as: Float.self))
                                       : try read(ds, name: name).converted(to: Float.self)
        }
    }

    /// The `input_*` and `output_*` datasets of `group`, checked (`numbered`), with the input
    /// shapes given to `inputBudget` before any data is read.
    static func datasets(in group: Group, file: String, outputsRequired: Bool, inputBudget: (([[Int]]) throws -> Void)?)
        throws -> (inputs: [(name: String, dataset: Dataset)], outputs: [(name: String, dataset: Dataset)]) {
        let names = try group.childNames()
        let inputs = try numbered("input_", in: group, names: names, file: file)
        guard !inputs.isEmpty else {
            throw ConformanceError.unusable(file: file, object: "/input_0", reason: "missing dataset (model inputs are stored as input_0, input_1, ...)")
        }
        let outputs = try numbered("output_", in: group, names: names, file: file)
        if outputsRequired && outputs.isEmpty {
            throw ConformanceError.unusable(file: file, object: "/output_0", reason: "missing dataset (Keras's outputs are stored as output_0, output_1, ...)")
        }
        try inputBudget?(inputs.map(\.dataset.shape))
        return (inputs, outputs)
    }

    /// Reads `<prefix>0, <prefix>1, ...` as float64 tensors; a gap in the numbering is an error.
    static func readNumbered(_ prefix: String, in group: Group, names: [String], file: String) throws -> [(String, Tensor<Double>)] {
        try numbered(prefix, in: group, names: names, file: file).map { ($0.name, try read($0.dataset, name: $0.name)) }
    }

    /// Opens `<prefix>0, <prefix>1, ...` and checks each is a non-empty numeric dataset, without
    /// reading any data.
    static func numbered(_ prefix: String, in group: Group, names: [String], file: String) throws -> [(name: String, dataset: Dataset)] {
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
        let objectPrefix = group.objectPath == "/" ? "/" : group.objectPath + "/"
        return try indices.map { n in
            let name = "\(prefix)\(n)"
            switch try group.kind(of: name) {
            case .dataset: break
            // An external or user-defined link: opening it gives the HDF5 layer's refusal.
            case .other: _ = try group.dataset(name)
            default: throw ConformanceError.unusable(file: file, object: "\(objectPrefix)\(name)", reason: "is not a dataset")
            }
            let ds = try group.dataset(name)
            switch ds.elementType {
            case .float32, .float64, .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64, .bool: break
            default:
                throw ConformanceError.unusable(file: file, object: "\(objectPrefix)\(name)", reason: "holds \(ds.elementType) values, expected numbers")
            }
            guard ds.count > 0 else {
                throw ConformanceError.unusable(
                    file: file, object: "\(objectPrefix)\(name)",
                    reason: "has no elements (shape \(shapeText(ds.shape))); a comparison of zero elements proves nothing, so rnncheck refuses it")
            }
            return (name, ds)
        }
    }

    static func read(_ ds: Dataset, name: String) throws -> Tensor<Double> {
        if ds.elementType == .bool {
            return Tensor(shape: ds.shape, scalars: try ds.readBooleans().map { $0 ? 1 : 0 })
        }
        return Tensor(shape: ds.shape, scalars: try ds.read(as: Double.self))
    }
}
